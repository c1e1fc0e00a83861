// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot save/load of the i8042 with its PS/2 keyboard and mouse, queues included. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "i8042.h"
#include "log.h"
#include "ps2.h"
#include "tap.h"

#define OBF	I8042_STS_OBF

/* Layout of the version-1 blob (struct i8042_state): controller bytes, then kbd, mouse. */
#define BLOB_LEN	164
#define O_OUTPORT	36
#define O_PENDING	37
#define O_OBF		39
#define O_OUT_SRC	41
#define O_KBD		48
#define O_MOUSE		96

struct rig {
	struct vmm_guest_log log;
	struct vmm_bus bus;
	struct i8042 *s;
	int irq1, irq12;
	int led_calls;
	unsigned leds;
};

static void irq_set(void *opaque, unsigned gsi, int level)
{
	*(int *)opaque = level;
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
		.irq_kbd = { irq_set, &r->irq1, 1 },
		.irq_aux = { irq_set, &r->irq12, 12 },
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

static void aux_cmd(struct rig *r, uint8_t v)
{
	outb(r, I8042_CMD_PORT, 0xd4);
	outb(r, I8042_DATA_PORT, v);
}

/* Read everything the guest can read now into buf; returns the count. */
static int drain(struct rig *r, uint8_t *buf, int max)
{
	int n = 0;

	while ((inb(r, I8042_CMD_PORT) & OBF) && n < max)
		buf[n++] = inb(r, I8042_DATA_PORT);
	return n;
}

static uint8_t *save(struct rig *r)
{
	void *blob = NULL;
	size_t len = 0;

	if (i8042_save(r->s, &blob, &len) || len != BLOB_LEN) {
		printf("Bail out! i8042_save failed (len %zu)\n", len);
		exit(1);
	}
	return blob;
}

/* LEDs on, IntelliMouse ID 3, keys and motion queued behind an unread byte, 0xd4 pending. */
static void drive(struct rig *r)
{
	uint8_t junk[64];

	outb(r, I8042_CMD_PORT, 0xa8);
	aux_cmd(r, 0xf4);
	aux_cmd(r, 0xf3); aux_cmd(r, 200);
	aux_cmd(r, 0xf3); aux_cmd(r, 100);
	aux_cmd(r, 0xf3); aux_cmd(r, 80);
	aux_cmd(r, 0xe8); aux_cmd(r, 3);
	outb(r, I8042_DATA_PORT, 0xed);
	outb(r, I8042_DATA_PORT, 0x05);
	drain(r, junk, sizeof(junk));
	ps2_kbd_key(i8042_kbd(r->s), 0x1e, true);	/* A */
	ps2_kbd_key(i8042_kbd(r->s), 0xe048, true);	/* Up: e0 48 */
	ps2_kbd_key(i8042_kbd(r->s), 0x1e, false);
	ps2_mouse_move(i8042_mouse(r->s), 5, -3, 1, PS2_MOUSE_LEFT);
	ps2_mouse_move(i8042_mouse(r->s), 300, 0, 0, 0);
	outb(r, I8042_CMD_PORT, 0xd4);		/* next data byte goes to the mouse */
}

static void test_roundtrip(void)
{
	struct rig a, b;
	uint8_t *blob, ba[64], bb[64];
	int na, nb;

	rig_init(&a);
	rig_init(&b);
	drive(&a);
	is_int(a.irq1, 1, "A: the first scancode raised IRQ 1");
	blob = save(&a);
	b.led_calls = 0;
	is_int(i8042_load(b.s, blob, BLOB_LEN), 0, "load into a fresh controller");
	is_int(b.irq1, 1, "B: IRQ 1 re-asserted for the byte in the output buffer");
	is_int(b.irq12, 0, "B: IRQ 12 low, as in A");
	ok(b.led_calls == 1 && b.leds == 5, "B: the LED handler hears the restored LEDs");
	is_int(inb(&b, I8042_CMD_PORT), inb(&a, I8042_CMD_PORT), "status reads the same");
	outb(&a, I8042_DATA_PORT, 0xf2);	/* to the mouse, through the pending 0xd4 */
	outb(&b, I8042_DATA_PORT, 0xf2);
	na = drain(&a, ba, sizeof(ba));
	nb = drain(&b, bb, sizeof(bb));
	ok(na > 12 && na == nb && !memcmp(ba, bb, (size_t)na),
	   "the same %d bytes come out: scancodes, packets and the ID reply", na);
	ok(memmem(bb, (size_t)nb, "\xfa\x03", 2) != NULL, "B's mouse answers with ID 3");
	is_int(b.irq1 | b.irq12, 0, "B: both lines low once drained");
	outb(&b, I8042_CMD_PORT, 0xd0);
	is_int(inb(&b, I8042_DATA_PORT) & 3, 3, "B: output port keeps reset released and A20 on");
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

/* A packet half read by the guest: the rest still comes first after the load. */
static void test_mid_packet(void)
{
	struct rig a, b;
	uint8_t *blob, ba[16], bb[16];
	int na, nb;

	rig_init(&a);
	rig_init(&b);
	outb(&a, I8042_CMD_PORT, 0xa8);
	aux_cmd(&a, 0xf4);
	drain(&a, ba, sizeof(ba));
	ps2_mouse_move(i8042_mouse(a.s), 7, 7, 0, 0);
	inb(&a, I8042_DATA_PORT);		/* byte 1 of 3 */
	aux_cmd(&a, 0xe9);			/* status request: reply waits for the packet */
	blob = save(&a);
	is_int(i8042_load(b.s, blob, BLOB_LEN), 0, "load with a packet half read");
	is_int(b.irq12, 1, "B: IRQ 12 re-asserted");
	na = drain(&a, ba, sizeof(ba));
	nb = drain(&b, bb, sizeof(bb));
	ok(na == 6 && na == nb && !memcmp(ba, bb, (size_t)na),
	   "packet tail then the status reply, the same on both (%d bytes)", na);
	free(blob);
	rig_fini(&a);
	rig_fini(&b);
}

static void refuse_at(struct rig *b, const uint8_t *good, size_t off, const void *v, size_t n,
		      const uint8_t *before, const char *what)
{
	uint8_t bad[BLOB_LEN], *after;

	memcpy(bad, good, BLOB_LEN);
	memcpy(bad + off, v, n);
	is_int(i8042_load(b->s, bad, BLOB_LEN), -EINVAL, "refused: %s", what);
	after = save(b);
	ok(!memcmp(after, before, BLOB_LEN) && !b->irq1 && !b->irq12, "... B unchanged");
	free(after);
}

static void refuse(struct rig *b, const uint8_t *good, size_t off, uint8_t v,
		   const uint8_t *before, const char *what)
{
	refuse_at(b, good, off, &v, 1, before, what);
}

#define KBD(f)		(O_KBD + offsetof(struct ps2_kbd_state, f))
#define MOUSE(f)	(O_MOUSE + offsetof(struct ps2_mouse_state, f))

static void test_hostile(void)
{
	struct rig a, b;
	uint8_t *good, *before;
	uint16_t end = 0x8000;
	int32_t big = 40000;

	rig_init(&a);
	rig_init(&b);
	drive(&a);
	good = save(&a);
	outb(&b, I8042_CMD_PORT, 0x60);
	outb(&b, I8042_DATA_PORT, 0x45);	/* B: a command byte of its own */
	before = save(&b);
	is_int(i8042_load(b.s, good, BLOB_LEN - 1), -EINVAL, "refused: truncated blob");
	is_int(i8042_load(b.s, good, BLOB_LEN + 1), -EINVAL, "refused: overlong blob");
	refuse(&b, good, 0, 7, before, "version 7");
	refuse(&b, good, O_OUTPORT, 0x02, before, "output port holding reset");
	refuse(&b, good, O_PENDING, 0x55, before, "pending command that takes no data");
	refuse(&b, good, O_OBF, 2, before, "obf not a boolean");
	refuse(&b, good, O_OUT_SRC, 3, before, "unknown output source");
	refuse(&b, good, KBD(set), 4, before, "scancode set 4");
	refuse(&b, good, KBD(leds), 8, before, "LED bit 3");
	refuse(&b, good, KBD(arg_cmd), 0xf4, before, "keyboard arg_cmd 0xf4");
	refuse(&b, good, KBD(port.out_count), 17, before, "keyboard queue count 17");
	refuse_at(&b, good, KBD(port.reply_end), &end, 2, before, "reply end mark past its count");
	refuse(&b, good, MOUSE(rate), 7, before, "mouse rate 7");
	refuse(&b, good, MOUSE(id), 2, before, "mouse ID 2");
	refuse(&b, good, MOUSE(resolution), 4, before, "mouse resolution 4");
	refuse(&b, good, MOUSE(arg_cmd), 0xf4, before, "mouse arg_cmd 0xf4");
	refuse(&b, good, MOUSE(buttons), 0x20, before, "mouse button 6");
	refuse_at(&b, good, MOUSE(dx), &big, 4, before, "mouse counter beyond saturation");
	outb(&b, I8042_CMD_PORT, 0x20);
	is_int(inb(&b, I8042_DATA_PORT), 0x45, "B still has its own command byte");
	free(good);
	free(before);
	rig_fini(&a);
	rig_fini(&b);
}

int main(void)
{
	test_roundtrip();
	test_mid_packet();
	test_hostile();
	return tap_done();
}
