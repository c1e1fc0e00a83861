// SPDX-License-Identifier: GPL-2.0-or-later
/* Direct boot: choosing a loader, the boot vCPU's segment state, and the loaders' helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot-private.h"
#include "vm.h"

#define E820_SCAN_MAX	128

int vm_boot_load(struct vm *vm, struct vm_boot *boot)
{
	memset(boot, 0, sizeof(*boot));
	if (vm->cfg.multiboot && vm->cfg.kernel) {
		vmm_warn("boot: give either a multiboot image or a Linux kernel, not both");
		return -EINVAL;
	}
	if (vm->cfg.multiboot) {
		/* Multiboot 0.6.96 §3.3 passes modules, not a Linux initrd; we load none. */
		if (vm->cfg.initrd) {
			vmm_warn("boot: an initrd cannot be passed to a multiboot image");
			return -EINVAL;
		}
		return boot_multiboot_load(vm, boot);
	}
	if (vm->cfg.kernel)
		return boot_linux_load(vm, boot);
	vmm_warn("boot: no kernel or multiboot image to load");
	return -EINVAL;
}

/*
 * A flat segment as the loaded GDT describes it (Intel SDM vol. 3, §3.4.5): base 0,
 * limit 4 GiB with 4 KiB granularity, present, DPL 0, accessed bit already set.
 */
static void flat_segment(struct kvm_segment *seg, uint16_t sel, bool code, bool long64)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->selector = sel;
	seg->type = code ? 0xb : 0x3;	/* execute/read, or read/write; accessed */
	seg->present = 1;
	seg->s = 1;
	seg->g = 1;
	seg->l = code && long64;
	seg->db = !(code && long64);	/* SDM §5.2.1: a 64-bit code segment has D = 0 */
}

void vm_boot_setup_sregs(const struct vm_boot *boot, struct kvm_sregs *sregs)
{
	bool long64 = boot->mode == VM_BOOT_LONG64;

	flat_segment(&sregs->cs, BOOT_SEL_CODE, true, long64);
	flat_segment(&sregs->ds, BOOT_SEL_DATA, false, long64);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;

	/* VM entry needs a usable busy TSS and an LDT descriptor even if nothing uses them. */
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.limit = 0xffff;
	sregs->tr.type = 0xb;
	sregs->tr.present = 1;
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.limit = 0xffff;
	sregs->ldt.type = 0x2;
	sregs->ldt.present = 1;

	sregs->gdt.base = boot->gdt_base;
	sregs->gdt.limit = boot->gdt_limit;

	/* CR0.ET is hard-wired to 1 on modern CPUs; clearing CD/NW turns caching on. */
	sregs->cr0 = 0x1 | 0x10;			/* PE | ET */
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	if (long64) {
		sregs->cr0 |= 0x80000000u;		/* PG */
		sregs->cr3 = boot->cr3;
		sregs->cr4 = 0x20;			/* PAE */
		sregs->efer = 0x100 | 0x400;		/* LME | LMA */
	}
}

static int read_all(int fd, uint8_t *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the file shrank under us */
		done += (size_t)n;
	}
	return 0;
}

int boot_read_file(const char *what, const char *path, uint64_t max, struct boot_file *f)
{
	struct stat st;
	int fd, err;

	f->data = NULL;
	f->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		vmm_warn("%s %s: %s", what, path, strerror(-err));
		return err;
	}
	err = -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		vmm_warn("%s %s: not a regular file", what, path);
		goto out_close;
	}
	err = -EFBIG;
	if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX) {
		vmm_warn("%s %s is %llu bytes, larger than the guest's %llu bytes of RAM",
			 what, path, (unsigned long long)st.st_size, (unsigned long long)max);
		goto out_close;
	}
	err = -ENOMEM;
	f->size = (size_t)st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data)
		goto out_close;
	err = read_all(fd, f->data, f->size);
	if (err < 0) {
		vmm_warn("%s %s: read failed: %s", what, path, strerror(-err));
		boot_file_free(f);
	}
out_close:
	close(fd);
	return err;
}

void boot_file_free(struct boot_file *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}

uint64_t boot_ram_total(const struct vm_memory *mem)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < mem->nregions && i < VM_MAX_MEM_REGIONS; i++)
		total += mem->regions[i].size;
	return total;
}

/* Grow `end` over the e820 RAM entry that contains it, if any. */
static bool extend_over(const struct e820_entry *e, unsigned n, uint64_t *end)
{
	for (unsigned i = 0; i < n; i++) {
		if (e[i].type != E820_RAM)
			continue;
		if (e[i].addr <= *end && *end - e[i].addr < e[i].size) {
			*end = e[i].addr + e[i].size;
			return true;
		}
	}
	return false;
}

uint64_t boot_ram_end_from(const struct vm_memory *mem, uint64_t addr)
{
	struct e820_entry e[E820_SCAN_MAX];
	unsigned n = vm_memory_e820(mem, e, E820_SCAN_MAX);
	uint64_t end = addr;

	if (n > E820_SCAN_MAX)
		n = E820_SCAN_MAX;
	/* Adjacent RAM entries join; each pass moves past one, so n passes suffice. */
	for (unsigned pass = 0; pass < n && extend_over(e, n, &end); pass++)
		;
	return end;
}

int boot_zero(const struct vm_memory *mem, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[4096];

	while (len) {
		uint64_t chunk = len < sizeof(zeros) ? len : sizeof(zeros);
		int err = vm_memory_write(mem, gpa, zeros, chunk);

		if (err < 0)
			return err;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

/* A segment descriptor (Intel SDM vol. 3, §3.4.5, figure 3-8). */
static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) |
	       (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 |
	       (uint64_t)(base >> 24) << 56;
}

int boot_write_gdt(const struct vm_memory *mem, struct vm_boot *boot, bool long64)
{
	uint8_t gdt[BOOT_GDT_ENTRIES * 8];
	/* access 0x9b: present, DPL 0, code, execute/read, accessed; 0x93: data, read/write. */
	uint8_t code_flags = long64 ? 0xa : 0xc;	/* G | L, or G | D/B */
	int err;

	memset(gdt, 0, sizeof(gdt));
	boot_put64(gdt + BOOT_SEL_CODE, gdt_entry(0, 0xfffff, 0x9b, code_flags));
	boot_put64(gdt + BOOT_SEL_DATA, gdt_entry(0, 0xfffff, 0x93, 0xc));
	err = vm_memory_write(mem, BOOT_GDT_ADDR, gdt, sizeof(gdt));
	if (err < 0) {
		vmm_warn("boot: no RAM for the GDT at %#llx", BOOT_GDT_ADDR);
		return err;
	}
	boot->gdt_base = BOOT_GDT_ADDR;
	boot->gdt_limit = sizeof(gdt) - 1;
	return 0;
}
