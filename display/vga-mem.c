// SPDX-License-Identifier: GPL-2.0-or-later
/* The legacy window 0xa0000-0xbffff: planar, odd/even and chain-4 access, latches, VBE banks. */
#include "vga-private.h"

/*
 * Memory organisation (IBM VGA Technical Reference, "Graphics Controller" and "Sequencer";
 * FreeVGA "VGA Memory Organization", "Graphics Controller Registers"):
 *
 * VRAM holds the four planes interleaved: byte `o` of plane `p` is vram[o * 4 + p], so one
 * CRTC fetch of address `o` is the 32-bit word at o * 4. A CPU address A (relative to the
 * window GR06 selects) reaches:
 *   chain-4 (SR04 bit 3):         plane A & 3, offset A & ~3 (mode 13h);
 *   odd/even (SR04 bit 2 clear):  planes (A & 1) and (A & 1) + 2, offset A & ~1 (text);
 *   otherwise:                    the planes in the map mask SR02, offset A.
 * Offsets wrap at 64 KiB per plane, as on the IBM VGA. With VBE enabled, BANK * 64 KiB is
 * added to A; at 8 bpp and up the window is then a plain view of VRAM bytes.
 */

struct vga_target {
	uint64_t off;			/* plane offset, or VRAM byte for VBE linear */
	unsigned planes;		/* write: planes to store; read: the plane to return */
	bool linear;
};

static const uint32_t window_base[4] = { 0x00000, 0x00000, 0x10000, 0x18000 };
static const uint32_t window_size[4] = { 0x20000, 0x10000, 0x08000, 0x08000 };

static uint64_t plane_limit(const struct vga *vga)
{
	return vga_vbe_on(&vga->r) ? vga->vram_size / 4 : VGA_PLANE_LEGACY;
}

/* CPU window offset -> address A within the selected map (+ VBE bank), or false. */
static bool window_address(const struct vga *vga, uint64_t off, uint64_t *a)
{
	unsigned map = (vga->r.gr[VGA_GR_MISC] >> 2) & 3;

	if (off < window_base[map] || off - window_base[map] >= window_size[map])
		return false;
	*a = off - window_base[map];
	if (vga_vbe_on(&vga->r))
		*a += (uint64_t)vga->r.dispi[VBE_BANK] * VBE_BANK_SIZE;
	return true;
}

static bool target_in_vram(struct vga *vga, struct vga_target *t, uint64_t a)
{
	uint64_t limit = t->linear ? vga->vram_size : plane_limit(vga);

	if (!vga_vbe_on(&vga->r)) {
		t->off &= VGA_PLANE_LEGACY - 1;
		return true;
	}
	if (t->off < limit)
		return true;
	vga_guest_error(vga, "window access at bank %u offset %#llx is past VRAM",
			vga->r.dispi[VBE_BANK], (unsigned long long)(a & 0xffff));
	return false;
}

static bool write_target(struct vga *vga, uint64_t a, struct vga_target *t)
{
	uint8_t sr4 = vga->r.sr[VGA_SR_MEMMODE], mask = vga->r.sr[VGA_SR_MAP_MASK];

	t->linear = vga_vbe_on(&vga->r) && vga->r.dispi[VBE_BPP] > 4;
	if (t->linear) {
		t->off = a;
	} else if (sr4 & VGA_SR4_CHAIN4) {
		t->off = a & ~3ull;
		t->planes = mask & (1u << (a & 3));
	} else if (!(sr4 & VGA_SR4_ODD_EVEN_OFF)) {
		t->off = a & ~1ull;
		t->planes = mask & ((a & 1) ? 0xa : 0x5);
	} else {
		t->off = a;
		t->planes = mask;
	}
	return target_in_vram(vga, t, a);
}

static bool read_target(struct vga *vga, uint64_t a, struct vga_target *t)
{
	uint8_t sr4 = vga->r.sr[VGA_SR_MEMMODE], rmap = vga->r.gr[VGA_GR_READ_MAP];

	t->linear = vga_vbe_on(&vga->r) && vga->r.dispi[VBE_BPP] > 4;
	if (t->linear) {
		t->off = a;
	} else if (sr4 & VGA_SR4_CHAIN4) {
		t->off = a & ~3ull;
		t->planes = a & 3;
	} else if (vga->r.gr[VGA_GR_MODE] & VGA_GR5_ODD_EVEN) {
		t->off = a & ~1ull;
		t->planes = (rmap & 2) | (a & 1);
	} else {
		t->off = a;
		t->planes = rmap & 3;
	}
	return target_in_vram(vga, t, a);
}

static uint8_t ror8(uint8_t v, unsigned n)
{
	n &= 7;
	return n ? (uint8_t)((v >> n) | (v << (8 - n))) : v;
}

static uint8_t expand_bit(unsigned v, unsigned bit)
{
	return (v >> bit) & 1 ? 0xff : 0x00;
}

/* GR03 bits 4:3: replace, AND, OR or XOR with the latch. */
static uint8_t logical_op(const struct vga *vga, uint8_t data, uint8_t latch)
{
	switch ((vga->r.gr[VGA_GR_ROTATE] >> 3) & 3) {
	case 1:
		return data & latch;
	case 2:
		return data | latch;
	case 3:
		return data ^ latch;
	default:
		return data;
	}
}

/*
 * The graphics controller write path (FreeVGA "Graphics Controller Registers", write
 * modes 0-3): per plane, the data (rotated CPU byte, set/reset, or CPU bits expanded)
 * goes through the logical operation with the latch, then the bit mask picks between
 * that and the latch. Mode 1 stores the latches as they are.
 */
static uint8_t gc_plane_data(const struct vga *vga, unsigned p, uint8_t cpu)
{
	const uint8_t *gr = vga->r.gr;
	uint8_t rotated = ror8(cpu, gr[VGA_GR_ROTATE]), mask = gr[VGA_GR_BIT_MASK], data;

	switch (gr[VGA_GR_MODE] & 3) {
	case 0:
		data = (gr[VGA_GR_ENABLE_SR] >> p) & 1 ? expand_bit(gr[VGA_GR_SET_RESET], p)
						       : rotated;
		break;
	case 1:
		return vga->latch[p];
	case 2:
		data = expand_bit(cpu, p);
		break;
	default:
		data = expand_bit(gr[VGA_GR_SET_RESET], p);
		mask &= rotated;
		break;
	}
	data = logical_op(vga, data, vga->latch[p]);
	return (data & mask) | (vga->latch[p] & ~mask);
}

static void window_write_byte(struct vga *vga, uint64_t off, uint8_t val)
{
	struct vga_target t;
	uint64_t a;

	if (!window_address(vga, off, &a) || !write_target(vga, a, &t))
		return;
	if (t.linear) {
		vga->vram[t.off] = val;
		vga_mark_page(vga, t.off);
		return;
	}
	for (unsigned p = 0; p < 4; p++) {
		if (t.planes & (1u << p))
			vga->vram[t.off * 4 + p] = gc_plane_data(vga, p, val);
	}
	if (t.planes) {
		vga_mark_page(vga, t.off * 4);
		vga->font_dirty |= (t.planes & 4) != 0;
	}
}

/* Read mode 1 (colour compare): 1 where every plane not masked by GR07 matches GR02. */
static uint8_t color_compare(const struct vga *vga)
{
	uint8_t cmp = vga->r.gr[VGA_GR_COLOR_CMP], care = vga->r.gr[VGA_GR_DONT_CARE];
	uint8_t diff = 0;

	for (unsigned p = 0; p < 4; p++)
		if ((care >> p) & 1)
			diff |= vga->latch[p] ^ expand_bit(cmp, p);
	return (uint8_t)~diff;
}

static uint8_t window_read_byte(struct vga *vga, uint64_t off)
{
	struct vga_target t;
	uint64_t a;

	if (!window_address(vga, off, &a) || !read_target(vga, a, &t))
		return 0xff;
	if (t.linear)
		return vga->vram[t.off];
	for (unsigned p = 0; p < 4; p++)
		vga->latch[p] = vga->vram[t.off * 4 + p];
	if (vga->r.gr[VGA_GR_MODE] & 0x08)
		return color_compare(vga);
	return vga->latch[t.planes];
}

static uint64_t window_read(void *opaque, uint64_t off, unsigned size)
{
	struct vga *vga = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&vga->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)window_read_byte(vga, off + i) << (8 * i);
	pthread_mutex_unlock(&vga->lock);
	return v;
}

static void window_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vga *vga = opaque;

	pthread_mutex_lock(&vga->lock);
	for (unsigned i = 0; i < size; i++)
		window_write_byte(vga, off + i, (uint8_t)(val >> (8 * i)));
	pthread_mutex_unlock(&vga->lock);
}

/*
 * vCPU threads, no bus lock held; takes the device lock. A wide access is a sequence of
 * byte cycles, lowest address first, exactly as the 8-bit VGA memory interface sees it.
 */
const struct vmm_io_ops vga_window_ops = {
	.name = "vga-window",
	.read = window_read,
	.write = window_write,
	.min_size = 1,
	.max_size = 8,
};
