/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI table layouts (ACPI 6.4 chapter 5) and fw_cfg table-loader commands, little-endian. */
#ifndef VMM_ACPI_TABLES_H
#define VMM_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_PACKED __attribute__((packed))

/* OEM identification in every header we write. */
#define ACPI_OEM_ID		"VESSEL"	/* 6 bytes */
#define ACPI_OEM_TABLE_ID	"VESSELVM"	/* 8 bytes */
#define ACPI_CREATOR_ID		"VSSL"
#define ACPI_CREATOR_REVISION	1

/* ACPI 6.4 §5.2.5.3: Root System Description Pointer (revision 2 layout). */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;		/* 2 */
	uint32_t rsdt_address;
	uint32_t length;		/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all 36 bytes */
	uint8_t reserved[3];
} ACPI_PACKED;
#define ACPI_RSDP_V1_LEN	20
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_address) == 16, "RSDP.RsdtAddress at 16");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP.XsdtAddress at 24");
_Static_assert(offsetof(struct acpi_rsdp, extended_checksum) == 32, "extended checksum at 32");

/* §5.2.6: System Description Table Header. */
struct acpi_header {
	char signature[4];
	uint32_t length;		/* whole table, header included */
	uint8_t revision;
	uint8_t checksum;		/* whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_header) == 36, "table header is 36 bytes");
_Static_assert(offsetof(struct acpi_header, checksum) == 9, "header checksum at 9");

/* §5.2.3.2: Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
#define ACPI_GAS_SYSTEM_IO	1
#define ACPI_GAS_ACCESS_BYTE	1
#define ACPI_GAS_ACCESS_WORD	2
#define ACPI_GAS_ACCESS_DWORD	3

/* §5.2.9: Fixed ACPI Description Table, revision 6 minor 4 (the ACPI 6.4 layout). */
struct acpi_fadt {
	struct acpi_header h;			/* "FACP" */
	uint32_t firmware_ctrl;			/* 36: FACS */
	uint32_t dsdt;				/* 40 */
	uint8_t reserved0;			/* 44: INT_MODEL in ACPI 1.0 */
	uint8_t preferred_pm_profile;		/* 45 */
	uint16_t sci_int;			/* 46 */
	uint32_t smi_cmd;			/* 48 */
	uint8_t acpi_enable;			/* 52 */
	uint8_t acpi_disable;			/* 53 */
	uint8_t s4bios_req;			/* 54 */
	uint8_t pstate_cnt;			/* 55 */
	uint32_t pm1a_evt_blk;			/* 56 */
	uint32_t pm1b_evt_blk;			/* 60 */
	uint32_t pm1a_cnt_blk;			/* 64 */
	uint32_t pm1b_cnt_blk;			/* 68 */
	uint32_t pm2_cnt_blk;			/* 72 */
	uint32_t pm_tmr_blk;			/* 76 */
	uint32_t gpe0_blk;			/* 80 */
	uint32_t gpe1_blk;			/* 84 */
	uint8_t pm1_evt_len;			/* 88 */
	uint8_t pm1_cnt_len;			/* 89 */
	uint8_t pm2_cnt_len;			/* 90 */
	uint8_t pm_tmr_len;			/* 91 */
	uint8_t gpe0_blk_len;			/* 92 */
	uint8_t gpe1_blk_len;			/* 93 */
	uint8_t gpe1_base;			/* 94 */
	uint8_t cst_cnt;			/* 95 */
	uint16_t p_lvl2_lat;			/* 96 */
	uint16_t p_lvl3_lat;			/* 98 */
	uint16_t flush_size;			/* 100 */
	uint16_t flush_stride;			/* 102 */
	uint8_t duty_offset;			/* 104 */
	uint8_t duty_width;			/* 105 */
	uint8_t day_alrm;			/* 106 */
	uint8_t mon_alrm;			/* 107 */
	uint8_t century;			/* 108 */
	uint16_t iapc_boot_arch;		/* 109 */
	uint8_t reserved1;			/* 111 */
	uint32_t flags;				/* 112 */
	struct acpi_gas reset_reg;		/* 116 */
	uint8_t reset_value;			/* 128 */
	uint16_t arm_boot_arch;			/* 129 */
	uint8_t minor_version;			/* 131 */
	uint64_t x_firmware_ctrl;		/* 132 */
	uint64_t x_dsdt;			/* 140 */
	struct acpi_gas x_pm1a_evt_blk;		/* 148 */
	struct acpi_gas x_pm1b_evt_blk;		/* 160 */
	struct acpi_gas x_pm1a_cnt_blk;		/* 172 */
	struct acpi_gas x_pm1b_cnt_blk;		/* 184 */
	struct acpi_gas x_pm2_cnt_blk;		/* 196 */
	struct acpi_gas x_pm_tmr_blk;		/* 208 */
	struct acpi_gas x_gpe0_blk;		/* 220 */
	struct acpi_gas x_gpe1_blk;		/* 232 */
	struct acpi_gas sleep_control_reg;	/* 244 */
	struct acpi_gas sleep_status_reg;	/* 256 */
	uint64_t hypervisor_vendor_id;		/* 268 */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 is 276 bytes");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK at 56");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH at 109");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags at 112");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG at 116");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE at 128");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT at 140");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK at 208");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT hypervisor ID");
#define ACPI_FADT_REVISION	6
#define ACPI_FADT_MINOR		4

/* §5.2.9 "Fixed ACPI Description Table Fixed Feature Flags". */
#define ACPI_FADT_WBINVD		(1u << 0)
#define ACPI_FADT_PROC_C1		(1u << 2)
#define ACPI_FADT_PWR_BUTTON		(1u << 4)	/* set: NO fixed power button */
#define ACPI_FADT_SLP_BUTTON		(1u << 5)	/* set: NO fixed sleep button */
#define ACPI_FADT_FIX_RTC		(1u << 6)	/* set: no RTC_STS in PM1 */
#define ACPI_FADT_TMR_VAL_EXT		(1u << 8)	/* set: 32-bit PM timer */
#define ACPI_FADT_RESET_REG_SUP		(1u << 10)
#define ACPI_FADT_HW_REDUCED		(1u << 20)
/* §5.2.9.3 "IA-PC Boot Architecture Flags". */
#define ACPI_IAPC_LEGACY_DEVICES	(1u << 0)
#define ACPI_IAPC_8042			(1u << 1)

/* §5.2.10: Firmware ACPI Control Structure. No checksum; 64-byte aligned. */
struct acpi_facs {
	char signature[4];		/* "FACS" */
	uint32_t length;		/* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;		/* 2 */
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "FACS version at 32");
#define ACPI_FACS_ALIGN		64

/* §5.2.12: Multiple APIC Description Table and the entries we use. */
struct acpi_madt {
	struct acpi_header h;		/* "APIC" */
	uint32_t lapic_address;
	uint32_t flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT fixed part is 44 bytes");
#define ACPI_MADT_REVISION	5
#define ACPI_MADT_PCAT_COMPAT	(1u << 0)	/* dual 8259s present too */

#define ACPI_MADT_TYPE_LAPIC		0
#define ACPI_MADT_TYPE_IOAPIC		1
#define ACPI_MADT_TYPE_ISO		2
#define ACPI_MADT_TYPE_LAPIC_NMI	4

/* §5.2.12.2: Processor Local APIC Structure. */
struct acpi_madt_lapic {
	uint8_t type, length;		/* 0, 8 */
	uint8_t uid;			/* ACPI Processor UID (= Processor object's ID) */
	uint8_t apic_id;
	uint32_t flags;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC is 8 bytes");
#define ACPI_MADT_LAPIC_ENABLED	(1u << 0)

/* §5.2.12.3: I/O APIC Structure. */
struct acpi_madt_ioapic {
	uint8_t type, length;		/* 1, 12 */
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC is 12 bytes");

/* §5.2.12.5: Interrupt Source Override Structure. */
struct acpi_madt_iso {
	uint8_t type, length;		/* 2, 10 */
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;			/* MPS INTI flags */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO is 10 bytes");

/* §5.2.12.7: Local APIC NMI Structure. */
struct acpi_madt_lapic_nmi {
	uint8_t type, length;		/* 4, 6 */
	uint8_t uid;			/* 0xFF: every processor */
	uint16_t flags;			/* MPS INTI flags */
	uint8_t lint;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI is 6 bytes");

/* MPS INTI flags (§5.2.12.5; MultiProcessor Spec 1.4 Table 4-10): polarity 1:0, trigger 3:2. */
#define ACPI_INTI_POLARITY_HIGH	0x1
#define ACPI_INTI_POLARITY_LOW	0x3
#define ACPI_INTI_TRIGGER_EDGE	0x4
#define ACPI_INTI_TRIGGER_LEVEL	0xC

/*
 * fw_cfg "etc/table-loader": an array of 128-byte little-endian commands that the firmware
 * runs in order (platform notes §8; SeaBIOS src/fw/romfile_loader.h describes the format).
 */
#define ACPI_LOADER_FILESZ		56
#define ACPI_LOADER_ALLOCATE		1
#define ACPI_LOADER_ADD_POINTER		2
#define ACPI_LOADER_ADD_CHECKSUM	3
#define ACPI_LOADER_ZONE_HIGH		1
#define ACPI_LOADER_ZONE_FSEG		2

struct acpi_loader_entry {
	uint32_t command;
	union {
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t align;		/* power of two */
			uint8_t zone;
		} ACPI_PACKED alloc;
		struct {
			char dest_file[ACPI_LOADER_FILESZ];
			char src_file[ACPI_LOADER_FILESZ];
			uint32_t offset;	/* in dest; it holds an offset into src */
			uint8_t size;		/* 1, 2, 4 or 8 */
		} ACPI_PACKED pointer;
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t offset;	/* the checksum byte */
			uint32_t start;
			uint32_t length;
		} ACPI_PACKED cksum;
		uint8_t pad[124];
	};
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_loader_entry) == 128, "table-loader entries are 128 bytes");
_Static_assert(offsetof(struct acpi_loader_entry, pointer.offset) == 116, "pointer offset");
_Static_assert(offsetof(struct acpi_loader_entry, cksum.length) == 68, "checksum length");

#endif
