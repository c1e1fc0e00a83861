// SPDX-License-Identifier: GPL-2.0-or-later
/* Virtio PCI snapshot state: common configuration, queues, ISR; kicks and irqfds on load. */
#include "virtio-pci-private.h"
#include "virtio-pci-state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Device status bits a driver can set, plus the device's NEEDS_RESET (virtio 1.2 §2.1). */
#define STATUS_BITS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |		\
			 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK |	\
			 VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)
#define ISR_BITS	(1u | VIRTIO_PCI_ISR_CONFIG)	/* §4.1.4.5: queue, config change */

static size_t state_size(const struct virtio_dev *vdev)
{
	return sizeof(struct virtio_pci_state) +
	       vdev->nqueues * sizeof(struct virtio_queue_state) + vdev->config_len;
}

/* ---- Save ----------------------------------------------------------------------------- */

static void queue_save(const struct virtio_queue *q, struct virtio_queue_state *s)
{
	const struct virtq *vq = &q->vq;

	s->desc_gpa = vq->desc_gpa;
	s->avail_gpa = vq->avail_gpa;
	s->used_gpa = vq->used_gpa;
	s->size = vq->size;
	s->msix_vector = q->msix_vector;
	s->last_avail = vq->last_avail;
	s->used_idx = vq->used_idx;
	s->signalled_used = vq->signalled_used;
	s->ready = vq->ready;
	s->broken = vq->broken;
	s->signalled_valid = vq->signalled_valid;
}

int virtio_pci_save(struct virtio_dev *vdev, void **blob, size_t *len)
{
	size_t n = state_size(vdev);
	struct virtio_pci_state *s = calloc(1, n);
	struct virtio_queue_state *qs = (struct virtio_queue_state *)(s + 1);

	if (!s)
		return -ENOMEM;
	pthread_mutex_lock(&vdev->lock);
	s->version = VIRTIO_PCI_STATE_VERSION;
	s->device_type = vdev->ops->device_type;
	s->nqueues = (uint16_t)vdev->nqueues;
	s->host_features = vdev->host_features;
	s->driver_features = vdev->driver_features;
	s->msix_pending = __atomic_load_n(&vdev->msix_pending, __ATOMIC_ACQUIRE);
	s->dfselect = vdev->dfselect;
	s->gfselect = vdev->gfselect;
	s->config_len = (uint32_t)vdev->config_len;
	s->config_vector = vdev->config_vector;
	s->queue_select = vdev->queue_select;
	s->status = vdev->status;
	s->config_generation = vdev->config_generation;
	s->isr = vdev->isr;
	for (unsigned i = 0; i < vdev->nqueues; i++)
		queue_save(&vdev->queues[i], &qs[i]);
	memcpy(qs + vdev->nqueues, vdev->config, vdev->config_len);
	pthread_mutex_unlock(&vdev->lock);
	*blob = s;
	*len = n;
	return 0;
}

/* ---- Check ---------------------------------------------------------------------------- */

static bool vector_ok(const struct virtio_dev *vdev, uint16_t v)
{
	return v == VIRTIO_MSI_NO_VECTOR || v < vdev->msix_vectors;
}

static bool queue_check(const struct virtio_dev *vdev, unsigned i,
			const struct virtio_queue_state *s)
{
	const struct virtq *vq = &vdev->queues[i].vq;

	if (!s->size || (s->size & (s->size - 1)) || s->size > vq->max_size) {
		vmm_warn("snapshot: %s: queue %u size %u is not a power of two up to %u",
			 vdev->name, i, s->size, vq->max_size);
		return false;
	}
	if (!vector_ok(vdev, s->msix_vector)) {
		vmm_warn("snapshot: %s: queue %u MSI-X vector %u out of range", vdev->name, i,
			 s->msix_vector);
		return false;
	}
	if (s->ready > 1 || s->broken > 1 || s->signalled_valid > 1) {
		vmm_warn("snapshot: %s: queue %u flags %u/%u/%u are not flags", vdev->name, i,
			 s->ready, s->broken, s->signalled_valid);
		return false;
	}
	if (s->ready && !virtq_rings_valid(vq, s->size, s->desc_gpa, s->avail_gpa,
					   s->used_gpa)) {
		vmm_warn("snapshot: %s: queue %u rings at %#llx/%#llx/%#llx are not aligned "
			 "guest RAM", vdev->name, i, (unsigned long long)s->desc_gpa,
			 (unsigned long long)s->avail_gpa, (unsigned long long)s->used_gpa);
		return false;
	}
	return true;
}

/* The same device, backend options and configuration as the saving one. */
static bool identity_check(const struct virtio_dev *vdev, const struct virtio_pci_state *s,
			   const uint8_t *config)
{
	if (s->device_type != vdev->ops->device_type || s->nqueues != vdev->nqueues) {
		vmm_warn("snapshot: %s: device type %u with %u queues, expected %u with %u",
			 vdev->name, s->device_type, s->nqueues, vdev->ops->device_type,
			 vdev->nqueues);
		return false;
	}
	if (s->host_features != vdev->host_features) {
		vmm_warn("snapshot: %s: offered features %#llx differ from this device's %#llx",
			 vdev->name, (unsigned long long)s->host_features,
			 (unsigned long long)vdev->host_features);
		return false;
	}
	if (s->config_len != vdev->config_len || memcmp(config, vdev->config, s->config_len)) {
		vmm_warn("snapshot: %s: device configuration differs (another disk size or "
			 "backend)", vdev->name);
		return false;
	}
	return true;
}

/* §2.1.1, §3.1.1: the order a driver may set status bits in; features as status_write. */
static bool status_check(const struct virtio_dev *vdev, const struct virtio_pci_state *s)
{
	uint8_t st = s->status;

	if ((st & ~STATUS_BITS) ||
	    ((st & VIRTIO_CONFIG_S_DRIVER_OK) && !(st & VIRTIO_CONFIG_S_FEATURES_OK))) {
		vmm_warn("snapshot: %s: device status %#x is not reachable", vdev->name, st);
		return false;
	}
	if (s->driver_features & ~s->host_features) {
		vmm_warn("snapshot: %s: driver features %#llx were not offered", vdev->name,
			 (unsigned long long)(s->driver_features & ~s->host_features));
		return false;
	}
	if ((st & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(s->driver_features & (1ull << VIRTIO_F_VERSION_1))) {
		vmm_warn("snapshot: %s: FEATURES_OK without VIRTIO_F_VERSION_1", vdev->name);
		return false;
	}
	return true;
}

static bool header_check(const struct virtio_dev *vdev, const struct virtio_pci_state *s)
{
	if (!status_check(vdev, s))
		return false;
	if (!vector_ok(vdev, s->config_vector)) {
		vmm_warn("snapshot: %s: config MSI-X vector %u out of range", vdev->name,
			 s->config_vector);
		return false;
	}
	if (s->isr & ~ISR_BITS) {
		vmm_warn("snapshot: %s: ISR %#x has undefined bits", vdev->name, s->isr);
		return false;
	}
	if (vdev->msix_vectors < 64 && (s->msix_pending >> vdev->msix_vectors)) {
		vmm_warn("snapshot: %s: pending MSI-X vectors %#llx out of range", vdev->name,
			 (unsigned long long)s->msix_pending);
		return false;
	}
	return true;
}

int virtio_pci_check(struct virtio_dev *vdev, const void *blob, size_t len)
{
	struct virtio_pci_state s;
	const struct virtio_queue_state *qs = (const void *)((const uint8_t *)blob + sizeof(s));
	int ret = 0;

	if (len < sizeof(s)) {
		vmm_warn("snapshot: %s: state of %zu bytes is truncated", vdev->name, len);
		return -EINVAL;
	}
	memcpy(&s, blob, sizeof(s));
	if (s.version != VIRTIO_PCI_STATE_VERSION) {
		vmm_warn("snapshot: %s: version %u is not %u", vdev->name, s.version,
			 VIRTIO_PCI_STATE_VERSION);
		return -EINVAL;
	}
	if (len != state_size(vdev) || s.nqueues != vdev->nqueues ||
	    s.config_len != vdev->config_len) {
		vmm_warn("snapshot: %s: state of %zu bytes (%u queues, %u config bytes) does not "
			 "fit this device", vdev->name, len, s.nqueues, s.config_len);
		return -EINVAL;
	}
	pthread_mutex_lock(&vdev->lock);
	if (!identity_check(vdev, &s, (const uint8_t *)(qs + vdev->nqueues)) ||
	    !header_check(vdev, &s))
		ret = -EINVAL;
	for (unsigned i = 0; i < vdev->nqueues && !ret; i++) {
		struct virtio_queue_state q;

		memcpy(&q, qs + i, sizeof(q));
		if (!queue_check(vdev, i, &q))
			ret = -EINVAL;
	}
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

/* ---- Commit --------------------------------------------------------------------------- */

/* Lock held. The rings were checked; kicks go to where BAR4 is now. */
static void queue_restore(struct virtio_dev *vdev, struct virtio_queue *q,
			  const struct virtio_queue_state *s)
{
	struct virtq *vq = &q->vq;

	vpci_kick_teardown(q);
	virtq_reset(vq);
	vq->size = s->size;
	vq->desc_gpa = s->desc_gpa;
	vq->avail_gpa = s->avail_gpa;
	vq->used_gpa = s->used_gpa;
	vq->event_idx = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	q->msix_vector = s->msix_vector;
	if (!s->ready || virtq_enable(vq))
		return;
	vq->last_avail = s->last_avail;
	vq->used_idx = s->used_idx;
	vq->signalled_used = s->signalled_used;
	vq->signalled_valid = s->signalled_valid;
	vq->broken = s->broken;
	vpci_kick_setup(q);
}

/* Lock held. */
static uint64_t commit(struct virtio_dev *vdev, const struct virtio_pci_state *s,
		       const struct virtio_queue_state *qs)
{
	uint64_t vectors = 0;

	vdev->driver_features = s->driver_features;
	vdev->dfselect = s->dfselect;
	vdev->gfselect = s->gfselect;
	vdev->config_vector = s->config_vector;
	vdev->queue_select = s->queue_select;
	vdev->status = s->status;
	vdev->config_generation = s->config_generation;
	vdev->isr = s->isr;
	__atomic_store_n(&vdev->bar_addr, pci_bar_address(&vdev->pci, VIRTIO_PCI_BAR),
			 __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vdev->nqueues; i++) {
		struct virtio_queue_state q;

		memcpy(&q, qs + i, sizeof(q));
		queue_restore(vdev, &vdev->queues[i], &q);
		if (q.msix_vector != VIRTIO_MSI_NO_VECTOR)
			vectors |= 1ull << q.msix_vector;
	}
	if (s->config_vector != VIRTIO_MSI_NO_VECTOR)
		vectors |= 1ull << s->config_vector;
	/* §4.1.4.5.1: INTx stays asserted while the ISR holds a bit (MSI-X off). */
	if (vdev->isr && !pci_msix_enabled(&vdev->pci))
		pci_set_irq(&vdev->pci, 1);
	return vectors;
}

int virtio_pci_load(struct virtio_dev *vdev, const void *blob, size_t len)
{
	const struct virtio_queue_state *qs;
	struct virtio_pci_state s;
	uint64_t vectors;
	int ret = virtio_pci_check(vdev, blob, len);

	if (ret)
		return ret;
	memcpy(&s, blob, sizeof(s));
	qs = (const void *)((const uint8_t *)blob + sizeof(s));
	pthread_mutex_lock(&vdev->lock);
	vectors = commit(vdev, &s, qs);
	__atomic_or_fetch(&vdev->msix_pending, s.msix_pending, __ATOMIC_RELEASE);
	/* Kicks that the saving VM dropped while paused: look at every ready queue. */
	for (unsigned i = 0; i < vdev->nqueues; i++)
		vpci_kick(&vdev->queues[i]);
	pthread_mutex_unlock(&vdev->lock);
	vpci_irqfds_prime(vdev, vectors);
	vpci_send_pending(vdev);
	return 0;
}
