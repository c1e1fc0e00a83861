/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host virtualization check: why KVM is (not) usable here, as one stable state plus evidence. */
#ifndef VESSEL_HOSTCHECK_H
#define VESSEL_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The states, in the order the wizard walks them. The numbers are an ABI: scripts see them as
 * `vesselctl check`'s exit code and as "code" in its JSON. Never renumber; only append.
 */
enum hostcheck_state {
	HOSTCHECK_READY = 0,		/* KVM works: API 12, KVM_CREATE_VM succeeds */
	HOSTCHECK_NO_CPU_SUPPORT = 1,	/* not x86, or a CPU without VMX/SVM */
	HOSTCHECK_NESTED_OFF = 2,	/* we are a VM whose host does not pass VMX/SVM through */
	HOSTCHECK_FIRMWARE_DISABLED = 3,	/* CPU has it, firmware setup switched it off */
	HOSTCHECK_MODULE_NOT_LOADED = 4,	/* firmware fine, kvm_intel/kvm_amd absent or blacklisted */
	HOSTCHECK_NO_ACCESS = 5,	/* /dev/kvm exists, this user may not open it */
	HOSTCHECK_BUSY = 6,		/* another hypervisor holds VMX/SVM, KVM_CREATE_VM fails */
	HOSTCHECK_TOO_OLD = 7,		/* no EPT/NPT or unrestricted guest, or an obsolete KVM API */
	HOSTCHECK_STATE_COUNT
};

/* Finer detail inside a state. Stable by name (hostcheck_reason_name), not by number. */
enum hostcheck_reason {
	HOSTCHECK_R_OK,
	HOSTCHECK_R_NOT_X86,
	HOSTCHECK_R_NO_VMX_SVM,
	HOSTCHECK_R_HYPERVISOR_NO_VMX_SVM,
	HOSTCHECK_R_HYPERVISOR_DISABLED,
	HOSTCHECK_R_FEAT_CTL_LOCKED,
	HOSTCHECK_R_FEAT_CTL_SMX_ONLY,
	HOSTCHECK_R_SVMDIS,
	HOSTCHECK_R_FLAG_HIDDEN,
	HOSTCHECK_R_KERNEL_LOG,
	HOSTCHECK_R_FIRMWARE_SETTING,
	HOSTCHECK_R_MODULE_NOT_LOADED,
	HOSTCHECK_R_MODULE_BLACKLISTED,
	HOSTCHECK_R_NO_DEVICE_NODE,
	HOSTCHECK_R_PERMISSION,
	HOSTCHECK_R_CONFLICT_MODULE,
	HOSTCHECK_R_CREATE_VM_FAILED,
	HOSTCHECK_R_NO_EPT,
	HOSTCHECK_R_NO_UNRESTRICTED_GUEST,
	HOSTCHECK_R_NO_NPT,
	HOSTCHECK_R_PAGING_OFF,
	HOSTCHECK_R_KVM_API,
	HOSTCHECK_R_COUNT
};

/* Zero is "unknown" so a memset fact struct claims nothing. */
enum hostcheck_tri {
	HOSTCHECK_TRI_UNKNOWN = 0,
	HOSTCHECK_TRI_NO,
	HOSTCHECK_TRI_YES,
};

/* By virtualization technology: Intel and Zhaoxin/Centaur have VMX, AMD and Hygon have SVM. */
enum hostcheck_cpu {
	HOSTCHECK_CPU_OTHER = 0,
	HOSTCHECK_CPU_INTEL,
	HOSTCHECK_CPU_AMD,
};

enum hostcheck_mod {
	HOSTCHECK_MOD_UNKNOWN = 0,
	HOSTCHECK_MOD_ABSENT,
	HOSTCHECK_MOD_LOADED,		/* listed in /proc/modules, or initstate "live" */
	HOSTCHECK_MOD_BUILTIN,		/* /sys/module/<name> without initstate: built in */
};

enum hostcheck_fwattr_role {
	HOSTCHECK_FWATTR_VT,		/* the VT-x / AMD-V switch itself */
	HOSTCHECK_FWATTR_IOMMU,		/* VT-d / AMD-Vi: useful, not required */
	HOSTCHECK_FWATTR_TXT,		/* Intel TXT: greys out the VT switch while on */
};

struct hostcheck_dmi {
	char sys_vendor[64];
	char product_name[96];
	char product_version[96];
	char product_family[96];
	char bios_vendor[64];
	char board_vendor[64];
	char board_name[64];
};

/* One allow-listed setting from /sys/class/firmware-attributes/<driver>/attributes/<name>. */
struct hostcheck_fwattr {
	char driver[32];
	char name[64];
	char value[32];
	char possible[96];
	enum hostcheck_fwattr_role role;
	bool pending_reboot;		/* <driver>/attributes/pending_reboot reads 1 */
};

/* What the /dev/kvm probe saw. Errors are -errno. */
struct hostcheck_kvm_answer {
	int open_ret;			/* 0 or -errno from open(O_RDWR) */
	int api_version;		/* KVM_GET_API_VERSION, or -errno, or -1 if not asked */
	int create_vm_ret;		/* 0 or -errno from KVM_CREATE_VM */
	bool create_vm_tried;
};

/*
 * Everything that is not a plain file under the root directory. The system probes execute
 * CPUID, read /dev/cpu/0/msr, open /dev/kvm and ask logind; fixtures answer from probes.ini;
 * the broker will later supply MSRs for an unprivileged app. Functions return 0 or -errno.
 */
struct hostcheck_probes {
	void *opaque;
	/* uname -m: "x86_64", "aarch64", ... */
	int (*arch)(void *opaque, char *buf, size_t len);
	/* regs = eax, ebx, ecx, edx. -ENOTSUP off x86, -ENOENT for a leaf a fixture lacks. */
	int (*cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
	/* An MSR of CPU 0. -EACCES without root, -ENOENT without the msr driver. */
	int (*read_msr)(void *opaque, uint32_t index, uint64_t *value);
	void (*kvm)(void *opaque, struct hostcheck_kvm_answer *out);
	/* logind's CanRebootToFirmwareSetup(): "yes", "no", "na" or "challenge". */
	int (*reboot_to_firmware)(void *opaque, char *buf, size_t len);
};

#define HOSTCHECK_MAX_FWATTR 8

struct hostcheck_facts {
	char arch[32];
	bool x86;

	/* CPUID: ground truth, unprivileged (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, E.4) */
	bool cpuid_ok;
	char cpu_vendor_id[13];
	enum hostcheck_cpu cpu;
	bool cpuid_vmx;			/* CPUID.1:ECX[5] */
	bool cpuid_svm;			/* CPUID.80000001h:ECX[2] */
	bool cpuid_hypervisor;		/* CPUID.1:ECX[31] */
	enum hostcheck_tri cpuid_npt;	/* CPUID.8000000Ah:EDX[0], asked only with SVM */
	char hypervisor_id[13];		/* CPUID.40000000h:EBX,ECX,EDX */

	/* /proc/cpuinfo: what the kernel chose to show (it hides firmware-disabled VMX/SVM) */
	bool cpuinfo_ok;		/* readable, with an x86 "flags" line */
	bool flag_vmx, flag_svm, flag_npt, flag_hypervisor;
	bool vmx_flags_line;		/* "vmx flags" line, Linux 5.8+ */
	bool vmx_ept, vmx_unrestricted;

	/* MSRs (root or broker): 0 or -errno; -ENODATA when not asked */
	int feat_ctl_ret;
	uint64_t feat_ctl;		/* IA32_FEATURE_CONTROL, 0x3A */
	int vm_cr_ret;
	uint64_t vm_cr;			/* AMD VM_CR, C001_0114h */

	/* modules and their parameters */
	bool modules_ok;		/* /proc/modules readable */
	enum hostcheck_mod mod_kvm, mod_kvm_intel, mod_kvm_amd, mod_kvm_pvm;
	const char *conflict_module;	/* static strings: "vboxdrv", "vmmon" */
	const char *conflict_program;
	char blacklist_module[24];
	char blacklist_where[160];	/* "/etc/modprobe.d/x.conf:3" or "/proc/cmdline" */
	char blacklist_line[96];
	enum hostcheck_tri nested;	/* kvm_{intel,amd}.nested: our VMs may nest */
	enum hostcheck_tri param_ept, param_unrestricted, param_npt;

	struct hostcheck_kvm_answer kvm;

	/* kernel log (/dev/kmsg, often restricted) */
	bool kmsg_ok;
	char kmsg_bios[200];		/* first "disabled by BIOS"-style line */
	char kmsg_nohw[200];		/* first "not supported"-style line */

	struct hostcheck_dmi dmi;
	bool efi;			/* /sys/firmware/efi exists */
	char reboot_to_fw[16];		/* "" when logind did not answer */
	int n_fwattr;
	struct hostcheck_fwattr fwattr[HOSTCHECK_MAX_FWATTR];
};

#define HOSTCHECK_MAX_EVIDENCE 10

struct hostcheck_result {
	enum hostcheck_state state;
	enum hostcheck_reason reason;
	int n_evidence;
	char evidence[HOSTCHECK_MAX_EVIDENCE][200];
};

/* A vendor's firmware-setup card (notes §3). Strings are static; NULL means "none". */
struct hostcheck_vendor_card {
	const char *id;			/* stable: "lenovo-thinkpad", "generic", ... */
	const char *name;		/* "Lenovo ThinkPad" */
	const char *setup_key;
	const char *menu_path;
	const char *menu_path_amd;	/* NULL: same as menu_path */
	const char *option_intel;
	const char *option_amd;
	const char *notes;
	bool has_toggle;		/* false: Apple, Surface, virtual machines */
};

#define HOSTCHECK_MAX_STEPS 6

/* Plain-language explanation for the CLI and the wizard, in firmware-menu words. */
struct hostcheck_advice {
	char title[96];
	char summary[480];
	int n_steps;
	char steps[HOSTCHECK_MAX_STEPS][400];
	int n_notes;
	char notes[3][400];
};

/* --- gathering and deciding --- */

/* Read every signal: files relative to root ("/" for this machine), the rest via probes. */
void hostcheck_gather(const char *root, const struct hostcheck_probes *probes,
		      struct hostcheck_facts *facts);

/* The decision: a pure function of the facts. */
void hostcheck_decide(const struct hostcheck_facts *facts, struct hostcheck_result *result);

/* Probes for the running machine. Its opaque is NULL; no state. */
const struct hostcheck_probes *hostcheck_system_probes(void);

/* Fixture probes from DIR/probes.ini. NULL with *err set to -errno and msg filled. */
struct hostcheck_fixture;
struct hostcheck_fixture *hostcheck_fixture_load(const char *dir, char *msg, size_t msglen,
						 int *err);
const struct hostcheck_probes *hostcheck_fixture_probes(struct hostcheck_fixture *fx);
void hostcheck_fixture_free(struct hostcheck_fixture *fx);

/* --- names and words --- */

const char *hostcheck_state_name(enum hostcheck_state state);	/* "firmware-disabled" */
const char *hostcheck_reason_name(enum hostcheck_reason reason);	/* "feat-ctl-locked" */
const char *hostcheck_cpu_name(enum hostcheck_cpu cpu);		/* "intel", "amd", "other" */
const char *hostcheck_tri_name(enum hostcheck_tri t);		/* "yes", "no", "unknown" */
/* "VMware", "Hyper-V", ... from CPUID.40000000h; NULL when unknown. */
const char *hostcheck_hypervisor_name(const char *hypervisor_id);

void hostcheck_advise(const struct hostcheck_facts *facts, const struct hostcheck_result *result,
		      struct hostcheck_advice *advice);

/* --- vendor cards --- */

const struct hostcheck_vendor_card *hostcheck_vendor_card(const struct hostcheck_dmi *dmi);
const char *hostcheck_card_option(const struct hostcheck_vendor_card *card, enum hostcheck_cpu cpu);
const char *hostcheck_card_menu(const struct hostcheck_vendor_card *card, enum hostcheck_cpu cpu);
/* Vendor-independent firmware gotchas (notes §3), NULL-terminated. */
const char *const *hostcheck_gotchas(void);
/* Is this firmware attribute one of the virtualization settings we may read and set? */
bool hostcheck_fwattr_allowed(const char *name);

#endif
