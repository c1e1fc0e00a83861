/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scatter-gather lists: copying into and out of iovec arrays, slicing, zeroing. */
#ifndef VMM_IOV_H
#define VMM_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copy up to len bytes starting `off` bytes into the iovec list; returns bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
		    size_t len);
/* Zero up to len bytes starting `off` bytes in; returns bytes zeroed. */
size_t iov_zero(const struct iovec *iov, unsigned n, size_t off, size_t len);
/*
 * The sub-list covering bytes [off, off+len) of iov[0..n) into out (at most outmax entries);
 * returns the entry count, or -EINVAL if the range is not wholly inside or does not fit.
 */
int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
	      unsigned outmax);

#endif
