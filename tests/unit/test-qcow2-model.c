// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 under load: a randomized model test, concurrent writers, SIGKILL crashes, sync cost. */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "block/qcow2-private.h"
#include "qcow2-test-util.h"
#include "tap.h"

#define DISK	(8 * MIB)

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void set_ordered(struct blk *b, bool ordered)
{
	struct qcow2_tuning t = { .ordered_writes = ordered };

	qcow2_tune(b, &t);
}

/* The model of discard: whole clusters inside the range read zeros, the rest is kept. */
static void model_discard(uint8_t *m, uint64_t off, uint64_t len, uint64_t cs, uint64_t size)
{
	uint64_t a = (off + cs - 1) / cs * cs, end = off + len;
	uint64_t b = end == size ? end : end / cs * cs;

	if (a < b)
		memset(m + a, 0, b - a);
}

struct model_cfg {
	unsigned cluster, refbits, ops;
	bool qcow2_mid;		/* backing chain qcow2 -> raw instead of just raw */
	bool ordered;
};

static int one_op(struct blk *b, uint8_t *m, uint8_t *buf, uint64_t *seed, uint64_t cs,
		  unsigned i)
{
	uint64_t r = qt_rand(seed), off = r % DISK, len = 1 + qt_rand(seed) % (3 * cs + 777);
	unsigned op = (unsigned)(qt_rand(seed) % 20);
	int ret;

	if (len > DISK - off)
		len = DISK - off;
	if (op < 9) {
		qt_fill(buf, len, r);
		memcpy(m + off, buf, len);
		return blk_pwrite(b, off, buf, len);
	}
	if (op < 15) {
		ret = blk_pread(b, off, buf, len);
		if (!ret && memcmp(buf, m + off, len)) {
			printf("# op %u: read at %llu+%llu differs from the model\n", i,
			       (unsigned long long)off, (unsigned long long)len);
			return -EILSEQ;
		}
		return ret;
	}
	if (op < 18) {
		memset(m + off, 0, len);
		return blk_write_zeroes(b, off, len);
	}
	model_discard(m, off, len, cs, DISK);
	return blk_discard(b, off, len);
}

/* Thousands of random operations at odd offsets against an in-memory copy. */
static void test_model(const struct model_cfg *c, uint64_t seed)
{
	struct qcow2_create_opts o = { .cluster_size = c->cluster, .refcount_bits = c->refbits,
				       .backing = c->qcow2_mid ? "mmid.qcow2" : "mbase.raw" };
	uint8_t *m = malloc(DISK), *buf = malloc(4 * c->cluster + 1000);
	double t0 = now_ms();
	char err[512];
	struct blk *b = NULL;
	unsigned i;
	int ret = 0;

	printf("# model: %u-byte clusters, refcount_bits %u, %s backing, seed %llu\n", c->cluster,
	       c->refbits, c->qcow2_mid ? "qcow2->raw" : "raw", (unsigned long long)seed);
	qt_sh("rm -f model.qcow2 mmid.qcow2");
	qt_fill(m, DISK, seed);
	qt_write_file(qt_path("mbase.raw"), m, DISK);
	if (c->qcow2_mid) {
		qcow2_create(qt_path("mmid.qcow2"), 0, "mbase.raw", "raw", 65536, err, sizeof(err));
		b = qt_open(qt_path("mmid.qcow2"), false);
		for (uint64_t off = 0; b && off < DISK; off += 1 * MIB)
			blk_write_zeroes(b, off + 12345, 100000);
		for (uint64_t off = 0; b && off < DISK; off += 1 * MIB)
			memset(m + off + 12345, 0, 100000);
		blk_close(b);
		b = NULL;
	}
	qcow2_create_ex(qt_path("model.qcow2"), &o, err, sizeof(err));
	for (i = 0; i < c->ops && !ret; i++) {
		if (i % 500 == 0) {	/* reopen now and then: everything must persist */
			blk_close(b);
			b = qt_open(qt_path("model.qcow2"), false);
			if (!b)
				break;
			set_ordered(b, c->ordered);
		}
		ret = one_op(b, m, buf, &seed, c->cluster, i);
		if (ret)
			printf("# op %u failed: %d\n", i, ret);
	}
	ok(b && !ret && i == c->ops, "%u random operations match the model", c->ops);
	ok(b && qt_blk_equals(b, m, DISK), "the whole disk matches the model");
	blk_close(b);
	printf("# %.0f ms\n", now_ms() - t0);
	if (!qt_have_qemu)
		goto out;
	qt_write_file(qt_path("model.raw"), m, DISK);
	is_int(qt_qemu_check("model.qcow2"), 0, "qemu-img check: no errors, no leaks");
	is_int(qt_sh("qemu-img compare -f qcow2 -F raw model.qcow2 model.raw"), 0,
	       "qemu-img compare with the model");
out:
	free(m);
	free(buf);
}

/* Threads writing interleaved 4 KiB pieces of the same clusters (allocation races), one
 * thread discarding its own range, readers checking what they wrote. */
struct worker {
	struct blk *b;
	unsigned id, nthreads;
	uint64_t seed;
	int errors;
};

#define PIECE	4096u
#define SHARED	(4 * MIB)	/* the interleaved part; the discarder works above it */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[PIECE], rb[PIECE];

	for (unsigned round = 0; round < 3; round++) {
		for (uint64_t p = w->id; p < SHARED / PIECE; p += w->nthreads) {
			qt_fill(buf, PIECE, p * 1000 + round);
			if (blk_pwrite(w->b, p * PIECE, buf, PIECE))
				w->errors++;
			if (blk_pread(w->b, p * PIECE, rb, PIECE) || memcmp(buf, rb, PIECE))
				w->errors++;
		}
	}
	return NULL;
}

static void *discarder_main(void *arg)
{
	struct worker *w = arg;
	uint8_t *buf = malloc(256 * KIB);

	for (unsigned i = 0; i < 200; i++) {
		uint64_t off = SHARED + (qt_rand(&w->seed) % (DISK - SHARED - 256 * KIB));

		qt_fill(buf, 256 * KIB, i);
		if (blk_pwrite(w->b, off, buf, 256 * KIB) || blk_discard(w->b, off, 256 * KIB) ||
		    blk_write_zeroes(w->b, off + 1, 70000))
			w->errors++;
	}
	free(buf);
	return NULL;
}

static void test_threads(bool with_backing)
{
	struct worker w[5];
	pthread_t th[5];
	uint8_t buf[PIECE], rb[PIECE];
	char err[512];
	struct blk *b;
	int errors = 0, bad = 0;

	qt_sh("rm -f threads.qcow2");
	qcow2_create(qt_path("threads.qcow2"), DISK, with_backing ? "mbase.raw" : NULL, "raw",
		     65536, err, sizeof(err));
	b = qt_open(qt_path("threads.qcow2"), false);
	if (!b) {
		ok(0, "open threads.qcow2");
		return;
	}
	set_ordered(b, false);
	for (unsigned i = 0; i < 5; i++) {
		w[i] = (struct worker){ .b = b, .id = i, .nthreads = 4, .seed = i + 1 };
		pthread_create(&th[i], NULL, i < 4 ? worker_main : discarder_main, &w[i]);
	}
	for (unsigned i = 0; i < 5; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	is_int(errors, 0, "4 writers on shared clusters + 1 discarder%s: no errors",
	       with_backing ? " (backing file)" : "");
	for (uint64_t p = 0; p < SHARED / PIECE; p++) {
		qt_fill(buf, PIECE, p * 1000 + 2);
		if (blk_pread(b, p * PIECE, rb, PIECE) || memcmp(buf, rb, PIECE))
			bad++;
	}
	is_int(bad, 0, "every piece holds its last write (no lost allocation races)");
	blk_close(b);
	if (qt_have_qemu)
		is_int(qt_qemu_check("threads.qcow2"), 0, "qemu-img check: clean");
}

/*
 * The crash test. What survives a crash is defined as for a disk with a volatile write
 * cache (virtio 1.2 §5.2.6.2, VIRTIO_BLK_F_FLUSH): a write is durable once a flush that
 * was issued after it has completed; a guest that needs durability flushes. A write that
 * completed but was not flushed yet may be lost: each of its bytes then reads as before the
 * write, or as any later unflushed write left it. The image must never read anything else
 * and qemu-img check must never find corruption (leaks are allowed).
 *
 * A child writes (data or write-zeroes), flushes after about one write in four, and reports
 * each completed write and each completed flush through a pipe; it is killed with SIGKILL
 * at a random moment. (Write-back on cache eviction is tested in test-qcow2.c, wide runs.)
 */
#define CRASH_FLUSHED	0x80000000u	/* record: every write before index k is durable */

struct crash_op {
	uint64_t off, len, seed;
	bool zero, flush;
};

static struct crash_op crash_op(uint64_t *s, unsigned k)
{
	struct crash_op o;

	o.off = qt_rand(s) % DISK;
	o.len = 1 + qt_rand(s) % (200 * KIB);
	if (o.len > DISK - o.off)
		o.len = DISK - o.off;
	o.zero = qt_rand(s) % 8 == 0;
	o.flush = qt_rand(s) % 4 == 0;
	o.seed = (uint64_t)k * 7919 + 1;
	return o;
}

static void crash_child(int wfd, uint64_t seed, unsigned first)
{
	struct blk *b = qt_open(qt_path("crash.qcow2"), false);
	uint8_t *buf = malloc(200 * KIB);

	for (unsigned k = 0; b; k++) {
		struct crash_op o = crash_op(&seed, k);
		unsigned rec = k + 1;
		int ret;

		if (k < first)
			continue;	/* the sequence goes on where the last child stopped */
		qt_fill(buf, o.len, o.seed);
		ret = o.zero ? blk_write_zeroes(b, o.off, o.len) : blk_pwrite(b, o.off, buf, o.len);
		if (ret || write(wfd, &rec, sizeof(rec)) != sizeof(rec))
			_exit(1);
		rec |= CRASH_FLUSHED;
		if (o.flush && (blk_flush(b) || write(wfd, &rec, sizeof(rec)) != sizeof(rec)))
			_exit(1);
	}
	_exit(2);
}

static void apply(uint8_t *m, const struct crash_op *o, uint8_t *buf)
{
	if (o->zero) {
		memset(m + o->off, 0, o->len);
		return;
	}
	qt_fill(buf, o->len, o->seed);
	memcpy(m + o->off, buf, o->len);
}

/* What one round of the child did: ops [first, flushed) are durable; the writes from
 * `flushed` up to and including the one in flight at the kill are not. */
struct crash_round {
	unsigned first, flushed, done;
	struct crash_op *pending;	/* [flushed, done], the last one in flight */
	unsigned npending;
};

/* Does byte i hold what one of the unflushed writes put there? (vals: their bytes) */
static bool pending_value(const struct crash_round *r, uint8_t *const *vals, uint64_t i,
			  uint8_t v)
{
	for (unsigned j = 0; j < r->npending; j++) {
		const struct crash_op *o = &r->pending[j];

		if (i >= o->off && i - o->off < o->len && (o->zero ? !v : vals[j][i - o->off] == v))
			return true;
	}
	return false;
}

/*
 * Every byte as flushed, or as one of the unflushed writes left it; then m becomes what the
 * disk holds (the next round starts from there). *lost: bytes of completed but unflushed
 * writes that did not survive (write-back at work; allowed).
 */
static bool verify_crash(struct blk *b, uint8_t *m, const struct crash_round *r,
			 uint64_t *lost)
{
	uint8_t *disk = malloc(DISK), *full = malloc(DISK);
	uint8_t **vals = calloc(r->npending, sizeof(*vals));
	bool good = b && !blk_pread(b, 0, disk, DISK);

	memcpy(full, m, DISK);
	for (unsigned j = 0; j < r->npending; j++) {
		vals[j] = malloc(r->pending[j].len);
		if (j + 1 < r->npending)	/* not the one in flight */
			apply(full, &r->pending[j], vals[j]);
		qt_fill(vals[j], r->pending[j].len, r->pending[j].seed);
	}
	for (uint64_t i = 0; good && i < DISK; i++) {
		*lost += disk[i] != full[i];
		if (disk[i] == m[i] || pending_value(r, vals, i, disk[i]))
			continue;
		printf("# byte %llu: %02x, expected %02x\n", (unsigned long long)i, disk[i], m[i]);
		good = false;
	}
	if (good)
		memcpy(m, disk, DISK);
	for (unsigned j = 0; j < r->npending; j++)
		free(vals[j]);
	free(vals);
	free(disk);
	free(full);
	return good;
}

/* One child, killed after delay_ms; m advanced over the writes it flushed. */
static void crash_round(uint64_t seed, uint8_t *m, uint8_t *buf, unsigned delay_ms,
			struct crash_round *r)
{
	unsigned rec, k;
	uint64_t s = seed;
	int p[2];
	pid_t pid;

	r->flushed = r->done = r->first;
	r->npending = 0;
	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		crash_child(p[1], seed, r->first);
	}
	close(p[1]);
	usleep(delay_ms * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (read(p[0], &rec, sizeof(rec)) == sizeof(rec)) {
		if (rec & CRASH_FLUSHED)
			r->flushed = rec & ~CRASH_FLUSHED;
		else
			r->done = rec;
	}
	close(p[0]);
	r->pending = calloc(r->done - r->flushed + 1, sizeof(*r->pending));
	for (k = 0; k <= r->done; k++) {	/* regenerate the child's sequence */
		struct crash_op o = crash_op(&s, k);

		if (k >= r->first && k < r->flushed)
			apply(m, &o, buf);
		else if (k >= r->flushed)
			r->pending[r->npending++] = o;
	}
}

static void test_crash(void)
{
	uint8_t *m = malloc(DISK), *buf = malloc(200 * KIB);
	uint64_t seed = 20261122, delays = 99;	/* the op sequence, the kill times */
	uint64_t lost = 0;
	unsigned rounds = 8, clean = 0, verified = 0, flushed = 0;
	struct crash_round r = { 0 };
	char err[512];

	qt_fill(m, DISK, 4242);
	qt_write_file(qt_path("cbase.raw"), m, DISK);
	qcow2_create(qt_path("crash.qcow2"), 0, "cbase.raw", "raw", 65536, err, sizeof(err));
	for (unsigned i = 0; i < rounds; i++) {
		struct blk *b;
		int chk;

		crash_round(seed, m, buf, 60 + (unsigned)(qt_rand(&delays) % 300), &r);
		chk = qt_have_qemu ? qt_qemu_check("crash.qcow2") : 0;
		clean += chk == 0 || chk == 3;
		flushed += r.flushed - r.first;
		printf("# round %u: %u writes completed, %u of them flushed; qemu-img check %d\n",
		       i, r.done - r.first, r.flushed - r.first, chk);
		b = qt_open(qt_path("crash.qcow2"), true);
		verified += verify_crash(b, m, &r, &lost);
		blk_close(b);
		free(r.pending);
		r.first = r.done + 1;	/* the in-flight write is not redone: m is the disk */
	}
	printf("# %llu bytes of completed, unflushed writes were lost (allowed)\n",
	       (unsigned long long)lost);
	is_int(clean, rounds, "after every SIGKILL qemu-img check finds no corruption");
	is_int(verified, rounds, "after every SIGKILL: flushed writes read back, unflushed ones "
	       "read old or new data");
	ok(flushed > rounds, "the children made progress (%u flushed writes)", flushed);
	free(m);
	free(buf);
}

struct sync_cost {
	uint64_t writes, flush, flush2, idle;	/* syncs made by each step of sync_run */
	double ms;
};

/*
 * 200 allocating 4 KiB writes to a new image (over `backing` if given), a flush, 10 more
 * allocating writes into the same L2 table, a flush, and a flush with nothing to do.
 */
static void sync_run(bool ordered, const char *backing, struct sync_cost *c)
{
	uint8_t buf[65536];
	struct qcow2_stats st[5];
	char err[512];
	struct blk *b;
	double t0;

	qt_fill(buf, sizeof(buf), 1);
	qt_sh("rm -f cost.qcow2");
	qcow2_create(qt_path("cost.qcow2"), 64 * MIB, backing, backing ? "qcow2" : NULL, 65536,
		     err, sizeof(err));
	b = qt_open(qt_path("cost.qcow2"), false);
	memset(c, 0, sizeof(*c));
	if (!b)
		return;
	set_ordered(b, ordered);
	qcow2_get_stats(b, &st[0]);
	t0 = now_ms();
	for (unsigned i = 0; i < 200; i++)
		blk_pwrite(b, (uint64_t)i * 65536 * 3 % (64 * MIB) + 512, buf, 4096);
	c->ms = now_ms() - t0;
	qcow2_get_stats(b, &st[1]);
	blk_flush(b);
	qcow2_get_stats(b, &st[2]);
	for (unsigned i = 0; i < 10; i++)
		blk_pwrite(b, (uint64_t)i * 65536 * 3 + 65536, buf, 4096);
	blk_flush(b);
	qcow2_get_stats(b, &st[3]);
	blk_flush(b);
	qcow2_get_stats(b, &st[4]);
	blk_close(b);
	c->writes = st[1].syncs - st[0].syncs;
	c->flush = st[2].syncs - st[1].syncs;
	c->flush2 = st[3].syncs - st[2].syncs;
	c->idle = st[4].syncs - st[3].syncs;
}

/*
 * What the ordering barriers cost. Metadata is written back (qcow2-cache.c), so allocating
 * writes make no barrier of their own, over a backing file neither. A flush after them
 * makes one barrier per ordering step that has something to write: the counts (and copied
 * data) before the L2 tables, a new L2 table before its L1 entry; then its own sync. A
 * flush with nothing dirty is one sync.
 */
static void test_sync_cost(void)
{
	struct sync_cost fresh, unordered, over;
	char err[512];

	sync_run(true, NULL, &fresh);
	sync_run(false, NULL, &unordered);
	qt_sh("rm -f cost-base.qcow2");
	qcow2_create(qt_path("cost-base.qcow2"), 64 * MIB, NULL, NULL, 65536, err, sizeof(err));
	sync_run(true, qt_path("cost-base.qcow2"), &over);
	printf("# 200 allocating 4 KiB writes: %.1f ms ordered (%llu fdatasyncs), %.1f ms "
	       "unordered (%llu), %.1f ms ordered over a backing file (%llu)\n", fresh.ms,
	       (unsigned long long)fresh.writes, unordered.ms, (unsigned long long)unordered.writes,
	       over.ms, (unsigned long long)over.writes);
	ok(fresh.writes <= 2 && over.writes <= 2 && unordered.writes <= 1, "allocating writes: "
	   "no barrier per write (%llu fresh, %llu over a backing file; the dirty bit's sync)",
	   (unsigned long long)fresh.writes, (unsigned long long)over.writes);
	ok(fresh.flush == 3 && over.flush == 3, "the flush after them: barriers before the L2 "
	   "tables and before the L1 entry, then the sync (%llu, %llu)",
	   (unsigned long long)fresh.flush, (unsigned long long)over.flush);
	ok(fresh.flush2 == 1, "10 more writes into blank clusters of the reserved run: no "
	   "barrier, just the sync (%llu)", (unsigned long long)fresh.flush2);
	ok(over.flush2 == 2, "10 more over a backing file: the copied data before the L2 "
	   "table, then the sync (%llu)", (unsigned long long)over.flush2);
	ok(unordered.flush == 1, "unordered: the flush's sync only (%llu)",
	   (unsigned long long)unordered.flush);
	ok(fresh.idle == 1 && over.idle == 1, "a flush with nothing dirty: one sync");
}

/* The 4 KiB written at 4 MiB steps + 8 KiB read back, zeros around them. */
static bool run_reads_back(struct blk *b, const uint8_t *buf)
{
	static const uint8_t zero[65536];
	uint8_t back[65536];

	for (unsigned i = 0; i < 8; i++) {
		if (blk_pread(b, (uint64_t)i * 4 * MIB, back, sizeof(back)) ||
		    memcmp(back, zero, 8192) || memcmp(back + 8192, buf, 4096) ||
		    memcmp(back + 12288, zero, sizeof(back) - 12288))
			return false;
	}
	return true;
}

/*
 * Reserved runs of clusters: a copy of the file taken while it is open (what a crash
 * leaves) has leaks at most and reads back what was flushed; closing frees the rest of the
 * run and gives back the file's unused tail.
 */
static void test_reserved_run(void)
{
	struct qcow2_check_report r = { 0 };
	uint8_t buf[4096];
	struct stat st;
	char err[512];
	struct blk *b;
	int ret;

	qt_sh("rm -f run.qcow2 run-crash.qcow2");
	qcow2_create(qt_path("run.qcow2"), 64 * MIB, NULL, NULL, 65536, err, sizeof(err));
	b = qt_open(qt_path("run.qcow2"), false);
	if (!b)
		return;
	qt_fill(buf, sizeof(buf), 7);
	for (unsigned i = 0; i < 8; i++)
		blk_pwrite(b, (uint64_t)i * 4 * MIB + 8192, buf, sizeof(buf));
	blk_flush(b);
	qt_sh("cp run.qcow2 run-crash.qcow2");
	ok(run_reads_back(b, buf), "writes into blank clusters: their bytes, zeros around");
	blk_close(b);
	ok(!stat(qt_path("run.qcow2"), &st) && st.st_size < (off_t)(2 * MIB), "closing gave back the "
	   "run's unused tail (%lld bytes left)", (long long)st.st_size);
	ret = qcow2_check(qt_path("run.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && !r.leaks && !r.corruptions, "closed: no leaks, no corruption");
	ret = qcow2_check(qt_path("run-crash.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && r.leaks > 100 && !r.corruptions, "left open: the reserved run leaks (%llu "
	   "clusters), nothing is corrupt", (unsigned long long)r.leaks);
	if (qt_have_qemu)
		is_int(qt_qemu_check("run-crash.qcow2"), 3, "qemu-img check agrees: leaks only");
	b = qt_open(qt_path("run-crash.qcow2"), false);
	if (!b)
		return;
	ok(run_reads_back(b, buf), "the copy reads back every flushed write");
	blk_close(b);
	ret = qcow2_check(qt_path("run-crash.qcow2"), false, &r, err, sizeof(err));
	ok(!ret && !r.leaks && !r.corruptions, "reopened (refcounts rebuilt) and closed: clean");
}

/* Does a separate read-only open of `name` see `want` (64 KiB) at `off`? */
static bool other_sees(const char *name, uint64_t off, const uint8_t *want)
{
	struct blk *r = qt_open(qt_path(name), true);
	uint8_t got[65536];
	bool same = r && !blk_pread(r, off, got, sizeof(got)) && !memcmp(got, want, sizeof(got));

	blk_close(r);
	return same;
}

/*
 * Write-back is real, and every path that hands the file to someone else writes it back
 * first: a flush, the snapshot hook, blk_switch (the old image) and close.
 */
static void test_writeback_paths(void)
{
	static const uint8_t zero[65536];
	uint8_t buf[65536];
	char err[512];
	struct blk *b;
	int ret;

	qt_sh("rm -f wb.qcow2 wb-top.qcow2");
	qcow2_create(qt_path("wb.qcow2"), 8 * MIB, NULL, NULL, 65536, err, sizeof(err));
	b = qt_open(qt_path("wb.qcow2"), false);
	if (!b)
		return;
	qt_fill(buf, sizeof(buf), 31);
	blk_pwrite(b, 1 * MIB, buf, sizeof(buf));
	ok(other_sees("wb.qcow2", 1 * MIB, zero), "before a flush the file still maps the old "
	   "contents (the L2 entry is only in memory)");
	blk_flush(b);
	ok(other_sees("wb.qcow2", 1 * MIB, buf), "after the flush it maps the new data");
	qt_fill(buf, sizeof(buf), 32);
	blk_pwrite(b, 2 * MIB, buf, sizeof(buf));
	ret = blk_snapshot(b, qt_path("wb-top.qcow2"), err, sizeof(err));
	ok(!ret && other_sees("wb.qcow2", 2 * MIB, buf), "the snapshot hook writes back first");
	qt_fill(buf, sizeof(buf), 33);
	blk_pwrite(b, 3 * MIB, buf, sizeof(buf));
	ret = blk_switch(b, qt_path("wb-top.qcow2"), err, sizeof(err));
	ok(!ret && other_sees("wb.qcow2", 3 * MIB, buf), "blk_switch writes the old image back");
	qt_fill(buf, sizeof(buf), 34);
	blk_pwrite(b, 4 * MIB, buf, sizeof(buf));
	blk_close(b);
	ok(other_sees("wb-top.qcow2", 4 * MIB, buf), "close writes back");
	if (qt_have_qemu)
		ok(!qt_qemu_check("wb.qcow2") && !qt_qemu_check("wb-top.qcow2"),
		   "qemu-img check: both clean");
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1234567;
	struct model_cfg cfgs[] = {
		{ 4096, 16, 2500, false, false },
		{ 65536, 1, 2500, true, false },
		{ 2 * MIB, 64, 600, false, false },
		{ 65536, 16, 700, true, true },
	};

	qt_setup("qcow2-model");
	for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		test_model(&cfgs[i], seed + i);
	test_threads(false);
	test_threads(true);
	test_crash();
	test_sync_cost();
	test_reserved_run();
	test_writeback_paths();
	return tap_done();
}
