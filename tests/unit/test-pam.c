// SPDX-License-Identifier: GPL-2.0-or-later
/* PAM: the i440FX register decode (value → segment mode) and the KVM slots built from it. */
#include <stdint.h>
#include <string.h>

#include "i440fx.h"
#include "memory.h"
#include "pam.h"
#include "tap.h"

static uint8_t ram[PC_SHADOW_END - PC_SHADOW_START];
static uint8_t rom[128 << 10];

static void test_segments(void)
{
	uint32_t gpa = 0, size = 0;

	ok(i440fx_pam_segment(0, &gpa, &size) && gpa == 0xc0000 && size == 0x4000,
	   "segment 0 is 0xC0000, 16 KiB");
	ok(i440fx_pam_segment(11, &gpa, &size) && gpa == 0xec000 && size == 0x4000,
	   "segment 11 is 0xEC000, 16 KiB");
	ok(i440fx_pam_segment(12, &gpa, &size) && gpa == 0xf0000 && size == 0x10000,
	   "segment 12 is 0xF0000, 64 KiB");
	ok(!i440fx_pam_segment(13, &gpa, &size), "no segment 13");
	is_int(i440fx_pam_segment_of(0xbffff), -1, "0xBFFFF is outside");
	is_int(i440fx_pam_segment_of(0xc3fff), 0, "0xC3FFF in segment 0");
	is_int(i440fx_pam_segment_of(0xc4000), 1, "0xC4000 in segment 1");
	is_int(i440fx_pam_segment_of(0xeffff), 11, "0xEFFFF in segment 11");
	is_int(i440fx_pam_segment_of(0xf0000), 12, "0xF0000 in segment 12");
	is_int(i440fx_pam_segment_of(0xfffff), 12, "0xFFFFF in segment 12");
	is_int(i440fx_pam_segment_of(0x100000), -1, "1 MiB is outside");
}

/* Every field of every register: bits 1:0 the lower half, 5:4 the upper (RE bit 0, WE bit 1). */
static void test_decode(void)
{
	uint8_t regs[I440FX_NPAM];
	unsigned bad = 0;

	for (unsigned r = 1; r < I440FX_NPAM; r++) {
		for (unsigned v = 0; v < 256; v++) {
			memset(regs, 0, sizeof(regs));
			regs[r] = (uint8_t)v;
			for (unsigned s = 0; s < I440FX_PAM_SEGMENTS; s++) {
				unsigned want = 0;

				if (s == 2 * (r - 1))
					want = v & 3;
				else if (s == 2 * (r - 1) + 1)
					want = (v >> 4) & 3;
				bad += i440fx_pam_mode(regs, s) != (enum pam_mode)want;
			}
		}
	}
	is_int(bad, 0, "PAM1-6: each field decodes only its own 16 KiB segment");
	memset(regs, 0, sizeof(regs));
	regs[0] = 0x30;
	is_int(i440fx_pam_mode(regs, 12), PAM_RAM, "PAM0 0x30: 0xF0000 read/write RAM");
	regs[0] = 0x10;
	is_int(i440fx_pam_mode(regs, 12), PAM_READ_ONLY, "PAM0 0x10 (SeaBIOS lock): read-only");
	regs[0] = 0x20;
	is_int(i440fx_pam_mode(regs, 12), PAM_WRITE_ONLY, "PAM0 0x20: write-only");
	regs[0] = 0x0f;
	is_int(i440fx_pam_mode(regs, 12), PAM_PCI, "PAM0 bits 3:0 do not decode 0xF0000");
	is_int(i440fx_pam_mode(regs, 11), PAM_PCI, "PAM0 decodes nothing below 0xF0000");
	regs[1] = 0x12;
	ok(i440fx_pam_mode(regs, 0) == PAM_WRITE_ONLY && i440fx_pam_mode(regs, 1) == PAM_READ_ONLY,
	   "PAM1 0x12: 0xC0000 write-only, 0xC4000 read-only");
	ok(!pam_reads_ram(PAM_WRITE_ONLY) && pam_writes_ram(PAM_WRITE_ONLY) &&
	   pam_reads_ram(PAM_READ_ONLY) && !pam_writes_ram(PAM_READ_ONLY) &&
	   !pam_reads_ram(PAM_PCI) && !pam_writes_ram(PAM_PCI), "RE/WE predicates");
}

static void modes_of(const uint8_t regs[I440FX_NPAM], enum pam_mode *m)
{
	for (unsigned s = 0; s < I440FX_PAM_SEGMENTS; s++)
		m[s] = i440fx_pam_mode(regs, s);
}

static unsigned layout(const uint8_t regs[I440FX_NPAM], const uint8_t *r, uint64_t rom_gpa,
		       struct pam_slot *out)
{
	enum pam_mode m[I440FX_PAM_SEGMENTS];

	modes_of(regs, m);
	return pam_layout(m, ram, r, rom_gpa, out);
}

static bool slot_is(const struct pam_slot *s, uint64_t gpa, uint64_t size, const uint8_t *hva,
		    bool ro)
{
	return s->gpa == gpa && s->size == size && s->hva == hva && s->readonly == ro;
}

static void test_layout_cases(void)
{
	const uint8_t unlocked[I440FX_NPAM] = { 0x30, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33 };
	const uint8_t locked[I440FX_NPAM] = { 0x10, 0x11, 0x11, 0x33, 0x33, 0x33, 0x33 };
	const uint8_t wo[I440FX_NPAM] = { 0x20, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33 };
	const uint8_t reset[I440FX_NPAM] = { 0 };
	const uint8_t *rom_e = rom;	/* a 128 KiB alias: 0xE0000-0xFFFFF */
	struct pam_slot s[I440FX_PAM_SEGMENTS];
	unsigned n;

	n = layout(unlocked, rom_e, 0xe0000, s);
	ok(n == 1 && slot_is(&s[0], 0xc0000, 0x40000, ram, false), "all RAM: one writable slot");
	n = layout(reset, NULL, 0, s);
	is_int(n, 0, "power-on values, no ROM: no slot (all MMIO, all-ones)");
	n = layout(reset, rom_e, 0xe0000, s);
	ok(n == 1 && slot_is(&s[0], 0xe0000, 0x20000, rom, true),
	   "power-on values with firmware: only the ROM alias, read-only");
	n = layout(reset, rom + 0x10000, 0xf0000, s);
	ok(n == 1 && slot_is(&s[0], 0xf0000, 0x10000, rom + 0x10000, true),
	   "a 64 KiB ROM is decoded at 0xF0000 only");
	n = layout(locked, rom_e, 0xe0000, s);
	ok(n == 3 && slot_is(&s[0], 0xc0000, 0x10000, ram, true) &&
	   slot_is(&s[1], 0xd0000, 0x20000, ram + 0x10000, false) &&
	   slot_is(&s[2], 0xf0000, 0x10000, ram + 0x30000, true),
	   "SeaBIOS's lock: option ROMs and BIOS read-only RAM, the rest read/write");
	n = layout(wo, rom_e, 0xe0000, s);
	ok(n == 2 && slot_is(&s[0], 0xc0000, 0x30000, ram, false) &&
	   slot_is(&s[1], 0xf0000, 0x10000, rom + 0x10000, true),
	   "write-only 0xF0000: reads from the ROM (writes exit to RAM)");
	n = layout(wo, NULL, 0, s);
	ok(n == 1 && slot_is(&s[0], 0xc0000, 0x30000, ram, false),
	   "write-only without ROM: no slot at 0xF0000 (MMIO)");
}

/* What a guest read of segment s must see: RAM, the ROM, or nothing (0). */
static const uint8_t *expect_read(enum pam_mode m, uint64_t gpa, const uint8_t *r,
				  uint64_t rom_gpa)
{
	if (pam_reads_ram(m))
		return ram + (gpa - PC_SHADOW_START);
	if (r && gpa >= rom_gpa)
		return r + (gpa - rom_gpa);
	return NULL;
}

static const struct pam_slot *slot_at(const struct pam_slot *s, unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= s[i].gpa && gpa - s[i].gpa < s[i].size)
			return &s[i];
	return NULL;
}

/* Sorted, disjoint, inside the area, and each segment backed as its mode says. */
static bool layout_right(const uint8_t regs[I440FX_NPAM], const uint8_t *r, uint64_t rom_gpa)
{
	struct pam_slot s[I440FX_PAM_SEGMENTS];
	enum pam_mode m[I440FX_PAM_SEGMENTS];
	unsigned n = layout(regs, r, rom_gpa, s);

	modes_of(regs, m);
	for (unsigned i = 0; i < n; i++) {
		if (s[i].gpa < PC_SHADOW_START || s[i].gpa + s[i].size > PC_SHADOW_END)
			return false;
		if (i && s[i - 1].gpa + s[i - 1].size > s[i].gpa)
			return false;
	}
	for (unsigned seg = 0; seg < I440FX_PAM_SEGMENTS; seg++) {
		uint32_t gpa, size;
		const uint8_t *want;
		const struct pam_slot *sl;

		i440fx_pam_segment(seg, &gpa, &size);
		want = expect_read(m[seg], gpa, r, rom_gpa);
		sl = slot_at(s, n, gpa);
		if (!want != !sl || (sl && gpa + size > sl->gpa + sl->size))
			return false;
		if (!sl)
			continue;
		if (sl->hva + (gpa - sl->gpa) != want)
			return false;
		/* RAM is writable exactly when WE is set; a ROM is never mapped writable. */
		if (pam_reads_ram(m[seg]) ? sl->readonly == pam_writes_ram(m[seg]) : !sl->readonly)
			return false;
	}
	return true;
}

static void test_layout_random(void)
{
	uint32_t x = 0x2545f491;
	unsigned bad = 0;

	for (unsigned iter = 0; iter < 20000; iter++) {
		uint8_t regs[I440FX_NPAM];

		for (unsigned i = 0; i < I440FX_NPAM; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			regs[i] = (uint8_t)(x & (i ? 0x33 : 0x30));
		}
		bad += !layout_right(regs, NULL, 0);
		bad += !layout_right(regs, rom, 0xe0000);
		bad += !layout_right(regs, rom + 0x10000, 0xf0000);
	}
	is_int(bad, 0, "20000 random PAM settings: slots disjoint and backed as each mode says");
}

int main(void)
{
	test_segments();
	test_decode();
	test_layout_cases();
	test_layout_random();
	return tap_done();
}
