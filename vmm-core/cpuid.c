// SPDX-License-Identifier: GPL-2.0-or-later
/* CPUID for vCPUs: what KVM supports, with our topology and the KVM paravirt leaves. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"

#define CPUID_MAX_ENTRIES 256

/* KVM paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst). */
#define KVM_CPUID_SIGNATURE	0x40000000u
#define KVM_CPUID_FEATURES	0x40000001u

static struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Topology: every vCPU is one core (one thread each) of a single package, so guests see an
 * ordinary multi-core CPU. APIC ID = vCPU index.
 * Intel SDM Vol. 2A, CPUID leaf 01H (EBX[31:24] initial APIC ID, EBX[23:16] logical
 * processors per package with EDX.HTT), leaf 0BH/1FH (x2APIC topology).
 */
static void cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned index, unsigned ncpus)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffffu) | (index << 24) | ((ncpus & 0xff) << 16);
		e->edx |= 1u << 28;			/* HTT: EBX[23:16] valid */
		e->ecx |= 1u << 31;			/* running under a hypervisor */
		break;
	case 0xb:
	case 0x1f:
		e->edx = index;				/* x2APIC ID */
		if (e->index == 0) {			/* SMT level: 1 thread */
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1u << 8) | 0;
		} else if (e->index == 1) {		/* core level */
			unsigned shift = 0;

			while ((1u << shift) < ncpus)
				shift++;
			e->eax = shift;
			e->ebx = ncpus;
			e->ecx = (2u << 8) | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	case KVM_CPUID_SIGNATURE:
		e->eax = KVM_CPUID_FEATURES;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
		break;
	default:
		break;
	}
}

int vcpu_setup_cpuid(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_cpuid2 *c = cpuid_supported(vm->kvm_fd);
	int ret = 0;

	if (!c)
		return -errno ? -errno : -ENOMEM;
	for (unsigned i = 0; i < c->nent; i++) {
		/* Leaf 4 describes caches and cores per package: EAX[31:26] = cores - 1. */
		if (c->entries[i].function == 4) {
			c->entries[i].eax &= 0x03ffffffu;
			c->entries[i].eax |= ((vm->ncpus - 1) & 0x3f) << 26;
		}
		cpuid_patch(&c->entries[i], vcpu->index, vm->ncpus);
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}
