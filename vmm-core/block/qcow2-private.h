/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 internals shared by the driver's files: on-disk constants, the image state. */
#ifndef VMM_QCOW2_PRIVATE_H
#define VMM_QCOW2_PRIVATE_H

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "iov.h"
#include "qcow2.h"

/* qcow2 spec, "Header". */
#define QCOW2_MAGIC		0x514649fbu	/* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN	72u
#define QCOW2_V3_HEADER_LEN	104u
#define QCOW2_OUR_HEADER_LEN	112u		/* v3 + compression_type, padded to 8 */
#define QCOW2_MAX_BACKING_NAME	1023u

#define QCOW2_INCOMPAT_DIRTY		(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT		(1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE	(1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION	(1ull << 3)
#define QCOW2_INCOMPAT_EXTL2		(1ull << 4)
#define QCOW2_INCOMPAT_KNOWN		0x1full
#define QCOW2_AUTOCLEAR_BITMAPS		(1ull << 0)

#define QCOW2_COMPRESS_ZLIB	0
#define QCOW2_COMPRESS_ZSTD	1

/* qcow2 spec, "Header extensions". */
#define QCOW2_EXT_END		0x00000000u
#define QCOW2_EXT_BACKING_FMT	0xe2792acau
#define QCOW2_EXT_FEATURES	0x6803f857u
#define QCOW2_EXT_BITMAPS	0x23852875u

/* qcow2 spec, "Cluster mapping": L1/L2 entries and descriptors. */
#define QCOW2_COPIED		(1ull << 63)
#define QCOW2_COMPRESSED	(1ull << 62)
#define QCOW2_ZERO		(1ull << 0)
#define QCOW2_OFFSET_MASK	0x00fffffffffffe00ull	/* bits 9-55 */
#define QCOW2_L1_RESERVED	0x7f000000000001ffull	/* bits 0-8, 56-62 */
#define QCOW2_L2_RESERVED	0x3f000000000001feull	/* bits 1-8, 56-61 */
#define QCOW2_RT_RESERVED	0x00000000000001ffull	/* bits 0-8 */
#define QCOW2_MAX_HOST		(1ull << 56)

/* Limits we accept (QEMU's implementation limits, for interchangeability). */
#define QCOW2_MIN_CLUSTER_BITS	12
#define QCOW2_MAX_CLUSTER_BITS	21
#define QCOW2_MAX_L1_BYTES	(32u << 20)
#define QCOW2_MAX_RT_BYTES	(8u << 20)
#define QCOW2_MAX_SNAPSHOTS	65536u
#define QCOW2_IO_ALIGN		4096u	/* metadata writes: whole 4 KiB blocks (O_DIRECT-safe) */

#define QCOW2_FEATURE_NAME_LEN	46

/* A parsed header (host byte order). Everything here has been range-checked. */
struct qcow2_header {
	uint32_t version;
	uint64_t backing_off;
	uint32_t backing_len;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_off;
	uint64_t rt_off;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t snap_off;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_len;
	uint8_t compression;
	bool has_backing_fmt, has_bitmaps;
	char backing[QCOW2_MAX_BACKING_NAME + 1];
	char backing_fmt[32];
	uint32_t nb_bitmaps;
	uint64_t bitmap_dir_size, bitmap_dir_off;
};

/* A cache of metadata tables (L2 tables or refcount blocks), one cluster each, LRU.
 * Write-back: a changed table is marked dirty and written at a flush, when it would be
 * evicted, or when an ordering rule needs it on disk (qcow2-cache.c). */
struct qcow2_cache_entry {
	uint64_t off;		/* 0: empty slot */
	uint64_t used;		/* LRU stamp */
	unsigned pins;
	bool dirty;		/* bytes [lo, hi) differ from the file */
	size_t lo, hi;
	uint8_t *buf;
};

struct qcow2_cache {
	struct qcow2_cache_entry *ent;
	unsigned n;
	size_t table_size;
	uint64_t clock, hits, misses;
	unsigned ndirty;
};

/* What a guest range maps to (qcow2_map). */
enum qcow2_kind {
	QCOW2_UNALLOC,		/* backing file, or zeros */
	QCOW2_ZEROES,		/* zero flag (v3) or extended-L2 zero bit */
	QCOW2_DATA,		/* host data at .host */
	QCOW2_COMPRESSED_DATA,	/* compressed cluster; .entry describes it */
};

struct qcow2_mapping {
	enum qcow2_kind kind;
	uint64_t host;		/* DATA: host offset of the first byte */
	uint64_t len;		/* bytes of the request covered by this mapping */
	uint64_t entry;		/* the L2 entry (first 64 bits) of the first cluster */
	bool writable;		/* DATA with COPIED: may be overwritten in place */
};

/* Guest clusters [first, first + n) being allocated: their data is written outside q->lock
 * and their L2 entries not yet linked (qcow2-write.c). Lives on the writer's stack. */
struct qcow2_inflight {
	uint64_t first, n;
	struct qcow2_inflight *next;
};

struct qcow2 {
	int fd;
	char *path;
	bool read_only, direct, ordered;
	struct qcow2_header h;
	unsigned cluster_bits, l2_bits, l2_entry_shift, rb_bits;
	uint64_t cs;			/* cluster size */
	uint64_t rc_max;		/* largest refcount */
	uint8_t *hdr;			/* the first 4 KiB of the file */
	uint8_t *l1;			/* L1 table, big-endian, as on disk */
	uint8_t *rt;			/* refcount table, big-endian */
	uint64_t rt_entries;
	struct qcow2_cache l2c, rbc;
	uint64_t file_size;		/* bytes the file is known to have */
	uint64_t alloc_end;		/* end of the last cluster we allocated (maybe unwritten) */
	uint64_t free_hint;		/* no free cluster below this index */
	uint64_t pool_next, pool_end;	/* reserved data clusters [next, end), refcount 1 */
	uint64_t pool_zero;		/* pool clusters from this index read as zeros */
	uint64_t l1_lo, l1_hi;		/* L1 entries [lo, hi) changed in memory only */
	bool order_pending;		/* counts or data unsynced: barrier before L2 tables */
	bool tables_unsynced;		/* L2 tables unsynced: barrier before L1 entries */
	bool marked_dirty;		/* we set the dirty bit in the file */
	bool corrupt;			/* found corrupt at run time: no more writes */
	bool check_mode;		/* opened by check: tolerate dirty/corrupt */
	struct blk *backing;
	uint64_t backing_size;
	uint8_t *cow;			/* a spare two-cluster COW buffer, or NULL (taken) */
	struct qcow2_inflight *inflight;	/* allocations in flight, under lock */
	unsigned flush_waiters;		/* flushes waiting for them: no new ones start */
	unsigned ninflight, inflight_peak;
	pthread_mutex_t lock;		/* all metadata and the caches */
	pthread_cond_t alloc_done;	/* an allocation left the in-flight list */
	pthread_rwlock_t free_lock;	/* shared: I/O in flight; exclusive: freeing data */
	uint64_t syncs, allocs;
};

/* Big-endian accessors for tables kept as on disk. */
static inline uint64_t qcow2_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void qcow2_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static inline uint32_t qcow2_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline void qcow2_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline uint64_t qcow2_l1_get(const struct qcow2 *q, uint64_t i)
{
	return qcow2_get64(q->l1 + i * 8);
}

static inline uint64_t qcow2_rt_get(const struct qcow2 *q, uint64_t i)
{
	return qcow2_get64(q->rt + i * 8);
}

static inline uint64_t qcow2_l2_entries(const struct qcow2 *q)
{
	return 1ull << q->l2_bits;
}

static inline bool qcow2_extl2(const struct qcow2 *q)
{
	return q->h.incompat & QCOW2_INCOMPAT_EXTL2;
}

/* qcow2-header.c: parsing is pure (fuzzable); it needs the first cluster (or the whole
 * file if shorter) and the file size. */
int qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
		       struct qcow2_header *h, char *err, size_t errlen);
int qcow2_header_write(struct qcow2 *q);
int qcow2_set_incompat(struct qcow2 *q, uint64_t set, uint64_t clear);
int qcow2_mark_dirty(struct qcow2 *q);
int qcow2_build_header(uint8_t *buf, size_t len, const struct qcow2_header *h);

/* qcow2-util.c: I/O helpers. Reads past the end of the file return zeros. */
int qcow2_pread(struct qcow2 *q, uint64_t off, void *buf, size_t len);
int qcow2_pwrite(struct qcow2 *q, uint64_t off, const void *buf, size_t len);
int qcow2_preadv(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt);
int qcow2_pwritev(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt);
int qcow2_write_table_range(struct qcow2 *q, uint64_t table_off, const uint8_t *table,
			    size_t table_len, size_t from, size_t to);
int qcow2_sync(struct qcow2 *q);
void qcow2_grow_file_size(struct qcow2 *q, uint64_t end);
int qcow2_barrier(struct qcow2 *q);
int qcow2_corrupt(struct qcow2 *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *qcow2_alloc_aligned(size_t len);
uint64_t qcow2_inflight_free_run(const struct qcow2 *q, uint64_t first);
void qcow2_inflight_add(struct qcow2 *q, struct qcow2_inflight *a);
void qcow2_inflight_del(struct qcow2 *q, struct qcow2_inflight *a);
void qcow2_inflight_wait_all(struct qcow2 *q);
void qcow2_msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* qcow2-cache.c */
int qcow2_cache_init(struct qcow2_cache *c, size_t table_size, size_t bytes);
void qcow2_cache_destroy(struct qcow2_cache *c);
int qcow2_cache_resize(struct qcow2_cache *c, size_t bytes);
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **out);
void qcow2_cache_put(struct qcow2_cache *c, uint8_t *buf);
void qcow2_cache_forget(struct qcow2_cache *c, uint64_t off);
void qcow2_cache_mark_dirty(struct qcow2_cache *c, uint8_t *buf, size_t from, size_t to);
int qcow2_cache_write_dirty(struct qcow2 *q, struct qcow2_cache *c);

/* qcow2-cache.c too (under q->lock): dirty metadata to the file, in crash-safe order. */
int qcow2_rc_writeback(struct qcow2 *q);
int qcow2_l2_writeback(struct qcow2 *q);
int qcow2_meta_writeback(struct qcow2 *q);
int qcow2_meta_flush(struct qcow2 *q);

/* qcow2-refcount.c (all under q->lock) */
uint64_t qcow2_rc_read(const struct qcow2 *q, const uint8_t *block, uint64_t i);
void qcow2_rc_write(const struct qcow2 *q, uint8_t *block, uint64_t i, uint64_t v);
int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc);
int qcow2_refcount_set(struct qcow2 *q, uint64_t cluster, uint64_t n, uint64_t value);
int qcow2_refcount_repair(struct qcow2 *q, uint64_t cluster, uint64_t value);
int qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *host);
int qcow2_free_range(struct qcow2 *q, uint64_t host, uint64_t len, bool punch);
int qcow2_load_refcounts(struct qcow2 *q, char *err, size_t errlen);

/* qcow2-map.c (under q->lock) */
int qcow2_load_l1(struct qcow2 *q, char *err, size_t errlen);
int qcow2_map(struct qcow2 *q, uint64_t off, uint64_t len, struct qcow2_mapping *m);
int qcow2_l2_table(struct qcow2 *q, uint64_t l1_index, bool alloc, uint8_t **l2,
		   uint64_t *l2_off, bool *fresh);
void qcow2_l1_set(struct qcow2 *q, uint64_t l1_index, uint64_t value);
int qcow2_l1_writeback(struct qcow2 *q);
bool qcow2_host_ok(const struct qcow2 *q, uint64_t host, uint64_t len);
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off,
			    uint64_t *len);

/* qcow2-compress.c */
int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, uint8_t *out);

/* qcow2-read.c */
int qcow2_read_mapped(struct qcow2 *q, const struct qcow2_mapping *m, uint64_t off,
		      const struct iovec *iov, int cnt, size_t skip, struct iovec *sub, int max);
int qcow2_read_unlocked(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len);
int qcow2_read(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt);

/* qcow2-write.c */
int qcow2_write(struct qcow2 *q, uint64_t off, const struct iovec *iov, int cnt);
int qcow2_release_entries(struct qcow2 *q, const uint64_t *old, uint64_t n);
int qcow2_pool_release(struct qcow2 *q, bool closing);

/* qcow2-zero.c */
int qcow2_zero_or_discard(struct qcow2 *q, uint64_t off, uint64_t len, bool discard);

/* qcow2.c: loading an image without its backing chain (check, info, commit, fuzzing). */
#define QCOW2_LOAD_CHECK	(1u << 0)	/* tolerate dirty/corrupt, no auto repair */
int qcow2_load(struct qcow2 *q, int fd, const char *path, bool read_only, unsigned flags,
	       char *err, size_t errlen);
void qcow2_unload(struct qcow2 *q);
int qcow2_open_path(const char *path, bool read_only, unsigned flags, struct qcow2 **out,
		    char *err, size_t errlen);
void qcow2_close_path(struct qcow2 *q);

/* qcow2-chain.c: walking backing chains by header only (loops, depth). */
struct qcow2_chain_id {
	dev_t dev;
	ino_t ino;
};

int qcow2_backing_path(const char *image, const char *name, char **out);
int qcow2_walk_chain(int top_fd, const char *top_path, struct qcow2_info *info,
		     struct qcow2_chain_id *ids, unsigned *n, char *err, size_t errlen);

/* qcow2-check.c */
#define QCOW2_REPAIR_LEAKS	(1u << 0)
#define QCOW2_REPAIR_ALL	(1u << 1)	/* also refcounts that are too low */
int qcow2_check_loaded(struct qcow2 *q, unsigned repair, struct qcow2_check_report *r);

#endif
