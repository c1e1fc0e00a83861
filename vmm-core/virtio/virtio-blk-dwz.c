// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk discard and write-zeroes (virtio 1.2 §5.2.6.2): checked, then asynchronous. */
#include "virtio-blk-private.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define DWZ_SEG_LEN		16u	/* struct virtio_blk_discard_write_zeroes */

/* An image error is the host's problem; tell the user once, the guest every time. */
uint8_t vblk_io_status(struct virtio_blk *vb, int ret, const char *what)
{
	if (!ret)
		return VIRTIO_BLK_S_OK;
	if (!__atomic_fetch_add(&vb->host_errors, 1, __ATOMIC_RELAXED))
		vmm_warn("%s: %s of %s failed: %s (further errors are not reported)",
			 vb->vdev.name, what, vb->blk->path, strerror(-ret));
	return VIRTIO_BLK_S_IOERR;
}

/*
 * Copy and check every segment before acting on any (§5.2.6.2: reserved flags, unmap on a
 * discard, more segments than max_*_seg, sectors past the end, more than max_*_sectors).
 */
static uint8_t dwz_parse(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes,
			 struct vblk_seg *segs, unsigned *nseg)
{
	uint32_t len = e->read_len - VBLK_HDR_LEN;
	uint32_t known = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

	*nseg = len / DWZ_SEG_LEN;
	if (!len || len % DWZ_SEG_LEN || *nseg > VIRTIO_BLK_MAX_DWZ_SEG) {
		vblk_guest_error(vb, "%s request with %u bytes of segments",
				 zeroes ? "write-zeroes" : "discard", len);
		return VIRTIO_BLK_S_IOERR;
	}
	for (unsigned i = 0; i < *nseg; i++) {
		uint8_t raw[DWZ_SEG_LEN];
		uint64_t sector;
		uint32_t num, flags;

		iov_to_buf(e->iov, e->nread, VBLK_HDR_LEN + i * DWZ_SEG_LEN, raw, sizeof(raw));
		memcpy(&sector, raw, 8);
		memcpy(&num, raw + 8, 4);
		memcpy(&flags, raw + 12, 4);
		sector = le64toh(sector);
		num = le32toh(num);
		flags = le32toh(flags);
		if (flags & ~known)	/* unknown flags, or unmap on a discard */
			return VIRTIO_BLK_S_UNSUPP;
		if (num > VIRTIO_BLK_MAX_DWZ_SECTORS || !vblk_range_ok(vb, sector, num)) {
			vblk_guest_error(vb, "segment of sectors %llu+%u past the end or too long",
					 (unsigned long long)sector, num);
			return VIRTIO_BLK_S_IOERR;
		}
		segs[i] = (struct vblk_seg){
			.off = sector * VBLK_SECTOR, .len = (uint64_t)num * VBLK_SECTOR,
			.unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
		};
	}
	return VIRTIO_BLK_S_OK;
}

/* The block-layer request for segment r->seg: discard, or write zeroes. */
static void dwz_seg_op(struct vblk_req *r)
{
	const struct vblk_seg *s = &r->segs[r->seg];
	bool discard = !r->zeroes || (s->unmap && r->vb->can_unmap);

	r->breq.op = discard ? BLK_OP_DISCARD : BLK_OP_WRITE_ZEROES;
	r->breq.off = s->off;
	r->breq.len = s->len;
}

/*
 * What follows a step that returned 0: the next segment, then (no FLUSH negotiated) a flush,
 * since §5.2.6.2 wants a write stable when it completes. false: nothing left.
 */
static bool dwz_next(struct vblk_req *r)
{
	if (r->breq.op == BLK_OP_FLUSH)
		return false;
	if (++r->seg < r->nseg) {
		dwz_seg_op(r);
		return true;
	}
	if (!r->stable)
		return false;
	r->breq.op = BLK_OP_FLUSH;
	return true;
}

/*
 * Block-layer thread. The segments run one after another, each step submitted from the
 * previous one's done() (the block layer allows it, and its pending count never drops to
 * zero in between, so a drain waits for the whole request). Discard is advisory (§5.2.6.2
 * "MAY deallocate"): an image that cannot punch holes makes it a no-op, and an unmapping
 * write-zeroes falls back to writing zeros, which must read back.
 */
static void dwz_done(struct blk_req *br, int ret)
{
	struct vblk_req *r = br->opaque;
	struct virtio_blk *vb = r->vb;

	if (ret == -ENOTSUP && br->op == BLK_OP_DISCARD) {
		ret = 0;
		if (r->zeroes) {
			br->op = BLK_OP_WRITE_ZEROES;
			if (!blk_submit(vb->blk, br))
				return;
			ret = -EIO;
		}
	}
	if (!ret && dwz_next(r)) {
		if (!blk_submit(vb->blk, br))
			return;
		ret = -EIO;
	}
	r->status = vblk_io_status(vb, ret, r->zeroes ? "write-zeroes" : "discard");
	vblk_complete(vb, r);
}

/*
 * I/O loop, vdev->lock held. Every check (feature, segment count, flags, ranges, read-only)
 * is made here, before anything reaches the block layer; then the request runs there like
 * a write, completing out of order with the others (§5.2: requests are served "probably out
 * of order"; one in flight to the same sectors as a write is unordered with it) and
 * drained at pause, load, reset and teardown.
 */
void vblk_serve_dwz(struct virtio_blk *vb, unsigned q, const struct virtq_elem *e,
		    bool zeroes)
{
	struct vblk_seg segs[VIRTIO_BLK_MAX_DWZ_SEG];
	struct vblk_req *r;
	unsigned nseg;
	uint8_t st = VIRTIO_BLK_S_UNSUPP;

	if (virtio_has_feature(&vb->vdev, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES :
						  VIRTIO_BLK_F_DISCARD))
		st = dwz_parse(vb, e, zeroes, segs, &nseg);
	if (st == VIRTIO_BLK_S_OK && vb->read_only)
		st = VIRTIO_BLK_S_IOERR;
	if (st != VIRTIO_BLK_S_OK) {
		vblk_finish_now(vb, q, e, 0, st);
		return;
	}
	r = vblk_req_new(vb, q, e, 0, nseg);
	if (!r) {
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
		return;
	}
	memcpy(r->segs, segs, sizeof(segs[0]) * nseg);
	r->zeroes = zeroes;
	r->breq.done = dwz_done;
	dwz_seg_op(r);
	if (!vblk_req_submit(vb, r))
		vblk_finish_now(vb, q, e, 0, VIRTIO_BLK_S_IOERR);
}
