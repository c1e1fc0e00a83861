// SPDX-License-Identifier: GPL-2.0-or-later
/* PCI bus 0: configuration mechanism #1, configuration space, capabilities, reset. */
#include "pci-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Type 0 header bits the guest may change (PCI LB 3.0 §6.2.2): I/O, memory, bus master,
 * parity error response, SERR# enable, interrupt disable. Status error bits are RW1C.
 */
#define PCI_CMD_WRITABLE	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define PCI_STATUS_RW1C		(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | \
				 PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | \
				 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

uint32_t pci_cfg_load(const struct pci_dev *dev, unsigned off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)dev->config[off + i] << (8 * i);
	return v;
}

void pci_cfg_store(struct pci_dev *dev, unsigned off, unsigned size, uint32_t val)
{
	for (unsigned i = 0; i < size; i++)
		dev->config[off + i] = (uint8_t)(val >> (8 * i));
}

/* ---- Config space of one function ------------------------------------------------ */

static uint32_t dev_config_read(struct pci_dev *dev, unsigned reg, unsigned size)
{
	struct pci_bus *bus = dev->bus;
	uint32_t v;

	pthread_mutex_lock(&bus->irq_lock);
	v = pci_cfg_load(dev, reg, size);
	pthread_mutex_unlock(&bus->irq_lock);
	if (dev->ops && dev->ops->config_read)
		v = dev->ops->config_read(dev, reg, size, v);
	return v & (uint32_t)pci_size_mask(size);
}

/*
 * Store a guest write through the masks, then bring everything derived from config space
 * (INTx, MSI delivery of unmasked pending vectors, BAR decoding) in line with it. Syncing
 * all of it after every write is cheap and cannot miss a partial or odd-sized update.
 */
static void dev_config_write(struct pci_dev *dev, unsigned reg, uint32_t val, unsigned size)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->irq_lock);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		uint8_t nv = (dev->config[o] & ~dev->wmask[o]) | (b & dev->wmask[o]);

		dev->config[o] = nv & ~(b & dev->w1cmask[o]);
	}
	pci_intx_sync_locked(dev);
	pci_msi_sync_locked(dev);
	pthread_mutex_unlock(&bus->irq_lock);
	pci_bars_sync(dev);
	if (dev->ops && dev->ops->config_write)
		dev->ops->config_write(dev, reg, val, size);
}

/* ---- Configuration mechanism #1 ---------------------------------------------------- */

/* The function CONFIG_ADDRESS selects, with the dword register offset; bus lock held. */
static struct pci_dev *cfc_target(struct pci_bus *bus, unsigned *reg)
{
	uint32_t a = bus->config_address;

	if (!(a & PCI_CFG_ENABLE) || ((a >> 16) & 0xff))
		return NULL;	/* not a config cycle, or a bus that does not exist */
	*reg = a & 0xfc;
	return bus->devs[(a >> 8) & 0xff];
}

static uint64_t cfc_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *bus = opaque;
	uint64_t v = pci_size_mask(size);	/* master abort: all-ones */
	struct pci_dev *dev;
	unsigned reg = 0;

	pthread_mutex_lock(&bus->lock);
	dev = cfc_target(bus, &reg);
	if (dev)
		v = dev_config_read(dev, reg + (unsigned)off, size);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

static void cfc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *dev;
	unsigned reg = 0;

	pthread_mutex_lock(&bus->lock);
	dev = cfc_target(bus, &reg);
	if (dev)
		dev_config_write(dev, reg + (unsigned)off, (uint32_t)val, size);
	pthread_mutex_unlock(&bus->lock);
}

/*
 * 0xCF8: the host bridge claims only dword accesses (PCI LB 3.0 §3.2.2.3.2); any other
 * access to 0xCF8-0xCFB is passed to whoever owned those ports before (0xCF9, reset
 * control), as a PC's host bridge forwards it to the ISA bus.
 */
static uint64_t cf8_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bus *bus = opaque;
	uint8_t buf[4] = { 0 };
	uint64_t v = 0;

	if (off == 0 && size == 4) {
		pthread_mutex_lock(&bus->lock);
		v = bus->config_address;
		pthread_mutex_unlock(&bus->lock);
		return v;
	}
	vmm_bus_read(&bus->legacy, PCI_CONFIG_ADDRESS_PORT + off, buf, size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

static void cf8_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bus *bus = opaque;
	uint8_t buf[4];

	if (off == 0 && size == 4) {
		pthread_mutex_lock(&bus->lock);
		bus->config_address = (uint32_t)val & PCI_CFG_ADDR_MASK;
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(val >> (8 * i));
	vmm_bus_write(&bus->legacy, PCI_CONFIG_ADDRESS_PORT + off, buf, size);
}

/* Locking: run on vCPU threads from the PIO bus; take the PCI bus lock themselves. */
static const struct vmm_io_ops pci_cf8_ops = {
	.name = "pci-config-address", .read = cf8_read, .write = cf8_write,
	.min_size = 1, .max_size = 4,
};
static const struct vmm_io_ops pci_cfc_ops = {
	.name = "pci-config-data", .read = cfc_read, .write = cfc_write,
	.min_size = 1, .max_size = 4,
};

/* Move ranges inside 0xCF8-0xCFB from the PIO bus to bus->legacy. */
static int take_legacy_ports(struct pci_bus *bus)
{
	struct vmm_bus *pio = bus->cfg.pio;
	const uint64_t first = PCI_CONFIG_ADDRESS_PORT, last = first + 3;
	bool conflict = false;

	pthread_rwlock_rdlock(&pio->lock);
	for (size_t i = 0; i < pio->n && !conflict; i++) {
		const struct vmm_bus_range *r = &pio->ranges[i];
		uint64_t end = r->base + (r->len - 1);

		if (end < first || r->base > last)
			continue;
		if (r->base < first || end > last || bus->ntaken == 4)
			conflict = true;	/* straddles the host bridge's ports */
		else
			bus->taken[bus->ntaken++] = *r;
	}
	pthread_rwlock_unlock(&pio->lock);
	if (conflict) {
		bus->ntaken = 0;
		return -EEXIST;
	}
	for (unsigned i = 0; i < bus->ntaken; i++) {
		const struct vmm_bus_range *r = &bus->taken[i];

		vmm_bus_unregister(pio, r->base, r->opaque);
		vmm_bus_register(&bus->legacy, r->base, r->len, r->ops, r->opaque);
	}
	return 0;
}

static void release_ports(struct pci_bus *bus)
{
	struct vmm_bus *pio = bus->cfg.pio;

	if (bus->cf8_registered)
		vmm_bus_unregister(pio, PCI_CONFIG_ADDRESS_PORT, bus);
	if (bus->cfc_registered)
		vmm_bus_unregister(pio, PCI_CONFIG_DATA_PORT, bus);
	bus->cf8_registered = bus->cfc_registered = false;
	for (unsigned i = 0; i < bus->ntaken; i++) {
		const struct vmm_bus_range *r = &bus->taken[i];

		vmm_bus_unregister(&bus->legacy, r->base, r->opaque);
		vmm_bus_register(pio, r->base, r->len, r->ops, r->opaque);
	}
	bus->ntaken = 0;
}

static int claim_ports(struct pci_bus *bus)
{
	struct vmm_bus *pio = bus->cfg.pio;
	int ret = take_legacy_ports(bus);

	if (ret)
		return ret;
	ret = vmm_bus_register(pio, PCI_CONFIG_ADDRESS_PORT, 4, &pci_cf8_ops, bus);
	bus->cf8_registered = !ret;
	if (!ret)
		ret = vmm_bus_register(pio, PCI_CONFIG_DATA_PORT, 4, &pci_cfc_ops, bus);
	bus->cfc_registered = bus->cf8_registered && !ret;
	if (ret)
		release_ports(bus);
	return ret;
}

/* ---- The bus ---------------------------------------------------------------------- */

struct pci_bus *pci_bus_new(const struct pci_bus_config *cfg)
{
	struct pci_bus *bus;
	pthread_mutexattr_t attr;

	if (!cfg->pio || !cfg->mmio)
		return NULL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->cfg = *cfg;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&bus->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&bus->irq_lock, NULL);
	for (unsigned i = 0; i < PCI_NUM_PIRQS; i++)
		bus->pirq_route[i] = -1;
	vmm_bus_init(&bus->legacy, cfg->pio->name, cfg->log);
	if (claim_ports(bus)) {
		vmm_bus_destroy(&bus->legacy);
		pthread_mutex_destroy(&bus->irq_lock);
		pthread_mutex_destroy(&bus->lock);
		free(bus);
		return NULL;
	}
	return bus;
}

void pci_bus_free(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned i = 0; i < 256; i++)
		if (bus->devs[i])
			pci_dev_exit(bus->devs[i]);
	release_ports(bus);
	vmm_bus_destroy(&bus->legacy);
	pthread_mutex_destroy(&bus->irq_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

struct pci_dev *pci_bus_find(struct pci_bus *bus, unsigned devfn)
{
	struct pci_dev *dev;

	if (devfn > 255)
		return NULL;
	pthread_mutex_lock(&bus->lock);
	dev = bus->devs[devfn];
	pthread_mutex_unlock(&bus->lock);
	return dev;
}

struct vmm_guest_log *pci_bus_log(struct pci_bus *bus)
{
	return bus->cfg.log;
}

/* ---- Functions --------------------------------------------------------------------- */

static bool slot_empty(struct pci_bus *bus, unsigned slot)
{
	for (unsigned fn = 0; fn < 8; fn++)
		if (bus->devs[PCI_DEVFN(slot, fn)])
			return false;
	return true;
}

static int first_empty_slot(struct pci_bus *bus)
{
	for (unsigned slot = 0; slot < 32; slot++)
		if (slot_empty(bus, slot))
			return (int)PCI_DEVFN(slot, 0);
	return -ENOSPC;
}

static int pick_devfn(struct pci_bus *bus, int devfn)
{
	if (devfn == PCI_DEVFN_AUTO)
		return first_empty_slot(bus);
	if (devfn < 0 || devfn > 255)
		return -EINVAL;
	return bus->devs[devfn] ? -EBUSY : devfn;
}

/* Function 0 announces the others (PCI LB 3.0 §6.2.1, Header Type bit 7). */
static void mark_multifunction(struct pci_bus *bus, unsigned slot)
{
	struct pci_dev *f0 = bus->devs[PCI_DEVFN(slot, 0)];
	bool others = false;

	for (unsigned fn = 1; fn < 8; fn++)
		others |= bus->devs[PCI_DEVFN(slot, fn)] != NULL;
	if (!f0 || !others)
		return;
	pthread_mutex_lock(&bus->irq_lock);
	f0->config[PCI_HEADER_TYPE] |= 0x80;
	f0->reset_config[PCI_HEADER_TYPE] |= 0x80;
	pthread_mutex_unlock(&bus->irq_lock);
}

static void init_header(struct pci_dev *dev, const struct pci_dev_info *info)
{
	pci_cfg_store(dev, PCI_VENDOR_ID, 2, info->vendor_id);
	pci_cfg_store(dev, PCI_DEVICE_ID, 2, info->device_id);
	dev->config[PCI_REVISION_ID] = info->revision;
	pci_cfg_store(dev, PCI_CLASS_PROG, 3, info->class_code & 0xffffff);
	dev->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	pci_cfg_store(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, info->subsys_vendor_id);
	pci_cfg_store(dev, PCI_SUBSYSTEM_ID, 2, info->subsys_id);
	dev->config[PCI_INTERRUPT_PIN] = info->irq_pin <= 4 ? info->irq_pin : 0;
	dev->wmask[PCI_COMMAND] = PCI_CMD_WRITABLE & 0xff;
	dev->wmask[PCI_COMMAND + 1] = PCI_CMD_WRITABLE >> 8;
	dev->w1cmask[PCI_STATUS] = PCI_STATUS_RW1C & 0xff;
	dev->w1cmask[PCI_STATUS + 1] = PCI_STATUS_RW1C >> 8;
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	memset(dev->claimed, 0xff, 0x40 / 8);	/* the header itself */
	memcpy(dev->reset_config, dev->config, PCI_CONFIG_SIZE);
}

int pci_dev_init(struct pci_dev *dev, struct pci_bus *bus, int devfn,
		 const struct pci_dev_info *info)
{
	int fn;

	if (!dev || !bus || !info)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	fn = pick_devfn(bus, devfn);
	if (fn < 0) {
		pthread_mutex_unlock(&bus->lock);
		return fn;
	}
	memset(dev, 0, sizeof(*dev));
	dev->bus = bus;
	dev->devfn = (uint8_t)fn;
	dev->name = info->name ? info->name : "pci";
	dev->ops = info->ops;
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++) {
		dev->bars[i].dev = dev;
		dev->bars[i].index = (uint8_t)i;
	}
	init_header(dev, info);
	dev->registered = true;
	bus->devs[fn] = dev;
	mark_multifunction(bus, PCI_SLOT(fn));
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

void pci_dev_exit(struct pci_dev *dev)
{
	struct pci_bus *bus = dev ? dev->bus : NULL;

	if (!bus || !dev->registered)
		return;
	pthread_mutex_lock(&bus->lock);
	pci_bars_unmap_all(dev);
	pthread_mutex_lock(&bus->irq_lock);
	dev->intx_level = false;
	pci_intx_sync_locked(dev);
	pthread_mutex_unlock(&bus->irq_lock);
	bus->devs[dev->devfn] = NULL;
	dev->registered = false;
	pci_bus_retry_mappings(bus);
	pci_bars_free(dev);
	pci_msi_free(dev);
	pthread_mutex_unlock(&bus->lock);
}

static void dev_reset_locked(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;

	pci_bars_unmap_all(dev);
	pthread_mutex_lock(&bus->irq_lock);
	memcpy(dev->config, dev->reset_config, PCI_CONFIG_SIZE);
	dev->intx_level = false;
	pci_msix_reset_locked(dev);
	pci_intx_sync_locked(dev);
	pthread_mutex_unlock(&bus->irq_lock);
	pci_bars_sync(dev);
	if (dev->ops && dev->ops->reset)
		dev->ops->reset(dev);
}

void pci_dev_reset(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->lock);
	dev_reset_locked(dev);
	pci_bus_retry_mappings(bus);
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_reset(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	bus->config_address = 0;
	for (unsigned i = 0; i < 256; i++)
		if (bus->devs[i])
			dev_reset_locked(bus->devs[i]);
	pci_bus_retry_mappings(bus);
	pthread_mutex_unlock(&bus->lock);
}
