/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Standard VGA with the Bochs VBE extensions (PCI 1234:1111): the device's public interface. */
#ifndef VESSEL_VGA_H
#define VESSEL_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "log.h"

/*
 * The device (QEMU docs/specs/standard-vga.rst for the PCI layout; IBM VGA Technical
 * Reference and the FreeVGA documentation for the registers; Bochs' DISPI interface):
 *
 *   BAR0  prefetchable VRAM, RAM-backed (a KVM slot with dirty logging in a VM)
 *   BAR2  4 KiB MMIO: EDID 0x000-0x3ff, ports 0x3c0-0x3df at 0x400-0x41f, DISPI
 *         registers at 0x500 + 2 * index, QEMU extension registers at 0x600
 *   ROM   vgabios-stdvga.bin (its PCIR must name 1234:1111)
 *   PIO   0x3b0-0x3df (VGA registers), 0x1ce/0x1cf (DISPI index/data)
 *   MMIO  0xa0000-0xbffff, the legacy window (planar, odd/even, chain-4, or VBE banks)
 *
 * Locking: one device mutex guards registers and the dirty page bitmap. It is taken by
 * the PIO/MMIO handlers (vCPU threads, no bus lock held) and briefly by display_update()
 * to copy the registers; rendering then reads VRAM without it (the guest writes VRAM
 * directly through the KVM slot anyway, so a frame may tear, never crash). Order: PCI
 * bus lock, then the device lock (the PCI reset and bar_mapped hooks take it).
 */
#define VGA_WINDOW_BASE		0xa0000	/* the legacy window */
#define VGA_WINDOW_SIZE		0x20000

struct pci_bus;
struct pci_dev;
struct vga;

#define VGA_VRAM_DEFAULT	(16ull << 20)
#define VGA_VRAM_MIN		(4ull << 20)
#define VGA_VRAM_MAX		(256ull << 20)
#define VGA_PAGE_SIZE		4096u
#define VGA_DEFAULT_ROM		"/usr/share/seabios/vgabios-stdvga.bin"
#define VGA_PCI_VENDOR		0x1234
#define VGA_PCI_DEVICE		0x1111

/* DISPI GETCAPS maxima: the largest VBE mode we render. */
#define VGA_VBE_MAX_XRES	2560
#define VGA_VBE_MAX_YRES	1600
#define VGA_VBE_MAX_BPP		32

/* What the device is plugged into. */
struct vga_host {
	struct pci_bus *pci;
	struct vmm_bus *pio;
	struct vmm_bus *mmio;
	struct vmm_guest_log *log;	/* guest errors; may be NULL */
};

struct vga_config {
	uint64_t vram_size;		/* power of two in [4 MiB, 256 MiB]; 0: 16 MiB */
	unsigned edid_xres, edid_yres;	/* preferred EDID timing; 0: 1024x768 */
	const char *rom_path;		/* NULL: VGA_DEFAULT_ROM; "": no ROM BAR */
	int devfn;			/* PCI_DEVFN(slot, fn); 0 or PCI_DEVFN_AUTO: first free */
	/*
	 * Where writes to BAR0 are learnt from. As a RAM BAR (the default) they never reach
	 * the device; then either dirty_log: the host reports written pages with
	 * vga_vram_dirty_pages(), or display_update() pulls them through fetch_dirty (gpa =
	 * where BAR0 is mapped; a bitmap of vram_size / 4096 bits; 0/-errno) — KVM's dirty
	 * log; or neither: every display_update() treats all of VRAM as dirty and compares
	 * (correct, slower). vram_trap instead makes BAR0 an ordinary trapping MMIO BAR whose
	 * writes mark their pages (hosts with neither a RAM mapping nor a dirty log).
	 */
	bool dirty_log;
	bool vram_trap;
	int (*fetch_dirty)(void *opaque, uint64_t gpa, uint64_t *bitmap);
	/*
	 * Optional: deliver window writes the host has queued (KVM coalesced MMIO), called by
	 * display_update() and other readers before they take the device's locks.
	 */
	void (*flush_writes)(void *opaque);
	/* Blink timing; NULL: CLOCK_MONOTONIC. Tests pin it. */
	uint64_t (*clock_ns)(void *opaque);
	void *opaque;
};

/* Build the device and claim its ports, window and PCI function; NULL with *err = -errno. */
struct vga *vga_new(const struct vga_host *host, const struct vga_config *cfg, int *err);
void vga_free(struct vga *vga);
/* Power-on register state (VRAM is kept, as on a warm reset). */
void vga_reset(struct vga *vga);
/*
 * Snapshot state (vga-state.c): every VGA register with its indexes, flip-flop, latches
 * and DAC state, the DISPI registers, the EDID, and VRAM up to its last non-zero page.
 * vga_load: on a card with the same VRAM size; every register is checked against what
 * the guest could have written (DISPI geometry inside VRAM); -EINVAL with one warning and
 * nothing changed otherwise. The next display_update() redraws the whole surface.
 */
int vga_save(struct vga *vga, void **blob, size_t *len);
int vga_load(struct vga *vga, const void *blob, size_t len);

struct pci_dev *vga_pci_dev(struct vga *vga);
/* VRAM as the renderer sees it (benchmarks, snapshots). */
uint8_t *vga_vram(struct vga *vga, uint64_t *size);
/* OR a dirty-page bitmap (one bit per 4 KiB VRAM page, vram_size / 4096 bits) in. */
void vga_vram_dirty_pages(struct vga *vga, const uint64_t *bitmap);
/* Redraw everything at the next display_update() (damage stays exact). */
void vga_invalidate(struct vga *vga);

/* ---- Text mode as a character grid (tests, headless consoles) ------------------------ */

struct vga_text_cell {
	uint32_t cp;			/* Unicode code point of the CP437 glyph */
	uint8_t ch;			/* the byte in plane 0 */
	uint8_t attr;			/* the byte in plane 1 */
};

struct vga_text_info {
	unsigned cols, rows;
	int cursor_col, cursor_row;	/* -1 when off screen */
	bool cursor_visible;		/* enabled in CR0A (blink phase ignored) */
};

/*
 * Fill up to max cells (row-major) with the text screen as the CRTC shows it: start
 * address, row pitch from the offset register, columns from the display-enable end,
 * rows = displayed scan lines / character height. 0, -ENOTSUP when not in a text mode,
 * -ENOSPC when max < cols * rows (info is filled anyway).
 */
int vga_text_grid(struct vga *vga, struct vga_text_cell *cells, size_t max,
		  struct vga_text_info *info);
/* The grid as UTF-8 lines, trailing blanks trimmed. 0, -ENOTSUP, -ENOMEM, -EIO. */
int vga_text_dump(struct vga *vga, FILE *out);
/*
 * The same screen as JSON for tests that re-render it: raw registers, DAC, the grid as
 * hex character/attribute pairs, and plane 2 (the fonts). 0, -ENOTSUP, -ENOMEM, -EIO.
 */
int vga_text_dump_json(struct vga *vga, FILE *out);
/* IBM code page 437 (the VGA ROM font's layout) to Unicode. */
uint32_t vga_cp437_to_unicode(uint8_t c);

/*
 * The resolution the EDID offers as preferred (the host window's size): guests that read the
 * EDID again (a driver reload, a mode-list refresh) offer it. 320x200 up to the VBE maximum;
 * 0 or -EINVAL.
 */
int vga_set_preferred_size(struct vga *vga, unsigned xres, unsigned yres);

#endif
