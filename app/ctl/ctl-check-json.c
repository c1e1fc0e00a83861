// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl check --json: the state, the advice and every fact behind it, for scripts. */
#include <errno.h>
#include <string.h>

#include "ctl-check.h"
#include "ctl-json.h"

static const char *mod_name(enum hostcheck_mod m)
{
	static const char *const names[] = { "unknown", "absent", "loaded", "builtin" };

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "unknown";
}

static const char *role_name(enum hostcheck_fwattr_role role)
{
	return role == HOSTCHECK_FWATTR_VT ? "virtualization" :
	       role == HOSTCHECK_FWATTR_IOMMU ? "iommu" : "txt";
}

/* "ok", or the errno's name ("EACCES") so scripts need no locale-dependent text. */
static const char *err_name(int ret)
{
	const char *name;

	if (ret == 0)
		return "ok";
	name = strerrorname_np(-ret);
	return name ? name : "error";
}

static void tri(struct ctl_json *j, const char *key, enum hostcheck_tri t)
{
	if (t == HOSTCHECK_TRI_UNKNOWN)
		ctl_json_null(j, key);
	else
		ctl_json_bool(j, key, t == HOSTCHECK_TRI_YES);
}

static void opt_string(struct ctl_json *j, const char *key, const char *s)
{
	ctl_json_string(j, key, s && s[0] ? s : NULL);
}

static void string_array(struct ctl_json *j, const char *key, const char *items, size_t stride,
			 int n)
{
	ctl_json_begin_array(j, key);
	for (int i = 0; i < n; i++)
		ctl_json_string(j, NULL, items + (size_t)i * stride);
	ctl_json_end_array(j);
}

static void print_cpu(struct ctl_json *j, const struct hostcheck_facts *f)
{
	ctl_json_begin_object(j, "cpu");
	ctl_json_string(j, "arch", f->arch);
	opt_string(j, "vendor_id", f->cpu_vendor_id);
	ctl_json_string(j, "kind", hostcheck_cpu_name(f->cpu));
	ctl_json_bool(j, "cpuid", f->cpuid_ok);
	ctl_json_bool(j, "cpuid_vmx", f->cpuid_vmx);
	ctl_json_bool(j, "cpuid_svm", f->cpuid_svm);
	ctl_json_bool(j, "hypervisor", f->cpuid_ok ? f->cpuid_hypervisor : f->flag_hypervisor);
	opt_string(j, "hypervisor_id", f->hypervisor_id);
	ctl_json_string(j, "hypervisor_name", hostcheck_hypervisor_name(f->hypervisor_id));
	ctl_json_bool(j, "cpuinfo", f->cpuinfo_ok);
	ctl_json_bool(j, "cpuinfo_vmx", f->flag_vmx);
	ctl_json_bool(j, "cpuinfo_svm", f->flag_svm);
	tri(j, "npt", f->cpuid_npt);
	if (f->vmx_flags_line) {
		ctl_json_bool(j, "ept", f->vmx_ept);
		ctl_json_bool(j, "unrestricted_guest", f->vmx_unrestricted);
	}
	ctl_json_end_object(j);
}

static void msr_value(struct ctl_json *j, const char *key, int ret, unsigned long long v)
{
	if (ret == 0)
		ctl_json_int(j, key, (long long)v);
	else
		ctl_json_null(j, key);
}

static void print_kvm_and_msr(struct ctl_json *j, const struct hostcheck_facts *f)
{
	ctl_json_begin_object(j, "msr");
	msr_value(j, "ia32_feature_control", f->feat_ctl_ret, f->feat_ctl);
	msr_value(j, "vm_cr", f->vm_cr_ret, f->vm_cr);
	ctl_json_end_object(j);

	ctl_json_begin_object(j, "kvm");
	ctl_json_string(j, "open", err_name(f->kvm.open_ret));
	if (f->kvm.open_ret == 0 && f->kvm.api_version >= 0)
		ctl_json_int(j, "api_version", f->kvm.api_version);
	else
		ctl_json_null(j, "api_version");
	ctl_json_string(j, "create_vm", f->kvm.create_vm_tried ? err_name(f->kvm.create_vm_ret) :
			NULL);
	tri(j, "nested", f->nested);
	ctl_json_end_object(j);
}

static void print_modules(struct ctl_json *j, const struct hostcheck_facts *f)
{
	ctl_json_begin_object(j, "modules");
	ctl_json_string(j, "kvm", mod_name(f->mod_kvm));
	ctl_json_string(j, "kvm_intel", mod_name(f->mod_kvm_intel));
	ctl_json_string(j, "kvm_amd", mod_name(f->mod_kvm_amd));
	ctl_json_string(j, "kvm_pvm", mod_name(f->mod_kvm_pvm));
	ctl_json_string(j, "conflict", f->conflict_module);
	ctl_json_string(j, "conflict_program", f->conflict_program);
	if (f->blacklist_module[0]) {
		ctl_json_begin_object(j, "blocked");
		ctl_json_string(j, "module", f->blacklist_module);
		ctl_json_string(j, "where", f->blacklist_where);
		ctl_json_string(j, "line", f->blacklist_line);
		ctl_json_end_object(j);
	} else {
		ctl_json_null(j, "blocked");
	}
	ctl_json_end_object(j);

	ctl_json_begin_object(j, "kernel_log");
	ctl_json_bool(j, "readable", f->kmsg_ok);
	opt_string(j, "disabled_by_bios", f->kmsg_bios);
	opt_string(j, "no_hardware", f->kmsg_nohw);
	ctl_json_end_object(j);
}

static void print_firmware(struct ctl_json *j, const struct hostcheck_facts *f)
{
	ctl_json_begin_object(j, "firmware");
	ctl_json_bool(j, "efi", f->efi);
	opt_string(j, "can_reboot_to_firmware_setup", f->reboot_to_fw);
	ctl_json_begin_array(j, "attributes");
	for (int i = 0; i < f->n_fwattr; i++) {
		const struct hostcheck_fwattr *a = &f->fwattr[i];

		ctl_json_begin_object(j, NULL);
		ctl_json_string(j, "driver", a->driver);
		ctl_json_string(j, "name", a->name);
		ctl_json_string(j, "role", role_name(a->role));
		ctl_json_string(j, "value", a->value);
		opt_string(j, "possible_values", a->possible);
		ctl_json_bool(j, "pending_reboot", a->pending_reboot);
		ctl_json_end_object(j);
	}
	ctl_json_end_array(j);
	ctl_json_end_object(j);
}

static void print_dmi_and_card(struct ctl_json *j, const struct hostcheck_facts *f)
{
	const struct hostcheck_vendor_card *c = hostcheck_vendor_card(&f->dmi);
	const struct hostcheck_dmi *d = &f->dmi;

	ctl_json_begin_object(j, "dmi");
	opt_string(j, "sys_vendor", d->sys_vendor);
	opt_string(j, "product_name", d->product_name);
	opt_string(j, "product_version", d->product_version);
	opt_string(j, "product_family", d->product_family);
	opt_string(j, "bios_vendor", d->bios_vendor);
	opt_string(j, "board_vendor", d->board_vendor);
	opt_string(j, "board_name", d->board_name);
	ctl_json_end_object(j);

	ctl_json_begin_object(j, "vendor_card");
	ctl_json_string(j, "id", c->id);
	ctl_json_string(j, "name", c->name);
	ctl_json_string(j, "setup_key", c->setup_key);
	ctl_json_string(j, "menu_path", hostcheck_card_menu(c, f->cpu));
	ctl_json_string(j, "option", c->has_toggle ? hostcheck_card_option(c, f->cpu) : NULL);
	ctl_json_string(j, "notes", c->notes);
	ctl_json_bool(j, "has_toggle", c->has_toggle);
	ctl_json_end_object(j);

	ctl_json_begin_array(j, "gotchas");
	for (const char *const *g = hostcheck_gotchas(); *g; g++)
		ctl_json_string(j, NULL, *g);
	ctl_json_end_array(j);
}

void ctl_check_print_json(FILE *out, const struct hostcheck_facts *f,
			  const struct hostcheck_result *r, const struct hostcheck_advice *a)
{
	struct ctl_json j;

	ctl_json_init(&j, out);
	ctl_json_begin_object(&j, NULL);
	ctl_json_string(&j, "state", hostcheck_state_name(r->state));
	ctl_json_int(&j, "code", r->state);
	ctl_json_string(&j, "reason", hostcheck_reason_name(r->reason));
	ctl_json_string(&j, "title", a->title);
	ctl_json_string(&j, "summary", a->summary);
	string_array(&j, "steps", a->steps[0], sizeof(a->steps[0]), a->n_steps);
	string_array(&j, "notes", a->notes[0], sizeof(a->notes[0]), a->n_notes);
	string_array(&j, "evidence", r->evidence[0], sizeof(r->evidence[0]), r->n_evidence);
	print_cpu(&j, f);
	print_kvm_and_msr(&j, f);
	print_modules(&j, f);
	print_firmware(&j, f);
	print_dmi_and_card(&j, f);
	ctl_json_end_object(&j);
	ctl_json_finish(&j);
}
