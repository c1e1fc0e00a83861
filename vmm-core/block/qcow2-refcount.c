// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 refcounts: lookups, updates, cluster allocation, growing the refcount structures. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

#define QCOW2_ALLOC_TRIES	16

/* qcow2 spec, "Host cluster management": entries of 2^order bits; sub-byte widths count
 * from the least significant bit, wider ones are big-endian. */
uint64_t qcow2_rc_read(const struct qcow2 *q, const uint8_t *block, uint64_t i)
{
	unsigned order = q->h.refcount_order;

	switch (order) {
	case 3:
		return block[i];
	case 4:
		return ((uint64_t)block[2 * i] << 8) | block[2 * i + 1];
	case 5:
		return qcow2_get32(block + 4 * i);
	case 6:
		return qcow2_get64(block + 8 * i);
	default: {
		unsigned per = 8u >> order, shift = (unsigned)(i % per) << order;

		return (block[i / per] >> shift) & ((1u << (1u << order)) - 1);
	}
	}
}

void qcow2_rc_write(const struct qcow2 *q, uint8_t *block, uint64_t i, uint64_t v)
{
	unsigned order = q->h.refcount_order;

	switch (order) {
	case 3:
		block[i] = (uint8_t)v;
		break;
	case 4:
		block[2 * i] = (uint8_t)(v >> 8);
		block[2 * i + 1] = (uint8_t)v;
		break;
	case 5:
		qcow2_put32(block + 4 * i, (uint32_t)v);
		break;
	case 6:
		qcow2_put64(block + 8 * i, v);
		break;
	default: {
		unsigned per = 8u >> order, shift = (unsigned)(i % per) << order;
		unsigned mask = ((1u << (1u << order)) - 1) << shift;

		block[i / per] = (uint8_t)((block[i / per] & ~mask) | ((v << shift) & mask));
	}
	}
}

/* The refcount block for block index bi, or NULL (all counts zero) if it has none. */
static int rc_block(struct qcow2 *q, uint64_t bi, uint8_t **blk, uint64_t *boff)
{
	uint64_t e;

	*blk = NULL;
	if (bi >= q->rt_entries)
		return 0;
	e = qcow2_rt_get(q, bi);
	*boff = e & ~QCOW2_RT_RESERVED;
	if (!e)
		return 0;
	if ((e & QCOW2_RT_RESERVED) || *boff % q->cs || !qcow2_host_ok(q, *boff, q->cs))
		return qcow2_corrupt(q, "refcount table entry %llu (0x%llx) is invalid",
				     (unsigned long long)bi, (unsigned long long)e);
	return qcow2_cache_get(q, &q->rbc, *boff, false, blk);
}

int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc)
{
	uint8_t *blk;
	uint64_t boff;
	int ret = rc_block(q, cluster >> q->rb_bits, &blk, &boff);

	*rc = 0;
	if (ret || !blk)
		return ret;
	*rc = qcow2_rc_read(q, blk, cluster & ((1ull << q->rb_bits) - 1));
	qcow2_cache_put(&q->rbc, blk);
	return 0;
}

static bool block_missing(const struct qcow2 *q, uint64_t bi)
{
	return bi >= q->rt_entries || !qcow2_rt_get(q, bi);
}

/*
 * A run of n clusters with refcount 0, at or after the hint; never cluster 0. *first: the
 * first free cluster seen (the hint once the run is taken). The hint itself moves only when
 * the run is really taken (take_run): a candidate given up because refcount blocks had to
 * be created first must be found again, not skipped. (Skipping it was the ENOSPC of runs
 * wider than one refcount block: every retry moved past its candidate into clusters no
 * block covered yet, needed a new block again, and the tries ran out.)
 */
static int find_free(struct qcow2 *q, uint64_t n, uint64_t *start, uint64_t *first)
{
	uint64_t c = q->free_hint ? q->free_hint : 1, run = 0;
	uint64_t mask = (1ull << q->rb_bits) - 1;

	*first = UINT64_MAX;
	for (;;) {
		uint64_t bi = c >> q->rb_bits, boff;
		uint8_t *blk;
		int ret;

		if (bi >= q->rt_entries)
			break;		/* nothing counted from here on */
		ret = rc_block(q, bi, &blk, &boff);
		if (ret)
			return ret;
		do {
			bool free = !blk || !qcow2_rc_read(q, blk, c & mask);

			run = free ? run + 1 : 0;
			if (free && *first == UINT64_MAX)
				*first = c;
			c++;
		} while (run < n && (c & mask));
		if (blk)
			qcow2_cache_put(&q->rbc, blk);
		if (run == n)
			break;
	}
	*start = c - run;
	if (*start + n > (QCOW2_MAX_HOST >> q->cluster_bits))
		return -ENOSPC;
	if (((*start + n) << q->cluster_bits) > q->alloc_end)
		q->alloc_end = (*start + n) << q->cluster_bits;
	return 0;
}

/* The run found by find_free is ours now: move the hint past it (or to an earlier hole). */
static void take_run(struct qcow2 *q, uint64_t start, uint64_t n, uint64_t first)
{
	q->free_hint = first < start ? first : start + n;
}

/* Refcounts that claim the header, L1 table or refcount table are free are corrupt. */
static bool hits_fixed_metadata(const struct qcow2 *q, uint64_t start, uint64_t n)
{
	uint64_t a = start << q->cluster_bits, len = n << q->cluster_bits;
	uint64_t l1_len = (uint64_t)q->h.l1_size * 8, rt_len = (uint64_t)q->h.rt_clusters * q->cs;

	return a < q->cs || (l1_len && a < q->h.l1_off + l1_len && q->h.l1_off < a + len) ||
	       (a < q->h.rt_off + rt_len && q->h.rt_off < a + len);
}

/* Counts [i, i+k) of a cached block changed: dirty bytes, written back later. */
static void mark_block_range(struct qcow2 *q, uint8_t *blk, uint64_t i, uint64_t k)
{
	unsigned order = q->h.refcount_order;
	size_t from = (size_t)((i << order) >> 3), to = (size_t)((((i + k) << order) + 7) >> 3);

	qcow2_cache_mark_dirty(&q->rbc, blk, from, to);
}

static int set_in_block(struct qcow2 *q, uint64_t c, uint64_t k, uint64_t value)
{
	uint64_t mask = (1ull << q->rb_bits) - 1, boff;
	uint8_t *blk;
	int ret = rc_block(q, c >> q->rb_bits, &blk, &boff);

	if (ret)
		return ret;
	if (!blk)
		return value ? qcow2_corrupt(q, "no refcount block for cluster %llu",
					     (unsigned long long)c) : 0;
	for (uint64_t j = 0; j < k; j++)
		qcow2_rc_write(q, blk, (c & mask) + j, value);
	mark_block_range(q, blk, c & mask, k);
	qcow2_cache_put(&q->rbc, blk);
	return 0;
}

/* Set n refcounts starting at `cluster`; their refcount blocks must exist (or value 0).
 * In memory: the blocks are written back later (qcow2-cache.c). */
int qcow2_refcount_set(struct qcow2 *q, uint64_t cluster, uint64_t n, uint64_t value)
{
	uint64_t per = 1ull << q->rb_bits;

	if (value > q->rc_max)
		return -ERANGE;
	while (n) {
		uint64_t k = per - (cluster & (per - 1));
		int ret;

		if (k > n)
			k = n;
		ret = set_in_block(q, cluster, k, value);
		if (ret)
			return ret;
		if (!value && cluster < q->free_hint)
			q->free_hint = cluster;
		cluster += k;
		n -= k;
	}
	return 0;
}

static int grow_reftable(struct qcow2 *q, uint64_t need);

/* A zeroed block for index bi, written, then made reachable from the table. */
static int create_block(struct qcow2 *q, uint64_t bi, unsigned depth)
{
	uint64_t p, pb, first, mask = (1ull << q->rb_bits) - 1;
	uint8_t *blk;
	int ret;

	if (depth > 4)
		return qcow2_corrupt(q, "cannot place a new refcount block");
	if (bi >= q->rt_entries && (ret = grow_reftable(q, bi + 1)))
		return ret;
	if (!block_missing(q, bi))
		return 0;
	ret = find_free(q, 1, &p, &first);
	if (ret)
		return ret;
	take_run(q, p, 1, first);
	pb = p >> q->rb_bits;
	if (pb != bi && block_missing(q, pb)) {
		ret = create_block(q, pb, depth + 1);
		return ret ? ret : create_block(q, bi, depth + 1);
	}
	ret = qcow2_cache_get(q, &q->rbc, p << q->cluster_bits, true, &blk);
	if (ret)
		return ret;
	if (pb == bi)
		qcow2_rc_write(q, blk, p & mask, 1);	/* it counts itself */
	ret = qcow2_pwrite(q, p << q->cluster_bits, blk, q->cs);
	qcow2_cache_put(&q->rbc, blk);
	if (!ret && pb != bi)
		ret = qcow2_refcount_set(q, p, 1, 1);
	if (!ret)
		ret = qcow2_rc_writeback(q);	/* its count, too, before the pointer to it */
	if (!ret)
		ret = qcow2_barrier(q);	/* the block before the pointer to it */
	if (ret)
		return ret;
	qcow2_put64(q->rt + bi * 8, p << q->cluster_bits);
	return qcow2_write_table_range(q, q->h.rt_off, q->rt, q->rt_entries * 8, bi * 8,
				       bi * 8 + 8);
}

/* Blocks covering [a, end) clusters that no table entry points at yet. */
static uint64_t count_missing(const struct qcow2 *q, uint64_t a, uint64_t end)
{
	uint64_t n = 0;

	for (uint64_t b = a >> q->rb_bits; b <= (end - 1) >> q->rb_bits; b++)
		n += block_missing(q, b);
	return n;
}

struct rt_layout {
	uint64_t a, nb, tc, entries;	/* area start, new blocks, table clusters, entries */
};

/* New blocks then the new table, in one area past the end of the file. */
static int plan_reftable(struct qcow2 *q, uint64_t need, struct rt_layout *l)
{
	uint64_t per_cluster = q->cs / 8;
	uint64_t used = q->file_size > q->alloc_end ? q->file_size : q->alloc_end;

	/* Past the file and past clusters allocated but not yet written (a new L2 table). */
	l->a = (used + q->cs - 1) >> q->cluster_bits;
	l->entries = need > q->rt_entries * 2 ? need : q->rt_entries * 2;
	for (;;) {
		uint64_t end, m;

		l->entries = (l->entries + per_cluster - 1) / per_cluster * per_cluster;
		l->tc = l->entries / per_cluster;
		l->nb = 0;
		while ((m = count_missing(q, l->a, l->a + l->nb + l->tc)) != l->nb)
			l->nb = m;
		end = l->a + l->nb + l->tc;
		if (((end - 1) >> q->rb_bits) < l->entries)
			break;
		l->entries = ((end - 1) >> q->rb_bits) + 1;
	}
	if (l->tc * q->cs > QCOW2_MAX_RT_BYTES)
		return -ENOSPC;
	return 0;
}

/* Fill and write the new blocks of the area; point the new table at them. */
static int write_area_blocks(struct qcow2 *q, const struct rt_layout *l, uint8_t *nrt)
{
	uint64_t end = l->a + l->nb + l->tc, mask = (1ull << q->rb_bits) - 1, k = 0;
	uint8_t *buf = qcow2_alloc_aligned(q->cs);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t b = l->a >> q->rb_bits; b <= (end - 1) >> q->rb_bits && !ret; b++) {
		uint64_t first = b << q->rb_bits, x;

		if (!block_missing(q, b))
			continue;
		memset(buf, 0, q->cs);
		for (x = first < l->a ? l->a : first; x < end && (x >> q->rb_bits) == b; x++)
			qcow2_rc_write(q, buf, x & mask, 1);
		qcow2_put64(nrt + b * 8, (l->a + k) << q->cluster_bits);
		ret = qcow2_pwrite(q, (l->a + k) << q->cluster_bits, buf, q->cs);
		k++;
	}
	free(buf);
	return ret;
}

/* Counts for area clusters that fall in blocks we already have. */
static int count_area_in_old_blocks(struct qcow2 *q, const struct rt_layout *l)
{
	uint64_t end = l->a + l->nb + l->tc;

	for (uint64_t x = l->a; x < end; x++) {
		int ret;

		if (block_missing(q, x >> q->rb_bits))
			continue;
		ret = qcow2_refcount_set(q, x, 1, 1);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A larger refcount table. Everything new is written where nothing points, made durable,
 * and only then does the header switch to it; the old table is freed last. A crash at any
 * point leaks at most the new area.
 */
static int grow_reftable(struct qcow2 *q, uint64_t need)
{
	uint64_t old_off = q->h.rt_off, old_clusters = q->h.rt_clusters, table_off;
	struct rt_layout l;
	uint8_t *nrt;
	int ret = plan_reftable(q, need, &l);

	if (ret)
		return ret;
	nrt = qcow2_alloc_aligned(l.tc * q->cs);
	if (!nrt)
		return -ENOMEM;
	memset(nrt, 0, l.tc * q->cs);
	memcpy(nrt, q->rt, q->rt_entries * 8);
	table_off = (l.a + l.nb) << q->cluster_bits;
	ret = write_area_blocks(q, &l, nrt);
	if (!ret)
		ret = count_area_in_old_blocks(q, &l);
	if (!ret)
		ret = qcow2_rc_writeback(q);
	if (!ret)
		ret = qcow2_pwrite(q, table_off, nrt, l.tc * q->cs);
	if (!ret)
		ret = qcow2_barrier(q);
	if (ret) {
		free(nrt);
		return ret;
	}
	qcow2_put64(q->hdr + 48, table_off);
	qcow2_put32(q->hdr + 56, (uint32_t)l.tc);
	ret = qcow2_header_write(q);
	if (!ret)
		ret = qcow2_barrier(q);
	if (ret) {
		free(nrt);
		return ret;
	}
	free(q->rt);
	q->rt = nrt;
	q->rt_entries = l.entries;
	q->h.rt_off = table_off;
	q->h.rt_clusters = (uint32_t)l.tc;
	return qcow2_free_range(q, old_off, old_clusters * q->cs, false);
}

static int ensure_blocks(struct qcow2 *q, uint64_t start, uint64_t n, bool *created)
{
	*created = false;
	for (uint64_t b = start >> q->rb_bits; b <= (start + n - 1) >> q->rb_bits; b++) {
		int ret;

		if (!block_missing(q, b))
			continue;
		ret = create_block(q, b, 0);
		if (ret)
			return ret;
		*created = true;
	}
	return 0;
}

/* For repairs: one refcount, creating its refcount block if it has none. */
int qcow2_refcount_repair(struct qcow2 *q, uint64_t cluster, uint64_t value)
{
	uint64_t bi = cluster >> q->rb_bits;
	int ret = 0;

	if (value && block_missing(q, bi))
		ret = create_block(q, bi, 0);
	return ret ? ret : qcow2_refcount_set(q, cluster, 1, value);
}

/* n contiguous clusters with refcount 1, returned as a host offset. */
int qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *host)
{
	for (int i = 0; i < QCOW2_ALLOC_TRIES; i++) {
		uint64_t start, first;
		bool created;
		int ret = find_free(q, n, &start, &first);

		if (!ret && hits_fixed_metadata(q, start, n))
			ret = qcow2_corrupt(q, "refcounts say the header or a table is free");
		if (!ret)
			ret = ensure_blocks(q, start, n, &created);
		if (ret)
			return ret;
		if (created)
			continue;	/* the new blocks may sit where we were going to */
		ret = qcow2_refcount_set(q, start, n, 1);
		if (ret)
			return ret;
		take_run(q, start, n, first);
		q->allocs += n;
		*host = start << q->cluster_bits;
		return 0;
	}
	return -ENOSPC;
}

/*
 * Drop one reference from every cluster that [host, host+len) touches (compressed data
 * may straddle two). Clusters that become free are punched out of the file if asked.
 */
int qcow2_free_range(struct qcow2 *q, uint64_t host, uint64_t len, bool punch)
{
	uint64_t first = host >> q->cluster_bits, last = (host + len - 1) >> q->cluster_bits;

	for (uint64_t c = first; len && c <= last; c++) {
		uint64_t rc;
		int ret = qcow2_refcount_get(q, c, &rc);

		if (!ret && rc == 0)
			ret = qcow2_corrupt(q, "freeing cluster %llu, which is already free",
					    (unsigned long long)c);
		if (!ret)
			ret = qcow2_refcount_set(q, c, 1, rc - 1);
		if (ret)
			return ret;
		if (rc == 1 && punch)
			fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)(c << q->cluster_bits), (off_t)q->cs);
	}
	return 0;
}

/* The refcount table, whole, into memory; every entry checked. */
int qcow2_load_refcounts(struct qcow2 *q, char *err, size_t errlen)
{
	size_t bytes = (size_t)q->h.rt_clusters * q->cs;
	int ret;

	q->rt = qcow2_alloc_aligned(bytes);
	if (!q->rt)
		return -ENOMEM;
	q->rt_entries = bytes / 8;
	ret = qcow2_pread(q, q->h.rt_off, q->rt, bytes);
	if (ret) {
		qcow2_msg(err, errlen, "cannot read the refcount table: %s", strerror(-ret));
		return ret;
	}
	for (uint64_t i = 0; i < q->rt_entries && !q->check_mode; i++) {
		uint64_t e = qcow2_rt_get(q, i), off = e & ~QCOW2_RT_RESERVED;

		if (!e)
			continue;
		if ((e & QCOW2_RT_RESERVED) || off % q->cs || !qcow2_host_ok(q, off, q->cs)) {
			qcow2_msg(err, errlen, "refcount table entry %llu (0x%llx) is unaligned, "
				  "overlaps the header or points past the end of the file",
				  (unsigned long long)i, (unsigned long long)e);
			return -EINVAL;
		}
	}
	return 0;
}
