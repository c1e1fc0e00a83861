// SPDX-License-Identifier: GPL-2.0-or-later
// PAM shadowing: read-only, write-only, disabled and RAM modes at 0xC0000-0xFFFFF; reset.
#include "kit.h"

/*
 * i440FX PAM registers (82441FX datasheet §3.2.17): PAM0 at 0x59 decodes 0xF0000-0xFFFFF
 * with bits 5:4, PAM1-6 at 0x5A-0x5F decode 16 KiB halves of 0xC0000-0xEFFFF with bits 1:0
 * (lower) and 5:4 (upper); in each field bit 0 is RE and bit 1 WE.
 *
 * Built twice: as a kit guest (direct boot, the VMM leaves shadow RAM unlocked and there is
 * no ROM, so the PCI side reads all-ones) and, with PAM_UNDER_SEABIOS, as the second stage
 * of a disk SeaBIOS boots (tests/firmware, case "pam"): there SeaBIOS must have locked the
 * BIOS (PAM0 = 0x10) and the PCI side of 0xF0000 is the BIOS ROM, also at 0xFFF00000 + addr.
 */
#ifndef PAM_UNDER_SEABIOS
KIT_EXPECT("cpus=1 memory=32M timeout=30 exit=0 reboot=yes");
KIT_EXPECT("serial=pam: boot 0");
KIT_EXPECT("serial=pam: F segment modes ok");
KIT_EXPECT("serial=pam: 16 KiB halves ok");
KIT_EXPECT("serial=pam: straddling accesses ok");
KIT_EXPECT("serial=pam: boot 1");
KIT_EXPECT("serial=pam: reset restored shadow RAM");
KIT_EXPECT("forbid=FAIL");
#endif

#define PAM0		0x59
#define FSEG		0xf0000u

static void pam_set(unsigned idx, uint8_t v)
{
	pci_cfg_write8(0, 0, 0, PAM0 + idx, v);
	KIT_ASSERT_EQ(pci_cfg_read8(0, 0, 0, PAM0 + idx), v);
}

static uint32_t rd(uint32_t a)
{
	return mmio_read32(a);
}

static void wr(uint32_t a, uint32_t v)
{
	mmio_write32(a, v);
}

/* What the PCI side answers at a (reads with RE clear): the ROM alias, or nothing. */
static uint32_t pci_side(uint32_t a)
{
#ifdef PAM_UNDER_SEABIOS
	return rd(0xfff00000u + a);
#else
	return 0xffffffffu;
#endif
}

/* The four modes of the F segment, each checked against what RAM holds underneath. */
static void test_fseg(uint32_t a)
{
	uint32_t orig, mark, rom = pci_side(a);

	pam_set(0, 0x30);
	orig = rd(a);
	mark = ~rom ^ 0x5a5a0000u;	/* differs from the ROM in every byte that matters */
	wr(a, mark);
	KIT_ASSERT_EQ(rd(a), mark);			/* RE+WE: RAM */

	pam_set(0, 0x10);
	KIT_ASSERT_EQ(rd(a), mark);			/* RE: reads RAM ... */
	wr(a, mark ^ 0x11111111u);
	mmio_write8(a + 1, 0x77);
	KIT_ASSERT_EQ(rd(a), mark);			/* ... writes dropped */

	pam_set(0, 0x20);
	KIT_ASSERT_EQ(rd(a), rom);			/* WE: reads from PCI ... */
	wr(a, mark ^ 0x22222222u);
	KIT_ASSERT_EQ(rd(a), rom);
	pam_set(0, 0x10);
	KIT_ASSERT_EQ(rd(a), mark ^ 0x22222222u);	/* ... writes reached RAM */

	pam_set(0, 0x00);
	KIT_ASSERT_EQ(rd(a), rom);			/* neither: PCI both ways */
	wr(a, mark ^ 0x33333333u);
	KIT_ASSERT_EQ(rd(a), rom);
	pam_set(0, 0x30);
	KIT_ASSERT_EQ(rd(a), mark ^ 0x22222222u);	/* RAM untouched by the PCI write */
	wr(a, orig);
	kit_printf("pam: F segment modes ok (PCI side 0x%08x)\n", rom);
}

#ifndef PAM_UNDER_SEABIOS
/* PAM3 bits 1:0 decode 0xD0000, bits 5:4 0xD4000: each half follows only its own field. */
static void test_halves(void)
{
	pam_set(3, 0x33);
	wr(0xd0000, 0x1000d000);
	wr(0xd4000, 0x1000d400);
	pam_set(3, 0x13);		/* lower RAM, upper read-only */
	wr(0xd0000, 0x2000d000);
	wr(0xd4000, 0x2000d400);
	KIT_ASSERT_EQ(rd(0xd0000), 0x2000d000);
	KIT_ASSERT_EQ(rd(0xd4000), 0x1000d400);
	pam_set(3, 0x20);		/* lower disabled, upper write-only */
	KIT_ASSERT_EQ(rd(0xd0000), 0xffffffff);
	KIT_ASSERT_EQ(rd(0xd4000), 0xffffffff);
	wr(0xd0000, 0x3000d000);
	wr(0xd4000, 0x3000d400);
	pam_set(3, 0x33);
	KIT_ASSERT_EQ(rd(0xd0000), 0x2000d000);
	KIT_ASSERT_EQ(rd(0xd4000), 0x3000d400);
	/* Other registers' segments were not touched: PAM6's 0xEC000 stays RAM. */
	wr(0xec000, 0x1234abcd);
	KIT_ASSERT_EQ(rd(0xec000), 0x1234abcd);
	kit_printf("pam: 16 KiB halves ok\n");
}

/* A dword across 0xC4000, where PAM1's two halves differ: each byte follows its own half. */
static void test_straddle(void)
{
	pam_set(1, 0x33);
	wr(0xc3ffc, 0);
	wr(0xc4000, 0);
	pam_set(1, 0x13);		/* 0xC0000 RAM, 0xC4000 read-only */
	wr(0xc3ffe, 0xaabbccdd);
	pam_set(1, 0x03);		/* 0xC4000 disabled: reads all-ones */
	KIT_ASSERT_EQ(rd(0xc3ffe), 0xffffccdd);
	pam_set(1, 0x33);
	KIT_ASSERT_EQ(rd(0xc3ffc), 0xccdd0000);
	KIT_ASSERT_EQ(rd(0xc4000), 0);
	kit_printf("pam: straddling accesses ok\n");
}

static void __attribute__((noreturn)) reset_locked(void)
{
	wr(0xd8000, 0xfeedf00d);
	pam_set(0, 0x10);
	pam_set(4, 0x00);
	kit_printf("pam: resetting with PAM0 0x10, PAM4 0x00\n");
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	kit_mdelay(2000);
	KIT_FAIL("still running 2 s after the reset");
}

/* After a reset the VMM's direct boot unlocks again: registers and mapping agree. */
static void check_after_reset(void)
{
	KIT_ASSERT_EQ(pci_cfg_read8(0, 0, 0, PAM0), 0x30);
	for (unsigned i = 1; i < 7; i++)
		KIT_ASSERT_EQ(pci_cfg_read8(0, 0, 0, PAM0 + i), 0x33);
	KIT_ASSERT_EQ(rd(0xd8000), 0xfeedf00d);	/* the same RAM pages as before */
	wr(0xd8000, 0x600dd00d);
	KIT_ASSERT_EQ(rd(0xd8000), 0x600dd00d);
	wr(FSEG, 0x600df00d);
	KIT_ASSERT_EQ(rd(FSEG), 0x600df00d);
	kit_printf("pam: reset restored shadow RAM\n");
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned boot = kit_boot_number();

	kit_printf("pam: boot %u\n", boot);
	if (boot == 1) {
		check_after_reset();
		return;
	}
	KIT_ASSERT_EQ(boot, 0);
	/* Direct boot plays the firmware and leaves shadow RAM unlocked. */
	KIT_ASSERT_EQ(pci_cfg_read8(0, 0, 0, PAM0), 0x30);
	for (unsigned i = 1; i < 7; i++)
		KIT_ASSERT_EQ(pci_cfg_read8(0, 0, 0, PAM0 + i), 0x33);
	test_fseg(FSEG);
	test_fseg(0xffff0);
	test_halves();
	test_straddle();
	kit_tsc_per_ms();
	reset_locked();
}
#else
void stage2_main(uint32_t drive);

void stage2_main(uint32_t drive)
{
	const uint32_t a = 0xffff0;	/* the reset vector: SeaBIOS never changes it */
	uint32_t before;
	uint8_t pam0, b;

	kit_serial_init();
	kit_idt_init();
	pic_remap_and_mask();
	pam0 = pci_cfg_read8(0, 0, 0, PAM0);
	kit_printf("pam: SeaBIOS left PAM0 0x%02x\n", pam0);
	/* SeaBIOS's make_bios_readonly: the F segment is read-only shadow RAM. */
	KIT_ASSERT_EQ(pam0, 0x10);
	before = rd(a);
	KIT_ASSERT_EQ(before, pci_side(a));	/* SeaBIOS's shadow copy of its ROM */
	wr(a, ~before);
	b = mmio_read8(FSEG);
	mmio_write8(FSEG, (uint8_t)~b);
	KIT_ASSERT_EQ(rd(a), before);
	KIT_ASSERT_EQ(mmio_read8(FSEG), b);
	kit_printf("pam: BIOS area locked\n");
	test_fseg(a);
	pam_set(0, 0x10);
	KIT_ASSERT_EQ(rd(a), before);
	kit_printf("pam: DONE\n");
	kit_exit(KIT_EXIT_PASS);
}
#endif
