// SPDX-License-Identifier: GPL-2.0-or-later
/* Virtio over PCI (virtio 1.2 §4.1): common config, device status, ISR, device config. */
#include "virtio-pci-private.h"

#include <string.h>

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static struct virtio_queue *selected_queue(struct virtio_dev *vdev)
{
	return vdev->queue_select < vdev->nqueues ? &vdev->queues[vdev->queue_select] : NULL;
}

/* ---- Reset and status (§2.1, §3.1) --------------------------------------------------- */

void vpci_reset_locked(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++) {
		struct virtio_queue *q = &vdev->queues[i];

		vpci_kick_teardown(q);
		virtq_reset(&q->vq);
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;	/* §4.1.5.1.2.1: unmapped on reset */
	}
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	vdev->driver_features = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->status = 0;
	vdev->queue_select = 0;
	vdev->config_vector = VIRTIO_MSI_NO_VECTOR;
	vdev->isr = 0;
	pci_set_irq(&vdev->pci, 0);
	__atomic_store_n(&vdev->msix_pending, 0, __ATOMIC_RELEASE);
	vpci_irqfds_free(vdev);
}

/* §2.2.1: nothing the device did not offer; §6.2: VERSION_1 is mandatory here. */
static bool features_acceptable(struct virtio_dev *vdev)
{
	uint64_t drv = vdev->driver_features;

	if (drv & ~vdev->host_features) {
		vpci_guest_error(vdev, "driver accepted features %#llx that were not offered",
				 (unsigned long long)(drv & ~vdev->host_features));
		return false;
	}
	if (!(drv & (1ull << VIRTIO_F_VERSION_1))) {
		vpci_guest_error(vdev, "driver did not accept VIRTIO_F_VERSION_1; FEATURES_OK "
				 "refused (legacy drivers are not supported)");
		return false;
	}
	return true;
}

static void apply_features(struct virtio_dev *vdev, struct virtq *vq)
{
	vq->event_idx = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
}

static void status_write(struct virtio_dev *vdev, uint8_t v)
{
	uint8_t keep = vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET, added;

	if (!v) {	/* §4.1.4.3.1: writing 0 resets the device */
		vpci_reset_locked(vdev);
		return;
	}
	v &= (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET;	/* the device's bit, not the driver's */
	if (vdev->status & ~keep & ~v) {
		vpci_guest_error(vdev, "status %#x clears bits of %#x without a reset", v,
				 vdev->status);
		return;
	}
	added = v & ~vdev->status;
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(vdev))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;	/* the driver reads it back */
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
		vpci_guest_error(vdev, "DRIVER_OK without FEATURES_OK");
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	vdev->status = v | keep;
	if (added & v & VIRTIO_CONFIG_S_FEATURES_OK)
		for (unsigned i = 0; i < vdev->nqueues; i++)
			apply_features(vdev, &vdev->queues[i].vq);
	/* Buffers made available before DRIVER_OK were left alone (§2.1.2); look now. */
	if (added & v & VIRTIO_CONFIG_S_DRIVER_OK)
		for (unsigned i = 0; i < vdev->nqueues; i++)
			vpci_kick(&vdev->queues[i]);
}

/* ---- Common configuration (§4.1.4.3) -------------------------------------------------- */

static void common_image(struct virtio_dev *vdev, uint8_t *img)
{
	struct virtio_queue *q = selected_queue(vdev);
	uint64_t df = vdev->dfselect < 2 ? vdev->host_features >> (32 * vdev->dfselect) : 0;
	uint64_t gf = vdev->gfselect < 2 ?
		      (vdev->driver_features & vdev->host_features) >> (32 * vdev->gfselect) : 0;

	memset(img, 0, VIRTIO_PCI_COMMON_LEN);
	put_le(img + VIRTIO_PCI_COMMON_DFSELECT, vdev->dfselect, 4);
	put_le(img + VIRTIO_PCI_COMMON_DF, (uint32_t)df, 4);
	put_le(img + VIRTIO_PCI_COMMON_GFSELECT, vdev->gfselect, 4);
	put_le(img + VIRTIO_PCI_COMMON_GF, (uint32_t)gf, 4);
	put_le(img + VIRTIO_PCI_COMMON_MSIX, vdev->config_vector, 2);
	put_le(img + VIRTIO_PCI_COMMON_NUMQ, vdev->nqueues, 2);
	img[VIRTIO_PCI_COMMON_STATUS] = vdev->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = vdev->config_generation;
	put_le(img + VIRTIO_PCI_COMMON_Q_SELECT, vdev->queue_select, 2);
	if (!q)
		return;		/* §4.1.4.3.2: an unavailable queue reads size 0 */
	put_le(img + VIRTIO_PCI_COMMON_Q_SIZE, q->vq.size, 2);
	put_le(img + VIRTIO_PCI_COMMON_Q_MSIX, q->msix_vector, 2);
	put_le(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->vq.ready, 2);
	put_le(img + VIRTIO_PCI_COMMON_Q_NOFF, q->index, 2);
	put_le(img + VIRTIO_PCI_COMMON_Q_DESCLO, q->vq.desc_gpa, 8);
	put_le(img + VIRTIO_PCI_COMMON_Q_AVAILLO, q->vq.avail_gpa, 8);
	put_le(img + VIRTIO_PCI_COMMON_Q_USEDLO, q->vq.used_gpa, 8);
	put_le(img + VIRTIO_PCI_COMMON_Q_NDATA, q->index, 2);
}

static uint64_t common_read(struct virtio_dev *vdev, unsigned off, unsigned size)
{
	uint8_t img[VIRTIO_PCI_COMMON_LEN + 8] = { 0 };

	if (off >= VIRTIO_PCI_COMMON_LEN)
		return 0;
	common_image(vdev, img);
	return get_le(img + off, size);
}

/* §4.1.5.1.2.1: a vector the table does not have reads back as NO_VECTOR (mapping failed). */
static uint16_t map_vector(struct virtio_dev *vdev, uint32_t v)
{
	return v < vdev->msix_vectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void set_addr_half(uint64_t *a, bool high, uint32_t v)
{
	if (high)
		*a = (*a & 0xffffffffull) | (uint64_t)v << 32;
	else
		*a = (*a & ~0xffffffffull) | v;
}

static void queue_enable(struct virtio_dev *vdev, struct virtio_queue *q, uint32_t v)
{
	if (v != 1) {
		vpci_guest_error(vdev, "queue_enable written with %u (§4.1.4.3.2)", v);
		return;
	}
	if (q->vq.ready)
		return;
	apply_features(vdev, &q->vq);
	if (virtq_enable(&q->vq))
		return;		/* guest error logged; queue_enable reads 0 */
	vpci_kick_setup(q);
}

/* Queue registers: only while the queue is disabled (§4.1.4.3.2), except the vector. */
static void queue_write(struct virtio_dev *vdev, unsigned off, uint32_t v)
{
	struct virtio_queue *q = selected_queue(vdev);
	struct virtq *vq;

	if (!q) {
		vpci_guest_error(vdev, "write to queue register +%#x of absent queue %u", off,
				 vdev->queue_select);
		return;
	}
	vq = &q->vq;
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		q->msix_vector = map_vector(vdev, v);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		queue_enable(vdev, q, v);
		return;
	}
	if (vq->ready) {
		vpci_guest_error(vdev, "queue %u register +%#x written while enabled", q->index,
				 off);
		return;
	}
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (!v || (v & (v - 1)) || v > vq->max_size)
			vpci_guest_error(vdev, "queue %u size %u refused", q->index, v);
		else
			vq->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		set_addr_half(&vq->desc_gpa, off == VIRTIO_PCI_COMMON_Q_DESCHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		set_addr_half(&vq->avail_gpa, off == VIRTIO_PCI_COMMON_Q_AVAILHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		set_addr_half(&vq->used_gpa, off == VIRTIO_PCI_COMMON_Q_USEDHI, v);
		break;
	default:
		vpci_guest_error(vdev, "write to read-only queue register +%#x", off);
	}
}

static void features_write(struct virtio_dev *vdev, uint32_t v)
{
	unsigned shift = 32 * vdev->gfselect;

	if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		vpci_guest_error(vdev, "driver_feature written after FEATURES_OK");
		return;
	}
	if (vdev->gfselect >= 2) {
		if (v)
			vpci_guest_error(vdev, "driver features %#x in word %u", v,
					 vdev->gfselect);
		return;
	}
	vdev->driver_features &= ~(0xffffffffull << shift);
	vdev->driver_features |= (uint64_t)v << shift;
}

/* Width each field is written with (§4.1.3.1: natural width; 64-bit fields as halves). */
static unsigned common_width(unsigned off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
		return 1;
	default:
		return 0;	/* read-only or reserved */
	}
}

static void common_write(struct virtio_dev *vdev, unsigned off, uint64_t val, unsigned size)
{
	uint32_t v = (uint32_t)val;

	if (common_width(off) != size) {
		vpci_guest_error(vdev, "common config write of %u bytes at +%#x", size, off);
		return;
	}
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vdev->dfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vdev->gfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		features_write(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vdev->config_vector = map_vector(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		status_write(vdev, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vdev->queue_select = (uint16_t)v;
		break;
	default:
		queue_write(vdev, off, v);
	}
}

/* ---- BAR4: the four structures --------------------------------------------------------- */

static uint64_t region_read(struct virtio_dev *vdev, uint64_t off, unsigned size)
{
	uint64_t r = off % VIRTIO_PCI_REGION_SIZE, v;

	switch (off - r) {
	case VIRTIO_PCI_COMMON_OFF:
		return common_read(vdev, (unsigned)r, size);
	case VIRTIO_PCI_ISR_OFF:
		if (r)
			return 0;
		v = vdev->isr;	/* §4.1.4.5: reading clears it and lowers INTx */
		vdev->isr = 0;
		pci_set_irq(&vdev->pci, 0);
		return v;
	case VIRTIO_PCI_DEVCFG_OFF:
		if (r >= vdev->config_len)
			return 0;
		if (size > vdev->config_len - r)
			size = (unsigned)(vdev->config_len - r);
		return get_le(vdev->config + r, size);
	default:
		return 0;	/* notify area and padding read as zero */
	}
}

static void region_write(struct virtio_dev *vdev, uint64_t off, uint64_t val, unsigned size)
{
	uint64_t r = off % VIRTIO_PCI_REGION_SIZE;

	switch (off - r) {
	case VIRTIO_PCI_COMMON_OFF:
		common_write(vdev, (unsigned)r, val, size);
		break;
	case VIRTIO_PCI_DEVCFG_OFF:
		if (vdev->ops->config_write && r < vdev->config_len)
			vdev->ops->config_write(vdev, (unsigned)r, val, size);
		else
			vpci_guest_error(vdev, "write to read-only device config +%#llx",
					 (unsigned long long)r);
		break;
	case VIRTIO_PCI_NOTIFY_OFF:
		vpci_notify_write(vdev, r, val, size);
		break;
	default:
		vpci_guest_error(vdev, "write to read-only BAR offset %#llx",
				 (unsigned long long)off);
	}
}

/*
 * Locking: vCPU threads, via the MMIO bus; takes vdev->lock. No register write raises an
 * interrupt, so nothing is left in msix_pending here (sending it would read the MSI-X table
 * through the MMIO bus we are being called from).
 */
uint64_t vpci_bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *vdev = opaque;
	uint64_t v;

	pthread_mutex_lock(&vdev->lock);
	v = region_read(vdev, off, size);
	pthread_mutex_unlock(&vdev->lock);
	return v;
}

void vpci_bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_dev *vdev = opaque;

	pthread_mutex_lock(&vdev->lock);
	region_write(vdev, off, val, size);
	pthread_mutex_unlock(&vdev->lock);
}

const struct vmm_io_ops vpci_bar_ops = {
	.name = "virtio-pci", .read = vpci_bar_read, .write = vpci_bar_write,
	.min_size = 1, .max_size = 4,
};
