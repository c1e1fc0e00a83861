// SPDX-License-Identifier: GPL-2.0-or-later
/* Fan one display's damage out to every consumer, under one lock. */
#include "display-hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HUB_PENDING	32	/* rectangles kept per consumer before they merge */
#define HUB_TAKE	64

struct display_consumer {
	struct display_hub *hub;
	struct display_consumer *next;
	uint64_t generation;
	bool full;			/* the whole surface is damaged */
	unsigned n;
	struct display_rect pending[HUB_PENDING];
};

struct display_hub {
	struct vga *vga;
	pthread_mutex_t lock;
	struct display_consumer *consumers;
};

struct display_hub *display_hub_new(struct vga *vga)
{
	struct display_hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return NULL;
	hub->vga = vga;
	pthread_mutex_init(&hub->lock, NULL);
	return hub;
}

void display_hub_free(struct display_hub *hub)
{
	if (!hub)
		return;
	while (hub->consumers)
		display_hub_detach(hub->consumers);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

struct display_consumer *display_hub_attach(struct display_hub *hub)
{
	struct display_consumer *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->hub = hub;
	c->full = true;		/* a new consumer starts with the whole picture */
	pthread_mutex_lock(&hub->lock);
	c->next = hub->consumers;
	hub->consumers = c;
	pthread_mutex_unlock(&hub->lock);
	return c;
}

void display_hub_detach(struct display_consumer *c)
{
	struct display_hub *hub;
	struct display_consumer **p;

	if (!c)
		return;
	hub = c->hub;
	pthread_mutex_lock(&hub->lock);
	for (p = &hub->consumers; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&hub->lock);
	free(c);
}

static struct display_rect bounding(struct display_rect a, struct display_rect b)
{
	unsigned x0 = a.x < b.x ? a.x : b.x, y0 = a.y < b.y ? a.y : b.y;
	unsigned x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
	unsigned y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;

	return (struct display_rect){ x0, y0, x1 - x0, y1 - y0 };
}

/* Add r to c's pending set; when it is full the last slot grows to cover the overflow. */
static void add_damage(struct display_consumer *c, struct display_rect r)
{
	if (c->full || !r.w || !r.h)
		return;
	if (c->n < HUB_PENDING)
		c->pending[c->n++] = r;
	else
		c->pending[HUB_PENDING - 1] = bounding(c->pending[HUB_PENDING - 1], r);
}

/* Under the lock: render and give every consumer what changed. */
static void collect(struct display_hub *hub)
{
	struct display_rect rects[HUB_TAKE];
	uint64_t gen;
	unsigned n;

	if (display_update(hub->vga) < 0)
		return;
	gen = display_generation(hub->vga);
	n = display_take_damage(hub->vga, rects, HUB_TAKE);
	for (struct display_consumer *c = hub->consumers; c; c = c->next) {
		if (c->generation != gen) {
			c->generation = gen;
			c->full = true;
			c->n = 0;
		}
		for (unsigned i = 0; i < n; i++)
			add_damage(c, rects[i]);
	}
}

const struct surface *display_consumer_begin(struct display_consumer *c,
					     struct display_rect *rects, unsigned max,
					     unsigned *n, uint64_t *generation)
{
	struct display_hub *hub = c->hub;
	const struct surface *s;
	unsigned k = 0;

	pthread_mutex_lock(&hub->lock);
	collect(hub);
	s = display_get_surface(hub->vga);
	*generation = c->generation;
	*n = 0;
	if (!s || !s->pixels || !s->width || !s->height || !max)
		return NULL;
	if (c->full) {
		rects[k++] = (struct display_rect){ 0, 0, s->width, s->height };
	} else {
		for (unsigned i = 0; i < c->n; i++) {
			if (k < max)
				rects[k++] = c->pending[i];
			else
				rects[max - 1] = bounding(rects[max - 1], c->pending[i]);
		}
	}
	c->full = false;
	c->n = 0;
	*n = k;
	return s;
}

void display_consumer_end(struct display_consumer *c)
{
	pthread_mutex_unlock(&c->hub->lock);
}

/*
 * Widen [*left, *right) to the columns where now and was differ; false when the row is the
 * same. Only the columns outside the span found so far need a look.
 */
static bool row_span(const uint32_t *now, const uint32_t *was, unsigned w, unsigned *left,
		     unsigned *right)
{
	unsigned a = 0, b = w;

	if (!memcmp(now, was, (size_t)w * sizeof(*now)))
		return false;
	while (a < *left && now[a] == was[a])
		a++;
	while (b > *right && now[b - 1] == was[b - 1])
		b--;
	*left = a;
	*right = b;
	return true;
}

bool display_rect_trim(const struct surface *s, const void *was, size_t was_stride,
		       struct display_rect *r)
{
	unsigned top = 0, bottom = 0, left = r->w, right = 0;

	for (unsigned y = r->y; y < r->y + r->h; y++) {
		const uint32_t *now = (const uint32_t *)((const uint8_t *)s->pixels +
							 (size_t)y * s->stride) + r->x;
		const uint32_t *old = (const uint32_t *)((const uint8_t *)was +
							 (size_t)y * was_stride) + r->x;

		if (!row_span(now, old, r->w, &left, &right))
			continue;
		if (!bottom)
			top = y;
		bottom = y + 1;
	}
	if (!bottom)
		return false;
	r->x += left;
	r->w = right - left;
	r->y = top;
	r->h = bottom - top;
	return true;
}

int display_hub_screenshot_png(struct display_hub *hub, void **data, size_t *len)
{
	int ret;

	pthread_mutex_lock(&hub->lock);
	collect(hub);
	ret = display_screenshot_png_mem(display_get_surface(hub->vga), data, len);
	pthread_mutex_unlock(&hub->lock);
	return ret;
}
