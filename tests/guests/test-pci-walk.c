// SPDX-License-Identifier: GPL-2.0-or-later
// Bus 0 as a firmware-less guest finds it: IDs, headers, BARs sized and placed, caps, INTx.
#include "kit.h"

/*
 * The runner names every function it expects, in bus order, as pci=SS.F:VVVV:DDDD,...
 * (meson runs this image once more with disks on IDE and virtio, and its own pci=).
 */
KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0");
KIT_EXPECT("append=pci=00.0:8086:1237,01.0:8086:7000,01.3:8086:7113,02.0:1234:1111,"
	   "03.0:1af4:1044");
KIT_EXPECT("serial=pci: 00\\.0 8086:1237 class 060000");
KIT_EXPECT("serial=pci: 01\\.0 8086:7000 class 060100 .* multi-function");
KIT_EXPECT("serial=pci: 01\\.3 8086:7113 class 068000 .* pin 1 line 9");
KIT_EXPECT("serial=pci: 02\\.0 1234:1111 class 030000 .*\\n.*BAR0 MEM32 prefetchable");
KIT_EXPECT("serial=pci:   ROM 55 AA, PCIR names 1234:1111");
KIT_EXPECT("serial=pci: [0-9a-f]{2}\\.0 1af4:1044 .*\\n.*BAR4 MEM64 size 0x[0-9a-f]+ at 0xe");
KIT_EXPECT("serial=pci: [0-9]+ functions as expected");
KIT_EXPECT("forbid=FAIL");

#define IO_BASE		0xC000u
#define MEM_BASE	0xE0000000u
#define MEM_END		0xFEC00000u	/* IOAPIC and LAPIC above */
#define PIIX3_PIRQRC	0x60		/* 82371SB §2.2.13, PIRQA..D route control */
#define EXPECT_MAX	200

static const char *const bar_types[] = { "-", "IO", "MEM32", "MEM64" };

static void print_fn(const struct kit_pci_fn *f)
{
	char name[8];

	kit_printf("pci: %s %04x:%04x class %06x rev %02x hdr %02x pin %u line %u%s\n",
		   pci_name(f, name), f->vendor, f->device, f->class_code, f->revision,
		   f->header_type, f->irq_pin, f->irq_line,
		   f->header_type & 0x80 ? " multi-function" : "");
}

/* Functions 1-7 of a single-function device must not answer (PCI LB 3.0 §6.2.1). */
static void check_no_ghosts(const struct kit_pci_fn *f)
{
	if (f->fn != 0 || (f->header_type & 0x80))
		return;
	for (unsigned fn = 1; fn < 8; fn++) {
		uint16_t v = pci_cfg_read16(0, f->dev, fn, PCI_VENDOR_ID);

		if (v != 0xFFFF)
			KIT_FAIL("single-function slot %02x answers at function %u (vendor %04x)",
				 f->dev, fn, v);
	}
}

static void check_list(const struct kit_pci_fn *fns, unsigned n)
{
	char want[EXPECT_MAX], got[EXPECT_MAX];
	size_t len = 0;

	if (!kit_cmdline_get("pci", want, sizeof(want)))
		KIT_FAIL("no pci= list on the command line");
	got[0] = 0;
	for (unsigned i = 0; i < n && len < sizeof(got); i++)
		len += kit_snprintf(got + len, sizeof(got) - len, "%s%02x.%u:%04x:%04x",
				    i ? "," : "", fns[i].dev, fns[i].fn, fns[i].vendor,
				    fns[i].device);
	if (strlen(want) != strlen(got) || strncmp(want, got, sizeof(got)))
		KIT_FAIL("bus 0 holds %s, the runner expects %s", got, want);
}

/* Size, place, read back; for MEM64 also the upper half of the address register. */
static void place_bars(struct kit_pci_fn *f, struct kit_pci_window *w)
{
	uint16_t decode = 0;

	pci_size_bars(f);
	for (unsigned i = 0; i < 6; i++) {
		const struct kit_pci_bar *b = &f->bar[i];
		unsigned hi = PCI_BAR0 + 4 * i + 4;

		if (b->type == KIT_BAR_NONE)
			continue;
		if (b->bad_mask)
			KIT_FAIL("BAR%u sizing reads back a mask that is not a power of two", i);
		KIT_ASSERT(b->type == KIT_BAR_IO ? b->size >= 4 : b->size >= 16);
		if (b->type == KIT_BAR_MEM64) {	/* decoding is off: safe to move it */
			pci_cfg_write32(0, f->dev, f->fn, hi, 0x00000001u);
			KIT_ASSERT_EQ(pci_cfg_read32(0, f->dev, f->fn, hi), 1);
			pci_cfg_write32(0, f->dev, f->fn, hi, 0);
		}
	}
	KIT_ASSERT(pci_assign_bars(f, w));
	for (unsigned i = 0; i < 6; i++) {
		const struct kit_pci_bar *b = &f->bar[i];

		if (b->type == KIT_BAR_NONE)
			continue;
		decode |= b->type == KIT_BAR_IO ? PCI_CMD_IO : PCI_CMD_MEM;
		kit_printf("pci:   BAR%u %s%s size 0x%x at 0x%x\n", i, bar_types[b->type],
			   b->prefetch ? " prefetchable" : "", (uint32_t)b->size,
			   (uint32_t)b->addr);
		KIT_ASSERT_EQ(pci_bar_read(f, i), b->addr);
		KIT_ASSERT_EQ(b->addr & (b->size - 1), 0);
	}
	if (f->rom.type != KIT_BAR_NONE) {
		kit_printf("pci:   ROM size 0x%x at 0x%x\n", (uint32_t)f->rom.size,
			   (uint32_t)f->rom.addr);
		KIT_ASSERT_EQ(pci_cfg_read32(0, f->dev, f->fn, PCI_ROM_ADDRESS) & ~0x7FFu,
			      f->rom.addr);
		decode |= PCI_CMD_MEM;
	}
	pci_command_set(f, decode, 0);
	KIT_ASSERT_EQ(pci_cfg_read16(0, f->dev, f->fn, PCI_COMMAND) & decode, decode);
}

/*
 * An expansion ROM answers only while its enable bit and memory decoding are set; it
 * starts 55 AA and points at a PCI data structure naming this function (PCI Firmware
 * 3.0 §5.1.1-2).
 */
static void check_rom(const struct kit_pci_fn *f)
{
	uintptr_t rom = (uintptr_t)f->rom.addr;
	uint16_t pcir;

	if (f->rom.type == KIT_BAR_NONE)
		return;
	KIT_ASSERT_EQ(mmio_read16(rom), 0xFFFF);		/* not enabled yet */
	pci_rom_enable(f, true);
	KIT_ASSERT_EQ(mmio_read16(rom), 0xAA55);
	pcir = mmio_read16(rom + 0x18);
	KIT_ASSERT(pcir >= 0x1A && pcir + 8u <= f->rom.size);
	KIT_ASSERT_EQ(mmio_read32(rom + pcir), 0x52494350u);	/* "PCIR" */
	KIT_ASSERT_EQ(mmio_read16(rom + pcir + 4), f->vendor);
	KIT_ASSERT_EQ(mmio_read16(rom + pcir + 6), f->device);
	pci_rom_enable(f, false);
	KIT_ASSERT_EQ(mmio_read16(rom), 0xFFFF);
	kit_printf("pci:   ROM 55 AA, PCIR names %04x:%04x\n", f->vendor, f->device);
}

/* Bochs VGA: DISPI ID at BAR2 + 0x500 reads 0xB0C0-0xB0C5; VRAM (BAR0) keeps its data. */
static void check_bochs_vga(const struct kit_pci_fn *f)
{
	uintptr_t regs = (uintptr_t)f->bar[2].addr, vram = (uintptr_t)f->bar[0].addr;
	uintptr_t probe = vram + f->bar[0].size / 2;

	pci_command_set(f, PCI_CMD_MEM, 0);
	KIT_ASSERT_RANGE(mmio_read16(regs + 0x500), 0xB0C0, 0xB0C5);
	mmio_write32(probe, 0x5EC7E57u);
	KIT_ASSERT_EQ(mmio_read32(probe), 0x5EC7E57u);
	pci_command_set(f, 0, PCI_CMD_MEM);
	KIT_ASSERT_EQ(mmio_read16(regs + 0x500), 0xFFFF);
	KIT_ASSERT_EQ(mmio_read32(probe), 0xFFFFFFFFu);
	pci_command_set(f, PCI_CMD_MEM, 0);
	KIT_ASSERT_EQ(mmio_read32(probe), 0x5EC7E57u);
}

/* Decoding follows the command register: a register answers, then reads all-ones. */
static void check_decoding(const struct kit_pci_fn *f)
{
	const struct kit_pci_bar *b = &f->bar[4];

	if (f->class_code == 0x030000 && f->vendor == 0x1234 && f->bar[2].type) {
		check_bochs_vga(f);
	} else if (f->vendor == 0x1AF4 && b->type == KIT_BAR_MEM64) {
		uintptr_t common = (uintptr_t)b->addr;	/* the layout the VMM announces */

		pci_command_set(f, PCI_CMD_MEM, 0);
		KIT_ASSERT_RANGE(mmio_read16(common + VIRTIO_COMMON_NUMQ), 1, 64);
		KIT_ASSERT_EQ(mmio_read8(common + VIRTIO_COMMON_STATUS), 0);
		pci_command_set(f, 0, PCI_CMD_MEM);
		KIT_ASSERT_EQ(mmio_read32(common + VIRTIO_COMMON_NUMQ), 0xFFFFFFFFu);
		pci_command_set(f, PCI_CMD_MEM, 0);
	} else if (f->class_code == 0x010601 && f->bar[5].type == KIT_BAR_MEM32) {
		/* AHCI 1.3.1 §3.1: ABAR is BAR5; VS (+0x10) says major version 1. */
		uintptr_t abar = (uintptr_t)f->bar[5].addr;

		KIT_ASSERT_EQ(mmio_read32(abar + 0x10) >> 16, 1);
		pci_command_set(f, 0, PCI_CMD_MEM);
		KIT_ASSERT_EQ(mmio_read32(abar + 0x10), 0xFFFFFFFFu);
		pci_command_set(f, PCI_CMD_MEM, 0);
	} else if (f->vendor == 0x8086 && f->device == 0x7010 && b->type == KIT_BAR_IO) {
		/* PIIX3 bus-master IDE status (BMISX, +2): bits 3 and 4 are reserved zeroes. */
		pci_command_set(f, PCI_CMD_IO, 0);
		KIT_ASSERT_EQ(inb((uint16_t)b->addr + 2) & 0x18, 0);
		pci_command_set(f, 0, PCI_CMD_IO);
		KIT_ASSERT_EQ(inb((uint16_t)b->addr + 2), 0xFF);
		pci_command_set(f, PCI_CMD_IO, 0);
	}
}

static void check_virtio_cap(const struct kit_pci_fn *f, unsigned cap, unsigned *types)
{
	uint8_t len = pci_cfg_read8(0, f->dev, f->fn, cap + 2);
	uint8_t type = pci_cfg_read8(0, f->dev, f->fn, cap + 3);
	uint8_t bar = pci_cfg_read8(0, f->dev, f->fn, cap + 4);
	uint32_t off = pci_cfg_read32(0, f->dev, f->fn, cap + 8);
	uint32_t length = pci_cfg_read32(0, f->dev, f->fn, cap + 12);

	kit_printf("pci:   cap 0x%02x vendor cfg_type %u bar %u 0x%x+0x%x\n", cap, type, bar,
		   off, length);
	KIT_ASSERT_RANGE(type, VIRTIO_CAP_COMMON, VIRTIO_CAP_PCI_CFG);
	KIT_ASSERT(len >= (type == VIRTIO_CAP_NOTIFY ? 20 : 16));
	*types |= 1u << type;
	if (type == VIRTIO_CAP_PCI_CFG)
		return;			/* its bar/offset/length are the driver's to write */
	KIT_ASSERT(bar < 6 && f->bar[bar].type != KIT_BAR_NONE);
	KIT_ASSERT(off <= f->bar[bar].size && length <= f->bar[bar].size - off);
}

static void check_msix_cap(const struct kit_pci_fn *f, unsigned cap)
{
	uint16_t ctrl = pci_cfg_read16(0, f->dev, f->fn, cap + 2);
	uint32_t table = pci_cfg_read32(0, f->dev, f->fn, cap + 4);
	uint32_t pba = pci_cfg_read32(0, f->dev, f->fn, cap + 8);
	unsigned n = (ctrl & 0x7FF) + 1;
	const struct kit_pci_bar *tb = &f->bar[table & 7], *pb = &f->bar[pba & 7];

	kit_printf("pci:   cap 0x%02x MSI-X %u vectors, table BAR%u+0x%x, PBA BAR%u+0x%x\n",
		   cap, n, table & 7, table & ~7u, pba & 7, pba & ~7u);
	KIT_ASSERT_EQ(ctrl & 0xC000, 0);		/* enable and function mask off at reset */
	KIT_ASSERT((table & 7) < 6 && tb->type >= KIT_BAR_MEM32);
	KIT_ASSERT((pba & 7) < 6 && pb->type >= KIT_BAR_MEM32);
	KIT_ASSERT((table & ~7u) + 16 * n <= tb->size);
	KIT_ASSERT((pba & ~7u) + 8 * ((n + 63) / 64) <= pb->size);
}

static void check_caps(const struct kit_pci_fn *f)
{
	unsigned cap = 0, types = 0;
	char why[96];

	if (!pci_caps_check(f->dev, f->fn, why, sizeof(why)))
		KIT_FAIL("capability list: %s", why);
	while ((cap = pci_cap_find(f->dev, f->fn, PCI_CAP_ID_VENDOR, cap)))
		check_virtio_cap(f, cap, &types);
	if ((cap = pci_cap_find(f->dev, f->fn, PCI_CAP_ID_MSIX, 0)))
		check_msix_cap(f, cap);
	if (f->vendor != 0x1AF4)
		return;
	/*
	 * virtio 1.2 §4.1.4: common, notify, ISR and PCI config access always; device-specific
	 * where the device has a configuration (virtio-blk does, virtio-rng has none).
	 */
	KIT_ASSERT_EQ(types & ~0x10u, 0x2E);
	if (f->device == 0x1042)
		KIT_ASSERT(types & 0x10);
	KIT_ASSERT(cap != 0);
	KIT_ASSERT(f->revision >= 1);	/* §4.1.2.1: non-transitional */
}

/* Pin is read-only, line is the driver's scratch byte (PCI LB 3.0 §6.2.4). */
static void check_interrupt_regs(const struct kit_pci_fn *f)
{
	KIT_ASSERT_RANGE(f->irq_pin, 0, 4);
	if (f->vendor == 0x8086 && f->device == 0x7113)
		KIT_ASSERT_EQ(f->irq_line, 9);		/* the SCI, hard-wired */
	pci_cfg_write16(0, f->dev, f->fn, PCI_INTERRUPT_LINE, 0x000B);
	KIT_ASSERT_EQ(pci_cfg_read8(0, f->dev, f->fn, PCI_INTERRUPT_LINE), 0x0B);
	KIT_ASSERT_EQ(pci_cfg_read8(0, f->dev, f->fn, PCI_INTERRUPT_PIN), f->irq_pin);
	pci_cfg_write8(0, f->dev, f->fn, PCI_INTERRUPT_LINE, f->irq_line);
	if (f->irq_pin)
		kit_printf("pci:   INT%c# -> PIRQ%c\n", 'A' + f->irq_pin - 1,
			   'A' + ((f->dev + f->irq_pin + 2) & 3));
}

/* PIIX3 PIRQRC[A:D]: reset 0x80 (disabled); bits 6:4 reserved (82371SB §2.2.13). */
static void check_pirq_routing(const struct kit_pci_fn *f)
{
	for (unsigned i = 0; i < 4; i++) {
		unsigned off = PIIX3_PIRQRC + i;

		KIT_ASSERT_EQ(pci_cfg_read8(0, f->dev, f->fn, off), 0x80);
		pci_cfg_write8(0, f->dev, f->fn, off, 0xFF);
		KIT_ASSERT_EQ(pci_cfg_read8(0, f->dev, f->fn, off), 0x8F);
		pci_cfg_write8(0, f->dev, f->fn, off, 0x0B);
		KIT_ASSERT_EQ(pci_cfg_read8(0, f->dev, f->fn, off), 0x0B);
		pci_cfg_write8(0, f->dev, f->fn, off, 0x80);
	}
	kit_printf("pci:   PIRQRC A-D reset 0x80, reserved bits read 0\n");
}

static void check_mechanism(void)
{
	/* CONFIG_ADDRESS reads back; another bus has nothing (PCI LB 3.0 §3.2.2.3.2). */
	outl(0xCF8, 0x80001234u & ~3u);
	KIT_ASSERT_EQ(inl(0xCF8), 0x80001234u & ~3u);
	KIT_ASSERT_EQ(pci_cfg_read32(1, 0, 0, PCI_VENDOR_ID), 0xFFFFFFFFu);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	static struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { IO_BASE, 0x10000, MEM_BASE, MEM_END };
	unsigned n;

	check_mechanism();
	n = pci_scan(fns, KIT_PCI_MAX_FNS);
	for (unsigned i = 0; i < n; i++) {
		struct kit_pci_fn *f = &fns[i];

		print_fn(f);
		KIT_ASSERT_EQ(f->header_type & 0x7F, 0);	/* bus 0 has no bridges here */
		check_no_ghosts(f);
		place_bars(f, &w);
		check_decoding(f);
		check_rom(f);
		check_caps(f);
		check_interrupt_regs(f);
		if (f->vendor == 0x8086 && f->device == 0x7000)
			check_pirq_routing(f);
	}
	check_list(fns, n);
	kit_printf("pci: %u functions as expected\n", n);
}
