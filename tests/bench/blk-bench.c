// SPDX-License-Identifier: GPL-2.0-or-later
/* Block-layer benchmark: the same request streams as `qemu-img bench`, through our drivers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/blk-aio.h"

/*
 * Usage: blk-bench FILE read|write COUNT SIZE STEP [DEPTH]
 * Requests of SIZE bytes at offsets 0, STEP, 2*STEP, ... wrapping at the image size, as
 * `qemu-img bench -c COUNT -s SIZE -S STEP -d DEPTH` issues them (a prime STEP scatters
 * them). A queue depth of DEPTH > 1 keeps DEPTH requests in flight through blk_submit()
 * (blk-aio.h) from this one thread, each completion submitting the next request of the
 * stream, as qemu-img bench does with its AIO; depth 1 (the default) is one synchronous
 * request at a time. Writes end with a flush, inside the timing. Prints MiB/s and IOPS.
 * BLK_BENCH_WORKERS=N in the environment sets the block layer's worker threads per image
 * (blk_aio_set_workers) to measure the pool size.
 *
 * Buffers: every request in flight reads into (or writes from) the same SIZE bytes, because
 * that is what qemu-img bench does: it allocates DEPTH buffers but hands its first
 * QEMUIOVector to every request (bench_cb passes b->qiov: 7.2, installed here, and 2025's
 * source alike). At 1 MiB x QD32 that is a 1 MiB destination that stays in the CPU's caches
 * against 32 MiB that does not: 1.3-1.5x in MiB per CPU-second for reads on this machine.
 * BLK_BENCH_DISTINCT_BUFFERS=1 gives each request slot its own buffer instead (what a guest
 * does, and qemu-img bench cannot), to see that cost. Concurrent reads into one buffer race
 * on its contents; nothing looks at them.
 */
struct bench {
	struct blk *b;
	bool write;
	unsigned long count, size, step;
	uint64_t *off;			/* request i goes to off[i] */
	unsigned long next;		/* the next request index (atomic) */
	int err;
};

static void bench_fail(struct bench *w, unsigned long i, int ret)
{
	fprintf(stderr, "blk-bench: request %lu at %llu: %s\n", i,
		(unsigned long long)w->off[i], strerror(-ret));
	__atomic_store_n(&w->err, ret, __ATOMIC_RELAXED);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The offsets, in order: STEP on each time, wrapped as qemu-img bench wraps them. */
static uint64_t *offsets(const struct bench *w)
{
	uint64_t *v = malloc(sizeof(*v) * (w->count ? w->count : 1)), off = 0;

	for (unsigned long i = 0; v && i < w->count; i++) {
		v[i] = off;
		off += w->step;
		if (off + w->size > w->b->size)
			off %= w->b->size - w->size + 1;
		off &= ~(uint64_t)511;
	}
	return v;
}

/* One of DEPTH request slots: each completion takes the next request of the stream. */
struct slot {
	struct blk_req req;
	struct iovec iov;
	struct bench *w;
	unsigned long i;
};

/* Depth 1: one synchronous request at a time. */
static void run_sync(struct bench *w, void *buf)
{
	for (unsigned long i = 0; i < w->count && !w->err; i++) {
		int ret = w->write ? blk_pwrite(w->b, w->off[i], buf, w->size)
				   : blk_pread(w->b, w->off[i], buf, w->size);

		if (ret)
			bench_fail(w, i, ret);
	}
}

static void slots_free(struct slot *s, unsigned n)
{
	for (unsigned k = 0; s && k < n; k++)
		if (!k || s[k].iov.iov_base != s[0].iov.iov_base)
			free(s[k].iov.iov_base);
	free(s);
}

static bool slot_next(struct slot *s)
{
	struct bench *w = s->w;

	s->i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
	if (s->i >= w->count || __atomic_load_n(&w->err, __ATOMIC_RELAXED))
		return false;
	s->req.off = w->off[s->i];
	return true;
}

/* done(): resubmitting from here keeps the block layer's pending count above zero until
 * the stream ends, so blk_drain() in main waits for exactly the whole run. */
static void slot_done(struct blk_req *req, int ret)
{
	struct slot *s = req->opaque;

	if (ret)
		bench_fail(s->w, s->i, ret);
	if (!slot_next(s))
		return;
	ret = blk_submit(s->w->b, &s->req);
	if (ret)
		bench_fail(s->w, s->i, ret);
}

/* DEPTH request slots and their buffer (one shared, or one each when `distinct`), made and
 * touched before the timing starts, as qemu-img bench allocates its buffers up front.
 * NULL: no memory. */
static struct slot *slots_new(struct bench *w, unsigned depth, bool distinct)
{
	struct slot *s = calloc(depth, sizeof(*s));

	for (unsigned n = 0; s && n < depth; n++) {
		if (n && !distinct) {
			s[n].iov.iov_base = s[0].iov.iov_base;
		} else if (posix_memalign(&s[n].iov.iov_base, 4096, w->size)) {
			slots_free(s, n);
			return NULL;
		} else {
			memset(s[n].iov.iov_base, 0x5a, w->size);
		}
		s[n].iov.iov_len = w->size;
		s[n].w = w;
		s[n].req = (struct blk_req){ .op = w->write ? BLK_OP_WRITE : BLK_OP_READ,
					     .iov = &s[n].iov, .iovcnt = 1, .done = slot_done,
					     .opaque = &s[n] };
	}
	return s;
}

/* Depth > 1: DEPTH requests in flight through blk_submit, from this one thread. */
static void run_async(struct bench *w, struct slot *s, unsigned depth)
{
	for (unsigned k = 0; k < depth && slot_next(&s[k]); k++) {
		int ret = blk_submit(w->b, &s[k].req);

		if (ret)
			bench_fail(w, s[k].i, ret);
	}
	blk_drain(w->b);
}

int main(int argc, char **argv)
{
	struct blk_open_opts o = { 0 };
	struct bench w = { 0 };
	struct slot *slots;
	unsigned depth;
	bool distinct;
	char err[256];
	double t0, t;

	if (argc < 6) {
		fprintf(stderr, "usage: blk-bench FILE read|write COUNT SIZE STEP [DEPTH]\n");
		return 64;
	}
	w.write = !strcmp(argv[2], "write");
	w.count = strtoul(argv[3], NULL, 0);
	w.size = strtoul(argv[4], NULL, 0);
	w.step = strtoul(argv[5], NULL, 0);
	depth = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 0) : 1;
	if (!w.size || !depth || depth > 256) {
		fprintf(stderr, "blk-bench: SIZE must be > 0, DEPTH 1 to 256\n");
		return 64;
	}
	o.read_only = !w.write;
	if (blk_open(argv[1], &o, &w.b, err, sizeof(err))) {
		fprintf(stderr, "blk-bench: %s\n", err);
		return 1;
	}
	distinct = getenv("BLK_BENCH_DISTINCT_BUFFERS") != NULL;
	if (w.size > w.b->size || !(w.off = offsets(&w)) ||
	    !(slots = slots_new(&w, depth, distinct))) {
		fprintf(stderr, "blk-bench: requests larger than the image, or no memory\n");
		return 1;
	}
	if (getenv("BLK_BENCH_WORKERS") &&
	    blk_aio_set_workers(w.b, (unsigned)strtoul(getenv("BLK_BENCH_WORKERS"), NULL, 0))) {
		fprintf(stderr, "blk-bench: BLK_BENCH_WORKERS must be 1 to %d\n",
			BLK_AIO_MAX_WORKERS);
		return 64;
	}
	t0 = now_s();
	if (depth == 1)
		run_sync(&w, slots[0].iov.iov_base);
	else
		run_async(&w, slots, depth);
	if (w.write && !w.err)
		w.err = blk_flush(w.b);
	t = now_s() - t0;
	blk_close(w.b);
	free(w.off);
	slots_free(slots, depth);
	if (w.err)
		return 1;
	printf("%s %lu x %lu B, depth %u, in %.3f s: %.1f MiB/s, %.0f IOPS\n", argv[2], w.count,
	       w.size, depth, t, w.count * (double)w.size / t / (1 << 20), w.count / t);
	return 0;
}
