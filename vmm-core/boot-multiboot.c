// SPDX-License-Identifier: GPL-2.0-or-later
/* Multiboot v1 loader (Multiboot Specification 0.6.96 §3): ELF32 or a.out-kludge images. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot-private.h"
#include "vm.h"

/*
 * Guest layout we own while the image starts (images must stay out of it):
 *   0x0500          GDT (boot-private.h)
 *   0x8000-0x8fff   a stack for guests that use one before setting their own (ESP 0x9000)
 *   0x9000          multiboot information structure (§3.3)
 *   0x9080          boot loader name
 *   0x9100          memory map, 24 bytes per entry
 *   0x9800-0xffff   command line
 * Images are loaded at or above 0x1000, never into the VGA window / BIOS area
 * 0xA0000-0xFFFFF, never above 4 GiB (a 32-bit entry cannot reach it).
 */
#define MB_AREA_START		0x8000ull
#define MB_AREA_END		0x10000ull
#define MB_STACK_TOP		0x9000ull
#define MB_INFO_ADDR		0x9000ull
#define MB_NAME_ADDR		0x9080ull
#define MB_MMAP_ADDR		0x9100ull
#define MB_MMAP_MAX		64
#define MB_CMDLINE_ADDR		0x9800ull
#define MB_IMAGE_MIN		0x1000ull
#define MB_HOLE_START		0xa0000ull
#define MB_HOLE_END		0x100000ull

/* §3.1.1-3.1.2: the header lies 4-byte aligned in the first 8192 bytes. */
#define MB_HEADER_MAGIC		0x1badb002u
#define MB_SEARCH_LEN		8192
#define MB_FLAG_PAGE_ALIGN	(1u << 0)
#define MB_FLAG_MEMORY_INFO	(1u << 1)
#define MB_FLAG_VIDEO_MODE	(1u << 2)
#define MB_FLAG_AOUT_KLUDGE	(1u << 16)
#define MB_FLAGS_REQUIRED	0xffffu	/* bits 0-15 must be honoured or refused */
/* Bit 0 is moot (we load no modules), bit 1 we do, bit 2 we ignore: no video mode set. */
#define MB_FLAGS_KNOWN		(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* §3.2: machine state */
#define MB_BOOTLOADER_MAGIC	0x2badb002u

/* §3.3: multiboot information flags and field offsets */
#define MBI_FLAG_MEM		(1u << 0)
#define MBI_FLAG_CMDLINE	(1u << 2)
#define MBI_FLAG_MMAP		(1u << 6)
#define MBI_FLAG_LOADER_NAME	(1u << 9)
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME		64
#define MBI_SIZE		0x80	/* 116 bytes in 0.6.96, rounded up */

/* One piece of the image: file bytes to copy to `addr`, then `bss` zero bytes. */
struct mb_segment {
	uint64_t addr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
};

#define MB_MAX_SEGMENTS		32

struct mb_image {
	const char *path;
	const uint8_t *data;
	uint64_t size;
	uint64_t header;		/* file offset of the multiboot header */
	uint32_t flags;
	struct mb_segment seg[MB_MAX_SEGMENTS];
	unsigned nseg;
	uint64_t entry;
};

static int mb_find_header(struct mb_image *im)
{
	uint64_t limit = im->size < MB_SEARCH_LEN ? im->size : MB_SEARCH_LEN;

	for (uint64_t off = 0; off + 12 <= limit; off += 4) {
		const uint8_t *h = im->data + off;
		uint32_t magic = boot_get32(h), flags = boot_get32(h + 4);

		if (magic != MB_HEADER_MAGIC)
			continue;
		/* §3.1.2: magic + flags + checksum is zero as an unsigned 32-bit sum. */
		if ((uint32_t)(magic + flags + boot_get32(h + 8)) != 0) {
			vmm_warn("multiboot: %s: header at %#llx has a bad checksum",
				 im->path, (unsigned long long)off);
			return -EBADMSG;
		}
		im->header = off;
		im->flags = flags;
		return 0;
	}
	vmm_warn("multiboot: %s: no multiboot header in the first %d bytes",
		 im->path, MB_SEARCH_LEN);
	return -ENOEXEC;
}

/* §3.1.3: the a.out kludge — addresses come from the header, not the executable format. */
static int mb_parse_kludge(struct mb_image *im)
{
	const uint8_t *h = im->data + im->header;
	uint64_t header_addr, load_addr, load_end, bss_end, start, len;

	if (im->header + 32 > im->size) {
		vmm_warn("multiboot: %s: truncated a.out kludge header", im->path);
		return -ENOEXEC;
	}
	header_addr = boot_get32(h + 12);
	load_addr = boot_get32(h + 16);
	load_end = boot_get32(h + 20);
	bss_end = boot_get32(h + 24);
	im->entry = boot_get32(h + 28);
	if (header_addr < load_addr || header_addr - load_addr > im->header) {
		vmm_warn("multiboot: %s: header_addr %#llx does not fit load_addr %#llx",
			 im->path, (unsigned long long)header_addr, (unsigned long long)load_addr);
		return -EINVAL;
	}
	start = im->header - (header_addr - load_addr);
	if (load_end && load_end < load_addr) {
		vmm_warn("multiboot: %s: load_end_addr below load_addr", im->path);
		return -EINVAL;
	}
	len = load_end ? load_end - load_addr : im->size - start;	/* 0: to end of file */
	if (bss_end && bss_end < load_addr + len) {
		vmm_warn("multiboot: %s: bss_end_addr below the loaded text/data", im->path);
		return -EINVAL;
	}
	im->seg[0] = (struct mb_segment){
		.addr = load_addr, .offset = start, .filesz = len,
		.memsz = bss_end ? bss_end - load_addr : len,
	};
	im->nseg = 1;
	return 0;
}

static int mb_parse_phdr(struct mb_image *im, const Elf32_Phdr *ph)
{
	struct mb_segment *s;

	if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
		return 0;
	if (im->nseg == MB_MAX_SEGMENTS) {
		vmm_warn("multiboot: %s: more than %d loadable segments", im->path,
			 MB_MAX_SEGMENTS);
		return -E2BIG;
	}
	if (ph->p_filesz > ph->p_memsz) {
		vmm_warn("multiboot: %s: segment at %#x has p_filesz > p_memsz", im->path,
			 ph->p_paddr);
		return -EINVAL;
	}
	s = &im->seg[im->nseg++];
	/* Loaded at the physical address (ELF gABI, p_paddr); the CPU runs with paging off. */
	*s = (struct mb_segment){
		.addr = ph->p_paddr, .offset = ph->p_offset,
		.filesz = ph->p_filesz, .memsz = ph->p_memsz,
	};
	return 0;
}

/* ELF32 i386 executable (System V ABI, i386 supplement): PT_LOAD segments. */
static int mb_parse_elf(struct mb_image *im)
{
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	uint64_t table_end;
	int err;

	if (im->size < sizeof(eh))
		goto not_elf;
	memcpy(&eh, im->data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS32 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_386 ||
	    eh.e_type != ET_EXEC || eh.e_phentsize < sizeof(ph))
		goto not_elf;
	table_end = (uint64_t)eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	if (table_end > im->size) {
		vmm_warn("multiboot: %s: truncated (program headers past end of file)",
			 im->path);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, im->data + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof(ph));
		err = mb_parse_phdr(im, &ph);
		if (err < 0)
			return err;
	}
	if (!im->nseg) {
		vmm_warn("multiboot: %s: no loadable segment", im->path);
		return -ENOEXEC;
	}
	im->entry = eh.e_entry;
	return 0;
not_elf:
	vmm_warn("multiboot: %s: not an ELF32 i386 executable and no a.out kludge (flag 16)",
		 im->path);
	return -ENOEXEC;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Where may a segment go? All values are below 2^33, so the sums cannot wrap. */
static int mb_check_segment(const struct vm_memory *mem, const struct mb_image *im,
			    const struct mb_segment *s)
{
	const char *why = NULL;

	if (s->offset + s->filesz > im->size) {
		vmm_warn("multiboot: %s: truncated (segment at %#llx needs file bytes up to "
			 "%#llx, file has %#llx)", im->path, (unsigned long long)s->addr,
			 (unsigned long long)(s->offset + s->filesz),
			 (unsigned long long)im->size);
		return -ENOEXEC;
	}
	if (s->addr < MB_IMAGE_MIN)
		why = "below 0x1000";
	else if (s->addr + s->memsz > PC_4G)
		why = "beyond 4 GiB";
	else if (overlaps(s->addr, s->memsz, MB_HOLE_START, MB_HOLE_END - MB_HOLE_START))
		why = "in the VGA/BIOS area 0xa0000-0xfffff";
	else if (overlaps(s->addr, s->memsz, MB_AREA_START, MB_AREA_END - MB_AREA_START))
		why = "over the boot information at 0x8000-0xffff";
	else if (!vm_memory_is_ram(mem, s->addr, s->memsz))
		why = "outside guest RAM";
	if (!why)
		return 0;
	vmm_warn("multiboot: %s: segment [%#llx, %#llx) is %s", im->path,
		 (unsigned long long)s->addr, (unsigned long long)(s->addr + s->memsz), why);
	return -ERANGE;
}

static int mb_parse(const struct vm_memory *mem, struct mb_image *im)
{
	uint32_t unknown;
	int err;

	err = mb_find_header(im);
	if (err < 0)
		return err;
	unknown = im->flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_KNOWN;
	if (unknown) {
		vmm_warn("multiboot: %s: requires features we do not provide (flags %#x)",
			 im->path, unknown);
		return -ENOTSUP;
	}
	err = im->flags & MB_FLAG_AOUT_KLUDGE ? mb_parse_kludge(im) : mb_parse_elf(im);
	if (err < 0)
		return err;
	for (unsigned i = 0; i < im->nseg; i++) {
		err = mb_check_segment(mem, im, &im->seg[i]);
		if (err < 0)
			return err;
	}
	if (!vm_memory_is_ram(mem, im->entry, 1) || im->entry < MB_IMAGE_MIN) {
		vmm_warn("multiboot: %s: entry point %#llx is not in guest RAM", im->path,
			 (unsigned long long)im->entry);
		return -ERANGE;
	}
	return 0;
}

static int mb_load_segments(const struct vm_memory *mem, const struct mb_image *im)
{
	for (unsigned i = 0; i < im->nseg; i++) {
		const struct mb_segment *s = &im->seg[i];
		int err = vm_memory_write(mem, s->addr, im->data + s->offset, s->filesz);

		if (!err)
			err = boot_zero(mem, s->addr + s->filesz, s->memsz - s->filesz);
		if (err < 0)
			return err;
	}
	return 0;
}

/* §3.3 mem_lower/mem_upper: KiB of RAM from 0 (at most 640) and contiguous from 1 MiB. */
static void mbi_fill_mem(uint8_t *mbi, const struct vm_memory *mem)
{
	uint64_t low = boot_ram_end_from(mem, 0), high = boot_ram_end_from(mem, MB_HOLE_END);

	if (low > MB_HOLE_START)
		low = MB_HOLE_START;
	boot_put32(mbi + MBI_MEM_LOWER, (uint32_t)(low / 1024));
	boot_put32(mbi + MBI_MEM_UPPER, (uint32_t)((high - MB_HOLE_END) / 1024));
}

/* §3.3 mmap: each entry is preceded by its size (20: base, length, type). */
static void mbi_fill_mmap(uint8_t *mbi, uint8_t *mmap, const struct vm_memory *mem)
{
	struct e820_entry e[MB_MMAP_MAX];
	unsigned n = vm_memory_e820(mem, e, MB_MMAP_MAX);

	if (n > MB_MMAP_MAX) {
		vmm_warn("multiboot: memory map truncated to %d entries", MB_MMAP_MAX);
		n = MB_MMAP_MAX;
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = mmap + i * 24;

		boot_put32(p, 20);
		boot_put64(p + 4, e[i].addr);
		boot_put64(p + 12, e[i].size);
		boot_put32(p + 20, e[i].type);	/* e820 and multiboot types agree */
	}
	boot_put32(mbi + MBI_MMAP_LENGTH, n * 24);
	boot_put32(mbi + MBI_MMAP_ADDR, (uint32_t)MB_MMAP_ADDR);
}

/* Build everything in [MB_INFO_ADDR, MB_AREA_END) in a host buffer, then write it once. */
static int mb_write_info(const struct vm_memory *mem, const char *cmdline)
{
	uint64_t len = MB_AREA_END - MB_INFO_ADDR;
	uint8_t *area, *mbi;
	int err;

	area = calloc(1, len);
	if (!area)
		return -ENOMEM;
	mbi = area;
	boot_put32(mbi + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP |
				    MBI_FLAG_LOADER_NAME);
	mbi_fill_mem(mbi, mem);
	mbi_fill_mmap(mbi, area + (MB_MMAP_ADDR - MB_INFO_ADDR), mem);
	memcpy(area + (MB_NAME_ADDR - MB_INFO_ADDR), "Vessel", sizeof("Vessel"));
	boot_put32(mbi + MBI_LOADER_NAME, (uint32_t)MB_NAME_ADDR);
	/* Length was checked by the caller; the area is zeroed, so the NUL is there. */
	memcpy(area + (MB_CMDLINE_ADDR - MB_INFO_ADDR), cmdline, strlen(cmdline));
	boot_put32(mbi + MBI_CMDLINE, (uint32_t)MB_CMDLINE_ADDR);
	err = vm_memory_write(mem, MB_INFO_ADDR, area, len);
	free(area);
	if (err < 0)
		vmm_warn("multiboot: no RAM for the boot information at %#llx", MB_INFO_ADDR);
	return err;
}

static void mb_set_regs(struct vm_boot *boot, uint64_t entry)
{
	/*
	 * §3.2 machine state: EAX magic, EBX info address, interrupts off; paging off and the
	 * flat segments come from vm_boot_setup_sregs(). A20 is always enabled under KVM.
	 */
	boot->mode = VM_BOOT_PROTECTED32;
	memset(&boot->regs, 0, sizeof(boot->regs));
	boot->regs.rax = MB_BOOTLOADER_MAGIC;
	boot->regs.rbx = MB_INFO_ADDR;
	boot->regs.rip = entry;
	boot->regs.rsp = MB_STACK_TOP;	/* undefined by §3.2; valid RAM for sloppy guests */
	boot->regs.rflags = 0x2;
	boot->cr3 = 0;
}

int boot_multiboot_load(struct vm *vm, struct vm_boot *boot)
{
	const struct vm_memory *mem = &vm->mem;
	const char *cmdline = vm->cfg.cmdline ? vm->cfg.cmdline : "";
	struct mb_image im = { .path = vm->cfg.multiboot };
	struct boot_file f;
	int err;

	if (strlen(cmdline) >= MB_AREA_END - MB_CMDLINE_ADDR) {
		vmm_warn("multiboot: command line is %zu bytes, at most %llu fit", strlen(cmdline),
			 MB_AREA_END - MB_CMDLINE_ADDR - 1);
		return -E2BIG;
	}
	err = boot_read_file("multiboot image", im.path, boot_ram_total(mem), &f);
	if (err < 0)
		return err;
	im.data = f.data;
	im.size = f.size;
	/* Everything is checked before the first byte goes into guest RAM. */
	err = mb_parse(mem, &im);
	if (!err)
		err = mb_load_segments(mem, &im);
	if (!err)
		err = mb_write_info(mem, cmdline);
	if (!err)
		err = boot_write_gdt(mem, boot, false);
	if (!err)
		mb_set_regs(boot, im.entry);
	boot_file_free(&f);
	return err;
}
