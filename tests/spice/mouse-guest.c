// SPDX-License-Identifier: GPL-2.0-or-later
// A firmware-less guest for tests/spice: turns the PS/2 mouse on and prints every packet
// and every keyboard byte.
#include "kit.h"

/*
 * run-spice.py boots this with --multiboot and drives the mouse from a SPICE client
 * (spice-mouse.py). The guest polls the i8042 with its IRQs off: it enables the auxiliary
 * port (controller command 0xA8), sends the mouse Enable Data Reporting (0xF4) through
 * "write to auxiliary device" (0xD4), waits for the 0xFA acknowledge, prints "mouse:
 * reporting on", then one line per 3-byte packet in the mouse's own orientation (IBM PS/2
 * Mouse Technical Reference, "Data Report": byte 0 buttons L=1 R=2 M=4, bit 3 always set,
 * X sign bit 4, Y sign bit 5; Y counts upward).
 */

#define DATA		0x60
#define STATUS		0x64
#define CMD		0x64
#define ST_OBF		0x01
#define ST_IBF		0x02
#define ST_AUX		0x20	/* the byte at 0x60 came from the auxiliary device */
#define CCB_KBD_IRQ	0x01
#define CCB_AUX_IRQ	0x02
#define CCB_AUX_OFF	0x20

static void wait_ibf_clear(void)
{
	for (unsigned i = 0; i < 100000; i++) {
		if (!(inb(STATUS) & ST_IBF))
			return;
	}
	kit_panic("i8042 input buffer stays full");
}

static void command(uint8_t c)
{
	wait_ibf_clear();
	outb(CMD, c);
}

static void write_data(uint8_t v)
{
	wait_ibf_clear();
	outb(DATA, v);
}

static uint8_t read_data(void)
{
	for (unsigned i = 0; i < 1000000; i++) {
		if (inb(STATUS) & ST_OBF)
			return inb(DATA);
	}
	kit_panic("no i8042 reply");
}

static void enable_mouse(void)
{
	uint8_t ccb, ack;

	while (inb(STATUS) & ST_OBF)
		inb(DATA);
	command(0xA8);				/* enable the auxiliary port */
	command(0x20);
	ccb = read_data();
	command(0x60);				/* polled: both IRQs off, aux clock on */
	write_data(ccb & ~(CCB_KBD_IRQ | CCB_AUX_IRQ | CCB_AUX_OFF));
	command(0xD4);
	write_data(0xF4);			/* Enable Data Reporting */
	ack = read_data();
	if (ack != 0xFA)
		kit_panic("mouse answered 0x%02x to 0xF4", ack);
	kit_printf("mouse: reporting on\n");
}

/* A 9-bit two's complement counter from its low byte and sign bit. */
static int axis(uint8_t low, bool negative)
{
	return negative ? (int)low - 256 : (int)low;
}

static void print_packet(const uint8_t p[3])
{
	kit_printf("mouse: packet buttons=%u dx=%d dy=%d\n", p[0] & 7u,
		   axis(p[1], p[0] & 0x10), axis(p[2], p[0] & 0x20));
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint8_t pkt[3], st, b;
	unsigned n = 0;

	enable_mouse();
	for (;;) {
		st = inb(STATUS);
		if (!(st & ST_OBF)) {
			pause();
			continue;
		}
		b = inb(DATA);
		if (!(st & ST_AUX)) {		/* a keyboard byte: set 1 after translation */
			kit_printf("kbd: %02x\n", b);
			continue;
		}
		if (n == 0 && !(b & 0x08))
			continue;		/* resynchronise on a first byte */
		pkt[n++] = b;
		if (n == 3) {
			print_packet(pkt);
			n = 0;
		}
	}
}
