/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMBIOS tables for the guest (DMTF DSP0134), handed to the firmware as two fw_cfg files. */
#ifndef VMM_SMBIOS_H
#define VMM_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

struct fw_cfg;

/*
 * SeaBIOS takes a ready 32-bit entry point and structure table from these two files and
 * adds its own BIOS Information (type 0) in front of the table; without them it builds the
 * tables itself in guest code, ~0.3 s of emulated instructions on a nested host.
 */
#define SMBIOS_FILE_ANCHOR	"etc/smbios/smbios-anchor"
#define SMBIOS_FILE_TABLES	"etc/smbios/smbios-tables"

/* DSP0134 §5.2.1: the 2.1 (32-bit) entry point is 31 bytes. */
#define SMBIOS_ANCHOR_LEN	0x1f
#define SMBIOS_MAX_CPUS		255	/* type 4 core count is one byte */
#define SMBIOS_MAX_STRING	64	/* our own limit per string, NUL excluded */

/* What the tables say about the machine; strings are ours (not guest input). */
struct smbios_config {
	const char *manufacturer;	/* type 1 and 3 */
	const char *product;		/* type 1 */
	const char *version;		/* type 1 and 3 */
	uint8_t uuid[16];		/* type 1, RFC 4122 (text) order; all zero: not set */
	unsigned ncpus;			/* one package, a core per vCPU (cpuid.c) */
	uint32_t cpu_signature;		/* CPUID.1:EAX, type 4 Processor ID */
	uint32_t cpu_features;		/* CPUID.1:EDX */
	uint64_t ram_below_4g;		/* bytes of RAM at 0 */
	uint64_t ram_above_4g;		/* bytes of RAM at 4 GiB */
};

struct smbios_blobs {
	uint8_t *anchor, *tables;
	size_t anchor_len, tables_len;
};

/* 0, -EINVAL (a config the tables cannot describe) or -ENOMEM. On error *out is empty. */
int smbios_build(const struct smbios_config *cfg, struct smbios_blobs *out);
void smbios_blobs_free(struct smbios_blobs *b);

/*
 * A UUID's 36-character text form (RFC 4122 §3, "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37", hex
 * digits of either case) into 16 bytes in text order. 0, or -EINVAL for anything else
 * (uuid is then untouched).
 */
#define SMBIOS_UUID_TEXT_LEN	36
int smbios_uuid_parse(const char *text, uint8_t uuid[16]);

/* Build and add the two files to fw_cfg (tables first). 0 or -errno. */
int smbios_install(struct fw_cfg *fc, const struct smbios_config *cfg);

#endif
