// SPDX-License-Identifier: GPL-2.0-or-later
// lx_main: the CPU state the 64-bit boot protocol promises, then every zero-page check.
#include "lguest.h"

#define CR0_PE		(1ul << 0)
#define CR0_PG		(1ul << 31)
#define CR4_PAE		(1ul << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1ul << 8)
#define EFER_LMA	(1ul << 10)
#define RFLAGS_IF	(1ul << 9)
#define MSR_APIC_BASE	0x1b
#define BOOT_CS		0x10	/* boot.rst, "64-bit BOOT PROTOCOL": __BOOT_CS, __BOOT_DS */
#define BOOT_DS		0x18

void lx_main(const volatile uint8_t *bp, uint64_t loader_rsp) __attribute__((noreturn));

bool lx_check(struct lx_ctx *c, unsigned code, bool cond, const char *fmt, ...)
{
	va_list ap;

	c->nchecks++;
	lx_printf(cond ? "check ok: " : "check FAIL: ");
	va_start(ap, fmt);
	lx_vprintf(fmt, ap);
	va_end(ap);
	lx_printf("\n");
	if (!cond) {
		c->nfailed++;
		if (!c->failed)
			c->failed = code;
	}
	return cond;
}

static void check_cpu(struct lx_ctx *c, uint64_t rflags)
{
	uint64_t cr0 = READ_CR(0), cr4 = READ_CR(4), efer = rdmsr(MSR_EFER);

	lx_printf("cpu: CR0=0x%lx CR3=0x%lx CR4=0x%lx EFER=0x%lx RFLAGS=0x%lx\n",
		  cr0, READ_CR(3), cr4, efer, rflags);
	lx_check(c, LX_FAIL_CPU, (cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG),
		 "CR0.PE and CR0.PG set");
	lx_check(c, LX_FAIL_CPU, cr4 & CR4_PAE, "CR4.PAE set");
	lx_check(c, LX_FAIL_CPU, (efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
		 "EFER.LME and EFER.LMA set (long mode active)");
	lx_check(c, LX_FAIL_IRQ, !(rflags & RFLAGS_IF), "interrupts off at entry (RFLAGS.IF 0)");
}

/* A flat 4 GiB descriptor: base 0, limit 0xFFFFF in 4 KiB units (SDM vol. 3A §3.4.5). */
static bool desc_flat(uint64_t d)
{
	uint64_t base = (d >> 16 & 0xffffff) | (d >> 56 & 0xff) << 24;
	uint64_t limit = (d & 0xffff) | (d >> 48 & 0xf) << 16;

	return base == 0 && limit == 0xfffff && (d >> 55 & 1);
}

static void check_segments(struct lx_ctx *c)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr;
	uint16_t cs = READ_SEG(cs), ds = READ_SEG(ds), es = READ_SEG(es), ss = READ_SEG(ss);
	uint64_t code, data;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	lx_printf("segments: CS=0x%x DS=0x%x ES=0x%x SS=0x%x GDT base 0x%lx limit 0x%x\n",
		  cs, ds, es, ss, gdtr.base, gdtr.limit);
	lx_check(c, LX_FAIL_SEGMENTS, cs == BOOT_CS, "CS is __BOOT_CS (0x10)");
	lx_check(c, LX_FAIL_SEGMENTS, ds == BOOT_DS && es == BOOT_DS && ss == BOOT_DS,
		 "DS, ES, SS are __BOOT_DS (0x18)");
	if (!lx_check(c, LX_FAIL_SEGMENTS, gdtr.limit >= BOOT_DS + 7 && gdtr.base < GIB4,
		      "GDT holds 0x10 and 0x18 below 4 GiB"))
		return;
	code = *(const volatile uint64_t *)(uintptr_t)(gdtr.base + BOOT_CS);
	data = *(const volatile uint64_t *)(uintptr_t)(gdtr.base + BOOT_DS);
	lx_printf("segments: GDT[0x10]=0x%016lx GDT[0x18]=0x%016lx\n", code, data);
	/* Access byte: P bit 47, S bit 44, code bit 43, readable/writable bit 41; L bit 53,
	 * D bit 54 (SDM vol. 3A §3.4.5, §5.2.1). */
	lx_check(c, LX_FAIL_SEGMENTS, (code >> 47 & 1) && (code >> 44 & 1) && (code >> 43 & 1) &&
		 (code >> 41 & 1) && (code >> 53 & 1) && !(code >> 54 & 1),
		 "__BOOT_CS: present 64-bit execute/read code");
	lx_check(c, LX_FAIL_SEGMENTS, (data >> 47 & 1) && (data >> 44 & 1) && !(data >> 43 & 1) &&
		 (data >> 41 & 1), "__BOOT_DS: present read/write data");
	lx_check(c, LX_FAIL_SEGMENTS, desc_flat(code) && desc_flat(data),
		 "both descriptors flat 4 GiB");
}

/* The local APIC at 0xFEE00000, just under 4 GiB, reached through the loader's map. */
static void check_lapic(struct lx_ctx *c)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t ver, id;

	if (!lx_check(c, LX_FAIL_LAPIC, (base & ~0xffful) == LAPIC_BASE && (base >> 11 & 1) &&
		      (base >> 8 & 1), "IA32_APIC_BASE 0x%lx: enabled BSP at 0xfee00000", base))
		return;
	ver = *(const volatile uint32_t *)(uintptr_t)(LAPIC_BASE + 0x30);
	id = *(const volatile uint32_t *)(uintptr_t)(LAPIC_BASE + 0x20);
	/* SDM vol. 3A §10.4.8: version 0x1X is an integrated APIC; max LVT entry in 23:16. */
	lx_check(c, LX_FAIL_LAPIC, (ver & 0xf0) == 0x10 && (ver >> 16 & 0xff) >= 3,
		 "LAPIC version register 0x%x read at 0xfee00030", ver);
	lx_check(c, LX_FAIL_LAPIC, id >> 24 == 0, "LAPIC ID %u (the boot CPU)", id >> 24);
}

/* Our own protected-mode image as loaded at 1 MiB, summed before anything in it was
 * written. Without a marker the runner compares the printed sum with the file's. */
static void check_image(struct lx_ctx *c)
{
	const volatile uint8_t *m = c->marker;

	lx_printf("image: at 0x%lx, %lu bytes, fnv1a 0x%08x\n", KERNEL_ADDR, c->image_fnv_len,
		  c->image_fnv);
	if (!m)
		return;
	lx_check(c, LX_FAIL_IMAGE, rd32(m, MK_IMAGE_LEN) == c->image_fnv_len &&
		 rd32(m, MK_IMAGE_FNV) == c->image_fnv,
		 "image at 1 MiB equals the file's (%u bytes, fnv1a 0x%08x)",
		 rd32(m, MK_IMAGE_LEN), rd32(m, MK_IMAGE_FNV));
}

void lx_main(const volatile uint8_t *bp, uint64_t loader_rsp)
{
	uint64_t rflags = read_rflags();	/* IF as the loader left it: we never cli */
	struct lx_ctx c = { .bp = bp };

	c.image_fnv_len = (uint64_t)(__image_end - (const uint8_t *)KERNEL_ADDR);
	c.image_fnv = lx_fnv1a(FNV1A_INIT, (const uint8_t *)KERNEL_ADDR, c.image_fnv_len);
	lx_console_init();
	lx_idt_init();
	lx_printf("lguest: 64-bit entry at 0x%lx, boot_params at %p, loader RSP 0x%lx\n",
		  ENTRY64_ADDR, (const void *)bp, loader_rsp);
	if (!lx_check(&c, LX_FAIL_ENTRY, (uintptr_t)bp < GIB4 - BP_SIZE &&
		      rd32(bp, BP_HEADER_MAGIC) == 0x53726448, "RSI points at a boot_params "
		      "(\"HdrS\" at +0x202)"))
		lx_exit(c.failed);
	check_cpu(&c, rflags);
	check_segments(&c);
	lx_find_marker(&c);
	lx_check_header(&c);
	lx_check_loader_fields(&c);
	lx_check_zero_areas(&c);
	lx_check_cmdline(&c);
	if (c.ram_bytes) {
		lx_check_initrd(&c);
		lx_check_e820(&c);
		lx_check_paging(&c);
		lx_check_last_page(&c);
	}
	check_lapic(&c);
	check_image(&c);
	lx_printf("lguest: %u checks, %u failed\n", c.nchecks, c.nfailed);
	if (!c.failed)
		lx_printf("lguest: all checks passed\n");
	lx_exit(c.failed);
}
