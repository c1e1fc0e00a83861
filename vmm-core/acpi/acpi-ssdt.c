// SPDX-License-Identifier: GPL-2.0-or-later
/* The SSDT's AML: one Processor object per CPU, encoded by hand (ACPI 6.4 chapter 20). */
#include "acpi-private.h"

/*
 * Processor () is deprecated since ACPI 6.0 in favour of Device (ACPI0007), but every OS
 * still reads it and the old ones (Windows XP/7) read nothing else. Its ProcessorID is
 * what the MADT's "ACPI Processor UID" refers to (§5.2.12.2). No P_BLK: C1 (HLT) only.
 */
#define AML_SCOPE_OP		0x10
#define AML_EXT_PREFIX		0x5B
#define AML_PROCESSOR_OP	0x83
#define AML_ROOT_CHAR		'\\'

/* NameSeg(4) ProcID(1) PblkAddr(4) PblkLen(1), after the PkgLength. */
#define PROC_BODY		10
/* ExtOpPrefix ProcessorOp PkgLength(1 byte: 11 < 64) body. */
#define PROC_LEN		(2 + 1 + PROC_BODY)
/* RootChar NameSeg "\_SB_". */
#define SB_NAME_LEN		5

/*
 * PkgLength (§20.2.4): one byte holds lengths below 64; otherwise bits 7:6 of the lead
 * byte count the bytes that follow, its bits 3:0 are the low nibble and each following
 * byte the next 8 bits. The encoded length counts the PkgLength bytes themselves.
 */
static size_t aml_pkglen_size(size_t body)
{
	if (body + 1 < 0x40)
		return 1;
	if (body + 2 < 0x1000)
		return 2;
	if (body + 3 < 0x100000)
		return 3;
	return 4;
}

static uint8_t *aml_put_pkglen(uint8_t *p, size_t body)
{
	size_t n = aml_pkglen_size(body), total = body + n;

	if (n == 1) {
		*p++ = (uint8_t)total;
		return p;
	}
	*p++ = (uint8_t)((n - 1) << 6 | (total & 0x0F));
	total >>= 4;
	for (size_t i = 1; i < n; i++, total >>= 8)
		*p++ = (uint8_t)total;
	return p;
}

static char hex_digit(unsigned v)
{
	return (char)(v < 10 ? '0' + v : 'A' + v - 10);
}

static uint8_t *aml_put_processor(uint8_t *p, unsigned id)
{
	*p++ = AML_EXT_PREFIX;
	*p++ = AML_PROCESSOR_OP;
	p = aml_put_pkglen(p, PROC_BODY);
	/* NameSeg "CPxx", xx the ID in hex: a NameSeg's later characters may be digits. */
	*p++ = 'C';
	*p++ = 'P';
	*p++ = (uint8_t)hex_digit(id >> 4 & 0xF);
	*p++ = (uint8_t)hex_digit(id & 0xF);
	*p++ = (uint8_t)id;		/* ProcID */
	for (int i = 0; i < 5; i++)	/* PblkAddr = 0, PblkLen = 0 */
		*p++ = 0;
	return p;
}

static size_t scope_body(unsigned ncpus)
{
	return SB_NAME_LEN + (size_t)ncpus * PROC_LEN;
}

size_t acpi_ssdt_cpus_len(unsigned ncpus)
{
	size_t body = scope_body(ncpus);

	return 1 + aml_pkglen_size(body) + body;
}

/* out must hold acpi_ssdt_cpus_len(ncpus) bytes; ncpus <= 256 (IDs are one byte). */
void acpi_ssdt_cpus_write(uint8_t *out, unsigned ncpus)
{
	uint8_t *p = out;

	*p++ = AML_SCOPE_OP;
	p = aml_put_pkglen(p, scope_body(ncpus));
	*p++ = AML_ROOT_CHAR;
	*p++ = '_';
	*p++ = 'S';
	*p++ = 'B';
	*p++ = '_';
	for (unsigned i = 0; i < ncpus; i++)
		p = aml_put_processor(p, i);
}
