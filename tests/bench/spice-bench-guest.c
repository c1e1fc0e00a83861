// SPDX-License-Identifier: GPL-2.0-or-later
// SPICE benchmark guest: one full-screen 640x480x32 change per byte received on COM1.
#include "kit.h"

/*
 * Boots as multiboot v1 under vessel-helper --multiboot and QEMU -machine pc -kernel alike
 * (both give the standard VGA, PCI 1234:1111, whose BAR0 we place ourselves). Prints
 * "bench: ready" once 640x480x32 is set and frame 0 drawn; then for every byte B on COM1
 * it draws frame B over the whole screen and prints "bench: frame B drawn" right after
 * the last store, which is when spice-bench.py starts the clock.
 */

#define LFB_ADDR	KIT_VBE_LFB
#define UART_LSR	5
#define WIDTH		640
#define HEIGHT		480

/* Every pixel changes from one frame to the next, and no frame is one flat colour. */
static void draw(unsigned frame)
{
	volatile uint32_t *fb = (volatile uint32_t *)LFB_ADDR;
	uint32_t base = frame * 0x3b1d5u;

	for (unsigned y = 0; y < HEIGHT; y++)
		for (unsigned x = 0; x < WIDTH; x++)
			fb[y * WIDTH + x] = (base + (x << 16) + (y << 8) + ((x ^ y) & 0xff)) & 0xffffff;
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned frame;

	kit_vbe_map_lfb();
	kit_vbe_set_mode(WIDTH, HEIGHT, 32);
	draw(0);
	kit_printf("bench: ready\n");
	for (;;) {
		while (!(inb(KIT_COM1 + UART_LSR) & 1))
			pause();
		frame = inb(KIT_COM1);
		draw(frame);
		kit_printf("bench: frame %u drawn\n", frame);
	}
}
