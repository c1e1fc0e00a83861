// SPDX-License-Identifier: GPL-2.0-or-later
/* The 128-byte EDID 1.4 base block in BAR2: a preferred detailed timing from the config. */
#include "vga-private.h"

#include <string.h>

/*
 * Layout: VESA Enhanced EDID Standard, release A revision 2 (EDID 1.4), §3. The detailed
 * timing uses reduced blanking in the manner of VESA CVT 1.2 §3.4 (160-pixel horizontal
 * blank, 3-line front porch, at least 460 us of vertical blank), at 60 Hz.
 */

#define EDID_REFRESH_HZ		60
#define EDID_HBLANK		160
#define EDID_HFRONT		48
#define EDID_HSYNC		32
#define EDID_VFRONT		3
#define EDID_VSYNC		6
#define EDID_MIN_VBLANK_US	460

struct edid_timing {
	unsigned hactive, hblank, hfront, hsync;
	unsigned vactive, vblank, vfront, vsync;
	unsigned clock_10khz;
	unsigned width_mm, height_mm;
};

static struct edid_timing reduced_blanking(unsigned x, unsigned y)
{
	unsigned frame_us = 1000000 / EDID_REFRESH_HZ;
	/* Lines of blank so that they last EDID_MIN_VBLANK_US, rounded up, plus one. */
	unsigned vblank = (y * EDID_MIN_VBLANK_US + frame_us - EDID_MIN_VBLANK_US - 1) /
			  (frame_us - EDID_MIN_VBLANK_US) + 1;
	struct edid_timing t = {
		.hactive = x, .hblank = EDID_HBLANK, .hfront = EDID_HFRONT, .hsync = EDID_HSYNC,
		.vactive = y, .vfront = EDID_VFRONT, .vsync = EDID_VSYNC,
	};
	uint64_t clock;

	if (vblank < EDID_VFRONT + EDID_VSYNC + 6)
		vblank = EDID_VFRONT + EDID_VSYNC + 6;
	t.vblank = vblank;
	clock = (uint64_t)(x + t.hblank) * (y + vblank) * EDID_REFRESH_HZ;
	t.clock_10khz = (unsigned)((clock + 5000) / 10000);
	/* A 96 dpi panel: the guest's idea of physical size only matters for its DPI. */
	t.width_mm = x * 254 / 960;
	t.height_mm = y * 254 / 960;
	return t;
}

/* §3.10.2: one 18-byte detailed timing descriptor. */
static void put_dtd(uint8_t *d, const struct edid_timing *t)
{
	d[0] = t->clock_10khz & 0xff;
	d[1] = t->clock_10khz >> 8;
	d[2] = t->hactive & 0xff;
	d[3] = t->hblank & 0xff;
	d[4] = (uint8_t)(((t->hactive >> 8) & 0xf) << 4 | ((t->hblank >> 8) & 0xf));
	d[5] = t->vactive & 0xff;
	d[6] = t->vblank & 0xff;
	d[7] = (uint8_t)(((t->vactive >> 8) & 0xf) << 4 | ((t->vblank >> 8) & 0xf));
	d[8] = t->hfront & 0xff;
	d[9] = t->hsync & 0xff;
	d[10] = (uint8_t)((t->vfront & 0xf) << 4 | (t->vsync & 0xf));
	d[11] = (uint8_t)(((t->hfront >> 8) & 3) << 6 | ((t->hsync >> 8) & 3) << 4 |
			  ((t->vfront >> 4) & 3) << 2 | ((t->vsync >> 4) & 3));
	d[12] = t->width_mm & 0xff;
	d[13] = t->height_mm & 0xff;
	d[14] = (uint8_t)(((t->width_mm >> 8) & 0xf) << 4 | ((t->height_mm >> 8) & 0xf));
	d[15] = d[16] = 0;			/* no borders */
	d[17] = 0x1a;				/* digital separate sync, +hsync, -vsync */
}

/* §3.10.3: display descriptors with a tag; text ones end in 0x0a, padded with spaces. */
static void put_text_descriptor(uint8_t *d, uint8_t tag, const char *text)
{
	size_t n = strlen(text);

	memset(d, 0, 18);
	d[3] = tag;
	memset(d + 5, ' ', 13);
	memcpy(d + 5, text, n > 13 ? 13 : n);
	if (n < 13)
		d[5 + n] = 0x0a;
}

/* §3.10.3.3: range limits, generous enough for every mode we can show. */
static void put_range_limits(uint8_t *d, const struct edid_timing *t)
{
	memset(d, 0, 18);
	d[3] = 0xfd;
	d[5] = 50;				/* vertical Hz, min/max */
	d[6] = 75;
	d[7] = 15;				/* horizontal kHz, min/max */
	d[8] = 160;
	d[9] = (uint8_t)((t->clock_10khz + 999) / 1000 + 1);	/* max clock, 10 MHz units */
	d[10] = 0x01;				/* range limits only */
	d[11] = 0x0a;
	memset(d + 12, ' ', 6);
}

/* §3.7: chromaticity of sRGB (IEC 61966-2-1) as 10-bit binary fractions. */
static void put_srgb_chromaticity(uint8_t *e)
{
	const unsigned v[8] = { 655, 338, 307, 614, 154, 61, 320, 337 };  /* Rx Ry Gx Gy Bx By Wx Wy */

	e[0] = (uint8_t)((v[0] & 3) << 6 | (v[1] & 3) << 4 | (v[2] & 3) << 2 | (v[3] & 3));
	e[1] = (uint8_t)((v[4] & 3) << 6 | (v[5] & 3) << 4 | (v[6] & 3) << 2 | (v[7] & 3));
	for (unsigned i = 0; i < 8; i++)
		e[2 + i] = (uint8_t)(v[i] >> 2);
}

void vga_edid_build(uint8_t e[128], unsigned xres, unsigned yres)
{
	static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	struct edid_timing t = reduced_blanking(xres, yres);
	unsigned sum = 0;

	memset(e, 0, 128);
	memcpy(e, header, 8);
	e[8] = 0x5a;			/* manufacturer "VSL": 5-bit letters, big-endian (§3.4) */
	e[9] = 0x6c;
	e[10] = 0x11;			/* product code 0x1111, little-endian */
	e[11] = 0x11;
	e[16] = 1;			/* week 1 of */
	e[17] = 2024 - 1990;		/* 2024 */
	e[18] = 1;			/* EDID 1.4 */
	e[19] = 4;
	e[20] = 0xa0;			/* digital input, 8 bits per colour, interface undefined */
	e[21] = (uint8_t)((t.width_mm + 5) / 10);
	e[22] = (uint8_t)((t.height_mm + 5) / 10);
	e[23] = 120;			/* gamma 2.2: (2.2 - 1) * 100 */
	e[24] = 0x06;			/* sRGB default, preferred timing is native; RGB 4:4:4 */
	put_srgb_chromaticity(e + 25);
	e[35] = 0x21;			/* established: 640x480@60, 800x600@60 */
	e[36] = 0x08;			/* 1024x768@60 */
	memset(e + 38, 0x01, 16);	/* no standard timings */
	put_dtd(e + 54, &t);
	put_range_limits(e + 72, &t);
	put_text_descriptor(e + 90, 0xfc, "Vessel VGA");
	put_text_descriptor(e + 108, 0xff, "0001");
	e[126] = 0;			/* no extension blocks */
	for (unsigned i = 0; i < 127; i++)
		sum += e[i];
	e[127] = (uint8_t)(256 - (sum & 0xff));
}
