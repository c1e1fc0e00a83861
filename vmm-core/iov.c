// SPDX-License-Identifier: GPL-2.0-or-later
/* Scatter-gather list helpers shared by the virtio devices and the block drivers. */
#include "iov.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

enum iov_op { IOV_TO_BUF, IOV_FROM_BUF, IOV_ZERO };

/* Walk bytes [off, off+len) of the list, doing op on each piece; returns bytes covered. */
static size_t iov_walk(const struct iovec *iov, unsigned n, size_t off, uint8_t *buf,
		       size_t len, enum iov_op op)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, chunk;
		uint8_t *p;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		chunk = seg - off < len - done ? seg - off : len - done;
		p = (uint8_t *)iov[i].iov_base + off;
		if (op == IOV_TO_BUF)
			memcpy(buf + done, p, chunk);
		else if (op == IOV_FROM_BUF)
			memcpy(p, buf + done, chunk);
		else
			memset(p, 0, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
	return iov_walk(iov, n, off, buf, len, IOV_TO_BUF);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf,
		    size_t len)
{
	return iov_walk(iov, n, off, (uint8_t *)buf, len, IOV_FROM_BUF);
}

size_t iov_zero(const struct iovec *iov, unsigned n, size_t off, size_t len)
{
	return iov_walk(iov, n, off, NULL, len, IOV_ZERO);
}

int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
	      unsigned outmax)
{
	unsigned cnt = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t seg = iov[i].iov_len, chunk;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		if (cnt == outmax)
			return -EINVAL;
		chunk = seg - off < len ? seg - off : len;
		out[cnt++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, chunk };
		len -= chunk;
		off = 0;
	}
	return len ? -EINVAL : (int)cnt;
}
