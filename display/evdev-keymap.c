// SPDX-License-Identifier: GPL-2.0-or-later
/* evdev key codes to PS/2 set-1 key numbers (Microsoft "Keyboard Scan Code Specification"). */
#include "evdev-keymap.h"

#include "ps2.h"

/*
 * evdev codes 1 (KEY_ESC) to 88 (KEY_F12) were defined as the set-1 make codes of the
 * same keys, so they map to themselves; this table lists only the keys beyond that
 * (input-event-codes.h names, then the scan code spec's set-1 make code).
 */
static const struct { uint16_t evdev; uint32_t ps2; } extended[] = {
	{ 89, 0x73 },		/* KEY_RO (Brazilian/Japanese /?) */
	{ 92, 0x79 },		/* KEY_HENKAN */
	{ 93, 0x70 },		/* KEY_KATAKANAHIRAGANA */
	{ 94, 0x7b },		/* KEY_MUHENKAN */
	{ 96, 0xe01c },		/* KEY_KPENTER */
	{ 97, 0xe01d },		/* KEY_RIGHTCTRL */
	{ 98, 0xe035 },		/* KEY_KPSLASH */
	{ 99, 0xe037 },		/* KEY_SYSRQ (Print Screen) */
	{ 100, 0xe038 },	/* KEY_RIGHTALT */
	{ 102, 0xe047 },	/* KEY_HOME */
	{ 103, 0xe048 },	/* KEY_UP */
	{ 104, 0xe049 },	/* KEY_PAGEUP */
	{ 105, 0xe04b },	/* KEY_LEFT */
	{ 106, 0xe04d },	/* KEY_RIGHT */
	{ 107, 0xe04f },	/* KEY_END */
	{ 108, 0xe050 },	/* KEY_DOWN */
	{ 109, 0xe051 },	/* KEY_PAGEDOWN */
	{ 110, 0xe052 },	/* KEY_INSERT */
	{ 111, 0xe053 },	/* KEY_DELETE */
	{ 113, 0xe020 },	/* KEY_MUTE */
	{ 114, 0xe02e },	/* KEY_VOLUMEDOWN */
	{ 115, 0xe030 },	/* KEY_VOLUMEUP */
	{ 116, 0xe05e },	/* KEY_POWER */
	{ 117, 0x59 },		/* KEY_KPEQUAL */
	{ 119, PS2_KEY_PAUSE },	/* KEY_PAUSE */
	{ 124, 0x7d },		/* KEY_YEN */
	{ 125, 0xe05b },	/* KEY_LEFTMETA */
	{ 126, 0xe05c },	/* KEY_RIGHTMETA */
	{ 127, 0xe05d },	/* KEY_COMPOSE (Menu) */
	{ 142, 0xe05f },	/* KEY_SLEEP */
	{ 143, 0xe063 },	/* KEY_WAKEUP */
	{ 163, 0xe019 },	/* KEY_NEXTSONG */
	{ 164, 0xe022 },	/* KEY_PLAYPAUSE */
	{ 165, 0xe010 },	/* KEY_PREVIOUSSONG */
	{ 166, 0xe024 },	/* KEY_STOPCD */
};

uint32_t evdev_to_ps2_key(unsigned code)
{
	if (code >= 1 && code <= 88 && code != 84)	/* 84 is unassigned */
		return code;
	for (unsigned i = 0; i < sizeof(extended) / sizeof(extended[0]); i++)
		if (extended[i].evdev == code)
			return extended[i].ps2;
	return 0;
}
