// SPDX-License-Identifier: GPL-2.0-or-later
/* Text modes: glyphs from plane 2, attributes, blink, cursor; only changed cells redrawn. */
#include "vga-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Alphanumeric modes (IBM VGA Technical Reference, "Alphanumeric Modes"; FreeVGA
 * "Attribute Controller", "CRTC Registers"): the CRTC fetches a character from plane 0 and
 * its attribute from plane 1 at each address; the glyph row is byte (char * 32 + row scan)
 * of the character map in plane 2 that SR03 selects for attribute bit 3. Cells are 8 or
 * 9 dots wide (SR01 bit 0); in 9-dot cells characters C0h-DFh repeat their 8th dot when
 * AR10 bit 2 is set. Half dot clock (SR01 bit 3, 40-column modes) doubles every dot.
 *
 * For each output line and column we remember a key of everything that decides its
 * pixels (character, attribute, row scan, cursor, blink state); a cell is redrawn only
 * when its key changes, or everything when a register or the font changed.
 */

#define VGA_HZ			70		/* 400-line modes */
#define CURSOR_BLINK_FRAMES	8		/* cursor: 1/16 of the vertical rate */
#define CHAR_BLINK_FRAMES	16		/* characters: 1/32 */
#define KEY_UNKNOWN		0xffffffffu

struct text_ctx {
	struct vga *vga;
	const struct vga_regs *r;
	unsigned cols, cw, xscale, width;
	uint32_t pal[16];
	unsigned font_a, font_b;		/* plane 2 offsets of the two character maps */
	uint32_t cursor_ma;
	unsigned cursor_start, cursor_end;
	bool cursor_on, blink_attr, blink_visible, line_graphics;
	unsigned underline;
};

/* SR03 map number (0-7) to its plane 2 offset: 16 KiB steps, +8 KiB for the high bit. */
static unsigned charmap_offset(unsigned map)
{
	return (map & 3) * 0x4000 + (map >> 2) * 0x2000;
}

bool vga_text_geometry(const struct vga_regs *r, unsigned *w, unsigned *h)
{
	unsigned cols = r->cr[VGA_CR_HDE] + 1u;
	unsigned cw = (r->sr[VGA_SR_CLOCK] & VGA_SR1_8DOT) ? 8 : 9;
	unsigned xscale = (r->sr[VGA_SR_CLOCK] & VGA_SR1_HALF_DOT) ? 2 : 1;
	unsigned repeat = (r->cr[VGA_CR_MAX_SCAN] & 0x80) ? 2 : 1;

	*w = cols * cw * xscale;
	*h = (vga_scanlines(r) + repeat - 1) / repeat;
	return *w <= FB_MAX_WIDTH && *h <= FB_MAX_HEIGHT;
}

static uint64_t clock_now(const struct vga *vga)
{
	return vga->cfg.clock_ns ? vga->cfg.clock_ns(vga->cfg.opaque) : vmm_now_ns();
}

static void text_ctx_init(struct text_ctx *t, struct vga *vga)
{
	const struct vga_regs *r = &vga->snap;
	uint8_t sr3 = r->sr[VGA_SR_CHARMAP], cs = r->cr[VGA_CR_CURSOR_START];
	uint64_t frame = clock_now(vga) / (1000000000ull / VGA_HZ);

	memset(t, 0, sizeof(*t));
	t->vga = vga;
	t->r = r;
	t->cols = r->cr[VGA_CR_HDE] + 1u;
	t->cw = (r->sr[VGA_SR_CLOCK] & VGA_SR1_8DOT) ? 8 : 9;
	t->xscale = (r->sr[VGA_SR_CLOCK] & VGA_SR1_HALF_DOT) ? 2 : 1;
	t->width = t->cw * t->xscale;
	for (unsigned i = 0; i < 16; i++)
		t->pal[i] = vga_dac_rgb(r, vga_ar_colour(r, i));
	/* Map A (bits 5,3,2) for attribute bit 3 set, map B (bits 4,1,0) for clear. */
	t->font_a = charmap_offset(((sr3 >> 3) & 4) | ((sr3 >> 2) & 3));
	t->font_b = charmap_offset(((sr3 >> 2) & 4) | (sr3 & 3));
	t->cursor_ma = (uint32_t)r->cr[VGA_CR_CURSOR_HI] << 8 | r->cr[VGA_CR_CURSOR_LO];
	t->cursor_start = cs & 0x1f;
	t->cursor_end = r->cr[VGA_CR_CURSOR_END] & 0x1f;
	t->cursor_on = !(cs & 0x20) && !((frame / CURSOR_BLINK_FRAMES) & 1);
	t->blink_attr = r->ar[VGA_AR_MODE] & 0x08;
	t->blink_visible = !((frame / CHAR_BLINK_FRAMES) & 1);
	t->line_graphics = r->ar[VGA_AR_MODE] & 0x04;
	t->underline = r->cr[VGA_CR_UNDERLINE] & 0x1f;
}

static bool cursor_here(const struct text_ctx *t, uint32_t ma, unsigned rs)
{
	return t->cursor_on && (ma & 0xffff) == t->cursor_ma && rs >= t->cursor_start &&
	       rs <= t->cursor_end;
}

static uint32_t cell_key(const struct text_ctx *t, uint8_t ch, uint8_t at, unsigned rs,
			 bool cursor)
{
	bool hidden = t->blink_attr && (at & 0x80) && !t->blink_visible;

	return ch | (uint32_t)at << 8 | (uint32_t)rs << 16 | (uint32_t)cursor << 21 |
	       (uint32_t)hidden << 22;
}

/* The dots of one glyph row: 8 from the font byte, a 9th per AR10 bit 2. */
static unsigned glyph_dots(const struct text_ctx *t, uint8_t ch, uint8_t at, unsigned rs)
{
	unsigned font = (at & 0x08) ? t->font_a : t->font_b;
	unsigned bits = (unsigned)vga_plane_byte(t->vga, 2, font + ch * 32u + rs, 0xffff) << 1;

	if (t->cw == 9 && t->line_graphics && ch >= 0xc0 && ch <= 0xdf)
		bits |= (bits >> 1) & 1;
	return bits;			/* bit 8 is the first dot, bit 0 the ninth */
}

static void draw_cell(const struct text_ctx *t, uint32_t key, uint32_t *px)
{
	uint8_t ch = key & 0xff, at = (key >> 8) & 0xff;
	unsigned rs = (key >> 16) & 0x1f, fg = at & 0xf, bg = at >> 4, dots;

	if (t->blink_attr)
		bg &= 7;
	if (key & (1u << 22))
		fg = bg;
	if ((key & (1u << 21)) || (rs == t->underline && (at & 0x77) == 0x01))
		dots = 0x1ff;
	else
		dots = glyph_dots(t, ch, at, rs);
	for (unsigned i = 0; i < t->cw; i++) {
		uint32_t c = t->pal[(dots >> (8 - i)) & 1 ? fg : bg];

		for (unsigned k = 0; k < t->xscale; k++)
			px[i * t->xscale + k] = c;
	}
}

static void text_line(const struct text_ctx *t, unsigned y, uint32_t *keys, bool full)
{
	struct vga *vga = t->vga;
	uint32_t ma = vga->line_ma[y];
	unsigned rs = vga->line_rs[y];

	for (unsigned c = 0; c < t->cols; c++) {
		unsigned a = vga_crtc_addr(t->r, ma + c, rs);
		uint8_t ch = vga_plane_byte(vga, 0, a, 0xffff);
		uint8_t at = vga_plane_byte(vga, 1, a, 0xffff);
		uint32_t key = cell_key(t, ch, at, rs, cursor_here(t, ma + c, rs));

		if (!full && keys[c] == key)
			continue;
		keys[c] = key;
		draw_cell(t, key, vga->line);
		fb_put_span(&vga->fb, c * t->width, y, vga->line, t->width);
	}
}

static int keys_reserve(struct vga *vga, size_t n)
{
	uint32_t *k;

	if (vga->text_keys_len >= n)
		return 0;
	k = realloc(vga->text_keys, n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	vga->text_keys = k;
	vga->text_keys_len = n;
	return 0;
}

void vga_render_text(struct vga *vga, bool full)
{
	const struct vga_regs *r = &vga->snap;
	unsigned repeat = (r->cr[VGA_CR_MAX_SCAN] & 0x80) ? 2 : 1, lines;
	struct text_ctx t;

	text_ctx_init(&t, vga);
	lines = vga_crtc_walk(r, vga_scanlines(r), repeat, vga->line_ma, vga->line_rs);
	if (lines > vga->fb.surf.height)
		lines = vga->fb.surf.height;
	if (keys_reserve(vga, (size_t)lines * t.cols))
		return;			/* out of memory: keep the old picture */
	/* The key array's layout depends on the column count: a full redraw resets it. */
	for (unsigned y = 0; y < lines; y++)
		text_line(&t, y, vga->text_keys + (size_t)y * t.cols, full);
}
