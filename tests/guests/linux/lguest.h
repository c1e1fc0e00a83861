/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tiny 64-bit "Linux kernel" guest: zero-page layout, CPU helpers, console, checks. */
#ifndef LGUEST_H
#define LGUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * struct boot_params offsets, written from Documentation/arch/x86/zero-page.rst and the
 * setup header table of boot.rst ("THE REAL-MODE KERNEL HEADER"); offsets are from the
 * start of the zero page, where the header keeps the offsets it has in the image.
 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1	/* struct setup_header starts here */
#define BP_SETUP_SECTS		0x1f1
#define BP_SYSSIZE		0x1f4
#define BP_VID_MODE		0x1fa
#define BP_BOOT_FLAG		0x1fe
#define BP_JUMP			0x200
#define BP_HEADER_MAGIC		0x202	/* "HdrS" */
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_CODE32_START		0x214
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_HEAP_END_PTR		0x224
#define BP_EXT_LOADER_VER	0x226
#define BP_EXT_LOADER_TYPE	0x227
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22c
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_SETUP_DATA		0x250
#define BP_INIT_SIZE		0x260
#define BP_HDR_END		0x26c	/* after kernel_info_offset (protocol 2.15) */
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128
#define BP_E820_ENTRY_SIZE	20	/* struct boot_e820_entry: u64 addr, u64 size, u32 type */
#define BP_SIZE			4096

#define LOADED_HIGH		0x01	/* loadflags bit 0 */
#define CAN_USE_HEAP		0x80	/* loadflags bit 7 */
#define XLF_KERNEL_64		0x01	/* xloadflags bit 0 */

#define E820_RAM		1
#define E820_RESERVED		2

/* Where the VMM must put things (our platform, vmm-core/memory.h). */
#define KERNEL_ADDR		0x100000ul
#define ENTRY64_ADDR		0x100200ul	/* boot.rst, "64-bit BOOT PROTOCOL" */
#define KVM_RESERVED_ADDR	0xfeffc000ul	/* identity-map page + TSS, reserved in e820 */
#define KVM_RESERVED_SIZE	0x4000ul
#define PCI_HOLE_START		0xe0000000ul
#define LAPIC_BASE		0xfee00000ul
#define GIB4			0x100000000ul

#define COM1			0x3f8
#define TEST_EXIT_PORT		0xf4

/* Exit codes: 0 pass; the first failed area's code; 32 + vector for a CPU exception. */
enum lx_fail {
	LX_FAIL_ENTRY = 1,	/* RSI is not a boot_params */
	LX_FAIL_CPU,		/* CR0/CR4/EFER not long mode with paging */
	LX_FAIL_SEGMENTS,	/* selectors or GDT descriptors not per protocol */
	LX_FAIL_IRQ,		/* interrupts enabled at entry */
	LX_FAIL_HEADER,		/* setup header not copied from the image */
	LX_FAIL_LOADER,		/* fields the loader must set */
	LX_FAIL_ZERO,		/* zero page not zero where nothing was written */
	LX_FAIL_CMDLINE,
	LX_FAIL_INITRD,
	LX_FAIL_E820,
	LX_FAIL_RAM,		/* touching the last RAM page */
	LX_FAIL_PAGING,		/* identity map missing or wrong */
	LX_FAIL_LAPIC,		/* LAPIC at 0xFEE00000 through the identity map */
	LX_FAIL_IMAGE,		/* our own image at 1 MiB differs from the file */
	LX_FAIL_EXPECT,		/* the command line lacks the test's expectations */
	LX_FAIL_ENTRY32,	/* entered at code32_start instead of startup_64 (head.S) */
	LX_FAIL_RETURNED,	/* lx_main returned (head.S) */
	LX_EXIT_EXCEPTION = 32,
};

/* Little-endian reads at a byte offset (the zero page is packed). */
static inline uint8_t rd8(const volatile uint8_t *p, unsigned off)
{
	return p[off];
}

static inline uint16_t rd16(const volatile uint8_t *p, unsigned off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static inline uint32_t rd32(const volatile uint8_t *p, unsigned off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static inline uint64_t rd64(const volatile uint8_t *p, unsigned off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

/* ---- CPU ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define READ_CR(n) ({ uint64_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define READ_SEG(s) ({ uint16_t v_; __asm__ volatile("mov %%" #s ", %0" : "=r"(v_)); v_; })

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* ---- console and ending (console.c) ---- */
void lx_console_init(void);
void lx_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lx_vprintf(const char *fmt, va_list ap);
void lx_exit(unsigned code) __attribute__((noreturn));
void lx_idt_init(void);

/* ---- freestanding library (console.c); gcc may call these itself ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* FNV-1a, 32 bits (integer multiply only): the initrd's and the image's checksum. */
uint32_t lx_fnv1a(uint32_t h, const volatile uint8_t *p, uint64_t len);
#define FNV1A_INIT		0x811c9dc5u

/* ---- checks (main.c keeps the verdict) ---- */
struct lx_ctx {
	const volatile uint8_t *bp;	/* the zero page, from RSI */
	unsigned failed;		/* first failure's code, 0 while all pass */
	unsigned nchecks, nfailed;
	/* From the command line (vessel.ram=, vessel.initrd=): what the test set up. */
	uint64_t ram_bytes;
	bool want_initrd;
	/* From e820: where RAM below 4 GiB ends (memmap.c). */
	uint64_t ram_top;
	/* From the initrd's marker (run-linux.py), when there is one. */
	const volatile uint8_t *marker;
	/* The image as loaded: [KERNEL_ADDR, image_end) and its checksum taken at entry. */
	uint64_t image_fnv_len;
	uint32_t image_fnv;
};

/* Record one check: prints "ok" or "FAIL" with the description. */
bool lx_check(struct lx_ctx *c, unsigned code, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Zero-page accessors (bootparams.c). */
uint64_t lx_cmdline_addr(const struct lx_ctx *c);
uint64_t lx_initrd_addr(const struct lx_ctx *c);
uint64_t lx_initrd_size(const struct lx_ctx *c);

/* bootparams.c */
void lx_find_marker(struct lx_ctx *c);
void lx_check_header(struct lx_ctx *c);
void lx_check_loader_fields(struct lx_ctx *c);
void lx_check_zero_areas(struct lx_ctx *c);
void lx_check_cmdline(struct lx_ctx *c);
void lx_check_initrd(struct lx_ctx *c);

/* memmap.c */
void lx_check_e820(struct lx_ctx *c);
void lx_check_paging(struct lx_ctx *c);
void lx_check_last_page(struct lx_ctx *c);

/* The initrd marker run-linux.py writes (little-endian), then the pattern to the end. */
#define MK_MAGIC		0	/* "VSLINRD1" */
#define MK_TOTAL		8	/* u32 bytes in the whole initrd */
#define MK_CMDLINE_LEN		12	/* u32, without the NUL */
#define MK_HDR_LEN		16	/* u32, bytes of the image's header copy (0x1f1..) */
#define MK_FNV			20	/* u32 FNV-1a of bytes [MK_BODY, total) */
#define MK_PATTERN_OFF		24	/* u32 where the pattern starts */
#define MK_IMAGE_LEN		28	/* u32 bytes of the protected-mode image */
#define MK_IMAGE_FNV		32	/* u32 FNV-1a of those bytes */
#define MK_BODY			64	/* cmdline + NUL, header copy, padding, pattern */
#define MK_PATTERN(i)		((uint8_t)(((i) ^ ((i) >> 8) ^ ((i) >> 16)) * 31u + 7u))

/* Linker script symbols. */
extern const uint8_t __image_end[], __bss_end[];

#endif
