/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio PCI transport's saved state layout (virtio-pci-state.c), for its tests. */
#ifndef VMM_VIRTIO_PCI_STATE_H
#define VMM_VIRTIO_PCI_STATE_H

#include <stdint.h>

#define VIRTIO_PCI_STATE_VERSION	1

/* Followed by nqueues struct virtio_queue_state, then config_len configuration bytes. */
struct virtio_pci_state {
	uint32_t version;
	uint16_t device_type;		/* must match the device loading it */
	uint16_t nqueues;		/* idem */
	uint64_t host_features;		/* idem: the same backend options */
	uint64_t driver_features;
	uint64_t msix_pending;		/* vectors raised but not yet sent (normally 0) */
	uint32_t dfselect, gfselect;
	uint32_t config_len;		/* must match; the bytes must too */
	uint16_t config_vector, queue_select;
	uint8_t status, config_generation, isr;
	uint8_t pad[5];
};

struct virtio_queue_state {
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t size, msix_vector;
	uint16_t last_avail;		/* next avail ring entry the device will take */
	uint16_t used_idx;		/* the device's copy of used->idx */
	uint16_t signalled_used;
	uint8_t ready, broken, signalled_valid;
	uint8_t pad[3];
};

_Static_assert(sizeof(struct virtio_pci_state) == 56, "virtio_pci_state layout");
_Static_assert(sizeof(struct virtio_queue_state) == 40, "virtio_queue_state layout");

#endif
