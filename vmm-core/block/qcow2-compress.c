// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 compressed clusters: reading deflate (zlib) and, when built with it, zstd data. */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#ifdef VESSEL_HAVE_ZSTD
#include <zstd.h>
#endif

#include "qcow2-private.h"

/*
 * qcow2 spec, "Compressed Clusters Descriptor": the data is a raw deflate stream (no zlib
 * header) that inflates to exactly one cluster; bytes after the stream's end are padding.
 * A 32 KiB window accepts streams written with any smaller one.
 */
static int inflate_cluster(const uint8_t *in, size_t inlen, uint8_t *out, size_t cs)
{
	z_stream z = { 0 };
	int ret;

	if (inflateInit2(&z, -15) != Z_OK)
		return -ENOMEM;
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)inlen;
	z.next_out = out;
	z.avail_out = (uInt)cs;
	ret = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) && z.avail_out == 0)
		return 0;
	return -EIO;
}

#ifdef VESSEL_HAVE_ZSTD
/* zstd (compression type 1): frames until one cluster has come out. */
static int unzstd_cluster(const uint8_t *in, size_t inlen, uint8_t *out, size_t cs)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { out, cs, 0 };
	int ret = -EIO;

	if (!d)
		return -ENOMEM;
	while (ob.pos < ob.size && ib.pos < ib.size) {
		size_t r = ZSTD_decompressStream(d, &ob, &ib);

		if (ZSTD_isError(r))
			break;
		if (r == 0 && ob.pos < ob.size && ib.pos == ib.size)
			break;
	}
	if (ob.pos == ob.size)
		ret = 0;
	ZSTD_freeDCtx(d);
	return ret;
}
#endif

/* One compressed cluster, described by its L2 entry, into `out` (one cluster). */
int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, uint8_t *out)
{
	uint64_t off, len;
	uint8_t *in;
	int ret;

	qcow2_compressed_range(q, entry, &off, &len);
	in = malloc(len);
	if (!in)
		return -ENOMEM;
	ret = qcow2_pread(q, off, in, len);
	if (!ret && q->h.compression == QCOW2_COMPRESS_ZLIB)
		ret = inflate_cluster(in, len, out, q->cs);
#ifdef VESSEL_HAVE_ZSTD
	else if (!ret && q->h.compression == QCOW2_COMPRESS_ZSTD)
		ret = unzstd_cluster(in, len, out, q->cs);
#endif
	else if (!ret)
		ret = -ENOTSUP;
	free(in);
	if (ret == -EIO)
		return qcow2_corrupt(q, "compressed cluster at 0x%llx (%llu bytes) does not "
				     "decompress to a cluster", (unsigned long long)off,
				     (unsigned long long)len);
	return ret;
}
