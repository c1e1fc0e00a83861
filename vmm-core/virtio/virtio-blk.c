// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk (virtio 1.2 §5.2): config, queues, requests in flight and their completion. */
#include "virtio-blk-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

static struct virtio_blk *vblk_of(struct virtio_dev *vdev)
{
	return (struct virtio_blk *)vdev;
}

/* ---- Completions: block-layer threads -> the I/O loop ---------------------------------- */

/*
 * Block-layer thread, no lock of the device's held: done() must not take vdev->lock, or a
 * drain under that lock (reset) would wait for a thread that waits for it. The request
 * joins a list and the loop is woken once per batch.
 */
void vblk_complete(struct virtio_blk *vb, struct vblk_req *r)
{
	uint64_t one = 1;
	bool wake;

	pthread_mutex_lock(&vb->done_lock);
	r->next = NULL;
	*vb->done_tail = r;
	vb->done_tail = &r->next;
	wake = !vb->done_signalled;
	vb->done_signalled = true;
	pthread_mutex_unlock(&vb->done_lock);
	if (wake && write(vb->done_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vmm_warn("%s: completion wake-up: %s", vb->vdev.name, strerror(errno));
}

static struct vblk_req *take_done(struct virtio_blk *vb)
{
	struct vblk_req *list;

	pthread_mutex_lock(&vb->done_lock);
	list = vb->done_head;
	vb->done_head = NULL;
	vb->done_tail = &vb->done_head;
	vb->done_signalled = false;
	pthread_mutex_unlock(&vb->done_lock);
	return list;
}

/* vdev->lock held: push (or, at reset, drop) the completed requests; the queues touched. */
static unsigned retire(struct virtio_blk *vb, bool push)
{
	struct vblk_req *r = take_done(vb), *next;
	unsigned touched = 0;

	for (; r; r = next) {
		next = r->next;
		if (push)
			vblk_finish(virtio_queue(&vb->vdev, r->queue), r->head, r->wiov, r->nwrite,
				    r->write_len, r->written, r->status);
		vb->inflight[r->queue]--;
		touched |= 1u << r->queue;
		free(r);
	}
	return touched;
}

/* One interrupt per queue per batch (§2.7.7); a queue that stopped at the cap goes on. */
static void notify_queues(struct virtio_blk *vb, unsigned touched)
{
	for (unsigned q = 0; q < vb->num_queues; q++) {
		if (!(touched >> q & 1))
			continue;
		if (virtio_queue_done(&vb->vdev, q) || vb->stalled[q]) {
			vb->stalled[q] = false;
			virtio_queue_rekick(&vb->vdev, q);
		}
	}
}

/* I/O loop. As work, so virtio_pci_pause waits for these interrupts too. */
static void done_cb(void *opaque, int fd, uint32_t events)
{
	struct virtio_blk *vb = opaque;
	struct virtio_dev *vdev = &vb->vdev;
	uint64_t cnt;

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		vmm_warn("%s: completion read: %s", vdev->name, strerror(errno));
	virtio_work_begin(vdev);
	/* Paused: guest memory stays at rest; the drain or the resume kick pushes them. */
	if (!vdev->paused)
		notify_queues(vb, retire(vb, true));
	virtio_work_end(vdev);
}

/*
 * vdev->lock held. blk_drain is safe under it: done() takes only done_lock. Afterwards no
 * block-layer thread touches guest memory for us, and the list holds every request.
 */
static void drain_locked(struct virtio_blk *vb, bool push)
{
	unsigned touched;

	blk_drain(vb->blk);
	touched = retire(vb, push);
	if (push)
		notify_queues(vb, touched);
	for (unsigned q = 0; q < vb->num_queues; q++)
		vb->stalled[q] = false;
}

void virtio_blk_drain(struct virtio_blk *vb)
{
	virtio_work_begin(&vb->vdev);
	drain_locked(vb, true);
	virtio_work_end(&vb->vdev);
}

/* ---- Transport hooks ------------------------------------------------------------------- */

/*
 * After a batch of pops: notify only if something was pushed here (without event index
 * virtq_should_notify says yes to any call), then publish avail_event and look again.
 */
static bool queue_idle(struct virtio_dev *vdev, unsigned q, uint16_t *used)
{
	struct virtq *vq = virtio_queue(vdev, q);

	if (vq->used_idx == *used)
		return virtq_idle_recheck(vq);
	*used = vq->used_idx;
	return virtio_queue_done(vdev, q);
}

/* I/O loop, vdev->lock held. A broken queue is turned into NEEDS_RESET by the transport. */
static void vblk_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_blk *vb = vblk_of(vdev);
	struct virtq *vq = virtio_queue(vdev, q);
	uint16_t used = vq->used_idx;
	struct virtq_elem e;
	unsigned budget = BATCH;
	int ret = 0;

	notify_queues(vb, retire(vb, true));	/* completions left while paused */
	used = vq->used_idx;
	do {
		/* At most a queue size in flight: a guest re-posting heads cannot grow this. */
		while (budget && vb->inflight[q] < vq->size && (ret = virtq_pop(vq, &e)) > 0) {
			vblk_serve(vb, q, &e);
			budget--;
		}
		if (vb->inflight[q] >= vq->size) {
			vb->stalled[q] = true;		/* a completion re-kicks */
			queue_idle(vdev, q, &used);
			return;
		}
		if (!budget) {
			queue_idle(vdev, q, &used);
			virtio_queue_rekick(vdev, q);	/* let other work run, then go on */
			return;
		}
	} while (ret == 0 && queue_idle(vdev, q, &used));
}

/*
 * Status 0, a PCI or VM reset, exit; vdev->lock held, the rings already reset. Requests in
 * flight finish their I/O first (the driver must not reuse their buffers until the reset
 * is seen, §4.1.4.3.1) and are dropped: nothing is pushed to rings that are gone.
 */
static void vblk_reset(struct virtio_dev *vdev)
{
	drain_locked(vblk_of(vdev), false);
}

static const struct virtio_dev_ops vblk_ops = {
	.name = "virtio-blk",
	.device_type = DEVICE_ID_BLOCK,
	.class_code = 0x010000,		/* mass storage, SCSI-style, as virtio-blk always was */
	.queue_notify = vblk_queue_notify,
	.reset = vblk_reset,
};

/* ---- Creation ---------------------------------------------------------------------------- */

static uint64_t vblk_features(const struct virtio_blk *vb)
{
	uint64_t f = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ull << VIRTIO_BLK_F_FLUSH);

	if (vb->num_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;	/* §5.2.3: num_queues is valid */
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
	virtio_config_put32(vdev, CFG_BLK_SIZE, VBLK_SECTOR);
	virtio_config_put16(vdev, CFG_NUM_QUEUES, (uint16_t)vb->num_queues);
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

static void vblk_setup(struct virtio_blk *vb, const struct virtio_blk_opts *opts)
{
	vb->blk = opts->blk;
	vb->num_queues = opts->num_queues ? opts->num_queues : 1;
	vb->read_only = opts->blk->read_only;
	vb->sectors = opts->blk->size / VBLK_SECTOR;
	/* Punched holes in a raw image read back as zeros (fallocate(2), PUNCH_HOLE). */
	vb->can_unmap = !vb->read_only && opts->blk->can_discard &&
			opts->blk->drv == &blk_raw_driver;
	if (opts->serial)	/* NUL-padded by calloc when shorter */
		memcpy(vb->serial, opts->serial, strnlen(opts->serial, VIRTIO_BLK_ID_BYTES));
	else
		vblk_default_serial(vb);
	pthread_mutex_init(&vb->done_lock, NULL);
	vb->done_tail = &vb->done_head;
}

struct virtio_blk *virtio_blk_new(struct pci_bus *bus, const struct virtio_host *host,
				  const struct virtio_blk_opts *opts, int *err)
{
	struct virtio_dev_config cfg = {
		.ops = &vblk_ops, .host = *host, .queue_size = VIRTIO_BLK_QUEUE_SIZE,
		.config_len = VIRTIO_BLK_CONFIG_LEN, .devfn = opts->devfn, .name = opts->name,
	};
	struct virtio_blk *vb;
	int ret = -EINVAL;

	if (opts->num_queues > VIRTIO_BLK_MAX_QUEUES) {
		*err = ret;
		return NULL;
	}
	vb = calloc(1, sizeof(*vb));
	if (!vb) {
		*err = -ENOMEM;
		return NULL;
	}
	vblk_setup(vb, opts);
	cfg.nqueues = vb->num_queues;
	cfg.features = vblk_features(vb);
	vb->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vb->done_fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = vmm_loop_add_fd(host->loop, vb->done_fd, EPOLLIN, done_cb, vb);
	if (ret)
		goto out_close;
	ret = virtio_pci_init(&vb->vdev, bus, &cfg);
	if (ret)
		goto out_del;
	vblk_fill_config(vb);
	return vb;
out_del:
	vmm_loop_del_fd(host->loop, vb->done_fd);
out_close:
	close(vb->done_fd);
out_free:
	pthread_mutex_destroy(&vb->done_lock);
	free(vb);
	*err = ret;
	return NULL;
}

void virtio_blk_free(struct virtio_blk *vb)
{
	struct vmm_loop *loop;

	if (!vb)
		return;
	loop = vb->vdev.host.loop;
	virtio_pci_exit(&vb->vdev);	/* resets: requests in flight are waited for */
	vmm_loop_del_fd(loop, vb->done_fd);
	close(vb->done_fd);
	blk_close(vb->blk);
	pthread_mutex_destroy(&vb->done_lock);
	free(vb);
}
