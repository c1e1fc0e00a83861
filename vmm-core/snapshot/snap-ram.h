/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM in a snapshot: a sparse `memory` file, mapped privately on restore. */
#ifndef VMM_SNAP_RAM_H
#define VMM_SNAP_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

#define SNAP_RAM_VERSION 1

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

/* Map the memory file privately over each region (pages load lazily). */
int snap_ram_map(struct vm_memory *mem, const char *path, const struct snap_ram_table *t,
		 char *err, size_t errlen);

#endif
