/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VGA's saved state layout (vga-state.c), for the loader and its tests. */
#ifndef VESSEL_VGA_STATE_H
#define VESSEL_VGA_STATE_H

#include <stdint.h>

#define VGA_STATE_VERSION	1
#define VGA_STATE_DISPI_REGS	11	/* Bochs DISPI registers 0..0xa */

/* Followed by vram_len bytes: VRAM from offset 0; the rest of VRAM is zero. */
struct vga_state {
	uint32_t version;
	uint32_t vram_len;		/* a multiple of 4 KiB, at most vram_size */
	uint64_t vram_size;		/* must match the device loading it */

	uint8_t misc, ar_index, pel_mask, sr_index, gr_index, cr_index, ar_data_next, feature;
	uint8_t vga_enable, st01, dac_read_index, dac_write_index, dac_sub, dac_state;
	uint8_t dispi_lo, dispi_lo_pending;
	uint8_t latch[4], dac_buf[3], pad0;
	uint16_t dispi[VGA_STATE_DISPI_REGS], dispi_index;
	uint8_t sr[8], gr[16], cr[64], ar[32];
	uint8_t dac[256][3];
	uint8_t edid[128];
};

_Static_assert(sizeof(struct vga_state) == 1080, "vga_state layout");

#endif
