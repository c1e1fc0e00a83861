// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check: is kvm/kvm_intel/kvm_amd kept from loading by modprobe.d or the kernel command line? */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck-private.h"

#define CONF_MAX	(64 * 1024)
#define MAX_CONFS	256

/*
 * modprobe.d(5): *.conf files from these directories, a file name in an earlier directory
 * hiding the same name in a later one.
 */
static const char *const conf_dirs[] = {
	"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "lib/modprobe.d",
	"usr/lib/modprobe.d",
};

struct conf_entry {
	char name[200];
	int dir;
};

/* Module names treat '-' and '_' alike. */
static bool same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '-' ? '_' : *a, cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

static bool relevant(const struct hostcheck_facts *f, const char *mod)
{
	if (same_module(mod, "kvm"))
		return true;
	if (same_module(mod, "kvm_intel"))
		return f->cpu != HOSTCHECK_CPU_AMD;
	if (same_module(mod, "kvm_amd"))
		return f->cpu != HOSTCHECK_CPU_INTEL;
	return false;
}

/* "install kvm_intel /bin/false" (or true) replaces loading with a no-op. */
static bool install_disables(const char *cmd)
{
	char word[64];
	const char *base;

	if (sscanf(cmd, "%63s", word) != 1)
		return false;
	base = strrchr(word, '/');
	base = base ? base + 1 : word;
	return !strcmp(base, "false") || !strcmp(base, "true");
}

static void record(struct hostcheck_facts *f, const char *mod, const char *where,
		   const char *line)
{
	hc_copy(f->blacklist_module, sizeof(f->blacklist_module), mod);
	hc_copy(f->blacklist_where, sizeof(f->blacklist_where), where);
	hc_copy(f->blacklist_line, sizeof(f->blacklist_line), line);
	hc_trim(f->blacklist_line);
}

static bool conf_line_hits(const struct hostcheck_facts *f, const char *line, char *mod,
			   size_t modlen)
{
	char cmd[32], name[64];
	int used = 0;

	if (sscanf(line, " %31s %63s %n", cmd, name, &used) < 2)
		return false;
	if (!relevant(f, name))
		return false;
	hc_copy(mod, modlen, name);
	if (!strcmp(cmd, "blacklist"))
		return true;
	return !strcmp(cmd, "install") && used && install_disables(line + used);
}

static bool scan_conf(const char *root, const char *rel, struct hostcheck_facts *f)
{
	char *buf = malloc(CONF_MAX), *line, *next, where[320], mod[64];
	bool hit = false;
	int lineno = 0;

	if (!buf)
		return false;
	if (hc_read_file(root, rel, buf, CONF_MAX) < 0)
		goto out;
	for (line = buf; line; line = next) {
		char *hash;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		hit = conf_line_hits(f, line, mod, sizeof(mod));
		if (hit)
			break;
	}
	if (hit) {
		snprintf(where, sizeof(where), "/%s:%d", rel, lineno);
		record(f, mod, where, line);
	}
out:
	free(buf);
	return hit;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct conf_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->dir - y->dir;
}

static int list_confs(const char *root, struct conf_entry *out, int max)
{
	int n = 0;

	for (int d = 0; d < (int)(sizeof(conf_dirs) / sizeof(conf_dirs[0])); d++) {
		char path[512];
		struct dirent *de;
		DIR *dir;

		if (!hc_path(root, conf_dirs[d], path, sizeof(path)) || !(dir = opendir(path)))
			continue;
		while ((de = readdir(dir)) && n < max) {
			size_t len = strlen(de->d_name);

			if (len < 6 || len >= sizeof(out->name) || strcmp(de->d_name + len - 5, ".conf"))
				continue;
			hc_copy(out[n].name, sizeof(out->name), de->d_name);
			out[n++].dir = d;
		}
		closedir(dir);
	}
	qsort(out, (size_t)n, sizeof(*out), entry_cmp);
	return n;
}

/* Kernel parameters modprobe.blacklist= (modprobe) and module_blacklist= (the kernel itself). */
static bool scan_cmdline(const char *root, struct hostcheck_facts *f)
{
	char buf[4096], *tok, *save = NULL;

	if (hc_read_file(root, "proc/cmdline", buf, sizeof(buf)) <= 0)
		return false;
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *list = strchr(tok, '='), *mod, *save2 = NULL;

		if (!list || (strncmp(tok, "modprobe.blacklist=", 19) &&
			      strncmp(tok, "module_blacklist=", 17)))
			continue;
		for (mod = strtok_r(list + 1, ",", &save2); mod; mod = strtok_r(NULL, ",", &save2)) {
			if (!relevant(f, mod))
				continue;
			record(f, mod, "/proc/cmdline", tok);
			return true;
		}
	}
	return false;
}

void hc_scan_blacklists(const char *root, struct hostcheck_facts *f)
{
	struct conf_entry *confs = calloc(MAX_CONFS, sizeof(*confs));
	int n;

	if (!confs)
		return;
	n = list_confs(root, confs, MAX_CONFS);
	for (int i = 0; i < n; i++) {
		char rel[300];

		if (i && !strcmp(confs[i].name, confs[i - 1].name))
			continue;	/* hidden by the same name in an earlier directory */
		snprintf(rel, sizeof(rel), "%s/%s", conf_dirs[confs[i].dir], confs[i].name);
		if (scan_conf(root, rel, f))
			goto out;
	}
	scan_cmdline(root, f);
out:
	free(confs);
}
