// SPDX-License-Identifier: GPL-2.0-or-later
// VesselWizard's memory of a fix under way (a reboot or a new login away), in a GKeyFile.
#include "vessel-wizard-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#define GROUP	"pending"

static const char *const fixes[] = { "firmware", "fwattr", "module", "access" };

char *vessel_wizard_default_state_file(void)
{
	return g_build_filename(g_get_user_state_dir(), "vessel", "wizard.conf", NULL);
}

static bool known_fix(const char *fix)
{
	for (guint i = 0; i < G_N_ELEMENTS(fixes); i++) {
		if (!g_strcmp0(fix, fixes[i]))
			return true;
	}
	return false;
}

/* The file is the user's, but may be stale or edited: anything unknown means "nothing". */
void vessel_wizard_pending_load(const char *file, struct wizard_pending *p)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *state = NULL, *fix = NULL;

	memset(p, 0, sizeof(*p));
	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL))
		return;
	state = g_key_file_get_string(kf, GROUP, "state", NULL);
	fix = g_key_file_get_string(kf, GROUP, "fix", NULL);
	if (!state || !known_fix(fix))
		return;
	for (int s = 0; s < HOSTCHECK_STATE_COUNT; s++) {
		if (!strcmp(state, hostcheck_state_name(s))) {
			p->valid = true;
			p->state = s;
			g_strlcpy(p->fix, fix, sizeof(p->fix));
			return;
		}
	}
}

void vessel_wizard_pending_save(const char *file, enum hostcheck_state state, const char *fix)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *dir = g_path_get_dirname(file);
	g_autoptr(GError) error = NULL;

	g_key_file_set_comment(kf, NULL, NULL, " Vessel's virtualization wizard: a fix under way, "
			       "checked on the next start", NULL);
	g_key_file_set_string(kf, GROUP, "state", hostcheck_state_name(state));
	g_key_file_set_string(kf, GROUP, "fix", fix);
	g_key_file_set_int64(kf, GROUP, "since", g_get_real_time() / G_USEC_PER_SEC);
	if (g_mkdir_with_parents(dir, 0700) < 0 || !g_key_file_save_to_file(kf, file, &error))
		g_warning("wizard: cannot remember the pending fix in %s: %s", file,
			  error ? error->message : g_strerror(errno));
}

void vessel_wizard_pending_clear(const char *file)
{
	if (g_unlink(file) < 0 && errno != ENOENT)
		g_warning("wizard: cannot remove %s: %s", file, g_strerror(errno));
}
