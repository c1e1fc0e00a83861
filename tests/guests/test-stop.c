// SPDX-License-Identifier: GPL-2.0-or-later
// A reset or test-exit request stops the CPU that made it: nothing it runs afterwards counts.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 reboot=yes");
KIT_EXPECT("serial=stop test, boot 0");
KIT_EXPECT("serial=stop: 0x06 to port 0xcf9, then at once a triple fault");
KIT_EXPECT("serial=stop test, boot 1");
KIT_EXPECT("serial=stop: writing 0 to the test-exit port");
KIT_EXPECT("forbid=ran on after");

/*
 * SeaBIOS reboots this way (src/resume.c, tryReboot(): the i8042 pulse, then 0x02 and 0x06
 * to port 0xCF9, then "int3" with no usable IDT as the last resort). On a PC every one of
 * them resets the machine, so it must boot again; a VMM that lets the CPU run on after the
 * reset request and then treats the triple fault as fatal stops the VM instead. (ud2, not
 * int3, raises the fault here: see README.md on int n.)
 */
static void __attribute__((noreturn)) reset_like_seabios(void)
{
	static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none;

	kit_printf("stop: 0x06 to port 0xcf9, then at once a triple fault\n");
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	__builtin_unreachable();
}

/* After the OUT, the VM has ended: the line below must never reach the host. */
static void __attribute__((noreturn)) exit_and_run_on(void)
{
	kit_printf("stop: writing 0 to the test-exit port\n");
	outl(KIT_TEST_EXIT_PORT, 0);
	kit_printf("FAIL: ran on after the test-exit port\n");
	kit_exit(KIT_EXIT_FAIL);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned boot = kit_boot_number();

	kit_printf("stop test, boot %u\n", boot);
	if (boot == 0)
		reset_like_seabios();
	KIT_ASSERT_EQ(boot, 1);
	exit_and_run_on();
}
