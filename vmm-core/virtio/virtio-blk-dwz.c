// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk discard and write-zeroes (virtio 1.2 §5.2.6.2), served synchronously. */
#include "virtio-blk-private.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#define DWZ_SEG_LEN		16u	/* struct virtio_blk_discard_write_zeroes */

struct dwz_seg {
	uint64_t sector;
	uint32_t num;
	uint32_t flags;
};

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

/* Copy and check every segment before acting on any (§5.2.6.2 statuses). */
static uint8_t dwz_parse(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes,
			 struct dwz_seg *segs, unsigned *nseg)
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
		struct dwz_seg *s = &segs[i];

		iov_to_buf(e->iov, e->nread, VBLK_HDR_LEN + i * DWZ_SEG_LEN, raw, sizeof(raw));
		memcpy(&s->sector, raw, 8);
		memcpy(&s->num, raw + 8, 4);
		memcpy(&s->flags, raw + 12, 4);
		s->sector = le64toh(s->sector);
		s->num = le32toh(s->num);
		s->flags = le32toh(s->flags);
		if (s->flags & ~known)	/* unknown flags, or unmap on a discard */
			return VIRTIO_BLK_S_UNSUPP;
		if (s->num > VIRTIO_BLK_MAX_DWZ_SECTORS || !vblk_range_ok(vb, s->sector, s->num)) {
			vblk_guest_error(vb, "segment of sectors %llu+%u past the end or too long",
					 (unsigned long long)s->sector, s->num);
			return VIRTIO_BLK_S_IOERR;
		}
	}
	return VIRTIO_BLK_S_OK;
}

/* Discard is advisory (§5.2.6.2 "MAY deallocate"); write zeroes must read back as zeros. */
static int dwz_one(struct virtio_blk *vb, const struct dwz_seg *s, bool zeroes)
{
	uint64_t off = s->sector * VBLK_SECTOR, len = (uint64_t)s->num * VBLK_SECTOR;
	int ret;

	if (!zeroes) {
		ret = blk_discard(vb->blk, off, len);
		return ret == -ENOTSUP ? 0 : ret;
	}
	if ((s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) && vb->can_unmap) {
		ret = blk_discard(vb->blk, off, len);
		if (ret != -ENOTSUP)
			return ret;
	}
	return blk_write_zeroes(vb->blk, off, len);
}

/*
 * Rare and bounded (32 segments), so served on the I/O loop; requests in flight to the same
 * sectors are unordered with it, as §5.2.6.4 allows for any two requests in flight.
 */
uint8_t vblk_do_dwz(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes)
{
	struct dwz_seg segs[VIRTIO_BLK_MAX_DWZ_SEG];
	unsigned nseg;
	uint8_t st;
	int ret = 0;

	if (!virtio_has_feature(&vb->vdev, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES :
						   VIRTIO_BLK_F_DISCARD))
		return VIRTIO_BLK_S_UNSUPP;
	st = dwz_parse(vb, e, zeroes, segs, &nseg);
	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (vb->read_only)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 0; i < nseg && !ret; i++)
		ret = dwz_one(vb, &segs[i], zeroes);
	/* §5.2.6.2: without FLUSH negotiated a write is stable when it completes. */
	if (!ret && !virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_FLUSH))
		ret = blk_flush(vb->blk);
	return vblk_io_status(vb, ret, zeroes ? "write-zeroes" : "discard");
}
