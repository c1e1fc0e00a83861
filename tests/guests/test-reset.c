// SPDX-License-Identifier: GPL-2.0-or-later
// Platform resets: port 0xCF9 hard reset, then port 0x92 fast reset; boots counted in CMOS.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 reboot=yes");
KIT_EXPECT("serial=reset test, boot 0");
KIT_EXPECT("serial=reset: writing 0x06 to port 0xcf9");
KIT_EXPECT("serial=reset test, boot 1");
KIT_EXPECT("serial=reset: setting bit 0 of port 0x92");
KIT_EXPECT("serial=reset test, boot 2");
KIT_EXPECT("serial=reset: both resets done");

static void __attribute__((noreturn)) reset_cf9(void)
{
	/* PIIX4 datasheet §4.1.17 (Reset Control Register): bit 2 starts the reset,
	 * bit 1 picks a hard one. */
	kit_printf("reset: writing 0x06 to port 0xcf9\n");
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	kit_mdelay(2000);
	KIT_FAIL("still running 2 s after writing 0x06 to port 0xcf9");
}

static void __attribute__((noreturn)) reset_port92(void)
{
	uint8_t v = inb(0x92);

	/* System control port A: a 0 -> 1 transition of bit 0 resets the CPU. */
	kit_printf("reset: setting bit 0 of port 0x92 (was 0x%02x)\n", v);
	KIT_ASSERT_EQ(v & 0x01, 0);
	outb(0x92, v | 0x01);
	kit_mdelay(2000);
	KIT_FAIL("still running 2 s after setting bit 0 of port 0x92");
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned boot = kit_boot_number();

	kit_printf("reset test, boot %u\n", boot);
	kit_tsc_per_ms();
	switch (boot) {
	case 0:
		reset_cf9();
	case 1:
		reset_port92();
	case 2:
		kit_printf("reset: both resets done\n");
		return;
	default:
		KIT_FAIL("boot %u: more resets than asked for", boot);
	}
}
