// SPDX-License-Identifier: GPL-2.0-or-later
/* Hostile qcow2 images: clear errors, no crash, and the file left exactly as it was. */
#include "block/qcow2-private.h"
#include "qcow2-test-util.h"
#include "tap.h"

#define CS	65536u

static uint8_t *good;		/* a valid image: 4 MiB disk, data in 3 clusters */
static size_t good_len;

static void make_good(void)
{
	uint8_t buf[3 * CS];
	char err[512];
	struct blk *b;

	qcow2_create(qt_path("good.qcow2"), 4 * MIB, NULL, NULL, CS, err, sizeof(err));
	b = qt_open(qt_path("good.qcow2"), false);
	qt_fill(buf, sizeof(buf), 3);
	if (b)
		blk_pwrite(b, 100000, buf, sizeof(buf));
	blk_close(b);
	good = qt_read_file(qt_path("good.qcow2"), &good_len);
	if (!good) {
		printf("Bail out! cannot build the good image\n");
		exit(1);
	}
}

/* Offsets in the good image (our own layout: header, refcount table, block, L1, ...). */
static uint64_t l1_off(void)
{
	return qcow2_get64(good + 40);
}

static uint64_t first_l2(void)
{
	return qcow2_get64(good + l1_off()) & QCOW2_OFFSET_MASK;
}

typedef void (*patch_fn)(uint8_t *img, size_t *len);

static int try_open(const char *name, bool ro, char *err, size_t errlen)
{
	struct blk_open_opts o = { .read_only = ro };
	struct blk *b;
	int ret;

	err[0] = 0;
	ret = blk_open(qt_path(name), &o, &b, err, errlen);
	if (!ret)
		blk_close(b);
	return ret;
}

/* Refused read-only and read-write, with a message, the file unchanged. */
static void expect_refused(const char *what, patch_fn patch, const char *needle)
{
	uint8_t *img = malloc(good_len + 16 * MIB);
	size_t len = good_len;
	char err[1024];
	uint64_t h;
	int ro, rw;

	memcpy(img, good, good_len);
	patch(img, &len);
	qt_write_file(qt_path("hostile.qcow2"), img, len);
	h = qt_file_hash(qt_path("hostile.qcow2"));
	ro = try_open("hostile.qcow2", true, err, sizeof(err));
	ok(ro < 0 && strstr(err, "hostile.qcow2") && (!needle || strstr(err, needle)),
	   "%s: refused read-only (%d: %s)", what, ro, err);
	rw = try_open("hostile.qcow2", false, err, sizeof(err));
	ok(rw < 0 && (!needle || strstr(err, needle)), "%s: refused read-write", what);
	ok(qt_file_hash(qt_path("hostile.qcow2")) == h, "%s: the file is unchanged", what);
	free(img);
}

static void p_l1_past_end(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 36, 0x400000);	/* 4M entries = 32 MiB, far past the file */
}

static void p_l1_unaligned(uint8_t *img, size_t *len)
{
	qcow2_put64(img + 40, l1_off() + 8);
}

static void p_l1_on_header(uint8_t *img, size_t *len)
{
	qcow2_put64(img + 40, 0);
}

static void p_rt_on_l1(uint8_t *img, size_t *len)
{
	qcow2_put64(img + 48, l1_off());
}

static void p_rt_huge(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 56, 0xffffffff);
}

static void p_l1_entry_unaligned(uint8_t *img, size_t *len)
{
	qcow2_put64(img + l1_off(), first_l2() + 512);
}

static void p_l1_entry_past_end(uint8_t *img, size_t *len)
{
	qcow2_put64(img + l1_off(), (1ull << 40) | QCOW2_COPIED);
}

static void p_l1_entry_is_l1(uint8_t *img, size_t *len)
{
	qcow2_put64(img + l1_off(), l1_off() | QCOW2_COPIED);	/* L2 table = the L1 table */
}

static void p_rt_entry_past_end(uint8_t *img, size_t *len)
{
	qcow2_put64(img + qcow2_get64(img + 48) + 8, 1ull << 41);
}

static void p_refcount_order(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 96, 7);
}

static void p_cluster_bits_8(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 20, 8);
}

static void p_cluster_bits_63(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 20, 63);
}

static void p_cluster_bits_max(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 20, 0xffffffff);
}

static void p_truncated(uint8_t *img, size_t *len)
{
	*len = 60;
}

static void p_header_len(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 100, 0x7ffffff8);
}

static void p_ext_overrun(uint8_t *img, size_t *len)
{
	/* the first extension after the 112-byte header claims 1 MiB */
	qcow2_put32(img + 112 + 4, 1u << 20);
}

static void p_backing_outside(uint8_t *img, size_t *len)
{
	qcow2_put64(img + 8, CS - 4);
	qcow2_put32(img + 16, 100);
}

static void p_size_too_big(uint8_t *img, size_t *len)
{
	qcow2_put64(img + 24, 1ull << 62);	/* the L1 table cannot map it */
}

static void p_encrypted(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 32, 2);
}

static void p_snapshots(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 60, 0x7fffffff);
	qcow2_put64(img + 64, CS);
}

static void p_version(uint8_t *img, size_t *len)
{
	qcow2_put32(img + 4, 4);
}

static void test_refused(void)
{
	static const struct {
		const char *what;
		patch_fn fn;
		const char *needle;
	} cases[] = {
		{ "L1 size past the end of the file", p_l1_past_end, "L1" },
		{ "L1 table offset unaligned", p_l1_unaligned, "L1 table offset" },
		{ "L1 table over the header", p_l1_on_header, "L1 table" },
		{ "refcount table overlapping the L1 table", p_rt_on_l1, "overlap" },
		{ "refcount table of 2^32-1 clusters", p_rt_huge, "refcount table" },
		{ "L1 entry unaligned", p_l1_entry_unaligned, "L1 entry" },
		{ "L1 entry past the end", p_l1_entry_past_end, "L1 entry" },
		{ "L1 entry pointing at the L1 table", p_l1_entry_is_l1, "L1 entry" },
		{ "refcount block past the end", p_rt_entry_past_end, "refcount table entry" },
		{ "refcount_order 7", p_refcount_order, "refcount_order" },
		{ "cluster_bits 8", p_cluster_bits_8, "cluster_bits" },
		{ "cluster_bits 63", p_cluster_bits_63, "cluster_bits" },
		{ "cluster_bits 2^32-1", p_cluster_bits_max, "cluster_bits" },
		{ "truncated header", p_truncated, NULL },
		{ "header length 2^31-1", p_header_len, "header length" },
		{ "extension past the first cluster", p_ext_overrun, "extension" },
		{ "backing name outside the first cluster", p_backing_outside, "backing file name" },
		{ "virtual size 2^62", p_size_too_big, "L1 table" },
		{ "LUKS encryption", p_encrypted, "encrypted" },
		{ "2^31 snapshots", p_snapshots, "snapshots" },
		{ "version 4", p_version, "version 4" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].what, cases[i].fn, cases[i].needle);
}

/* Bad L2 entries are found when read: -EIO for those clusters, the rest readable. */
static void expect_bad_read(const char *what, uint64_t l2_index, uint64_t entry)
{
	uint8_t *img = malloc(good_len), buf[4096];
	uint64_t h, at = l2_index * CS;
	struct blk *b;
	int ret;

	memcpy(img, good, good_len);
	qcow2_put64(img + first_l2() + 8 * l2_index, entry);
	qt_write_file(qt_path("badl2.qcow2"), img, good_len);
	h = qt_file_hash(qt_path("badl2.qcow2"));
	b = qt_open(qt_path("badl2.qcow2"), true);
	ret = b ? blk_pread(b, at + 10, buf, sizeof(buf)) : -1;
	is_int(ret, -EIO, "%s: reading it fails with EIO", what);
	ok(b && !blk_pread(b, 3 * MIB, buf, sizeof(buf)), "%s: other clusters still read", what);
	blk_close(b);
	b = qt_open(qt_path("badl2.qcow2"), false);
	if (b) {
		blk_pread(b, at, buf, sizeof(buf));
		is_int(blk_pwrite(b, 3 * MIB, buf, 1), -EIO, "%s: no writes after that", what);
	}
	blk_close(b);
	if (!b)
		ok(1, "%s: refused read-write", what);
	ok(qt_file_hash(qt_path("badl2.qcow2")) == h, "%s: the file is unchanged", what);
	free(img);
}

static void test_bad_entries(void)
{
	uint64_t past = (1ull << 40) | QCOW2_COPIED, data = 5 * CS;

	expect_bad_read("data cluster past the end", 10, past);
	expect_bad_read("unaligned data cluster", 11, (data + 512) | QCOW2_COPIED);
	expect_bad_read("data cluster on the header", 12, 0 | QCOW2_COPIED);
	expect_bad_read("reserved bits in an L2 entry", 13, data | QCOW2_COPIED | (1ull << 57));
	expect_bad_read("compressed data past the end", 14,
			QCOW2_COMPRESSED | (0xffull << (62 - 8)) | (good_len - 100));
	expect_bad_read("compressed data starting past the end", 15,
			QCOW2_COMPRESSED | (1ull << 40));
	expect_bad_read("compressed data that does not inflate", 16,
			QCOW2_COMPRESSED | (3ull << (62 - 8)) | (2 * CS + 7));
}

/* Overlong compressed lengths in a real compressed image made by qemu-img. */
static void test_compressed_lengths(void)
{
	uint8_t *img, buf[CS];
	size_t len;
	uint64_t l1, l2, h;
	struct blk *b;
	int bad = 0;

	if (!qt_have_qemu) {
		ok(1, "compressed lengths # SKIP qemu-img not installed");
		return;
	}
	qt_fill(buf, sizeof(buf), 1);
	memset(buf, 'a', CS / 2);
	qt_write_file(qt_path("c.raw"), buf, sizeof(buf));
	qt_sh("qemu-img convert -c -f raw -O qcow2 c.raw c.qcow2");
	img = qt_read_file(qt_path("c.qcow2"), &len);
	l1 = qcow2_get64(img + 40);
	l2 = qcow2_get64(img + l1) & QCOW2_OFFSET_MASK;
	/* the sector count field of cluster 0 at its maximum: 2^8 sectors past its start */
	qcow2_put64(img + l2, qcow2_get64(img + l2) | (0xffull << (62 - 8)));
	qt_write_file(qt_path("c.qcow2"), img, len);
	h = qt_file_hash(qt_path("c.qcow2"));
	b = qt_open(qt_path("c.qcow2"), true);
	bad = b ? blk_pread(b, 0, buf, 512) : 0;
	is_int(bad, -EIO, "compressed length past the end of the file: EIO");
	blk_close(b);
	ok(qt_file_hash(qt_path("c.qcow2")) == h, "the file is unchanged");
	free(img);
}

/* Backing chains: loops through names, hard links and self-reference; depth. */
static void test_chains(void)
{
	char err[1024];
	size_t len;
	uint8_t *img, *p;
	uint64_t h;
	int ret;

	qcow2_create(qt_path("x.qcow2"), MIB, NULL, NULL, CS, err, sizeof(err));
	qcow2_create(qt_path("a.qcow2"), 0, "x.qcow2", "qcow2", CS, err, sizeof(err));
	qcow2_create(qt_path("b.qcow2"), 0, "a.qcow2", "qcow2", CS, err, sizeof(err));
	img = qt_read_file(qt_path("a.qcow2"), &len);
	p = img ? memmem(img, CS, "x.qcow2", 7) : NULL;
	if (p) {
		p[0] = 'b';	/* a -> b -> a */
		qt_write_file(qt_path("a.qcow2"), img, len);
	}
	h = qt_file_hash(qt_path("a.qcow2"));
	ret = try_open("b.qcow2", false, err, sizeof(err));
	ok(ret == -ELOOP && strstr(err, "loop"), "a -> b -> a is refused: %s", err);
	ok(qt_file_hash(qt_path("a.qcow2")) == h, "... and a.qcow2 is unchanged");
	if (p) {
		p[0] = 'a';	/* a -> a */
		qt_write_file(qt_path("a.qcow2"), img, len);
	}
	ret = try_open("a.qcow2", true, err, sizeof(err));
	ok(ret == -ELOOP, "an image backed by itself is refused: %s", err);
	free(img);
	qcow2_create(qt_path("hard.qcow2"), 0, "x.qcow2", "qcow2", CS, err, sizeof(err));
	img = qt_read_file(qt_path("hard.qcow2"), &len);
	p = img ? memmem(img, CS, "x.qcow2", 7) : NULL;
	if (p) {
		/* backing "x.qcow2" -> "y.qcow2", and y.qcow2 is a hard link to hard.qcow2 */
		p[0] = 'y';
		qt_write_file(qt_path("hard.qcow2"), img, len);
		if (link(qt_path("hard.qcow2"), qt_path("y.qcow2")))
			printf("# link: %s\n", strerror(errno));
	}
	ret = try_open("hard.qcow2", true, err, sizeof(err));
	ok(ret == -ELOOP, "a loop through a hard link (same inode) is refused: %s", err);
	free(img);
	if (!qt_have_qemu) {
		ok(1, "depth cap # SKIP qemu-img not installed");
		return;
	}
	qt_sh("for i in $(seq 1 %d); do qemu-img create -q -u -f qcow2 -b d$((i-1)).qcow2 -F qcow2 "
	      "d$i.qcow2 1M; done", QCOW2_MAX_CHAIN + 1);
	qcow2_create(qt_path("d0.qcow2"), MIB, NULL, NULL, CS, err, sizeof(err));
	ret = try_open("d65.qcow2", true, err, sizeof(err));
	ok(ret == -ELOOP && strstr(err, "deeper than"), "a chain of 66 is refused: %s", err);
	ret = try_open("d64.qcow2", true, err, sizeof(err));
	is_int(ret, 0, "a chain of 65 (64 backing files) opens %s", err);
}

/* Two L2 entries share a cluster in an image with 1-bit refcounts: the count cannot be
 * repaired (it would overflow); check says so and a read-write open of it dirty refuses. */
static void test_refcount_overflow(void)
{
	struct qcow2_create_opts o = { .size = 4 * MIB, .cluster_size = CS, .refcount_bits = 1 };
	struct qcow2_check_report r = { 0 };
	uint8_t buf[CS], *img;
	char err[1024];
	size_t len;
	uint64_t l1, l2, h;
	struct blk *b;
	int ret;

	qcow2_create_ex(qt_path("ov.qcow2"), &o, err, sizeof(err));
	b = qt_open(qt_path("ov.qcow2"), false);
	qt_fill(buf, sizeof(buf), 8);
	if (b)
		blk_pwrite(b, 0, buf, sizeof(buf));
	blk_close(b);
	img = qt_read_file(qt_path("ov.qcow2"), &len);
	l1 = qcow2_get64(img + 40);
	l2 = qcow2_get64(img + l1) & QCOW2_OFFSET_MASK;
	qcow2_put64(img + l2 + 8, qcow2_get64(img + l2));	/* cluster 1 = cluster 0's data */
	qcow2_put64(img + 72, QCOW2_INCOMPAT_DIRTY);
	qt_write_file(qt_path("ov.qcow2"), img, len);
	ret = qcow2_check(qt_path("ov.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && r.corruptions >= 1, "check reports the shared cluster (%llu corruptions)",
	   (unsigned long long)r.corruptions);
	h = qt_file_hash(qt_path("ov.qcow2"));
	ret = try_open("ov.qcow2", false, err, sizeof(err));
	ok(ret < 0 && strstr(err, "qemu-img check -r all"),
	   "read-write open of the dirty image refuses: %s", err);
	ok(qt_file_hash(qt_path("ov.qcow2")) == h, "and leaves it alone");
	b = qt_open(qt_path("ov.qcow2"), true);
	ok(b && !blk_pread(b, CS, buf, 16), "read-only still reads it");
	blk_close(b);
	free(img);
}

int main(void)
{
	qt_setup("qcow2-hostile");
	make_good();
	test_refused();
	test_bad_entries();
	test_compressed_lengths();
	test_chains();
	test_refcount_overflow();
	free(good);
	return tap_done();
}
