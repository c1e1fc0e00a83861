// SPDX-License-Identifier: GPL-2.0-or-later
// The "Send keys" combinations: names to evdev keycodes (linux/input-event-codes.h values).
#include "vessel-send-keys.h"

#include <stdio.h>
#include <string.h>

enum {
	EV_KEY_BACKSPACE = 14,
	EV_KEY_LEFTCTRL = 29,
	EV_KEY_LEFTALT = 56,
	EV_KEY_F1 = 59,		/* F1..F10 are 59..68 */
	EV_KEY_F11 = 87,
	EV_KEY_F12 = 88,
	EV_KEY_SYSRQ = 99,	/* PrintScreen */
	EV_KEY_DELETE = 111,
};

static guint fkey(unsigned n)
{
	return n <= 10 ? EV_KEY_F1 + n - 1 : n == 11 ? EV_KEY_F11 : EV_KEY_F12;
}

guint vessel_send_keys_lookup(const char *name, guint *codes)
{
	unsigned n = 0;
	char end = 0;

	if (!name)
		return 0;
	if (!strcmp(name, "print")) {
		codes[0] = EV_KEY_SYSRQ;
		return 1;
	}
	if (strncmp(name, "ctrl-alt-", 9))
		return 0;
	codes[0] = EV_KEY_LEFTCTRL;
	codes[1] = EV_KEY_LEFTALT;
	name += 9;
	if (!strcmp(name, "del"))
		codes[2] = EV_KEY_DELETE;
	else if (!strcmp(name, "backspace"))
		codes[2] = EV_KEY_BACKSPACE;
	else if (sscanf(name, "f%u%c", &n, &end) == 1 && n >= 1 && n <= 12 && name[1] != '0')
		codes[2] = fkey(n);
	else
		return 0;
	return 3;
}
