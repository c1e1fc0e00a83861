// SPDX-License-Identifier: GPL-2.0-or-later
/* VBE linear modes (8, 15, 16, 24, 32 bpp): convert only the spans of dirty VRAM pages. */
#include "vga-private.h"

#include <endian.h>
#include <string.h>

/*
 * Work follows the dirty bitmap, not the screen: each run of consecutive dirty pages is
 * a byte range of VRAM, which maps to a few scan lines and, on each, to the pixels that
 * lie in it (pixels straddling a page edge included). Nothing else is read, so a small
 * update costs its pages, not a scan of every line. 32 bpp (whose layout, little-endian
 * XRGB, is the surface's) goes straight from VRAM to the surface in one pass.
 */

struct vbe_ctx {
	struct vga *vga;
	const struct vga_vbe_geom *g;
	uint64_t len;			/* bytes of one displayed line */
	uint64_t end;			/* past the last displayed byte */
	uint32_t pal[256];
};

static inline uint32_t expand5(uint32_t v)
{
	return (v << 3) | (v >> 2);
}

static inline uint32_t expand6(uint32_t v)
{
	return (v << 2) | (v >> 4);
}

static inline uint32_t load16(const uint8_t *s)
{
	uint16_t v;

	memcpy(&v, s, sizeof(v));
	return le16toh(v);
}

/* 5:6:5 and x:5:5:5 to XRGB, the top bits replicated into the low ones (63 -> 255). */
static inline uint32_t rgb565(uint32_t v)
{
	return 0xff000000u | expand5(v >> 11) << 16 | expand6(v >> 5 & 63) << 8 |
	       expand5(v & 31);
}

static inline uint32_t rgb555(uint32_t v)
{
	return 0xff000000u | expand5(v >> 10 & 31) << 16 | expand5(v >> 5 & 31) << 8 |
	       expand5(v & 31);
}

/* Blocks of 16 (fixed trip count, unaliased): the compiler vectorises these at -O2. */
static void block_565(const uint8_t *restrict s, uint32_t *restrict d)
{
	for (unsigned k = 0; k < 16; k++)
		d[k] = rgb565(load16(s + 2 * k));
}

static void block_555(const uint8_t *restrict s, uint32_t *restrict d)
{
	for (unsigned k = 0; k < 16; k++)
		d[k] = rgb555(load16(s + 2 * k));
}

static void convert_16(const uint8_t *s, uint32_t *d, unsigned n, bool rgb_555)
{
	unsigned i = 0;

	for (; i + 16 <= n; i += 16) {
		if (rgb_555)
			block_555(s + 2 * i, d + i);
		else
			block_565(s + 2 * i, d + i);
	}
	for (; i < n; i++)
		d[i] = rgb_555 ? rgb555(load16(s + 2 * i)) : rgb565(load16(s + 2 * i));
}

static void convert_linear(const struct vbe_ctx *c, const uint8_t *s, uint32_t *d, unsigned n)
{
	switch (c->g->bpp) {
	case 8:
		for (unsigned i = 0; i < n; i++)
			d[i] = c->pal[s[i]];
		break;
	case 15:
	case 16:
		convert_16(s, d, n, c->g->bpp == 15);
		break;
	default:			/* 24: B, G, R in memory order */
		for (unsigned i = 0; i < n; i++)
			d[i] = 0xff000000u | (uint32_t)s[3 * i + 2] << 16 |
			       (uint32_t)s[3 * i + 1] << 8 | s[3 * i];
	}
}

/* Pixels [x0, x1) of line y. */
static void vbe_span(const struct vbe_ctx *c, unsigned y, unsigned x0, unsigned x1)
{
	struct vga *vga = c->vga;
	const uint8_t *src = vga->vram + c->g->start + (uint64_t)y * c->g->pitch +
			     (uint64_t)x0 * c->g->bytes_pp;

	if (c->g->bpp == 32) {
		fb_put_xrgb32(&vga->fb, x0, y, src, x1 - x0);
		return;
	}
	convert_linear(c, src, vga->line, x1 - x0);
	fb_put_span(&vga->fb, x0, y, vga->line, x1 - x0);
}

/* First line that ends past byte lo: lines start at start + y * pitch and are len long. */
static uint64_t first_line(const struct vbe_ctx *c, uint64_t lo)
{
	uint64_t s = c->g->start;

	if (lo < s + c->len || !c->g->pitch)
		return 0;
	return (lo - s - c->len) / c->g->pitch + 1;
}

/* Render the displayed bytes in [lo, hi), VRAM offsets. */
static void vbe_bytes(const struct vbe_ctx *c, uint64_t lo, uint64_t hi)
{
	const struct vga_vbe_geom *g = c->g;
	uint64_t bpp = g->bytes_pp, y = first_line(c, lo);

	if (lo < g->start)
		lo = g->start;
	if (hi > c->end)
		hi = c->end;
	for (; y < g->yres; y++) {
		uint64_t off = g->start + y * g->pitch, a, b;

		if (off >= hi)
			break;
		a = lo > off ? lo - off : 0;
		b = hi - off < c->len ? hi - off : c->len;
		if (a < b)
			vbe_span(c, (unsigned)y, (unsigned)(a / bpp), (unsigned)((b + bpp - 1) / bpp));
	}
}

/* The run of set bits starting at the first set bit >= p, below end; false if none. */
static bool next_run(const uint64_t *bits, uint64_t p, uint64_t end, uint64_t *first,
		     uint64_t *last)
{
	uint64_t w = 0;

	while (p < end && !(w = bits[p / 64] >> (p % 64)))
		p = (p / 64 + 1) * 64;
	if (p >= end)
		return false;
	p += (uint64_t)__builtin_ctzll(w);
	*first = p;
	/* ~bits shifted right brings in zero bits, i.e. "set", past the word's end. */
	while (p < end && !(w = ~bits[p / 64] >> (p % 64)))
		p = (p / 64 + 1) * 64;
	if (p < end)
		p += (uint64_t)__builtin_ctzll(w);
	*last = (p < end ? p : end) - 1;
	return *first <= *last;
}

void vga_render_vbe(struct vga *vga, const struct vga_vbe_geom *g, bool full)
{
	struct vbe_ctx c = { .vga = vga, .g = g, .len = (uint64_t)g->xres * g->bytes_pp };
	uint64_t p, first, last, end_page;

	if (g->bpp == 4) {
		vga_render_vbe4(vga, g, full);
		return;
	}
	c.end = g->start + (uint64_t)(g->yres - 1) * g->pitch + c.len;
	if (g->bpp == 8)
		for (unsigned i = 0; i < 256; i++)
			c.pal[i] = vga_dac_rgb(&vga->snap, (uint8_t)i);
	if (full) {
		vbe_bytes(&c, g->start, c.end);
		return;
	}
	end_page = (c.end + VGA_PAGE_SIZE - 1) / VGA_PAGE_SIZE;
	for (p = g->start / VGA_PAGE_SIZE;
	     next_run(vga->render_dirty, p, end_page, &first, &last); p = last + 1)
		vbe_bytes(&c, first * VGA_PAGE_SIZE, (last + 1) * VGA_PAGE_SIZE);
}
