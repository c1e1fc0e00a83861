/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a display consumer sees: an XRGB8888 surface, damage rectangles, a resize counter. */
#ifndef VESSEL_SURFACE_H
#define VESSEL_SURFACE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The consumer side of a display device. It knows nothing of SPICE, GTK or D-Bus: a
 * consumer (the SPICE glue, the app's shared-memory framebuffer, a headless screenshot)
 * calls display_update() at its own refresh rate, reads the surface and takes the
 * rectangles that changed since it last asked.
 *
 * Threading: the display_* calls for one device come from one consumer thread at a time
 * (they serialise on a lock of their own); the vCPU threads that drive the device never
 * wait for a render.
 */

/* Pixels are 32-bit host-endian 0xXXRRGGBB words; X is written as 0xFF. */
struct surface {
	unsigned width, height;
	unsigned stride;		/* bytes per row */
	uint32_t *pixels;
};

struct display_rect {
	unsigned x, y, w, h;
};

struct vga;

/*
 * Render what changed in the guest's framebuffer since the last call into the surface
 * and add it to the pending damage. A mode change may reallocate the surface (the
 * generation counter then moves on and the whole surface is damaged). 0 or -errno.
 */
int display_update(struct vga *vga);

/* The current surface; valid until the next display_update() on this device. */
const struct surface *display_get_surface(struct vga *vga);

/*
 * Move up to max rectangles of pending damage into rects and clear it; returns how many.
 * When more rectangles would be needed, the last one returned covers all the rest.
 */
unsigned display_take_damage(struct vga *vga, struct display_rect *rects, unsigned max);

/* Incremented whenever the surface is reallocated (size change): re-read its geometry. */
uint64_t display_generation(struct vga *vga);

/* Write the surface as an 8-bit RGB PNG. 0 or -errno (-EIO when libpng fails). */
int display_screenshot_png(const struct surface *s, const char *path);
/* The same PNG in memory: *data is malloc()ed (free it); 0 or -errno. */
int display_screenshot_png_mem(const struct surface *s, void **data, size_t *len);

#endif
