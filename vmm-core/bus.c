// SPDX-License-Identifier: GPL-2.0-or-later
/* PIO/MMIO bus: sorted ranges, binary-search lookup, access splitting and merging. */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vmm_bus_init(struct vmm_bus *bus, const char *name, struct vmm_guest_log *log)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->log = log;
	pthread_rwlock_init(&bus->lock, NULL);
}

void vmm_bus_destroy(struct vmm_bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end is above addr (may be n). */
static size_t bus_lower_bound(const struct vmm_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vmm_bus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vmm_bus_register(struct vmm_bus *bus, uint64_t base, uint64_t len,
		     const struct vmm_io_ops *ops, void *opaque)
{
	size_t i;
	int ret = 0;

	if (!len || base + (len - 1) < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->n && bus->ranges[i].base <= base + (len - 1)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct vmm_bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct vmm_bus_range){ base, len, ops, opaque };
	bus->n++;
out_unlock:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int vmm_bus_unregister(struct vmm_bus *bus, uint64_t base, void *opaque)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->n && bus->ranges[i].base == base && bus->ranges[i].opaque == opaque) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->n - i - 1) * sizeof(bus->ranges[0]));
		bus->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static unsigned ops_min(const struct vmm_io_ops *ops)
{
	return ops->min_size ? ops->min_size : 1;
}

static unsigned ops_max(const struct vmm_io_ops *ops)
{
	return ops->max_size ? ops->max_size : 8;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Read `size` bytes at range offset `off`, honouring the handler's declared widths. */
static uint64_t range_read(const struct vmm_bus_range *r, uint64_t off, unsigned size)
{
	const struct vmm_io_ops *ops = r->ops;
	unsigned min = ops_min(ops), max = ops_max(ops);
	uint64_t v = 0;

	if (!ops->read)
		return size_mask(size);
	if (size < min) {
		uint64_t unit = off & ~(uint64_t)(min - 1);

		v = ops->read(r->opaque, unit, min);
		return (v >> ((off - unit) * 8)) & size_mask(size);
	}
	if (size <= max && !(off & (size - 1)))
		return ops->read(r->opaque, off, size) & size_mask(size);
	/* Wider than the device handles, or misaligned: piecewise, low bytes first. */
	for (unsigned done = 0; done < size;) {
		unsigned piece = max;

		while (piece > 1 && (((off + done) & (piece - 1)) || piece > size - done))
			piece >>= 1;
		/* A piece below min goes through the narrow path above. */
		v |= range_read(r, off + done, piece) << (done * 8);
		done += piece;
	}
	return v;
}

static void range_write(const struct vmm_bus_range *r, uint64_t off, uint64_t val,
			unsigned size)
{
	const struct vmm_io_ops *ops = r->ops;
	unsigned min = ops_min(ops), max = ops_max(ops);

	if (!ops->write)
		return;
	val &= size_mask(size);
	if (size < min) {
		uint64_t unit = off & ~(uint64_t)(min - 1);
		unsigned shift = (off - unit) * 8;
		uint64_t old = ops->read ? ops->read(r->opaque, unit, min) : 0;

		old &= ~(size_mask(size) << shift);
		ops->write(r->opaque, unit, old | (val << shift), min);
		return;
	}
	if (size <= max && !(off & (size - 1))) {
		ops->write(r->opaque, off, val, size);
		return;
	}
	for (unsigned done = 0; done < size;) {
		unsigned piece = max;

		while (piece > 1 && (((off + done) & (piece - 1)) || piece > size - done))
			piece >>= 1;
		/* A piece below min goes through the narrow path above. */
		range_write(r, off + done, val >> (done * 8), piece);
		done += piece;
	}
}

static uint64_t le_load(const void *data, unsigned size)
{
	const uint8_t *p = data;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (i * 8);
	return v;
}

static void le_store(void *data, uint64_t v, unsigned size)
{
	uint8_t *p = data;

	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (i * 8));
}

static void bus_unclaimed(struct vmm_bus *bus, const char *dir, uint64_t addr, unsigned size,
			  uint64_t val)
{
	__atomic_add_fetch(&bus->unclaimed, 1, __ATOMIC_RELAXED);
	if (bus->log)
		vmm_guest_error(bus->log, "%s %s of %u byte(s) at %#llx (value %#llx): unclaimed",
				bus->name, dir, size, (unsigned long long)addr,
				(unsigned long long)val);
}

/*
 * Find the range holding addr and how many of the `size` bytes it covers. An access that
 * straddles two ranges (or a range and a gap) is served piece by piece by the caller.
 */
static const struct vmm_bus_range *bus_find(struct vmm_bus *bus, uint64_t addr, unsigned size,
					    unsigned *covered)
{
	size_t i = bus_lower_bound(bus, addr);
	const struct vmm_bus_range *r;

	if (i < bus->n && bus->ranges[i].base <= addr) {
		r = &bus->ranges[i];
		uint64_t left = r->base + (r->len - 1) - addr + 1;

		*covered = left == 0 || left >= size ? size : (unsigned)left;
		return r;
	}
	/* Gap: covered up to the next range's start. */
	if (i < bus->n && bus->ranges[i].base - addr < size)
		*covered = (unsigned)(bus->ranges[i].base - addr);
	else
		*covered = size;
	return NULL;
}

/*
 * Look the range up under the read lock and hand back a copy, so the handler runs with no
 * bus lock held: a handler may then register or unregister ranges on any bus (a PCI config
 * write moving a BAR arrives through the PIO bus and remaps ranges on it). A range removed
 * while one of its accesses is in flight finishes that access, like a posted write; devices
 * are only freed with every vCPU stopped.
 */
static bool bus_find_copy(struct vmm_bus *bus, uint64_t addr, unsigned size, unsigned *covered,
			  struct vmm_bus_range *copy)
{
	const struct vmm_bus_range *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find(bus, addr, size, covered);
	if (r)
		*copy = *r;
	pthread_rwlock_unlock(&bus->lock);
	return r != NULL;
}

bool vmm_bus_read(struct vmm_bus *bus, uint64_t addr, void *data, unsigned size)
{
	uint8_t *out = data;
	bool claimed = true;

	for (unsigned done = 0; done < size;) {
		unsigned n;
		struct vmm_bus_range r;
		bool found = bus_find_copy(bus, addr + done, size - done, &n, &r);

		if (found) {
			le_store(out + done, range_read(&r, addr + done - r.base, n), n);
		} else {
			memset(out + done, 0xff, n);
			claimed = false;
		}
		done += n;
	}
	if (!claimed)
		bus_unclaimed(bus, "read", addr, size, le_load(data, size));
	return claimed;
}

bool vmm_bus_write(struct vmm_bus *bus, uint64_t addr, const void *data, unsigned size)
{
	const uint8_t *in = data;
	bool claimed = true;

	for (unsigned done = 0; done < size;) {
		unsigned n;
		struct vmm_bus_range r;

		if (bus_find_copy(bus, addr + done, size - done, &n, &r))
			range_write(&r, addr + done - r.base, le_load(in + done, n), n);
		else
			claimed = false;
		done += n;
	}
	if (!claimed)
		bus_unclaimed(bus, "write", addr, size, le_load(data, size));
	return claimed;
}
