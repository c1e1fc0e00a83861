// SPDX-License-Identifier: GPL-2.0-or-later
/* VGA VBE side: DISPI handshake and GETCAPS, linear modes, panning, banks, damage, EDID, PNG. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test-vga-rig.h"

#define VBE_ENABLED	0x01
#define VBE_GETCAPS	0x02
#define VBE_8BIT_DAC	0x20
#define VBE_LFB		0x40
#define VBE_NOCLEAR	0x80

/* What SeaBIOS's bochsvga_set_mode does: disable, depth, size, bank 0, enable. */
static void vbe_set_mode(struct rig *r, uint16_t x, uint16_t y, uint16_t bpp, uint16_t flags)
{
	dispi(r, 4, 0);
	dispi(r, 3, bpp);
	dispi(r, 1, x);
	dispi(r, 2, y);
	dispi(r, 5, 0);
	dispi(r, 4, (uint16_t)(VBE_ENABLED | flags));
	video_on(r);
}

/* ---- DISPI registers ------------------------------------------------------------------- */

static void test_dispi_handshake(void)
{
	struct rig r;
	uint64_t errs;

	rig_init(&r, NULL);
	is_int(dispi_rd(&r, 0), 0xb0c5, "DISPI ID after reset");
	dispi(&r, 0, 0xb0c0);
	is_int(dispi_rd(&r, 0), 0xb0c0, "ID 0xB0C0 reads back (SeaBIOS's probe)");
	dispi(&r, 0, 0xb0c5);
	is_int(dispi_rd(&r, 0), 0xb0c5, "ID 0xB0C5 reads back");
	errs = vmm_guest_log_count(&r.log);
	dispi(&r, 0, 0x1234);
	ok(dispi_rd(&r, 0) == 0xb0c5 && vmm_guest_log_count(&r.log) > errs,
	   "an unknown ID is refused with a guest error");
	is_int(dispi_rd(&r, 0xa), 256, "VIDEO_MEMORY_64K: 16 MiB");
	dispi(&r, 4, VBE_GETCAPS);
	ok(dispi_rd(&r, 1) == 2560 && dispi_rd(&r, 2) == 1600 && dispi_rd(&r, 3) == 32,
	   "GETCAPS: 2560x1600x32");
	dispi(&r, 4, 0);
	is_int(dispi_rd(&r, 1), 640, "GETCAPS off: XRES reads its value again");
	bus_wr(&r.mmio, RIG_BAR2 + 0x500 + 2 * 1, 800, 2);
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 0x502, 2), 800, "DISPI through BAR2 at 0x500 + 2i");
	is_int(dispi_rd(&r, 1), 800, "...the same register as through the ports");
	outw(&r, 0x1ce, 1);
	outb(&r, 0x1cf, 0x20);			/* a lone byte write to the data port */
	is_int(inw(&r, 0x1cf), 0x20, "a byte write to 0x1cf is a data write of its own");
	rig_fini(&r);
}

/* ---- Linear modes ----------------------------------------------------------------------------- */

static uint32_t grad32(unsigned x, unsigned y)
{
	return (x * 255 / 639) << 16 | (y * 255 / 479) << 8 | ((x + y) & 0xff);
}

static uint32_t vbe32_pixel(unsigned x, unsigned y, const void *ctx)
{
	return 0xff000000u | grad32(x, y);
}

static uint16_t pat16(unsigned x, unsigned y)
{
	return (uint16_t)((x & 31) << 11 | (y & 63) << 5 | ((x + y) & 31));
}

static uint32_t c5(unsigned v) { return (v << 3) | (v >> 2); }
static uint32_t c6(unsigned v) { return (v << 2) | (v >> 4); }

static uint32_t vbe16_pixel(unsigned x, unsigned y, const void *ctx)
{
	uint16_t v = pat16(x, y);
	bool is15 = *(const bool *)ctx;

	if (is15)
		return 0xff000000u | c5(v >> 10 & 31) << 16 | c5(v >> 5 & 31) << 8 | c5(v & 31);
	return 0xff000000u | c5(v >> 11) << 16 | c6(v >> 5 & 63) << 8 | c5(v & 31);
}

static uint32_t vbe24_pixel(unsigned x, unsigned y, const void *ctx)
{
	return 0xff000000u | ((x * 7) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x ^ y) & 0xff);
}

static void test_vbe_32bpp(void)
{
	const struct surface *s;
	uint64_t gen;
	struct rig r;

	rig_init(&r, NULL);
	vbe_set_mode(&r, 640, 480, 32, VBE_LFB);
	for (unsigned y = 0; y < 480; y++)
		for (unsigned x = 0; x < 640; x += 2)
			bus_wr(&r.mmio, RIG_BAR0 + (y * 640 + x) * 4ull,
			       grad32(x, y) | (uint64_t)grad32(x + 1, y) << 32, 8);
	display_update(r.vga);
	s = display_get_surface(r.vga);
	ok(s->width == 640 && s->height == 480 && s->stride == 640 * 4, "640x480 surface");
	is_int(surface_mismatches(&r, vbe32_pixel, NULL), 0, "32 bpp gradient through BAR0");
	gen = display_generation(r.vga);
	display_update(r.vga);
	is_int(display_generation(r.vga), gen, "same mode: generation unchanged");
	vbe_set_mode(&r, 800, 600, 32, VBE_LFB);
	display_update(r.vga);
	ok(display_generation(r.vga) > gen && display_get_surface(r.vga)->width == 800,
	   "mode change: new generation, 800 wide");
	rig_fini(&r);
}

static void test_vbe_16_15_24(void)
{
	struct rig r;
	bool is15 = false;

	rig_init(&r, NULL);
	vbe_set_mode(&r, 320, 240, 16, VBE_LFB);
	for (unsigned y = 0; y < 240; y++)
		for (unsigned x = 0; x < 320; x++)
			bus_wr(&r.mmio, RIG_BAR0 + (y * 320 + x) * 2ull, pat16(x, y), 2);
	display_update(r.vga);
	is_int(surface_mismatches(&r, vbe16_pixel, &is15), 0, "16 bpp (5:6:5)");
	vbe_set_mode(&r, 320, 240, 15, VBE_LFB | VBE_NOCLEAR);
	is15 = true;
	display_update(r.vga);
	is_int(surface_mismatches(&r, vbe16_pixel, &is15), 0, "15 bpp (x:5:5:5), memory kept");
	vbe_set_mode(&r, 200, 100, 24, VBE_LFB);
	for (unsigned y = 0; y < 100; y++)
		for (unsigned x = 0; x < 200; x++) {
			uint64_t a = RIG_BAR0 + (y * 200 + x) * 3ull;

			bus_wr(&r.mmio, a, (x ^ y) & 0xff, 1);
			bus_wr(&r.mmio, a + 1, (y * 5) & 0xff, 1);
			bus_wr(&r.mmio, a + 2, (x * 7) & 0xff, 1);
		}
	display_update(r.vga);
	is_int(surface_mismatches(&r, vbe24_pixel, NULL), 0, "24 bpp (B, G, R bytes)");
	rig_fini(&r);
}

static uint32_t pan_pixel(unsigned x, unsigned y, const void *ctx)
{
	return 0xff000000u | grad32((x + 100) % 640, (y + 50) % 480);
}

static void test_vbe_panning(void)
{
	struct rig r;

	rig_init(&r, NULL);
	vbe_set_mode(&r, 320, 200, 32, VBE_LFB);
	dispi(&r, 6, 1024);			/* virtual width */
	is_int(dispi_rd(&r, 6), 1024, "virtual width 1024");
	is_int(dispi_rd(&r, 7), (16 << 20) / 4096, "virtual height from VRAM");
	for (unsigned y = 0; y < 480; y++)
		for (unsigned x = 0; x < 640; x++)
			bus_wr(&r.mmio, RIG_BAR0 + (y * 1024 + x) * 4ull, grad32(x, y), 4);
	dispi(&r, 8, 100);
	dispi(&r, 9, 50);
	display_update(r.vga);
	is_int(surface_mismatches(&r, pan_pixel, NULL), 0, "X/Y offset pans a 1024-wide screen");
	rig_fini(&r);
}

static uint32_t bank_pixel(unsigned x, unsigned y, const void *ctx)
{
	unsigned v = (x * 3 + y * 7) & 0xff;

	return 0xff000000u | v << 16 | (255 - v) << 8 | ((v * 5) & 0xff);
}

static void test_vbe_banked_8bpp(void)
{
	struct rig r;
	unsigned bad = 0;

	rig_init(&r, NULL);
	vbe_set_mode(&r, 640, 480, 8, VBE_8BIT_DAC);	/* banked: no LFB flag */
	outb(&r, 0x3c8, 0);
	for (unsigned i = 0; i < 256; i++) {		/* 8-bit DAC values */
		outb(&r, 0x3c9, (uint8_t)i);
		outb(&r, 0x3c9, (uint8_t)(255 - i));
		outb(&r, 0x3c9, (uint8_t)(i * 5));
	}
	for (unsigned off = 0; off < 640 * 480; off++) {
		unsigned x = off % 640, y = off / 640;

		if (off % 0x10000 == 0)
			dispi(&r, 5, (uint16_t)(off >> 16));
		bus_wr(&r.mmio, 0xa0000 + (off & 0xffff), (x * 3 + y * 7) & 0xff, 1);
	}
	display_update(r.vga);
	is_int(surface_mismatches(&r, bank_pixel, NULL), 0, "8 bpp through the 64 KiB window, "
	       "BANK register, 8-bit DAC");
	dispi(&r, 5, 3);
	for (unsigned i = 0; i < 64; i++) {
		unsigned off = 3 * 0x10000 + i * 997;

		bad += bus_rd(&r.mmio, 0xa0000 + i * 997, 1) !=
		       (((off % 640) * 3 + (off / 640) * 7) & 0xff);
	}
	is_int(bad, 0, "window reads through bank 3");
	rig_fini(&r);
}

/* 4 bpp: SeaBIOS sets the planar mode 6Ah through the registers, then DISPI 4 bpp. */
static uint32_t vbe4_pixel(unsigned x, unsigned y, const void *ctx)
{
	return test_dac_xrgb(mode_12.attr[(x / 8 + y) & 15]);
}

static void test_vbe_planar_4bpp(void)
{
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_12);
	vbe_set_mode(&r, 800, 600, 4, 0);
	grc(&r, 5, 0x02);			/* write mode 2: one colour per byte */
	for (unsigned y = 0; y < 600; y++)
		for (unsigned b = 0; b < 100; b++)
			bus_wr(&r.mmio, 0xa0000 + y * 100 + b, (b + y) & 15, 1);
	display_update(r.vga);
	ok(display_get_surface(r.vga)->width == 800 && display_get_surface(r.vga)->height == 600,
	   "800x600x4 surface");
	is_int(surface_mismatches(&r, vbe4_pixel, NULL), 0, "4 bpp planar VBE mode");
	rig_fini(&r);
}

/* ---- Damage ---------------------------------------------------------------------------------- */

static bool covers(const struct display_rect *rc, unsigned n, unsigned x, unsigned y)
{
	for (unsigned i = 0; i < n; i++)
		if (x >= rc[i].x && x < rc[i].x + rc[i].w && y >= rc[i].y && y < rc[i].y + rc[i].h)
			return true;
	return false;
}

static void write_block(struct rig *r, unsigned x0, unsigned y0, uint32_t colour,
			uint64_t *log)
{
	for (unsigned y = y0; y < y0 + 16; y++)
		for (unsigned x = x0; x < x0 + 16; x++) {
			uint64_t off = (y * 1920 + x) * 4ull;

			bus_wr(&r->mmio, RIG_BAR0 + off, colour, 4);
			if (log)
				log[off / 4096 / 64] |= 1ull << (off / 4096 % 64);
		}
}

static void check_damage(struct rig *r, unsigned x0, unsigned y0, const char *what)
{
	struct display_rect rc[32];
	unsigned n, missing = 0, a = 0;

	display_update(r->vga);
	n = display_take_damage(r->vga, rc, 32);
	for (unsigned y = y0; y < y0 + 16; y++)
		for (unsigned x = x0; x < x0 + 16; x++)
			missing += !covers(rc, n, x, y);
	for (unsigned i = 0; i < n; i++)
		a += rc[i].w * rc[i].h;
	ok(n > 0 && !missing, "%s: the 16x16 block is covered", what);
	ok(a <= 4 * 32 * 32, "%s: damage %u pixels in %u rects (at most 4 tiles)", what, a, n);
}

static void test_damage_dirty_log(void)
{
	struct vga_config cfg = { .rom_path = "", .dirty_log = true };
	static uint64_t log[(16 << 20) / 4096 / 64];
	struct display_rect rc[8];
	struct rig r;

	rig_init(&r, &cfg);
	vbe_set_mode(&r, 1920, 1080, 32, VBE_LFB);
	render_settle(&r);
	write_block(&r, 1000, 500, 0x123456, NULL);	/* written, but the log not told */
	display_update(r.vga);
	is_int(display_take_damage(r.vga, rc, 8), 0, "dirty log mode: unlogged pages are skipped");
	write_block(&r, 1000, 500, 0x654321, log);
	vga_vram_dirty_pages(r.vga, log);
	check_damage(&r, 1000, 500, "KVM-style dirty log");
	is_int(display_get_surface(r.vga)->pixels[500 * 1920 + 1000], 0xff654321,
	       "the new block is on the surface");
	memset(log, 0, sizeof(log));
	vga_vram_dirty_pages(r.vga, log);
	display_update(r.vga);
	is_int(display_take_damage(r.vga, rc, 8), 0, "empty log: no damage");
	rig_fini(&r);
}

static void test_damage_trap(void)
{
	struct vga_config cfg = { .rom_path = "", .vram_trap = true };
	struct display_rect rc[8];
	struct rig r;

	rig_init(&r, &cfg);
	vbe_set_mode(&r, 1920, 1080, 32, VBE_LFB);
	render_settle(&r);
	display_update(r.vga);
	is_int(display_take_damage(r.vga, rc, 8), 0, "trapped BAR0: nothing written, no damage");
	write_block(&r, 1500, 1000, 0x0badf0, NULL);
	check_damage(&r, 1500, 1000, "trapped BAR0 writes");
	is_int(display_get_surface(r.vga)->pixels[1015 * 1920 + 1515], 0xff0badf0,
	       "the block is on the surface");
	write_block(&r, 1500, 1000, 0x0badf0, NULL);
	display_update(r.vga);
	is_int(display_take_damage(r.vga, rc, 8), 0, "the same pixels written again: no damage");
	rig_fini(&r);
}

static void test_damage_scan(void)
{
	struct rig r;

	rig_init(&r, NULL);
	vbe_set_mode(&r, 1920, 1080, 32, VBE_LFB);
	render_settle(&r);
	write_block(&r, 333, 777, 0xabcdef, NULL);
	check_damage(&r, 333, 777, "no dirty log (compare)");
	dispi(&r, 4, 0);			/* back to VGA, then the banked 16x16 block */
	vbe_set_mode(&r, 1920, 1080, 32, 0);
	render_settle(&r);
	for (unsigned y = 40; y < 56; y++) {
		uint64_t off = (y * 1920 + 64) * 4ull;

		dispi(&r, 5, (uint16_t)(off >> 16));
		for (unsigned i = 0; i < 64; i += 4)
			bus_wr(&r.mmio, 0xa0000 + ((off + i) & 0xffff), 0xff00ff, 4);
	}
	check_damage(&r, 64, 40, "banked window writes");
	rig_fini(&r);
}

/*
 * Dirty-log rendering follows page runs to line spans: after random byte writes whose pages
 * are logged, the surface must equal a full re-render, in every linear depth, with a
 * virtual width wider than the screen and both offsets set (pixels straddle pages at 24).
 */
static unsigned spans_round(struct rig *r, uint8_t *vram, uint64_t *log, size_t words,
			    uint32_t *seed)
{
	const struct surface *s;
	uint32_t *partial;
	size_t n;
	unsigned bad = 0;

	memset(log, 0, words * sizeof(*log));
	for (unsigned k = 0; k < 6; k++) {
		uint64_t off, len;

		*seed = *seed * 1103515245u + 12345u;
		off = (*seed >> 4) % 350000;
		len = 1 + (*seed & 0x1fff);
		if (k < 2) {			/* one byte either side of a page edge */
			off = (off | 0xfff) + k;
			len = 1;
		}
		for (uint64_t i = off; i < off + len; i++) {
			vram[i] = (uint8_t)(i * 131 + *seed);
			log[i / 4096 / 64] |= 1ull << (i / 4096 % 64);
		}
	}
	vga_vram_dirty_pages(r->vga, log);
	display_update(r->vga);
	s = display_get_surface(r->vga);
	n = (size_t)s->height * (s->stride / 4);
	partial = malloc(n * sizeof(*partial));
	if (!partial)
		return 1;
	memcpy(partial, s->pixels, n * sizeof(*partial));
	vga_invalidate(r->vga);
	display_update(r->vga);
	for (size_t i = 0; i < n; i++)
		bad += partial[i] != s->pixels[i];
	free(partial);
	return bad;
}

static void test_dirty_log_spans(void)
{
	struct vga_config cfg = { .rom_path = "", .dirty_log = true };
	static const uint16_t depths[] = { 8, 15, 16, 24, 32 };
	static uint64_t log[(16 << 20) / 4096 / 64];
	uint32_t seed = 1;
	uint64_t size;
	uint8_t *vram;
	struct rig r;

	rig_init(&r, &cfg);
	vram = vga_vram(r.vga, &size);
	for (unsigned d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
		unsigned bad = 0;

		vbe_set_mode(&r, 333, 201, depths[d], VBE_LFB | VBE_NOCLEAR);
		dispi(&r, 6, 401);			/* virtual width */
		dispi(&r, 8, 7);
		dispi(&r, 9, 3);
		render_settle(&r);
		for (unsigned k = 0; k < 12; k++)
			bad += spans_round(&r, vram, log, sizeof(log) / sizeof(log[0]), &seed);
		is_int(bad, 0, "%u bpp: logged page runs re-render like a full frame", depths[d]);
	}
	rig_fini(&r);
}

/* ---- EDID ---------------------------------------------------------------------------------- */

static void test_edid(void)
{
	struct vga_config cfg = { .rom_path = "", .edid_xres = 1280, .edid_yres = 800 };
	uint8_t e[128];
	unsigned sum = 0;
	struct rig r;

	rig_init(&r, &cfg);
	for (unsigned i = 0; i < 128; i++)
		e[i] = (uint8_t)bus_rd(&r.mmio, RIG_BAR2 + i, 1);
	for (unsigned i = 0; i < 128; i++)
		sum += e[i];
	is_int(sum & 0xff, 0, "EDID checksum: the 128 bytes sum to 0 mod 256");
	ok(!memcmp(e, "\x00\xff\xff\xff\xff\xff\xff\x00", 8), "EDID header");
	ok(e[18] == 1 && e[19] == 4, "EDID 1.4");
	is_int(e[54 + 2] | (e[54 + 4] >> 4) << 8, 1280, "preferred timing: 1280 wide");
	is_int(e[54 + 5] | (e[54 + 7] >> 4) << 8, 800, "...800 high");
	ok((e[54] | e[55] << 8) > 5000, "pixel clock set (%u0 kHz)", e[54] | e[55] << 8);
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 200, 4), 0, "past the block reads 0");
	bus_wr(&r.mmio, RIG_BAR2 + 10, 0xffffffff, 4);
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 10, 1), e[10], "EDID is read-only");
	/* The window's size becomes the preferred mode the guest reads next. */
	is_int(vga_set_preferred_size(r.vga, 1600, 900), 0, "preferred size 1600x900");
	for (unsigned i = 0; i < 128; i++)
		e[i] = (uint8_t)bus_rd(&r.mmio, RIG_BAR2 + i, 1);
	sum = 0;
	for (unsigned i = 0; i < 128; i++)
		sum += e[i];
	ok(((e[54 + 2] | (e[54 + 4] >> 4) << 8) == 1600) &&
	   ((e[54 + 5] | (e[54 + 7] >> 4) << 8) == 900) && !(sum & 0xff),
	   "the EDID now prefers 1600x900, checksum still right");
	is_int(vga_set_preferred_size(r.vga, 100, 100), -EINVAL, "100x100 is refused");
	is_int(vga_set_preferred_size(r.vga, 100000, 900), -EINVAL, "beyond the VBE maximum too");
	rig_fini(&r);
}

/* ---- Hostile DISPI --------------------------------------------------------------------------- */

static void test_hostile_dispi(void)
{
	struct rig r;
	uint64_t errs, limit;
	const struct surface *s;

	rig_init(&r, NULL);
	errs = vmm_guest_log_count(&r.log);
	vbe_set_mode(&r, 0xffff, 0xffff, 32, VBE_LFB);
	ok(dispi_rd(&r, 1) <= 2560 && dispi_rd(&r, 2) <= 1600, "huge resolution clamped (%ux%u)",
	   dispi_rd(&r, 1), dispi_rd(&r, 2));
	ok(vmm_guest_log_count(&r.log) > errs, "...with a guest error");
	limit = (uint64_t)dispi_rd(&r, 6) * 4 * dispi_rd(&r, 2);
	ok(limit <= (16u << 20), "frame fits in VRAM (%llu bytes)", (unsigned long long)limit);
	is_int(display_update(r.vga), 0, "renders");
	vbe_set_mode(&r, 0, 0, 0, VBE_LFB);
	ok(dispi_rd(&r, 1) >= 8 && dispi_rd(&r, 2) >= 1 && dispi_rd(&r, 3) == 8,
	   "zero sizes and depth fixed up");
	display_update(r.vga);
	vbe_set_mode(&r, 2560, 1600, 32, VBE_LFB);
	dispi(&r, 6, 0xfff8);			/* virtual width far past VRAM */
	ok((uint64_t)dispi_rd(&r, 6) * 4 * 1600 <= (16u << 20), "huge virtual width refused");
	dispi(&r, 8, 0xffff);
	dispi(&r, 9, 0xffff);
	ok((uint64_t)dispi_rd(&r, 9) * dispi_rd(&r, 6) * 4 + 1600ull * dispi_rd(&r, 6) * 4 <=
	   (16u << 20), "offsets clamped inside VRAM");
	display_update(r.vga);
	s = display_get_surface(r.vga);
	ok(s->width == 2560 && s->height <= 1600, "2560-wide frame rendered");
	dispi(&r, 5, 255);
	is_int(dispi_rd(&r, 5), 255, "last bank accepted");
	errs = vmm_guest_log_count(&r.log);
	dispi(&r, 5, 256);
	ok(dispi_rd(&r, 5) == 255 && vmm_guest_log_count(&r.log) > errs,
	   "bank past VRAM refused with a guest error");
	grc(&r, 6, 0x01);			/* 128 KiB window: the top half is past VRAM */
	dispi(&r, 5, 255);
	bus_wr(&r.mmio, 0xb0000, 0x1122334455667788ull, 8);
	is_int(bus_rd(&r.mmio, 0xb0000, 4), 0xffffffff, "window past the end of VRAM reads ones");
	dispi(&r, 3, 4);			/* planar VBE with extreme geometry */
	dispi(&r, 1, 2560);
	dispi(&r, 6, 0xfff8);
	dispi(&r, 9, 0xffff);
	bus_wr(&r.mmio, 0xa0000, 0xff, 1);
	is_int(display_update(r.vga), 0, "4 bpp planar VBE renders");
	bus_wr(&r.mmio, RIG_BAR2 + 0x604, 0xbebebebe, 4);
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 0x604, 4), 0x1e1e1e1e, "big-endian request refused");
	rig_fini(&r);
}

/* ---- Screenshot ----------------------------------------------------------------------------- */

static int read_png(const char *path, unsigned *w, unsigned *h, uint8_t **rgb)
{
	png_image img = { .version = PNG_IMAGE_VERSION };

	if (!png_image_begin_read_from_file(&img, path))
		return -1;
	img.format = PNG_FORMAT_RGB;
	*rgb = malloc(PNG_IMAGE_SIZE(img));
	if (!*rgb || !png_image_finish_read(&img, NULL, *rgb, 0, NULL))
		return -1;
	*w = img.width;
	*h = img.height;
	return 0;
}

static void test_screenshot(void)
{
	char path[] = "/tmp/vessel-vga-test-XXXXXX";
	const struct surface *s;
	unsigned w = 0, h = 0, bad = 0;
	uint8_t *rgb = NULL;
	struct rig r;
	int fd = mkstemp(path);

	rig_init(&r, NULL);
	vbe_set_mode(&r, 640, 480, 32, VBE_LFB);
	for (unsigned y = 0; y < 480; y++)
		for (unsigned x = 0; x < 640; x++)
			bus_wr(&r.mmio, RIG_BAR0 + (y * 640 + x) * 4ull, grad32(x, y), 4);
	display_update(r.vga);
	s = display_get_surface(r.vga);
	is_int(display_screenshot_png(s, path), 0, "PNG written");
	ok(read_png(path, &w, &h, &rgb) == 0 && w == 640 && h == 480, "PNG reads back 640x480");
	for (unsigned i = 0; rgb && i < 640 * 480; i++) {
		uint32_t v = grad32(i % 640, i / 640);

		bad += rgb[3 * i] != (v >> 16 & 0xff) || rgb[3 * i + 1] != (v >> 8 & 0xff) ||
		       rgb[3 * i + 2] != (v & 0xff);
	}
	is_int(bad, 0, "PNG pixels equal the surface");
	free(rgb);
	if (fd >= 0)
		close(fd);
	unlink(path);
	rig_fini(&r);
}

int main(void)
{
	test_dispi_handshake();
	test_vbe_32bpp();
	test_vbe_16_15_24();
	test_vbe_panning();
	test_vbe_banked_8bpp();
	test_vbe_planar_4bpp();
	test_damage_dirty_log();
	test_damage_trap();
	test_damage_scan();
	test_dirty_log_spans();
	test_edid();
	test_hostile_dispi();
	test_screenshot();
	return tap_done();
}
