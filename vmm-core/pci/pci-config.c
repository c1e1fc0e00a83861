// SPDX-License-Identifier: GPL-2.0-or-later
/* PCI config space from the host side: contents and masks, capabilities, DMA checks. */
#include "pci-private.h"

#include <errno.h>
#include <string.h>

#define PCI_CAP_WALK_BUDGET	48	/* (256 - 64) / 4 capabilities at most */

static bool cfg_range_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < PCI_CONFIG_SIZE &&
	       size <= PCI_CONFIG_SIZE - off;
}

/* ---- Host-side config access ------------------------------------------------------ */

void pci_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t val)
{
	if (!cfg_range_ok(offset, size))
		return;
	pthread_mutex_lock(&dev->bus->irq_lock);
	pci_cfg_store(dev, offset, size, val);
	memcpy(dev->reset_config + offset, dev->config + offset, size);
	pthread_mutex_unlock(&dev->bus->irq_lock);
}

void pci_config_update(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t val)
{
	if (!cfg_range_ok(offset, size))
		return;
	pthread_mutex_lock(&dev->bus->irq_lock);
	pci_cfg_store(dev, offset, size, val);
	pthread_mutex_unlock(&dev->bus->irq_lock);
}

uint32_t pci_config_get(struct pci_dev *dev, unsigned offset, unsigned size)
{
	uint32_t v;

	if (!cfg_range_ok(offset, size))
		return 0;
	pthread_mutex_lock(&dev->bus->irq_lock);
	v = pci_cfg_load(dev, offset, size);
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return v;
}

static void set_mask(struct pci_dev *dev, uint8_t *mask, unsigned offset, unsigned size,
		     uint32_t val)
{
	if (!cfg_range_ok(offset, size))
		return;
	pthread_mutex_lock(&dev->bus->irq_lock);
	for (unsigned i = 0; i < size; i++)
		mask[offset + i] = (uint8_t)(val >> (8 * i));
	pthread_mutex_unlock(&dev->bus->irq_lock);
}

void pci_config_set_wmask(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t mask)
{
	set_mask(dev, dev->wmask, offset, size, mask);
}

void pci_config_set_w1cmask(struct pci_dev *dev, unsigned offset, unsigned size,
			    uint32_t mask)
{
	set_mask(dev, dev->w1cmask, offset, size, mask);
}

void pci_config_claim(struct pci_dev *dev, unsigned offset, unsigned len)
{
	for (unsigned o = offset; o < PCI_CONFIG_SIZE && o - offset < len; o++)
		dev->claimed[o / 8] |= (uint8_t)(1u << (o % 8));
}

/* ---- Capabilities (PCI LB 3.0 §6.7) ----------------------------------------------- */

static bool cfg_free(const struct pci_dev *dev, unsigned off, unsigned len)
{
	for (unsigned o = off; o < off + len; o++)
		if (dev->claimed[o / 8] & (1u << (o % 8)))
			return false;
	return true;
}

/* Offset of the last capability in the list (0: empty); bus lock held. */
static unsigned cap_last(struct pci_dev *dev)
{
	unsigned off = dev->config[PCI_CAPABILITY_LIST] & 0xfc, last = 0;

	for (unsigned n = 0; off >= 0x40 && n < PCI_CAP_WALK_BUDGET; n++) {
		last = off;
		off = dev->config[off + PCI_CAP_LIST_NEXT] & 0xfc;
	}
	return last;
}

int pci_add_capability(struct pci_dev *dev, uint8_t id, unsigned size)
{
	unsigned off, last;

	if (size < 2 || size > PCI_CONFIG_SIZE - 0x40)
		return -EINVAL;
	pthread_mutex_lock(&dev->bus->lock);
	for (off = 0x40; off + size <= PCI_CONFIG_SIZE; off += 4)
		if (cfg_free(dev, off, size))
			break;
	if (off + size > PCI_CONFIG_SIZE) {
		pthread_mutex_unlock(&dev->bus->lock);
		return -ENOSPC;
	}
	pci_config_claim(dev, off, size);
	for (unsigned o = off; o < off + size; o++)
		dev->capmap[o / 8] |= (uint8_t)(1u << (o % 8));
	last = cap_last(dev);
	pci_config_set(dev, off + PCI_CAP_LIST_ID, 1, id);
	pci_config_set(dev, off + PCI_CAP_LIST_NEXT, 1, 0);
	pci_config_set(dev, last ? last + PCI_CAP_LIST_NEXT : PCI_CAPABILITY_LIST, 1, off);
	pci_config_set(dev, PCI_STATUS, 2,
		       pci_config_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	pthread_mutex_unlock(&dev->bus->lock);
	return (int)off;
}

unsigned pci_find_capability(struct pci_dev *dev, uint8_t id)
{
	unsigned off, found = 0;

	pthread_mutex_lock(&dev->bus->irq_lock);
	off = dev->config[PCI_CAPABILITY_LIST] & 0xfc;
	for (unsigned n = 0; off >= 0x40 && n < PCI_CAP_WALK_BUDGET && !found; n++) {
		if (dev->config[off + PCI_CAP_LIST_ID] == id)
			found = off;
		off = dev->config[off + PCI_CAP_LIST_NEXT] & 0xfc;
	}
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return found;
}

/* ---- DMA ---------------------------------------------------------------------------- */

static bool dma_allowed(struct pci_dev *dev, uint64_t gpa, size_t len, const char *what)
{
	struct pci_bus *bus = dev->bus;
	uint16_t cmd = (uint16_t)pci_config_get(dev, PCI_COMMAND, 2);

	if (!(cmd & PCI_COMMAND_MASTER)) {
		pci_guest_error(bus, "pci %s: DMA %s at %#llx while bus mastering is off",
				dev->name, what, (unsigned long long)gpa);
		return false;
	}
	if (!bus->cfg.mem || !vm_memory_is_ram(bus->cfg.mem, gpa, len)) {
		pci_guest_error(bus, "pci %s: DMA %s of %zu bytes at %#llx is not guest RAM",
				dev->name, what, len, (unsigned long long)gpa);
		return false;
	}
	return true;
}

int pci_dma_read(struct pci_dev *dev, uint64_t gpa, void *buf, size_t len)
{
	if (!len)
		return 0;
	if (!dma_allowed(dev, gpa, len, "read"))
		return -EFAULT;
	return vm_memory_read(dev->bus->cfg.mem, gpa, buf, len);
}

int pci_dma_write(struct pci_dev *dev, uint64_t gpa, const void *buf, size_t len)
{
	if (!len)
		return 0;
	if (!dma_allowed(dev, gpa, len, "write"))
		return -EFAULT;
	return vm_memory_write(dev->bus->cfg.mem, gpa, buf, len);
}

void *pci_dma_map(struct pci_dev *dev, uint64_t gpa, size_t len)
{
	if (!len || !dma_allowed(dev, gpa, len, "map"))
		return NULL;
	return vm_memory_ptr(dev->bus->cfg.mem, gpa, len);
}
