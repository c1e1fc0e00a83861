// SPDX-License-Identifier: GPL-2.0-or-later
// Kit core: boot info and command line, the COM1 console, exit/panic/fail, string helpers.
#include "kit.h"

static struct kit_boot_info boot_info;
static struct kit_spinlock console_lock;

/* ---- string helpers ---- */

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *ap = a, *bp = b;

	for (; n; n--, ap++, bp++) {
		if (*ap != *bp)
			return *ap - *bp;
	}
	return 0;
}

/* ---- console: 16550A at COM1, polled (PC16550D datasheet, table II registers) ---- */

#define UART_THR	0
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_LSR_THRE	0x20

void kit_serial_init(void)
{
	outb(KIT_COM1 + UART_IER, 0x00);
	outb(KIT_COM1 + UART_LCR, 0x80);	/* DLAB: divisor latch */
	outb(KIT_COM1 + 0, 0x01);		/* 115200 baud */
	outb(KIT_COM1 + 1, 0x00);
	outb(KIT_COM1 + UART_LCR, 0x03);	/* 8N1 */
	outb(KIT_COM1 + UART_FCR, 0x07);	/* FIFOs on and cleared */
	outb(KIT_COM1 + UART_MCR, 0x03);	/* DTR, RTS; no loopback */
}

/* After a failure in the middle of a UART test: make sure the message reaches the host. */
static void console_recover(void)
{
	outb(KIT_COM1 + UART_IER, 0x00);
	outb(KIT_COM1 + UART_MCR, 0x03);
}

static void serial_putc_raw(char c)
{
	unsigned spins = 0;

	/* Bounded: a UART that never drains must not hang the test before its exit. */
	while (!(inb(KIT_COM1 + UART_LSR) & UART_LSR_THRE) && spins < 100000)
		spins++;
	outb(KIT_COM1 + UART_THR, (uint8_t)c);
}

static void console_write(const char *s, size_t n)
{
	uint32_t flags = read_eflags();

	cli();
	kit_spin_lock(&console_lock);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc_raw('\r');
		serial_putc_raw(s[i]);
	}
	kit_spin_unlock(&console_lock);
	if (flags & 0x200)
		sti();
}

void kit_putc(char c)
{
	console_write(&c, 1);
}

void kit_puts(const char *s)
{
	console_write(s, strlen(s));
}

int kit_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kit_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, strlen(buf));
	return n;
}

void kit_request_input(void)
{
	kit_puts("kit: ready for input\n");
}

/* ---- ending the test ---- */

void kit_exit(unsigned code)
{
	kit_printf("kit: exit %u\n", code);
	/* A 32-bit OUT of N to the test-exit port ends the helper with status N. */
	outl(KIT_TEST_EXIT_PORT, code);
	for (;;) {
		cli();
		hlt();
	}
}

static void __attribute__((noreturn))
vfail(unsigned code, const char *prefix, const char *fmt, va_list ap)
{
	char buf[384];

	cli();
	console_recover();
	kit_vsnprintf(buf, sizeof(buf), fmt, ap);
	kit_printf("%s%s\n", prefix, buf);
	kit_exit(code);
}

void kit_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(KIT_EXIT_PANIC, "PANIC: ", fmt, ap);
}

void kit_fail_at(const char *file, int line, const char *fmt, ...)
{
	char prefix[96];
	va_list ap;

	kit_snprintf(prefix, sizeof(prefix), "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfail(KIT_EXIT_FAIL, prefix, fmt, ap);
}

/* ---- multiboot info (Multiboot Specification 0.6.96 §3.3) ---- */

#define MBI_MEM		(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MMAP	(1u << 6)
#define MMAP_MAX_BYTES	65536u

static void parse_mmap(uint32_t addr, uint32_t len)
{
	uint32_t off = 0;

	if (len > MMAP_MAX_BYTES)
		kit_panic("multiboot mmap_length %u is implausible", len);
	/* Each entry: u32 size (not counting itself), u64 base, u64 length, u32 type. */
	while (off + 24 <= len) {
		const uint8_t *e = (const uint8_t *)(uintptr_t)(addr + off);
		uint32_t size, type;
		uint64_t length;

		memcpy(&size, e, 4);
		memcpy(&length, e + 12, 8);
		memcpy(&type, e + 20, 4);
		if (size < 20)
			kit_panic("multiboot mmap entry size %u < 20", size);
		if (type == 1)
			boot_info.mmap_ram_bytes += length;
		boot_info.mmap_entries++;
		off += size + 4;
	}
}

static void parse_mbi(uint32_t mbi)
{
	const uint32_t *w = (const uint32_t *)(uintptr_t)mbi;

	boot_info.mbi_flags = w[0];
	if (w[0] & MBI_MEM) {
		boot_info.mem_lower_kib = w[1];
		boot_info.mem_upper_kib = w[2];
	}
	if ((w[0] & MBI_CMDLINE) && w[4]) {
		const char *c = (const char *)(uintptr_t)w[4];
		size_t i;

		for (i = 0; i + 1 < KIT_CMDLINE_MAX && c[i]; i++)
			boot_info.cmdline[i] = c[i];
		boot_info.cmdline[i] = 0;
	}
	if (w[0] & MBI_MMAP)
		parse_mmap(w[12], w[11]);
}

const struct kit_boot_info *kit_boot_info(void)
{
	return &boot_info;
}

bool kit_cmdline_get(const char *key, char *buf, size_t size)
{
	const char *p = boot_info.cmdline;
	size_t klen = strlen(key);

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = 0;

			p += klen + 1;
			while (p[n] && p[n] != ' ' && n + 1 < size) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = 0;
			return true;
		}
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

uint64_t kit_cmdline_u64(const char *key, uint64_t def)
{
	char buf[32];
	uint64_t v = 0;

	if (!kit_cmdline_get(key, buf, sizeof(buf)) || !buf[0])
		return def;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return def;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

void kit_boot(uint32_t magic, uint32_t mbi)
{
	kit_serial_init();
	kit_idt_init();
	pic_remap_and_mask();
	boot_info.magic = magic;
	if (magic != KIT_MB_MAGIC) {
		kit_printf("FAIL: multiboot magic 0x%x, want 0x%x\n", magic, KIT_MB_MAGIC);
		kit_exit(KIT_EXIT_BOOT);
	}
	parse_mbi(mbi);
}
