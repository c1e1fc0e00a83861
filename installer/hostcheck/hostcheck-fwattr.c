// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check: virtualization switches exported by think-lmi, dell-wmi-sysman and hp-bioscfg. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostcheck-private.h"

/*
 * Setting names from the vendors' own tools (notes §2). Only these are read: the class holds
 * hundreds of unrelated settings, some of them passwords' metadata.
 */
static const struct {
	const char *name;
	enum hostcheck_fwattr_role role;
} allow[] = {
	{ "VirtualizationTechnology", HOSTCHECK_FWATTR_VT },	/* Lenovo (think-lmi), Intel */
	{ "AmdVt", HOSTCHECK_FWATTR_VT },			/* Lenovo, AMD */
	{ "AMDSecureVirtualMachine", HOSTCHECK_FWATTR_VT },	/* Lenovo desktops, AMD */
	{ "Virtualization", HOSTCHECK_FWATTR_VT },		/* Dell (dell-wmi-sysman) */
	{ "Virtualization Technology (VTx)", HOSTCHECK_FWATTR_VT },	/* HP (hp-bioscfg) */
	{ "Virtualization Technology (VT-x)", HOSTCHECK_FWATTR_VT },	/* HP, some models */
	{ "SVM CPU Virtualization", HOSTCHECK_FWATTR_VT },	/* HP, AMD */
	{ "VTdFeature", HOSTCHECK_FWATTR_IOMMU },		/* Lenovo */
	{ "VtForDirectIo", HOSTCHECK_FWATTR_IOMMU },		/* Dell */
	{ "Virtualization Technology (VTd)", HOSTCHECK_FWATTR_IOMMU },	/* HP */
	{ "TrustExecution", HOSTCHECK_FWATTR_TXT },		/* Dell: Intel TXT */
};

static int allow_index(const char *name)
{
	for (int i = 0; i < (int)(sizeof(allow) / sizeof(allow[0])); i++) {
		if (!strcasecmp(name, allow[i].name))
			return i;
	}
	return -1;
}

bool hostcheck_fwattr_allowed(const char *name)
{
	return name && allow_index(name) >= 0;
}

static void read_attr(const char *root, const char *drv, const char *name, int idx,
		      struct hostcheck_fwattr *a)
{
	char rel[640], val[16];	/* d_name can be 255 bytes */

	memset(a, 0, sizeof(*a));
	hc_copy(a->driver, sizeof(a->driver), drv);
	hc_copy(a->name, sizeof(a->name), name);
	a->role = allow[idx].role;
	snprintf(rel, sizeof(rel), "sys/class/firmware-attributes/%s/attributes/%s/current_value",
		 drv, name);
	hc_read_line(root, rel, a->value, sizeof(a->value));
	snprintf(rel, sizeof(rel),
		 "sys/class/firmware-attributes/%s/attributes/%s/possible_values", drv, name);
	hc_read_line(root, rel, a->possible, sizeof(a->possible));
	snprintf(rel, sizeof(rel), "sys/class/firmware-attributes/%s/attributes/pending_reboot",
		 drv);
	a->pending_reboot = hc_read_line(root, rel, val, sizeof(val)) == 0 && val[0] == '1';
}

static void scan_driver(const char *root, const char *drv, struct hostcheck_facts *f)
{
	char rel[300], path[512];
	struct dirent *de;
	DIR *dir;

	snprintf(rel, sizeof(rel), "sys/class/firmware-attributes/%s/attributes", drv);
	if (!hc_path(root, rel, path, sizeof(path)) || !(dir = opendir(path)))
		return;
	while ((de = readdir(dir)) && f->n_fwattr < HOSTCHECK_MAX_FWATTR) {
		int idx = allow_index(de->d_name);

		if (idx >= 0)
			read_attr(root, drv, de->d_name, idx, &f->fwattr[f->n_fwattr++]);
	}
	closedir(dir);
}

static int fwattr_cmp(const void *a, const void *b)
{
	const struct hostcheck_fwattr *x = a, *y = b;

	if (x->role != y->role)
		return (int)x->role - (int)y->role;
	return allow_index(x->name) - allow_index(y->name);
}

void hc_scan_fwattrs(const char *root, struct hostcheck_facts *f)
{
	char path[512];
	struct dirent *de;
	DIR *dir;

	if (!hc_path(root, "sys/class/firmware-attributes", path, sizeof(path)) ||
	    !(dir = opendir(path)))
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] != '.' && strlen(de->d_name) < sizeof(f->fwattr[0].driver))
			scan_driver(root, de->d_name, f);
	}
	closedir(dir);
	/* readdir order is arbitrary; the VT switch first keeps output stable. */
	qsort(f->fwattr, (size_t)f->n_fwattr, sizeof(f->fwattr[0]), fwattr_cmp);
}

bool hc_fwattr_disabled(const struct hostcheck_fwattr *a)
{
	return hc_has_prefix_ci(a->value, "disable") || !strcasecmp(a->value, "off") ||
	       !strcasecmp(a->value, "no") || !strcmp(a->value, "0");
}

/* think-lmi says "Enable", dell-wmi-sysman "Enabled": take the word from possible_values. */
const char *hc_fwattr_enable_word(const struct hostcheck_fwattr *a, char *buf, size_t len)
{
	char tmp[sizeof(a->possible)], *tok, *save = NULL;

	hc_copy(tmp, sizeof(tmp), a->possible);
	for (tok = strtok_r(tmp, ";,", &save); tok; tok = strtok_r(NULL, ";,", &save)) {
		hc_trim(tok);
		if (hc_has_prefix_ci(tok, "enable") || !strcasecmp(tok, "on")) {
			hc_copy(buf, len, tok);
			return buf;
		}
	}
	hc_copy(buf, len, "Enable");
	return buf;
}
