// SPDX-License-Identifier: GPL-2.0-or-later
// i8042: controller self-test, interface test, command byte, keyboard echo, reset pulse.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 reboot=yes");
KIT_EXPECT("serial=i8042 test, boot 0");
KIT_EXPECT("serial=i8042: self-test 0x55, interface 0x00, echo 0xee");
KIT_EXPECT("serial=i8042: pulsing the reset line");
KIT_EXPECT("serial=i8042 test, boot 1");
KIT_EXPECT("serial=i8042: back after the reset pulse");

#define DATA		0x60
#define STATUS		0x64
#define CMD		0x64
#define ST_OBF		0x01	/* output buffer full: a byte waits at 0x60 */
#define ST_IBF		0x02	/* input buffer full: the controller has not taken our byte */

static void wait_ibf_clear(void)
{
	for (unsigned i = 0; i < 100000; i++) {
		if (!(inb(STATUS) & ST_IBF))
			return;
	}
	KIT_FAIL("i8042 input buffer stays full (status 0x%02x)", inb(STATUS));
}

static uint8_t read_data(const char *what)
{
	uint64_t end = kit_now_ms() + 500;

	while (kit_now_ms() < end) {
		if (inb(STATUS) & ST_OBF)
			return inb(DATA);
	}
	KIT_FAIL("no i8042 reply to %s (status 0x%02x)", what, inb(STATUS));
}

static void command(uint8_t c)
{
	wait_ibf_clear();
	outb(CMD, c);
}

static void flush_output(void)
{
	for (unsigned i = 0; i < 32 && (inb(STATUS) & ST_OBF); i++)
		inb(DATA);
}

static void check_controller(void)
{
	uint8_t self, iface, echo, ccb;

	flush_output();
	command(0xAA);				/* controller self-test */
	self = read_data("0xAA self-test");
	command(0xAB);				/* keyboard interface test */
	iface = read_data("0xAB interface test");
	KIT_ASSERT_EQ(self, 0x55);
	KIT_ASSERT_EQ(iface, 0x00);

	/* Controller command byte: read, write a changed copy (IRQs off), read back, restore. */
	command(0x20);
	ccb = read_data("0x20 read command byte");
	command(0x60);
	wait_ibf_clear();
	outb(DATA, ccb & ~0x03);
	command(0x20);
	KIT_ASSERT_EQ(read_data("0x20 after 0x60"), ccb & ~0x03);
	command(0x60);
	wait_ibf_clear();
	outb(DATA, ccb & ~0x03);

	/* A byte written to 0x60 goes to the keyboard; ECHO answers with 0xEE. */
	wait_ibf_clear();
	outb(DATA, 0xEE);
	echo = read_data("keyboard echo 0xEE");
	KIT_ASSERT_EQ(echo, 0xEE);
	kit_printf("i8042: self-test 0x%02x, interface 0x%02x, echo 0x%02x\n", self, iface, echo);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned boot = kit_boot_number();

	kit_printf("i8042 test, boot %u\n", boot);
	if (boot == 1) {
		kit_printf("i8042: back after the reset pulse\n");
		return;
	}
	KIT_ASSERT_EQ(boot, 0);
	kit_tsc_per_ms();
	check_controller();
	kit_printf("i8042: pulsing the reset line\n");
	command(0xFE);				/* pulse output port bit 0: CPU reset */
	kit_mdelay(2000);
	KIT_FAIL("still running 2 s after command 0xFE");
}
