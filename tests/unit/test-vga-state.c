// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for VGA snapshot state: the loaded card draws the same surface and reads back. */
#include "test-vga-rig.h"

#include "vga-state.h"

static struct rig A, B;

static void win_wr(struct rig *r, unsigned off, uint8_t v) { bus_wr(&r->mmio, 0xa0000 + off, v, 1); }
static uint8_t win_rd(struct rig *r, unsigned off) { return (uint8_t)bus_rd(&r->mmio, 0xa0000 + off, 1); }

static bool same_surface(void)
{
	const struct surface *a, *b;
	bool same = true;

	display_update(A.vga);
	display_update(B.vga);
	a = display_get_surface(A.vga);
	b = display_get_surface(B.vga);
	if (a->width != b->width || a->height != b->height) {
		printf("#   %ux%u vs %ux%u\n", a->width, a->height, b->width, b->height);
		return false;
	}
	for (unsigned y = 0; y < a->height && same; y++)
		same = !memcmp(a->pixels + (size_t)y * (a->stride / 4),
			       b->pixels + (size_t)y * (b->stride / 4), a->width * 4);
	return same;
}

/* Every indexed register and DISPI register as the guest reads them, flip-flop untouched. */
static void read_regs(struct rig *r, uint8_t *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 8; i++) {
		outb(r, 0x3c4, (uint8_t)i);
		out[n++] = inb(r, 0x3c5);
	}
	for (unsigned i = 0; i < 16; i++) {
		outb(r, 0x3ce, (uint8_t)i);
		out[n++] = inb(r, 0x3cf);
	}
	for (unsigned i = 0; i < 0x19; i++) {
		outb(r, 0x3d4, (uint8_t)i);
		out[n++] = inb(r, 0x3d5);
	}
	out[n++] = inb(r, 0x3cc);
	out[n++] = inb(r, 0x3c6);
	for (unsigned i = 0; i < 10; i++) {
		uint16_t v = dispi_rd(r, (uint16_t)i);

		out[n++] = (uint8_t)v;
		out[n++] = (uint8_t)(v >> 8);
	}
}

static bool vram_equal(void)
{
	uint64_t sa, sb;
	const uint8_t *a = vga_vram(A.vga, &sa), *b = vga_vram(B.vga, &sb);

	return sa == sb && !memcmp(a, b, sa);
}

/* Save A, load the blob into B: 0 and the blob freed. */
static int transfer(void)
{
	void *blob = NULL;
	size_t len = 0;
	int ret = vga_save(A.vga, &blob, &len);

	if (!ret)
		ret = vga_load(B.vga, blob, len);
	free(blob);
	return ret;
}

/* Planar 12h with drawing, latches loaded by a read, the flip-flop left at "data next". */
static void test_planar(void)
{
	uint8_t ra[128] = { 0 }, rb[128] = { 0 };

	set_mode(&A, &mode_12);
	seq(&A, 2, 0x05);			/* planes 0 and 2 */
	for (unsigned i = 0; i < 8000; i++)
		win_wr(&A, i * 4, (uint8_t)(i * 37));
	seq(&A, 2, 0x0f);
	win_rd(&A, 4 * 123);			/* the latches now hold that address's bytes */
	bus_wr(&B.mmio, 0xa0000 + 0xfff0, 0x77, 1);	/* B has old contents: must go */
	read_regs(&A, ra);
	inb(&A, 0x3da);
	outb(&A, 0x3c0, 0x12);			/* AR index written; the next write is data */
	is_int(transfer(), 0, "save planar A, load into B");
	ok(same_surface(), "B renders the same 640x480 planar frame");
	ok(vram_equal(), "VRAM identical, B's stale bytes gone");
	read_regs(&B, rb);
	ok(!memcmp(ra, rb, sizeof(ra)), "sequencer, GC, CRTC, misc, PEL mask, DISPI read back");
	outb(&A, 0x3c0, 0x0a);
	outb(&B, 0x3c0, 0x0a);			/* data for AR12 on both, if the flip-flop came over */
	video_on(&A);
	video_on(&B);
	inb(&A, 0x3da);
	inb(&B, 0x3da);
	outb(&A, 0x3c0, 0x32);
	outb(&B, 0x3c0, 0x32);
	is_int(inb(&B, 0x3c1), inb(&A, 0x3c1), "attribute flip-flop and AR12 carried over");
	grc(&A, 5, 0x01);			/* write mode 1: the latches go to memory */
	grc(&B, 5, 0x01);
	win_wr(&A, 9000, 0);
	win_wr(&B, 9000, 0);
	ok(vram_equal(), "write mode 1 stores the same latches on both");
	grc(&A, 5, 0x00);
	grc(&B, 5, 0x00);
}

/* A VBE 800x600x32 frame with a pan, 8-bit DAC and a palette change mid-sequence. */
static void test_vbe(void)
{
	uint64_t size;
	uint32_t *fb = (uint32_t *)vga_vram(A.vga, &size);

	dispi(&A, 1, 800);
	dispi(&A, 2, 600);
	dispi(&A, 3, 32);
	dispi(&A, 4, 0x41 | 0x20);
	dispi(&A, 9, 10);			/* Y offset: the frame starts 10 lines down */
	for (unsigned i = 0; i < 800 * 640; i++)
		fb[i] = i * 2654435761u;
	outb(&A, 0x3c8, 5);
	outb(&A, 0x3c9, 0xaa);			/* DAC write in progress: 1 of 3 components */
	is_int(transfer(), 0, "save VBE A, load into B");
	ok(same_surface(), "B renders the same 800x600 frame at the same offset");
	is_int(display_get_surface(B.vga)->width, 800, "800 wide");
	outb(&A, 0x3c9, 0xbb);
	outb(&A, 0x3c9, 0xcc);
	outb(&B, 0x3c9, 0xbb);
	outb(&B, 0x3c9, 0xcc);
	outb(&A, 0x3c7, 5);
	outb(&B, 0x3c7, 5);
	ok(inb(&B, 0x3c9) == 0xaa && inb(&B, 0x3c9) == 0xbb && inb(&B, 0x3c9) == 0xcc,
	   "the DAC write begun on A finished on B (8-bit components)");
	dispi(&A, 4, 0);
	dispi(&B, 4, 0);
}

typedef void (*mutate_fn)(struct vga_state *s);

static void m_version(struct vga_state *s) { s->version = 9; }
static void m_vsize(struct vga_state *s) { s->vram_size = 32ull << 20; }
static void m_sridx(struct vga_state *s) { s->sr_index = 8; }
static void m_sr(struct vga_state *s) { s->sr[0] = 0x80; }
static void m_gr(struct vga_state *s) { s->gr[9] = 1; }
static void m_ar(struct vga_state *s) { s->ar[0] = 0x40; }
static void m_cr(struct vga_state *s) { s->cr[0x30] = 1; }
static void m_arindex(struct vga_state *s) { s->ar_index = 0x40; }
static void m_dacsub(struct vga_state *s) { s->dac_sub = 3; }
static void m_dacstate(struct vga_state *s) { s->dac_state = 1; }
static void m_st01(struct vga_state *s) { s->st01 = 2; }
static void m_flag(struct vga_state *s) { s->ar_data_next = 2; }
static void m_edid(struct vga_state *s) { s->edid[20] ^= 1; }
static void m_id(struct vga_state *s) { s->dispi[0] = 0x1234; }
static void m_bank(struct vga_state *s) { s->dispi[5] = 256; }
static void m_mem64k(struct vga_state *s) { s->dispi[10] = 1; }
static void m_enbits(struct vga_state *s) { s->dispi[4] |= 0x100; }

static void vbe_on(struct vga_state *s, unsigned x, unsigned y, unsigned bpp)
{
	s->dispi[1] = (uint16_t)x;
	s->dispi[2] = (uint16_t)y;
	s->dispi[3] = (uint16_t)bpp;
	s->dispi[6] = (uint16_t)x;
	s->dispi[7] = (uint16_t)((16u << 20) / (x * ((bpp + 7) / 8)));
	s->dispi[4] = 0x41;
}

static void m_ok_mode(struct vga_state *s) { vbe_on(s, 1024, 768, 32); }
static void m_xres(struct vga_state *s) { vbe_on(s, 1020, 768, 32); }
static void m_bpp(struct vga_state *s) { vbe_on(s, 1024, 768, 32); s->dispi[3] = 7; }
static void m_big(struct vga_state *s) { vbe_on(s, 2560, 1600, 32); s->dispi[2] = 1700; }
static void m_yoff(struct vga_state *s) { vbe_on(s, 1024, 768, 32); s->dispi[9] = 5000; }
static void m_vh(struct vga_state *s) { vbe_on(s, 1024, 768, 32); s->dispi[7]++; }
static void m_vw(struct vga_state *s) { vbe_on(s, 1024, 768, 32); s->dispi[6] = 512; }

static void test_hostile(void)
{
	static const struct { mutate_fn fn; const char *what; } cases[] = {
		{ m_version, "version 9" }, { m_vsize, "another VRAM size" },
		{ m_sridx, "sequencer index 8" }, { m_sr, "SR0 bit 7" }, { m_gr, "GR9" },
		{ m_ar, "palette register bit 6" }, { m_cr, "CR30" },
		{ m_arindex, "AR index bit 6" }, { m_dacsub, "DAC component 3" },
		{ m_dacstate, "DAC state 1" }, { m_st01, "status 1 bit 1" },
		{ m_flag, "flip-flop 2" }, { m_edid, "EDID checksum" },
		{ m_id, "DISPI ID 0x1234" }, { m_bank, "bank 256 of 256" },
		{ m_mem64k, "video memory register written" }, { m_enbits, "enable bit 8" },
		{ m_xres, "XRES not a multiple of 8" }, { m_bpp, "7 bpp" },
		{ m_big, "1700 lines" }, { m_yoff, "Y offset past VRAM" },
		{ m_vh, "virtual height not computed" }, { m_vw, "virtual width < XRES" },
	};
	void *blob = NULL, *ref = NULL, *ref2 = NULL;
	size_t len = 0, ref_len = 0, ref2_len = 0;
	struct vga_state *s;

	vga_save(A.vga, &blob, &len);
	vga_save(B.vga, &ref, &ref_len);
	ok(len > sizeof(struct vga_state) && len < sizeof(struct vga_state) + (3u << 20),
	   "only the used part of VRAM is saved (%zu bytes)", len);
	is_int(vga_load(B.vga, blob, sizeof(*s) - 1), -EINVAL, "truncated header");
	is_int(vga_load(B.vga, blob, len - 1), -EINVAL, "truncated VRAM");
	s = malloc(len);
	memcpy(s, blob, len);
	s->vram_len -= 1;
	is_int(vga_load(B.vga, s, len - 1), -EINVAL, "VRAM length not whole pages");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(s, blob, len);
		cases[i].fn(s);
		is_int(vga_load(B.vga, s, len), -EINVAL, "refused: %s", cases[i].what);
	}
	vga_save(B.vga, &ref2, &ref2_len);
	ok(ref_len == ref2_len && !memcmp(ref, ref2, ref_len), "B unchanged by all of them");
	memcpy(s, blob, len);
	m_ok_mode(s);
	is_int(vga_load(B.vga, s, len), 0, "a consistent 1024x768x32 mode is accepted");
	display_update(B.vga);
	is_int(display_get_surface(B.vga)->width, 1024, "and drawn at 1024 wide");
	free(s);
	free(blob);
	free(ref);
	free(ref2);
}

static uint64_t seed = 0x243f6a8885a308d3ull;

static uint32_t rnd(uint32_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % n);
}

/* Random changes to the registers: taken or refused; a taken state renders and runs. */
static void test_fuzz(void)
{
	void *blob = NULL;
	size_t len = 0;
	unsigned taken = 0, refused = 0;
	uint8_t *m;

	vga_save(A.vga, &blob, &len);
	m = malloc(len);
	for (unsigned i = 0; i < 300; i++) {
		memcpy(m, blob, len);
		for (unsigned k = 1 + rnd(4); k; k--)
			m[16 + rnd(sizeof(struct vga_state) - 16 - 128)] = (uint8_t)rnd(256);
		if (vga_load(B.vga, m, len)) {
			refused++;
			continue;
		}
		taken++;
		display_update(B.vga);
		win_wr(&B, rnd(0x20000), 0x5a);
		win_rd(&B, rnd(0x20000));
		inb(&B, 0x3c9);
		dispi_rd(&B, (uint16_t)rnd(16));
	}
	ok(taken && refused, "300 mutated states: %u loaded and rendered, %u refused", taken,
	   refused);
	free(m);
	free(blob);
}

int main(void)
{
	if (rig_init(&A, NULL) || rig_init(&B, NULL))
		skip_all("cannot create two VGA rigs");
	test_planar();
	test_vbe();
	test_hostile();
	test_fuzz();
	rig_fini(&A);
	rig_fini(&B);
	return tap_done();
}
