// SPDX-License-Identifier: GPL-2.0-or-later
/* 16550A UART (PC16550D): registers, RX FIFO, interrupt priorities, loopback. */
#include "serial.h"

#include "dev-state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

/*
 * Everything here follows the National Semiconductor PC16550D datasheet ("UART with
 * FIFOs", June 1995), section "Registers". Transmission is instant: a THR byte goes to the
 * backend at once, so THR and the transmitter are always empty (LSR THRE and TEMT stay
 * set) and the TX FIFO never holds anything. The receiver is modelled byte by byte.
 *
 * Host bytes arrive intact, so parity, framing and break errors (LSR bits 2-4 and 7) never
 * occur, and LCR's break bit has no effect; overrun (LSR bit 1) does.
 *
 * Character timeout (IIR 0xC): a vmm_timer of four character times at the programmed
 * divisor and frame format, restarted whenever a byte enters or leaves the RX FIFO
 * (datasheet, "FIFO Interrupt Mode Operation"). Without a loop there is no timeout.
 */

/* Register offsets (datasheet Table II, "Summary of Registers"). */
#define UART_RBR	0	/* read, DLAB=0; THR on write */
#define UART_IER	1	/* DLAB=0 */
#define UART_IIR	2	/* read; FCR on write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_ERBFI	0x01	/* received data available, character timeout */
#define IER_ETBEI	0x02	/* transmitter holding register empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */
#define IER_MASK	0x0f	/* bits 4-7 are always 0 */

/*
 * IIR bits 0-3 (datasheet Table IV, "Interrupt Control Functions"), highest priority
 * first: receiver line status, data available / character timeout, THRE, modem status.
 */
#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRE	0x02
#define IIR_RDA		0x04
#define IIR_RLS		0x06
#define IIR_CTI		0x0c
#define IIR_FIFO	0xc0	/* bits 6-7: set while FCR bit 0 is */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_KEEP	0xc9	/* enable, DMA mode, trigger: the bits that stick */

#define LCR_WLEN	0x03
#define LCR_STOP	0x04
#define LCR_PARITY	0x08
#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f	/* bits 5-7 are always 0 */

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_DELTAS	0x0f
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

#define SERIAL_BAUD_BASE	115200	/* 1.8432 MHz crystal / 16 */
#define SERIAL_TXQ_SIZE		64
#define SERIAL_POWERON_DIVISOR	12	/* undefined after power-on; 9600 baud is the usual */

struct serial {
	pthread_mutex_t lock;		/* everything below but out_lock's writer ordering */
	pthread_cond_t txq_space;	/* signalled when the TX queue is popped */
	pthread_mutex_t out_lock;	/* one thread at a time hands the TX queue to the backend */
	struct vmm_irq irq;
	struct vmm_guest_log *glog;
	struct vmm_loop *loop;
	struct vmm_timer *timeout;
	struct serial_backend *be;

	uint8_t ier, lcr, mcr, msr, scr;
	uint8_t fcr;			/* FCR_KEEP bits; 0 in 16450 (non-FIFO) mode */
	uint16_t divisor;
	bool overrun;			/* LSR OE, until LSR is read */
	bool thr_ipending;		/* THRE interrupt, until IIR names it or THR is written */
	bool timeout_ipending;		/* character timeout, until RBR is read */
	bool irq_level;			/* what the line was last driven to */
	bool starved;			/* the backend was told there is no room */
	bool kick;			/* room came back while starved: kick once unlocked */
	bool paused;

	uint8_t rx[SERIAL_FIFO_SIZE];	/* ring; holds at most 1 byte in 16450 mode */
	unsigned rx_head, rx_count;
	uint8_t rbr;			/* last byte read: what an empty RBR returns */

	uint8_t txq[SERIAL_TXQ_SIZE];	/* sent by the guest, not yet given to the backend */
	unsigned txq_head, txq_count;
};

static bool serial_fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned serial_rx_cap(const struct serial *s)
{
	return serial_fifo_on(s) ? SERIAL_FIFO_SIZE : 1;
}

/* FCR bits 7:6 (datasheet, "FIFO Control Register"): RX trigger level 1, 4, 8 or 14 bytes. */
static unsigned serial_trigger(const struct serial *s)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };

	return serial_fifo_on(s) ? levels[s->fcr >> 6] : 1;
}

/* The highest-priority pending, enabled interrupt (datasheet Table IV). */
static uint8_t serial_iir_id(const struct serial *s)
{
	if ((s->ier & IER_ELSI) && s->overrun)
		return IIR_RLS;
	if ((s->ier & IER_ERBFI) && s->rx_count && s->rx_count >= serial_trigger(s))
		return IIR_RDA;
	if ((s->ier & IER_ERBFI) && s->timeout_ipending)
		return IIR_CTI;
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

/*
 * On a PC the INTR pin reaches the PIC only through a buffer enabled by OUT2, and in
 * loopback the OUT pins are forced inactive (datasheet, MCR bit 4), so the line is
 * quiet then even though IIR still reports interrupts.
 */
static void serial_update_irq(struct serial *s)
{
	bool level = serial_iir_id(s) != IIR_NONE && (s->mcr & MCR_OUT2) &&
		     !(s->mcr & MCR_LOOP);

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	vmm_irq_set(&s->irq, level);
}

/* Room for host input; SIN is disconnected in loopback (datasheet, MCR bit 4). */
static size_t serial_room(const struct serial *s)
{
	if (s->paused || (s->mcr & MCR_LOOP))
		return 0;
	return serial_rx_cap(s) - s->rx_count;
}

static void serial_note_room(struct serial *s)
{
	if (s->starved && serial_room(s)) {
		s->starved = false;
		s->kick = true;
	}
}

/* Start bit + 5..8 data bits + parity + 1, 1.5 or 2 stop bits, in half bits (LCR bits 0-3). */
static uint64_t serial_char_ns(const struct serial *s)
{
	unsigned wlen = 5 + (s->lcr & LCR_WLEN);
	unsigned half_bits = 2 * (1 + wlen + !!(s->lcr & LCR_PARITY));
	uint64_t divisor = s->divisor ? s->divisor : 1;

	if (!(s->lcr & LCR_STOP))
		half_bits += 2;
	else
		half_bits += wlen == 5 ? 3 : 4;
	return half_bits * divisor * 1000000000ull / (2 * SERIAL_BAUD_BASE);
}

static void serial_timeout_restart(struct serial *s)
{
	if (!s->timeout)
		return;
	if (serial_fifo_on(s) && s->rx_count && !s->paused)
		vmm_timer_mod(s->timeout, vmm_loop_now(s->loop) + 4 * serial_char_ns(s));
	else
		vmm_timer_del(s->timeout);
}

static void serial_timeout_fired(void *opaque)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	/* A byte that moved while we waited for the lock re-armed the timer: not yet. */
	if (!s->paused && serial_fifo_on(s) && s->rx_count && !vmm_timer_pending(s->timeout)) {
		s->timeout_ipending = true;
		serial_update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void serial_rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
	s->timeout_ipending = false;
	serial_timeout_restart(s);
	serial_note_room(s);
}

/*
 * A byte finished in the receiver shift register. With the FIFO full it is lost; in 16450
 * mode it overwrites the unread RBR. Either way that is an overrun (LSR bit 1).
 */
static void serial_rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count >= serial_rx_cap(s)) {
		s->overrun = true;
		if (!serial_fifo_on(s))
			s->rx[s->rx_head] = byte;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = byte;
	s->rx_count++;
}

static uint8_t serial_read_rbr(struct serial *s)
{
	if (s->rx_count) {
		s->rbr = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
		s->rx_count--;
	}
	s->timeout_ipending = false;
	serial_timeout_restart(s);
	serial_note_room(s);
	return s->rbr;
}

static uint8_t serial_read_iir(struct serial *s)
{
	uint8_t id = serial_iir_id(s);

	/* Reading IIR clears a THRE interrupt only when THRE is the source it reports. */
	if (id == IIR_THRE)
		s->thr_ipending = false;
	return id | (serial_fifo_on(s) ? IIR_FIFO : 0);
}

static uint8_t serial_read_lsr(struct serial *s)
{
	uint8_t v = LSR_THRE | LSR_TEMT;

	if (s->rx_count)
		v |= LSR_DR;
	if (s->overrun)
		v |= LSR_OE;
	s->overrun = false;	/* OE clears on read, and with it the RLS interrupt */
	return v;
}

static uint8_t serial_reg_read(struct serial *s, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->divisor & 0xff;
		return serial_read_rbr(s);
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			return s->divisor >> 8;
		return s->ier;
	case UART_IIR:
		return serial_read_iir(s);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return serial_read_lsr(s);
	case UART_MSR:
		v = s->msr;
		s->msr &= ~MSR_DELTAS;
		return v;
	default:
		return s->scr;
	}
}

/* Modem inputs: a host end that is always ready (CTS, DSR, DCD), or MCR in loopback. */
static uint8_t serial_modem_inputs(uint8_t mcr)
{
	uint8_t in = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	/* Loopback wiring (datasheet, MCR bit 4): DTR-DSR, RTS-CTS, OUT1-RI, OUT2-DCD. */
	if (mcr & MCR_DTR)
		in |= MSR_DSR;
	if (mcr & MCR_RTS)
		in |= MSR_CTS;
	if (mcr & MCR_OUT1)
		in |= MSR_RI;
	if (mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

/* MSR bits 0-3 record changes of bits 4-7; TERI only the trailing edge of RI (MSR). */
static void serial_update_msr(struct serial *s)
{
	uint8_t old = s->msr, now = serial_modem_inputs(s->mcr);
	uint8_t changed = old ^ now, delta = 0;

	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	s->msr = now | (old & MSR_DELTAS) | delta;
}

static void serial_txq_push(struct serial *s, uint8_t byte)
{
	/* Full only while another thread is blocked writing to the backend: wait for it. */
	while (s->txq_count == SERIAL_TXQ_SIZE)
		pthread_cond_wait(&s->txq_space, &s->lock);
	s->txq[(s->txq_head + s->txq_count) % SERIAL_TXQ_SIZE] = byte;
	s->txq_count++;
}

static void serial_write_thr(struct serial *s, uint8_t byte)
{
	/* Writing THR clears the THRE interrupt (Table IV)... */
	s->thr_ipending = false;
	serial_update_irq(s);
	if (s->mcr & MCR_LOOP) {
		serial_rx_push(s, byte);
		serial_timeout_restart(s);
	} else {
		serial_txq_push(s, byte);
	}
	/* ...and the byte leaves THR at once, so THR is empty and THRE interrupts again. */
	if (s->ier & IER_ETBEI)
		s->thr_ipending = true;
}

static void serial_write_ier(struct serial *s, uint8_t v)
{
	uint8_t old = s->ier;

	s->ier = v & IER_MASK;
	/* Enabling ETBEI with THR empty (always, here) raises a THRE interrupt. */
	if (!(s->ier & IER_ETBEI))
		s->thr_ipending = false;
	else if (!(old & IER_ETBEI))
		s->thr_ipending = true;
}

/* FCR (datasheet, "FIFO Control Register"): bit 0 gates the rest; toggling it empties
 * both FIFOs. */
static void serial_write_fcr(struct serial *s, uint8_t v)
{
	bool enable = v & FCR_ENABLE;

	if (enable != serial_fifo_on(s)) {
		s->fcr = enable ? FCR_ENABLE : 0;
		serial_rx_clear(s);
	}
	if (!enable)
		return;
	s->fcr = v & FCR_KEEP;
	if (v & FCR_CLEAR_RX)
		serial_rx_clear(s);
	/* Bit 2 clears the TX FIFO, which is always empty here; bit 3 (DMA mode) changes
	 * only the RXRDY/TXRDY pins, which a PC does not wire. */
}

static void serial_write_mcr(struct serial *s, uint8_t v)
{
	s->mcr = v & MCR_MASK;
	serial_update_msr(s);
	serial_note_room(s);	/* leaving loopback reconnects SIN */
}

static void serial_reg_write(struct serial *s, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			s->divisor = (s->divisor & 0xff00) | v;
		else
			serial_write_thr(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			s->divisor = (s->divisor & 0x00ff) | (uint16_t)(v << 8);
		else
			serial_write_ier(s, v);
		break;
	case UART_IIR:
		serial_write_fcr(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		serial_write_mcr(s, v);
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		/* LSR and MSR: writes are for factory test only (datasheet, "Line Status Register"); ignored. */
		break;
	}
}

/* Hand queued TX bytes to the backend, in order, without the device lock held. */
static void serial_flush_tx(struct serial *s)
{
	uint8_t buf[SERIAL_TXQ_SIZE];
	size_t n;

	pthread_mutex_lock(&s->out_lock);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		for (n = 0; s->txq_count; n++) {
			buf[n] = s->txq[s->txq_head];
			s->txq_head = (s->txq_head + 1) % SERIAL_TXQ_SIZE;
			s->txq_count--;
		}
		if (n)
			pthread_cond_broadcast(&s->txq_space);
		pthread_mutex_unlock(&s->lock);
		if (!n)
			break;
		serial_backend_write(s->be, buf, n);
	}
	pthread_mutex_unlock(&s->out_lock);
}

/* Called with the lock held: whether the backend needs a kick once it is dropped. */
static bool serial_take_kick(struct serial *s)
{
	bool kick = s->kick;

	s->kick = false;
	return kick && s->be;
}

static bool serial_bad_access(struct serial *s, const char *dir, uint64_t offset, unsigned size)
{
	if (offset < SERIAL_NPORTS && size == 1)
		return false;
	/* The bus honours min/max_size = 1 and the 8-port range; this cannot happen. */
	if (s->glog)
		vmm_guest_error(s->glog, "serial: %s of %u bytes at offset %#llx", dir, size,
				(unsigned long long)offset);
	return true;
}

static uint64_t serial_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct serial *s = opaque;
	uint8_t v;
	bool kick;

	if (serial_bad_access(s, "read", offset, size))
		return 0xff;
	pthread_mutex_lock(&s->lock);
	v = serial_reg_read(s, (unsigned)offset);
	serial_update_irq(s);
	kick = serial_take_kick(s);
	pthread_mutex_unlock(&s->lock);
	if (kick)
		serial_backend_kick(s->be);
	return v;
}

static void serial_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct serial *s = opaque;
	bool kick, flush;

	if (serial_bad_access(s, "write", offset, size))
		return;
	pthread_mutex_lock(&s->lock);
	serial_reg_write(s, (unsigned)offset, (uint8_t)value);
	serial_update_irq(s);
	flush = s->txq_count > 0;
	kick = serial_take_kick(s);
	pthread_mutex_unlock(&s->lock);
	if (flush)
		serial_flush_tx(s);
	if (kick)
		serial_backend_kick(s->be);
}

/*
 * Locking: read/write run on vCPU threads and take the device mutex; the TX bytes are
 * written to the backend after it is dropped, under out_lock, which keeps their order.
 */
const struct vmm_io_ops serial_io_ops = {
	.name = "serial",
	.read = serial_io_read,
	.write = serial_io_write,
	.min_size = 1,
	.max_size = 1,
};

size_t serial_can_receive(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = serial_room(s);
	if (!room)
		s->starved = true;
	pthread_mutex_unlock(&s->lock);
	return room;
}

void serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	/* In loopback SIN is disconnected: whatever the host sends is lost on the wire. */
	if (!(s->mcr & MCR_LOOP)) {
		for (size_t i = 0; i < len; i++)
			serial_rx_push(s, buf[i]);
		if (len)
			serial_timeout_restart(s);
		serial_update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static size_t serial_sink_room(void *opaque)
{
	return serial_can_receive(opaque);
}

static void serial_sink_push(void *opaque, const uint8_t *buf, size_t len)
{
	serial_receive(opaque, buf, len);
}

/* Power-on values (datasheet Table III "UART Reset Configuration"). */
static void serial_reset_locked(struct serial *s)
{
	s->ier = 0;
	s->lcr = 0;
	s->mcr = 0;
	s->fcr = 0;
	s->scr = 0;
	s->divisor = SERIAL_POWERON_DIVISOR;
	s->overrun = false;
	s->thr_ipending = false;
	s->rbr = 0;
	s->msr = serial_modem_inputs(0);
	serial_rx_clear(s);
	serial_update_irq(s);
}

void serial_reset(struct serial *s)
{
	bool kick;

	pthread_mutex_lock(&s->lock);
	serial_reset_locked(s);
	kick = serial_take_kick(s);
	pthread_mutex_unlock(&s->lock);
	if (kick)
		serial_backend_kick(s->be);
}

void serial_pause(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	s->paused = true;
	serial_timeout_restart(s);	/* stops it */
	pthread_mutex_unlock(&s->lock);
}

void serial_resume(struct serial *s)
{
	bool kick;

	pthread_mutex_lock(&s->lock);
	s->paused = false;
	if (!s->timeout_ipending)
		serial_timeout_restart(s);
	serial_note_room(s);
	kick = serial_take_kick(s);
	pthread_mutex_unlock(&s->lock);
	if (kick)
		serial_backend_kick(s->be);
}

/*
 * Saved state (issue 9): the registers, the RX FIFO in order and the pending-interrupt
 * latches. The TX queue is empty whenever vCPUs are parked (each THR write flushes it), the
 * backend is host-side, and the character timeout is re-armed from scratch on load: it is
 * stopped while paused and resume restarts it with a full four-character wait anyway.
 */
struct serial_state {
	uint32_t version;
	uint8_t ier, lcr, mcr, msr_deltas, scr, fcr, rbr, flags;
	uint16_t divisor;
	uint8_t rx_count;
	uint8_t pad;
	uint8_t rx[SERIAL_FIFO_SIZE];
};

#define SERIAL_STATE_VERSION	1
_Static_assert(sizeof(struct serial_state) == 32, "no padding in the saved state");
#define SERIAL_ST_OVERRUN	0x01
#define SERIAL_ST_THR_PENDING	0x02
#define SERIAL_ST_CTI_PENDING	0x04

int serial_save(struct serial *s, void **blob, size_t *len)
{
	struct serial_state st;

	memset(&st, 0, sizeof(st));
	st.version = SERIAL_STATE_VERSION;
	pthread_mutex_lock(&s->lock);
	st.ier = s->ier;
	st.lcr = s->lcr;
	st.mcr = s->mcr;
	st.msr_deltas = s->msr & MSR_DELTAS;
	st.scr = s->scr;
	st.fcr = s->fcr;
	st.rbr = s->rbr;
	st.flags = (s->overrun ? SERIAL_ST_OVERRUN : 0) |
		   (s->thr_ipending ? SERIAL_ST_THR_PENDING : 0) |
		   (s->timeout_ipending ? SERIAL_ST_CTI_PENDING : 0);
	st.divisor = s->divisor;
	st.rx_count = (uint8_t)s->rx_count;
	for (unsigned i = 0; i < s->rx_count; i++)
		st.rx[i] = s->rx[(s->rx_head + i) % SERIAL_FIFO_SIZE];
	pthread_mutex_unlock(&s->lock);
	return dev_state_emit(&st, sizeof(st), blob, len);
}

static int serial_state_check(const struct serial_state *st)
{
	unsigned cap = (st->fcr & FCR_ENABLE) ? SERIAL_FIFO_SIZE : 1;

	if (st->ier & ~IER_MASK)
		return dev_state_bad("serial", "ier", "has reserved bits set");
	if (st->mcr & ~MCR_MASK)
		return dev_state_bad("serial", "mcr", "has reserved bits set");
	if (st->msr_deltas & ~MSR_DELTAS)
		return dev_state_bad("serial", "msr_deltas", "has non-delta bits set");
	/* FCR_KEEP bits only stick while the FIFO is enabled (serial_write_fcr). */
	if ((st->fcr & ~FCR_KEEP) || (st->fcr && !(st->fcr & FCR_ENABLE)))
		return dev_state_bad("serial", "fcr", "is not a value FCR writes leave");
	if (st->flags & ~(SERIAL_ST_OVERRUN | SERIAL_ST_THR_PENDING | SERIAL_ST_CTI_PENDING))
		return dev_state_bad("serial", "flags", "has unknown bits set");
	if (st->rx_count > cap)
		return dev_state_bad("serial", "rx_count", "exceeds the receive FIFO");
	return 0;
}

int serial_load(struct serial *s, const void *blob, size_t len)
{
	struct serial_state st;
	int ret = dev_state_open("serial", blob, len, &st, sizeof(st), false,
				 SERIAL_STATE_VERSION);

	if (!ret)
		ret = serial_state_check(&st);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	s->ier = st.ier;
	s->lcr = st.lcr;
	s->mcr = st.mcr;
	s->msr = serial_modem_inputs(st.mcr) | st.msr_deltas;
	s->scr = st.scr;
	s->fcr = st.fcr;
	s->rbr = st.rbr;
	s->overrun = st.flags & SERIAL_ST_OVERRUN;
	s->thr_ipending = st.flags & SERIAL_ST_THR_PENDING;
	s->timeout_ipending = st.flags & SERIAL_ST_CTI_PENDING;
	s->divisor = st.divisor;
	s->rx_head = 0;
	s->rx_count = st.rx_count;
	memcpy(s->rx, st.rx, sizeof(s->rx));
	if (!s->timeout_ipending)
		serial_timeout_restart(s);
	serial_update_irq(s);	/* raises the line if a loaded interrupt is pending */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

struct serial *serial_new(const struct serial_config *cfg)
{
	struct serial *s = calloc(1, sizeof(*s));
	struct serial_sink sink;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->out_lock, NULL);
	pthread_cond_init(&s->txq_space, NULL);
	s->irq = cfg->irq;
	s->glog = cfg->glog;
	s->loop = cfg->loop;
	if (s->loop) {
		s->timeout = vmm_timer_new(s->loop, serial_timeout_fired, s);
		if (!s->timeout)
			goto out_free;
	}
	pthread_mutex_lock(&s->lock);
	serial_reset_locked(s);
	pthread_mutex_unlock(&s->lock);
	if (cfg->backend) {
		sink = (struct serial_sink){ serial_sink_room, serial_sink_push, s };
		if (serial_backend_attach(cfg->backend, &sink) < 0)
			goto out_free;
		s->be = cfg->backend;
	}
	return s;
out_free:
	vmm_timer_free(s->timeout);
	pthread_cond_destroy(&s->txq_space);
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

void serial_free(struct serial *s)
{
	if (!s)
		return;
	serial_backend_close(s->be);	/* first: no more input callbacks into s */
	vmm_timer_free(s->timeout);
	pthread_cond_destroy(&s->txq_space);
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
