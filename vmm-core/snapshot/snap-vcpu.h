/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVM's share of a snapshot: each vCPU's state and the VM-wide PIT, clock and irqchips. */
#ifndef VMM_SNAP_VCPU_H
#define VMM_SNAP_VCPU_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct vm;
struct vcpu;

#define SNAP_VCPU_VERSION	1
#define SNAP_KVM_VM_VERSION	1
#define SNAP_MAX_MSRS		4096
#define SNAP_MAX_CPUID		256
#define SNAP_MAX_XSAVE		(1u << 20)

/*
 * One vCPU, in the order of platform-facts §7. The fixed part is followed by xsave_size bytes
 * of KVM_GET_XSAVE2 data, ncpuid struct kvm_cpuid_entry2 and nmsrs struct kvm_msr_entry.
 */
struct snap_vcpu_state {
	uint32_t version;
	uint32_t index;
	uint32_t tsc_khz;
	uint32_t xsave_size;
	uint32_t ncpuid;
	uint32_t nmsrs;
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
};

struct snap_kvm_vm_state {
	uint32_t version;
	uint32_t reserved;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct kvm_irqchip pic_master, pic_slave, ioapic;
};

/* Save one paused vCPU into a malloc'd blob; 0 or -errno (err says which ioctl failed). */
int snap_vcpu_save(struct vcpu *vcpu, void **blob, size_t *len, char *err, size_t errlen);
/* Validate the blob, then restore; 0 or -errno with a message. */
int snap_vcpu_load(struct vcpu *vcpu, const void *blob, size_t len, char *err, size_t errlen);

int snap_kvm_vm_save(struct vm *vm, struct snap_kvm_vm_state *st, char *err, size_t errlen);
int snap_kvm_vm_load(struct vm *vm, const void *blob, size_t len, char *err, size_t errlen);

#endif
