// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check advice: each state in one sentence and numbered steps, in firmware-menu words. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostcheck-private.h"

static const char *const titles[HOSTCHECK_STATE_COUNT] = {
	[HOSTCHECK_READY] = "Ready: this computer can run virtual machines",
	[HOSTCHECK_NO_CPU_SUPPORT] = "This computer can't run Vessel's virtual machines",
	[HOSTCHECK_NESTED_OFF] = "Nested virtualization is off",
	[HOSTCHECK_FIRMWARE_DISABLED] = "Virtualization is switched off in the firmware settings",
	[HOSTCHECK_MODULE_NOT_LOADED] = "The KVM kernel module is not loaded",
	[HOSTCHECK_NO_ACCESS] = "You don't have permission to use KVM",
	[HOSTCHECK_BUSY] = "Another virtualization program is using the processor",
	[HOSTCHECK_TOO_OLD] = "This processor or kernel is too old for Vessel",
};

static void step(struct hostcheck_advice *a, const char *fmt, ...)
{
	va_list ap;

	if (a->n_steps >= HOSTCHECK_MAX_STEPS)
		return;
	va_start(ap, fmt);
	vsnprintf(a->steps[a->n_steps++], sizeof(a->steps[0]), fmt, ap);
	va_end(ap);
}

static void note(struct hostcheck_advice *a, const char *text)
{
	if (text && a->n_notes < (int)(sizeof(a->notes) / sizeof(a->notes[0])))
		hc_copy(a->notes[a->n_notes++], sizeof(a->notes[0]), text);
}

static void summary(struct hostcheck_advice *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->summary, sizeof(a->summary), fmt, ap);
	va_end(ap);
}

/* The words people search their firmware for (notes §1): "Virtualization", VT-x, SVM. */
static const char *tech(const struct hostcheck_facts *f)
{
	if (f->cpu == HOSTCHECK_CPU_INTEL)
		return "Intel Virtualization Technology (VT-x)";
	if (f->cpu == HOSTCHECK_CPU_AMD)
		return "AMD-V (\"SVM Mode\" in most firmware menus)";
	return "hardware virtualization (VT-x or AMD-V)";
}

static const char *tech_short(const struct hostcheck_facts *f)
{
	if (f->cpu == HOSTCHECK_CPU_INTEL)
		return "VT-x";
	return f->cpu == HOSTCHECK_CPU_AMD ? "AMD-V" : "VT-x or AMD-V";
}

static const char *maker(const struct hostcheck_facts *f)
{
	return f->cpu == HOSTCHECK_CPU_INTEL ? "Intel " : f->cpu == HOSTCHECK_CPU_AMD ? "AMD " : "";
}

static const char *vendor_module(const struct hostcheck_facts *f)
{
	return f->cpu == HOSTCHECK_CPU_AMD ? "kvm_amd" : "kvm_intel";
}

static void again(struct hostcheck_advice *a)
{
	step(a, "Run `vesselctl check` again.");
}

static const struct hostcheck_fwattr *vt_attr(const struct hostcheck_facts *f)
{
	for (int i = 0; i < f->n_fwattr; i++) {
		if (f->fwattr[i].role == HOSTCHECK_FWATTR_VT)
			return &f->fwattr[i];
	}
	return NULL;
}

static void reboot_step(const struct hostcheck_facts *f, const struct hostcheck_vendor_card *c,
			struct hostcheck_advice *a)
{
	const char *can = f->reboot_to_fw;

	if (!strcmp(can, "yes") || !strcmp(can, "challenge"))
		step(a, "Restart straight into the firmware setup: `systemctl reboot --firmware-setup`.");
	else if (can[0] || !f->efi)
		step(a, "Restart and press the setup key (%s) as soon as the computer starts.",
		     c->setup_key);
	else
		step(a, "Restart into the firmware setup with `systemctl reboot --firmware-setup`, or "
		     "restart and press the setup key (%s) as the computer starts.", c->setup_key);
}

static void option_step(const struct hostcheck_facts *f, const struct hostcheck_vendor_card *c,
			struct hostcheck_advice *a)
{
	const char *option = hostcheck_card_option(c, f->cpu);
	const char *menu = hostcheck_card_menu(c, f->cpu);

	if (strcmp(c->id, "generic"))
		step(a, "Open %s and set \"%s\" to Enabled.", menu, option);
	else if (f->cpu == HOSTCHECK_CPU_AMD)
		step(a, "Look under %s for \"SVM Mode\" (also called SVM or AMD-V) and set it to "
		     "Enabled.", menu);
	else
		step(a, "Look under %s for \"Intel Virtualization Technology\" (also called VT-x or "
		     "Intel VT) and set it to Enabled.", menu);
}

static void power_cycle_step(struct hostcheck_advice *a, const char *first)
{
	step(a, "%s shut the computer down completely and switch it on again: a restart may keep "
	     "the old setting.", first);
}

/* notes §2: think-lmi, dell-wmi-sysman and hp-bioscfg let Linux flip the switch itself. */
static void fwattr_steps(const struct hostcheck_fwattr *v, struct hostcheck_advice *a)
{
	char word[32];
	bool quote = strchr(v->name, ' ') != NULL;

	if (!v->pending_reboot)
		step(a, "Switch it on from Linux: `fwupdmgr set-bios-setting %s%s%s %s` (fwupd 1.8.4 "
		     "or later; a supervisor password may be asked for).", quote ? "\"" : "", v->name,
		     quote ? "\"" : "", hc_fwattr_enable_word(v, word, sizeof(word)));
	power_cycle_step(a, v->pending_reboot ? "A firmware change is already waiting:" : "Then");
}

/* The manual way, for when the firmware-attribute write is refused (supervisor password). */
static void setup_note(const struct hostcheck_facts *f, const struct hostcheck_vendor_card *c,
		       struct hostcheck_advice *a)
{
	char text[400];

	snprintf(text, sizeof(text), "Or in the firmware setup: press %s as the computer starts, "
		 "open %s and set \"%s\" to Enabled.", c->setup_key, hostcheck_card_menu(c, f->cpu),
		 hostcheck_card_option(c, f->cpu));
	note(a, text);
}

static void advise_firmware(const struct hostcheck_facts *f, const struct hostcheck_result *r,
			    struct hostcheck_advice *a)
{
	const struct hostcheck_vendor_card *c = hostcheck_vendor_card(&f->dmi);
	const struct hostcheck_fwattr *v = vt_attr(f);

	if (r->reason == HOSTCHECK_R_FEAT_CTL_SMX_ONLY)
		summary(a, "Your Intel processor supports %s, but the firmware enables it only "
			"together with Intel TXT (Trusted Execution), so Vessel can't use it.", tech(f));
	else
		summary(a, "Your %sprocessor supports %s, but it is switched off in the firmware setup "
			"(BIOS/UEFI), so Vessel can't use it.", maker(f), tech(f));
	if (v) {
		fwattr_steps(v, a);
		if (c->has_toggle)
			setup_note(f, c, a);
	} else if (c->has_toggle) {
		reboot_step(f, c, a);
		option_step(f, c, a);
		power_cycle_step(a, "Save and exit (F10 on most machines), then");
	} else {
		step(a, "Install the latest firmware update for this computer from its maker.");
		power_cycle_step(a, "Then");
	}
	again(a);
	note(a, c->notes);
	if (f->cpu == HOSTCHECK_CPU_INTEL)
		note(a, hostcheck_gotchas()[0]);
}

/* Hosts' settings for nested virtualization: from experience, not from the notes. */
static void advise_nested(const struct hostcheck_facts *f, struct hostcheck_advice *a)
{
	const char *hv = hostcheck_hypervisor_name(f->hypervisor_id);
	char under[64] = "";

	if (hv)
		snprintf(under, sizeof(under), " (running under %s)", hv);
	summary(a, "This system is itself a virtual machine%s, and its host does not pass %s "
		"through to it, so KVM can't run here.", under, tech_short(f));
	if (hv && !strcmp(hv, "VMware"))
		step(a, "In VMware, with this VM powered off: Settings → Processors → tick "
		     "\"Virtualize Intel VT-x/EPT or AMD-V/RVI\".");
	else if (hv && !strcmp(hv, "VirtualBox"))
		step(a, "In VirtualBox, with this VM powered off: Settings → System → Processor → tick "
		     "\"Enable Nested VT-x/AMD-V\" (or `VBoxManage modifyvm NAME --nested-hw-virt on`).");
	else if (hv && !strcmp(hv, "Hyper-V"))
		step(a, "On the Windows host, with this VM off, run in PowerShell: `Set-VMProcessor "
		     "-VMName NAME -ExposeVirtualizationExtensions $true` (WSL 2: nestedVirtualization"
		     "=true under [wsl2] in .wslconfig).");
	else if (hv && !strcmp(hv, "KVM"))
		step(a, "On the Linux host, load %s with nested=1 and give this VM the host's CPU model "
		     "(virt-manager: \"Copy host CPU configuration\"; QEMU: -cpu host).", vendor_module(f));
	else
		step(a, "On the host, enable nested virtualization for this virtual machine (\"nested "
		     "VT-x/AMD-V\" or \"expose virtualization extensions\").");
	step(a, "Shut this virtual machine down completely and start it again.");
	again(a);
}

static void advise_module(const struct hostcheck_facts *f, const struct hostcheck_result *r,
			  struct hostcheck_advice *a)
{
	const char *mod = vendor_module(f);

	if (r->reason == HOSTCHECK_R_NO_DEVICE_NODE) {
		summary(a, "The KVM kernel module (%s) is loaded, but /dev/kvm is missing.", mod);
		step(a, "Reload it: `sudo modprobe -r %s && sudo modprobe %s`, or restart the computer.",
		     mod, mod);
		again(a);
		return;
	}
	if (r->reason == HOSTCHECK_R_MODULE_BLACKLISTED) {
		summary(a, "Virtualization is on, but the KVM kernel module (%s) is blocked from "
			"loading.", f->blacklist_module);
		if (!strcmp(f->blacklist_where, "/proc/cmdline"))
			step(a, "Remove `%s` from the kernel command line (boot loader settings).",
			     f->blacklist_line);
		else
			step(a, "Remove the line `%s` (%s).", f->blacklist_line, f->blacklist_where);
	} else {
		summary(a, "Virtualization is on, but the KVM kernel module (%s) is not loaded, so "
			"/dev/kvm does not exist.", mod);
	}
	step(a, "Load it: `sudo modprobe %s`.", mod);
	again(a);
	note(a, "If modprobe says \"Operation not supported\", virtualization is off in the firmware "
	     "after all: run `sudo vesselctl check` to read the processor's lock register.");
}

static void advise_busy(const struct hostcheck_facts *f, struct hostcheck_advice *a)
{
	if (!f->conflict_module) {
		summary(a, "KVM is loaded but could not create a virtual machine (%s); another "
			"hypervisor may be holding the processor's virtualization.",
			strerror(-f->kvm.create_vm_ret));
		step(a, "Quit virtualization programs that don't use KVM (VirtualBox, VMware) and try "
		     "again.");
		again(a);
		return;
	}
	summary(a, "%s (its %s kernel driver) is holding the processor's virtualization, so KVM "
		"can't run a virtual machine.", f->conflict_program, f->conflict_module);
	step(a, "Quit %s and all of its virtual machines.", f->conflict_program);
	if (!strcmp(f->conflict_module, "vboxdrv"))
		step(a, "If it still fails, unload its driver: "
		     "`sudo modprobe -r vboxnetadp vboxnetflt vboxdrv`.");
	else
		step(a, "If it still fails, unload its driver: `sudo modprobe -r %s`.",
		     f->conflict_module);
	if (f->kvm.open_ret)
		step(a, "Load KVM: `sudo modprobe %s`.", vendor_module(f));
	again(a);
}

static void advise_too_old(const struct hostcheck_facts *f, const struct hostcheck_result *r,
			   struct hostcheck_advice *a)
{
	switch (r->reason) {
	case HOSTCHECK_R_KVM_API:
		summary(a, "This Linux kernel's KVM speaks API version %d; Vessel needs version 12.",
			f->kvm.api_version);
		step(a, "Update the Linux kernel.");
		return;
	case HOSTCHECK_R_PAGING_OFF:
		summary(a, "KVM was loaded with two-dimensional paging (EPT/NPT) switched off by a "
			"module option, and Vessel needs it.");
		step(a, "Remove `ept=0`, `unrestricted_guest=0` or `npt=0` from /etc/modprobe.d and "
		     "reload %s.", vendor_module(f));
		again(a);
		return;
	case HOSTCHECK_R_NO_NPT:
		summary(a, "This AMD processor has AMD-V but not Nested Page Tables (NPT, also called "
			"RVI), which Vessel needs.");
		break;
	case HOSTCHECK_R_NO_UNRESTRICTED_GUEST:
		summary(a, "This Intel processor has VT-x but not \"unrestricted guest\" mode, which "
			"Vessel needs.");
		break;
	default:
		summary(a, "This Intel processor has VT-x but not Extended Page Tables (EPT), which "
			"Vessel needs.");
		break;
	}
	step(a, "Vessel can't run virtual machines on this processor; a processor from about 2010 "
	     "or later is needed.");
}

static void advise_simple(const struct hostcheck_facts *f, const struct hostcheck_result *r,
			  struct hostcheck_advice *a)
{
	switch (r->state) {
	case HOSTCHECK_READY:
		summary(a, "KVM works (API version 12, a test VM was created), so Vessel can run "
			"virtual machines at full speed.");
		if (f->nested == HOSTCHECK_TRI_YES)
			note(a, "Nested virtualization is on: virtual machines may run hypervisors too.");
		break;
	case HOSTCHECK_NO_CPU_SUPPORT:
		if (r->reason == HOSTCHECK_R_NOT_X86)
			summary(a, "Vessel runs PC (x86-64) virtual machines with KVM, and this computer "
				"is %s.", f->arch);
		else
			summary(a, "This %sprocessor has no hardware virtualization (%s), which "
				"Vessel needs, so it can't run virtual machines here.", maker(f),
				tech_short(f));
		break;
	case HOSTCHECK_NO_ACCESS:
		summary(a, "KVM is available, but your user account may not open /dev/kvm.");
		step(a, "Add yourself to the kvm group: `sudo usermod -aG kvm $USER`.");
		step(a, "Log out and back in: group changes apply to new logins.");
		again(a);
		note(a, "Vessel's udev rule can instead give the logged-in user access (uaccess).");
		break;
	default:
		break;
	}
}

void hostcheck_advise(const struct hostcheck_facts *f, const struct hostcheck_result *r,
		      struct hostcheck_advice *a)
{
	memset(a, 0, sizeof(*a));
	if ((unsigned)r->state < HOSTCHECK_STATE_COUNT)
		hc_copy(a->title, sizeof(a->title), titles[r->state]);
	switch (r->state) {
	case HOSTCHECK_FIRMWARE_DISABLED:
		advise_firmware(f, r, a);
		break;
	case HOSTCHECK_NESTED_OFF:
		advise_nested(f, a);
		break;
	case HOSTCHECK_MODULE_NOT_LOADED:
		advise_module(f, r, a);
		break;
	case HOSTCHECK_BUSY:
		advise_busy(f, a);
		break;
	case HOSTCHECK_TOO_OLD:
		advise_too_old(f, r, a);
		break;
	default:
		advise_simple(f, r, a);
		break;
	}
}
