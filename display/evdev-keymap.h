/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux evdev key codes (what GTK and Wayland report) to the PS/2 keyboard's key numbers. */
#ifndef VESSEL_EVDEV_KEYMAP_H
#define VESSEL_EVDEV_KEYMAP_H

#include <stdint.h>

/*
 * The key ps2_kbd_key() wants for an evdev code (linux/input-event-codes.h): the set-1 make
 * code, 0xe0xx for extended keys, PS2_KEY_PAUSE for Pause; 0 when the PC keyboard has no such
 * key. X11 hardware keycodes are evdev codes + 8.
 */
uint32_t evdev_to_ps2_key(unsigned code);

#endif
