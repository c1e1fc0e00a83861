/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Direct boot without firmware: Linux boot protocol and multiboot v1. */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stdint.h>
#include <linux/kvm.h>

struct vm;

enum vm_boot_mode {
	VM_BOOT_PROTECTED32,	/* flat 32-bit protected mode, paging off (multiboot) */
	VM_BOOT_LONG64,		/* 64-bit long mode, identity-mapped (Linux 64-bit entry) */
};

/*
 * What a loader leaves for the boot vCPU. The loader has already written the image, its
 * tables (GDT, page tables, zero page or multiboot info) into guest RAM; vcpu.c applies
 * regs as they are and builds sregs with vm_boot_setup_sregs(). On a guest reset the
 * loader runs again, so the image is fresh even if the guest overwrote it.
 */
struct vm_boot {
	enum vm_boot_mode mode;
	struct kvm_regs regs;	/* rip, rsp, rsi/rbx/rax as the protocol wants; rflags 0x2 */
	uint64_t gdt_base;	/* a GDT in guest RAM: 0 null, 0x08 unused, 0x10 code, 0x18 data */
	uint16_t gdt_limit;
	uint64_t cr3;		/* VM_BOOT_LONG64 only */
};

/* Load cfg->multiboot or cfg->kernel (with initrd/cmdline); 0 or -errno with a message. */
int vm_boot_load(struct vm *vm, struct vm_boot *boot);
int boot_multiboot_load(struct vm *vm, struct vm_boot *boot);
int boot_linux_load(struct vm *vm, struct vm_boot *boot);

/* Segments, CR0/CR3/CR4/EFER and the GDT register for boot->mode. */
void vm_boot_setup_sregs(const struct vm_boot *boot, struct kvm_sregs *sregs);

#endif
