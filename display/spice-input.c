// SPDX-License-Identifier: GPL-2.0-or-later
/* SPICE keyboard and mouse into the VM's i8042 (PS/2) or its tablet, LEDs back to the client. */
#include <errno.h>

#include "i8042.h"
#include "ps2.h"
#include "spice-private.h"
#include "virtio/virtio-input.h"
#include "vm.h"

/*
 * spice-server calls these on the spice thread. The keyboard interface hands over set-1
 * scancode bytes one at a time (spice-input.h push_scan_freg: 0xe0 prefix, bit 7 =
 * break); ps2_kbd_key wants whole keys (0x01..0x7f or 0xe0xx) and a down flag. Pause is
 * the only 0xe1 key: its make sequence e1 1d 45 and break sequence e1 9d c5 arrive as one
 * press (PS2_KEY_PAUSE has no break code).
 */

static struct vspice *kbd_to_vspice(SpiceKbdInstance *sin)
{
	return vspice_container_of(sin, struct vspice, kbd);
}

static struct vspice *mouse_to_vspice(SpiceMouseInstance *sin)
{
	return vspice_container_of(sin, struct vspice, mouse);
}

static struct vspice *tablet_to_vspice(SpiceTabletInstance *sin)
{
	return vspice_container_of(sin, struct vspice, tablet);
}

static void push_scan_freg(SpiceKbdInstance *sin, uint8_t byte)
{
	struct vspice *s = kbd_to_vspice(sin);
	struct ps2_kbd *kbd = s->vm->i8042 ? i8042_kbd(s->vm->i8042) : NULL;
	uint32_t code;

	if (s->kbd_e1_left) {
		if (--s->kbd_e1_left == 0 && byte == 0x45 && kbd)
			ps2_kbd_key(kbd, PS2_KEY_PAUSE, true);
		return;
	}
	if (byte == 0xe1) {
		s->kbd_e1_left = 2;
		return;
	}
	if (byte == 0xe0) {
		s->kbd_e0 = true;
		return;
	}
	code = (byte & 0x7f) | (s->kbd_e0 ? 0xe000u : 0);
	s->kbd_e0 = false;
	/* Fake shifts (e0 2a, e0 aa, e0 36, e0 b6) around some keys: the device adds its own. */
	if (code == 0xe02a || code == 0xe036)
		return;
	if (kbd)
		ps2_kbd_key(kbd, code, !(byte & 0x80));	/* -EAGAIN etc.: host input, dropped */
}

/* spice-input.h: scroll 1, num 2, caps 4 — the same bits as the PS/2 Set LEDs argument. */
static uint8_t get_leds(SpiceKbdInstance *sin)
{
	struct vspice *s = kbd_to_vspice(sin);

	return s->vm->i8042 ? (uint8_t)ps2_kbd_leds(i8042_kbd(s->vm->i8042)) : 0;
}

/*
 * spice-server does not pass the wire's button mask (spice/enums.h: left 1, middle 2,
 * right 4) through: its inputs channel swaps middle and right first (inputs-channel.c,
 * RED_MOUSE_STATE_TO_LOCAL), so the mouse interface sees left 1, right 2, middle 4 —
 * PS/2's own order. Found by run-spice.py's mouse case; a tablet gets the same order.
 */
#define VSPICE_LOCAL_LEFT	0x01
#define VSPICE_LOCAL_RIGHT	0x02
#define VSPICE_LOCAL_MIDDLE	0x04

static unsigned ps2_buttons(uint32_t local)
{
	unsigned b = 0;

	if (local & VSPICE_LOCAL_LEFT)
		b |= PS2_MOUSE_LEFT;
	if (local & VSPICE_LOCAL_MIDDLE)
		b |= PS2_MOUSE_MIDDLE;
	if (local & VSPICE_LOCAL_RIGHT)
		b |= PS2_MOUSE_RIGHT;
	return b;
}

/* Server mouse mode: relative motion, dy positive down, dz positive = wheel down. */
static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons)
{
	struct vspice *s = mouse_to_vspice(sin);

	if (s->vm->i8042)
		ps2_mouse_move(i8042_mouse(s->vm->i8042), dx, dy, dz, ps2_buttons(buttons));
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons)
{
	mouse_motion(sin, 0, 0, 0, buttons);
}

/*
 * Client mouse mode (spice-protocol's SPICE_MOUSE_MODE_CLIENT). spice-server offers it once a
 * tablet is registered and the primary surface allows it (QXLDevSurfaceCreate.mouse_mode
 * non-zero, spice-qxl.c), and tells the tablet the surface's size before any position;
 * positions come in surface pixels. A client may send anything, so they are clamped here
 * (negative) and in virtio_input_tablet_event() (past the edge). A press or release arrives
 * as wheel(0, buttons) or buttons(buttons), at the last position. Nothing is logged per
 * event; a report dropped for want of guest buffers (-EAGAIN) is counted by the device.
 */
static uint32_t tablet_buttons(uint32_t local)
{
	uint32_t b = 0;

	if (local & VSPICE_LOCAL_LEFT)
		b |= VIRTIO_INPUT_BTN_LEFT;
	if (local & VSPICE_LOCAL_MIDDLE)
		b |= VIRTIO_INPUT_BTN_MIDDLE;
	if (local & VSPICE_LOCAL_RIGHT)
		b |= VIRTIO_INPUT_BTN_RIGHT;
	return b;
}

static void tablet_send(struct vspice *s, uint32_t buttons, int dz)
{
	if (!s->vm->tablet || !s->tablet_w || !s->tablet_h)
		return;		/* no size yet: spice-server sends one before client mode */
	virtio_input_tablet_event(s->vm->tablet, s->tablet_x, s->tablet_y, s->tablet_w,
				  s->tablet_h, tablet_buttons(buttons), dz);
}

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height)
{
	struct vspice *s = tablet_to_vspice(sin);

	s->tablet_w = width > 0 ? (uint32_t)width : 0;
	s->tablet_h = height > 0 ? (uint32_t)height : 0;
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons)
{
	struct vspice *s = tablet_to_vspice(sin);

	s->tablet_x = x > 0 ? (uint32_t)x : 0;
	s->tablet_y = y > 0 ? (uint32_t)y : 0;
	tablet_send(s, buttons, 0);
}

/* spice-server's dz: -1 for SPICE_MOUSE_BUTTON_UP, +1 for DOWN — the contract's sign. */
static void tablet_wheel(SpiceTabletInstance *sin, int dz, uint32_t buttons)
{
	tablet_send(tablet_to_vspice(sin), buttons, dz);
}

static void tablet_buttons_changed(SpiceTabletInstance *sin, uint32_t buttons)
{
	tablet_send(tablet_to_vspice(sin), buttons, 0);
}

static const SpiceKbdInterface vspice_kbd_interface = {
	.base = {
		.type = SPICE_INTERFACE_KEYBOARD,
		.description = "vessel PS/2 keyboard",
		.major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		.minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
	},
	.push_scan_freg = push_scan_freg,
	.get_leds = get_leds,
};

static const SpiceMouseInterface vspice_mouse_interface = {
	.base = {
		.type = SPICE_INTERFACE_MOUSE,
		.description = "vessel PS/2 mouse",
		.major_version = SPICE_INTERFACE_MOUSE_MAJOR,
		.minor_version = SPICE_INTERFACE_MOUSE_MINOR,
	},
	.motion = mouse_motion,
	.buttons = mouse_buttons,
};

static const SpiceTabletInterface vspice_tablet_interface = {
	.base = {
		.type = SPICE_INTERFACE_TABLET,
		.description = "vessel virtio-input tablet",
		.major_version = SPICE_INTERFACE_TABLET_MAJOR,
		.minor_version = SPICE_INTERFACE_TABLET_MINOR,
	},
	.set_logical_size = tablet_set_logical_size,
	.position = tablet_position,
	.wheel = tablet_wheel,
	.buttons = tablet_buttons_changed,
};

/* On the spice thread: tell the client what the guest set. */
static gboolean leds_changed(gpointer data)
{
	struct vspice *s = data;

	if (s->kbd_added)
		spice_server_kbd_leds(&s->kbd, get_leds(&s->kbd));
	return G_SOURCE_REMOVE;
}

/* On a vCPU thread (ps2.h): only post to the spice thread. */
static void led_handler(void *opaque, unsigned leds)
{
	struct vspice *s = opaque;

	g_main_context_invoke(s->ctx, leds_changed, s);
}

int vspice_input_add(struct vspice *s)
{
	s->kbd.base.sif = &vspice_kbd_interface.base;
	s->mouse.base.sif = &vspice_mouse_interface.base;
	if (spice_server_add_interface(s->server, &s->kbd.base))
		return -EIO;
	s->kbd_added = true;
	if (spice_server_add_interface(s->server, &s->mouse.base))
		return -EIO;
	s->mouse_added = true;
	if (s->vm->tablet) {
		s->tablet.base.sif = &vspice_tablet_interface.base;
		if (spice_server_add_interface(s->server, &s->tablet.base))
			return -EIO;
		s->tablet_added = true;
	}
	if (s->vm->i8042)
		ps2_kbd_set_led_handler(i8042_kbd(s->vm->i8042), led_handler, s);
	return 0;
}

void vspice_input_remove(struct vspice *s)
{
	/* Unlike keyboards and mice, spice-server can remove a tablet (and frees its state). */
	if (s->tablet_added)
		spice_server_remove_interface(&s->tablet.base);
	s->tablet_added = false;
	if (s->vm->i8042)
		ps2_kbd_set_led_handler(i8042_kbd(s->vm->i8042), NULL, NULL);
}
