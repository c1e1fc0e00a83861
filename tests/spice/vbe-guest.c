// SPDX-License-Identifier: GPL-2.0-or-later
// A firmware-less guest for tests/spice: draws a pattern in two Bochs VBE modes.
#include "kit.h"

/*
 * run-spice.py boots this with --multiboot: 640x480x32 with the pattern, "drawn 640x480"
 * on COM1, then, after any byte arrives on COM1, 800x600x32 and "drawn 800x600". The
 * pattern (run-spice.py computes the same) makes every pixel's colour depend on x and y,
 * so a shifted, flipped or stale rectangle shows.
 */

#define VBE_INDEX	0x1ce		/* Bochs DISPI interface: index and data ports */
#define VBE_DATA	0x1cf
#define VBE_XRES	1
#define VBE_YRES	2
#define VBE_BPP		3
#define VBE_ENABLE	4
#define VBE_ENABLED	0x01
#define VBE_LFB		0x40
#define LFB_ADDR	0xE0000000u
#define UART_LSR	5

static void vbe_write(uint16_t index, uint16_t v)
{
	outw(VBE_INDEX, index);
	outw(VBE_DATA, v);
}

/* The standard VGA (PCI 1234:1111) with BAR0, its linear framebuffer, at LFB_ADDR. */
static bool map_lfb(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (pci_cfg_read32(0, dev, 0, 0) != 0x11111234u)
			continue;
		pci_cfg_write32(0, dev, 0, 0x10, LFB_ADDR);
		pci_cfg_write16(0, dev, 0, 0x04, pci_cfg_read16(0, dev, 0, 0x04) | 0x2);
		kit_printf("vga: 00.%u.0 BAR0 %08x %08x cmd %04x\n", dev,
			   pci_cfg_read32(0, dev, 0, 0x10), pci_cfg_read32(0, dev, 0, 0x14),
			   pci_cfg_read16(0, dev, 0, 0x04));
		return true;
	}
	return false;
}

static void draw(unsigned w, unsigned h)
{
	volatile uint32_t *fb = (volatile uint32_t *)LFB_ADDR;

	vbe_write(VBE_ENABLE, 0);
	vbe_write(VBE_XRES, w);
	vbe_write(VBE_YRES, h);
	vbe_write(VBE_BPP, 32);
	vbe_write(VBE_ENABLE, VBE_ENABLED | VBE_LFB);
	/* No VGA BIOS ran: unblank (attribute controller index bit 5, PAS; FreeVGA). */
	inb(0x3da);
	outb(0x3c0, 0x20);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			fb[y * w + x] = ((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffff;
	kit_printf("drawn %ux%u\n", w, h);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	if (!map_lfb())
		kit_panic("no standard VGA (1234:1111) on bus 0");
	draw(640, 480);
	while (!(inb(KIT_COM1 + UART_LSR) & 1))
		pause();
	inb(KIT_COM1);
	draw(800, 600);
	for (;;)
		hlt();
}
