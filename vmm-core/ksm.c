// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading KSM's state: the host's switch and this process's merge counters. */
#include "ksm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSM_RUN		"/sys/kernel/mm/ksm/run"
#define KSM_STAT	"/proc/self/ksm_stat"

static FILE *open_under(const char *root, const char *path)
{
	char full[4096];
	size_t n = strlen(root);

	if (n && root[n - 1] == '/')
		n--;
	if (snprintf(full, sizeof(full), "%.*s%s", (int)n, root, path) >= (int)sizeof(full))
		return NULL;
	return fopen(full, "re");
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\n')
		end++;
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int read_run(const char *root, struct ksm_status *st)
{
	FILE *f = open_under(root, KSM_RUN);
	char line[64];
	int64_t v;
	int ret = 0;

	if (!f)
		return 0;	/* no KSM in this kernel: run stays -1 */
	if (!fgets(line, sizeof(line), f) || parse_i64(line, &v) || v < 0 || v > 2)
		ret = -EINVAL;
	else
		st->run = (int)v;
	fclose(f);
	return ret;
}

/* "name value" lines; names we do not know (ksm_merge_any: no, ...) are skipped. */
static int stat_line(char *line, struct ksm_status *st)
{
	static const struct { const char *name; size_t off; } fields[] = {
		{ "ksm_rmap_items", offsetof(struct ksm_status, rmap_items) },
		{ "ksm_merging_pages", offsetof(struct ksm_status, merging_pages) },
		{ "ksm_zero_pages", offsetof(struct ksm_status, zero_pages) },
		{ "ksm_process_profit", offsetof(struct ksm_status, profit) },
	};
	char *sp = strchr(line, ' ');

	if (!sp)
		return 0;
	*sp = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(line, fields[i].name))
			return parse_i64(sp + 1, (int64_t *)((char *)st + fields[i].off));
	return 0;
}

static int read_stat(const char *root, struct ksm_status *st)
{
	FILE *f = open_under(root, KSM_STAT);
	char line[256];
	int ret = 0;

	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f))
		ret = stat_line(line, st);
	fclose(f);
	return ret;
}

int ksm_read_status(const char *root, struct ksm_status *st)
{
	int ret;

	*st = (struct ksm_status){ -1, -1, -1, -1, -1 };
	ret = read_run(root ? root : "", st);
	return ret ? ret : read_stat(root ? root : "", st);
}

void ksm_describe(const struct ksm_status *st, char *buf, size_t len)
{
	if (st->run < 0) {
		snprintf(buf, len, "KSM is not available on this host (no %s)", KSM_RUN);
		return;
	}
	if (st->run == 0) {
		snprintf(buf, len, "KSM is off on this host (%s is 0; as root: echo 1 > %s)",
			 KSM_RUN, KSM_RUN);
		return;
	}
	if (st->run == 2) {
		snprintf(buf, len, "KSM is unmerging every page on this host (%s is 2)", KSM_RUN);
		return;
	}
	if (st->merging_pages < 0) {
		snprintf(buf, len, "KSM is on; this kernel does not report per-process counts");
		return;
	}
	snprintf(buf, len, "KSM is on: %" PRId64 " pages of this VM merged, %" PRId64
		 " tracked", st->merging_pages, st->rmap_items < 0 ? 0 : st->rmap_items);
}
