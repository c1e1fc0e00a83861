// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 reads: mapping under the metadata lock, data I/O outside it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* Unallocated here: the backing file where it reaches, zeros past its end or without one. */
static int read_backing(struct qcow2 *q, uint64_t off, uint64_t len, const struct iovec *iov,
			int cnt, size_t skip, struct iovec *sub, int max)
{
	uint64_t n = 0;
	int k, ret;

	if (q->backing && off < q->backing_size)
		n = q->backing_size - off < len ? q->backing_size - off : len;
	if (n) {
		k = iov_slice(iov, cnt, skip, n, sub, max);
		if (k < 0)
			return k;
		ret = blk_preadv(q->backing, off, sub, k);
		if (ret)
			return ret;
	}
	iov_zero(iov, cnt, skip + n, len - n);
	return 0;
}

static int read_compressed_part(struct qcow2 *q, const struct qcow2_mapping *m, uint64_t off,
				const struct iovec *iov, int cnt, size_t skip)
{
	uint8_t *buf = malloc(q->cs);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = qcow2_read_compressed(q, m->entry, buf);
	if (!ret)
		iov_from_buf(iov, cnt, skip, buf + (off & (q->cs - 1)), m->len);
	free(buf);
	return ret;
}

/* The data of one mapping into [skip, skip + m->len) of the iovec array. No locks taken. */
int qcow2_read_mapped(struct qcow2 *q, const struct qcow2_mapping *m, uint64_t off,
		      const struct iovec *iov, int cnt, size_t skip, struct iovec *sub, int max)
{
	int k;

	switch (m->kind) {
	case QCOW2_UNALLOC:
		return read_backing(q, off, m->len, iov, cnt, skip, sub, max);
	case QCOW2_ZEROES:
		iov_zero(iov, cnt, skip, m->len);
		return 0;
	case QCOW2_DATA:
		k = iov_slice(iov, cnt, skip, m->len, sub, max);
		return k < 0 ? k : qcow2_preadv(q, m->host, sub, k);
	case QCOW2_COMPRESSED_DATA:
		return read_compressed_part(q, m, off, iov, cnt, skip);
	}
	return -EIO;
}

/* Map under q->lock, read outside it; the caller holds the free lock (shared at least). */
static int read_range(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt,
		      struct iovec *sub)
{
	size_t total = iov_total(iov, cnt), pos = 0;
	int ret = 0;

	while (pos < total && !ret) {
		struct qcow2_mapping m;

		pthread_mutex_lock(&q->lock);
		ret = qcow2_map(q, off + pos, total - pos, &m);
		pthread_mutex_unlock(&q->lock);
		if (!ret)
			ret = qcow2_read_mapped(q, &m, off + pos, iov, cnt, pos, sub, cnt + 1);
		pos += m.len;
	}
	return ret;
}

/* A guest range into a buffer, for copy-on-write: the free lock held, q->lock not. */
int qcow2_read_unlocked(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len }, sub[2];

	return read_range(q, off, &iov, 1, sub);
}

/*
 * The free lock is held shared for the whole request: nothing can free (and so reuse) a
 * data cluster we have mapped until we have read it. A read does not wait for allocating
 * writes in flight: their L2 entries change only once their data (COW edges included) is
 * in the file, so a read maps each cluster either before (old contents: backing file,
 * zeros, old data) or after (all new); never a half-written cluster (qcow2-write.c).
 */
int qcow2_read(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt)
{
	struct iovec *sub = malloc(sizeof(*sub) * (size_t)(cnt + 1));
	int ret;

	if (!sub)
		return -ENOMEM;
	pthread_rwlock_rdlock(&q->free_lock);
	ret = read_range(q, off, iov, cnt, sub);
	pthread_rwlock_unlock(&q->free_lock);
	free(sub);
	return ret;
}
