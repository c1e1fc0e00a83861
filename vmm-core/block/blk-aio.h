/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous block requests: submit now, a completion callback later, drain to wait. */
#ifndef VMM_BLK_AIO_H
#define VMM_BLK_AIO_H

#include "block.h"

enum blk_op {
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
	BLK_OP_DISCARD,
	BLK_OP_WRITE_ZEROES,
};

/*
 * One request. The caller owns the memory and fills everything above `done` (and `opaque`);
 * it must stay valid, unmoved and untouched (iov array and buffers included) until done()
 * runs. Reads and writes take their length from the iovec; discard and write-zeroes use
 * len; flush uses neither.
 */
struct blk_req {
	enum blk_op op;
	uint64_t off;
	uint64_t len;
	const struct iovec *iov;
	int iovcnt;
	/* ret is what the synchronous entry point (blk_preadv, blk_flush, ...) would return:
	 * 0 or -errno, range and read-only checks included. */
	void (*done)(struct blk_req *req, int ret);
	void *opaque;
	struct blk_req *next;	/* the block layer's, while queued */
};

/*
 * Queue req on b. 0: done() will be called exactly once, on a block-layer thread, never
 * from inside blk_submit(); after done() returns the block layer does not touch req again.
 * -errno: req was not accepted (no thread or memory) and done() will not be called.
 *
 * Ordering: requests may complete in any order. A flush covers every write that completed
 * (done() called) before the flush was submitted; writes still in flight when it is
 * submitted may or may not be covered — the volatile write cache contract of virtio 1.2
 * §5.2.6.2 and ATA FLUSH CACHE. A caller that needs a write on disk waits for its done()
 * and then submits a flush.
 *
 * Safe from any thread. done() may call blk_submit() but never blk_drain() or blk_close().
 */
int blk_submit(struct blk *b, struct blk_req *req);

/* Wait until every request submitted to b so far has had its done() return. */
void blk_drain(struct blk *b);

/*
 * Requests run on up to n worker threads per struct blk (default BLK_AIO_DEFAULT_WORKERS),
 * started as requests arrive and stopped by blk_close(). Lowering n does not stop threads
 * already started. 0, or -EINVAL for n outside 1..BLK_AIO_MAX_WORKERS, -ENOMEM.
 */
#define BLK_AIO_DEFAULT_WORKERS	4
#define BLK_AIO_MAX_WORKERS	64
int blk_aio_set_workers(struct blk *b, unsigned n);

#endif
