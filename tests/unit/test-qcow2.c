// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the qcow2 driver: interop with qemu-img both ways, chains, compression, tools. */
#include "block/qcow2-private.h"
#include "qcow2-test-util.h"
#include "tap.h"

#define SKIP_NO_QEMU(what) do {							\
	if (!qt_have_qemu) {							\
		ok(1, "%s # SKIP qemu-img/qemu-io not installed", what);	\
		return;								\
	}									\
} while (0)

/* A raw reference image on disk, from memory. */
static void save_ref(const char *name, const uint8_t *ref, size_t len)
{
	if (qt_write_file(qt_path(name), ref, len))
		printf("# cannot write %s\n", name);
}

static void test_create_basic(void)
{
	size_t size = 10 * MIB;
	uint8_t *ref = calloc(1, size), *buf = malloc(200000);
	char err[512];
	struct blk *b;
	int ret;

	ret = qcow2_create(qt_path("basic.qcow2"), size, NULL, NULL, 0, err, sizeof(err));
	is_int(ret, 0, "create a 10 MiB image with 64 KiB clusters");
	ret = qcow2_create(qt_path("basic.qcow2"), size, NULL, NULL, 0, err, sizeof(err));
	is_int(ret, -EEXIST, "create refuses to overwrite: %s", err);
	ret = qcow2_create(qt_path("bad.qcow2"), size, NULL, NULL, 3000, err, sizeof(err));
	is_int(ret, -EINVAL, "create refuses a 3000-byte cluster: %s", err);
	b = qt_open(qt_path("basic.qcow2"), false);
	ok(b && !strcmp(b->drv->name, "qcow2"), "blk_open probes qcow2");
	if (!b)
		return;
	is_int(b->size, size, "virtual size");
	ok(qt_blk_equals(b, ref, size), "a new image reads as zeros");
	qt_fill(buf, 200000, 1);
	is_int(blk_pwrite(b, 12345, buf, 200000), 0, "write 200000 bytes at an odd offset");
	memcpy(ref + 12345, buf, 200000);
	ok(qt_blk_equals(b, ref, size), "read back");
	is_int(blk_flush(b), 0, "flush");
	blk_close(b);
	if (qt_have_qemu) {
		save_ref("basic.raw", ref, size);
		is_int(qt_qemu_check("basic.qcow2"), 0, "qemu-img check: clean");
		is_int(qt_sh("qemu-img compare -f qcow2 -F raw basic.qcow2 basic.raw"), 0,
		       "qemu-img compare against the raw reference");
	}
	free(ref);
	free(buf);
}

/* Images made and written by qemu-io read back identical to qemu-img convert -O raw. */
static void test_qemu_to_us(unsigned cluster, unsigned refbits, size_t size)
{
	uint8_t *ref;
	size_t len;
	struct blk *b;

	SKIP_NO_QEMU("qemu -> us");
	qt_sh("rm -f q2u.qcow2 q2u.raw");
	qt_sh("qemu-img create -q -f qcow2 -o cluster_size=%u,refcount_bits=%u q2u.qcow2 %zu",
	      cluster, refbits, size);
	qt_sh("qemu-io -f qcow2 -c 'write -P 0x5a 1000 70001' -c 'write -P 0x11 %zu 3000000' "
	      "-c 'write -z 300000 200000' -c 'discard 0 %u' -c 'write -P 0x77 %zu 513' "
	      "-c 'write -P 0x33 %zu 4096' q2u.qcow2", size / 3, cluster, size - 513,
	      size / 2 + 7);
	qt_sh("qemu-img convert -f qcow2 -O raw q2u.qcow2 q2u.raw");
	ref = qt_read_file(qt_path("q2u.raw"), &len);
	b = qt_open(qt_path("q2u.qcow2"), true);
	ok(ref && b && qt_blk_equals(b, ref, len),
	   "qemu-io image, %u-byte clusters, refcount_bits %u: reads as qemu-img convert does",
	   cluster, refbits);
	blk_close(b);
	free(ref);
}

/* A random mix of writes, zeroes and discards, mirrored in `ref`. */
static void random_ops(struct blk *b, uint8_t *ref, size_t size, unsigned nops, uint64_t seed,
		       size_t maxlen, bool *all_ok)
{
	uint8_t *buf = malloc(maxlen);

	for (unsigned i = 0; i < nops && *all_ok; i++) {
		uint64_t r = qt_rand(&seed), off = r % size, len = 1 + qt_rand(&seed) % maxlen;
		int op = (int)(qt_rand(&seed) % 10), ret;

		if (len > size - off)
			len = size - off;
		if (op < 8) {
			qt_fill(buf, len, r);
			ret = blk_pwrite(b, off, buf, len);
			memcpy(ref + off, buf, len);
		} else {
			ret = blk_write_zeroes(b, off, len);
			memset(ref + off, 0, len);
		}
		if (ret) {
			printf("# op %u (%d) at %llu+%llu: %d\n", i, op, (unsigned long long)off,
			       (unsigned long long)len, ret);
			*all_ok = false;
		}
	}
	free(buf);
}

/* Images written by us pass qemu-img check and compare equal to a raw reference. */
static void test_us_to_qemu(unsigned cluster, unsigned refbits, size_t size, bool ours)
{
	uint8_t *ref = calloc(1, size);
	struct qcow2_create_opts o = { .size = size, .cluster_size = cluster,
				       .refcount_bits = refbits };
	bool all_ok = true;
	char err[512];
	struct blk *b;

	SKIP_NO_QEMU("us -> qemu");
	qt_sh("rm -f u2q.qcow2 u2q.raw");
	if (ours)
		qcow2_create_ex(qt_path("u2q.qcow2"), &o, err, sizeof(err));
	else
		qt_sh("qemu-img create -q -f qcow2 -o cluster_size=%u,refcount_bits=%u u2q.qcow2 "
		      "%zu", cluster, refbits, size);
	b = qt_open(qt_path("u2q.qcow2"), false);
	if (!b) {
		ok(0, "open u2q.qcow2");
		free(ref);
		return;
	}
	random_ops(b, ref, size, 60, cluster * 31 + refbits, 3 * cluster + 1000, &all_ok);
	ok(all_ok && qt_blk_equals(b, ref, size), "%s image, %u-byte clusters, refcount_bits %u: "
	   "random writes read back", ours ? "our" : "qemu-img's", cluster, refbits);
	blk_close(b);
	save_ref("u2q.raw", ref, size);
	is_int(qt_qemu_check("u2q.qcow2"), 0, "qemu-img check: no errors, no leaks");
	is_int(qt_sh("qemu-img compare -f qcow2 -F raw u2q.qcow2 u2q.raw"), 0,
	       "qemu-img compare against the raw reference");
	free(ref);
}

/* raw <- qcow2 (qemu-io writes) <- qcow2 (ours, relative names, 4 KiB clusters). */
static void test_chain3(void)
{
	size_t size = 4 * MIB, len;
	uint8_t *base = malloc(size), *ref, *buf = malloc(300000);
	struct qcow2_info *info = NULL;
	char err[512];
	struct blk *b;
	int ret;

	SKIP_NO_QEMU("backing chain");
	qt_fill(base, size, 42);
	save_ref("base.raw", base, size);
	qt_sh("qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2");
	qt_sh("qemu-io -f qcow2 -c 'write -P 0x21 100000 50000' -c 'write -z 1000000 100000' "
	      "-c 'discard 2097152 65536' mid.qcow2");
	ret = qcow2_create(qt_path("top.qcow2"), 0, "mid.qcow2", NULL, 4096, err, sizeof(err));
	is_int(ret, 0, "create an overlay of mid.qcow2 (size from the backing file) %s", err);
	b = qt_open(qt_path("top.qcow2"), false);
	ok(b && b->size == size, "open the chain of 3");
	if (!b)
		goto out;
	qt_fill(buf, 300000, 7);
	is_int(blk_pwrite(b, 99999, buf, 3), 0, "3-byte write inside a backing cluster");
	is_int(blk_pwrite(b, 1000001, buf, 300000), 0, "write across zeroed backing clusters");
	is_int(blk_discard(b, 8192, 8192), 0, "discard two whole clusters");
	is_int(blk_write_zeroes(b, 3 * MIB + 5, 70000), 0, "write zeroes at an odd offset");
	blk_close(b);
	is_int(qt_qemu_check("top.qcow2"), 0, "qemu-img check top: clean");
	qt_sh("qemu-img convert -f qcow2 -O raw top.qcow2 top.raw");
	ref = qt_read_file(qt_path("top.raw"), &len);
	b = qt_open(qt_path("top.qcow2"), true);
	ok(ref && b && qt_blk_equals(b, ref, len), "the chain reads as qemu-img convert says");
	ok(ref && !memcmp(ref + 8192, (uint8_t[8192]){ 0 }, 8192), "discarded clusters read zeros");
	ok(ref && ref[99999] == buf[0] && ref[99998] == base[99998] && ref[100002] == 0x21,
	   "copy-on-write kept the backing data around a 3-byte write");
	blk_close(b);
	free(ref);
	ret = qcow2_info(qt_path("top.qcow2"), &info, err, sizeof(err));
	ok(!ret && info->chain_len == 3 && !strcmp(info->chain[2].format, "raw") &&
	   !strcmp(info->chain[1].format, "qcow2") && info->virtual_size == size &&
	   info->cluster_size == 4096 && info->version == 3 && !info->dirty &&
	   info->allocated_bytes > 0 && info->allocated_bytes <= size && !info->chain_error[0],
	   "info: chain of 3, sizes, flags (%s)", err);
	qcow2_info_free(info);
out:
	free(base);
	free(buf);
}

/* qemu-img convert -c images (zlib and zstd) read back; overwriting them stays clean. */
static void test_compressed(const char *type)
{
	size_t size = 4 * MIB;
	uint8_t *ref = malloc(size), *buf = malloc(100000);
	struct blk *b;

	SKIP_NO_QEMU("compressed images");
	for (size_t off = 0; off < size; off += 65536) {
		unsigned kind = (unsigned)(off / 65536) % 3;

		if (kind == 0)
			qt_fill(ref + off, 65536, off);
		else if (kind == 1)
			memset(ref + off, 0, 65536);
		else
			for (size_t i = 0; i < 65536; i++)
				ref[off + i] = "compressible text "[i % 18];
	}
	save_ref("comp.raw", ref, size);
	qt_sh("rm -f comp.qcow2; qemu-img convert -c -f raw -O qcow2 -o compression_type=%s "
	      "comp.raw comp.qcow2", type);
	b = qt_open(qt_path("comp.qcow2"), true);
	ok(b && qt_blk_equals(b, ref, size), "%s-compressed image reads back", type);
	blk_close(b);
	b = qt_open(qt_path("comp.qcow2"), false);
	if (!b) {
		ok(0, "open the compressed image read-write");
		goto out;
	}
	qt_fill(buf, 100000, 5);
	blk_pwrite(b, 70000, buf, 1000);
	memcpy(ref + 70000, buf, 1000);
	blk_pwrite(b, MIB - 10, buf, 100000);
	memcpy(ref + MIB - 10, buf, 100000);
	blk_write_zeroes(b, 2 * MIB + 100, 200000);
	memset(ref + 2 * MIB + 100, 0, 200000);
	ok(qt_blk_equals(b, ref, size), "partial overwrites of compressed clusters read back");
	blk_close(b);
	save_ref("comp.raw", ref, size);
	is_int(qt_qemu_check("comp.qcow2"), 0, "qemu-img check: clean after rewriting compressed "
	       "clusters");
	is_int(qt_sh("qemu-img compare -f qcow2 -F raw comp.qcow2 comp.raw"), 0,
	       "qemu-img compare");
out:
	free(ref);
	free(buf);
}

/* The snapshot hook makes an overlay; commit folds it back. */
static void test_snapshot_commit(void)
{
	size_t size = 4 * MIB;
	uint8_t *ref = calloc(1, size), *buf = malloc(200000);
	struct qcow2_info *info = NULL;
	char err[512];
	struct blk *b;
	int ret;

	qcow2_create(qt_path("sbase.qcow2"), size, NULL, NULL, 0, err, sizeof(err));
	b = qt_open(qt_path("sbase.qcow2"), false);
	if (!b) {
		ok(0, "open sbase.qcow2");
		goto out;
	}
	qt_fill(buf, 200000, 9);
	blk_pwrite(b, 5000, buf, 200000);
	memcpy(ref + 5000, buf, 200000);
	ret = blk_snapshot(b, qt_path("snap1.qcow2"), err, sizeof(err));
	is_int(ret, 0, "snapshot hook creates an overlay %s", err);
	blk_close(b);
	ret = qcow2_info(qt_path("snap1.qcow2"), &info, err, sizeof(err));
	ok(!ret && info->chain_len == 2 && strstr(info->chain[1].path, "sbase.qcow2") &&
	   info->virtual_size == size, "the overlay's backing file is sbase.qcow2");
	qcow2_info_free(info);
	b = qt_open(qt_path("snap1.qcow2"), false);
	if (!b) {
		ok(0, "open snap1.qcow2");
		goto out;
	}
	ok(qt_blk_equals(b, ref, size), "the overlay reads like its base");
	qt_fill(buf, 200000, 10);
	blk_pwrite(b, 150001, buf, 123456);
	memcpy(ref + 150001, buf, 123456);
	blk_close(b);
	b = qt_open(qt_path("sbase.qcow2"), true);
	ok(b && !qt_blk_equals(b, ref, size), "writes to the overlay leave the base alone");
	blk_close(b);
	ret = qcow2_commit(qt_path("snap1.qcow2"), err, sizeof(err));
	is_int(ret, 0, "commit the overlay %s", err);
	b = qt_open(qt_path("sbase.qcow2"), true);
	ok(b && qt_blk_equals(b, ref, size), "the base now has the overlay's data");
	blk_close(b);
	b = qt_open(qt_path("snap1.qcow2"), true);
	ok(b && qt_blk_equals(b, ref, size), "the overlay still reads the same");
	blk_close(b);
	if (qt_have_qemu)
		is_int(qt_qemu_check("sbase.qcow2"), 0, "qemu-img check of the committed base");
	ret = qcow2_commit(qt_path("sbase.qcow2"), err, sizeof(err));
	is_int(ret, -EINVAL, "commit of an image without a backing file: %s", err);
out:
	free(ref);
	free(buf);
}

/* Leaks found, counted and repaired; a refcount that is too low is a corruption. */
static void test_check(void)
{
	struct qcow2_check_report r = { 0 };
	uint8_t buf[65536] = { 1 };
	char err[512];
	struct qcow2 *q;
	uint64_t host;
	struct blk *b;
	int ret;

	qcow2_create(qt_path("leak.qcow2"), 4 * MIB, NULL, NULL, 0, err, sizeof(err));
	b = qt_open(qt_path("leak.qcow2"), false);
	if (b)
		blk_pwrite(b, 0, buf, sizeof(buf));
	blk_close(b);
	ret = qcow2_check(qt_path("leak.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && !r.leaks && !r.corruptions && r.allocated_clusters == 1 && r.total_clusters == 64,
	   "check: a fresh image is clean");
	ret = qcow2_open_path(qt_path("leak.qcow2"), false, 0, &q, err, sizeof(err));
	if (!ret) {
		ret = qcow2_alloc_clusters(q, 2, &host);
		qcow2_pwrite(q, host, buf, sizeof(buf));
		qcow2_pwrite(q, host + 65536, buf, sizeof(buf));
		qcow2_close_path(q);
	}
	is_int(ret, 0, "leak two clusters on purpose");
	if (qt_have_qemu)
		is_int(qt_qemu_check("leak.qcow2"), 3, "qemu-img check sees leaks");
	ret = qcow2_check(qt_path("leak.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && r.leaks == 2 && !r.corruptions && !r.leaks_fixed, "check finds 2 leaks");
	ret = qcow2_check(qt_path("leak.qcow2"), true, &r, err, sizeof(err));
	ok(!ret && r.leaks == 2 && r.leaks_fixed == 2, "check repairs them");
	ret = qcow2_check(qt_path("leak.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && !r.leaks && !r.corruptions, "clean after the repair");
	if (qt_have_qemu)
		is_int(qt_qemu_check("leak.qcow2"), 0, "qemu-img check agrees");
	/* The L2 table's refcount to 0: a corruption; writes must refuse to open. */
	ret = qcow2_open_path(qt_path("leak.qcow2"), false, QCOW2_LOAD_CHECK, &q, err, sizeof(err));
	if (!ret) {
		ret = qcow2_refcount_set(q, (qcow2_l1_get(q, 0) & QCOW2_OFFSET_MASK) >> 16, 1, 0);
		qcow2_close_path(q);
	}
	ret = qcow2_check(qt_path("leak.qcow2"), true, &r, err, sizeof(err));
	ok(!ret && r.corruptions >= 1 && !r.corruptions_fixed && !r.leaks_fixed,
	   "a refcount too low is a corruption that leak repair leaves alone (%llu)",
	   (unsigned long long)r.corruptions);
	b = qt_open(qt_path("leak.qcow2"), false);
	ok(!b, "read-write open refuses an image whose L2 table is not counted");
	blk_close(b);
	if (qt_have_qemu)
		is_int(qt_qemu_check("leak.qcow2"), 2, "qemu-img check agrees it is corrupt");
}

/* A larger refcount table, made when allocation runs past what the table covers. */
static void test_reftable_growth(void)
{
	struct qcow2_create_opts o = { .size = 64 * MIB, .cluster_size = 4096, .refcount_bits = 64 };
	uint8_t *ref = calloc(1, 64 * MIB), buf[20000];
	uint32_t before;
	char err[512];
	struct qcow2 *q;
	struct blk *b;

	qcow2_create_ex(qt_path("grow.qcow2"), &o, err, sizeof(err));
	b = qt_open(qt_path("grow.qcow2"), false);
	if (!b) {
		ok(0, "open grow.qcow2");
		free(ref);
		return;
	}
	q = b->priv;
	before = q->h.rt_clusters;
	pthread_mutex_lock(&q->lock);
	q->free_hint = 512 * 512 + 77;	/* past what one 4 KiB table of 64-bit counts covers */
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < 5; i++) {
		qt_fill(buf, sizeof(buf), (uint64_t)i + 100);
		blk_pwrite(b, (uint64_t)i * 7 * MIB + 333, buf, sizeof(buf));
		memcpy(ref + (uint64_t)i * 7 * MIB + 333, buf, sizeof(buf));
	}
	ok(q->h.rt_clusters > before, "the refcount table grew (%u -> %u clusters)", before,
	   q->h.rt_clusters);
	ok(qt_blk_equals(b, ref, 64 * MIB), "data reads back after the growth");
	blk_close(b);
	if (qt_have_qemu) {
		save_ref("grow.raw", ref, 64 * MIB);
		is_int(qt_qemu_check("grow.qcow2"), 0, "qemu-img check: clean");
		is_int(qt_sh("qemu-img compare -f qcow2 -F raw grow.qcow2 grow.raw"), 0,
		       "qemu-img compare");
	}
	free(ref);
}

static uint64_t incompat_of(const char *name)
{
	uint8_t h[80];
	int fd = open(qt_path(name), O_RDONLY);
	ssize_t n = pread(fd, h, sizeof(h), 0);

	close(fd);
	return n == (ssize_t)sizeof(h) ? qcow2_get64(h + 72) : ~0ull;
}

static void set_incompat(const char *name, uint64_t v)
{
	uint8_t b[8];
	int fd = open(qt_path(name), O_WRONLY);

	qcow2_put64(b, v);
	if (pwrite(fd, b, 8, 72) != 8)
		printf("# pwrite failed\n");
	close(fd);
}

/* A writer that dies without closing leaves the dirty bit; the next open cleans up. */
static void test_dirty(void)
{
	uint8_t buf[70000];
	struct qcow2_info *info = NULL;
	char err[512];
	uint64_t h1;
	struct blk *b;
	pid_t pid;
	int st;

	qcow2_create(qt_path("dirty.qcow2"), 8 * MIB, NULL, NULL, 0, err, sizeof(err));
	is_int(incompat_of("dirty.qcow2"), 0, "a new image is clean");
	qt_fill(buf, sizeof(buf), 77);
	pid = fork();
	if (pid == 0) {
		struct blk *c = qt_open(qt_path("dirty.qcow2"), false);
		struct qcow2 *q = c->priv;
		uint64_t host;

		blk_pwrite(c, 4096, buf, sizeof(buf));
		blk_flush(c);		/* durable from here on (a disk with a write cache) */
		pthread_mutex_lock(&q->lock);
		qcow2_alloc_clusters(q, 1, &host);	/* as if killed mid-allocation, */
		qcow2_rc_writeback(q);		/* after its count reached the file */
		qcow2_pwrite(q, host, buf, 65536);
		pthread_mutex_unlock(&q->lock);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	is_int(incompat_of("dirty.qcow2") & QCOW2_INCOMPAT_DIRTY, QCOW2_INCOMPAT_DIRTY,
	       "a writer that exits without closing leaves the dirty bit");
	qcow2_info(qt_path("dirty.qcow2"), &info, err, sizeof(err));
	ok(info && info->dirty, "info reports it");
	qcow2_info_free(info);
	if (qt_have_qemu)
		is_int(qt_qemu_check("dirty.qcow2"), 3, "qemu-img check: a leak, no corruption");
	h1 = qt_file_hash(qt_path("dirty.qcow2"));
	b = qt_open(qt_path("dirty.qcow2"), true);
	ok(b, "read-only open of a dirty image");
	blk_close(b);
	ok(qt_file_hash(qt_path("dirty.qcow2")) == h1, "... leaves it untouched");
	b = qt_open(qt_path("dirty.qcow2"), false);
	ok(b && !(incompat_of("dirty.qcow2") & QCOW2_INCOMPAT_DIRTY),
	   "read-write open rebuilds the refcounts and clears the bit");
	if (b) {
		uint8_t rb[70000];

		blk_pread(b, 4096, rb, sizeof(rb));
		ok(!memcmp(rb, buf, sizeof(rb)), "the data written and flushed before the exit "
		   "is there");
	}
	blk_close(b);
	if (qt_have_qemu)
		is_int(qt_qemu_check("dirty.qcow2"), 0, "qemu-img check: clean after the repair");
}

static int open_err(const char *name, bool ro, char *err, size_t len)
{
	struct blk_open_opts o = { .read_only = ro };
	struct blk *b;
	int ret = blk_open(qt_path(name), &o, &b, err, len);

	if (!ret)
		blk_close(b);
	return ret;
}

/* Header feature bits: corrupt, external data file, unknown (named from the table). */
static void test_features(void)
{
	char err[512], *p;
	size_t len;
	uint8_t *img;
	int ret;

	qcow2_create(qt_path("feat.qcow2"), 4 * MIB, NULL, NULL, 0, err, sizeof(err));
	set_incompat("feat.qcow2", QCOW2_INCOMPAT_CORRUPT);
	ret = open_err("feat.qcow2", false, err, sizeof(err));
	ok(ret == -EROFS && strstr(err, "corrupt"), "corrupt bit: no read-write open (%s)", err);
	is_int(open_err("feat.qcow2", true, err, sizeof(err)), 0, "corrupt bit: read-only is fine");
	set_incompat("feat.qcow2", QCOW2_INCOMPAT_DATA_FILE);
	ret = open_err("feat.qcow2", true, err, sizeof(err));
	ok(ret == -ENOTSUP && strstr(err, "external data file"), "external data file: %s", err);
	set_incompat("feat.qcow2", 1ull << 9);
	ret = open_err("feat.qcow2", true, err, sizeof(err));
	ok(ret == -ENOTSUP && strstr(err, "bit 9"), "unknown bit 9 refused: %s", err);
	img = qt_read_file(qt_path("feat.qcow2"), &len);
	p = img ? memmem(img, 4096, "extended L2 entries", 19) : NULL;
	if (p) {
		p[-1] = 9;	/* the name table now names bit 9 */
		qt_write_file(qt_path("feat.qcow2"), img, len);
	}
	ret = open_err("feat.qcow2", true, err, sizeof(err));
	ok(ret == -ENOTSUP && strstr(err, "bit 9 (extended L2 entries)"),
	   "the feature name table names it: %s", err);
	free(img);
	set_incompat("feat.qcow2", QCOW2_INCOMPAT_COMPRESSION);
	ret = open_err("feat.qcow2", true, err, sizeof(err));
	ok(ret == -EINVAL && strstr(err, "compression"), "compression bit without a type: %s",
	   err);
}

/* Extended L2 entries (subclusters) and version 2 images made by qemu-img. */
static void test_other_layouts(void)
{
	uint8_t *ref, *ref2, *img;
	size_t len;
	char err[512];
	struct blk *b;
	int ret;

	SKIP_NO_QEMU("extended L2 and v2 images");
	qt_sh("qemu-img create -q -f qcow2 -o extended_l2=on,cluster_size=65536 -b base.raw "
	      "-F raw ext.qcow2");
	qt_sh("qemu-io -f qcow2 -c 'write -P 0x44 70000 5000' -c 'write -z 140000 8192' "
	      "-c 'write -P 0x45 1048576 65536' -c 'write -P 0x46 2000000 100' ext.qcow2");
	qt_sh("qemu-img convert -f qcow2 -O raw ext.qcow2 ext.raw");
	ref = qt_read_file(qt_path("ext.raw"), &len);
	b = qt_open(qt_path("ext.qcow2"), true);
	ok(ref && b && qt_blk_equals(b, ref, len), "extended L2 image (subclusters) reads back");
	blk_close(b);
	free(ref);
	ret = open_err("ext.qcow2", false, err, sizeof(err));
	ok(ret == -ENOTSUP && strstr(err, "read-only"), "extended L2: read-only (%s)", err);

	qt_sh("qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 4M");
	ref2 = qt_read_file(qt_path("v2.qcow2"), &len);
	qt_sh("qemu-io -f qcow2 -c 'write -P 0x61 1000 100000' -c 'write -z 500000 100000' "
	      "v2.qcow2");
	qt_sh("qemu-img convert -f qcow2 -O raw v2.qcow2 v2.raw");
	ref = qt_read_file(qt_path("v2.raw"), &len);
	b = qt_open(qt_path("v2.qcow2"), false);
	ok(ref && b && qt_blk_equals(b, ref, len), "version 2 image reads back");
	if (b && ref) {
		bool all_ok = true;

		random_ops(b, ref, len, 40, 99, 200000, &all_ok);
		ok(all_ok && qt_blk_equals(b, ref, len), "version 2 image: writes read back");
		save_ref("v2.raw", ref, len);
	}
	blk_close(b);
	free(ref);
	is_int(qt_qemu_check("v2.qcow2"), 0, "qemu-img check of the written v2 image");
	is_int(qt_sh("qemu-img compare -f qcow2 -F raw v2.qcow2 v2.raw"), 0, "qemu-img compare");
	img = qt_read_file(qt_path("v2.qcow2"), &len);
	ok(img && qcow2_get32(img + 4) == 2 && qcow2_get64(img + 72) == qcow2_get64(ref2 + 72),
	   "still version 2, and nothing written past its 72-byte header");
	free(img);
	free(ref2);
}

/* O_DIRECT: aligned guest I/O goes straight through; metadata uses aligned buffers. */
static void test_direct(void)
{
	struct blk_open_opts o = { .direct = true };
	uint8_t *buf, *rb;
	char err[512];
	struct blk *b;
	int ret;

	qcow2_create(qt_path("direct.qcow2"), 8 * MIB, NULL, NULL, 0, err, sizeof(err));
	ret = blk_open(qt_path("direct.qcow2"), &o, &b, err, sizeof(err));
	if (ret == -EINVAL) {
		ok(1, "O_DIRECT # SKIP not supported here: %s", err);
		return;
	}
	is_int(ret, 0, "open with O_DIRECT %s", err);
	if (ret)
		return;
	buf = qcow2_alloc_aligned(3 * 65536);
	rb = qcow2_alloc_aligned(3 * 65536);
	qt_fill(buf, 3 * 65536, 12);
	is_int(blk_pwrite(b, 4096 * 3, buf, 3 * 65536), 0, "aligned allocating write (COW edges)");
	is_int(blk_pwrite(b, 4096 * 5, buf, 8192), 0, "aligned in-place write");
	is_int(blk_pread(b, 4096 * 3, rb, 3 * 65536), 0, "read back");
	ok(!memcmp(rb, buf, 8192) && !memcmp(rb + 8192, buf, 8192) &&
	   !memcmp(rb + 16384, buf + 16384, 3 * 65536 - 16384), "the data is right");
	is_int(blk_discard(b, 0, 2 * MIB), 0, "discard");
	blk_close(b);
	free(buf);
	free(rb);
	if (qt_have_qemu)
		is_int(qt_qemu_check("direct.qcow2"), 0, "qemu-img check: clean");
}

/*
 * Runs wider than one refcount block (4 KiB clusters, 16-bit counts: 2048 clusters a
 * block). Allocating 4096 clusters used to fail with ENOSPC: each try created refcount
 * blocks, gave its candidate up and skipped past it into uncovered clusters again. Then
 * writes across 64 MiB with no flush in between (new L2 tables beyond the end of the file
 * while they are only in memory; caches of 4 tables, so dirty tables are evicted all the
 * time) read back, a copy taken before any flush has no corruption, and the file stays
 * about the size of its data.
 */
static void test_wide_runs(void)
{
	uint8_t *m = calloc(1, 64 * MIB), buf[4096];
	struct qcow2_check_report r = { 0 };
	struct qcow2_tuning tiny = { 4 * 4096, 4 * 4096, true };
	struct qcow2_stats qs;
	uint64_t host = 0, step = 104729 * 4096ull % (64 * MIB);
	struct qcow2 *q;
	struct blk *b;
	struct stat st;
	char err[512];
	int ret;

	qt_sh("rm -f wide.qcow2");
	qcow2_create(qt_path("wide.qcow2"), 64 * MIB, NULL, NULL, 4096, err, sizeof(err));
	b = qt_open(qt_path("wide.qcow2"), false);
	if (!b || !m)
		return;
	q = b->priv;
	qcow2_tune(b, &tiny);	/* write-back on eviction all the time */
	pthread_mutex_lock(&q->lock);
	ret = qcow2_alloc_clusters(q, 4096, &host);
	if (!ret)
		ret = qcow2_refcount_set(q, host >> 12, 4096, 0);
	pthread_mutex_unlock(&q->lock);
	is_int(ret, 0, "4096 clusters in one run (two refcount blocks and more)");
	for (uint64_t i = 0, off = 0; i < 16384 && !ret; i++, off = (off + step) % (64 * MIB)) {
		qt_fill(buf, sizeof(buf), i + 1);
		memcpy(m + off, buf, sizeof(buf));
		ret = blk_pwrite(b, off, buf, sizeof(buf));
	}
	is_int(ret, 0, "16384 scattered 4 KiB writes, no flush");
	ok(qt_blk_equals(b, m, 64 * MIB), "they read back before the flush");
	qcow2_get_stats(b, &qs);
	ok(qs.l2_misses > 1000, "the 4-table caches evicted dirty tables (%llu L2 misses)",
	   (unsigned long long)qs.l2_misses);
	qt_sh("cp wide.qcow2 wide-copy.qcow2");	/* what a crash now would leave */
	ret = qt_have_qemu ? qt_qemu_check("wide-copy.qcow2") : 0;
	ok(ret == 0 || ret == 3, "qemu-img check of a copy taken before any flush: leaks at "
	   "most (%d)", ret);
	blk_close(b);
	ok(!stat(qt_path("wide.qcow2"), &st) && st.st_size < (off_t)(66 * MIB),
	   "the file is the data and its tables (%lld bytes)", (long long)st.st_size);
	b = qt_open(qt_path("wide.qcow2"), true);
	ok(qt_blk_equals(b, m, 64 * MIB), "and after closing and opening again");
	blk_close(b);
	ret = qcow2_check(qt_path("wide.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && !r.leaks && !r.corruptions, "no leaks, no corruption");
	if (qt_have_qemu)
		is_int(qt_qemu_check("wide.qcow2"), 0, "qemu-img check: clean");
	free(m);
}

/*
 * Eviction keeps the write-back order: an L2 table that goes out because the cache needs
 * its slot is written after the refcounts of the clusters it points at. The tables exist on
 * disk already (written and flushed), the L2 cache holds 4 of them, and writing 28 of the
 * 32 MiB needs a second reserved run halfway (its counts dirty in the refcount cache, and no
 * third run whose new refcount block would write them) while it keeps evicting dirty
 * tables; a copy of the file taken then (what a crash would leave) must have no entry
 * pointing at a cluster whose count is still 0 on disk.
 */
static void test_eviction_order(void)
{
	struct qcow2_tuning tiny = { 4 * 4096, 0, true };
	uint8_t *buf = malloc(1 * MIB);
	struct qcow2_stats qs;
	char err[512];
	struct blk *b;
	int ret = 0;

	qt_sh("rm -f evict.qcow2 evict-copy.qcow2");
	qcow2_create(qt_path("evict.qcow2"), 32 * MIB, NULL, NULL, 4096, err, sizeof(err));
	b = qt_open(qt_path("evict.qcow2"), false);
	if (!b || !buf)
		return;
	qcow2_tune(b, &tiny);
	qt_fill(buf, 1 * MIB, 5);
	for (uint64_t t = 0; t < 16 && !ret; t++)	/* all 16 L2 tables, on disk */
		ret = blk_pwrite(b, t * 2 * MIB + 1 * MIB, buf, 4096);
	if (!ret)
		ret = blk_flush(b);
	for (uint64_t off = 0; off < 28 * MIB && !ret; off += 1 * MIB)
		ret = blk_pwrite(b, off, buf, 1 * MIB);
	qcow2_get_stats(b, &qs);
	is_int(ret, 0, "28 MiB over 14 existing L2 tables, a second reserved run, no flush");
	ok(qs.l2_misses >= 14, "the L2 cache evicted tables (%llu misses)",
	   (unsigned long long)qs.l2_misses);
	qt_sh("cp evict.qcow2 evict-copy.qcow2");
	blk_close(b);
	ret = qt_have_qemu ? qt_qemu_check("evict-copy.qcow2") : 0;
	ok(ret == 0 || ret == 3, "a copy taken then: leaks at most, no entry before its "
	   "count (%d)", ret);
	free(buf);
}

int main(void)
{
	qt_setup("qcow2");
	test_create_basic();
	test_qemu_to_us(4096, 16, 8 * MIB);
	test_qemu_to_us(65536, 1, 8 * MIB);
	test_qemu_to_us(2 * MIB, 64, 16 * MIB);
	test_us_to_qemu(4096, 16, 8 * MIB, true);
	test_us_to_qemu(65536, 1, 8 * MIB, false);
	test_us_to_qemu(65536, 16, 8 * MIB, true);
	test_us_to_qemu(2 * MIB, 64, 16 * MIB, false);
	test_us_to_qemu(4096, 64, 8 * MIB, true);
	test_chain3();
	test_compressed("zlib");
#ifdef VESSEL_HAVE_ZSTD
	test_compressed("zstd");
#endif
	test_snapshot_commit();
	test_check();
	test_reftable_growth();
	test_dirty();
	test_features();
	test_other_layouts();
	test_direct();
	test_wide_runs();
	test_eviction_order();
	return tap_done();
}
