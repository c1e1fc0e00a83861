/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-rng, the entropy device (virtio 1.2 §5.4): host randomness from getrandom(2). */
#ifndef VMM_VIRTIO_RNG_H
#define VMM_VIRTIO_RNG_H

#include "virtio-pci.h"

/*
 * One request queue; every device-writable buffer is filled from getrandom(2), at most
 * VIRTIO_RNG_MAX_REQUEST bytes per request (§5.4.6.2 lets the device use less than the
 * buffer). No device-specific configuration, no device features.
 */
#define VIRTIO_RNG_QUEUE_SIZE		64
#define VIRTIO_RNG_MAX_REQUEST		65536u

struct virtio_rng {
	struct virtio_dev vdev;		/* first: the transport's view */
	uint64_t bytes;			/* handed to the guest so far */
};

/* NULL with *err = -errno. */
struct virtio_rng *virtio_rng_new(struct pci_bus *bus, const struct virtio_host *host,
				  int devfn, int *err);
void virtio_rng_free(struct virtio_rng *vr);

#endif
