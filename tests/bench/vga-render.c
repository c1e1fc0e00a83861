// SPDX-License-Identifier: GPL-2.0-or-later
/* VGA render benchmark: µs per display_update() for a full 1080p frame, 64x64 updates, text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "memory.h"
#include "pci.h"
#include "surface.h"
#include "vga.h"

/*
 * No KVM: the device sits on real buses, VRAM is written directly (as the guest does
 * through its KVM slot) and the dirty pages are reported as KVM's dirty log would. Each
 * case prints the median and the minimum over its iterations.
 *
 *   vga-render [iterations]      (default 200)
 */

struct bench {
	struct vmm_guest_log log;
	struct vmm_bus pio, mmio;
	struct vm_memory mem;
	struct pci_bus *bus;
	struct vga *vga;
	uint8_t *vram;
	uint64_t vram_size;
	uint64_t *dirty;
	size_t dirty_words;
};

static void out8(struct bench *b, unsigned port, uint8_t v)
{
	vmm_bus_write(&b->pio, port, &v, 1);
}

static void out16(struct bench *b, unsigned port, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	vmm_bus_write(&b->pio, port, d, 2);
}

static uint8_t in8(struct bench *b, unsigned port)
{
	uint8_t v = 0;

	vmm_bus_read(&b->pio, port, &v, 1);
	return v;
}

static void dispi(struct bench *b, uint16_t idx, uint16_t v)
{
	out16(b, 0x1ce, idx);
	out16(b, 0x1cf, v);
}

static int bench_init(struct bench *b)
{
	struct vga_config cfg = { .rom_path = "", .dirty_log = true };
	struct pci_bus_config pc;
	struct vga_host host;
	int err = 0;

	memset(b, 0, sizeof(*b));
	vmm_guest_log_init(&b->log, NULL, 100);
	vmm_bus_init(&b->pio, "pio", &b->log);
	vmm_bus_init(&b->mmio, "mmio", &b->log);
	if (vm_memory_init(&b->mem, 16ull << 20))
		return -1;
	pc = (struct pci_bus_config){ .pio = &b->pio, .mmio = &b->mmio, .mem = &b->mem,
				      .log = &b->log };
	b->bus = pci_bus_new(&pc);
	host = (struct vga_host){ .pci = b->bus, .pio = &b->pio, .mmio = &b->mmio,
				  .log = &b->log };
	b->vga = b->bus ? vga_new(&host, &cfg, &err) : NULL;
	if (!b->vga)
		return -1;
	b->vram = vga_vram(b->vga, &b->vram_size);
	b->dirty_words = (b->vram_size / 4096 + 63) / 64;
	b->dirty = calloc(b->dirty_words, sizeof(uint64_t));
	return b->dirty ? 0 : -1;
}

static void bench_fini(struct bench *b)
{
	vga_free(b->vga);
	pci_bus_free(b->bus);
	vm_memory_destroy(&b->mem);
	vmm_bus_destroy(&b->mmio);
	vmm_bus_destroy(&b->pio);
	vmm_guest_log_destroy(&b->log);
	free(b->dirty);
}

static void video_on(struct bench *b)
{
	in8(b, 0x3da);
	out8(b, 0x3c0, 0x20);
}

/* Report [off, off + len) as written, the way KVM_GET_DIRTY_LOG would. */
static void report_dirty(struct bench *b, uint64_t off, uint64_t len)
{
	memset(b->dirty, 0, b->dirty_words * sizeof(uint64_t));
	for (uint64_t p = off / 4096; len && p <= (off + len - 1) / 4096; p++)
		b->dirty[p / 64] |= 1ull << (p % 64);
	vga_vram_dirty_pages(b->vga, b->dirty);
}

static uint64_t frame_ns(struct bench *b)
{
	struct display_rect rects[64];
	uint64_t t0 = vmm_now_ns();

	display_update(b->vga);
	display_take_damage(b->vga, rects, 64);
	return vmm_now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *t, unsigned n)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("%-44s %9.1f us/frame (median of %u, min %.1f)\n", name, t[n / 2] / 1000.0, n,
	       t[0] / 1000.0);
}

/* A whole 1920x1080x32 frame changes every time: convert, compare and store it all. */
static void bench_full_frame(struct bench *b, uint64_t *t, unsigned n)
{
	uint64_t len = 1920ull * 1080 * 4;

	dispi(b, 4, 0);
	dispi(b, 3, 32);
	dispi(b, 1, 1920);
	dispi(b, 2, 1080);
	dispi(b, 4, 0x41);
	video_on(b);
	frame_ns(b);
	for (unsigned i = 0; i < n; i++) {
		uint32_t *px = (uint32_t *)b->vram;

		for (uint64_t k = 0; k < len / 4; k++)
			px[k] = (uint32_t)(k * 2654435761u + i);
		report_dirty(b, 0, len);
		t[i] = frame_ns(b);
	}
	report("1920x1080x32 full frame, all changed", t, n);
	for (unsigned i = 0; i < n; i++) {
		report_dirty(b, 0, len);
		t[i] = frame_ns(b);
	}
	report("1920x1080x32 full frame, all pages dirty, same", t, n);
}

/* A 64x64 block of the 1080p frame changes (a cursor-sized update). */
static void bench_block(struct bench *b, uint64_t *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned x0 = (i * 97) % (1920 - 64), y0 = (i * 61) % (1080 - 64);

		for (unsigned y = y0; y < y0 + 64; y++) {
			uint32_t *row = (uint32_t *)b->vram + (size_t)y * 1920 + x0;

			for (unsigned x = 0; x < 64; x++)
				row[x] = 0x10101 * (i & 0xff) + x;
			report_dirty(b, ((uint64_t)y * 1920 + x0) * 4, 64 * 4);
		}
		t[i] = frame_ns(b);
	}
	report("1920x1080x32, one 64x64 block changed", t, n);
	for (unsigned i = 0; i < n; i++) {
		report_dirty(b, 0, 0);
		t[i] = frame_ns(b);
	}
	report("1920x1080x32, nothing dirty (fixed cost)", t, n);
}

/* The same block in 16 bpp: the converting path (no fused 32-bpp store). */
static void bench_block16(struct bench *b, uint64_t *t, unsigned n)
{
	dispi(b, 4, 0);
	dispi(b, 3, 16);
	dispi(b, 1, 1920);
	dispi(b, 2, 1080);
	dispi(b, 4, 0x41);
	frame_ns(b);
	for (unsigned i = 0; i < n; i++) {
		unsigned x0 = (i * 97) % (1920 - 64), y0 = (i * 61) % (1080 - 64);

		for (unsigned y = y0; y < y0 + 64; y++) {
			uint16_t *row = (uint16_t *)b->vram + (size_t)y * 1920 + x0;

			for (unsigned x = 0; x < 64; x++)
				row[x] = (uint16_t)(0x0841 * (i & 0x1f) + x);
			report_dirty(b, ((uint64_t)y * 1920 + x0) * 2, 64 * 2);
		}
		t[i] = frame_ns(b);
	}
	report("1920x1080x16, one 64x64 block changed", t, n);
}

/* Mode 03h registers (IBM VGA Technical Reference video parameter table). */
static void set_text_mode(struct bench *b)
{
	static const uint8_t sr[4] = { 0x00, 0x03, 0x00, 0x02 };
	static const uint8_t cr[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
					0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
					0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff };
	static const uint8_t ar[21] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38,
					0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00,
					0x0f, 0x08, 0x00 };
	static const uint8_t gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };

	dispi(b, 4, 0);
	out8(b, 0x3c2, 0x67);
	for (unsigned i = 0; i < 4; i++)
		out16(b, 0x3c4, (uint16_t)(sr[i] << 8 | (i + 1)));
	for (unsigned i = 0; i < 25; i++)
		out16(b, 0x3d4, (uint16_t)(cr[i] << 8 | i));
	in8(b, 0x3da);
	for (unsigned i = 0; i < 21; i++) {
		out8(b, 0x3c0, (uint8_t)i);
		out8(b, 0x3c0, ar[i]);
	}
	for (unsigned i = 0; i < 9; i++)
		out16(b, 0x3ce, (uint16_t)(gr[i] << 8 | i));
	out8(b, 0x3c8, 0);
	for (unsigned i = 0; i < 768; i++)
		out8(b, 0x3c9, (uint8_t)(i * 7));
	video_on(b);
}

/* Every cell of 80x25 changes: each glyph row of every cell is redrawn. */
static void bench_text(struct bench *b, uint64_t *t, unsigned n)
{
	set_text_mode(b);
	for (unsigned c = 0; c < 256 * 32; c++)	/* a font in plane 2 */
		b->vram[c * 4 + 2] = (uint8_t)(c * 37);
	vga_invalidate(b->vga);
	frame_ns(b);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < 2000; k++) {
			b->vram[k * 8] = (uint8_t)(k + i);		/* plane 0: character */
			b->vram[k * 8 + 1] = (uint8_t)(0x17 + i);	/* plane 1: attribute */
		}
		t[i] = frame_ns(b);
	}
	report("80x25 text, every cell changed", t, n);
	for (unsigned i = 0; i < n; i++) {
		vga_invalidate(b->vga);
		t[i] = frame_ns(b);
	}
	report("80x25 text, forced full redraw, same", t, n);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
	struct bench b;
	uint64_t *t;

	if (!n)
		n = 1;
	t = calloc(n, sizeof(*t));
	if (!t || bench_init(&b)) {
		fprintf(stderr, "vga-render: set-up failed\n");
		return 1;
	}
	bench_full_frame(&b, t, n);
	bench_block(&b, t, n);
	bench_block16(&b, t, n);
	bench_text(&b, t, n);
	bench_fini(&b);
	free(t);
	return 0;
}
