// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the i8042 controller and its PS/2 keyboard and mouse, through a PIO bus. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "i8042.h"
#include "log.h"
#include "ps2.h"
#include "tap.h"

#define OBF	I8042_STS_OBF
#define AUXOBF	I8042_STS_AUX_OBF

struct fake_irq {
	int level;
	int raises;	/* 0 -> 1 transitions */
};

struct rig {
	struct vmm_guest_log log;
	struct vmm_bus bus;
	struct i8042 *s;
	struct fake_irq irq1, irq12;
	int resets;
	int led_calls;
	unsigned leds;
};

static void fake_irq_set(void *opaque, unsigned gsi, int level)
{
	struct fake_irq *irq = opaque;

	if (level && !irq->level)
		irq->raises++;
	irq->level = level;
}

static void fake_reset(void *opaque)
{
	((struct rig *)opaque)->resets++;
}

static void fake_leds(void *opaque, unsigned leds)
{
	struct rig *r = opaque;

	r->led_calls++;
	r->leds = leds;
}

static void rig_init(struct rig *r)
{
	struct i8042_config cfg;

	memset(r, 0, sizeof(*r));
	vmm_guest_log_init(&r->log, NULL, 20);
	vmm_bus_init(&r->bus, "pio", &r->log);
	cfg = (struct i8042_config){
		.irq_kbd = { fake_irq_set, &r->irq1, 1 },
		.irq_aux = { fake_irq_set, &r->irq12, 12 },
		.reset = fake_reset,
		.reset_opaque = r,
		.log = &r->log,
	};
	r->s = i8042_new(&cfg);
	if (!r->s || i8042_register(r->s, &r->bus))
		skip_all("cannot build the i8042");
	ps2_kbd_set_led_handler(i8042_kbd(r->s), fake_leds, r);
}

static void rig_fini(struct rig *r)
{
	i8042_free(r->s);
	vmm_bus_destroy(&r->bus);
	vmm_guest_log_destroy(&r->log);
}

static uint8_t inb(struct rig *r, uint16_t port)
{
	uint8_t v = 0;

	vmm_bus_read(&r->bus, port, &v, 1);
	return v;
}

static void outb(struct rig *r, uint16_t port, uint8_t v)
{
	vmm_bus_write(&r->bus, port, &v, 1);
}

static uint8_t status(struct rig *r)
{
	return inb(r, I8042_CMD_PORT);
}

static void ctl(struct rig *r, uint8_t cmd)
{
	outb(r, I8042_CMD_PORT, cmd);
}

static void ctl_arg(struct rig *r, uint8_t cmd, uint8_t arg)
{
	outb(r, I8042_CMD_PORT, cmd);
	outb(r, I8042_DATA_PORT, arg);
}

/* Everything the guest can read now; returns the count (at most max stored). */
static int drain(struct rig *r, uint8_t *buf, int max)
{
	int n = 0;

	while ((status(r) & OBF) && n < 4096) {
		uint8_t v = inb(r, I8042_DATA_PORT);

		if (n < max)
			buf[n] = v;
		n++;
	}
	return n;
}

static bool bytes_are(const uint8_t *got, int n, const uint8_t *want, int wn)
{
	return n == wn && !memcmp(got, want, wn);
}

#define EXPECT(r, ...) do {							\
	static const uint8_t want_[] = { __VA_ARGS__ };				\
	uint8_t got_[64];							\
	int n_ = drain((r), got_, 64);						\
	ok(bytes_are(got_, n_, want_, (int)sizeof(want_)), "bytes: %s", #__VA_ARGS__); \
	if (!bytes_are(got_, n_, want_, (int)sizeof(want_))) {			\
		printf("#   got %d:", n_);					\
		for (int i_ = 0; i_ < n_ && i_ < 64; i_++)			\
			printf(" %02x", got_[i_]);				\
		printf("\n");							\
	}									\
} while (0)

static void kbd_cmd(struct rig *r, uint8_t v)
{
	outb(r, I8042_DATA_PORT, v);
}

static void aux_cmd(struct rig *r, uint8_t v)
{
	ctl_arg(r, 0xd4, v);
}

static void set_cmd_byte(struct rig *r, uint8_t v)
{
	ctl_arg(r, 0x60, v);
}

static void key(struct rig *r, uint32_t code, bool down)
{
	ps2_kbd_key(i8042_kbd(r->s), code, down);
}

/* ---- Controller ---- */

static void test_power_on_and_self_test(void)
{
	struct rig r;
	uint8_t b[4];

	rig_init(&r);
	is_int(status(&r) & (OBF | I8042_STS_SYS), 0, "power on: empty buffer, SYS clear");
	ok(status(&r) & I8042_STS_INH, "keyboard not inhibited");
	ctl(&r, 0x20);
	ok(status(&r) & I8042_STS_A2, "A2 set after a command write");
	is_int(inb(&r, 0x60), I8042_CMD_KBD_INT | I8042_CMD_AUX_INT | I8042_CMD_XLATE,
	       "power-on command byte 0x43");
	ctl(&r, 0xaa);
	is_int(drain(&r, b, 4), 1, "self test answers one byte");
	is_int(b[0], 0x55, "self test passes (0x55)");
	ok(status(&r) & I8042_STS_SYS, "self test sets the SYS flag");
	ctl(&r, 0xab);
	EXPECT(&r, 0x00);
	ctl(&r, 0xa9);
	EXPECT(&r, 0x00);
	ctl(&r, 0xa4);
	EXPECT(&r, 0xf1);
	is_int(r.irq1.raises, 5, "controller replies raise IRQ 1 (enabled by the command byte)");
	ok(!vmm_bus_read(&r.bus, 0x61, b, 1), "port 0x61 is not claimed by the i8042");
	rig_fini(&r);
}

static void test_command_byte(void)
{
	struct rig r;

	rig_init(&r);
	set_cmd_byte(&r, 0x25);
	ok(!(status(&r) & I8042_STS_A2), "A2 clear after a data write");
	ctl(&r, 0x20);
	EXPECT(&r, 0x25);
	ok(status(&r) & I8042_STS_SYS, "SYS follows command byte bit 2");
	ctl_arg(&r, 0x63, 0x9c);
	ctl(&r, 0x23);
	EXPECT(&r, 0x9c);
	ctl(&r, 0xa8);
	ctl(&r, 0x20);
	EXPECT(&r, 0x05);
	ctl(&r, 0xa7);
	ctl(&r, 0xad);
	ctl(&r, 0x20);
	EXPECT(&r, 0x35);
	ctl(&r, 0xae);
	ctl(&r, 0x20);
	EXPECT(&r, 0x25);
	ctl(&r, 0xe0);
	EXPECT(&r, 0x03);
	is_int(vmm_guest_log_count(&r.log), 0, "no guest errors so far");
	ctl(&r, 0xb7);
	is_int(vmm_guest_log_count(&r.log), 1, "unknown controller command is a guest error");
	rig_fini(&r);
}

static void test_reset_line(void)
{
	struct rig r;

	rig_init(&r);
	ctl(&r, 0xd0);
	EXPECT(&r, 0x03);
	ctl_arg(&r, 0xd1, 0x01);
	is_int(r.resets, 0, "output port write keeping bit 0 set: no reset");
	ok(!i8042_a20(r.s), "A20 follows output port bit 1");
	ctl(&r, 0xdf);
	ok(i8042_a20(r.s), "0xdf enables A20");
	ctl_arg(&r, 0xd1, 0x02);
	is_int(r.resets, 1, "output port write with bit 0 clear resets");
	ctl(&r, 0xfe);
	is_int(r.resets, 2, "0xfe pulses reset");
	ctl(&r, 0xff);
	is_int(r.resets, 2, "0xff pulses nothing");
	ctl(&r, 0xf0);
	is_int(r.resets, 3, "0xf0 pulses reset too");
	rig_fini(&r);
}

static void test_loopback(void)
{
	struct rig r;

	rig_init(&r);
	ctl_arg(&r, 0xd2, 0x5a);
	is_int(status(&r) & (OBF | AUXOBF), OBF, "0xd2 byte is a keyboard byte");
	is_int(r.irq1.level, 1, "0xd2 raises IRQ 1");
	is_int(inb(&r, 0x60), 0x5a, "0xd2 loops back");
	is_int(r.irq1.level, 0, "reading lowers IRQ 1");
	ctl_arg(&r, 0xd3, 0xa5);
	is_int(status(&r) & (OBF | AUXOBF), OBF | AUXOBF, "0xd3 byte is an aux byte");
	is_int(r.irq12.level, 1, "0xd3 raises IRQ 12");
	is_int(r.irq1.level, 0, "... and not IRQ 1");
	is_int(inb(&r, 0x60), 0xa5, "0xd3 loops back");
	is_int(r.irq12.level, 0, "reading lowers IRQ 12");
	set_cmd_byte(&r, 0x40);
	ctl_arg(&r, 0xd3, 0x11);
	is_int(r.irq12.level, 0, "IRQ 12 gated by command byte bit 1");
	EXPECT(&r, 0x11);
	rig_fini(&r);
}

/* ---- Keyboard ---- */

static void test_kbd_commands(void)
{
	struct rig r;

	rig_init(&r);
	kbd_cmd(&r, 0xee);
	EXPECT(&r, 0xee);
	kbd_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0xab, 0x41);	/* translated: 0x83 -> 0x41 */
	set_cmd_byte(&r, 0x01);
	kbd_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0xab, 0x83);
	kbd_cmd(&r, 0xfe);
	EXPECT(&r, 0x83);
	kbd_cmd(&r, 0xff);
	EXPECT(&r, 0xfa, 0xaa);
	kbd_cmd(&r, 0xf0);
	kbd_cmd(&r, 0x00);
	EXPECT(&r, 0xfa, 0xfa, 0x02);
	kbd_cmd(&r, 0xf3);
	kbd_cmd(&r, 0x20);
	EXPECT(&r, 0xfa, 0xfa);
	kbd_cmd(&r, 0xf3);
	kbd_cmd(&r, 0x80);
	EXPECT(&r, 0xfa, 0xfe);
	kbd_cmd(&r, 0xf4);
	EXPECT(&r, 0xfa);
	kbd_cmd(&r, 0x42);
	EXPECT(&r, 0xfe);
	kbd_cmd(&r, 0xed);
	kbd_cmd(&r, PS2_LED_CAPS | PS2_LED_NUM);
	EXPECT(&r, 0xfa, 0xfa);
	is_int(r.led_calls, 1, "LED handler called once");
	is_int(r.leds, PS2_LED_CAPS | PS2_LED_NUM, "LED handler got caps+num");
	is_int(ps2_kbd_leds(i8042_kbd(r.s)), 6, "LED state readable");
	kbd_cmd(&r, 0xed);
	kbd_cmd(&r, 0xf4);	/* a command where the argument belongs: new command */
	EXPECT(&r, 0xfa, 0xfa);
	is_int(r.leds, 6, "aborted Set LEDs leaves the LEDs");
	kbd_cmd(&r, 0xff);
	EXPECT(&r, 0xfa, 0xaa);
	is_int(r.led_calls, 2, "reset turns the LEDs off and says so");
	is_int(r.leds, 0, "LEDs off after reset");
	ctl(&r, 0xad);
	kbd_cmd(&r, 0xee);
	EXPECT(&r, 0xee);	/* writing to the keyboard enables its interface */
	rig_fini(&r);
}

static void test_keys_translated(void)
{
	struct rig r;

	rig_init(&r);
	key(&r, 0x1e, true);
	key(&r, 0x1e, false);
	EXPECT(&r, 0x1e, 0x9e);
	key(&r, 0xe01d, true);
	key(&r, 0xe01d, false);
	EXPECT(&r, 0xe0, 0x1d, 0xe0, 0x9d);
	key(&r, 0xe048, true);
	key(&r, 0xe048, false);
	EXPECT(&r, 0xe0, 0x48, 0xe0, 0xc8);
	key(&r, 0x41, true);	/* F7: set-2 0x83 translates back to 0x41 */
	key(&r, 0x41, false);
	EXPECT(&r, 0x41, 0xc1);
	key(&r, PS2_KEY_PAUSE, true);
	key(&r, PS2_KEY_PAUSE, false);
	EXPECT(&r, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
	key(&r, 0xe037, true);
	key(&r, 0xe037, false);
	EXPECT(&r, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
	is_int(ps2_kbd_key(i8042_kbd(r.s), 0x80, true), -EINVAL, "0x80 is not a key");
	is_int(ps2_kbd_key(i8042_kbd(r.s), 0xe000, true), -EINVAL, "0xe000 is not a key");
	is_int(ps2_kbd_key(i8042_kbd(r.s), 0x1ff, true), -EINVAL, "0x1ff is not a key");
	rig_fini(&r);
}

/* Every set-1 code goes through set 2 and the 8042 translation unchanged. */
static void test_translation_round_trip(void)
{
	struct rig r;
	uint8_t b[8];
	int bad = 0, e0bad = 0;

	rig_init(&r);
	for (unsigned c = 1; c < 0x80; c++) {
		key(&r, c, true);
		key(&r, c, false);
		if (drain(&r, b, 8) != 2 || b[0] != c || b[1] != (c | 0x80))
			bad++;
		if (c == 0x37)
			continue;	/* Print Screen has fake shifts */
		key(&r, 0xe000 | c, true);
		key(&r, 0xe000 | c, false);
		if (drain(&r, b, 8) != 4 || b[0] != 0xe0 || b[1] != c || b[2] != 0xe0 ||
		    b[3] != (c | 0x80))
			e0bad++;
	}
	is_int(bad, 0, "all 127 set-1 codes survive set 2 + translation");
	is_int(e0bad, 0, "all e0 codes survive set 2 + translation");
	rig_fini(&r);
}

static void test_keys_set2_set1_set3(void)
{
	struct rig r;

	rig_init(&r);
	set_cmd_byte(&r, 0x01);		/* no translation */
	key(&r, 0x1e, true);
	key(&r, 0x1e, false);
	EXPECT(&r, 0x1c, 0xf0, 0x1c);
	key(&r, 0xe01d, true);
	key(&r, 0xe01d, false);
	EXPECT(&r, 0xe0, 0x14, 0xe0, 0xf0, 0x14);
	key(&r, 0xe04b, true);
	key(&r, 0xe04b, false);
	EXPECT(&r, 0xe0, 0x6b, 0xe0, 0xf0, 0x6b);
	key(&r, PS2_KEY_PAUSE, true);
	key(&r, PS2_KEY_PAUSE, false);
	EXPECT(&r, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
	key(&r, 0xe037, false);
	EXPECT(&r, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);

	kbd_cmd(&r, 0xf0);
	kbd_cmd(&r, 0x01);
	EXPECT(&r, 0xfa, 0xfa);
	is_int(ps2_kbd_scancode_set(i8042_kbd(r.s)), 1, "scancode set 1 selected");
	key(&r, 0x1e, true);
	key(&r, 0x1e, false);
	EXPECT(&r, 0x1e, 0x9e);
	key(&r, 0xe01d, true);
	key(&r, 0xe01d, false);
	EXPECT(&r, 0xe0, 0x1d, 0xe0, 0x9d);

	kbd_cmd(&r, 0xf0);
	kbd_cmd(&r, 0x03);
	kbd_cmd(&r, 0xf0);
	kbd_cmd(&r, 0x00);
	EXPECT(&r, 0xfa, 0xfa, 0xfa, 0xfa, 0x03);	/* unread ACKs queue up */
	key(&r, 0x1e, true);
	key(&r, 0x1e, false);
	EXPECT(&r, 0x1c);		/* set 3 default: letters make only */
	key(&r, 0x2a, true);
	key(&r, 0x2a, false);
	EXPECT(&r, 0x12, 0xf0, 0x12);	/* LShift is make/break */
	key(&r, 0xe048, true);
	key(&r, 0x3b, true);
	EXPECT(&r, 0x63, 0x07);		/* Up, F1: no e0 in set 3 */
	kbd_cmd(&r, 0xfa);
	EXPECT(&r, 0xfa);
	key(&r, 0x1e, false);
	EXPECT(&r, 0xf0, 0x1c);		/* all keys make/break now */
	key(&r, 0x64, true);
	EXPECT(&r);			/* F13 has no set-3 code */
	rig_fini(&r);
}

static void test_kbd_irq_and_gating(void)
{
	struct rig r;

	rig_init(&r);
	key(&r, 0xe01d, true);
	is_int(r.irq1.level, 1, "key raises IRQ 1");
	is_int(r.irq1.raises, 1, "one edge so far");
	is_int(inb(&r, 0x60), 0xe0, "first byte");
	is_int(r.irq1.raises, 2, "read lowers, next byte raises again");
	is_int(inb(&r, 0x60), 0x1d, "second byte");
	is_int(r.irq1.level, 0, "IRQ 1 low once drained");
	is_int(r.irq12.raises, 0, "IRQ 12 untouched by keys");

	set_cmd_byte(&r, 0x40);
	key(&r, 0x1e, true);
	ok(status(&r) & OBF, "byte waits in the buffer");
	is_int(r.irq1.level, 0, "IRQ 1 gated off by command byte bit 0");
	set_cmd_byte(&r, 0x41);
	is_int(r.irq1.level, 1, "enabling the IRQ with a full buffer raises it");
	EXPECT(&r, 0x1e);

	ctl(&r, 0xad);
	key(&r, 0x1f, true);
	ok(!(status(&r) & OBF), "disabled keyboard interface: nothing arrives");
	ctl(&r, 0xae);
	EXPECT(&r, 0x1f);

	kbd_cmd(&r, 0xf5);
	EXPECT(&r, 0xfa);
	is_int(ps2_kbd_key(i8042_kbd(r.s), 0x1e, true), -EAGAIN, "scanning disabled: -EAGAIN");
	EXPECT(&r);
	kbd_cmd(&r, 0xf4);
	EXPECT(&r, 0xfa);
	key(&r, 0x1e, true);
	EXPECT(&r, 0x1e);
	rig_fini(&r);
}

/* A reply never splits a scancode sequence; a controller reply never loses a key byte. */
static void test_reply_ordering(void)
{
	struct rig r;

	rig_init(&r);
	key(&r, 0xe01d, true);
	key(&r, 0x1e, true);
	is_int(inb(&r, 0x60), 0xe0, "sequence started");
	kbd_cmd(&r, 0xee);
	EXPECT(&r, 0x1d, 0xee, 0x1e);

	set_cmd_byte(&r, 0x01);		/* untranslated: e0 f0 14 is three bytes */
	key(&r, 0xe01d, false);
	key(&r, 0x1e, true);
	is_int(inb(&r, 0x60), 0xe0, "break sequence started (f0 now in the buffer)");
	kbd_cmd(&r, 0xee);
	EXPECT(&r, 0xf0, 0x14, 0xee, 0x1c);
	set_cmd_byte(&r, 0x43);

	key(&r, 0x1e, true);		/* now in the buffer, unread */
	ctl(&r, 0x20);
	EXPECT(&r, 0x43, 0x1e);
	rig_fini(&r);
}

static void test_kbd_overrun(void)
{
	struct rig r;
	uint8_t b[64];
	int n, ret = 0;

	rig_init(&r);
	ctl(&r, 0xad);
	for (int i = 0; i < 40; i++)
		ret = ps2_kbd_key(i8042_kbd(r.s), 0x10 + (i % 20), true);
	is_int(ret, -ENOSPC, "a full keyboard drops keys");
	ctl(&r, 0xae);
	n = drain(&r, b, 64);
	is_int(n, 16, "queue holds 15 key bytes plus the overrun code");
	is_int(b[0], 0x10, "oldest key first");
	is_int(b[n - 1], 0xff, "overrun code 0x00 arrives translated as 0xff");
	key(&r, 0x1e, true);
	EXPECT(&r, 0x1e);

	set_cmd_byte(&r, 0x11);		/* untranslated, keyboard disabled */
	for (int i = 0; i < 40; i++)
		key(&r, 0x1e, true);
	ctl(&r, 0xae);
	n = drain(&r, b, 64);
	is_int(n, 16, "untranslated: same bound");
	is_int(b[n - 1], 0x00, "set-2 overrun code is 0x00");
	rig_fini(&r);
}

/* ---- Mouse ---- */

static void mouse_on(struct rig *r)
{
	ctl(r, 0xa8);
	aux_cmd(r, 0xff);
	EXPECT(r, 0xfa, 0xaa, 0x00);
	aux_cmd(r, 0xf4);
	EXPECT(r, 0xfa);
}

static void move(struct rig *r, int dx, int dy, int dz, unsigned buttons)
{
	ps2_mouse_move(i8042_mouse(r->s), dx, dy, dz, buttons);
}

static void test_mouse_basic(void)
{
	struct rig r;

	rig_init(&r);
	ctl(&r, 0xa7);
	ctl(&r, 0x20);
	EXPECT(&r, 0x63);
	ctl(&r, 0xa8);
	ctl(&r, 0x20);
	EXPECT(&r, 0x43);
	aux_cmd(&r, 0xff);
	is_int(status(&r) & (OBF | AUXOBF), OBF | AUXOBF, "mouse reply flagged as aux");
	is_int(r.irq12.level, 1, "mouse reply raises IRQ 12");
	is_int(r.irq1.level, 0, "... not IRQ 1");
	EXPECT(&r, 0xfa, 0xaa, 0x00);
	aux_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0x00);
	aux_cmd(&r, 0xe9);
	EXPECT(&r, 0xfa, 0x00, 0x02, 100);
	is_int(ps2_mouse_move(i8042_mouse(r.s), 5, 5, 0, 0), -EAGAIN, "disabled: motion dropped");
	EXPECT(&r);
	aux_cmd(&r, 0xf4);
	EXPECT(&r, 0xfa);

	move(&r, 10, -5, 0, PS2_MOUSE_LEFT);	/* right and up on screen */
	EXPECT(&r, 0x09, 0x0a, 0x05);
	move(&r, -3, 4, 0, 0);			/* left and down */
	EXPECT(&r, 0x38, 0xfd, 0xfc);
	move(&r, 300, -400, 0, PS2_MOUSE_RIGHT | PS2_MOUSE_MIDDLE);
	EXPECT(&r, 0xce, 0xff, 0xff);		/* both overflow, positive */
	move(&r, -1000, 1000, 0, 0);
	EXPECT(&r, 0xf8, 0x00, 0x00);		/* both overflow, negative */
	move(&r, 255, -255, 0, 0);
	EXPECT(&r, 0x08, 0xff, 0xff);		/* the largest in range: no overflow */
	move(&r, -256, 256, 0, 0);
	EXPECT(&r, 0x38, 0x00, 0x00);
	move(&r, 0, 0, 0, 0);
	EXPECT(&r);				/* nothing changed: no packet */
	move(&r, 0, 0, 0, PS2_MOUSE_MIDDLE);
	EXPECT(&r, 0x0c, 0x00, 0x00);
	move(&r, 0, 0, 5, PS2_MOUSE_MIDDLE);
	EXPECT(&r);				/* ID 0 has no wheel */

	aux_cmd(&r, 0xe8);
	aux_cmd(&r, 0x03);
	aux_cmd(&r, 0xf3);
	aux_cmd(&r, 40);
	aux_cmd(&r, 0xe7);
	aux_cmd(&r, 0xe9);
	EXPECT(&r, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x32, 0x03, 40);
	move(&r, 4, 0, 0, 0);
	EXPECT(&r, 0x08, 0x06, 0x00);		/* 2:1 scaling: 4 -> 6 */
	aux_cmd(&r, 0xf3);
	aux_cmd(&r, 33);
	EXPECT(&r, 0xfa, 0xfe);			/* not a valid rate */
	aux_cmd(&r, 0xf6);
	move(&r, 0, 0, 0, PS2_MOUSE_LEFT);	/* reporting off, buttons still tracked */
	aux_cmd(&r, 0xe9);
	EXPECT(&r, 0xfa, 0xfa, 0x04, 0x02, 100);
	rig_fini(&r);
}

static void test_mouse_intellimouse(void)
{
	struct rig r;
	static const uint8_t knock3[] = { 200, 100, 80 }, knock4[] = { 200, 200, 80 };

	rig_init(&r);
	mouse_on(&r);
	for (int i = 0; i < 3; i++) {
		aux_cmd(&r, 0xf3);
		aux_cmd(&r, knock3[i]);
	}
	aux_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03);
	move(&r, 1, 1, 2, 0);
	EXPECT(&r, 0x28, 0x01, 0xff, 0x02);
	move(&r, 0, 0, -20, 0);
	EXPECT(&r, 0x08, 0x00, 0x00, 0xf8);	/* wheel saturates at -8 */
	for (int i = 0; i < 3; i++) {
		aux_cmd(&r, 0xf3);
		aux_cmd(&r, knock4[i]);
	}
	aux_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x04);
	move(&r, 0, 0, 1, PS2_MOUSE_SIDE);
	EXPECT(&r, 0x08, 0x00, 0x00, 0x11);
	aux_cmd(&r, 0xff);
	EXPECT(&r, 0xfa, 0xaa, 0x00);
	is_int(ps2_mouse_id(i8042_mouse(r.s)), 0, "reset returns to ID 0");

	aux_cmd(&r, 0xf3);
	aux_cmd(&r, 200);
	aux_cmd(&r, 0xe6);		/* a different command breaks the knock */
	aux_cmd(&r, 0xf3);
	aux_cmd(&r, 100);
	aux_cmd(&r, 0xf3);
	aux_cmd(&r, 80);
	aux_cmd(&r, 0xf2);
	EXPECT(&r, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x00);
	rig_fini(&r);
}

static void test_mouse_remote_wrap_coalesce(void)
{
	struct rig r;
	uint8_t b[64];
	int n;

	rig_init(&r);
	mouse_on(&r);
	aux_cmd(&r, 0xf0);
	EXPECT(&r, 0xfa);
	move(&r, 3, 0, 0, 0);
	move(&r, 4, -2, 0, 0);
	EXPECT(&r);
	aux_cmd(&r, 0xeb);
	EXPECT(&r, 0xfa, 0x08, 0x07, 0x02);
	aux_cmd(&r, 0xeb);
	EXPECT(&r, 0xfa, 0x08, 0x00, 0x00);
	aux_cmd(&r, 0xea);
	aux_cmd(&r, 0xee);
	aux_cmd(&r, 0x42);
	aux_cmd(&r, 0xec);
	EXPECT(&r, 0xfa, 0xfa, 0x42, 0xfa);

	ctl(&r, 0xa7);			/* the guest stops reading the aux port */
	for (int i = 0; i < 1000; i++)
		move(&r, 1, 0, 0, 0);
	ctl(&r, 0xa8);
	n = drain(&r, b, 64);
	ok(n > 0 && n <= 18 && n % 3 == 0, "queued packets are bounded (%d bytes)", n);
	is_int(b[n - 2], 0xff, "the rest was counted and reported with overflow");
	is_int(b[n - 3], 0x48, "... and the X overflow bit");
	rig_fini(&r);
}

/* ---- Life cycle, isolation and hostile input ---- */

static void test_reset_and_isolation(void)
{
	struct rig a, b;

	rig_init(&a);
	rig_init(&b);
	kbd_cmd(&a, 0xed);
	kbd_cmd(&a, PS2_LED_SCROLL);
	EXPECT(&a, 0xfa, 0xfa);
	set_cmd_byte(&a, 0x01);
	key(&a, 0x1e, true);
	is_int(a.irq1.level, 1, "IRQ 1 high before reset");
	ok(!(status(&b) & OBF), "the other controller saw nothing");
	is_int(b.led_calls, 0, "nor its LEDs");
	i8042_reset(a.s);
	is_int(a.irq1.level, 0, "reset lowers IRQ 1");
	ok(!(status(&a) & OBF), "reset empties the buffer");
	is_int(a.leds, 0, "reset turns the LEDs off");
	ctl(&a, 0x20);
	EXPECT(&a, 0x43);
	rig_fini(&a);
	rig_fini(&b);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* One random guest or host action; returns how many bytes a drain read, or 0. */
static int storm_step(struct rig *r, uint32_t v)
{
	uint8_t b[8];

	switch (v % 8) {
	case 0:
	case 1:
		outb(r, I8042_DATA_PORT, v >> 8);
		break;
	case 2:
		outb(r, I8042_CMD_PORT, v >> 8);
		break;
	case 3:
		ctl_arg(r, 0xd4, v >> 8);
		break;
	case 4:
		inb(r, v & 0x100 ? I8042_DATA_PORT : I8042_CMD_PORT);
		break;
	case 5:
		ps2_kbd_key(i8042_kbd(r->s), (v & 0x20000 ? 0xe000 : 0) | ((v >> 8) & 0xff),
			    v & 0x10000);
		break;
	case 6:
		ps2_mouse_move(i8042_mouse(r->s), (int)(v >> 4), -(int)v, (int)(v >> 12), v >> 20);
		break;
	default:
		if (v & 0x700)
			break;
		ctl(r, 0xae);
		ctl(r, 0xa8);
		return drain(r, b, 8);
	}
	return 0;
}

static void test_storm(void)
{
	struct rig r;
	uint32_t x = 0x8042;
	int max_drain = 0;
	uint8_t b[8];

	rig_init(&r);
	for (int i = 0; i < 200000; i++) {
		int n = storm_step(&r, rnd(&x));

		if (n > max_drain)
			max_drain = n;
	}
	/* two devices x (replies + output) of 16, the buffer, a held byte, one refilled packet */
	ok(max_drain <= 4 * 16 + 2 + 4, "output stayed bounded under a storm (max %d)", max_drain);
	ok(max_drain > 0, "the storm did produce output");
	ok(vmm_guest_log_count(&r.log) > 0, "storm produced guest errors, not crashes");
	ctl(&r, 0xae);
	ctl(&r, 0xa8);
	set_cmd_byte(&r, 0x43);
	drain(&r, b, 8);
	kbd_cmd(&r, 0xff);
	EXPECT(&r, 0xfa, 0xaa);	/* still works after the storm */
	rig_fini(&r);
}

int main(void)
{
	test_power_on_and_self_test();
	test_command_byte();
	test_reset_line();
	test_loopback();
	test_kbd_commands();
	test_keys_translated();
	test_translation_round_trip();
	test_keys_set2_set1_set3();
	test_kbd_irq_and_gating();
	test_reply_ordering();
	test_kbd_overrun();
	test_mouse_basic();
	test_mouse_intellimouse();
	test_mouse_remote_wrap_coalesce();
	test_reset_and_isolation();
	test_storm();
	return tap_done();
}
