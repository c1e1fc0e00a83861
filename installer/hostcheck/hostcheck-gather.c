// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check: collect every signal into struct hostcheck_facts, files from root, the rest by probe. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "hostcheck-private.h"

#define MSR_IA32_FEATURE_CONTROL	0x3a
#define MSR_AMD_VM_CR			0xc0010114u

/* CPUID.0 vendor strings (Intel SDM vol. 2A, CPUID leaf 0; AMD APM vol. 3, Fn0000_0000). */
static enum hostcheck_cpu cpu_from_vendor(const char *id)
{
	if (!strcmp(id, "GenuineIntel") || !strcmp(id, "CentaurHauls") ||
	    !strcmp(id, "  Shanghai  "))
		return HOSTCHECK_CPU_INTEL;
	if (!strcmp(id, "AuthenticAMD") || !strcmp(id, "HygonGenuine"))
		return HOSTCHECK_CPU_AMD;
	return HOSTCHECK_CPU_OTHER;
}

/* Twelve register bytes as a C string; a hypervisor pads its id with NULs. */
static void regs_string(char out[13], uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t w[3] = { a, b, c };
	char raw[12];

	memcpy(raw, w, sizeof(raw));
	for (int i = 0; i < 12; i++)
		out[i] = raw[i] && isprint((unsigned char)raw[i]) ? raw[i] : '\0';
	out[12] = '\0';
	/* Keep leading spaces ("  Shanghai  "), stop at the first NUL. */
}

static int cpuid(const struct hostcheck_probes *p, uint32_t leaf, uint32_t regs[4])
{
	memset(regs, 0, 4 * sizeof(regs[0]));
	return p->cpuid ? p->cpuid(p->opaque, leaf, 0, regs) : -ENOTSUP;
}

static void gather_cpuid(const struct hostcheck_probes *p, struct hostcheck_facts *f)
{
	uint32_t r[4], max_basic, max_ext = 0;

	if (cpuid(p, 0, r))
		return;
	f->cpuid_ok = true;
	max_basic = r[0];
	/* The vendor string is EBX, EDX, ECX in that order. */
	regs_string(f->cpu_vendor_id, r[1], r[3], r[2]);
	if (max_basic >= 1 && !cpuid(p, 1, r)) {
		f->cpuid_vmx = r[2] & (1u << 5);
		f->cpuid_hypervisor = r[2] & (1u << 31);
	}
	if (!cpuid(p, 0x80000000u, r))
		max_ext = r[0];
	if (max_ext >= 0x80000001u && !cpuid(p, 0x80000001u, r))
		f->cpuid_svm = r[2] & (1u << 2);
	/* AMD APM vol. 3, CPUID Fn8000_000A_EDX[0] NP: nested paging. */
	if (f->cpuid_svm && max_ext >= 0x8000000au && !cpuid(p, 0x8000000au, r))
		f->cpuid_npt = (r[3] & 1) ? HOSTCHECK_TRI_YES : HOSTCHECK_TRI_NO;
	/* Leaves 0x40000000+ are the hypervisor's only when CPUID.1:ECX[31] says one exists. */
	if (f->cpuid_hypervisor && !cpuid(p, 0x40000000u, r))
		regs_string(f->hypervisor_id, r[1], r[2], r[3]);
}

static void gather_arch(const struct hostcheck_probes *p, struct hostcheck_facts *f)
{
	if (!p->arch || p->arch(p->opaque, f->arch, sizeof(f->arch)))
		hc_copy(f->arch, sizeof(f->arch), "unknown");
	/* The VMM builds a 64-bit PC; a 32-bit x86 kernel cannot host it. */
	f->x86 = !strcmp(f->arch, "x86_64") || !strcmp(f->arch, "amd64");
}

/* Only the MSR that matters for this vendor; the other is left -ENODATA ("not asked"). */
static void gather_msrs(const struct hostcheck_probes *p, struct hostcheck_facts *f)
{
	f->feat_ctl_ret = -ENODATA;
	f->vm_cr_ret = -ENODATA;
	if (!f->x86 || !p->read_msr)
		return;
	if (f->cpu == HOSTCHECK_CPU_INTEL)
		f->feat_ctl_ret = p->read_msr(p->opaque, MSR_IA32_FEATURE_CONTROL, &f->feat_ctl);
	else if (f->cpu == HOSTCHECK_CPU_AMD)
		f->vm_cr_ret = p->read_msr(p->opaque, MSR_AMD_VM_CR, &f->vm_cr);
}

static void gather_kvm(const struct hostcheck_probes *p, struct hostcheck_facts *f)
{
	f->kvm.open_ret = -ENOSYS;
	f->kvm.api_version = -1;
	if (p->kvm)
		p->kvm(p->opaque, &f->kvm);
}

static void gather_logind(const struct hostcheck_probes *p, struct hostcheck_facts *f)
{
	char buf[sizeof(f->reboot_to_fw)];

	if (p->reboot_to_firmware && !p->reboot_to_firmware(p->opaque, buf, sizeof(buf)))
		hc_copy(f->reboot_to_fw, sizeof(f->reboot_to_fw), buf);
}

void hostcheck_gather(const char *root, const struct hostcheck_probes *p,
		      struct hostcheck_facts *f)
{
	memset(f, 0, sizeof(*f));
	gather_arch(p, f);
	if (f->x86)
		gather_cpuid(p, f);
	hc_parse_cpuinfo(root, f);	/* fills the vendor only when CPUID did not */
	if (f->x86)
		f->cpu = cpu_from_vendor(f->cpu_vendor_id);
	gather_msrs(p, f);
	hc_scan_modules(root, f);
	hc_read_module_params(root, f);
	hc_scan_blacklists(root, f);
	gather_kvm(p, f);
	hc_scan_kmsg(root, f);
	hc_read_dmi(root, &f->dmi);
	f->efi = hc_exists(root, "sys/firmware/efi");
	gather_logind(p, f);
	hc_scan_fwattrs(root, f);
}
