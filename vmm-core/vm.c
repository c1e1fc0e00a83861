// SPDX-License-Identifier: GPL-2.0-or-later
/* VM lifecycle: /dev/kvm, memory slots, irqchip and GSI routing, devices, run control. */
#include "vm.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "boot.h"
#include "pam.h"
#include "snap-ram.h"
#include "vcpu.h"
#include "command-private.h"
#include "vm-devices.h"

#define KVM_API_EXPECTED 12

static int kvm_open(struct vm *vm)
{
	int v;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = errno;

		vmm_warn("cannot open /dev/kvm: %s. %s Run 'vesselctl check' to find out why and "
			 "how to fix it.", strerror(err),
			 err == ENOENT ? "KVM is not available on this host (module not loaded, "
			 "or virtualization switched off in the firmware)." :
			 err == EACCES ? "This user may not use KVM." : "");
		return -err;
	}
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_EXPECTED) {
		vmm_warn("/dev/kvm speaks API version %d, Vessel needs %d. Run 'vesselctl check'.",
			 v, KVM_API_EXPECTED);
		return -ENOTSUP;
	}
	return 0;
}

static bool kvm_has(struct vm *vm, long cap)
{
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

static int kvm_check_caps(struct vm *vm)
{
	static const struct { long cap; const char *name; } need[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "identity map address" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_EXT_CPUID, "CPUID2" },
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!kvm_has(vm, need[i].cap)) {
			vmm_warn("this KVM lacks %s (capability %ld); Vessel cannot run here. "
				 "Run 'vesselctl check'.", need[i].name, need[i].cap);
			return -ENOTSUP;
		}
	}
	vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = 4;
	return 0;
}

/* Push the routing table to KVM. Called with routing_lock held. */
static int vm_commit_routes(struct vm *vm)
{
	struct kvm_irq_routing *rt;
	int ret = 0;

	rt = calloc(1, sizeof(*rt) + vm->nroutes * sizeof(rt->entries[0]));
	if (!rt)
		return -ENOMEM;
	rt->nr = vm->nroutes;
	memcpy(rt->entries, vm->routes, vm->nroutes * sizeof(rt->entries[0]));
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, rt) < 0)
		ret = -errno;
	free(rt);
	return ret;
}

static struct kvm_irq_routing_entry *vm_route_add(struct vm *vm)
{
	if (vm->nroutes == vm->routes_cap) {
		unsigned cap = vm->routes_cap ? vm->routes_cap * 2 : 64;
		struct kvm_irq_routing_entry *r = realloc(vm->routes, cap * sizeof(*r));

		if (!r)
			return NULL;
		vm->routes = r;
		vm->routes_cap = cap;
	}
	memset(&vm->routes[vm->nroutes], 0, sizeof(vm->routes[0]));
	return &vm->routes[vm->nroutes++];
}

static void vm_route_irqchip(struct kvm_irq_routing_entry *e, unsigned gsi, unsigned chip,
			     unsigned pin)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/*
 * PC interrupt routing with the ACPI interrupt source override for the timer (ACPI 6.4
 * §5.2.12.5): ISA IRQ0 (PIT) is IOAPIC pin 2 and PIC line 0; IRQ 1-15 go to the same-numbered
 * PIC line and IOAPIC pin; GSI 16-23 are IOAPIC-only (PCI). GSI 2 is the PIC cascade and
 * has no route of its own. The MADT built for firmware boot must say the same.
 * GSIs from 24 up are MSI routes for irqfds (vm_msi_irqfd_new).
 */
static int vm_setup_routing(struct vm *vm)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);

	vm->max_gsi = max > 24 ? (unsigned)max : 1024;
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		struct kvm_irq_routing_entry *e;

		if (gsi == 2)
			continue;
		if (gsi < 16) {
			e = vm_route_add(vm);
			if (!e)
				return -ENOMEM;
			vm_route_irqchip(e, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					 KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
		}
		e = vm_route_add(vm);
		if (!e)
			return -ENOMEM;
		vm_route_irqchip(e, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
	}
	return vm_commit_routes(vm);
}

static int vm_setup_kvm(struct vm *vm)
{
	uint64_t idmap = PC_IDENTITY_MAP_ADDR;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		vmm_warn("KVM_CREATE_VM failed: %s. Another hypervisor may hold the CPU's "
			 "virtualization extensions; run 'vesselctl check'.", strerror(errno));
		return -errno;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return -errno;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)PC_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		int err = errno;

		vmm_warn("setting up the VM's chipset in KVM failed: %s", strerror(err));
		return -err;
	}
	return vm_setup_routing(vm);
}

static int vm_setup_memory(struct vm *vm)
{
	int ret = vm_memory_init(&vm->mem, vm->cfg.ram_size);

	if (ret) {
		vmm_warn("cannot allocate %llu MiB of guest memory: %s",
			 (unsigned long long)(vm->cfg.ram_size >> 20), strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		struct vm_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = r->slot,
			.guest_phys_addr = r->gpa + r->slot_skip,
			.memory_size = r->size - r->slot_skip,
			.userspace_addr = (uintptr_t)(r->hva + r->slot_skip),
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
			vmm_warn("KVM refused guest memory slot %u: %s", i, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int vm_setup_vcpus(struct vm *vm)
{
	int ret;

	if (vm->cfg.cpus < 1 || (int)vm->cfg.cpus > vm->max_vcpus) {
		vmm_warn("%u vCPUs requested; this host's KVM allows 1 to %d", vm->cfg.cpus,
			 vm->max_vcpus);
		return -EINVAL;
	}
	vm->vcpus = calloc(vm->cfg.cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	vm->ncpus = vm->cfg.cpus;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		ret = vcpu_init(vm, &vm->vcpus[i], i);
		if (ret) {
			vmm_warn("creating vCPU %u failed: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Put the boot vCPU at the loader's entry point, with shadow RAM unlocked as firmware would
 * leave it (PAM; a direct-boot guest sees RAM at 0xC0000-0xFFFFF). With firmware there is
 * nothing to do: the vCPUs' power-on state is the architectural reset state (CS base
 * 0xFFFF0000, IP 0xFFF0), which lands in the BIOS image at the top of 4 GiB.
 */
static int vm_apply_boot(struct vm *vm)
{
	struct vcpu *bsp = &vm->vcpus[0];
	struct kvm_sregs sregs;
	int ret;

	if (!vm->cfg.kernel && !vm->cfg.multiboot)
		return 0;
	vm_pam_unlock(vm);
	ret = vm_boot_load(vm, vm->boot);
	if (ret)
		return ret;
	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	vm_boot_setup_sregs(vm->boot, &sregs);
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(bsp->fd, KVM_SET_REGS, &vm->boot->regs) < 0)
		return -errno;
	return 0;
}

struct vm *vm_create(const struct vm_config *cfg, int *status)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	*status = VM_EXIT_HOST_ERROR;
	if (!vm)
		return NULL;
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->routing_lock, NULL);
	pthread_mutex_init(&vm->slots_lock, NULL);
	pthread_mutex_init(&vm->coalesced_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vmm_guest_log_init(&vm->glog, cfg->guest_log ? cfg->guest_log : stderr, 20);
	vmm_bus_init(&vm->pio, "pio", &vm->glog);
	vmm_bus_init(&vm->mmio, "mmio", &vm->glog);
	vm->mem.low_fd = vm->mem.high_fd = -1;

	if (kvm_open(vm) || kvm_check_caps(vm) || vm_setup_kvm(vm)) {
		*status = VM_EXIT_KVM_UNAVAILABLE;
		goto out_destroy;
	}
	vm->loop = vmm_loop_new(false);
	vm->boot = calloc(1, sizeof(*vm->boot));
	if (!vm->loop || !vm->boot)
		goto out_destroy;
	if (vm_setup_memory(vm) || vm_setup_vcpus(vm))
		goto out_destroy;
	if (vm_devices_create(vm) || vm_pam_init(vm))
		goto out_destroy;
	if (vm_apply_boot(vm))
		goto out_destroy;
	*status = VM_EXIT_OK;
	return vm;
out_destroy:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	if (vm->loop)
		vmm_loop_stop(vm->loop);
	/* Its thread touches guest RAM: joined before the devices and RAM go. */
	snap_prefetch_stop(vm->prefetch);
	vm->prefetch = NULL;
	vm_devices_destroy(vm);
	vm_pam_destroy(vm);
	/* The coalesced ring lives in vCPU 0's kvm_run mapping. */
	__atomic_store_n(&vm->coalesced_ring, NULL, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm_memory_destroy(&vm->mem);
	vmm_loop_free(vm->loop);
	free(vm->boot);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vmm_bus_destroy(&vm->pio);
	vmm_bus_destroy(&vm->mmio);
	vmm_guest_log_destroy(&vm->glog);
	for (unsigned i = 0; i < vm->nmsi; i++)
		close(vm->msi_fds[i].fd);
	free(vm->msi_fds);
	free(vm->routes);
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		free(vm->boot_paths[i]);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->routing_lock);
	pthread_mutex_destroy(&vm->slots_lock);
	pthread_mutex_destroy(&vm->coalesced_lock);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

void vm_request(struct vm *vm, enum vm_request req, int status)
{
	pthread_mutex_lock(&vm->lock);
	/*
	 * The first final request (power-off, fault) wins and outranks a pending reset, except
	 * that a triple fault while a reset is pending is part of that reset: a PC resets on
	 * shutdown, and firmware uses it as its fallback after writing 0xCF9.
	 */
	if (vm->request == VM_REQ_RESET && req == VM_REQ_FAULT && status == VM_EXIT_TRIPLE_FAULT) {
		/* keep the reset */
	} else if (vm->request == VM_REQ_NONE || vm->request == VM_REQ_RESET) {
		__atomic_store_n(&vm->request, req, __ATOMIC_SEQ_CST);
		vm->request_status = status;
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	/* Whoever asked parks at its next look at run control; the others are kicked. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->paused) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	__atomic_store_n(&vm->paused, true, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	for (;;) {
		/* A vCPU whose thread ended on its own (a fault) never parks: count it out. */
		unsigned alive = 0;

		for (unsigned i = 0; i < vm->ncpus; i++)
			alive += vm->vcpus[i].started &&
				 !__atomic_load_n(&vm->vcpus[i].exited, __ATOMIC_SEQ_CST);
		if (vm->parked >= alive)
			break;
		pthread_cond_wait(&vm->cond, &vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->paused, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* Guest reset (vCPUs paused): chipset, vCPUs and devices to power-on state, reload the image. */
static int vm_reset(struct vm *vm)
{
	int ret;

	ret = vm_devices_reset(vm);
	for (unsigned i = 0; i < vm->ncpus && !ret; i++)
		ret = vcpu_reset(&vm->vcpus[i]);
	if (!ret)
		ret = vm_apply_boot(vm);
	if (ret)
		vmm_warn("guest reset failed: %s", strerror(-ret));
	return ret;
}

static void vm_stop_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	vmm_loop_stop(vm->loop);
	for (unsigned i = 0; i < vm->ncpus; i++)
		for (int k = 0; k < VM_EXITK_MAX; k++)
			vm->exits[k] += vm->vcpus[i].exits[k];
}

/* The main-loop thread's answer to a reset request; 0, or -1 when the VM must end. */
static int vm_handle_reset(struct vm *vm)
{
	/* The request stays set while we work, so no vCPU runs until we resume. */
	vm_pause(vm);
	if (vm_reset(vm)) {
		vm_request(vm, VM_REQ_FAULT, VM_EXIT_HOST_ERROR);
		return -1;
	}
	pthread_mutex_lock(&vm->lock);
	if (vm->request == VM_REQ_RESET)
		__atomic_store_n(&vm->request, VM_REQ_NONE, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->lock);
	if (!vm->user_paused)	/* a reset while paused by the user stays paused */
		vm_resume(vm);
	return 0;
}

int vm_run(struct vm *vm)
{
	int ret = vmm_loop_start(vm->loop);

	for (unsigned i = 0; i < vm->ncpus && !ret; i++)
		ret = vcpu_start(&vm->vcpus[i]);
	if (ret) {
		vmm_warn("cannot start the VM's threads: %s", strerror(-ret));
		vm_stop_all(vm);
		vm_command_finish(vm);
		return VM_EXIT_HOST_ERROR;
	}
	vm_set_run_state(vm, VM_STATE_RUNNING);
	for (;;) {
		struct vm_command *cmd;
		enum vm_request req;

		pthread_mutex_lock(&vm->lock);
		while (vm->request == VM_REQ_NONE && !vm->cmd_head)
			pthread_cond_wait(&vm->cond, &vm->lock);
		req = vm->request;
		if (req == VM_REQ_RESET && vm->cfg.no_reboot) {
			vm->request = VM_REQ_POWEROFF;
			vm->request_status = VM_EXIT_RESET;
			req = VM_REQ_POWEROFF;
		}
		/* A final request wins over queued commands; they fail in vm_command_finish. */
		cmd = req == VM_REQ_NONE ? vm_command_pop(vm) : NULL;
		pthread_mutex_unlock(&vm->lock);
		if (cmd) {
			vm_command_run(vm, cmd);
			continue;
		}
		if (req != VM_REQ_RESET)
			break;
		vm_handle_reset(vm);
	}
	vm_set_run_state(vm, VM_STATE_STOPPING);
	/* A user pause left vCPUs parked: let them see the stop. */
	vm_resume(vm);
	vm_stop_all(vm);
	vm_command_finish(vm);
	return vm->request_status;
}

static void vm_irq_set(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		vmm_warn("KVM_IRQ_LINE %u failed: %s", gsi, strerror(errno));
}

struct vmm_irq vm_irq_line(struct vm *vm, unsigned gsi)
{
	return (struct vmm_irq){ .set = vm_irq_set, .opaque = vm, .gsi = gsi };
}

int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

int vm_irqfd_new(struct vm *vm, unsigned gsi)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd req = { .gsi = gsi };

	if (fd < 0)
		return -errno;
	req.fd = (uint32_t)fd;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int vm_ioeventfd_new(struct vm *vm, uint64_t addr, unsigned len, bool pio, bool match_data,
		     uint64_t data)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_ioeventfd req = { .addr = addr, .len = len, .datamatch = data };

	if (fd < 0)
		return -errno;
	req.fd = fd;
	req.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
		    (match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0);
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static struct kvm_irq_routing_entry *vm_msi_route(struct vm *vm, unsigned gsi)
{
	for (unsigned i = 0; i < vm->nroutes; i++)
		if (vm->routes[i].gsi == gsi && vm->routes[i].type == KVM_IRQ_ROUTING_MSI)
			return &vm->routes[i];
	return NULL;
}

static void vm_msi_fill(struct kvm_irq_routing_entry *e, unsigned gsi, uint64_t addr,
			uint32_t data)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

static struct vm_msi_irqfd *vm_msi_find(struct vm *vm, int fd)
{
	for (unsigned i = 0; i < vm->nmsi; i++)
		if (vm->msi_fds[i].fd == fd)
			return &vm->msi_fds[i];
	return NULL;
}

/* Route a fresh GSI to the MSI and bind an eventfd to it. Called with routing_lock held. */
static int vm_msi_irqfd_locked(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e;
	struct kvm_irqfd req = { 0 };
	unsigned gsi = 24;
	int fd, ret;

	/* The lowest GSI no MSI route holds: freed ones are reused. */
	while (gsi < vm->max_gsi && vm_msi_route(vm, gsi))
		gsi++;
	if (gsi >= vm->max_gsi)
		return -ENOSPC;
	if (vm->nmsi == vm->msi_cap) {
		unsigned cap = vm->msi_cap ? vm->msi_cap * 2 : 16;
		struct vm_msi_irqfd *m = realloc(vm->msi_fds, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		vm->msi_fds = m;
		vm->msi_cap = cap;
	}
	e = vm_route_add(vm);
	if (!e)
		return -ENOMEM;
	vm_msi_fill(e, gsi, addr, data);
	ret = vm_commit_routes(vm);
	if (ret)
		goto out_unroute;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		goto out_unroute;
	}
	req.fd = (uint32_t)fd;
	req.gsi = gsi;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0) {
		ret = -errno;
		close(fd);
		goto out_unroute;
	}
	vm->msi_fds[vm->nmsi++] = (struct vm_msi_irqfd){ fd, gsi };
	return fd;
out_unroute:
	vm->nroutes--;
	vm_commit_routes(vm);
	return ret;
}

int vm_msi_irqfd_new(struct vm *vm, uint64_t addr, uint32_t data)
{
	int ret;

	pthread_mutex_lock(&vm->routing_lock);
	ret = vm_msi_irqfd_locked(vm, addr, data);
	pthread_mutex_unlock(&vm->routing_lock);
	return ret;
}

int vm_msi_irqfd_update(struct vm *vm, int fd, uint64_t addr, uint32_t data)
{
	struct vm_msi_irqfd *m;
	struct kvm_irq_routing_entry *e;
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->routing_lock);
	m = vm_msi_find(vm, fd);
	e = m ? vm_msi_route(vm, m->gsi) : NULL;
	if (e) {
		vm_msi_fill(e, m->gsi, addr, data);
		ret = vm_commit_routes(vm);
	}
	pthread_mutex_unlock(&vm->routing_lock);
	return ret;
}

void vm_msi_irqfd_free(struct vm *vm, int fd)
{
	struct vm_msi_irqfd *m;
	struct kvm_irq_routing_entry *e;

	pthread_mutex_lock(&vm->routing_lock);
	m = vm_msi_find(vm, fd);
	if (m) {
		struct kvm_irqfd req = { .fd = (uint32_t)fd, .gsi = m->gsi,
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };

		ioctl(vm->vm_fd, KVM_IRQFD, &req);
		e = vm_msi_route(vm, m->gsi);
		if (e) {
			*e = vm->routes[--vm->nroutes];
			vm_commit_routes(vm);
		}
		*m = vm->msi_fds[--vm->nmsi];
		close(fd);
	}
	pthread_mutex_unlock(&vm->routing_lock);
}

static int vm_set_slot(struct vm *vm, unsigned idx, uint64_t gpa, uint64_t size, void *hva,
		       uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = VM_SLOT_DEVICE_FIRST + idx,
		.flags = size ? flags : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int vm_map_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool map,
		       uint32_t flags)
{
	unsigned n = sizeof(vm->ram_slots) / sizeof(vm->ram_slots[0]);
	int ret = map ? -ENOSPC : -ENOENT;

	if (map && (!size || (gpa | size | (uintptr_t)hva) & 0xfff))
		return -EINVAL;
	pthread_mutex_lock(&vm->slots_lock);
	for (unsigned i = 0; i < n; i++) {
		struct vm_ram_slot *s = &vm->ram_slots[i];

		if (map && !s->used) {
			ret = vm_set_slot(vm, i, gpa, size, hva, flags);
			if (!ret)
				*s = (struct vm_ram_slot){ gpa, size, hva, true };
			break;
		}
		if (!map && s->used && s->gpa == gpa) {
			ret = vm_set_slot(vm, i, gpa, 0, hva, 0);
			s->used = false;
			break;
		}
	}
	pthread_mutex_unlock(&vm->slots_lock);
	return ret;
}

int vm_map_ram(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool map)
{
	return vm_map_slot(vm, gpa, size, hva, map, KVM_MEM_LOG_DIRTY_PAGES);
}

int vm_map_rom(struct vm *vm, uint64_t gpa, uint64_t size, const void *hva, bool map)
{
	return vm_map_slot(vm, gpa, size, (void *)hva, map, KVM_MEM_READONLY);
}

int vm_ram_dirty_log(struct vm *vm, uint64_t gpa, uint64_t *bitmap)
{
	unsigned n = sizeof(vm->ram_slots) / sizeof(vm->ram_slots[0]);
	int ret = -ENOENT;

	pthread_mutex_lock(&vm->slots_lock);
	for (unsigned i = 0; i < n; i++) {
		struct kvm_dirty_log log = { .slot = VM_SLOT_DEVICE_FIRST + i };

		if (!vm->ram_slots[i].used || vm->ram_slots[i].gpa != gpa)
			continue;
		log.dirty_bitmap = bitmap;
		ret = ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
		break;
	}
	pthread_mutex_unlock(&vm->slots_lock);
	return ret;
}

void vm_set_boot_path(struct vm *vm, unsigned disk, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (disk >= VM_MAX_DISKS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	free(vm->boot_paths[disk]);
	vm->boot_paths[disk] = p;
}

bool vm_power_button(struct vm *vm)
{
	if (!vm->power_button)
		return false;
	vm->power_button(vm->power_button_opaque);
	return true;
}
