/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "Send keys" combinations (keys the host keeps for itself) as evdev keycodes. */
#ifndef VESSEL_SEND_KEYS_H
#define VESSEL_SEND_KEYS_H

#include <glib.h>

#define VESSEL_SEND_KEYS_MAX 3

/*
 * "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1" ... "ctrl-alt-f12", "print": fill
 * codes (at least VESSEL_SEND_KEYS_MAX) and return how many; 0 for an unknown name.
 */
guint vessel_send_keys_lookup(const char *name, guint *codes);

#endif
