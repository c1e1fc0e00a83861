// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 metadata cache: L2 tables and refcount blocks, one cluster each, LRU, write-through. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

#define QCOW2_CACHE_MIN	4	/* a request pins at most two tables per cache */

int qcow2_cache_init(struct qcow2_cache *c, size_t table_size, size_t bytes)
{
	size_t n = bytes / table_size;

	if (n < QCOW2_CACHE_MIN)
		n = QCOW2_CACHE_MIN;
	if (n > 65536)
		n = 65536;
	memset(c, 0, sizeof(*c));
	c->ent = calloc(n, sizeof(*c->ent));
	if (!c->ent)
		return -ENOMEM;
	c->n = (unsigned)n;
	c->table_size = table_size;
	return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
	if (!c->ent)
		return;
	for (unsigned i = 0; i < c->n; i++)
		free(c->ent[i].buf);
	free(c->ent);
	c->ent = NULL;
}

/* Only between requests (nothing pinned); buffers are write-through, so nothing is lost. */
int qcow2_cache_resize(struct qcow2_cache *c, size_t bytes)
{
	struct qcow2_cache fresh;
	int ret;

	for (unsigned i = 0; i < c->n; i++)
		if (c->ent[i].pins)
			return -EBUSY;
	ret = qcow2_cache_init(&fresh, c->table_size, bytes);
	if (ret)
		return ret;
	fresh.hits = c->hits;
	fresh.misses = c->misses;
	qcow2_cache_destroy(c);
	*c = fresh;
	return 0;
}

static struct qcow2_cache_entry *victim(struct qcow2_cache *c)
{
	struct qcow2_cache_entry *best = NULL;

	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->ent[i];

		if (!e->off)
			return e;
		if (!e->pins && (!best || e->used < best->used))
			best = e;
	}
	return best;
}

/*
 * The table at file offset `off`, pinned until qcow2_cache_put(). `fresh`: a newly
 * allocated table, zero-filled instead of read. The caller has checked `off`.
 */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **out)
{
	struct qcow2_cache_entry *e;
	int ret;

	for (unsigned i = 0; i < c->n; i++) {
		e = &c->ent[i];
		if (e->off != off)
			continue;
		e->used = ++c->clock;
		e->pins++;
		c->hits++;
		if (fresh)
			memset(e->buf, 0, c->table_size);
		*out = e->buf;
		return 0;
	}
	e = victim(c);
	if (!e)
		return -EBUSY;
	e->off = 0;
	if (!e->buf && !(e->buf = qcow2_alloc_aligned(c->table_size)))
		return -ENOMEM;
	c->misses++;
	if (fresh)
		memset(e->buf, 0, c->table_size);
	else if ((ret = qcow2_pread(q, off, e->buf, c->table_size)))
		return ret;
	e->off = off;
	e->used = ++c->clock;
	e->pins = 1;
	*out = e->buf;
	return 0;
}

void qcow2_cache_put(struct qcow2_cache *c, uint8_t *buf)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->ent[i].buf == buf && c->ent[i].off) {
			c->ent[i].pins--;
			return;
		}
	}
}

/* A table cluster was freed (or found bad): drop any copy. */
void qcow2_cache_forget(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->ent[i].off == off && !c->ent[i].pins)
			c->ent[i].off = 0;
}
