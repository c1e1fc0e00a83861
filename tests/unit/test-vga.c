// SPDX-License-Identifier: GPL-2.0-or-later
/* VGA legacy side: PCI identity, registers, text, planar, 13h, mode X, damage, hostile input. */
#include <stdio.h>

#include "test-vga-rig.h"

#define FRAME_NS	(1000000000ull / 70)

/* ---- PCI function and register file ------------------------------------------------------ */

static void test_pci_identity(void)
{
	struct vga_config cfg = { .rom_path = NULL };
	struct rig r;
	FILE *f = fopen(VGA_DEFAULT_ROM, "rb");
	uint64_t pcir;

	is_int(rig_init(&r, &cfg), 0, "device created with the default ROM path");
	is_int(cfg_rd(&r, PCI_VENDOR_ID, 2), 0x1234, "vendor 1234");
	is_int(cfg_rd(&r, PCI_DEVICE_ID, 2), 0x1111, "device 1111");
	is_int(cfg_rd(&r, PCI_CLASS_REVISION, 4), 0x03000002, "class 0300, revision 2");
	cfg_wr(&r, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	is_int(cfg_rd(&r, PCI_BASE_ADDRESS_0, 4), 0xff000008, "BAR0: 16 MiB, prefetchable");
	cfg_wr(&r, PCI_BASE_ADDRESS_0, (uint32_t)RIG_BAR0, 4);
	cfg_wr(&r, PCI_BASE_ADDRESS_2, 0xffffffff, 4);
	is_int(cfg_rd(&r, PCI_BASE_ADDRESS_2, 4), 0xfffff000, "BAR2: 4 KiB MMIO");
	cfg_wr(&r, PCI_BASE_ADDRESS_2, (uint32_t)RIG_BAR2, 4);
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 0x600, 4), 8, "QEMU extension region size");
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 0x604, 4), 0x1e1e1e1e, "little-endian framebuffer");
	if (!f) {
		ok(1, "# SKIP %s not installed", VGA_DEFAULT_ROM);
	} else {
		fclose(f);
		cfg_wr(&r, PCI_ROM_ADDRESS, (uint32_t)RIG_ROM | 1, 4);
		is_int(bus_rd(&r.mmio, RIG_ROM, 2), 0xaa55, "ROM BAR decodes the option ROM");
		pcir = bus_rd(&r.mmio, RIG_ROM + 0x18, 2);
		is_int(bus_rd(&r.mmio, RIG_ROM + pcir + 4, 4), 0x11111234,
		       "its PCIR names 1234:1111");
	}
	rig_fini(&r);
}

static void test_registers(void)
{
	struct rig r;

	rig_init(&r, NULL);
	outb(&r, 0x3c2, 0x67);
	is_int(inb(&r, 0x3cc), 0x67, "misc output reads back at 0x3cc");
	seq(&r, 3, 0x2d);
	outb(&r, 0x3c4, 3);
	is_int(inb(&r, 0x3c5), 0x2d, "sequencer index/data (one word write)");
	grc(&r, 5, 0xff);
	outb(&r, 0x3ce, 5);
	is_int(inb(&r, 0x3cf), 0x7b, "GR05 keeps only its implemented bits");
	crtc(&r, 0x11, 0x80);
	crtc(&r, 0x01, 0x55);
	crtc(&r, 0x07, 0xff);
	outb(&r, 0x3d4, 0x01);
	is_int(inb(&r, 0x3d5), 0, "CR11 bit 7 protects CR01");
	outb(&r, 0x3d4, 0x07);
	is_int(inb(&r, 0x3d5), 0x10, "...but CR07's line compare bit stays writable");
	outb(&r, 0x3b4, 0x0c);
	is_int(inb(&r, 0x3b5), 0xff, "mono CRTC ports are dead in colour mode");
	inb(&r, 0x3da);
	outb(&r, 0x3c0, 0x11);		/* index: the flip-flop now expects data */
	inb(&r, 0x3da);			/* ...but reading 0x3da resets it */
	outb(&r, 0x3c0, 0x12);		/* so this is an index again */
	outb(&r, 0x3c0, 0x0a);		/* and this AR12's data */
	inb(&r, 0x3da);
	outb(&r, 0x3c0, 0x11);
	is_int(inb(&r, 0x3c1), 0, "reading 0x3da resets the attribute flip-flop (AR11 untouched)");
	inb(&r, 0x3da);
	outb(&r, 0x3c0, 0x12);
	is_int(inb(&r, 0x3c1), 0x0a, "attribute index then data; 0x3c1 reads the data");
	is_int(inb(&r, 0x3da) ^ inb(&r, 0x3da), 0x09, "status 1 retrace bits toggle");
	rig_fini(&r);
}

static void test_dac_and_mmio_ports(void)
{
	struct rig r;
	uint8_t got[6];

	rig_init(&r, NULL);
	outb(&r, 0x3c8, 0x40);
	for (unsigned i = 0; i < 6; i++)
		outb(&r, 0x3c9, (uint8_t)(0xc0 | (i * 9)));
	is_int(inb(&r, 0x3c8), 0x42, "DAC write index advances after each triple");
	outb(&r, 0x3c7, 0x40);
	is_int(inb(&r, 0x3c7), 3, "DAC state says read mode");
	for (unsigned i = 0; i < 6; i++)
		got[i] = inb(&r, 0x3c9);
	ok(got[0] == 0x00 && got[1] == 0x09 && got[4] == 0x24 && got[5] == 0x2d,
	   "6-bit DAC keeps the low 6 bits, read index auto-increments");
	bus_wr(&r.mmio, RIG_BAR2 + 0x404, 0x0f02, 2);	/* SR02 = 0x0f in one MMIO write */
	outb(&r, 0x3c4, 2);
	is_int(inb(&r, 0x3c5), 0x0f, "BAR2 0x404: index and data in one word write");
	is_int(bus_rd(&r.mmio, RIG_BAR2 + 0x405, 1), 0x0f, "BAR2 port reads");
	rig_fini(&r);
}

/* ---- Text mode -------------------------------------------------------------------------------- */

static uint8_t font_row(unsigned c, unsigned row)
{
	return (uint8_t)(c * 0x9d + row * 0x3b + (c >> 3) + 1);
}

/* The INT 10h AH=11h sequence: plane 2 open at A0000, write the glyphs, close it again. */
static void load_font(struct rig *r, unsigned height)
{
	seq(r, 2, 0x04);
	seq(r, 4, 0x07);
	grc(r, 4, 0x02);
	grc(r, 5, 0x00);
	grc(r, 6, 0x04);
	for (unsigned c = 0; c < 256; c++)
		for (unsigned row = 0; row < height; row++)
			bus_wr(&r->mmio, 0xa0000 + c * 32 + row, font_row(c, row), 1);
	seq(r, 2, 0x03);
	seq(r, 4, 0x03);
	grc(r, 4, 0x00);
	grc(r, 5, 0x10);
	grc(r, 6, 0x0e);
}

static uint8_t text_char(unsigned row, unsigned col) { return (uint8_t)(row * 80 + col); }
static uint8_t text_attr(unsigned row, unsigned col) { return (uint8_t)(row * 7 + col * 3); }

static void write_text(struct rig *r, unsigned rows, unsigned cols)
{
	for (unsigned y = 0; y < rows; y++)
		for (unsigned x = 0; x < cols; x++)
			bus_wr(&r->mmio, 0xb8000 + 2 * (y * cols + x),
			       text_char(y, x) | text_attr(y, x) << 8, 2);
}

struct text_expect {
	const struct mode_regs *m;
	unsigned cols, cell_w, xscale, cell_h;
	int cursor_row, cursor_col;
	unsigned cursor_start, cursor_end;
	bool blink_hidden;
};

/* The picture a VGA monitor shows for that text, worked out from the registers' meaning. */
static uint32_t text_pixel(unsigned px, unsigned py, const void *ctx)
{
	const struct text_expect *e = ctx;
	unsigned col = px / (e->cell_w * e->xscale), dx = (px / e->xscale) % e->cell_w;
	unsigned row = py / e->cell_h, rs = py % e->cell_h;
	uint8_t ch = text_char(row, col), at = text_attr(row, col), glyph = font_row(ch, rs);
	unsigned fg = at & 0xf, bg = (at >> 4) & 7, on;

	if ((int)row == e->cursor_row && (int)col == e->cursor_col && rs >= e->cursor_start &&
	    rs <= e->cursor_end)
		on = 1;
	else if (dx < 8)
		on = (glyph >> (7 - dx)) & 1;
	else
		on = ch >= 0xc0 && ch <= 0xdf ? glyph & 1 : 0;
	if ((at & 0x80) && e->blink_hidden)
		fg = bg;
	return test_dac_xrgb(e->m->attr[on ? fg : bg]);
}

static void test_text_80x25(void)
{
	struct text_expect e = { &mode_03, 80, 9, 1, 16, 3, 10, 13, 14, false };
	struct vga_text_cell cells[80 * 25];
	struct vga_text_info info;
	struct display_rect rects[16];
	const struct surface *s;
	char *dump = NULL;
	size_t dump_len = 0;
	FILE *mf;
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_03);
	load_font(&r, 16);
	write_text(&r, 25, 80);
	crtc(&r, 0x0e, 0);
	crtc(&r, 0x0f, 3 * 80 + 10);
	display_update(r.vga);
	s = display_get_surface(r.vga);
	ok(s->width == 720 && s->height == 400, "mode 03h is 720x400 (%ux%u)", s->width,
	   s->height);
	is_int(surface_mismatches(&r, text_pixel, &e), 0,
	       "80x25: glyphs from plane 2, 9th dot, attributes through AC and DAC, cursor");
	r.clock = 24 * FRAME_NS + 1000;		/* cursor and blinking characters off */
	e.cursor_row = -1;
	e.blink_hidden = true;
	display_update(r.vga);
	ok(display_take_damage(r.vga, rects, 16) > 0, "blink phase change damages");
	is_int(surface_mismatches(&r, text_pixel, &e), 0, "blink-off phase: hidden fg, no cursor");

	is_int(vga_text_grid(r.vga, cells, 80 * 25, &info), 0, "text grid");
	ok(info.cols == 80 && info.rows == 25 && info.cursor_row == 3 && info.cursor_col == 10 &&
	   info.cursor_visible, "grid 80x25, cursor at row 3 column 10");
	ok(cells[0].cp == 0x20 && cells[1].cp == 0x263a && cells[0xc9].cp == 0x2554 &&
	   cells[0x41].cp == 'A' && cells[0xe1].cp == 0x00df, "CP437 mapped to Unicode");
	is_int(cells[81].attr, text_attr(1, 1), "cell attributes");
	mf = open_memstream(&dump, &dump_len);
	is_int(vga_text_dump(r.vga, mf), 0, "text dump");
	fclose(mf);
	ok(dump && !strncmp(dump, " \xe2\x98\xba\xe2\x98\xbb\xe2\x99\xa5", 10),
	   "dump is UTF-8 (' \\u263a\\u263b\\u2665...')");
	free(dump);
	rig_fini(&r);
}

static void test_text_40_and_50(void)
{
	struct text_expect e40 = { &mode_01, 40, 9, 2, 16, -1, -1, 0, 0, false };
	struct text_expect e50 = { &mode_03, 80, 9, 1, 8, -1, -1, 0, 0, false };
	struct vga_text_info info;
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_01);
	load_font(&r, 16);
	crtc(&r, 0x0a, 0x20);			/* cursor off */
	for (unsigned y = 0; y < 25; y++)	/* 40-column rows: chars as if 80 wide */
		for (unsigned x = 0; x < 40; x++)
			bus_wr(&r.mmio, 0xb8000 + 2 * (y * 40 + x),
			       text_char(y, x) | text_attr(y, x) << 8, 2);
	display_update(r.vga);
	ok(display_get_surface(r.vga)->width == 720, "40x25: half dot clock doubles dots");
	is_int(surface_mismatches(&r, text_pixel, &e40), 0, "40x25 picture");

	set_mode(&r, &mode_03);
	load_font(&r, 8);
	crtc(&r, 0x09, 0x47);			/* 8-line characters: 50 rows of 400 lines */
	crtc(&r, 0x0a, 0x20);
	write_text(&r, 50, 80);
	display_update(r.vga);
	vga_text_grid(r.vga, NULL, 0, &info);
	is_int(info.rows, 50, "8x8 font: 50 rows");
	is_int(surface_mismatches(&r, text_pixel, &e50), 0, "80x50 picture");
	/* The 350-line timing of the EGA-compatible modes: 43 rows of 8 lines. */
	crtc(&r, 0x10, 0x83);
	crtc(&r, 0x11, 0x85);
	crtc(&r, 0x12, 0x5d);
	crtc(&r, 0x15, 0x63);
	crtc(&r, 0x16, 0xba);
	display_update(r.vga);
	vga_text_grid(r.vga, NULL, 0, &info);
	ok(info.rows == 43 && display_get_surface(r.vga)->height == 350, "80x43: 350 lines");
	is_int(surface_mismatches(&r, text_pixel, &e50), 0, "80x43 picture");
	rig_fini(&r);
}

/* ---- Planar 16 colours (mode 12h) ------------------------------------------------------------ */

static uint8_t planar_model[480][640];

static uint32_t planar_pixel(unsigned x, unsigned y, const void *ctx)
{
	const int *pan = ctx;
	unsigned sx = x + (pan ? (unsigned)*pan : 0);

	if (sx >= 640)	/* the extra fetch reads the next row, or unwritten memory */
		return test_dac_xrgb(mode_12.attr[y + 1 < 480 ? planar_model[y + 1][sx - 640] : 0]);
	return test_dac_xrgb(mode_12.attr[planar_model[y][sx]]);
}

static uint8_t plane_pattern(unsigned p, unsigned b, unsigned y)
{
	return (uint8_t)(((b * 17 + y * 3) * (p + 1)) ^ (p * 0x55));
}

static void win_wr(struct rig *r, unsigned off, uint8_t v) { bus_wr(&r->mmio, 0xa0000 + off, v, 1); }
static uint8_t win_rd(struct rig *r, unsigned off) { return (uint8_t)bus_rd(&r->mmio, 0xa0000 + off, 1); }

/* Rows 0-199: bars of 40 pixels through write mode 2, whole bytes. */
static void draw_bars(struct rig *r)
{
	grc(r, 5, 0x02);
	grc(r, 8, 0xff);
	for (unsigned y = 0; y < 200; y++) {
		for (unsigned b = 0; b < 80; b++) {
			win_wr(r, y * 80 + b, (uint8_t)(b / 5));
			for (unsigned i = 0; i < 8; i++)
				planar_model[y][b * 8 + i] = (uint8_t)(b / 5);
		}
	}
}

/* Rows 200-299: write mode 0, one plane at a time through the map mask. */
static void draw_planes(struct rig *r)
{
	grc(r, 5, 0x00);
	grc(r, 1, 0x00);
	for (unsigned p = 0; p < 4; p++) {
		seq(r, 2, (uint8_t)(1 << p));
		for (unsigned y = 200; y < 300; y++)
			for (unsigned b = 0; b < 80; b++)
				win_wr(r, y * 80 + b, plane_pattern(p, b, y));
	}
	seq(r, 2, 0x0f);
	for (unsigned y = 200; y < 300; y++)
		for (unsigned x = 0; x < 640; x++) {
			unsigned idx = 0;

			for (unsigned p = 0; p < 4; p++)
				idx |= ((plane_pattern(p, x / 8, y) >> (7 - x % 8)) & 1u) << p;
			planar_model[y][x] = (uint8_t)idx;
		}
}

/* Rows 300-399: single pixels, write mode 2 with a bit mask after a latch-loading read. */
static void draw_pixels(struct rig *r)
{
	grc(r, 5, 0x02);
	for (unsigned y = 300; y < 400; y++)
		for (unsigned x = 0; x < 640; x++) {
			grc(r, 8, (uint8_t)(0x80 >> (x % 8)));
			win_rd(r, y * 80 + x / 8);
			win_wr(r, y * 80 + x / 8, (uint8_t)((x * 3 + y) & 15));
			planar_model[y][x] = (uint8_t)((x * 3 + y) & 15);
		}
	grc(r, 8, 0xff);
}

/* Rows 400-479: set/reset fill; then write mode 3 over 400-409; mode 1 copies row 0 to 479. */
static void draw_set_reset_and_copy(struct rig *r)
{
	grc(r, 5, 0x00);
	grc(r, 1, 0x0f);
	for (unsigned y = 400; y < 480; y++) {
		grc(r, 0, (uint8_t)((y / 5) & 15));
		for (unsigned b = 0; b < 80; b++)
			win_wr(r, y * 80 + b, 0x5a);	/* CPU data ignored */
		memset(planar_model[y], (y / 5) & 15, 640);
	}
	grc(r, 1, 0x00);
	grc(r, 5, 0x03);
	grc(r, 0, 9);
	for (unsigned y = 400; y < 410; y++)
		for (unsigned b = 0; b < 80; b++) {
			win_rd(r, y * 80 + b);
			win_wr(r, y * 80 + b, 0xf0);	/* left 4 pixels take set/reset */
			for (unsigned i = 0; i < 4; i++)
				planar_model[y][b * 8 + i] = 9;
		}
	grc(r, 5, 0x01);
	for (unsigned b = 0; b < 80; b++) {
		win_rd(r, b);
		win_wr(r, 479 * 80 + b, 0);
	}
	memcpy(planar_model[479], planar_model[0], 640);
	grc(r, 5, 0x00);
}

static void test_planar_12h(void)
{
	struct rig r;
	int pan = 3;
	uint8_t cmp;

	rig_init(&r, NULL);
	set_mode(&r, &mode_12);
	draw_bars(&r);
	draw_planes(&r);
	draw_pixels(&r);
	draw_set_reset_and_copy(&r);
	display_update(r.vga);
	ok(display_get_surface(r.vga)->width == 640 && display_get_surface(r.vga)->height == 480,
	   "mode 12h is 640x480");
	is_int(surface_mismatches(&r, planar_pixel, NULL), 0,
	       "write modes 0 (map mask, set/reset), 1, 2 (bit mask + latches), 3");

	grc(&r, 5, 0x08);			/* read mode 1: colour compare */
	grc(&r, 2, 5);
	grc(&r, 7, 0x0f);
	is_int(win_rd(&r, 25), 0xff, "colour compare: bar 5 matches colour 5");
	is_int(win_rd(&r, 0), 0x00, "colour compare: bar 0 does not");
	grc(&r, 7, 0x00);
	is_int(win_rd(&r, 0), 0xff, "colour don't care 0: everything matches");
	cmp = 0;
	for (unsigned i = 0; i < 8; i++)
		cmp |= (uint8_t)((planar_model[250][96 + i] == 5) << (7 - i));
	grc(&r, 7, 0x0f);
	is_int(win_rd(&r, 250 * 80 + 12), cmp, "colour compare on mixed pixels");
	grc(&r, 5, 0x00);

	attr(&r, 0x13, 3);			/* horizontal pixel panning */
	video_on(&r);
	display_update(r.vga);
	is_int(surface_mismatches(&r, planar_pixel, &pan), 0, "AR13 pans by 3 pixels");
	attr(&r, 0x13, 0);
	video_on(&r);
	rig_fini(&r);
}

static uint32_t split_pixel(unsigned x, unsigned y, const void *ctx)
{
	unsigned src = y < 100 ? y + 200 : y - 100;

	return test_dac_xrgb(mode_12.attr[planar_model[src][x]]);
}

/* Data rotate and the ALU's AND/OR/XOR with the latches (GR03), read back plane by plane. */
static void test_gc_alu(void)
{
	static const struct { uint8_t gr3; uint8_t cpu; uint8_t want; } cases[] = {
		{ 0x04, 0x0f, 0xf0 },		/* rotate right by 4 */
		{ 0x01, 0x03, 0x81 },		/* rotate right by 1 */
		{ 0x08, 0x3c, 0x3c & 0xa5 },	/* AND with the latch */
		{ 0x10, 0x3c, 0x3c | 0xa5 },	/* OR */
		{ 0x18, 0x3c, 0x3c ^ 0xa5 },	/* XOR */
	};
	unsigned bad;
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_12);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		grc(&r, 3, 0);
		win_wr(&r, 1000, 0xa5);		/* all planes 0xa5 */
		grc(&r, 3, cases[i].gr3);
		win_rd(&r, 1000);		/* latches */
		win_wr(&r, 1000, cases[i].cpu);
		grc(&r, 3, 0);
		bad = 0;
		for (unsigned p = 0; p < 4; p++) {
			grc(&r, 4, (uint8_t)p);
			bad += win_rd(&r, 1000) != cases[i].want;
		}
		grc(&r, 4, 0);
		ok(!bad, "GR03 %#04x: %#04x -> %#04x in every plane", cases[i].gr3, cases[i].cpu,
		   cases[i].want);
	}
	rig_fini(&r);
}

static void test_split_screen(void)
{
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_12);
	draw_bars(&r);
	draw_planes(&r);
	draw_pixels(&r);
	draw_set_reset_and_copy(&r);
	crtc(&r, 0x0c, (200 * 80) >> 8);	/* top window starts at row 200 */
	crtc(&r, 0x0d, (200 * 80) & 0xff);
	crtc(&r, 0x18, 99);			/* line compare 99: rest from address 0 */
	crtc(&r, 0x07, 0x2e);
	crtc(&r, 0x09, 0x00);
	display_update(r.vga);
	is_int(surface_mismatches(&r, split_pixel, NULL), 0,
	       "start address and line compare (split screen)");
	rig_fini(&r);
}

/* ---- CGA 4 colours (mode 04h): interleaved shift register, odd lines at +8 KiB ------------- */

static const struct mode_regs mode_04 = {
	{ 0x09, 0x03, 0x00, 0x02 }, 0x63,
	{ 0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00,
	  0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2, 0xff },
	{ 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	  0x16, 0x17, 0x01, 0x00, 0x03, 0x00 },
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x0f, 0xff },
};

static unsigned cga_value(unsigned x, unsigned y)
{
	return (x / 3 + y) & 3;
}

static uint32_t cga_pixel(unsigned x, unsigned y, const void *ctx)
{
	return test_dac_xrgb(mode_04.attr[cga_value(x, y)]);
}

static void test_cga_mode_04(void)
{
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_04);
	for (unsigned y = 0; y < 200; y++)
		for (unsigned b = 0; b < 80; b++) {
			uint8_t v = 0;

			for (unsigned i = 0; i < 4; i++)
				v |= (uint8_t)(cga_value(b * 4 + i, y) << (6 - 2 * i));
			bus_wr(&r.mmio, 0xb8000 + (y & 1) * 0x2000 + (y / 2) * 80 + b, v, 1);
		}
	display_update(r.vga);
	ok(display_get_surface(r.vga)->width == 320 && display_get_surface(r.vga)->height == 200,
	   "mode 04h is 320x200");
	is_int(surface_mismatches(&r, cga_pixel, NULL), 0,
	       "CGA layout: 2-bit pixels, odd lines from the second 8 KiB bank");
	rig_fini(&r);
}

/* ---- 256 colours: mode 13h and mode X ------------------------------------------------------------- */

static uint32_t m13_pixel(unsigned x, unsigned y, const void *ctx)
{
	return test_dac_xrgb((x + 2 * y) & 0xff);
}

static uint32_t modex_pixel(unsigned x, unsigned y, const void *ctx)
{
	const unsigned *page = ctx;

	return test_dac_xrgb(*page ? (x + 3 * y) & 0xff : (x ^ y) & 0xff);
}

static void test_mode_13h(void)
{
	struct rig r;
	unsigned bad = 0;

	rig_init(&r, NULL);
	set_mode(&r, &mode_13);
	for (unsigned y = 0; y < 200; y++)
		for (unsigned x = 0; x < 320; x += 4) {
			uint32_t v = 0;

			for (unsigned i = 0; i < 4; i++)
				v |= (uint32_t)((x + i + 2 * y) & 0xff) << (8 * i);
			bus_wr(&r.mmio, 0xa0000 + y * 320 + x, v, 4);
		}
	for (unsigned y = 0; y < 200; y += 7)
		bad += win_rd(&r, y * 320 + 13) != ((13 + 2 * y) & 0xff);
	is_int(bad, 0, "chain-4 reads return what was written");
	display_update(r.vga);
	ok(display_get_surface(r.vga)->width == 320 && display_get_surface(r.vga)->height == 200,
	   "mode 13h is 320x200");
	is_int(surface_mismatches(&r, m13_pixel, NULL), 0, "mode 13h gradient");
	rig_fini(&r);
}

static void draw_modex_page(struct rig *r, unsigned base, unsigned page)
{
	for (unsigned p = 0; p < 4; p++) {
		seq(r, 2, (uint8_t)(1 << p));
		for (unsigned y = 0; y < 200; y++)
			for (unsigned q = 0; q < 80; q++) {
				unsigned x = q * 4 + p;

				win_wr(r, base + y * 80 + q,
				       (uint8_t)(page ? (x + 3 * y) & 0xff : (x ^ y) & 0xff));
			}
	}
	seq(r, 2, 0x0f);
}

static void test_mode_x(void)
{
	struct display_rect rects[8];
	unsigned page = 0, n;
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_13);
	seq(&r, 4, 0x06);			/* unchain: planar addressing */
	crtc(&r, 0x14, 0x00);			/* no doubleword */
	crtc(&r, 0x17, 0xe3);			/* byte mode */
	draw_modex_page(&r, 0, 0);
	draw_modex_page(&r, 16000, 1);
	display_update(r.vga);
	is_int(surface_mismatches(&r, modex_pixel, &page), 0, "mode X page 0 (unchained planes)");
	display_take_damage(r.vga, rects, 8);
	crtc(&r, 0x0c, 16000 >> 8);		/* page flip */
	crtc(&r, 0x0d, 16000 & 0xff);
	page = 1;
	display_update(r.vga);
	is_int(surface_mismatches(&r, modex_pixel, &page), 0, "mode X page flip by start address");
	n = display_take_damage(r.vga, rects, 8);
	ok(n >= 1 && rects[0].w > 0, "page flip damages the screen");
	rig_fini(&r);
}

/* ---- Damage ------------------------------------------------------------------------------------ */

static bool covers(const struct display_rect *rects, unsigned n, unsigned x, unsigned y)
{
	for (unsigned i = 0; i < n; i++)
		if (x >= rects[i].x && x < rects[i].x + rects[i].w && y >= rects[i].y &&
		    y < rects[i].y + rects[i].h)
			return true;
	return false;
}

static unsigned area(const struct display_rect *rects, unsigned n)
{
	unsigned a = 0;

	for (unsigned i = 0; i < n; i++)
		a += rects[i].w * rects[i].h;
	return a;
}

static void check_block_damage(struct rig *r, unsigned x0, unsigned y0, unsigned w,
			       unsigned h, const char *what)
{
	struct display_rect rects[32];
	unsigned n, missing = 0;

	display_update(r->vga);
	n = display_take_damage(r->vga, rects, 32);
	for (unsigned y = y0; y < y0 + h; y++)
		for (unsigned x = x0; x < x0 + w; x++)
			missing += !covers(rects, n, x, y);
	ok(n > 0 && !missing, "%s: damage covers the change (%u rects)", what, n);
	ok(area(rects, n) <= 4 * 32 * 32, "%s: damage is at most 4 tiles (%u pixels)", what,
	   area(rects, n));
}

static void test_legacy_damage(void)
{
	struct display_rect rects[8];
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_12);
	draw_bars(&r);
	render_settle(&r);
	display_update(r.vga);
	is_int(display_take_damage(r.vga, rects, 8), 0, "nothing written, nothing damaged");
	grc(&r, 5, 0x02);
	for (unsigned y = 150; y < 166; y++) {
		win_wr(&r, y * 80 + 25, 13);
		win_wr(&r, y * 80 + 26, 13);
	}
	check_block_damage(&r, 200, 150, 16, 16, "planar 16x16 block");

	set_mode(&r, &mode_03);
	load_font(&r, 16);
	write_text(&r, 25, 80);
	render_settle(&r);
	bus_wr(&r.mmio, 0xb8000 + 2 * (10 * 80 + 40), 0x1f41, 2);
	check_block_damage(&r, 40 * 9, 10 * 16, 9, 16, "one text cell");
	rig_fini(&r);
}

/* ---- Hostile input -------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_hostile_crtc(void)
{
	const struct surface *s;
	struct rig r;

	rig_init(&r, NULL);
	set_mode(&r, &mode_03);
	crtc(&r, 0x11, 0x00);
	crtc(&r, 0x01, 0xff);			/* 256 columns */
	crtc(&r, 0x12, 0xff);
	crtc(&r, 0x07, 0xff);			/* 1024 lines, line compare bit 8 */
	crtc(&r, 0x09, 0xff);			/* 32-line cells, double scan */
	crtc(&r, 0x08, 0x1f);			/* preset row scan past max scan line */
	crtc(&r, 0x0c, 0xff);			/* start address at the top of the plane */
	crtc(&r, 0x0d, 0xff);
	crtc(&r, 0x13, 0xff);
	crtc(&r, 0x0a, 0x1f);			/* cursor start after its end */
	crtc(&r, 0x0b, 0x00);
	crtc(&r, 0x0e, 0xff);
	crtc(&r, 0x0f, 0xff);
	crtc(&r, 0x18, 0x00);
	is_int(display_update(r.vga), 0, "text with extreme CRTC values renders");
	s = display_get_surface(r.vga);
	ok(s->width == 256 * 9 && s->height == 512, "...at 2304x512 (%ux%u)", s->width, s->height);
	grc(&r, 6, 0x05);			/* the same timing in graphics, every shift mode */
	for (unsigned m = 0; m < 4; m++) {
		grc(&r, 5, (uint8_t)(m << 5));
		crtc(&r, 0x14, (uint8_t)(m & 1 ? 0x40 : 0));
		crtc(&r, 0x17, (uint8_t)(m & 2 ? 0x00 : 0xff));
		display_update(r.vga);
	}
	ok(display_get_surface(r.vga)->width <= 2048, "graphics with extreme CRTC values");
	rig_fini(&r);
}

/* Random register, window and BAR2 traffic with renders in between: ASan is the judge. */
static void test_fuzz(void)
{
	struct display_rect rects[16];
	struct rig r;
	unsigned renders = 0;

	rig_init(&r, NULL);
	set_mode(&r, &mode_03);
	for (unsigned i = 0; i < 300000; i++) {
		uint64_t v = rnd();

		switch (v & 7) {
		case 0: case 1:
			outb(&r, 0x3b0 + (unsigned)((v >> 8) % 0x30), (uint8_t)(v >> 40));
			break;
		case 2:
			inb(&r, 0x3b0 + (unsigned)((v >> 8) % 0x30));
			break;
		case 3:
			dispi(&r, (uint16_t)((v >> 8) % 12), (uint16_t)(v >> 24));
			break;
		case 4:
			bus_wr(&r.mmio, 0xa0000 + (v >> 8) % 0x20000, v >> 32, 1u << ((v >> 30) & 3));
			break;
		case 5:
			bus_rd(&r.mmio, 0xa0000 + (v >> 8) % 0x20000, 1u << ((v >> 30) & 3));
			break;
		case 6:
			bus_wr(&r.mmio, RIG_BAR2 + 0x400 + (v >> 8) % 0x220, v >> 32,
			       1u << ((v >> 30) & 1));
			break;
		default:
			if (!(i % 64)) {
				r.clock += FRAME_NS * 8;
				display_update(r.vga);
				display_take_damage(r.vga, rects, 16);
				renders++;
			}
		}
	}
	ok(renders > 100, "random traffic survived %u renders", renders);
	rig_fini(&r);
}

int main(void)
{
	test_pci_identity();
	test_registers();
	test_dac_and_mmio_ports();
	test_text_80x25();
	test_text_40_and_50();
	test_planar_12h();
	test_gc_alu();
	test_split_screen();
	test_cga_mode_04();
	test_mode_13h();
	test_mode_x();
	test_legacy_damage();
	test_hostile_crtc();
	test_fuzz();
	return tap_done();
}
