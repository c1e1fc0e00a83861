// SPDX-License-Identifier: GPL-2.0-or-later
/* The i8042 keyboard controller: output buffer, command byte, translation, IRQs, reset. */
#include "i8042.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev-state.h"
#include "vm.h"

/*
 * Reference: IBM PS/2 Hardware Interface Technical Reference, "Keyboard and Auxiliary
 * Device Controller" (status register, command byte, controller commands, output port).
 * Writes complete at once, so IBF is never seen set; timeout and parity never occur.
 */

/* Controller commands, written to port 0x64. */
enum {
	CTL_READ_RAM = 0x20,		/* 0x20-0x3f: RAM byte n (0x20: command byte) */
	CTL_WRITE_RAM = 0x60,		/* 0x60-0x7f: next data byte to RAM byte n */
	CTL_PASSWORD_TEST = 0xa4,
	CTL_AUX_DISABLE = 0xa7,
	CTL_AUX_ENABLE = 0xa8,
	CTL_AUX_TEST = 0xa9,
	CTL_SELF_TEST = 0xaa,
	CTL_KBD_TEST = 0xab,
	CTL_KBD_DISABLE = 0xad,
	CTL_KBD_ENABLE = 0xae,
	CTL_READ_INPUT = 0xc0,
	CTL_READ_OUTPUT = 0xd0,
	CTL_WRITE_OUTPUT = 0xd1,
	CTL_WRITE_KBD_OBUF = 0xd2,	/* next data byte appears as if from the keyboard */
	CTL_WRITE_AUX_OBUF = 0xd3,	/* ... as if from the aux device */
	CTL_WRITE_AUX = 0xd4,		/* next data byte goes to the aux device */
	CTL_A20_OFF = 0xdd,
	CTL_A20_ON = 0xdf,
	CTL_READ_TEST = 0xe0,
	CTL_PULSE = 0xf0,		/* 0xf0-0xff: pulse output port bits 0-3 given as 0 */
};

#define I8042_RAM_SIZE		32
/* Power-on command byte: both IRQs, translation on (what PC firmware leaves set). */
#define I8042_CMD_DEFAULT	(I8042_CMD_KBD_INT | I8042_CMD_AUX_INT | I8042_CMD_XLATE)
/* Input port: keyboard not inhibited, no manufacturing jumper, colour display. */
#define I8042_INPUT_PORT	0xa0
#define I8042_PASSWORD_NONE	0xf1
#define I8042_SELF_TEST_OK	0x55

enum i8042_src { SRC_CTRL, SRC_KBD, SRC_AUX };

/* The opaque of one registered port. */
struct i8042_port {
	struct i8042 *dev;
	uint16_t port;
};

struct i8042 {
	pthread_mutex_t lock;
	struct i8042_config cfg;
	struct ps2_kbd *kbd;
	struct ps2_mouse *mouse;
	struct i8042_port ports[2];
	struct vmm_bus *bus;		/* where the ports are registered; NULL: nowhere */
	struct i8042 **slot;		/* vm->i8042, cleared on free */

	uint8_t ram[I8042_RAM_SIZE];	/* byte 0 is the command byte */
	uint8_t outport;
	uint8_t pending;		/* command waiting for its data byte; 0: none */
	bool a2;			/* last write was to the command port */
	bool obf;
	uint8_t outbuf;
	uint8_t out_src;		/* enum i8042_src */
	bool out_dev;			/* outbuf came from a device queue */
	bool held;			/* a device byte displaced by a controller reply */
	uint8_t held_byte, held_src;
	bool xlate_break;		/* translation saw 0xf0: set bit 7 of the next code */
	bool reset_req;			/* pulse the reset line once the lock is dropped */
	int level_kbd, level_aux;	/* IRQ lines as last set; -1: unknown */
};

/* ---- Output buffer and interrupts ---- */

static void i8042_set_line(const struct vmm_irq *irq, int *cur, int level)
{
	if (*cur == level)
		return;
	*cur = level;
	vmm_irq_set(irq, level);
}

/* IRQ 1 or 12 follows a full output buffer from that side, gated by the command byte. */
static void i8042_sync_irqs(struct i8042 *s)
{
	bool aux = s->out_src == SRC_AUX;

	i8042_set_line(&s->cfg.irq_kbd, &s->level_kbd,
		       s->obf && !aux && (s->ram[0] & I8042_CMD_KBD_INT));
	i8042_set_line(&s->cfg.irq_aux, &s->level_aux,
		       s->obf && aux && (s->ram[0] & I8042_CMD_AUX_INT));
}

static void i8042_put(struct i8042 *s, uint8_t byte, uint8_t src, bool from_dev)
{
	s->outbuf = byte;
	s->out_src = src;
	s->out_dev = from_dev;
	s->obf = true;
}

/*
 * A controller reply or loopback byte takes the output buffer at once, as on the chip;
 * an unread device byte there is held and delivered next rather than lost.
 */
static void i8042_output(struct i8042 *s, uint8_t byte, uint8_t src)
{
	if (s->obf && s->out_dev && !s->held) {
		s->held = true;
		s->held_byte = s->outbuf;
		s->held_src = s->out_src;
	}
	i8042_put(s, byte, src, false);
}

/* The next keyboard byte as the host sees it: with translation, set 2 becomes set 1. */
static bool i8042_kbd_byte(struct i8042 *s, uint8_t *out)
{
	uint8_t b;

	while (ps2_kbd_read(s->kbd, &b)) {
		if (!(s->ram[0] & I8042_CMD_XLATE)) {
			*out = b;
			return true;
		}
		if (b == 0xf0) {
			s->xlate_break = true;
			continue;
		}
		*out = ps2_translate_set2(b) | (s->xlate_break ? 0x80 : 0);
		s->xlate_break = false;
		return true;
	}
	return false;
}

/* An empty output buffer takes the held byte, else the keyboard's, else the mouse's. */
static void i8042_fill(struct i8042 *s)
{
	uint8_t b;

	if (s->held) {
		s->held = false;
		i8042_put(s, s->held_byte, s->held_src, true);
	} else if (!(s->ram[0] & I8042_CMD_KBD_DISABLE) && i8042_kbd_byte(s, &b)) {
		i8042_put(s, b, SRC_KBD, true);
	} else if (!(s->ram[0] & I8042_CMD_AUX_DISABLE) && ps2_mouse_read(s->mouse, &b)) {
		i8042_put(s, b, SRC_AUX, true);
	}
}

static void i8042_update(struct i8042 *s)
{
	if (!s->obf)
		i8042_fill(s);
	i8042_sync_irqs(s);
}

/* ps2 notify hook: host input queued bytes. Called with s->lock held. */
static void i8042_notify(void *opaque)
{
	i8042_update(opaque);
}

/* ---- Guest accesses ---- */

static uint8_t i8042_status(const struct i8042 *s)
{
	uint8_t st = I8042_STS_INH;

	if (s->obf)
		st |= I8042_STS_OBF;
	if (s->obf && s->out_src == SRC_AUX)
		st |= I8042_STS_AUX_OBF;
	if (s->ram[0] & I8042_CMD_SYS)
		st |= I8042_STS_SYS;
	if (s->a2)
		st |= I8042_STS_A2;
	return st;
}

/* An empty buffer reads as its last byte, as the chip's latch does. */
static uint8_t i8042_read_data(struct i8042 *s)
{
	uint8_t v = s->outbuf;

	if (s->obf) {
		s->obf = false;
		i8042_sync_irqs(s);	/* lower first, so the next byte is a fresh edge */
	}
	i8042_update(s);
	return v;
}

static uint8_t i8042_output_port(const struct i8042 *s)
{
	uint8_t v = s->outport & ~0x30;

	if (s->obf && s->out_src != SRC_AUX)
		v |= 0x10;	/* bit 4: output buffer full (IRQ 1) */
	if (s->obf && s->out_src == SRC_AUX)
		v |= 0x20;	/* bit 5: aux output buffer full (IRQ 12) */
	return v;
}

static void i8042_write_outport(struct i8042 *s, uint8_t v)
{
	s->outport = v;
	if (!(v & I8042_OUT_RESET))
		s->reset_req = true;
}

static void i8042_write_data(struct i8042 *s, uint8_t v)
{
	uint8_t cmd = s->pending;

	s->a2 = false;
	s->pending = 0;
	if (cmd >= CTL_WRITE_RAM && cmd < CTL_WRITE_RAM + I8042_RAM_SIZE) {
		s->ram[cmd - CTL_WRITE_RAM] = v;
		return;
	}
	switch (cmd) {
	case CTL_WRITE_OUTPUT:
		i8042_write_outport(s, v);
		break;
	case CTL_WRITE_KBD_OBUF:
		i8042_output(s, v, SRC_KBD);
		break;
	case CTL_WRITE_AUX_OBUF:
		i8042_output(s, v, SRC_AUX);
		break;
	case CTL_WRITE_AUX:
		/* Talking to a device enables its interface, as common 8042s do. */
		s->ram[0] &= ~I8042_CMD_AUX_DISABLE;
		ps2_mouse_write(s->mouse, v);
		break;
	default:
		s->ram[0] &= ~I8042_CMD_KBD_DISABLE;
		ps2_kbd_write(s->kbd, v);
		break;
	}
}

/* Commands with a one-byte answer in the output buffer. */
static bool i8042_command_reply(struct i8042 *s, uint8_t cmd)
{
	uint8_t v;

	switch (cmd) {
	case CTL_PASSWORD_TEST:
		v = I8042_PASSWORD_NONE;
		break;
	case CTL_AUX_TEST:
	case CTL_KBD_TEST:
		v = 0x00;	/* no clock or data line stuck */
		break;
	case CTL_SELF_TEST:
		s->ram[0] |= I8042_CMD_SYS;
		v = I8042_SELF_TEST_OK;
		break;
	case CTL_READ_INPUT:
		v = I8042_INPUT_PORT;
		break;
	case CTL_READ_OUTPUT:
		v = i8042_output_port(s);
		break;
	case CTL_READ_TEST:
		/* T0 = keyboard clock (held low while disabled), T1 = keyboard data (idle high) */
		v = (s->ram[0] & I8042_CMD_KBD_DISABLE ? 0 : 0x01) | 0x02;
		break;
	default:
		return false;
	}
	i8042_output(s, v, SRC_CTRL);
	return true;
}

static void i8042_command(struct i8042 *s, uint8_t cmd)
{
	s->a2 = true;
	s->pending = 0;
	if (cmd >= CTL_READ_RAM && cmd < CTL_READ_RAM + I8042_RAM_SIZE) {
		i8042_output(s, s->ram[cmd - CTL_READ_RAM], SRC_CTRL);
		return;
	}
	if ((cmd >= CTL_WRITE_RAM && cmd < CTL_WRITE_RAM + I8042_RAM_SIZE) ||
	    (cmd >= CTL_WRITE_OUTPUT && cmd <= CTL_WRITE_AUX)) {
		s->pending = cmd;
		return;
	}
	if (cmd >= CTL_PULSE) {
		/* Of the four pulsable lines only bit 0, reset, is wired to anything. */
		if (!(cmd & I8042_OUT_RESET))
			s->reset_req = true;
		return;
	}
	if (i8042_command_reply(s, cmd))
		return;
	switch (cmd) {
	case CTL_AUX_DISABLE:
		s->ram[0] |= I8042_CMD_AUX_DISABLE;
		break;
	case CTL_AUX_ENABLE:
		s->ram[0] &= ~I8042_CMD_AUX_DISABLE;
		break;
	case CTL_KBD_DISABLE:
		s->ram[0] |= I8042_CMD_KBD_DISABLE;
		break;
	case CTL_KBD_ENABLE:
		s->ram[0] &= ~I8042_CMD_KBD_DISABLE;
		break;
	case CTL_A20_OFF:
		s->outport &= ~I8042_OUT_A20;
		break;
	case CTL_A20_ON:
		s->outport |= I8042_OUT_A20;
		break;
	default:
		if (s->cfg.log)
			vmm_guest_error(s->cfg.log, "i8042: unknown controller command %#x", cmd);
	}
}

static uint64_t i8042_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct i8042_port *p = opaque;
	struct i8042 *s = p->dev;
	uint8_t v;

	pthread_mutex_lock(&s->lock);
	v = p->port == I8042_DATA_PORT ? i8042_read_data(s) : i8042_status(s);
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void i8042_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct i8042_port *p = opaque;
	struct i8042 *s = p->dev;
	bool reset;

	pthread_mutex_lock(&s->lock);
	if (p->port == I8042_DATA_PORT)
		i8042_write_data(s, (uint8_t)value);
	else
		i8042_command(s, (uint8_t)value);
	i8042_update(s);
	reset = s->reset_req;
	s->reset_req = false;
	pthread_mutex_unlock(&s->lock);

	/* Callbacks run unlocked: they may take locks of their own (vm->lock, SPICE's). */
	if (p->port == I8042_DATA_PORT)
		ps2_kbd_flush_leds(s->kbd);
	if (reset && s->cfg.reset)
		s->cfg.reset(s->cfg.reset_opaque);
}

/* Locking: called on vCPU threads; takes the controller mutex (see i8042.h). */
const struct vmm_io_ops i8042_io_ops = {
	.name = "i8042",
	.read = i8042_io_read,
	.write = i8042_io_write,
	.min_size = 1,
	.max_size = 1,
};

/* ---- Life cycle ---- */

static void i8042_power_on(struct i8042 *s)
{
	memset(s->ram, 0, sizeof(s->ram));
	s->ram[0] = I8042_CMD_DEFAULT;
	s->outport = I8042_OUT_RESET | I8042_OUT_A20;
	s->pending = 0;
	s->a2 = false;
	s->obf = false;
	s->outbuf = 0;
	s->out_src = SRC_CTRL;
	s->held = false;
	s->xlate_break = false;
	s->reset_req = false;
	ps2_kbd_reset(s->kbd);
	ps2_mouse_reset(s->mouse);
}

struct i8042 *i8042_new(const struct i8042_config *cfg)
{
	struct ps2_port_config pc;
	struct i8042 *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	pthread_mutex_init(&s->lock, NULL);
	pc = (struct ps2_port_config){ .lock = &s->lock, .notify = i8042_notify, .opaque = s };
	s->kbd = ps2_kbd_new(&pc);
	s->mouse = ps2_mouse_new(&pc);
	if (!s->kbd || !s->mouse)
		goto out_free;
	s->ports[0] = (struct i8042_port){ s, I8042_DATA_PORT };
	s->ports[1] = (struct i8042_port){ s, I8042_CMD_PORT };
	i8042_power_on(s);	/* lines start low: nothing is raised yet */
	return s;
out_free:
	ps2_kbd_free(s->kbd);
	ps2_mouse_free(s->mouse);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

void i8042_reset(struct i8042 *s)
{
	pthread_mutex_lock(&s->lock);
	i8042_power_on(s);
	s->level_kbd = s->level_aux = -1;	/* force both lines low */
	i8042_sync_irqs(s);
	pthread_mutex_unlock(&s->lock);
	ps2_kbd_flush_leds(s->kbd);
}

void *i8042_io_opaque(struct i8042 *s, uint16_t port)
{
	if (port == I8042_DATA_PORT)
		return &s->ports[0];
	if (port == I8042_CMD_PORT)
		return &s->ports[1];
	return NULL;
}

int i8042_register(struct i8042 *s, struct vmm_bus *bus)
{
	int err;

	if (s->bus)
		return -EBUSY;
	err = vmm_bus_register(bus, I8042_DATA_PORT, 1, &i8042_io_ops, &s->ports[0]);
	if (err)
		return err;
	err = vmm_bus_register(bus, I8042_CMD_PORT, 1, &i8042_io_ops, &s->ports[1]);
	if (err) {
		vmm_bus_unregister(bus, I8042_DATA_PORT, &s->ports[0]);
		return err;
	}
	s->bus = bus;
	return 0;
}

void i8042_free(struct i8042 *s)
{
	if (!s)
		return;
	if (s->bus) {
		vmm_bus_unregister(s->bus, I8042_DATA_PORT, &s->ports[0]);
		vmm_bus_unregister(s->bus, I8042_CMD_PORT, &s->ports[1]);
	}
	if (s->slot && *s->slot == s)
		*s->slot = NULL;
	ps2_kbd_free(s->kbd);
	ps2_mouse_free(s->mouse);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct ps2_kbd *i8042_kbd(struct i8042 *s)
{
	return s->kbd;
}

struct ps2_mouse *i8042_mouse(struct i8042 *s)
{
	return s->mouse;
}

bool i8042_a20(struct i8042 *s)
{
	bool on;

	pthread_mutex_lock(&s->lock);
	on = s->outport & I8042_OUT_A20;
	pthread_mutex_unlock(&s->lock);
	return on;
}

/* ---- Snapshot state (issue 9) ---- */

/*
 * The controller, then both PS/2 devices behind it, in one blob: they share one lock and
 * one output buffer, so they are saved and restored as a unit. reset_req is not saved: it
 * only lives between a write and the end of that access.
 */
struct i8042_state {
	uint32_t version;
	uint8_t ram[I8042_RAM_SIZE];
	uint8_t outport, pending, a2, obf, outbuf, out_src, out_dev, held;
	uint8_t held_byte, held_src, xlate_break, pad;
	struct ps2_kbd_state kbd;
	struct ps2_mouse_state mouse;
};

_Static_assert(sizeof(struct i8042_state) == 4 + I8042_RAM_SIZE + 12 +
	       sizeof(struct ps2_kbd_state) + sizeof(struct ps2_mouse_state),
	       "no padding in the saved state");

#define I8042_STATE_VERSION	1

int i8042_save(struct i8042 *s, void **blob, size_t *len)
{
	struct i8042_state st;

	memset(&st, 0, sizeof(st));
	st.version = I8042_STATE_VERSION;
	pthread_mutex_lock(&s->lock);
	memcpy(st.ram, s->ram, sizeof(st.ram));
	st.outport = s->outport;
	st.pending = s->pending;
	st.a2 = s->a2;
	st.obf = s->obf;
	st.outbuf = s->outbuf;
	st.out_src = s->out_src;
	st.out_dev = s->out_dev;
	st.held = s->held;
	st.held_byte = s->held_byte;
	st.held_src = s->held_src;
	st.xlate_break = s->xlate_break;
	ps2_kbd_save(s->kbd, &st.kbd);
	ps2_mouse_save(s->mouse, &st.mouse);
	pthread_mutex_unlock(&s->lock);
	return dev_state_emit(&st, sizeof(st), blob, len);
}

/* A command waits for a data byte only if it is a RAM write or 0xd1-0xd4. */
static bool i8042_pending_ok(uint8_t cmd)
{
	return !cmd || (cmd >= CTL_WRITE_RAM && cmd < CTL_WRITE_RAM + I8042_RAM_SIZE) ||
	       (cmd >= CTL_WRITE_OUTPUT && cmd <= CTL_WRITE_AUX);
}

static int i8042_state_check(const struct i8042_state *st)
{
	if (!i8042_pending_ok(st->pending))
		return dev_state_bad("i8042", "pending", "is not a command awaiting data");
	if ((st->a2 | st->obf | st->out_dev | st->held | st->xlate_break) > 1)
		return dev_state_bad("i8042", "flags", "are not booleans");
	if (st->out_src > SRC_AUX || st->held_src > SRC_AUX)
		return dev_state_bad("i8042", "out_src/held_src", "is not a known source");
	/* A running machine has its reset line released (bit 0 = 1). */
	if (!(st->outport & I8042_OUT_RESET))
		return dev_state_bad("i8042", "outport", "holds the CPU in reset");
	if (!ps2_kbd_state_check(&st->kbd) || !ps2_mouse_state_check(&st->mouse))
		return -EINVAL;
	return 0;
}

/* Drives IRQ 1 and 12 to the loaded levels (re-asserting a line that was high). */
int i8042_load(struct i8042 *s, const void *blob, size_t len)
{
	struct i8042_state st;
	int ret = dev_state_open("i8042", blob, len, &st, sizeof(st), false,
				 I8042_STATE_VERSION);

	if (!ret)
		ret = i8042_state_check(&st);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	memcpy(s->ram, st.ram, sizeof(s->ram));
	s->outport = st.outport;
	s->pending = st.pending;
	s->a2 = st.a2;
	s->obf = st.obf;
	s->outbuf = st.outbuf;
	s->out_src = st.out_src;
	s->out_dev = st.out_dev;
	s->held = st.held;
	s->held_byte = st.held_byte;
	s->held_src = st.held_src;
	s->xlate_break = st.xlate_break;
	s->reset_req = false;
	ps2_kbd_restore(s->kbd, &st.kbd);
	ps2_mouse_restore(s->mouse, &st.mouse);
	s->level_kbd = s->level_aux = -1;
	i8042_sync_irqs(s);
	pthread_mutex_unlock(&s->lock);
	ps2_kbd_flush_leds(s->kbd);
	return 0;
}

/* ---- VM wiring ---- */

static void i8042_vm_reset(void *opaque)
{
	vm_request(opaque, VM_REQ_RESET, 0);
}

static int i8042_dev_create(struct vm *vm, void **state)
{
	struct i8042_config cfg = {
		.irq_kbd = vm_irq_line(vm, I8042_IRQ_KBD),
		.irq_aux = vm_irq_line(vm, I8042_IRQ_AUX),
		.reset = i8042_vm_reset,
		.reset_opaque = vm,
		.log = &vm->glog,
	};
	struct i8042 *s = i8042_new(&cfg);
	int err;

	if (!s)
		return -ENOMEM;
	err = i8042_register(s, &vm->pio);
	if (err) {
		i8042_free(s);
		return err;
	}
	s->slot = &vm->i8042;
	vm->i8042 = s;
	*state = s;
	return 0;
}

static void i8042_dev_reset(void *state)
{
	i8042_reset(state);
}

/* Nothing runs on its own: host input may still queue (bounded) while paused. */
static int i8042_dev_nop(void *state)
{
	return 0;
}

static int i8042_dev_save(void *state, void **blob, size_t *len)
{
	return i8042_save(state, blob, len);
}

static int i8042_dev_load(void *state, const void *blob, size_t len)
{
	return i8042_load(state, blob, len);
}

static void i8042_dev_destroy(void *state)
{
	i8042_free(state);
}

const struct vmm_device_ops i8042_device_ops = {
	.name = "i8042",
	.create = i8042_dev_create,
	.reset = i8042_dev_reset,
	.pause = i8042_dev_nop,
	.resume = i8042_dev_nop,
	.save = i8042_dev_save,
	.load = i8042_dev_load,
	.destroy = i8042_dev_destroy,
};
