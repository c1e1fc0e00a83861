/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-blk (virtio 1.2 §5.2) over the modern PCI transport, backed by the block layer. */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <linux/virtio_blk.h>	/* VIRTIO_BLK_F_*, VIRTIO_BLK_T_*, VIRTIO_BLK_S_* */

#include "block/block.h"
#include "virtio-pci.h"

/*
 * 1..VIRTIO_BLK_MAX_QUEUES request queues of 256 entries (VIRTIO_BLK_F_MQ, §5.2.3, when more
 * than one). Each notify pops up to a queue size of requests and submits their reads, writes,
 * flushes, discards and write-zeroes to the block layer (blk-aio.h) at once (a discard's or
 * write-zeroes' segments are all checked first, then run one after another); they complete
 * out of order (§2.7.8) on the I/O loop, batched into one used-index update and one
 * interrupt per queue. Requests that need no I/O (GET_ID, bad headers or segments,
 * unsupported types) are answered synchronously. Offered: VERSION_1, RING_INDIRECT_DESC,
 * RING_EVENT_IDX, SEG_MAX (256 - 2), BLK_SIZE (512), FLUSH, MQ with more than one queue,
 * and for writable images DISCARD (when the image can punch holes) and WRITE_ZEROES; RO
 * for read-only images. Without FLUSH negotiated every write (write-zeroes and discard
 * included) is flushed before it completes (§5.2.6.2, "stable writes"): the request's last
 * done() submits the flush.
 *
 * Device-specific configuration (§5.2.4): capacity, size_max (0, not offered), seg_max,
 * blk_size, num_queues, max_discard_sectors/seg, discard_sector_alignment,
 * max_write_zeroes_sectors/seg, write_zeroes_may_unmap — 60 bytes.
 */
#define VIRTIO_BLK_QUEUE_SIZE		256
#define VIRTIO_BLK_MAX_DWZ_SEG		32	/* discard / write-zeroes segments per request */
#define VIRTIO_BLK_MAX_DWZ_SECTORS	(1u << 22)	/* 2 GiB per segment */
#define VIRTIO_BLK_CONFIG_LEN		60
#define VIRTIO_BLK_MAX_QUEUES		4

struct vblk_req;

struct virtio_blk_opts {
	struct blk *blk;	/* the image; the device owns it from now on (closes it) */
	const char *serial;	/* GET_ID string (at most 20 bytes); NULL: derived from the path */
	int devfn;		/* or PCI_DEVFN_AUTO */
	const char *name;	/* "virtio-blk0" for logs */
	unsigned num_queues;	/* 0 or 1: one queue (no MQ); at most VIRTIO_BLK_MAX_QUEUES */
};

struct virtio_blk {
	struct virtio_dev vdev;		/* first: the transport's view */
	struct blk *blk;
	bool read_only;
	bool can_unmap;			/* discard reads back as zeros (WRITE_ZEROES unmap) */
	uint64_t sectors;		/* capacity in 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	unsigned num_queues;
	uint64_t host_errors;		/* atomic: image I/O errors (the first one is reported) */

	/* Under vdev->lock: requests submitted and not yet pushed, per queue. */
	unsigned inflight[VIRTIO_BLK_MAX_QUEUES];
	bool stalled[VIRTIO_BLK_MAX_QUEUES];	/* stopped popping at the cap: re-kick */

	/* Completions from block-layer threads, handed to the I/O loop through done_fd. */
	pthread_mutex_t done_lock;
	struct vblk_req *done_head, **done_tail;
	bool done_signalled;		/* under done_lock: done_fd written, not yet served */
	int done_fd;
};

/* NULL with *err = -errno; on failure opts->blk is left open for the caller. */
struct virtio_blk *virtio_blk_new(struct pci_bus *bus, const struct virtio_host *host,
				  const struct virtio_blk_opts *opts, int *err);
/* Leave the bus and close the image (requests in flight are waited for first). */
void virtio_blk_free(struct virtio_blk *vb);
/*
 * Wait for every request in flight and push its used element (with the interrupt), so guest
 * memory and the rings are at rest: after virtio_pci_pause, before a save or a load. Not on
 * the I/O loop thread; vdev->lock not held.
 */
void virtio_blk_drain(struct virtio_blk *vb);

#endif
