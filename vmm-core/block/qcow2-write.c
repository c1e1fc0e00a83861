// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 writes: in place where a cluster is ours alone, otherwise allocate and copy-on-write. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2-private.h"

#define QCOW2_MAX_SEGMENT	(64ull << 20)	/* bytes allocated in one go */
#define QCOW2_POOL_BYTES	(16ull << 20)	/* data space reserved per refcount update */
#define QCOW2_NEED_EXCLUSIVE	(-EDEADLK)	/* internal: retry holding free_lock exclusive */

/* One run of clusters, inside one L2 table, that a write replaces. */
struct segment {
	uint64_t off, len;		/* guest bytes written by this segment */
	uint64_t first, n;		/* guest cluster index and count */
	uint64_t l1i, l2i;
	uint8_t *l2;
	uint64_t l2_off;
	bool fresh_l2;
	uint64_t reuse;			/* a preallocated zero cluster to write into, or 0 */
	uint64_t host;
	bool blank;			/* new clusters read as zeros, and so did the old ones */
	uint64_t *old;			/* the entries replaced (released after linking), or NULL */
	uint8_t *cow;			/* head and tail scratch (two clusters), or NULL */
	struct qcow2_inflight busy;
};

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

static uint64_t l2_entry(const struct qcow2 *q, const uint8_t *l2, uint64_t i)
{
	return qcow2_get64(l2 + (i << q->l2_entry_shift));
}

/* Does replacing this entry drop a reference to a host cluster? */
static bool entry_frees(uint64_t e)
{
	return (e & QCOW2_COMPRESSED) || (e & QCOW2_OFFSET_MASK);
}

static bool in_place(uint64_t e)
{
	return !(e & (QCOW2_COMPRESSED | QCOW2_ZERO)) && (e & QCOW2_OFFSET_MASK) &&
	       (e & QCOW2_COPIED);
}

static bool reusable_zero(uint64_t e)
{
	return !(e & QCOW2_COMPRESSED) && (e & QCOW2_ZERO) && (e & QCOW2_OFFSET_MASK) &&
	       (e & QCOW2_COPIED);
}

/*
 * How many clusters from s->first the segment covers: it stops before a cluster we can
 * write in place, before one being allocated by another request, at the end of the L2
 * table and at the end of the request. A preallocated
 * zero cluster is a segment of its own (its cluster is reused, nothing is allocated).
 */
static int plan(struct qcow2 *q, struct segment *s, uint64_t end, bool excl)
{
	uint64_t per = qcow2_l2_entries(q), max_n, last, run;
	bool frees = false;

	last = (end - 1) >> q->cluster_bits;
	max_n = last - s->first + 1;
	if (max_n > per - s->l2i)
		max_n = per - s->l2i;
	if (max_n > (QCOW2_MAX_SEGMENT >> q->cluster_bits))
		max_n = QCOW2_MAX_SEGMENT >> q->cluster_bits;
	run = qcow2_inflight_free_run(q, s->first);	/* not 0: the caller waited */
	if (max_n > run)
		max_n = run;
	s->n = 0;
	s->reuse = 0;
	while (s->n < max_n) {
		uint64_t e = s->l2 ? l2_entry(q, s->l2, s->l2i + s->n) : 0;

		if (s->n && (in_place(e) || reusable_zero(e)))
			break;
		if (!s->n && reusable_zero(e)) {
			s->reuse = e & QCOW2_OFFSET_MASK;
			s->n = 1;
			break;
		}
		frees |= entry_frees(e);
		s->n++;
	}
	if (frees && !excl)
		return QCOW2_NEED_EXCLUSIVE;
	s->len = ((s->first + s->n) << q->cluster_bits);
	s->len = (s->len < end ? s->len : end) - s->off;
	return 0;
}

/*
 * Head and tail of the first and last cluster: the old contents (backing, zeros, ...),
 * read without q->lock. The clusters are ours (in flight), so their mapping stays put, and
 * the free lock keeps any old data cluster from being freed meanwhile.
 */
static int fill_edges(struct qcow2 *q, const struct segment *s, struct iovec *v, int *k)
{
	uint64_t start = s->first << q->cluster_bits, stop = (s->first + s->n) << q->cluster_bits;
	uint64_t head = s->off - start, tail = stop - (s->off + s->len);
	int ret;

	*k = 0;
	if (head) {
		ret = qcow2_read_unlocked(q, start, s->cow, head);
		if (ret)
			return ret;
		v[(*k)++] = (struct iovec){ .iov_base = s->cow, .iov_len = head };
	}
	if (tail) {
		ret = qcow2_read_unlocked(q, s->off + s->len, s->cow + q->cs, tail);
		if (ret)
			return ret;
	}
	return 0;
}

/* The new clusters' data in one pwritev: COW head, the guest's bytes, COW tail. No lock. */
static int write_data(struct qcow2 *q, const struct segment *s, const struct iovec *iov,
		      int cnt, size_t skip)
{
	uint64_t stop = (s->first + s->n) << q->cluster_bits, tail = stop - (s->off + s->len);
	uint64_t at = s->host;
	struct iovec *v = malloc(sizeof(*v) * (size_t)(cnt + 2));
	int k = 0, n, ret = 0;

	if (!v)
		return -ENOMEM;
	if (s->blank) {		/* head and tail are zeros already: write the guest's bytes only */
		at += s->off - (s->first << q->cluster_bits);
		tail = 0;
	} else {
		ret = fill_edges(q, s, v, &k);
	}
	if (ret)
		goto out;
	n = iov_slice(iov, cnt, skip, s->len, v + k, cnt);
	if (n < 0) {
		ret = n;
		goto out;
	}
	k += n;
	if (tail)
		v[k++] = (struct iovec){ .iov_base = s->cow + q->cs, .iov_len = tail };
	ret = qcow2_pwritev(q, at, v, k);
out:
	free(v);
	return ret;
}

/* Point the L2 entries at the new clusters, in memory (written back later). */
static void link_entries(struct qcow2 *q, struct segment *s)
{
	size_t from = s->l2i << q->l2_entry_shift, to = (s->l2i + s->n) << q->l2_entry_shift;

	for (uint64_t i = 0; i < s->n; i++)
		qcow2_put64(s->l2 + ((s->l2i + i) << q->l2_entry_shift),
			    (s->host + (i << q->cluster_bits)) | QCOW2_COPIED);
	qcow2_cache_mark_dirty(&q->l2c, s->l2, from, to);
}

/*
 * A new L2 table is linked into L1 at once, empty (every cluster unallocated, which is
 * what it replaces): other requests then find and share it while our data is written.
 */
static int new_table(struct qcow2 *q, struct segment *s)
{
	int ret = qcow2_l2_table(q, s->l1i, true, &s->l2, &s->l2_off, &s->fresh_l2);

	if (ret)
		return ret;
	qcow2_cache_mark_dirty(&q->l2c, s->l2, 0, q->cs);	/* a new table goes out whole */
	qcow2_l1_set(q, s->l1i, s->l2_off | QCOW2_COPIED);
	return 0;
}

/*
 * Data clusters are reserved in runs: one refcount update covers a whole run, and
 * allocating writes then take clusters from its front with no refcount change of their
 * own. The file is extended over the run first, so an L2 entry that reaches the disk
 * before its data still points inside the file, at zeros; the counts and the new size are
 * made durable before any L2 table is written (order_pending, qcow2-cache.c). A crash
 * leaks the rest of the run (a leak, never a corruption); closing frees it.
 */
static int pool_refill(struct qcow2 *q, uint64_t n)
{
	uint64_t want = QCOW2_POOL_BYTES >> q->cluster_bits, start, end, size;
	struct stat st;
	int ret = qcow2_pool_release(q, false);

	if (want < n)
		want = n;
	if (!ret)
		ret = qcow2_alloc_clusters(q, want, &start);
	if (ret == -ENOSPC && want > n) {
		want = n;		/* no room for a run: just what this write needs */
		ret = qcow2_alloc_clusters(q, want, &start);
	}
	if (ret)
		return ret;
	end = start + (want << q->cluster_bits);
	if (fstat(q->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < end && ftruncate(q->fd, (off_t)end) < 0)
		return -errno;
	size = __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);
	if (size < (uint64_t)st.st_size)
		size = (uint64_t)st.st_size;	/* zeros only past both */
	qcow2_grow_file_size(q, end);
	q->order_pending = true;	/* the counts and the size before any entry using them */
	q->pool_next = start >> q->cluster_bits;
	q->pool_end = q->pool_next + want;
	q->pool_zero = (size + q->cs - 1) >> q->cluster_bits;
	return 0;
}

/* n contiguous new data clusters; *zero: they read as zeros (past the file's old end). */
static int alloc_data(struct qcow2 *q, uint64_t n, uint64_t *host, bool *zero)
{
	int ret = 0;

	if (q->pool_end - q->pool_next < n)
		ret = pool_refill(q, n);
	if (ret)
		return ret;
	*host = q->pool_next << q->cluster_bits;
	*zero = q->pool_next >= q->pool_zero;
	q->pool_next += n;
	return 0;
}

/* The unused rest of the run goes back; on close the file's tail is given back too. */
int qcow2_pool_release(struct qcow2 *q, bool closing)
{
	uint64_t next = q->pool_next, n = q->pool_end - q->pool_next;
	struct stat st;
	int ret;

	q->pool_next = q->pool_end = 0;
	if (!n)
		return 0;
	ret = qcow2_refcount_set(q, next, n, 0);
	if (ret || !closing || fstat(q->fd, &st) < 0)
		return ret;
	if ((uint64_t)st.st_size == (next + n) << q->cluster_bits &&
	    ftruncate(q->fd, (off_t)(next << q->cluster_bits)) < 0)
		return -errno;
	return 0;
}

/* Did the clusters being replaced read as zeros (not data, not the backing file)? */
static bool old_reads_zero(const struct qcow2 *q, const struct segment *s)
{
	if (q->backing && (s->first << q->cluster_bits) < q->backing_size)
		return false;
	for (uint64_t i = 0; s->l2 && i < s->n; i++)
		if (entry_frees(l2_entry(q, s->l2, s->l2i + i)))
			return false;
	return true;
}

/* Old entries' clusters, once nothing points at them any more. */
int qcow2_release_entries(struct qcow2 *q, const uint64_t *old, uint64_t n)
{
	bool any = false;
	int ret;

	for (uint64_t i = 0; i < n; i++)
		any |= entry_frees(old[i]);
	if (!any)
		return 0;
	ret = qcow2_meta_writeback(q);	/* the new entries on disk before the decrements */
	if (!ret)
		ret = qcow2_barrier(q);
	for (uint64_t i = 0; i < n && !ret; i++) {
		uint64_t e = old[i], off, len;

		if (e & QCOW2_COMPRESSED) {
			qcow2_compressed_range(q, e, &off, &len);
			ret = qcow2_free_range(q, off, len, true);
		} else if (e & QCOW2_OFFSET_MASK) {
			ret = qcow2_free_range(q, e & QCOW2_OFFSET_MASK, q->cs, true);
		}
	}
	return ret;
}

static int save_old(struct qcow2 *q, const struct segment *s, uint64_t **old)
{
	*old = NULL;
	if (!s->l2 || s->fresh_l2 || s->reuse)
		return 0;
	*old = malloc(sizeof(**old) * s->n);
	if (!*old)
		return -ENOMEM;
	for (uint64_t i = 0; i < s->n; i++)
		(*old)[i] = l2_entry(q, s->l2, s->l2i + i);
	return 0;
}

/* Host clusters for the segment: the preallocated one it reuses, or new ones from the run. */
static int take_clusters(struct qcow2 *q, struct segment *s)
{
	int ret = 0;

	if (s->reuse)
		s->host = s->reuse;
	else
		ret = alloc_data(q, s->n, &s->host, &s->blank);
	s->blank = s->blank && old_reads_zero(q, s);
	return ret;
}

/* Scratch for the COW edges: the image's spare buffer if free, else a new one. */
static int take_cow(struct qcow2 *q, struct segment *s)
{
	uint64_t start = s->first << q->cluster_bits, stop = (s->first + s->n) << q->cluster_bits;

	if (s->blank || (s->off == start && s->off + s->len == stop))
		return 0;
	s->cow = q->cow;
	q->cow = NULL;
	if (!s->cow)
		s->cow = qcow2_alloc_aligned(2 * q->cs);
	return s->cow ? 0 : -ENOMEM;
}

static void give_cow(struct qcow2 *q, struct segment *s)
{
	if (!q->cow)
		q->cow = s->cow;
	else
		free(s->cow);
	s->cow = NULL;
}

/*
 * Step 1, under q->lock: plan the segment, reserve its host clusters (refcounts in the
 * cache as usual) and put its guest clusters in flight. The L2 table is unpinned when we
 * return: it may be written back or evicted while the data is written.
 */
static int reserve(struct qcow2 *q, struct segment *s, uint64_t end, bool excl)
{
	int ret = qcow2_mark_dirty(q);

	if (!ret)
		ret = qcow2_l2_table(q, s->l1i, false, &s->l2, &s->l2_off, &s->fresh_l2);
	if (ret)
		return ret;
	ret = plan(q, s, end, excl);
	if (!ret && !s->l2)
		ret = new_table(q, s);
	if (!ret)
		ret = save_old(q, s, &s->old);
	if (!ret)
		ret = take_clusters(q, s);
	if (!ret)
		ret = take_cow(q, s);
	if (s->l2)
		qcow2_cache_put(&q->l2c, s->l2);
	s->l2 = NULL;
	if (ret)
		return ret;
	s->busy = (struct qcow2_inflight){ .first = s->first, .n = s->n };
	qcow2_inflight_add(q, &s->busy);
	return 0;
}

/*
 * Step 3, under q->lock again: the entries point at the new clusters. Ordering (crash
 * consistency): the data is in the file by now; the L2 entries change in memory and reach
 * the file later, after the new clusters' counts and, unless the segment is blank, after a
 * barrier behind the data (qcow2-cache.c); old clusters are released only once the new
 * entries are on disk. A crash leaks clusters at worst. A blank segment needs no barrier
 * between data and L2 entry: whether or not its data got to the disk, the clusters read as
 * the old contents or the new (qcow2 spec, "Cluster mapping": the entry is all that makes
 * a cluster allocated).
 */
static int link_segment(struct qcow2 *q, struct segment *s)
{
	uint64_t l2_off;
	bool fresh;
	int ret;

	if (q->corrupt)
		return -EIO;	/* the reserved clusters leak */
	ret = qcow2_l2_table(q, s->l1i, false, &s->l2, &l2_off, &fresh);
	if (!ret && !s->l2)
		ret = qcow2_corrupt(q, "L2 table %llu vanished during a write",
				    (unsigned long long)s->l1i);
	if (ret)
		return ret;
	if (!s->blank)
		q->order_pending = true;	/* the data before the entry (a barrier later) */
	link_entries(q, s);
	qcow2_cache_put(&q->l2c, s->l2);
	s->l2 = NULL;
	return s->old ? qcow2_release_entries(q, s->old, s->n) : 0;
}

/*
 * Called and returns with q->lock held: allocate and write the segment starting at guest
 * offset `off`. Reserve, drop the lock for the data (step 2: COW edges read, one pwritev),
 * relock and link, so that allocating writes to different clusters overlap. A failed
 * write leaks its reserved clusters (qemu-img check calls that a leak, not corruption).
 * *done == 0 with no error: we waited for another allocation; map again.
 */
static int write_alloc(struct qcow2 *q, uint64_t off, uint64_t end, const struct iovec *iov,
		       int cnt, size_t skip, bool excl, uint64_t *done)
{
	struct segment s = { .off = off, .first = off >> q->cluster_bits };
	int ret;

	*done = 0;
	if (q->corrupt)
		return -EIO;
	if (q->flush_waiters || !qcow2_inflight_free_run(q, s.first)) {
		pthread_cond_wait(&q->alloc_done, &q->lock);
		return 0;
	}
	s.l1i = s.first >> q->l2_bits;
	s.l2i = s.first & (qcow2_l2_entries(q) - 1);
	ret = reserve(q, &s, end, excl);
	if (ret) {
		give_cow(q, &s);
		free(s.old);
		return ret;
	}
	pthread_mutex_unlock(&q->lock);
	ret = write_data(q, &s, iov, cnt, skip);
	pthread_mutex_lock(&q->lock);
	if (!ret)
		ret = link_segment(q, &s);
	qcow2_inflight_del(q, &s.busy);
	give_cow(q, &s);
	free(s.old);
	*done = s.len;
	return ret;
}

static void lock_io(struct qcow2 *q, bool excl)
{
	if (excl)
		pthread_rwlock_wrlock(&q->free_lock);
	else
		pthread_rwlock_rdlock(&q->free_lock);
}

/*
 * Clusters that are ours alone are written in place outside the metadata lock. Anything
 * else is allocated under it. A segment that would free a data cluster (overwriting a
 * compressed cluster, say) needs the free lock exclusive, so no reader is still using it.
 */
int qcow2_write(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt)
{
	size_t total = iov_total(iov, cnt), pos = 0;
	struct iovec *sub = malloc(sizeof(*sub) * (size_t)(cnt + 1));
	bool excl = false;
	int ret = 0;

	if (!sub)
		return -ENOMEM;
	lock_io(q, excl);
	while (pos < total && !ret) {
		struct qcow2_mapping m;
		uint64_t done = 0;
		int k;

		pthread_mutex_lock(&q->lock);
		ret = qcow2_map(q, off + pos, total - pos, &m);
		if (!ret && m.kind == QCOW2_DATA && m.writable && !q->corrupt) {
			pthread_mutex_unlock(&q->lock);
			k = iov_slice(iov, cnt, pos, m.len, sub, cnt + 1);
			ret = k < 0 ? k : qcow2_pwritev(q, m.host, sub, k);
			pos += m.len;
			continue;
		}
		if (!ret)
			ret = write_alloc(q, off + pos, off + total, iov, cnt, pos, excl, &done);
		pthread_mutex_unlock(&q->lock);
		if (ret == QCOW2_NEED_EXCLUSIVE) {
			pthread_rwlock_unlock(&q->free_lock);
			excl = true;
			lock_io(q, excl);
			ret = 0;
			continue;
		}
		pos += done;
	}
	pthread_rwlock_unlock(&q->free_lock);
	free(sub);
	return ret;
}
