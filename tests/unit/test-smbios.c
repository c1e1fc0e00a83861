// SPDX-License-Identifier: GPL-2.0-or-later
/* SMBIOS: entry point and structure table walked per DSP0134, then read by dmidecode. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_cfg.h"
#include "log.h"
#include "memory.h"
#include "smbios.h"
#include "tap.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* One structure found by the walk: its offset, formatted length and strings. */
struct found {
	size_t off;
	uint8_t type, len;
	uint16_t handle;
	const char *str[8];
	unsigned nstr;
	size_t total;		/* formatted area + string set */
};

struct walk {
	struct found s[32];
	unsigned n;
	char why[160];
};

/* The string set after a formatted area (§6.1.3); false if it runs off the table. */
static bool walk_strings(const uint8_t *t, size_t len, struct found *f)
{
	size_t p = f->off + f->len;

	if (p + 2 > len)
		return false;
	if (!t[p] && !t[p + 1]) {
		f->total = f->len + 2;
		return true;
	}
	while (p < len && t[p]) {
		size_t e = p;

		while (e < len && t[e])
			e++;
		if (e >= len || f->nstr == 8)
			return false;
		f->str[f->nstr++] = (const char *)t + p;
		p = e + 1;
	}
	if (p >= len)
		return false;
	f->total = p + 1 - f->off;
	return true;
}

static bool walk_table(const uint8_t *t, size_t len, struct walk *w)
{
	size_t off = 0;

	memset(w, 0, sizeof(*w));
	while (off < len) {
		struct found *f = &w->s[w->n];

		if (w->n == 32 || off + 4 > len || t[off + 1] < 4 || off + t[off + 1] > len) {
			snprintf(w->why, sizeof(w->why), "bad structure header at %zu", off);
			return false;
		}
		f->off = off;
		f->type = t[off];
		f->len = t[off + 1];
		f->handle = get16(t + off + 2);
		if (!walk_strings(t, len, f)) {
			snprintf(w->why, sizeof(w->why), "type %u: strings run off", f->type);
			return false;
		}
		off += f->total;
		w->n++;
		if (f->type == 127)
			break;
	}
	if (off != len)
		snprintf(w->why, sizeof(w->why), "%zu bytes after End-of-Table", len - off);
	return off == len;
}

static const struct found *find(const struct walk *w, uint8_t type, unsigned nth)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->s[i].type == type && !nth--)
			return &w->s[i];
	return NULL;
}

static const char *str_of(const struct found *f, uint8_t idx)
{
	return idx && idx <= f->nstr ? f->str[idx - 1] : "";
}

static void default_cfg(struct smbios_config *cfg)
{
	*cfg = (struct smbios_config){
		.manufacturer = "Vessel",
		.product = "Vessel PC (i440FX + PIIX3)",
		.version = "9.9",
		.ncpus = 4,
		.cpu_signature = 0x000906ea,
		.cpu_features = 0x178bfbff,
		.ram_below_4g = 512ull << 20,
	};
}

static void test_anchor(const struct smbios_blobs *b, const struct walk *w)
{
	const uint8_t *ep = b->anchor;
	size_t max = 0;

	is_int(b->anchor_len, 31, "2.1 entry point is 31 bytes (what SeaBIOS accepts)");
	ok(!memcmp(ep, "_SM_", 4) && !memcmp(ep + 0x10, "_DMI_", 5), "anchor strings");
	is_int(sum8(ep, 31), 0, "entry point checksum");
	is_int(sum8(ep + 0x10, 15), 0, "intermediate checksum");
	is_int(ep[5], 31, "EPS length field");
	ok(ep[6] == 2 && ep[7] == 8 && ep[0x1e] == 0x28, "version 2.8");
	is_int(get16(ep + 0x16), b->tables_len, "table length = the tables file's size");
	is_int(get16(ep + 0x1c), w->n, "number of structures");
	for (unsigned i = 0; i < w->n; i++)
		max = w->s[i].total > max ? w->s[i].total : max;
	is_int(get16(ep + 8), max, "max structure size counts strings");
	is_int(get32(ep + 0x18), 0, "table address left for the firmware");
}

static void test_structures(const struct walk *w)
{
	static const uint8_t want[] = { 1, 3, 4, 16, 17, 19, 32, 127 };
	const struct found *t1 = find(w, 1, 0), *t4 = find(w, 4, 0), *t17 = find(w, 17, 0);
	bool order = w->n == sizeof(want), unique = true;

	for (unsigned i = 0; order && i < w->n; i++)
		order = w->s[i].type == want[i];
	ok(order, "types 1 3 4 16 17 19 32 127, no type 0 (the firmware's)");
	for (unsigned i = 0; i < w->n; i++)
		for (unsigned j = i + 1; j < w->n; j++)
			unique &= w->s[i].handle != w->s[j].handle && w->s[i].handle < 0xfffe;
	ok(unique, "handles unique and not reserved");
	ok(t1 && t1->len == 0x1b, "type 1 is the 2.4 layout");
	ok(t1 && !strcmp(str_of(t1, 1), "Vessel"), "type 1 first string");
	ok(t4 && t4->len == 0x2a, "type 4 is the 2.6 layout");
	ok(t17 && !strcmp(str_of(t17, 1), "DIMM 0"), "type 17 device locator");
	is_int(find(w, 127, 0)->len, 4, "End-of-Table is 4 bytes");
}

static void test_default(void)
{
	struct smbios_config cfg;
	struct smbios_blobs b;
	struct walk w;

	default_cfg(&cfg);
	is_int(smbios_build(&cfg, &b), 0, "build");
	ok(walk_table(b.tables, b.tables_len, &w), "table walks to End-of-Table: %s", w.why);
	test_anchor(&b, &w);
	test_structures(&w);

	const uint8_t *t = b.tables;
	const struct found *t1 = find(&w, 1, 0), *t4 = find(&w, 4, 0);
	const struct found *t16 = find(&w, 16, 0), *t17 = find(&w, 17, 0), *t19 = find(&w, 19, 0);

	ok(t1 && !strcmp(str_of(t1, t[t1->off + 4]), "Vessel") &&
	   !strcmp(str_of(t1, t[t1->off + 5]), "Vessel PC (i440FX + PIIX3)") &&
	   !strcmp(str_of(t1, t[t1->off + 6]), "9.9"), "type 1 strings by index");
	is_int(t[t1->off + 7], 0, "no serial number string");
	ok(t4 && get32(t + t4->off + 8) == 0x000906ea && get32(t + t4->off + 12) == 0x178bfbff,
	   "processor ID is CPUID.1 EAX, EDX");
	ok(t4 && t[t4->off + 0x23] == 4 && t[t4->off + 0x24] == 4 && t[t4->off + 0x25] == 4,
	   "one package, 4 cores, 4 threads");
	is_int(t4 ? t[t4->off + 0x18] : 0, 0x41, "socket populated, CPU enabled");
	is_int(t16 ? get32(t + t16->off + 7) : 0, 512 << 10, "array capacity 512 MiB in KiB");
	is_int(t17 ? get16(t + t17->off + 12) : 0, 512, "DIMM size 512 MiB");
	ok(t19 && get32(t + t19->off + 4) == 0 && get32(t + t19->off + 8) == (512u << 10) - 1,
	   "mapped 0 .. 512 MiB - 1 (KiB)");
	ok(!find(&w, 19, 1), "one mapped range without RAM above 4 GiB");
	smbios_blobs_free(&b);
}

/* 64 GiB: 3.5 below 4 GiB and the rest above; sizes go to the extended fields. */
static void test_large(void)
{
	struct smbios_config cfg;
	struct smbios_blobs b;
	struct walk w;

	default_cfg(&cfg);
	cfg.ram_below_4g = 3584ull << 20;
	cfg.ram_above_4g = (64ull << 30) - cfg.ram_below_4g;
	is_int(smbios_build(&cfg, &b), 0, "build with 64 GiB");
	ok(walk_table(b.tables, b.tables_len, &w), "64 GiB table walks: %s", w.why);

	const uint8_t *t = b.tables;
	const struct found *t17 = find(&w, 17, 0), *hi = find(&w, 19, 1);

	ok(t17 && get16(t + t17->off + 12) == 0x7fff && get32(t + t17->off + 0x1c) == 65536,
	   "DIMM size in Extended Size (MiB)");
	ok(hi && get32(t + hi->off + 4) == 4u << 20 &&
	   get32(t + hi->off + 8) == (uint32_t)((64ull << 20) + (512u << 10) - 1),
	   "second range starts at 4 GiB and ends at 64.5 GiB - 1 (KiB)");
	is_int(get16(b.anchor + 0x1c), w.n, "9 structures counted");
	smbios_blobs_free(&b);

	cfg.ram_above_4g = 8ull << 40;	/* 8 TiB: past the 32-bit KiB fields */
	is_int(smbios_build(&cfg, &b), 0, "build with 8 TiB");
	ok(walk_table(b.tables, b.tables_len, &w), "8 TiB table walks");
	hi = find(&w, 19, 1);
	ok(hi && get32(b.tables + hi->off + 4) == 0xffffffffu &&
	   get64(b.tables + hi->off + 0x0f) == 1ull << 32 &&
	   get64(b.tables + hi->off + 0x17) == (1ull << 32) + (8ull << 40) - 1,
	   "extended start/end addresses in bytes");
	smbios_blobs_free(&b);
}

static void test_refused(void)
{
	struct smbios_config cfg;
	struct smbios_blobs b;
	char longname[200];

	default_cfg(&cfg);
	cfg.ncpus = 0;
	is_int(smbios_build(&cfg, &b), -EINVAL, "0 CPUs refused");
	ok(!b.anchor && !b.tables, "nothing left behind on error");
	cfg.ncpus = 256;
	is_int(smbios_build(&cfg, &b), -EINVAL, "256 CPUs refused (core count is a byte)");
	default_cfg(&cfg);
	cfg.ram_below_4g = 0;
	is_int(smbios_build(&cfg, &b), -EINVAL, "no RAM refused");
	default_cfg(&cfg);
	cfg.ram_above_4g = UINT64_MAX - (1ull << 30);
	is_int(smbios_build(&cfg, &b), -EINVAL, "RAM past 2^64 refused");

	default_cfg(&cfg);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cfg.product = longname;
	cfg.version = "";
	is_int(smbios_build(&cfg, &b), 0, "long product name builds");
	struct walk w;
	ok(walk_table(b.tables, b.tables_len, &w), "and walks");
	ok(strlen(str_of(&w.s[0], 2)) == SMBIOS_MAX_STRING, "string cut at %d", SMBIOS_MAX_STRING);
	is_int(b.tables[w.s[0].off + 6], 0, "empty version is string 0");
	smbios_blobs_free(&b);
}

/*
 * dmidecode (Debian package dmidecode) reads a dump: the entry point at offset 0, the
 * table where its address field points (32). An independent reader of the same spec.
 * Its report goes to out; false if it could not be run.
 */
static bool run_dmidecode(const struct smbios_config *cfg, char *out, size_t outlen)
{
	char path[] = "/tmp/vessel-smbios-XXXXXX", cmd[256];
	struct smbios_blobs b;
	uint8_t ep[32] = { 0 };
	size_t n = 0;
	FILE *f, *p;
	bool done;
	int fd;

	if (smbios_build(cfg, &b))
		return false;
	memcpy(ep, b.anchor, 31);
	ep[0x18] = 32;			/* table address: right after the entry point */
	ep[0x15] -= 32;			/* keep both checksums right */
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	ok(f && fwrite(ep, 1, 32, f) == 32 && fwrite(b.tables, 1, b.tables_len, f) == b.tables_len,
	   "dump written");
	if (f)
		fclose(f);
	smbios_blobs_free(&b);
	snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s 2>&1", path);
	p = popen(cmd, "r");
	while (p && n < outlen - 1 && !feof(p))
		n += fread(out + n, 1, outlen - 1 - n, p);
	out[n] = '\0';
	done = p && pclose(p) == 0;
	unlink(path);
	return done;
}

static void test_dmidecode(void)
{
	static const char uuid[] = "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37";
	struct smbios_config cfg;
	char out[8192] = "", want[64];

	if (system("dmidecode --version >/dev/null 2>&1")) {
		printf("# dmidecode not installed (Debian package dmidecode): skipped\n");
		ok(1, "# SKIP dmidecode");
		return;
	}
	default_cfg(&cfg);
	cfg.ram_above_4g = 1ull << 30;
	ok(run_dmidecode(&cfg, out, sizeof(out)), "dmidecode exits 0");
	ok(strstr(out, "SMBIOS 2.8 present.") != NULL, "dmidecode: SMBIOS 2.8");
	ok(strstr(out, "9 structures occupying") != NULL, "dmidecode: 9 structures");
	ok(strstr(out, "Manufacturer: Vessel") && strstr(out, "Product Name: Vessel PC"),
	   "dmidecode: system manufacturer and product");
	ok(strstr(out, "Core Count: 4") != NULL, "dmidecode: core count");
	ok(strstr(out, "Size: 1536 MB") || strstr(out, "Size: 1.5 GB"), "dmidecode: DIMM size");
	ok(strstr(out, "Ending Address: 0x0013FFFFFFF") != NULL, "dmidecode: range above 4 GiB");
	/* All zeros (§7.2.1, "not present"); dmidecode 3.4 words it "Not Settable". */
	ok(strstr(out, "UUID: Not Present") || strstr(out, "UUID: Not Settable"),
	   "dmidecode: no UUID without one");
	ok(!strstr(out, "nvalid") && !strstr(out, "rong") && !strstr(out, "runcated"),
	   "dmidecode: no complaints");
	if (tap_failed)
		printf("# dmidecode said:\n%s", out);

	/* It prints the text form back only if the first three fields are little-endian. */
	is_int(smbios_uuid_parse(uuid, cfg.uuid), 0, "parse %s", uuid);
	ok(run_dmidecode(&cfg, out, sizeof(out)), "dmidecode exits 0 with a UUID");
	snprintf(want, sizeof(want), "UUID: %s", uuid);
	ok(strcasestr(out, want) != NULL, "dmidecode reads back %s", want);
	if (!strcasestr(out, want))
		printf("# dmidecode said:\n%s", out);
}

/* RFC 4122 text in, bytes in text order out; the table holds them per DSP0134 §7.2.1. */
static void test_uuid(void)
{
	static const uint8_t text_order[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	static const uint8_t smbios_order[16] = {
		0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	static const char *const bad[] = {
		"", "00112233-4455-6677-8899-aabbccddeef", "00112233-4455-6677-8899-aabbccddeeff0",
		"00112233445566778899aabbccddeeff", "00112233-4455-6677-8899_aabbccddeeff",
		"0011223-34455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeeg0",
		"{0112233-4455-6677-8899-aabbccddeef}", "00112233-4455-6677-8899-aabbccdde ff",
		"+0112233-4455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabb-cddeeff",
	};
	struct smbios_config cfg;
	struct smbios_blobs b;
	uint8_t u[16];
	struct walk w;
	const struct found *t1;
	bool untouched = true;

	ok(!smbios_uuid_parse("00112233-4455-6677-8899-aabbccddeeff", u) &&
	   !memcmp(u, text_order, 16), "text order kept by the parser");
	ok(!smbios_uuid_parse("00112233-4455-6677-8899-AABBCCDDEEFF", u) &&
	   !memcmp(u, text_order, 16), "upper-case hex");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(u, 0x5a, sizeof(u));
		if (smbios_uuid_parse(bad[i], u) != -EINVAL) {
			printf("# accepted '%s'\n", bad[i]);
			untouched = false;
		}
		for (unsigned j = 0; j < 16; j++)
			untouched &= u[j] == 0x5a;
	}
	ok(untouched, "%zu malformed texts refused, output untouched",
	   sizeof(bad) / sizeof(bad[0]));
	is_int(smbios_uuid_parse(NULL, u), -EINVAL, "NULL refused");

	default_cfg(&cfg);
	memcpy(cfg.uuid, text_order, 16);
	is_int(smbios_build(&cfg, &b), 0, "build with a UUID");
	ok(walk_table(b.tables, b.tables_len, &w), "and walk it: %s", w.why);
	t1 = find(&w, 1, 0);
	ok(t1 && !memcmp(b.tables + t1->off + 8, smbios_order, 16),
	   "type 1 UUID: time_low, time_mid, time_hi_and_version little-endian (§7.2.1)");
	smbios_blobs_free(&b);

	default_cfg(&cfg);
	is_int(smbios_build(&cfg, &b), 0, "build without a UUID");
	ok(walk_table(b.tables, b.tables_len, &w), "and walk it");
	t1 = find(&w, 1, 0);
	memset(u, 0, sizeof(u));
	ok(t1 && !memcmp(b.tables + t1->off + 8, u, 16), "no UUID: 16 zero bytes");
	smbios_blobs_free(&b);
}

static void test_install(void)
{
	struct vmm_guest_log log;
	struct smbios_config cfg;
	struct vm_memory mem;
	struct smbios_blobs b;
	struct fw_cfg *fc;
	const uint8_t *anchor, *tables;
	uint32_t alen = 0, tlen = 0;

	vmm_guest_log_init(&log, NULL, 5);
	vm_memory_init(&mem, 16 << 20);
	fc = fw_cfg_new(&mem, &log);
	default_cfg(&cfg);
	is_int(smbios_install(fc, &cfg), 0, "install into fw_cfg");
	anchor = fw_cfg_file_data(fc, SMBIOS_FILE_ANCHOR, &alen);
	tables = fw_cfg_file_data(fc, SMBIOS_FILE_TABLES, &tlen);
	smbios_build(&cfg, &b);
	ok(anchor && alen == 31 && !memcmp(anchor, b.anchor, 31), "etc/smbios/smbios-anchor");
	ok(tables && tlen == b.tables_len && !memcmp(tables, b.tables, tlen),
	   "etc/smbios/smbios-tables");
	is_int(smbios_install(fc, &cfg), -EEXIST, "a second install is refused");
	smbios_blobs_free(&b);
	fw_cfg_free(fc);
	vm_memory_destroy(&mem);
}

int main(void)
{
	test_default();
	test_large();
	test_refused();
	test_uuid();
	test_dmidecode();
	test_install();
	return tap_done();
}
