/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One display, several consumers (SPICE, the app's D-Bus display): each gets all the damage. */
#ifndef VESSEL_DISPLAY_HUB_H
#define VESSEL_DISPLAY_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "surface.h"

/*
 * display_take_damage() hands each rectangle out once, so two consumers calling it would
 * steal damage from each other. The hub is the one caller: every consumer's begin() renders
 * (display_update), collects what changed into *every* attached consumer's pending set, and
 * gives the caller its own. Between begin() and end() the hub's lock is held, so the surface
 * cannot be reallocated under the caller; keep that window to copying pixels.
 */
struct display_hub;
struct display_consumer;

struct display_hub *display_hub_new(struct vga *vga);
void display_hub_free(struct display_hub *hub);	/* after every consumer detached */

struct display_consumer *display_hub_attach(struct display_hub *hub);
void display_hub_detach(struct display_consumer *c);

/*
 * Render, then move up to max of this consumer's damage rectangles into rects (*n of them;
 * when there were more, the last covers the rest). After a size change (generation moved on)
 * the one rectangle is the whole surface. Returns the surface (NULL when there is none yet
 * or rendering failed: *n is 0 then) with the lock held either way: call end().
 */
const struct surface *display_consumer_begin(struct display_consumer *c,
					     struct display_rect *rects, unsigned max,
					     unsigned *n, uint64_t *generation);
void display_consumer_end(struct display_consumer *c);

/*
 * The hub's damage is coarse: whole 32x32 tiles of the framebuffer (framebuffer.h), as many
 * as changed since the consumer's last begin(). A guest that draws slower than a consumer
 * refreshes changes one band of tiles over several refreshes, and each refresh reports the
 * whole band again: rows that were already delivered come back every time. A consumer that
 * keeps a copy of what it last delivered (SPICE's shadow, Display1's memfd) passes each
 * rectangle through this before copying and announcing it: out gets the pixels of *r (inside
 * s) where s differs from was (same geometry as s, was_stride bytes a row) as the first such
 * row's columns, the bounding box of the rows between, and the last row's columns (fewer
 * when they line up), so a row the guest was half-way through last time is not sent twice.
 * Returns how many (0: nothing in *r differs, nothing to deliver).
 */
#define DISPLAY_TRIM_MAX	3
unsigned display_rect_trim(const struct surface *s, const void *was, size_t was_stride,
			   const struct display_rect *r, struct display_rect out[DISPLAY_TRIM_MAX]);

/* The current surface as PNG in memory (a screenshot), under the hub's lock; 0 or -errno. */
int display_hub_screenshot_png(struct display_hub *hub, void **data, size_t *len);

#endif
