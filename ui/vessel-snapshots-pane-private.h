/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselSnapshotsPane's insides, shared by its tree (…-pane.c) and its actions (…-actions.c). */
#ifndef VESSEL_SNAPSHOTS_PANE_PRIVATE_H
#define VESSEL_SNAPSHOTS_PANE_PRIVATE_H

#include "vessel-snapshots-pane.h"

struct _VesselSnapshotsPane {
	GtkWidget parent_instance;

	/* template children */
	AdwToastOverlay *toasts;
	GtkRevealer *progress_revealer;
	GtkLabel *progress_label;
	GtkProgressBar *progress;
	GtkStack *stack;
	GtkListBox *list;

	/* owned */
	char *vmdir;
	VesselVM1 *vm;
	gulong progress_handler, state_handler;
	GCancellable *cancel;
	GPtrArray *ids;		/* char *, one per row in order */
	char *saving;		/* the name being saved, NULL when idle */
};

enum { SNAPSHOTS_SIGNAL_RESTORE_REQUESTED, SNAPSHOTS_SIGNAL_ERROR, SNAPSHOTS_N_SIGNALS };
extern guint vessel_snapshots_pane_signals[SNAPSHOTS_N_SIGNALS];

/* Take: show the progress while SaveSnapshot runs, then the toast or the error. */
void vessel_snapshots_pane_save_started(VesselSnapshotsPane *self, const char *name);
void vessel_snapshots_pane_save_finished(VesselSnapshotsPane *self, const GError *error);

/* The action handlers (installed by class_init). */
void vessel_snapshots_pane_take_activate(GtkWidget *w, const char *name, GVariant *param);
void vessel_snapshots_pane_restore_activate(GtkWidget *w, const char *name, GVariant *param);
void vessel_snapshots_pane_delete_activate(GtkWidget *w, const char *name, GVariant *param);

#endif
