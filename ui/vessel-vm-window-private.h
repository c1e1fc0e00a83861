/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselVmWindow's insides, shared by its files (the window, its running session). */
#ifndef VESSEL_VM_WINDOW_PRIVATE_H
#define VESSEL_VM_WINDOW_PRIVATE_H

#include "session.h"
#include "vessel-vm-window.h"

struct _VesselVmWindow {
	AdwApplicationWindow parent_instance;

	/* template children */
	AdwWindowTitle *title;
	GtkStack *stack;
	AdwStatusPage *status;
	VesselDisplay *display;
	GtkRevealer *banner;
	GtkLabel *banner_label;
	GtkButton *banner_button;
	GtkRevealer *sidebar;
	GtkStack *panes;
	GtkBox *power_box;

	/* the control panes (ui/vessel-*-pane.c), made once the file has loaded */
	GtkWidget *power, *snapshots, *memory, *remote;
	char *restore_dir;		/* a snapshot to start from once the helper has gone */
	gboolean panes_have_vm;
	char **extra_args;		/* what the last start gave the helper (a restore keeps them) */

	/* owned */
	char *path;
	char *error;
	char *state;
	struct vessel_session *session;
	int exit_status;		/* the helper's last exit status; -1 while none */
	guint buttons;			/* pointer buttons held (1 left, 2 middle, 4 right) */
	double frac_x, frac_y;		/* sub-pixel relative motion not yet sent */
	gboolean closing;		/* close confirmed: let the window go */
};

/* vessel-vm-window-session.c */
void vessel_vm_window_connect_input(VesselVmWindow *self);
/* vessel-vm-window-panes.c */
void vessel_vm_window_make_panes(VesselVmWindow *self);
void vessel_vm_window_panes_set_vm(VesselVmWindow *self, VesselVM1 *vm);
/* The helper ended: if a restore was waiting for that, start from the snapshot. */
void vessel_vm_window_restore_pending(VesselVmWindow *self);
/* vessel-vm-window.c */
void vessel_vm_window_show_banner(VesselVmWindow *self, const char *message,
				  const char *button_label);
void vessel_vm_window_hide_banner(VesselVmWindow *self);

#endif
