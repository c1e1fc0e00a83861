// SPDX-License-Identifier: GPL-2.0-or-later
/* Linux bzImage loader: the x86 boot protocol (2.12+) entered at its 64-bit entry point. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot-private.h"
#include "vm.h"

/*
 * Guest layout (Linux boot protocol, "64-bit BOOT PROTOCOL": the zero page, command line and
 * kernel must be identity-mapped; we map all of the first 4 GiB with 2 MiB pages):
 *   0x00500          GDT (boot-private.h)
 *   0x07000          zero page, struct boot_params (4 KiB)
 *   0x08000-0x08fff  stack (RSP 0x9000) for the few instructions before the kernel's own
 *   0x09000          PML4
 *   0x0a000          PDPT
 *   0x0b000-0x0efff  four page directories (2 MiB pages, 4 GiB)
 *   0x20000-0x7ffff  command line
 *   0x100000         protected-mode kernel, then its init_size work area
 *   high below 4 GiB initrd
 */
#define LX_ZERO_PAGE		0x7000ull
#define LX_STACK_TOP		0x9000ull
#define LX_PT_ADDR		0x9000ull
#define LX_PT_PAGES		6	/* PML4, PDPT, 4 PDs */
#define LX_CMDLINE_ADDR		0x20000ull
#define LX_CMDLINE_END		0x80000ull
#define LX_KERNEL_ADDR		0x100000ull
#define LX_ENTRY64_OFFSET	0x200	/* "64-bit BOOT PROTOCOL": startup_64 at +0x200 */

/* Setup header fields, offsets in the image and in the zero page (boot.rst, "THE REAL-MODE
 * KERNEL HEADER"). */
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_VID_MODE		0x1fa
#define HDR_JUMP_LEN		0x201	/* end of header = 0x202 + this byte */
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_HEAP_END_PTR	0x224
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_INIT_SIZE		0x260
#define HDR_FIELDS_END		0x264	/* the last field we read ends here */
#define HDR_MAX_END		0x290	/* boot_params: the header area ends here */

#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x01

/* Zero page fields outside the setup header (zero-page.rst). */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128
#define BP_SIZE			4096

#define PAGE_SIZE		0x1000ull

struct lx_image {
	const char *path;
	struct boot_file file;
	unsigned version;
	uint64_t setup_len;		/* real-mode part: (setup_sects + 1) * 512 */
	uint64_t kernel_len;		/* protected-mode part, copied to 1 MiB */
	uint64_t kernel_end;		/* 1 MiB + max(kernel_len, init_size), page aligned */
	uint64_t initrd_max;		/* highest byte the initrd may occupy */
	uint32_t cmdline_size;
	const char *initrd_path;
	struct boot_file initrd;
	uint64_t initrd_addr;
};

static int lx_parse_header(struct lx_image *im)
{
	const uint8_t *d = im->file.data;
	unsigned sects;

	if (im->file.size < HDR_FIELDS_END) {
		vmm_warn("kernel %s: too short (%zu bytes) for a bzImage", im->path, im->file.size);
		return -ENOEXEC;
	}
	if (memcmp(d + HDR_MAGIC, "HdrS", 4)) {
		vmm_warn("kernel %s: not a bzImage (no \"HdrS\" setup header)", im->path);
		return -ENOEXEC;
	}
	im->version = boot_get16(d + HDR_VERSION);
	if (im->version < 0x206) {
		vmm_warn("kernel %s: boot protocol %u.%02u is too old; 2.06 or later needed",
			 im->path, im->version >> 8, im->version & 0xff);
		return -EPROTONOSUPPORT;
	}
	/* xloadflags exists from 2.12 on; older kernels have no 64-bit entry point. */
	if (im->version < 0x20c || !(boot_get16(d + HDR_XLOADFLAGS) & XLF_KERNEL_64)) {
		vmm_warn("kernel %s: no 64-bit entry point (boot protocol %u.%02u, "
			 "XLF_KERNEL_64 not set); a 64-bit kernel is needed",
			 im->path, im->version >> 8, im->version & 0xff);
		return -ENOTSUP;
	}
	if (!(d[HDR_LOADFLAGS] & LOADED_HIGH)) {
		vmm_warn("kernel %s: a zImage (not loaded high) cannot be booted", im->path);
		return -ENOTSUP;
	}
	sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;	/* 0 means 4 */
	im->setup_len = (uint64_t)(sects + 1) * 512;
	if (im->file.size <= im->setup_len) {
		vmm_warn("kernel %s: truncated (no protected-mode kernel after %llu setup bytes)",
			 im->path, (unsigned long long)im->setup_len);
		return -ENOEXEC;
	}
	im->kernel_len = im->file.size - im->setup_len;
	im->cmdline_size = boot_get32(d + HDR_CMDLINE_SIZE);
	im->initrd_max = boot_get32(d + HDR_INITRD_ADDR_MAX);
	if (!im->initrd_max)
		im->initrd_max = 0x37ffffff;	/* the pre-2.03 default */
	return 0;
}

/* The kernel runs in place from 1 MiB and needs init_size bytes there (protocol 2.10+). */
static int lx_check_kernel_fits(const struct vm_memory *mem, struct lx_image *im)
{
	uint64_t need = boot_get32(im->file.data + HDR_INIT_SIZE);
	uint64_t have = boot_ram_end_from(mem, LX_KERNEL_ADDR);

	if (need < im->kernel_len)
		need = im->kernel_len;
	need = (need + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	im->kernel_end = LX_KERNEL_ADDR + need;
	if (im->kernel_end <= have)
		return 0;
	vmm_warn("kernel %s needs %llu KiB of RAM from 1 MiB, but the guest has only %llu KiB "
		 "there: give the VM more memory", im->path, (unsigned long long)(need >> 10),
		 (unsigned long long)(have > LX_KERNEL_ADDR ? (have - LX_KERNEL_ADDR) >> 10 : 0));
	return -ENOMEM;
}

/* Highest page-aligned spot for `size` bytes in RAM entry e, above the kernel. */
static uint64_t initrd_spot(const struct e820_entry *e, const struct lx_image *im,
			    uint64_t size)
{
	uint64_t lo = e->addr > im->kernel_end ? e->addr : im->kernel_end;
	uint64_t hi = e->addr + e->size, addr;

	if (hi > im->initrd_max + 1)
		hi = im->initrd_max + 1;
	if (hi > PC_4G)
		hi = PC_4G;
	if (hi < lo || hi - lo < size)
		return 0;
	addr = (hi - size) & ~(PAGE_SIZE - 1);
	return addr >= lo ? addr : 0;
}

/* boot.rst, "initrd_addr_max": as high as possible, below the limit, clear of the kernel. */
static int lx_place_initrd(const struct vm_memory *mem, struct lx_image *im)
{
	struct e820_entry e[BP_E820_MAX];
	unsigned n = vm_memory_e820(mem, e, BP_E820_MAX);
	uint64_t best = 0;

	if (n > BP_E820_MAX)
		n = BP_E820_MAX;
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = e[i].type == E820_RAM ? initrd_spot(&e[i], im, im->initrd.size) : 0;

		if (addr > best)
			best = addr;
	}
	if (best) {
		im->initrd_addr = best;
		return 0;
	}
	vmm_warn("initrd %s (%zu bytes) does not fit in guest RAM between the kernel's end "
		 "(%#llx) and %#llx: give the VM more memory", im->initrd_path,
		 im->initrd.size, (unsigned long long)im->kernel_end,
		 (unsigned long long)im->initrd_max);
	return -ENOSPC;
}

static int lx_check_cmdline(const struct lx_image *im, const char *cmdline)
{
	size_t len = strlen(cmdline);

	/* cmdline_size (2.06+) is the longest command line without its NUL. */
	if (len > im->cmdline_size) {
		vmm_warn("kernel %s accepts a command line of at most %u bytes; this one has %zu",
			 im->path, im->cmdline_size, len);
		return -E2BIG;
	}
	if (len >= LX_CMDLINE_END - LX_CMDLINE_ADDR) {
		vmm_warn("kernel command line is %zu bytes, at most %llu fit", len,
			 LX_CMDLINE_END - LX_CMDLINE_ADDR - 1);
		return -E2BIG;
	}
	return 0;
}

/* The zero page: the file's setup header, our settings, the e820 map (zero-page.rst). */
static void lx_fill_zero_page(uint8_t *bp, const struct vm_memory *mem,
			      const struct lx_image *im)
{
	const uint8_t *d = im->file.data;
	uint64_t hdr_end = 0x202 + (uint64_t)d[HDR_JUMP_LEN];
	struct e820_entry e[BP_E820_MAX];
	unsigned n;

	if (hdr_end > HDR_MAX_END)
		hdr_end = HDR_MAX_END;
	memcpy(bp + HDR_START, d + HDR_START, hdr_end - HDR_START);	/* size >= 0x264 */

	boot_put16(bp + HDR_VID_MODE, 0xffff);		/* "normal" */
	bp[HDR_TYPE_OF_LOADER] = 0xff;			/* no registered loader id */
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	/* Offset from the real-mode code of the heap's end minus 0x200; we run no setup code,
	 * so this is the conventional value for a 64 KiB real-mode segment. */
	boot_put16(bp + HDR_HEAP_END_PTR, 0xfe00);
	boot_put32(bp + HDR_CMD_LINE_PTR, (uint32_t)LX_CMDLINE_ADDR);
	boot_put32(bp + BP_EXT_CMD_LINE_PTR, (uint32_t)(LX_CMDLINE_ADDR >> 32));
	if (im->initrd.data) {
		boot_put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)im->initrd_addr);
		boot_put32(bp + HDR_RAMDISK_SIZE, (uint32_t)im->initrd.size);
		boot_put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(im->initrd_addr >> 32));
		boot_put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)im->initrd.size >> 32));
	}

	n = vm_memory_e820(mem, e, BP_E820_MAX);
	if (n > BP_E820_MAX) {
		vmm_warn("kernel: e820 map truncated to %d entries", BP_E820_MAX);
		n = BP_E820_MAX;
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = bp + BP_E820_TABLE + i * 20;

		boot_put64(p, e[i].addr);
		boot_put64(p + 8, e[i].size);
		boot_put32(p + 16, e[i].type);
	}
}

/* Identity map of [0, 4 GiB): PML4[0] -> PDPT[0..3] -> PD with 2 MiB pages (SDM §4.5). */
static int lx_write_page_tables(const struct vm_memory *mem, struct vm_boot *boot)
{
	uint8_t *pt = calloc(LX_PT_PAGES, PAGE_SIZE);
	uint64_t pml4 = LX_PT_ADDR, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
	int err;

	if (!pt)
		return -ENOMEM;
	boot_put64(pt, pdpt | 0x3);				/* present, writable */
	for (unsigned i = 0; i < 4; i++)
		boot_put64(pt + PAGE_SIZE + i * 8, (pd + i * PAGE_SIZE) | 0x3);
	for (uint64_t i = 0; i < 4 * 512; i++)			/* present, writable, PS */
		boot_put64(pt + 2 * PAGE_SIZE + i * 8, (i << 21) | 0x83);
	err = vm_memory_write(mem, LX_PT_ADDR, pt, LX_PT_PAGES * PAGE_SIZE);
	free(pt);
	boot->cr3 = pml4;
	return err;
}

static int lx_write_all(const struct vm_memory *mem, const struct lx_image *im,
			const char *cmdline, struct vm_boot *boot)
{
	uint8_t *bp = calloc(1, BP_SIZE);
	int err;

	if (!bp)
		return -ENOMEM;
	lx_fill_zero_page(bp, mem, im);
	err = vm_memory_write(mem, LX_ZERO_PAGE, bp, BP_SIZE);
	free(bp);
	if (!err)
		err = vm_memory_write(mem, LX_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
	if (!err)
		err = vm_memory_write(mem, LX_KERNEL_ADDR, im->file.data + im->setup_len,
				      im->kernel_len);
	if (!err && im->initrd.data)
		err = vm_memory_write(mem, im->initrd_addr, im->initrd.data, im->initrd.size);
	if (!err)
		err = lx_write_page_tables(mem, boot);
	if (!err)
		err = boot_write_gdt(mem, boot, true);
	if (err < 0)
		vmm_warn("kernel %s: guest RAM too small for the boot layout", im->path);
	return err;
}

static void lx_set_regs(struct vm_boot *boot)
{
	/* "64-bit BOOT PROTOCOL": RSI = boot_params, interrupts off, flat __BOOT_CS/DS. */
	boot->mode = VM_BOOT_LONG64;
	memset(&boot->regs, 0, sizeof(boot->regs));
	boot->regs.rip = LX_KERNEL_ADDR + LX_ENTRY64_OFFSET;
	boot->regs.rsi = LX_ZERO_PAGE;
	boot->regs.rsp = LX_STACK_TOP;
	boot->regs.rflags = 0x2;
}

static int lx_load_initrd(const struct vm_memory *mem, struct lx_image *im)
{
	int err = boot_read_file("initrd", im->initrd_path, boot_ram_total(mem), &im->initrd);

	if (err < 0)
		return err;
	return lx_place_initrd(mem, im);
}

int boot_linux_load(struct vm *vm, struct vm_boot *boot)
{
	const struct vm_memory *mem = &vm->mem;
	const char *cmdline = vm->cfg.cmdline ? vm->cfg.cmdline : "";
	struct lx_image im = { .path = vm->cfg.kernel, .initrd_path = vm->cfg.initrd };
	int err;

	err = boot_read_file("kernel", im.path, boot_ram_total(mem), &im.file);
	if (err < 0)
		return err;
	/* Everything is checked before the first byte goes into guest RAM. */
	err = lx_parse_header(&im);
	if (!err)
		err = lx_check_cmdline(&im, cmdline);
	if (!err)
		err = lx_check_kernel_fits(mem, &im);
	if (!err && im.initrd_path)
		err = lx_load_initrd(mem, &im);
	if (!err)
		err = lx_write_all(mem, &im, cmdline, boot);
	if (!err)
		lx_set_regs(boot);
	boot_file_free(&im.initrd);
	boot_file_free(&im.file);
	return err;
}
