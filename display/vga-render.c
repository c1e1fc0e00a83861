// SPDX-License-Identifier: GPL-2.0-or-later
/* Rendering entry points: register snapshot, dirty pages, mode choice, the CRTC's walk. */
#include "vga-private.h"

#include <errno.h>
#include <string.h>

/*
 * display_update() copies the registers and takes the dirty page bitmap under the device
 * lock, adds the pages the host's dirty log reports for BAR0 (or, without a dirty log,
 * every page), picks the mode the registers describe and lets that mode's renderer
 * convert what changed. Renderers hand spans to the framebuffer, which stores and
 * damages only the pixels that really differ.
 */

enum vga_mode_kind { VGA_KIND_NONE, VGA_KIND_BLANK, VGA_KIND_TEXT, VGA_KIND_PLANAR,
		     VGA_KIND_VBE };

/* ---- Shared helpers ------------------------------------------------------------------ */

/* DAC entry to XRGB: 6-bit components (IBM VGA TR "Video DAC") or 8-bit with VBE. */
uint32_t vga_dac_rgb(const struct vga_regs *r, uint8_t index)
{
	const uint8_t *c = r->dac[index & r->pel_mask];
	uint32_t rgb[3];

	for (unsigned i = 0; i < 3; i++) {
		if (r->dispi[VBE_ENABLE] & VBE_EN_8BIT_DAC)
			rgb[i] = c[i];
		else
			rgb[i] = (uint32_t)((c[i] & 0x3f) << 2 | (c[i] & 0x3f) >> 4);
	}
	return 0xff000000u | rgb[0] << 16 | rgb[1] << 8 | rgb[2];
}

/*
 * A 4-bit pixel through the attribute controller (FreeVGA "Attribute Controller
 * Registers"): colour plane enable, the palette register, then AR14 supplies bits 7:6
 * and, when AR10 bit 7 is set, bits 5:4.
 */
uint8_t vga_ar_colour(const struct vga_regs *r, unsigned idx)
{
	uint8_t v = r->ar[idx & r->ar[VGA_AR_PLANE_ENABLE] & 0xf];
	uint8_t cs = r->ar[VGA_AR_COLOR_SELECT];

	if (r->ar[VGA_AR_MODE] & 0x80)
		v = (uint8_t)((v & 0x0f) | (cs & 3) << 4);
	return (uint8_t)((v & 0x3f) | (cs & 0x0c) << 4);
}

uint8_t vga_plane_byte(const struct vga *vga, unsigned plane, uint64_t off, uint64_t mask)
{
	return vga->vram[((off & mask) << 2) | (plane & 3)];
}

/*
 * Memory address the CRTC puts out for counter value ma (FreeVGA "CRTC Mode Control"
 * and "Underline Location"): the 16-bit counter is shifted left by 2 in doubleword mode,
 * its top bits MA15:14 reappearing at bits 1:0, or by 1 in word mode, MA13 or MA15 (per
 * CR17 bit 5) reappearing at bit 0; then CR17 bits 0/1, when
 * clear, put row scan bits 0/1 on address bits 13/14 (CGA and Hercules interlace).
 */
unsigned vga_crtc_addr(const struct vga_regs *r, uint32_t ma, unsigned rs)
{
	uint8_t mode = r->cr[VGA_CR_MODE];
	unsigned a;

	if (r->cr[VGA_CR_UNDERLINE] & 0x40)
		a = (unsigned)(ma << 2 | ((ma >> 14) & 3));
	else if (!(mode & 0x40))
		a = (unsigned)(ma << 1 | ((ma >> ((mode & 0x20) ? 15 : 13)) & 1));
	else
		a = (unsigned)ma;
	if (!(mode & 0x01))
		a = (a & ~0x2000u) | (rs & 1) << 13;
	if (!(mode & 0x02))
		a = (a & ~0x4000u) | (rs & 2) << 13;
	return a & 0xffff;
}

/* Vertical display end + 1 (CR12 with overflow bits in CR07 1 and 6). */
unsigned vga_scanlines(const struct vga_regs *r)
{
	unsigned ov = r->cr[VGA_CR_OVERFLOW];

	return (r->cr[VGA_CR_VDE] | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1;
}

static unsigned line_compare(const struct vga_regs *r)
{
	return r->cr[VGA_CR_LINE_COMPARE] | (r->cr[VGA_CR_OVERFLOW] & 0x10) << 4 |
	       (r->cr[VGA_CR_MAX_SCAN] & 0x40) << 3;
}

/*
 * The CRTC's vertical walk: the address counter at the start of each scan line and the
 * row scan counter. A row is max-scan-line + 1 scan lines (each shown twice when double
 * scanning); the counter then advances by twice the offset register; after the line
 * compare scan line it restarts at 0 (split screen). Scan lines that only repeat the one
 * above (repeat > 1) are folded into one output line. Returns the output lines.
 */
unsigned vga_crtc_walk(const struct vga_regs *r, unsigned scanlines, unsigned repeat,
		       uint32_t *ma, uint8_t *rs)
{
	unsigned msl = r->cr[VGA_CR_MAX_SCAN] & 0x1f, lc = line_compare(r), n = 0;
	bool dbl = r->cr[VGA_CR_MAX_SCAN] & 0x80;
	uint32_t row = (uint32_t)r->cr[VGA_CR_START_HI] << 8 | r->cr[VGA_CR_START_LO];
	uint32_t pitch = 2u * r->cr[VGA_CR_OFFSET];
	unsigned scan = (r->cr[VGA_CR_PRESET_ROW] & 0x1f) % (msl + 1);

	for (unsigned s = 0; s < scanlines; s++) {
		if (s % repeat == 0) {
			ma[n] = row;
			rs[n++] = (uint8_t)scan;
		}
		if (s == lc) {
			row = 0;
			scan = 0;
		} else if (!dbl || (s & 1)) {
			row += scan == msl ? pitch : 0;
			scan = scan == msl ? 0 : scan + 1;
		}
	}
	return n;
}

bool vga_pages_dirty(const uint64_t *bits, uint64_t first, uint64_t last)
{
	for (uint64_t p = first; p <= last; p++)
		if (bits[p / 64] & (1ull << (p % 64)))
			return true;
	return false;
}

/* ---- display_update ------------------------------------------------------------------ */

static void take_dirty(struct vga *vga, bool *full, bool *font)
{
	size_t bytes = vga->dirty_words * sizeof(uint64_t);

	pthread_mutex_lock(&vga->lock);
	vga->snap = vga->r;
	memcpy(vga->render_dirty, vga->dirty, bytes);
	memset(vga->dirty, 0, bytes);
	*full = vga->invalidate;
	*font = vga->font_dirty;
	vga->invalidate = vga->font_dirty = false;
	pthread_mutex_unlock(&vga->lock);
}

/* Writes through BAR0 never reach the device: learn them from the host, or assume all. */
static void fetch_host_dirty(struct vga *vga)
{
	uint64_t gpa = __atomic_load_n(&vga->bar0_addr, __ATOMIC_ACQUIRE);
	size_t n = vga->dirty_words;

	if (vga->cfg.vram_trap)
		return;			/* BAR0 writes marked their pages already */
	if (!vga->cfg.dirty_log) {
		memset(vga->render_dirty, 0xff, n * sizeof(uint64_t));
		return;
	}
	if (!vga->cfg.fetch_dirty || gpa == PCI_BAR_UNMAPPED)
		return;
	memset(vga->fetch_buf, 0, n * sizeof(uint64_t));
	if (vga->cfg.fetch_dirty(vga->cfg.opaque, gpa, vga->fetch_buf))
		return;
	for (size_t i = 0; i < n; i++)
		vga->render_dirty[i] |= vga->fetch_buf[i];
}

/* Blanked by the attribute index (PAS clear) or the sequencer's screen-off bit. */
static bool blanked(const struct vga_regs *r)
{
	return !(r->ar_index & VGA_AR_PAS) || (r->sr[VGA_SR_CLOCK] & VGA_SR1_SCREEN_OFF);
}

static int pick_mode(const struct vga *vga, struct vga_vbe_geom *g)
{
	const struct vga_regs *r = &vga->snap;

	if (blanked(r))
		return VGA_KIND_BLANK;
	if (vga_vbe_on(r))
		return vga_vbe_geometry(vga, r, g) ? VGA_KIND_VBE : VGA_KIND_BLANK;
	return (r->gr[VGA_GR_MISC] & VGA_GR6_GRAPHICS) ? VGA_KIND_PLANAR : VGA_KIND_TEXT;
}

static void render_blank(struct vga *vga, bool full)
{
	if (!full)
		return;
	for (unsigned y = 0; y < vga->fb.surf.height; y++)
		fb_fill_row(&vga->fb, y, 0xff000000u);
}

static int mode_size(struct vga *vga, int kind, const struct vga_vbe_geom *g, unsigned *w,
		     unsigned *h)
{
	unsigned repeat;

	switch (kind) {
	case VGA_KIND_TEXT:
		return vga_text_geometry(&vga->snap, w, h) ? 0 : -EINVAL;
	case VGA_KIND_PLANAR:
		return vga_planar_geometry(&vga->snap, w, h, &repeat) ? 0 : -EINVAL;
	case VGA_KIND_VBE:
		*w = g->xres;
		*h = g->yres;
		return 0;
	default:
		*w = vga->fb.surf.width;
		*h = vga->fb.surf.height;
		return 0;
	}
}

static void render(struct vga *vga, int kind, const struct vga_vbe_geom *g, bool full,
		   bool font)
{
	switch (kind) {
	case VGA_KIND_TEXT:
		vga_render_text(vga, full || font);
		break;
	case VGA_KIND_PLANAR:
		vga_render_planar(vga, full);
		break;
	case VGA_KIND_VBE:
		vga_render_vbe(vga, g, full);
		break;
	default:
		render_blank(vga, full);
	}
}

int display_update(struct vga *vga)
{
	struct vga_vbe_geom g = { 0 };
	unsigned w, h;
	bool full, font;
	int kind, ret;

	if (vga->cfg.flush_writes)
		vga->cfg.flush_writes(vga->cfg.opaque);
	pthread_mutex_lock(&vga->display_lock);
	take_dirty(vga, &full, &font);
	fetch_host_dirty(vga);
	kind = pick_mode(vga, &g);
	ret = mode_size(vga, kind, &g, &w, &h);
	if (ret) {
		kind = VGA_KIND_BLANK;	/* cannot happen with 8-bit register fields */
		w = vga->fb.surf.width;
		h = vga->fb.surf.height;
	}
	ret = fb_resize(&vga->fb, w, h);
	if (ret < 0) {
		vga_invalidate(vga);	/* out of memory: try the whole frame again next time */
		goto out_unlock;
	}
	full |= ret > 0 || kind != vga->mode_kind;
	vga->mode_kind = kind;
	render(vga, kind, &g, full, font);
	ret = 0;
out_unlock:
	pthread_mutex_unlock(&vga->display_lock);
	return ret;
}

const struct surface *display_get_surface(struct vga *vga)
{
	return &vga->fb.surf;
}

unsigned display_take_damage(struct vga *vga, struct display_rect *rects, unsigned max)
{
	unsigned n;

	pthread_mutex_lock(&vga->display_lock);
	n = fb_take_damage(&vga->fb, rects, max);
	pthread_mutex_unlock(&vga->display_lock);
	return n;
}

uint64_t display_generation(struct vga *vga)
{
	uint64_t gen;

	pthread_mutex_lock(&vga->display_lock);
	gen = vga->fb.generation;
	pthread_mutex_unlock(&vga->display_lock);
	return gen;
}
