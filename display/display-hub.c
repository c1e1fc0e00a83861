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

/* The columns [*a, *b) where now and was differ; false when the row is the same. */
static bool row_span(const uint32_t *now, const uint32_t *was, unsigned w, unsigned *a,
		     unsigned *b)
{
	unsigned x0 = 0, x1 = w;

	if (!memcmp(now, was, (size_t)w * sizeof(*now)))
		return false;
	while (now[x0] == was[x0])
		x0++;
	while (now[x1 - 1] == was[x1 - 1])
		x1--;
	*a = x0;
	*b = x1;
	return true;
}

static struct display_rect span_rect(unsigned x, unsigned y, unsigned a, unsigned b,
				     unsigned h)
{
	return (struct display_rect){ x + a, y, b - a, h };
}

/* Append r to out[], or grow the last one when it sits right above r with the same columns. */
static unsigned put_rect(struct display_rect *out, unsigned n, struct display_rect r)
{
	struct display_rect *last = n ? &out[n - 1] : NULL;

	if (!r.h)
		return n;
	if (last && last->x == r.x && last->w == r.w && last->y + last->h == r.y) {
		last->h += r.h;
		return n;
	}
	out[n] = r;
	return n + 1;
}

unsigned display_rect_trim(const struct surface *s, const void *was, size_t was_stride,
			   const struct display_rect *r, struct display_rect out[DISPLAY_TRIM_MAX])
{
	unsigned top = 0, last = 0, n = 0, a, b;
	unsigned ta = 0, tb = 0, la = 0, lb = 0, ma = r->w, mb = 0;
	bool any = false;

	for (unsigned y = r->y; y < r->y + r->h; y++) {
		const uint32_t *now = (const uint32_t *)((const uint8_t *)s->pixels +
							 (size_t)y * s->stride) + r->x;
		const uint32_t *old = (const uint32_t *)((const uint8_t *)was +
							 (size_t)y * was_stride) + r->x;

		if (!row_span(now, old, r->w, &a, &b))
			continue;
		if (!any) {
			top = last = y;
			ta = la = a;
			tb = lb = b;
			any = true;
			continue;
		}
		if (last != top) {	/* the row that was last moves into the middle */
			ma = la < ma ? la : ma;
			mb = lb > mb ? lb : mb;
		}
		last = y;
		la = a;
		lb = b;
	}
	if (!any)
		return 0;
	n = put_rect(out, n, span_rect(r->x, top, ta, tb, 1));
	if (mb > ma)		/* rows between the first and the last differ too */
		n = put_rect(out, n, span_rect(r->x, top + 1, ma, mb, last - top - 1));
	if (last > top)
		n = put_rect(out, n, span_rect(r->x, last, la, lb, 1));
	return n;
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
