// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 metadata cache (L2 tables, refcount blocks; LRU) and its crash-safe write-back. */
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

/* Only between requests (nothing pinned) and once the dirty tables have been written. */
int qcow2_cache_resize(struct qcow2_cache *c, size_t bytes)
{
	struct qcow2_cache fresh;
	int ret;

	for (unsigned i = 0; i < c->n; i++)
		if (c->ent[i].pins || c->ent[i].dirty)
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

/* The least recently used clean table; NULL if every unpinned one is dirty. */
static struct qcow2_cache_entry *victim(struct qcow2_cache *c)
{
	struct qcow2_cache_entry *best = NULL;

	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->ent[i];

		if (!e->off)
			return e;
		if (!e->pins && !e->dirty && (!best || e->used < best->used))
			best = e;
	}
	return best;
}

/*
 * A slot for a new table. Clean tables go first; when only dirty ones are left, all dirty
 * tables of this cache are written in one batch (L2 tables after the refcounts they need,
 * qcow2_l2_writeback), so evictions cost one barrier per cache-full, not one per table.
 */
static int make_room(struct qcow2 *q, struct qcow2_cache *c, struct qcow2_cache_entry **out)
{
	int ret;

	*out = victim(c);
	if (*out || !c->ndirty)
		return *out ? 0 : -EBUSY;
	ret = c == &q->l2c ? qcow2_l2_writeback(q) : qcow2_rc_writeback(q);
	if (ret)
		return ret;
	*out = victim(c);
	return *out ? 0 : -EBUSY;
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
	ret = make_room(q, c, &e);
	if (ret)
		return ret;
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

/* A table that never became reachable (a new L2 table whose write failed): drop it. */
void qcow2_cache_forget(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->ent[i];

		if (e->off != off || e->pins)
			continue;
		if (e->dirty)
			c->ndirty--;
		e->dirty = false;
		e->off = 0;
	}
}

/* Bytes [from, to) of a pinned table changed; they reach the file later. */
void qcow2_cache_mark_dirty(struct qcow2_cache *c, uint8_t *buf, size_t from, size_t to)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->ent[i];

		if (e->buf != buf || !e->off)
			continue;
		if (!e->dirty) {
			e->dirty = true;
			e->lo = from;
			e->hi = to;
			c->ndirty++;
			return;
		}
		e->lo = from < e->lo ? from : e->lo;
		e->hi = to > e->hi ? to : e->hi;
		return;
	}
}

/* Every dirty table of this cache to the file (no ordering among them is needed). */
int qcow2_cache_write_dirty(struct qcow2 *q, struct qcow2_cache *c)
{
	for (unsigned i = 0; i < c->n && c->ndirty; i++) {
		struct qcow2_cache_entry *e = &c->ent[i];
		int ret;

		if (!e->dirty)
			continue;
		ret = qcow2_write_table_range(q, e->off, e->buf, c->table_size, e->lo, e->hi);
		if (ret)
			return ret;
		e->dirty = false;
		c->ndirty--;
	}
	return 0;
}

/*
 * The image behaves like a disk with a volatile write cache (virtio 1.2 §5.2.6.2: without
 * a completed VIRTIO_BLK_T_FLUSH nothing is promised to be durable). A write changes the
 * L2 tables, refcount blocks and L1 table in memory only; they reach the file at a flush,
 * when the cache needs their slot, or when a rule below needs them there. A crash (even a
 * SIGKILL, which keeps the page cache) loses the metadata of unflushed writes: those read
 * back as their old contents or their new ones, never anything else. Whatever reaches the
 * file obeys, with a barrier (fdatasync) between the steps:
 *
 *   1. refcount blocks (and the file size that pool_refill set), then
 *   2. L2 tables, then
 *   3. L1 entries pointing at new L2 tables.
 *
 * So an entry on disk never points at a cluster whose count is not on disk yet (qcow2 spec,
 * "Host cluster management": a referenced cluster has a non-zero refcount), and a cluster
 * copied from a backing file has its data on disk before the entry that makes it visible.
 * Decrements are the other way round: qcow2_release_entries() writes the L2 tables that
 * dropped a reference, then a barrier, and only then lowers the counts; a crash leaks at
 * worst. Everything here runs under q->lock.
 */

/* Step 1: every dirty refcount block. Blocks depend on nothing. */
int qcow2_rc_writeback(struct qcow2 *q)
{
	int ret;

	if (!q->rbc.ndirty)
		return 0;
	ret = qcow2_cache_write_dirty(q, &q->rbc);
	if (!ret)
		q->order_pending = true;
	return ret;
}

/* Steps 1 and 2: the counts (and any data an entry needs first), a barrier, the tables. */
int qcow2_l2_writeback(struct qcow2 *q)
{
	int ret;

	if (!q->l2c.ndirty)
		return 0;
	ret = qcow2_rc_writeback(q);
	if (!ret && q->order_pending)
		ret = qcow2_barrier(q);
	if (!ret)
		ret = qcow2_cache_write_dirty(q, &q->l2c);
	if (!ret)
		q->tables_unsynced = true;
	return ret;
}

/* Everything dirty, steps 1 to 3; no sync at the end. */
int qcow2_meta_writeback(struct qcow2 *q)
{
	int ret = qcow2_rc_writeback(q);

	if (!ret)
		ret = qcow2_l2_writeback(q);
	if (ret || q->l1_lo >= q->l1_hi)
		return ret;
	if (q->tables_unsynced || q->order_pending)
		ret = qcow2_barrier(q);	/* new L2 tables before the L1 entries naming them */
	return ret ? ret : qcow2_l1_writeback(q);
}

/*
 * A flush: everything dirty written, then one sync that makes every write before it
 * durable. A failed write-back leaves the tables dirty; the flush reports the error.
 */
int qcow2_meta_flush(struct qcow2 *q)
{
	int ret;

	if (q->read_only)
		return 0;
	ret = qcow2_meta_writeback(q);
	return ret ? ret : qcow2_sync(q);
}
