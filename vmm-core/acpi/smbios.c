// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds the guest's SMBIOS structure table and 2.1 entry point (DMTF DSP0134 3.x). */
#include "smbios.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fw_cfg.h"

/*
 * The table (DSP0134 §6.1): System (type 1), Enclosure (3), one Processor (4) for the one
 * package cpuid.c describes, a Physical Memory Array (16) with one Memory Device (17), a
 * Memory Array Mapped Address (19) per RAM region, System Boot (32), End-of-Table (127).
 * Type 0 describes the BIOS, so the firmware writes it (SeaBIOS adds its own when the
 * table has none). Version 2.8 structures, 2.1 entry point: SeaBIOS copies both into the
 * F segment (or high RAM) and patches the table address.
 */
#define SMBIOS_MAJOR		2
#define SMBIOS_MINOR		8

/* Handles (§6.1.2): unique per structure; 0xFFFE/0xFFFF are reserved. Type 0 takes 0. */
#define H_SYSTEM		0x0100
#define H_ENCLOSURE		0x0300
#define H_CPU			0x0400
#define H_MEM_ARRAY		0x1000
#define H_MEM_DEVICE		0x1100
#define H_MEM_MAPPED		0x1300
#define H_BOOT			0x2000
#define H_END			0x7f00
#define H_NONE			0xfffe	/* "not provided" (§7.17.4, §7.18) */
#define H_NO_CACHE		0xffff	/* §7.5: no cache information */

#define MAX_FORMATTED		0x30	/* our longest formatted area is 0x28 */
#define MAX_STRINGS		4

/* The table being built, and what the entry point reports about it. */
struct sbuf {
	uint8_t *p;
	size_t len, cap;
	bool nomem;
	unsigned count;		/* structures */
	size_t max_struct;	/* largest structure, its strings included */
};

/* One structure: its formatted area and string set, numbered from 1 (§6.1.3). */
struct sstruct {
	uint8_t f[MAX_FORMATTED];
	const char *s[MAX_STRINGS];
	unsigned nstr;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void sbuf_append(struct sbuf *b, const void *data, size_t len)
{
	if (b->nomem)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		uint8_t *p = realloc(b->p, cap);

		if (!p) {
			b->nomem = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void st_init(struct sstruct *st, uint8_t type, uint8_t len, uint16_t handle)
{
	memset(st, 0, sizeof(*st));
	st->f[0] = type;
	st->f[1] = len;
	put16(st->f + 2, handle);
}

/* A string's number for a field; NULL or "" is 0, "no string" (§6.1.3). */
static uint8_t st_str(struct sstruct *st, const char *s)
{
	if (!s || !*s || st->nstr == MAX_STRINGS)
		return 0;
	st->s[st->nstr++] = s;
	return (uint8_t)st->nstr;
}

/* Formatted area, each string NUL-terminated, then one more NUL (two when none). */
static void st_emit(struct sbuf *b, const struct sstruct *st)
{
	static const uint8_t nul[2];
	size_t start = b->len;

	sbuf_append(b, st->f, st->f[1]);
	for (unsigned i = 0; i < st->nstr; i++) {
		sbuf_append(b, st->s[i], strnlen(st->s[i], SMBIOS_MAX_STRING));
		sbuf_append(b, nul, 1);
	}
	sbuf_append(b, nul, st->nstr ? 1 : 2);
	b->count++;
	if (b->len - start > b->max_struct)
		b->max_struct = b->len - start;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 4122 §3: 8-4-4-4-12 hex digits, hyphens at 8, 13, 18 and 23, nothing else. */
int smbios_uuid_parse(const char *text, uint8_t uuid[16])
{
	uint8_t out[16];
	unsigned n = 0;

	if (!text || strnlen(text, SMBIOS_UUID_TEXT_LEN + 1) != SMBIOS_UUID_TEXT_LEN)
		return -EINVAL;
	for (unsigned i = 0; i < SMBIOS_UUID_TEXT_LEN; i += 2) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return -EINVAL;
			i++;
		}
		hi = hex_digit(text[i]);
		lo = hex_digit(text[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(uuid, out, sizeof(out));
	return 0;
}

/*
 * §7.2.1: from version 2.6 the UUID is stored with time_low, time_mid and
 * time_hi_and_version little-endian (the other eight bytes in text order), so that
 * readers print the same text as RFC 4122 gives. cfg->uuid is in text (network) order.
 */
static void put_uuid(uint8_t *p, const uint8_t uuid[16])
{
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
					   8, 9, 10, 11, 12, 13, 14, 15 };

	for (unsigned i = 0; i < 16; i++)
		p[i] = uuid[order[i]];
}

/* §7.2: System Information, 2.4+ layout (0x1B bytes). */
static void add_system(struct sbuf *b, const struct smbios_config *cfg)
{
	struct sstruct st;

	st_init(&st, 1, 0x1b, H_SYSTEM);
	st.f[0x04] = st_str(&st, cfg->manufacturer);
	st.f[0x05] = st_str(&st, cfg->product);
	st.f[0x06] = st_str(&st, cfg->version);
	put_uuid(st.f + 0x08, cfg->uuid);
	st.f[0x18] = 0x06;		/* wake-up type: power switch (§7.2.2) */
	st_emit(b, &st);
}

/* §7.4: System Enclosure, 2.7+ layout with no contained elements (0x16 bytes). */
static void add_enclosure(struct sbuf *b, const struct smbios_config *cfg)
{
	struct sstruct st;

	st_init(&st, 3, 0x16, H_ENCLOSURE);
	st.f[0x04] = st_str(&st, cfg->manufacturer);
	st.f[0x05] = 0x01;		/* type: other (§7.4.1) */
	st.f[0x06] = st_str(&st, cfg->version);
	st.f[0x09] = 0x03;		/* boot-up, power supply, thermal state: safe (§7.4.2) */
	st.f[0x0a] = 0x03;
	st.f[0x0b] = 0x03;
	st.f[0x0c] = 0x02;		/* security status: unknown (§7.4.3) */
	st_emit(b, &st);
}

/* §7.5: Processor Information, 2.6 layout (0x2A bytes): one package, a core per vCPU. */
static void add_processor(struct sbuf *b, const struct smbios_config *cfg)
{
	struct sstruct st;

	st_init(&st, 4, 0x2a, H_CPU);
	st.f[0x04] = st_str(&st, "CPU 0");
	st.f[0x05] = 0x03;		/* central processor (§7.5.1) */
	st.f[0x06] = 0x01;		/* family: other (§7.5.2) */
	/* §7.5.3.2: for x86, CPUID leaf 1's EAX then EDX. */
	put32(st.f + 0x08, cfg->cpu_signature);
	put32(st.f + 0x0c, cfg->cpu_features);
	st.f[0x18] = 0x41;		/* socket populated, CPU enabled (§7.5 Status) */
	st.f[0x19] = 0x01;		/* upgrade: other (§7.5.5) */
	put16(st.f + 0x1a, H_NO_CACHE);
	put16(st.f + 0x1c, H_NO_CACHE);
	put16(st.f + 0x1e, H_NO_CACHE);
	st.f[0x23] = (uint8_t)cfg->ncpus;	/* core count, enabled, threads */
	st.f[0x24] = (uint8_t)cfg->ncpus;
	st.f[0x25] = (uint8_t)cfg->ncpus;
	put16(st.f + 0x26, 0x0002);	/* characteristics: unknown (§7.5.9) */
	put16(st.f + 0x28, 0x0001);	/* family 2: other */
	st_emit(b, &st);
}

/* §7.17: Physical Memory Array, 2.7+ layout (0x17 bytes). */
static void add_memory_array(struct sbuf *b, uint64_t total)
{
	uint64_t kib = total >> 10;
	struct sstruct st;

	st_init(&st, 16, 0x17, H_MEM_ARRAY);
	st.f[0x04] = 0x01;		/* location: other (§7.17.1) */
	st.f[0x05] = 0x03;		/* use: system memory (§7.17.2) */
	st.f[0x06] = 0x03;		/* error correction: none (§7.17.3) */
	if (kib < 0x80000000u) {
		put32(st.f + 0x07, (uint32_t)kib);
	} else {
		put32(st.f + 0x07, 0x80000000u);	/* see Extended Maximum Capacity */
		put64(st.f + 0x0f, total);
	}
	put16(st.f + 0x0b, H_NONE);
	put16(st.f + 0x0d, 1);
	st_emit(b, &st);
}

/* §7.18: Memory Device, 2.8 layout (0x28 bytes): all RAM as one DIMM. */
static void add_memory_device(struct sbuf *b, uint64_t total)
{
	uint64_t mib = total >> 20;
	struct sstruct st;

	st_init(&st, 17, 0x28, H_MEM_DEVICE);
	put16(st.f + 0x04, H_MEM_ARRAY);
	put16(st.f + 0x06, H_NONE);
	put16(st.f + 0x08, 0xffff);	/* total and data width: unknown */
	put16(st.f + 0x0a, 0xffff);
	/* §7.18.5: sizes of 32 GiB - 1 MiB and up go to Extended Size, in MiB. */
	if (mib < 0x7fff) {
		put16(st.f + 0x0c, (uint16_t)mib);
	} else {
		put16(st.f + 0x0c, 0x7fff);
		put32(st.f + 0x1c, (uint32_t)mib);
	}
	st.f[0x0e] = 0x09;		/* form factor: DIMM (§7.18.1) */
	st.f[0x10] = st_str(&st, "DIMM 0");
	st.f[0x12] = 0x07;		/* type: RAM (§7.18.2) */
	put16(st.f + 0x13, 0x0002);	/* type detail: other (§7.18.3) */
	st_emit(b, &st);
}

/* §7.20: Memory Array Mapped Address, 2.7+ layout (0x1F bytes). */
static void add_mapped(struct sbuf *b, unsigned n, uint64_t start, uint64_t len)
{
	uint64_t end = start + len - 1;
	struct sstruct st;

	st_init(&st, 19, 0x1f, (uint16_t)(H_MEM_MAPPED + n));
	if ((end >> 10) < 0xffffffffu) {
		put32(st.f + 0x04, (uint32_t)(start >> 10));
		put32(st.f + 0x08, (uint32_t)(end >> 10));
	} else {
		put32(st.f + 0x04, 0xffffffffu);	/* see the extended addresses */
		put32(st.f + 0x08, 0xffffffffu);
		put64(st.f + 0x0f, start);
		put64(st.f + 0x17, end);
	}
	put16(st.f + 0x0c, H_MEM_ARRAY);
	st.f[0x0e] = 1;			/* partition width */
	st_emit(b, &st);
}

/* §7.33: System Boot Information (0x0B bytes): "no errors detected". */
static void add_boot(struct sbuf *b)
{
	struct sstruct st;

	st_init(&st, 32, 0x0b, H_BOOT);
	st_emit(b, &st);
}

/* §7.46: End-of-Table. */
static void add_end(struct sbuf *b)
{
	struct sstruct st;

	st_init(&st, 127, 0x04, H_END);
	st_emit(b, &st);
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/*
 * §5.2.1: the 2.1 (32-bit) entry point. The table address stays 0: the firmware places
 * the table and patches it, then fixes both checksums.
 */
static void fill_anchor(uint8_t *ep, const struct sbuf *b)
{
	memset(ep, 0, SMBIOS_ANCHOR_LEN);
	memcpy(ep, "_SM_", 4);
	ep[0x05] = SMBIOS_ANCHOR_LEN;
	ep[0x06] = SMBIOS_MAJOR;
	ep[0x07] = SMBIOS_MINOR;
	put16(ep + 0x08, (uint16_t)b->max_struct);
	memcpy(ep + 0x10, "_DMI_", 5);
	put16(ep + 0x16, (uint16_t)b->len);
	put16(ep + 0x1c, (uint16_t)b->count);
	ep[0x1e] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;
	/* The intermediate area sums to 0 first, so the whole EPS then does too. */
	ep[0x15] = (uint8_t)-sum8(ep + 0x10, SMBIOS_ANCHOR_LEN - 0x10);
	ep[0x04] = (uint8_t)-sum8(ep, SMBIOS_ANCHOR_LEN);
}

static bool config_valid(const struct smbios_config *cfg)
{
	if (cfg->ncpus < 1 || cfg->ncpus > SMBIOS_MAX_CPUS)
		return false;
	/* RAM at 0 ends below 4 GiB; the region above must not wrap. */
	if (cfg->ram_below_4g < (1u << 20) || cfg->ram_below_4g > (1ull << 32))
		return false;
	return cfg->ram_above_4g <= UINT64_MAX - (1ull << 32) - cfg->ram_below_4g;
}

int smbios_build(const struct smbios_config *cfg, struct smbios_blobs *out)
{
	uint64_t total = cfg->ram_below_4g + cfg->ram_above_4g;
	struct sbuf b = { 0 };

	memset(out, 0, sizeof(*out));
	if (!config_valid(cfg))
		return -EINVAL;
	add_system(&b, cfg);
	add_enclosure(&b, cfg);
	add_processor(&b, cfg);
	add_memory_array(&b, total);
	add_memory_device(&b, total);
	add_mapped(&b, 0, 0, cfg->ram_below_4g);
	if (cfg->ram_above_4g)
		add_mapped(&b, 1, 1ull << 32, cfg->ram_above_4g);
	add_boot(&b);
	add_end(&b);
	/* The 2.1 entry point counts the table in 16 bits; ours is a few hundred bytes. */
	if (!b.nomem && b.len > 0xffff) {
		free(b.p);
		return -EINVAL;
	}
	out->anchor = malloc(SMBIOS_ANCHOR_LEN);
	if (b.nomem || !out->anchor) {
		free(b.p);
		free(out->anchor);
		out->anchor = NULL;
		return -ENOMEM;
	}
	fill_anchor(out->anchor, &b);
	out->anchor_len = SMBIOS_ANCHOR_LEN;
	out->tables = b.p;
	out->tables_len = b.len;
	return 0;
}

void smbios_blobs_free(struct smbios_blobs *b)
{
	free(b->anchor);
	free(b->tables);
	memset(b, 0, sizeof(*b));
}

int smbios_install(struct fw_cfg *fc, const struct smbios_config *cfg)
{
	struct smbios_blobs b;
	int ret = smbios_build(cfg, &b);

	if (ret)
		return ret;
	/* Tables first: SeaBIOS ignores an anchor whose tables file is missing, not the reverse. */
	ret = fw_cfg_add_file(fc, SMBIOS_FILE_TABLES, b.tables, b.tables_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, SMBIOS_FILE_ANCHOR, b.anchor, b.anchor_len);
	smbios_blobs_free(&b);
	return ret;
}
