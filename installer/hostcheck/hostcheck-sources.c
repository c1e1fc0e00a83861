// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check signal parsers: /proc/cpuinfo, /proc/modules, module parameters, the kernel log. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostcheck-private.h"

#define CPUINFO_MAX	(64 * 1024)
#define MODULES_MAX	(256 * 1024)
#define KMSG_MAX_BYTES	(8u << 20)

/* Is word one of the space-separated tokens of list? */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += wl) {
		bool start = p == list || isspace((unsigned char)p[-1]);
		bool end = p[wl] == '\0' || isspace((unsigned char)p[wl]);

		if (start && end)
			return true;
	}
	return false;
}

static void cpuinfo_field(struct hostcheck_facts *f, const char *key, const char *val)
{
	if (!strcmp(key, "vendor_id") && !f->cpu_vendor_id[0]) {
		hc_copy(f->cpu_vendor_id, sizeof(f->cpu_vendor_id), val);
	} else if (!strcmp(key, "flags")) {
		f->cpuinfo_ok = true;
		f->flag_vmx = has_word(val, "vmx");
		f->flag_svm = has_word(val, "svm");
		f->flag_npt = has_word(val, "npt");
		f->flag_hypervisor = has_word(val, "hypervisor");
	} else if (!strcmp(key, "vmx flags")) {
		/* Linux 5.8+ lists the VMX sub-features here (arch/x86/kernel/cpu/proc.c). */
		f->vmx_flags_line = true;
		f->vmx_ept = has_word(val, "ept");
		f->vmx_unrestricted = has_word(val, "unrestricted_guest");
	}
}

/* Only the first processor block: the kernel clears a feature on every CPU alike. */
void hc_parse_cpuinfo(const char *root, struct hostcheck_facts *f)
{
	char *buf = malloc(CPUINFO_MAX), *line, *save = NULL;
	bool seen_processor = false;

	if (!buf)
		return;
	if (hc_read_file(root, "proc/cpuinfo", buf, CPUINFO_MAX) <= 0)
		goto out;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		hc_trim(line);
		if (!strcmp(line, "processor")) {
			if (seen_processor)
				break;
			seen_processor = true;
		}
		hc_trim(colon + 1);
		cpuinfo_field(f, line, colon + 1);
	}
out:
	free(buf);
}

static bool modules_list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, name, nl) && p[nl] == ' ')
			return true;
	}
	return false;
}

static enum hostcheck_mod module_state(const char *root, const char *list, const char *name)
{
	char rel[96], state[32];

	if (list && modules_list_has(list, name))
		return HOSTCHECK_MOD_LOADED;
	snprintf(rel, sizeof(rel), "sys/module/%s/initstate", name);
	if (hc_read_line(root, rel, state, sizeof(state)) == 0)
		return strcmp(state, "live") ? HOSTCHECK_MOD_ABSENT : HOSTCHECK_MOD_LOADED;
	/* Built-in modules with parameters get a /sys/module directory but no initstate. */
	snprintf(rel, sizeof(rel), "sys/module/%s", name);
	if (hc_exists(root, rel))
		return HOSTCHECK_MOD_BUILTIN;
	if (list || hc_exists(root, "sys/module"))
		return HOSTCHECK_MOD_ABSENT;
	return HOSTCHECK_MOD_UNKNOWN;
}

/* Kernel drivers of other hypervisors that take VMX/SVM for themselves. */
static const struct {
	const char *module, *program;
} conflicts[] = {
	{ "vboxdrv", "VirtualBox" },
	{ "vmmon", "VMware Workstation or Player" },
};

void hc_scan_modules(const char *root, struct hostcheck_facts *f)
{
	char *list = malloc(MODULES_MAX);

	if (list && hc_read_file(root, "proc/modules", list, MODULES_MAX) >= 0) {
		f->modules_ok = true;
	} else {
		free(list);
		list = NULL;
	}
	f->mod_kvm = module_state(root, list, "kvm");
	f->mod_kvm_intel = module_state(root, list, "kvm_intel");
	f->mod_kvm_amd = module_state(root, list, "kvm_amd");
	f->mod_kvm_pvm = module_state(root, list, "kvm_pvm");
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		if (module_state(root, list, conflicts[i].module) != HOSTCHECK_MOD_LOADED)
			continue;
		f->conflict_module = conflicts[i].module;
		f->conflict_program = conflicts[i].program;
		break;
	}
	free(list);
}

static enum hostcheck_tri read_bool_param(const char *root, const char *module, const char *param)
{
	char rel[128], val[16];

	snprintf(rel, sizeof(rel), "sys/module/%s/parameters/%s", module, param);
	if (hc_read_line(root, rel, val, sizeof(val)) < 0 || !val[0])
		return HOSTCHECK_TRI_UNKNOWN;
	/* Bool parameters print Y/N; kvm_amd's int ones print 1/0. */
	if (val[0] == 'Y' || val[0] == 'y' || val[0] == '1')
		return HOSTCHECK_TRI_YES;
	if (val[0] == 'N' || val[0] == 'n' || val[0] == '0')
		return HOSTCHECK_TRI_NO;
	return HOSTCHECK_TRI_UNKNOWN;
}

void hc_read_module_params(const char *root, struct hostcheck_facts *f)
{
	enum hostcheck_tri intel = read_bool_param(root, "kvm_intel", "nested");
	enum hostcheck_tri amd = read_bool_param(root, "kvm_amd", "nested");

	if (f->cpu == HOSTCHECK_CPU_AMD)
		f->nested = amd ? amd : intel;
	else
		f->nested = intel ? intel : amd;
	f->param_ept = read_bool_param(root, "kvm_intel", "ept");
	f->param_unrestricted = read_bool_param(root, "kvm_intel", "unrestricted_guest");
	f->param_npt = read_bool_param(root, "kvm_amd", "npt");
}

/* Kernel messages listed in the notes §1, old and new spellings. */
int hc_kmsg_classify(const char *msg)
{
	bool kvm = strcasestr(msg, "kvm") || strcasestr(msg, "vmx") || strcasestr(msg, "svm");

	if (!kvm)
		return 0;
	if (strcasestr(msg, "disabled by bios") || strcasestr(msg, "disabled (by bios)") ||
	    strcasestr(msg, "not enabled (by bios)"))
		return 1;
	if (strcasestr(msg, "not supported by cpu") || strcasestr(msg, "no hardware support"))
		return 2;
	return 0;
}

/* "6,339,5140900,-;text" (/dev/kmsg) or "[    0.35] text" (dmesg) or plain text. */
static const char *kmsg_text(const char *line)
{
	const char *semi = strchr(line, ';');
	const char *space = strchr(line, ' ');

	if (isdigit((unsigned char)line[0]) && semi && (!space || semi < space))
		return semi + 1;
	if (line[0] == '[' && strchr(line, ']')) {
		line = strchr(line, ']') + 1;
		while (*line == ' ')
			line++;
	}
	return line;
}

struct kmsg_scan {
	struct hostcheck_facts *f;
	char line[512];
	size_t n;
};

static void kmsg_line(struct kmsg_scan *s)
{
	const char *text;

	s->line[s->n] = '\0';
	s->n = 0;
	/* /dev/kmsg continuation lines (" SUBSYSTEM=...") start with a space. */
	if (s->line[0] == ' ' || !s->line[0])
		return;
	text = kmsg_text(s->line);
	switch (hc_kmsg_classify(text)) {
	case 1:
		if (!s->f->kmsg_bios[0])
			hc_copy(s->f->kmsg_bios, sizeof(s->f->kmsg_bios), text);
		break;
	case 2:
		if (!s->f->kmsg_nohw[0])
			hc_copy(s->f->kmsg_nohw, sizeof(s->f->kmsg_nohw), text);
		break;
	}
}

static void kmsg_feed(struct kmsg_scan *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			kmsg_line(s);
		else if (s->n + 1 < sizeof(s->line))
			s->line[s->n++] = buf[i];
	}
}

/*
 * /dev/kmsg hands out one record per read() and EAGAIN at the end (O_NONBLOCK); a fixture's
 * regular file gives chunks and then EOF. The byte-wise line splitter handles both.
 */
void hc_scan_kmsg(const char *root, struct hostcheck_facts *f)
{
	struct kmsg_scan s = { .f = f };
	char path[512], buf[8192];
	size_t total = 0;
	int fd;

	if (!hc_path(root, "dev/kmsg", path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;		/* EPERM under dmesg_restrict without CAP_SYSLOG */
	f->kmsg_ok = true;
	while (total < KMSG_MAX_BYTES) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: a record was overwritten; go on */
		if (n <= 0)
			break;
		kmsg_feed(&s, buf, (size_t)n);
		total += (size_t)n;
	}
	if (s.n)
		kmsg_line(&s);
	close(fd);
}
