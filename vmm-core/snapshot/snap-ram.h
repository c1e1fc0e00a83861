/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM in a snapshot: a sparse `memory` file, mapped privately on restore. */
#ifndef VMM_SNAP_RAM_H
#define VMM_SNAP_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

#define SNAP_RAM_VERSION 1

struct snap_prefetch;

/* The RAM section: region i of the VM lies at `offset` in the memory file. */
struct snap_ram_table {
	uint32_t version;
	uint32_t nregions;
	uint64_t file_size;
	struct snap_ram_entry { uint64_t gpa, size, offset; } r[VM_MAX_MEM_REGIONS];
};

typedef void (*snap_progress_fn)(void *opaque, double fraction);

/*
 * Write every region at a page-aligned offset of a new file `path`, skipping zero pages
 * (holes), then fsync it. Fills t. 0 or -errno with a message in err.
 */
int snap_ram_save(const struct vm_memory *mem, const char *path, struct snap_ram_table *t,
		  snap_progress_fn progress, void *opaque, char *err, size_t errlen);

/* Check a RAM section against this VM's regions and the memory file's size. */
int snap_ram_check(const struct vm_memory *mem, const void *blob, size_t len, const char *path,
		   struct snap_ram_table *t, char *err, size_t errlen);

/*
 * Map the memory file privately over each region (pages load lazily). Behind the VM, one
 * thread reads the file into the page cache and another (*pf, NULL if it could not start)
 * maps its data pages in advance, starting a moment later so restore-to-running does not
 * wait; it stops by itself at the first vm_memory_discard (the balloon).
 */
int snap_ram_map(struct vm_memory *mem, const char *path, const struct snap_ram_table *t,
		 struct snap_prefetch **pf, char *err, size_t errlen);

/* Stop and join the populate thread, free pf (NULL: nothing). Before unmapping guest RAM. */
void snap_prefetch_stop(struct snap_prefetch *pf);
/* Bytes it has populated so far (0 for NULL). */
uint64_t snap_prefetch_populated(const struct snap_prefetch *pf);

#endif
