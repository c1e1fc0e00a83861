/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by virtio-blk.c (device, queues, completions) and virtio-blk-req.c. */
#ifndef VMM_VIRTIO_BLK_PRIVATE_H
#define VMM_VIRTIO_BLK_PRIVATE_H

#include "block/blk-aio.h"
#include "virtio-blk.h"

#define VBLK_SECTOR		512u
#define VBLK_HDR_LEN		16u	/* struct virtio_blk_req: type, reserved, sector */

#define vblk_guest_error(vb, fmt, ...) do {					\
	if ((vb)->vdev.host.log)						\
		vmm_guest_error((vb)->vdev.host.log, "%s: " fmt, (vb)->vdev.name,	\
				##__VA_ARGS__);					\
} while (0)

/* Overflow-safe: sectors [sector, sector + n) lie inside the disk. */
static inline bool vblk_range_ok(const struct virtio_blk *vb, uint64_t sector, uint64_t n)
{
	return sector <= vb->sectors && n <= vb->sectors - sector;
}

/*
 * One request handed to the block layer. Everything its completion needs is copied here
 * at pop time (the queue's iov array is reused by the next pop): the head, the writable
 * part of the chain (for the status byte at its end) and the data slice.
 */
struct vblk_req {
	struct blk_req breq;
	struct virtio_blk *vb;
	struct vblk_req *next;		/* on vb's completion list */
	uint16_t queue, head;
	bool stable;			/* no FLUSH negotiated: a write is flushed before done */
	uint8_t status;
	uint32_t write_len;		/* bytes in the writable part (status byte last) */
	uint32_t written;		/* data bytes the device wrote (a read's length) */
	unsigned nwrite;
	struct iovec *wiov;		/* the writable part: iov[0, nwrite) */
	struct iovec iov[];		/* writable part, then the data slice */
};

/* virtio-blk-req.c: serve one popped chain (vdev->lock held, I/O loop). */
void vblk_serve(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e);
/* Zero what the request did not fill, write the status byte, push the used element. */
void vblk_finish(struct virtq *vq, uint16_t head, const struct iovec *wiov, unsigned nwrite,
		 uint32_t write_len, uint32_t written, uint8_t st);
/* Synchronous discard / write-zeroes (virtio-blk-dwz.c): the status. */
uint8_t vblk_do_dwz(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes);
uint8_t vblk_io_status(struct virtio_blk *vb, int ret, const char *what);

/* virtio-blk.c: a block-layer thread's completed request, for the I/O loop. */
void vblk_complete(struct virtio_blk *vb, struct vblk_req *r);

#endif
