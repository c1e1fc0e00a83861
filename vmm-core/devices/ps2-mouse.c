// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 mouse: stream and remote modes, packets, IntelliMouse IDs 3 and 4. */
#include "ps2-private.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Mouse commands (IBM PS/2 Mouse Technical Reference, "Commands"). */
enum {
	MOUSE_SCALE_1_1 = 0xe6,
	MOUSE_SCALE_2_1 = 0xe7,
	MOUSE_SET_RES = 0xe8,
	MOUSE_STATUS = 0xe9,
	MOUSE_SET_STREAM = 0xea,
	MOUSE_READ_DATA = 0xeb,
	MOUSE_RESET_WRAP = 0xec,
	MOUSE_SET_WRAP = 0xee,
	MOUSE_SET_REMOTE = 0xf0,
	MOUSE_GET_ID = 0xf2,
	MOUSE_SET_RATE = 0xf3,
	MOUSE_ENABLE = 0xf4,
	MOUSE_DISABLE = 0xf5,
	MOUSE_DEFAULTS = 0xf6,
	MOUSE_RESEND = 0xfe,
	MOUSE_RESET = 0xff,
};

#define MOUSE_RATE_DEFAULT	100	/* samples/s */
#define MOUSE_RES_DEFAULT	2	/* 4 counts/mm */
#define MOUSE_COUNTER_MAX	32767	/* host deltas saturate here before packing */

struct ps2_mouse {
	struct ps2_port port;
	uint8_t arg_cmd;		/* 0xe8 or 0xf3 waiting for its argument; 0: none */
	bool enabled, remote, wrap, scale21;
	uint8_t rate, resolution, id;
	uint8_t knock[3];		/* the last sample rates set, oldest first */
	int dx, dy, dz;			/* movement counters, PS/2 orientation (Y up) */
	unsigned buttons;		/* PS2_MOUSE_* */
	bool dirty;			/* counters or buttons changed since the last packet */
};

static void mouse_clear_counters(struct ps2_mouse *m)
{
	m->dx = m->dy = m->dz = 0;
	m->dirty = false;
}

static int mouse_counter_add(int counter, long long delta)
{
	long long v = counter + delta;

	if (v > MOUSE_COUNTER_MAX)
		return MOUSE_COUNTER_MAX;
	if (v < -MOUSE_COUNTER_MAX)
		return -MOUSE_COUNTER_MAX;
	return (int)v;
}

static int clamp_int(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling applies to stream reports only (Mouse Tech. Ref., "Scaling"). */
static int mouse_scale21(int v)
{
	static const int small[6] = { 0, 1, 1, 3, 6, 9 };
	int a = v < 0 ? -v : v;
	int r = a < 6 ? small[a] : 2 * a;

	return v < 0 ? -r : r;
}

/* One axis: the 9-bit two's-complement value, saturated with the overflow bit set. */
static uint8_t mouse_axis(int v, uint8_t *low, uint8_t sign_bit, uint8_t overflow_bit)
{
	uint8_t bits = 0;

	if (v > 255 || v < -256) {
		bits |= overflow_bit;
		v = clamp_int(v, -256, 255);
	}
	if (v < 0)
		bits |= sign_bit;
	*low = (uint8_t)(v & 0xff);
	return bits;
}

static unsigned mouse_packet_len(const struct ps2_mouse *m)
{
	return m->id == 3 || m->id == 4 ? 4 : 3;
}

/*
 * Byte 0: Y overflow, X overflow, Y sign, X sign, 1, middle, right, left; then X and Y.
 * ID 3 adds Z (-8..7); ID 4 adds Z in bits 0-3 and buttons 4 and 5 in bits 4 and 5.
 * Reporting restarts the counters.
 */
static unsigned mouse_packet(struct ps2_mouse *m, uint8_t *pkt, bool stream)
{
	int dx = m->dx, dy = m->dy, dz = clamp_int(m->dz, -8, 7);
	uint8_t b0 = 0x08 | (m->buttons & 0x07);

	if (stream && m->scale21) {
		dx = mouse_scale21(dx);
		dy = mouse_scale21(dy);
	}
	b0 |= mouse_axis(dx, &pkt[1], 0x10, 0x40);
	b0 |= mouse_axis(dy, &pkt[2], 0x20, 0x80);
	pkt[0] = b0;
	if (m->id == 3)
		pkt[3] = (uint8_t)dz;
	if (m->id == 4)
		pkt[3] = ((uint8_t)dz & 0x0f) | (m->buttons & PS2_MOUSE_SIDE ? 0x10 : 0) |
			 (m->buttons & PS2_MOUSE_EXTRA ? 0x20 : 0);
	mouse_clear_counters(m);
	return mouse_packet_len(m);
}

/* In stream mode, report pending motion if a whole packet fits. */
static void mouse_stream(struct ps2_mouse *m)
{
	uint8_t pkt[4];
	unsigned n;

	if (m->remote || !m->enabled || m->wrap || !m->dirty)
		return;
	if (ps2_q_room(&m->port.out) < mouse_packet_len(m))
		return;
	n = mouse_packet(m, pkt, true);
	ps2_q_push(&m->port.out, pkt, n);
}

int ps2_mouse_move(struct ps2_mouse *m, int dx, int dy, int dz, unsigned buttons)
{
	unsigned before;
	int ret = 0;

	pthread_mutex_lock(m->port.lock);
	before = m->port.out.count;
	buttons &= 0x1f;
	if (buttons != m->buttons) {
		m->buttons = buttons;
		m->dirty = true;
	}
	if (!m->id)
		dz = 0;		/* no wheel until the IntelliMouse knock */
	if (!m->remote && !m->enabled) {
		ret = -EAGAIN;
	} else if (dx || dy || dz) {
		m->dx = mouse_counter_add(m->dx, dx);
		m->dy = mouse_counter_add(m->dy, -(long long)dy);
		m->dz = mouse_counter_add(m->dz, dz);
		m->dirty = true;
	}
	mouse_stream(m);
	if (m->port.out.count != before)
		ps2_port_notify(&m->port);
	pthread_mutex_unlock(m->port.lock);
	return ret;
}

static void mouse_defaults(struct ps2_mouse *m)
{
	m->rate = MOUSE_RATE_DEFAULT;
	m->resolution = MOUSE_RES_DEFAULT;
	m->scale21 = false;
	m->remote = false;
	m->enabled = false;
	m->wrap = false;
	mouse_clear_counters(m);
}

static void mouse_power_on(struct ps2_mouse *m)
{
	mouse_defaults(m);
	m->arg_cmd = 0;
	m->id = 0;
	memset(m->knock, 0, sizeof(m->knock));
}

/*
 * IntelliMouse detection: rates 200, 100, 80 in a row make a standard mouse ID 3 (wheel);
 * then 200, 200, 80 make it ID 4 (wheel and buttons 4/5).
 */
static void mouse_knock(struct ps2_mouse *m, uint8_t rate)
{
	m->knock[0] = m->knock[1];
	m->knock[1] = m->knock[2];
	m->knock[2] = rate;
	if (m->id == 0 && m->knock[0] == 200 && m->knock[1] == 100 && m->knock[2] == 80)
		m->id = 3;
	else if (m->id == 3 && m->knock[0] == 200 && m->knock[1] == 200 && m->knock[2] == 80)
		m->id = 4;
}

static bool mouse_rate_valid(uint8_t rate)
{
	static const uint8_t rates[] = { 10, 20, 40, 60, 80, 100, 200 };

	return memchr(rates, rate, sizeof(rates)) != NULL;
}

/* An invalid argument gets Resend and the mouse keeps waiting for a good one. */
static void mouse_argument(struct ps2_mouse *m, uint8_t arg)
{
	if (m->arg_cmd == MOUSE_SET_RES) {
		if (arg > 3)
			goto resend;
		m->resolution = arg;
	} else {
		if (!mouse_rate_valid(arg))
			goto resend;
		m->rate = arg;
		mouse_knock(m, arg);
	}
	m->arg_cmd = 0;
	ps2_port_reply1(&m->port, PS2_ACK);
	return;
resend:
	ps2_port_reply1(&m->port, PS2_RESEND);
}

/* Status: mode, enable, scaling, then left/middle/right in bits 2/1/0; resolution; rate. */
static void mouse_status(struct ps2_mouse *m)
{
	uint8_t r[4] = { PS2_ACK, 0, m->resolution, m->rate };

	r[1] = (m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) | (m->scale21 ? 0x10 : 0) |
	       (m->buttons & PS2_MOUSE_LEFT ? 0x04 : 0) |
	       (m->buttons & PS2_MOUSE_MIDDLE ? 0x02 : 0) |
	       (m->buttons & PS2_MOUSE_RIGHT ? 0x01 : 0);
	ps2_q_push(&m->port.reply, r, sizeof(r));
}

/* Read Data: a packet whatever the mode, unscaled. */
static void mouse_read_data(struct ps2_mouse *m)
{
	uint8_t r[5] = { PS2_ACK };
	unsigned n = mouse_packet(m, &r[1], false);

	ps2_q_push(&m->port.reply, r, n + 1);
}

/* Commands that change the mode drop unsent packets and restart the counters. */
static void mouse_mode(struct ps2_mouse *m, bool remote, bool enabled, bool wrap)
{
	m->remote = remote;
	m->enabled = enabled;
	m->wrap = wrap;
	ps2_port_flush(&m->port);
	mouse_clear_counters(m);
}

static void mouse_command(struct ps2_mouse *m, uint8_t cmd)
{
	static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK, 0x00 };

	switch (cmd) {
	case MOUSE_SCALE_1_1:
	case MOUSE_SCALE_2_1:
		m->scale21 = cmd == MOUSE_SCALE_2_1;
		break;
	case MOUSE_SET_RES:
	case MOUSE_SET_RATE:
		m->arg_cmd = cmd;
		break;
	case MOUSE_STATUS:
		mouse_status(m);
		return;
	case MOUSE_SET_STREAM:
		mouse_mode(m, false, m->enabled, m->wrap);
		break;
	case MOUSE_READ_DATA:
		mouse_read_data(m);
		return;
	case MOUSE_RESET_WRAP:
	case MOUSE_SET_WRAP:
		mouse_mode(m, m->remote, m->enabled, cmd == MOUSE_SET_WRAP);
		break;
	case MOUSE_SET_REMOTE:
		mouse_mode(m, true, m->enabled, m->wrap);
		break;
	case MOUSE_GET_ID:
		mouse_clear_counters(m);
		ps2_q_push(&m->port.reply, (const uint8_t[]){ PS2_ACK, m->id }, 2);
		return;
	case MOUSE_ENABLE:
	case MOUSE_DISABLE:
		mouse_mode(m, m->remote, cmd == MOUSE_ENABLE, m->wrap);
		break;
	case MOUSE_DEFAULTS:
		ps2_port_flush(&m->port);
		mouse_defaults(m);
		break;
	case MOUSE_RESEND:
		ps2_port_reply1(&m->port, m->port.last);
		return;
	case MOUSE_RESET:
		ps2_q_clear(&m->port.reply);
		ps2_port_flush(&m->port);
		mouse_power_on(m);
		ps2_q_push(&m->port.reply, bat, sizeof(bat));
		return;
	default:
		ps2_port_reply1(&m->port, PS2_RESEND);
		return;
	}
	ps2_port_reply1(&m->port, PS2_ACK);
}

/*
 * A byte from the host (after the controller's 0xd4). As for the keyboard, replies queue
 * and a command byte (0xe6 and up; no valid argument is that large) ends a wait for an
 * argument. In wrap mode every byte but Reset Wrap and Reset is echoed.
 */
void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte)
{
	if (m->arg_cmd && byte < MOUSE_SCALE_1_1) {
		mouse_argument(m, byte);
		return;
	}
	m->arg_cmd = 0;
	if (m->wrap && byte != MOUSE_RESET_WRAP && byte != MOUSE_RESET) {
		ps2_port_reply1(&m->port, byte);
		return;
	}
	if (byte != MOUSE_SET_RATE)
		memset(m->knock, 0, sizeof(m->knock));
	mouse_command(m, byte);
}

bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *byte)
{
	bool got = ps2_port_pop(&m->port, byte);

	mouse_stream(m);	/* room may have opened for counted motion */
	return got;
}

bool ps2_mouse_pending(const struct ps2_mouse *m)
{
	return m->port.reply.count || m->port.out.count;
}

unsigned ps2_mouse_id(const struct ps2_mouse *m)
{
	return m->id;
}

void ps2_mouse_reset(struct ps2_mouse *m)
{
	ps2_port_clear(&m->port);
	mouse_power_on(m);
	m->buttons = 0;
}

struct ps2_mouse *ps2_mouse_new(const struct ps2_port_config *cfg)
{
	struct ps2_mouse *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	ps2_port_init(&m->port, cfg);
	ps2_mouse_reset(m);
	return m;
}

void ps2_mouse_free(struct ps2_mouse *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->port.own_lock);
	free(m);
}

/* ---- Snapshot state (the caller holds the lock) ---- */

void ps2_mouse_save(const struct ps2_mouse *m, struct ps2_mouse_state *st)
{
	ps2_port_save(&m->port, &st->port);
	st->dx = m->dx;
	st->dy = m->dy;
	st->dz = m->dz;
	st->arg_cmd = m->arg_cmd;
	st->enabled = m->enabled;
	st->remote = m->remote;
	st->wrap = m->wrap;
	st->scale21 = m->scale21;
	st->rate = m->rate;
	st->resolution = m->resolution;
	st->id = m->id;
	memcpy(st->knock, m->knock, sizeof(st->knock));
	st->buttons = (uint8_t)m->buttons;
	st->dirty = m->dirty;
}

static bool mouse_bad(const char *field, const char *what)
{
	vmm_warn("snapshot: i8042: mouse %s %s", field, what);
	return false;
}

static bool mouse_counter_ok(int32_t v)
{
	return v >= -MOUSE_COUNTER_MAX && v <= MOUSE_COUNTER_MAX;
}

bool ps2_mouse_state_check(const struct ps2_mouse_state *st)
{
	if (!ps2_port_state_check("mouse", &st->port))
		return false;
	if (st->arg_cmd && st->arg_cmd != MOUSE_SET_RES && st->arg_cmd != MOUSE_SET_RATE)
		return mouse_bad("arg_cmd", "is not a command that takes an argument");
	if ((st->enabled | st->remote | st->wrap | st->scale21 | st->dirty) > 1)
		return mouse_bad("mode flags", "are not booleans");
	if (!mouse_rate_valid(st->rate))
		return mouse_bad("rate", "is not a PS/2 sample rate");
	if (st->resolution > 3)
		return mouse_bad("resolution", "is out of range 0..3");
	if (st->id != 0 && st->id != 3 && st->id != 4)
		return mouse_bad("id", "is not 0, 3 or 4");
	if (!mouse_counter_ok(st->dx) || !mouse_counter_ok(st->dy) || !mouse_counter_ok(st->dz))
		return mouse_bad("counters", "exceed the saturation limit");
	if (st->buttons & ~0x1f)
		return mouse_bad("buttons", "has bits beyond five buttons");
	return true;
}

void ps2_mouse_restore(struct ps2_mouse *m, const struct ps2_mouse_state *st)
{
	ps2_port_restore(&m->port, &st->port);
	m->dx = st->dx;
	m->dy = st->dy;
	m->dz = st->dz;
	m->arg_cmd = st->arg_cmd;
	m->enabled = st->enabled;
	m->remote = st->remote;
	m->wrap = st->wrap;
	m->scale21 = st->scale21;
	m->rate = st->rate;
	m->resolution = st->resolution;
	m->id = st->id;
	memcpy(m->knock, st->knock, sizeof(m->knock));
	m->buttons = st->buttons;
	m->dirty = st->dirty;
}
