/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel samepage merging (KSM): what the host and this process report about it. */
#ifndef VMM_KSM_H
#define VMM_KSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Guest RAM is offered to KSM with vm_memory_set_mergeable() ([balloon] share-pages); the
 * kernel merges only while /sys/kernel/mm/ksm/run is 1, which needs root to change. Counts
 * are -1 where the kernel does not report them (ksm_stat's fields grew over releases:
 * ksm_rmap_items since 6.1, ksm_merging_pages since 6.1, the rest later).
 */
struct ksm_status {
	int run;			/* 0 off, 1 merging, 2 unmerging; -1: no KSM here */
	int64_t rmap_items;		/* this process: pages KSM is tracking */
	int64_t merging_pages;		/* this process: pages merged with others */
	int64_t zero_pages;		/* this process: pages merged with the zero page */
	int64_t profit;			/* this process: bytes saved, net of KSM's overhead */
};

/*
 * Read root/sys/kernel/mm/ksm/run and root/proc/self/ksm_stat (root "" or "/" for this
 * host; tests pass a fixture tree). 0 (absent files are not errors: they leave -1), or
 * -EINVAL for a file that is there but does not parse.
 */
int ksm_read_status(const char *root, struct ksm_status *st);

/* One line for people, e.g. "KSM is off on this host (/sys/kernel/mm/ksm/run is 0)". */
void ksm_describe(const struct ksm_status *st, char *buf, size_t len);

#endif
