/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One display, several consumers (SPICE, the app's D-Bus display): each gets all the damage. */
#ifndef VESSEL_DISPLAY_HUB_H
#define VESSEL_DISPLAY_HUB_H

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

/* The current surface as PNG in memory (a screenshot), under the hub's lock; 0 or -errno. */
int display_hub_screenshot_png(struct display_hub *hub, void **data, size_t *len);

#endif
