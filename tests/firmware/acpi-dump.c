// SPDX-License-Identifier: GPL-2.0-or-later
// Second stage: find the RSDP, walk RSDT/XSDT/FADT, check every checksum, dump tables as hex.
#include "kit.h"

/*
 * Output on COM1, read by run-firmware.py (case "acpi"):
 *   TABLE <sig> <address> <length>     then HEX lines of 32 bytes, then
 *   END <sig> sum ok|sum BAD|nosum
 * and last "ACPI DONE <n> tables, <bad> bad". The status is 0 when nothing was bad.
 * References: ACPI 6.4 §5.2.5 (RSDP), §5.2.6 (SDT header), §5.2.7-8 (RSDT/XSDT),
 * §5.2.9 (FADT), §5.2.10 (FACS).
 */
#define MAX_TABLES	32
#define MAX_LEN		(256u << 10)
#define HEX_PER_LINE	32

struct walk {
	uint32_t addr[MAX_TABLES];
	unsigned n;
	unsigned bad;
};

static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static void __attribute__((format(printf, 2, 3))) bad(struct walk *w, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	kit_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kit_printf("BAD %s\n", msg);
	w->bad++;
}

/* The 4-character signature as a string (kit_printf has no precision). */
static const char *sig(const void *table, char out[5])
{
	memcpy(out, table, 4);
	out[4] = 0;
	for (unsigned i = 0; i < 4; i++)
		if (out[i] < 0x20 || out[i] > 0x7E)
			out[i] = '?';
	return out;
}

static void dump(const char *name, uint32_t addr, uint32_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
	char line[8 + 2 * HEX_PER_LINE];

	kit_printf("TABLE %s 0x%08x %u\n", name, addr, len);
	for (uint32_t off = 0; off < len; off += HEX_PER_LINE) {
		uint32_t n = len - off < HEX_PER_LINE ? len - off : HEX_PER_LINE;
		char *c = line + 4;

		memcpy(line, "HEX ", 4);
		for (uint32_t i = 0; i < n; i++) {
			*c++ = digits[p[off + i] >> 4];
			*c++ = digits[p[off + i] & 15];
		}
		*c++ = '\n';
		*c = 0;
		kit_puts(line);
	}
}

static bool seen(struct walk *w, uint32_t addr)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->addr[i] == addr)
			return true;
	if (w->n == MAX_TABLES)
		kit_panic("more than %u ACPI tables", MAX_TABLES);
	w->addr[w->n++] = addr;
	return false;
}

/* A table with the standard header: bounded, dumped once, checksummed. */
static const uint8_t *table(struct walk *w, uint32_t addr, const char *want)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)addr;
	uint32_t len;
	char name[5];

	if (!addr || addr > 0xFFFFFFFFu - MAX_LEN) {
		bad(w, "table address 0x%08x (want %s)", addr, want ? want : "any");
		return NULL;
	}
	if (seen(w, addr))
		return t;
	memcpy(&len, t + 4, 4);
	if (len < 36 || len > MAX_LEN) {
		bad(w, "table at 0x%08x has length %u", addr, len);
		return NULL;
	}
	dump(sig(t, name), addr, len);
	if (want && memcmp(t, want, 4))
		bad(w, "table at 0x%08x is %s, want %s", addr, name, want);
	if (sum(t, len))
		bad(w, "checksum of %s at 0x%08x is off by %u", name, addr, sum(t, len));
	kit_printf("END %s %s\n", name, sum(t, len) ? "sum BAD" : "sum ok");
	return t;
}

static uint32_t rd32(const uint8_t *p, unsigned off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static void facs(struct walk *w, uint32_t addr)
{
	const uint8_t *f = (const uint8_t *)(uintptr_t)addr;

	if (!addr || seen(w, addr))
		return;
	/* No checksum in the FACS; 64-byte alignment is required (§5.2.10). */
	if (memcmp(f, "FACS", 4) || rd32(f, 4) < 64 || rd32(f, 4) > 4096 || (addr & 63)) {
		bad(w, "FACS at 0x%08x: bad signature, length or alignment (%u)", addr,
		    rd32(f, 4));
		return;
	}
	dump("FACS", addr, rd32(f, 4));
	kit_printf("END FACS nosum\n");
}

/* FADT: DSDT at 40, FIRMWARE_CTRL at 36; X_ versions at 140 and 132 when present. */
static void fadt(struct walk *w, const uint8_t *f)
{
	uint32_t len = rd32(f, 4), dsdt = rd32(f, 40), fw = rd32(f, 36);

	if (len >= 148 && rd32(f, 140)) {
		if (rd32(f, 144) || (dsdt && dsdt != rd32(f, 140)))
			bad(w, "FADT DSDT 0x%08x and X_DSDT 0x%08x disagree", dsdt, rd32(f, 140));
		dsdt = rd32(f, 140);
	}
	if (len >= 140 && rd32(f, 132)) {
		if (rd32(f, 136) || (fw && fw != rd32(f, 132)))
			bad(w, "FADT FACS 0x%08x and X_FIRMWARE_CTRL 0x%08x disagree", fw,
			    rd32(f, 132));
		fw = rd32(f, 132);
	}
	table(w, dsdt, "DSDT");
	facs(w, fw);
}

/* RSDT (4-byte entries) or XSDT (8-byte entries, high halves must be 0 here). */
static void sdt(struct walk *w, uint32_t addr, const char *sig, unsigned esize)
{
	const uint8_t *t = table(w, addr, sig);
	uint32_t n;

	if (!t)
		return;
	n = (rd32(t, 4) - 36) / esize;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t e = rd32(t, 36 + esize * i);
		const uint8_t *child;

		if (esize == 8 && rd32(t, 40 + 8 * i))
			bad(w, "XSDT entry %u points above 4 GiB (high 0x%08x)", i,
			    rd32(t, 40 + 8 * i));
		child = table(w, e, NULL);
		if (child && !memcmp(child, "FACP", 4))
			fadt(w, child);
	}
}

static const uint8_t *find_rsdp(uint32_t from, uint32_t to)
{
	for (uint32_t a = from; a < to; a += 16) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)a;

		if (!memcmp(p, "RSD PTR ", 8) && !sum(p, 20))
			return p;
	}
	return NULL;
}

static const uint8_t *rsdp(struct walk *w)
{
	uintptr_t bda_ebda = 0x40E;	/* BIOS data area: EBDA segment */
	const uint8_t *r = find_rsdp(0xE0000, 0x100000);
	uint32_t ebda;

	__asm__("" : "+r"(bda_ebda));	/* a run-time address, not a null-page constant */
	ebda = (uint32_t)*(const volatile uint16_t *)bda_ebda << 4;

	/* §5.2.5.1: the first KiB of the EBDA, or 0xE0000-0xFFFFF. SeaBIOS uses the latter. */
	if (!r && ebda >= 0x80000 && ebda < 0xA0000)
		r = find_rsdp(ebda, ebda + 1024);
	if (!r)
		return NULL;
	seen(w, (uint32_t)(uintptr_t)r);
	dump("RSDP", (uint32_t)(uintptr_t)r, r[15] >= 2 ? rd32(r, 20) : 20);
	if (r[15] >= 2 && (rd32(r, 20) < 36 || sum(r, rd32(r, 20))))
		bad(w, "RSDP extended checksum or length (length %u)", rd32(r, 20));
	kit_printf("END RSDP sum ok\n");
	return r;
}

void stage2_main(uint32_t drive);

void stage2_main(uint32_t drive)
{
	static struct walk w;
	const uint8_t *r;

	kit_serial_init();
	kit_idt_init();
	pic_remap_and_mask();
	kit_printf("STAGE2 protected mode, boot drive 0x%02x\n", drive);
	r = rsdp(&w);
	if (!r)
		KIT_FAIL("no RSDP in 0xE0000-0xFFFFF or the EBDA");
	kit_printf("ACPI RSDP at 0x%08x revision %u RSDT 0x%08x XSDT 0x%08x\n",
		   (uint32_t)(uintptr_t)r, r[15], rd32(r, 16), r[15] >= 2 ? rd32(r, 24) : 0);
	sdt(&w, rd32(r, 16), "RSDT", 4);
	if (r[15] >= 2 && rd32(r, 24)) {
		if (rd32(r, 28))
			bad(&w, "XSDT above 4 GiB (0x%08x%08x)", rd32(r, 28), rd32(r, 24));
		else
			sdt(&w, rd32(r, 24), "XSDT", 8);
	}
	kit_printf("ACPI DONE %u tables, %u bad\n", w.n, w.bad);
	kit_exit(w.bad ? KIT_EXIT_FAIL : KIT_EXIT_PASS);
}
