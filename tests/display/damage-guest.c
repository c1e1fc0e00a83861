// SPDX-License-Identifier: GPL-2.0-or-later
// Damage test guest: a band drawn one row per byte on COM1, slower than any display refresh.
#include "kit.h"

/*
 * run-damage.py boots this with --multiboot: 640x480x32, a grey screen, "damage: ready" on
 * COM1. Each byte B that arrives then paints row BAND_Y + B, columns [BAND_X, BAND_X +
 * BAND_W), in row_colour(B) and prints "damage: row B drawn". The host waits a few display
 * refreshes between bytes, so one 32x32 damage tile of the framebuffer changes over many
 * refreshes, as when a guest draws slowly: every changed pixel must still be announced once.
 * The band starts and ends inside tiles and crosses a tile row (y 128).
 */

#define WIDTH		640
#define HEIGHT		480
#define BAND_X		40
#define BAND_Y		100
#define BAND_W		200
#define BAND_ROWS	40
#define GREY		0x00404040u
#define UART_LSR	5

/* Mirrored in run-damage.py. */
static uint32_t row_colour(unsigned row)
{
	return (0x00e01020u + row * 0x030507u) & 0xffffff;
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	volatile uint32_t *fb = kit_vbe_map_lfb();

	kit_vbe_set_mode(WIDTH, HEIGHT, 32);
	for (unsigned i = 0; i < WIDTH * HEIGHT; i++)
		fb[i] = GREY;
	kit_printf("damage: ready\n");
	for (;;) {
		unsigned row;

		while (!(inb(KIT_COM1 + UART_LSR) & 1))
			pause();
		row = inb(KIT_COM1);
		if (row >= BAND_ROWS)
			continue;
		for (unsigned x = BAND_X; x < BAND_X + BAND_W; x++)
			fb[(BAND_Y + row) * WIDTH + x] = row_colour(row);
		kit_printf("damage: row %u drawn\n", row);
	}
}
