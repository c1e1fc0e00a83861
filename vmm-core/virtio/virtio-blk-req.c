// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk requests (virtio 1.2 §5.2.6): parse a chain, submit its I/O, finish it. */
#include "virtio-blk-private.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * The status byte is the last writable byte, so used.len must reach it (§2.7.8.3: a driver
 * may not trust bytes past len). Bytes the request did not fill (a failed read, a short
 * GET_ID) are zeroed so the whole length is defined.
 */
void vblk_finish(struct virtq *vq, uint16_t head, const struct iovec *wiov, unsigned nwrite,
		 uint32_t write_len, uint32_t written, uint8_t st)
{
	struct virtq_elem e = { .head = head, .write_len = write_len };

	if (written < write_len - 1)
		iov_zero(wiov, nwrite, written, write_len - 1 - written);
	iov_from_buf(wiov, nwrite, write_len - 1, &st, 1);
	virtq_push(vq, &e, write_len);
}

void vblk_finish_now(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		     uint32_t written, uint8_t st)
{
	vblk_finish(virtio_queue(&vb->vdev, q), e->head, e->iov + e->nread, e->nwrite,
		    e->write_len, written, st);
}

/* Block-layer thread. A stable write (§5.2.6.2, no FLUSH) goes on as a flush of itself. */
static void req_done(struct blk_req *br, int ret)
{
	struct vblk_req *r = br->opaque;
	struct virtio_blk *vb = r->vb;
	const char *what = br->op == BLK_OP_READ ? "read" : br->op == BLK_OP_WRITE ? "write" :
			   "flush";

	if (!ret && br->op == BLK_OP_WRITE && r->stable) {
		br->op = BLK_OP_FLUSH;
		if (!blk_submit(vb->blk, br))
			return;
		ret = -EIO;
	}
	if (!ret && br->op == BLK_OP_READ)
		r->written = r->write_len - 1;
	r->status = vblk_io_status(vb, ret, what);
	vblk_complete(vb, r);
}

struct vblk_req *vblk_req_new(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
			      unsigned ndata, unsigned nseg)
{
	size_t niov = (size_t)e->nwrite + ndata;
	struct vblk_req *r = malloc(sizeof(*r) + sizeof(struct iovec) * niov +
				    sizeof(struct vblk_seg) * nseg);

	if (!r)
		return NULL;
	*r = (struct vblk_req){
		.vb = vb, .queue = (uint16_t)q, .head = e->head, .write_len = e->write_len,
		.nwrite = e->nwrite, .wiov = r->iov, .nseg = nseg,
		.segs = nseg ? (struct vblk_seg *)(r->iov + niov) : NULL,
		.stable = !virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_FLUSH),
	};
	memcpy(r->iov, e->iov + e->nread, sizeof(struct iovec) * e->nwrite);
	r->breq.done = req_done;
	r->breq.opaque = r;
	return r;
}

/* The caller answers IOERR when this returns false. */
bool vblk_req_submit(struct virtio_blk *vb, struct vblk_req *r)
{
	int ret = blk_submit(vb->blk, &r->breq);

	if (ret) {
		vblk_io_status(vb, ret, "submit");
		free(r);
		return false;
	}
	vb->inflight[r->queue]++;
	return true;
}

/* Checks as §5.2.6.2 wants them; VIRTIO_BLK_S_OK when the request may go ahead. */
static uint8_t rw_check(struct virtio_blk *vb, uint64_t sector, uint32_t len, bool write)
{
	if (len % VBLK_SECTOR) {
		vblk_guest_error(vb, "%s of %u bytes, not whole sectors", write ? "write" : "read",
				 len);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!vblk_range_ok(vb, sector, len / VBLK_SECTOR)) {
		vblk_guest_error(vb, "%s of sectors %llu+%u past the end (%llu)",
				 write ? "write" : "read", (unsigned long long)sector,
				 len / VBLK_SECTOR, (unsigned long long)vb->sectors);
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && vb->read_only)
		return VIRTIO_BLK_S_IOERR;	/* §5.2.6.2: and nothing is written */
	return VIRTIO_BLK_S_OK;
}

/* IN and OUT: the data follows the header (OUT) or precedes the status byte (IN). */
static void do_rw(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		  uint64_t sector, bool write)
{
	uint32_t len = write ? e->read_len - VBLK_HDR_LEN : e->write_len - 1;
	unsigned max = write ? e->nread : e->nwrite;
	uint8_t st = rw_check(vb, sector, len, write);
	struct vblk_req *r;
	int n;

	if (st != VIRTIO_BLK_S_OK || !len) {	/* nothing to transfer: done */
		vblk_finish_now(vb, q, e, 0, st);
		return;
	}
	r = vblk_req_new(vb, q, e, max, 0);
	if (!r) {
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (write)
		n = iov_slice(e->iov, e->nread, VBLK_HDR_LEN, len, r->iov + e->nwrite, max);
	else
		n = iov_slice(e->iov + e->nread, e->nwrite, 0, len, r->iov + e->nwrite, max);
	if (n < 0) {
		free(r);
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
		return;
	}
	r->breq.op = write ? BLK_OP_WRITE : BLK_OP_READ;
	r->breq.off = sector * VBLK_SECTOR;
	r->breq.iov = r->iov + e->nwrite;
	r->breq.iovcnt = n;
	if (!vblk_req_submit(vb, r))
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
}

/* §5.2.6.2: a flush covers every write completed (used) before it was made available. */
static void do_flush(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e)
{
	struct vblk_req *r = vblk_req_new(vb, q, e, 0, 0);

	if (r) {
		r->breq.op = BLK_OP_FLUSH;
		r->stable = false;
		if (vblk_req_submit(vb, r))
			return;
	}
	vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
}

/* GET_ID: a 20-byte string, NUL-padded when shorter (§5.2.6). */
static void do_get_id(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e)
{
	uint32_t len = e->write_len - 1, written;

	if (len > VIRTIO_BLK_ID_BYTES)
		len = VIRTIO_BLK_ID_BYTES;
	written = (uint32_t)iov_from_buf(e->iov + e->nread, e->nwrite, 0, vb->serial, len);
	vblk_finish_now(vb, q, e, written, VIRTIO_BLK_S_OK);
}

static void do_request(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		       uint32_t type, uint64_t sector)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		do_rw(vb, q, e, sector, type == VIRTIO_BLK_T_OUT);
		return;
	case VIRTIO_BLK_T_FLUSH:
		do_flush(vb, q, e);
		return;
	case VIRTIO_BLK_T_GET_ID:
		do_get_id(vb, q, e);
		return;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		vblk_serve_dwz(vb, q, e, type == VIRTIO_BLK_T_WRITE_ZEROES);
		return;
	default:
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_UNSUPP);
	}
}

/*
 * §5.2.6: a 16-byte header at the start of the device-readable part, the status byte at the
 * end of the device-writable part, with no assumption about how descriptors frame them. A
 * chain with no writable byte cannot carry a status: it is returned untouched.
 */
void vblk_serve(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e)
{
	uint8_t raw[VBLK_HDR_LEN];
	uint32_t type;
	uint64_t sector;

	if (!e->write_len) {
		vblk_guest_error(vb, "request without a device-writable status byte");
		virtq_push(virtio_queue(&vb->vdev, q), e, 0);
		return;
	}
	if (e->read_len < VBLK_HDR_LEN) {
		vblk_guest_error(vb, "request header of %u bytes", e->read_len);
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
		return;
	}
	iov_to_buf(e->iov, e->nread, 0, raw, VBLK_HDR_LEN);
	memcpy(&type, raw, 4);
	memcpy(&sector, raw + 8, 8);
	do_request(vb, q, e, le32toh(type), le64toh(sector));
}
