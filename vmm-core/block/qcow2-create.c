// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 tools: creating images (version 3), describing them, committing an overlay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2-private.h"

#define QCOW2_COMMIT_BUF	(4u << 20)

struct layout {
	unsigned cluster_bits, order;
	uint64_t cs, l1_size, l1c, rtc, rbc, total;
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + !!(a % b);
}

static int plan_layout(const struct qcow2_create_opts *o, uint64_t size, struct layout *l,
		       char *err, size_t errlen)
{
	uint32_t cs = o->cluster_size ? o->cluster_size : QCOW2_DEFAULT_CLUSTER_SIZE;
	unsigned bits = o->refcount_bits ? o->refcount_bits : 16, per_l1;
	uint64_t per_block;

	if (cs & (cs - 1) || cs < (1u << QCOW2_MIN_CLUSTER_BITS) ||
	    cs > (1u << QCOW2_MAX_CLUSTER_BITS)) {
		qcow2_msg(err, errlen, "cluster size %u is not a power of two from 4 KiB to 2 MiB",
			  cs);
		return -EINVAL;
	}
	if (bits & (bits - 1) || bits > 64) {
		qcow2_msg(err, errlen, "refcount bits %u is not 1, 2, 4, 8, 16, 32 or 64", bits);
		return -EINVAL;
	}
	l->cluster_bits = (unsigned)__builtin_ctz(cs);
	l->order = (unsigned)__builtin_ctz(bits);
	l->cs = cs;
	per_l1 = 2 * l->cluster_bits - 3;
	l->l1_size = (size >> per_l1) + !!(size & ((1ull << per_l1) - 1));
	if (l->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		qcow2_msg(err, errlen, "%llu bytes is too large for %u-byte clusters",
			  (unsigned long long)size, cs);
		return -EFBIG;
	}
	l->l1c = l->l1_size ? div_up(l->l1_size * 8, cs) : 1;
	per_block = (uint64_t)cs * 8 / bits;
	l->rtc = l->rbc = 1;
	for (;;) {	/* enough refcount blocks to count themselves and everything else */
		uint64_t rb, rt;

		l->total = 1 + l->rtc + l->rbc + l->l1c;
		rb = div_up(l->total, per_block);
		rt = div_up(rb * 8, cs);
		if (rb == l->rbc && rt == l->rtc)
			return 0;
		l->rbc = rb > l->rbc ? rb : l->rbc;
		l->rtc = rt > l->rtc ? rt : l->rtc;
	}
}

/* The backing file must open (and gives the size when none is asked for). */
static int probe_backing(const char *path, const struct qcow2_create_opts *o, uint64_t *size,
			 char *fmt, size_t fmtlen, char *err, size_t errlen)
{
	struct blk_open_opts bo = { .read_only = true, .format = o->backing_fmt };
	char berr[512], *bpath;
	struct blk *b;
	int ret = qcow2_backing_path(path, o->backing, &bpath);

	if (ret) {
		qcow2_msg(err, errlen, "%s: backing file name '%s' is not usable", path, o->backing);
		return ret;
	}
	ret = blk_open(bpath, &bo, &b, berr, sizeof(berr));
	free(bpath);
	if (ret) {
		qcow2_msg(err, errlen, "%s: backing file: %s", path, berr);
		return ret;
	}
	if (!*size)
		*size = b->size;
	snprintf(fmt, fmtlen, "%s", b->drv->name);
	blk_close(b);
	return 0;
}

static int write_meta(int fd, const struct layout *l, const uint8_t *hdr)
{
	size_t cs = l->cs;
	uint8_t *buf = calloc(1, cs);
	struct qcow2 q = { .h.refcount_order = l->order };
	uint64_t per_block = cs * 8 / (1u << l->order);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (pwrite(fd, hdr, cs, 0) != (ssize_t)cs)
		ret = -EIO;
	for (uint64_t i = 0; i < l->rtc && !ret; i++) {	/* refcount table */
		memset(buf, 0, cs);
		for (uint64_t j = 0; j < cs / 8 && i * (cs / 8) + j < l->rbc; j++)
			qcow2_put64(buf + 8 * j, (1 + l->rtc + i * (cs / 8) + j) * cs);
		if (pwrite(fd, buf, cs, (off_t)((1 + i) * cs)) != (ssize_t)cs)
			ret = -EIO;
	}
	for (uint64_t b = 0; b < l->rbc && !ret; b++) {	/* refcount blocks */
		memset(buf, 0, cs);
		for (uint64_t c = b * per_block; c < l->total && c < (b + 1) * per_block; c++)
			qcow2_rc_write(&q, buf, c - b * per_block, 1);
		if (pwrite(fd, buf, cs, (off_t)((1 + l->rtc + b) * cs)) != (ssize_t)cs)
			ret = -EIO;
	}
	memset(buf, 0, cs);
	for (uint64_t i = 0; i < l->l1c && !ret; i++)	/* empty L1 table */
		if (pwrite(fd, buf, cs, (off_t)((1 + l->rtc + l->rbc + i) * cs)) != (ssize_t)cs)
			ret = -EIO;
	free(buf);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	return ret;
}

static int fill_header(struct qcow2_header *h, const struct layout *l, uint64_t size,
		       const struct qcow2_create_opts *o, const char *fmt)
{
	memset(h, 0, sizeof(*h));
	h->cluster_bits = l->cluster_bits;
	h->size = size;
	h->l1_size = (uint32_t)l->l1_size;
	h->rt_off = l->cs;
	h->rt_clusters = (uint32_t)l->rtc;
	h->l1_off = (1 + l->rtc + l->rbc) * l->cs;
	h->refcount_order = l->order;
	if (o->backing) {
		if (strlen(o->backing) > QCOW2_MAX_BACKING_NAME)
			return -ENAMETOOLONG;
		snprintf(h->backing, sizeof(h->backing), "%s", o->backing);
		snprintf(h->backing_fmt, sizeof(h->backing_fmt), "%s", fmt);
	}
	return 0;
}

int qcow2_create_ex(const char *path, const struct qcow2_create_opts *o, char *err,
		    size_t errlen)
{
	uint64_t size = o->size;
	struct qcow2_header h;
	char fmt[16] = "";
	struct layout l;
	uint8_t *hdr;
	int fd, ret = 0;

	if (o->backing)
		ret = probe_backing(path, o, &size, fmt, sizeof(fmt), err, errlen);
	size = (size + 511) & ~511ull;
	if (!ret)
		ret = plan_layout(o, size, &l, err, errlen);
	if (ret)
		return ret;
	hdr = calloc(1, l.cs);
	if (!hdr)
		return -ENOMEM;
	ret = fill_header(&h, &l, size, o, fmt);
	if (!ret)
		ret = qcow2_build_header(hdr, l.cs, &h);
	if (ret) {
		qcow2_msg(err, errlen, "%s: the backing file name is too long", path);
		free(hdr);
		return ret;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		qcow2_msg(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		free(hdr);
		return ret;
	}
	ret = write_meta(fd, &l, hdr);
	close(fd);
	free(hdr);
	if (ret) {
		unlink(path);
		qcow2_msg(err, errlen, "%s: cannot write the image: %s", path, strerror(-ret));
	}
	return ret;
}

int qcow2_create(const char *path, uint64_t size, const char *backing, const char *backing_fmt,
		 uint32_t cluster_size, char *err, size_t errlen)
{
	struct qcow2_create_opts o = {
		.size = size, .backing = backing, .backing_fmt = backing_fmt,
		.cluster_size = cluster_size,
	};

	return qcow2_create_ex(path, &o, err, errlen);
}

static void info_from_image(struct qcow2_info *info, struct qcow2 *q)
{
	uint64_t pos = 0;

	info->virtual_size = q->h.size;
	info->cluster_size = (uint32_t)q->cs;
	info->version = q->h.version;
	info->refcount_bits = 1u << q->h.refcount_order;
	info->dirty = q->h.incompat & QCOW2_INCOMPAT_DIRTY;
	info->corrupt = q->h.incompat & QCOW2_INCOMPAT_CORRUPT;
	info->extended_l2 = qcow2_extl2(q);
	info->zstd = q->h.compression == QCOW2_COMPRESS_ZSTD;
	info->snapshots = q->h.nb_snapshots;
	while (pos < q->h.size) {
		struct qcow2_mapping m;

		if (qcow2_map(q, pos, q->h.size - pos, &m))
			break;
		if (m.kind == QCOW2_DATA || m.kind == QCOW2_COMPRESSED_DATA)
			info->allocated_bytes += m.len;
		pos += m.len;
	}
}

int qcow2_info(const char *path, struct qcow2_info **out, char *err, size_t errlen)
{
	struct qcow2_chain_id ids[QCOW2_MAX_CHAIN + 1];
	struct qcow2_info *info = calloc(1, sizeof(*info));
	struct qcow2 *q;
	struct stat st;
	unsigned n;
	int ret;

	*out = NULL;
	if (!info)
		return -ENOMEM;
	ret = qcow2_open_path(path, true, QCOW2_LOAD_CHECK, &q, err, errlen);
	if (ret) {
		free(info);
		return ret;
	}
	/* A broken chain below the image is reported, not fatal. */
	qcow2_walk_chain(q->fd, path, info, ids, &n, info->chain_error, sizeof(info->chain_error));
	if (!fstat(q->fd, &st))
		info->file_bytes = (uint64_t)st.st_blocks * 512;
	info_from_image(info, q);
	qcow2_close_path(q);
	*out = info;
	return 0;
}

void qcow2_info_free(struct qcow2_info *info)
{
	if (!info)
		return;
	for (unsigned i = 0; i < info->chain_len; i++)
		free(info->chain[i].path);
	free(info);
}

/* One mapped run of the overlay into the backing file. */
static int commit_run(struct qcow2 *q, struct blk *b, const struct qcow2_mapping *m,
		      uint64_t pos, uint8_t *buf)
{
	struct iovec iov = { .iov_base = buf, .iov_len = m->len }, sub[2];
	int ret;

	if (m->kind == QCOW2_UNALLOC)
		return 0;
	if (m->kind == QCOW2_ZEROES)
		return blk_write_zeroes(b, pos, m->len);
	ret = qcow2_read_mapped(q, m, pos, &iov, 1, 0, sub, 2);
	return ret ? ret : blk_pwrite(b, pos, buf, m->len);
}

static int commit_into(struct qcow2 *q, struct blk *b, char *err, size_t errlen)
{
	uint8_t *buf = qcow2_alloc_aligned(QCOW2_COMMIT_BUF);
	uint64_t pos = 0;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (q->h.size > b->size) {
		qcow2_msg(err, errlen, "%s: the overlay (%llu bytes) is larger than its backing "
			  "file (%llu bytes)", q->path, (unsigned long long)q->h.size,
			  (unsigned long long)b->size);
		ret = -EFBIG;
	}
	while (!ret && pos < q->h.size) {
		struct qcow2_mapping m;

		ret = qcow2_map(q, pos, q->h.size - pos, &m);
		if (!ret && m.kind != QCOW2_UNALLOC && m.len > QCOW2_COMMIT_BUF)
			m.len = QCOW2_COMMIT_BUF;
		if (!ret)
			ret = commit_run(q, b, &m, pos, buf);
		pos += m.len;
	}
	if (!ret)
		ret = blk_flush(b);
	free(buf);
	return ret;
}

int qcow2_commit(const char *overlay, char *err, size_t errlen)
{
	struct blk_open_opts bo = { .read_only = false };
	struct qcow2 *q;
	struct blk *b = NULL;
	char berr[512], *bpath = NULL;
	int ret;

	if (err && errlen)
		err[0] = 0;
	ret = qcow2_open_path(overlay, true, 0, &q, err, errlen);
	if (ret)
		return ret;
	if (!q->h.backing_off) {
		qcow2_msg(err, errlen, "%s: the image has no backing file to commit into", overlay);
		ret = -EINVAL;
	} else if ((ret = qcow2_backing_path(overlay, q->h.backing, &bpath))) {
		qcow2_msg(err, errlen, "%s: backing file name '%s' is not usable", overlay,
			  q->h.backing);
	} else {
		bo.format = q->h.has_backing_fmt ? q->h.backing_fmt : NULL;
		ret = blk_open(bpath, &bo, &b, berr, sizeof(berr));
		if (ret)
			qcow2_msg(err, errlen, "%s: backing file: %s", overlay, berr);
	}
	if (!ret) {
		ret = commit_into(q, b, err, errlen);
		if (ret && !(err && *err))
			qcow2_msg(err, errlen, "%s: commit failed: %s", overlay, strerror(-ret));
	}
	blk_close(b);
	free(bpath);
	qcow2_close_path(q);
	return ret;
}
