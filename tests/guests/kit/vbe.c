// SPDX-License-Identifier: GPL-2.0-or-later
// The kit's Bochs VBE helpers: place the standard VGA's framebuffer, set a linear mode.
#include "kit.h"

#define VBE_INDEX	0x1ce		/* Bochs DISPI interface: index and data ports */
#define VBE_DATA	0x1cf
#define VBE_XRES	1
#define VBE_YRES	2
#define VBE_BPP		3
#define VBE_ENABLE	4
#define VBE_ENABLED	0x01
#define VBE_LFB		0x40

static void vbe_write(uint16_t index, uint16_t v)
{
	outw(VBE_INDEX, index);
	outw(VBE_DATA, v);
}

volatile uint32_t *kit_vbe_map_lfb(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (pci_cfg_read32(0, dev, 0, 0) != 0x11111234u)
			continue;
		pci_cfg_write32(0, dev, 0, 0x10, KIT_VBE_LFB);
		pci_cfg_write16(0, dev, 0, 0x04, pci_cfg_read16(0, dev, 0, 0x04) | 0x2);
		return (volatile uint32_t *)KIT_VBE_LFB;
	}
	kit_panic("no standard VGA (1234:1111) on bus 0");
}

void kit_vbe_set_mode(unsigned width, unsigned height, unsigned bpp)
{
	vbe_write(VBE_ENABLE, 0);
	vbe_write(VBE_XRES, (uint16_t)width);
	vbe_write(VBE_YRES, (uint16_t)height);
	vbe_write(VBE_BPP, (uint16_t)bpp);
	vbe_write(VBE_ENABLE, VBE_ENABLED | VBE_LFB);
	inb(0x3da);			/* unblank: attribute controller PAS (FreeVGA) */
	outb(0x3c0, 0x20);
}
