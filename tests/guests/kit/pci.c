// SPDX-License-Identifier: GPL-2.0-or-later
// PCI bus 0 for test guests: enumeration, BAR sizing and assignment, capability walks.
#include "kit.h"

#define HDR_MULTI_FN	0x80
#define CAP_MIN		0x40	/* capabilities live after the type 0 header (PCI LB 3.0 §6.7) */
#define CAP_MAX_COUNT	48	/* (256 - 64) / 4: more entries than that is a loop */

const char *pci_name(const struct kit_pci_fn *f, char buf[8])
{
	kit_snprintf(buf, 8, "%02x.%u", f->dev, f->fn);
	return buf;
}

bool pci_read_fn(unsigned dev, unsigned fn, struct kit_pci_fn *f)
{
	uint32_t id = pci_cfg_read32(0, dev, fn, PCI_VENDOR_ID);
	uint32_t cr;

	/* PCI LB 3.0 §6.2.1: an absent function reads vendor 0xFFFF (master abort). */
	if ((id & 0xFFFF) == 0xFFFF)
		return false;
	memset(f, 0, sizeof(*f));
	cr = pci_cfg_read32(0, dev, fn, PCI_CLASS_REVISION);
	f->dev = (uint8_t)dev;
	f->fn = (uint8_t)fn;
	f->vendor = (uint16_t)id;
	f->device = (uint16_t)(id >> 16);
	f->revision = (uint8_t)cr;
	f->class_code = cr >> 8;
	f->header_type = pci_cfg_read8(0, dev, fn, PCI_HEADER_TYPE);
	f->irq_line = pci_cfg_read8(0, dev, fn, PCI_INTERRUPT_LINE);
	f->irq_pin = pci_cfg_read8(0, dev, fn, PCI_INTERRUPT_PIN);
	return true;
}

unsigned pci_scan(struct kit_pci_fn *fns, unsigned max)
{
	unsigned n = 0;

	for (unsigned dev = 0; dev < 32; dev++) {
		unsigned nfn = 1;

		for (unsigned fn = 0; fn < nfn && n < max; fn++) {
			if (!pci_read_fn(dev, fn, &fns[n]))
				continue;
			/* Header type bit 7 on function 0 says functions 1-7 may exist (§6.2.1). */
			if (fn == 0 && (fns[n].header_type & HDR_MULTI_FN))
				nfn = 8;
			n++;
		}
	}
	return n;
}

/* A size mask is all-ones above the size and all-zeroes below (§6.2.5.1). */
static bool mask_ok(uint64_t mask)
{
	uint64_t size = ~mask + 1;

	return mask && !(size & (size - 1));
}

/* Write all-ones, read what sticks, put the old value back. */
static uint32_t probe(const struct kit_pci_fn *f, unsigned off)
{
	uint32_t old = pci_cfg_read32(0, f->dev, f->fn, off), v;

	pci_cfg_write32(0, f->dev, f->fn, off, 0xFFFFFFFFu);
	v = pci_cfg_read32(0, f->dev, f->fn, off);
	pci_cfg_write32(0, f->dev, f->fn, off, old);
	return v;
}

/* BAR i's type and size; returns how many registers it takes (1 or 2). */
static unsigned size_one(struct kit_pci_fn *f, unsigned i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	struct kit_pci_bar *b = &f->bar[i];
	uint32_t v = probe(f, off);
	uint64_t mask;

	if (!v)
		return 1;			/* an unused BAR reads back 0 (PCI LB 3.0 §6.2.5.1) */
	if (v & 1) {
		/* I/O: bits 31:16 may be hard-wired to 0 on a 64 KiB I/O space. */
		b->type = KIT_BAR_IO;
		mask = (v & ~3u) | (v >> 16 ? 0 : 0xFFFF0000u);
		mask |= 0xFFFFFFFF00000000ull;
	} else if (((v >> 1) & 3) == 2 && i < 5) {
		b->type = KIT_BAR_MEM64;
		mask = (uint64_t)probe(f, off + 4) << 32 | (v & ~0xFu);
	} else {
		b->type = KIT_BAR_MEM32;
		mask = 0xFFFFFFFF00000000ull | (v & ~0xFu);
	}
	b->prefetch = b->type != KIT_BAR_IO && (v & 8);
	/* A 64-bit BAR needs the next register too: in BAR5 it is malformed (§6.2.5.1). */
	b->bad_mask = !mask_ok(mask) || (b->type == KIT_BAR_MEM32 && ((v >> 1) & 3) == 2);
	b->size = ~mask + 1;
	return b->type == KIT_BAR_MEM64 ? 2 : 1;
}

/* §6.2.5.2: address bits 31:11 (at least 2 KiB), bit 0 enable, bits 10:1 reserved. */
static void size_rom(struct kit_pci_fn *f)
{
	uint32_t v = probe(f, PCI_ROM_ADDRESS) & 0xFFFFF800u;

	if (!v)
		return;
	f->rom.type = KIT_BAR_MEM32;
	f->rom.bad_mask = !mask_ok(0xFFFFFFFF00000000ull | v);
	f->rom.size = (uint32_t)(~v + 1);
}

void pci_size_bars(struct kit_pci_fn *f)
{
	uint16_t cmd = pci_cfg_read16(0, f->dev, f->fn, PCI_COMMAND);

	/* §6.2.5.1: decoding off while the BARs hold all-ones, so nothing moves there. */
	pci_cfg_write16(0, f->dev, f->fn, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
	for (unsigned i = 0; i < 6;)
		i += size_one(f, i);
	size_rom(f);
	pci_cfg_write16(0, f->dev, f->fn, PCI_COMMAND, cmd);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool take(uint64_t *next, uint64_t end, uint64_t size, uint64_t *addr)
{
	uint64_t a = align_up(*next, size);

	if (a < *next || a > end || size > end - a)
		return false;
	*addr = a;
	*next = a + size;
	return true;
}

static bool assign_one(struct kit_pci_fn *f, unsigned i, struct kit_pci_window *w)
{
	struct kit_pci_bar *b = &f->bar[i];
	unsigned off = PCI_BAR0 + 4 * i;
	uint64_t io_next = w->io_next;

	if (b->bad_mask)
		return false;
	if (b->type == KIT_BAR_IO) {
		if (!take(&io_next, w->io_end, b->size, &b->addr))
			return false;
		w->io_next = (uint32_t)io_next;
		pci_cfg_write32(0, f->dev, f->fn, off, (uint32_t)b->addr);
		return true;
	}
	if (!take(&w->mem_next, w->mem_end, b->size, &b->addr))
		return false;
	pci_cfg_write32(0, f->dev, f->fn, off, (uint32_t)b->addr);
	if (b->type == KIT_BAR_MEM64)
		pci_cfg_write32(0, f->dev, f->fn, off + 4, (uint32_t)(b->addr >> 32));
	return true;
}

bool pci_assign_bars(struct kit_pci_fn *f, struct kit_pci_window *w)
{
	for (unsigned i = 0; i < 6; i++) {
		if (f->bar[i].type != KIT_BAR_NONE && !assign_one(f, i, w))
			return false;
	}
	if (f->rom.type == KIT_BAR_NONE)
		return true;
	if (f->rom.bad_mask || !take(&w->mem_next, w->mem_end, f->rom.size, &f->rom.addr))
		return false;
	pci_cfg_write32(0, f->dev, f->fn, PCI_ROM_ADDRESS, (uint32_t)f->rom.addr);
	return true;
}

void pci_rom_enable(const struct kit_pci_fn *f, bool on)
{
	uint32_t v = pci_cfg_read32(0, f->dev, f->fn, PCI_ROM_ADDRESS) & ~1u;

	pci_cfg_write32(0, f->dev, f->fn, PCI_ROM_ADDRESS, v | (on ? 1 : 0));
}

uint64_t pci_bar_read(const struct kit_pci_fn *f, unsigned i)
{
	uint32_t lo = pci_cfg_read32(0, f->dev, f->fn, PCI_BAR0 + 4 * i);

	switch (f->bar[i].type) {
	case KIT_BAR_IO:
		return lo & ~3u;
	case KIT_BAR_MEM64:
		return (uint64_t)pci_cfg_read32(0, f->dev, f->fn, PCI_BAR0 + 4 * i + 4) << 32 |
		       (lo & ~0xFu);
	default:
		return lo & ~0xFu;
	}
}

void pci_command_set(const struct kit_pci_fn *f, uint16_t set, uint16_t clear)
{
	uint16_t cmd = pci_cfg_read16(0, f->dev, f->fn, PCI_COMMAND);

	pci_cfg_write16(0, f->dev, f->fn, PCI_COMMAND, (uint16_t)((cmd & ~clear) | set));
}

unsigned pci_cap_find(unsigned dev, unsigned fn, uint8_t id, unsigned after)
{
	unsigned off;

	if (!(pci_cfg_read16(0, dev, fn, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	off = after ? pci_cfg_read8(0, dev, fn, after + 1) : pci_cfg_read8(0, dev, fn, PCI_CAP_PTR);
	/* Bounded even on a looping list; pci_caps_check() says why it is broken. */
	for (unsigned n = 0; off >= CAP_MIN && n < CAP_MAX_COUNT; n++) {
		off &= ~3u;
		if (pci_cfg_read8(0, dev, fn, off) == id)
			return off;
		off = pci_cfg_read8(0, dev, fn, off + 1);
	}
	return 0;
}

bool pci_caps_check(unsigned dev, unsigned fn, char *why, size_t len)
{
	bool listed = pci_cfg_read16(0, dev, fn, PCI_STATUS) & PCI_STATUS_CAPS;
	uint8_t seen[256 / 4] = { 0 };
	unsigned off = pci_cfg_read8(0, dev, fn, PCI_CAP_PTR);

	if (!listed) {
		why[0] = 0;
		return true;	/* Capabilities Pointer is then undefined (§6.2.1) */
	}
	for (unsigned n = 0; off; n++) {
		if (off < CAP_MIN || off & 3 || off > 0xFC) {
			kit_snprintf(why, len, "capability pointer 0x%02x (entry %u)", off, n);
			return false;
		}
		if (seen[off / 4]++) {
			kit_snprintf(why, len, "capability list loops back to 0x%02x", off);
			return false;
		}
		off = pci_cfg_read8(0, dev, fn, off + 1);
	}
	if (!pci_cfg_read8(0, dev, fn, PCI_CAP_PTR)) {
		kit_snprintf(why, len, "status says capabilities, but the pointer is 0");
		return false;
	}
	why[0] = 0;
	return true;
}

/* ---- MSI-X (PCI LB 3.0 §6.8.2): message control +2, table offset/BIR +4 ---- */

#define MSIX_CTRL_ENABLE	(1u << 15)
#define MSIX_CTRL_FMASK		(1u << 14)

bool pci_msix_route(const struct kit_pci_fn *f, unsigned entry, uint8_t vector, uint8_t apic)
{
	unsigned cap = pci_cap_find(f->dev, f->fn, PCI_CAP_ID_MSIX, 0);
	uint32_t table, n;
	uintptr_t e;

	if (!cap)
		return false;
	n = (pci_cfg_read16(0, f->dev, f->fn, cap + 2) & 0x7FF) + 1;
	table = pci_cfg_read32(0, f->dev, f->fn, cap + 4);
	if (entry >= n || f->bar[table & 7].type == KIT_BAR_NONE || !f->bar[table & 7].addr)
		return false;
	e = (uintptr_t)(f->bar[table & 7].addr + (table & ~7u) + 16 * entry);
	/* Intel SDM vol. 3A §11.11.1-2: 0xFEE in 31:20, destination ID in 19:12; fixed, edge. */
	mmio_write32(e + 0, 0xFEE00000u | (uint32_t)apic << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);
	mmio_write32(e + 12, 0);		/* vector control: unmasked */
	return true;
}

bool pci_msix_enable(const struct kit_pci_fn *f, bool on)
{
	unsigned cap = pci_cap_find(f->dev, f->fn, PCI_CAP_ID_MSIX, 0);
	uint16_t ctrl;

	if (!cap)
		return false;
	ctrl = pci_cfg_read16(0, f->dev, f->fn, cap + 2) & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	pci_cfg_write16(0, f->dev, f->fn, cap + 2, (uint16_t)(ctrl | (on ? MSIX_CTRL_ENABLE : 0)));
	return true;
}
