// SPDX-License-Identifier: GPL-2.0-or-later
/* Graphics modes: planar 16-colour, CGA 4-colour, 256-colour (13h, mode X), VBE 4 bpp. */
#include "vga-private.h"

#include <string.h>

/*
 * The serializer (IBM VGA Technical Reference, "Graphics Controller", GR05 shift register
 * modes; FreeVGA "Graphics Mode Register"): each CRTC fetch yields one byte of each plane.
 *   planar:      8 pixels, pixel bit p from plane p, most significant bit first;
 *   interleave:  8 pixels of 2 bits, 4 from plane 0 (planes 2 for bits 3:2) then 4 from 1/3;
 *   256-colour:  4 pixels, the bytes of planes 0-3 in order.
 * A line is converted only if it reads a dirty VRAM page or the whole screen changed.
 */

#define MAX_CLOCKS	(VGA_LINE_MAX / 4 + 2)

struct gfx_ctx {
	struct vga *vga;
	const struct vga_regs *r;
	unsigned clocks;		/* character clocks per line */
	unsigned ppc;			/* pixels per clock: 8, or 4 in 256-colour */
	unsigned pan;
	uint64_t mask;			/* plane offset mask */
	uint32_t pal[256];
};

bool vga_planar_geometry(const struct vga_regs *r, unsigned *w, unsigned *h, unsigned *repeat)
{
	uint8_t mode = r->cr[VGA_CR_MODE], ms = r->cr[VGA_CR_MAX_SCAN];
	bool subst = !(mode & 0x01) || !(mode & 0x02);
	unsigned ppc = (r->gr[VGA_GR_MODE] & VGA_GR5_256) ? 4 : 8;

	/* Rows repeat their first line unless the row scan counter reaches the address. */
	*repeat = ((ms & 0x80) ? 2 : 1) * (subst ? 1 : (ms & 0x1f) + 1u);
	*w = (r->cr[VGA_CR_HDE] + 1u) * ppc;
	*h = (vga_scanlines(r) + *repeat - 1) / *repeat;
	return *w <= FB_MAX_WIDTH && *h <= FB_MAX_HEIGHT;
}

static void gfx_palette(struct gfx_ctx *g)
{
	if (g->ppc == 4) {
		for (unsigned i = 0; i < 256; i++)
			g->pal[i] = vga_dac_rgb(g->r, (uint8_t)i);
		return;
	}
	for (unsigned i = 0; i < 16; i++)
		g->pal[i] = vga_dac_rgb(g->r, vga_ar_colour(g->r, i));
}

static void gfx_ctx_init(struct gfx_ctx *g, struct vga *vga, unsigned clocks, uint64_t mask)
{
	const struct vga_regs *r = &vga->snap;
	unsigned pan = r->ar[VGA_AR_HPAN] & 0xf;

	g->vga = vga;
	g->r = r;
	g->clocks = clocks;
	g->ppc = (r->gr[VGA_GR_MODE] & VGA_GR5_256) ? 4 : 8;
	g->mask = mask;
	/* AR13: 0-7 dots in 16-colour modes, in 2-dot steps (one pixel) in 256-colour. */
	g->pan = pan > 7 ? 0 : g->ppc == 4 ? pan >> 1 : pan;
	gfx_palette(g);
}

static void emit_planar(const struct gfx_ctx *g, const uint8_t *p, uint32_t *out)
{
	for (unsigned b = 0; b < 8; b++) {
		unsigned s = 7 - b;
		unsigned idx = ((p[0] >> s) & 1) | ((p[1] >> s) & 1) << 1 |
			       ((p[2] >> s) & 1) << 2 | ((p[3] >> s) & 1) << 3;

		out[b] = g->pal[idx];
	}
}

static void emit_interleave(const struct gfx_ctx *g, const uint8_t *p, uint32_t *out)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned s = 6 - 2 * (i & 3), lo = i < 4 ? p[0] : p[1], hi = i < 4 ? p[2] : p[3];

		out[i] = g->pal[((lo >> s) & 3) | ((hi >> s) & 3) << 2];
	}
}

static void emit_256(const struct gfx_ctx *g, const uint8_t *p, uint32_t *out)
{
	for (unsigned k = 0; k < 4; k++)
		out[k] = g->pal[p[k]];
}

/* Convert clocks + 1 fetches (the extra one feeds panning) at the given plane offsets. */
static void convert_fetches(const struct gfx_ctx *g, const uint64_t *addr, uint32_t *out)
{
	bool interleave = g->r->gr[VGA_GR_MODE] & VGA_GR5_INTERLEAVE;

	for (unsigned c = 0; c <= g->clocks; c++) {
		const uint8_t *p = g->vga->vram + ((addr[c] & g->mask) << 2);

		if (g->ppc == 4)
			emit_256(g, p, out + c * 4);
		else if (interleave)
			emit_interleave(g, p, out + c * 8);
		else
			emit_planar(g, p, out + c * 8);
	}
}

static bool fetches_dirty(const struct gfx_ctx *g, const uint64_t *addr)
{
	for (unsigned c = 0; c <= g->clocks; c++)
		if (vga_pages_dirty(g->vga->render_dirty, (addr[c] & g->mask) >> 10,
				    (addr[c] & g->mask) >> 10))
			return true;
	return false;
}

static void gfx_line(const struct gfx_ctx *g, unsigned y, const uint64_t *addr, bool full)
{
	struct vga *vga = g->vga;

	if (!full && !fetches_dirty(g, addr))
		return;
	convert_fetches(g, addr, vga->line);
	fb_put_span(&vga->fb, 0, y, vga->line + g->pan, g->clocks * g->ppc);
}

void vga_render_planar(struct vga *vga, bool full)
{
	const struct vga_regs *r = &vga->snap;
	uint64_t addr[MAX_CLOCKS];
	unsigned w, h, repeat, lines;
	struct gfx_ctx g;

	if (!vga_planar_geometry(r, &w, &h, &repeat))
		return;
	gfx_ctx_init(&g, vga, r->cr[VGA_CR_HDE] + 1u, VGA_PLANE_LEGACY - 1);
	lines = vga_crtc_walk(r, vga_scanlines(r), repeat, vga->line_ma, vga->line_rs);
	if (lines > vga->fb.surf.height)
		lines = vga->fb.surf.height;
	for (unsigned y = 0; y < lines; y++) {
		for (unsigned c = 0; c <= g.clocks; c++)
			addr[c] = vga_crtc_addr(r, vga->line_ma[y] + c, vga->line_rs[y]);
		gfx_line(&g, y, addr, full);
	}
}

/* ---- VBE (DISPI) ------------------------------------------------------------------------- */

/* 4 bpp: the planar serializer over plane bytes start + y * pitch, byte addressing. */
void vga_render_vbe4(struct vga *vga, const struct vga_vbe_geom *vg, bool full)
{
	uint64_t addr[MAX_CLOCKS];
	struct gfx_ctx g;

	gfx_ctx_init(&g, vga, vg->xres / 8, vga->vram_size / 4 - 1);
	g.ppc = 8;
	g.pan = 0;
	gfx_palette(&g);
	for (unsigned y = 0; y < vg->yres; y++) {
		for (unsigned c = 0; c <= g.clocks; c++)
			addr[c] = vg->start + y * vg->pitch + c;
		gfx_line(&g, y, addr, full);
	}
}
