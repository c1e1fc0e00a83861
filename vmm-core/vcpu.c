// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU threads: the KVM_RUN loop, exit dispatch, kicks, pause parking and fault reports. */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* SIGUSR1 only interrupts KVM_RUN; the handler does nothing. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

/*
 * One TSC frequency for the whole VM, fixed when vCPU 0 is made (the host's rate, or
 * cfg.tsc_khz): every vCPU gets the same value, and a snapshot restored on another host can
 * ask KVM for it again. Guests learn it through kvmclock. Without KVM_CAP_TSC_CONTROL all
 * vCPUs run at the host's rate already; only a different requested rate is an error then.
 */
static int vcpu_setup_tsc(struct vm *vm, struct vcpu *vcpu)
{
	int khz;

	if (!vm->tsc_khz) {
		khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = vm->cfg.tsc_khz ? vm->cfg.tsc_khz : (khz > 0 ? (uint32_t)khz : 0);
	}
	if (!vm->tsc_khz || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) <= 0) {
		if (vm->cfg.tsc_khz && (int)vm->cfg.tsc_khz != ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0))
			return -ENOTSUP;
		return 0;
	}
	return ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)vm->tsc_khz) < 0 ? -errno : 0;
}

int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned index)
{
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0)
		return -errno;
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	ret = vcpu_setup_cpuid(vm, vcpu);
	if (ret)
		goto out_unmap;
	ret = vcpu_setup_tsc(vm, vcpu);
	if (ret)
		goto out_unmap;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &vcpu->reset_regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &vcpu->reset_sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_FPU, &vcpu->reset_fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_LAPIC, &vcpu->reset_lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_MP_STATE, &vcpu->reset_mp) < 0) {
		ret = -errno;
		goto out_unmap;
	}
	return 0;
out_unmap:
	munmap(vcpu->run, vm->run_size);
out_close:
	close(vcpu->fd);
	vcpu->fd = -1;
	return ret;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->fd < 0)
		return;
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
	vcpu->fd = -1;
}

int vcpu_reset(struct vcpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, &vcpu->reset_regs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_SREGS, &vcpu->reset_sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_FPU, &vcpu->reset_fpu) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_LAPIC, &vcpu->reset_lapic) < 0 ||
	    ioctl(vcpu->fd, KVM_SET_MP_STATE, &vcpu->reset_mp) < 0)
		return -errno;
	return 0;
}

void vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "vCPU %u: registers unavailable: %s\n", vcpu->index, strerror(errno));
		return;
	}
	fprintf(out, "vCPU %u registers:\n"
		" rip %016llx rsp %016llx rflags %08llx\n"
		" rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		" rsi %016llx rdi %016llx rbp %016llx\n"
		" r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		" r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		" cs %04x base %llx  ss %04x base %llx  ds %04x  cr0 %llx cr2 %llx cr3 %llx"
		" cr4 %llx efer %llx\n"
		" gdt %llx/%x idt %llx/%x\n",
		vcpu->index, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		s.cs.selector, s.cs.base, s.ss.selector, s.ss.base, s.ds.selector, s.cr0, s.cr2,
		s.cr3, s.cr4, s.efer, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	/* Code bytes at the faulting instruction, when paging is off and it is RAM. */
	if (!(s.cr0 & 0x80000000ull)) {
		uint8_t code[16];
		uint64_t pc = (s.cr0 & 1) ? s.cs.base + r.rip : s.cs.base + (r.rip & 0xffff);

		if (!vm_memory_read(&vcpu->vm->mem, pc, code, sizeof(code))) {
			fprintf(out, " code at %llx:", (unsigned long long)pc);
			for (unsigned i = 0; i < sizeof(code); i++)
				fprintf(out, " %02x", code[i]);
			fputc('\n', out);
		}
	}
}

static void vcpu_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	struct vmm_bus *pio = &vcpu->vm->pio;

	/* rep ins/outs arrive as `count` back-to-back accesses of `size` bytes. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			vmm_bus_write(pio, run->io.port, data, run->io.size);
		else
			vmm_bus_read(pio, run->io.port, data, run->io.size);
	}
}

static void vcpu_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;

	if (run->mmio.is_write)
		vmm_bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		vmm_bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void vcpu_fault(struct vcpu *vcpu, const char *what, int status)
{
	struct vm *vm = vcpu->vm;

	if (!vm->cfg.quiet) {
		fprintf(stderr, "vessel-helper: guest stopped: %s on vCPU %u\n", what, vcpu->index);
		vcpu_dump(vcpu, stderr);
	}
	vm_request(vm, VM_REQ_FAULT, status);
}

static void vcpu_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char what[160];
	int n;

	n = snprintf(what, sizeof(what), "KVM internal error (suberror %u%s)",
		     run->internal.suberror,
		     run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
		     ": instruction emulation failed" : "");
	for (unsigned i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(what) - 20; i++)
		n += snprintf(what + n, sizeof(what) - n, " data[%u]=%llx", i,
			      (unsigned long long)run->internal.data[i]);
	vcpu_fault(vcpu, what, VM_EXIT_INTERNAL_ERROR);
}

/* Returns false when the vCPU must stop running. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	/* Writes KVM queued before this exit come first (vm-coalesced.c). */
	vm_coalesced_flush(vcpu->vm);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu->exits[VM_EXITK_IO]++;
		vcpu_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu->exits[VM_EXITK_MMIO]++;
		vcpu_mmio(vcpu);
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; ours has one, so a halt that exits is final. */
		vcpu->exits[VM_EXITK_HLT]++;
		vcpu_fault(vcpu, "halted with interrupts off", VM_EXIT_INTERNAL_ERROR);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu->exits[VM_EXITK_SHUTDOWN]++;
		vcpu_fault(vcpu, "triple fault (shutdown)", VM_EXIT_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu->exits[VM_EXITK_INTERNAL]++;
		vcpu_internal_error(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu->exits[VM_EXITK_INTERNAL]++;
		vcpu_fault(vcpu, "VM entry failed", VM_EXIT_INTERNAL_ERROR);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu->exits[VM_EXITK_OTHER]++;
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request(vcpu->vm, VM_REQ_RESET, 0);
		else
			vm_request(vcpu->vm, VM_REQ_POWEROFF, VM_EXIT_OK);
		return true;
	case KVM_EXIT_INTR:
		vcpu->exits[VM_EXITK_INTR]++;
		return true;
	default:
		vcpu->exits[VM_EXITK_OTHER]++;
		vmm_guest_error(&vcpu->vm->glog, "vCPU %u: unexpected KVM exit reason %u",
				vcpu->index, run->exit_reason);
		return true;
	}
}

/*
 * Park while the VM is paused or a run-control request (reset, power-off, fault) is pending;
 * returns false if the vCPU should stop instead. Parking on a pending request matters: the
 * vCPU that wrote 0xCF9 or the test-exit port must not run on past that instruction (SeaBIOS
 * follows its reset write with a deliberate triple fault as a fallback).
 */
static bool vcpu_must_wait(struct vm *vm)
{
	return __atomic_load_n(&vm->paused, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&vm->request, __ATOMIC_SEQ_CST) != VM_REQ_NONE;
}

/*
 * An IN or MMIO read is finished by the next KVM_RUN, and until then its result is in no
 * register userspace can read (KVM API, "kvm_run": re-enter with immediate_exit set to
 * complete pending operations). Do that before parking, so a snapshot taken while parked
 * sees consistent registers; KVM runs no guest instruction and returns EINTR. The flag
 * stays set: the loop top clears it.
 */
static void vcpu_complete_io(struct vcpu *vcpu)
{
	/* A string I/O being finished may exit once more: serve those exits too (bounded). */
	for (int i = 0; i < 16; i++) {
		uint32_t reason = vcpu->run->exit_reason;

		if (reason != KVM_EXIT_IO && reason != KVM_EXIT_MMIO)
			return;
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0)
			return;
		vcpu_handle_exit(vcpu);
	}
}

static bool vcpu_check_control(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool go;

	/* Whatever this vCPU queued reaches its device before the vCPU parks or stops. */
	vm_coalesced_flush(vm);
	if (!vcpu_must_wait(vm))
		return !__atomic_load_n(&vcpu->stop, __ATOMIC_SEQ_CST);
	vcpu_complete_io(vcpu);
	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->cond);
	while (vcpu_must_wait(vm) && !__atomic_load_n(&vcpu->stop, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->parked--;
	go = !__atomic_load_n(&vcpu->stop, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->lock);
	return go;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		/* Clear the kick before reading the flags: a kick after this read is not lost. */
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (!vcpu_check_control(vcpu))
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "vessel-helper: KVM_RUN failed on vCPU %u: %s\n",
				vcpu->index, strerror(errno));
			vm_request(vcpu->vm, VM_REQ_FAULT, VM_EXIT_INTERNAL_ERROR);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	pthread_mutex_lock(&vcpu->vm->lock);
	__atomic_store_n(&vcpu->exited, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vcpu->vm->cond);
	pthread_mutex_unlock(&vcpu->vm->lock);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	char name[16];
	int err;

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	vcpu->stop = false;
	vcpu->exited = false;
	err = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (err)
		return -err;
	snprintf(name, sizeof(name), "vessel-vcpu%u", vcpu->index);
	pthread_setname_np(vcpu->thread, name);
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	__atomic_store_n(&vcpu->stop, true, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&vcpu->vm->lock);
	pthread_cond_broadcast(&vcpu->vm->cond);
	pthread_mutex_unlock(&vcpu->vm->lock);
	vcpu_kick(vcpu);
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}
