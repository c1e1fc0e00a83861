// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 check and repair: recount every reference, compare with the stored refcounts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2-private.h"

struct checker {
	struct qcow2 *q;
	struct qcow2_check_report *r;
	uint32_t *refs;		/* references found, per host cluster of the file */
	uint64_t n;
	bool copied_pass;	/* second walk: check the COPIED flags against refcounts */
};

struct mismatch {
	uint64_t cluster, stored, found;
};

static void problem(struct checker *ck, bool corruption, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct checker *ck, bool corruption, const char *fmt, ...)
{
	va_list ap;

	if (corruption)
		ck->r->corruptions++;
	else
		ck->r->leaks++;
	if (!ck->r->log)
		return;
	fprintf(ck->r->log, "%s: ", corruption ? "ERROR" : "Leaked");
	va_start(ap, fmt);
	vfprintf(ck->r->log, fmt, ap);
	va_end(ap);
	fputc('\n', ck->r->log);
}

/* One reference to every cluster that [off, off+len) touches. */
static bool add_ref(struct checker *ck, uint64_t off, uint64_t len, const char *what)
{
	uint64_t first = off >> ck->q->cluster_bits, last = (off + len - 1) >> ck->q->cluster_bits;

	if (ck->copied_pass || !len)
		return true;
	if (off + len < off || last >= ck->n) {
		problem(ck, true, "%s at 0x%llx (%llu bytes) is past the end of the file", what,
			(unsigned long long)off, (unsigned long long)len);
		return false;
	}
	for (uint64_t c = first; c <= last; c++)
		if (ck->refs[c] != UINT32_MAX)
			ck->refs[c]++;
	return true;
}

static void check_copied(struct checker *ck, uint64_t e, uint64_t off, const char *what)
{
	uint64_t rc;

	if (!ck->copied_pass || qcow2_refcount_get(ck->q, off >> ck->q->cluster_bits, &rc))
		return;
	if (!!(e & QCOW2_COPIED) != (rc == 1))
		problem(ck, true, "OFLAG_COPIED %s: entry=0x%llx refcount=%llu", what,
			(unsigned long long)e, (unsigned long long)rc);
}

static void check_compressed(struct checker *ck, uint64_t e, uint64_t bm, bool active)
{
	uint64_t off, len;

	if (ck->copied_pass)
		return;
	if (e & QCOW2_COPIED)
		problem(ck, true, "compressed cluster entry 0x%llx has the copied flag",
			(unsigned long long)e);
	if (bm)
		problem(ck, true, "compressed cluster entry 0x%llx has a subcluster bitmap",
			(unsigned long long)e);
	qcow2_compressed_range(ck->q, e, &off, &len);
	if (off < ck->q->cs)
		problem(ck, true, "compressed data at 0x%llx overlaps the header",
			(unsigned long long)off);
	else if (add_ref(ck, off, len, "compressed data") && active)
		ck->r->allocated_clusters++;
}

/* Reserved bits, a zero flag where there is none, a subcluster both allocated and zero,
 * allocation without an offset (qcow2 spec, "Cluster mapping", "Extended L2 Entries"). */
static bool std_malformed(const struct qcow2 *q, uint64_t e, uint64_t bm)
{
	bool ext = qcow2_extl2(q), no_zero_flag = ext || q->h.version < 3;
	uint64_t off = e & QCOW2_OFFSET_MASK;

	if ((e & QCOW2_L2_RESERVED) || ((e & QCOW2_ZERO) && no_zero_flag))
		return true;
	if ((uint32_t)bm & (uint32_t)(bm >> 32))
		return true;
	return !off && ((e & QCOW2_COPIED) || (uint32_t)bm);
}

static void check_std(struct checker *ck, uint64_t e, uint64_t bm, bool active)
{
	struct qcow2 *q = ck->q;
	uint64_t off = e & QCOW2_OFFSET_MASK;
	bool ext = qcow2_extl2(q);

	if (!ck->copied_pass && std_malformed(q, e, bm)) {
		problem(ck, true, "L2 entry 0x%llx (bitmap 0x%llx) is malformed",
			(unsigned long long)e, (unsigned long long)bm);
		return;
	}
	if (!off)
		return;
	if (off % q->cs) {
		if (!ck->copied_pass)
			problem(ck, true, "data cluster offset 0x%llx is unaligned",
				(unsigned long long)off);
		return;
	}
	if (active)
		check_copied(ck, e, off, "data cluster");
	if (add_ref(ck, off, q->cs, "data cluster") && active && !ck->copied_pass &&
	    (ext ? (uint32_t)bm != 0 : !(e & QCOW2_ZERO)))
		ck->r->allocated_clusters++;
}

static void check_l2(struct checker *ck, const uint8_t *l2, bool active)
{
	struct qcow2 *q = ck->q;

	for (uint64_t i = 0; i < qcow2_l2_entries(q); i++) {
		const uint8_t *p = l2 + (i << q->l2_entry_shift);
		uint64_t e = qcow2_get64(p), bm = qcow2_extl2(q) ? qcow2_get64(p + 8) : 0;

		if (e & QCOW2_COMPRESSED)
			check_compressed(ck, e, bm, active);
		else
			check_std(ck, e, bm, active);
	}
}

static void walk_l1(struct checker *ck, const uint8_t *l1, uint64_t size, bool active)
{
	struct qcow2 *q = ck->q;

	for (uint64_t i = 0; i < size; i++) {
		uint64_t e = qcow2_get64(l1 + i * 8), off = e & QCOW2_OFFSET_MASK;
		uint8_t *l2;

		if (!off && !(e & QCOW2_L1_RESERVED))
			continue;
		if ((e & QCOW2_L1_RESERVED) || off % q->cs || off < q->cs) {
			if (!ck->copied_pass)
				problem(ck, true, "L1 entry %llu (0x%llx) is malformed",
					(unsigned long long)i, (unsigned long long)e);
			continue;
		}
		if (active)
			check_copied(ck, e, off, "L2 table");
		if (!add_ref(ck, off, q->cs, "L2 table") ||
		    (off >> q->cluster_bits) >= ck->n || qcow2_cache_get(q, &q->l2c, off, false, &l2))
			continue;
		check_l2(ck, l2, active);
		qcow2_cache_put(&q->l2c, l2);
	}
}

/* An inactive L1 table (internal snapshot), read from the file. */
static void walk_snapshot_l1(struct checker *ck, uint64_t off, uint32_t size)
{
	uint8_t *l1;

	if (off % ck->q->cs || off < ck->q->cs || (uint64_t)size * 8 > QCOW2_MAX_L1_BYTES) {
		problem(ck, true, "snapshot L1 table 0x%llx (%u entries) is invalid",
			(unsigned long long)off, size);
		return;
	}
	if (!size || !add_ref(ck, off, (uint64_t)size * 8, "snapshot L1 table"))
		return;
	l1 = malloc((size_t)size * 8);
	if (l1 && !qcow2_pread(ck->q, off, l1, (size_t)size * 8))
		walk_l1(ck, l1, size, false);
	free(l1);
}

/* qcow2 spec, "Snapshots": the table's entries have variable length. */
static void walk_snapshots(struct checker *ck)
{
	struct qcow2 *q = ck->q;
	uint64_t pos = 0, max = q->file_size - q->h.snap_off;	/* parser: snap_off < size */
	uint8_t *tab;

	if (max > (64u << 20))
		max = 64u << 20;
	tab = malloc(max);
	if (!tab || qcow2_pread(q, q->h.snap_off, tab, max)) {
		free(tab);
		return;
	}
	for (uint32_t i = 0; i < q->h.nb_snapshots; i++) {
		uint64_t len;

		if (pos + 40 > max) {
			problem(ck, true, "the snapshot table is too large");
			break;
		}
		len = 40 + (uint64_t)qcow2_get32(tab + pos + 36) +
		      ((tab[pos + 12] << 8) | tab[pos + 13]) + ((tab[pos + 14] << 8) | tab[pos + 15]);
		walk_snapshot_l1(ck, qcow2_get64(tab + pos), qcow2_get32(tab + pos + 8));
		pos += (len + 7) & ~7ull;
	}
	if (pos <= max)
		add_ref(ck, q->h.snap_off, pos, "snapshot table");
	free(tab);
}

/* qcow2 spec, "Bitmaps": the directory, each bitmap's table and its data clusters. */
static void walk_bitmaps(struct checker *ck)
{
	struct qcow2 *q = ck->q;
	uint64_t size = q->h.bitmap_dir_size, pos = 0;
	uint8_t *dir;

	if (!q->h.has_bitmaps || !(q->h.autoclear & QCOW2_AUTOCLEAR_BITMAPS) || size > (64u << 20))
		return;
	if (!add_ref(ck, q->h.bitmap_dir_off, size, "bitmap directory") || !(dir = malloc(size)))
		return;
	for (uint32_t i = 0; !qcow2_pread(q, q->h.bitmap_dir_off, dir, size) &&
			     i < q->h.nb_bitmaps && pos + 24 <= size; i++) {
		uint64_t toff = qcow2_get64(dir + pos), tlen = (uint64_t)qcow2_get32(dir + pos + 8) * 8;
		uint8_t *t = tlen <= (64u << 20) ? malloc(tlen ? tlen : 1) : NULL;

		if (t && add_ref(ck, toff, tlen, "bitmap table") && !qcow2_pread(q, toff, t, tlen))
			for (uint64_t j = 0; j < tlen; j += 8)
				if (qcow2_get64(t + j) & QCOW2_OFFSET_MASK)
					add_ref(ck, qcow2_get64(t + j) & QCOW2_OFFSET_MASK, q->cs,
						"bitmap data");
		free(t);
		pos += (24 + (uint64_t)qcow2_get32(dir + pos + 20) +
			((dir[pos + 18] << 8) | dir[pos + 19]) + 7) & ~7ull;
	}
	free(dir);
}

static void walk_refcount_structures(struct checker *ck)
{
	struct qcow2 *q = ck->q;

	add_ref(ck, q->h.rt_off, (uint64_t)q->h.rt_clusters * q->cs, "refcount table");
	for (uint64_t i = 0; i < q->rt_entries; i++) {
		uint64_t e = qcow2_rt_get(q, i), off = e & ~QCOW2_RT_RESERVED;

		if (!e)
			continue;
		if ((e & QCOW2_RT_RESERVED) || off % q->cs || off < q->cs)
			problem(ck, true, "refcount table entry %llu (0x%llx) is malformed",
				(unsigned long long)i, (unsigned long long)e);
		else
			add_ref(ck, off, q->cs, "refcount block");
	}
}

static void walk_all(struct checker *ck)
{
	struct qcow2 *q = ck->q;

	if (!ck->copied_pass) {
		add_ref(ck, 0, q->cs, "header");
		add_ref(ck, q->h.l1_off, (uint64_t)q->h.l1_size * 8, "L1 table");
	}
	walk_l1(ck, q->l1, q->h.l1_size, true);
	if (ck->copied_pass)
		return;
	if (q->h.nb_snapshots)
		walk_snapshots(ck);
	walk_bitmaps(ck);
	walk_refcount_structures(ck);
}

static int compare(struct checker *ck, struct mismatch **out, uint64_t *nout)
{
	uint64_t cap = 0, n = 0;
	struct mismatch *m = NULL;

	for (uint64_t c = 0; c < ck->n; c++) {
		uint64_t rc;
		int ret = qcow2_refcount_get(ck->q, c, &rc);

		if (ret)
			rc = 0;
		if (ck->refs[c])
			ck->r->image_end = (c + 1) << ck->q->cluster_bits;
		if (rc == ck->refs[c])
			continue;
		problem(ck, rc < ck->refs[c], "cluster %llu refcount=%llu reference=%u",
			(unsigned long long)c, (unsigned long long)rc, ck->refs[c]);
		if (n == cap) {
			struct mismatch *nm = realloc(m, sizeof(*m) * (cap = cap ? 2 * cap : 64));

			if (!nm) {
				free(m);
				return -ENOMEM;
			}
			m = nm;
		}
		m[n++] = (struct mismatch){ c, rc, ck->refs[c] };
	}
	*out = m;
	*nout = n;
	return 0;
}

/*
 * Counts that are too low first (new refcount blocks go past everything referenced), then
 * leaks. Never touches a count when the references themselves are malformed.
 */
static int repair(struct checker *ck, const struct mismatch *m, uint64_t n, unsigned how)
{
	struct qcow2 *q = ck->q;
	int ret = 0;

	q->free_hint = ck->n;
	for (uint64_t i = 0; i < n && !ret && (how & QCOW2_REPAIR_ALL); i++) {
		if (m[i].stored >= m[i].found)
			continue;
		if (m[i].found > q->rc_max)
			continue;	/* the reference count would overflow */
		ret = qcow2_refcount_repair(q, m[i].cluster, m[i].found);
		if (!ret)
			ck->r->corruptions_fixed++;
	}
	for (uint64_t i = 0; i < n && !ret; i++) {
		if (m[i].stored <= m[i].found)
			continue;
		ret = qcow2_refcount_set(q, m[i].cluster, 1, m[i].found);
		if (!ret)
			ck->r->leaks_fixed++;
	}
	q->free_hint = 0;
	return ret ? ret : qcow2_meta_flush(q);
}

/* The image must be exclusively ours (no requests in flight). */
int qcow2_check_loaded(struct qcow2 *q, unsigned how, struct qcow2_check_report *r)
{
	struct checker ck = { .q = q, .r = r };
	struct mismatch *m = NULL;
	uint64_t nm = 0, structural;
	int ret;

	ck.n = (q->file_size + q->cs - 1) >> q->cluster_bits;
	ck.refs = calloc(ck.n ? ck.n : 1, sizeof(*ck.refs));
	if (!ck.refs)
		return -ENOMEM;
	r->total_clusters = (q->h.size + q->cs - 1) >> q->cluster_bits;
	walk_all(&ck);
	structural = r->corruptions;
	ret = compare(&ck, &m, &nm);
	if (!ret && how && !q->read_only && nm && !structural)
		ret = repair(&ck, m, nm, how);
	if (!ret) {
		ck.copied_pass = true;
		walk_all(&ck);
	}
	free(m);
	free(ck.refs);
	return ret;
}

int qcow2_check(const char *path, bool repair_leaks, struct qcow2_check_report *report,
		char *err, size_t errlen)
{
	struct qcow2 *q;
	FILE *log = report->log;
	int ret = qcow2_open_path(path, !repair_leaks, QCOW2_LOAD_CHECK, &q, err, errlen);

	memset(report, 0, sizeof(*report));
	report->log = log;
	if (ret)
		return ret;
	ret = qcow2_check_loaded(q, repair_leaks ? QCOW2_REPAIR_LEAKS : 0, report);
	if (ret)
		qcow2_msg(err, errlen, "%s: the check failed: %s", path, strerror(-ret));
	qcow2_close_path(q);
	return ret;
}
