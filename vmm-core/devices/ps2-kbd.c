// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 keyboard: commands, scancode sets 1-3, overrun, LEDs. */
#include "ps2-private.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keyboard commands (IBM PS/2 Keyboard Technical Reference, "Commands from the System"). */
enum {
	KBD_SET_LEDS = 0xed,
	KBD_ECHO = 0xee,
	KBD_SCANSET = 0xf0,
	KBD_IDENTIFY = 0xf2,
	KBD_TYPEMATIC = 0xf3,
	KBD_ENABLE = 0xf4,
	KBD_DISABLE = 0xf5,
	KBD_DEFAULTS = 0xf6,
	KBD_ALL_TYPEMATIC = 0xf7,	/* set 3: all keys typematic (no breaks) */
	KBD_ALL_MAKE_BREAK = 0xf8,
	KBD_ALL_MAKE = 0xf9,
	KBD_ALL_TMB = 0xfa,		/* typematic/make/break */
	KBD_KEY_TYPEMATIC = 0xfb,	/* these three take a list of set-3 codes */
	KBD_KEY_MAKE_BREAK = 0xfc,
	KBD_KEY_MAKE = 0xfd,
	KBD_RESEND = 0xfe,
	KBD_RESET = 0xff,
};

/* Which set-3 keys send break codes (the per-key lists of 0xfb-0xfd are not kept). */
enum { SET3_DEFAULT, SET3_ALL_BREAK, SET3_NO_BREAK };

#define KBD_TYPEMATIC_DEFAULT	0x2b	/* 10.9 characters/s after 500 ms */
#define KBD_SEQ_MAX		8	/* Pause in set 2 */

struct ps2_kbd {
	struct ps2_port port;
	uint8_t arg_cmd;		/* command waiting for its argument; 0: none */
	bool scanning;
	bool overrun;			/* an overrun code is queued */
	uint8_t set;			/* 1, 2 or 3 */
	uint8_t typematic;
	uint8_t set3_mode;
	unsigned leds;
	bool leds_dirty;		/* not yet told to the handler */
	void (*led_handler)(void *opaque, unsigned leds);
	void *led_opaque;
};

struct kbd_seq {
	uint8_t b[KBD_SEQ_MAX];
	unsigned n;
};

static void seq_add(struct kbd_seq *s, uint8_t byte)
{
	if (s->n < KBD_SEQ_MAX)
		s->b[s->n++] = byte;
}

static bool kbd_breaks(const struct ps2_kbd *kbd, uint8_t set3_code)
{
	if (kbd->set3_mode == SET3_ALL_BREAK)
		return true;
	if (kbd->set3_mode == SET3_NO_BREAK)
		return false;
	return ps2_set3_default_break(set3_code);
}

/* One key with at most an 0xe0 prefix, in the active set. */
static void kbd_encode_simple(const struct ps2_kbd *kbd, uint32_t key, bool down,
			      struct kbd_seq *s)
{
	bool e0 = (key >> 8) == 0xe0;
	uint8_t code = key & 0x7f, c;

	if (kbd->set == 3) {
		c = ps2_set1_to_set3(key);
		if (!c || (!down && !kbd_breaks(kbd, c)))
			return;
		if (!down)
			seq_add(s, 0xf0);
		seq_add(s, c);
		return;
	}
	if (kbd->set == 1) {
		if (e0)
			seq_add(s, 0xe0);
		seq_add(s, down ? code : code | 0x80);
		return;
	}
	c = ps2_set1_to_set2(code);
	if (!c)
		return;
	if (e0)
		seq_add(s, 0xe0);
	if (!down)
		seq_add(s, 0xf0);
	seq_add(s, c);
}

/* Pause has only a make sequence in sets 1 and 2 (Brouwer §9.2). */
static void kbd_encode_pause(const struct ps2_kbd *kbd, bool down, struct kbd_seq *s)
{
	static const uint8_t set1[] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
	static const uint8_t set2[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };

	if (kbd->set == 3) {
		kbd_encode_simple(kbd, PS2_KEY_PAUSE, down, s);
		return;
	}
	if (!down)
		return;
	if (kbd->set == 1) {
		memcpy(s->b, set1, sizeof(set1));
		s->n = sizeof(set1);
	} else {
		memcpy(s->b, set2, sizeof(set2));
		s->n = sizeof(set2);
	}
}

static void kbd_encode(const struct ps2_kbd *kbd, uint32_t key, bool down, struct kbd_seq *s)
{
	if (key == PS2_KEY_PAUSE) {
		kbd_encode_pause(kbd, down, s);
		return;
	}
	/* Print Screen alone is wrapped in a fake Shift (e0 2a / e0 12) in sets 1 and 2. */
	if (key == 0xe037 && kbd->set != 3) {
		kbd_encode_simple(kbd, down ? 0xe02a : 0xe037, down, s);
		kbd_encode_simple(kbd, down ? 0xe037 : 0xe02a, down, s);
		return;
	}
	kbd_encode_simple(kbd, key, down, s);
}

static bool kbd_key_valid(uint32_t key)
{
	uint32_t code = (key >> 8) == 0xe0 ? key & 0xff : key;

	return key == PS2_KEY_PAUSE || (code >= 0x01 && code <= 0x7f);
}

/* Queue a whole sequence, keeping the last slot for the overrun code. */
static int kbd_queue(struct ps2_kbd *kbd, const struct kbd_seq *s)
{
	struct ps2_queue *q = &kbd->port.out;
	uint8_t overrun = kbd->set == 1 ? 0xff : 0x00;

	if (!s->n)
		return 0;
	if (!q->count)
		kbd->overrun = false;
	if (!kbd->overrun && s->n < ps2_q_room(q)) {
		ps2_q_push(q, s->b, s->n);
		return 0;
	}
	if (!kbd->overrun) {
		ps2_q_push(q, &overrun, 1);
		kbd->overrun = true;
	}
	return -ENOSPC;
}

int ps2_kbd_key(struct ps2_kbd *kbd, uint32_t keycode, bool down)
{
	struct kbd_seq s = { .n = 0 };
	unsigned before;
	int ret = -EAGAIN;

	if (!kbd_key_valid(keycode))
		return -EINVAL;
	pthread_mutex_lock(kbd->port.lock);
	before = kbd->port.out.count;
	if (kbd->scanning) {
		kbd_encode(kbd, keycode, down, &s);
		ret = kbd_queue(kbd, &s);
	}
	if (kbd->port.out.count != before)
		ps2_port_notify(&kbd->port);
	pthread_mutex_unlock(kbd->port.lock);
	return ret;
}

static void kbd_set_leds(struct ps2_kbd *kbd, unsigned leds)
{
	if (leds == kbd->leds)
		return;
	kbd->leds = leds;
	kbd->leds_dirty = true;
}

static void kbd_defaults(struct ps2_kbd *kbd)
{
	kbd->typematic = KBD_TYPEMATIC_DEFAULT;
	kbd->set3_mode = SET3_DEFAULT;
}

/* The state after the basic assurance test; the scancode set returns to 2. */
static void kbd_power_on(struct ps2_kbd *kbd)
{
	kbd_defaults(kbd);
	kbd->arg_cmd = 0;
	kbd->set = 2;
	kbd->scanning = true;
	kbd->overrun = false;
	kbd_set_leds(kbd, 0);
}

static void kbd_argument(struct ps2_kbd *kbd, uint8_t arg)
{
	uint8_t reply[2] = { PS2_ACK, kbd->set };

	switch (kbd->arg_cmd) {
	case KBD_SET_LEDS:
		kbd_set_leds(kbd, arg & 7);
		break;
	case KBD_TYPEMATIC:
		if (arg & 0x80)
			goto resend;
		kbd->typematic = arg;
		break;
	case KBD_SCANSET:
		if (arg > 3)
			goto resend;
		kbd->arg_cmd = 0;
		if (arg == 0) {
			ps2_q_push(&kbd->port.reply, reply, 2);
			return;
		}
		kbd->set = arg;
		ps2_port_flush(&kbd->port);
		break;
	default:
		/* A set-3 key list: each code is acknowledged until the next command. */
		ps2_port_reply1(&kbd->port, PS2_ACK);
		return;
	}
	kbd->arg_cmd = 0;
	ps2_port_reply1(&kbd->port, PS2_ACK);
	return;
resend:
	ps2_port_reply1(&kbd->port, PS2_RESEND);	/* still waiting for a good argument */
}

static void kbd_command(struct ps2_kbd *kbd, uint8_t cmd)
{
	static const uint8_t id[] = { PS2_ACK, 0xab, 0x83 };	/* MF2 keyboard */
	static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK };

	switch (cmd) {
	case KBD_SET_LEDS:
	case KBD_SCANSET:
	case KBD_TYPEMATIC:
	case KBD_KEY_TYPEMATIC:
	case KBD_KEY_MAKE_BREAK:
	case KBD_KEY_MAKE:
		kbd->arg_cmd = cmd;
		break;
	case KBD_ECHO:
		ps2_port_reply1(&kbd->port, PS2_ECHO);
		return;
	case KBD_IDENTIFY:
		ps2_q_push(&kbd->port.reply, id, sizeof(id));
		return;
	case KBD_ENABLE:
		kbd->scanning = true;
		ps2_port_flush(&kbd->port);
		break;
	case KBD_DISABLE:	/* Default Disable: defaults, and stop scanning */
	case KBD_DEFAULTS:
		kbd->scanning = cmd == KBD_DEFAULTS;
		kbd_defaults(kbd);
		ps2_port_flush(&kbd->port);
		break;
	case KBD_ALL_TYPEMATIC:
	case KBD_ALL_MAKE:
		kbd->set3_mode = SET3_NO_BREAK;
		break;
	case KBD_ALL_MAKE_BREAK:
	case KBD_ALL_TMB:
		kbd->set3_mode = SET3_ALL_BREAK;
		break;
	case KBD_RESEND:
		ps2_port_reply1(&kbd->port, kbd->port.last);
		return;
	case KBD_RESET:		/* a restarted keyboard forgets what it had to send */
		ps2_q_clear(&kbd->port.reply);
		ps2_port_flush(&kbd->port);
		kbd_power_on(kbd);
		ps2_q_push(&kbd->port.reply, bat, sizeof(bat));
		return;
	default:
		ps2_port_reply1(&kbd->port, PS2_RESEND);
		return;
	}
	ps2_port_reply1(&kbd->port, PS2_ACK);
}

/*
 * A byte from the host. Replies queue behind unread ones (the queue is bounded; a guest
 * that never reads loses the newest). A command byte (0xed and up) where an argument was
 * expected starts the new command, which is how a keyboard recovers.
 */
void ps2_kbd_write(struct ps2_kbd *kbd, uint8_t byte)
{
	if (kbd->arg_cmd && byte < KBD_SET_LEDS) {
		kbd_argument(kbd, byte);
		return;
	}
	kbd->arg_cmd = 0;
	kbd_command(kbd, byte);
}

bool ps2_kbd_read(struct ps2_kbd *kbd, uint8_t *byte)
{
	return ps2_port_pop(&kbd->port, byte);
}

bool ps2_kbd_pending(const struct ps2_kbd *kbd)
{
	return kbd->port.reply.count || kbd->port.out.count;
}

unsigned ps2_kbd_scancode_set(const struct ps2_kbd *kbd)
{
	return kbd->set;
}

void ps2_kbd_reset(struct ps2_kbd *kbd)
{
	ps2_port_clear(&kbd->port);
	kbd_power_on(kbd);
}

void ps2_kbd_set_led_handler(struct ps2_kbd *kbd, void (*handler)(void *opaque, unsigned leds),
			     void *opaque)
{
	pthread_mutex_lock(kbd->port.lock);
	kbd->led_handler = handler;
	kbd->led_opaque = opaque;
	pthread_mutex_unlock(kbd->port.lock);
}

unsigned ps2_kbd_leds(struct ps2_kbd *kbd)
{
	unsigned leds;

	pthread_mutex_lock(kbd->port.lock);
	leds = kbd->leds;
	pthread_mutex_unlock(kbd->port.lock);
	return leds;
}

void ps2_kbd_flush_leds(struct ps2_kbd *kbd)
{
	void (*handler)(void *opaque, unsigned leds);
	void *opaque;
	unsigned leds;
	bool dirty;

	pthread_mutex_lock(kbd->port.lock);
	dirty = kbd->leds_dirty;
	kbd->leds_dirty = false;
	leds = kbd->leds;
	handler = kbd->led_handler;
	opaque = kbd->led_opaque;
	pthread_mutex_unlock(kbd->port.lock);
	if (dirty && handler)
		handler(opaque, leds);
}

struct ps2_kbd *ps2_kbd_new(const struct ps2_port_config *cfg)
{
	struct ps2_kbd *kbd = calloc(1, sizeof(*kbd));

	if (!kbd)
		return NULL;
	ps2_port_init(&kbd->port, cfg);
	ps2_kbd_reset(kbd);
	return kbd;
}

void ps2_kbd_free(struct ps2_kbd *kbd)
{
	if (!kbd)
		return;
	pthread_mutex_destroy(&kbd->port.own_lock);
	free(kbd);
}

/* ---- Snapshot state (the caller holds the lock) ---- */

void ps2_kbd_save(const struct ps2_kbd *kbd, struct ps2_kbd_state *st)
{
	ps2_port_save(&kbd->port, &st->port);
	st->arg_cmd = kbd->arg_cmd;
	st->scanning = kbd->scanning;
	st->overrun = kbd->overrun;
	st->set = kbd->set;
	st->typematic = kbd->typematic;
	st->set3_mode = kbd->set3_mode;
	st->leds = (uint8_t)kbd->leds;
}

static bool kbd_arg_cmd_ok(uint8_t cmd)
{
	return cmd == 0 || cmd == KBD_SET_LEDS || cmd == KBD_SCANSET || cmd == KBD_TYPEMATIC ||
	       (cmd >= KBD_KEY_TYPEMATIC && cmd <= KBD_KEY_MAKE);
}

static bool kbd_bad(const char *field, const char *what)
{
	vmm_warn("snapshot: i8042: keyboard %s %s", field, what);
	return false;
}

bool ps2_kbd_state_check(const struct ps2_kbd_state *st)
{
	if (!ps2_port_state_check("keyboard", &st->port))
		return false;
	if (!kbd_arg_cmd_ok(st->arg_cmd))
		return kbd_bad("arg_cmd", "is not a command that takes an argument");
	if (st->scanning > 1 || st->overrun > 1)
		return kbd_bad("scanning/overrun", "is not a boolean");
	if (st->set < 1 || st->set > 3)
		return kbd_bad("set", "is not scancode set 1, 2 or 3");
	if (st->typematic & 0x80)
		return kbd_bad("typematic", "has bit 7 set");
	if (st->set3_mode > SET3_NO_BREAK)
		return kbd_bad("set3_mode", "is out of range");
	if (st->leds & ~7)
		return kbd_bad("leds", "has bits beyond the three LEDs");
	return true;
}

void ps2_kbd_restore(struct ps2_kbd *kbd, const struct ps2_kbd_state *st)
{
	ps2_port_restore(&kbd->port, &st->port);
	kbd->arg_cmd = st->arg_cmd;
	kbd->scanning = st->scanning;
	kbd->overrun = st->overrun;
	kbd->set = st->set;
	kbd->typematic = st->typematic;
	kbd->set3_mode = st->set3_mode;
	kbd->leds = st->leds;
	kbd->leds_dirty = true;
}
