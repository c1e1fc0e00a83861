// SPDX-License-Identifier: GPL-2.0-or-later
/* Bus: registration, lookup, splitting/merging by declared sizes, unclaimed accesses. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "tap.h"

/* A device with 16 byte registers that logs every access the bus hands it. */
struct fake {
	uint8_t regs[16];
	unsigned calls;
	unsigned last_size;
	uint64_t last_off;
};

static uint64_t fake_read(void *opaque, uint64_t off, unsigned size)
{
	struct fake *f = opaque;
	uint64_t v = 0;

	f->calls++;
	f->last_size = size;
	f->last_off = off;
	for (unsigned i = 0; i < size && off + i < 16; i++)
		v |= (uint64_t)f->regs[off + i] << (8 * i);
	return v;
}

static void fake_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fake *f = opaque;

	f->calls++;
	f->last_size = size;
	f->last_off = off;
	for (unsigned i = 0; i < size && off + i < 16; i++)
		f->regs[off + i] = (uint8_t)(val >> (8 * i));
}

static const struct vmm_io_ops bytes_ops = {
	.name = "bytes", .read = fake_read, .write = fake_write, .min_size = 1, .max_size = 1,
};
static const struct vmm_io_ops dword_ops = {
	.name = "dwords", .read = fake_read, .write = fake_write, .min_size = 4, .max_size = 4,
};

static void test_register(void)
{
	struct vmm_bus bus;
	struct fake a = { 0 }, b = { 0 };

	vmm_bus_init(&bus, "pio", NULL);
	is_int(vmm_bus_register(&bus, 0x100, 16, &bytes_ops, &a), 0, "register a range");
	is_int(vmm_bus_register(&bus, 0x108, 4, &bytes_ops, &b), -EEXIST, "overlap refused");
	is_int(vmm_bus_register(&bus, 0xf8, 9, &bytes_ops, &b), -EEXIST, "overlap at start");
	is_int(vmm_bus_register(&bus, 0xf0, 16, &bytes_ops, &b), 0, "adjacent below accepted");
	is_int(vmm_bus_register(&bus, 0, 0, &bytes_ops, &b), -EINVAL, "empty range refused");
	is_int(vmm_bus_register(&bus, ~0ull, 2, &bytes_ops, &b), -EINVAL, "wrapping refused");
	is_int(vmm_bus_unregister(&bus, 0x100, &b), -ENOENT, "unregister needs the owner");
	is_int(vmm_bus_unregister(&bus, 0x100, &a), 0, "unregister");
	is_int(vmm_bus_register(&bus, 0x108, 4, &bytes_ops, &b), 0, "freed space reusable");
	vmm_bus_destroy(&bus);
}

static void test_split_merge(void)
{
	struct vmm_bus bus;
	struct fake f = { 0 }, d = { 0 };
	uint8_t buf[8];
	uint32_t v32 = 0x44332211;

	vmm_bus_init(&bus, "mmio", NULL);
	vmm_bus_register(&bus, 0x1000, 16, &bytes_ops, &f);
	vmm_bus_register(&bus, 0x2000, 16, &dword_ops, &d);

	vmm_bus_write(&bus, 0x1004, &v32, 4);
	is_int(f.calls, 4, "a 4-byte write to a byte device is split into 4 calls");
	ok(!memcmp(&f.regs[4], &v32, 4), "bytes land little-endian");
	f.calls = 0;
	memset(buf, 0, sizeof(buf));
	vmm_bus_read(&bus, 0x1004, buf, 4);
	is_int(f.calls, 4, "a 4-byte read is split too");
	ok(!memcmp(buf, &v32, 4), "read back");

	d.regs[0] = 0xaa; d.regs[1] = 0xbb; d.regs[2] = 0xcc; d.regs[3] = 0xdd;
	d.calls = 0;
	vmm_bus_read(&bus, 0x2002, buf, 1);
	is_int(d.calls, 1, "a 1-byte read of a dword device is one dword read");
	is_int(d.last_size, 4, "...of size 4");
	is_int(d.last_off, 0, "...at the aligned unit");
	is_int(buf[0], 0xcc, "...and the right byte extracted");
	buf[0] = 0x77;
	vmm_bus_write(&bus, 0x2001, buf, 1);
	is_int(d.regs[1], 0x77, "a narrow write merges (read-modify-write)");
	is_int(d.regs[0], 0xaa, "...keeping the neighbours");
	is_int(d.regs[3], 0xdd, "...on both sides");
	uint64_t v64 = 0x1122334455667788ull;
	d.calls = 0;
	vmm_bus_write(&bus, 0x2008, &v64, 8);
	is_int(d.calls, 2, "an 8-byte write to a dword device is two dword writes");
	ok(!memcmp(&d.regs[8], &v64, 8), "...in order");
	vmm_bus_destroy(&bus);
}

static void test_unclaimed(void)
{
	struct vmm_guest_log log;
	struct vmm_bus bus;
	struct fake f = { 0 };
	uint8_t buf[4] = { 0 };

	vmm_guest_log_init(&log, NULL, 5);
	vmm_bus_init(&bus, "pio", &log);
	vmm_bus_register(&bus, 0x10, 2, &bytes_ops, &f);
	f.regs[0] = 0x12; f.regs[1] = 0x34;
	ok(!vmm_bus_read(&bus, 0x80, buf, 4), "nobody claims 0x80");
	ok(buf[0] == 0xff && buf[3] == 0xff, "unclaimed reads are all ones");
	is_int(bus.unclaimed, 1, "counted");
	is_int(vmm_guest_log_count(&log), 1, "logged as a guest error");
	ok(!vmm_bus_read(&bus, 0x10, buf, 4), "a read straddling a range and a gap");
	ok(buf[0] == 0x12 && buf[1] == 0x34 && buf[2] == 0xff && buf[3] == 0xff,
	   "claimed bytes come from the device, the rest are ones");
	for (int i = 0; i < 1000; i++)
		vmm_bus_write(&bus, 0x9000, buf, 1);
	is_int(vmm_guest_log_count(&log), 1002, "every error counted though the log is rate-limited");
	vmm_bus_destroy(&bus);
	vmm_guest_log_destroy(&log);
}

static void test_many_ranges(void)
{
	static struct fake devs[64];
	struct vmm_bus bus;
	uint8_t v;
	bool all = true;

	vmm_bus_init(&bus, "pio", NULL);
	/* Register in a scrambled order; lookups must still find each. */
	for (unsigned i = 0; i < 64; i++) {
		unsigned k = (i * 37) % 64;

		vmm_bus_register(&bus, 0x1000 + k * 0x20, 16, &bytes_ops, &devs[k]);
		devs[k].regs[3] = (uint8_t)k;
	}
	for (unsigned k = 0; k < 64; k++) {
		vmm_bus_read(&bus, 0x1000 + k * 0x20 + 3, &v, 1);
		all &= v == k;
	}
	ok(all, "64 ranges registered out of order are all found");
	ok(!vmm_bus_read(&bus, 0x1010, &v, 1), "the gaps between them are unclaimed");
	vmm_bus_destroy(&bus);
}

int main(void)
{
	test_register();
	test_split_merge();
	test_unclaimed();
	test_many_ranges();
	return tap_done();
}
