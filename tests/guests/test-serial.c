// SPDX-License-Identifier: GPL-2.0-or-later
// 16550A at COM1: loopback FIFO, modem bits, scratch; THRE and host-typed RX IRQs on IOAPIC pin 4.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0");
/* Typed by the runner on COM1 once the guest prints "kit: ready for input". */
KIT_EXPECT("input=HOST");
KIT_EXPECT("serial=serial: loopback FIFO ok");
KIT_EXPECT("serial=serial: interrupts thre=[1-9][0-9]* rx=4");
/* 48 bytes written 16 at a time into the transmit FIFO, checked whole by the host. */
KIT_EXPECT("serial=^burst: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL$");
KIT_EXPECT("forbid=LOOPBACK");

#define COM1		KIT_COM1
#define RBR		0	/* PC16550D datasheet, table II */
#define THR		0
#define IER		1
#define IIR		2
#define FCR		2
#define LCR		3
#define MCR		4
#define LSR		5
#define MSR		6
#define SCR		7

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MCR_LOOP	0x10
#define MCR_OUT2	0x08

#define SERIAL_VECTOR	0x34
#define FIFO_DEPTH	16

struct uart_irqs {
	volatile uint32_t thre;
	volatile uint32_t rx;
	volatile uint32_t other;
	uint8_t rx_bytes[16];
};

/* Reading LSR clears OE, so every bit seen while waiting is collected in *seen. */
static bool wait_lsr(uint8_t bits, uint8_t *seen)
{
	uint8_t lsr, any = 0;
	bool ok = false;

	for (unsigned i = 0; i < 100000 && !ok; i++) {
		lsr = inb(COM1 + LSR);
		any |= lsr;
		ok = (lsr & bits) == bits;
	}
	if (seen)
		*seen = any;
	return ok;
}

/*
 * Loopback (MCR bit 4): the transmitter feeds the receiver and the line stays marking, so
 * none of these bytes may reach the host (the runner forbids "LOOPBACK").
 */
static void test_loopback_fifo(void)
{
	static const char msg[FIFO_DEPTH + 1] = "LOOPBACK-0123456";
	uint8_t lsr;

	outb(COM1 + FCR, 0x07);			/* FIFO on, both cleared, trigger 1 */
	outb(COM1 + MCR, MCR_LOOP | 0x03);
	KIT_ASSERT(!(inb(COM1 + LSR) & LSR_DR));
	for (int i = 0; i < FIFO_DEPTH; i++)
		outb(COM1 + THR, (uint8_t)msg[i]);
	KIT_ASSERT(wait_lsr(LSR_THRE | LSR_TEMT, &lsr));
	KIT_ASSERT(lsr & LSR_DR);
	KIT_ASSERT_EQ(lsr & LSR_OE, 0);
	for (int i = 0; i < FIFO_DEPTH; i++) {
		KIT_ASSERT(inb(COM1 + LSR) & LSR_DR);
		KIT_ASSERT_EQ(inb(COM1 + RBR), (uint8_t)msg[i]);
	}
	KIT_ASSERT_EQ(inb(COM1 + LSR) & LSR_DR, 0);

	/* A 17th byte with the FIFO full overruns: LSR bit 1, cleared by reading LSR. */
	for (int i = 0; i <= FIFO_DEPTH; i++)
		outb(COM1 + THR, (uint8_t)('A' + i));
	KIT_ASSERT(wait_lsr(LSR_THRE | LSR_TEMT, &lsr));
	KIT_ASSERT(lsr & LSR_OE);
	KIT_ASSERT_EQ(inb(COM1 + LSR) & LSR_OE, 0);
	KIT_ASSERT_EQ(inb(COM1 + RBR), 'A');
	outb(COM1 + FCR, 0x03);			/* clear the receive FIFO */
	KIT_ASSERT_EQ(inb(COM1 + LSR) & LSR_DR, 0);
}

/* In loopback, MCR DTR/RTS/OUT1/OUT2 appear as MSR DSR/CTS/RI/DCD (bits 5, 4, 6, 7). */
static void test_loopback_modem(void)
{
	outb(COM1 + MCR, MCR_LOOP | 0x0F);
	KIT_ASSERT_EQ(inb(COM1 + MSR) & 0xF0, 0xF0);
	outb(COM1 + MCR, MCR_LOOP | 0x01);
	KIT_ASSERT_EQ(inb(COM1 + MSR) & 0xF0, 0x20);
	outb(COM1 + MCR, MCR_LOOP | 0x02);
	KIT_ASSERT_EQ(inb(COM1 + MSR) & 0xF0, 0x10);
	outb(COM1 + MCR, MCR_LOOP);
	KIT_ASSERT_EQ(inb(COM1 + MSR) & 0xF0, 0x00);
}

static void test_scratch_and_ids(void)
{
	outb(COM1 + SCR, 0x5A);
	KIT_ASSERT_EQ(inb(COM1 + SCR), 0x5A);
	outb(COM1 + SCR, 0xA5);
	KIT_ASSERT_EQ(inb(COM1 + SCR), 0xA5);
	/* IIR bits 7:6 read 11 when the FIFOs are enabled: that is what makes it a 16550A. */
	outb(COM1 + FCR, 0x07);
	KIT_ASSERT_EQ(inb(COM1 + IIR) & 0xC0, 0xC0);
	/* LCR reads back, and DLAB exposes the divisor latch we set at boot (115200 baud). */
	KIT_ASSERT_EQ(inb(COM1 + LCR), 0x03);
	outb(COM1 + LCR, 0x83);
	KIT_ASSERT_EQ(inb(COM1 + 0), 0x01);
	KIT_ASSERT_EQ(inb(COM1 + 1), 0x00);
	outb(COM1 + LCR, 0x03);
}

static void uart_drain_rx(struct uart_irqs *s)
{
	while (inb(COM1 + LSR) & LSR_DR) {
		uint8_t b = inb(COM1 + RBR);

		if (s->rx < sizeof(s->rx_bytes))
			s->rx_bytes[s->rx] = b;
		s->rx++;
	}
}

static void uart_serve(struct uart_irqs *s, uint8_t id)
{
	switch (id) {
	case 0x02:		/* THR empty; reading IIR cleared it */
		s->thre++;
		break;
	case 0x04:		/* received data available */
	case 0x0C:		/* character timeout */
		uart_drain_rx(s);
		break;
	default:		/* line or modem status: not enabled, so a bug */
		s->other++;
		inb(COM1 + LSR);
		inb(COM1 + MSR);
		break;
	}
}

static void uart_isr(struct kit_frame *f, void *ctx)
{
	/* Serve every pending cause (IIR bit 0 set: none left). Bounded: a cause that
	 * never clears shows up in the counts the test checks. */
	for (unsigned i = 0; i < 64; i++) {
		uint8_t iir = inb(COM1 + IIR);

		if (iir & 0x01)
			break;
		uart_serve(ctx, iir & 0x0E);
	}
	lapic_eoi();
}

static bool wait_count(volatile uint32_t *count, uint32_t want, uint32_t ms)
{
	uint64_t end = kit_now_ms() + ms;

	while (*count < want && kit_now_ms() < end)
		pause();
	return *count >= want;
}

/*
 * In loopback the OUT pins are forced inactive (datasheet, MCR bit 4), and on a PC OUT2
 * enables the buffer that drives the UART's interrupt onto IRQ 4: IIR reports the THRE
 * interrupt but the CPU never sees it.
 */
static void check_loopback_irq_quiet(struct uart_irqs *s)
{
	outb(COM1 + MCR, MCR_LOOP | MCR_OUT2 | 0x03);
	sti();
	outb(COM1 + IER, 0x02);
	kit_mdelay(20);
	cli();
	KIT_ASSERT_EQ(inb(COM1 + IIR) & 0x0F, 0x02);	/* pending THRE, read clears it */
	outb(COM1 + IER, 0x00);
	outb(COM1 + MCR, 0x03);
	KIT_ASSERT_EQ(s->thre + s->rx + s->other, 0);
}

/* THRE and received-data interrupts through IOAPIC pin 4; the host types "HOST". */
static void test_interrupts(void)
{
	static struct uart_irqs s;
	static const char host[] = "HOST";

	kit_set_handler(SERIAL_VECTOR, uart_isr, &s);
	lapic_enable();
	ioapic_route(4, SERIAL_VECTOR, lapic_id(), 0);	/* ISA IRQ 4: edge, active high */
	outb(COM1 + FCR, 0x07);
	check_loopback_irq_quiet(&s);

	/* OUT2 gates the UART's interrupt line onto the ISA bus on a PC. */
	outb(COM1 + MCR, MCR_OUT2 | 0x03);
	sti();
	/* Enabling ETBEI with the holding register empty raises THRE at once. */
	outb(COM1 + IER, 0x02);
	bool thre_ok = wait_count(&s.thre, 1, 500);
	outb(COM1 + IER, 0x01);			/* received-data interrupts only */
	kit_request_input();
	bool rx_ok = wait_count(&s.rx, sizeof(host) - 1, 5000);
	cli();
	outb(COM1 + IER, 0x00);
	outb(COM1 + MCR, 0x03);
	ioapic_mask(4);

	KIT_ASSERT(thre_ok);
	KIT_ASSERT(rx_ok);
	KIT_ASSERT_EQ(s.rx, sizeof(host) - 1);
	KIT_ASSERT(!memcmp(s.rx_bytes, host, sizeof(host) - 1));
	KIT_ASSERT_EQ(s.other, 0);
	kit_printf("serial: interrupts thre=%u rx=%u\n", s.thre, s.rx);
}

/* Fill the transmit FIFO 16 bytes at a time, waiting only for THRE between bursts. */
static void burst_write(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i += FIFO_DEPTH) {
		KIT_ASSERT(wait_lsr(LSR_THRE, NULL));
		for (size_t j = i; j < n && j < i + FIFO_DEPTH; j++)
			outb(COM1 + THR, (uint8_t)s[j]);
	}
	KIT_ASSERT(wait_lsr(LSR_THRE | LSR_TEMT, NULL));
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	kit_printf("serial: 16550A test\n");
	test_scratch_and_ids();
	test_loopback_fifo();
	test_loopback_modem();
	outb(COM1 + MCR, 0x03);
	kit_printf("serial: loopback FIFO ok\n");
	test_interrupts();
	burst_write("burst: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL\r\n");
}
