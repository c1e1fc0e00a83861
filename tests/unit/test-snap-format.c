// SPDX-License-Identifier: GPL-2.0-or-later
/* The snapshot state file: round trip, and hostile files refused with their own message. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snap-format.h"
#include "tap.h"

static char dir[] = "/tmp/test-snap-format-XXXXXX";
static char path[512];

struct sec { uint32_t tag; const char *name; size_t len; };
static const struct sec secs[] = {
	{ SNAP_TAG_DEVICE, "sysctl", 0 },
	{ SNAP_TAG_DEVICE, "chipset", 300 },
	{ SNAP_TAG_DEVICE, "rtc", 77 },
	{ SNAP_TAG_VCPU, "vcpu0", 1000 },
	{ SNAP_TAG_VCPU, "vcpu1", 1000 },
	{ SNAP_TAG_KVM_VM, "kvm-vm", 500 },
	{ SNAP_TAG_RAM, "ram", 64 },
};
#define NSECS (sizeof(secs) / sizeof(secs[0]))

static void make_desc(struct snap_vm_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->hdr.ncpus = 2;
	d->hdr.ndevices = 3;
	d->hdr.ram_size = 64ull << 20;
	snap_header_set_cpu(&d->hdr);
	strcpy(d->names[0], "sysctl");
	strcpy(d->names[1], "chipset");
	strcpy(d->names[2], "rtc");
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Write the reference file; returns its size. */
static size_t write_good(void)
{
	struct snap_vm_desc d;
	struct snap_writer w;
	uint8_t buf[1000];
	char err[256];
	struct stat st;

	unlink(path);
	make_desc(&d);
	if (snap_writer_open(&w, path, &d, err, sizeof(err)))
		return 0;
	for (unsigned i = 0; i < NSECS; i++) {
		fill(buf, secs[i].len, i);
		if (snap_writer_section(&w, secs[i].tag, secs[i].name, buf, secs[i].len))
			return 0;
	}
	if (snap_writer_finish(&w) || stat(path, &st))
		return 0;
	return (size_t)st.st_size;
}

static uint8_t *slurp(size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	b = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void spill(const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);

	if (write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* Open a damaged file: it must be refused, with `want` in the message, the file untouched. */
static void refused(const uint8_t *b, size_t len, const char *want, const char *what)
{
	struct snap_reader r;
	char err[256] = "";
	uint32_t before = snap_crc32(0, b, len), after;
	uint8_t *again;
	size_t alen = 0;
	int ret;

	spill(b, len);
	ret = snap_reader_open(&r, path, err, sizeof(err));
	again = slurp(&alen);
	after = again ? snap_crc32(0, again, alen) : 0;
	free(again);
	ok(ret < 0 && strstr(err, want) && strstr(err, path) && alen == len && after == before,
	   "%s: refused (%s), file unchanged", what, err);
}

static void test_round_trip(size_t size)
{
	struct snap_vm_desc d;
	struct snap_reader r;
	uint8_t buf[1000];
	char err[256] = "";
	bool same = true;

	make_desc(&d);
	is_int(snap_reader_open(&r, path, err, sizeof(err)), 0, "the good file opens (%s)", err);
	ok(r.size == size, "whole file read");
	ok(!memcmp(&r.desc, &d, sizeof(d)), "header and device names read back");
	is_int(r.nsecs, NSECS, "all sections, the end section not among them");
	for (unsigned i = 0; i < NSECS && i < r.nsecs; i++) {
		fill(buf, secs[i].len, i);
		same &= r.secs[i].tag == secs[i].tag && !strcmp(r.secs[i].name, secs[i].name) &&
			r.secs[i].length == secs[i].len && !memcmp(r.secs[i].data, buf, secs[i].len);
	}
	ok(same, "every section's tag, name, length and data read back");
	same = true;
	for (unsigned i = 0; i < r.nsecs; i++)
		same &= ((uintptr_t)r.secs[i].data & 7) == 0;
	ok(same, "every section's data is 8-byte aligned in the reader's buffer");
	ok(snap_reader_find(&r, SNAP_TAG_VCPU, 1) == &r.secs[4], "find: second vCPU");
	ok(!snap_reader_find(&r, SNAP_TAG_VCPU, 2), "find: no third vCPU");
	is_int(snap_desc_check(&r.desc, &d, path, err, sizeof(err)), 0, "the same VM matches");
	snap_reader_close(&r);
	is_int(snap_crc32(0, "123456789", 9), 0xcbf43926, "CRC-32 check value (IEEE 802.3)");
}

/* Offsets where each section header starts, walking the good file. */
static unsigned boundaries(const uint8_t *b, size_t *at)
{
	struct snap_file_head h;
	struct snap_section_head sh;
	size_t off;
	unsigned n = 0;

	memcpy(&h, b, sizeof(h));
	off = sizeof(h) + h.header_len;
	for (unsigned i = 0; i <= NSECS; i++) {
		at[n++] = off;
		memcpy(&sh, b + off, sizeof(sh));
		off += sizeof(sh) + sh.length + snap_pad(sh.length);
	}
	return n;
}

static void test_truncated(const uint8_t *good, size_t size)
{
	struct snap_reader r;
	char err[256], what[64];
	size_t at[NSECS + 1];
	unsigned n = boundaries(good, at), all = 0;

	for (unsigned i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "cut at section %u's start", i);
		refused(good, at[i], "ends inside a section header", what);
		if (i < NSECS && secs[i].len) {
			snprintf(what, sizeof(what), "cut inside section '%s'", secs[i].name);
			refused(good, at[i] + sizeof(struct snap_section_head) + secs[i].len / 2,
				"runs past the end of the file", what);
		}
	}
	/* Every shorter length at all: never accepted. */
	for (size_t len = 0; len < size; len++) {
		spill(good, len);
		all += snap_reader_open(&r, path, err, sizeof(err)) < 0;
	}
	is_int(all, size, "each of the %zu truncations is refused", size);
}

static void test_flipped(const uint8_t *good, size_t size)
{
	uint8_t *b = malloc(size + 16);
	size_t at[NSECS + 1];
	char want[64], what[64];

	boundaries(good, at);
	for (unsigned i = 0; i < NSECS; i++) {
		if (!secs[i].len)
			continue;
		memcpy(b, good, size);
		b[at[i] + sizeof(struct snap_section_head) + secs[i].len - 1] ^= 0x10;
		snprintf(want, sizeof(want), "section '%s' CRC mismatch", secs[i].name);
		snprintf(what, sizeof(what), "a flipped byte in '%s'", secs[i].name);
		refused(b, size, want, what);
	}
	memcpy(b, good, size);
	b[at[2] + sizeof(struct snap_section_head) + secs[2].len] = 1;	/* rtc's padding */
	refused(b, size, "section 'rtc' runs past the end of the file or has non-zero padding",
		"a non-zero padding byte");
	memcpy(b, good, size);
	b[sizeof(struct snap_file_head) + 8] ^= 1;	/* ram_size */
	refused(b, size, "header CRC mismatch", "a flipped byte in the header");
	memcpy(b, good, size);
	b[0] = 'X';
	refused(b, size, "bad magic", "wrong magic");
	memcpy(b, good, size);
	b[8] = 1;
	refused(b, size, "format version 1; this Vessel reads version 2", "an older version");
	memcpy(b, good, size);
	b[8] = 3;
	refused(b, size, "format version 3", "a newer version");
	memcpy(b, good, size);
	memset(b + SNAP_MARKER_OFFSET, 0, 4);
	refused(b, size, "marker is corrupt", "a damaged marker");
	memcpy(b, good, size);
	memcpy(b + size, "trailing", 8);
	refused(b, size + 8, "bytes after the end section", "trailing bytes");
	free(b);
}

static void test_lengths(const uint8_t *good, size_t size)
{
	uint8_t *b = malloc(size);
	size_t at[NSECS + 1];
	struct snap_section_head sh;
	uint32_t hl;

	boundaries(good, at);
	memcpy(b, good, size);
	memcpy(&sh, b + at[2], sizeof(sh));
	sh.length = ~0ull - 8;		/* off + length would wrap */
	memcpy(b + at[2], &sh, sizeof(sh));
	refused(b, size, "section 'rtc' runs past the end of the file", "length that wraps");
	memcpy(b, good, size);
	memcpy(&sh, b + at[3], sizeof(sh));
	sh.length = size;
	memcpy(b + at[3], &sh, sizeof(sh));
	refused(b, size, "section 'vcpu0' runs past the end of the file", "length past the end");
	memcpy(b, good, size);
	hl = 0xfffffff0u;
	memcpy(b + 16, &hl, 4);
	refused(b, size, "header length 4294967280 runs past", "huge header length");
	free(b);
}

/* A file of nothing but empty sections: refused without allocating for millions. */
static void test_too_many(const uint8_t *good, size_t size)
{
	size_t at[NSECS + 1], n = SNAP_MAX_SECTIONS + 2, len;
	struct snap_section_head sh = { .tag = SNAP_TAG_DEVICE, .name = "x" };
	uint8_t *b;

	boundaries(good, at);
	len = at[0] + (n + 1) * sizeof(sh);
	b = calloc(1, len);
	memcpy(b, good, at[0]);
	sh.crc = snap_crc32(0, NULL, 0);
	for (size_t i = 0; i < n; i++)
		memcpy(b + at[0] + i * sizeof(sh), &sh, sizeof(sh));
	sh.tag = SNAP_TAG_END;
	memcpy(b + at[0] + n * sizeof(sh), &sh, sizeof(sh));
	refused(b, len, "more sections than any VM has", "too many sections");
	free(b);
	(void)size;
}

static void test_partial(const uint8_t *good, size_t size)
{
	uint8_t *b = malloc(size);
	uint32_t m = SNAP_MARKER_PARTIAL;

	memcpy(b, good, size);
	memcpy(b + SNAP_MARKER_OFFSET, &m, 4);
	refused(b, size, "the save did not complete (partial marker)", "partial marker");
	free(b);
}

/* A writer that never finished leaves a partial file. */
static void test_unfinished(void)
{
	struct snap_vm_desc d;
	struct snap_writer w;
	struct snap_reader r;
	char err[256] = "";

	unlink(path);
	make_desc(&d);
	snap_writer_open(&w, path, &d, err, sizeof(err));
	snap_writer_section(&w, SNAP_TAG_DEVICE, "sysctl", NULL, 0);
	close(w.fd);	/* as if the process died here */
	ok(snap_reader_open(&r, path, err, sizeof(err)) < 0 && strstr(err, "partial marker"),
	   "an unfinished save is recognised: %s", err);
	is_int(snap_writer_open(&w, path, &d, err, sizeof(err)), -EEXIST,
	       "a writer never overwrites an existing state file");
}

static void check_mismatch(struct snap_vm_desc *now, const char *want, const char *what)
{
	struct snap_vm_desc saved;
	char err[256] = "";

	make_desc(&saved);
	ok(snap_desc_check(&saved, now, path, err, sizeof(err)) == -EINVAL && strstr(err, want),
	   "%s refused: %s", what, err);
	make_desc(now);
}

static void test_mismatch(void)
{
	struct snap_vm_desc now;

	make_desc(&now);
	now.hdr.ncpus = 4;
	check_mismatch(&now, "taken with 2 vCPUs; this VM has 4", "vCPU count");
	now.hdr.ram_size = 128ull << 20;
	check_mismatch(&now, "taken with 64 MiB of RAM; this VM has 128 MiB", "RAM size");
	now.hdr.cpu_model ^= 1;
	check_mismatch(&now, "CPU family", "CPU model");
	strcpy(now.hdr.cpu_vendor, "OtherVendor");
	check_mismatch(&now, "this host is OtherVendor", "CPU vendor");
	now.hdr.ndevices = 2;
	check_mismatch(&now, "taken with 3 devices; this VM has 2", "device count");
	strcpy(now.names[1], "i8042");
	check_mismatch(&now, "device 1 is 'chipset' in the snapshot but 'i8042'", "device list");
}

int main(void)
{
	uint8_t *good;
	size_t size, got = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/state", dir);
	size = write_good();
	ok(size > 0, "a state file is written (%zu bytes)", size);
	good = slurp(&got);
	test_round_trip(size);
	test_truncated(good, size);
	test_flipped(good, size);
	test_lengths(good, size);
	test_partial(good, size);
	test_too_many(good, size);
	test_unfinished();
	test_mismatch();
	free(good);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
