// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check: per-vendor firmware-setup cards chosen from DMI, and hypervisor names. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hostcheck-private.h"

/*
 * The vendor table of notes §3 as data. Sources there: Salad support guides, Lenovo's CDRT
 * BIOS reference, a community cross-vendor guide; marked entries are from experience only.
 */
static const struct hostcheck_vendor_card cards[] = {
	{ "lenovo-thinkpad", "Lenovo ThinkPad",
	  "F1 (some models: Enter, then F1; Fn may be needed)", "Security → Virtualization", NULL,
	  "Intel (R) Virtualization Technology", "AMD V(TM) Technology",
	  "While Kernel DMA Protection is on, this switch is forced on and greyed out.", true },
	{ "lenovo-ideapad", "Lenovo IdeaPad / Legion / Yoga",
	  "F2 or Fn+F2, or the Novo button (pinhole), then BIOS Setup", "Configuration", NULL,
	  "Intel Virtual Technology", "AMD SVM", NULL, true },
	{ "lenovo-thinkcentre", "Lenovo ThinkCentre", "F1", "Advanced → CPU Setup", NULL,
	  "Intel(R) Virtualization Technology", NULL, NULL, true },
	/* Dell uses one name for both CPU makers (its sysman attribute is "Virtualization"). */
	{ "dell", "Dell", "F2 at the Dell logo",
	  "Advanced, or a separate \"Virtualization Support\" page", NULL,
	  "Virtualization", "Virtualization",
	  "\"VT for Direct I/O\" is a separate switch for device passthrough.", true },
	{ "hp-consumer", "HP (OMEN, Victus, ENVY, Pavilion)", "F10 (or Esc, then F10)",
	  "Configuration (or System Configuration)", NULL,
	  "Virtualization Technology", "Virtualization Technology", NULL, true },
	{ "hp-business", "HP business / workstation", "F10",
	  "Security → System Security (some models: Advanced → System Options)", NULL,
	  "Virtualization Technology (VTx)", "SVM CPU Virtualization",
	  "\"Virtualization Technology (VTd)\" is a separate switch for device passthrough.", true },
	{ "asus", "ASUS", "Del or F2, then F7 for Advanced Mode", "Advanced → CPU Configuration",
	  NULL, "Intel (VMX) Virtualization Technology", "SVM Mode", NULL, true },
	{ "acer", "Acer", "F2", "Advanced (some models show it only after Ctrl+S)", NULL,
	  "Intel VTX", "AMD-SVM",
	  /* unverified in the notes */
	  "Some models let you change it only after setting a supervisor password.", true },
	{ "msi", "MSI", "Del, then F7 for Advanced Mode",
	  "OC → (Advanced) CPU Features or CPU Configuration, or Advanced", NULL,
	  "Intel Virtualization Tech", "SVM Mode", "\"SVM Mode\" is often already on.", true },
	{ "gigabyte", "Gigabyte", "Del", "BIOS Features (some boards: Chipset)",
	  "M.I.T. or Tweaker → Advanced Frequency Settings → Advanced CPU (Core) Settings",
	  "Intel Virtualization Technology", "SVM Mode",
	  "\"VT-d\" is a separate switch for device passthrough.", true },
	{ "asrock", "ASRock", "F2 or Del", "Advanced → CPU Configuration", NULL,
	  "Intel Virtualization Technology", "SVM Mode", NULL, true },
	{ "intel-nuc", "Intel NUC", "F2", "Advanced → Processor (Configuration)", NULL,
	  "Intel Virtualization Technology", NULL, NULL, true },
	/* unverified: Surface normally ships with VT on and no switch for it */
	{ "microsoft-surface", "Microsoft Surface", "hold Volume-Up, then press Power", NULL, NULL,
	  NULL, NULL, "Surface firmware normally has virtualization on and no setting for it.",
	  false },
	/* unverified: a few 2006-08 Macs needed an EFI update for VT-x */
	{ "apple", "Apple Mac (Intel)", NULL, NULL, NULL, NULL, NULL,
	  "Macs have no firmware setup screen (Option and Cmd-R are boot menus); Apple's "
	  "firmware turns VT-x on. A few 2006-2008 models needed an EFI firmware update.", false },
	{ "virtual-machine", "Virtual machine", NULL, NULL, NULL, NULL, NULL,
	  "This system is a virtual machine: virtualization is switched on in the settings of "
	  "the program that runs it, on the host.", false },
	{ "generic", "this computer",
	  "usually F2, Del, F10, F1 or Esc: the first screen names it briefly",
	  "Advanced, CPU Configuration, Security or System Configuration", NULL,
	  "Intel Virtualization Technology", "SVM Mode", NULL, true },
};

static const struct hostcheck_vendor_card *card(const char *id)
{
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		if (!strcmp(cards[i].id, id))
			return &cards[i];
	}
	return &cards[sizeof(cards) / sizeof(cards[0]) - 1];
}

/* Case-insensitive prefix ending at a word boundary: "HP" matches "HP", not "HPE". */
static bool vendor_is(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncasecmp(s, prefix, n) && !isalnum((unsigned char)s[n]);
}

static bool product_has(const char *products, const char *word)
{
	return strcasestr(products, word) != NULL;
}

/* Lenovo puts the marketing name in product_version/family, a machine type in product_name. */
static const char *lenovo_line(const struct hostcheck_dmi *d, const char *products)
{
	if (product_has(products, "ThinkPad"))
		return "lenovo-thinkpad";
	if (product_has(products, "ThinkCentre") || product_has(products, "ThinkStation"))
		return "lenovo-thinkcentre";
	if (product_has(products, "IdeaPad") || product_has(products, "Legion") ||
	    product_has(products, "Yoga") || product_has(products, "ThinkBook") ||
	    product_has(products, "IdeaCentre") || product_has(products, "LOQ"))
		return "lenovo-ideapad";
	/* From experience: ThinkPad machine types start 20/21, ThinkCentre 10-12. */
	if (!strncmp(d->product_name, "20", 2) || !strncmp(d->product_name, "21", 2))
		return "lenovo-thinkpad";
	if (d->product_name[0] == '1' && d->product_name[1] >= '0' && d->product_name[1] <= '2')
		return "lenovo-thinkcentre";
	return "lenovo-ideapad";
}

static const char *hp_line(const char *products)
{
	static const char *const business[] = {
		"Elite", "ProBook", "ProDesk", "ProOne", "ZBook", "Workstation", "HP Z", "Engage",
		"Compaq dc", "Compaq dx", "Compaq nc", "Compaq nx", "Compaq 6", "Compaq 8",
	};

	for (size_t i = 0; i < sizeof(business) / sizeof(business[0]); i++) {
		if (product_has(products, business[i]))
			return "hp-business";
	}
	return "hp-consumer";
}

static bool is_virtual(const struct hostcheck_dmi *d)
{
	static const char *const vendors[] = {
		"QEMU", "innotek GmbH", "VMware", "Xen", "Parallels", "Red Hat", "oVirt",
		"Amazon EC2", "Google",
	};

	if (product_has(d->product_name, "Virtual Machine") ||
	    product_has(d->product_name, "VirtualBox") || vendor_is(d->product_name, "KVM") ||
	    vendor_is(d->product_name, "Standard PC") || vendor_is(d->product_name, "Bochs"))
		return true;
	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		if (vendor_is(d->sys_vendor, vendors[i]))
			return true;
	}
	return false;
}

static const char *card_for_vendor(const struct hostcheck_dmi *d, const char *v,
				   const char *products)
{
	static const struct {
		const char *prefix, *id;
	} simple[] = {
		{ "Dell", "dell" }, { "Alienware", "dell" }, { "ASUSTeK", "asus" },
		{ "ASUS", "asus" }, { "Acer", "acer" }, { "Micro-Star", "msi" }, { "MSI", "msi" },
		{ "Gigabyte", "gigabyte" }, { "ASRock", "asrock" }, { "Intel", "intel-nuc" },
		{ "Apple", "apple" },
	};

	if (vendor_is(v, "LENOVO"))
		return lenovo_line(d, products);
	if (vendor_is(v, "HP") || vendor_is(v, "Hewlett-Packard"))
		return hp_line(products);
	if (vendor_is(v, "Microsoft"))
		return product_has(products, "Surface") ? "microsoft-surface" : NULL;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (vendor_is(v, simple[i].prefix))
			return simple[i].id;
	}
	return NULL;
}

/*
 * sys_vendor first; white-box PCs say "System manufacturer" there and the motherboard maker
 * (whose firmware it is) in board_vendor; bios_vendor last (LENOVO, Dell, Apple put theirs).
 */
const struct hostcheck_vendor_card *hostcheck_vendor_card(const struct hostcheck_dmi *d)
{
	const char *fields[] = { d->sys_vendor, d->board_vendor, d->bios_vendor };
	char products[sizeof(d->product_name) + sizeof(d->product_version) +
		      sizeof(d->product_family) + 3];

	if (is_virtual(d))
		return card("virtual-machine");
	snprintf(products, sizeof(products), "%s %s %s", d->product_name, d->product_version,
		 d->product_family);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *id = card_for_vendor(d, fields[i], products);

		if (id)
			return card(id);
	}
	return card("generic");
}

const char *hostcheck_card_option(const struct hostcheck_vendor_card *c, enum hostcheck_cpu cpu)
{
	if (cpu == HOSTCHECK_CPU_AMD)
		return c->option_amd ? c->option_amd : "SVM Mode";
	return c->option_intel ? c->option_intel : "Intel Virtualization Technology";
}

const char *hostcheck_card_menu(const struct hostcheck_vendor_card *c, enum hostcheck_cpu cpu)
{
	if (cpu == HOSTCHECK_CPU_AMD && c->menu_path_amd)
		return c->menu_path_amd;
	return c->menu_path;
}

static const char *const gotchas[] = {
	"If the option is greyed out, Intel TXT (Trusted Execution) is on: switch TXT off, "
	"enable virtualization, then switch TXT back on if you need it.",
	"If the setting keeps switching itself off, the CMOS battery may be dead (the clock "
	"also resets after a power loss).",
	"Some computer makers hide the Advanced menus entirely.",
	"Fast Boot leaves almost no time to press the setup key: restart into setup from Linux "
	"instead.",
	"After saving (F10 on most machines), shut the computer down completely and switch it "
	"on again: a restart may keep the old setting.",
	NULL,
};

const char *const *hostcheck_gotchas(void)
{
	return gotchas;
}

/* CPUID.40000000h signatures as the hypervisors publish them. */
const char *hostcheck_hypervisor_name(const char *id)
{
	static const struct {
		const char *sig, *name;
	} sigs[] = {
		{ "KVMKVMKVM", "KVM" }, { "Linux KVM Hv", "KVM" }, { "VMwareVMware", "VMware" },
		{ "Microsoft Hv", "Hyper-V" }, { "VBoxVBoxVBox", "VirtualBox" },
		{ "XenVMMXenVMM", "Xen" }, { "TCGTCGTCGTCG", "QEMU (TCG)" },
		{ "prl hyperv", "Parallels" }, { "bhyve bhyve", "bhyve" }, { "ACRNACRNACRN", "ACRN" },
	};

	if (!id || !id[0])
		return NULL;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (!strncmp(id, sigs[i].sig, strlen(sigs[i].sig)))
			return sigs[i].name;
	}
	return NULL;
}
