// SPDX-License-Identifier: GPL-2.0-or-later
/* Block-layer benchmark: the same request streams as `qemu-img bench`, through our drivers. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"

/*
 * Usage: blk-bench FILE read|write COUNT SIZE STEP [DEPTH]
 * Requests of SIZE bytes at offsets 0, STEP, 2*STEP, ... wrapping at the image size, as
 * `qemu-img bench -c COUNT -s SIZE -S STEP -d DEPTH` issues them (a prime STEP scatters
 * them). The block layer is synchronous, so a queue depth of DEPTH is DEPTH threads, each
 * taking the next request of the stream when its last one completes (default 1: one
 * request at a time). Writes end with a flush, inside the timing. Prints MiB/s and IOPS.
 */
struct bench {
	struct blk *b;
	bool write;
	unsigned long count, size, step;
	uint64_t *off;			/* request i goes to off[i] */
	unsigned long next;		/* the next request index (atomic) */
	int err;
};

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

static void *worker(void *arg)
{
	struct bench *w = arg;
	void *buf;

	if (posix_memalign(&buf, 4096, w->size))
		return NULL;
	memset(buf, 0x5a, w->size);
	for (;;) {
		unsigned long i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
		uint64_t off;
		int ret;

		if (i >= w->count || __atomic_load_n(&w->err, __ATOMIC_RELAXED))
			break;
		off = w->off[i];
		ret = w->write ? blk_pwrite(w->b, off, buf, w->size)
			       : blk_pread(w->b, off, buf, w->size);
		if (ret) {
			fprintf(stderr, "blk-bench: request %lu at %llu: %s\n", i,
				(unsigned long long)off, strerror(-ret));
			__atomic_store_n(&w->err, ret, __ATOMIC_RELAXED);
			break;
		}
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct blk_open_opts o = { 0 };
	struct bench w = { 0 };
	pthread_t th[256];
	unsigned depth;
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
	if (w.size > w.b->size || !(w.off = offsets(&w))) {
		fprintf(stderr, "blk-bench: requests larger than the image, or no memory\n");
		return 1;
	}
	t0 = now_s();
	for (unsigned i = 0; i < depth; i++)
		pthread_create(&th[i], NULL, worker, &w);
	for (unsigned i = 0; i < depth; i++)
		pthread_join(th[i], NULL);
	if (w.write && !w.err)
		w.err = blk_flush(w.b);
	t = now_s() - t0;
	blk_close(w.b);
	free(w.off);
	if (w.err)
		return 1;
	printf("%s %lu x %lu B, depth %u, in %.3f s: %.1f MiB/s, %.0f IOPS\n", argv[2], w.count,
	       w.size, depth, t, w.count * (double)w.size / t / (1 << 20), w.count / t);
	return 0;
}
