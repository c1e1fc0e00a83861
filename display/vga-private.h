/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VGA internals shared by the register, memory, VBE, EDID and render files. */
#ifndef VESSEL_VGA_PRIVATE_H
#define VESSEL_VGA_PRIVATE_H

#include <pthread.h>

#include "framebuffer.h"
#include "pci.h"
#include "vga.h"

/* ---- Register names (IBM VGA Technical Reference; FreeVGA "VGA Registers") ---------- */

#define VGA_MISC_COLOR		0x01	/* I/O address select: CRTC at 0x3d4, status at 0x3da */

#define VGA_SR_CLOCK		0x01	/* clocking mode */
#define  VGA_SR1_8DOT		0x01
#define  VGA_SR1_HALF_DOT	0x08	/* dot clock / 2: 40-column and 320-pixel modes */
#define  VGA_SR1_SCREEN_OFF	0x20
#define VGA_SR_MAP_MASK		0x02
#define VGA_SR_CHARMAP		0x03
#define VGA_SR_MEMMODE		0x04
#define  VGA_SR4_ODD_EVEN_OFF	0x04	/* 1: sequential, 0: CPU odd/even */
#define  VGA_SR4_CHAIN4		0x08

#define VGA_GR_SET_RESET	0x00
#define VGA_GR_ENABLE_SR	0x01
#define VGA_GR_COLOR_CMP	0x02
#define VGA_GR_ROTATE		0x03	/* bits 2:0 count, 4:3 logical op */
#define VGA_GR_READ_MAP		0x04
#define VGA_GR_MODE		0x05	/* 1:0 write mode, 3 read mode, 4 odd/even, 6:5 shift */
#define  VGA_GR5_ODD_EVEN	0x10
#define  VGA_GR5_INTERLEAVE	0x20	/* CGA 2-bit pixels */
#define  VGA_GR5_256		0x40
#define VGA_GR_MISC		0x06	/* 0 graphics, 3:2 memory map */
#define  VGA_GR6_GRAPHICS	0x01
#define VGA_GR_DONT_CARE	0x07
#define VGA_GR_BIT_MASK		0x08

#define VGA_CR_HDE		0x01	/* horizontal display end: columns - 1 */
#define VGA_CR_OVERFLOW		0x07
#define VGA_CR_PRESET_ROW	0x08
#define VGA_CR_MAX_SCAN		0x09	/* 4:0 max scan line, 6 LC bit 9, 7 double scan */
#define VGA_CR_CURSOR_START	0x0a	/* 4:0 start, 5 cursor off */
#define VGA_CR_CURSOR_END	0x0b
#define VGA_CR_START_HI		0x0c
#define VGA_CR_START_LO		0x0d
#define VGA_CR_CURSOR_HI	0x0e
#define VGA_CR_CURSOR_LO	0x0f
#define VGA_CR_VRETRACE_END	0x11	/* bit 7 protects CR00-CR07 */
#define VGA_CR_VDE		0x12
#define VGA_CR_OFFSET		0x13
#define VGA_CR_UNDERLINE	0x14	/* 4:0 location, 6 doubleword addressing */
#define VGA_CR_MODE		0x17	/* 0 no MA13 subst., 1 no MA14 subst., 5 wrap, 6 byte */
#define VGA_CR_LINE_COMPARE	0x18
#define VGA_CR_COUNT		0x19

#define VGA_AR_MODE		0x10	/* 0 graphics, 2 line graphics, 3 blink, 6 8-bit, 7 P54 */
#define VGA_AR_OVERSCAN		0x11
#define VGA_AR_PLANE_ENABLE	0x12
#define VGA_AR_HPAN		0x13
#define VGA_AR_COLOR_SELECT	0x14
#define VGA_AR_COUNT		0x15
#define VGA_AR_PAS		0x20	/* in the index: palette address source (video on) */

/* ---- Bochs DISPI (bochs-vbe.h; Bochs' docs/vbe) --------------------------------------- */

#define VBE_ID			0x0
#define VBE_XRES		0x1
#define VBE_YRES		0x2
#define VBE_BPP			0x3
#define VBE_ENABLE		0x4
#define VBE_BANK		0x5
#define VBE_VIRT_WIDTH		0x6
#define VBE_VIRT_HEIGHT		0x7
#define VBE_X_OFFSET		0x8
#define VBE_Y_OFFSET		0x9
#define VBE_VIDEO_MEMORY_64K	0xa
#define VBE_NREGS		0xb

#define VBE_ID0			0xb0c0
#define VBE_ID5			0xb0c5
#define VBE_EN_ENABLED		0x01
#define VBE_EN_GETCAPS		0x02
#define VBE_EN_8BIT_DAC		0x20
#define VBE_EN_LFB		0x40
#define VBE_EN_NOCLEARMEM	0x80
#define VBE_BANK_SIZE		0x10000u

#define VGA_PLANE_LEGACY	0x10000u	/* 64 KiB per plane in standard modes */
#define VGA_LINE_MAX		FB_MAX_WIDTH

/* Everything the renderer needs, copied under the lock at each display_update(). */
struct vga_regs {
	uint8_t misc;
	uint8_t sr[8];
	uint8_t gr[16];
	uint8_t cr[64];
	uint8_t ar[32];
	uint8_t ar_index;		/* with VGA_AR_PAS */
	uint8_t pel_mask;
	uint8_t dac[256][3];
	uint16_t dispi[VBE_NREGS];
};

struct vga {
	pthread_mutex_t lock;		/* registers, latches, dirty bitmap */
	struct vga_config cfg;
	struct vga_host host;
	struct pci_dev pci;
	uint8_t *vram;
	uint64_t vram_size;
	uint8_t edid[128];
	bool pio_vga, pio_dispi, mmio_window;	/* what vga_free must unregister */

	/* Registers (lock). */
	struct vga_regs r;
	uint8_t sr_index, gr_index, cr_index;
	bool ar_data_next;		/* attribute flip-flop: next 0x3c0 write is data */
	uint8_t feature, vga_enable, st01;
	uint8_t latch[4];
	uint8_t dac_read_index, dac_write_index, dac_sub, dac_state;
	uint8_t dac_buf[3];
	uint16_t dispi_index;
	uint8_t dispi_lo;		/* low byte of a word split at the odd port 0x1cf */
	bool dispi_lo_pending;

	/* Dirty state (lock): one bit per VRAM page, plus whole-screen causes. */
	uint64_t *dirty;
	size_t dirty_words;
	bool invalidate;
	bool font_dirty;
	uint64_t bar0_addr;		/* atomic; PCI_BAR_UNMAPPED when not decoded */

	/* Rendering (display_lock; one consumer thread). */
	pthread_mutex_t display_lock;
	struct framebuffer fb;
	struct vga_regs snap;
	uint64_t *render_dirty;
	uint64_t *fetch_buf;
	uint32_t *line;			/* VGA_LINE_MAX + 16 scratch pixels */
	uint32_t *text_keys;		/* per scan line and column: what was drawn */
	size_t text_keys_len;
	int mode_kind;			/* enum vga_mode_kind of the last frame */
	uint32_t *line_ma;		/* CRTC walk: address counter per output line */
	uint8_t *line_rs;		/* and its row scan */
};

#define vga_guest_error(vga, ...) do {					\
	if ((vga)->host.log)						\
		vmm_guest_error((vga)->host.log, "vga: " __VA_ARGS__);	\
} while (0)

static inline void vga_mark_page(struct vga *vga, uint64_t vram_off)
{
	uint64_t page = vram_off / VGA_PAGE_SIZE;

	vga->dirty[page / 64] |= 1ull << (page % 64);
}

static inline bool vga_vbe_on(const struct vga_regs *r)
{
	return r->dispi[VBE_ENABLE] & VBE_EN_ENABLED;
}

/* vga-ports.c: 0x3c0-0x3df and the mono aliases; lock held. */
uint8_t vga_port_read(struct vga *vga, unsigned port);
void vga_port_write(struct vga *vga, unsigned port, uint8_t val);
void vga_ports_reset(struct vga *vga);
/* Snapshot load: NULL if every register holds only implemented bits, else what is wrong. */
const char *vga_regs_check(const struct vga_regs *r);
extern const struct vmm_io_ops vga_pio_ops;

/* vga-mem.c: the legacy window, offsets from 0xa0000. */
extern const struct vmm_io_ops vga_window_ops;

/* vga-vbe.c: DISPI registers; lock held. */
uint16_t vga_vbe_read(struct vga *vga, unsigned index);
void vga_vbe_write(struct vga *vga, unsigned index, uint16_t val);
void vga_vbe_reset(struct vga *vga);
void vga_vbe_flush(struct vga *vga);
/* Snapshot load: NULL if the DISPI registers are a state the writes could reach. */
const char *vga_vbe_check(const struct vga *vga, const uint16_t *d);
extern const struct vmm_io_ops vga_dispi_pio_ops;
/* Effective VBE geometry for rendering (registers already checked by vga-vbe.c). */
struct vga_vbe_geom {
	unsigned xres, yres, bpp, bytes_pp;
	uint64_t pitch;			/* bytes per line; plane bytes at 4 bpp */
	uint64_t start;			/* byte (or plane byte) of the first pixel */
};
bool vga_vbe_geometry(const struct vga *vga, const struct vga_regs *r, struct vga_vbe_geom *g);

/* vga-edid.c. */
void vga_edid_build(uint8_t edid[128], unsigned xres, unsigned yres);

/* vga-render*.c. */
uint32_t vga_dac_rgb(const struct vga_regs *r, uint8_t index);
unsigned vga_crtc_addr(const struct vga_regs *r, uint32_t ma, unsigned rs);
unsigned vga_crtc_walk(const struct vga_regs *r, unsigned scanlines, unsigned repeat,
		       uint32_t *ma, uint8_t *rs);
unsigned vga_scanlines(const struct vga_regs *r);
uint8_t vga_plane_byte(const struct vga *vga, unsigned plane, uint64_t off, uint64_t mask);
uint8_t vga_ar_colour(const struct vga_regs *r, unsigned idx);
void vga_render_text(struct vga *vga, bool full);
bool vga_text_geometry(const struct vga_regs *r, unsigned *w, unsigned *h);
void vga_render_planar(struct vga *vga, bool full);
bool vga_planar_geometry(const struct vga_regs *r, unsigned *w, unsigned *h,
			 unsigned *repeat);
void vga_render_vbe(struct vga *vga, const struct vga_vbe_geom *g, bool full);
bool vga_pages_dirty(const uint64_t *bits, uint64_t first, uint64_t last);

#endif
