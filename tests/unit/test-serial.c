// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the 16550A UART and its host backends (no KVM). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "tap.h"
#include "bus.h"
#include "loop.h"
#include "serial.h"
#include "serial-backend.h"

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define THR RBR
#define FCR IIR
#define DLL RBR
#define DLM IER

struct fake_irq {
	int level;
	unsigned raises, lowers;
	unsigned gsi;
};

static void fake_irq_set(void *opaque, unsigned gsi, int level)
{
	struct fake_irq *f = opaque;

	if (level && !f->level)
		f->raises++;
	if (!level && f->level)
		f->lowers++;
	f->level = level;
	f->gsi = gsi;
}

struct membuf {
	uint8_t data[16384];
	size_t len;
	unsigned delay_every;	/* sleep briefly every n writes (slow backend) */
	unsigned writes;
};

static void mem_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct membuf *m = opaque;

	if (m->delay_every && ++m->writes % m->delay_every == 0)
		usleep(200);
	if (len > sizeof(m->data) - m->len)
		len = sizeof(m->data) - m->len;
	memcpy(m->data + m->len, buf, len);
	m->len += len;
}

struct rig {
	struct vmm_loop *loop;
	struct vmm_guest_log glog;
	struct fake_irq irq;
	struct membuf out;
	struct serial_backend *be;
	struct serial *s;
};

/* The rig's loop (manual clock) is handed to the backend too. */
static void rig_init_with(struct rig *r, const struct serial_backend_config *bc)
{
	struct serial_backend_config c = *bc;
	struct serial_config sc = { .glog = &r->glog };
	int err;

	r->loop = vmm_loop_new(true);
	vmm_guest_log_init(&r->glog, stderr, 100);
	c.loop = r->loop;
	err = serial_backend_open(&c, &r->be);
	if (err) {
		printf("Bail out! backend open: %s\n", strerror(-err));
		exit(1);
	}
	sc.irq = (struct vmm_irq){ fake_irq_set, &r->irq, 4 };
	sc.loop = r->loop;
	sc.backend = r->be;
	r->s = serial_new(&sc);
	if (!r->s) {
		printf("Bail out! serial_new failed\n");
		exit(1);
	}
}

static void rig_init(struct rig *r)
{
	struct serial_backend_config bc = {
		.kind = SERIAL_BACKEND_CALLBACK, .write_cb = mem_write, .cb_opaque = &r->out,
	};

	memset(r, 0, sizeof(*r));
	rig_init_with(r, &bc);
}

static uint64_t rig_fini(struct rig *r)
{
	uint64_t errors = vmm_guest_log_count(&r->glog);

	serial_free(r->s);
	vmm_loop_free(r->loop);
	vmm_guest_log_destroy(&r->glog);
	return errors;
}

static uint8_t rd(struct rig *r, unsigned reg)
{
	return (uint8_t)serial_io_ops.read(r->s, reg, 1);
}

static void wr(struct rig *r, unsigned reg, uint8_t v)
{
	serial_io_ops.write(r->s, reg, v, 1);
}

static void rx(struct rig *r, const char *str)
{
	serial_receive(r->s, (const uint8_t *)str, strlen(str));
}

static void test_reset_values(void)
{
	struct rig r;

	rig_init(&r);
	is_int(rd(&r, IER), 0x00, "reset: IER 0");
	is_int(rd(&r, IIR), 0x01, "reset: IIR 0x01 (no interrupt, FIFOs off)");
	is_int(rd(&r, LCR), 0x00, "reset: LCR 0");
	is_int(rd(&r, MCR), 0x00, "reset: MCR 0");
	is_int(rd(&r, LSR), 0x60, "reset: LSR THRE|TEMT");
	is_int(rd(&r, MSR), 0xb0, "reset: MSR CTS|DSR|DCD, no deltas");
	is_int(r.irq.level, 0, "reset: IRQ low");
	is_int(rig_fini(&r), 0, "no guest errors");
}

static void test_scratch_and_dlab(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, SCR, 0x5a);
	is_int(rd(&r, SCR), 0x5a, "scratch holds 0x5a");
	wr(&r, SCR, 0xa5);
	is_int(rd(&r, SCR), 0xa5, "scratch holds 0xa5");

	wr(&r, LCR, 0x83);
	wr(&r, DLL, 0x0c);
	wr(&r, DLM, 0x01);
	is_int(rd(&r, DLL), 0x0c, "DLAB: offset 0 is DLL");
	is_int(rd(&r, DLM), 0x01, "DLAB: offset 1 is DLM");
	is_int(r.out.len, 0, "DLL write did not transmit");
	wr(&r, LCR, 0x03);
	is_int(rd(&r, IER), 0x00, "DLAB off: offset 1 is IER again");
	wr(&r, IER, 0xff);
	is_int(rd(&r, IER), 0x0f, "IER bits 4-7 read as 0");
	wr(&r, IER, 0);
	wr(&r, THR, 'Z');
	is_int(r.out.len, 1, "DLAB off: offset 0 write transmits");
	wr(&r, LCR, 0x83);
	is_int(rd(&r, DLL) | rd(&r, DLM) << 8, 0x010c, "divisor latch kept");
	wr(&r, MCR, 0xff);
	wr(&r, LCR, 0x03);
	is_int(rd(&r, MCR), 0x1f, "MCR bits 5-7 read as 0");
	wr(&r, LSR, 0x00);
	wr(&r, MSR, 0x00);
	is_int(rd(&r, LSR) & 0x60, 0x60, "LSR write ignored");
	is_int(rig_fini(&r), 0, "writes to read-only registers are not guest errors");
}

static void test_tx(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, LCR, 0x03);
	for (const char *p = "hi\r\n"; *p; p++)
		wr(&r, THR, (uint8_t)*p);
	ok(r.out.len == 4 && !memcmp(r.out.data, "hi\r\n", 4), "TX bytes reach the backend");
	is_int(rd(&r, LSR) & 0x60, 0x60, "THRE and TEMT set after transmitting");
	wr(&r, FCR, 0x07);
	wr(&r, THR, '!');
	ok(r.out.len == 5 && r.out.data[4] == '!', "TX in FIFO mode");
	is_int(rd(&r, LSR) & 0x60, 0x60, "TX FIFO never fills");
	rig_fini(&r);
}

static void test_thre_interrupt(void)
{
	struct rig r;
	unsigned raises;

	rig_init(&r);
	wr(&r, MCR, 0x08);	/* OUT2: IRQ reaches the PIC */
	is_int(r.irq.level, 0, "no interrupt before IER");
	wr(&r, IER, 0x02);
	is_int(r.irq.level, 1, "enabling ETBEI with THR empty raises IRQ");
	is_int(r.irq.gsi, 4, "on GSI 4");
	is_int(rd(&r, IIR), 0x02, "IIR says THRE");
	is_int(r.irq.level, 0, "reading IIR (THRE source) lowers IRQ");
	is_int(rd(&r, IIR), 0x01, "THRE interrupt cleared by the IIR read");
	raises = r.irq.raises;
	wr(&r, THR, 'a');
	is_int(r.irq.level, 1, "THR write: THR empties again, THRE re-arms");
	is_int(r.irq.raises, raises + 1, "a fresh rising edge per byte");
	wr(&r, THR, 'b');
	is_int(r.irq.raises, raises + 2, "second byte: another edge (write cleared it first)");
	wr(&r, IER, 0x00);
	is_int(r.irq.level, 0, "disabling ETBEI lowers IRQ");
	wr(&r, IER, 0x02);
	is_int(r.irq.level, 1, "re-enabling ETBEI re-arms THRE (Linux's THRE test)");
	is_int(rd(&r, IIR), 0x02, "IIR THRE again");
	wr(&r, IER, 0x02);
	is_int(rd(&r, IIR), 0x01, "rewriting IER with ETBEI already set does not re-arm");
	rig_fini(&r);
}

static void test_rx_fifo_overrun(void)
{
	struct rig r;
	uint8_t got[16];
	int i;

	rig_init(&r);
	wr(&r, FCR, 0x01);
	rx(&r, "0123456789abcdefX");
	is_int(rd(&r, LSR), 0x63, "17 bytes into 16: DR and OE");
	is_int(rd(&r, LSR), 0x61, "OE cleared by reading LSR");
	for (i = 0; i < 16; i++)
		got[i] = rd(&r, RBR);
	ok(!memcmp(got, "0123456789abcdef", 16), "FIFO keeps the first 16, in order");
	is_int(rd(&r, LSR), 0x60, "drained: DR clear");
	is_int(rd(&r, RBR), 'f', "empty RBR repeats the last byte");

	wr(&r, FCR, 0x00);
	rx(&r, "p");
	rx(&r, "q");
	is_int(rd(&r, LSR), 0x63, "16450 mode: second byte overruns");
	is_int(rd(&r, RBR), 'q', "16450 mode: the newer byte overwrote RBR");
	is_int(rd(&r, LSR), 0x60, "and it was the only one");
	rig_fini(&r);
}

static void test_trigger_levels(void)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };
	struct rig r;

	rig_init(&r);
	wr(&r, MCR, 0x08);
	wr(&r, IER, 0x01);
	for (unsigned t = 0; t < 4; t++) {
		unsigned n = levels[t];

		wr(&r, FCR, (uint8_t)(t << 6 | 0x03));
		for (unsigned i = 1; i < n; i++)
			rx(&r, "x");
		is_int(rd(&r, IIR), 0xc1, "trigger %u: %u bytes, no RDA", n, n - 1);
		is_int(r.irq.level, 0, "trigger %u: IRQ low below level", n);
		rx(&r, "y");
		is_int(rd(&r, IIR), 0xc4, "trigger %u: RDA at %u bytes", n, n);
		is_int(r.irq.level, 1, "trigger %u: IRQ high", n);
		rd(&r, RBR);
		is_int(rd(&r, IIR), 0xc1, "trigger %u: one read drops below, RDA clears", n);
		is_int(r.irq.level, 0, "trigger %u: IRQ low again", n);
	}
	wr(&r, FCR, 0x00);
	rx(&r, "z");
	is_int(rd(&r, IIR), 0x04, "16450 mode: RDA at 1 byte, no FIFO bits");
	rig_fini(&r);
}

static void test_char_timeout(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, LCR, 0x83);	/* 115200 8N1: 86.8 us per character, timeout 347 us */
	wr(&r, DLL, 1);
	wr(&r, DLM, 0);
	wr(&r, LCR, 0x03);
	wr(&r, MCR, 0x08);
	wr(&r, IER, 0x01);
	wr(&r, FCR, 0x43);	/* trigger 4 */
	rx(&r, "ab");
	is_int(rd(&r, IIR), 0xc1, "2 bytes under trigger 4: nothing yet");
	vmm_loop_advance(r.loop, 300000);
	is_int(rd(&r, IIR), 0xc1, "3.5 character times: still nothing");
	vmm_loop_advance(r.loop, 60000);
	is_int(rd(&r, IIR), 0xcc, "4 character times: character timeout");
	is_int(r.irq.level, 1, "timeout raises IRQ");
	is_int(rd(&r, RBR), 'a', "read one byte");
	is_int(rd(&r, IIR), 0xc1, "reading RBR clears the timeout");
	is_int(r.irq.level, 0, "IRQ low");
	vmm_loop_advance(r.loop, 200000);
	rx(&r, "c");		/* restarts the timer */
	vmm_loop_advance(r.loop, 200000);
	is_int(rd(&r, IIR), 0xc1, "a new byte restarts the timer");
	vmm_loop_advance(r.loop, 200000);
	is_int(rd(&r, IIR), 0xcc, "timeout again with bytes left");
	rd(&r, RBR);
	rd(&r, RBR);
	vmm_loop_advance(r.loop, 10000000);
	is_int(rd(&r, IIR), 0xc1, "empty FIFO: no timeout");
	wr(&r, FCR, 0x00);
	rx(&r, "d");
	wr(&r, IER, 0x00);
	vmm_loop_advance(r.loop, 10000000);
	wr(&r, IER, 0x01);
	is_int(rd(&r, IIR), 0x04, "16450 mode: no timeout indication");
	rig_fini(&r);
}

static void test_priorities(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, FCR, 0x01);
	wr(&r, MCR, 0x10);	/* loopback: modem inputs drop... */
	wr(&r, MCR, 0x08);	/* ...and come back: DCTS, DDSR, DDCD */
	is_int(rd(&r, MSR) & 0x0f, 0x0b, "loopback round trip sets DCTS|DDSR|DDCD");
	wr(&r, MCR, 0x10);
	wr(&r, MCR, 0x08);
	rx(&r, "0123456789abcdefg");	/* overrun + data */
	wr(&r, IER, 0x0f);		/* THRE armed too */
	is_int(r.irq.level, 1, "all sources pending: IRQ high");
	is_int(rd(&r, IIR), 0xc6, "1st: receiver line status");
	is_int(rd(&r, IIR), 0xc6, "IIR read does not clear line status");
	rd(&r, LSR);
	is_int(rd(&r, IIR), 0xc4, "2nd: received data available");
	for (int i = 0; i < 16; i++)
		rd(&r, RBR);
	is_int(rd(&r, IIR), 0xc2, "3rd: THRE");
	is_int(rd(&r, IIR), 0xc0, "4th: modem status (THRE cleared by the IIR read)");
	rd(&r, MSR);
	is_int(rd(&r, IIR), 0xc1, "none left after reading MSR");
	is_int(r.irq.level, 0, "IRQ low");
	rig_fini(&r);
}

static void test_loopback(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, IER, 0x01);
	wr(&r, MCR, 0x18);	/* loopback + OUT2 */
	rd(&r, MSR);
	wr(&r, THR, 'L');
	is_int(r.out.len, 0, "loopback: nothing reaches the backend");
	is_int(rd(&r, LSR) & 0x01, 1, "loopback: byte arrives in RBR");
	is_int(rd(&r, IIR), 0x04, "loopback: RDA in IIR");
	is_int(r.irq.level, 0, "loopback: OUT2 pin forced inactive, IRQ gated on a PC");
	is_int(serial_can_receive(r.s), 0, "loopback: host input disconnected");
	rx(&r, "H");
	is_int(rd(&r, RBR), 'L', "RBR has the looped byte");
	is_int(rd(&r, LSR) & 0x01, 0, "host byte was not received in loopback");
	wr(&r, MCR, 0x11);
	is_int(rd(&r, MSR) & 0xf0, 0x20, "DTR loops to DSR");
	wr(&r, MCR, 0x12);
	is_int(rd(&r, MSR), 0x13, "RTS loops to CTS (deltas DCTS|DDSR)");
	wr(&r, MCR, 0x14);
	is_int(rd(&r, MSR), 0x41, "OUT1 loops to RI");
	wr(&r, MCR, 0x18);
	is_int(rd(&r, MSR), 0x8c, "OUT2 loops to DCD (DDCD); RI trailing edge sets TERI");
	wr(&r, THR, 'M');
	wr(&r, MCR, 0x08);
	is_int(r.irq.level, 1, "leaving loopback ungates the pending RDA");
	is_int(rd(&r, RBR), 'M', "looped byte kept");
	rig_fini(&r);
}

static void test_out2_gating(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, IER, 0x02);
	is_int(r.irq.level, 0, "OUT2 clear: IRQ gated");
	wr(&r, MCR, 0x08);
	is_int(r.irq.level, 1, "OUT2 set: pending THRE reaches the line");
	wr(&r, MCR, 0x03);
	is_int(r.irq.level, 0, "OUT2 cleared again: line drops");
	is_int(rd(&r, IIR), 0x02, "IIR still reports the interrupt");
	rig_fini(&r);
}

static void test_fcr(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, FCR, 0x01);
	is_int(rd(&r, IIR) & 0xc0, 0xc0, "FIFO enabled: IIR bits 7:6 set");
	rx(&r, "hello");
	wr(&r, FCR, 0x03);
	is_int(rd(&r, LSR) & 0x01, 0, "FCR bit 1 empties the RX FIFO");
	is_int(serial_can_receive(r.s), 16, "room for 16 again");
	rx(&r, "abc");
	wr(&r, FCR, 0x05);
	is_int(rd(&r, LSR) & 0x01, 1, "FCR bit 2 leaves RX alone");
	wr(&r, FCR, 0x00);
	is_int(rd(&r, LSR) & 0x01, 0, "leaving FIFO mode empties the FIFO");
	is_int(rd(&r, IIR) & 0xc0, 0x00, "FIFO disabled: IIR bits 7:6 clear");
	wr(&r, FCR, 0xc2);
	is_int(rd(&r, IIR) & 0xc0, 0x00, "FCR bits ignored while bit 0 is 0");
	rig_fini(&r);
}

static void test_backpressure(void)
{
	struct rig r;

	rig_init(&r);
	is_int(serial_can_receive(r.s), 1, "16450 mode: room for one");
	rx(&r, "a");
	is_int(serial_can_receive(r.s), 0, "16450 mode: full after one");
	rd(&r, RBR);
	wr(&r, FCR, 0x01);
	is_int(serial_can_receive(r.s), 16, "FIFO mode: room for 16");
	rx(&r, "0123456789");
	is_int(serial_can_receive(r.s), 6, "10 in: room for 6");
	rx(&r, "abcdef");
	is_int(serial_can_receive(r.s), 0, "16 in: no room");
	rd(&r, RBR);
	is_int(serial_can_receive(r.s), 1, "guest read one: room for 1");
	serial_pause(r.s);
	is_int(serial_can_receive(r.s), 0, "paused: no input taken");
	serial_pause(r.s);
	serial_resume(r.s);
	serial_resume(r.s);
	is_int(serial_can_receive(r.s), 1, "resumed (idempotent)");
	rig_fini(&r);
}

static void test_reset(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, FCR, 0x01);
	wr(&r, MCR, 0x08);
	wr(&r, IER, 0x0f);
	rx(&r, "abc");
	wr(&r, SCR, 0x42);
	is_int(r.irq.level, 1, "interrupt pending before reset");
	serial_reset(r.s);
	is_int(r.irq.level, 0, "reset lowers IRQ");
	is_int(rd(&r, LSR), 0x60, "reset empties the FIFO");
	is_int(rd(&r, IIR), 0x01, "reset: FIFOs off, nothing pending");
	is_int(rd(&r, IER) | rd(&r, MCR) | rd(&r, SCR), 0, "reset clears IER, MCR, SCR");
	rig_fini(&r);
}

static void test_bus(void)
{
	struct rig r;
	struct vmm_bus bus;
	uint8_t b[2] = { 0x11, 0x77 };

	rig_init(&r);
	vmm_bus_init(&bus, "pio", &r.glog);
	is_int(vmm_bus_register(&bus, SERIAL_COM1_BASE, SERIAL_NPORTS, &serial_io_ops, r.s), 0,
	       "registers 0x3f8-0x3ff");
	ok(vmm_bus_write(&bus, 0x3fe, b, 2), "16-bit write to MSR/SCR is split");
	b[0] = b[1] = 0;
	ok(vmm_bus_read(&bus, 0x3ff, b, 1), "read SCR");
	is_int(b[0], 0x77, "SCR got the high byte");
	b[0] = 'B';
	vmm_bus_write(&bus, 0x3f8, b, 1);
	is_int(r.out.len, 1, "THR through the bus");
	vmm_bus_destroy(&bus);
	is_int(rig_fini(&r), 0, "no guest errors");
}

struct writer {
	struct rig *r;
	unsigned id;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	for (unsigned i = 0; i < 1000; i++)
		wr(w->r, THR, (uint8_t)(w->id * 50 + i % 50));
	return NULL;
}

/* Four vCPU-like threads and a slow backend: nothing lost, each thread's bytes in order. */
static void test_tx_threads(void)
{
	struct writer w[4];
	pthread_t t[4];
	unsigned next[4] = { 0 };
	bool in_order = true;
	struct rig r;

	rig_init(&r);
	r.out.delay_every = 7;
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct writer){ &r, i };
		pthread_create(&t[i], NULL, writer_thread, &w[i]);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	is_int(r.out.len, 4000, "all 4000 bytes from 4 threads written");
	for (size_t i = 0; i < r.out.len; i++) {
		unsigned id = r.out.data[i] / 50, seq = r.out.data[i] % 50;

		if (id >= 4 || seq != next[id] % 50)
			in_order = false;
		else
			next[id]++;
	}
	ok(in_order, "each thread's bytes arrive in its order");
	rig_fini(&r);
}

static bool run_until(struct rig *r, bool (*cond)(struct rig *))
{
	for (int i = 0; i < 50 && !cond(r); i++)
		vmm_loop_run_once(r->loop, 20);
	return cond(r);
}

static bool has_data(struct rig *r)
{
	return serial_can_receive(r->s) < 16;
}

static bool is_full(struct rig *r)
{
	return serial_can_receive(r->s) == 0;
}

static bool is_connected(struct rig *r)
{
	return serial_backend_connected(r->be);
}

static bool is_disconnected(struct rig *r)
{
	return !serial_backend_connected(r->be);
}

static int client_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static ssize_t client_recv(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len && poll(&p, 1, 1000) > 0) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void drain(struct rig *r, char *buf, size_t *len)
{
	while (rd(r, LSR) & 0x01)
		buf[(*len)++] = (char)rd(r, RBR);
}

/* Client 1: both directions and backpressure; client 3 waits in the backlog meanwhile. */
static void unix_first_client(struct rig *r, const char *path)
{
	char buf[64] = { 0 };
	size_t n = 0;
	uint64_t t0;
	int c1 = client_connect(path), c3;

	wr(r, FCR, 0x01);
	ok(c1 >= 0, "client connects");
	ok(run_until(r, is_connected), "backend accepts it");
	for (const char *p = "hello"; *p; p++)
		wr(r, THR, (uint8_t)*p);
	ok(client_recv(c1, buf, 5) == 5 && !memcmp(buf, "hello", 5), "guest output reaches client");
	ok(send(c1, "abc", 3, 0) == 3, "client sends abc");
	ok(run_until(r, has_data), "loop feeds it in");
	drain(r, buf, &n);
	ok(n == 3 && !memcmp(buf, "abc", 3), "client bytes reach RBR");

	c3 = client_connect(path);
	ok(c3 >= 0 && send(c3, "q", 1, 0) == 1, "a second client waits in the backlog");

	wr(r, FCR, 0x07);
	send(c1, "ABCDEFGHIJKLMNOPQRST", 20, 0);
	ok(run_until(r, is_full), "20 bytes sent: FIFO fills to 16");
	t0 = vmm_now_ns();
	vmm_loop_run_once(r->loop, 50);
	ok(vmm_now_ns() - t0 >= 40000000ull, "full FIFO: the loop sleeps (no busy event)");
	is_int(serial_can_receive(r->s), 0, "no more taken while full (no loss)");
	n = 0;
	for (int i = 0; i < 4; i++)
		buf[n++] = (char)rd(r, RBR);
	ok(run_until(r, is_full), "guest drained 4: kick brings 4 more");
	drain(r, buf, &n);
	ok(n == 20 && !memcmp(buf, "ABCDEFGHIJKLMNOPQRST", 20), "all 20 bytes, in order");
	is_int(rd(r, LSR) & 0x02, 0, "no overrun through the backend");

	close(c1);
	ok(run_until(r, has_data), "client 1 leaves; waiting client 3 is accepted, its byte read");
	is_int(rd(r, RBR), 'q', "client 3's byte");
	wr(r, THR, '3');
	ok(client_recv(c3, buf, 1) == 1 && buf[0] == '3', "output goes to client 3");
	close(c3);
	ok(run_until(r, is_disconnected), "client 3 leaves");
}

static void test_unix_backend(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_UNIX };
	struct serial_backend *other;
	char path[108], buf[8];
	struct rig r;
	int c;

	snprintf(path, sizeof(path), "/tmp/vessel-test-serial-%d.sock", (int)getpid());
	unlink(path);
	bc.path = path;
	memset(&r, 0, sizeof(r));
	rig_init_with(&r, &bc);
	ok(access(path, F_OK) == 0, "unix backend listens on %s", path);
	bc.loop = r.loop;
	is_int(serial_backend_open(&bc, &other), -EADDRINUSE, "a live socket is not stolen");
	wr(&r, THR, 'x');
	ok(!serial_backend_connected(r.be), "output with no client is dropped");
	unix_first_client(&r, path);

	c = client_connect(path);
	ok(run_until(&r, is_connected), "a later client connects");
	wr(&r, THR, 'y');
	ok(client_recv(c, buf, 1) == 1 && buf[0] == 'y', "and gets output");
	rig_fini(&r);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "socket file removed on close");
	ok(client_recv(c, buf, 1) == 0, "client sees EOF after close");
	close(c);
}

/* The loop on its own thread, the guest polling on this one: the kick path for real. */
static void test_unix_threaded(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_UNIX };
	static char sent[3000], got[3000];
	struct serial_config sc = { 0 };
	size_t n = 0;
	uint64_t deadline;
	char path[108];
	struct rig r;
	int c = -1;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/tmp/vessel-test-serial-t%d.sock", (int)getpid());
	r.loop = vmm_loop_new(false);
	vmm_guest_log_init(&r.glog, stderr, 100);
	bc.path = path;
	bc.loop = r.loop;
	if (serial_backend_open(&bc, &r.be) < 0) {
		ok(0, "threaded: backend");
		return;
	}
	sc = (struct serial_config){ { fake_irq_set, &r.irq, 4 }, &r.glog, r.loop, r.be };
	r.s = serial_new(&sc);
	vmm_loop_start(r.loop);
	wr(&r, FCR, 0x81);	/* FIFO, trigger 8 */
	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = (char)(i * 7 + i / 251);
	c = client_connect(path);
	ok(c >= 0 && send(c, sent, sizeof(sent), 0) == (ssize_t)sizeof(sent),
	   "threaded: client sends 3000 bytes");
	deadline = vmm_now_ns() + 10000000000ull;
	while (n < sizeof(got) && vmm_now_ns() < deadline) {
		if (rd(&r, LSR) & 0x01)
			got[n++] = (char)rd(&r, RBR);
		if (n % 100 == 1)
			wr(&r, THR, '.');	/* output while input flows */
	}
	is_int(n, sizeof(got), "threaded: all bytes arrive through a 16-byte FIFO");
	ok(!memcmp(got, sent, sizeof(sent)), "threaded: in order");
	is_int(rd(&r, LSR) & 0x02, 0, "threaded: never an overrun");
	vmm_loop_stop(r.loop);
	rig_fini(&r);
	close(c);
}

static void test_backend_errors(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_FILE };
	struct vmm_loop *loop = vmm_loop_new(true);
	struct serial_backend *be;
	char path[200];
	int fd;

	bc.path = "/nonexistent-dir/serial.log";
	is_int(serial_backend_open(&bc, &be), -ENOENT, "file in a missing directory: -ENOENT");
	bc.path = NULL;
	is_int(serial_backend_open(&bc, &be), -EINVAL, "file without a path: -EINVAL");

	snprintf(path, sizeof(path), "/tmp/vessel-test-serial-%d.notsock", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	bc = (struct serial_backend_config){ .kind = SERIAL_BACKEND_UNIX, .path = path, .loop = loop };
	is_int(serial_backend_open(&bc, &be), -EEXIST, "unix path that is a regular file: -EEXIST");
	ok(access(path, F_OK) == 0, "and the file is left alone");
	unlink(path);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	is_int(serial_backend_open(&bc, &be), -ENAMETOOLONG, "socket path too long");
	bc.loop = NULL;
	bc.path = "/tmp/x.sock";
	is_int(serial_backend_open(&bc, &be), -EINVAL, "unix without a loop: -EINVAL");
	vmm_loop_free(loop);
}

static void test_file_backend(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_FILE };
	char path[108], buf[32] = { 0 };
	struct rig r;
	int fd;

	snprintf(path, sizeof(path), "/tmp/vessel-test-serial-%d.log", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "old junk", 8) == 8, "file with old contents");
	close(fd);
	bc.path = path;
	memset(&r, 0, sizeof(r));
	rig_init_with(&r, &bc);
	for (const char *p = "boot: ok\n"; *p; p++)
		wr(&r, THR, (uint8_t)*p);
	rig_fini(&r);
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 9 && !strcmp(buf, "boot: ok\n"),
	   "file truncated and holds the guest output");
	close(fd);

	bc.append = true;
	memset(&r, 0, sizeof(r));
	rig_init_with(&r, &bc);
	wr(&r, THR, '+');
	rig_fini(&r);
	fd = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 10 && buf[9] == '+', "append mode appends");
	close(fd);
	unlink(path);
}

/* stdio with fd 0 and fd 1 swapped for pipes (not a TTY: no raw mode). */
static void test_stdio_backend(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_STDIO };
	int in[2], out[2], saved0, saved1;
	char buf[32] = { 0 };
	size_t n = 0;
	ssize_t got;
	struct rig r;

	if (pipe(in) < 0 || pipe(out) < 0) {
		ok(0, "pipes");
		return;
	}
	fflush(stdout);
	saved0 = dup(0);
	saved1 = dup(1);
	dup2(in[0], 0);
	dup2(out[1], 1);
	memset(&r, 0, sizeof(r));
	rig_init_with(&r, &bc);
	for (const char *p = "out"; *p; p++)
		wr(&r, THR, (uint8_t)*p);
	dup2(saved1, 1);	/* TAP output again from here */
	close(saved1);
	got = read(out[0], buf, sizeof(buf));
	ok(got == 3 && !memcmp(buf, "out", 3), "guest output on fd 1");

	wr(&r, FCR, 0x01);
	ok(write(in[1], "0123456789abcdefXYZ", 19) == 19, "19 bytes on stdin");
	ok(run_until(&r, is_full), "FIFO fills from stdin");
	n = 0;
	drain(&r, buf, &n);
	ok(run_until(&r, has_data), "after draining, the rest comes in");
	drain(&r, buf, &n);
	ok(n == 19 && !memcmp(buf, "0123456789abcdefXYZ", 19), "all stdin bytes in order");
	close(in[1]);
	vmm_loop_run_once(r.loop, 20);
	vmm_loop_run_once(r.loop, 20);
	ok(!has_data(&r), "stdin at EOF: input simply stops");
	rig_fini(&r);
	dup2(saved0, 0);
	close(saved0);
	close(in[0]);
	close(out[0]);
	close(out[1]);
}

/* stdin on a pseudo-terminal: raw input but ISIG kept, restored on close. */
static void test_stdio_tty(void)
{
	struct serial_backend_config bc = { .kind = SERIAL_BACKEND_STDIO };
	struct termios before, during, after;
	int master, slave, saved0;
	char buf[8];
	size_t n = 0;
	struct rig r;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		ok(1, "# SKIP no pseudo-terminals");
		return;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || tcgetattr(slave, &before) < 0) {
		ok(1, "# SKIP cannot open the pseudo-terminal");
		close(master);
		return;
	}
	saved0 = dup(0);
	dup2(slave, 0);
	memset(&r, 0, sizeof(r));
	rig_init_with(&r, &bc);
	tcgetattr(slave, &during);
	ok(!(during.c_lflag & (ICANON | ECHO)), "TTY stdin: no line editing, no echo");
	ok(!(during.c_iflag & (ICRNL | IXON)), "TTY stdin: CR passed through, no XON/XOFF");
	ok(during.c_lflag & ISIG, "TTY stdin: ISIG kept, Ctrl+C is still SIGINT");
	wr(&r, FCR, 0x01);
	ok(write(master, "k\r", 2) == 2, "typed k, Enter");
	for (int i = 0; i < 50 && n < 2; i++) {
		vmm_loop_run_once(r.loop, 20);
		drain(&r, buf, &n);
	}
	ok(n == 2 && buf[0] == 'k' && buf[1] == '\r', "bytes as typed, at once (no line buffering)");
	rig_fini(&r);
	tcgetattr(slave, &after);
	ok(after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag,
	   "terminal restored on close");
	dup2(saved0, 0);
	close(saved0);
	close(slave);
	close(master);
}

int main(void)
{
	test_reset_values();
	test_scratch_and_dlab();
	test_tx();
	test_thre_interrupt();
	test_rx_fifo_overrun();
	test_trigger_levels();
	test_char_timeout();
	test_priorities();
	test_loopback();
	test_out2_gating();
	test_fcr();
	test_backpressure();
	test_reset();
	test_bus();
	test_tx_threads();
	test_unix_backend();
	test_unix_threaded();
	test_backend_errors();
	test_file_backend();
	test_stdio_backend();
	test_stdio_tty();
	return tap_done();
}
