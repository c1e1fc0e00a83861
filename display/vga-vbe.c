// SPDX-License-Identifier: GPL-2.0-or-later
/* Bochs DISPI (VBE) registers: ID handshake, GETCAPS, geometry checked against VRAM, banks. */
#include "vga-private.h"

#include <string.h>

/*
 * The interface (Bochs' DISPI as described by bochs-vbe.h and platform-facts §2): index
 * at 0x1ce, 16-bit data at 0x1cf, or flat at BAR2 + 0x500 + index * 2. The guest owns
 * XRES/YRES/BPP/VIRT_WIDTH/X_OFFSET/Y_OFFSET; every value is checked so that the visible
 * frame lies wholly inside VRAM (clamped, with a guest error), because the renderer and
 * the banked window trust these registers (CVE-2016-3712 was this check missing).
 * VIRT_HEIGHT and VIDEO_MEMORY_64K are computed.
 */

static bool bpp_valid(unsigned bpp)
{
	return bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

/* Bytes per line for a virtual width (plane bytes at 4 bpp) and what they must fit in. */
static uint64_t line_bytes(unsigned bpp, unsigned vw)
{
	return bpp == 4 ? vw / 8u : (uint64_t)vw * ((bpp + 7) / 8);
}

static uint64_t frame_budget(const struct vga *vga, unsigned bpp)
{
	return bpp == 4 ? vga->vram_size / 4 : vga->vram_size;
}

static unsigned clamp_u(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Resolution and depth: multiples of 8 pixels wide (as Bochs requires), within GETCAPS. */
static void fixup_mode(struct vga *vga, uint16_t *d)
{
	unsigned x = d[VBE_XRES] & ~7u, y = d[VBE_YRES];

	if (!bpp_valid(d[VBE_BPP])) {
		vga_guest_error(vga, "DISPI bpp %u unsupported, using 8", d[VBE_BPP]);
		d[VBE_BPP] = 8;
	}
	if (x != d[VBE_XRES] || x < 8 || x > VGA_VBE_MAX_XRES || !y || y > VGA_VBE_MAX_YRES)
		vga_guest_error(vga, "DISPI resolution %ux%u clamped", d[VBE_XRES], d[VBE_YRES]);
	d[VBE_XRES] = (uint16_t)clamp_u(x, 8, VGA_VBE_MAX_XRES);
	d[VBE_YRES] = (uint16_t)clamp_u(y, 1, VGA_VBE_MAX_YRES);
}

/*
 * Virtual width at least XRES; if XRES x YRES does not fit, fewer lines are shown (the
 * guest asked for more than the card has). Then the offsets keep the frame inside.
 */
static void fixup_virtual(struct vga *vga, uint16_t *d)
{
	unsigned bpp = d[VBE_BPP], vw = d[VBE_VIRT_WIDTH] & ~7u;
	uint64_t budget = frame_budget(vga, bpp), pitch, vh;

	if (vw < d[VBE_XRES])
		vw = d[VBE_XRES];
	pitch = line_bytes(bpp, vw);
	if (pitch * d[VBE_YRES] > budget) {
		vga_guest_error(vga, "DISPI virtual width %u does not fit in VRAM", vw);
		vw = d[VBE_XRES];
		pitch = line_bytes(bpp, vw);
	}
	if (pitch * d[VBE_YRES] > budget) {
		vga_guest_error(vga, "DISPI %ux%ux%u does not fit in VRAM", d[VBE_XRES],
				d[VBE_YRES], bpp);
		d[VBE_YRES] = (uint16_t)(budget / pitch);
	}
	vh = budget / pitch;
	d[VBE_VIRT_WIDTH] = (uint16_t)vw;
	d[VBE_VIRT_HEIGHT] = (uint16_t)(vh > 0xffff ? 0xffff : vh);
	if (d[VBE_X_OFFSET] > vw - d[VBE_XRES] ||
	    d[VBE_Y_OFFSET] > d[VBE_VIRT_HEIGHT] - d[VBE_YRES]) {
		vga_guest_error(vga, "DISPI offset %u,%u clamped", d[VBE_X_OFFSET],
				d[VBE_Y_OFFSET]);
		d[VBE_X_OFFSET] = (uint16_t)clamp_u(d[VBE_X_OFFSET], 0, vw - d[VBE_XRES]);
		d[VBE_Y_OFFSET] = (uint16_t)clamp_u(d[VBE_Y_OFFSET], 0,
						    d[VBE_VIRT_HEIGHT] - d[VBE_YRES]);
	}
}

static void fixup(struct vga *vga)
{
	fixup_mode(vga, vga->r.dispi);
	fixup_virtual(vga, vga->r.dispi);
	vga->invalidate = true;
}

/* Enabled: what fixup() leaves (ENABLE write); disabled: raw values the guest wrote. */
static const char *vbe_mode_check(const struct vga *vga, const uint16_t *d)
{
	unsigned bpp = d[VBE_BPP], x = d[VBE_XRES], y = d[VBE_YRES], vw = d[VBE_VIRT_WIDTH];
	uint64_t budget = frame_budget(vga, bpp), pitch, vh;

	if (!bpp_valid(bpp) || x % 8 || x < 8 || x > VGA_VBE_MAX_XRES || !y ||
	    y > VGA_VBE_MAX_YRES)
		return "DISPI mode not one the card offers";
	pitch = line_bytes(bpp, vw);
	if (vw % 8 || vw < x || pitch * y > budget)
		return "DISPI virtual width does not fit in VRAM";
	vh = budget / pitch;
	if (d[VBE_VIRT_HEIGHT] != (vh > 0xffff ? 0xffff : vh))
		return "DISPI virtual height is not the computed one";
	if (d[VBE_X_OFFSET] > vw - x || d[VBE_Y_OFFSET] > d[VBE_VIRT_HEIGHT] - y)
		return "DISPI offset puts the frame past VRAM";
	return NULL;
}

const char *vga_vbe_check(const struct vga *vga, const uint16_t *d)
{
	const uint16_t en_bits = VBE_EN_ENABLED | VBE_EN_GETCAPS | VBE_EN_8BIT_DAC | VBE_EN_LFB |
				 VBE_EN_NOCLEARMEM;

	if (d[VBE_ID] < VBE_ID0 || d[VBE_ID] > VBE_ID5)
		return "DISPI ID unknown";
	if (d[VBE_ENABLE] & ~en_bits)
		return "DISPI enable has undefined bits";
	if (d[VBE_BANK] >= vga->vram_size / VBE_BANK_SIZE)
		return "DISPI bank past VRAM";
	if (d[VBE_VIDEO_MEMORY_64K])
		return "DISPI video memory register is read-only";
	return (d[VBE_ENABLE] & VBE_EN_ENABLED) ? vbe_mode_check(vga, d) : NULL;
}

bool vga_vbe_geometry(const struct vga *vga, const struct vga_regs *r, struct vga_vbe_geom *g)
{
	const uint16_t *d = r->dispi;
	uint64_t end;

	if (!(d[VBE_ENABLE] & VBE_EN_ENABLED))
		return false;
	g->xres = d[VBE_XRES];
	g->yres = d[VBE_YRES];
	g->bpp = d[VBE_BPP];
	g->bytes_pp = (g->bpp + 7) / 8;
	g->pitch = line_bytes(g->bpp, d[VBE_VIRT_WIDTH]);
	g->start = g->bpp == 4 ? (uint64_t)d[VBE_Y_OFFSET] * g->pitch + d[VBE_X_OFFSET] / 8u
			       : (uint64_t)d[VBE_Y_OFFSET] * g->pitch +
				 (uint64_t)d[VBE_X_OFFSET] * g->bytes_pp;
	/* Belt and braces: the registers were fixed up, but the renderer re-checks. */
	end = g->start + (g->yres - 1) * g->pitch + line_bytes(g->bpp, g->xres);
	return g->xres && g->yres && bpp_valid(g->bpp) && end <= frame_budget(vga, g->bpp);
}

/* ENABLE (Bochs): turning it on resets the virtual screen and bank, and clears VRAM. */
static void enable_write(struct vga *vga, uint16_t val)
{
	uint16_t *d = vga->r.dispi;
	bool was_on = d[VBE_ENABLE] & VBE_EN_ENABLED;
	struct vga_vbe_geom g;

	d[VBE_ENABLE] = val & (VBE_EN_ENABLED | VBE_EN_GETCAPS | VBE_EN_8BIT_DAC | VBE_EN_LFB |
			       VBE_EN_NOCLEARMEM);
	vga->invalidate = true;
	if (!(val & VBE_EN_ENABLED)) {
		d[VBE_BANK] = 0;
		return;
	}
	if (was_on) {
		fixup(vga);
		return;
	}
	d[VBE_VIRT_WIDTH] = d[VBE_XRES];
	d[VBE_X_OFFSET] = d[VBE_Y_OFFSET] = 0;
	d[VBE_BANK] = 0;
	fixup(vga);
	if (!(val & VBE_EN_NOCLEARMEM) && vga_vbe_geometry(vga, &vga->r, &g)) {
		uint64_t len = g.pitch * g.yres * (g.bpp == 4 ? 4 : 1);

		memset(vga->vram, 0, len);
		for (uint64_t off = 0; off < len; off += VGA_PAGE_SIZE)
			vga_mark_page(vga, off);
	}
}

static void bank_write(struct vga *vga, uint16_t val)
{
	uint64_t banks = vga->vram_size / VBE_BANK_SIZE;

	if (val >= banks) {
		vga_guest_error(vga, "DISPI bank %u past VRAM (%llu banks), ignored", val,
				(unsigned long long)banks);
		return;
	}
	vga->r.dispi[VBE_BANK] = val;
}

void vga_vbe_write(struct vga *vga, unsigned index, uint16_t val)
{
	uint16_t *d = vga->r.dispi;

	switch (index) {
	case VBE_ID:
		if (val >= VBE_ID0 && val <= VBE_ID5)
			d[VBE_ID] = val;
		else
			vga_guest_error(vga, "DISPI ID %#x unknown, ignored", val);
		return;
	case VBE_ENABLE:
		enable_write(vga, val);
		return;
	case VBE_BANK:
		bank_write(vga, val);
		return;
	case VBE_XRES: case VBE_YRES: case VBE_BPP: case VBE_VIRT_WIDTH:
	case VBE_X_OFFSET: case VBE_Y_OFFSET: case VBE_VIRT_HEIGHT:
		d[index] = val;
		if (d[VBE_ENABLE] & VBE_EN_ENABLED)
			fixup(vga);		/* a mode change or a pan on the fly */
		return;
	default:
		vga_guest_error(vga, "DISPI write %#x to register %#x ignored", val, index);
	}
}

uint16_t vga_vbe_read(struct vga *vga, unsigned index)
{
	const uint16_t *d = vga->r.dispi;
	bool caps = d[VBE_ENABLE] & VBE_EN_GETCAPS;

	switch (index) {
	case VBE_XRES:
		return caps ? VGA_VBE_MAX_XRES : d[index];
	case VBE_YRES:
		return caps ? VGA_VBE_MAX_YRES : d[index];
	case VBE_BPP:
		return caps ? VGA_VBE_MAX_BPP : d[index];
	case VBE_VIDEO_MEMORY_64K:
		return (uint16_t)(vga->vram_size / VBE_BANK_SIZE);
	default:
		return index < VBE_NREGS ? d[index] : 0;
	}
}

void vga_vbe_reset(struct vga *vga)
{
	uint16_t *d = vga->r.dispi;

	memset(d, 0, sizeof(vga->r.dispi));
	d[VBE_ID] = VBE_ID5;
	d[VBE_XRES] = 640;
	d[VBE_YRES] = 480;
	d[VBE_BPP] = 8;
	vga->dispi_index = 0;
	vga->dispi_lo_pending = false;
}

/* ---- Ports 0x1ce-0x1d0 ---------------------------------------------------------------- */

/*
 * A word access to 0x1cf (the data port) is misaligned for our bus, which hands it over
 * as two byte cycles: 0x1cf (low byte) then 0x1d0 (high byte). The low byte is held
 * until its high byte arrives; a lone byte at 0x1cf is committed when anything else
 * touches the interface (vga_vbe_flush), and a lone byte at 0x1d0 (the non-x86 data port)
 * is a data write of its own.
 */
void vga_vbe_flush(struct vga *vga)
{
	if (!vga->dispi_lo_pending)
		return;
	vga->dispi_lo_pending = false;
	vga_vbe_write(vga, vga->dispi_index, vga->dispi_lo);
}

static void dispi_port_write(struct vga *vga, unsigned off, uint16_t val, unsigned size)
{
	if (off == 1 && size == 1) {
		vga_vbe_flush(vga);
		vga->dispi_lo = (uint8_t)val;
		vga->dispi_lo_pending = true;
		return;
	}
	if (off == 2 && vga->dispi_lo_pending) {
		vga->dispi_lo_pending = false;
		vga_vbe_write(vga, vga->dispi_index, (uint16_t)(vga->dispi_lo | (val & 0xff) << 8));
		return;
	}
	vga_vbe_flush(vga);
	if (off == 0)
		vga->dispi_index = size == 1 ? (uint8_t)val : val;
	else
		vga_vbe_write(vga, vga->dispi_index, val);
}

static uint64_t dispi_pio_read(void *opaque, uint64_t off, unsigned size)
{
	struct vga *vga = opaque;
	uint16_t v;

	pthread_mutex_lock(&vga->lock);
	vga_vbe_flush(vga);
	if (off == 0) {
		v = vga->dispi_index;
	} else {
		v = vga_vbe_read(vga, vga->dispi_index);
		if (off == 2 && size == 1)
			v >>= 8;	/* the high half of a word read at 0x1cf */
	}
	pthread_mutex_unlock(&vga->lock);
	return v;
}

static void dispi_pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vga *vga = opaque;

	pthread_mutex_lock(&vga->lock);
	dispi_port_write(vga, (unsigned)off, (uint16_t)val, size);
	pthread_mutex_unlock(&vga->lock);
}

/* vCPU threads, no bus lock held; takes the device lock. Registered at 0x1ce, 3 ports. */
const struct vmm_io_ops vga_dispi_pio_ops = {
	.name = "vga-dispi",
	.read = dispi_pio_read,
	.write = dispi_pio_write,
	.min_size = 1,
	.max_size = 2,
};
