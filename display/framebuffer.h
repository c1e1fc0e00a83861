/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A surface plus its damage: spans are compared before they are stored, so damage is exact. */
#ifndef VESSEL_FRAMEBUFFER_H
#define VESSEL_FRAMEBUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "surface.h"

/*
 * Renderers hand over converted spans; fb_put_span() compares them chunk by chunk with
 * what the surface already holds and only stores (and damages) chunks that differ. A
 * dirty source that is coarser than a pixel (a 4 KiB VRAM page, a whole register change)
 * thus still produces damage no larger than the tiles whose pixels really changed.
 */
#define FB_TILE_SHIFT	5			/* damage tiles are 32x32 pixels */
#define FB_TILE		(1u << FB_TILE_SHIFT)
#define FB_CHUNK	16u			/* pixels compared at a time */
#define FB_MAX_WIDTH	4608u			/* 256 text columns x 9 dots x 2 */
#define FB_MAX_HEIGHT	2048u

struct framebuffer {
	struct surface surf;
	uint64_t generation;
	unsigned tiles_w, tiles_h;
	uint8_t *tiles;				/* one byte per tile: damaged */
	unsigned ndamaged;
};

/* A 0x0 framebuffer; fb_resize gives it pixels. */
void fb_init(struct framebuffer *fb);
void fb_free(struct framebuffer *fb);
/*
 * Make the surface w x h (1..FB_MAX_*). A new size reallocates it black, bumps the
 * generation and damages everything; returns 1 then, 0 if nothing changed, -errno.
 */
int fb_resize(struct framebuffer *fb, unsigned w, unsigned h);
/* Store n pixels at (x, y), clipped to the surface; damage only what differs. */
void fb_put_span(struct framebuffer *fb, unsigned x, unsigned y, const uint32_t *px,
		 unsigned n);
/*
 * fb_put_span() for n little-endian 32-bit XRGB pixels straight from guest memory (any
 * alignment; the X byte is ignored): conversion, comparison and store in one pass.
 */
void fb_put_xrgb32(struct framebuffer *fb, unsigned x, unsigned y, const uint8_t *src,
		   unsigned n);
/* Fill a whole row with one colour (blank screens). */
void fb_fill_row(struct framebuffer *fb, unsigned y, uint32_t colour);
/* Damage a rectangle without comparing (clipped). */
void fb_damage(struct framebuffer *fb, unsigned x, unsigned y, unsigned w, unsigned h);
/* display_take_damage() for this framebuffer. */
unsigned fb_take_damage(struct framebuffer *fb, struct display_rect *rects, unsigned max);

#endif
