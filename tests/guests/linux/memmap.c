// SPDX-License-Identifier: GPL-2.0-or-later
// Memory checks: the e820 map against the RAM the test gave, the identity map, the top page.
#include "lguest.h"

#define CR4_LA57	(1ul << 12)
#define PTE_P		(1ul << 0)
#define PTE_W		(1ul << 1)
#define PTE_PS		(1ul << 7)
#define PTE_ADDR	0x000ffffffffff000ul
#define PAGE		0x1000ul

struct e820 {
	uint64_t addr, end;
	uint32_t type;
};

static struct e820 e820_get(const struct lx_ctx *c, unsigned i)
{
	unsigned off = BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
	uint64_t addr = rd64(c->bp, off), size = rd64(c->bp, off + 8);

	return (struct e820){ addr, addr + size, rd32(c->bp, off + 16) };
}

static unsigned e820_count(const struct lx_ctx *c)
{
	unsigned n = rd8(c->bp, BP_E820_ENTRIES);

	return n > BP_E820_MAX ? BP_E820_MAX : n;
}

/* One entry of `type` holds all of [addr, addr + len). */
static bool e820_holds(const struct lx_ctx *c, uint32_t type, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < e820_count(c); i++) {
		struct e820 e = e820_get(c, i);

		if (e.type == type && addr >= e.addr && addr + len <= e.end && addr + len >= addr)
			return true;
	}
	return false;
}

static bool e820_ram_overlaps(const struct lx_ctx *c, uint64_t from, uint64_t to)
{
	for (unsigned i = 0; i < e820_count(c); i++) {
		struct e820 e = e820_get(c, i);

		if (e.type == E820_RAM && e.addr < to && e.end > from)
			return true;
	}
	return false;
}

/* Sorted, non-empty, non-overlapping; sums RAM below/above 4 GiB. */
static bool e820_walk(struct lx_ctx *c, uint64_t *above)
{
	uint64_t prev_end = 0;
	bool sane = true;

	for (unsigned i = 0; i < e820_count(c); i++) {
		struct e820 e = e820_get(c, i);

		lx_printf("e820: [0x%010lx-0x%010lx) type %u\n", e.addr, e.end, e.type);
		if (e.end <= e.addr || e.addr < prev_end)
			sane = false;
		prev_end = e.end;
		if (e.type != E820_RAM)
			continue;
		if (e.addr >= GIB4)
			*above += e.end - e.addr;
		else if (e.end > c->ram_top)
			c->ram_top = e.end;
	}
	return sane;
}

/* Where the loader's "as high as possible" rule (boot.rst, initrd_addr_max) puts the initrd. */
static uint64_t expected_initrd_spot(const struct lx_ctx *c, uint64_t size)
{
	uint64_t top = (uint64_t)rd32(c->bp, BP_INITRD_ADDR_MAX) + 1, best = 0;
	uint64_t kernel_end = KERNEL_ADDR + ((rd32(c->bp, BP_INIT_SIZE) + PAGE - 1) & ~(PAGE - 1));

	for (unsigned i = 0; i < e820_count(c); i++) {
		struct e820 e = e820_get(c, i);
		uint64_t lo = e.addr > kernel_end ? e.addr : kernel_end;
		uint64_t hi = e.end < top ? e.end : top;

		if (e.type != E820_RAM || hi < lo || hi - lo < size)
			continue;
		if (((hi - size) & ~(PAGE - 1)) >= lo && ((hi - size) & ~(PAGE - 1)) > best)
			best = (hi - size) & ~(PAGE - 1);
	}
	return best;
}

static void check_inside_ram(struct lx_ctx *c)
{
	uint64_t bp = (uintptr_t)c->bp, cmd = lx_cmdline_addr(c);
	uint64_t cmd_len = strlen((const char *)(uintptr_t)cmd) + 1;

	lx_check(c, LX_FAIL_E820, e820_holds(c, E820_RAM, bp, BP_SIZE) &&
		 e820_holds(c, E820_RAM, cmd, cmd_len) &&
		 e820_holds(c, E820_RAM, KERNEL_ADDR, rd32(c->bp, BP_INIT_SIZE)),
		 "zero page, command line and kernel init_size area lie in e820 RAM");
	if (!c->want_initrd)
		return;
	lx_check(c, LX_FAIL_E820, e820_holds(c, E820_RAM, lx_initrd_addr(c), lx_initrd_size(c)),
		 "the initrd lies in e820 RAM");
	lx_check(c, LX_FAIL_INITRD, lx_initrd_addr(c) == expected_initrd_spot(c,
		 lx_initrd_size(c)), "initrd as high as possible (want 0x%lx)",
		 expected_initrd_spot(c, lx_initrd_size(c)));
}

void lx_check_e820(struct lx_ctx *c)
{
	uint64_t above = 0;
	uint64_t want_top = c->ram_bytes < PCI_HOLE_START ? c->ram_bytes : PCI_HOLE_START;
	unsigned n = rd8(c->bp, BP_E820_ENTRIES);

	if (!lx_check(c, LX_FAIL_E820, n >= 1 && n <= BP_E820_MAX, "e820_entries %u", n))
		return;
	lx_check(c, LX_FAIL_E820, e820_walk(c, &above), "e820 sorted, no empty or overlapping "
		 "entries");
	lx_check(c, LX_FAIL_E820, c->ram_top == want_top && above == c->ram_bytes - want_top,
		 "RAM ends at 0x%lx below 4 GiB, %lu bytes above (want 0x%lx, %lu)",
		 c->ram_top, above, want_top, c->ram_bytes - want_top);
	lx_check(c, LX_FAIL_E820, e820_holds(c, E820_RAM, 0, 0x9f000),
		 "conventional RAM from 0 (at least 636 KiB)");
	lx_check(c, LX_FAIL_E820, !e820_ram_overlaps(c, 0xa0000, 0x100000) &&
		 !e820_ram_overlaps(c, PCI_HOLE_START, GIB4),
		 "no RAM over the VGA/BIOS area or the PCI hole");
	lx_check(c, LX_FAIL_E820, e820_holds(c, E820_RESERVED, KVM_RESERVED_ADDR,
		 KVM_RESERVED_SIZE), "0xfeffc000-0xfeffffff reserved (KVM identity map, TSS)");
	check_inside_ram(c);
}

/* 4-level walk (SDM vol. 3A §4.5): the physical address of `va`, or ~0 if not present. */
static uint64_t translate(uint64_t va, bool *writable)
{
	uint64_t table = READ_CR(3) & PTE_ADDR, e = 0;

	*writable = true;
	for (int level = 3; level >= 0; level--) {
		e = ((const volatile uint64_t *)(uintptr_t)table)[va >> (12 + 9 * level) & 511];
		if (!(e & PTE_P))
			return ~0ul;
		*writable = *writable && (e & PTE_W);
		if (level == 0 || (level <= 2 && (e & PTE_PS))) {
			uint64_t mask = (1ul << (12 + 9 * level)) - 1;

			return ((e & PTE_ADDR) & ~mask) | (va & mask);
		}
		table = e & PTE_ADDR;
	}
	return ~0ul;
}

/* Every page of [addr, addr + len) maps to itself (and is writable when asked). */
static bool identity_mapped(uint64_t addr, uint64_t len, bool need_write)
{
	for (uint64_t va = addr & ~(PAGE - 1); va < addr + len; va += PAGE) {
		bool w;

		if (translate(va, &w) != va || (need_write && !w))
			return false;
	}
	return true;
}

void lx_check_paging(struct lx_ctx *c)
{
	uint64_t cmd = lx_cmdline_addr(c);

	if (!lx_check(c, LX_FAIL_PAGING, !(READ_CR(4) & CR4_LA57), "4-level paging (no LA57)"))
		return;
	lx_check(c, LX_FAIL_PAGING, identity_mapped((uintptr_t)c->bp, BP_SIZE, true) &&
		 identity_mapped(cmd, strlen((const char *)(uintptr_t)cmd) + 1, false),
		 "zero page and command line identity-mapped");
	lx_check(c, LX_FAIL_PAGING, identity_mapped(KERNEL_ADDR, rd32(c->bp, BP_INIT_SIZE), true),
		 "kernel init_size area identity-mapped, writable");
	if (c->want_initrd)
		lx_check(c, LX_FAIL_PAGING, identity_mapped(lx_initrd_addr(c), lx_initrd_size(c),
			 false), "initrd identity-mapped");
	lx_check(c, LX_FAIL_PAGING, c->ram_top > PAGE &&
		 identity_mapped(c->ram_top - PAGE, PAGE, true) &&
		 identity_mapped(LAPIC_BASE, PAGE, true),
		 "top RAM page 0x%lx and the LAPIC page identity-mapped", c->ram_top - PAGE);
}

/* Write, read back and restore words across the last RAM page below 4 GiB (it may hold the
 * initrd's tail). */
void lx_check_last_page(struct lx_ctx *c)
{
	static const unsigned offsets[] = { 0, 8, 0x800, 0xff8 };
	volatile uint64_t *page;
	unsigned bad = 0;

	if (!c->ram_top || c->ram_top < PAGE)
		return;
	page = (volatile uint64_t *)(uintptr_t)(c->ram_top - PAGE);
	for (unsigned i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		volatile uint64_t *p = page + offsets[i] / 8;
		uint64_t saved = *p, v = 0x5a5aa5a5c3c33c3cul ^ (uintptr_t)p;

		*p = v;
		if (*p != v)
			bad++;
		*p = ~v;
		if (*p != ~v)
			bad++;
		*p = saved;
	}
	lx_check(c, LX_FAIL_RAM, !bad, "last RAM page 0x%lx writable and reads back",
		 c->ram_top - PAGE);
}
