/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio fuzz targets' shared driver steps: input bytes, queue set-up, feature negotiation. */
#ifndef FUZZ_VIRTIO_RIG_H
#define FUZZ_VIRTIO_RIG_H

#include "virtio-test-driver.h"

/*
 * Each target includes this once, after defining QS (queue size) and RINGS (guest address
 * of queue 0's rings; queue q's are 64 KiB further per q), and keeps its own D (the mini
 * driver) and avail_idx[]/next_desc[] (one entry per queue it sets up).
 */
struct input {
	const uint8_t *p;
	size_t left;
};

/* The next n bytes of the input, little-endian; zeros once it runs out. */
static uint32_t take(struct input *in, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n && in->left; i++, in->left--)
		v |= (uint32_t)*in->p++ << (8 * i);
	return v;
}

/* Queue q's split rings (virtio 1.2 §2.7) zeroed and handed to the device, enabled. */
static void setup_queue(unsigned q)
{
	uint64_t base = RINGS + q * 0x10000ull;

	memset(gptr(base, 0x3000), 0, 0x3000);
	avail_idx[q] = next_desc[q] = 0;
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SIZE, QS, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)base, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)base + 0x1000, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)base + 0x2000, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* Reset, ACKNOWLEDGE|DRIVER, the driver features f, FEATURES_OK (virtio 1.2 §3.1.1). */
static void negotiate(uint64_t f)
{
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
	      1);
	for (unsigned w = 0; w < 2; w++) {
		cm_wr(&D, VIRTIO_PCI_COMMON_GFSELECT, w, 4);
		cm_wr(&D, VIRTIO_PCI_COMMON_GF, (uint32_t)(f >> (32 * w)), 4);
	}
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_FEATURES_OK, 1);
}

#endif
