// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot save/load of the 16550A: registers, RX FIFO, pending interrupts, timeout timer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "serial.h"
#include "tap.h"

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define FCR IIR
#define DLL RBR
#define DLM IER

/* Offsets in the version-1 blob (struct serial_state). */
enum { O_IER = 4, O_MCR = 6, O_MSRD = 7, O_FCR = 9, O_FLAGS = 11, O_RXCOUNT = 14 };
#define BLOB_LEN 32

struct uart {
	struct vmm_loop *loop;
	struct vmm_guest_log glog;
	int level;
	struct serial *s;
};

static void irq_set(void *opaque, unsigned gsi, int level)
{
	*(int *)opaque = level;
}

static void uart_init(struct uart *u)
{
	struct serial_config sc = { .glog = &u->glog };

	memset(u, 0, sizeof(*u));
	u->loop = vmm_loop_new(true);
	vmm_guest_log_init(&u->glog, NULL, 100);
	sc.irq = (struct vmm_irq){ irq_set, &u->level, 4 };
	sc.loop = u->loop;
	u->s = serial_new(&sc);
	if (!u->s) {
		printf("Bail out! serial_new failed\n");
		exit(1);
	}
}

static void uart_fini(struct uart *u)
{
	serial_free(u->s);
	vmm_loop_free(u->loop);
	vmm_guest_log_destroy(&u->glog);
}

static uint8_t rd(struct uart *u, unsigned reg)
{
	return (uint8_t)serial_io_ops.read(u->s, reg, 1);
}

static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	serial_io_ops.write(u->s, reg, v, 1);
}

static void rx(struct uart *u, const char *str)
{
	serial_receive(u->s, (const uint8_t *)str, strlen(str));
}

static uint8_t *save(struct uart *u)
{
	void *blob = NULL;
	size_t len = 0;

	if (serial_save(u->s, &blob, &len) || len != BLOB_LEN) {
		printf("Bail out! serial_save failed\n");
		exit(1);
	}
	return blob;
}

static void setup_fifo(struct uart *u, uint8_t ier, uint8_t fcr)
{
	wr(u, LCR, 0x83);	/* 115200 8N1: a timeout of 4 characters is 347 us */
	wr(u, DLL, 1);
	wr(u, DLM, 0);
	wr(u, LCR, 0x03);
	wr(u, MCR, 0x0b);
	wr(u, IER, ier);
	wr(u, FCR, fcr);
	wr(u, SCR, 0x5a);
}

/* A FIFO that wrapped round its ring, at its trigger level: RDA pending, IRQ high. */
static void test_fifo_roundtrip(void)
{
	struct uart a, b;
	uint8_t *blob;
	bool same = true;

	uart_init(&a);
	uart_init(&b);
	setup_fifo(&a, 0x05, 0xc1);	/* ERBFI + ELSI, trigger 14 */
	rx(&a, "0123456789");
	for (int i = 0; i < 8; i++)
		rd(&a, RBR);
	rx(&a, "abcdefghijkl");
	is_int(a.level, 1, "A: 14 bytes at trigger 14 raise the IRQ");
	blob = save(&a);
	is_int(b.level, 0, "B: fresh UART, line low");
	is_int(serial_load(b.s, blob, BLOB_LEN), 0, "load into a fresh UART");
	is_int(b.level, 1, "B: the loaded pending interrupt re-asserts the line");
	is_int(rd(&b, IIR), rd(&a, IIR), "IIR reads the same");
	is_int(rd(&b, LSR), rd(&a, LSR), "LSR reads the same");
	ok(rd(&b, LCR) == 0x03 && rd(&b, MCR) == 0x0b && rd(&b, SCR) == 0x5a &&
	   rd(&b, IER) == 0x05, "LCR, MCR, SCR, IER restored");
	wr(&b, LCR, 0x83);
	ok(rd(&b, DLL) == 1 && rd(&b, DLM) == 0, "divisor restored");
	wr(&b, LCR, 0x03);
	for (int i = 0; i < 14; i++)
		same &= rd(&a, RBR) == rd(&b, RBR);
	ok(same, "the 14 FIFO bytes come out in the same order");
	is_int(rd(&b, LSR) & 1, 0, "B: FIFO empty afterwards");
	is_int(b.level, 0, "B: line drops once the FIFO drained");
	free(blob);
	uart_fini(&a);
	uart_fini(&b);
}

/* Two bytes under the trigger: the loaded UART still times out four characters later. */
static void test_timeout_rearmed(void)
{
	struct uart a, b;
	uint8_t *blob;

	uart_init(&a);
	uart_init(&b);
	setup_fifo(&a, 0x01, 0x41);	/* trigger 4 */
	rx(&a, "ab");
	serial_pause(a.s);
	blob = save(&a);
	is_int(serial_load(b.s, blob, BLOB_LEN), 0, "load two bytes under trigger");
	is_int(rd(&b, IIR), 0xc1, "B: nothing pending yet");
	vmm_loop_advance(b.loop, 300000);
	is_int(rd(&b, IIR), 0xc1, "B: 3.5 characters later still nothing");
	vmm_loop_advance(b.loop, 60000);
	is_int(rd(&b, IIR), 0xcc, "B: character timeout fires after 4 characters");
	is_int(b.level, 1, "B: timeout raises the IRQ");
	free(blob);
	uart_fini(&a);
	uart_fini(&b);
}

/* 16450 mode with an overrun and a THRE interrupt pending; MSR deltas survive. */
static void test_overrun_thre(void)
{
	struct uart a, b;
	uint8_t *blob, lsr;

	uart_init(&a);
	uart_init(&b);
	wr(&a, MCR, 0x18);	/* loopback + OUT2 */
	wr(&a, MCR, 0x08);	/* leaving loopback: modem inputs change, delta bits set */
	wr(&a, IER, 0x0e);	/* ETBEI + ELSI + EDSSI */
	rx(&a, "xy");		/* 16450: one byte fits, y overwrites it: overrun */
	blob = save(&a);
	is_int(serial_load(b.s, blob, BLOB_LEN), 0, "load 16450 state");
	is_int(b.level, 1, "B: line high");
	is_int(rd(&b, MSR), rd(&a, MSR), "MSR with its delta bits reads the same");
	lsr = rd(&a, LSR);
	is_int(rd(&b, LSR), lsr, "LSR (DR + OE) reads the same");
	ok(lsr & 0x02, "overrun was set in A");
	is_int(rd(&b, IIR), rd(&a, IIR), "THRE now the highest pending, as in A");
	is_int(rd(&b, RBR), 'y', "the overwritten byte is what RBR holds");
	free(blob);
	uart_fini(&a);
	uart_fini(&b);
}

static void refuse(struct uart *b, const uint8_t *good, unsigned off, uint8_t v,
		   const uint8_t *before, const char *what)
{
	uint8_t bad[BLOB_LEN], *after;

	memcpy(bad, good, BLOB_LEN);
	bad[off] = v;
	is_int(serial_load(b->s, bad, BLOB_LEN), -EINVAL, "refused: %s", what);
	after = save(b);
	ok(!memcmp(after, before, BLOB_LEN), "... and B is unchanged");
	free(after);
}

static void test_hostile(void)
{
	struct uart a, b;
	uint8_t *good, *before;

	uart_init(&a);
	uart_init(&b);
	setup_fifo(&a, 0x01, 0x81);
	rx(&a, "hello");
	good = save(&a);
	wr(&b, SCR, 0x77);
	before = save(&b);
	is_int(serial_load(b.s, good, BLOB_LEN - 1), -EINVAL, "refused: truncated blob");
	is_int(serial_load(b.s, good, 0), -EINVAL, "refused: empty blob");
	refuse(&b, good, 0, 2, before, "version 2");
	refuse(&b, good, O_IER, 0x11, before, "IER with reserved bits");
	refuse(&b, good, O_MCR, 0x20, before, "MCR with reserved bits");
	refuse(&b, good, O_MSRD, 0x10, before, "MSR deltas with a level bit");
	refuse(&b, good, O_FCR, 0x06, before, "FCR with clear bits latched");
	refuse(&b, good, O_FCR, 0x80, before, "FCR trigger without FIFO enable");
	refuse(&b, good, O_FLAGS, 0x80, before, "unknown flag");
	refuse(&b, good, O_RXCOUNT, 17, before, "rx_count beyond the FIFO");
	good[O_FCR] = 0;
	refuse(&b, good, O_RXCOUNT, 2, before, "two bytes held in 16450 mode");
	is_int(b.level, 0, "B's line never moved");
	free(good);
	free(before);
	uart_fini(&a);
	uart_fini(&b);
}

int main(void)
{
	test_fifo_roundtrip();
	test_timeout_rearmed();
	test_overrun_thre();
	test_hostile();
	return tap_done();
}
