// SPDX-License-Identifier: GPL-2.0-or-later
/* Surfaces with exact damage: compare-before-store spans, 32x32 tiles merged into rectangles. */
#include "framebuffer.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fb_init(struct framebuffer *fb)
{
	memset(fb, 0, sizeof(*fb));
}

void fb_free(struct framebuffer *fb)
{
	free(fb->surf.pixels);
	free(fb->tiles);
	fb_init(fb);
}

int fb_resize(struct framebuffer *fb, unsigned w, unsigned h)
{
	unsigned tw = (w + FB_TILE - 1) >> FB_TILE_SHIFT, th = (h + FB_TILE - 1) >> FB_TILE_SHIFT;
	uint32_t *px;
	uint8_t *tiles;

	if (!w || !h || w > FB_MAX_WIDTH || h > FB_MAX_HEIGHT)
		return -EINVAL;
	if (fb->surf.pixels && fb->surf.width == w && fb->surf.height == h)
		return 0;
	px = calloc((size_t)w * h, sizeof(*px));
	tiles = calloc((size_t)tw * th, 1);
	if (!px || !tiles) {
		free(px);
		free(tiles);
		return -ENOMEM;
	}
	for (size_t i = 0; i < (size_t)w * h; i++)
		px[i] = 0xff000000u;
	free(fb->surf.pixels);
	free(fb->tiles);
	fb->surf = (struct surface){ .width = w, .height = h, .stride = w * 4, .pixels = px };
	fb->tiles = tiles;
	fb->tiles_w = tw;
	fb->tiles_h = th;
	fb->ndamaged = 0;
	fb->generation++;
	fb_damage(fb, 0, 0, w, h);
	return 1;
}

static void damage_tile(struct framebuffer *fb, unsigned tx, unsigned ty)
{
	uint8_t *t = &fb->tiles[(size_t)ty * fb->tiles_w + tx];

	if (!*t) {
		*t = 1;
		fb->ndamaged++;
	}
}

void fb_damage(struct framebuffer *fb, unsigned x, unsigned y, unsigned w, unsigned h)
{
	if (x >= fb->surf.width || y >= fb->surf.height || !w || !h)
		return;
	if (w > fb->surf.width - x)
		w = fb->surf.width - x;
	if (h > fb->surf.height - y)
		h = fb->surf.height - y;
	for (unsigned ty = y >> FB_TILE_SHIFT; ty <= (y + h - 1) >> FB_TILE_SHIFT; ty++)
		for (unsigned tx = x >> FB_TILE_SHIFT; tx <= (x + w - 1) >> FB_TILE_SHIFT; tx++)
			damage_tile(fb, tx, ty);
}

void fb_put_span(struct framebuffer *fb, unsigned x, unsigned y, const uint32_t *px,
		 unsigned n)
{
	uint32_t *row;

	if (y >= fb->surf.height || x >= fb->surf.width)
		return;
	if (n > fb->surf.width - x)
		n = fb->surf.width - x;
	row = fb->surf.pixels + (size_t)y * fb->surf.width;
	for (unsigned i = 0; i < n;) {
		unsigned len = FB_CHUNK - ((x + i) % FB_CHUNK);

		if (len > n - i)
			len = n - i;
		if (memcmp(row + x + i, px + i, len * sizeof(*px))) {
			memcpy(row + x + i, px + i, len * sizeof(*px));
			damage_tile(fb, (x + i) >> FB_TILE_SHIFT, y >> FB_TILE_SHIFT);
		}
		i += len;
	}
}

/*
 * One chunk of 32-bpp pixels: convert, compare and store in a single pass over the
 * source and the surface (no scratch line, so each byte is touched once). True if the
 * chunk differed and was stored.
 */
static bool chunk_put_xrgb(uint32_t *dst, const uint8_t *src, unsigned len)
{
	uint32_t v[FB_CHUNK], diff = 0;

	for (unsigned k = 0; k < len; k++) {
		uint32_t p;

		memcpy(&p, src + 4 * k, sizeof(p));
		v[k] = 0xff000000u | le32toh(p);
		diff |= v[k] ^ dst[k];
	}
	if (!diff)
		return false;
	memcpy(dst, v, len * sizeof(*v));
	return true;
}

/* The same for a whole chunk: fixed trip counts let the compiler vectorise both loops. */
static bool chunk_put_xrgb_full(uint32_t *dst, const uint8_t *src)
{
	uint32_t v[FB_CHUNK], diff = 0;

	for (unsigned k = 0; k < FB_CHUNK; k++) {
		uint32_t p;

		memcpy(&p, src + 4 * k, sizeof(p));
		v[k] = 0xff000000u | le32toh(p);
	}
	for (unsigned k = 0; k < FB_CHUNK; k++)
		diff |= v[k] ^ dst[k];
	if (!diff)
		return false;
	memcpy(dst, v, sizeof(v));
	return true;
}

void fb_put_xrgb32(struct framebuffer *fb, unsigned x, unsigned y, const uint8_t *src,
		   unsigned n)
{
	uint32_t *row;

	if (y >= fb->surf.height || x >= fb->surf.width)
		return;
	if (n > fb->surf.width - x)
		n = fb->surf.width - x;
	row = fb->surf.pixels + (size_t)y * fb->surf.width;
	for (unsigned i = 0; i < n;) {
		unsigned len = FB_CHUNK - ((x + i) % FB_CHUNK);

		if (len > n - i)
			len = n - i;
		if (len == FB_CHUNK ? chunk_put_xrgb_full(row + x + i, src + (size_t)i * 4)
				    : chunk_put_xrgb(row + x + i, src + (size_t)i * 4, len))
			damage_tile(fb, (x + i) >> FB_TILE_SHIFT, y >> FB_TILE_SHIFT);
		i += len;
	}
}

void fb_fill_row(struct framebuffer *fb, unsigned y, uint32_t colour)
{
	uint32_t chunk[FB_CHUNK];

	for (unsigned i = 0; i < FB_CHUNK; i++)
		chunk[i] = colour;
	for (unsigned x = 0; x < fb->surf.width; x += FB_CHUNK)
		fb_put_span(fb, x, y, chunk, FB_CHUNK);
}

/* Length of the run of damaged tiles starting at (tx, ty). */
static unsigned tile_run(const struct framebuffer *fb, unsigned tx, unsigned ty)
{
	const uint8_t *row = &fb->tiles[(size_t)ty * fb->tiles_w];
	unsigned n = 0;

	while (tx + n < fb->tiles_w && row[tx + n])
		n++;
	return n;
}

/* How many rows from ty down have every tile of [tx, tx + n) damaged. */
static unsigned run_height(const struct framebuffer *fb, unsigned tx, unsigned ty, unsigned n)
{
	unsigned h = 1;

	while (ty + h < fb->tiles_h && tile_run(fb, tx, ty + h) >= n)
		h++;
	return h;
}

static struct display_rect tile_rect(const struct framebuffer *fb, unsigned tx, unsigned ty,
				     unsigned tw, unsigned th)
{
	struct display_rect r = { tx << FB_TILE_SHIFT, ty << FB_TILE_SHIFT,
				  tw << FB_TILE_SHIFT, th << FB_TILE_SHIFT };

	if (r.w > fb->surf.width - r.x)
		r.w = fb->surf.width - r.x;
	if (r.h > fb->surf.height - r.y)
		r.h = fb->surf.height - r.y;
	return r;
}

static void clear_tiles(struct framebuffer *fb, unsigned tx, unsigned ty, unsigned tw,
			unsigned th)
{
	for (unsigned y = ty; y < ty + th; y++)
		memset(&fb->tiles[(size_t)y * fb->tiles_w + tx], 0, tw);
	fb->ndamaged -= tw * th;
}

static struct display_rect rect_union(struct display_rect a, struct display_rect b)
{
	unsigned x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
	unsigned y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;

	a.x = a.x < b.x ? a.x : b.x;
	a.y = a.y < b.y ? a.y : b.y;
	a.w = x1 - a.x;
	a.h = y1 - a.y;
	return a;
}

static unsigned add_rect(struct display_rect *rects, unsigned n, unsigned max,
			 struct display_rect r)
{
	if (n < max)
		rects[n++] = r;
	else if (max)
		rects[max - 1] = rect_union(rects[max - 1], r);
	return n;
}

/*
 * Greedy: each maximal horizontal run of damaged tiles, grown downwards while the rows
 * below hold the same run, becomes one rectangle. Past `max`, the rest fold into the last.
 */
static unsigned take_row(struct framebuffer *fb, unsigned ty, struct display_rect *rects,
			 unsigned n, unsigned max)
{
	for (unsigned tx = 0; tx < fb->tiles_w && fb->ndamaged;) {
		unsigned tw = tile_run(fb, tx, ty), th;

		if (!tw) {
			tx++;
			continue;
		}
		th = run_height(fb, tx, ty, tw);
		n = add_rect(rects, n, max, tile_rect(fb, tx, ty, tw, th));
		clear_tiles(fb, tx, ty, tw, th);
		tx += tw;
	}
	return n;
}

unsigned fb_take_damage(struct framebuffer *fb, struct display_rect *rects, unsigned max)
{
	unsigned n = 0;

	for (unsigned ty = 0; ty < fb->tiles_h && fb->ndamaged; ty++)
		n = take_row(fb, ty, rects, n, max);
	fb->ndamaged = 0;
	return n;
}
