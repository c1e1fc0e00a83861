// SPDX-License-Identifier: GPL-2.0-or-later
/* The qcow2 block driver: opening (policies, backing chain), closing, flush, snapshot hook. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "qcow2-private.h"

static bool qcow2_probe(const uint8_t *head, size_t len)
{
	return len >= 4 && qcow2_get32(head) == QCOW2_MAGIC;
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* The first cluster (everything the header and its extensions may use). */
static int read_header(struct qcow2 *q, char *err, size_t errlen)
{
	uint32_t bits;
	uint8_t *buf;
	size_t len;
	int ret;

	q->hdr = qcow2_alloc_aligned(QCOW2_IO_ALIGN);
	if (!q->hdr)
		return -ENOMEM;
	ret = qcow2_pread(q, 0, q->hdr, QCOW2_IO_ALIGN);
	if (ret)
		return ret;
	bits = qcow2_get32(q->hdr + 20);
	if (bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS)
		bits = QCOW2_MIN_CLUSTER_BITS;	/* the parser will say what is wrong */
	len = (size_t)1 << bits;
	buf = qcow2_alloc_aligned(len);
	if (!buf)
		return -ENOMEM;
	ret = qcow2_pread(q, 0, buf, len);
	if (!ret)
		ret = qcow2_header_parse(buf, len < q->file_size ? len : q->file_size, q->file_size,
					 &q->h, err, errlen);
	free(buf);
	return ret;
}

/* What we can read but not write, and what the header flags forbid. */
static int check_writable(struct qcow2 *q, char *err, size_t errlen)
{
	if (q->read_only || q->check_mode)
		return 0;
	if (q->h.incompat & QCOW2_INCOMPAT_CORRUPT) {
		qcow2_msg(err, errlen, "the image is marked corrupt; open it read-only, or repair "
			  "it first ('qemu-img check -r all')");
		return -EROFS;
	}
	if (q->h.incompat & QCOW2_INCOMPAT_EXTL2) {
		qcow2_msg(err, errlen, "images with extended L2 entries (subclusters) can only be "
			  "opened read-only");
		return -ENOTSUP;
	}
	if (q->h.nb_snapshots) {
		qcow2_msg(err, errlen, "images with internal snapshots can only be opened "
			  "read-only (%u snapshots)", q->h.nb_snapshots);
		return -ENOTSUP;
	}
	return 0;
}

static void setup_geometry(struct qcow2 *q)
{
	q->cluster_bits = q->h.cluster_bits;
	q->cs = 1ull << q->cluster_bits;
	q->l2_entry_shift = qcow2_extl2(q) ? 4 : 3;
	q->l2_bits = q->cluster_bits - q->l2_entry_shift;
	q->rb_bits = q->cluster_bits + 3 - q->h.refcount_order;
	q->rc_max = q->h.refcount_order == 6 ? UINT64_MAX
					    : (1ull << (1u << q->h.refcount_order)) - 1;
}

static int init_locks(struct qcow2 *q)
{
	pthread_rwlockattr_t a;
	int ret;

	pthread_rwlockattr_init(&a);
	/* Writer-preferring: a stream of reads must not starve a discard. */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ret = -pthread_rwlock_init(&q->free_lock, &a);
	pthread_rwlockattr_destroy(&a);
	if (!ret)
		ret = -pthread_mutex_init(&q->lock, NULL);
	if (!ret)
		ret = -pthread_cond_init(&q->alloc_done, NULL);
	return ret;
}

/* Read-write open of an image left dirty: recount every reference, fix the counts. */
static int repair_dirty(struct qcow2 *q, char *err, size_t errlen)
{
	struct qcow2_check_report r = { 0 };
	int ret = qcow2_check_loaded(q, QCOW2_REPAIR_LEAKS | QCOW2_REPAIR_ALL, &r);

	if (!ret && r.corruptions > r.corruptions_fixed)
		ret = -EUCLEAN;
	if (ret) {
		qcow2_msg(err, errlen, "the image was not closed cleanly and its metadata is "
			  "damaged (%llu problems); repair it with 'qemu-img check -r all'",
			  (unsigned long long)(r.corruptions - r.corruptions_fixed));
		return ret;
	}
	if (r.leaks_fixed || r.corruptions_fixed)
		vmm_warn("%s: not closed cleanly; rebuilt refcounts (%llu leaked clusters freed, "
			 "%llu counts raised)", q->path, (unsigned long long)r.leaks_fixed,
			 (unsigned long long)r.corruptions_fixed);
	ret = qcow2_set_incompat(q, 0, QCOW2_INCOMPAT_DIRTY);
	return ret ? ret : qcow2_sync(q);
}

static int counted(struct qcow2 *q, uint64_t off, uint64_t len, const char *what, char *err,
		   size_t errlen)
{
	for (uint64_t c = off >> q->cluster_bits; c <= (off + len - 1) >> q->cluster_bits; c++) {
		uint64_t rc;
		int ret = qcow2_refcount_get(q, c, &rc);

		if (!ret && rc)
			continue;
		qcow2_msg(err, errlen, "the refcount of the %s at 0x%llx is 0 or unreadable; "
			  "repair the image first ('qemu-img check -r all')", what,
			  (unsigned long long)(c << q->cluster_bits));
		return ret ? ret : -EUCLEAN;
	}
	return 0;
}

/*
 * Before writing: every metadata cluster must be counted, or the allocator would hand it
 * out again and overwrite it. One lookup per table, cheap even for large images.
 */
static int verify_metadata(struct qcow2 *q, char *err, size_t errlen)
{
	int ret = counted(q, 0, q->cs, "header", err, errlen);

	if (!ret && q->h.l1_size)
		ret = counted(q, q->h.l1_off, (uint64_t)q->h.l1_size * 8, "L1 table", err, errlen);
	if (!ret)
		ret = counted(q, q->h.rt_off, (uint64_t)q->h.rt_clusters * q->cs, "refcount table",
			      err, errlen);
	for (uint64_t i = 0; !ret && i < q->rt_entries; i++)
		if (qcow2_rt_get(q, i))
			ret = counted(q, qcow2_rt_get(q, i), q->cs, "refcount block", err, errlen);
	for (uint64_t i = 0; !ret && i < q->h.l1_size; i++)
		if (qcow2_l1_get(q, i) & QCOW2_OFFSET_MASK)
			ret = counted(q, qcow2_l1_get(q, i) & QCOW2_OFFSET_MASK, q->cs, "L2 table",
				      err, errlen);
	return ret;
}

static int load_tables(struct qcow2 *q, char *err, size_t errlen)
{
	int ret = qcow2_cache_init(&q->l2c, q->cs, QCOW2_DEFAULT_L2_CACHE);

	if (!ret)
		ret = qcow2_cache_init(&q->rbc, q->cs, QCOW2_DEFAULT_RB_CACHE);
	if (!ret)
		ret = qcow2_load_l1(q, err, errlen);
	if (!ret)
		ret = qcow2_load_refcounts(q, err, errlen);
	if (!ret && !q->read_only && !(q->cow = qcow2_alloc_aligned(2 * q->cs)))
		ret = -ENOMEM;
	return ret;
}

/*
 * Everything but the backing chain. Messages are prefixed with the path. With
 * QCOW2_LOAD_CHECK a dirty or corrupt image loads as it is, for the checker to look at.
 */
int qcow2_load(struct qcow2 *q, int fd, const char *path, bool read_only, unsigned flags,
	       char *err, size_t errlen)
{
	char msg[512] = "";
	int fl = fcntl(fd, F_GETFL), ret;

	q->fd = fd;
	q->read_only = read_only;
	q->check_mode = flags & QCOW2_LOAD_CHECK;
	q->ordered = true;
	q->direct = fl >= 0 && (fl & O_DIRECT);
	q->path = strdup(path);
	if (!q->path || (ret = init_locks(q)))
		return -ENOMEM;
	ret = file_size(fd, &q->file_size);
	if (!ret)
		ret = read_header(q, msg, sizeof(msg));
	if (!ret)
		ret = check_writable(q, msg, sizeof(msg));
	if (!ret) {
		setup_geometry(q);
		ret = load_tables(q, msg, sizeof(msg));
	}
	if (!ret && !read_only && !q->check_mode && (q->h.incompat & QCOW2_INCOMPAT_DIRTY))
		ret = repair_dirty(q, msg, sizeof(msg));
	if (!ret && !read_only && !q->check_mode)
		ret = verify_metadata(q, msg, sizeof(msg));
	if (ret)
		qcow2_msg(err, errlen, "%s: %s", path, msg[0] ? msg : strerror(-ret));
	return ret;
}

void qcow2_unload(struct qcow2 *q)
{
	bool locks = q->path != NULL;	/* set just before the locks are made */

	bool flushed = false;

	/* Tables first, so that giving back the file's tail cannot cut off one written later. */
	if (!q->read_only && !q->corrupt && q->pool_end != q->pool_next &&
	    !qcow2_meta_writeback(q))
		qcow2_pool_release(q, true);
	if (!q->read_only && !q->corrupt && q->hdr && (flushed = !qcow2_meta_flush(q)) == false)
		vmm_warn("%s: cannot write the metadata back at close; the image stays marked "
			 "dirty", q->path);
	if (flushed && q->marked_dirty && !qcow2_set_incompat(q, 0, QCOW2_INCOMPAT_DIRTY))
		qcow2_sync(q);
	if (q->backing)
		blk_close(q->backing);
	qcow2_cache_destroy(&q->l2c);
	qcow2_cache_destroy(&q->rbc);
	free(q->hdr);
	free(q->l1);
	free(q->rt);
	free(q->cow);
	free(q->path);
	if (locks) {
		pthread_mutex_destroy(&q->lock);
		pthread_rwlock_destroy(&q->free_lock);
		pthread_cond_destroy(&q->alloc_done);
	}
	memset(q, 0, sizeof(*q));
}

/* Opens the file itself (check, info, commit, tests): no backing chain. */
int qcow2_open_path(const char *path, bool read_only, unsigned flags, struct qcow2 **out,
		    char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	int fd, ret;

	*out = NULL;
	if (!q)
		return -ENOMEM;
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		qcow2_msg(err, errlen, "%s: %s", path, strerror(errno));
		free(q);
		return ret;
	}
	ret = qcow2_load(q, fd, path, read_only, flags, err, errlen);
	if (ret) {
		qcow2_unload(q);
		close(fd);
		free(q);
		return ret;
	}
	*out = q;
	return 0;
}

void qcow2_close_path(struct qcow2 *q)
{
	int fd;

	if (!q)
		return;
	fd = q->fd;
	qcow2_unload(q);
	close(fd);
	free(q);
}

static const char *backing_format(const struct qcow2 *q, char *err, size_t errlen)
{
	const char *f = q->h.has_backing_fmt ? q->h.backing_fmt : NULL;

	if (f && strcmp(f, "raw") && strcmp(f, "qcow2")) {
		qcow2_msg(err, errlen, "%s: backing file format '%s' is not supported", q->path, f);
		return "";
	}
	return f;
}

/*
 * The backing file, read-only, through blk_open (raw or qcow2, which recurses). The whole
 * chain below is walked by header first, so loops and over-deep chains are refused before
 * anything is opened; the file we then open must be the one the walk saw.
 */
static int open_backing(struct qcow2 *q, char *err, size_t errlen)
{
	struct qcow2_chain_id ids[QCOW2_MAX_CHAIN + 1];
	struct blk_open_opts o = { .read_only = true, .direct = q->direct };
	char berr[1024];
	char *path = NULL;
	struct stat st;
	unsigned n;
	int ret;

	if (!q->h.backing_off)
		return 0;
	ret = qcow2_walk_chain(q->fd, q->path, NULL, ids, &n, err, errlen);
	if (ret)
		return ret;
	o.format = backing_format(q, err, errlen);
	if (o.format && !*o.format)
		return -ENOTSUP;
	ret = qcow2_backing_path(q->path, q->h.backing, &path);
	if (ret) {
		qcow2_msg(err, errlen, "%s: backing file '%s': %s", q->path, q->h.backing,
			  ret == -ENOTSUP ? "protocols and json: names are not supported"
					  : strerror(-ret));
		return ret;
	}
	ret = blk_open(path, &o, &q->backing, berr, sizeof(berr));
	if (ret) {
		qcow2_msg(err, errlen, "%s: backing file: %s", q->path, berr);
		free(path);
		return ret;
	}
	free(path);
	if (fstat(q->backing->fd, &st) || n < 2 || st.st_dev != ids[1].dev ||
	    st.st_ino != ids[1].ino) {
		qcow2_msg(err, errlen, "%s: the backing file changed while it was being opened",
			  q->path);
		return -EAGAIN;
	}
	q->backing_size = q->backing->size;
	return 0;
}

static int qcow2_open(struct blk *b, int fd, char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	ret = qcow2_load(q, fd, b->path, b->read_only, 0, err, errlen);
	if (!ret)
		ret = open_backing(q, err, errlen);
	if (ret) {
		qcow2_unload(q);
		free(q);
		return ret;
	}
	b->priv = q;
	b->size = q->h.size;
	b->can_discard = !b->read_only;
	return 0;
}

static void qcow2_close(struct blk *b)
{
	struct qcow2 *q = b->priv;

	if (!q)
		return;
	qcow2_unload(q);
	free(q);
	b->priv = NULL;
}

static int qcow2_drv_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	return qcow2_read(b->priv, off, iov, iovcnt);
}

static int qcow2_drv_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int iovcnt)
{
	return qcow2_write(b->priv, off, iov, iovcnt);
}

/* Every write completed before the flush is durable after it (dirty metadata, then a
 * sync: virtio 1.2 §5.2.6.2, VIRTIO_BLK_T_FLUSH). */
static int qcow2_flush(struct blk *b)
{
	struct qcow2 *q = b->priv;
	int ret;

	if (q->read_only)
		return 0;
	pthread_mutex_lock(&q->lock);
	qcow2_inflight_wait_all(q);	/* allocating writes in flight link their entries first */
	ret = q->corrupt ? qcow2_sync(q) : qcow2_meta_flush(q);	/* corrupt: data only */
	pthread_mutex_unlock(&q->lock);
	return ret;
}

static int qcow2_discard(struct blk *b, uint64_t off, uint64_t len)
{
	return qcow2_zero_or_discard(b->priv, off, len, true);
}

static int qcow2_write_zeroes(struct blk *b, uint64_t off, uint64_t len)
{
	return qcow2_zero_or_discard(b->priv, off, len, false);
}

/* How the overlay names us: just the file name when both sit in one directory (the VM
 * folder can then move), otherwise our absolute path. */
static char *name_for_overlay(const char *image, const char *overlay)
{
	char *real = realpath(image, NULL), *ocopy = strdup(overlay), *odir, *name;
	char *slash = real ? strrchr(real, '/') : NULL;

	if (!real || !ocopy || !slash) {
		free(ocopy);
		return real;
	}
	odir = realpath(dirname(ocopy), NULL);
	if (odir && (size_t)(slash - real) == strlen(odir) && !strncmp(real, odir, strlen(odir)))
		name = strdup(slash + 1);
	else
		name = strdup(real);
	free(odir);
	free(ocopy);
	free(real);
	return name;
}

static int qcow2_snapshot(struct blk *b, const char *overlay, char *err, size_t errlen)
{
	struct qcow2 *q = b->priv;
	struct qcow2_create_opts o = {
		.size = b->size, .backing_fmt = "qcow2", .cluster_size = (uint32_t)q->cs,
	};
	char *name;
	int ret;

	if ((ret = qcow2_flush(b))) {
		qcow2_msg(err, errlen, "%s: cannot flush before the snapshot: %s", b->path,
			  strerror(-ret));
		return ret;
	}
	name = name_for_overlay(b->path, overlay);
	if (!name) {
		ret = errno ? -errno : -ENOMEM;
		qcow2_msg(err, errlen, "%s: cannot resolve the path: %s", b->path, strerror(-ret));
		return ret;
	}
	o.backing = name;
	ret = qcow2_create_ex(overlay, &o, err, errlen);
	free(name);
	return ret;
}

int qcow2_tune(struct blk *b, const struct qcow2_tuning *t)
{
	struct qcow2 *q = b->priv;
	int ret = 0;

	if (b->drv != &blk_qcow2_driver)
		return -EINVAL;
	pthread_rwlock_wrlock(&q->free_lock);
	pthread_mutex_lock(&q->lock);
	if (!q->read_only && (t->l2_cache_bytes || t->refcount_cache_bytes))
		ret = qcow2_meta_writeback(q);	/* resizing drops the buffers */
	if (!ret && t->l2_cache_bytes)
		ret = qcow2_cache_resize(&q->l2c, t->l2_cache_bytes);
	if (!ret && t->refcount_cache_bytes)
		ret = qcow2_cache_resize(&q->rbc, t->refcount_cache_bytes);
	q->ordered = t->ordered_writes;
	pthread_mutex_unlock(&q->lock);
	pthread_rwlock_unlock(&q->free_lock);
	return ret;
}

void qcow2_get_stats(struct blk *b, struct qcow2_stats *st)
{
	struct qcow2 *q = b->priv;

	pthread_mutex_lock(&q->lock);
	st->l2_hits = q->l2c.hits;
	st->l2_misses = q->l2c.misses;
	st->syncs = __atomic_load_n(&q->syncs, __ATOMIC_RELAXED);
	st->allocated_clusters = q->allocs;
	st->inflight_peak = q->inflight_peak;
	pthread_mutex_unlock(&q->lock);
}

const struct blk_driver blk_qcow2_driver = {
	.name = "qcow2",
	.probe = qcow2_probe,
	.open = qcow2_open,
	.preadv = qcow2_drv_preadv,
	.pwritev = qcow2_drv_pwritev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.snapshot = qcow2_snapshot,
	.close = qcow2_close,
};
