/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vCPU threads: KVM_RUN, exit dispatch to the buses, kicks, pause parking, fault reports. */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <linux/kvm.h>

#include "vm.h"

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	bool stop;			/* atomic: leave the run loop */
	bool exited;			/* atomic: the thread has left its loop */
	uint64_t exits[VM_EXITK_MAX];	/* this thread's counters, summed at the end */
	/* Power-on state captured after creation, restored on reset. */
	struct kvm_regs reset_regs;
	struct kvm_sregs reset_sregs;
	struct kvm_fpu reset_fpu;
	struct kvm_lapic_state reset_lapic;
	struct kvm_mp_state reset_mp;
};

int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned index);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Make the thread leave KVM_RUN soon and look at the VM's run control. */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
/* Power-on state (vCPUs paused): registers, FPU, LAPIC and MP state as at creation. */
int vcpu_reset(struct vcpu *vcpu);
void vcpu_dump(struct vcpu *vcpu, FILE *out);

/* CPUID for this vCPU (cpuid.c): host-supported leaves, topology, KVM PV leaves. */
int vcpu_setup_cpuid(struct vm *vm, struct vcpu *vcpu);

#endif
