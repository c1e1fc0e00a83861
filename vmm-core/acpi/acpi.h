/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI tables for the guest, handed to SeaBIOS as fw_cfg files plus a table-loader script. */
#ifndef VMM_ACPI_H
#define VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct fw_cfg;

/*
 * xAPIC IDs are 8 bits and 0xFF is the broadcast ID. The CPUs take IDs 0..ncpus-1 and the
 * IOAPIC the next one (ACPI 6.4 §5.2.12.2 and §5.2.12.3), so ncpus + 1 IDs must fit in 0..0xFE.
 */
#define ACPI_MAX_CPUS		254

/*
 * The three fw_cfg files. SeaBIOS opens only the table-loader by name; it loads the other
 * two because the loader's ALLOCATE commands name them (platform notes §8).
 */
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_FILE_LOADER	"etc/table-loader"

/* Everything the tables say about the machine. acpi_config_default() gives Vessel's PC. */
struct acpi_config {
	unsigned ncpus;			/* 1..ACPI_MAX_CPUS; APIC IDs and ACPI UIDs 0..n-1 */
	uint16_t pm_base;		/* PM1a_EVT +0 (4 bytes), PM1a_CNT +4 (2), PM_TMR +8 (4) */
	uint8_t sci_irq;		/* ISA IRQ of the SCI (level, active high) */
	uint16_t gpe0_base;
	uint8_t gpe0_len;		/* bytes: half status, half enable */
	uint16_t smi_cmd;		/* port the OS writes acpi_enable/acpi_disable to */
	uint8_t acpi_enable, acpi_disable;
	uint16_t reset_port;		/* FADT RESET_REG, an 8-bit I/O register */
	uint8_t reset_value;
	uint8_t rtc_century;		/* CMOS index of the century byte, 0 for none */
	uint32_t lapic_addr;
	uint32_t ioapic_addr;
	uint8_t ioapic_id;		/* must not be a LAPIC ID: >= ncpus, < 0xFF */
	uint32_t pci_window_start;	/* 32-bit PCI MMIO window start (end of RAM below 4G) */
};

/*
 * Vessel's PC: PM block at 0x600 (where SeaBIOS moves pm_base once a table-loader exists),
 * SCI on IRQ 9, GPE0 at 0xAFE0 (4 bytes), SMI_CMD 0xB2 with 0xF1/0xF0, reset through 0xCF9
 * with 0x06, RTC century at CMOS 0x32, LAPIC 0xFEE00000, IOAPIC 0xFEC00000 with ID ncpus.
 */
void acpi_config_default(struct acpi_config *cfg, unsigned ncpus);

/* The three fw_cfg file contents, malloc'ed. */
struct acpi_blobs {
	uint8_t *rsdp, *tables, *loader;
	size_t rsdp_len, tables_len, loader_len;
};

/* 0, -EINVAL (a config the tables cannot describe) or -ENOMEM. On error *out is empty. */
int acpi_build(const struct acpi_config *cfg, struct acpi_blobs *out);
void acpi_blobs_free(struct acpi_blobs *blobs);

/*
 * Build and add the three files to fw_cfg (tables, RSDP, then the loader, so a failure
 * part-way never leaves a loader naming a missing file). 0 or -errno.
 */
int acpi_install(struct fw_cfg *fc, const struct acpi_config *cfg);

#endif
