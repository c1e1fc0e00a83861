// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 discard and write-zeroes: whole clusters by metadata, partial ones by writing zeros. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

#define QCOW2_ZERO_CHUNK	(1u << 20)

/* Plain zero writes, for partial clusters and images that cannot say "zero" (v2). */
static int write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
	size_t chunk = len < QCOW2_ZERO_CHUNK ? (size_t)len : QCOW2_ZERO_CHUNK;
	uint8_t *zero = qcow2_alloc_aligned(chunk);
	int ret = 0;

	if (!zero)
		return -ENOMEM;
	memset(zero, 0, chunk);
	while (len && !ret) {
		struct iovec iov = { .iov_base = zero, .iov_len = len < chunk ? len : chunk };

		ret = qcow2_write(q, off, &iov, 1);
		off += iov.iov_len;
		len -= iov.iov_len;
	}
	free(zero);
	return ret;
}

static int set_entries(struct qcow2 *q, uint8_t *l2, uint64_t l2i, uint64_t n, uint64_t value,
		       uint64_t *old)
{
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *p = l2 + ((l2i + i) << q->l2_entry_shift);
		uint64_t e = qcow2_get64(p);

		old[i] = e == value ? 0 : e;
		qcow2_put64(p, value);
	}
	return 0;
}

/*
 * Clusters [first, first+n), all in one L2 table, read as zeros afterwards: unallocated
 * when nothing shows through from a backing file, the zero flag (v3) when something would.
 * The table changes in memory (write-back, qcow2-cache.c); clusters the old entries held
 * are released after the new entries are on disk (qcow2_release_entries).
 */
static int zero_clusters(struct qcow2 *q, uint64_t first, uint64_t n)
{
	uint64_t l1i = first >> q->l2_bits, l2i = first & (qcow2_l2_entries(q) - 1), l2_off;
	uint64_t value = q->backing ? QCOW2_ZERO : 0, *old;
	size_t from = l2i << q->l2_entry_shift, to = (l2i + n) << q->l2_entry_shift;
	uint8_t *l2;
	bool fresh;
	int ret = qcow2_l2_table(q, l1i, value != 0, &l2, &l2_off, &fresh);

	if (ret || !l2)
		return ret;
	old = calloc(n, sizeof(*old));
	if (!old) {
		qcow2_cache_put(&q->l2c, l2);
		return -ENOMEM;
	}
	set_entries(q, l2, l2i, n, value, old);
	if (!fresh) {
		qcow2_cache_mark_dirty(&q->l2c, l2, from, to);
	} else {
		qcow2_cache_mark_dirty(&q->l2c, l2, 0, q->cs);
		qcow2_l1_set(q, l1i, l2_off | QCOW2_COPIED);
	}
	ret = qcow2_release_entries(q, old, n);
	qcow2_cache_put(&q->l2c, l2);
	free(old);
	return ret;
}

/* Whole clusters [a, b) (guest cluster indexes), with the free lock held exclusive. */
static int zero_range(struct qcow2 *q, uint64_t a, uint64_t b)
{
	int ret;

	pthread_rwlock_wrlock(&q->free_lock);
	pthread_mutex_lock(&q->lock);
	ret = q->corrupt ? -EIO : qcow2_mark_dirty(q);
	while (!ret && a < b) {
		uint64_t per = qcow2_l2_entries(q), n = per - (a & (per - 1));

		if (n > b - a)
			n = b - a;
		ret = zero_clusters(q, a, n);
		a += n;
	}
	pthread_mutex_unlock(&q->lock);
	pthread_rwlock_unlock(&q->free_lock);
	return ret;
}

/*
 * Discard deallocates whole clusters (they read as zeros afterwards) and leaves partial
 * ones alone, as a hint may; write-zeroes also writes zeros into partial clusters. A v2
 * image with a backing file has no zero flag: discard does nothing, write-zeroes writes.
 */
int qcow2_zero_or_discard(struct qcow2 *q, uint64_t off, uint64_t len, bool discard)
{
	uint64_t end = off + len, mask = q->cs - 1;
	uint64_t a = (off + mask) & ~mask, b = end == q->h.size ? (end + mask) & ~mask : end & ~mask;
	bool no_zero_flag = q->h.version < 3 && q->backing;
	int ret = 0;

	if (q->corrupt)
		return -EIO;
	if (no_zero_flag || a >= b)
		return discard ? 0 : write_zero_bytes(q, off, len);
	if (!discard && off < a)
		ret = write_zero_bytes(q, off, a - off);
	if (!ret && !discard && b < end)
		ret = write_zero_bytes(q, b, end - b);
	if (!ret)
		ret = zero_range(q, a >> q->cluster_bits, b >> q->cluster_bits);
	return ret;
}
