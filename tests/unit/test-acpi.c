// SPDX-License-Identifier: GPL-2.0-or-later
/* ACPI: tables and table-loader run through a SeaBIOS-style loader, then checked and iasl'd. */
#include <endian.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi.h"
#include "acpi-tables.h"
#include "fw_cfg.h"
#include "log.h"
#include "tap.h"

/* ---- A table-loader run the way the firmware does it (platform notes §8). ---- */

struct sim_file {
	const char *name;
	const uint8_t *data;	/* the fw_cfg file */
	size_t len;
	uint8_t *mem;		/* its copy in "guest RAM", once allocated */
	uint64_t gpa;
};

struct sim_cksum {
	const struct sim_file *f;
	uint32_t start, len;
};

struct sim {
	struct sim_file files[2];
	uint64_t next[3], end[3];	/* per zone: next free address, zone end */
	struct sim_cksum sums[64];	/* checksums run so far */
	unsigned nsums;
	char why[256];			/* the first thing that went wrong */
};

__attribute__((format(printf, 2, 3)))
static bool sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->why[0]) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	return false;
}

static void sim_init(struct sim *s, const struct acpi_blobs *b, uint64_t high, uint64_t fseg)
{
	memset(s, 0, sizeof(*s));
	s->files[0] = (struct sim_file){ ACPI_FILE_TABLES, b->tables, b->tables_len };
	s->files[1] = (struct sim_file){ ACPI_FILE_RSDP, b->rsdp, b->rsdp_len };
	s->next[ACPI_LOADER_ZONE_HIGH] = high;
	s->end[ACPI_LOADER_ZONE_HIGH] = high + 0x40000;
	s->next[ACPI_LOADER_ZONE_FSEG] = fseg;
	s->end[ACPI_LOADER_ZONE_FSEG] = 0x100000;
}

static void sim_free(struct sim *s)
{
	for (int i = 0; i < 2; i++)
		free(s->files[i].mem);
}

/* A file named by a 56-byte field; it must be NUL-terminated (and loaded, if asked). */
static struct sim_file *sim_named(struct sim *s, const char *name, bool loaded)
{
	if (!memchr(name, 0, ACPI_LOADER_FILESZ))
		return sim_fail(s, "file name not NUL-terminated"), NULL;
	for (int i = 0; i < 2; i++) {
		struct sim_file *f = &s->files[i];

		if (strcmp(f->name, name))
			continue;
		if (loaded && !f->mem)
			return sim_fail(s, "%s used before its ALLOCATE", name), NULL;
		return f;
	}
	return sim_fail(s, "no fw_cfg file \"%s\"", name), NULL;
}

static bool sim_allocate(struct sim *s, const struct acpi_loader_entry *e)
{
	struct sim_file *f = sim_named(s, e->alloc.file, false);
	uint32_t align = le32toh(e->alloc.align);
	uint8_t zone = e->alloc.zone;
	uint64_t at;

	if (!f)
		return false;
	if (f->mem)
		return sim_fail(s, "%s allocated twice", f->name);
	if (!align || (align & (align - 1)))
		return sim_fail(s, "alignment %u is not a power of two", align);
	if (zone != ACPI_LOADER_ZONE_HIGH && zone != ACPI_LOADER_ZONE_FSEG)
		return sim_fail(s, "unknown zone %u", zone);
	at = (s->next[zone] + align - 1) & ~(uint64_t)(align - 1);
	if (at + f->len > s->end[zone])
		return sim_fail(s, "%s does not fit in zone %u", f->name, zone);
	f->mem = malloc(f->len);
	memcpy(f->mem, f->data, f->len);
	f->gpa = at;
	s->next[zone] = at + f->len;
	return true;
}

static bool sim_covered(struct sim *s, const struct sim_file *f, uint32_t off, uint8_t size)
{
	for (unsigned i = 0; i < s->nsums; i++)
		if (s->sums[i].f == f && off + size > s->sums[i].start &&
		    off < s->sums[i].start + s->sums[i].len)
			return true;
	return false;
}

static bool sim_add_pointer(struct sim *s, const struct acpi_loader_entry *e)
{
	struct sim_file *dst = sim_named(s, e->pointer.dest_file, true);
	struct sim_file *src = dst ? sim_named(s, e->pointer.src_file, true) : NULL;
	uint32_t off = le32toh(e->pointer.offset);
	uint8_t size = e->pointer.size;
	uint64_t v = 0;

	if (!src)
		return false;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return sim_fail(s, "pointer size %u", size);
	if (off > dst->len || dst->len - off < size)
		return sim_fail(s, "pointer at %s+%u is outside the file", dst->name, off);
	if (sim_covered(s, dst, off, size))
		return sim_fail(s, "pointer at %s+%u patched after its checksum", dst->name, off);
	memcpy(&v, dst->mem + off, size);
	v = le64toh(v);
	if (v >= src->len)
		return sim_fail(s, "pointer at %s+%u holds %#llx, past the end of %s",
				dst->name, off, (unsigned long long)v, src->name);
	v += src->gpa;
	if (size < 8 && v >> (size * 8))
		return sim_fail(s, "pointer at %s+%u overflows %u bytes", dst->name, off, size);
	v = htole64(v);
	memcpy(dst->mem + off, &v, size);
	return true;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static bool sim_add_checksum(struct sim *s, const struct acpi_loader_entry *e)
{
	struct sim_file *f = sim_named(s, e->cksum.file, true);
	uint32_t off = le32toh(e->cksum.offset), start = le32toh(e->cksum.start);
	uint32_t len = le32toh(e->cksum.length);

	if (!f)
		return false;
	if (off >= f->len || start > f->len || f->len - start < len)
		return sim_fail(s, "checksum range outside %s", f->name);
	if (s->nsums == sizeof(s->sums) / sizeof(s->sums[0]))
		return sim_fail(s, "too many checksums");
	f->mem[off] -= sum8(f->mem + start, len);
	s->sums[s->nsums++] = (struct sim_cksum){ f, start, len };
	return true;
}

static bool sim_run(struct sim *s, const uint8_t *loader, size_t len)
{
	static bool (*const run[])(struct sim *, const struct acpi_loader_entry *) = {
		[ACPI_LOADER_ALLOCATE] = sim_allocate,
		[ACPI_LOADER_ADD_POINTER] = sim_add_pointer,
		[ACPI_LOADER_ADD_CHECKSUM] = sim_add_checksum,
	};
	struct acpi_loader_entry e;

	if (len % sizeof(e))
		return sim_fail(s, "loader is %zu bytes, not a multiple of 128", len);
	for (size_t at = 0; at < len; at += sizeof(e)) {
		uint32_t cmd;

		memcpy(&e, loader + at, sizeof(e));
		cmd = le32toh(e.command);
		if (cmd >= sizeof(run) / sizeof(run[0]) || !run[cmd])
			return sim_fail(s, "unknown command %u", cmd);
		if (!run[cmd](s, &e))
			return false;
	}
	return true;
}

/* Host pointer for [gpa, gpa+len) inside one loaded file, else NULL. */
static const uint8_t *sim_ptr(const struct sim *s, uint64_t gpa, size_t len)
{
	for (int i = 0; i < 2; i++) {
		const struct sim_file *f = &s->files[i];

		if (f->mem && gpa >= f->gpa && gpa - f->gpa <= f->len &&
		    f->len - (gpa - f->gpa) >= len)
			return f->mem + (gpa - f->gpa);
	}
	return NULL;
}

/* Little-endian loads from table bytes. */
static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}
#define rd16(p) ((uint16_t)rd(p, 2))
#define rd32(p) ((uint32_t)rd(p, 4))
#define rd64(p) rd(p, 8)

/* The table at gpa if it has that signature, fits and sums to zero; NULL otherwise. */
static const uint8_t *table_at(const struct sim *s, uint64_t gpa, const char *sig)
{
	const uint8_t *h = sim_ptr(s, gpa, sizeof(struct acpi_header));
	uint32_t len;

	if (!h || memcmp(h, sig, 4))
		return NULL;
	len = rd32(h + 4);
	if (len < sizeof(struct acpi_header) || !sim_ptr(s, gpa, len))
		return NULL;
	return sum8(h, len) ? NULL : h;
}


/* ---- What the firmware and the OS find, table by table. ---- */

struct found {
	uint64_t rsdt, xsdt, fadt, madt, ssdt, dsdt, facs;
};

static void check_rsdp(const struct sim *s, struct found *t)
{
	const struct sim_file *f = &s->files[1];
	const uint8_t *r = f->mem;

	ok(f->gpa >= 0xf0000 && f->gpa + 36 <= 0x100000 && f->gpa % 16 == 0,
	   "RSDP in the F-segment on a 16-byte boundary, where SeaBIOS scans (%#llx)",
	   (unsigned long long)f->gpa);
	ok(!memcmp(r, "RSD PTR ", 8), "RSDP signature");
	is_int(sum8(r, ACPI_RSDP_V1_LEN), 0, "RSDP checksum (first 20 bytes)");
	is_int(sum8(r, 36), 0, "RSDP extended checksum (36 bytes)");
	is_int(r[15], 2, "RSDP revision 2");
	is_int(rd32(r + 20), 36, "RSDP length");
	t->rsdt = rd32(r + 16);
	t->xsdt = rd64(r + 24);
}

static void note_table(const struct sim *s, struct found *t, uint64_t gpa, unsigned *others)
{
	const uint8_t *h = sim_ptr(s, gpa, 4);

	if (h && !memcmp(h, "FACP", 4) && !t->fadt)
		t->fadt = gpa;
	else if (h && !memcmp(h, "APIC", 4) && !t->madt)
		t->madt = gpa;
	else if (h && !memcmp(h, "SSDT", 4) && !t->ssdt)
		t->ssdt = gpa;
	else
		(*others)++;
}

static void check_sdts(const struct sim *s, struct found *t)
{
	const uint8_t *rsdt = table_at(s, t->rsdt, "RSDT"), *xsdt = table_at(s, t->xsdt, "XSDT");
	unsigned n, others = 0;

	ok(rsdt, "RSDP -> RSDT, checksum sums to 0");
	ok(xsdt, "RSDP -> XSDT, checksum sums to 0");
	if (!rsdt || !xsdt)
		return;
	n = (rd32(rsdt + 4) - 36) / 4;
	is_int(n, 3, "RSDT lists FADT, MADT and SSDT");
	is_int((rd32(xsdt + 4) - 36) / 8, n, "XSDT lists as many");
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = rd32(rsdt + 36 + 4 * i);

		is_int(rd64(xsdt + 36 + 8 * i), gpa, "XSDT entry %u is the RSDT's", i);
		note_table(s, t, gpa, &others);
	}
	is_int(others, 0, "no other or duplicate tables (no HPET)");
	ok(table_at(s, t->fadt, "FACP"), "FADT found, checksum sums to 0");
	ok(table_at(s, t->madt, "APIC"), "MADT found, checksum sums to 0");
	ok(table_at(s, t->ssdt, "SSDT"), "SSDT found, checksum sums to 0");
}

static bool gas_is(const uint8_t *g, uint8_t bits, uint8_t access, uint64_t port)
{
	return g[0] == ACPI_GAS_SYSTEM_IO && g[1] == bits && g[2] == 0 && g[3] == access &&
	       rd64(g + 4) == port;
}

static void check_fadt_pointers(const struct sim *s, struct found *t, const uint8_t *f)
{
	const uint8_t *facs;

	t->facs = rd32(f + 36);
	t->dsdt = rd32(f + 40);
	is_int(rd64(f + 132), 0, "X_FIRMWARE_CTRL zero: FIRMWARE_CTRL holds the FACS");
	is_int(rd64(f + 140), t->dsdt, "X_DSDT equals DSDT");
	facs = sim_ptr(s, t->facs, 64);
	ok(facs && !memcmp(facs, "FACS", 4) && rd32(facs + 4) == 64 && facs[32] == 2,
	   "FIRMWARE_CTRL -> FACS (64 bytes, version 2)");
	is_int(t->facs % 64, 0, "FACS 64-byte aligned");
	ok(table_at(s, t->dsdt, "DSDT"), "DSDT pointer -> DSDT, checksum sums to 0");
}

static void check_fadt(const struct sim *s, struct found *t, const struct acpi_config *c)
{
	const uint8_t *f = table_at(s, t->fadt, "FACP");
	/* Offsets from ACPI 6.4 §5.2.9, not from our struct. */
	const struct { unsigned off, size; uint64_t want; const char *what; } fields[] = {
		{ 4, 4, 276, "length" }, { 8, 1, 6, "revision" }, { 131, 1, 4, "minor version" },
		{ 46, 2, c->sci_irq, "SCI_INT" }, { 48, 4, 0xb2, "SMI_CMD" },
		{ 52, 1, 0xf1, "ACPI_ENABLE" }, { 53, 1, 0xf0, "ACPI_DISABLE" },
		{ 56, 4, 0x600, "PM1a_EVT_BLK" }, { 64, 4, 0x604, "PM1a_CNT_BLK" },
		{ 76, 4, 0x608, "PM_TMR_BLK" }, { 80, 4, 0xafe0, "GPE0_BLK" },
		{ 60, 4, 0, "PM1b_EVT_BLK" }, { 68, 4, 0, "PM1b_CNT_BLK" },
		{ 72, 4, 0, "PM2_CNT_BLK" }, { 84, 4, 0, "GPE1_BLK" },
		{ 88, 1, 4, "PM1_EVT_LEN" }, { 89, 1, 2, "PM1_CNT_LEN" },
		{ 91, 1, 4, "PM_TMR_LEN" }, { 92, 1, 4, "GPE0_BLK_LEN" },
		{ 108, 1, 0x32, "CENTURY" }, { 128, 1, 6, "RESET_VALUE" },
		{ 109, 2, 3, "IAPC_BOOT_ARCH (legacy devices, 8042)" },
	};
	uint32_t flags;

	if (!f)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		is_int(rd(f + fields[i].off, fields[i].size), fields[i].want, "FADT %s",
		       fields[i].what);
	check_fadt_pointers(s, t, f);
	flags = rd32(f + 112);
	ok((flags & (ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_RESET_REG_SUP)) ==
	   (ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_RESET_REG_SUP),
	   "flags: WBINVD, PROC_C1, RESET_REG_SUP");
	ok(!(flags & (ACPI_FADT_PWR_BUTTON | ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_HW_REDUCED)),
	   "flags: fixed power button, 24-bit timer, not hardware-reduced");
	ok(gas_is(f + 116, 8, 1, 0xcf9), "RESET_REG: I/O 0xCF9, 8 bits");
	ok(gas_is(f + 148, 32, 2, 0x600), "X_PM1a_EVT_BLK");
	ok(gas_is(f + 172, 16, 2, 0x604), "X_PM1a_CNT_BLK");
	ok(gas_is(f + 208, 32, 3, 0x608), "X_PM_TMR_BLK");
	ok(gas_is(f + 220, 32, 1, 0xafe0), "X_GPE0_BLK");
}

struct madt_seen {
	unsigned lapic, ioapic, iso, nmi, total;
	uint8_t apic_ids[256];
	bool lapics_ok, ioapic_ok, nmi_ok;
	uint32_t iso_gsi[16];
	uint16_t iso_flags[16];
	uint8_t iso_count[16];
	uint8_t ioapic_id;
};

static void madt_entry(struct madt_seen *m, const uint8_t *e)
{
	m->total++;
	switch (e[0]) {
	case ACPI_MADT_TYPE_LAPIC:
		m->lapics_ok &= e[1] == 8 && e[2] == m->lapic && e[3] == m->lapic &&
				rd32(e + 4) == ACPI_MADT_LAPIC_ENABLED;
		m->apic_ids[e[3]]++;
		m->lapic++;
		break;
	case ACPI_MADT_TYPE_IOAPIC:
		m->ioapic_ok = e[1] == 12 && rd32(e + 4) == 0xfec00000 && rd32(e + 8) == 0;
		m->ioapic_id = e[2];
		m->ioapic++;
		break;
	case ACPI_MADT_TYPE_ISO:
		if (e[1] == 10 && e[2] == 0 && e[3] < 16) {
			m->iso_gsi[e[3]] = rd32(e + 4);
			m->iso_flags[e[3]] = rd16(e + 8);
			m->iso_count[e[3]]++;
		}
		m->iso++;
		break;
	case ACPI_MADT_TYPE_LAPIC_NMI:
		m->nmi_ok = e[1] == 6 && e[2] == 0xff && e[5] == 1;
		m->nmi++;
		break;
	}
}

static void check_madt_isos(const struct madt_seen *m)
{
	const uint16_t level = ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_LEVEL;
	static const uint8_t pci[] = { 5, 9, 10, 11 };

	ok(m->iso_count[0] == 1 && m->iso_gsi[0] == 2 &&
	   m->iso_flags[0] == (ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE),
	   "override: ISA IRQ0 -> GSI 2, edge");
	for (size_t i = 0; i < sizeof(pci); i++)
		ok(m->iso_count[pci[i]] == 1 && m->iso_gsi[pci[i]] == pci[i] &&
		   m->iso_flags[pci[i]] == level, "override: IRQ %u level, active high", pci[i]);
}

static void check_madt(const struct sim *s, const struct found *t, const struct acpi_config *c)
{
	const uint8_t *h = table_at(s, t->madt, "APIC");
	struct madt_seen m = { .lapics_ok = true };
	uint32_t len, at = 44;

	if (!h)
		return;
	len = rd32(h + 4);
	is_int(rd32(h + 36), 0xfee00000, "MADT local APIC address");
	is_int(rd32(h + 40), ACPI_MADT_PCAT_COMPAT, "MADT PCAT_COMPAT (8259s too)");
	while (at + 2 <= len && h[at + 1] >= 2 && at + h[at + 1] <= len) {
		madt_entry(&m, h + at);
		at += h[at + 1];
	}
	is_int(at, len, "MADT entries fill the table exactly");
	is_int(m.total, c->ncpus + 1 + 5 + 1, "MADT: CPUs + IOAPIC + 5 overrides + NMI");
	is_int(m.lapic, c->ncpus, "one LAPIC per CPU");
	ok(m.lapics_ok, "LAPICs enabled, UID = APIC ID = 0..n-1");
	ok(m.ioapic == 1 && m.ioapic_ok, "one IOAPIC at 0xFEC00000, GSI base 0");
	ok(!m.apic_ids[m.ioapic_id] && m.ioapic_id != 0xff, "IOAPIC ID %u is no LAPIC's",
	   m.ioapic_id);
	ok(m.nmi == 1 && m.nmi_ok, "LAPIC NMI on LINT1 for all processors");
	check_madt_isos(&m);
}

/*
 * ---- AML, read the way SeaBIOS's own DSDT parser can: its term lists may hold only Name,
 * Scope, Method, Device, OperationRegion, Field and Processor, and a Name's value only
 * Zero, One, Byte/Word/DWord, String, Buffer or Package. Anything else stops that parser,
 * and a keyboard it never reached is a keyboard it does not set up.
 */

struct aml_dev {
	uint32_t hid;
	bool crs;
};

struct aml_walk {
	bool bad;
	unsigned devices, links, procs;
	bool kbd, kbd_crs, pci0, names_ok;
	uint8_t proc_ids[256];
	struct aml_dev dev;	/* the innermost Device */
};

static uint32_t eisa_id(const char *id)
{
	unsigned mfg = (unsigned)(id[0] - '@') << 10 | (unsigned)(id[1] - '@') << 5 |
		       (unsigned)(id[2] - '@');
	unsigned prod = (unsigned)strtoul(id + 3, NULL, 16);
	uint8_t b[4] = { (uint8_t)(mfg >> 8), (uint8_t)mfg, (uint8_t)(prod >> 8), (uint8_t)prod };

	return rd32(b);
}

/* PkgLength (ACPI 6.4 §20.2.4): the package's end (it counts itself), or NULL. */
static const uint8_t *aml_pkg(const uint8_t *p, const uint8_t *end, const uint8_t **body)
{
	size_t n, len;

	if (p >= end)
		return NULL;
	n = (size_t)(p[0] >> 6) + 1;
	if ((size_t)(end - p) < n)
		return NULL;
	len = n == 1 ? p[0] & 0x3fu : p[0] & 0x0fu;
	for (size_t i = 1; i < n; i++)
		len |= (size_t)p[i] << (4 + 8 * (i - 1));
	if (len < n || len > (size_t)(end - p))
		return NULL;
	*body = p + n;
	return p + len;
}

/* NameString (§20.2.2): its length, with the last NameSeg in seg; 0 if malformed. */
static size_t aml_name(const uint8_t *p, const uint8_t *end, char seg[5])
{
	const uint8_t *q = p;
	size_t count = 1;

	while (q < end && (*q == '\\' || *q == '^'))
		q++;
	if (q >= end)
		return 0;
	if (*q == 0) {
		seg[0] = 0;
		return (size_t)(q + 1 - p);
	}
	if (*q == 0x2e || *q == 0x2f) {
		count = *q == 0x2e ? 2 : (q + 1 < end ? q[1] : 0);
		q += *q == 0x2e ? 1 : 2;
	}
	if (!count || (size_t)(end - q) < 4 * count)
		return 0;
	for (size_t i = 0; i < count; i++, q += 4)
		if (q[0] != '_' && (q[0] < 'A' || q[0] > 'Z'))
			return 0;
	memcpy(seg, q - 4, 4);
	seg[4] = 0;
	return (size_t)(q - p);
}

static const uint8_t *aml_data(const uint8_t *p, const uint8_t *end, bool int_only)
{
	const uint8_t *body, *z;
	static const uint8_t size[] = { [0x00] = 1, [0x01] = 1, [0x0a] = 2, [0x0b] = 3,
					[0x0c] = 5 };

	if (p >= end)
		return NULL;
	if (*p < sizeof(size) && size[*p])
		return (size_t)(end - p) >= size[*p] ? p + size[*p] : NULL;
	if (int_only)
		return NULL;
	if (*p == 0x0d) {
		z = memchr(p + 1, 0, (size_t)(end - p - 1));
		return z ? z + 1 : NULL;
	}
	if (*p == 0x11 || *p == 0x12)		/* Buffer, Package */
		return aml_pkg(p + 1, end, &body);
	return NULL;
}

static void aml_list(struct aml_walk *w, const uint8_t *p, const uint8_t *end, int depth);

static const uint8_t *aml_name_obj(struct aml_walk *w, const uint8_t *p, const uint8_t *end)
{
	char seg[5];
	size_t n = aml_name(p, end, seg);
	const uint8_t *v = p + n, *next = n ? aml_data(v, end, false) : NULL;

	if (next && !strcmp(seg, "_HID") && *v == 0x0c)
		w->dev.hid = rd32(v + 1);
	if (next && !strcmp(seg, "_CRS") && *v == 0x11)
		w->dev.crs = true;
	return next;
}

static void aml_device_done(struct aml_walk *w, const char *seg)
{
	w->devices++;
	if (w->dev.hid == eisa_id("PNP0303")) {
		w->kbd = true;
		w->kbd_crs = w->dev.crs;
	}
	if (w->dev.hid == eisa_id("PNP0A03") && !strcmp(seg, "PCI0"))
		w->pci0 = true;
	if (w->dev.hid == eisa_id("PNP0C0F"))
		w->links++;
}

static const uint8_t *aml_scope(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
				int depth, bool device)
{
	const uint8_t *body, *pend = aml_pkg(p, end, &body);
	struct aml_dev outer = w->dev;
	char seg[5];
	size_t n = pend ? aml_name(body, pend, seg) : 0;

	if (!n)
		return NULL;
	if (device)
		w->dev = (struct aml_dev){ 0 };
	aml_list(w, body + n, pend, depth + 1);
	if (device)
		aml_device_done(w, seg);
	w->dev = outer;
	return w->bad ? NULL : pend;
}

static const uint8_t *aml_processor(struct aml_walk *w, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *body, *pend = aml_pkg(p, end, &body);
	char seg[5], want[5];
	size_t n = pend ? aml_name(body, pend, seg) : 0;

	if (!n || pend - (body + n) != 6)	/* ProcID, PblkAddr, PblkLen */
		return NULL;
	body += n;
	snprintf(want, sizeof(want), "CP%02X", body[0]);
	w->names_ok &= !strcmp(seg, want) && !rd32(body + 1) && !body[5];
	w->proc_ids[body[0]]++;
	w->procs++;
	return pend;
}

static const uint8_t *aml_ext(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
			      int depth)
{
	const uint8_t *body, *q;
	char seg[5];
	size_t n;

	switch (p < end ? *p : 0) {
	case 0x80:	/* OperationRegion: name, space, offset, length */
		n = aml_name(p + 1, end, seg);
		q = n && p + 1 + n < end ? aml_data(p + 2 + n, end, true) : NULL;
		return q ? aml_data(q, end, true) : NULL;
	case 0x81:	/* Field */
		return aml_pkg(p + 1, end, &body);
	case 0x82:	/* Device */
		return aml_scope(w, p + 1, end, depth, true);
	case 0x83:	/* Processor */
		return aml_processor(w, p + 1, end);
	}
	return NULL;
}

static const uint8_t *aml_term(struct aml_walk *w, const uint8_t *p, const uint8_t *end,
			       int depth)
{
	const uint8_t *body;

	if (depth > 16)		/* SeaBIOS gives up deeper than this */
		return NULL;
	switch (*p) {
	case 0x08:	/* Name */
		return aml_name_obj(w, p + 1, end);
	case 0x10:	/* Scope */
		return aml_scope(w, p + 1, end, depth, false);
	case 0x14:	/* Method: skipped whole */
		return aml_pkg(p + 1, end, &body);
	case 0x5b:
		return aml_ext(w, p + 1, end, depth);
	}
	return NULL;
}

static void aml_list(struct aml_walk *w, const uint8_t *p, const uint8_t *end, int depth)
{
	while (!w->bad && p && p < end)
		p = aml_term(w, p, end, depth);
	if (p != end)
		w->bad = true;
}

static void check_dsdt(const struct sim *s, const struct found *t)
{
	const uint8_t *d = table_at(s, t->dsdt, "DSDT");
	struct aml_walk w = { .names_ok = true };

	if (!d)
		return;
	is_int(d[8], 2, "DSDT revision 2 (64-bit integers)");
	aml_list(&w, d + 36, d + rd32(d + 4), 0);
	ok(!w.bad, "a SeaBIOS-style AML walk reads the whole DSDT");
	ok(w.kbd && w.kbd_crs, "it finds the PNP0303 keyboard, with a _CRS buffer");
	ok(w.pci0, "it finds PCI0 (PNP0A03)");
	is_int(w.links, 4, "it finds four PCI interrupt links (PNP0C0F)");
	ok(w.devices >= 12, "it finds all the devices (%u)", w.devices);
}

static void check_ssdt(const struct sim *s, const struct found *t, const struct acpi_config *c)
{
	const uint8_t *d = table_at(s, t->ssdt, "SSDT");
	struct aml_walk w = { .names_ok = true };
	unsigned once = 0;

	if (!d)
		return;
	aml_list(&w, d + 36, d + rd32(d + 4), 0);
	ok(!w.bad, "the SSDT's AML parses to its end");
	is_int(w.procs, c->ncpus, "SSDT declares one Processor per CPU");
	for (unsigned i = 0; i < c->ncpus; i++)
		once += w.proc_ids[i] == 1;
	is_int(once, c->ncpus, "Processor IDs 0..n-1 once each (the MADT's UIDs)");
	ok(w.names_ok, "named CPxx after their ID, no P_BLK");
}

static void check_all(const struct sim *s, const struct acpi_config *c, struct found *t)
{
	memset(t, 0, sizeof(*t));
	ok(s->files[0].gpa % 64 == 0, "tables allocated 64-byte aligned");
	check_rsdp(s, t);
	check_sdts(s, t);
	check_fadt(s, t, c);
	check_madt(s, t, c);
	check_dsdt(s, t);
	check_ssdt(s, t, c);
}

/* ---- iasl: each table must disassemble without complaint and compile back. ---- */

static bool have_iasl(void)
{
	const char *p = getenv("PATH");
	char path[4096];

	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/iasl", (int)n, p);
		if (n && !access(path, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Run iasl in dir with its output in dir/iasl.log; its exit status, or -1. */
static int run_iasl(const char *dir, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = { "iasl", a1, a2, a3, NULL };
	int st, fd;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = chdir(dir) ? -1 : open("iasl.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp("iasl", (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The file's contents, NUL-terminated, or NULL. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * The first complaint iasl left in a log or a .dsl: a message line ("Error    6126 - ...",
 * "Warning  3168 - ..."), an ACPICA core message, a non-zero count in its summary, or the
 * disassembler's remarks on a table ("Incorrect checksum", "Invalid", "****").
 */
static const char *complaint(const char *dir, const char *name)
{
	static const char *const marks[] = { "\nError ", "\nWarning ", "ACPI Error",
					     "ACPI Warning", "Incorrect", "Invalid", "****" };
	size_t len;
	char *text = slurp(dir, name, &len);
	const char *found = text ? NULL : "(missing)";

	for (size_t i = 0; text && !found && i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(text, marks[i]) || (marks[i][0] == '\n' && !strncmp(text, marks[i] + 1,
								       strlen(marks[i] + 1))))
			found = marks[i] + (marks[i][0] == '\n');
	if (text && !found && strstr(text, "Errors,") && !strstr(text, " 0 Errors, 0 Warnings"))
		found = "errors or warnings counted";
	free(text);
	return found;
}

/* Recompiled data tables must equal ours except the checksum and the compiler fields. */
static bool same_table(const char *dir, const char *name, const uint8_t *t, size_t len,
		       bool header)
{
	char aml[64];
	size_t n;
	uint8_t *back;
	bool same;

	snprintf(aml, sizeof(aml), "%s.aml", name);
	back = (uint8_t *)slurp(dir, aml, &n);
	same = back && n == len;
	for (size_t i = 0; same && i < len; i++)
		same = back[i] == t[i] || (header && (i == 9 || (i >= 28 && i < 36)));
	free(back);
	return same;
}

static void iasl_table(const char *dir, const char *name, const uint8_t *t, size_t len,
		       bool aml)
{
	char dat[64], dsl[64], path[512];
	const char *bad;
	FILE *f;
	int rc;

	if (!t || !len) {
		ok(0, "%s is there to disassemble", name);
		return;
	}
	snprintf(dat, sizeof(dat), "%s.dat", name);
	snprintf(dsl, sizeof(dsl), "%s.dsl", name);
	snprintf(path, sizeof(path), "%s/%s", dir, dat);
	f = fopen(path, "wb");
	ok(f && fwrite(t, 1, len, f) == len && !fclose(f), "%s dumped", name);
	rc = run_iasl(dir, "-d", dat, NULL);
	bad = complaint(dir, "iasl.log");
	ok(rc == 0 && !bad, "iasl -d %s: exit %d, %s", name, rc, bad ? bad : "no complaints");
	bad = complaint(dir, dsl);
	ok(!bad, "%s.dsl carries no complaint (%s)", name, bad ? bad : "none");
	/* 3168: "legacy Processor() keyword", which we use on purpose (acpi-ssdt.c). */
	rc = run_iasl(dir, "-vw", "3168", dsl);
	bad = complaint(dir, "iasl.log");
	ok(rc == 0 && !bad, "iasl compiles %s.dsl back: exit %d, %s", name, rc,
	   bad ? bad : "0 errors, 0 warnings");
	if (!aml)
		ok(same_table(dir, name, t, len, strcmp(name, "FACS")),
		   "%s compiled back is byte-identical", name);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static size_t table_len(const struct sim *s, uint64_t gpa)
{
	const uint8_t *h = sim_ptr(s, gpa, 8);

	return h ? rd32(h + 4) : 0;
}

static void check_iasl(const struct sim *s, const struct found *t)
{
	const struct { const char *name; uint64_t gpa; bool aml; } tabs[] = {
		{ "DSDT", t->dsdt, true }, { "SSDT", t->ssdt, true }, { "FACP", t->fadt, false },
		{ "APIC", t->madt, false }, { "RSDT", t->rsdt, false }, { "XSDT", t->xsdt, false },
	};
	char dir[] = "/tmp/test-acpi-XXXXXX";
	unsigned failed = tap_failed;

	if (!have_iasl()) {
		printf("ok %d # SKIP iasl not installed (Debian: acpica-tools)\n", ++tap_n);
		return;
	}
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
		iasl_table(dir, tabs[i].name, sim_ptr(s, tabs[i].gpa, 36),
			   table_len(s, tabs[i].gpa), tabs[i].aml);
	/* The RSDP is checked above only: this iasl cannot disassemble it standalone. */
	iasl_table(dir, "FACS", sim_ptr(s, t->facs, 64), 64, false);
	if (tap_failed == (int)failed)
		remove_dir(dir);
	else
		printf("# iasl files kept in %s\n", dir);
}

/* ---- The cases. ---- */

static void check_invalid(void)
{
	struct acpi_config c;
	struct acpi_blobs b;

	acpi_config_default(&c, 0);
	is_int(acpi_build(&c, &b), -EINVAL, "0 CPUs refused");
	ok(!b.rsdp && !b.tables && !b.loader, "and nothing is returned");
	acpi_config_default(&c, ACPI_MAX_CPUS + 1);
	is_int(acpi_build(&c, &b), -EINVAL, "%d CPUs refused", ACPI_MAX_CPUS + 1);
	acpi_config_default(&c, 2);
	c.ioapic_id = 1;
	is_int(acpi_build(&c, &b), -EINVAL, "an IOAPIC ID that is a LAPIC's refused");
	acpi_config_default(&c, 2);
	c.sci_irq = 2;
	is_int(acpi_build(&c, &b), -EINVAL, "SCI on the cascade IRQ refused");
	acpi_config_default(&c, 2);
	c.gpe0_len = 3;
	is_int(acpi_build(&c, &b), -EINVAL, "an odd GPE0 length refused");
}

static void check_build(unsigned ncpus, uint64_t high, uint64_t fseg, bool iasl)
{
	struct acpi_config c;
	struct acpi_blobs b, again;
	struct found t;
	struct sim s;

	printf("# %u CPUs, tables at %#llx, RSDP from %#llx\n", ncpus,
	       (unsigned long long)high, (unsigned long long)fseg);
	acpi_config_default(&c, ncpus);
	is_int(acpi_build(&c, &b), 0, "build for %u CPUs", ncpus);
	is_int(acpi_build(&c, &again), 0, "build again");
	ok(again.tables_len == b.tables_len && !memcmp(again.tables, b.tables, b.tables_len) &&
	   again.loader_len == b.loader_len && !memcmp(again.loader, b.loader, b.loader_len),
	   "the same config builds the same blobs");
	acpi_blobs_free(&again);
	is_int(b.loader_len % 128, 0, "table-loader is whole 128-byte commands");
	sim_init(&s, &b, high, fseg);
	ok(sim_run(&s, b.loader, b.loader_len), "loader runs: %s", s.why[0] ? s.why : "ok");
	if (!s.why[0]) {
		check_all(&s, &c, &t);
		if (iasl)
			check_iasl(&s, &t);
	}
	sim_free(&s);
	acpi_blobs_free(&b);
}

static void check_install(void)
{
	struct vmm_guest_log log;
	struct acpi_config c;
	struct acpi_blobs b = { 0 };
	struct fw_cfg *fc;
	struct found t;
	struct sim s;
	uint32_t n[3];

	vmm_guest_log_init(&log, NULL, 5);
	fc = fw_cfg_new(NULL, &log);
	acpi_config_default(&c, 2);
	is_int(acpi_install(fc, &c), 0, "acpi_install adds the files");
	b.tables = (uint8_t *)fw_cfg_file_data(fc, ACPI_FILE_TABLES, &n[0]);
	b.rsdp = (uint8_t *)fw_cfg_file_data(fc, ACPI_FILE_RSDP, &n[1]);
	b.loader = (uint8_t *)fw_cfg_file_data(fc, ACPI_FILE_LOADER, &n[2]);
	ok(b.tables && b.rsdp && b.loader, "etc/acpi/tables, etc/acpi/rsdp, etc/table-loader");
	if (b.tables && b.rsdp && b.loader) {
		b.tables_len = n[0];
		b.rsdp_len = n[1];
		b.loader_len = n[2];
		sim_init(&s, &b, 0x7ff00000, 0xf0000);
		ok(sim_run(&s, b.loader, b.loader_len), "fw_cfg's loader runs: %s",
		   s.why[0] ? s.why : "ok");
		if (!s.why[0])
			check_all(&s, &c, &t);
		sim_free(&s);
	}
	is_int(acpi_install(fc, &c), -EEXIST, "a second install is refused");
	fw_cfg_free(fc);
	vmm_guest_log_destroy(&log);
}

int main(void)
{
	check_invalid();
	/* Odd zone starts, so the loader's alignment requests matter. */
	check_build(1, 0x07fc0010, 0xf5a08, false);
	check_build(4, 0x3ffd0020, 0xf0004, true);
	check_build(4, 0xbffc0000, 0xfe000, false);
	check_build(ACPI_MAX_CPUS, 0x0100, 0xf0000, true);
	check_install();
	return tap_done();
}
