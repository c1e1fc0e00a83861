/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 images: the block driver and the disk tools (create, info, check, commit). */
#ifndef VMM_QCOW2_H
#define VMM_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "block.h"

/*
 * The qcow2 driver (QEMU docs/interop/qcow2.txt). Reads versions 2 and 3, writes version 3
 * (compat 1.1). blk_open() picks it for files starting with "QFI\xfb"; backing files are
 * opened read-only through blk_open() again, so a chain may mix qcow2 and raw levels.
 *
 * Policies (see qcow2.c for the reasons):
 * - Dirty bit: set before the first metadata change, cleared on a clean close. An image
 *   found dirty on a read-write open has its refcounts rebuilt from a recount of every
 *   reference (leaks freed, missing counts added) before use; read-only opens just read.
 * - Corrupt bit: read-only opens only. Runtime-detected corruption refuses further writes
 *   (-EIO) without touching the file.
 * - Read-only support: extended L2 entries, internal snapshots, zstd-compressed clusters
 *   (when built with libzstd); compressed clusters of either kind are read everywhere and
 *   rewritten as normal clusters when the guest overwrites them.
 * - Refused with a message: encryption, external data files, unknown incompatible bits
 *   (named from the feature table when the image has one), cluster sizes outside 4 KiB..2 MiB.
 */
extern const struct blk_driver blk_qcow2_driver;

#define QCOW2_MAX_CHAIN			64		/* backing files below the top image */
#define QCOW2_DEFAULT_CLUSTER_SIZE	65536u
#define QCOW2_DEFAULT_L2_CACHE		(1u << 20)	/* bytes of L2 tables kept in memory */
#define QCOW2_DEFAULT_RB_CACHE		(256u << 10)	/* bytes of refcount blocks */

/* Creating an image. size 0 with a backing file means "as large as the backing file". */
struct qcow2_create_opts {
	uint64_t size;
	const char *backing;		/* NULL, or stored as given (relative to the image) */
	const char *backing_fmt;	/* "raw", "qcow2" or NULL to probe the backing file */
	uint32_t cluster_size;		/* 0: 64 KiB; powers of two, 4 KiB..2 MiB */
	unsigned refcount_bits;		/* 0: 16; 1, 2, 4, 8, 16, 32 or 64 */
};

/* Both refuse to overwrite an existing file (-EEXIST). */
int qcow2_create(const char *path, uint64_t size, const char *backing, const char *backing_fmt,
		 uint32_t cluster_size, char *err, size_t errlen);
int qcow2_create_ex(const char *path, const struct qcow2_create_opts *o, char *err,
		    size_t errlen);

struct qcow2_chain_entry {
	char *path;			/* as resolved (relative names joined to the dir) */
	char format[8];			/* "qcow2" or "raw" */
	uint64_t size;			/* virtual size (raw: file size) */
};

struct qcow2_info {
	uint64_t virtual_size;
	uint64_t file_bytes;		/* space the file takes on the host (st_blocks) */
	uint64_t allocated_bytes;	/* guest data stored in this image (not the chain) */
	uint32_t cluster_size;
	uint32_t version;
	unsigned refcount_bits;
	bool dirty, corrupt, extended_l2, zstd;
	uint32_t snapshots;		/* internal snapshots */
	unsigned chain_len;		/* entries in chain[]; chain[0] is the image itself */
	char chain_error[512];		/* why the chain stops early, or "" */
	struct qcow2_chain_entry chain[QCOW2_MAX_CHAIN + 1];
};

/* Never needs the backing files to be readable beyond their headers. */
int qcow2_info(const char *path, struct qcow2_info **out, char *err, size_t errlen);
void qcow2_info_free(struct qcow2_info *info);

/*
 * Consistency check: every reference (L1, L2, data, compressed data, refcount structures,
 * internal snapshots) is recounted and compared with the stored refcounts. A stored count
 * above the recount is a leak; below it, or any malformed entry, is a corruption. Returns 0
 * when the check ran (read the report) or -errno when it could not.
 */
struct qcow2_check_report {
	FILE *log;			/* in: NULL, or where to describe each problem */
	uint64_t corruptions, leaks;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t allocated_clusters;	/* guest clusters with data in this image */
	uint64_t total_clusters;	/* guest clusters of the virtual disk */
	uint64_t image_end;		/* end of the last cluster in use */
};

int qcow2_check(const char *path, bool repair_leaks, struct qcow2_check_report *report,
		char *err, size_t errlen);

/* Fold an overlay into its (immediate) backing file. The overlay stays valid: afterwards
 * it reads the same as before and as the backing file. */
int qcow2_commit(const char *overlay, char *err, size_t errlen);

/*
 * Tuning an open image. ordered_writes (default true) puts an fdatasync between a new
 * cluster's data and refcount and the L2/L1 entry that makes it visible, and between an
 * entry's removal and the refcount decrement, so that a host crash can leak clusters but
 * never expose one; false keeps only process-crash safety (metadata is always written
 * through before a request completes).
 */
struct qcow2_tuning {
	size_t l2_cache_bytes;		/* 0: keep */
	size_t refcount_cache_bytes;	/* 0: keep */
	bool ordered_writes;
};

int qcow2_tune(struct blk *b, const struct qcow2_tuning *t);

struct qcow2_stats {
	uint64_t l2_hits, l2_misses, syncs, allocated_clusters;
	unsigned inflight_peak;		/* most allocating writes with data I/O at once */
};

void qcow2_get_stats(struct blk *b, struct qcow2_stats *st);

#endif
