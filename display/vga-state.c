// SPDX-License-Identifier: GPL-2.0-or-later
/* VGA snapshot state: every register, latches, DAC, DISPI, EDID and the used part of VRAM. */
#include "vga-private.h"
#include "vga-state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

_Static_assert(VGA_STATE_DISPI_REGS == VBE_NREGS, "DISPI register count");

/* VRAM up to the end of its last page holding a non-zero byte: untouched VRAM is zero. */
static uint64_t vram_used(const struct vga *vga)
{
	const uint64_t *w = (const uint64_t *)vga->vram;
	uint64_t n = vga->vram_size / 8;

	while (n && !w[n - 1])
		n--;
	return (n * 8 + VGA_PAGE_SIZE - 1) / VGA_PAGE_SIZE * VGA_PAGE_SIZE;
}

static void regs_save(const struct vga *vga, struct vga_state *s)
{
	const struct vga_regs *r = &vga->r;

	s->misc = r->misc;
	s->ar_index = r->ar_index;
	s->pel_mask = r->pel_mask;
	memcpy(s->sr, r->sr, sizeof(s->sr));
	memcpy(s->gr, r->gr, sizeof(s->gr));
	memcpy(s->cr, r->cr, sizeof(s->cr));
	memcpy(s->ar, r->ar, sizeof(s->ar));
	memcpy(s->dac, r->dac, sizeof(s->dac));
	memcpy(s->dispi, r->dispi, sizeof(s->dispi));
	s->sr_index = vga->sr_index;
	s->gr_index = vga->gr_index;
	s->cr_index = vga->cr_index;
	s->ar_data_next = vga->ar_data_next;
	s->feature = vga->feature;
	s->vga_enable = vga->vga_enable;
	s->st01 = vga->st01;
	memcpy(s->latch, vga->latch, sizeof(s->latch));
	s->dac_read_index = vga->dac_read_index;
	s->dac_write_index = vga->dac_write_index;
	s->dac_sub = vga->dac_sub;
	s->dac_state = vga->dac_state;
	memcpy(s->dac_buf, vga->dac_buf, sizeof(s->dac_buf));
	s->dispi_index = vga->dispi_index;
	s->dispi_lo = vga->dispi_lo;
	s->dispi_lo_pending = vga->dispi_lo_pending;
	memcpy(s->edid, vga->edid, sizeof(s->edid));
}

int vga_save(struct vga *vga, void **blob, size_t *len)
{
	struct vga_state *s;
	uint64_t used;

	pthread_mutex_lock(&vga->lock);
	used = vram_used(vga);
	s = calloc(1, sizeof(*s) + used);
	if (!s) {
		pthread_mutex_unlock(&vga->lock);
		return -ENOMEM;
	}
	s->version = VGA_STATE_VERSION;
	s->vram_len = (uint32_t)used;	/* VRAM is at most 256 MiB */
	s->vram_size = vga->vram_size;
	regs_save(vga, s);
	memcpy(s + 1, vga->vram, used);
	pthread_mutex_unlock(&vga->lock);
	*blob = s;
	*len = sizeof(*s) + used;
	return 0;
}

/* ---- Load ------------------------------------------------------------------------------ */

static bool flags_ok(const struct vga_state *s)
{
	const char *bad = NULL;

	if (s->sr_index > 7)
		bad = "sequencer index";
	else if (s->gr_index > 15)
		bad = "graphics controller index";
	else if (s->ar_index & ~0x3f)
		bad = "attribute index";
	else if (s->ar_data_next > 1 || s->vga_enable > 1 || s->dispi_lo_pending > 1)
		bad = "flip-flop, enable or DISPI latch flag";
	else if (s->st01 & ~0x09)
		bad = "input status 1";
	else if (s->dac_sub > 2 || (s->dac_state != 0 && s->dac_state != 3))
		bad = "DAC access state";
	if (bad)
		vmm_warn("snapshot: vga: %s out of range", bad);
	return !bad;
}

/* VESA E-EDID 1.4 §3.1: the fixed header; §3.11: the 128 bytes sum to zero. */
static bool edid_ok(const uint8_t *e)
{
	static const uint8_t hdr[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	uint8_t sum = 0;

	for (unsigned i = 0; i < 128; i++)
		sum = (uint8_t)(sum + e[i]);
	if (memcmp(e, hdr, sizeof(hdr)) || sum) {
		vmm_warn("snapshot: vga: EDID has a bad header or checksum");
		return false;
	}
	return true;
}

static void regs_to_live(const struct vga_state *s, struct vga_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->misc = s->misc;
	r->ar_index = s->ar_index;
	r->pel_mask = s->pel_mask;
	memcpy(r->sr, s->sr, sizeof(r->sr));
	memcpy(r->gr, s->gr, sizeof(r->gr));
	memcpy(r->cr, s->cr, sizeof(r->cr));
	memcpy(r->ar, s->ar, sizeof(r->ar));
	memcpy(r->dac, s->dac, sizeof(r->dac));
	memcpy(r->dispi, s->dispi, sizeof(r->dispi));
}

static bool state_ok(const struct vga *vga, const struct vga_state *s, const struct vga_regs *r)
{
	const char *bad;

	if (!flags_ok(s) || !edid_ok(s->edid))
		return false;
	bad = vga_regs_check(r);
	if (!bad)
		bad = vga_vbe_check(vga, r->dispi);
	if (bad) {
		vmm_warn("snapshot: vga: %s", bad);
		return false;
	}
	return true;
}

static void commit(struct vga *vga, const struct vga_state *s, const struct vga_regs *r)
{
	vga->r = *r;
	vga->sr_index = s->sr_index;
	vga->gr_index = s->gr_index;
	vga->cr_index = s->cr_index;
	vga->ar_data_next = s->ar_data_next;
	vga->feature = s->feature;
	vga->vga_enable = s->vga_enable;
	vga->st01 = s->st01;
	memcpy(vga->latch, s->latch, sizeof(vga->latch));
	vga->dac_read_index = s->dac_read_index;
	vga->dac_write_index = s->dac_write_index;
	vga->dac_sub = s->dac_sub;
	vga->dac_state = s->dac_state;
	memcpy(vga->dac_buf, s->dac_buf, sizeof(vga->dac_buf));
	vga->dispi_index = s->dispi_index;
	vga->dispi_lo = s->dispi_lo;
	vga->dispi_lo_pending = s->dispi_lo_pending;
	memcpy(vga->edid, s->edid, sizeof(vga->edid));
}

/* VRAM past the saved part becomes zero; dropping anonymous pages does that cheaply. */
static void vram_restore(struct vga *vga, const uint8_t *src, uint64_t len)
{
	memcpy(vga->vram, src, len);
	if (len < vga->vram_size &&
	    madvise(vga->vram + len, vga->vram_size - len, MADV_DONTNEED))
		memset(vga->vram + len, 0, vga->vram_size - len);
}

int vga_load(struct vga *vga, const void *blob, size_t len)
{
	struct vga_state s;
	struct vga_regs r;

	if (len < sizeof(s)) {
		vmm_warn("snapshot: vga: state of %zu bytes is truncated", len);
		return -EINVAL;
	}
	memcpy(&s, blob, sizeof(s));
	if (s.version != VGA_STATE_VERSION) {
		vmm_warn("snapshot: vga: version %u is not %u", s.version, VGA_STATE_VERSION);
		return -EINVAL;
	}
	if (s.vram_size != vga->vram_size || s.vram_len > s.vram_size ||
	    s.vram_len % VGA_PAGE_SIZE || len - sizeof(s) != s.vram_len) {
		vmm_warn("snapshot: vga: VRAM of %llu bytes (%u saved, %zu present) does not fit "
			 "this card's %llu", (unsigned long long)s.vram_size, s.vram_len,
			 len - sizeof(s), (unsigned long long)vga->vram_size);
		return -EINVAL;
	}
	regs_to_live(&s, &r);
	pthread_mutex_lock(&vga->lock);
	if (!state_ok(vga, &s, &r)) {
		pthread_mutex_unlock(&vga->lock);
		return -EINVAL;
	}
	commit(vga, &s, &r);
	vram_restore(vga, (const uint8_t *)blob + sizeof(s), s.vram_len);
	/* The next display_update() redraws everything: mode, font, every page. */
	memset(vga->dirty, 0xff, vga->dirty_words * sizeof(uint64_t));
	vga->invalidate = true;
	vga->font_dirty = true;
	pthread_mutex_unlock(&vga->lock);
	return 0;
}
