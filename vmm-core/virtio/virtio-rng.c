// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-rng (virtio 1.2 §5.4): fills the driver's writable buffers from getrandom(2). */
#include "virtio-rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#define DEVICE_ID_ENTROPY	4	/* §5.4.1 */
#define BATCH			32u	/* requests per loop callback before yielding */

/*
 * Straight into guest memory. GRND_NONBLOCK: a pool that is not ready yet (early host boot)
 * gives fewer bytes instead of stalling the I/O loop.
 */
static uint32_t fill(const struct virtq_elem *e)
{
	uint32_t done = 0;

	for (unsigned i = e->nread; i < e->nread + e->nwrite; i++) {
		uint8_t *p = e->iov[i].iov_base;
		size_t want = e->iov[i].iov_len, got = 0;

		if (want > VIRTIO_RNG_MAX_REQUEST - done)
			want = VIRTIO_RNG_MAX_REQUEST - done;
		while (got < want) {
			ssize_t n = getrandom(p + got, want - got, GRND_NONBLOCK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + (uint32_t)got;
			got += (size_t)n;
		}
		done += (uint32_t)got;
		if (done == VIRTIO_RNG_MAX_REQUEST)
			break;
	}
	return done;
}

/* I/O loop, vdev->lock held. */
static void vrng_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_rng *vr = (struct virtio_rng *)vdev;
	struct virtq *vq = virtio_queue(vdev, q);
	struct virtq_elem e;
	unsigned budget = BATCH;
	int ret = 0;

	do {
		while (budget && (ret = virtq_pop(vq, &e)) > 0) {
			uint32_t n = fill(&e);

			if (e.nread && vdev->host.log)	/* §5.4.6.1 */
				vmm_guest_error(vdev->host.log, "%s: device-readable buffer in "
						"the queue", vdev->name);
			vr->bytes += n;
			virtq_push(vq, &e, n);
			budget--;
		}
		if (!budget) {
			virtio_queue_done(vdev, q);
			virtio_queue_rekick(vdev, q);
			return;
		}
	} while (ret == 0 && virtio_queue_done(vdev, q));
}

static const struct virtio_dev_ops vrng_ops = {
	.name = "virtio-rng",
	.device_type = DEVICE_ID_ENTROPY,
	.class_code = 0xff0000,		/* unclassified device */
	.queue_notify = vrng_queue_notify,
};

struct virtio_rng *virtio_rng_new(struct pci_bus *bus, const struct virtio_host *host,
				  int devfn, int *err)
{
	struct virtio_dev_config cfg = {
		.ops = &vrng_ops, .host = *host, .nqueues = 1,
		.queue_size = VIRTIO_RNG_QUEUE_SIZE, .devfn = devfn, .name = "virtio-rng",
	};
	struct virtio_rng *vr = calloc(1, sizeof(*vr));
	int ret = vr ? virtio_pci_init(&vr->vdev, bus, &cfg) : -ENOMEM;

	if (ret) {
		free(vr);
		*err = ret;
		return NULL;
	}
	return vr;
}

void virtio_rng_free(struct virtio_rng *vr)
{
	if (!vr)
		return;
	virtio_pci_exit(&vr->vdev);
	free(vr);
}
