// SPDX-License-Identifier: GPL-2.0-or-later
/* VGA register file: sequencer, graphics, CRTC, attribute controller, DAC, misc, status. */
#include "vga-private.h"

#include <string.h>

/*
 * Port map and register behaviour: IBM VGA Technical Reference, "Programming
 * Considerations"; FreeVGA "VGA Registers". Bits a register does not implement read
 * back as 0 (the masks below); an index past the last register reads 0 and ignores
 * writes, as the IBM VGA does.
 */
static const uint8_t sr_mask[8] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0, 0, 0 };
static const uint8_t gr_mask[16] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff };

/* ---- Attribute controller (FreeVGA "Attribute Controller Registers") ----------------- */

static void ar_write(struct vga *vga, uint8_t val)
{
	unsigned idx = vga->r.ar_index & 0x1f;
	uint8_t old;

	vga->ar_data_next = !vga->ar_data_next;
	if (vga->ar_data_next) {
		/* The index write; PAS (bit 5) turns the display on and off. */
		if ((vga->r.ar_index ^ val) & VGA_AR_PAS)
			vga->invalidate = true;
		vga->r.ar_index = val & 0x3f;
		return;
	}
	if (idx >= VGA_AR_COUNT)
		return;
	old = vga->r.ar[idx];
	vga->r.ar[idx] = idx < 0x10 ? (val & 0x3f) : val;
	if (old != vga->r.ar[idx])
		vga->invalidate = true;
}

static uint8_t ar_read_data(struct vga *vga)
{
	unsigned idx = vga->r.ar_index & 0x1f;

	return idx < VGA_AR_COUNT ? vga->r.ar[idx] : 0;
}

/* ---- DAC (IBM VGA TR "Video DAC"; FreeVGA "DAC Registers") -------------------------- */

static uint8_t dac_component_mask(const struct vga *vga)
{
	return (vga->r.dispi[VBE_ENABLE] & VBE_EN_8BIT_DAC) ? 0xff : 0x3f;
}

/* Three writes to 0x3c9 (red, green, blue) load one entry; the index then advances. */
static void dac_write(struct vga *vga, uint8_t val)
{
	uint8_t *e;

	vga->dac_buf[vga->dac_sub++] = val & dac_component_mask(vga);
	if (vga->dac_sub < 3)
		return;
	vga->dac_sub = 0;
	e = vga->r.dac[vga->dac_write_index++];
	if (memcmp(e, vga->dac_buf, 3)) {
		memcpy(e, vga->dac_buf, 3);
		vga->invalidate = true;
	}
}

static uint8_t dac_read(struct vga *vga)
{
	uint8_t v = vga->r.dac[vga->dac_read_index][vga->dac_sub++];

	if (vga->dac_sub == 3) {
		vga->dac_sub = 0;
		vga->dac_read_index++;
	}
	return v;
}

/* ---- CRTC (FreeVGA "CRT Controller Registers") ------------------------------------ */

static void crtc_write(struct vga *vga, uint8_t val)
{
	unsigned idx = vga->cr_index;

	if (idx >= VGA_CR_COUNT)
		return;
	/* CR11 bit 7 write-protects CR00-CR07, except the line compare bit 8 in CR07. */
	if (idx <= VGA_CR_OVERFLOW && (vga->r.cr[VGA_CR_VRETRACE_END] & 0x80)) {
		if (idx != VGA_CR_OVERFLOW)
			return;
		val = (vga->r.cr[idx] & ~0x10) | (val & 0x10);
	}
	if (vga->r.cr[idx] != val) {
		vga->r.cr[idx] = val;
		vga->invalidate = true;
	}
}

/* ---- Sequencer and graphics controller -------------------------------------------- */

static void sr_write(struct vga *vga, uint8_t val)
{
	unsigned idx = vga->sr_index;
	uint8_t v = val & sr_mask[idx];

	/* The map mask only steers CPU writes; the other registers change the picture. */
	if (idx != VGA_SR_MAP_MASK && vga->r.sr[idx] != v)
		vga->invalidate = true;
	vga->r.sr[idx] = v;
}

static void gr_write(struct vga *vga, uint8_t val)
{
	unsigned idx = vga->gr_index;
	uint8_t v = val & gr_mask[idx];
	uint8_t changed = vga->r.gr[idx] ^ v;

	if (idx == VGA_GR_MODE && (changed & (VGA_GR5_INTERLEAVE | VGA_GR5_256)))
		vga->invalidate = true;
	if (idx == VGA_GR_MISC && changed)
		vga->invalidate = true;
	vga->r.gr[idx] = v;
}

/*
 * Input status 1 (0x3ba/0x3da): bit 0 display disabled, bit 3 vertical retrace. Both
 * toggle on every read, so a guest polling for retrace start and end always makes
 * progress without a timer. Reading it also resets the attribute flip-flop.
 */
static uint8_t status1_read(struct vga *vga)
{
	vga->st01 ^= 0x09;
	vga->ar_data_next = false;
	return vga->st01;
}

/* The CRTC and status ports live at 0x3bx or 0x3dx, per misc output bit 0. */
static bool port_decoded(const struct vga *vga, unsigned port)
{
	bool colour = vga->r.misc & VGA_MISC_COLOR;

	if (port >= 0x3b0 && port <= 0x3bf)
		return !colour;
	if (port >= 0x3d0 && port <= 0x3df)
		return colour;
	return true;
}

static uint8_t crtc_status_read(struct vga *vga, unsigned low)
{
	switch (low) {
	case 0x4:
		return vga->cr_index;
	case 0x5:
		return vga->cr_index < VGA_CR_COUNT ? vga->r.cr[vga->cr_index] : 0;
	case 0xa:
		return status1_read(vga);
	default:
		return 0xff;
	}
}

static uint8_t attr_seq_read(struct vga *vga, unsigned port)
{
	switch (port) {
	case 0x3c0:
		return vga->r.ar_index;
	case 0x3c1:
		return ar_read_data(vga);
	case 0x3c2:
		return 0;			/* input status 0: no switch sense, no IRQ */
	case 0x3c3:
		return vga->vga_enable;
	case 0x3c4:
		return vga->sr_index;
	case 0x3c5:
		return vga->r.sr[vga->sr_index];
	default:
		return 0xff;
	}
}

uint8_t vga_port_read(struct vga *vga, unsigned port)
{
	if (!port_decoded(vga, port))
		return 0xff;
	if (port < 0x3c0 || port >= 0x3d0)
		return crtc_status_read(vga, port & 0xf);
	switch (port) {
	case 0x3c6:
		return vga->r.pel_mask;
	case 0x3c7:
		return vga->dac_state;
	case 0x3c8:
		return vga->dac_write_index;
	case 0x3c9:
		return dac_read(vga);
	case 0x3ca:
		return vga->feature;
	case 0x3cc:
		return vga->r.misc;
	case 0x3ce:
		return vga->gr_index;
	case 0x3cf:
		return vga->r.gr[vga->gr_index];
	default:
		return attr_seq_read(vga, port);
	}
}

static void crtc_status_write(struct vga *vga, unsigned low, uint8_t val)
{
	if (low == 0x4)
		vga->cr_index = val;
	else if (low == 0x5)
		crtc_write(vga, val);
	else if (low == 0xa)
		vga->feature = val;		/* feature control */
}

static void dac_port_write(struct vga *vga, unsigned port, uint8_t val)
{
	switch (port) {
	case 0x3c6:
		if (vga->r.pel_mask != val)
			vga->invalidate = true;
		vga->r.pel_mask = val;
		break;
	case 0x3c7:
		vga->dac_read_index = val;
		vga->dac_sub = 0;
		vga->dac_state = 3;
		break;
	case 0x3c8:
		vga->dac_write_index = val;
		vga->dac_sub = 0;
		vga->dac_state = 0;
		break;
	case 0x3c9:
		dac_write(vga, val);
		break;
	}
}

void vga_port_write(struct vga *vga, unsigned port, uint8_t val)
{
	if (!port_decoded(vga, port))
		return;
	if (port < 0x3c0 || port >= 0x3d0) {
		crtc_status_write(vga, port & 0xf, val);
		return;
	}
	switch (port) {
	case 0x3c0:
		ar_write(vga, val);
		break;
	case 0x3c2:
		if (vga->r.misc != val)
			vga->invalidate = true;
		vga->r.misc = val;
		break;
	case 0x3c3:
		vga->vga_enable = val & 1;
		break;
	case 0x3c4:
		vga->sr_index = val & 7;
		break;
	case 0x3c5:
		sr_write(vga, val);
		break;
	case 0x3ce:
		vga->gr_index = val & 0xf;
		break;
	case 0x3cf:
		gr_write(vga, val);
		break;
	default:
		dac_port_write(vga, port, val);	/* 0x3c6-0x3c9; 0x3c1 writes are ignored */
	}
}

static bool masked(const uint8_t *v, const uint8_t *mask, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] & ~mask[i])
			return false;
	return true;
}

const char *vga_regs_check(const struct vga_regs *r)
{
	uint8_t ar_mask[32] = { 0 }, cr_mask[64] = { 0 };

	memset(ar_mask, 0x3f, 0x10);		/* palette registers: 6 bits */
	memset(ar_mask + 0x10, 0xff, VGA_AR_COUNT - 0x10);
	memset(cr_mask, 0xff, VGA_CR_COUNT);
	if (!masked(r->sr, sr_mask, 8))
		return "sequencer register with unimplemented bits";
	if (!masked(r->gr, gr_mask, 16))
		return "graphics controller register with unimplemented bits";
	if (!masked(r->ar, ar_mask, 32))
		return "attribute register with unimplemented bits";
	if (!masked(r->cr, cr_mask, 64))
		return "CRTC register past the last one";
	return NULL;
}

void vga_ports_reset(struct vga *vga)
{
	uint16_t dispi[VBE_NREGS];

	memcpy(dispi, vga->r.dispi, sizeof(dispi));
	memset(&vga->r, 0, sizeof(vga->r));
	memcpy(vga->r.dispi, dispi, sizeof(dispi));
	vga->r.pel_mask = 0xff;
	vga->sr_index = vga->gr_index = vga->cr_index = 0;
	vga->ar_data_next = false;
	vga->feature = vga->vga_enable = vga->st01 = 0;
	memset(vga->latch, 0, sizeof(vga->latch));
	vga->dac_read_index = vga->dac_write_index = vga->dac_sub = vga->dac_state = 0;
	vga->invalidate = true;
	vga->font_dirty = true;
}

/* ---- PIO handler: 0x3b0-0x3df, byte-wide (the bus splits words, low port first) ----- */

static uint64_t vga_pio_read(void *opaque, uint64_t off, unsigned size)
{
	struct vga *vga = opaque;
	uint8_t v;

	pthread_mutex_lock(&vga->lock);
	v = vga_port_read(vga, 0x3b0 + (unsigned)off);
	pthread_mutex_unlock(&vga->lock);
	return v;
}

static void vga_pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vga *vga = opaque;

	pthread_mutex_lock(&vga->lock);
	vga_port_write(vga, 0x3b0 + (unsigned)off, (uint8_t)val);
	pthread_mutex_unlock(&vga->lock);
}

/* vCPU threads, no bus lock held; takes the device lock. */
const struct vmm_io_ops vga_pio_ops = {
	.name = "vga",
	.read = vga_pio_read,
	.write = vga_pio_write,
	.min_size = 1,
	.max_size = 1,
};
