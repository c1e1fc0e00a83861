// SPDX-License-Identifier: GPL-2.0-or-later
// A firmware-less guest for tests/display: sets each VGA/VBE mode family through the registers.
#include "kit.h"

/*
 * run-modes.py boots this with --multiboot. No VGA BIOS runs: every register, the DAC and
 * the text font are the guest's own. Each phase draws a known pattern, prints "phase NAME"
 * on COM1 and waits for a byte on COM1; run-modes.py computes the same patterns (the
 * formulas below are mirrored there) and compares the framebuffer pixel for pixel.
 *
 *   text     mode 03h, 80x25 9x16 cells, a generated font, every character and attribute
 *   planar   mode 12h, 640x480 16-colour bars drawn in write mode 2, 600 lines deep
 *   pan      the same with the CRTC start address 37 lines down
 *   13h      mode 13h, 320x200 256 colours (chain-4), a diagonal gradient
 *   vbe32    Bochs VBE 640x480x32 gradient through the linear framebuffer (BAR0)
 *   block    one 16x16 block of it changed (the host checks the damage it causes)
 *   vbe16    VBE 800x600x16 (5:6:5)
 *   vbepan   VBE 640x480x32 in a 1024-wide virtual screen, display start (100, 50)
 */

#define LFB_ADDR	0xE0000000u
#define UART_LSR	5

/* IBM VGA Technical Reference "Video Parameter Table" layout: SR1-4, misc, CR0-18,
 * AR0-13, GR0-8; the values of the standard modes 03h, 12h and 13h. */
struct mode_regs {
	uint8_t seq[4];
	uint8_t misc;
	uint8_t crtc[25];
	uint8_t attr[20];
	uint8_t gr[9];
};

static const struct mode_regs mode_03 = {
	{ 0x00, 0x03, 0x00, 0x02 }, 0x67,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff },
	/* AR10 0x04: line graphics, intensity instead of blink (no blink phase to race) */
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	  0x3e, 0x3f, 0x04, 0x00, 0x0f, 0x08 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
};

static const struct mode_regs mode_12 = {
	{ 0x01, 0x0f, 0x00, 0x06 }, 0xe3,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	  0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
};

static const struct mode_regs mode_13 = {
	{ 0x01, 0x0f, 0x00, 0x0e }, 0x63,
	{ 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff },
	{ 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	  0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
};

static void seq(uint8_t i, uint8_t v) { outw(0x3c4, (uint16_t)(v << 8 | i)); }
static void grc(uint8_t i, uint8_t v) { outw(0x3ce, (uint16_t)(v << 8 | i)); }
static void crtc(uint8_t i, uint8_t v) { outw(0x3d4, (uint16_t)(v << 8 | i)); }

static void dispi(uint16_t index, uint16_t v)
{
	outw(0x1ce, index);
	outw(0x1cf, v);
}

/* Every DAC entry distinct (6-bit components); run-modes.py's dac_entry(). */
static void load_dac(void)
{
	outb(0x3c6, 0xff);
	outb(0x3c8, 0);
	for (unsigned i = 0; i < 256; i++) {
		outb(0x3c9, (uint8_t)((i * 7 + 3) & 0x3f));
		outb(0x3c9, (uint8_t)((i * 13 + 5) & 0x3f));
		outb(0x3c9, (uint8_t)((i * 29 + 11) & 0x3f));
	}
}

/* Mode set in the BIOS's order: sequencer reset, misc, SR, CRTC unlocked, AR, GR, DAC. */
static void set_mode(const struct mode_regs *m)
{
	dispi(4, 0);
	inb(0x3da);
	outb(0x3c0, 0x00);			/* palette access: screen off while we work */
	seq(0, 0x01);
	outb(0x3c2, m->misc);
	for (unsigned i = 0; i < 4; i++)
		seq((uint8_t)(i + 1), m->seq[i]);
	seq(0, 0x03);
	crtc(0x11, 0x00);
	for (unsigned i = 0; i < 25; i++)
		crtc((uint8_t)i, m->crtc[i]);
	inb(0x3da);
	for (unsigned i = 0; i < 20; i++) {
		outb(0x3c0, (uint8_t)i);
		outb(0x3c0, m->attr[i]);
	}
	outb(0x3c0, 0x14);
	outb(0x3c0, 0x00);
	for (unsigned i = 0; i < 9; i++)
		grc((uint8_t)i, m->gr[i]);
	load_dac();
}

static void video_on(void)
{
	inb(0x3da);
	outb(0x3c0, 0x20);
}

static void phase(const char *name)
{
	kit_printf("phase %s\n", name);
	while (!(inb(KIT_COM1 + UART_LSR) & 1))
		pause();
	inb(KIT_COM1);
}

/* ---- Text ------------------------------------------------------------------------------ */

/* Plane 2 through the A0000 window: sequential addressing, plane 2 only (FreeVGA "VGA
 * Fonts"), then back to mode 03h's odd/even text addressing at B8000. */
static void load_font(void)
{
	volatile uint8_t *win = (volatile uint8_t *)0xa0000;

	seq(2, 0x04);
	seq(4, 0x06);
	grc(4, 0x02);
	grc(5, 0x00);
	grc(6, 0x04);
	for (unsigned c = 0; c < 256; c++)
		for (unsigned r = 0; r < 16; r++)
			win[c * 32 + r] = (uint8_t)((c ^ (r * 0x1d)) & 0xff);
	seq(2, 0x03);
	seq(4, 0x02);
	grc(4, 0x00);
	grc(5, 0x10);
	grc(6, 0x0e);
}

static void draw_text(void)
{
	volatile uint16_t *cells = (volatile uint16_t *)0xb8000;

	set_mode(&mode_03);
	load_font();
	for (unsigned i = 0; i < 80 * 25; i++)
		cells[i] = (uint16_t)((i & 0xff) | ((i * 7 + i / 80) & 0xff) << 8);
	crtc(0x0e, 0);				/* cursor at row 3, column 5 */
	crtc(0x0f, 3 * 80 + 5);
	video_on();
	phase("text");
}

/* ---- Mode 12h and 13h -------------------------------------------------------------------- */

static void draw_planar(void)
{
	volatile uint8_t *win = (volatile uint8_t *)0xa0000;

	set_mode(&mode_12);
	grc(5, 0x02);				/* write mode 2: the byte is a colour */
	grc(8, 0xff);
	for (unsigned y = 0; y < 600; y++)
		for (unsigned b = 0; b < 80; b++)
			win[y * 80 + b] = (uint8_t)((b / 5 + y / 32) & 15);
	video_on();
	phase("planar");
	crtc(0x0c, (37 * 80) >> 8);		/* display start 37 lines down */
	crtc(0x0d, (37 * 80) & 0xff);
	phase("pan");
}

static void draw_13h(void)
{
	volatile uint32_t *win = (volatile uint32_t *)0xa0000;

	set_mode(&mode_13);
	for (unsigned y = 0; y < 200; y++)
		for (unsigned x = 0; x < 320; x += 4) {
			uint32_t v = 0;

			for (unsigned k = 0; k < 4; k++)
				v |= ((x + k + 2 * y) & 0xffu) << (8 * k);
			win[(y * 320 + x) / 4] = v;
		}
	video_on();
	phase("13h");
}

/* ---- VBE ----------------------------------------------------------------------------------- */

static bool map_lfb(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (pci_cfg_read32(0, dev, 0, 0) != 0x11111234u)
			continue;
		pci_cfg_write32(0, dev, 0, 0x10, LFB_ADDR);
		pci_cfg_write16(0, dev, 0, 0x04, pci_cfg_read16(0, dev, 0, 0x04) | 0x3);
		return true;
	}
	return false;
}

static void vbe_mode(uint16_t w, uint16_t h, uint16_t bpp)
{
	dispi(4, 0);
	dispi(1, w);
	dispi(2, h);
	dispi(3, bpp);
	dispi(4, 0x41);				/* enabled, linear framebuffer */
	video_on();
}

static uint32_t grad32(unsigned x, unsigned y)
{
	return ((x * 3) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x ^ y) & 0xff);
}

static void draw_vbe32(void)
{
	volatile uint32_t *fb = (volatile uint32_t *)LFB_ADDR;

	vbe_mode(640, 480, 32);
	for (unsigned y = 0; y < 480; y++)
		for (unsigned x = 0; x < 640; x++)
			fb[y * 640 + x] = grad32(x, y);
	phase("vbe32");
	for (unsigned y = 100; y < 116; y++)
		for (unsigned x = 200; x < 216; x++)
			fb[y * 640 + x] = 0xff00ff;
	phase("block");
}

static void draw_vbe16(void)
{
	volatile uint16_t *fb = (volatile uint16_t *)LFB_ADDR;

	vbe_mode(800, 600, 16);
	for (unsigned y = 0; y < 600; y++)
		for (unsigned x = 0; x < 800; x++)
			fb[y * 800 + x] = (uint16_t)(((x >> 3) & 31) << 11 | (y & 63) << 5 |
						     ((x + y) & 31));
	phase("vbe16");
}

static void draw_vbe_pan(void)
{
	volatile uint32_t *fb = (volatile uint32_t *)LFB_ADDR;

	vbe_mode(640, 480, 32);
	dispi(6, 1024);				/* virtual width */
	for (unsigned y = 0; y < 600; y++)
		for (unsigned x = 0; x < 1024; x++)
			fb[y * 1024 + x] = grad32(x, y);
	dispi(8, 100);				/* display start: X, then Y offset */
	dispi(9, 50);
	phase("vbepan");
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	if (!map_lfb())
		kit_panic("no standard VGA (1234:1111) on bus 0");
	draw_text();
	draw_planar();
	draw_13h();
	draw_vbe32();
	draw_vbe16();
	draw_vbe_pan();
	kit_printf("phase done\n");
}
