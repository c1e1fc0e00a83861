// SPDX-License-Identifier: GPL-2.0-or-later
// Polled COM1 console, printf, the test-exit port, exception reporting, small libc.
#include "lguest.h"

/* PC16550D datasheet: THR/RBR 0, IER 1, FCR 2, LCR 3, MCR 4, LSR 5; LSR bit 5 THRE. */
#define UART_IER	1
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LSR_THRE	0x20
#define LCR_DLAB	0x80
#define LCR_8N1		0x03

void lx_console_init(void)
{
	outb(COM1 + UART_IER, 0);		/* polled: no interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);			/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);		/* FIFOs on, both cleared */
	outb(COM1 + UART_MCR, 0x03);		/* DTR, RTS */
}

static void uart_putc(char ch)
{
	/* Bounded: a UART that never drains must not hang the test past the helper's timeout
	 * without a word; the runner then sees a truncated transcript instead. */
	for (unsigned spin = 0; spin < 100000; spin++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1, (uint8_t)ch);
}

static void put_char(char ch)
{
	if (ch == '\n')
		uart_putc('\r');
	uart_putc(ch);
}

static void put_str(const char *s, int width, bool left)
{
	int len = (int)strlen(s);

	for (; !left && width > len; width--)
		put_char(' ');
	while (*s)
		put_char(*s++);
	for (; left && width > len; width--)
		put_char(' ');
}

static void put_num(uint64_t v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	for (; width > n; width--)
		put_char(pad);
	while (n)
		put_char(buf[--n]);
}

static uint64_t arg_unsigned(va_list *ap, int longs)
{
	return longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
}

/* %s %c %u %d %x %p with '-', '0', width and l/ll (both 64 bits here). */
void lx_vprintf(const char *fmt, va_list args)
{
	va_list ap;

	va_copy(ap, args);	/* a va_list parameter may be an array: take a real object */
	for (; *fmt; fmt++) {
		bool left = false;
		char pad = ' ';
		int width = 0, longs = 0;

		if (*fmt != '%') {
			put_char(*fmt);
			continue;
		}
		if (*++fmt == '-')
			left = true, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 's':
			put_str(va_arg(ap, const char *), width, left);
			break;
		case 'c':
			put_char((char)va_arg(ap, int));
			break;
		case 'u':
			put_num(arg_unsigned(&ap, longs), 10, width, pad);
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (v < 0)
				put_char('-');
			put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad);
			break;
		}
		case 'x':
			put_num(arg_unsigned(&ap, longs), 16, width, pad);
			break;
		case 'p':
			put_str("0x", 0, false);
			put_num((uintptr_t)va_arg(ap, void *), 16, width, pad);
			break;
		case '\0':
			fmt--;
			break;
		default:
			put_char(*fmt);
		}
	}
	va_end(ap);
}

void lx_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lx_vprintf(fmt, ap);
	va_end(ap);
}

void lx_exit(unsigned code)
{
	lx_printf("lguest: exit %u\n", code);
	/* A 32-bit OUT of N to the test-exit port ends vessel-helper with status N. */
	outl(TEST_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- exceptions: a 64-bit IDT of interrupt gates into head.S's stubs ---- */

struct idt_gate64 {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr64 {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const char lx_isr_stubs[];
void lx_exception(const uint64_t *frame) __attribute__((noreturn));

static struct idt_gate64 idt[32] __attribute__((aligned(16)));

/* Intel SDM vol. 3A §6.14.1: 16-byte gates; type 0xE (interrupt gate), present, DPL 0. */
void lx_idt_init(void)
{
	struct idt_ptr64 p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	uint16_t cs = READ_SEG(cs);

	for (unsigned v = 0; v < 32; v++) {
		uint64_t addr = (uint64_t)(uintptr_t)lx_isr_stubs + 16 * v;

		idt[v].offset_lo = (uint16_t)addr;
		idt[v].selector = cs;
		idt[v].ist = 0;
		idt[v].attr = 0x8e;
		idt[v].offset_mid = (uint16_t)(addr >> 16);
		idt[v].offset_hi = (uint32_t)(addr >> 32);
		idt[v].reserved = 0;
	}
	__asm__ volatile("lidt %0" : : "m"(p));
}

/* frame: vector, error code, then what the CPU pushed (RIP, CS, RFLAGS, RSP, SS). */
void lx_exception(const uint64_t *frame)
{
	lx_printf("EXCEPTION %u at RIP=0x%lx error=0x%lx RFLAGS=0x%lx CR2=0x%lx\n",
		  (unsigned)frame[0], frame[2], frame[1], frame[4], READ_CR(2));
	lx_exit(LX_EXIT_EXCEPTION + (unsigned)(frame[0] & 31));
}

/* ---- freestanding library ---- */

void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

uint32_t lx_fnv1a(uint32_t h, const volatile uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;		/* the 32-bit FNV prime */
	}
	return h;
}
