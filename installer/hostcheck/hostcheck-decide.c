// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check decision: one state from the facts, CPUID before /proc/cpuinfo (notes §1). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostcheck-private.h"

#define KVM_API_VERSION_EXPECTED 12	/* Linux Documentation/virt/kvm/api.rst §4.1 */

static const char *const state_names[HOSTCHECK_STATE_COUNT] = {
	[HOSTCHECK_READY] = "ready",
	[HOSTCHECK_NO_CPU_SUPPORT] = "no-cpu-support",
	[HOSTCHECK_NESTED_OFF] = "nested-off",
	[HOSTCHECK_FIRMWARE_DISABLED] = "firmware-disabled",
	[HOSTCHECK_MODULE_NOT_LOADED] = "module-not-loaded",
	[HOSTCHECK_NO_ACCESS] = "no-access",
	[HOSTCHECK_BUSY] = "busy",
	[HOSTCHECK_TOO_OLD] = "too-old",
};

static const char *const reason_names[HOSTCHECK_R_COUNT] = {
	[HOSTCHECK_R_OK] = "ok",
	[HOSTCHECK_R_NOT_X86] = "not-x86",
	[HOSTCHECK_R_NO_VMX_SVM] = "no-vmx-svm",
	[HOSTCHECK_R_HYPERVISOR_NO_VMX_SVM] = "hypervisor-no-vmx-svm",
	[HOSTCHECK_R_HYPERVISOR_DISABLED] = "hypervisor-disabled",
	[HOSTCHECK_R_FEAT_CTL_LOCKED] = "feat-ctl-locked",
	[HOSTCHECK_R_FEAT_CTL_SMX_ONLY] = "feat-ctl-smx-only",
	[HOSTCHECK_R_SVMDIS] = "svmdis",
	[HOSTCHECK_R_FLAG_HIDDEN] = "flag-hidden",
	[HOSTCHECK_R_KERNEL_LOG] = "kernel-log",
	[HOSTCHECK_R_FIRMWARE_SETTING] = "firmware-setting",
	[HOSTCHECK_R_MODULE_NOT_LOADED] = "module-not-loaded",
	[HOSTCHECK_R_MODULE_BLACKLISTED] = "module-blacklisted",
	[HOSTCHECK_R_NO_DEVICE_NODE] = "no-device-node",
	[HOSTCHECK_R_PERMISSION] = "permission",
	[HOSTCHECK_R_CONFLICT_MODULE] = "conflict-module",
	[HOSTCHECK_R_CREATE_VM_FAILED] = "create-vm-failed",
	[HOSTCHECK_R_NO_EPT] = "no-ept",
	[HOSTCHECK_R_NO_UNRESTRICTED_GUEST] = "no-unrestricted-guest",
	[HOSTCHECK_R_NO_NPT] = "no-npt",
	[HOSTCHECK_R_PAGING_OFF] = "paging-off",
	[HOSTCHECK_R_KVM_API] = "kvm-api",
};

const char *hostcheck_state_name(enum hostcheck_state state)
{
	return (unsigned)state < HOSTCHECK_STATE_COUNT ? state_names[state] : "invalid";
}

const char *hostcheck_reason_name(enum hostcheck_reason reason)
{
	return (unsigned)reason < HOSTCHECK_R_COUNT ? reason_names[reason] : "invalid";
}

const char *hostcheck_cpu_name(enum hostcheck_cpu cpu)
{
	return cpu == HOSTCHECK_CPU_INTEL ? "intel" : cpu == HOSTCHECK_CPU_AMD ? "amd" : "other";
}

const char *hostcheck_tri_name(enum hostcheck_tri t)
{
	return t == HOSTCHECK_TRI_YES ? "yes" : t == HOSTCHECK_TRI_NO ? "no" : "unknown";
}

static void evidence(struct hostcheck_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_evidence >= HOSTCHECK_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(r->evidence[r->n_evidence++], sizeof(r->evidence[0]), fmt, ap);
	va_end(ap);
}

static void set(struct hostcheck_result *r, enum hostcheck_state s, enum hostcheck_reason why)
{
	r->state = s;
	r->reason = why;
}

/* Without CPUID (should not happen on x86) the kernel's flags are the best we have. */
static bool cpu_has_vt(const struct hostcheck_facts *f)
{
	if (f->cpuid_ok)
		return f->cpuid_vmx || f->cpuid_svm;
	return f->flag_vmx || f->flag_svm;
}

static bool in_hypervisor(const struct hostcheck_facts *f)
{
	return f->cpuid_ok ? f->cpuid_hypervisor : f->flag_hypervisor;
}

static bool kvm_usable(const struct hostcheck_facts *f)
{
	return f->kvm.open_ret == 0 && f->kvm.api_version == KVM_API_VERSION_EXPECTED &&
	       f->kvm.create_vm_tried && f->kvm.create_vm_ret == 0;
}

/* A loaded vendor module means its init found VMX/SVM enabled, so firmware is fine. */
static bool backend_live(const struct hostcheck_facts *f)
{
	return f->mod_kvm_intel == HOSTCHECK_MOD_LOADED || f->mod_kvm_amd == HOSTCHECK_MOD_LOADED ||
	       f->mod_kvm_pvm == HOSTCHECK_MOD_LOADED;
}

static void backend_evidence(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	static const char *const how[] = {
		[HOSTCHECK_MOD_LOADED] = "loaded", [HOSTCHECK_MOD_BUILTIN] = "built in",
	};
	const struct {
		const char *name;
		enum hostcheck_mod state;
	} mods[] = {
		{ "kvm_intel", f->mod_kvm_intel }, { "kvm_amd", f->mod_kvm_amd },
		{ "kvm_pvm", f->mod_kvm_pvm },
	};

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		if (mods[i].state == HOSTCHECK_MOD_LOADED || mods[i].state == HOSTCHECK_MOD_BUILTIN)
			evidence(r, "KVM backend: %s (%s)", mods[i].name, how[mods[i].state]);
	}
	if (f->nested != HOSTCHECK_TRI_UNKNOWN)
		evidence(r, "nested virtualization for guests: %s", hostcheck_tri_name(f->nested));
}

static enum hostcheck_reason keep(enum hostcheck_reason have, enum hostcheck_reason next)
{
	return have != HOSTCHECK_R_OK ? have : next;
}

/* MSR locks first: they are the cause; the hidden flag and log lines are its symptoms. */
static enum hostcheck_reason msr_evidence(const struct hostcheck_facts *f,
					  struct hostcheck_result *r)
{
	/* Intel SDM vol. 3C §24.7 (IA32_FEATURE_CONTROL): bit 0 lock, 1 VMX in SMX, 2 outside. */
	if (f->cpu == HOSTCHECK_CPU_INTEL && f->feat_ctl_ret == 0 && (f->feat_ctl & 1) &&
	    !(f->feat_ctl & 4)) {
		evidence(r, "IA32_FEATURE_CONTROL (0x3A) = %#llx: locked with VMX outside SMX off%s",
			 (unsigned long long)f->feat_ctl, (f->feat_ctl & 2) ? " (on only with TXT)" : "");
		return (f->feat_ctl & 2) ? HOSTCHECK_R_FEAT_CTL_SMX_ONLY : HOSTCHECK_R_FEAT_CTL_LOCKED;
	}
	/* AMD APM vol. 2 §15.30.1 (VM_CR): bit 4 SVMDIS makes EFER.SVME writes fault. */
	if (f->cpu == HOSTCHECK_CPU_AMD && f->vm_cr_ret == 0 && (f->vm_cr & (1u << 4))) {
		evidence(r, "VM_CR (0xC0010114) = %#llx: SVMDIS set", (unsigned long long)f->vm_cr);
		return HOSTCHECK_R_SVMDIS;
	}
	return HOSTCHECK_R_OK;
}

static enum hostcheck_reason firmware_evidence(const struct hostcheck_facts *f,
					       struct hostcheck_result *r)
{
	enum hostcheck_reason why = msr_evidence(f, r);

	/* Linux clears vmx/svm from the flags when firmware disabled them (feat_ctl.c, amd.c). */
	if (f->cpuid_ok && f->cpuinfo_ok && f->cpuid_vmx && !f->flag_vmx) {
		evidence(r, "CPUID has VMX but /proc/cpuinfo hides \"vmx\": the kernel found it disabled");
		why = keep(why, HOSTCHECK_R_FLAG_HIDDEN);
	}
	if (f->cpuid_ok && f->cpuinfo_ok && f->cpuid_svm && !f->flag_svm) {
		evidence(r, "CPUID has SVM but /proc/cpuinfo hides \"svm\": the kernel found it disabled");
		why = keep(why, HOSTCHECK_R_FLAG_HIDDEN);
	}
	if (f->kmsg_bios[0]) {
		evidence(r, "kernel: %s", f->kmsg_bios);
		why = keep(why, HOSTCHECK_R_KERNEL_LOG);
	}
	for (int i = 0; i < f->n_fwattr; i++) {
		const struct hostcheck_fwattr *a = &f->fwattr[i];

		if (a->role != HOSTCHECK_FWATTR_VT || !hc_fwattr_disabled(a))
			continue;
		evidence(r, "firmware setting %s = %s (%s)", a->name, a->value, a->driver);
		why = keep(why, HOSTCHECK_R_FIRMWARE_SETTING);
	}
	return why;
}

static void hypervisor_evidence(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	const char *name = hostcheck_hypervisor_name(f->hypervisor_id);

	if (f->hypervisor_id[0])
		evidence(r, "running under a hypervisor: %s (CPUID id \"%s\")",
			 name ? name : "unknown", f->hypervisor_id);
	else
		evidence(r, "running under a hypervisor (CPUID.1:ECX[31] set)");
}

/* States 1-3: does the processor, as this OS sees it, have usable VMX/SVM at all? */
static bool decide_cpu(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	enum hostcheck_reason why;

	if (!cpu_has_vt(f) && (f->cpuid_ok || !f->kmsg_bios[0])) {
		if (f->kmsg_nohw[0])
			evidence(r, "kernel: %s", f->kmsg_nohw);
		if (!in_hypervisor(f)) {
			set(r, HOSTCHECK_NO_CPU_SUPPORT, HOSTCHECK_R_NO_VMX_SVM);
			return true;
		}
		hypervisor_evidence(f, r);
		set(r, HOSTCHECK_NESTED_OFF, HOSTCHECK_R_HYPERVISOR_NO_VMX_SVM);
		return true;
	}
	why = firmware_evidence(f, r);
	if (why == HOSTCHECK_R_OK)
		return false;
	if (in_hypervisor(f)) {
		/* A virtual machine's "firmware" is its host's configuration. */
		hypervisor_evidence(f, r);
		set(r, HOSTCHECK_NESTED_OFF, HOSTCHECK_R_HYPERVISOR_DISABLED);
		return true;
	}
	set(r, HOSTCHECK_FIRMWARE_DISABLED, why);
	return true;
}

static enum hostcheck_reason intel_too_old(const struct hostcheck_facts *f,
					   struct hostcheck_result *r)
{
	if (f->vmx_flags_line && !f->vmx_ept) {
		evidence(r, "/proc/cpuinfo \"vmx flags\" lacks ept (Extended Page Tables)");
		return HOSTCHECK_R_NO_EPT;
	}
	if (f->vmx_flags_line && !f->vmx_unrestricted) {
		evidence(r, "/proc/cpuinfo \"vmx flags\" lacks unrestricted_guest");
		return HOSTCHECK_R_NO_UNRESTRICTED_GUEST;
	}
	if (f->param_ept == HOSTCHECK_TRI_NO || f->param_unrestricted == HOSTCHECK_TRI_NO) {
		evidence(r, "kvm_intel loaded with ept=%s unrestricted_guest=%s",
			 hostcheck_tri_name(f->param_ept), hostcheck_tri_name(f->param_unrestricted));
		return HOSTCHECK_R_PAGING_OFF;
	}
	return HOSTCHECK_R_OK;
}

static enum hostcheck_reason amd_too_old(const struct hostcheck_facts *f,
					 struct hostcheck_result *r)
{
	if (f->cpuid_npt == HOSTCHECK_TRI_NO) {
		evidence(r, "CPUID.8000000Ah:EDX[0] (NP) = 0: no Nested Page Tables");
		return HOSTCHECK_R_NO_NPT;
	}
	if (f->cpuinfo_ok && f->flag_svm && !f->flag_npt) {
		evidence(r, "/proc/cpuinfo has svm but no npt (Nested Page Tables)");
		return HOSTCHECK_R_NO_NPT;
	}
	if (f->param_npt == HOSTCHECK_TRI_NO) {
		evidence(r, "kvm_amd loaded with npt=0");
		return HOSTCHECK_R_PAGING_OFF;
	}
	return HOSTCHECK_R_OK;
}

/* Only on positive evidence: an unknown is never "too old". */
static bool decide_too_old(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	enum hostcheck_reason why = HOSTCHECK_R_OK;
	bool vmx = f->cpuid_ok ? f->cpuid_vmx : f->flag_vmx;
	bool svm = f->cpuid_ok ? f->cpuid_svm : f->flag_svm;

	if (f->kvm.open_ret == 0 && f->kvm.api_version != KVM_API_VERSION_EXPECTED) {
		evidence(r, "KVM_GET_API_VERSION = %d, Vessel needs %d", f->kvm.api_version,
			 KVM_API_VERSION_EXPECTED);
		why = HOSTCHECK_R_KVM_API;
	} else if (f->cpu == HOSTCHECK_CPU_INTEL && vmx) {
		why = intel_too_old(f, r);
	} else if (f->cpu == HOSTCHECK_CPU_AMD && svm) {
		why = amd_too_old(f, r);
	}
	if (why == HOSTCHECK_R_OK)
		return false;
	set(r, HOSTCHECK_TOO_OLD, why);
	return true;
}

static void decide_module(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	const char *mod = f->cpu == HOSTCHECK_CPU_AMD ? "kvm_amd" : "kvm_intel";
	enum hostcheck_mod state = f->cpu == HOSTCHECK_CPU_AMD ? f->mod_kvm_amd : f->mod_kvm_intel;

	evidence(r, "/dev/kvm: %s", strerror(-f->kvm.open_ret));
	if (f->blacklist_module[0]) {
		evidence(r, "%s is blocked at %s: %s", f->blacklist_module, f->blacklist_where,
			 f->blacklist_line);
		set(r, HOSTCHECK_MODULE_NOT_LOADED, HOSTCHECK_R_MODULE_BLACKLISTED);
	} else if (state == HOSTCHECK_MOD_LOADED) {
		evidence(r, "%s is loaded but there is no usable /dev/kvm", mod);
		set(r, HOSTCHECK_MODULE_NOT_LOADED, HOSTCHECK_R_NO_DEVICE_NODE);
	} else {
		evidence(r, "%s is %s", mod, state == HOSTCHECK_MOD_BUILTIN ? "built in but did not start" :
			 state == HOSTCHECK_MOD_ABSENT ? "not loaded" : "not known to be loaded");
		set(r, HOSTCHECK_MODULE_NOT_LOADED, HOSTCHECK_R_MODULE_NOT_LOADED);
	}
}

/* KVM is there but unusable, or firmware is fine: which device-level problem is it? */
static void decide_device(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	if (f->conflict_module)
		evidence(r, "%s (%s) is loaded", f->conflict_module, f->conflict_program);
	if (f->kvm.open_ret == 0) {
		evidence(r, "KVM_CREATE_VM failed: %s", strerror(-f->kvm.create_vm_ret));
		set(r, HOSTCHECK_BUSY, f->conflict_module ? HOSTCHECK_R_CONFLICT_MODULE :
			HOSTCHECK_R_CREATE_VM_FAILED);
	} else if (f->kvm.open_ret == -EACCES || f->kvm.open_ret == -EPERM) {
		evidence(r, "/dev/kvm: open failed: %s", strerror(-f->kvm.open_ret));
		set(r, HOSTCHECK_NO_ACCESS, HOSTCHECK_R_PERMISSION);
	} else if (f->conflict_module) {
		evidence(r, "/dev/kvm: %s", strerror(-f->kvm.open_ret));
		set(r, HOSTCHECK_BUSY, HOSTCHECK_R_CONFLICT_MODULE);
	} else {
		decide_module(f, r);
	}
}

void hostcheck_decide(const struct hostcheck_facts *f, struct hostcheck_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!f->x86) {
		evidence(r, "this machine is %s, not x86-64", f->arch);
		set(r, HOSTCHECK_NO_CPU_SUPPORT, HOSTCHECK_R_NOT_X86);
		return;
	}
	if (f->cpuid_ok)
		evidence(r, "CPUID: %s, VMX %s, SVM %s, hypervisor bit %s",
			 f->cpu_vendor_id[0] ? f->cpu_vendor_id : "(no vendor)",
			 f->cpuid_vmx ? "yes" : "no", f->cpuid_svm ? "yes" : "no",
			 f->cpuid_hypervisor ? "set" : "clear");
	if (kvm_usable(f)) {
		if (decide_too_old(f, r))
			return;
		evidence(r, "/dev/kvm: API version 12, KVM_CREATE_VM works");
		backend_evidence(f, r);
		set(r, HOSTCHECK_READY, HOSTCHECK_R_OK);
		return;
	}
	/* With KVM open, the kernel already proved VMX/SVM usable: skip the CPU questions. */
	if (f->kvm.open_ret != 0 && !backend_live(f) && decide_cpu(f, r))
		return;
	if (decide_too_old(f, r))
		return;
	decide_device(f, r);
}
