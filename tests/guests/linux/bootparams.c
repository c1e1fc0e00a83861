// SPDX-License-Identifier: GPL-2.0-or-later
// Zero-page checks: the copied setup header, loader fields, zeroes, command line, initrd.
#include "lguest.h"

uint64_t lx_cmdline_addr(const struct lx_ctx *c)
{
	return rd32(c->bp, BP_CMD_LINE_PTR) | (uint64_t)rd32(c->bp, BP_EXT_CMD_LINE_PTR) << 32;
}

uint64_t lx_initrd_addr(const struct lx_ctx *c)
{
	return rd32(c->bp, BP_RAMDISK_IMAGE) | (uint64_t)rd32(c->bp, BP_EXT_RAMDISK_IMAGE) << 32;
}

uint64_t lx_initrd_size(const struct lx_ctx *c)
{
	return rd32(c->bp, BP_RAMDISK_SIZE) | (uint64_t)rd32(c->bp, BP_EXT_RAMDISK_SIZE) << 32;
}

/* The marker at the start of the initrd, if the loader passed one we can reach. */
void lx_find_marker(struct lx_ctx *c)
{
	uint64_t addr = lx_initrd_addr(c), size = lx_initrd_size(c);
	const volatile uint8_t *m = (const volatile uint8_t *)(uintptr_t)addr;

	if (!size || size < MK_BODY || addr >= GIB4 || size > GIB4 - addr)
		return;
	if (rd32(m, MK_MAGIC) == 0x494c5356 && rd32(m, MK_MAGIC + 4) == 0x3144524e)	/* VSLINRD1 */
		c->marker = m;
}

/* Setup-header bytes the loader writes (boot.rst, the "write"/"modify" fields it uses). */
static bool loader_written(unsigned off)
{
	return (off >= BP_VID_MODE && off < BP_VID_MODE + 2) || off == BP_TYPE_OF_LOADER ||
	       (off >= BP_RAMDISK_IMAGE && off < BP_RAMDISK_IMAGE + 8) ||
	       (off >= BP_HEAP_END_PTR && off < BP_CMD_LINE_PTR + 4);
}

/* The header in the zero page equals the image's (the runner put a copy in the marker). */
static void compare_header_copy(struct lx_ctx *c)
{
	const volatile uint8_t *m = c->marker;
	const volatile uint8_t *copy = m + MK_BODY + ((rd32(m, MK_CMDLINE_LEN) + 16) & ~15u);
	unsigned len = rd32(m, MK_HDR_LEN), bad = 0;

	if (!lx_check(c, LX_FAIL_HEADER, len == BP_HDR_END - BP_HDR,
		      "marker holds the image's header (%u bytes)", len))
		return;
	for (unsigned i = 0; i < len && !bad; i++) {
		unsigned off = BP_HDR + i;
		uint8_t want = copy[i], got = rd8(c->bp, off);

		if (off == BP_LOADFLAGS) {	/* the loader may add CAN_USE_HEAP */
			want &= (uint8_t)~CAN_USE_HEAP;
			got &= (uint8_t)~CAN_USE_HEAP;
		}
		if (!loader_written(off) && want != got)
			bad = off;
	}
	lx_check(c, LX_FAIL_HEADER, !bad, "setup header 0x1f1..0x%x copied from the image%s",
		 BP_HDR_END, bad ? " (first difference below)" : "");
	if (bad)
		lx_printf("  header byte 0x%x: image 0x%x, zero page 0x%x\n", bad,
			  copy[bad - BP_HDR], rd8(c->bp, bad));
}

void lx_check_header(struct lx_ctx *c)
{
	const volatile uint8_t *bp = c->bp;
	uint64_t need = (uint64_t)(__bss_end - (const uint8_t *)KERNEL_ADDR);

	lx_printf("header: version 0x%x setup_sects %u xloadflags 0x%x loadflags 0x%x "
		  "init_size 0x%x cmdline_size %u\n", rd16(bp, BP_VERSION), rd8(bp, BP_SETUP_SECTS),
		  rd16(bp, BP_XLOADFLAGS), rd8(bp, BP_LOADFLAGS), rd32(bp, BP_INIT_SIZE),
		  rd32(bp, BP_CMDLINE_SIZE));
	lx_check(c, LX_FAIL_HEADER, rd16(bp, BP_BOOT_FLAG) == 0xaa55 &&
		 rd16(bp, BP_VERSION) >= 0x20c, "boot_flag 0xAA55, protocol 2.12 or later");
	lx_check(c, LX_FAIL_HEADER, (rd16(bp, BP_XLOADFLAGS) & XLF_KERNEL_64) &&
		 (rd8(bp, BP_LOADFLAGS) & LOADED_HIGH) && rd32(bp, BP_CODE32_START) == KERNEL_ADDR,
		 "XLF_KERNEL_64, LOADED_HIGH, code32_start 0x100000");
	lx_check(c, LX_FAIL_HEADER, rd32(bp, BP_INIT_SIZE) >= need,
		 "init_size covers our image and bss (0x%lx bytes)", need);
	lx_check(c, LX_FAIL_HEADER, rd64(bp, BP_SETUP_DATA) == 0, "no setup_data chain");
	if (c->marker)
		compare_header_copy(c);
}

void lx_check_loader_fields(struct lx_ctx *c)
{
	const volatile uint8_t *bp = c->bp;

	/* boot.rst: 0xFF is the loader id for a loader without an assigned one. */
	lx_check(c, LX_FAIL_LOADER, rd8(bp, BP_TYPE_OF_LOADER) == 0xff,
		 "type_of_loader 0x%x (want 0xff)", rd8(bp, BP_TYPE_OF_LOADER));
	lx_check(c, LX_FAIL_LOADER, rd16(bp, BP_VID_MODE) == 0xffff,
		 "vid_mode 0x%x (want 0xffff, \"normal\")", rd16(bp, BP_VID_MODE));
	lx_check(c, LX_FAIL_LOADER, !(rd8(bp, BP_LOADFLAGS) & CAN_USE_HEAP) ||
		 rd16(bp, BP_HEAP_END_PTR) != 0, "CAN_USE_HEAP only with a heap_end_ptr (0x%x)",
		 rd16(bp, BP_HEAP_END_PTR));
	lx_check(c, LX_FAIL_LOADER, lx_cmdline_addr(c) != 0, "cmd_line_ptr set (0x%lx)",
		 lx_cmdline_addr(c));
}

static unsigned first_nonzero(const volatile uint8_t *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		if (p[i])
			return i;
	return 0;
}

/*
 * The 64-bit protocol wants the zero page "initialized to all zero" before the header goes
 * in. Areas a loader may legitimately fill later (screen_info, ACPI RSDP, EDID, EFI) are
 * left out; these must stay zero: the obsolete BIOS tables, the sentinel (a non-zero
 * sentinel makes Linux wipe fields), between the header and the e820 table, and after it.
 */
void lx_check_zero_areas(struct lx_ctx *c)
{
	unsigned n = rd8(c->bp, BP_E820_ENTRIES);
	unsigned table_end = BP_E820_TABLE + (n > BP_E820_MAX ? BP_E820_MAX : n) *
			     BP_E820_ENTRY_SIZE;
	unsigned bad = first_nonzero(c->bp, 0x080, 0x0c0);

	if (!bad)
		bad = first_nonzero(c->bp, 0x1ef, 0x1f0);
	if (!bad)
		bad = first_nonzero(c->bp, BP_HDR_END, BP_E820_TABLE);
	if (!bad)
		bad = first_nonzero(c->bp, table_end, BP_SIZE);
	lx_check(c, LX_FAIL_ZERO, !bad, "unused zero-page bytes are zero%s",
		 bad ? " (see below)" : "");
	if (bad)
		lx_printf("  zero page byte 0x%x is 0x%x\n", bad, rd8(c->bp, bad));
}

/* Just past `prefix` where it starts a word of `s`, else NULL. */
static const volatile char *find_word(const volatile char *s, const char *prefix)
{
	for (const volatile char *p = s; *p; p++) {
		size_t i = 0;

		if (p != s && p[-1] != ' ')
			continue;
		while (prefix[i] && p[i] == prefix[i])	/* stops at the NUL of s too */
			i++;
		if (!prefix[i])
			return p + i;
	}
	return NULL;
}

/* "vessel.ram=64M": a number with an optional K/M/G suffix; 0 if absent. */
static uint64_t cmdline_value(const volatile char *s, const char *key)
{
	const volatile char *p = find_word(s, key);
	uint64_t v = 0;

	if (!p)
		return 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (*p == 'K' || *p == 'M' || *p == 'G')
		v <<= *p == 'K' ? 10 : *p == 'M' ? 20 : 30;
	return v;
}

static bool has_word(const volatile char *s, const char *word)
{
	const volatile char *p = find_word(s, word);

	return p && (*p == ' ' || !*p);
}

static void print_cmdline(const volatile char *s)
{
	lx_printf("cmdline: '");
	for (; *s; s++)
		lx_printf("%c", *s);
	lx_printf("'\n");
}

void lx_check_cmdline(struct lx_ctx *c)
{
	uint64_t addr = lx_cmdline_addr(c), max = rd32(c->bp, BP_CMDLINE_SIZE), len = 0;
	const volatile char *s = (const volatile char *)(uintptr_t)addr;

	if (!lx_check(c, LX_FAIL_CMDLINE, addr && addr < GIB4 && max < GIB4 - addr,
		      "command line at 0x%lx below 4 GiB", addr))
		return;
	while (len <= max && s[len])
		len++;
	if (!lx_check(c, LX_FAIL_CMDLINE, len <= max, "command line NUL-terminated within "
		      "cmdline_size (%lu bytes)", len))
		return;
	print_cmdline(s);
	c->ram_bytes = cmdline_value(s, "vessel.ram=");
	c->want_initrd = has_word(s, "vessel.initrd=1");
	lx_check(c, LX_FAIL_EXPECT, c->ram_bytes && (c->want_initrd ||
		 has_word(s, "vessel.initrd=0")), "the command line has vessel.ram= (%lu) and "
		 "vessel.initrd=", c->ram_bytes);
	if (c->marker)
		lx_check(c, LX_FAIL_CMDLINE, len == rd32(c->marker, MK_CMDLINE_LEN) &&
			 !memcmp((const char *)s, (const char *)c->marker + MK_BODY, len),
			 "command line equals the one in the initrd marker (%u bytes)",
			 rd32(c->marker, MK_CMDLINE_LEN));
}

/* Every pattern byte; prints the first bad one. Returns the number of bad bytes. */
static uint64_t check_pattern(const volatile uint8_t *m, uint32_t from, uint32_t total)
{
	uint64_t bad = 0;

	for (uint32_t i = from; i < total; i++) {
		if (m[i] == MK_PATTERN(i))
			continue;
		if (!bad++)
			lx_printf("  initrd byte %u is 0x%x, want 0x%x\n", i, m[i], MK_PATTERN(i));
	}
	return bad;
}

void lx_check_initrd(struct lx_ctx *c)
{
	uint64_t addr = lx_initrd_addr(c), size = lx_initrd_size(c);
	const volatile uint8_t *m = c->marker;
	uint32_t total, from, fnv;

	lx_printf("initrd: at 0x%lx, %lu bytes\n", addr, size);
	if (!c->want_initrd) {
		lx_check(c, LX_FAIL_INITRD, !addr && !size, "no initrd: ramdisk fields zero");
		return;
	}
	if (!lx_check(c, LX_FAIL_INITRD, m != NULL, "initrd starts with the VSLINRD1 marker"))
		return;
	total = rd32(m, MK_TOTAL);
	from = rd32(m, MK_PATTERN_OFF);
	if (!lx_check(c, LX_FAIL_INITRD, total == size && from >= MK_BODY && from <= total,
		      "ramdisk_size %lu equals the marker's total %u", size, total))
		return;
	lx_check(c, LX_FAIL_INITRD, (addr & 0xfff) == 0, "initrd page-aligned");
	lx_check(c, LX_FAIL_INITRD, addr >= KERNEL_ADDR + rd32(c->bp, BP_INIT_SIZE) &&
		 addr + size - 1 <= rd32(c->bp, BP_INITRD_ADDR_MAX),
		 "initrd clear of the kernel's init_size and below initrd_addr_max");
	fnv = lx_fnv1a(FNV1A_INIT, m + MK_BODY, total - MK_BODY);
	lx_check(c, LX_FAIL_INITRD, fnv == rd32(m, MK_FNV), "initrd fnv1a 0x%08x (marker 0x%08x)",
		 fnv, rd32(m, MK_FNV));
	lx_check(c, LX_FAIL_INITRD, !check_pattern(m, from, total),
		 "initrd pattern bytes %u..%u intact", from, total - 1);
}
