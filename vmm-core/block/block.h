/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The block layer: disk images behind one API that storage devices use (raw, later qcow2). */
#ifndef VMM_BLOCK_H
#define VMM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct blk;
struct blk_pool;

/*
 * A format driver. Every request is synchronous and may be issued from several threads at
 * once (vCPU threads, I/O threads): drivers keep their own locking. Offsets and lengths are in
 * bytes; the block layer has already checked them against the image size (overflow-safe), so
 * a driver sees only in-range requests. Return 0 or -errno.
 */
struct blk_driver {
	const char *name;				/* "raw", "qcow2" */
	/* Does this file look like this format? (first 4 KiB of the file) */
	bool (*probe)(const uint8_t *head, size_t len);
	int (*open)(struct blk *b, int fd, char *err, size_t errlen);
	int (*preadv)(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt);
	int (*pwritev)(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt);
	int (*flush)(struct blk *b);
	int (*discard)(struct blk *b, uint64_t off, uint64_t len);		/* may be NULL */
	int (*write_zeroes)(struct blk *b, uint64_t off, uint64_t len);	/* may be NULL */
	/* Snapshot hook: make `overlay` a new image backed by this one (qcow2 overlay) or a
	 * clone (raw, FICLONE); -ENOTSUP with a message if this image cannot. */
	int (*snapshot)(struct blk *b, const char *overlay, char *err, size_t errlen);
	void (*close)(struct blk *b);
};

struct blk_open_opts {
	bool read_only;
	const char *format;	/* NULL or "auto": probe; "raw"; "qcow2" */
	bool direct;		/* O_DIRECT */
};

struct blk {
	const struct blk_driver *drv;
	void *priv;		/* the driver's state */
	int fd;
	char *path;
	uint64_t size;		/* virtual disk size in bytes */
	bool read_only;
	bool can_discard;
	uint64_t requests, bytes_read, bytes_written;	/* counters (atomic) */
	struct blk_pool *pool;	/* blk-aio.c's, made on the first blk_submit */
};

/*
 * Open an image. Errors are -errno with a message in err naming the file and the problem:
 * missing, not a regular file or block device, empty (zero-length), a format we cannot read
 * yet, read-write open of a read-only file.
 */
int blk_open(const char *path, const struct blk_open_opts *opts, struct blk **out, char *err,
	     size_t errlen);
/* Drains b's asynchronous requests (blk-aio.h) first. */
void blk_close(struct blk *b);
/* blk-aio.c: drain and free the asynchronous request state (blk_close calls it). */
void blk_pool_free(struct blk *b);

/* Range-checked entry points: -EINVAL for a range past the end (or wrapping), -EROFS for a
 * write to a read-only image, -ENOTSUP for discard without support. */
int blk_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt);
int blk_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt);
int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len);
int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len);
int blk_flush(struct blk *b);
int blk_discard(struct blk *b, uint64_t off, uint64_t len);
int blk_write_zeroes(struct blk *b, uint64_t off, uint64_t len);
int blk_snapshot(struct blk *b, const char *overlay, char *err, size_t errlen);

/*
 * Put the image at path in b's place: it is opened as b was (read-only or not, O_DIRECT or
 * not, format probed) and must have b's virtual size; then b's driver, state, fd and path
 * become the new image's and the old image is flushed and closed. Storage devices keep their
 * struct blk * and notice nothing. On failure b is unchanged (-errno, err filled). The
 * caller guarantees no synchronous request is in flight (every vCPU and I/O thread is
 * paused); asynchronous ones are drained first.
 */
int blk_switch(struct blk *b, const char *path, char *err, size_t errlen);

/* True if [off, off+len) lies inside the disk (overflow-safe). */
bool blk_range_ok(const struct blk *b, uint64_t off, uint64_t len);

/* Drivers known to blk_open, in probe order (block.c). */
extern const struct blk_driver blk_raw_driver;

#endif
