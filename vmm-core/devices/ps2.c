// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 keyboard (scancode sets 1-3) and mouse (standard, IntelliMouse) behind the i8042. */
#include "ps2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * References: IBM PS/2 Hardware Interface Technical Reference (keyboard and mouse chapters);
 * A. Brouwer, "Keyboard scancodes" §9 (set tables); Microsoft IntelliMouse notes (IDs 3, 4).
 */

#define PS2_QUEUE_SIZE	16

#define PS2_ACK		0xfa
#define PS2_RESEND	0xfe
#define PS2_BAT_OK	0xaa
#define PS2_ECHO	0xee

/* A ring of bytes; `end` marks the last byte of a scancode sequence or packet. */
struct ps2_queue {
	uint8_t data[PS2_QUEUE_SIZE];
	bool end[PS2_QUEUE_SIZE];
	unsigned head, count;
};

/* What both devices share: the lock, the controller hook and the two output queues. */
struct ps2_port {
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock;
	void (*notify)(void *opaque);
	void *opaque;
	struct ps2_queue reply;		/* answer to the last command */
	struct ps2_queue out;		/* scancodes or packets */
	bool mid_seq;			/* the controller has part of a sequence from `out` */
	uint8_t last;			/* last byte sent, for Resend */
};

/* ---- Queues ---- */

static unsigned q_room(const struct ps2_queue *q)
{
	return PS2_QUEUE_SIZE - q->count;
}

/* All or nothing: a sequence is never split by a full queue. */
static bool q_push(struct ps2_queue *q, const uint8_t *bytes, unsigned n)
{
	unsigned i, at;

	if (!n || n > q_room(q))
		return false;
	for (i = 0; i < n; i++) {
		at = (q->head + q->count) % PS2_QUEUE_SIZE;
		q->data[at] = bytes[i];
		q->end[at] = i == n - 1;
		q->count++;
	}
	return true;
}

static bool q_pop(struct ps2_queue *q, uint8_t *byte, bool *end)
{
	if (!q->count)
		return false;
	*byte = q->data[q->head];
	*end = q->end[q->head];
	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->count--;
	return true;
}

static void q_clear(struct ps2_queue *q)
{
	q->head = 0;
	q->count = 0;
}

/* ---- Port plumbing ---- */

static void port_init(struct ps2_port *p, const struct ps2_port_config *cfg)
{
	pthread_mutex_init(&p->own_lock, NULL);
	p->lock = cfg && cfg->lock ? cfg->lock : &p->own_lock;
	p->notify = cfg ? cfg->notify : NULL;
	p->opaque = cfg ? cfg->opaque : NULL;
}

static void port_clear(struct ps2_port *p)
{
	q_clear(&p->reply);
	q_clear(&p->out);
	p->mid_seq = false;
	p->last = 0;
}

/*
 * Drop queued output the controller has not started on. The tail of a sequence it has
 * begun stays, so the guest never sees half a scancode or packet before an ACK.
 */
static void port_flush(struct ps2_port *p)
{
	struct ps2_queue *q = &p->out;
	unsigned n = 0;

	if (p->mid_seq) {
		while (n < q->count && !q->end[(q->head + n) % PS2_QUEUE_SIZE])
			n++;
		if (n < q->count)
			n++;
	}
	q->count = n;
}

static void port_reply1(struct ps2_port *p, uint8_t byte)
{
	q_push(&p->reply, &byte, 1);
}

/* Replies go first, but only between sequences. */
static bool port_pop(struct ps2_port *p, uint8_t *byte)
{
	bool end;

	if (!p->out.count)
		p->mid_seq = false;
	if (!p->mid_seq && q_pop(&p->reply, byte, &end))
		goto sent;
	if (!q_pop(&p->out, byte, &end))
		return false;
	p->mid_seq = !end;
sent:
	p->last = *byte;
	return true;
}

static void port_notify(struct ps2_port *p)
{
	if (p->notify)
		p->notify(p->opaque);
}

/* ---- Scancode tables ---- */

/*
 * The i8042's translation of set-2 codes 0x00-0x7f to set 1 (Brouwer §9.3; G. Konzak,
 * "PC 8042 Controller"). It is one-to-one on 0x01-0x7f; the keyboard inverts it to turn
 * the host's set-1 codes into set 2, so translated set 2 gives back exactly the host code.
 */
static const uint8_t set2_to_set1[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

/* Above 0x7f the table is the identity except F7 (0x83) and Alt+SysRq (0x84). */
uint8_t ps2_translate_set2(uint8_t code)
{
	if (code < 0x80)
		return set2_to_set1[code];
	if (code == 0x83)
		return 0x41;
	if (code == 0x84)
		return 0x54;
	return code;
}

static uint8_t set1_to_set2(uint8_t code)
{
	unsigned i;

	/* Set-2 0x02 and 0x7f also translate to these, but no key sends them. */
	if (code == 0x41)
		return 0x83;
	if (code == 0x54)
		return 0x84;
	for (i = 1; i < 0x80; i++)
		if (set2_to_set1[i] == code)
			return i;
	return 0;
}

/*
 * Set 3 equals set 2 for the single-byte keys of the 102-key block (set-1 0x01-0x58)
 * except these; it has no 0xe0 prefixes (Brouwer §9.6). Other keys have no set-3 code.
 */
struct set3_key {
	uint32_t key;
	uint8_t code;
};

static const struct set3_key set3_keys[] = {
	{ 0x01, 0x08 }, { 0x1d, 0x11 }, { 0x2b, 0x5c }, { 0x37, 0x7e }, { 0x38, 0x19 },
	{ 0x3a, 0x14 }, { 0x3b, 0x07 }, { 0x3c, 0x0f }, { 0x3d, 0x17 }, { 0x3e, 0x1f },
	{ 0x3f, 0x27 }, { 0x40, 0x2f }, { 0x41, 0x37 }, { 0x42, 0x3f }, { 0x43, 0x47 },
	{ 0x44, 0x4f }, { 0x45, 0x76 }, { 0x46, 0x5f }, { 0x4a, 0x84 }, { 0x4e, 0x7c },
	{ 0x54, 0x57 }, { 0x56, 0x13 }, { 0x57, 0x56 }, { 0x58, 0x5e },
	{ 0xe01c, 0x79 }, { 0xe01d, 0x58 }, { 0xe035, 0x77 }, { 0xe037, 0x57 },
	{ 0xe038, 0x39 }, { 0xe046, 0x62 }, { 0xe047, 0x6e }, { 0xe048, 0x63 },
	{ 0xe049, 0x6f }, { 0xe04b, 0x61 }, { 0xe04d, 0x6a }, { 0xe04f, 0x65 },
	{ 0xe050, 0x60 }, { 0xe051, 0x6d }, { 0xe052, 0x67 }, { 0xe053, 0x64 },
	{ 0xe05b, 0x8b }, { 0xe05c, 0x8c }, { 0xe05d, 0x8d }, { 0xe05f, 0x7f },
	{ PS2_KEY_PAUSE, 0x62 },
};

static uint8_t set1_to_set3(uint32_t key)
{
	size_t i;

	for (i = 0; i < sizeof(set3_keys) / sizeof(set3_keys[0]); i++)
		if (set3_keys[i].key == key)
			return set3_keys[i].code;
	if (key >= 0x01 && key <= 0x58)
		return set1_to_set2(key);
	return 0;
}

/* Set-3 keys that send break codes by default: Caps, the shifts, LCtrl, LAlt, Win, Menu. */
static bool set3_default_break(uint8_t code)
{
	static const uint8_t keys[] = { 0x11, 0x12, 0x14, 0x19, 0x59, 0x7f, 0x8b, 0x8c, 0x8d };

	return memchr(keys, code, sizeof(keys)) != NULL;
}


/* ---- Keyboard ---- */

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
	return set3_default_break(set3_code);
}

/* One key with at most an 0xe0 prefix, in the active set. */
static void kbd_encode_simple(const struct ps2_kbd *kbd, uint32_t key, bool down,
			      struct kbd_seq *s)
{
	bool e0 = (key >> 8) == 0xe0;
	uint8_t code = key & 0x7f, c;

	if (kbd->set == 3) {
		c = set1_to_set3(key);
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
	c = set1_to_set2(code);
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
	if (!kbd->overrun && s->n < q_room(q)) {
		q_push(q, s->b, s->n);
		return 0;
	}
	if (!kbd->overrun) {
		q_push(q, &overrun, 1);
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
		port_notify(&kbd->port);
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
			q_push(&kbd->port.reply, reply, 2);
			return;
		}
		kbd->set = arg;
		port_flush(&kbd->port);
		break;
	default:
		/* A set-3 key list: each code is acknowledged until the next command. */
		port_reply1(&kbd->port, PS2_ACK);
		return;
	}
	kbd->arg_cmd = 0;
	port_reply1(&kbd->port, PS2_ACK);
	return;
resend:
	port_reply1(&kbd->port, PS2_RESEND);	/* still waiting for a good argument */
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
		port_reply1(&kbd->port, PS2_ECHO);
		return;
	case KBD_IDENTIFY:
		q_push(&kbd->port.reply, id, sizeof(id));
		return;
	case KBD_ENABLE:
		kbd->scanning = true;
		port_flush(&kbd->port);
		break;
	case KBD_DISABLE:	/* Default Disable: defaults, and stop scanning */
	case KBD_DEFAULTS:
		kbd->scanning = cmd == KBD_DEFAULTS;
		kbd_defaults(kbd);
		port_flush(&kbd->port);
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
		port_reply1(&kbd->port, kbd->port.last);
		return;
	case KBD_RESET:		/* a restarted keyboard forgets what it had to send */
		q_clear(&kbd->port.reply);
		port_flush(&kbd->port);
		kbd_power_on(kbd);
		q_push(&kbd->port.reply, bat, sizeof(bat));
		return;
	default:
		port_reply1(&kbd->port, PS2_RESEND);
		return;
	}
	port_reply1(&kbd->port, PS2_ACK);
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
	return port_pop(&kbd->port, byte);
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
	port_clear(&kbd->port);
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
	port_init(&kbd->port, cfg);
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

/* ---- Mouse ---- */

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
	if (q_room(&m->port.out) < mouse_packet_len(m))
		return;
	n = mouse_packet(m, pkt, true);
	q_push(&m->port.out, pkt, n);
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
		port_notify(&m->port);
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
	port_reply1(&m->port, PS2_ACK);
	return;
resend:
	port_reply1(&m->port, PS2_RESEND);
}

/* Status: mode, enable, scaling, then left/middle/right in bits 2/1/0; resolution; rate. */
static void mouse_status(struct ps2_mouse *m)
{
	uint8_t r[4] = { PS2_ACK, 0, m->resolution, m->rate };

	r[1] = (m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) | (m->scale21 ? 0x10 : 0) |
	       (m->buttons & PS2_MOUSE_LEFT ? 0x04 : 0) |
	       (m->buttons & PS2_MOUSE_MIDDLE ? 0x02 : 0) |
	       (m->buttons & PS2_MOUSE_RIGHT ? 0x01 : 0);
	q_push(&m->port.reply, r, sizeof(r));
}

/* Read Data: a packet whatever the mode, unscaled. */
static void mouse_read_data(struct ps2_mouse *m)
{
	uint8_t r[5] = { PS2_ACK };
	unsigned n = mouse_packet(m, &r[1], false);

	q_push(&m->port.reply, r, n + 1);
}

/* Commands that change the mode drop unsent packets and restart the counters. */
static void mouse_mode(struct ps2_mouse *m, bool remote, bool enabled, bool wrap)
{
	m->remote = remote;
	m->enabled = enabled;
	m->wrap = wrap;
	port_flush(&m->port);
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
		q_push(&m->port.reply, (const uint8_t[]){ PS2_ACK, m->id }, 2);
		return;
	case MOUSE_ENABLE:
	case MOUSE_DISABLE:
		mouse_mode(m, m->remote, cmd == MOUSE_ENABLE, m->wrap);
		break;
	case MOUSE_DEFAULTS:
		port_flush(&m->port);
		mouse_defaults(m);
		break;
	case MOUSE_RESEND:
		port_reply1(&m->port, m->port.last);
		return;
	case MOUSE_RESET:
		q_clear(&m->port.reply);
		port_flush(&m->port);
		mouse_power_on(m);
		q_push(&m->port.reply, bat, sizeof(bat));
		return;
	default:
		port_reply1(&m->port, PS2_RESEND);
		return;
	}
	port_reply1(&m->port, PS2_ACK);
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
		port_reply1(&m->port, byte);
		return;
	}
	if (byte != MOUSE_SET_RATE)
		memset(m->knock, 0, sizeof(m->knock));
	mouse_command(m, byte);
}

bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *byte)
{
	bool got = port_pop(&m->port, byte);

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
	port_clear(&m->port);
	mouse_power_on(m);
	m->buttons = 0;
}

struct ps2_mouse *ps2_mouse_new(const struct ps2_port_config *cfg)
{
	struct ps2_mouse *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	port_init(&m->port, cfg);
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
