// SPDX-License-Identifier: GPL-2.0-or-later
/* Block-layer benchmark: the same request streams as `qemu-img bench`, through our drivers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"

/*
 * Usage: blk-bench FILE read|write COUNT SIZE STEP [DEPTH]
 * Requests of SIZE bytes at offsets 0, STEP, 2*STEP, ... wrapping at the image size, as
 * `qemu-img bench -c COUNT -s SIZE -S STEP` issues them (a prime STEP scatters them). Queue
 * depth 1: each request waits for the previous (the block layer is synchronous today; a
 * deeper queue would be threads, which this tool does not fake). Prints MiB/s and IOPS.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct blk_open_opts o = { 0 };
	struct blk *b;
	char err[256];
	unsigned long count, size, step;
	bool write;
	uint64_t off = 0;
	void *buf;
	double t0, t;

	if (argc < 6) {
		fprintf(stderr, "usage: blk-bench FILE read|write COUNT SIZE STEP\n");
		return 64;
	}
	write = !strcmp(argv[2], "write");
	count = strtoul(argv[3], NULL, 0);
	size = strtoul(argv[4], NULL, 0);
	step = strtoul(argv[5], NULL, 0);
	o.read_only = !write;
	if (blk_open(argv[1], &o, &b, err, sizeof(err))) {
		fprintf(stderr, "blk-bench: %s\n", err);
		return 1;
	}
	if (posix_memalign(&buf, 4096, size))
		return 1;
	memset(buf, 0x5a, size);
	t0 = now_s();
	for (unsigned long i = 0; i < count; i++) {
		int ret = write ? blk_pwrite(b, off, buf, size) : blk_pread(b, off, buf, size);

		if (ret) {
			fprintf(stderr, "blk-bench: request %lu at %llu: %s\n", i,
				(unsigned long long)off, strerror(-ret));
			return 1;
		}
		off += step;
		if (off + size > b->size)
			off %= b->size - size + 1;
		off &= ~(uint64_t)511;
	}
	if (write)
		blk_flush(b);
	t = now_s() - t0;
	printf("%s %lu x %lu B in %.3f s: %.1f MiB/s, %.0f IOPS\n", argv[2], count, size, t,
	       count * (double)size / t / (1 << 20), count / t);
	blk_close(b);
	free(buf);
	return 0;
}
