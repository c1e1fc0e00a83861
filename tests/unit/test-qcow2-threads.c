// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 allocating writes from 8 threads at once: overlapping clusters, COW, discards, a model. */
#include <pthread.h>

#include "block/qcow2-private.h"
#include "qcow2-test-util.h"
#include "tap.h"

#define DISK		(8 * MIB)
#define CS		(64 * KIB)
#define BASE_SIZE	(7 * MIB + 36 * KIB)	/* the backing file ends inside a cluster */
#define REGION_B	(4 * MIB)		/* [0, B): 4 KiB blocks; [B, DISK): cluster pairs */
#define BLOCK		(4 * KIB)
#define PAIR		(2 * CS)
#define NT		8
#define SECTOR		512
#define STAMP		0x5e55e15ec7057a3dull
#define OPS		250

/*
 * Who owns what. Region A: 4 KiB block k belongs to thread k % NT, so every cluster has
 * blocks of every thread (their allocating writes race for the same clusters). Region B:
 * pair of clusters p belongs to thread p % NT (writes spanning two clusters, discards and
 * write-zeroes of whole clusters, all deterministic because nobody else writes there).
 * Whatever thread reads whatever range, in the parts nobody wrote it must find the old
 * contents (backing file or zeros), never the zeros of a cluster linked before its COW.
 */
struct worker {
	struct blk *b;
	unsigned id;
	uint64_t seed;
	uint8_t *model;		/* shared; each thread updates only the bytes it owns */
	const uint8_t *base;	/* what the disk read before anything was written */
	int errors, torn, lost;
	uint8_t *buf, *rb;
};

/*
 * Written data checks itself word by word: each 8-byte word holds a tag of the write that
 * made it and a hash of (tag, guest address). Words, not sectors: a read racing an
 * in-place overwrite of the same sector may see part of each through the host page cache
 * (no disk promises more), but never a word from elsewhere, zeros or garbage.
 */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t word_for(uint32_t tag, uint64_t addr)
{
	return ((uint64_t)tag << 32) | (uint32_t)mix(addr ^ ((uint64_t)tag << 40) ^ STAMP);
}

static void stamp(uint8_t *p, uint64_t off, uint64_t len, uint32_t tag)
{
	for (uint64_t i = 0; i < len; i += 8) {
		uint64_t v = word_for(tag, off + i);

		memcpy(p + i, &v, 8);
	}
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* A word read while others write: old, zero where a discard may have run, or written. */
static bool word_ok(const struct worker *w, const uint8_t *p, uint64_t addr)
{
	uint64_t v, old;

	memcpy(&v, p, 8);
	memcpy(&old, w->base + addr, 8);
	if (v == old)
		return true;
	if (!v)
		return addr >= REGION_B;
	return v == word_for((uint32_t)(v >> 32), addr);
}

static void do_write(struct worker *w, uint64_t off, uint64_t len)
{
	stamp(w->buf, off, len, (uint32_t)qt_rand(&w->seed) | 1);
	if (blk_pwrite(w->b, off, w->buf, len)) {
		w->errors++;
		return;
	}
	memcpy(w->model + off, w->buf, len);
	if (blk_pread(w->b, off, w->rb, len) || memcmp(w->rb, w->buf, len))
		w->lost++;	/* our own bytes, which nobody else writes */
}

static void write_a(struct worker *w)
{
	uint64_t blocks = REGION_B / BLOCK / NT;
	uint64_t k = (qt_rand(&w->seed) % blocks) * NT + w->id;
	uint64_t s = qt_rand(&w->seed) % (BLOCK / SECTOR);
	uint64_t n = 1 + qt_rand(&w->seed) % (BLOCK / SECTOR - s);

	do_write(w, k * BLOCK + s * SECTOR, n * SECTOR);
}

static uint64_t my_pair(struct worker *w)
{
	uint64_t pairs = (DISK - REGION_B) / PAIR / NT;

	return REGION_B + ((qt_rand(&w->seed) % pairs) * NT + w->id) * PAIR;
}

static void write_b(struct worker *w)
{
	uint64_t p = my_pair(w), s = qt_rand(&w->seed) % (PAIR / SECTOR);
	uint64_t n = 1 + qt_rand(&w->seed) % (PAIR / SECTOR - s);

	do_write(w, p + s * SECTOR, n * SECTOR);
}

/* Discard one or both clusters of a pair, or write zeros over a sector range of it. */
static void zero_b(struct worker *w, bool discard)
{
	uint64_t p = my_pair(w), r = qt_rand(&w->seed), off, len;
	int ret;

	if (discard) {
		off = p + (r % 3 == 1 ? CS : 0);
		len = r % 3 ? CS : PAIR;
	} else {
		off = p + (r % (PAIR / SECTOR)) * SECTOR;
		len = (1 + (r >> 20) % ((p + PAIR - off) / SECTOR)) * SECTOR;
	}
	ret = discard ? blk_discard(w->b, off, len) : blk_write_zeroes(w->b, off, len);
	if (ret) {
		w->errors++;
		return;
	}
	memset(w->model + off, 0, len);
	if (blk_pread(w->b, off, w->rb, len) || !all_zero(w->rb, len))
		w->lost++;
}

/* Anyone's sectors, 4 to 96 KiB, while they are being written. */
static void read_any(struct worker *w)
{
	uint64_t len = (8 + qt_rand(&w->seed) % 185) * SECTOR;
	uint64_t off = (qt_rand(&w->seed) % ((DISK - len) / SECTOR + 1)) * SECTOR;

	if (blk_pread(w->b, off, w->rb, len)) {
		w->errors++;
		return;
	}
	for (uint64_t i = 0; i < len; i += 8) {
		if (word_ok(w, w->rb + i, off + i))
			continue;
		if (!w->torn)
			printf("# thread %u: word at 0x%llx is neither old nor written\n", w->id,
			       (unsigned long long)(off + i));
		w->torn++;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < OPS; i++) {
		unsigned op = (unsigned)(qt_rand(&w->seed) % 16);

		if (op < 6)
			write_a(w);
		else if (op < 9)
			write_b(w);
		else if (op < 11)
			zero_b(w, op == 9);
		else if (op < 15)
			read_any(w);
		else if (blk_flush(w->b))
			w->errors++;
	}
	return NULL;
}

static uint8_t *make_base(void)
{
	uint8_t *base = calloc(1, DISK);

	if (!base)
		return NULL;
	qt_fill(base, BASE_SIZE, 4242);
	if (qt_write_file(qt_path("base.raw"), base, BASE_SIZE)) {
		free(base);
		return NULL;
	}
	return base;
}

static int run_workers(struct blk *b, uint8_t *model, const uint8_t *base, uint64_t seed,
		       struct worker *w)
{
	pthread_t th[NT];
	int bad = 0;

	for (unsigned i = 0; i < NT; i++) {
		w[i] = (struct worker){ .b = b, .id = i, .seed = seed * 100 + i + 1,
					.model = model, .base = base };
		w[i].buf = malloc(PAIR);
		w[i].rb = malloc(PAIR);
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (unsigned i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		free(w[i].buf);
		free(w[i].rb);
		bad += w[i].errors + w[i].torn + w[i].lost;
	}
	return bad;
}

static void test_threads(bool ordered, uint64_t seed)
{
	struct qcow2_tuning t = { .ordered_writes = ordered };
	struct worker w[NT];
	struct qcow2_stats st;
	uint8_t *base = make_base(), *model = malloc(DISK);
	int errors = 0, torn = 0, lost = 0;
	char err[512];
	struct blk *b;

	qt_sh("rm -f t.qcow2 expected.raw");
	if (!base || !model ||
	    qcow2_create(qt_path("t.qcow2"), DISK, "base.raw", "raw", CS, err, sizeof(err)) ||
	    !(b = qt_open(qt_path("t.qcow2"), false))) {
		ok(0, "set-up (seed %llu)", (unsigned long long)seed);
		free(base);
		free(model);
		return;
	}
	qcow2_tune(b, &t);
	memcpy(model, base, DISK);
	run_workers(b, model, base, seed, w);
	for (unsigned i = 0; i < NT; i++) {
		errors += w[i].errors;
		torn += w[i].torn;
		lost += w[i].lost;
	}
	printf("# seed %llu, %s writes\n", (unsigned long long)seed,
	       ordered ? "ordered" : "unordered");
	is_int(errors, 0, "%d threads: no request failed", NT);
	is_int(lost, 0, "each thread reads back its own writes, discards and zeroes at once");
	is_int(torn, 0, "concurrent reads: every word old or written there, never zeros or misplaced");
	qcow2_get_stats(b, &st);
	printf("# allocating writes in flight at once: at most %u\n", st.inflight_peak);
	ok(qt_blk_equals(b, model, DISK), "the whole disk equals the model");
	blk_close(b);
	b = qt_open(qt_path("t.qcow2"), true);
	ok(b && qt_blk_equals(b, model, DISK), "reopened: still equal to the model");
	if (b)
		blk_close(b);
	if (!qt_have_qemu) {
		ok(1, "qemu-img check # SKIP qemu-img not installed");
		ok(1, "qemu-img compare # SKIP qemu-img not installed");
	} else {
		qt_write_file(qt_path("expected.raw"), model, DISK);
		is_int(qt_qemu_check("t.qcow2"), 0, "qemu-img check: no errors, no leaks");
		is_int(qt_sh("qemu-img compare -f qcow2 -F raw t.qcow2 expected.raw"), 0,
		       "qemu-img compare with the model");
	}
	free(base);
	free(model);
}

struct filler {
	struct blk *b;
	unsigned id;
	int errors;
};

/* 256 KiB writes into fresh clusters of our own 1 MiB. */
static void *filler_main(void *arg)
{
	struct filler *f = arg;
	uint8_t *buf = malloc(256 * KIB);

	if (!buf)
		return NULL;
	memset(buf, 0x40 + (int)f->id, 256 * KIB);
	for (uint64_t i = 0; i < 4; i++)
		f->errors += blk_pwrite(f->b, f->id * MIB + i * 256 * KIB, buf, 256 * KIB) != 0;
	free(buf);
	return NULL;
}

/* Allocating writes to different clusters overlap: two have had their data I/O in flight
 * at the same time (a few tries: 8 threads on a busy machine may happen to run in turn). */
static void test_overlap(void)
{
	unsigned peak = 0;
	int errors = 0;
	char err[512];

	for (unsigned round = 0; round < 5 && peak < 2; round++) {
		struct filler f[NT];
		pthread_t th[NT];
		struct qcow2_stats st;
		struct blk *b;

		qt_sh("rm -f o.qcow2");
		if (qcow2_create(qt_path("o.qcow2"), DISK, NULL, NULL, CS, err, sizeof(err)) ||
		    !(b = qt_open(qt_path("o.qcow2"), false)))
			break;
		for (unsigned i = 0; i < NT; i++) {
			f[i] = (struct filler){ .b = b, .id = i };
			pthread_create(&th[i], NULL, filler_main, &f[i]);
		}
		for (unsigned i = 0; i < NT; i++) {
			pthread_join(th[i], NULL);
			errors += f[i].errors;
		}
		qcow2_get_stats(b, &st);
		peak = st.inflight_peak;
		printf("# round %u: at most %u allocating writes in flight\n", round, peak);
		blk_close(b);
	}
	is_int(errors, 0, "fresh-cluster writers: no errors");
	ok(peak >= 2, "allocating writes to different clusters overlapped (peak %u)", peak);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;

	qt_setup("qcow2-threads");
	test_threads(true, seed);
	test_threads(false, seed + 1);
	test_overlap();
	return tap_done();
}
