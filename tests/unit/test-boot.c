// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit test for direct boot: multiboot v1 (ELF32, a.out kludge) and the Linux 64-bit entry. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "memory.h"
#include "vm.h"
#include "tap.h"

#define MiB (1ull << 20)

static char tmpdir[64];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const char *tmpfile_path(const char *name)
{
	static char path[4][128];
	static unsigned next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static const char *write_file(const char *name, const void *buf, size_t len)
{
	const char *path = tmpfile_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

/* A sparse file of `len` bytes whose start is `head`. */
static const char *write_sparse(const char *name, const void *head, size_t hlen, uint64_t len)
{
	const char *path = write_file(name, head, hlen);

	if (truncate(path, (off_t)len) < 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static void vm_setup(struct vm *vm, uint64_t ram)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg.ram_size = ram;
	vm->cfg.cpus = 1;
	if (vm_memory_init(&vm->mem, ram) < 0) {
		fprintf(stderr, "vm_memory_init(%llu) failed\n", (unsigned long long)ram);
		exit(2);
	}
}

static bool ram_all_zero(const struct vm_memory *mem)
{
	static const uint8_t zero[4096];

	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vm_mem_region *r = &mem->regions[i];

		for (uint64_t off = 0; off < r->size; off += sizeof(zero)) {
			uint64_t n = r->size - off < sizeof(zero) ? r->size - off : sizeof(zero);

			if (memcmp(r->hva + off, zero, n))
				return false;
		}
	}
	return true;
}

static void ram_fill(const struct vm_memory *mem, uint64_t gpa, int byte, uint64_t len)
{
	memset(vm_memory_ptr(mem, gpa, len), byte, len);
}

static bool ram_is(const struct vm_memory *mem, uint64_t gpa, int byte, uint64_t len)
{
	const uint8_t *p = vm_memory_ptr(mem, gpa, len);

	for (uint64_t i = 0; p && i < len; i++)
		if (p[i] != byte)
			return false;
	return p != NULL;
}

static uint64_t rd32(const struct vm_memory *mem, uint64_t gpa)
{
	uint8_t b[4] = { 0 };

	vm_memory_read(mem, gpa, b, 4);
	return get32(b);
}

static uint64_t rd64(const struct vm_memory *mem, uint64_t gpa)
{
	uint8_t b[8] = { 0 };

	vm_memory_read(mem, gpa, b, 8);
	return get64(b);
}

/* Expected mem_lower/mem_upper from the e820 map (§3.3), computed the plain way. */
static void e820_lower_upper(const struct vm_memory *mem, uint32_t *lower, uint32_t *upper)
{
	struct e820_entry e[32];
	unsigned n = vm_memory_e820(mem, e, 32);
	uint64_t low = 0, high = MiB;

	for (unsigned i = 0; i < n && i < 32; i++) {
		if (e[i].type == E820_RAM && e[i].addr == 0)
			low = e[i].size < 0xa0000 ? e[i].size : 0xa0000;
		if (e[i].type == E820_RAM && e[i].addr == MiB)
			high = MiB + e[i].size;
	}
	*lower = (uint32_t)(low / 1024);
	*upper = (uint32_t)((high - MiB) / 1024);
}

/* ---- multiboot images ---- */

#define MB_IMG_SIZE	0x1300
#define MB_TEXT_OFF	0x1000
#define MB_DATA_OFF	0x1200
#define MB_PH(i)	(0x40 + (i) * 32)

static void mb_header(uint8_t *p, uint32_t flags)
{
	put32(p, 0x1badb002);
	put32(p + 4, flags);
	put32(p + 8, (uint32_t)-(0x1badb002u + flags));
}

static void elf_phdr(uint8_t *img, int i, uint32_t type, uint32_t off, uint32_t paddr,
		     uint32_t filesz, uint32_t memsz)
{
	Elf32_Phdr ph = {
		.p_type = type, .p_offset = off, .p_vaddr = paddr, .p_paddr = paddr,
		.p_filesz = filesz, .p_memsz = memsz, .p_flags = PF_R | PF_W | PF_X,
		.p_align = 0x1000,
	};

	memcpy(img + MB_PH(i), &ph, sizeof(ph));
}

/* Two PT_LOADs (text at 1 MiB, data+bss at 2 MiB) and a PT_NOTE that must be ignored. */
static void mb_std_elf(uint8_t *img)
{
	Elf32_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = 0x100010, .e_phoff = MB_PH(0), .e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 3,
	};

	memset(img, 0, MB_IMG_SIZE);
	memcpy(img, &eh, sizeof(eh));
	elf_phdr(img, 0, PT_LOAD, MB_TEXT_OFF, 0x100000, 0x200, 0x200);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x200000, 0x100, 0x3000);
	elf_phdr(img, 2, PT_NOTE, 0, 0, 0x10, 0x10);
	for (unsigned i = MB_TEXT_OFF; i < MB_IMG_SIZE; i++)
		img[i] = (uint8_t)(i * 7 + 1 + (i >> 8) * 3);
	mb_header(img + MB_TEXT_OFF + 4, 0x3);	/* 4-byte aligned, not at the very start */
}

static int mb_load(struct vm *vm, struct vm_boot *boot, const uint8_t *img, size_t len,
		   const char *cmdline)
{
	vm->cfg.multiboot = write_file("mb.elf", img, len);
	vm->cfg.cmdline = cmdline;
	memset(boot, 0x5a, sizeof(*boot));
	return boot_multiboot_load(vm, boot);
}

static void check_gdt(const struct vm_memory *mem, const struct vm_boot *boot, bool long64)
{
	is_int(boot->gdt_limit, 31, "GDT limit covers 4 descriptors");
	is_int(rd64(mem, boot->gdt_base), 0, "GDT null descriptor");
	is_int(rd64(mem, boot->gdt_base + 0x10),
	       long64 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull,
	       "GDT 0x10: flat %s code", long64 ? "64-bit" : "32-bit");
	is_int(rd64(mem, boot->gdt_base + 0x18), 0x00cf93000000ffffull, "GDT 0x18: flat data");
}

static void check_mbi(const struct vm_memory *mem, uint64_t mbi, const char *cmdline)
{
	struct e820_entry e[32];
	unsigned n = vm_memory_e820(mem, e, 32);
	uint32_t flags = (uint32_t)rd32(mem, mbi), lower, upper;
	char buf[128] = { 0 };
	bool mmap_ok = true;
	uint64_t mm;

	is_int(flags, (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9), "MBI flags mem/cmdline/mmap/name");
	e820_lower_upper(mem, &lower, &upper);
	is_int(rd32(mem, mbi + 4), lower, "mem_lower from e820 (KiB)");
	is_int(rd32(mem, mbi + 8), upper, "mem_upper from e820 (KiB)");
	ok(lower >= 512 && lower <= 640, "mem_lower plausible (%u)", lower);
	vm_memory_read(mem, rd32(mem, mbi + 16), buf, sizeof(buf) - 1);
	ok(!strcmp(buf, cmdline), "cmdline string is \"%s\"", buf);
	vm_memory_read(mem, rd32(mem, mbi + 64), buf, sizeof(buf) - 1);
	ok(!strcmp(buf, "Vessel"), "boot_loader_name is \"%s\"", buf);
	is_int(rd32(mem, mbi + 44), n * 24, "mmap_length = %u entries of 24 bytes", n);
	mm = rd32(mem, mbi + 48);
	for (unsigned i = 0; i < n; i++, mm += 24) {
		mmap_ok &= rd32(mem, mm) == 20 && rd64(mem, mm + 4) == e[i].addr &&
			   rd64(mem, mm + 12) == e[i].size && rd32(mem, mm + 20) == e[i].type;
	}
	ok(mmap_ok, "mmap entries match vm_memory_e820()");
}

static void test_mb_elf(void)
{
	uint8_t img[MB_IMG_SIZE];
	struct kvm_sregs sregs;
	struct vm_boot boot;
	struct vm vm;
	int ret;

	vm_setup(&vm, 32 * MiB);
	mb_std_elf(img);
	ram_fill(&vm.mem, 0x200000, 0xaa, 0x4000);	/* bss must be cleared, the rest kept */
	ret = mb_load(&vm, &boot, img, sizeof(img), "console=ttyS0 test=1");
	is_int(ret, 0, "multiboot ELF loads");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x100000, 0x200), img + MB_TEXT_OFF, 0x200),
	   "text segment at p_paddr 0x100000");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x200000, 0x100), img + MB_DATA_OFF, 0x100),
	   "data segment at p_paddr 0x200000");
	ok(ram_is(&vm.mem, 0x200100, 0, 0x3000 - 0x100), "bss zeroed");
	ok(ram_is(&vm.mem, 0x203000, 0xaa, 0x1000), "nothing written past the bss");
	ok(ram_is(&vm.mem, 0, 0, 0x400), "PT_NOTE at address 0 ignored");
	is_int(boot.mode, VM_BOOT_PROTECTED32, "32-bit protected mode");
	is_int(boot.regs.rax, 0x2badb002, "EAX = multiboot magic");
	is_int(boot.regs.rip, 0x100010, "EIP = e_entry");
	is_int(boot.regs.rflags, 0x2, "RFLAGS: interrupts off");
	ok(boot.regs.rbx >= 0x1000 && boot.regs.rbx < 0xa0000, "EBX = MBI in low RAM (%#llx)",
	   (unsigned long long)boot.regs.rbx);
	ok(boot.regs.rsp > 0x1000 && boot.regs.rsp <= 0x9fc00 && boot.regs.rsp % 16 == 0,
	   "ESP in low RAM, aligned (%#llx)", (unsigned long long)boot.regs.rsp);
	check_mbi(&vm.mem, boot.regs.rbx, "console=ttyS0 test=1");
	check_gdt(&vm.mem, &boot, false);

	memset(&sregs, 0, sizeof(sregs));
	sregs.apic_base = 0xfee00900;
	sregs.interrupt_bitmap[1] = 0x1234;
	sregs.cr0 = 0x60000010;
	vm_boot_setup_sregs(&boot, &sregs);
	is_int(sregs.cs.selector, 0x10, "CS = 0x10");
	ok(sregs.cs.base == 0 && sregs.cs.limit == 0xffffffff && sregs.cs.g && sregs.cs.present,
	   "CS flat 4 GiB");
	ok(sregs.cs.db == 1 && sregs.cs.l == 0 && sregs.cs.type == 0xb && sregs.cs.s,
	   "CS 32-bit code");
	ok(sregs.ds.selector == 0x18 && sregs.ss.selector == 0x18 && sregs.es.selector == 0x18 &&
	   sregs.fs.selector == 0x18 && sregs.gs.selector == 0x18, "data selectors 0x18");
	ok(sregs.ss.type == 0x3 && sregs.ss.db && sregs.ss.limit == 0xffffffff, "SS flat r/w");
	ok((sregs.cr0 & 1) && !(sregs.cr0 & 0x80000000u) && !(sregs.cr0 & 0x60000000u),
	   "CR0: PE, no paging, caches on");
	ok(sregs.efer == 0 && sregs.cr4 == 0, "EFER/CR4 clear");
	ok(sregs.gdt.base == boot.gdt_base && sregs.gdt.limit == boot.gdt_limit, "GDTR");
	ok(sregs.apic_base == 0xfee00900 && sregs.interrupt_bitmap[1] == 0x1234,
	   "apic_base and interrupt bitmap kept");

	/* A reset reloads the image even if the guest scribbled on it. */
	ram_fill(&vm.mem, 0x100000, 0xcc, 0x200);
	ram_fill(&vm.mem, 0x200100, 0xcc, 0x10);
	is_int(boot_multiboot_load(&vm, &boot), 0, "reload");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x100000, 0x200), img + MB_TEXT_OFF, 0x200) &&
	   ram_is(&vm.mem, 0x200100, 0, 0x10), "reload restores text and bss");
	vm_memory_destroy(&vm.mem);
}

/* RAM above 4 GiB shows up in the memory map; mem_upper stops at the PCI hole. */
static void test_mb_high_ram(void)
{
	uint8_t img[MB_IMG_SIZE];
	struct vm_boot boot;
	struct vm vm;
	uint32_t lower, upper;
	uint64_t mm, len;
	bool found = false;

	vm_setup(&vm, 4 * 1024 * MiB + 512 * MiB);
	mb_std_elf(img);
	is_int(mb_load(&vm, &boot, img, sizeof(img), NULL), 0, "loads with RAM above 4 GiB");
	check_mbi(&vm.mem, boot.regs.rbx, "");
	e820_lower_upper(&vm.mem, &lower, &upper);
	is_int(upper, (PC_PCI_HOLE_START - MiB) / 1024, "mem_upper ends at the PCI hole");
	mm = rd32(&vm.mem, boot.regs.rbx + 48);
	len = rd32(&vm.mem, boot.regs.rbx + 44);
	for (uint64_t off = 0; off < len; off += 24)
		found |= rd64(&vm.mem, mm + off + 4) == PC_4G &&
			 rd64(&vm.mem, mm + off + 12) == vm.mem.above_4g &&
			 rd32(&vm.mem, mm + off + 20) == 1;
	ok(found, "mmap lists the RAM above 4 GiB");
	vm_memory_destroy(&vm.mem);
}

static void test_mb_aout_kludge(void)
{
	uint8_t img[0x1000];
	struct vm_boot boot;
	struct vm vm;

	vm_setup(&vm, 32 * MiB);
	for (unsigned i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 13 + 5 + (i >> 8) * 3);
	/* File bytes from 0x20 load at 0x300000; the header sits 0x40 into the image. */
	mb_header(img + 0x60, 0x10003);
	put32(img + 0x60 + 12, 0x300040);	/* header_addr */
	put32(img + 0x60 + 16, 0x300000);	/* load_addr */
	put32(img + 0x60 + 20, 0x300800);	/* load_end_addr */
	put32(img + 0x60 + 24, 0x302000);	/* bss_end_addr */
	put32(img + 0x60 + 28, 0x300100);	/* entry_addr */
	ram_fill(&vm.mem, 0x300000, 0xaa, 0x3000);
	is_int(mb_load(&vm, &boot, img, sizeof(img), "k"), 0, "a.out kludge image loads");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x300000, 0x800), img + 0x20, 0x800),
	   "text+data from file offset 0x20 at load_addr");
	ok(ram_is(&vm.mem, 0x300800, 0, 0x1800), "bss up to bss_end_addr zeroed");
	ok(ram_is(&vm.mem, 0x302000, 0xaa, 0x1000), "nothing past bss_end_addr");
	is_int(boot.regs.rip, 0x300100, "EIP = entry_addr");
	is_int(boot.regs.rax, 0x2badb002, "EAX = magic");
	check_mbi(&vm.mem, boot.regs.rbx, "k");

	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
	put32(img + 0x60 + 20, 0);
	put32(img + 0x60 + 24, 0);
	ram_fill(&vm.mem, 0x300000, 0xaa, 0x3000);
	is_int(mb_load(&vm, &boot, img, sizeof(img), "k"), 0, "kludge with load_end 0 loads");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x300000, 0xfe0), img + 0x20, 0xfe0) &&
	   ram_is(&vm.mem, 0x300fe0, 0xaa, 0x20), "rest of file loaded, nothing more");

	/* header_addr below load_addr is inconsistent. */
	put32(img + 0x60 + 12, 0x2ffff0);
	is_int(mb_load(&vm, &boot, img, sizeof(img), "k"), -EINVAL, "bad header_addr refused");
	vm_memory_destroy(&vm.mem);
}

/* Every bad image: the right -errno and not one byte of guest RAM touched. */
static void mb_expect_fail(const uint8_t *img, size_t len, int want, const char *what)
{
	struct vm_boot boot;
	struct vm vm;

	vm_setup(&vm, 32 * MiB);
	is_int(mb_load(&vm, &boot, img, len, "x"), want, "%s refused", what);
	ok(ram_all_zero(&vm.mem), "%s: guest RAM untouched", what);
	vm_memory_destroy(&vm.mem);
}

static void test_mb_errors(void)
{
	uint8_t img[MB_IMG_SIZE];
	struct vm_boot boot;
	struct vm vm;

	mb_std_elf(img);
	put32(img + MB_TEXT_OFF + 12, get32(img + MB_TEXT_OFF + 12) + 1);
	mb_expect_fail(img, sizeof(img), -EBADMSG, "bad checksum");

	mb_std_elf(img);
	memset(img + MB_TEXT_OFF + 4, 0, 12);
	mb_expect_fail(img, sizeof(img), -ENOEXEC, "no multiboot header");

	mb_std_elf(img);	/* a header past 8 KiB does not count */
	memset(img + MB_TEXT_OFF + 4, 0, 12);
	{
		uint8_t big[0x2300];

		memset(big, 0, sizeof(big));
		memcpy(big, img, sizeof(img));
		mb_header(big + 0x2000, 0x3);
		mb_expect_fail(big, sizeof(big), -ENOEXEC, "header beyond 8192 bytes");
	}

	mb_std_elf(img);
	mb_header(img + MB_TEXT_OFF + 4, 0x3 | (1u << 3));
	mb_expect_fail(img, sizeof(img), -ENOTSUP, "unknown required flag");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x10000000, 0x100, 0x3000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment outside RAM");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x1ffff00, 0x100, 0x3000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "bss running past the end of RAM");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0xb8000, 0x100, 0x100);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment in the VGA hole");

	mb_std_elf(img);	/* RAM behind the BIOS area, but not for images */
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0xe0000, 0x100, 0x100);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment in the BIOS area 0xe0000");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0xff000, 0x100, 0x2000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment straddling 1 MiB from below");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x9f000, 0x100, 0x2000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "bss reaching into the VGA hole");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x8800, 0x100, 0x100);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment over the boot information");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x800, 0x100, 0x100);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment below 0x1000");

	mb_std_elf(img);	/* 32-bit wrap: 0xfffff000 + 0x2000 would be 0x1000 */
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0xfffff000, 0x100, 0x2000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "segment wrapping 4 GiB");

	mb_std_elf(img);
	mb_expect_fail(img, 0x1180, -ENOEXEC, "truncated file");

	mb_std_elf(img);	/* offset + filesz wraps 32 bits */
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x200000, 0xfffffff0, 0xfffffff0);
	mb_expect_fail(img, sizeof(img), -ENOEXEC, "huge p_filesz");

	mb_std_elf(img);
	elf_phdr(img, 1, PT_LOAD, MB_DATA_OFF, 0x200000, 0x100, 0x80);
	mb_expect_fail(img, sizeof(img), -EINVAL, "p_filesz > p_memsz");

	mb_std_elf(img);
	put16(img + offsetof(Elf32_Ehdr, e_phnum), 0xffff);
	mb_expect_fail(img, sizeof(img), -ENOEXEC, "program headers past end of file");

	mb_std_elf(img);
	put16(img + offsetof(Elf32_Ehdr, e_machine), EM_X86_64);
	mb_expect_fail(img, sizeof(img), -ENOEXEC, "not i386");

	mb_std_elf(img);
	put32(img + offsetof(Elf32_Ehdr, e_entry), 0xf0000000);
	mb_expect_fail(img, sizeof(img), -ERANGE, "entry outside RAM");

	vm_setup(&vm, 32 * MiB);
	{
		char *cmd = malloc(0x8000);

		memset(cmd, 'c', 0x7fff);
		cmd[0x7fff] = 0;
		mb_std_elf(img);
		is_int(mb_load(&vm, &boot, img, sizeof(img), cmd), -E2BIG,
		       "32 KiB multiboot command line refused");
		ok(ram_all_zero(&vm.mem), "long multiboot command line: guest RAM untouched");
		vm.cfg.cmdline = NULL;
		free(cmd);
	}
	vm.cfg.multiboot = tmpfile_path("does-not-exist");
	is_int(boot_multiboot_load(&vm, &boot), -ENOENT, "missing file: -ENOENT");
	vm_memory_destroy(&vm.mem);
}

/* ---- Linux bzImage ---- */

#define LX_SETUP	1024		/* setup_sects = 1 */
#define LX_KLEN		0x3000
#define LX_INIT_SIZE	(4 * MiB)

static void lx_std_image(uint8_t *img)
{
	memset(img, 0, LX_SETUP + LX_KLEN);
	img[0x1f1] = 1;				/* setup_sects */
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);
	put16(img + 0x20e, 0x1234);		/* kernel_version: must be copied */
	img[0x211] = 0x01;			/* LOADED_HIGH */
	put32(img + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(img + 0x230, 0x200000);		/* kernel_alignment */
	img[0x234] = 1;
	put16(img + 0x236, 0x3);		/* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put32(img + 0x238, 255);		/* cmdline_size */
	put32(img + 0x260, LX_INIT_SIZE);
	put32(img + 0x268, 0xdeadbeef);		/* kernel_info_offset: last copied field */
	img[0x270] = 0x77;			/* past the header's end: not copied */
	for (unsigned i = LX_SETUP; i < LX_SETUP + LX_KLEN; i++)
		img[i] = (uint8_t)(i * 11 + 3 + (i >> 9) * 5);
}

static int lx_load(struct vm *vm, struct vm_boot *boot, const uint8_t *img, size_t len,
		   const char *cmdline, const char *initrd)
{
	vm->cfg.kernel = write_file("bzImage", img, len);
	vm->cfg.cmdline = cmdline;
	vm->cfg.initrd = initrd;
	memset(boot, 0x5a, sizeof(*boot));
	return boot_linux_load(vm, boot);
}

/* Walk the guest's 4-level page tables; record every table page visited. */
static uint64_t walk(const struct vm_memory *mem, uint64_t cr3, uint64_t va,
		     uint64_t *tables, unsigned *ntables)
{
	uint64_t pml4e, pdpte, pde;

	tables[(*ntables)++] = cr3 & ~0xfffull;
	pml4e = rd64(mem, (cr3 & ~0xfffull) + ((va >> 39) & 511) * 8);
	if (!(pml4e & 1))
		return ~0ull;
	tables[(*ntables)++] = pml4e & 0xffffffffff000ull;
	pdpte = rd64(mem, (pml4e & 0xffffffffff000ull) + ((va >> 30) & 511) * 8);
	if (!(pdpte & 1) || (pdpte & 0x80))
		return ~0ull;
	tables[(*ntables)++] = pdpte & 0xffffffffff000ull;
	pde = rd64(mem, (pdpte & 0xffffffffff000ull) + ((va >> 21) & 511) * 8);
	if (!(pde & 1) || !(pde & 0x80) || !(pde & 2))
		return ~0ull;
	return (pde & 0xfffffffe00000ull) | (va & 0x1fffff);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void check_page_tables(const struct vm_memory *mem, const struct vm_boot *boot,
			      uint64_t zp, uint64_t cmdline, uint64_t initrd, uint64_t initrd_len)
{
	static const uint64_t va[] = {
		0, 0x7000, 0x100200, 0x1fffff, 0x200000, 0x3fffffff, 0x40000000, 0xbadc0de,
		0xdfffffff, 0xfee00000, 0xffffffff,
	};
	uint64_t tables[3 * 16];
	unsigned nt = 0;
	bool ident = true, apart = true;

	for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		uint64_t pa = walk(mem, boot->cr3, va[i], tables, &nt);

		if (pa != va[i])
			printf("#   %#llx -> %#llx\n", (unsigned long long)va[i],
			       (unsigned long long)pa);
		ident &= pa == va[i];
	}
	ok(ident, "page tables identity-map the first 4 GiB");
	for (unsigned i = 0; i < nt; i++) {
		apart &= tables[i] >= 0x1000 && vm_memory_is_ram(mem, tables[i], 4096);
		apart &= !overlaps(tables[i], 4096, zp, 4096);
		apart &= !overlaps(tables[i], 4096, cmdline, 256);
		apart &= !overlaps(tables[i], 4096, 0x100000, LX_INIT_SIZE);
		apart &= !overlaps(tables[i], 4096, initrd, initrd_len);
		apart &= !overlaps(tables[i], 4096, boot->gdt_base, 32);
	}
	ok(apart, "page tables in RAM, clear of zero page, cmdline, kernel, initrd, GDT");
}

static void check_zero_page_e820(const struct vm_memory *mem, uint64_t zp)
{
	struct e820_entry e[128];
	unsigned n = vm_memory_e820(mem, e, 128);
	uint8_t bp[4096];
	bool same = true;

	vm_memory_read(mem, zp, bp, sizeof(bp));
	is_int(bp[0x1e8], n, "e820_entries");
	for (unsigned i = 0; i < n; i++)
		same &= get64(bp + 0x2d0 + i * 20) == e[i].addr &&
			get64(bp + 0x2d0 + i * 20 + 8) == e[i].size &&
			get32(bp + 0x2d0 + i * 20 + 16) == e[i].type;
	ok(same, "e820_table matches vm_memory_e820()");
}

static void test_linux(void)
{
	static uint8_t img[LX_SETUP + LX_KLEN];
	uint8_t initrd[0x5123], bp[4096];
	const char *cmdline = "console=ttyS0 root=/dev/vda rw";
	struct kvm_sregs sregs;
	struct vm_boot boot;
	struct vm vm;
	uint64_t zp, rd, rd_len, ram_end;
	char buf[64] = { 0 };

	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ (i >> 8));
	vm_setup(&vm, 64 * MiB);
	ram_end = vm.mem.below_4g;
	lx_std_image(img);
	is_int(lx_load(&vm, &boot, img, sizeof(img), cmdline,
		       write_file("initrd", initrd, sizeof(initrd))), 0, "bzImage loads");
	is_int(boot.mode, VM_BOOT_LONG64, "long mode");
	is_int(boot.regs.rip, 0x100200, "RIP = 64-bit entry, 1 MiB + 0x200");
	is_int(boot.regs.rflags, 0x2, "RFLAGS: interrupts off");
	zp = boot.regs.rsi;
	ok(zp >= 0x1000 && zp + 4096 <= 0x9fc00 && zp % 4096 == 0, "RSI = zero page in low RAM");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x100000, LX_KLEN), img + LX_SETUP, LX_KLEN),
	   "protected-mode kernel at 1 MiB");

	vm_memory_read(&vm.mem, zp, bp, sizeof(bp));
	ok(!memcmp(bp + 0x202, "HdrS", 4) && get16(bp + 0x206) == 0x020f &&
	   get16(bp + 0x20e) == 0x1234, "setup header copied");
	is_int(get32(bp + 0x268), 0xdeadbeef, "header copied to its end (0x202 + byte 0x201)");
	is_int(bp[0x270], 0, "nothing copied past the header");
	is_int(bp[0x210], 0xff, "type_of_loader 0xff");
	is_int(bp[0x211] & 0x81, 0x81, "loadflags LOADED_HIGH | CAN_USE_HEAP");
	is_int(get16(bp + 0x1fa), 0xffff, "vid_mode normal");
	ok(get16(bp + 0x224) != 0, "heap_end_ptr set");
	is_int(get32(bp + 0x238), 255, "cmdline_size left as the kernel said");
	is_int(get32(bp + 0x0c8), 0, "ext_cmd_line_ptr 0");
	vm_memory_read(&vm.mem, get32(bp + 0x228), buf, sizeof(buf) - 1);
	ok(!strcmp(buf, cmdline), "cmd_line_ptr -> \"%s\"", buf);

	rd = get32(bp + 0x218);
	rd_len = get32(bp + 0x21c);
	is_int(rd_len, sizeof(initrd), "ramdisk_size");
	ok(rd % 4096 == 0, "initrd page aligned (%#llx)", (unsigned long long)rd);
	ok(rd >= 0x100000 + LX_INIT_SIZE, "initrd above the kernel's init_size");
	ok(rd + rd_len <= ram_end && rd + rd_len > ram_end - 4096, "initrd as high as possible");
	ok(!memcmp(vm_memory_ptr(&vm.mem, rd, rd_len), initrd, rd_len), "initrd contents");
	ok(get32(bp + 0x0c0) == 0 && get32(bp + 0x0c4) == 0, "ext_ramdisk_* 0 below 4 GiB");
	check_zero_page_e820(&vm.mem, zp);
	check_page_tables(&vm.mem, &boot, zp, get32(bp + 0x228), rd, rd_len);
	check_gdt(&vm.mem, &boot, true);

	memset(&sregs, 0, sizeof(sregs));
	sregs.apic_base = 0xfee00d00;
	vm_boot_setup_sregs(&boot, &sregs);
	ok(sregs.cs.selector == 0x10 && sregs.cs.l == 1 && sregs.cs.db == 0 &&
	   sregs.cs.type == 0xb && sregs.cs.present && sregs.cs.g, "CS 64-bit code, 0x10");
	ok(sregs.ds.selector == 0x18 && sregs.ss.selector == 0x18 && sregs.ds.l == 0 &&
	   sregs.ds.type == 0x3, "DS/SS data, 0x18");
	is_int(sregs.cr0 & 0x80000001u, 0x80000001u, "CR0.PE | PG");
	is_int(sregs.cr4 & 0x20, 0x20, "CR4.PAE");
	is_int(sregs.efer & 0x500, 0x500, "EFER.LME | LMA");
	is_int(sregs.cr3, boot.cr3, "CR3 = page tables");
	is_int(sregs.apic_base, 0xfee00d00, "apic_base kept");
	vm_memory_destroy(&vm.mem);
}

/* No initrd, empty command line, initrd_addr_max obeyed, longest command line accepted. */
static void test_linux_variants(void)
{
	static uint8_t img[LX_SETUP + LX_KLEN];
	uint8_t initrd[0x2000] = { 1 };
	char cmd[256];
	struct vm_boot boot;
	struct vm vm;
	uint64_t zp, rd;

	vm_setup(&vm, 64 * MiB);
	lx_std_image(img);
	is_int(lx_load(&vm, &boot, img, sizeof(img), NULL, NULL), 0, "no initrd, no cmdline");
	zp = boot.regs.rsi;
	ok(rd32(&vm.mem, zp + 0x218) == 0 && rd32(&vm.mem, zp + 0x21c) == 0, "no ramdisk fields");
	ok(rd32(&vm.mem, zp + 0x228) && ram_is(&vm.mem, rd32(&vm.mem, zp + 0x228), 0, 1),
	   "cmd_line_ptr -> empty string");

	put32(img + 0x22c, 0x00ffffff);
	is_int(lx_load(&vm, &boot, img, sizeof(img), NULL, write_file("rd", initrd,
		       sizeof(initrd))), 0, "initrd_addr_max 16 MiB");
	rd = rd32(&vm.mem, boot.regs.rsi + 0x218);
	ok(rd + sizeof(initrd) <= 0x1000000 && rd + sizeof(initrd) > 0x1000000 - 4096,
	   "initrd ends just below initrd_addr_max (%#llx)", (unsigned long long)rd);

	memset(cmd, 'a', 255);
	cmd[255] = 0;
	is_int(lx_load(&vm, &boot, img, sizeof(img), cmd, NULL), 0,
	       "command line of exactly cmdline_size accepted");

	img[0x1f1] = 0;	/* setup_sects 0 means 4: kernel at file offset 5 * 512 */
	is_int(lx_load(&vm, &boot, img, sizeof(img), NULL, NULL), 0, "setup_sects 0 loads");
	ok(!memcmp(vm_memory_ptr(&vm.mem, 0x100000, sizeof(img) - 2560), img + 2560,
		   sizeof(img) - 2560), "setup_sects 0 treated as 4");
	vm_memory_destroy(&vm.mem);
}

static void lx_expect_fail(const uint8_t *img, size_t len, const char *cmdline,
			   const char *initrd, uint64_t ram, int want, const char *what)
{
	struct vm_boot boot;
	struct vm vm;

	vm_setup(&vm, ram);
	is_int(lx_load(&vm, &boot, img, len, cmdline, initrd), want, "%s refused", what);
	ok(ram_all_zero(&vm.mem), "%s: guest RAM untouched", what);
	vm_memory_destroy(&vm.mem);
}

static void test_linux_errors(void)
{
	static uint8_t img[LX_SETUP + LX_KLEN];
	char cmd[257];
	const char *path;
	struct vm_boot boot;
	struct vm vm;

	lx_std_image(img);
	put16(img + 0x206, 0x0204);
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -EPROTONOSUPPORT,
		       "boot protocol 2.04");

	lx_std_image(img);
	memcpy(img + 0x202, "HdrX", 4);
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -ENOEXEC, "missing HdrS");

	lx_std_image(img);
	put16(img + 0x236, 0x2);
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -ENOTSUP, "no XLF_KERNEL_64");

	lx_std_image(img);
	put16(img + 0x206, 0x020a);
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -ENOTSUP,
		       "protocol 2.10 (no xloadflags)");

	lx_std_image(img);
	img[0x211] = 0;
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -ENOTSUP, "zImage");

	lx_std_image(img);
	memset(cmd, 'b', 256);
	cmd[256] = 0;
	lx_expect_fail(img, sizeof(img), cmd, NULL, 32 * MiB, -E2BIG,
		       "command line longer than cmdline_size");

	lx_std_image(img);	/* the kernel allows anything; our 384 KiB area does not */
	put32(img + 0x238, 0xffffffff);
	{
		char *big = malloc(0x60001);

		memset(big, 'd', 0x60000);
		big[0x60000] = 0;
		lx_expect_fail(img, sizeof(img), big, NULL, 32 * MiB, -E2BIG,
			       "command line larger than the loader's area");
		free(big);
	}

	lx_std_image(img);
	lx_expect_fail(img, LX_SETUP, NULL, NULL, 32 * MiB, -ENOEXEC, "no kernel after setup");
	lx_expect_fail(img, 0x200, NULL, NULL, 32 * MiB, -ENOEXEC, "truncated header");

	/* 32 MiB RAM, kernel up to 5 MiB: a 28 MiB initrd cannot fit. */
	path = write_sparse("big-initrd", "x", 1, 28 * MiB);
	lx_expect_fail(img, sizeof(img), NULL, path, 32 * MiB, -ENOSPC, "initrd too big");

	put32(img + 0x22c, 0x4fffff);	/* initrd_addr_max inside the kernel's area */
	lx_expect_fail(img, sizeof(img), NULL, write_file("small-initrd", "abc", 3), 32 * MiB,
		       -ENOSPC, "initrd_addr_max below the kernel's end");

	lx_std_image(img);
	put32(img + 0x260, 40 * MiB);	/* init_size beyond RAM */
	lx_expect_fail(img, sizeof(img), NULL, NULL, 32 * MiB, -ENOMEM,
		       "kernel init_size larger than RAM");

	lx_std_image(img);
	path = write_sparse("huge-bzImage", img, sizeof(img), 40 * MiB);
	vm_setup(&vm, 32 * MiB);
	vm.cfg.kernel = path;
	is_int(boot_linux_load(&vm, &boot), -EFBIG, "kernel file larger than RAM refused");
	ok(ram_all_zero(&vm.mem), "kernel larger than RAM: guest RAM untouched");
	vm_memory_destroy(&vm.mem);

	vm_setup(&vm, 32 * MiB);
	vm.cfg.kernel = write_file("k", img, sizeof(img));
	vm.cfg.initrd = tmpfile_path("no-such-initrd");
	is_int(boot_linux_load(&vm, &boot), -ENOENT, "missing initrd: -ENOENT");
	ok(ram_all_zero(&vm.mem), "missing initrd: guest RAM untouched");
	vm_memory_destroy(&vm.mem);
}

static void test_dispatch(void)
{
	static uint8_t lx[LX_SETUP + LX_KLEN];
	uint8_t mb[MB_IMG_SIZE];
	struct vm_boot boot;
	struct vm vm;

	lx_std_image(lx);
	mb_std_elf(mb);
	vm_setup(&vm, 32 * MiB);
	is_int(vm_boot_load(&vm, &boot), -EINVAL, "nothing to boot: -EINVAL");
	vm.cfg.kernel = write_file("d-bz", lx, sizeof(lx));
	vm.cfg.multiboot = write_file("d-mb", mb, sizeof(mb));
	is_int(vm_boot_load(&vm, &boot), -EINVAL, "kernel and multiboot together: -EINVAL");
	vm.cfg.kernel = NULL;
	vm.cfg.initrd = vm.cfg.multiboot;
	is_int(vm_boot_load(&vm, &boot), -EINVAL, "initrd with multiboot: -EINVAL");
	ok(ram_all_zero(&vm.mem), "refused dispatches write nothing");
	vm.cfg.initrd = NULL;
	is_int(vm_boot_load(&vm, &boot), 0, "multiboot via vm_boot_load");
	is_int(boot.mode, VM_BOOT_PROTECTED32, "  -> 32-bit mode");
	vm.cfg.multiboot = NULL;
	vm.cfg.kernel = tmpfile_path("d-bz");
	is_int(vm_boot_load(&vm, &boot), 0, "Linux via vm_boot_load");
	is_int(boot.mode, VM_BOOT_LONG64, "  -> long mode");
	vm_memory_destroy(&vm.mem);
}

static void cleanup(void)
{
	static const char *const names[] = {
		"mb.elf", "bzImage", "initrd", "rd", "big-initrd", "small-initrd",
		"huge-bzImage", "k", "d-bz", "d-mb",
	};

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmpfile_path(names[i]));
	rmdir(tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-boot-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_mb_elf();
	test_mb_high_ram();
	test_mb_aout_kludge();
	test_mb_errors();
	test_linux();
	test_linux_variants();
	test_linux_errors();
	test_dispatch();
	cleanup();
	return tap_done();
}
