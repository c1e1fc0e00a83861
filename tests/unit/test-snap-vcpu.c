// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU and VM-wide KVM snapshot state: copied between two VMs in one process (needs KVM). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "snap-vcpu.h"
#include "tap.h"
#include "vcpu.h"
#include "vm.h"

#define MSR_SYSENTER_ESP	0x175
#define LAPIC_TPR		0x80

static struct vm *make_vm(void)
{
	struct vm_config cfg = { .ram_size = 32ull << 20, .cpus = 2, .serial = VM_SERIAL_NONE,
				 .quiet = true };
	int status;

	return vm_create(&cfg, &status);
}

static uint64_t get_msr(struct vcpu *v, uint32_t index)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1 };

	m.e.index = index;
	return ioctl(v->fd, KVM_GET_MSRS, &m) == 1 ? m.e.data : ~0ull;
}

static void set_msr(struct vcpu *v, uint32_t index, uint64_t data)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1 };

	m.e.index = index;
	m.e.data = data;
	ioctl(v->fd, KVM_SET_MSRS, &m);
}

static uint8_t get_tpr(struct vcpu *v)
{
	struct kvm_lapic_state l;

	return ioctl(v->fd, KVM_GET_LAPIC, &l) ? 0xff : (uint8_t)l.regs[LAPIC_TPR];
}

/* Give VM a's boot vCPU a state nobody would have by accident. */
static void make_state(struct vm *a)
{
	struct vcpu *v = &a->vcpus[0];
	struct kvm_regs r;
	struct kvm_lapic_state l;

	ioctl(v->fd, KVM_GET_REGS, &r);
	r.rax = 0x1122334455667788ull;
	r.rip = 0x1234;
	ioctl(v->fd, KVM_SET_REGS, &r);
	set_msr(v, MSR_SYSENTER_ESP, 0xdeadbeef000ull);
	ioctl(v->fd, KVM_GET_LAPIC, &l);
	l.regs[LAPIC_TPR] = 0x20;
	ioctl(v->fd, KVM_SET_LAPIC, &l);
}

static uint64_t get_rax(struct vcpu *v)
{
	struct kvm_regs r;

	return ioctl(v->fd, KVM_GET_REGS, &r) ? 0 : r.rax;
}

static void set_rax(struct vcpu *v, uint64_t val)
{
	struct kvm_regs r;

	ioctl(v->fd, KVM_GET_REGS, &r);
	r.rax = val;
	ioctl(v->fd, KVM_SET_REGS, &r);
}

static void test_round_trip(struct vm *a, struct vm *b, void **blob, size_t *len)
{
	struct kvm_regs r;
	struct kvm_mp_state mpa, mpb;
	char err[256] = "";

	make_state(a);
	is_int(snap_vcpu_save(&a->vcpus[0], &blob[0], &len[0], err, sizeof(err)), 0,
	       "vCPU 0 saved (%zu bytes) %s", len[0], err);
	is_int(snap_vcpu_save(&a->vcpus[1], &blob[1], &len[1], err, sizeof(err)), 0,
	       "vCPU 1 saved (%zu bytes)", len[1]);
	is_int(snap_vcpu_load(&b->vcpus[0], blob[0], len[0], err, sizeof(err)), 0,
	       "vCPU 0 loaded into the second VM %s", err);
	is_int(snap_vcpu_load(&b->vcpus[1], blob[1], len[1], err, sizeof(err)), 0,
	       "vCPU 1 loaded");
	ioctl(b->vcpus[0].fd, KVM_GET_REGS, &r);
	ok(r.rax == 0x1122334455667788ull && r.rip == 0x1234, "registers came along");
	is_int(get_msr(&b->vcpus[0], MSR_SYSENTER_ESP), 0xdeadbeef000ull, "an MSR came along");
	is_int(get_tpr(&b->vcpus[0]), 0x20, "the LAPIC's TPR came along");
	ioctl(a->vcpus[1].fd, KVM_GET_MP_STATE, &mpa);
	ioctl(b->vcpus[1].fd, KVM_GET_MP_STATE, &mpb);
	is_int(mpb.mp_state, mpa.mp_state, "the AP's MP state came along");
}

/* Each damaged blob is refused with its own words, and vCPU 0 of b keeps its registers. */
static void refused(struct vm *b, unsigned cpu, const void *blob, size_t len, const char *want,
		    const char *what)
{
	char err[256] = "";
	int ret;

	set_rax(&b->vcpus[cpu], 0xfeed);
	ret = snap_vcpu_load(&b->vcpus[cpu], blob, len, err, sizeof(err));
	ok(ret == -EINVAL && strstr(err, want) && get_rax(&b->vcpus[cpu]) == 0xfeed,
	   "%s refused, vCPU unchanged: %s", what, err);
}

static void test_hostile(struct vm *b, void *blob, size_t len)
{
	struct snap_vcpu_state *s;
	uint8_t *copy = malloc(len);

	s = (void *)copy;
	refused(b, 0, blob, sizeof(*s) - 1, "too short", "a truncated header");
	refused(b, 0, blob, len - 1, "where its counts need", "one byte short");
	memcpy(copy, blob, len);
	s->version = 2;
	refused(b, 0, copy, len, "state version 2", "another version");
	refused(b, 1, blob, len, "holds vCPU 0", "vCPU 0's state for vCPU 1");
	memcpy(copy, blob, len);
	s->xsave_size += 64;
	refused(b, 0, copy, len, "XSAVE area", "a different XSAVE size");
	memcpy(copy, blob, len);
	s->nmsrs = 0x40000000;
	refused(b, 0, copy, len, "out of range", "an MSR count that would overflow");
	memcpy(copy, blob, len);
	s->tsc_khz = 0;
	refused(b, 0, copy, len, "out of range", "a TSC of 0 kHz");
	free(copy);
}

static void test_vm_state(struct vm *a, struct vm *b)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct snap_kvm_vm_state st;
	char err[256] = "";

	ioctl(a->vm_fd, KVM_GET_IRQCHIP, &chip);
	chip.chip.ioapic.redirtbl[5].bits = 0x1000000000000035ull;	/* vector 0x35, CPU 16 */
	ioctl(a->vm_fd, KVM_SET_IRQCHIP, &chip);
	is_int(snap_kvm_vm_save(a, &st, err, sizeof(err)), 0, "PIT, clock and irqchips saved");
	is_int(snap_kvm_vm_load(b, &st, sizeof(st), err, sizeof(err)), 0, "and loaded %s", err);
	memset(&chip.chip, 0, sizeof(chip.chip));
	ioctl(b->vm_fd, KVM_GET_IRQCHIP, &chip);
	is_int(chip.chip.ioapic.redirtbl[5].bits, 0x1000000000000035ull,
	       "an IOAPIC redirection entry came along");
	ok(snap_kvm_vm_load(b, &st, sizeof(st) - 1, err, sizeof(err)) == -EINVAL &&
	   strstr(err, "expected"), "a short blob is refused: %s", err);
	st.version = 7;
	ok(snap_kvm_vm_load(b, &st, sizeof(st), err, sizeof(err)) == -EINVAL &&
	   strstr(err, "version 7"), "another version is refused: %s", err);
	st.version = SNAP_KVM_VM_VERSION;
	st.ioapic.chip_id = KVM_IRQCHIP_PIC_MASTER;
	ok(snap_kvm_vm_load(b, &st, sizeof(st), err, sizeof(err)) == -EINVAL &&
	   strstr(err, "irqchip"), "shuffled irqchips are refused: %s", err);
}

int main(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct vm *a, *b;
	void *blob[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };

	if (fd < 0)
		skip_all("no usable /dev/kvm");
	close(fd);
	a = make_vm();
	b = make_vm();
	if (!a || !b)
		skip_all("KVM would not create two VMs here");
	test_round_trip(a, b, blob, len);
	if (blob[0])
		test_hostile(b, blob[0], len[0]);
	test_vm_state(a, b);
	free(blob[0]);
	free(blob[1]);
	vm_destroy(a);
	vm_destroy(b);
	return tap_done();
}
