// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk (virtio 1.2 §5.2): config; read, write, flush, get-id, discard, write-zeroes. */
#include "virtio-blk.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR			512u
#define HDR_LEN			16u	/* struct virtio_blk_req: type, reserved, sector */
#define DWZ_SEG_LEN		16u	/* struct virtio_blk_discard_write_zeroes */
#define BATCH			64u	/* requests per loop callback before yielding */
#define DEVICE_ID_BLOCK		2	/* §5.2.1 */

/* §5.2.4, struct virtio_blk_config offsets. */
#define CFG_CAPACITY		0
#define CFG_SIZE_MAX		8
#define CFG_SEG_MAX		12
#define CFG_BLK_SIZE		20
#define CFG_NUM_QUEUES		34
#define CFG_MAX_DISCARD_SECT	36
#define CFG_MAX_DISCARD_SEG	40
#define CFG_DISCARD_ALIGN	44
#define CFG_MAX_WZ_SECT		48
#define CFG_MAX_WZ_SEG		52
#define CFG_WZ_MAY_UNMAP	56

struct blk_req_hdr {
	uint32_t type;
	uint64_t sector;
};

struct dwz_seg {
	uint64_t sector;
	uint32_t num;
	uint32_t flags;
};

static struct virtio_blk *vblk_of(struct virtio_dev *vdev)
{
	return (struct virtio_blk *)vdev;
}

#define vblk_guest_error(vb, fmt, ...) do {					\
	if ((vb)->vdev.host.log)						\
		vmm_guest_error((vb)->vdev.host.log, "%s: " fmt, (vb)->vdev.name,	\
				##__VA_ARGS__);					\
} while (0)

/* Overflow-safe: sectors [sector, sector + n) lie inside the disk. */
static bool range_ok(const struct virtio_blk *vb, uint64_t sector, uint64_t n)
{
	return sector <= vb->sectors && n <= vb->sectors - sector;
}

/* An image error is the host's problem; tell the user once, the guest every time. */
static uint8_t io_status(struct virtio_blk *vb, int ret, const char *what)
{
	if (!ret)
		return VIRTIO_BLK_S_OK;
	if (!vb->host_errors++)
		vmm_warn("%s: %s of %s failed: %s (further errors are not reported)",
			 vb->vdev.name, what, vb->blk->path, strerror(-ret));
	return VIRTIO_BLK_S_IOERR;
}

/* §5.2.6.2: without FLUSH negotiated a write is stable when it completes. */
static int write_done(struct virtio_blk *vb, int ret)
{
	if (!ret && !virtio_has_feature(&vb->vdev, VIRTIO_BLK_F_FLUSH))
		ret = blk_flush(vb->blk);
	return ret;
}

/* IN and OUT: the data follows the header (OUT) or precedes the status byte (IN). */
static uint8_t do_rw(struct virtio_blk *vb, const struct virtq_elem *e, uint64_t sector,
		     bool write, uint32_t *written)
{
	uint32_t len = write ? e->read_len - HDR_LEN : e->write_len - 1;
	int n, ret;

	if (len % SECTOR) {
		vblk_guest_error(vb, "%s of %u bytes, not whole sectors", write ? "write" : "read",
				 len);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!range_ok(vb, sector, len / SECTOR)) {
		vblk_guest_error(vb, "%s of sectors %llu+%u past the end (%llu)",
				 write ? "write" : "read", (unsigned long long)sector,
				 len / SECTOR, (unsigned long long)vb->sectors);
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && vb->read_only)
		return VIRTIO_BLK_S_IOERR;	/* §5.2.6.2: and nothing is written */
	if (write)
		n = iov_slice(e->iov, e->nread, HDR_LEN, len, vb->data, vb->data_max);
	else
		n = iov_slice(e->iov + e->nread, e->nwrite, 0, len, vb->data, vb->data_max);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	if (write)
		return io_status(vb, write_done(vb, blk_pwritev(vb->blk, sector * SECTOR, vb->data,
								n)), "write");
	ret = blk_preadv(vb->blk, sector * SECTOR, vb->data, n);
	if (!ret)
		*written = len;
	return io_status(vb, ret, "read");
}

/* GET_ID: a 20-byte string, NUL-padded when shorter (§5.2.6). */
static uint8_t do_get_id(struct virtio_blk *vb, const struct virtq_elem *e, uint32_t *written)
{
	uint32_t len = e->write_len - 1;

	if (len > VIRTIO_BLK_ID_BYTES)
		len = VIRTIO_BLK_ID_BYTES;
	*written = (uint32_t)iov_from_buf(e->iov + e->nread, e->nwrite, 0, vb->serial, len);
	return VIRTIO_BLK_S_OK;
}

/* Copy and check every segment before acting on any (§5.2.6.2 statuses). */
static uint8_t dwz_parse(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes,
			 struct dwz_seg *segs, unsigned *nseg)
{
	uint32_t len = e->read_len - HDR_LEN;
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

		iov_to_buf(e->iov, e->nread, HDR_LEN + i * DWZ_SEG_LEN, raw, sizeof(raw));
		memcpy(&s->sector, raw, 8);
		memcpy(&s->num, raw + 8, 4);
		memcpy(&s->flags, raw + 12, 4);
		s->sector = le64toh(s->sector);
		s->num = le32toh(s->num);
		s->flags = le32toh(s->flags);
		if (s->flags & ~known)	/* unknown flags, or unmap on a discard */
			return VIRTIO_BLK_S_UNSUPP;
		if (s->num > VIRTIO_BLK_MAX_DWZ_SECTORS || !range_ok(vb, s->sector, s->num)) {
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
	uint64_t off = s->sector * SECTOR, len = (uint64_t)s->num * SECTOR;
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

static uint8_t do_dwz(struct virtio_blk *vb, const struct virtq_elem *e, bool zeroes)
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
	return io_status(vb, write_done(vb, ret), zeroes ? "write-zeroes" : "discard");
}

static uint8_t do_request(struct virtio_blk *vb, const struct virtq_elem *e,
			  const struct blk_req_hdr *h, uint32_t *written)
{
	switch (h->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return do_rw(vb, e, h->sector, h->type == VIRTIO_BLK_T_OUT, written);
	case VIRTIO_BLK_T_FLUSH:
		return io_status(vb, blk_flush(vb->blk), "flush");
	case VIRTIO_BLK_T_GET_ID:
		return do_get_id(vb, e, written);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return do_dwz(vb, e, h->type == VIRTIO_BLK_T_WRITE_ZEROES);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * §5.2.6: a 16-byte header at the start of the device-readable part, the status byte at the
 * end of the device-writable part, with no assumption about how descriptors frame them. A
 * chain with no writable byte cannot carry a status: it is returned untouched.
 */
static void serve(struct virtio_blk *vb, struct virtq *vq, const struct virtq_elem *e)
{
	struct blk_req_hdr h = { 0 };
	uint8_t raw[HDR_LEN], st = VIRTIO_BLK_S_IOERR;
	uint32_t written = 0;

	if (!e->write_len) {
		vblk_guest_error(vb, "request without a device-writable status byte");
		virtq_push(vq, e, 0);
		return;
	}
	if (e->read_len < HDR_LEN) {
		vblk_guest_error(vb, "request header of %u bytes", e->read_len);
	} else {
		iov_to_buf(e->iov, e->nread, 0, raw, HDR_LEN);
		memcpy(&h.type, raw, 4);
		memcpy(&h.sector, raw + 8, 8);
		h.type = le32toh(h.type);
		h.sector = le64toh(h.sector);
		st = do_request(vb, e, &h, &written);
	}
	/*
	 * The status byte is the last writable byte, so used.len must reach it (§2.7.8.3: a
	 * driver may not trust bytes past len). Bytes the request did not fill (a failed read,
	 * a short GET_ID) are zeroed so the whole length is defined.
	 */
	if (written < e->write_len - 1)
		iov_zero(e->iov + e->nread, e->nwrite, written, e->write_len - 1 - written);
	iov_from_buf(e->iov + e->nread, e->nwrite, e->write_len - 1, &st, 1);
	virtq_push(vq, e, e->write_len);
}

/* I/O loop, vdev->lock held. A broken queue is turned into NEEDS_RESET by the transport. */
static void vblk_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_blk *vb = vblk_of(vdev);
	struct virtq *vq = virtio_queue(vdev, q);
	struct virtq_elem e;
	unsigned budget = BATCH;
	int ret = 0;

	do {
		while (budget && (ret = virtq_pop(vq, &e)) > 0) {
			serve(vb, vq, &e);
			budget--;
		}
		if (!budget) {
			virtio_queue_done(vdev, q);
			virtio_queue_rekick(vdev, q);	/* let other work run, then go on */
			return;
		}
	} while (ret == 0 && virtio_queue_done(vdev, q));
}

static const struct virtio_dev_ops vblk_ops = {
	.name = "virtio-blk",
	.device_type = DEVICE_ID_BLOCK,
	.class_code = 0x010000,		/* mass storage, SCSI-style, as virtio-blk always was */
	.queue_notify = vblk_queue_notify,
};

static uint64_t vblk_features(const struct virtio_blk *vb)
{
	uint64_t f = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ull << VIRTIO_BLK_F_FLUSH);

	if (vb->read_only)
		return f | (1ull << VIRTIO_BLK_F_RO);
	if (vb->blk->can_discard)
		f |= 1ull << VIRTIO_BLK_F_DISCARD;
	return f | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
}

static void vblk_fill_config(struct virtio_blk *vb)
{
	struct virtio_dev *vdev = &vb->vdev;

	virtio_config_put64(vdev, CFG_CAPACITY, vb->sectors);
	virtio_config_put32(vdev, CFG_SIZE_MAX, 0);
	virtio_config_put32(vdev, CFG_SEG_MAX, VIRTIO_BLK_QUEUE_SIZE - 2);	/* + hdr, status */
	virtio_config_put32(vdev, CFG_BLK_SIZE, SECTOR);
	virtio_config_put16(vdev, CFG_NUM_QUEUES, 1);
	virtio_config_put32(vdev, CFG_MAX_DISCARD_SECT, VIRTIO_BLK_MAX_DWZ_SECTORS);
	virtio_config_put32(vdev, CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DWZ_SEG);
	virtio_config_put32(vdev, CFG_DISCARD_ALIGN, 8);	/* 4 KiB: hole-punch granularity */
	virtio_config_put32(vdev, CFG_MAX_WZ_SECT, VIRTIO_BLK_MAX_DWZ_SECTORS);
	virtio_config_put32(vdev, CFG_MAX_WZ_SEG, VIRTIO_BLK_MAX_DWZ_SEG);
	virtio_config_put(vdev, CFG_WZ_MAY_UNMAP, &(uint8_t){ vb->can_unmap }, 1);
}

/* A stable serial for GET_ID: FNV-1a of the image path, so it survives restarts. */
static void vblk_default_serial(struct virtio_blk *vb)
{
	char buf[VIRTIO_BLK_ID_BYTES + 1];
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = vb->blk->path ? vb->blk->path : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	snprintf(buf, sizeof(buf), "VSL%017llx", (unsigned long long)(h & ((1ull << 60) - 1)));
	memcpy(vb->serial, buf, VIRTIO_BLK_ID_BYTES);
}

struct virtio_blk *virtio_blk_new(struct pci_bus *bus, const struct virtio_host *host,
				  const struct virtio_blk_opts *opts, int *err)
{
	struct virtio_dev_config cfg = {
		.ops = &vblk_ops, .host = *host, .nqueues = 1,
		.queue_size = VIRTIO_BLK_QUEUE_SIZE, .config_len = VIRTIO_BLK_CONFIG_LEN,
		.devfn = opts->devfn, .name = opts->name,
	};
	struct virtio_blk *vb = calloc(1, sizeof(*vb));
	int ret = -ENOMEM;

	if (!vb || !(vb->data = calloc(VIRTIO_BLK_QUEUE_SIZE, sizeof(*vb->data))))
		goto out_free;
	vb->blk = opts->blk;
	vb->data_max = VIRTIO_BLK_QUEUE_SIZE;
	vb->read_only = opts->blk->read_only;
	vb->sectors = opts->blk->size / SECTOR;
	/* Punched holes in a raw image read back as zeros (fallocate(2), PUNCH_HOLE). */
	vb->can_unmap = !vb->read_only && opts->blk->can_discard &&
			opts->blk->drv == &blk_raw_driver;
	if (opts->serial)	/* NUL-padded by calloc when shorter */
		memcpy(vb->serial, opts->serial, strnlen(opts->serial, VIRTIO_BLK_ID_BYTES));
	else
		vblk_default_serial(vb);
	cfg.features = vblk_features(vb);
	ret = virtio_pci_init(&vb->vdev, bus, &cfg);
	if (ret)
		goto out_free;
	vblk_fill_config(vb);
	return vb;
out_free:
	if (vb)
		free(vb->data);
	free(vb);
	*err = ret;
	return NULL;
}

void virtio_blk_free(struct virtio_blk *vb)
{
	if (!vb)
		return;
	virtio_pci_exit(&vb->vdev);
	blk_close(vb->blk);
	free(vb->data);
	free(vb);
}
