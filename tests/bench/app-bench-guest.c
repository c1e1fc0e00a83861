// SPDX-License-Identifier: GPL-2.0-or-later
// App display benchmark guest: one full-screen 1920x1080x32 change per byte received on COM1.
#include "kit.h"

/*
 * Boots as multiboot v1 under vessel-helper --multiboot (the standard VGA, PCI 1234:1111,
 * whose BAR0 we place ourselves). Prints "bench: ready" once 1920x1080x32 is set and frame 0
 * drawn; then for every byte B on COM1 it draws frame B over the whole screen and prints
 * "bench: frame B drawn" right after the last store, which is when app-bench starts the
 * clock. Each row is one `rep stosl` (one colour per row, a gradient down the screen): the
 * nested KVM of the dev box emulates guest instructions one by one, and a per-pixel loop
 * would take many seconds per 1080p frame. The bottom 64 rows are one colour per frame
 * (frame_mark()) so a screen poller can tell when the last rows arrived.
 */

#define LFB_ADDR	KIT_VBE_LFB
#define UART_LSR	5
#define WIDTH		1920
#define HEIGHT		1080
#define MARK_ROWS	64

static void fill(volatile uint32_t *p, uint32_t v, unsigned n)
{
	asm volatile("rep stosl" : "+D"(p), "+c"(n) : "a"(v) : "memory");
}

/* The colour of frame's bottom rows (also computed by app-bench-x.py). */
static uint32_t frame_mark(unsigned frame)
{
	return ((frame * 0x3b1d5u) ^ 0x00a05a) & 0xffffff;
}

/* Every pixel changes from one frame to the next, and no frame is one flat colour. */
static void draw(unsigned frame)
{
	volatile uint32_t *fb = (volatile uint32_t *)LFB_ADDR;
	uint32_t base = frame * 0x3b1d5u;

	for (unsigned y = 0; y < HEIGHT - MARK_ROWS; y++)
		fill(fb + y * WIDTH, (base + (y << 8) + y * 3) & 0xffffff, WIDTH);
	fill(fb + (HEIGHT - MARK_ROWS) * WIDTH, frame_mark(frame), MARK_ROWS * WIDTH);
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
