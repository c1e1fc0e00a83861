// SPDX-License-Identifier: GPL-2.0-or-later
/* The display hub: two consumers of one VGA each get every damage rectangle, resizes, trims. */
#include "display-hub.h"
#include "tap.h"
#include "test-vga-rig.h"

#define VBE_ENABLED	0x01
#define VBE_LFB		0x40

static void vbe_mode(struct rig *r, uint16_t x, uint16_t y)
{
	dispi(r, 4, 0);
	dispi(r, 3, 32);
	dispi(r, 1, x);
	dispi(r, 2, y);
	dispi(r, 5, 0);
	dispi(r, 4, VBE_ENABLED | VBE_LFB);
	video_on(r);
}

static void poke(struct rig *r, unsigned w, unsigned x, unsigned y, uint32_t v)
{
	bus_wr(&r->mmio, RIG_BAR0 + ((uint64_t)y * w + x) * 4, v, 4);
}

/* Does any of the n rectangles contain (x, y)? */
static bool covers(const struct display_rect *rects, unsigned n, unsigned x, unsigned y)
{
	for (unsigned i = 0; i < n; i++)
		if (x >= rects[i].x && x < rects[i].x + rects[i].w && y >= rects[i].y &&
		    y < rects[i].y + rects[i].h)
			return true;
	return false;
}

static unsigned take(struct display_consumer *c, struct display_rect *rects, unsigned max,
		     uint64_t *gen, uint32_t *pixel_at_10_20)
{
	const struct surface *s;
	unsigned n;

	s = display_consumer_begin(c, rects, max, &n, gen);
	if (s && pixel_at_10_20)
		*pixel_at_10_20 = s->pixels[20 * s->stride / 4 + 10];
	display_consumer_end(c);
	return n;
}

static bool rect_is(const struct display_rect *r, unsigned x, unsigned y, unsigned w,
		    unsigned h)
{
	return r->x == x && r->y == y && r->w == w && r->h == h;
}

/*
 * display_rect_trim: a 64x40 surface against a copy with a wider stride (as a consumer's
 * memfd may have): the rectangle shrinks to the pixels that differ, nothing is left when
 * none do, and a half-drawn first and last row keep only their changed columns.
 */
static void test_trim(void)
{
	static uint32_t now[40][64], was[40][80];
	struct surface s = { 64, 40, sizeof(now[0]), &now[0][0] };
	struct display_rect all = { 0, 0, 64, 40 }, out[DISPLAY_TRIM_MAX];
	unsigned n;

	for (unsigned y = 0; y < 40; y++)
		for (unsigned x = 0; x < 64; x++)
			now[y][x] = was[y][x] = y * 64 + x;
	is_int(display_rect_trim(&s, was, sizeof(was[0]), &all, out), 0,
	       "trim: nothing differs, nothing left");
	now[10][20] ^= 1;
	now[12][40] ^= 1;
	now[17][5] ^= 1;
	n = display_rect_trim(&s, was, sizeof(was[0]), &all, out);
	ok(n == 3 && rect_is(&out[0], 20, 10, 1, 1) && rect_is(&out[1], 40, 11, 1, 6) &&
	   rect_is(&out[2], 5, 17, 1, 1), "trim: first row, the box between, last row");
	n = display_rect_trim(&s, was, sizeof(was[0]), &(struct display_rect){ 32, 0, 32, 32 },
			      out);
	ok(n == 1 && rect_is(&out[0], 40, 12, 1, 1),
	   "trim: a tile holding one of them keeps just that pixel");
	is_int(display_rect_trim(&s, was, sizeof(was[0]), &(struct display_rect){ 0, 20, 64, 20 },
				 out), 0, "trim: rows below them: nothing");

	/* a guest half-way through row 30 last time, now through row 35 up to column 10 */
	for (unsigned y = 30; y < 36; y++)
		for (unsigned x = y == 30 ? 24 : 0; x < (y == 35 ? 10u : 64u); x++)
			now[y][x] = 7;
	n = display_rect_trim(&s, was, sizeof(was[0]), &(struct display_rect){ 0, 24, 64, 16 },
			      out);
	ok(n == 3 && rect_is(&out[0], 24, 30, 40, 1) && rect_is(&out[1], 0, 31, 64, 4) &&
	   rect_is(&out[2], 0, 35, 10, 1), "trim: a band drawn in part: no column twice");
	for (unsigned x = 0; x < 24; x++)
		now[30][x] = 7;
	n = display_rect_trim(&s, was, sizeof(was[0]), &(struct display_rect){ 0, 30, 64, 5 },
			      out);
	ok(n == 1 && rect_is(&out[0], 0, 30, 64, 5), "trim: rows alike merge into one");
}

int main(void)
{
	struct display_rect rects[8];
	struct display_hub *hub;
	struct display_consumer *a, *b;
	uint64_t gen_a, gen_b, gen2;
	uint32_t px = 0;
	struct rig r;
	unsigned n;

	ok(rig_init(&r, NULL) == 0, "VGA rig");
	vbe_mode(&r, 320, 200);
	hub = display_hub_new(r.vga);
	a = display_hub_attach(hub);
	b = display_hub_attach(hub);
	n = take(a, rects, 8, &gen_a, NULL);
	ok(n == 1 && rects[0].w == 320 && rects[0].h == 200, "a new consumer gets the whole screen");
	n = take(a, rects, 8, &gen_a, NULL);
	is_int(n, 0, "then nothing while the guest draws nothing");

	poke(&r, 320, 10, 20, 0x00ff0000);
	n = take(a, rects, 8, &gen_a, &px);
	ok(n >= 1 && covers(rects, n, 10, 20), "consumer A sees the write at (10,20)");
	is_int(px, 0xffff0000, "and the surface holds the red pixel");
	n = take(b, rects, 8, &gen_b, NULL);
	ok(n == 1 && rects[0].w == 320, "consumer B (first look) gets the whole screen");
	poke(&r, 320, 300, 150, 0x0000ff00);
	n = take(b, rects, 8, &gen_b, NULL);
	ok(n >= 1 && covers(rects, n, 300, 150), "B sees the next write");
	n = take(a, rects, 8, &gen_a, NULL);
	ok(n >= 1 && covers(rects, n, 300, 150),
	   "and A, polling after B rendered it, still gets that damage (not stolen)");

	/* More scattered writes than A keeps: they merge, nothing is lost. */
	for (unsigned i = 0; i < 40; i++)
		poke(&r, 320, (i * 37) % 320, (i * 53) % 200, i);
	take(b, rects, 8, &gen_b, NULL);
	n = take(a, rects, 2, &gen_a, NULL);
	ok(n == 2, "A asks for 2 rectangles and gets 2");
	bool all = true;
	for (unsigned i = 0; i < 40; i++)
		all &= covers(rects, n, (i * 37) % 320, (i * 53) % 200);
	ok(all, "which cover all 40 writes");

	vbe_mode(&r, 640, 480);
	n = take(a, rects, 8, &gen2, NULL);
	ok(gen2 != gen_a && n == 1 && rects[0].w == 640 && rects[0].h == 480,
	   "a mode change: new generation and the whole 640x480 screen");
	n = take(b, rects, 8, &gen2, NULL);
	ok(n == 1 && rects[0].w == 640, "for B too");

	void *png = NULL;
	size_t len = 0;
	ok(display_hub_screenshot_png(hub, &png, &len) == 0 && len > 8 &&
	   !memcmp(png, "\x89PNG", 4), "a screenshot through the hub is a PNG");
	free(png);
	display_hub_detach(a);
	display_hub_detach(b);
	display_hub_free(hub);
	rig_fini(&r);
	test_trim();
	return tap_done();
}
