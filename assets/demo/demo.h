/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared constants of the demo disk's boot program (boot.S, video.S, draw.S). The layout
 * and colours are described again, independently, in check-demo.py: keep both in step.
 */
#ifndef VESSEL_DEMO_H
#define VESSEL_DEMO_H

/* Sectors after the boot sector that boot.S loads to 0000:7E00 (meson checks the size). */
#ifndef LOAD_SECTORS
#define LOAD_SECTORS	32
#endif
#define STAGE2_ADDR	0x7e00
#define STAGE2_MAGIC	0x4c535356	/* "VSSL", first dword after the boot sector */

/* Scratch buffers in free conventional memory (below the 0x7C00 stack). */
#define VBE_INFO	0x1000		/* VBE 3.0 §4.3 controller information, 512 bytes */
#define MODE_INFO	0x1200		/* VBE 3.0 §4.4 mode information, 256 bytes */

/* Colours, 0xRRGGBB. The background is a vertical blend of the first two. */
#define RGB_GRAD_TOP	0x0b1a3a
#define RGB_GRAD_BOTTOM	0x2f8f9d
#define RGB_SHADOW	0x061024
#define RGB_BORDER	0x1d3557
#define RGB_PANEL	0xf4f7fb
#define RGB_ACCENT	0xe76f51
#define RGB_TITLE	0x1d3557
#define RGB_TITLE_SHADE	0xa8c5da
#define RGB_TEXT	0x34495e
#define RGB_TEXT_DIM	0x7a8a99

/* Index of each colour in draw.S's colour tables (8 bpp: palette index 64 + n). */
#define C_SHADOW	0
#define C_BORDER	1
#define C_PANEL		2
#define C_ACCENT	3
#define C_TITLE		4
#define C_TITLE_SHADE	5
#define C_TEXT		6
#define C_TEXT_DIM	7
#define N_COLOURS	8
#define GRAD_STEPS_8BPP	64		/* palette entries 0..63 hold the 8 bpp gradient */

#endif
