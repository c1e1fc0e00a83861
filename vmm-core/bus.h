/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PIO and MMIO buses: ranges, interval lookup, access-size splitting and merging. */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "log.h"

/*
 * One handler shape for port I/O and MMIO. `offset` is relative to the registered base.
 * Values are little-endian integers of `size` bytes (1, 2, 4 or 8).
 *
 * min_size/max_size declare the access widths the handler implements. The bus does the rest:
 * a wider access is split into max_size pieces (low address first); a narrower read is done
 * as a min_size read of the aligned unit and the wanted bytes extracted; a narrower write is a
 * read-modify-write of that unit. Zero means 1 (min) and 8 (max).
 *
 * Locking: handlers run on the vCPU thread that trapped with no bus lock held (the range is
 * looked up and copied first), so a handler may register or unregister ranges (a PCI config
 * write moving a BAR); a device guards its own state with its own lock.
 */
struct vmm_io_ops {
	const char *name;
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
	uint8_t min_size;
	uint8_t max_size;
};

struct vmm_bus_range {
	uint64_t base;
	uint64_t len;
	const struct vmm_io_ops *ops;
	void *opaque;
};

struct vmm_bus {
	const char *name;		/* "pio" or "mmio", for logs */
	pthread_rwlock_t lock;
	struct vmm_bus_range *ranges;	/* sorted by base, never overlapping */
	size_t n, cap;
	struct vmm_guest_log *log;	/* borrowed; may be NULL */
	uint64_t unclaimed;		/* accesses nobody claimed */
};

void vmm_bus_init(struct vmm_bus *bus, const char *name, struct vmm_guest_log *log);
void vmm_bus_destroy(struct vmm_bus *bus);

/* 0, -EINVAL (empty or wrapping range), -EEXIST (overlap), -ENOMEM. */
int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
		     const struct vmm_io_ops *ops, void *opaque);
/* Removes the range starting at base that belongs to opaque; -ENOENT if there is none. */
int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base, void *opaque);

/*
 * Dispatch one guest access of `size` bytes (1..8) at `addr`; `data` is little-endian bytes
 * as in struct kvm_run. Unclaimed bytes read as all-ones and are logged as guest errors.
 * Returns true if every byte was claimed by some range.
 */
bool vmm_bus_read(struct vmm_bus *bus, uint64_t addr, void *data, unsigned size);
bool vmm_bus_write(struct vmm_bus *bus, uint64_t addr, const void *data, unsigned size);

#endif
