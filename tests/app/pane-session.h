/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pane tests' VM: a real helper started through app/session.c with a kit guest. */
#ifndef VESSEL_PANE_SESSION_H
#define VESSEL_PANE_SESSION_H

#include <adwaita.h>

#include <stdio.h>

#include "session.h"

#ifndef diag
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)
#endif

struct pane_session {
	struct vessel_session *s;
	char state[32];
	int status;
	char *message;		/* the exited() sentence */
	gboolean exited;
};

/* Skip the whole test (exit 77 with TAP) unless /dev/kvm is usable; FAIL under CI=true. */
void pane_session_require_kvm(void);

/*
 * Start vessel_path's helper with extra_args (NULL-terminated) and wait until VM1 is there and
 * the state is "running" (timeout_ms); FALSE with a TAP diagnostic otherwise.
 */
gboolean pane_session_start(struct pane_session *ps, const char *vessel_path,
			    const char *const *extra_args, guint timeout_ms);
/* Wait until the helper has exited (timeout_ms). */
gboolean pane_session_wait_exit(struct pane_session *ps, guint timeout_ms);
void pane_session_stop(struct pane_session *ps);

/* The first visible AdwMessageDialog among the toplevels, waiting up to timeout_ms; or NULL. */
AdwMessageDialog *pane_test_find_dialog(guint timeout_ms);
/* The first descendant of root whose action-name is action (a button of a template); or NULL. */
GtkWidget *pane_test_find_actionable(GtkWidget *root, const char *action);
/* A window around w, shown at width x height. */
GtkWindow *pane_test_window(GtkWidget *w, int width, int height);

#endif
