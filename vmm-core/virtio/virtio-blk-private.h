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

/* One discard / write-zeroes segment (§5.2.6.2), checked and in bytes. */
struct vblk_seg {
	uint64_t off, len;
	bool unmap;			/* VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP */
};

/*
 * One request handed to the block layer. Everything its completion needs is copied here
 * at pop time (the queue's iov array is reused by the next pop): the head, the writable
 * part of the chain (for the status byte at its end) and the data slice, or a discard's or
 * write-zeroes' segments.
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
	/* Discard / write-zeroes (virtio-blk-dwz.c): segs[seg] is the one in the block layer. */
	bool zeroes;
	unsigned nseg, seg;
	struct vblk_seg *segs;		/* after iov[], in the same allocation */
	struct iovec iov[];		/* writable part, then the data slice */
};

/* virtio-blk-req.c: serve one popped chain (vdev->lock held, I/O loop). */
void vblk_serve(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e);
/* Zero what the request did not fill, write the status byte, push the used element. */
void vblk_finish(struct virtq *vq, uint16_t head, const struct iovec *wiov, unsigned nwrite,
		 uint32_t write_len, uint32_t written, uint8_t st);
/* vblk_finish for a chain answered at once, without a request slot (vdev->lock held). */
void vblk_finish_now(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		     uint32_t written, uint8_t st);
/*
 * A request slot for chain e with the writable part copied, room for `ndata` data entries
 * and `nseg` discard / write-zeroes segments; NULL without memory. Then fill breq and hand
 * it over with vblk_req_submit: false (r freed) if the block layer refused it.
 */
struct vblk_req *vblk_req_new(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
			      unsigned ndata, unsigned nseg);
bool vblk_req_submit(struct virtio_blk *vb, struct vblk_req *r);
uint8_t vblk_io_status(struct virtio_blk *vb, int ret, const char *what);

/* virtio-blk-dwz.c: check a discard / write-zeroes chain, then submit or answer it. */
void vblk_serve_dwz(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		    bool zeroes);

/* virtio-blk.c: a block-layer thread's completed request, for the I/O loop. */
void vblk_complete(struct virtio_blk *vb, struct vblk_req *r);

#endif
