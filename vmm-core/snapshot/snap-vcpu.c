// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU and VM-wide KVM state for snapshots, in the save/restore order of platform-facts §7. */
#include "snap-vcpu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vcpu.h"
#include "vm.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_CHUNK		256

static int vfail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int vfail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* KVM_CAP_XSAVE2 gives the size KVM_GET_XSAVE2 fills (AMX state makes it exceed 4 KiB). */
static uint32_t xsave_size(struct vm *vm)
{
	int n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	return n > (int)sizeof(struct kvm_xsave) ? (uint32_t)n : sizeof(struct kvm_xsave);
}

/* Every MSR index KVM will save and restore (KVM_GET_MSR_INDEX_LIST). */
static int msr_index_list(struct vm *vm, struct kvm_msr_list **out)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return -errno;
	if (probe.nmsrs > SNAP_MAX_MSRS)
		return -E2BIG;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return -ENOMEM;
	l->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		free(l);
		return -errno;
	}
	*out = l;
	return 0;
}

/*
 * KVM_GET_MSRS in chunks of at most 256; it stops at the first MSR it cannot read, so that
 * one is dropped (it is not dumpable on this host) and the chunk goes on after it.
 */
static int msrs_get(struct vcpu *vcpu, const struct kvm_msr_list *l, struct kvm_msr_entry *out,
		    uint32_t *count)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e[MSR_CHUNK]; } buf;
	uint32_t i = 0, n = 0;

	while (i < l->nmsrs) {
		uint32_t chunk = l->nmsrs - i < MSR_CHUNK ? l->nmsrs - i : MSR_CHUNK;
		int got;

		memset(&buf, 0, sizeof(buf));
		buf.h.nmsrs = chunk;
		for (uint32_t k = 0; k < chunk; k++)
			buf.e[k].index = l->indices[i + k];
		got = ioctl(vcpu->fd, KVM_GET_MSRS, &buf);
		if (got < 0)
			return -errno;
		memcpy(out + n, buf.e, (size_t)got * sizeof(buf.e[0]));
		n += (uint32_t)got;
		i += (uint32_t)got + ((uint32_t)got < chunk);	/* skip the unreadable one */
	}
	*count = n;
	return 0;
}

static int cpuid_get(struct vcpu *vcpu, struct kvm_cpuid_entry2 *out, uint32_t *count)
{
	struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[SNAP_MAX_CPUID]; } *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h.nent = SNAP_MAX_CPUID;
	if (ioctl(vcpu->fd, KVM_GET_CPUID2, c) < 0) {
		free(c);
		return -errno;
	}
	memcpy(out, c->e, c->h.nent * sizeof(c->e[0]));
	*count = c->h.nent;
	free(c);
	return 0;
}

/* The fixed part, in §7 order: MP state first, vCPU events last (after the MSRs). */
static const char *vcpu_get_fixed(struct vcpu *v, struct snap_vcpu_state *s, void *xsave)
{
	unsigned long xs = s->xsave_size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 :
			   KVM_GET_XSAVE;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &s->mp) < 0)
		return "KVM_GET_MP_STATE";
	if (ioctl(v->fd, KVM_GET_REGS, &s->regs) < 0)
		return "KVM_GET_REGS";
	if (ioctl(v->fd, KVM_GET_SREGS, &s->sregs) < 0)
		return "KVM_GET_SREGS";
	if (ioctl(v->fd, xs, xsave) < 0)
		return "KVM_GET_XSAVE2";
	if (ioctl(v->fd, KVM_GET_XCRS, &s->xcrs) < 0)
		return "KVM_GET_XCRS";
	if (ioctl(v->fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
		return "KVM_GET_DEBUGREGS";
	if (ioctl(v->fd, KVM_GET_LAPIC, &s->lapic) < 0)
		return "KVM_GET_LAPIC";
	return NULL;
}

int snap_vcpu_save(struct vcpu *vcpu, void **blob, size_t *len, char *err, size_t errlen)
{
	struct vm *vm = vcpu->vm;
	uint32_t xs = xsave_size(vm);
	struct kvm_msr_list *list = NULL;
	struct snap_vcpu_state *s;
	const char *what = NULL;
	size_t max;
	uint8_t *tail;
	int khz, ret;

	ret = msr_index_list(vm, &list);
	if (ret)
		return vfail(err, errlen, ret, "vCPU %u: KVM_GET_MSR_INDEX_LIST failed: %s",
			     vcpu->index, strerror(-ret));
	max = sizeof(*s) + xs + SNAP_MAX_CPUID * sizeof(struct kvm_cpuid_entry2) +
	      list->nmsrs * sizeof(struct kvm_msr_entry);
	s = calloc(1, max);
	if (!s) {
		free(list);
		return vfail(err, errlen, -ENOMEM, "vCPU %u: out of memory", vcpu->index);
	}
	s->version = SNAP_VCPU_VERSION;
	s->index = vcpu->index;
	s->xsave_size = xs;
	tail = (uint8_t *)(s + 1);
	what = vcpu_get_fixed(vcpu, s, tail);
	khz = what ? 0 : ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	if (!what && khz <= 0)
		what = "KVM_GET_TSC_KHZ";
	s->tsc_khz = (uint32_t)khz;
	if (!what && cpuid_get(vcpu, (void *)(tail + xs), &s->ncpuid))
		what = "KVM_GET_CPUID2";
	if (!what && msrs_get(vcpu, list, (void *)(tail + xs + s->ncpuid *
			      sizeof(struct kvm_cpuid_entry2)), &s->nmsrs))
		what = "KVM_GET_MSRS";
	if (!what && ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
		what = "KVM_GET_VCPU_EVENTS";
	free(list);
	if (what) {
		ret = errno ? -errno : -EIO;
		free(s);
		return vfail(err, errlen, ret, "vCPU %u: %s failed: %s", vcpu->index, what,
			     strerror(-ret));
	}
	*blob = s;
	*len = sizeof(*s) + xs + s->ncpuid * sizeof(struct kvm_cpuid_entry2) +
	       s->nmsrs * sizeof(struct kvm_msr_entry);
	return 0;
}

/* Hostile blob: version, index, counts and the exact total length. */
static int vcpu_blob_check(struct vcpu *vcpu, const struct snap_vcpu_state *s, size_t len,
			   char *err, size_t errlen)
{
	uint32_t xs = xsave_size(vcpu->vm);
	uint64_t want;

	if (len < sizeof(*s))
		return vfail(err, errlen, -EINVAL, "vcpu%u: %zu bytes, too short", vcpu->index, len);
	if (s->version != SNAP_VCPU_VERSION)
		return vfail(err, errlen, -EINVAL, "vcpu%u: state version %u, expected %u",
			     vcpu->index, s->version, SNAP_VCPU_VERSION);
	if (s->index != vcpu->index)
		return vfail(err, errlen, -EINVAL, "vcpu%u: holds vCPU %u", vcpu->index, s->index);
	if (s->xsave_size != xs)
		return vfail(err, errlen, -EINVAL, "vcpu%u: XSAVE area of %u bytes; this host's "
			     "KVM uses %u", vcpu->index, s->xsave_size, xs);
	if (s->ncpuid > SNAP_MAX_CPUID || s->nmsrs > SNAP_MAX_MSRS || !s->tsc_khz)
		return vfail(err, errlen, -EINVAL, "vcpu%u: %u CPUID entries, %u MSRs, TSC %u kHz "
			     "out of range", vcpu->index, s->ncpuid, s->nmsrs, s->tsc_khz);
	/* Counts are bounded above, so this sum cannot overflow 64 bits. */
	want = sizeof(*s) + (uint64_t)xs + (uint64_t)s->ncpuid * sizeof(struct kvm_cpuid_entry2) +
	       (uint64_t)s->nmsrs * sizeof(struct kvm_msr_entry);
	if (want != len)
		return vfail(err, errlen, -EINVAL, "vcpu%u: %zu bytes where its counts need %llu",
			     vcpu->index, len, (unsigned long long)want);
	return 0;
}

/* TSC kHz before anything else, when it differs by more than 250 ppm (platform-facts §7). */
static int vcpu_set_tsc(struct vcpu *vcpu, uint32_t khz)
{
	int cur = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	uint64_t diff;

	if (cur <= 0)
		return -EIO;
	diff = (uint32_t)cur > khz ? (uint32_t)cur - khz : khz - (uint32_t)cur;
	if (diff * 4000 <= khz)
		return 0;
	return ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0 ? -errno : 0;
}

static int vcpu_set_cpuid(struct vcpu *vcpu, const struct kvm_cpuid_entry2 *e, uint32_t n)
{
	struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[SNAP_MAX_CPUID]; } *c;
	int ret = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->h.nent = n;
	memcpy(c->e, e, n * sizeof(*e));
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}

/*
 * KVM_SET_MSRS stops at the first MSR it refuses; that one is skipped and counted. The TSC
 * deadline goes last, after IA32_TSC, and a zero deadline is replaced by the TSC value
 * (platform-facts §7, after Firecracker's deferred MSRs).
 */
static int vcpu_set_msrs(struct vcpu *vcpu, const struct kvm_msr_entry *saved, uint32_t n,
			 unsigned *skipped)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e[MSR_CHUNK]; } buf;
	struct kvm_msr_entry *all = calloc(n ? n : 1, sizeof(*all));
	uint32_t k = 0, i = 0, dl = n, tsc = n;

	if (!all)
		return -ENOMEM;
	for (uint32_t j = 0; j < n; j++) {
		if (saved[j].index == MSR_IA32_TSC)
			tsc = j;
		if (saved[j].index == MSR_IA32_TSC_DEADLINE)
			dl = j;
		else
			all[k++] = saved[j];
	}
	if (dl < n) {
		all[k] = saved[dl];
		if (!all[k].data && tsc < n)
			all[k].data = saved[tsc].data;
		k++;
	}
	while (i < k) {
		uint32_t chunk = k - i < MSR_CHUNK ? k - i : MSR_CHUNK;
		int got;

		memset(&buf, 0, sizeof(buf));
		buf.h.nmsrs = chunk;
		memcpy(buf.e, all + i, chunk * sizeof(buf.e[0]));
		got = ioctl(vcpu->fd, KVM_SET_MSRS, &buf);
		if (got < 0) {
			free(all);
			return -errno;
		}
		if ((uint32_t)got < chunk)
			(*skipped)++;
		i += (uint32_t)got + ((uint32_t)got < chunk);
	}
	free(all);
	return 0;
}

static const char *vcpu_put(struct vcpu *v, const struct snap_vcpu_state *s, unsigned *skipped)
{
	const uint8_t *tail = (const uint8_t *)(s + 1);
	const struct kvm_cpuid_entry2 *cpuid = (const void *)(tail + s->xsave_size);
	const struct kvm_msr_entry *msrs = (const void *)(cpuid + s->ncpuid);
	struct kvm_vcpu_events ev = s->events;

	if (vcpu_set_tsc(v, s->tsc_khz))
		return "KVM_SET_TSC_KHZ";
	if (vcpu_set_cpuid(v, cpuid, s->ncpuid))
		return "KVM_SET_CPUID2";
	if (ioctl(v->fd, KVM_SET_MP_STATE, &s->mp) < 0)
		return "KVM_SET_MP_STATE";
	if (ioctl(v->fd, KVM_SET_REGS, &s->regs) < 0)
		return "KVM_SET_REGS";
	if (ioctl(v->fd, KVM_SET_SREGS, &s->sregs) < 0)
		return "KVM_SET_SREGS";
	if (ioctl(v->fd, KVM_SET_XSAVE, tail) < 0)
		return "KVM_SET_XSAVE";
	if (ioctl(v->fd, KVM_SET_XCRS, &s->xcrs) < 0)
		return "KVM_SET_XCRS";
	if (ioctl(v->fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
		return "KVM_SET_DEBUGREGS";
	if (ioctl(v->fd, KVM_SET_LAPIC, &s->lapic) < 0)
		return "KVM_SET_LAPIC";
	if (vcpu_set_msrs(v, msrs, s->nmsrs, skipped))
		return "KVM_SET_MSRS";
	/* GET reports only some of these as valid; NMI and SIPI state are ours to transfer. */
	ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return "KVM_SET_VCPU_EVENTS";
	/* Tell a kvmclock guest it was paused (EINVAL when it has no kvmclock: harmless). */
	ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0);
	return NULL;
}

int snap_vcpu_load(struct vcpu *vcpu, const void *blob, size_t len, char *err, size_t errlen)
{
	struct snap_vcpu_state *s;
	unsigned skipped = 0;
	const char *what;
	int ret;

	/* Copy: the blob inside the state file buffer need not be aligned. */
	s = malloc(len ? len : 1);
	if (!s)
		return vfail(err, errlen, -ENOMEM, "vcpu%u: out of memory", vcpu->index);
	memcpy(s, blob, len);
	ret = vcpu_blob_check(vcpu, s, len, err, errlen);
	if (ret) {
		free(s);
		return ret;
	}
	what = vcpu_put(vcpu, s, &skipped);
	ret = what ? (errno ? -errno : -EIO) : 0;
	free(s);
	if (ret)
		return vfail(err, errlen, ret, "vcpu%u: %s refused the saved state: %s",
			     vcpu->index, what, strerror(-ret));
	if (skipped)
		vmm_warn("snapshot: vcpu%u: %u MSRs this host's KVM would not take were skipped",
			 vcpu->index, skipped);
	return 0;
}

int snap_kvm_vm_save(struct vm *vm, struct snap_kvm_vm_state *st, char *err, size_t errlen)
{
	const char *what = NULL;

	memset(st, 0, sizeof(*st));
	st->version = SNAP_KVM_VM_VERSION;
	st->pic_master.chip_id = KVM_IRQCHIP_PIC_MASTER;
	st->pic_slave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	st->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &st->pit) < 0)
		what = "KVM_GET_PIT2";
	else if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &st->clock) < 0)
		what = "KVM_GET_CLOCK";
	else if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &st->pic_master) < 0 ||
		 ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &st->pic_slave) < 0 ||
		 ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &st->ioapic) < 0)
		what = "KVM_GET_IRQCHIP";
	if (what)
		return vfail(err, errlen, -errno, "%s failed: %s", what, strerror(errno));
	return 0;
}

int snap_kvm_vm_load(struct vm *vm, const void *blob, size_t len, char *err, size_t errlen)
{
	struct snap_kvm_vm_state st;
	const char *what = NULL;

	if (len != sizeof(st))
		return vfail(err, errlen, -EINVAL, "kvm-vm: %zu bytes, expected %zu", len,
			     sizeof(st));
	memcpy(&st, blob, sizeof(st));
	if (st.version != SNAP_KVM_VM_VERSION)
		return vfail(err, errlen, -EINVAL, "kvm-vm: version %u, expected %u", st.version,
			     SNAP_KVM_VM_VERSION);
	if (st.pic_master.chip_id != KVM_IRQCHIP_PIC_MASTER ||
	    st.pic_slave.chip_id != KVM_IRQCHIP_PIC_SLAVE || st.ioapic.chip_id != KVM_IRQCHIP_IOAPIC)
		return vfail(err, errlen, -EINVAL, "kvm-vm: irqchip ids out of order");
	/* Only the clock value: without KVM_CLOCK_REALTIME the guest sees no time pass. */
	st.clock.flags = 0;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &st.pit) < 0)
		what = "KVM_SET_PIT2";
	else if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &st.clock) < 0)
		what = "KVM_SET_CLOCK";
	else if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &st.pic_master) < 0 ||
		 ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &st.pic_slave) < 0 ||
		 ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &st.ioapic) < 0)
		what = "KVM_SET_IRQCHIP";
	if (what)
		return vfail(err, errlen, -errno, "kvm-vm: %s refused the saved state: %s", what,
			     strerror(errno));
	return 0;
}
