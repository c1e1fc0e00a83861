// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest memory: the PC layout, bounds checks on guest addresses, e820. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "memory.h"
#include "tap.h"

static void test_layout_small(void)
{
	struct vm_memory m;
	struct e820_entry e[8];
	unsigned n;

	is_int(vm_memory_init(&m, 64ull << 20), 0, "64 MiB");
	is_int(m.below_4g, 64ull << 20, "all below 4 GiB");
	is_int(m.above_4g, 0, "none above");
	is_int(m.nregions, 2, "two slots: below and above the VGA window");
	ok(vm_memory_ptr(&m, 0x1000, 16) != NULL, "low RAM reachable");
	ok(vm_memory_ptr(&m, 0xa0000, 1) == NULL, "the VGA window is not RAM");
	ok(vm_memory_ptr(&m, 0x9ffff, 2) == NULL, "an access straddling into the window is refused");
	ok(vm_memory_ptr(&m, (64ull << 20) - 4, 8) == NULL, "an access past the end is refused");
	ok(vm_memory_ptr(&m, 0x1000, ~0ull) == NULL, "a huge length cannot wrap");
	ok(vm_memory_ptr(&m, ~0ull, 2) == NULL, "an address at the top cannot wrap");
	ok(vm_memory_is_ram(&m, 0x90000, 0x10000), "[576K, 640K) is RAM");
	ok(!vm_memory_is_ram(&m, 0x90000, 0x10001), "one more byte is not");

	uint8_t buf[8] = "abcdefg";
	is_int(vm_memory_write(&m, 0x200000, buf, 8), 0, "write");
	ok(!memcmp(vm_memory_ptr(&m, 0x200000, 8), buf, 8), "visible through the mapping");
	is_int(vm_memory_write(&m, 0x9fffc, buf, 8), -EFAULT, "write into the hole fails");

	n = vm_memory_e820(&m, e, 8);
	ok(n >= 4 && n <= 8, "e820 has %u entries", n);
	ok(e[0].addr == 0 && e[0].type == E820_RAM, "starts with low RAM");
	bool found_hi = false, found_kvm = false;
	for (unsigned i = 0; i < n; i++) {
		found_hi |= e[i].addr == 0x100000 && e[i].size == (64ull << 20) - 0x100000 &&
			    e[i].type == E820_RAM;
		found_kvm |= e[i].addr == PC_IDENTITY_MAP_ADDR && e[i].type == E820_RESERVED;
	}
	ok(found_hi, "RAM from 1 MiB to the end");
	ok(found_kvm, "KVM's identity map and TSS pages reserved");
	vm_memory_destroy(&m);
}

static void test_layout_large(void)
{
	struct vm_memory m;
	struct stat st;

	/* 6 GiB: memfds are sparse, so this costs nothing until touched. */
	is_int(vm_memory_init(&m, 6ull << 30), 0, "6 GiB");
	is_int(m.below_4g, PC_PCI_HOLE_START, "below 4 GiB stops at the 3.5 GiB hole");
	is_int(m.above_4g, (6ull << 30) - PC_PCI_HOLE_START, "the rest is above 4 GiB");
	is_int(m.nregions, 3, "three slots");
	ok(vm_memory_ptr(&m, PC_PCI_HOLE_START, 1) == NULL, "the PCI hole is not RAM");
	ok(vm_memory_ptr(&m, PC_4G + m.above_4g - 1, 1) != NULL, "the last byte above 4 GiB is");
	ok(vm_memory_ptr(&m, PC_4G + m.above_4g, 1) == NULL, "one past it is not");
	*(uint8_t *)vm_memory_ptr(&m, PC_4G + 4096, 1) = 1;
	ok(fstat(m.high_fd, &st) == 0 && st.st_blocks * 512 < (16 << 20),
	   "the memfd holds only touched pages (%lld bytes)", (long long)st.st_blocks * 512);
	vm_memory_destroy(&m);
}

static void test_bad_sizes(void)
{
	struct vm_memory m;

	is_int(vm_memory_init(&m, 1 << 20), -EINVAL, "1 MiB is too small");
	is_int(vm_memory_init(&m, (64ull << 20) + 1), -EINVAL, "not page-aligned");
	is_int(vm_memory_init(&m, 1ull << 50), -EINVAL, "absurdly large");
}

int main(void)
{
	test_layout_small();
	test_layout_large();
	test_bad_sizes();
	return tap_done();
}
