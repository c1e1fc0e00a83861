/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test rig for the VGA: real PIO/MMIO buses and PCI bus, BIOS-style mode programming. */
#ifndef VESSEL_TEST_VGA_RIG_H
#define VESSEL_TEST_VGA_RIG_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "memory.h"
#include "pci.h"
#include "surface.h"
#include "tap.h"
#include "vga.h"

#define RIG_BAR0	0xd0000000ull
#define RIG_BAR2	0xd1000000ull
#define RIG_ROM		0xd2000000ull

struct rig {
	struct vmm_guest_log log;
	struct vmm_bus pio, mmio;
	struct vm_memory mem;
	struct pci_bus *bus;
	struct vga *vga;
	unsigned devfn;
	uint64_t clock;
};

static inline uint64_t rig_clock(void *opaque)
{
	return ((struct rig *)opaque)->clock;
}

/* ---- Raw accesses through the buses, as a vCPU's exits arrive ------------------------ */

static inline uint64_t bus_rd(struct vmm_bus *b, uint64_t addr, unsigned size)
{
	uint8_t buf[8] = { 0 };
	uint64_t v = 0;

	vmm_bus_read(b, addr, buf, size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

static inline void bus_wr(struct vmm_bus *b, uint64_t addr, uint64_t v, unsigned size)
{
	uint8_t buf[8];

	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	vmm_bus_write(b, addr, buf, size);
}

static inline void outb(struct rig *r, unsigned port, uint8_t v) { bus_wr(&r->pio, port, v, 1); }
static inline void outw(struct rig *r, unsigned port, uint16_t v) { bus_wr(&r->pio, port, v, 2); }
static inline uint8_t inb(struct rig *r, unsigned port) { return (uint8_t)bus_rd(&r->pio, port, 1); }
static inline uint16_t inw(struct rig *r, unsigned port) { return (uint16_t)bus_rd(&r->pio, port, 2); }

static inline void cfg_wr(struct rig *r, unsigned reg, uint32_t v, unsigned size)
{
	bus_wr(&r->pio, 0xcf8, 0x80000000u | r->devfn << 8 | (reg & 0xfc), 4);
	bus_wr(&r->pio, 0xcfc + (reg & 3), v, size);
}

static inline uint32_t cfg_rd(struct rig *r, unsigned reg, unsigned size)
{
	bus_wr(&r->pio, 0xcf8, 0x80000000u | r->devfn << 8 | (reg & 0xfc), 4);
	return (uint32_t)bus_rd(&r->pio, 0xcfc + (reg & 3), size);
}

/* ---- Set-up ------------------------------------------------------------------------------ */

static inline int rig_init(struct rig *r, const struct vga_config *cfg_in)
{
	struct vga_config cfg = cfg_in ? *cfg_in : (struct vga_config){ .rom_path = "" };
	struct pci_bus_config pc;
	struct vga_host host;
	int err = 0;

	memset(r, 0, sizeof(*r));
	vmm_guest_log_init(&r->log, NULL, 1000);
	vmm_bus_init(&r->pio, "pio", &r->log);
	vmm_bus_init(&r->mmio, "mmio", &r->log);
	vm_memory_init(&r->mem, 16ull << 20);
	pc = (struct pci_bus_config){ .pio = &r->pio, .mmio = &r->mmio, .mem = &r->mem,
				      .log = &r->log, .opaque = r };
	r->bus = pci_bus_new(&pc);
	if (!cfg.clock_ns) {
		cfg.clock_ns = rig_clock;
		cfg.opaque = r;
	}
	host = (struct vga_host){ .pci = r->bus, .pio = &r->pio, .mmio = &r->mmio,
				  .log = &r->log };
	r->vga = vga_new(&host, &cfg, &err);
	if (!r->vga)
		return err;
	r->devfn = vga_pci_dev(r->vga)->devfn;
	/* What the firmware does: place the BARs, enable I/O and memory decoding. */
	cfg_wr(r, PCI_BASE_ADDRESS_0, (uint32_t)RIG_BAR0, 4);
	cfg_wr(r, PCI_BASE_ADDRESS_2, (uint32_t)RIG_BAR2, 4);
	cfg_wr(r, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
	return 0;
}

static inline void rig_fini(struct rig *r)
{
	vga_free(r->vga);
	pci_bus_free(r->bus);
	vm_memory_destroy(&r->mem);
	vmm_bus_destroy(&r->mmio);
	vmm_bus_destroy(&r->pio);
	vmm_guest_log_destroy(&r->log);
}

/* ---- Register programming as a VGA BIOS does it ----------------------------------------- */

static inline void seq(struct rig *r, uint8_t idx, uint8_t v) { outw(r, 0x3c4, (uint16_t)(v << 8 | idx)); }
static inline void grc(struct rig *r, uint8_t idx, uint8_t v) { outw(r, 0x3ce, (uint16_t)(v << 8 | idx)); }
static inline void crtc(struct rig *r, uint8_t idx, uint8_t v) { outw(r, 0x3d4, (uint16_t)(v << 8 | idx)); }

static inline void attr(struct rig *r, uint8_t idx, uint8_t v)
{
	inb(r, 0x3da);			/* flip-flop to index */
	outb(r, 0x3c0, idx);
	outb(r, 0x3c0, v);
}

static inline void video_on(struct rig *r)
{
	inb(r, 0x3da);
	outb(r, 0x3c0, 0x20);
}

static inline void dispi(struct rig *r, uint16_t idx, uint16_t v)
{
	outw(r, 0x1ce, idx);
	outw(r, 0x1cf, v);
}

static inline uint16_t dispi_rd(struct rig *r, uint16_t idx)
{
	outw(r, 0x1ce, idx);
	return inw(r, 0x1cf);
}

/* IBM VGA Technical Reference, "Video Parameter Table" layout: SR1-4, misc, CR0-18, AR0-13, GR0-8. */
struct mode_regs {
	uint8_t seq[4];
	uint8_t misc;
	uint8_t crtc[25];
	uint8_t attr[20];
	uint8_t gr[9];
};

/* Mode 03h: 80x25 text, 9x16 cells, 720x400. */
static const struct mode_regs mode_03 = {
	{ 0x00, 0x03, 0x00, 0x02 }, 0x67,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	  0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
};

/* Mode 01h: 40x25 text, 9x16 cells at half dot clock. */
static const struct mode_regs mode_01 = {
	{ 0x08, 0x03, 0x00, 0x02 }, 0x67,
	{ 0x2d, 0x27, 0x28, 0x90, 0x2b, 0xa0, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x1f, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	  0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
};

/* Mode 12h: 640x480, 16 colours, planar. */
static const struct mode_regs mode_12 = {
	{ 0x01, 0x0f, 0x00, 0x06 }, 0xe3,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	  0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
};

/* Mode 13h: 320x200, 256 colours, chain-4. */
static const struct mode_regs mode_13 = {
	{ 0x01, 0x0f, 0x00, 0x0e }, 0x63,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	  0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
};

/* A test palette: every DAC entry distinct, 6-bit components. */
static inline void test_dac_entry(unsigned i, uint8_t rgb[3])
{
	rgb[0] = (uint8_t)((i * 7 + 3) & 0x3f);
	rgb[1] = (uint8_t)((i * 13 + 5) & 0x3f);
	rgb[2] = (uint8_t)((i * 29 + 11) & 0x3f);
}

/* The same entry as the monitor shows it: 6-bit to 8-bit by replicating the top bits. */
static inline uint32_t test_dac_xrgb(unsigned i)
{
	uint8_t c[3];

	test_dac_entry(i & 0xff, c);
	return 0xff000000u | (uint32_t)((c[0] << 2) | (c[0] >> 4)) << 16 |
	       (uint32_t)((c[1] << 2) | (c[1] >> 4)) << 8 | (uint32_t)((c[2] << 2) | (c[2] >> 4));
}

static inline void load_test_dac(struct rig *r)
{
	outb(r, 0x3c8, 0);
	for (unsigned i = 0; i < 256; i++) {
		uint8_t c[3];

		test_dac_entry(i, c);
		outb(r, 0x3c9, c[0]);
		outb(r, 0x3c9, c[1]);
		outb(r, 0x3c9, c[2]);
	}
}

/* The BIOS's order: sequencer held in reset, misc, sequencer, CRTC unlocked, AC, GC. */
static inline void set_mode(struct rig *r, const struct mode_regs *m)
{
	dispi(r, 4, 0);				/* VBE off, as bochsvga_set_mode does first */
	inb(r, 0x3da);
	outb(r, 0x3c0, 0x00);			/* palette access: display off */
	seq(r, 0, 0x01);
	outb(r, 0x3c2, m->misc);
	for (unsigned i = 0; i < 4; i++)
		seq(r, (uint8_t)(i + 1), m->seq[i]);
	seq(r, 0, 0x03);
	crtc(r, 0x11, 0x00);
	for (unsigned i = 0; i < 25; i++)
		crtc(r, (uint8_t)i, m->crtc[i]);
	inb(r, 0x3da);
	for (unsigned i = 0; i < 20; i++) {
		outb(r, 0x3c0, (uint8_t)i);
		outb(r, 0x3c0, m->attr[i]);
	}
	outb(r, 0x3c0, 0x14);
	outb(r, 0x3c0, 0x00);
	for (unsigned i = 0; i < 9; i++)
		grc(r, (uint8_t)i, m->gr[i]);
	outb(r, 0x3c6, 0xff);
	load_test_dac(r);
	video_on(r);
}

/* ---- Surface checks -------------------------------------------------------------------- */

typedef uint32_t (*expect_fn)(unsigned x, unsigned y, const void *ctx);

/* Pixels that differ from the expectation; prints the first few. */
static inline unsigned surface_mismatches(struct rig *r, expect_fn want, const void *ctx)
{
	const struct surface *s = display_get_surface(r->vga);
	unsigned bad = 0;

	for (unsigned y = 0; y < s->height; y++) {
		for (unsigned x = 0; x < s->width; x++) {
			uint32_t got = s->pixels[(size_t)y * (s->stride / 4) + x];
			uint32_t exp = want(x, y, ctx);

			if (got == exp)
				continue;
			if (bad++ < 4)
				printf("#   pixel (%u,%u): got %#010x want %#010x\n", x, y, got, exp);
		}
	}
	return bad;
}

/* Render, then drop the damage the new frame caused. */
static inline void render_settle(struct rig *r)
{
	struct display_rect rects[64];

	display_update(r->vga);
	while (display_take_damage(r->vga, rects, 64) == 64)
		;
}

#endif
