// SPDX-License-Identifier: GPL-2.0-or-later
/* The block layer: opening and probing images, range checks, counters, driver dispatch. */
#include "block.h"
#include "blk-aio.h"
#include "qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Formats we can read, in probe order; raw accepts anything, so it comes last (a qcow2
 * file is never taken for raw while probing: the guest could rewrite its metadata). */
static const struct blk_driver *const blk_drivers[] = {
	&blk_qcow2_driver,
	&blk_raw_driver,
};

#define BLK_NDRIVERS	(sizeof(blk_drivers) / sizeof(blk_drivers[0]))
#define BLK_PROBE_LEN	4096
#define BLK_ZERO_CHUNK	65536

static void blk_msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void blk_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* open(2) with a message that names the file and says what to do about it. */
static int blk_open_fd(const char *path, const struct blk_open_opts *o, char *err,
		       size_t errlen)
{
	int flags = (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	int fd;

	if (o->direct)
		flags |= O_DIRECT;
	fd = open(path, flags);
	if (fd >= 0)
		return fd;
	fd = -errno;
	if (fd == -ENOENT)
		blk_msg(err, errlen, "%s: no such file", path);
	else if (!o->read_only && (fd == -EACCES || fd == -EROFS || fd == -EPERM))
		blk_msg(err, errlen, "%s: cannot open for writing (%s); attach it readonly to "
			"use it anyway", path, strerror(-fd));
	else if (fd == -EINVAL && o->direct)
		blk_msg(err, errlen, "%s: this filesystem does not support direct I/O", path);
	else
		blk_msg(err, errlen, "%s: %s", path, strerror(-fd));
	return fd;
}

/* Regular file or block device, not empty; reads the first bytes for probing. */
static int blk_check_file(int fd, const char *path, uint8_t *head, size_t *headlen,
			  char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		blk_msg(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		blk_msg(err, errlen, "%s: not a regular file or block device", path);
		return -EINVAL;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		blk_msg(err, errlen, "%s: the image is empty (zero-length)", path);
		return -EINVAL;
	}
	do {
		n = pread(fd, head, BLK_PROBE_LEN, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		blk_msg(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -errno;
	}
	if (n == 0) {
		blk_msg(err, errlen, "%s: the image is empty (zero-length)", path);
		return -EINVAL;
	}
	*headlen = (size_t)n;
	return 0;
}

static int blk_find_driver(const char *format, const char *path, const uint8_t *head,
			   size_t len, const struct blk_driver **out, char *err, size_t errlen)
{
	bool probing = !format || !strcmp(format, "auto");

	for (size_t i = 0; i < BLK_NDRIVERS; i++) {
		const struct blk_driver *d = blk_drivers[i];

		if (probing ? d->probe(head, len) : !strcmp(format, d->name)) {
			*out = d;
			return 0;
		}
	}
	if (probing)
		blk_msg(err, errlen, "%s: unknown image format", path);
	else
		blk_msg(err, errlen, "%s: unknown image format '%s'", path, format);
	return -EINVAL;
}

int blk_open(const char *path, const struct blk_open_opts *opts, struct blk **out, char *err,
	     size_t errlen)
{
	static const struct blk_open_opts defaults;
	const struct blk_open_opts *o = opts ? opts : &defaults;
	const struct blk_driver *drv;
	uint8_t *head;
	size_t headlen = 0;
	struct blk *b;
	char dummy[1];
	int fd, ret;

	*out = NULL;
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	/* O_DIRECT wants an aligned buffer even for the probe. */
	if (posix_memalign((void **)&head, BLK_PROBE_LEN, BLK_PROBE_LEN))
		return -ENOMEM;
	fd = blk_open_fd(path, o, err, errlen);
	if (fd < 0) {
		ret = fd;
		goto out_free_head;
	}
	ret = blk_check_file(fd, path, head, &headlen, err, errlen);
	if (ret)
		goto out_close;
	ret = blk_find_driver(o->format, path, head, headlen, &drv, err, errlen);
	if (ret)
		goto out_close;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(path))) {
		free(b);
		ret = -ENOMEM;
		goto out_close;
	}
	b->drv = drv;
	b->fd = fd;
	b->read_only = o->read_only;
	ret = drv->open(b, fd, err, errlen);
	if (ret) {
		free(b->path);
		free(b);
		goto out_close;
	}
	free(head);
	*out = b;
	return 0;
out_close:
	close(fd);
out_free_head:
	free(head);
	return ret;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	blk_pool_free(b);
	if (b->drv->close)
		b->drv->close(b);
	close(b->fd);
	free(b->path);
	free(b);
}

bool blk_range_ok(const struct blk *b, uint64_t off, uint64_t len)
{
	return off <= b->size && len <= b->size - off;
}

/* Total length of an iovec array, or -EINVAL if it overflows or the count is bad. */
static int64_t iov_total(const struct iovec *iov, int iovcnt)
{
	uint64_t total = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt && !iov))
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (uint64_t)INT64_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	return (int64_t)total;
}

static void blk_count(struct blk *b, uint64_t *counter, uint64_t bytes)
{
	__atomic_add_fetch(&b->requests, 1, __ATOMIC_RELAXED);
	if (counter)
		__atomic_add_fetch(counter, bytes, __ATOMIC_RELAXED);
}

int blk_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	int64_t len = iov_total(iov, iovcnt);
	int ret;

	if (len < 0)
		return (int)len;
	if (!blk_range_ok(b, off, (uint64_t)len))
		return -EINVAL;
	if (!len)
		return 0;
	ret = b->drv->preadv(b, off, iov, iovcnt);
	if (!ret)
		blk_count(b, &b->bytes_read, (uint64_t)len);
	return ret;
}

int blk_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	int64_t len = iov_total(iov, iovcnt);
	int ret;

	if (len < 0)
		return (int)len;
	if (b->read_only)
		return -EROFS;
	if (!blk_range_ok(b, off, (uint64_t)len))
		return -EINVAL;
	if (!len)
		return 0;
	ret = b->drv->pwritev(b, off, iov, iovcnt);
	if (!ret)
		blk_count(b, &b->bytes_written, (uint64_t)len);
	return ret;
}

int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return blk_preadv(b, off, &iov, 1);
}

int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return blk_pwritev(b, off, &iov, 1);
}

int blk_flush(struct blk *b)
{
	if (b->read_only || !b->drv->flush)
		return 0;
	blk_count(b, NULL, 0);
	return b->drv->flush(b);
}

int blk_discard(struct blk *b, uint64_t off, uint64_t len)
{
	int ret;

	if (b->read_only)
		return -EROFS;
	if (!blk_range_ok(b, off, len))
		return -EINVAL;
	if (!b->drv->discard || !__atomic_load_n(&b->can_discard, __ATOMIC_RELAXED))
		return -ENOTSUP;
	if (!len)
		return 0;
	ret = b->drv->discard(b, off, len);
	if (ret == -ENOTSUP || ret == -EOPNOTSUPP) {
		/* Learned the hard way: the file system cannot punch holes; stop asking. */
		__atomic_store_n(&b->can_discard, false, __ATOMIC_RELAXED);
		return -ENOTSUP;
	}
	if (!ret)
		blk_count(b, NULL, 0);
	return ret;
}

/* For drivers without write_zeroes: plain writes of a zeroed buffer. */
static int blk_write_zeroes_slow(struct blk *b, uint64_t off, uint64_t len)
{
	void *zero = calloc(1, BLK_ZERO_CHUNK);
	int ret = 0;

	if (!zero)
		return -ENOMEM;
	while (len && !ret) {
		size_t n = len < BLK_ZERO_CHUNK ? (size_t)len : BLK_ZERO_CHUNK;
		struct iovec iov = { .iov_base = zero, .iov_len = n };

		ret = b->drv->pwritev(b, off, &iov, 1);
		off += n;
		len -= n;
	}
	free(zero);
	return ret;
}

int blk_write_zeroes(struct blk *b, uint64_t off, uint64_t len)
{
	int ret;

	if (b->read_only)
		return -EROFS;
	if (!blk_range_ok(b, off, len))
		return -EINVAL;
	if (!len)
		return 0;
	if (b->drv->write_zeroes)
		ret = b->drv->write_zeroes(b, off, len);
	else
		ret = blk_write_zeroes_slow(b, off, len);
	if (!ret)
		blk_count(b, &b->bytes_written, len);
	return ret;
}

int blk_snapshot(struct blk *b, const char *overlay, char *err, size_t errlen)
{
	char dummy[1];

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!overlay || !*overlay) {
		blk_msg(err, errlen, "%s: no file name given for the snapshot", b->path);
		return -EINVAL;
	}
	blk_drain(b);
	if (!b->drv->snapshot) {
		blk_msg(err, errlen, "%s: %s images cannot take snapshots", b->path,
			b->drv->name);
		return -ENOTSUP;
	}
	return b->drv->snapshot(b, overlay, err, errlen);
}

/* How b was opened, so its replacement is opened the same way. */
static void blk_opts_of(const struct blk *b, struct blk_open_opts *o)
{
	int fl = fcntl(b->fd, F_GETFL);

	*o = (struct blk_open_opts){ .read_only = b->read_only };
	o->direct = fl >= 0 && (fl & O_DIRECT);
}

int blk_switch(struct blk *b, const char *path, char *err, size_t errlen)
{
	struct blk_open_opts o;
	struct blk *nb, old;
	char dummy[1];
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	blk_opts_of(b, &o);
	blk_drain(b);
	/* Flushed first: the new image may be an overlay reading this one as its backing. */
	ret = blk_flush(b);
	if (ret) {
		blk_msg(err, errlen, "%s: cannot flush before switching images: %s", b->path,
			strerror(-ret));
		return ret;
	}
	ret = blk_open(path, &o, &nb, err, errlen);
	if (ret)
		return ret;
	if (nb->size != b->size) {
		blk_msg(err, errlen, "%s: its size (%llu bytes) differs from %s (%llu bytes)",
			path, (unsigned long long)nb->size, b->path,
			(unsigned long long)b->size);
		blk_close(nb);
		return -EINVAL;
	}
	old = *b;
	b->drv = nb->drv;
	b->priv = nb->priv;
	b->fd = nb->fd;
	b->path = nb->path;
	__atomic_store_n(&b->can_discard, nb->can_discard, __ATOMIC_RELAXED);
	/* nb now holds the old image, closed through the usual path. */
	nb->drv = old.drv;
	nb->priv = old.priv;
	nb->fd = old.fd;
	nb->path = old.path;
	blk_close(nb);
	return 0;
}
