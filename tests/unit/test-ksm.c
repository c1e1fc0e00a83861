// SPDX-License-Identifier: GPL-2.0-or-later
/* KSM status: the host switch and ksm_stat, read from fixture trees and from this host. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksm.h"
#include "memory.h"
#include "tap.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256], dir[256];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (char *p = strchr(path + strlen(root) + 1, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - path), path);
		mkdir(dir, 0755);
	}
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0)
		abort();
	fclose(f);
}

static void rm(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	unlink(path);
}

static void test_fixtures(void)
{
	struct ksm_status st;
	char line[256];

	is_int(ksm_read_status(root, &st), 0, "empty tree: not an error");
	is_int(st.run, -1, "empty tree: no KSM");
	ksm_describe(&st, line, sizeof(line));
	ok(strstr(line, "not available"), "described as not available: %s", line);

	put("/sys/kernel/mm/ksm/run", "0\n");
	put("/proc/self/ksm_stat", "ksm_rmap_items 0\nksm_zero_pages 0\n"
	    "ksm_merging_pages 0\nksm_process_profit 0\nksm_merge_any: no\n"
	    "ksm_mergeable: no\n");
	is_int(ksm_read_status(root, &st), 0, "run=0 tree");
	is_int(st.run, 0, "run is 0");
	ksm_describe(&st, line, sizeof(line));
	ok(strstr(line, "KSM is off on this host"), "says: %s", line);

	put("/sys/kernel/mm/ksm/run", "1\n");
	put("/proc/self/ksm_stat", "ksm_rmap_items 5000\nksm_merging_pages 4096\n");
	is_int(ksm_read_status(root, &st), 0, "run=1, a 6.1-style ksm_stat");
	is_int(st.rmap_items, 5000, "rmap items");
	is_int(st.merging_pages, 4096, "merging pages");
	is_int(st.zero_pages, -1, "zero pages absent: -1");
	is_int(st.profit, -1, "profit absent: -1");
	ksm_describe(&st, line, sizeof(line));
	ok(strstr(line, "4096 pages of this VM merged"), "says: %s", line);

	rm("/proc/self/ksm_stat");
	is_int(ksm_read_status(root, &st), 0, "no ksm_stat (older kernel)");
	ksm_describe(&st, line, sizeof(line));
	ok(st.run == 1 && strstr(line, "does not report"), "says: %s", line);

	put("/sys/kernel/mm/ksm/run", "banana\n");
	is_int(ksm_read_status(root, &st), -EINVAL, "a run file that does not parse");
	put("/sys/kernel/mm/ksm/run", "7\n");
	is_int(ksm_read_status(root, &st), -EINVAL, "run 7 is not a KSM state");
	put("/sys/kernel/mm/ksm/run", "1\n");
	put("/proc/self/ksm_stat", "ksm_merging_pages lots\n");
	is_int(ksm_read_status(root, &st), -EINVAL, "a count that does not parse");
	rm("/proc/self/ksm_stat");
	rm("/sys/kernel/mm/ksm/run");
}

/* The real host: whatever it says must parse, and mergeable RAM must be accepted. */
static void test_host(void)
{
	struct vm_memory m;
	struct ksm_status st;
	char line[256];

	is_int(ksm_read_status("/", &st), 0, "this host's KSM files parse");
	ksm_describe(&st, line, sizeof(line));
	printf("# %s\n", line);
	is_int(vm_memory_init(&m, 8ull << 20), 0, "8 MiB guest RAM");
	is_int(vm_memory_set_mergeable(&m, true), st.run < 0 ? -EINVAL : 0,
	       "MADV_MERGEABLE on guest RAM");
	is_int(vm_memory_set_mergeable(&m, false), st.run < 0 ? -EINVAL : 0, "and back");
	vm_memory_destroy(&m);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/vessel-ksm-XXXXXX");
	if (!mkdtemp(root))
		abort();
	test_fixtures();
	test_host();
	static const char *const dirs[] = { "/sys/kernel/mm/ksm", "/sys/kernel/mm",
					    "/sys/kernel", "/sys", "/proc/self", "/proc", "" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		rmdir(path);
	}
	return tap_done();
}
