// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot RAM: sparse memory file (zero pages are holes), checks, private lazy mapping. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snap-ram.h"
#include "tap.h"

#define MiB (1ull << 20)

static unsigned progress_calls;
static double progress_last;

static void progress(void *opaque, double f)
{
	(void)opaque;
	progress_calls++;
	progress_last = f;
}

/* A few scattered non-zero pages, one page with its only non-zero byte at the very end. */
static void dirty(struct vm_memory *m)
{
	uint8_t page[3 * 4096];

	memset(page, 0xA5, sizeof(page));
	vm_memory_write(m, 0x1000, page, 4096);
	vm_memory_write(m, 0x9f000, page, 4096);		/* last page below 640K */
	vm_memory_write(m, 0x100000, page, sizeof(page));	/* a run of three */
	vm_memory_write(m, 0x2000000 + 4095, "\x01", 1);
	vm_memory_write(m, 0x3fff000, "tail", 4);		/* the last page of RAM */
}

static void test_save_and_map(const char *path)
{
	struct vm_memory a, b;
	struct snap_ram_table t, t2;
	struct snap_prefetch *pf;
	char err[256] = "";
	struct stat st;
	uint8_t *pa, *pb;

	vm_memory_init(&a, 64 * MiB);
	vm_memory_init(&b, 64 * MiB);
	dirty(&a);
	is_int(snap_ram_save(&a, path, &t, progress, NULL, err, sizeof(err)), 0,
	       "64 MiB saved (%s)", err);
	ok(progress_calls >= 1 && progress_last > 0.99, "progress reached 1 (%u calls)",
	   progress_calls);
	stat(path, &st);
	is_int(st.st_size, t.file_size, "file size as the table says");
	ok(t.file_size >= 64 * MiB - (PC_VGA_END - PC_LOW_RAM_END), "every region has its place");
	ok((uint64_t)st.st_blocks * 512 <= 64 * 1024, "sparse: %llu bytes allocated for 7 pages",
	   (unsigned long long)st.st_blocks * 512);
	is_int(snap_ram_save(&a, path, &t2, NULL, NULL, err, sizeof(err)), -EEXIST,
	       "an existing memory file is never overwritten");

	is_int(snap_ram_check(&b, &t, sizeof(t), path, &t2, err, sizeof(err)), 0, "table checks");
	vm_memory_write(&b, 0x5000, "fresh", 5);
	is_int(snap_ram_map(&b, path, &t2, &pf, err, sizeof(err)), 0, "mapped privately (%s)", err);
	ok(b.regions[0].file_private && b.regions[b.nregions - 1].file_private,
	   "regions marked file-private");
	pa = vm_memory_ptr(&a, 0, 0xa0000);
	pb = vm_memory_ptr(&b, 0, 0xa0000);
	ok(pa && pb && !memcmp(pa, pb, 0xa0000), "low RAM identical, the fresh VM's bytes gone");
	pa = vm_memory_ptr(&a, PC_VGA_END, 64 * MiB - PC_VGA_END);
	pb = vm_memory_ptr(&b, PC_VGA_END, 64 * MiB - PC_VGA_END);
	ok(pa && pb && !memcmp(pa, pb, 64 * MiB - PC_VGA_END), "all of RAM identical");
	/* Copy-on-write: the guest writing must not reach the snapshot. */
	vm_memory_write(&b, 0x1000, "guest", 5);
	{
		int fd = open(path, O_RDONLY);
		uint8_t c = 0;

		ok(pread(fd, &c, 1, 0x1000) == 1 && c == 0xA5, "a write after restore stays "
		   "private; the file keeps 0xA5");
		close(fd);
	}
	ok(vm_memory_allocated(&b) == 0, "the replaced memfd pages were freed (%llu bytes left)",
	   (unsigned long long)vm_memory_allocated(&b));
	/* The balloon's discard on a private region drops the copy: the file's bytes return. */
	ok(vm_memory_any_file_private(&b), "the balloon can see the regions are file-private");
	is_int(vm_memory_discard(&b, 0x1000, 4096), 0, "discard a private page");
	pb = vm_memory_ptr(&b, 0x1000, 1);
	ok(pb && *pb == 0xA5, "after discard the page reads the snapshot's byte again");
	snap_prefetch_stop(pf);
	ok(b.discarded == NULL, "stopping the prefetch unhooks it from discards");
	vm_memory_destroy(&a);
	vm_memory_destroy(&b);
}

/*
 * /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst): bit 63 page present, bit
 * 61 file page or shared anonymous. A private copy is present and anonymous.
 */
static uint64_t pagemap_entry(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / 4096 * sizeof(e))) != sizeof(e))
		e = 0;
	close(fd);
	return e;
}

static bool is_private_copy(const void *p)
{
	uint64_t e = pagemap_entry(p);

	return (e >> 63 & 1) && !(e >> 61 & 1);
}

static bool is_present(const void *p)
{
	return pagemap_entry(p) >> 63 & 1;
}

/* Wait up to 3 s for the populate thread to reach want bytes; what it reached. */
static uint64_t wait_populated(const struct snap_prefetch *pf, uint64_t want)
{
	for (int i = 0; i < 300 && snap_prefetch_populated(pf) < want; i++)
		usleep(10000);
	return snap_prefetch_populated(pf);
}

/* The populate thread maps exactly the data ranges, and the balloon's discard stops it. */
static void test_prefetch(const char *path)
{
	struct vm_memory a, b, c;
	struct snap_ram_table t, t2;
	struct snap_prefetch *pf;
	char err[256] = "";
	uint8_t *buf = malloc(8 * MiB);
	uint64_t got;

	vm_memory_init(&a, 64 * MiB);
	memset(buf, 0x5A, 8 * MiB);
	vm_memory_write(&a, 16 * MiB, buf, 8 * MiB);		/* 4 chunks of data */
	vm_memory_write(&a, 40 * MiB, buf, 4096);		/* and one page */
	unlink(path);
	is_int(snap_ram_save(&a, path, &t, NULL, NULL, err, sizeof(err)), 0, "saved (%s)", err);
	snap_ram_check(&a, &t, sizeof(t), path, &t2, err, sizeof(err));

	vm_memory_init(&b, 64 * MiB);
	is_int(snap_ram_map(&b, path, &t2, &pf, err, sizeof(err)), 0, "mapped (%s)", err);
	ok(pf != NULL, "a populate thread started");
	got = wait_populated(pf, 8 * MiB + 4096);
	usleep(50000);
	got = snap_prefetch_populated(pf);
	ok(got == 8 * MiB + 4096, "it populated the data ranges only: %llu bytes",
	   (unsigned long long)got);
	/* MADV_POPULATE_WRITE: the guest's first write finds its own page, no copy to make. */
	ok(is_private_copy(vm_memory_ptr(&b, 16 * MiB, 1)) &&
	   is_private_copy(vm_memory_ptr(&b, 24 * MiB - 4096, 1)) &&
	   is_private_copy(vm_memory_ptr(&b, 40 * MiB, 1)),
	   "populated pages are the VM's own copies (pagemap %#llx)",
	   (unsigned long long)pagemap_entry(vm_memory_ptr(&b, 16 * MiB, 1)));
	ok(!is_present(vm_memory_ptr(&b, 32 * MiB, 1)), "a hole in the file stays unmapped");
	ok(!memcmp(vm_memory_ptr(&b, 16 * MiB, 8 * MiB), buf, 8 * MiB), "populated RAM reads "
	   "the snapshot");
	{
		int fd = open(path, O_RDONLY);
		uint8_t byte = 0;

		*(volatile uint8_t *)vm_memory_ptr(&b, 16 * MiB, 1) = 0x11;
		ok(pread(fd, &byte, 1, (off_t)(t2.r[1].offset + 16 * MiB - t2.r[1].gpa)) == 1 &&
		   byte == 0x5A, "a write to a populated page stays private; the file keeps 0x5A");
		close(fd);
	}
	snap_prefetch_stop(pf);
	vm_memory_destroy(&b);

	/* A discard before its start delay: it never populates anything. */
	vm_memory_init(&c, 64 * MiB);
	is_int(snap_ram_map(&c, path, &t2, &pf, err, sizeof(err)), 0, "mapped again");
	is_int(vm_memory_discard(&c, 16 * MiB, 4096), 0, "the balloon discards a page");
	usleep(200000);
	is_int(snap_prefetch_populated(pf), 0, "the discard stopped the populate thread");
	snap_prefetch_stop(pf);
	vm_memory_destroy(&c);
	vm_memory_destroy(&a);
	free(buf);
}

/*
 * A data range of the memfd with zero pages inside: the saver allocates the range's blocks
 * before its direct writes (fallocate), and only that range: zero pages read back as
 * zeros, the rest of RAM stays holes.
 */
static void test_zero_pages_in_range(const char *path)
{
	struct vm_memory a;
	struct snap_ram_table t;
	char err[256] = "";
	uint8_t *buf = malloc(4 * MiB), *back = malloc(4 * MiB);
	uint64_t foff;
	struct stat st;
	int fd;

	vm_memory_init(&a, 64 * MiB);
	memset(buf, 0, 4 * MiB);
	for (uint64_t off = 0; off < 4 * MiB; off += 128 * 1024)
		memset(buf + off, 0x3C, 64 * 1024);	/* 64 KiB data, 64 KiB zeros, ... */
	vm_memory_write(&a, 32 * MiB, buf, 4 * MiB);	/* the zeros are memfd data too */
	unlink(path);
	is_int(snap_ram_save(&a, path, &t, NULL, NULL, err, sizeof(err)), 0, "saved (%s)", err);
	foff = t.r[1].offset + 32 * MiB - t.r[1].gpa;
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && pread(fd, back, 4 * MiB, (off_t)foff) == (ssize_t)(4 * MiB) &&
	   !memcmp(back, buf, 4 * MiB), "data and the zero pages between it read back");
	fstat(fd, &st);
	ok((uint64_t)st.st_blocks * 512 <= 4 * MiB + 64 * 1024, "blocks only for that range: "
	   "%llu bytes", (unsigned long long)st.st_blocks * 512);
	close(fd);
	vm_memory_destroy(&a);
	free(buf);
	free(back);
}

static void test_check_hostile(const char *path)
{
	struct vm_memory m, small;
	struct snap_ram_table t, good, out;
	char err[256];

	vm_memory_init(&m, 64 * MiB);
	vm_memory_init(&small, 32 * MiB);
	memset(&good, 0, sizeof(good));
	unlink(path);
	snap_ram_save(&m, path, &good, NULL, NULL, err, sizeof(err));

	ok(snap_ram_check(&m, &good, sizeof(good) - 1, path, &out, err, sizeof(err)) == -EINVAL,
	   "short table: %s", err);
	t = good;
	t.version = 9;
	ok(snap_ram_check(&m, &t, sizeof(t), path, &out, err, sizeof(err)) == -EINVAL &&
	   strstr(err, "version 9"), "wrong version: %s", err);
	ok(snap_ram_check(&small, &good, sizeof(good), path, &out, err, sizeof(err)) == -EINVAL &&
	   strstr(err, "region 1"), "another VM's layout: %s", err);
	t = good;
	t.r[1].offset = ~0ull & ~0xfffull;
	ok(snap_ram_check(&m, &t, sizeof(t), path, &out, err, sizeof(err)) == -EINVAL &&
	   strstr(err, "outside the memory file"), "offset past the file: %s", err);
	t = good;
	t.r[0].offset = 12;
	ok(snap_ram_check(&m, &t, sizeof(t), path, &out, err, sizeof(err)) == -EINVAL,
	   "unaligned offset: %s", err);
	ok(!truncate(path, (off_t)good.file_size - 4096) &&
	   snap_ram_check(&m, &good, sizeof(good), path, &out, err, sizeof(err)) == -EINVAL &&
	   strstr(err, "the state file says"), "a truncated memory file: %s", err);
	unlink(path);
	ok(snap_ram_check(&m, &good, sizeof(good), path, &out, err, sizeof(err)) == -ENOENT,
	   "a missing memory file: %s", err);
	vm_memory_destroy(&m);
	vm_memory_destroy(&small);
}

int main(void)
{
	char dir[] = "/tmp/test-snap-ram-XXXXXX", path[512];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/memory", dir);
	test_save_and_map(path);
	test_prefetch(path);
	test_zero_pages_in_range(path);
	test_check_hostile(path);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
