// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 header and header extensions: parsing (hostile input), building, updating. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qcow2-private.h"

/* Names for the feature name table we write (qcow2 spec, "Feature name table"). */
static const struct {
	uint8_t type, bit;
	const char *name;
} qcow2_feature_names[] = {
	{ 0, 0, "dirty bit" },
	{ 0, 1, "corrupt bit" },
	{ 0, 2, "external data file" },
	{ 0, 3, "compression type" },
	{ 0, 4, "extended L2 entries" },
	{ 1, 0, "lazy refcounts" },
	{ 2, 0, "bitmaps" },
	{ 2, 1, "raw external data" },
};

#define QCOW2_NFEATURES	(sizeof(qcow2_feature_names) / sizeof(qcow2_feature_names[0]))
#define QCOW2_FEATURE_ENTRY	48

/* Where the header extensions of a parsed image say things are (within the buffer). */
struct qcow2_ext_scan {
	const uint8_t *features;
	size_t features_len;
};

static uint64_t round8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

/* The name of an incompatible feature bit from the image's own table, if it has one. */
static void feature_name(const struct qcow2_ext_scan *s, unsigned bit, char *out, size_t len)
{
	snprintf(out, len, "unnamed");
	for (size_t i = 0; i + QCOW2_FEATURE_ENTRY <= s->features_len; i += QCOW2_FEATURE_ENTRY) {
		const uint8_t *e = s->features + i;
		size_t n = strnlen((const char *)e + 2, QCOW2_FEATURE_NAME_LEN);

		if (e[0] != 0 || e[1] != bit)
			continue;
		if (n >= len)
			n = len - 1;
		memcpy(out, e + 2, n);
		out[n] = 0;
		for (size_t j = 0; j < n; j++)
			if (out[j] < 0x20 || out[j] > 0x7e)
				out[j] = '?';
		return;
	}
}

static int parse_one_ext(struct qcow2_header *h, struct qcow2_ext_scan *s, uint32_t type,
			 const uint8_t *data, uint32_t len, char *err, size_t errlen)
{
	switch (type) {
	case QCOW2_EXT_BACKING_FMT:
		if (len >= sizeof(h->backing_fmt) || memchr(data, 0, len)) {
			qcow2_msg(err, errlen, "the backing format extension is malformed");
			return -EINVAL;
		}
		memcpy(h->backing_fmt, data, len);
		h->backing_fmt[len] = 0;
		h->has_backing_fmt = true;
		return 0;
	case QCOW2_EXT_FEATURES:
		s->features = data;
		s->features_len = len;
		return 0;
	case QCOW2_EXT_BITMAPS:
		if (len != 24) {
			qcow2_msg(err, errlen, "the bitmaps extension has length %u, not 24", len);
			return -EINVAL;
		}
		h->has_bitmaps = true;
		h->nb_bitmaps = qcow2_get32(data);
		h->bitmap_dir_size = qcow2_get64(data + 8);
		h->bitmap_dir_off = qcow2_get64(data + 16);
		return 0;
	default:
		return 0;	/* unknown extensions can be safely ignored (spec) */
	}
}

/* Header extensions sit between the header and the end of the first cluster. */
static int parse_extensions(struct qcow2_header *h, struct qcow2_ext_scan *s,
			    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint64_t off = h->header_len;

	while (off + 8 <= len) {
		uint32_t type = qcow2_get32(buf + off);
		uint32_t elen = qcow2_get32(buf + off + 4);
		int ret;

		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (elen > len - off) {
			qcow2_msg(err, errlen, "header extension 0x%08x (length %u) runs past the "
				  "first cluster", type, elen);
			return -EINVAL;
		}
		ret = parse_one_ext(h, s, type, buf + off, elen, err, errlen);
		if (ret)
			return ret;
		off += round8(elen);
	}
	return 0;
}

static int parse_backing_name(struct qcow2_header *h, const uint8_t *buf, size_t len,
			      char *err, size_t errlen)
{
	if (!h->backing_off)
		return 0;
	if (h->backing_len == 0 || h->backing_len > QCOW2_MAX_BACKING_NAME ||
	    h->backing_off < h->header_len || h->backing_off > len ||
	    h->backing_len > len - h->backing_off) {
		qcow2_msg(err, errlen, "the backing file name (offset %llu, length %u) is not "
			  "inside the first cluster", (unsigned long long)h->backing_off,
			  h->backing_len);
		return -EINVAL;
	}
	memcpy(h->backing, buf + h->backing_off, h->backing_len);
	h->backing[h->backing_len] = 0;
	if (strlen(h->backing) != h->backing_len) {
		qcow2_msg(err, errlen, "the backing file name contains a NUL byte");
		return -EINVAL;
	}
	return 0;
}

static int check_incompat(const struct qcow2_header *h, const struct qcow2_ext_scan *s,
			  char *err, size_t errlen)
{
	uint64_t unknown = h->incompat & ~QCOW2_INCOMPAT_KNOWN;
	char name[QCOW2_FEATURE_NAME_LEN + 1];

	if (unknown) {
		unsigned bit = (unsigned)__builtin_ctzll(unknown);

		feature_name(s, bit, name, sizeof(name));
		qcow2_msg(err, errlen, "unsupported incompatible feature bit %u (%s)", bit, name);
		return -ENOTSUP;
	}
	if (h->incompat & QCOW2_INCOMPAT_DATA_FILE) {
		qcow2_msg(err, errlen, "images with an external data file are not supported");
		return -ENOTSUP;
	}
	if (!(h->incompat & QCOW2_INCOMPAT_COMPRESSION)) {
		if (h->compression) {
			qcow2_msg(err, errlen, "compression type %u without its feature bit",
				  h->compression);
			return -EINVAL;
		}
	} else if (h->compression == QCOW2_COMPRESS_ZSTD) {
#ifndef VESSEL_HAVE_ZSTD
		qcow2_msg(err, errlen, "zstd-compressed images are not supported by this build "
			  "(built without libzstd)");
		return -ENOTSUP;
#endif
	} else {
		qcow2_msg(err, errlen, "compression type %u is not supported", h->compression);
		return h->compression ? -ENOTSUP : -EINVAL;
	}
	if ((h->incompat & QCOW2_INCOMPAT_EXTL2) && h->cluster_bits < 14) {
		qcow2_msg(err, errlen, "extended L2 entries need clusters of 16 KiB or more");
		return -EINVAL;
	}
	return 0;
}

/* A table [off, off+len) must be cluster-aligned, after the header and inside the file. */
static int check_table(const char *what, uint64_t off, uint64_t len, uint64_t cs,
		       uint64_t file_size, char *err, size_t errlen)
{
	if (off % cs) {
		qcow2_msg(err, errlen, "the %s offset 0x%llx is not cluster-aligned", what,
			  (unsigned long long)off);
		return -EINVAL;
	}
	if (off < cs) {
		qcow2_msg(err, errlen, "the %s overlaps the header", what);
		return -EINVAL;
	}
	if (off > file_size || len > file_size - off) {
		qcow2_msg(err, errlen, "the %s (0x%llx, %llu bytes) extends past the end of the "
			  "file (%llu bytes)", what, (unsigned long long)off,
			  (unsigned long long)len, (unsigned long long)file_size);
		return -EINVAL;
	}
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int check_tables(const struct qcow2_header *h, uint64_t file_size, char *err,
			size_t errlen)
{
	uint64_t cs = 1ull << h->cluster_bits;
	unsigned l2_bits = h->cluster_bits - ((h->incompat & QCOW2_INCOMPAT_EXTL2) ? 4 : 3);
	unsigned per_l1 = h->cluster_bits + l2_bits;	/* bytes of disk per L1 entry (log2) */
	uint64_t need = (h->size >> per_l1) + !!(h->size & ((1ull << per_l1) - 1));
	uint64_t l1_bytes = (uint64_t)h->l1_size * 8, rt_bytes = (uint64_t)h->rt_clusters * cs;
	int ret;

	if (l1_bytes > QCOW2_MAX_L1_BYTES || need > h->l1_size) {
		qcow2_msg(err, errlen, "the L1 table (%u entries) cannot map a %llu-byte disk",
			  h->l1_size, (unsigned long long)h->size);
		return -EINVAL;
	}
	if (h->l1_size) {
		ret = check_table("L1 table", h->l1_off, l1_bytes, cs, file_size, err, errlen);
		if (ret)
			return ret;
	}
	if (!h->rt_clusters || rt_bytes > QCOW2_MAX_RT_BYTES) {
		qcow2_msg(err, errlen, "the refcount table size (%u clusters) is invalid",
			  h->rt_clusters);
		return -EINVAL;
	}
	ret = check_table("refcount table", h->rt_off, rt_bytes, cs, file_size, err, errlen);
	if (ret)
		return ret;
	if (ranges_overlap(h->l1_off, l1_bytes, h->rt_off, rt_bytes)) {
		qcow2_msg(err, errlen, "the L1 table and the refcount table overlap");
		return -EINVAL;
	}
	if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
		qcow2_msg(err, errlen, "too many internal snapshots (%u)", h->nb_snapshots);
		return -EINVAL;
	}
	if (h->nb_snapshots)
		return check_table("snapshot table", h->snap_off, 40, cs, file_size, err, errlen);
	return 0;
}

static void parse_fixed(struct qcow2_header *h, const uint8_t *buf)
{
	h->version = qcow2_get32(buf + 4);
	h->backing_off = qcow2_get64(buf + 8);
	h->backing_len = qcow2_get32(buf + 16);
	h->cluster_bits = qcow2_get32(buf + 20);
	h->size = qcow2_get64(buf + 24);
	h->crypt_method = qcow2_get32(buf + 32);
	h->l1_size = qcow2_get32(buf + 36);
	h->l1_off = qcow2_get64(buf + 40);
	h->rt_off = qcow2_get64(buf + 48);
	h->rt_clusters = qcow2_get32(buf + 56);
	h->nb_snapshots = qcow2_get32(buf + 60);
	h->snap_off = qcow2_get64(buf + 64);
	h->header_len = QCOW2_V2_HEADER_LEN;
	h->refcount_order = 4;
}

static int parse_v3(struct qcow2_header *h, const uint8_t *buf, size_t len, char *err,
		    size_t errlen)
{
	if (len < QCOW2_V3_HEADER_LEN) {
		qcow2_msg(err, errlen, "the file is too short for a version 3 header");
		return -EINVAL;
	}
	h->incompat = qcow2_get64(buf + 72);
	h->compat = qcow2_get64(buf + 80);
	h->autoclear = qcow2_get64(buf + 88);
	h->refcount_order = qcow2_get32(buf + 96);
	h->header_len = qcow2_get32(buf + 100);
	if (h->header_len < QCOW2_V3_HEADER_LEN || h->header_len % 8 || h->header_len > len) {
		qcow2_msg(err, errlen, "the header length %u is invalid", h->header_len);
		return -EINVAL;
	}
	if (h->header_len > 104)
		h->compression = buf[104];
	return 0;
}

static int check_basics(const struct qcow2_header *h, char *err, size_t errlen)
{
	if (h->version != 2 && h->version != 3) {
		qcow2_msg(err, errlen, "qcow2 version %u is not supported (2 and 3 are)",
			  h->version);
		return -ENOTSUP;
	}
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS || h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		bool legal = h->cluster_bits >= 9 && h->cluster_bits <= 21;

		qcow2_msg(err, errlen, "cluster_bits %u %s (supported: 12 to 21, 4 KiB to 2 MiB "
			  "clusters)", h->cluster_bits, legal ? "is not supported" : "is invalid");
		return legal ? -ENOTSUP : -EINVAL;
	}
	if (h->crypt_method) {
		qcow2_msg(err, errlen, "encrypted images are not supported (crypt_method %u)",
			  h->crypt_method);
		return -ENOTSUP;
	}
	return 0;
}

int qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		       struct qcow2_header *h, char *err, size_t errlen)
{
	struct qcow2_ext_scan scan = { 0 };
	int ret;

	memset(h, 0, sizeof(*h));
	if (len < QCOW2_V2_HEADER_LEN || qcow2_get32(buf) != QCOW2_MAGIC) {
		qcow2_msg(err, errlen, "not a qcow2 image");
		return -EINVAL;
	}
	parse_fixed(h, buf);
	ret = check_basics(h, err, errlen);
	if (ret)
		return ret;
	if (len > (1ull << h->cluster_bits))
		len = 1ull << h->cluster_bits;	/* everything lives in the first cluster */
	if (h->version == 3) {
		ret = parse_v3(h, buf, len, err, errlen);
		if (ret)
			return ret;
	}
	if (h->refcount_order > 6) {
		qcow2_msg(err, errlen, "refcount_order %u is invalid (0 to 6)", h->refcount_order);
		return -EINVAL;
	}
	ret = parse_extensions(h, &scan, buf, len, err, errlen);
	if (!ret)
		ret = parse_backing_name(h, buf, len, err, errlen);
	if (!ret)
		ret = check_incompat(h, &scan, err, errlen);
	if (!ret)
		ret = check_tables(h, file_size, err, errlen);
	return ret;
}

static size_t put_ext(uint8_t *buf, size_t off, uint32_t type, const void *data, uint32_t len)
{
	qcow2_put32(buf + off, type);
	qcow2_put32(buf + off + 4, len);
	if (len)
		memcpy(buf + off + 8, data, len);
	return off + 8 + round8(len);
}

static size_t put_feature_table(uint8_t *buf, size_t off)
{
	uint8_t *p = buf + off + 8;

	for (size_t i = 0; i < QCOW2_NFEATURES; i++, p += QCOW2_FEATURE_ENTRY) {
		p[0] = qcow2_feature_names[i].type;
		p[1] = qcow2_feature_names[i].bit;
		strncpy((char *)p + 2, qcow2_feature_names[i].name, QCOW2_FEATURE_NAME_LEN);
	}
	return put_ext(buf, off, QCOW2_EXT_FEATURES, buf + off + 8,
		       QCOW2_NFEATURES * QCOW2_FEATURE_ENTRY);
}

/*
 * A version 3 header with our extensions (backing format, feature names) and the backing
 * file name after them, into a zeroed buffer of one cluster. Returns -ENAMETOOLONG if it
 * does not fit.
 */
int qcow2_build_header(uint8_t *buf, size_t len, const struct qcow2_header *h)
{
	size_t blen = strlen(h->backing), flen = strlen(h->backing_fmt);
	size_t need = QCOW2_OUR_HEADER_LEN + 8 + round8(flen) +
		      8 + QCOW2_NFEATURES * QCOW2_FEATURE_ENTRY + 8 + blen;
	size_t off;

	if (need > len || blen > QCOW2_MAX_BACKING_NAME)
		return -ENAMETOOLONG;
	qcow2_put32(buf, QCOW2_MAGIC);
	qcow2_put32(buf + 4, 3);
	qcow2_put32(buf + 20, h->cluster_bits);
	qcow2_put64(buf + 24, h->size);
	qcow2_put32(buf + 36, h->l1_size);
	qcow2_put64(buf + 40, h->l1_off);
	qcow2_put64(buf + 48, h->rt_off);
	qcow2_put32(buf + 56, h->rt_clusters);
	qcow2_put32(buf + 96, h->refcount_order);
	qcow2_put32(buf + 100, QCOW2_OUR_HEADER_LEN);
	off = QCOW2_OUR_HEADER_LEN;
	if (blen && flen)
		off = put_ext(buf, off, QCOW2_EXT_BACKING_FMT, h->backing_fmt, (uint32_t)flen);
	off = put_feature_table(buf, off);
	off = put_ext(buf, off, QCOW2_EXT_END, NULL, 0);
	if (blen) {
		qcow2_put64(buf + 8, off);
		qcow2_put32(buf + 16, (uint32_t)blen);
		memcpy(buf + off, h->backing, blen);
	}
	return 0;
}

/* The header's first 4 KiB, rewritten whole from our copy (one aligned block). */
int qcow2_header_write(struct qcow2 *q)
{
	return qcow2_pwrite(q, 0, q->hdr, QCOW2_IO_ALIGN);
}

int qcow2_set_incompat(struct qcow2 *q, uint64_t set, uint64_t clear)
{
	uint64_t v = (q->h.incompat | set) & ~clear;

	if (q->h.version < 3 || v == q->h.incompat)
		return 0;
	q->h.incompat = v;
	qcow2_put64(q->hdr + 72, v);
	return qcow2_header_write(q);
}

/*
 * Before the first metadata change: set the dirty bit and clear the auto-clear bits we do
 * not maintain (qcow2 spec: a writer must clear unknown auto-clear bits first), and make
 * that durable before anything it protects.
 */
int qcow2_mark_dirty(struct qcow2 *q)
{
	int ret;

	if (q->marked_dirty || q->h.version < 3)
		return 0;
	q->h.autoclear = 0;
	qcow2_put64(q->hdr + 88, 0);
	q->h.incompat |= QCOW2_INCOMPAT_DIRTY;
	qcow2_put64(q->hdr + 72, q->h.incompat);
	ret = qcow2_header_write(q);
	if (!ret)
		ret = qcow2_sync(q);
	if (!ret)
		q->marked_dirty = true;
	return ret;
}
