// SPDX-License-Identifier: GPL-2.0-or-later
/* The raw format: the image is the disk, byte for byte (regular files and block devices). */
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define RAW_SECTOR	512u
#define RAW_ZERO_CHUNK	65536u

static bool raw_probe(const uint8_t *head, size_t len)
{
	return true;	/* anything is a raw image; the block layer probes raw last */
}

static int raw_file_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st->st_size;
	return 0;
}

/*
 * A disk is a whole number of 512-byte sectors. A file whose length is not (a truncated
 * download, a stray append) is exposed rounded down, with a warning, so that no guest access
 * ever reaches the partial tail.
 */
static int raw_open(struct blk *b, int fd, char *err, size_t errlen)
{
	struct stat st;
	uint64_t size;
	int ret;

	if (fstat(fd, &st) < 0)
		return -errno;
	ret = raw_file_size(fd, &st, &size);
	if (ret) {
		snprintf(err, errlen, "%s: cannot read the device size: %s", b->path,
			 strerror(-ret));
		return ret;
	}
	if (size < RAW_SECTOR) {
		snprintf(err, errlen, "%s: the image is %s (%llu bytes; a disk needs at least one "
			 "512-byte sector)", b->path, size ? "too small" : "empty (zero-length)",
			 (unsigned long long)size);
		return -EINVAL;
	}
	if (size % RAW_SECTOR)
		vmm_warn("%s: size %llu is not a multiple of 512 bytes; the disk is %llu bytes "
			 "and the last %u bytes of the file are ignored", b->path,
			 (unsigned long long)size, (unsigned long long)(size - size % RAW_SECTOR),
			 (unsigned)(size % RAW_SECTOR));
	b->size = size - size % RAW_SECTOR;
	b->can_discard = !b->read_only;
	b->priv = NULL;
	return 0;
}

/*
 * preadv/pwritev may transfer less than asked (signals, a file that shrank under us). Finish
 * segment by segment; hitting end-of-file on a read is an I/O error, not zeros, because the
 * block layer only sends in-range requests.
 */
static int raw_rw_rest(int fd, bool write, uint64_t off, const struct iovec *iov, int iovcnt,
		       size_t skip)
{
	for (int i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len;
		uint8_t *p = iov[i].iov_base;

		if (skip >= len) {
			skip -= len;
			off += len;
			continue;
		}
		p += skip;
		off += skip;
		len -= skip;
		skip = 0;
		while (len) {
			ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO;
			p += n;
			off += (uint64_t)n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static int raw_rw(struct blk *b, bool write, uint64_t off, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	ssize_t n;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	do {
		n = write ? pwritev(b->fd, iov, iovcnt, (off_t)off)
			  : preadv(b->fd, iov, iovcnt, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == total)
		return 0;
	return raw_rw_rest(b->fd, write, off, iov, iovcnt, (size_t)n);
}

static int raw_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	return raw_rw(b, false, off, iov, iovcnt);
}

static int raw_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	return raw_rw(b, true, off, iov, iovcnt);
}

static int raw_flush(struct blk *b)
{
	return fdatasync(b->fd) < 0 ? -errno : 0;
}

static int raw_fallocate(struct blk *b, int mode, uint64_t off, uint64_t len)
{
	int ret;

	do {
		ret = fallocate(b->fd, mode, (off_t)off, (off_t)len);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
	return 0;
}

/* Deallocate: reads return zeros afterwards (fallocate(2), FALLOC_FL_PUNCH_HOLE). */
static int raw_discard(struct blk *b, uint64_t off, uint64_t len)
{
	return raw_fallocate(b, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
}

static int raw_write_zeroes(struct blk *b, uint64_t off, uint64_t len)
{
	uint8_t *zero;
	int ret = raw_fallocate(b, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len);

	if (ret != -ENOTSUP && ret != -EINVAL)
		return ret;
	/* tmpfs and many others lack ZERO_RANGE: write the zeros ourselves. O_DIRECT wants an
	 * aligned buffer. */
	if (posix_memalign((void **)&zero, 4096, RAW_ZERO_CHUNK))
		return -ENOMEM;
	memset(zero, 0, RAW_ZERO_CHUNK);
	ret = 0;
	while (len && !ret) {
		size_t n = len < RAW_ZERO_CHUNK ? (size_t)len : RAW_ZERO_CHUNK;
		struct iovec iov = { .iov_base = zero, .iov_len = n };

		ret = raw_rw(b, true, off, &iov, 1);
		off += n;
		len -= n;
	}
	free(zero);
	return ret;
}

/*
 * A raw snapshot is a reflink copy (FICLONE): instant and sharing blocks on btrfs, XFS with
 * reflink, bcachefs. Elsewhere (ext4, tmpfs, block devices) there is no cheap copy, and a
 * full copy of a large disk is not a snapshot anyone wants to wait for.
 */
static int raw_snapshot(struct blk *b, const char *overlay, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	if (fstat(b->fd, &st) < 0)
		return -errno;
	if (!b->read_only && fdatasync(b->fd) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot flush before the snapshot: %s", b->path,
			 strerror(-ret));
		return ret;
	}
	fd = open(overlay, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0666);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot create the snapshot file: %s", overlay,
			 strerror(-ret));
		return ret;
	}
	if (ioctl(fd, FICLONE, b->fd) == 0) {
		close(fd);
		return 0;
	}
	ret = -errno;
	close(fd);
	unlink(overlay);
	if (ret == -EOPNOTSUPP || ret == -ENOTTY || ret == -EXDEV || ret == -EINVAL ||
	    ret == -ENOSYS) {
		snprintf(err, errlen, "%s: this filesystem cannot clone files; convert the disk to "
			 "qcow2 to take snapshots", b->path);
		return -ENOTSUP;
	}
	snprintf(err, errlen, "%s: cloning into %s failed: %s", b->path, overlay, strerror(-ret));
	return ret;
}

const struct blk_driver blk_raw_driver = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.snapshot = raw_snapshot,
};
