// SPDX-License-Identifier: GPL-2.0-or-later
/* Coalesced MMIO: guest writes KVM queues in a ring instead of exiting, replayed on the bus. */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "vcpu.h"
#include "vm.h"

/*
 * KVM API "KVM_REGISTER_COALESCED_MMIO": writes into a registered zone are appended to a
 * ring in the page at KVM_CAP_COALESCED_MMIO's page offset of every vCPU's kvm_run mapping
 * (one ring per VM) and the guest runs on; reads still exit. The ring is replayed in order
 * before any exit is handled, before a vCPU parks and before a device's state is looked
 * at from outside (the display), so a device never sees a later access before an earlier
 * write. When the ring is full KVM exits with the write as an ordinary MMIO exit, after
 * the ring's entries, so nothing is lost. Used for the VGA window: SeaVGABIOS clears text
 * memory with 16,384 word writes at every mode set, each a user-space exit otherwise.
 */

static unsigned ring_entries(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return (unsigned)(((page > 0 ? (size_t)page : 4096u) -
			   sizeof(struct kvm_coalesced_mmio_ring)) /
			  sizeof(struct kvm_coalesced_mmio));
}

static int coalesced_ring_setup(struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	int off;

	if (vm->coalesced_ring)
		return 0;
	off = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 || !vm->ncpus || page <= 0)
		return -EOPNOTSUPP;
	if ((long)(off + 1) * page > vm->run_size)
		return -EOPNOTSUPP;
	vm->coalesced_max = ring_entries();
	__atomic_store_n(&vm->coalesced_ring,
			 (struct kvm_coalesced_mmio_ring *)((char *)vm->vcpus[0].run + off * page),
			 __ATOMIC_RELEASE);
	return 0;
}

int vm_coalesce_mmio(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = gpa, .size = (uint32_t)size };
	int ret;

	if (!size || size > UINT32_MAX)
		return -EINVAL;
	pthread_mutex_lock(&vm->coalesced_lock);
	ret = coalesced_ring_setup(vm);
	if (!ret && ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		ret = -errno;
	pthread_mutex_unlock(&vm->coalesced_lock);
	return ret;
}

void vm_coalesced_flush(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = __atomic_load_n(&vm->coalesced_ring,
							       __ATOMIC_ACQUIRE);
	uint32_t first;

	if (!ring || __atomic_load_n(&ring->first, __ATOMIC_RELAXED) ==
		     __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	while (first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[first % vm->coalesced_max];
		unsigned len = e->len <= 8 ? e->len : 8;

		vmm_bus_write(&vm->mmio, e->phys_addr, e->data, len);
		first = (first + 1) % vm->coalesced_max;
		/* Publishes the slot back to KVM only once its data has been used. */
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}
