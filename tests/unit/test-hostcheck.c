// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check: fixture trees per state (Intel and AMD), decisions, vendor cards, vesselctl check. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hostcheck-private.h"
#include "hostcheck.h"
#include "tap.h"

static char fixtures[PATH_MAX];

/* Meson runs tests from the build root and compiles with a relative __FILE__; both agree. */
static void find_fixtures(void)
{
	const char *env = getenv("HOSTCHECK_FIXTURES");
	const char *slash = strrchr(__FILE__, '/');

	if (env)
		snprintf(fixtures, sizeof(fixtures), "%s", env);
	else
		snprintf(fixtures, sizeof(fixtures), "%.*s/../fixtures/hostcheck",
			 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
}

static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

/* --- a minimal JSON reader (RFC 8259), enough to validate and look values up --- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* Parse a string at p; decoded (ASCII escapes only) into out when given. End or NULL. */
static const char *jstring(const char *p, char *out, size_t len)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		char c = *p;

		if ((unsigned char)c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				if (strspn(p + 1, "0123456789abcdefABCDEF") < 4)
					return NULL;
				c = (char)strtol((char[]){ p[3], p[4], 0 }, NULL, 16);
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p)) {
				c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			} else {
				return NULL;
			}
		}
		if (out && n + 1 < len)
			out[n++] = c;
	}
	if (out && len)
		out[n] = '\0';
	return p + 1;
}

static const char *jvalue(const char *p, int depth);

static const char *jcontainer(const char *p, int depth, char close, bool keys)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = jstring(ws(p), NULL, 0);
			if (!p || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		p = jvalue(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *jvalue(const char *p, int depth)
{
	char *end;

	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{')
		return jcontainer(p, depth, '}', true);
	if (*p == '[')
		return jcontainer(p, depth, ']', false);
	if (*p == '"')
		return jstring(p, NULL, 0);
	for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1) {
		if (!strncmp(p, lit, strlen(lit)))
			return p + strlen(lit);
	}
	strtod(p, &end);
	return end == p ? NULL : end;
}

static bool json_valid(const char *doc)
{
	const char *end = doc ? jvalue(doc, 0) : NULL;

	return end && *ws(end) == '\0';
}

/* The value of member key in the object at obj, or NULL. */
static const char *json_member(const char *obj, const char *key)
{
	char name[64];
	const char *p = ws(obj);

	if (*p++ != '{')
		return NULL;
	while (*(p = ws(p)) == '"') {
		p = jstring(p, name, sizeof(name));
		if (!p || *(p = ws(p)) != ':')
			return NULL;
		p = ws(p + 1);
		if (!strcmp(name, key))
			return p;
		p = jvalue(p, 0);
		if (!p || *(p = ws(p)) != ',')
			return NULL;
		p++;
	}
	return NULL;
}

/* "kvm.open" -> the value, walking nested objects. */
static const char *json_path(const char *doc, const char *path)
{
	char part[64];
	const char *v = doc;

	while (v && *path) {
		size_t n = strcspn(path, ".");

		snprintf(part, sizeof(part), "%.*s", (int)n, path);
		v = json_member(v, part);
		path += n + (path[n] == '.');
	}
	return v;
}

static bool json_str_is(const char *doc, const char *path, const char *want)
{
	const char *v = json_path(doc, path);
	char got[512];

	if (!v || !jstring(v, got, sizeof(got))) {
		printf("#   %s: missing or not a string\n", path);
		return false;
	}
	if (strcmp(got, want))
		printf("#   %s: got \"%s\", want \"%s\"\n", path, got, want);
	return !strcmp(got, want);
}

static long json_int(const char *doc, const char *path)
{
	const char *v = json_path(doc, path);

	return v && (*v == '-' || (*v >= '0' && *v <= '9')) ? strtol(v, NULL, 10) : -999;
}

/* --- running vesselctl check in-process --- */

struct run {
	int status;
	char *out, *err;
};

static void run_ctl(struct run *r, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = { "check" };
	size_t olen, elen;
	int argc = 1;
	FILE *out = open_memstream(&r->out, &olen), *err = open_memstream(&r->err, &elen);

	for (const char *a[] = { a1, a2, a3 }, **p = a; p < a + 3 && *p; p++)
		argv[argc++] = (char *)*p;
	r->status = ctl_check(argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* The human output is word-wrapped: compare with runs of whitespace folded to one space. */
static bool says(const char *out, const char *text)
{
	char *flat = malloc(strlen(out) + 1), *d = flat;
	bool found;

	for (const char *p = out; *p; p++) {
		bool space = *p == ' ' || *p == '\n';

		if (!space || (d > flat && d[-1] != ' '))
			*d++ = space ? ' ' : *p;
	}
	*d = '\0';
	found = strstr(flat, text) != NULL;
	free(flat);
	return found;
}

static void check_fixture(const char *name, struct hostcheck_facts *f,
			  struct hostcheck_result *r)
{
	char msg[256] = "";
	int err = 0;
	struct hostcheck_fixture *fx = hostcheck_fixture_load(fixture(name), msg, sizeof(msg), &err);

	memset(r, 0, sizeof(*r));
	ok(fx != NULL, "%s: probes.ini loads %s", name, msg);
	if (!fx) {
		r->state = HOSTCHECK_STATE_COUNT;
		return;
	}
	hostcheck_gather(fixture(name), hostcheck_fixture_probes(fx), f);
	hostcheck_decide(f, r);
	hostcheck_fixture_free(fx);
}

/* --- one fixture tree per state and CPU maker --- */

static const struct state_case {
	const char *dir;
	enum hostcheck_state state;
	enum hostcheck_reason reason;
	enum hostcheck_cpu cpu;
	const char *card;
	const char *text;	/* must appear in the human output */
} cases[] = {
	{ "intel-ready", HOSTCHECK_READY, HOSTCHECK_R_OK, HOSTCHECK_CPU_INTEL, "dell",
	  "KVM backend: kvm_intel (loaded)" },
	{ "amd-ready", HOSTCHECK_READY, HOSTCHECK_R_OK, HOSTCHECK_CPU_AMD, "asus", "full speed" },
	{ "amd-pvm-ready", HOSTCHECK_READY, HOSTCHECK_R_OK, HOSTCHECK_CPU_AMD, "generic",
	  "kvm_pvm (built in)" },
	{ "intel-nested-off", HOSTCHECK_NESTED_OFF, HOSTCHECK_R_HYPERVISOR_NO_VMX_SVM,
	  HOSTCHECK_CPU_INTEL, "virtual-machine", "Virtualize Intel VT-x/EPT or AMD-V/RVI" },
	{ "amd-nested-off", HOSTCHECK_NESTED_OFF, HOSTCHECK_R_HYPERVISOR_NO_VMX_SVM,
	  HOSTCHECK_CPU_AMD, "virtual-machine", "load kvm_amd with nested=1" },
	{ "intel-firmware-disabled", HOSTCHECK_FIRMWARE_DISABLED, HOSTCHECK_R_FEAT_CTL_LOCKED,
	  HOSTCHECK_CPU_INTEL, "lenovo-thinkpad",
	  "Open Security → Virtualization and set \"Intel (R) Virtualization Technology\" to" },
	{ "intel-firmware-disabled-user", HOSTCHECK_FIRMWARE_DISABLED, HOSTCHECK_R_FLAG_HIDDEN,
	  HOSTCHECK_CPU_INTEL, "hp-business", "press the setup key (F10)" },
	{ "amd-firmware-disabled", HOSTCHECK_FIRMWARE_DISABLED, HOSTCHECK_R_SVMDIS,
	  HOSTCHECK_CPU_AMD, "asus", "set \"SVM Mode\" to Enabled" },
	{ "amd-firmware-disabled-lenovo", HOSTCHECK_FIRMWARE_DISABLED, HOSTCHECK_R_FLAG_HIDDEN,
	  HOSTCHECK_CPU_AMD, "lenovo-thinkpad", "`fwupdmgr set-bios-setting AmdVt Enable`" },
	{ "intel-module-not-loaded", HOSTCHECK_MODULE_NOT_LOADED, HOSTCHECK_R_MODULE_BLACKLISTED,
	  HOSTCHECK_CPU_INTEL, "acer", "/etc/modprobe.d/blacklist-kvm.conf:2" },
	{ "amd-module-not-loaded", HOSTCHECK_MODULE_NOT_LOADED, HOSTCHECK_R_MODULE_NOT_LOADED,
	  HOSTCHECK_CPU_AMD, "gigabyte", "`sudo modprobe kvm_amd`" },
	{ "intel-no-access", HOSTCHECK_NO_ACCESS, HOSTCHECK_R_PERMISSION, HOSTCHECK_CPU_INTEL,
	  "hp-consumer", "`sudo usermod -aG kvm $USER`" },
	{ "amd-no-access", HOSTCHECK_NO_ACCESS, HOSTCHECK_R_PERMISSION, HOSTCHECK_CPU_AMD, "dell",
	  "Permission denied" },
	{ "intel-busy", HOSTCHECK_BUSY, HOSTCHECK_R_CONFLICT_MODULE, HOSTCHECK_CPU_INTEL,
	  "intel-nuc", "Quit VMware Workstation or Player" },
	{ "amd-busy", HOSTCHECK_BUSY, HOSTCHECK_R_CONFLICT_MODULE, HOSTCHECK_CPU_AMD, "asrock",
	  "Quit VirtualBox" },
	{ "intel-too-old", HOSTCHECK_TOO_OLD, HOSTCHECK_R_NO_EPT, HOSTCHECK_CPU_INTEL, "dell",
	  "Extended Page Tables (EPT)" },
	{ "amd-too-old", HOSTCHECK_TOO_OLD, HOSTCHECK_R_NO_NPT, HOSTCHECK_CPU_AMD, "hp-business",
	  "Nested Page Tables" },
	{ "intel-no-vmx", HOSTCHECK_NO_CPU_SUPPORT, HOSTCHECK_R_NO_VMX_SVM, HOSTCHECK_CPU_INTEL,
	  "acer", "no hardware virtualization (VT-x)" },
	{ "amd-no-svm", HOSTCHECK_NO_CPU_SUPPORT, HOSTCHECK_R_NO_VMX_SVM, HOSTCHECK_CPU_AMD, "msi",
	  "no hardware virtualization (AMD-V)" },
	{ "arm64", HOSTCHECK_NO_CPU_SUPPORT, HOSTCHECK_R_NOT_X86, HOSTCHECK_CPU_OTHER, "generic",
	  "this computer is aarch64" },
};

static void check_json(const struct state_case *c, const char *doc)
{
	ok(json_valid(doc), "%s: --json output parses", c->dir);
	ok(json_str_is(doc, "state", hostcheck_state_name(c->state)), "%s: JSON state", c->dir);
	is_int(json_int(doc, "code"), c->state, "%s: JSON code", c->dir);
	ok(json_str_is(doc, "reason", hostcheck_reason_name(c->reason)), "%s: JSON reason", c->dir);
	ok(json_str_is(doc, "cpu.kind", hostcheck_cpu_name(c->cpu)), "%s: JSON cpu.kind", c->dir);
	ok(json_str_is(doc, "vendor_card.id", c->card), "%s: JSON vendor card", c->dir);
}

static void test_state_case(const struct state_case *c)
{
	struct hostcheck_facts f;
	struct hostcheck_result r;
	struct hostcheck_advice a;
	struct run human, js;

	check_fixture(c->dir, &f, &r);
	is_int(r.state, c->state, "%s: state %s", c->dir, hostcheck_state_name(c->state));
	ok(r.reason == c->reason, "%s: reason %s (got %s)", c->dir, hostcheck_reason_name(c->reason),
	   hostcheck_reason_name(r.reason));
	is_int(f.cpu, c->cpu, "%s: CPU maker", c->dir);
	ok(!strcmp(hostcheck_vendor_card(&f.dmi)->id, c->card), "%s: card %s (got %s)", c->dir,
	   c->card, hostcheck_vendor_card(&f.dmi)->id);
	hostcheck_advise(&f, &r, &a);
	ok(a.title[0] && a.summary[0], "%s: advice has a title and summary", c->dir);

	run_ctl(&human, "--fixture", fixture(c->dir), NULL);
	is_int(human.status, c->state, "%s: vesselctl check exit code", c->dir);
	ok(strstr(human.out, a.title) != NULL, "%s: output starts with the title", c->dir);
	ok(says(human.out, c->text), "%s: output says \"%s\"", c->dir, c->text);
	if (!says(human.out, c->text))
		printf("# output was:\n%s", human.out);
	run_ctl(&js, "--json", "--fixture", fixture(c->dir));
	is_int(js.status, c->state, "%s: --json exit code", c->dir);
	check_json(c, js.out);
	run_free(&human);
	run_free(&js);
}

/* --- the decision itself, by changing one fact at a time --- */

static void decide_again(struct hostcheck_facts *f, struct hostcheck_result *r)
{
	hostcheck_decide(f, r);
}

static void test_firmware_not_unsupported(void)
{
	struct hostcheck_facts base, f;
	struct hostcheck_result r;
	struct hostcheck_advice a;

	check_fixture("intel-firmware-disabled", &base, &r);
	ok(base.cpuid_vmx && !base.flag_vmx && base.cpuinfo_ok,
	   "CPUID has VMX while /proc/cpuinfo lacks it (kvm-ok would say \"does not support\")");
	ok(base.feat_ctl_ret == 0 && base.feat_ctl == 0x1, "IA32_FEATURE_CONTROL locked, VMX off");
	is_int(r.state, HOSTCHECK_FIRMWARE_DISABLED, "reported as disabled in firmware");
	ok(r.state != HOSTCHECK_NO_CPU_SUPPORT, "not as unsupported");

	f = base;
	f.feat_ctl_ret = -EACCES;
	f.kmsg_ok = false;
	f.kmsg_bios[0] = '\0';
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_FIRMWARE_DISABLED && r.reason == HOSTCHECK_R_FLAG_HIDDEN,
	   "without root: the hidden flag alone says firmware (%s)", hostcheck_reason_name(r.reason));

	f = base;
	f.flag_vmx = true;
	f.kmsg_bios[0] = '\0';
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_FIRMWARE_DISABLED && r.reason == HOSTCHECK_R_FEAT_CTL_LOCKED,
	   "an older kernel that still shows vmx: the MSR alone says firmware");

	f = base;
	f.flag_vmx = true;
	f.feat_ctl_ret = -EACCES;
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_FIRMWARE_DISABLED && r.reason == HOSTCHECK_R_KERNEL_LOG,
	   "the kernel log alone says firmware");

	f = base;
	f.feat_ctl = 0x3;
	decide_again(&f, &r);
	ok(r.reason == HOSTCHECK_R_FEAT_CTL_SMX_ONLY, "VMX enabled only inside SMX: TXT-only");
	hostcheck_advise(&f, &r, &a);
	ok(strstr(a.summary, "Intel TXT") != NULL, "the TXT case is explained: %s", a.summary);

	f = base;
	f.feat_ctl = 0x5;
	f.flag_vmx = true;
	f.kmsg_bios[0] = '\0';
	decide_again(&f, &r);
	is_int(r.state, HOSTCHECK_MODULE_NOT_LOADED, "VMX enabled and locked: firmware is fine");

	f = base;
	f.feat_ctl = 0x0;
	f.flag_vmx = true;
	f.kmsg_bios[0] = '\0';
	decide_again(&f, &r);
	is_int(r.state, HOSTCHECK_MODULE_NOT_LOADED, "unlocked MSR is not a firmware lock");

	f = base;
	f.cpuid_vmx = false;
	decide_again(&f, &r);
	is_int(r.state, HOSTCHECK_NO_CPU_SUPPORT, "CPUID without VMX: unsupported, whatever else");

	f = base;
	f.cpuid_hypervisor = true;
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_NESTED_OFF && r.reason == HOSTCHECK_R_HYPERVISOR_DISABLED,
	   "the same inside a VM: its host's settings, not firmware");
}

static void test_device_decisions(void)
{
	struct hostcheck_facts base, f;
	struct hostcheck_result r;

	check_fixture("intel-ready", &base, &r);
	is_int(r.state, HOSTCHECK_READY, "baseline ready");

	f = base;
	f.kvm.api_version = 11;
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_TOO_OLD && r.reason == HOSTCHECK_R_KVM_API, "API 11: too old");

	f = base;
	f.kvm.create_vm_ret = -EBUSY;
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_BUSY && r.reason == HOSTCHECK_R_CREATE_VM_FAILED,
	   "KVM_CREATE_VM EBUSY without a known culprit: busy");

	f = base;
	f.kvm.open_ret = -EACCES;
	f.flag_vmx = false;	/* a loaded kvm_intel already proved the firmware fine */
	decide_again(&f, &r);
	is_int(r.state, HOSTCHECK_NO_ACCESS, "EACCES with kvm_intel loaded: permissions");

	f = base;
	f.kvm.open_ret = -ENOENT;
	f.mod_kvm_intel = HOSTCHECK_MOD_LOADED;
	decide_again(&f, &r);
	ok(r.reason == HOSTCHECK_R_NO_DEVICE_NODE, "module loaded, node missing");

	f = base;
	f.param_ept = HOSTCHECK_TRI_NO;
	decide_again(&f, &r);
	ok(r.state == HOSTCHECK_TOO_OLD && r.reason == HOSTCHECK_R_PAGING_OFF, "kvm_intel ept=N");

	f = base;
	f.kmsg_bios[0] = 'x';
	f.flag_vmx = false;
	decide_again(&f, &r);
	is_int(r.state, HOSTCHECK_READY, "a working /dev/kvm beats stale firmware evidence");
}

/* --- parsers, through the fixtures --- */

static void test_parsers(void)
{
	struct hostcheck_facts f;
	struct hostcheck_result r;
	struct hostcheck_advice a;

	check_fixture("intel-firmware-disabled", &f, &r);
	ok(!strcmp(f.kmsg_bios, "x86/cpu: VMX (outside TXT) disabled by BIOS"),
	   "/dev/kmsg record prefix stripped: %s", f.kmsg_bios);
	ok(!strcmp(f.reboot_to_fw, "yes") && f.efi, "logind and EFI facts read");
	is_int(f.mod_kvm, HOSTCHECK_MOD_LOADED, "kvm from /proc/modules");
	is_int(f.mod_kvm_intel, HOSTCHECK_MOD_ABSENT, "kvm_intel absent");

	check_fixture("amd-nested-off", &f, &r);
	ok(!strcmp(f.kmsg_nohw, "kvm_amd: SVM not supported by CPU 0"), "dmesg timestamp stripped");
	ok(!strcmp(f.hypervisor_id, "KVMKVMKVM"), "hypervisor id from CPUID.40000000h");

	check_fixture("intel-module-not-loaded", &f, &r);
	ok(!strcmp(f.blacklist_module, "kvm_intel") &&
	   !strcmp(f.blacklist_where, "/etc/modprobe.d/blacklist-kvm.conf:2"),
	   "blacklist found where it is: %s %s", f.blacklist_module, f.blacklist_where);
	ok(!strstr(f.blacklist_where, "/lib/"), "an /etc file hides the /lib file of its name");
	ok(!strcmp(f.dmi.product_version, "V1.09 \"Rev\\A\""), "DMI read verbatim");

	check_fixture("amd-firmware-disabled-lenovo", &f, &r);
	ok(f.n_fwattr == 1 && !strcmp(f.fwattr[0].name, "AmdVt") &&
	   !strcmp(f.fwattr[0].value, "Disable"), "only allow-listed firmware attributes are read");
	hostcheck_advise(&f, &r, &a);
	ok(a.n_notes >= 1 && strstr(a.notes[0], "AMD V(TM) Technology"),
	   "the firmware-setup way is kept as a fallback note");

	check_fixture("intel-ready", &f, &r);
	ok(f.vmx_flags_line && f.vmx_ept && f.vmx_unrestricted, "vmx flags line parsed");
	is_int(f.nested, HOSTCHECK_TRI_YES, "nested=Y read");
	check_fixture("intel-too-old", &f, &r);
	ok(f.vmx_flags_line && !f.vmx_ept, "vmx flags without ept");
	check_fixture("amd-ready", &f, &r);
	is_int(f.cpuid_npt, HOSTCHECK_TRI_YES, "CPUID NP bit read");
	ok(f.vm_cr_ret == 0 && f.vm_cr == 0x8, "VM_CR through the probe");

	is_int(hc_kmsg_classify("kvm: disabled by bios"), 1, "old kernel: disabled by bios");
	is_int(hc_kmsg_classify("kvm: support for 'kvm_intel' disabled by bios"), 1, "later wording");
	is_int(hc_kmsg_classify("kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 3"), 1, "AMD");
	is_int(hc_kmsg_classify("kvm_intel: VMX not supported by CPU 0"), 2, "no hardware");
	is_int(hc_kmsg_classify("ACPI: thermal zone disabled by BIOS"), 0, "unrelated BIOS line");
}

/* --- vendor cards from DMI --- */

static const struct {
	const char *dmi[4];	/* sys_vendor, product_name, product_version, board_vendor */
	const char *card;
} dmi_cases[] = {
	{ { "LENOVO", "20L5CTO1WW", "ThinkPad T480", "LENOVO" }, "lenovo-thinkpad" },
	{ { "LENOVO", "20XW0055US", "", "LENOVO" }, "lenovo-thinkpad" },
	{ { "LENOVO", "82FG", "IdeaPad 5 14ALC05", "LENOVO" }, "lenovo-ideapad" },
	{ { "LENOVO", "82JW", "Legion 5 15ACH6H", "LENOVO" }, "lenovo-ideapad" },
	{ { "LENOVO", "11A4S0UR00", "ThinkCentre M720q", "LENOVO" }, "lenovo-thinkcentre" },
	{ { "Dell Inc.", "XPS 13 9310", "", "Dell Inc." }, "dell" },
	{ { "Alienware", "Alienware m15 R6", "1.0", "Alienware" }, "dell" },
	{ { "HP", "OMEN by HP Laptop 16-b0xxx", "", "HP" }, "hp-consumer" },
	{ { "HP", "Victus by HP Gaming Laptop 15-fb0xxx", "", "HP" }, "hp-consumer" },
	{ { "HP", "HP Pavilion Laptop 15-eg0xxx", "", "HP" }, "hp-consumer" },
	{ { "HP", "HP EliteBook 840 G5", "", "HP" }, "hp-business" },
	{ { "Hewlett-Packard", "HP Z440 Workstation", "", "Hewlett-Packard" }, "hp-business" },
	{ { "HPE", "ProLiant DL380 Gen10", "", "HPE" }, "generic" },
	{ { "ASUSTeK COMPUTER INC.", "ROG Strix G513QM", "1.0", "ASUSTeK COMPUTER INC." }, "asus" },
	{ { "System manufacturer", "System Product Name", "", "ASUSTeK COMPUTER INC." }, "asus" },
	{ { "Acer", "Aspire A515-54", "V1.09", "CML" }, "acer" },
	{ { "Micro-Star International Co., Ltd.", "MS-7C02", "1.0", "Micro-Star International Co., Ltd." }, "msi" },
	{ { "Gigabyte Technology Co., Ltd.", "B550 AORUS ELITE", "", "Gigabyte Technology Co., Ltd." }, "gigabyte" },
	{ { "To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "", "ASRock" }, "asrock" },
	{ { "Intel(R) Client Systems", "NUC11PAHi5", "", "Intel Corporation" }, "intel-nuc" },
	{ { "Microsoft Corporation", "Surface Laptop 4", "", "Microsoft Corporation" }, "microsoft-surface" },
	{ { "Microsoft Corporation", "Virtual Machine", "Hyper-V UEFI Release v4.1", "Microsoft Corporation" }, "virtual-machine" },
	{ { "Apple Inc.", "MacBookPro11,1", "1.0", "Apple Inc." }, "apple" },
	{ { "innotek GmbH", "VirtualBox", "1.2", "Oracle Corporation" }, "virtual-machine" },
	{ { "Notebook", "NH5x_7xDCx_DDx", "", "Notebook" }, "generic" },
	{ { "", "", "", "" }, "generic" },
};

static void test_vendor_cards(void)
{
	for (size_t i = 0; i < sizeof(dmi_cases) / sizeof(dmi_cases[0]); i++) {
		struct hostcheck_dmi d = { 0 };
		const struct hostcheck_vendor_card *c;

		snprintf(d.sys_vendor, sizeof(d.sys_vendor), "%s", dmi_cases[i].dmi[0]);
		snprintf(d.product_name, sizeof(d.product_name), "%s", dmi_cases[i].dmi[1]);
		snprintf(d.product_version, sizeof(d.product_version), "%s", dmi_cases[i].dmi[2]);
		snprintf(d.board_vendor, sizeof(d.board_vendor), "%s", dmi_cases[i].dmi[3]);
		c = hostcheck_vendor_card(&d);
		ok(!strcmp(c->id, dmi_cases[i].card), "DMI \"%s\" / \"%s\" -> %s (got %s)",
		   dmi_cases[i].dmi[0], dmi_cases[i].dmi[1], dmi_cases[i].card, c->id);
		ok(!c->has_toggle || (c->setup_key && c->menu_path && c->name),
		   "card %s: a switch comes with a key and a menu", c->id);
	}
}

static void test_card_words(void)
{
	struct hostcheck_dmi d = { .sys_vendor = "Gigabyte Technology Co., Ltd." };
	const struct hostcheck_vendor_card *c = hostcheck_vendor_card(&d);

	ok(!strcmp(hostcheck_card_option(c, HOSTCHECK_CPU_INTEL), "Intel Virtualization Technology") &&
	   !strcmp(hostcheck_card_option(c, HOSTCHECK_CPU_AMD), "SVM Mode"), "Gigabyte words");
	ok(strstr(hostcheck_card_menu(c, HOSTCHECK_CPU_AMD), "Advanced CPU") &&
	   !strstr(hostcheck_card_menu(c, HOSTCHECK_CPU_INTEL), "Advanced CPU"),
	   "Gigabyte hides SVM elsewhere than VT-x");
	snprintf(d.sys_vendor, sizeof(d.sys_vendor), "Nobody");
	c = hostcheck_vendor_card(&d);
	ok(!strcmp(hostcheck_card_option(c, HOSTCHECK_CPU_AMD), "SVM Mode") &&
	   !strcmp(hostcheck_card_option(c, HOSTCHECK_CPU_INTEL), "Intel Virtualization Technology"),
	   "the generic card uses the common menu words");
	ok(hostcheck_gotchas()[0] && strstr(hostcheck_gotchas()[0], "TXT"), "gotchas start with TXT");
}

/* --- vesselctl check's own surface --- */

static void test_ctl(void)
{
	struct run r;

	run_ctl(&r, "--help", NULL, NULL);
	is_int(r.status, 0, "--help exits 0");
	ok(strstr(r.out, "3   firmware-disabled") && strstr(r.out, "0   ready") &&
	   strstr(r.out, "6   busy"), "--help documents the exit codes");
	ok(!strstr(r.out, "--fixture"), "--fixture stays hidden");
	run_free(&r);

	run_ctl(&r, "--bogus", NULL, NULL);
	is_int(r.status, CTL_EXIT_USAGE, "unknown option: usage error");
	run_free(&r);

	run_ctl(&r, "--fixture", fixture("no-such-fixture"), NULL);
	is_int(r.status, CTL_EXIT_SOFTWARE, "missing fixture: internal error");
	ok(strstr(r.err, "probes.ini") != NULL, "and the message names probes.ini");
	run_free(&r);

	run_ctl(&r, "--json", "--fixture", fixture("intel-module-not-loaded"));
	ok(json_str_is(r.out, "dmi.product_version", "V1.09 \"Rev\\A\""),
	   "quotes and backslashes in DMI survive JSON");
	ok(json_str_is(r.out, "modules.blocked.where", "/etc/modprobe.d/blacklist-kvm.conf:2"),
	   "JSON names the blacklist");
	ok(json_str_is(r.out, "kvm.open", "ENOENT"), "JSON errno names");
	run_free(&r);
}

/* --- this machine: it has a working /dev/kvm (CI too), so it must say ready --- */

static void test_this_machine(void)
{
	struct hostcheck_facts f;
	struct hostcheck_result r;
	struct run js;

	hostcheck_gather("/", hostcheck_system_probes(), &f);
	hostcheck_decide(&f, &r);
	/* A developer machine without KVM: report, but only CI must have a working /dev/kvm. */
	if (r.state != HOSTCHECK_READY && !(getenv("CI") && !strcmp(getenv("CI"), "true"))) {
		printf("ok %d - # SKIP this machine is not ready (%s); only CI must be\n", ++tap_n,
		       hostcheck_state_name(r.state));
		return;
	}
	printf("# this machine: %s, CPU %s (%s), VMX %d SVM %d hypervisor %d \"%s\"\n", f.arch,
	       f.cpu_vendor_id, hostcheck_cpu_name(f.cpu), f.cpuid_vmx, f.cpuid_svm,
	       f.cpuid_hypervisor, f.hypervisor_id);
	printf("# /dev/kvm open %d api %d create_vm %d; modules kvm_intel %d kvm_amd %d kvm_pvm %d\n",
	       f.kvm.open_ret, f.kvm.api_version, f.kvm.create_vm_ret, f.mod_kvm_intel,
	       f.mod_kvm_amd, f.mod_kvm_pvm);
	for (int i = 0; i < r.n_evidence; i++)
		printf("#   found: %s\n", r.evidence[i]);
	printf("# state %d %s (%s)\n", r.state, hostcheck_state_name(r.state),
	       hostcheck_reason_name(r.reason));
	is_int(r.state, HOSTCHECK_READY, "this machine is ready");

	run_ctl(&js, "--json", NULL, NULL);
	is_int(js.status, HOSTCHECK_READY, "vesselctl check exits 0 here");
	ok(json_valid(js.out) && json_str_is(js.out, "state", "ready") &&
	   json_int(js.out, "kvm.api_version") == 12, "and its JSON agrees");
	run_free(&js);
}

int main(void)
{
	find_fixtures();
	printf("# fixtures: %s\n", fixtures);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_state_case(&cases[i]);
	test_firmware_not_unsupported();
	test_device_decisions();
	test_parsers();
	test_vendor_cards();
	test_card_words();
	test_ctl();
	test_this_machine();
	return tap_done();
}
