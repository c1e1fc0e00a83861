/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PS/2 keyboard and mouse device models: the far ends of the i8042's two serial ports. */
#ifndef VMM_PS2_H
#define VMM_PS2_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

/*
 * Each device keeps two bounded queues (16 bytes) for its controller: replies to commands
 * (sent first, but never in the middle of a scancode sequence or packet) and scancodes or
 * movement packets. Nothing grows: a storm of guest bytes or host events only drops, as
 * described at each function.
 *
 * Locking: a device is guarded by the lock its owner (the i8042) passes in the config,
 * shared by both devices and the controller. Functions under "Host side" take that lock
 * themselves; functions under "Controller side" expect the caller to hold it.
 */

struct ps2_kbd;
struct ps2_mouse;

struct ps2_port_config {
	pthread_mutex_t *lock;		/* NULL: the device uses a lock of its own */
	/* Called with the lock held after host input queued bytes (the controller pulls). */
	void (*notify)(void *opaque);
	void *opaque;
};

/* ---- Keyboard ---- */

/* LED bits of the Set LEDs (0xED) argument (IBM PS/2 Keyboard Technical Reference). */
#define PS2_LED_SCROLL		0x01
#define PS2_LED_NUM		0x02
#define PS2_LED_CAPS		0x04

/*
 * Host key codes are set-1 make codes: 0x01..0x7f, or 0xe001..0xe07f for keys sent with an
 * 0xe0 prefix (Right Ctrl is 0xe01d, Up arrow 0xe048). Print Screen is 0xe037 (the device
 * adds the fake-shift bytes real keyboards send). Pause, which has no 0xe0 form, is the
 * constant below (its set-1 make sequence e1 1d 45); it has no break code.
 */
#define PS2_KEY_PAUSE		0xe11d45u

struct ps2_kbd *ps2_kbd_new(const struct ps2_port_config *cfg);
void ps2_kbd_free(struct ps2_kbd *kbd);

/* Host side (take the lock). */

/*
 * Press (down) or release a key. Bytes are produced in the keyboard's active set (1, 2 or
 * 3; set 2 after reset); the i8042 translates set 2 to set 1 when its command byte asks.
 * The keyboard never auto-repeats: the host sends repeated presses.
 *
 * The output queue holds 16 bytes. A key whose whole sequence does not fit is dropped and,
 * as on a real keyboard (IBM PS/2 Keyboard Tech. Ref., "Keyboard Outputs: Overrun"), one
 * overrun code takes its place: 0x00 in sets 2 and 3 (the i8042 translates it to 0xff),
 * 0xff in set 1. Further keys are dropped until the guest drains the queue. This is host
 * input, so nothing is logged as a guest error.
 *
 * Returns 0 when queued, -EINVAL for a code that is not a key, -EAGAIN when the guest has
 * disabled scanning, -ENOSPC when dropped for overrun. Codes without a key in the active
 * set (say, a set-1 code set 3 does not define) are ignored and return 0.
 */
int ps2_kbd_key(struct ps2_kbd *kbd, uint32_t keycode, bool down);

/*
 * Who to tell when the guest changes the LEDs (PS2_LED_* mask). The handler runs on the
 * thread that wrote the command (a vCPU), without the device lock held.
 */
void ps2_kbd_set_led_handler(struct ps2_kbd *kbd, void (*handler)(void *opaque, unsigned leds),
			     void *opaque);
unsigned ps2_kbd_leds(struct ps2_kbd *kbd);
/* Deliver a pending LED change to the handler; the owner calls it after dropping the lock. */
void ps2_kbd_flush_leds(struct ps2_kbd *kbd);

/* Controller side (the caller holds the lock). */
void ps2_kbd_reset(struct ps2_kbd *kbd);
void ps2_kbd_write(struct ps2_kbd *kbd, uint8_t byte);	/* a byte from the controller */
bool ps2_kbd_read(struct ps2_kbd *kbd, uint8_t *byte);	/* next byte to the controller */
bool ps2_kbd_pending(const struct ps2_kbd *kbd);
unsigned ps2_kbd_scancode_set(const struct ps2_kbd *kbd);

/* ---- Mouse ---- */

/* Host button mask for ps2_mouse_move (note: not SPICE's order). */
#define PS2_MOUSE_LEFT		0x01
#define PS2_MOUSE_RIGHT		0x02
#define PS2_MOUSE_MIDDLE	0x04
#define PS2_MOUSE_SIDE		0x08	/* button 4, reported with device ID 4 */
#define PS2_MOUSE_EXTRA		0x10	/* button 5, reported with device ID 4 */

struct ps2_mouse *ps2_mouse_new(const struct ps2_port_config *cfg);
void ps2_mouse_free(struct ps2_mouse *mouse);

/* Host side (take the lock). */

/*
 * Relative motion and the current button state, in *screen* orientation as SPICE delivers
 * them: dx positive to the right, dy positive DOWN, dz positive when the wheel turns
 * toward the user (scrolling down). The device negates dy because PS/2 counts Y positive
 * upward (IBM PS/2 Mouse Technical Reference, "Data Report").
 *
 * Motion adds to the mouse's counters; in stream mode with reporting enabled a packet
 * (3 bytes, or 4 once the IntelliMouse knock set ID 3 or 4) is queued whenever there is
 * room, and the counters restart from zero. A counter beyond -256..255 is reported
 * saturated with its overflow bit set. In remote mode the counters wait for Read Data.
 * Returns 0, or -EAGAIN when reporting is disabled in stream mode (motion dropped).
 */
int ps2_mouse_move(struct ps2_mouse *mouse, int dx, int dy, int dz, unsigned buttons);

/* Controller side (the caller holds the lock). */
void ps2_mouse_reset(struct ps2_mouse *mouse);
void ps2_mouse_write(struct ps2_mouse *mouse, uint8_t byte);
bool ps2_mouse_read(struct ps2_mouse *mouse, uint8_t *byte);
bool ps2_mouse_pending(const struct ps2_mouse *mouse);
unsigned ps2_mouse_id(const struct ps2_mouse *mouse);

/* ---- Snapshot state (issue 9), carried inside the i8042's blob ---- */

/*
 * Plain data, no padding. Queues are stored in order from their head; bit i of *_end says
 * byte i ends a scancode sequence or packet. The caller holds the device lock for save and
 * restore. Load is two steps so the i8042 can validate everything before changing anything:
 * *_state_check() (false, with one vmm_warn line, if the state is impossible), then
 * *_restore().
 */
#define PS2_STATE_QUEUE		16

struct ps2_port_state {
	uint8_t reply[PS2_STATE_QUEUE], out[PS2_STATE_QUEUE];
	uint16_t reply_end, out_end;
	uint8_t reply_count, out_count, mid_seq, last;
};

struct ps2_kbd_state {
	struct ps2_port_state port;
	uint8_t arg_cmd, scanning, overrun, set, typematic, set3_mode, leds, pad;
};

struct ps2_mouse_state {
	struct ps2_port_state port;
	int32_t dx, dy, dz;
	uint8_t arg_cmd, enabled, remote, wrap, scale21, rate, resolution, id;
	uint8_t knock[3], buttons;
	uint8_t dirty, pad[3];
};

void ps2_kbd_save(const struct ps2_kbd *kbd, struct ps2_kbd_state *st);
bool ps2_kbd_state_check(const struct ps2_kbd_state *st);
/* The LEDs are re-announced to the handler at the next ps2_kbd_flush_leds(). */
void ps2_kbd_restore(struct ps2_kbd *kbd, const struct ps2_kbd_state *st);
void ps2_mouse_save(const struct ps2_mouse *mouse, struct ps2_mouse_state *st);
bool ps2_mouse_state_check(const struct ps2_mouse_state *st);
void ps2_mouse_restore(struct ps2_mouse *mouse, const struct ps2_mouse_state *st);

/* ---- Scancode tables ---- */

/* The i8042's set-2 to set-1 translation of one byte (0xf0 is handled by the caller). */
uint8_t ps2_translate_set2(uint8_t code);

#endif
