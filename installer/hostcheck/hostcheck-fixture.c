// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check probes answered from a fixture's probes.ini, so tests run the real decision code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hostcheck-private.h"

/*
 * probes.ini:
 *   [host]    arch = x86_64
 *   [cpuid]   0x1 = EAX EBX ECX EDX        (leaf, or leaf.subleaf; missing leaf: -ENOENT;
 *                                          no [cpuid] group at all: -ENOTSUP, as off x86)
 *   [msr]     0x3a = VALUE                 (error = EACCES makes every read fail so;
 *                                          an unlisted MSR fails with EIO like the msr driver)
 *   [kvm]     open = ok|ENOENT|EACCES|...  api = 12   create_vm = ok|EBUSY|...
 *   [logind]  can_reboot_to_firmware_setup = yes|no|na|challenge   (absent: no answer)
 */

#define MAX_LEAVES 32
#define MAX_MSRS 8

struct fixture_leaf {
	uint32_t leaf, subleaf, regs[4];
};

struct fixture_msr {
	uint32_t index;
	uint64_t value;
};

struct hostcheck_fixture {
	struct hostcheck_probes probes;
	char arch[32];
	bool has_cpuid;
	int n_leaves;
	struct fixture_leaf leaves[MAX_LEAVES];
	int msr_error;
	int n_msrs;
	struct fixture_msr msrs[MAX_MSRS];
	struct hostcheck_kvm_answer kvm;
	char logind[16];
};

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "ok", 0 }, { "EACCES", EACCES }, { "EPERM", EPERM }, { "ENOENT", ENOENT },
	{ "ENODEV", ENODEV }, { "ENXIO", ENXIO }, { "EBUSY", EBUSY }, { "EIO", EIO },
	{ "EINVAL", EINVAL }, { "EOPNOTSUPP", EOPNOTSUPP }, { "ENOMEM", ENOMEM },
};

/* "ok" -> 0, "EBUSY" -> -EBUSY; false for names not in the table. */
static bool parse_err(const char *s, int *out)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
		if (!g_ascii_strcasecmp(s, errnames[i].name)) {
			*out = -errnames[i].err;
			return true;
		}
	}
	return false;
}

static int fx_arch(void *opaque, char *buf, size_t len)
{
	struct hostcheck_fixture *fx = opaque;

	hc_copy(buf, len, fx->arch);
	return 0;
}

static int fx_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	struct hostcheck_fixture *fx = opaque;

	if (!fx->has_cpuid)
		return -ENOTSUP;
	for (int i = 0; i < fx->n_leaves; i++) {
		if (fx->leaves[i].leaf == leaf && fx->leaves[i].subleaf == subleaf) {
			memcpy(regs, fx->leaves[i].regs, sizeof(fx->leaves[i].regs));
			return 0;
		}
	}
	return -ENOENT;
}

static int fx_read_msr(void *opaque, uint32_t index, uint64_t *value)
{
	struct hostcheck_fixture *fx = opaque;

	if (fx->msr_error)
		return fx->msr_error;
	for (int i = 0; i < fx->n_msrs; i++) {
		if (fx->msrs[i].index == index) {
			*value = fx->msrs[i].value;
			return 0;
		}
	}
	return -EIO;
}

static void fx_kvm(void *opaque, struct hostcheck_kvm_answer *out)
{
	struct hostcheck_fixture *fx = opaque;

	*out = fx->kvm;
}

static int fx_reboot_to_firmware(void *opaque, char *buf, size_t len)
{
	struct hostcheck_fixture *fx = opaque;

	if (!fx->logind[0])
		return -ENOTCONN;
	hc_copy(buf, len, fx->logind);
	return 0;
}

static bool parse_leaf(const char *key, const char *val, struct fixture_leaf *l)
{
	char *end;
	int n;

	l->leaf = (uint32_t)strtoul(key, &end, 0);
	l->subleaf = *end == '.' ? (uint32_t)strtoul(end + 1, &end, 0) : 0;
	if (end == key || *end)
		return false;
	for (n = 0; n < 4; n++) {
		const char *start = val;

		l->regs[n] = (uint32_t)strtoul(start, &end, 0);
		if (end == start)
			return false;
		val = end;
	}
	while (*val == ' ' || *val == '\t')
		val++;
	return *val == '\0';
}

static bool load_cpuid(GKeyFile *kf, struct hostcheck_fixture *fx, char *msg, size_t len)
{
	gchar **keys = g_key_file_get_keys(kf, "cpuid", NULL, NULL);
	bool good = true;

	fx->has_cpuid = keys != NULL;
	for (int i = 0; keys && keys[i] && good; i++) {
		g_autofree gchar *val = g_key_file_get_value(kf, "cpuid", keys[i], NULL);

		good = fx->n_leaves < MAX_LEAVES && val &&
		       parse_leaf(keys[i], val, &fx->leaves[fx->n_leaves++]);
		if (!good)
			snprintf(msg, len, "[cpuid] %s: want four numbers EAX EBX ECX EDX", keys[i]);
	}
	g_strfreev(keys);
	return good;
}

static bool load_msrs(GKeyFile *kf, struct hostcheck_fixture *fx, char *msg, size_t len)
{
	gchar **keys = g_key_file_get_keys(kf, "msr", NULL, NULL);
	bool good = true;

	for (int i = 0; keys && keys[i] && good; i++) {
		g_autofree gchar *val = g_key_file_get_value(kf, "msr", keys[i], NULL);
		char *end = NULL;

		if (!strcmp(keys[i], "error")) {
			good = val && parse_err(val, &fx->msr_error);
		} else if (fx->n_msrs < MAX_MSRS && val) {
			fx->msrs[fx->n_msrs].index = (uint32_t)strtoul(keys[i], &end, 0);
			fx->msrs[fx->n_msrs++].value = strtoull(val, NULL, 0);
			good = end && !*end;
		} else {
			good = false;
		}
		if (!good)
			snprintf(msg, len, "[msr] %s: bad entry", keys[i]);
	}
	g_strfreev(keys);
	return good;
}

static bool load_err_key(GKeyFile *kf, const char *key, int *out, char *msg, size_t len)
{
	g_autofree gchar *val = g_key_file_get_string(kf, "kvm", key, NULL);

	if (!val)
		return true;
	if (parse_err(val, out))
		return true;
	snprintf(msg, len, "[kvm] %s = %s: want ok or an errno name", key, val);
	return false;
}

static bool load_kvm(GKeyFile *kf, struct hostcheck_fixture *fx, char *msg, size_t len)
{
	struct hostcheck_kvm_answer *a = &fx->kvm;

	a->open_ret = -ENOENT;
	a->api_version = -1;
	if (!load_err_key(kf, "open", &a->open_ret, msg, len))
		return false;
	if (a->open_ret == 0 && g_key_file_has_key(kf, "kvm", "api", NULL))
		a->api_version = g_key_file_get_integer(kf, "kvm", "api", NULL);
	a->create_vm_tried = a->open_ret == 0 && g_key_file_has_key(kf, "kvm", "create_vm", NULL);
	return load_err_key(kf, "create_vm", &a->create_vm_ret, msg, len);
}

static void load_strings(GKeyFile *kf, struct hostcheck_fixture *fx)
{
	g_autofree gchar *arch = g_key_file_get_string(kf, "host", "arch", NULL);
	g_autofree gchar *logind = g_key_file_get_string(kf, "logind",
							 "can_reboot_to_firmware_setup", NULL);

	hc_copy(fx->arch, sizeof(fx->arch), arch ? arch : "x86_64");
	hc_copy(fx->logind, sizeof(fx->logind), logind);
}

struct hostcheck_fixture *hostcheck_fixture_load(const char *dir, char *msg, size_t msglen,
						 int *err)
{
	g_autofree gchar *path = g_build_filename(dir, "probes.ini", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) gerr = NULL;
	struct hostcheck_fixture *fx;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
		snprintf(msg, msglen, "%s: %s", path, gerr->message);
		*err = gerr->domain == G_FILE_ERROR ? -ENOENT : -EINVAL;
		return NULL;
	}
	fx = calloc(1, sizeof(*fx));
	if (!fx) {
		*err = -ENOMEM;
		return NULL;
	}
	load_strings(kf, fx);
	if (!load_cpuid(kf, fx, msg, msglen) || !load_msrs(kf, fx, msg, msglen) ||
	    !load_kvm(kf, fx, msg, msglen)) {
		free(fx);
		*err = -EINVAL;
		return NULL;
	}
	fx->probes = (struct hostcheck_probes){
		.opaque = fx, .arch = fx_arch, .cpuid = fx_cpuid, .read_msr = fx_read_msr,
		.kvm = fx_kvm, .reboot_to_firmware = fx_reboot_to_firmware,
	};
	return fx;
}

const struct hostcheck_probes *hostcheck_fixture_probes(struct hostcheck_fixture *fx)
{
	return &fx->probes;
}

void hostcheck_fixture_free(struct hostcheck_fixture *fx)
{
	free(fx);
}
