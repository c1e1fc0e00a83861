/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM session: a helper started for one .vessel file and the D-Bus peer link to it. */
#ifndef VESSEL_SESSION_H
#define VESSEL_SESSION_H

#include <stdint.h>
#include <gio/gio.h>

#include "vessel-dbus.h"

/*
 * What the desktop app holds for each VM window, without GTK: it starts `vessel-helper FILE
 * --control-fd 3` with one end of a socketpair, speaks D-Bus peer-to-peer over the other,
 * maps the shared framebuffer (Display1) and reports on the caller's main context. The helper's
 * stderr goes to $XDG_RUNTIME_DIR/vessel/<uuid>.log (the last line makes the error banner).
 */
struct vessel_session;

struct vessel_session_rect {
	unsigned x, y, w, h;
};

struct vessel_session_callbacks {
	/* The run state: "starting", "running", "paused", "stopping". */
	void (*state)(void *opaque, const char *state);
	/*
	 * A (new) framebuffer: the sealed memfd (valid during the call; dup it to keep it) and
	 * the session's read-only mapping of it, XRGB8888 rows of stride bytes.
	 */
	void (*framebuffer)(void *opaque, int fd, const uint8_t *pixels, unsigned width,
			    unsigned height, unsigned stride);
	/* These rectangles of the framebuffer changed. */
	void (*damage)(void *opaque, const struct vessel_session_rect *rects, unsigned n);
	/*
	 * The helper ended: its exit status (vessel-helper --help) and a sentence for a person
	 * with the next step (NULL for a normal power-off).
	 */
	void (*exited)(void *opaque, int status, const char *message);
};

/* Start the helper; NULL with *error (no helper program, a .vessel file that cannot be read). */
struct vessel_session *vessel_session_start(const char *vessel_path, const char *const *extra_args,
					    const struct vessel_session_callbacks *cb, void *opaque,
					    GError **error);
/* Drop the link (the helper then presses the guest's power button) and free. */
void vessel_session_free(struct vessel_session *s);

/* The proxies for everything else (pause, snapshots, balloon, ...); NULL until connected. */
VesselVM1 *vessel_session_vm(struct vessel_session *s);
VesselDisplay1 *vessel_session_display(struct vessel_session *s);

/* Input, fire-and-forget (errors are logged): evdev key codes; relative motion, buttons 1|2|4. */
void vessel_session_key(struct vessel_session *s, unsigned evdev, gboolean pressed);
void vessel_session_pointer(struct vessel_session *s, int dx, int dy, int dz, unsigned buttons);
/* The VM has a tablet (Display1.HasTablet, known once the framebuffer callback ran). */
gboolean vessel_session_has_tablet(struct vessel_session *s);
/* Absolute: framebuffer pixel (x, y), wheel steps (positive down), buttons 1|2|4. */
void vessel_session_pointer_position(struct vessel_session *s, unsigned x, unsigned y, int dz,
				     unsigned buttons);

/* The window's size in guest pixels, for the EDID's preferred mode (fire-and-forget). */
void vessel_session_preferred_size(struct vessel_session *s, unsigned width, unsigned height);

/* A person's sentence for a helper exit status, with the next step; NULL for 0. */
const char *vessel_exit_message(int status);

/*
 * A program of Vessel's: beside the running one (installed), else in one of build_dirs
 * relative to it (the build tree), else from PATH; NULL if nowhere. g_free.
 */
char *vessel_find_program(const char *name, const char *const *build_dirs);
/* vessel-helper: $VESSEL_HELPER, else as vessel_find_program. */
char *vessel_find_helper(void);

#endif
