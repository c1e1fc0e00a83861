// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 helpers: whole-request file I/O (O_DIRECT-safe), iovec slicing, messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qcow2-private.h"

void qcow2_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void *qcow2_alloc_aligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, QCOW2_IO_ALIGN, len ? len : 1))
		return NULL;
	return p;
}

/*
 * Allocations in flight (all under q->lock). An allocating write reserves host clusters and
 * puts its guest clusters on this list, writes the data with the lock dropped, then links
 * the L2 entries and leaves the list. Until then no other write, discard or flush may
 * touch those guest clusters: writes wait for alloc_done (qcow2-write.c), discard and
 * write-zeroes hold the free lock exclusive (so no request is in flight at all), a flush
 * waits for the list to empty.
 */

/* Clusters from `first` on that nothing in flight covers: 0 if `first` is covered,
 * UINT64_MAX if nothing lies beyond it. */
uint64_t qcow2_inflight_free_run(const struct qcow2 *q, uint64_t first)
{
	uint64_t run = UINT64_MAX;

	for (const struct qcow2_inflight *a = q->inflight; a; a = a->next) {
		if (first >= a->first && first - a->first < a->n)
			return 0;
		if (a->first > first && a->first - first < run)
			run = a->first - first;
	}
	return run;
}

void qcow2_inflight_add(struct qcow2 *q, struct qcow2_inflight *a)
{
	a->next = q->inflight;
	q->inflight = a;
	if (++q->ninflight > q->inflight_peak)
		q->inflight_peak = q->ninflight;
}

void qcow2_inflight_del(struct qcow2 *q, struct qcow2_inflight *a)
{
	for (struct qcow2_inflight **p = &q->inflight; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			q->ninflight--;
			break;
		}
	}
	pthread_cond_broadcast(&q->alloc_done);
}

/* A flush: no new allocation starts while one waits, so a stream of them cannot starve it. */
void qcow2_inflight_wait_all(struct qcow2 *q)
{
	q->flush_waiters++;
	while (q->inflight)
		pthread_cond_wait(&q->alloc_done, &q->lock);
	q->flush_waiters--;
	if (!q->flush_waiters)
		pthread_cond_broadcast(&q->alloc_done);	/* we hold the lock until our flush ends */
}

/*
 * Metadata that does not add up (a pointer past the end, a bad descriptor) marks the image
 * corrupt in memory: reads of other data go on, writes are refused. The file is left alone
 * (the dirty bit, if we set it, makes the next read-write open recheck it). Logged once.
 */
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (__atomic_exchange_n(&q->corrupt, true, __ATOMIC_RELAXED))
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmm_warn("%s: corrupt qcow2 metadata: %s; the image is now read-only, check it with "
		 "'qemu-img check' or 'vesselctl disk check'", q->path, msg);
	return -EIO;
}

/* Under q->lock (or with the image to ourselves): it clears the ordering flags. */
int qcow2_sync(struct qcow2 *q)
{
	__atomic_add_fetch(&q->syncs, 1, __ATOMIC_RELAXED);
	if (fdatasync(q->fd) < 0)
		return -errno;
	q->order_pending = q->tables_unsynced = false;
	return 0;
}

/* An ordering point between dependent writes (see qcow2_tuning.ordered_writes). */
int qcow2_barrier(struct qcow2 *q)
{
	return q->ordered ? qcow2_sync(q) : 0;
}

static bool aligned(uint64_t v)
{
	return !(v & (QCOW2_IO_ALIGN - 1));
}

static int rw_full(int fd, bool write, uint64_t off, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (write)
				return -EIO;
			memset(p, 0, len);	/* past the end of the file: zeros */
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* O_DIRECT wants aligned offsets, lengths and buffers: go through an aligned bounce. */
static int rw_bounce(struct qcow2 *q, bool write, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t start = off & ~(uint64_t)(QCOW2_IO_ALIGN - 1);
	uint64_t end = (off + len + QCOW2_IO_ALIGN - 1) & ~(uint64_t)(QCOW2_IO_ALIGN - 1);
	uint8_t *b = qcow2_alloc_aligned(end - start);
	int ret;

	if (!b)
		return -ENOMEM;
	ret = rw_full(q->fd, false, start, b, end - start);
	if (!ret && write) {
		memcpy(b + (off - start), buf, len);
		ret = rw_full(q->fd, true, start, b, end - start);
	} else if (!ret) {
		memcpy(buf, b + (off - start), len);
	}
	free(b);
	return ret;
}

static int rw(struct qcow2 *q, bool write, uint64_t off, void *buf, size_t len)
{
	if (q->direct && !(aligned(off) && aligned(len) && aligned((uintptr_t)buf)))
		return rw_bounce(q, write, off, buf, len);
	return rw_full(q->fd, write, off, buf, len);
}

int qcow2_pread(struct qcow2 *q, uint64_t off, void *buf, size_t len)
{
	return rw(q, false, off, buf, len);
}

void qcow2_grow_file_size(struct qcow2 *q, uint64_t end)
{
	uint64_t cur = __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);

	while (end > cur && !__atomic_compare_exchange_n(&q->file_size, &cur, end, false,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int qcow2_pwrite(struct qcow2 *q, uint64_t off, const void *buf, size_t len)
{
	qcow2_grow_file_size(q, off + len);
	return rw(q, true, off, (void *)buf, len);
}

static size_t iov_len(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

static bool iov_aligned(const struct iovec *iov, int cnt, uint64_t off)
{
	if (!aligned(off))
		return false;
	for (int i = 0; i < cnt; i++)
		if (!aligned(iov[i].iov_len) || !aligned((uintptr_t)iov[i].iov_base))
			return false;
	return true;
}

/* Vectored I/O finished segment by segment after a short transfer. */
static int rwv(struct qcow2 *q, bool write, uint64_t off, const struct iovec *iov, int cnt)
{
	size_t total = iov_len(iov, cnt), done;
	ssize_t n;

	do {
		n = write ? pwritev(q->fd, iov, cnt, (off_t)off) : preadv(q->fd, iov, cnt, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	done = (size_t)n;
	for (int i = 0; i < cnt && done < total; i++) {
		size_t l = iov[i].iov_len;
		int ret;

		if (done >= l) {
			done -= l;
			off += l;
			continue;
		}
		ret = rw_full(q->fd, write, off + done, (uint8_t *)iov[i].iov_base + done, l - done);
		if (ret)
			return ret;
		off += l;
		done = 0;
	}
	return 0;
}

static int rwv_bounce(struct qcow2 *q, bool write, uint64_t off, const struct iovec *iov,
		      int cnt)
{
	size_t total = iov_len(iov, cnt);
	uint8_t *b = malloc(total ? total : 1);
	int ret;

	if (!b)
		return -ENOMEM;
	if (write)
		iov_to_buf(iov, cnt, 0, b, total);
	ret = rw_bounce(q, write, off, b, total);
	if (!ret && !write)
		iov_from_buf(iov, cnt, 0, b, total);
	free(b);
	return ret;
}

int qcow2_preadv(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt)
{
	if (q->direct && !iov_aligned(iov, cnt, off))
		return rwv_bounce(q, false, off, iov, cnt);
	return rwv(q, false, off, iov, cnt);
}

int qcow2_pwritev(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt)
{
	qcow2_grow_file_size(q, off + iov_len(iov, cnt));
	if (q->direct && !iov_aligned(iov, cnt, off))
		return rwv_bounce(q, true, off, iov, cnt);
	return rwv(q, true, off, iov, cnt);
}

/*
 * Write back bytes [from, to) of an in-memory table that lives at table_off, widened to
 * whole 4 KiB blocks: one aligned write, and a torn write cannot split an entry.
 */
int qcow2_write_table_range(struct qcow2 *q, uint64_t table_off, const uint8_t *table,
			    size_t table_len, size_t from, size_t to)
{
	size_t a = from & ~(size_t)(QCOW2_IO_ALIGN - 1);
	size_t b = (to + QCOW2_IO_ALIGN - 1) & ~(size_t)(QCOW2_IO_ALIGN - 1);

	if (b > table_len)
		b = table_len;
	return qcow2_pwrite(q, table_off + a, table + a, b - a);
}

