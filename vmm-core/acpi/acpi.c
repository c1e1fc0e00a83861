// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds the guest's ACPI tables and the table-loader script that links them in guest RAM. */
#include "acpi.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acpi-private.h"
#include "acpi-tables.h"
#include "fw_cfg.h"

/*
 * Layout of etc/acpi/tables (one blob, 64-byte aligned in guest RAM): FACS first so it
 * lands on the 64-byte boundary §5.2.10 asks for, then DSDT, SSDT, FADT, MADT, RSDT and
 * XSDT. Every pointer inside holds an offset into the blob; the loader's ADD_POINTER turns
 * it into a guest address, and ADD_CHECKSUM then fixes the table's checksum. The firmware
 * runs the commands in order, so each table's pointers come before its checksum.
 */

/* The IRQs the DSDT's interrupt links offer (_PRS of LNKA-D), level/active-high like PCI. */
static const uint8_t acpi_pci_irqs[] = { 5, 10, 11 };

void acpi_config_default(struct acpi_config *cfg, unsigned ncpus)
{
	*cfg = (struct acpi_config){
		.ncpus = ncpus,
		.pm_base = 0x600,
		.sci_irq = 9,
		.gpe0_base = 0xafe0,
		.gpe0_len = 4,
		.smi_cmd = 0xb2,
		.acpi_enable = 0xf1,
		.acpi_disable = 0xf0,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
		.rtc_century = 0x32,
		.lapic_addr = 0xfee00000,
		.ioapic_addr = 0xfec00000,
		.ioapic_id = (uint8_t)ncpus,
		.pci_window_start = 0xe0000000u,
	};
}

static bool config_valid(const struct acpi_config *cfg)
{
	if (cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS)
		return false;
	if (cfg->ioapic_id < cfg->ncpus || cfg->ioapic_id == 0xff)
		return false;	/* collides with a LAPIC ID or is the broadcast ID */
	if (cfg->sci_irq == 0 || cfg->sci_irq == 2 || cfg->sci_irq > 15)
		return false;	/* IRQ0 is the PIT's, IRQ2 the cascade */
	if (cfg->pm_base == 0 || cfg->pm_base > 0xfff0)
		return false;
	/* §5.2.9: GPE0_BLK_LEN is a multiple of 2 (status half, enable half). */
	if (cfg->gpe0_len == 0 || cfg->gpe0_len % 2 || cfg->gpe0_base + cfg->gpe0_len > 0x10000u)
		return false;
	return cfg->lapic_addr && cfg->ioapic_addr;
}

struct acpi_builder {
	const struct acpi_config *cfg;
	struct acpi_buf tables, loader;
	size_t facs, dsdt, ssdt, fadt, madt, rsdt, xsdt;	/* offsets in tables */
};

static void header_init(struct acpi_header *h, const char *sig, size_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = htole32((uint32_t)len);
	h->revision = rev;
	h->checksum = 0;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = htole32(1);
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = htole32(ACPI_CREATOR_REVISION);
}

/* Append a table; the header is filled in, the body zeroed. Returns its offset. */
static size_t table_new(struct acpi_builder *b, const char *sig, size_t len, uint8_t rev)
{
	size_t at = acpi_buf_append(&b->tables, len, 8);

	if (!b->tables.err)
		header_init(acpi_buf_at(&b->tables, at), sig, len, rev);
	return at;
}

static void table_checksum(struct acpi_builder *b, size_t at, size_t len)
{
	acpi_loader_add_checksum(&b->loader, ACPI_FILE_TABLES,
				 (uint32_t)(at + offsetof(struct acpi_header, checksum)),
				 (uint32_t)at, (uint32_t)len);
}

/* The field at tables[field] holds an offset into tables; make it a guest address. */
static void table_pointer(struct acpi_builder *b, size_t field, uint8_t size)
{
	acpi_loader_add_pointer(&b->loader, ACPI_FILE_TABLES, ACPI_FILE_TABLES,
				(uint32_t)field, size);
}

static void build_facs(struct acpi_builder *b)
{
	struct acpi_facs *facs;

	b->facs = acpi_buf_append(&b->tables, sizeof(*facs), ACPI_FACS_ALIGN);
	if (b->tables.err)
		return;
	facs = acpi_buf_at(&b->tables, b->facs);
	memcpy(facs->signature, "FACS", 4);
	facs->length = htole32(sizeof(*facs));
	facs->version = 2;	/* §5.2.10: version 2 has the 64-bit waking vector */
}

/*
 * PCI0's _CRS in dsdt.asl declares the 32-bit BAR window as 0xE0000000-0xFEBFFFFF. Firmware
 * places BARs from the end of low RAM up, so the window must start there: find that DWord
 * memory descriptor (ACPI 6.4 §6.4.3.5.2: minimum at +10, maximum at +14, length at +22 from
 * its tag byte 0x87) by its minimum and maximum, and rewrite minimum and length.
 */
static void dsdt_patch_pci_window(uint8_t *aml, size_t len, uint32_t start)
{
	static const uint8_t pattern[8] = { 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xbf, 0xfe };
	uint32_t max = 0xfebfffffu, length;

	if (!start || start >= max)
		return;
	length = max - start + 1;
	for (size_t i = 10; i + 8 + 12 <= len; i++) {
		if (aml[i - 10] != 0x87 || memcmp(aml + i, pattern, 8))
			continue;
		for (int k = 0; k < 4; k++) {
			aml[i + k] = (uint8_t)(start >> (8 * k));
			aml[i + 12 + k] = (uint8_t)(length >> (8 * k));
		}
		return;
	}
}

/* §5.2.11.1: the DSDT is the AML iasl made from dsdt.asl; the loader redoes its checksum. */
static void build_dsdt(struct acpi_builder *b)
{
	size_t len;
	const unsigned char *aml = acpi_dsdt_aml(&len);
	struct acpi_header *h;

	b->dsdt = acpi_buf_append(&b->tables, len, 8);
	if (b->tables.err)
		return;
	h = acpi_buf_at(&b->tables, b->dsdt);
	memcpy(h, aml, len);
	h->checksum = 0;
	dsdt_patch_pci_window((uint8_t *)h, len, b->cfg->pci_window_start);
	table_checksum(b, b->dsdt, len);
}

/* §5.2.11.2: one SSDT with the processor objects (their number varies with the VM). */
static void build_ssdt(struct acpi_builder *b)
{
	size_t body = acpi_ssdt_cpus_len(b->cfg->ncpus);
	size_t len = sizeof(struct acpi_header) + body;

	b->ssdt = table_new(b, "SSDT", len, 2);	/* revision 2: 64-bit AML integers */
	if (b->tables.err)
		return;
	acpi_ssdt_cpus_write(acpi_buf_at(&b->tables, b->ssdt + sizeof(struct acpi_header)),
			     b->cfg->ncpus);
	table_checksum(b, b->ssdt, len);
}

static struct acpi_gas gas_io(uint32_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = (uint8_t)(bytes * 8),
		.access_size = access,
		.address = htole64(port),
	};
}

/* The fixed-hardware register blocks, each in its 32-bit and its X_ (GAS) form. */
static void fadt_blocks(struct acpi_fadt *f, const struct acpi_config *cfg)
{
	uint32_t evt = cfg->pm_base, cnt = cfg->pm_base + 4u, tmr = cfg->pm_base + 8u;

	f->sci_int = htole16(cfg->sci_irq);
	f->smi_cmd = htole32(cfg->smi_cmd);
	f->acpi_enable = cfg->acpi_enable;
	f->acpi_disable = cfg->acpi_disable;
	f->pm1a_evt_blk = htole32(evt);
	f->pm1a_cnt_blk = htole32(cnt);
	f->pm_tmr_blk = htole32(tmr);
	f->gpe0_blk = htole32(cfg->gpe0_base);
	f->pm1_evt_len = 4;	/* PM1_STS then PM1_EN, 16 bits each */
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	f->gpe0_blk_len = cfg->gpe0_len;
	f->x_pm1a_evt_blk = gas_io(evt, 4, ACPI_GAS_ACCESS_WORD);
	f->x_pm1a_cnt_blk = gas_io(cnt, 2, ACPI_GAS_ACCESS_WORD);
	f->x_pm_tmr_blk = gas_io(tmr, 4, ACPI_GAS_ACCESS_DWORD);
	f->x_gpe0_blk = gas_io(cfg->gpe0_base, cfg->gpe0_len, ACPI_GAS_ACCESS_BYTE);
}

static void fadt_fill(struct acpi_fadt *f, const struct acpi_builder *b)
{
	const struct acpi_config *cfg = b->cfg;

	/*
	 * FACS through the 32-bit field only: §5.2.9 allows just one of FIRMWARE_CTRL and
	 * X_FIRMWARE_CTRL to be non-zero. The DSDT goes in both (X_DSDT takes precedence);
	 * SeaBIOS reads the 32-bit one when it parses the DSDT.
	 */
	f->firmware_ctrl = htole32((uint32_t)b->facs);
	f->dsdt = htole32((uint32_t)b->dsdt);
	f->x_dsdt = htole64(b->dsdt);
	fadt_blocks(f, cfg);
	f->p_lvl2_lat = htole16(0x0fff);	/* > 100: no C2 */
	f->p_lvl3_lat = htole16(0x0fff);	/* > 1000: no C3 */
	f->century = cfg->rtc_century;
	f->iapc_boot_arch = htole16(ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042);
	/*
	 * PWR_BUTTON clear: the power button is the fixed-feature one in PM1. SLP_BUTTON
	 * set: no sleep button. FIX_RTC set: no RTC wake status in PM1. TMR_VAL_EXT clear:
	 * the PM timer is 24 bits (PIIX4's).
	 */
	f->flags = htole32(ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_SLP_BUTTON |
			   ACPI_FADT_FIX_RTC | ACPI_FADT_RESET_REG_SUP);
	f->reset_reg = gas_io(cfg->reset_port, 1, ACPI_GAS_ACCESS_BYTE);
	f->reset_value = cfg->reset_value;
	f->minor_version = ACPI_FADT_MINOR;
}

/* §5.2.9: FADT revision 6 (ACPI 6.4); revision >= 3 readers find every X_ field. */
static void build_fadt(struct acpi_builder *b)
{
	size_t len = sizeof(struct acpi_fadt);

	b->fadt = table_new(b, "FACP", len, ACPI_FADT_REVISION);
	if (b->tables.err)
		return;
	fadt_fill(acpi_buf_at(&b->tables, b->fadt), b);
	table_pointer(b, b->fadt + offsetof(struct acpi_fadt, firmware_ctrl), 4);
	table_pointer(b, b->fadt + offsetof(struct acpi_fadt, dsdt), 4);
	table_pointer(b, b->fadt + offsetof(struct acpi_fadt, x_dsdt), 8);
	table_checksum(b, b->fadt, len);
}

static bool sci_is_pci_irq(uint8_t irq)
{
	for (size_t i = 0; i < sizeof(acpi_pci_irqs); i++)
		if (acpi_pci_irqs[i] == irq)
			return true;
	return false;
}

/* IRQ0, the PCI link IRQs and the SCI (unless it is one of them). */
static unsigned madt_iso_count(const struct acpi_config *cfg)
{
	return 1 + sizeof(acpi_pci_irqs) + !sci_is_pci_irq(cfg->sci_irq);
}

static uint8_t *madt_put_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	struct acpi_madt_iso iso = {
		.type = ACPI_MADT_TYPE_ISO, .length = sizeof(iso),
		.bus = 0, .source = irq, .gsi = htole32(gsi), .flags = htole16(flags),
	};

	memcpy(p, &iso, sizeof(iso));
	return p + sizeof(iso);
}

static uint8_t *madt_put_isos(uint8_t *p, const struct acpi_config *cfg)
{
	const uint16_t level = ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_LEVEL;

	/* The PIT's IRQ0 is wired to IOAPIC pin 2 (our KVM GSI routing, platform notes §1). */
	p = madt_put_iso(p, 0, 2, ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE);
	for (size_t i = 0; i < sizeof(acpi_pci_irqs); i++)
		p = madt_put_iso(p, acpi_pci_irqs[i], acpi_pci_irqs[i], level);
	/* The PIIX4 SCI is level-triggered, active high (ISA default would be edge). */
	if (!sci_is_pci_irq(cfg->sci_irq))
		p = madt_put_iso(p, cfg->sci_irq, cfg->sci_irq, level);
	return p;
}

static void madt_fill(uint8_t *p, const struct acpi_config *cfg)
{
	struct acpi_madt_ioapic io = {
		.type = ACPI_MADT_TYPE_IOAPIC, .length = sizeof(io), .id = cfg->ioapic_id,
		.address = htole32(cfg->ioapic_addr), .gsi_base = 0,
	};
	struct acpi_madt_lapic_nmi nmi = {
		.type = ACPI_MADT_TYPE_LAPIC_NMI, .length = sizeof(nmi), .uid = 0xff,
		.flags = htole16(ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE), .lint = 1,
	};

	for (unsigned i = 0; i < cfg->ncpus; i++) {
		struct acpi_madt_lapic l = {
			.type = ACPI_MADT_TYPE_LAPIC, .length = sizeof(l),
			.uid = (uint8_t)i, .apic_id = (uint8_t)i,
			.flags = htole32(ACPI_MADT_LAPIC_ENABLED),
		};

		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	memcpy(p, &io, sizeof(io));
	p = madt_put_isos(p + sizeof(io), cfg);
	memcpy(p, &nmi, sizeof(nmi));
}

/* §5.2.12: a LAPIC per CPU, the IOAPIC, the ISA overrides and NMI on LINT1 everywhere. */
static void build_madt(struct acpi_builder *b)
{
	const struct acpi_config *cfg = b->cfg;
	size_t len = sizeof(struct acpi_madt) + cfg->ncpus * sizeof(struct acpi_madt_lapic) +
		     sizeof(struct acpi_madt_ioapic) +
		     madt_iso_count(cfg) * sizeof(struct acpi_madt_iso) +
		     sizeof(struct acpi_madt_lapic_nmi);
	struct acpi_madt *m;

	b->madt = table_new(b, "APIC", len, ACPI_MADT_REVISION);
	if (b->tables.err)
		return;
	m = acpi_buf_at(&b->tables, b->madt);
	m->lapic_address = htole32(cfg->lapic_addr);
	m->flags = htole32(ACPI_MADT_PCAT_COMPAT);
	madt_fill((uint8_t *)(m + 1), cfg);
	table_checksum(b, b->madt, len);
}

/* §5.2.7 RSDT (entry size 4) and §5.2.8 XSDT (entry size 8): FADT, MADT, SSDT. */
static size_t build_sdt(struct acpi_builder *b, const char *sig, uint8_t size)
{
	const size_t entries[] = { b->fadt, b->madt, b->ssdt };
	size_t n = sizeof(entries) / sizeof(entries[0]);
	size_t len = sizeof(struct acpi_header) + n * size, at;

	at = table_new(b, sig, len, 1);
	if (b->tables.err)
		return at;
	for (size_t i = 0; i < n; i++) {
		size_t field = at + sizeof(struct acpi_header) + i * size;
		uint64_t v = htole64(entries[i]);

		memcpy(acpi_buf_at(&b->tables, field), &v, size);	/* little-endian */
		table_pointer(b, field, size);
	}
	table_checksum(b, at, len);
	return at;
}

/* §5.2.5.3: the RSDP lives in its own file so SeaBIOS can put it in the F-segment. */
static void build_rsdp(struct acpi_builder *b, struct acpi_rsdp *r)
{
	const char *f = ACPI_FILE_RSDP;

	memset(r, 0, sizeof(*r));
	memcpy(r->signature, "RSD PTR ", sizeof(r->signature));
	memcpy(r->oem_id, ACPI_OEM_ID, sizeof(r->oem_id));
	r->revision = 2;
	r->rsdt_address = htole32((uint32_t)b->rsdt);
	r->length = htole32(sizeof(*r));
	r->xsdt_address = htole64(b->xsdt);

	acpi_loader_allocate(&b->loader, f, 16, ACPI_LOADER_ZONE_FSEG);
	acpi_loader_add_pointer(&b->loader, f, ACPI_FILE_TABLES,
				offsetof(struct acpi_rsdp, rsdt_address), 4);
	acpi_loader_add_pointer(&b->loader, f, ACPI_FILE_TABLES,
				offsetof(struct acpi_rsdp, xsdt_address), 8);
	/* The 20-byte checksum first: the extended one covers its byte. */
	acpi_loader_add_checksum(&b->loader, f, offsetof(struct acpi_rsdp, checksum), 0,
				 ACPI_RSDP_V1_LEN);
	acpi_loader_add_checksum(&b->loader, f, offsetof(struct acpi_rsdp, extended_checksum),
				 0, sizeof(*r));
}

static void build_all(struct acpi_builder *b, struct acpi_rsdp *rsdp)
{
	/* HIGH zone: SeaBIOS's RAM below 4 GiB, so 32-bit pointers to it are fine. */
	acpi_loader_allocate(&b->loader, ACPI_FILE_TABLES, 64, ACPI_LOADER_ZONE_HIGH);
	build_facs(b);
	build_dsdt(b);
	build_ssdt(b);
	build_fadt(b);
	build_madt(b);
	b->rsdt = build_sdt(b, "RSDT", 4);
	b->xsdt = build_sdt(b, "XSDT", 8);
	build_rsdp(b, rsdp);
}

int acpi_build(const struct acpi_config *cfg, struct acpi_blobs *out)
{
	struct acpi_builder b = { .cfg = cfg };
	int err;

	memset(out, 0, sizeof(*out));
	if (!config_valid(cfg))
		return -EINVAL;
	out->rsdp = malloc(sizeof(struct acpi_rsdp));
	if (!out->rsdp)
		return -ENOMEM;
	build_all(&b, (struct acpi_rsdp *)out->rsdp);
	err = b.tables.err ? b.tables.err : b.loader.err;
	if (err) {
		acpi_buf_free(&b.tables);
		acpi_buf_free(&b.loader);
		acpi_blobs_free(out);
		return err;
	}
	out->rsdp_len = sizeof(struct acpi_rsdp);
	out->tables = b.tables.data;
	out->tables_len = b.tables.len;
	out->loader = b.loader.data;
	out->loader_len = b.loader.len;
	return 0;
}

void acpi_blobs_free(struct acpi_blobs *blobs)
{
	free(blobs->rsdp);
	free(blobs->tables);
	free(blobs->loader);
	memset(blobs, 0, sizeof(*blobs));
}

int acpi_install(struct fw_cfg *fc, const struct acpi_config *cfg)
{
	struct acpi_blobs b;
	int ret = acpi_build(cfg, &b);

	if (ret)
		return ret;
	ret = fw_cfg_add_file(fc, ACPI_FILE_TABLES, b.tables, b.tables_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, ACPI_FILE_RSDP, b.rsdp, b.rsdp_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, ACPI_FILE_LOADER, b.loader, b.loader_len);
	acpi_blobs_free(&b);
	return ret;
}
