// SPDX-License-Identifier: GPL-2.0-or-later
/* PCI BARs, the expansion ROM BAR and device-placed regions: sizing, decoding, mapping. */
#include "pci-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCI_ROM_MIN_SIZE	0x800ull	/* ROM BAR bits 10:1 are reserved */
#define PCI_ROM_MAX_SIZE	(16ull << 20)
#define PCI_PAGE_SIZE		4096ull

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned bar_reg(const struct pci_bar *b)
{
	return b->index == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4u * b->index;
}

/*
 * Where the guest placed the BAR and whether it decodes there (PCI LB 3.0 §6.2.5): the
 * command register's I/O or memory enable, the ROM BAR's own enable bit, and an address
 * that is not 0 (unassigned, by firmware convention), does not wrap and, for I/O, lies in
 * the 64 KiB port space. A BAR placed over guest RAM is allowed: KVM's memory slots take
 * precedence over MMIO exits, so the BAR is merely invisible there, as on real hardware
 * where the host bridge claims the cycle first.
 */
static bool bar_wanted(struct pci_bar *b, uint64_t *addr)
{
	struct pci_dev *dev = b->dev;
	uint32_t lo, hi = 0;
	uint16_t cmd;
	uint64_t a;
	bool on;

	pthread_mutex_lock(&dev->bus->irq_lock);
	cmd = (uint16_t)pci_cfg_load(dev, PCI_COMMAND, 2);
	lo = pci_cfg_load(dev, bar_reg(b), 4);
	if (b->type == PCI_BAR_MEM64)
		hi = pci_cfg_load(dev, bar_reg(b) + 4, 4);
	pthread_mutex_unlock(&dev->bus->irq_lock);

	if (b->is_rom) {
		a = lo & PCI_ROM_ADDRESS_MASK;
		on = (lo & PCI_ROM_ADDRESS_ENABLE) && (cmd & PCI_COMMAND_MEMORY);
	} else if (b->type == PCI_BAR_IO) {
		a = lo & PCI_BASE_ADDRESS_IO_MASK;
		on = cmd & PCI_COMMAND_IO;
	} else {
		a = (lo & PCI_BASE_ADDRESS_MEM_MASK) | ((uint64_t)hi << 32);
		on = cmd & PCI_COMMAND_MEMORY;
	}
	if (!on || !a || a + (b->size - 1) < a)
		return false;
	if (b->type == PCI_BAR_IO && a + b->size > PCI_IO_SPACE_END)
		return false;
	*addr = a;
	return true;
}

static void bar_notify(struct pci_bar *b, bool mapped)
{
	struct pci_dev *dev = b->dev;

	if (dev->ops && dev->ops->bar_mapped)
		dev->ops->bar_mapped(dev, b->index, b->addr, mapped);
}

/*
 * A ROM of whole pages becomes read-only guest memory plus the MMIO handler behind it,
 * which only ever sees the writes (bar_write logs them). Without a slot, reads exit too.
 */
static int bar_map_rom(struct pci_bar *b, uint64_t addr)
{
	struct pci_bus *bus = b->dev->bus;
	int ret = vmm_bus_register(bus->cfg.mmio, addr, b->size, &b->wrap, b);

	b->via_map_rom = false;
	if (ret || !bus->cfg.map_rom || b->size % PCI_PAGE_SIZE)
		return ret;
	if (!bus->cfg.map_rom(bus->cfg.opaque, addr, b->size, b->rom, true))
		b->via_map_rom = true;
	return 0;
}

static int bar_map(struct pci_bar *b, uint64_t addr)
{
	struct pci_bus *bus = b->dev->bus;
	int ret;

	b->via_map_ram = b->hva && bus->cfg.map_ram;
	if (b->via_map_ram)
		ret = bus->cfg.map_ram(bus->cfg.opaque, addr, b->size, b->hva, true);
	else if (b->rom)
		ret = bar_map_rom(b, addr);
	else
		ret = vmm_bus_register(b->type == PCI_BAR_IO ? bus->cfg.pio : bus->cfg.mmio,
				       addr, b->size, &b->wrap, b);
	if (!ret) {
		b->mapped = true;
		b->addr = addr;
		bar_notify(b, true);
	}
	return ret;
}

static void bar_unmap(struct pci_bar *b)
{
	struct pci_bus *bus = b->dev->bus;

	if (!b->mapped)
		return;
	if (b->via_map_rom)
		bus->cfg.map_rom(bus->cfg.opaque, b->addr, b->size, b->rom, false);
	b->via_map_rom = false;
	if (b->via_map_ram)
		bus->cfg.map_ram(bus->cfg.opaque, b->addr, b->size, b->hva, false);
	else
		vmm_bus_unregister(b->type == PCI_BAR_IO ? bus->cfg.pio : bus->cfg.mmio,
				   b->addr, b);
	b->mapped = false;
	bar_notify(b, false);
}

static void bar_try_map(struct pci_bar *b, uint64_t addr)
{
	int ret = bar_map(b, addr);

	if (!ret) {
		b->refused_addr = 0;
		return;
	}
	if (b->refused_addr == addr)
		return;		/* already reported; retried silently */
	b->refused_addr = addr;
	pci_guest_error(b->dev->bus, "pci %s: %s %u at %#llx (size %#llx) not decoded: %s",
			b->dev->name, b->is_rom ? "ROM BAR" : "BAR", b->index,
			(unsigned long long)addr, (unsigned long long)b->size,
			ret == -EEXIST ? "overlaps another mapping" : "mapping failed");
}

/* Bring one BAR in line with config space; true if it gave up a place it held. */
static bool bar_sync(struct pci_bar *b)
{
	uint64_t addr = 0;
	bool want, freed = false;

	if (b->type == PCI_BAR_UNUSED)
		return false;
	want = bar_wanted(b, &addr);
	if (b->mapped && (!want || addr != b->addr)) {
		bar_unmap(b);
		freed = true;
	}
	if (want && !b->mapped)
		bar_try_map(b, addr);
	return freed;
}

static bool region_sync(struct pci_region *r);

void pci_bars_sync(struct pci_dev *dev)
{
	bool freed = false;

	for (unsigned i = 0; i <= PCI_NUM_BARS; i++)
		freed |= bar_sync(&dev->bars[i]);
	if (freed)
		pci_bus_retry_mappings(dev->bus);
}

static void dev_retry_mappings(struct pci_dev *dev)
{
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++)
		if (!dev->bars[i].mapped)
			bar_sync(&dev->bars[i]);
	for (unsigned i = 0; i < PCI_MAX_REGIONS; i++)
		if (dev->regions[i].want && !dev->regions[i].mapped)
			region_sync(&dev->regions[i]);
}

/* After a mapping went away, place what was refused for overlapping it. */
void pci_bus_retry_mappings(struct pci_bus *bus)
{
	for (unsigned fn = 0; fn < 256; fn++)
		if (bus->devs[fn])
			dev_retry_mappings(bus->devs[fn]);
}

void pci_bars_unmap_all(struct pci_dev *dev)
{
	for (unsigned i = 0; i <= PCI_NUM_BARS; i++)
		bar_unmap(&dev->bars[i]);
	for (unsigned i = 0; i < PCI_MAX_REGIONS; i++) {
		struct pci_region *r = &dev->regions[i];

		if (r->mapped)
			vmm_bus_unregister(r->io ? dev->bus->cfg.pio : dev->bus->cfg.mmio,
					   r->addr, r->opaque);
		r->mapped = r->want = false;
	}
}

void pci_bars_free(struct pci_dev *dev)
{
	struct pci_bar *rom = &dev->bars[PCI_ROM_SLOT];

	free(rom->rom);
	rom->rom = NULL;
}

/* ---- Accesses ---------------------------------------------------------------------- */

static uint64_t mem_load(const uint8_t *p, uint64_t size, uint64_t off, unsigned n)
{
	uint64_t v = 0;

	if (off > size || n > size - off)
		return pci_size_mask(n);
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

/*
 * Called by the PIO/MMIO bus with no PCI lock held. The MSI-X table and PBA windows are
 * the core's; ROM and RAM BARs are plain bytes; everything else is the device's.
 */
static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_bar *b = opaque;
	uint64_t v;

	if (pci_msix_bar_read(b->dev, b->index, off, size, &v))
		return v;
	if (b->rom)
		return mem_load(b->rom, b->size, off, size);
	if (b->hva)
		return mem_load(b->hva, b->size, off, size);
	if (b->ops && b->ops->read)
		return b->ops->read(b->opaque, off, size);
	return pci_size_mask(size);
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pci_bar *b = opaque;
	uint8_t *p = b->hva;

	if (pci_msix_bar_write(b->dev, b->index, off, size, val))
		return;
	if (b->rom) {
		pci_guest_error(b->dev->bus, "pci %s: write to the expansion ROM at +%#llx",
				b->dev->name, (unsigned long long)off);
		return;
	}
	if (p) {
		for (unsigned i = 0; i < size && off < b->size && i < b->size - off; i++)
			p[off + i] = (uint8_t)(val >> (8 * i));
		return;
	}
	if (b->ops && b->ops->write)
		b->ops->write(b->opaque, off, val, size);
}

/* ---- Registration ------------------------------------------------------------------ */

static bool bar_size_ok(enum pci_bar_type type, uint64_t size)
{
	if (!is_pow2(size))
		return false;
	switch (type) {
	case PCI_BAR_IO:
		return size >= 4 && size <= PCI_IO_SPACE_END;
	case PCI_BAR_MEM32:
		return size >= 16 && size <= (1ull << 31);
	case PCI_BAR_MEM64:
		return size >= 16 && size <= (1ull << 63);
	default:
		return false;
	}
}

static bool bar_slot_free(struct pci_dev *dev, unsigned index, enum pci_bar_type type)
{
	if (index >= PCI_NUM_BARS || dev->bars[index].type != PCI_BAR_UNUSED)
		return false;
	if (index > 0 && dev->bars[index - 1].type == PCI_BAR_MEM64)
		return false;	/* upper half of a 64-bit BAR */
	if (type == PCI_BAR_MEM64)
		return index + 1 < PCI_NUM_BARS && dev->bars[index + 1].type == PCI_BAR_UNUSED;
	return true;
}

/* Type bits, and write masks so an all-ones write reads back the size (§6.2.5.1). */
static void bar_init_config(struct pci_dev *dev, struct pci_bar *b)
{
	unsigned reg = bar_reg(b);
	uint64_t mask = ~(b->size - 1);
	uint32_t flags;

	if (b->is_rom) {
		pci_config_set(dev, reg, 4, 0);
		pci_config_set_wmask(dev, reg, 4,
				     ((uint32_t)mask & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
		return;
	}
	if (b->type == PCI_BAR_IO) {
		pci_config_set(dev, reg, 4, PCI_BASE_ADDRESS_SPACE_IO);
		pci_config_set_wmask(dev, reg, 4, (uint32_t)mask & PCI_BASE_ADDRESS_IO_MASK);
		return;
	}
	flags = b->type == PCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0;
	if (b->prefetch)
		flags |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	pci_config_set(dev, reg, 4, flags);
	pci_config_set_wmask(dev, reg, 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
	if (b->type == PCI_BAR_MEM64) {
		pci_config_set(dev, reg + 4, 4, 0);
		pci_config_set_wmask(dev, reg + 4, 4, (uint32_t)(mask >> 32));
	}
}

static void bar_init_wrap(struct pci_dev *dev, struct pci_bar *b)
{
	b->wrap = (struct vmm_io_ops){
		.name = dev->name, .read = bar_read, .write = bar_write,
		.min_size = b->ops ? b->ops->min_size : 1,
		.max_size = b->ops ? b->ops->max_size : 8,
	};
}

static int register_bar(struct pci_dev *dev, unsigned index, uint64_t size,
			enum pci_bar_type type, bool prefetch, const struct vmm_io_ops *ops,
			void *opaque, void *hva)
{
	struct pci_bar *b;

	if (!bar_size_ok(type, size))
		return -EINVAL;
	pthread_mutex_lock(&dev->bus->lock);
	if (!bar_slot_free(dev, index, type)) {
		pthread_mutex_unlock(&dev->bus->lock);
		return -EBUSY;
	}
	b = &dev->bars[index];
	b->type = type;
	b->size = size;
	b->prefetch = prefetch && type != PCI_BAR_IO;
	b->ops = ops;
	b->opaque = opaque;
	b->hva = hva;
	bar_init_wrap(dev, b);
	bar_init_config(dev, b);
	pthread_mutex_unlock(&dev->bus->lock);
	return 0;
}

int pci_register_bar(struct pci_dev *dev, unsigned index, uint64_t size,
		     enum pci_bar_type type, bool prefetch,
		     const struct vmm_io_ops *ops, void *opaque)
{
	return register_bar(dev, index, size, type, prefetch, ops, opaque, NULL);
}

int pci_register_ram_bar(struct pci_dev *dev, unsigned index, uint64_t size,
			 enum pci_bar_type type, bool prefetch, void *hva)
{
	if (type == PCI_BAR_IO || !hva || size < PCI_PAGE_SIZE ||
	    ((uintptr_t)hva & (PCI_PAGE_SIZE - 1)))
		return -EINVAL;
	return register_bar(dev, index, size, type, prefetch, NULL, NULL, hva);
}

int pci_register_rom(struct pci_dev *dev, const void *data, size_t len)
{
	struct pci_bar *b = &dev->bars[PCI_ROM_SLOT];
	uint64_t size = PCI_ROM_MIN_SIZE;
	uint8_t *copy;

	if (!data || !len || len > PCI_ROM_MAX_SIZE)
		return -EINVAL;
	while (size < len)
		size <<= 1;
	/* Page-aligned, so a ROM of whole pages can be a KVM slot (bar_map_rom). */
	copy = aligned_alloc(PCI_PAGE_SIZE, size < PCI_PAGE_SIZE ? PCI_PAGE_SIZE : size);
	if (!copy)
		return -ENOMEM;
	memset(copy, 0, size);
	memcpy(copy, data, len);
	pthread_mutex_lock(&dev->bus->lock);
	if (b->type != PCI_BAR_UNUSED) {
		pthread_mutex_unlock(&dev->bus->lock);
		free(copy);
		return -EBUSY;
	}
	b->type = PCI_BAR_MEM32;
	b->is_rom = true;
	b->size = size;
	b->rom = copy;
	bar_init_wrap(dev, b);
	bar_init_config(dev, b);
	pthread_mutex_unlock(&dev->bus->lock);
	return 0;
}

uint64_t pci_bar_address(struct pci_dev *dev, unsigned index)
{
	uint64_t addr = PCI_BAR_UNMAPPED;

	if (index > PCI_NUM_BARS)
		return addr;
	pthread_mutex_lock(&dev->bus->lock);
	if (dev->bars[index].mapped)
		addr = dev->bars[index].addr;
	pthread_mutex_unlock(&dev->bus->lock);
	return addr;
}

/* ---- Device-placed regions --------------------------------------------------------- */

static struct vmm_bus *region_bus(struct pci_region *r)
{
	return r->io ? r->dev->bus->cfg.pio : r->dev->bus->cfg.mmio;
}

/* Map a wanted region that is not mapped; true if it is mapped afterwards. */
static bool region_sync(struct pci_region *r)
{
	int ret = vmm_bus_register(region_bus(r), r->want_addr, r->size, r->ops, r->opaque);

	if (ret)
		return false;
	r->mapped = true;
	r->addr = r->want_addr;
	return true;
}

int pci_add_region(struct pci_dev *dev, bool io, uint64_t size,
		   const struct vmm_io_ops *ops, void *opaque)
{
	int idx = -ENOSPC;

	if (!size || !ops || (io && size > PCI_IO_SPACE_END))
		return -EINVAL;
	pthread_mutex_lock(&dev->bus->lock);
	for (int i = 0; i < PCI_MAX_REGIONS && idx < 0; i++) {
		struct pci_region *r = &dev->regions[i];

		if (r->used)
			continue;
		*r = (struct pci_region){ .dev = dev, .used = true, .io = io, .size = size,
					  .ops = ops, .opaque = opaque };
		idx = i;
	}
	pthread_mutex_unlock(&dev->bus->lock);
	return idx;
}

static bool region_addr_ok(const struct pci_region *r, uint64_t addr)
{
	if (addr + (r->size - 1) < addr)
		return false;
	return !r->io || addr + r->size <= PCI_IO_SPACE_END;
}

int pci_region_place(struct pci_dev *dev, int region, uint64_t addr, bool enable)
{
	struct pci_region *r;
	bool freed = false;
	int ret = 0;

	if (region < 0 || region >= PCI_MAX_REGIONS || !dev->regions[region].used)
		return -EINVAL;
	r = &dev->regions[region];
	pthread_mutex_lock(&dev->bus->lock);
	if (enable && !region_addr_ok(r, addr)) {
		pci_guest_error(dev->bus, "pci %s: region at %#llx is outside the address space",
				dev->name, (unsigned long long)addr);
		enable = false;
		ret = -EINVAL;
	}
	if (r->mapped && (!enable || addr != r->addr)) {
		vmm_bus_unregister(region_bus(r), r->addr, r->opaque);
		r->mapped = false;
		freed = true;
	}
	r->want = enable;
	r->want_addr = addr;
	if (enable && !r->mapped && !region_sync(r)) {
		pci_guest_error(dev->bus, "pci %s: region at %#llx overlaps another mapping",
				dev->name, (unsigned long long)addr);
		ret = -EEXIST;
	}
	if (freed)
		pci_bus_retry_mappings(dev->bus);
	pthread_mutex_unlock(&dev->bus->lock);
	return ret;
}
