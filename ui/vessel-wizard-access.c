// SPDX-License-Identifier: GPL-2.0-or-later
// VesselWizard's permission page facts: is Vessel's udev rule installed, is a re-login due.
#include "vessel-wizard-private.h"

#include <grp.h>
#include <string.h>
#include <unistd.h>

#define RULE_NAME	"60-vessel-kvm.rules"

/*
 * udev reads rules from these only (udev(7), "Rules Files"). A rule under /usr/local (meson's
 * default prefix) is not read, so it does not count as installed.
 */
static const char *const rule_dirs[] = {
	"etc/udev/rules.d", "run/udev/rules.d", "lib/udev/rules.d", "usr/lib/udev/rules.d",
};

bool vessel_wizard_udev_rule_installed(const char *root)
{
	for (guint i = 0; i < G_N_ELEMENTS(rule_dirs); i++) {
		g_autofree char *path = g_build_filename(root, rule_dirs[i], RULE_NAME, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return true;
	}
	return false;
}

/* group(5): name:password:GID:member,member,... ; the file is read as untrusted text. */
static bool kvm_group_lists(const char *line, const char *user, gid_t *gid)
{
	g_auto(GStrv) f = g_strsplit(line, ":", 4);
	g_auto(GStrv) members = NULL;
	guint64 n;

	if (g_strv_length(f) != 4 || strcmp(f[0], "kvm"))
		return false;
	if (!g_ascii_string_to_unsigned(f[2], 10, 0, G_MAXUINT32 - 1, &n, NULL))
		return false;
	*gid = (gid_t)n;
	members = g_strsplit(g_strstrip(f[3]), ",", -1);
	return g_strv_contains((const char *const *)members, user);
}

static bool process_has_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(G_N_ELEMENTS(groups), groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++) {
		if (groups[i] == gid)
			return true;
	}
	return false;
}

bool vessel_wizard_group_needs_relogin(const char *root)
{
	g_autofree char *path = g_build_filename(root, "etc/group", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gsize len;
	gid_t gid;

	if (!g_file_get_contents(path, &text, &len, NULL) || len > (1u << 20))
		return false;
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		if (kvm_group_lists(lines[i], g_get_user_name(), &gid))
			return !process_has_group(gid);
	}
	return false;
}
