// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 cluster mapping: the L1 table, L2 tables (standard and extended), descriptors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

/* A host offset we may read from or point at: past the header, inside the file. */
bool qcow2_host_ok(const struct qcow2 *q, uint64_t host, uint64_t len)
{
	uint64_t size = __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);

	return host >= q->cs && host < QCOW2_MAX_HOST && host < size;
}

static size_t l1_buf_len(const struct qcow2 *q)
{
	size_t bytes = (size_t)q->h.l1_size * 8;

	return (bytes + q->cs - 1) & ~(size_t)(q->cs - 1);
}

static bool in_table(uint64_t off, uint64_t t, uint64_t tlen)
{
	return off >= t && off - t < tlen;
}

static int check_l1_entry(struct qcow2 *q, uint64_t i, char *err, size_t errlen)
{
	uint64_t e = qcow2_l1_get(q, i), off = e & QCOW2_OFFSET_MASK;

	if (!e)
		return 0;
	if ((e & QCOW2_L1_RESERVED) || (off && (off % q->cs || !qcow2_host_ok(q, off, q->cs))) ||
	    in_table(off, q->h.l1_off, (uint64_t)q->h.l1_size * 8) ||
	    in_table(off, q->h.rt_off, (uint64_t)q->h.rt_clusters * q->cs)) {
		qcow2_msg(err, errlen, "L1 entry %llu (0x%llx) is unaligned, has reserved bits set, "
			  "points past the end of the file or into the header or a table",
			  (unsigned long long)i, (unsigned long long)e);
		return -EINVAL;
	}
	return 0;
}

/* The active L1 table into memory; every entry checked unless we are the checker. */
int qcow2_load_l1(struct qcow2 *q, char *err, size_t errlen)
{
	size_t len = l1_buf_len(q);
	int ret;

	q->l1 = qcow2_alloc_aligned(len);
	if (!q->l1)
		return -ENOMEM;
	memset(q->l1, 0, len);
	ret = qcow2_pread(q, q->h.l1_off, q->l1, (size_t)q->h.l1_size * 8);
	if (ret) {
		qcow2_msg(err, errlen, "cannot read the L1 table: %s", strerror(-ret));
		return ret;
	}
	for (uint64_t i = 0; i < q->h.l1_size && !q->check_mode; i++) {
		ret = check_l1_entry(q, i, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* L1 entries change in memory; qcow2_l1_writeback() writes them after their tables. */
void qcow2_l1_set(struct qcow2 *q, uint64_t l1_index, uint64_t value)
{
	qcow2_put64(q->l1 + l1_index * 8, value);
	if (q->l1_lo >= q->l1_hi) {
		q->l1_lo = l1_index;
		q->l1_hi = l1_index + 1;
	} else if (l1_index < q->l1_lo) {
		q->l1_lo = l1_index;
	} else if (l1_index >= q->l1_hi) {
		q->l1_hi = l1_index + 1;
	}
}

int qcow2_l1_writeback(struct qcow2 *q)
{
	int ret;

	if (q->l1_lo >= q->l1_hi)
		return 0;
	ret = qcow2_write_table_range(q, q->h.l1_off, q->l1, l1_buf_len(q), q->l1_lo * 8,
				      q->l1_hi * 8);
	if (!ret)
		q->l1_lo = q->l1_hi = 0;
	return ret;
}

/*
 * The L2 table of L1 entry l1_index, pinned in the cache. Without one: NULL, or with
 * `alloc` a newly allocated zeroed table that the caller fills, writes and links.
 */
int qcow2_l2_table(struct qcow2 *q, uint64_t l1_index, bool alloc, uint8_t **l2,
		   uint64_t *l2_off, bool *fresh)
{
	uint64_t e = qcow2_l1_get(q, l1_index), off = e & QCOW2_OFFSET_MASK;
	int ret;

	*l2 = NULL;
	*fresh = false;
	*l2_off = 0;
	if (!off) {
		if (!alloc)
			return 0;
		ret = qcow2_alloc_clusters(q, 1, &off);
		if (ret)
			return ret;
		/* Written back later, maybe past today's end of file: it counts as inside. */
		qcow2_grow_file_size(q, off + q->cs);
		*fresh = true;
		*l2_off = off;
		return qcow2_cache_get(q, &q->l2c, off, true, l2);
	}
	if ((e & QCOW2_L1_RESERVED) || off % q->cs || !qcow2_host_ok(q, off, q->cs))
		return qcow2_corrupt(q, "L1 entry %llu (0x%llx) is invalid",
				     (unsigned long long)l1_index, (unsigned long long)e);
	if (alloc && !(e & QCOW2_COPIED))
		return qcow2_corrupt(q, "L2 table %llu is shared; internal snapshots cannot be "
				     "written", (unsigned long long)l1_index);
	*l2_off = off;
	return qcow2_cache_get(q, &q->l2c, off, false, l2);
}

/* qcow2 spec, "Compressed Clusters Descriptor": offset and byte length of the data. */
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t nsec = ((entry >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

	*off = entry & ((1ull << x) - 1);
	*len = (*off & ~511ull) + nsec * 512 - *off;
}

struct decoded {
	enum qcow2_kind kind;
	uint64_t host;		/* cluster offset (DATA, preallocated ZEROES) */
	bool writable;
};

static int decode_std(const struct qcow2 *q, uint64_t e, struct decoded *d)
{
	uint64_t host = e & QCOW2_OFFSET_MASK;

	d->host = host;
	d->writable = host && (e & QCOW2_COPIED);
	if (e & QCOW2_L2_RESERVED)
		return -EIO;
	if (e & QCOW2_ZERO) {
		d->kind = QCOW2_ZEROES;
		return q->h.version < 3 ? -EIO : 0;
	}
	if (!host) {
		d->kind = QCOW2_UNALLOC;
		return (e & QCOW2_COPIED) ? -EIO : 0;
	}
	d->kind = QCOW2_DATA;
	return (host % q->cs || !qcow2_host_ok(q, host, q->cs)) ? -EIO : 0;
}

/* Extended L2 entries (qcow2 spec, "Extended L2 Entries"): status of subcluster `sc`. */
static int decode_ext(const struct qcow2 *q, uint64_t e, uint64_t bitmap, unsigned sc,
		      struct decoded *d)
{
	uint64_t host = e & QCOW2_OFFSET_MASK;
	bool alloc = bitmap & (1ull << sc), zero = bitmap & (1ull << (sc + 32));

	d->host = host;
	d->writable = false;
	if ((e & (QCOW2_L2_RESERVED | QCOW2_ZERO)) || ((uint32_t)bitmap & (uint32_t)(bitmap >> 32)))
		return -EIO;
	if (alloc) {
		d->kind = QCOW2_DATA;
		return (!host || host % q->cs || !qcow2_host_ok(q, host, q->cs)) ? -EIO : 0;
	}
	d->kind = zero ? QCOW2_ZEROES : QCOW2_UNALLOC;
	return 0;
}

static int decode_compressed(const struct qcow2 *q, uint64_t e, struct decoded *d)
{
	uint64_t off, len;

	uint64_t size = __atomic_load_n(&q->file_size, __ATOMIC_RELAXED);

	qcow2_compressed_range(q, e, &off, &len);
	d->kind = QCOW2_COMPRESSED_DATA;
	d->host = off;
	d->writable = false;
	/* The data may end inside the file's last, partial sector, never past it. */
	if (off < q->cs || !qcow2_host_ok(q, off, len) || off + len > ((size + 511) & ~511ull))
		return -EIO;
	return 0;
}

static bool same_run(const struct decoded *a, const struct decoded *b, uint64_t step)
{
	if (a->kind != b->kind || a->kind == QCOW2_COMPRESSED_DATA)
		return false;
	if (a->kind == QCOW2_DATA)
		return b->host == a->host + step && a->writable == b->writable;
	return !a->host && !b->host;
}

/* Subclusters of one extended entry with the same status as subcluster `sc`. */
static uint64_t ext_run(const struct qcow2 *q, uint64_t e, uint64_t bm, unsigned sc,
			const struct decoded *first, uint64_t in, uint64_t len)
{
	uint64_t scs = q->cs / 32, got = scs - in % scs;

	for (unsigned s = sc + 1; s < 32 && got < len; s++) {
		struct decoded d;

		if (decode_ext(q, e, bm, s, &d) || d.kind != first->kind)
			break;
		got += scs;
	}
	return got;
}

static uint64_t std_run(const struct qcow2 *q, const uint8_t *l2, uint64_t l2i,
			const struct decoded *first, uint64_t in, uint64_t len)
{
	uint64_t got = q->cs - in;
	struct decoded prev = *first, d;

	for (uint64_t i = l2i + 1; i < qcow2_l2_entries(q) && got < len; i++) {
		uint64_t e = qcow2_get64(l2 + (i << q->l2_entry_shift));

		if ((e & QCOW2_COMPRESSED) || decode_std(q, e, &d) || !same_run(&prev, &d, q->cs))
			break;
		prev = d;
		got += q->cs;
	}
	return got;
}

static int map_in_table(struct qcow2 *q, const uint8_t *l2, uint64_t off, uint64_t len,
			struct qcow2_mapping *m)
{
	uint64_t in = off & (q->cs - 1);
	uint64_t l2i = (off >> q->cluster_bits) & (qcow2_l2_entries(q) - 1);
	const uint8_t *p = l2 + (l2i << q->l2_entry_shift);
	uint64_t e = qcow2_get64(p), bm = qcow2_extl2(q) ? qcow2_get64(p + 8) : 0, got;
	unsigned sc = (unsigned)(in / (q->cs / 32));
	struct decoded d;
	int ret;

	if (e & QCOW2_COMPRESSED)
		ret = decode_compressed(q, e, &d);
	else if (qcow2_extl2(q))
		ret = decode_ext(q, e, bm, sc, &d);
	else
		ret = decode_std(q, e, &d);
	if (ret)
		return qcow2_corrupt(q, "L2 entry 0x%llx (bitmap 0x%llx) for guest offset 0x%llx "
				     "is invalid", (unsigned long long)e, (unsigned long long)bm,
				     (unsigned long long)off);
	if (d.kind == QCOW2_COMPRESSED_DATA)
		got = q->cs - in;
	else if (qcow2_extl2(q))
		got = ext_run(q, e, bm, sc, &d, in, len);
	else
		got = std_run(q, l2, l2i, &d, in, len);
	m->kind = d.kind;
	m->entry = e;
	m->writable = d.writable;
	m->host = d.kind == QCOW2_DATA ? d.host + in : d.host;
	m->len = got < len ? got : len;
	return 0;
}

/* What [off, off+len) of the guest disk maps to, for as long as that stays the same. */
int qcow2_map(struct qcow2 *q, uint64_t off, uint64_t len, struct qcow2_mapping *m)
{
	uint64_t l1i = off >> (q->cluster_bits + q->l2_bits);
	uint64_t table_end = (l1i + 1) << (q->cluster_bits + q->l2_bits);
	uint64_t l2_off;
	uint8_t *l2;
	bool fresh;
	int ret;

	memset(m, 0, sizeof(*m));
	if (l1i >= q->h.l1_size) {
		m->kind = QCOW2_UNALLOC;
		m->len = len;
		return 0;
	}
	ret = qcow2_l2_table(q, l1i, false, &l2, &l2_off, &fresh);
	if (ret)
		return ret;
	if (!l2) {
		m->kind = QCOW2_UNALLOC;
		m->len = table_end - off < len ? table_end - off : len;
		return 0;
	}
	ret = map_in_table(q, l2, off, len, m);
	qcow2_cache_put(&q->l2c, l2);
	return ret;
}
