// SPDX-License-Identifier: GPL-2.0-or-later
/* Virtio PCI setup (virtio 1.2 §4.1.2, §4.1.4): capabilities, config window, life cycle. */
#include "virtio-pci-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VPCI_CAP_LEN		16u	/* struct virtio_pci_cap (§4.1.4) */
#define VPCI_CFG_CAP_DATA	16u	/* pci_cfg_data in struct virtio_pci_cfg_cap (§4.1.4.8) */
#define VPCI_CFG_WINDOW_END	VIRTIO_PCI_MSIX_TABLE_OFF	/* our four structures */

/* Transport features we offer to every device (§6). */
#define VPCI_FEATURES		((1ull << VIRTIO_F_VERSION_1) |			\
				 (1ull << VIRTIO_RING_F_INDIRECT_DESC) |	\
				 (1ull << VIRTIO_RING_F_EVENT_IDX))

/* ---- PCI configuration access capability (§4.1.4.8) ----------------------------------- */

/* The window cap.bar/cap.offset/cap.length describe, if it is one the driver may use. */
static bool cfg_window(struct virtio_dev *vdev, uint32_t *off, unsigned *len)
{
	unsigned cap = (unsigned)vdev->cfg_cap;
	uint32_t bar = pci_config_get(&vdev->pci, cap + VIRTIO_PCI_CAP_BAR, 1);

	*off = pci_config_get(&vdev->pci, cap + VIRTIO_PCI_CAP_OFFSET, 4);
	*len = pci_config_get(&vdev->pci, cap + VIRTIO_PCI_CAP_LENGTH, 4);
	if (bar != VIRTIO_PCI_BAR || (*len != 1 && *len != 2 && *len != 4))
		return false;
	return *off % *len == 0 && *off < VPCI_CFG_WINDOW_END;
}

static bool overlaps(unsigned a, unsigned alen, unsigned b, unsigned blen)
{
	return a < b + blen && b < a + alen;
}

static uint32_t vpci_config_read(struct pci_dev *dev, unsigned offset, unsigned size,
				 uint32_t val)
{
	struct virtio_dev *vdev = (struct virtio_dev *)dev;
	unsigned data = (unsigned)vdev->cfg_cap + VPCI_CFG_CAP_DATA, len;
	uint32_t off;

	if (!overlaps(offset, size, data, 4) || !cfg_window(vdev, &off, &len))
		return val;	/* lspci dumps read the window too: no side effects then */
	pci_config_update(dev, data, 4, (uint32_t)vpci_bar_read(vdev, off, len));
	return pci_config_get(dev, offset, size);
}

/* Bus lock held (a PCI hook): re-read BAR4's place, then the config window. */
static void vpci_config_write(struct pci_dev *dev, unsigned offset, uint32_t val, unsigned size)
{
	struct virtio_dev *vdev = (struct virtio_dev *)dev;
	unsigned data = (unsigned)vdev->cfg_cap + VPCI_CFG_CAP_DATA, len;
	uint64_t bar = pci_bar_address(dev, VIRTIO_PCI_BAR);
	uint32_t off;

	pthread_mutex_lock(&vdev->lock);
	if (bar != vdev->bar_addr) {
		__atomic_store_n(&vdev->bar_addr, bar, __ATOMIC_RELEASE);
		vpci_kicks_sync(vdev);
	}
	pthread_mutex_unlock(&vdev->lock);
	if (!overlaps(offset, size, data, 4))
		return;
	if (!cfg_window(vdev, &off, &len)) {
		vpci_guest_error(vdev, "PCI config window write with an invalid bar/offset/length");
		return;
	}
	vpci_bar_write(vdev, off, pci_config_get(dev, data, len), len);
}

/* Bus lock held: the core already returned config space to power-on (BARs unplaced). */
static void vpci_pci_reset(struct pci_dev *dev)
{
	struct virtio_dev *vdev = (struct virtio_dev *)dev;
	uint64_t bar = pci_bar_address(dev, VIRTIO_PCI_BAR);

	pthread_mutex_lock(&vdev->lock);
	__atomic_store_n(&vdev->bar_addr, bar, __ATOMIC_RELEASE);
	vpci_reset_locked(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

static const struct pci_dev_ops vpci_pci_ops = {
	.config_read = vpci_config_read,
	.config_write = vpci_config_write,
	.reset = vpci_pci_reset,
};

/* ---- Capabilities (§4.1.4) ------------------------------------------------------------ */

static int add_vcap(struct pci_dev *dev, uint8_t type, uint32_t off, uint32_t len,
		    unsigned extra)
{
	int cap = pci_add_capability(dev, PCI_CAP_ID_VNDR, VPCI_CAP_LEN + extra);

	if (cap < 0)
		return cap;
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_LEN, 1, VPCI_CAP_LEN + extra);
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_CFG_TYPE, 1, type);
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_BAR);
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_OFFSET, 4, off);
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_LENGTH, 4, len);
	return cap;
}

/*
 * Common, notify, ISR, device (if any), then the config window; the order is the order of
 * preference (§4.1.4.2). Offsets are 4-byte aligned as §4.1.4.3.1/§4.1.4.6.1 ask, the notify
 * multiplier an even power of two (§4.1.4.4.1) and its length covers every queue.
 */
static int add_caps(struct virtio_dev *vdev)
{
	struct pci_dev *dev = &vdev->pci;
	int cap;

	cap = add_vcap(dev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		       VIRTIO_PCI_COMMON_LEN, 0);
	if (cap < 0)
		return cap;
	cap = add_vcap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		       vdev->nqueues * VIRTIO_PCI_NOTIFY_MULT, 4);
	if (cap < 0)
		return cap;
	pci_config_set(dev, cap + VIRTIO_PCI_NOTIFY_CAP_MULT, 4, VIRTIO_PCI_NOTIFY_MULT);
	cap = add_vcap(dev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, 0);
	if (cap < 0)
		return cap;
	if (vdev->config_len) {
		cap = add_vcap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF,
			       (uint32_t)vdev->config_len, 0);
		if (cap < 0)
			return cap;
	}
	/* §4.1.4.8: bar, offset, length and the data bytes are the driver's to write. */
	cap = add_vcap(dev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4);
	if (cap < 0)
		return cap;
	pci_config_set(dev, cap + VIRTIO_PCI_CAP_BAR, 1, 0);
	pci_config_set_wmask(dev, cap + VIRTIO_PCI_CAP_BAR, 1, 0xff);
	pci_config_set_wmask(dev, cap + VIRTIO_PCI_CAP_OFFSET, 4, 0xffffffffu);
	pci_config_set_wmask(dev, cap + VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffffu);
	pci_config_set_wmask(dev, cap + VPCI_CFG_CAP_DATA, 4, 0xffffffffu);
	vdev->cfg_cap = cap;
	return 0;
}

/* ---- Life cycle ----------------------------------------------------------------------- */

static int vpci_alloc(struct virtio_dev *vdev, const struct virtio_dev_config *cfg)
{
	vdev->queues = calloc(cfg->nqueues, sizeof(*vdev->queues));
	vdev->config = calloc(1, cfg->config_len ? cfg->config_len : 1);
	vdev->irqfds = calloc(cfg->nqueues + 1, sizeof(*vdev->irqfds));
	if (!vdev->queues || !vdev->config || !vdev->irqfds)
		return -ENOMEM;
	vdev->msix_vectors = cfg->nqueues + 1;	/* one per queue, one for config changes */
	for (unsigned v = 0; v < vdev->msix_vectors; v++)
		vdev->irqfds[v].fd = -1;
	for (unsigned i = 0; i < cfg->nqueues; i++) {
		struct virtio_queue *q = &vdev->queues[i];
		char name[48];
		int ret;

		snprintf(name, sizeof(name), "%s q%u", vdev->name, i);
		*q = (struct virtio_queue){ .vdev = vdev, .index = i, .kick_fd = -1,
					    .msix_vector = VIRTIO_MSI_NO_VECTOR };
		ret = virtq_init(&q->vq, vdev->host.mem, vdev->host.log, cfg->queue_size, name);
		if (ret)
			return ret;
		vdev->nqueues = i + 1;
	}
	return 0;
}

static void vpci_free(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++)
		virtq_destroy(&vdev->queues[i].vq);
	free(vdev->queues);
	free(vdev->config);
	free(vdev->irqfds);
	vdev->queues = NULL;
	vdev->config = NULL;
	vdev->irqfds = NULL;
	vdev->nqueues = 0;
	pthread_mutex_destroy(&vdev->irq_lock);
	pthread_cond_destroy(&vdev->idle);
	pthread_mutex_destroy(&vdev->lock);
}

static bool config_ok(const struct virtio_dev_config *cfg)
{
	const struct virtio_host *h = &cfg->host;

	if (!cfg->ops || !cfg->ops->queue_notify || !h->loop || !h->mmio || !h->mem)
		return false;
	if (!cfg->nqueues || cfg->nqueues > VIRTIO_PCI_MAX_QUEUES)
		return false;
	if (!cfg->queue_size || (cfg->queue_size & (cfg->queue_size - 1)))
		return false;
	return cfg->config_len <= VIRTIO_PCI_REGION_SIZE;
}

static int vpci_register(struct virtio_dev *vdev, struct pci_bus *bus, int devfn)
{
	const struct pci_dev_info info = {
		.name = vdev->name,
		.vendor_id = VIRTIO_PCI_VENDOR,
		.device_id = VIRTIO_PCI_DEVICE_BASE + vdev->ops->device_type,
		.class_code = vdev->ops->class_code,
		.revision = VIRTIO_PCI_REVISION,
		.subsys_vendor_id = VIRTIO_PCI_VENDOR,
		.subsys_id = VIRTIO_PCI_SUBSYS_ID,
		.irq_pin = 1,		/* INTA#, for drivers without MSI-X */
		.ops = &vpci_pci_ops,
	};
	int ret = pci_dev_init(&vdev->pci, bus, devfn, &info);

	if (ret)
		return ret;
	ret = pci_register_bar(&vdev->pci, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, PCI_BAR_MEM64,
			       false, &vpci_bar_ops, vdev);
	if (!ret)
		ret = add_caps(vdev);
	if (!ret) {
		ret = pci_msix_init(&vdev->pci, vdev->msix_vectors, VIRTIO_PCI_BAR,
				    VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_BAR,
				    VIRTIO_PCI_MSIX_PBA_OFF);
		vdev->msix_cap = ret;
	}
	if (ret < 0) {
		pci_dev_exit(&vdev->pci);
		return ret;
	}
	return 0;
}

int virtio_pci_init(struct virtio_dev *vdev, struct pci_bus *bus,
		    const struct virtio_dev_config *cfg)
{
	int ret;

	if (!vdev || !bus || !cfg || !config_ok(cfg))
		return -EINVAL;
	memset(vdev, 0, sizeof(*vdev));
	pthread_mutex_init(&vdev->lock, NULL);
	pthread_mutex_init(&vdev->irq_lock, NULL);
	pthread_cond_init(&vdev->idle, NULL);
	vdev->ops = cfg->ops;
	vdev->host = cfg->host;
	snprintf(vdev->name, sizeof(vdev->name), "%s", cfg->name ? cfg->name : cfg->ops->name);
	vdev->host_features = cfg->features | VPCI_FEATURES;
	vdev->config_len = cfg->config_len;
	vdev->config_vector = VIRTIO_MSI_NO_VECTOR;
	vdev->bar_addr = PCI_BAR_UNMAPPED;
	ret = vpci_alloc(vdev, cfg);
	if (!ret)
		ret = vpci_register(vdev, bus, cfg->devfn);
	if (ret)
		vpci_free(vdev);
	return ret;
}

void virtio_pci_exit(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	vpci_reset_locked(vdev);
	pthread_mutex_unlock(&vdev->lock);
	pci_dev_exit(&vdev->pci);
	vpci_free(vdev);
}

void virtio_pci_reset(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	vpci_reset_locked(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_pci_pause(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);	/* waits for a queue being processed */
	vdev->paused = true;
	while (vdev->in_flight)			/* and for its interrupts to go out */
		pthread_cond_wait(&vdev->idle, &vdev->lock);
	pthread_mutex_unlock(&vdev->lock);
}

/* Kicks that arrived while paused were read and dropped: look at every queue again. */
void virtio_pci_resume(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	if (vdev->paused) {
		vdev->paused = false;
		for (unsigned i = 0; i < vdev->nqueues; i++)
			vpci_kick(&vdev->queues[i]);
	}
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_config_put(struct virtio_dev *vdev, unsigned off, const void *p, size_t len)
{
	if (off > vdev->config_len || len > vdev->config_len - off)
		return;
	pthread_mutex_lock(&vdev->lock);
	memcpy(vdev->config + off, p, len);
	pthread_mutex_unlock(&vdev->lock);
}

static void config_put_le(struct virtio_dev *vdev, unsigned off, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	virtio_config_put(vdev, off, b, n);
}

void virtio_config_put16(struct virtio_dev *vdev, unsigned off, uint16_t v)
{
	config_put_le(vdev, off, v, 2);
}

void virtio_config_put32(struct virtio_dev *vdev, unsigned off, uint32_t v)
{
	config_put_le(vdev, off, v, 4);
}

void virtio_config_put64(struct virtio_dev *vdev, unsigned off, uint64_t v)
{
	config_put_le(vdev, off, v, 8);
}
