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

/* The crash test: a child writes, acknowledging each write through a pipe, and is killed. */
struct crash_op {
	uint64_t off, len, seed;
	bool zero;
};

static struct crash_op crash_op(uint64_t *s, unsigned k)
{
	struct crash_op o;

	o.off = qt_rand(s) % DISK;
	o.len = 1 + qt_rand(s) % (200 * KIB);
	if (o.len > DISK - o.off)
		o.len = DISK - o.off;
	o.zero = qt_rand(s) % 8 == 0;
	o.seed = (uint64_t)k * 7919 + 1;
	return o;
}

static void crash_child(int wfd, uint64_t seed, unsigned first)
{
	struct blk *b = qt_open(qt_path("crash.qcow2"), false);
	uint8_t *buf = malloc(200 * KIB);

	for (unsigned k = 0; b; k++) {
		struct crash_op o = crash_op(&seed, k);
		int ret;

		if (k < first)
			continue;	/* replay the sequence up to where the last child stopped */
		qt_fill(buf, o.len, o.seed);
		ret = o.zero ? blk_write_zeroes(b, o.off, o.len) : blk_pwrite(b, o.off, buf, o.len);
		if (ret || write(wfd, &k, sizeof(k)) != sizeof(k))
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

/* Each byte holds the model's value, or the in-flight write's (it may have landed). */
static bool verify_crash(struct blk *b, const uint8_t *m, const struct crash_op *inflight,
			 uint8_t *buf)
{
	uint8_t *disk = malloc(DISK), *alt = calloc(1, inflight->len);
	bool good = b && !blk_pread(b, 0, disk, DISK);

	if (!inflight->zero)
		qt_fill(alt, inflight->len, inflight->seed);
	for (uint64_t i = 0; good && i < DISK; i++) {
		bool in = i >= inflight->off && i - inflight->off < inflight->len;

		if (disk[i] != m[i] && !(in && disk[i] == alt[i - inflight->off])) {
			printf("# byte %llu: %02x, expected %02x\n", (unsigned long long)i, disk[i], m[i]);
			good = false;
		}
	}
	free(disk);
	free(alt);
	return good;
}

static unsigned crash_round(uint64_t seed, unsigned first, uint8_t *m, uint8_t *buf,
			    unsigned delay_ms, struct crash_op *inflight)
{
	int p[2];
	unsigned k, acked = first;
	uint64_t s = seed;
	pid_t pid;

	if (pipe(p))
		return first;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		crash_child(p[1], seed, first);
	}
	close(p[1]);
	usleep(delay_ms * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (read(p[0], &k, sizeof(k)) == sizeof(k))
		acked = k + 1;
	close(p[0]);
	for (k = 0; k <= acked; k++) {	/* regenerate the child's sequence */
		struct crash_op o = crash_op(&s, k);

		if (k >= first && k < acked)
			apply(m, &o, buf);
		if (k == acked)
			*inflight = o;
	}
	return acked;
}

static void test_crash(void)
{
	uint8_t *m = malloc(DISK), *buf = malloc(200 * KIB);
	uint64_t seed = 20261122, delays = 99;	/* the op sequence, the kill times */
	unsigned acked = 0, rounds = 6, clean = 0, verified = 0;
	char err[512];

	qt_fill(m, DISK, 4242);
	qt_write_file(qt_path("cbase.raw"), m, DISK);
	qcow2_create(qt_path("crash.qcow2"), 0, "cbase.raw", "raw", 65536, err, sizeof(err));
	for (unsigned r = 0; r < rounds; r++) {
		struct crash_op inflight = { 0 };
		struct blk *b;
		unsigned prev = acked;
		int chk;

		acked = crash_round(seed, acked, m, buf, 60 + (unsigned)(qt_rand(&delays) % 300),
				    &inflight);
		chk = qt_have_qemu ? qt_qemu_check("crash.qcow2") : 0;
		clean += chk == 0 || chk == 3;
		printf("# round %u: %u writes acknowledged, qemu-img check %d\n", r, acked - prev,
		       chk);
		b = qt_open(qt_path("crash.qcow2"), true);
		verified += verify_crash(b, m, &inflight, buf);
		blk_close(b);
		/* The in-flight write is redone by the next child, which replays from `acked`. */
	}
	is_int(clean, rounds, "after every SIGKILL qemu-img check finds no corruption");
	is_int(verified, rounds, "every acknowledged write reads back after every SIGKILL");
	ok(acked > rounds, "the children made progress (%u writes)", acked);
	free(m);
	free(buf);
}

/* 200 allocating 64 KiB writes to a new image (over `backing` if given); the syncs made. */
static uint64_t sync_run(bool ordered, const char *backing, double *ms)
{
	uint8_t buf[65536];
	struct qcow2_stats st;
	char err[512];
	struct blk *b;
	double t0;

	qt_fill(buf, sizeof(buf), 1);
	qt_sh("rm -f cost.qcow2");
	qcow2_create(qt_path("cost.qcow2"), 64 * MIB, backing, backing ? "qcow2" : NULL, 65536,
		     err, sizeof(err));
	b = qt_open(qt_path("cost.qcow2"), false);
	if (!b)
		return 0;
	set_ordered(b, ordered);
	t0 = now_ms();
	for (unsigned i = 0; i < 200; i++)
		blk_pwrite(b, (uint64_t)i * 65536 * 3 % (64 * MIB) + 512, buf, 4096);
	*ms = now_ms() - t0;
	qcow2_get_stats(b, &st);
	blk_close(b);
	return st.syncs;
}

/*
 * What the ordering barriers cost. Clusters are reserved in runs (one barrier per run), and
 * a write to a cluster that read as zeros needs no barrier between its data and its L2
 * entry; over a backing file it does (the cluster's old contents must not turn to zeros).
 */
static void test_sync_cost(void)
{
	uint64_t fresh[2], over;
	double t[3];
	char err[512];

	fresh[1] = sync_run(true, NULL, &t[1]);
	fresh[0] = sync_run(false, NULL, &t[0]);
	qt_sh("rm -f cost-base.qcow2");
	qcow2_create(qt_path("cost-base.qcow2"), 64 * MIB, NULL, NULL, 65536, err, sizeof(err));
	over = sync_run(true, qt_path("cost-base.qcow2"), &t[2]);
	printf("# 200 allocating 4 KiB writes: %.1f ms ordered (%llu fdatasyncs), %.1f ms "
	       "unordered (%llu), %.1f ms ordered over a backing file (%llu)\n", t[1],
	       (unsigned long long)fresh[1], t[0], (unsigned long long)fresh[0], t[2],
	       (unsigned long long)over);
	ok(fresh[1] >= 1 && fresh[1] < 20 && fresh[0] < 5, "fresh clusters: a few barriers for "
	   "200 allocations (%llu), none unordered", (unsigned long long)fresh[1]);
	ok(over >= 200, "over a backing file every allocation still has its barrier (%llu)",
	   (unsigned long long)over);
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
	return tap_done();
}
