/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselVmWindow: one VM's window (its display; a summary until the VM runs). */
#ifndef VESSEL_VM_WINDOW_H
#define VESSEL_VM_WINDOW_H

#include <adwaita.h>

#include "vessel-display.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_VM_WINDOW (vessel_vm_window_get_type())
G_DECLARE_FINAL_TYPE(VesselVmWindow, vessel_vm_window, VESSEL, VM_WINDOW, AdwApplicationWindow)

/*
 * A window for the VM in path (made absolute). A file that does not load still gets a
 * window, showing why, so the user never faces a silent empty window.
 */
VesselVmWindow *vessel_vm_window_new(GtkApplication *app, const char *path);

/* The absolute .vessel path this window shows (the app finds windows by it). */
const char *vessel_vm_window_get_path(VesselVmWindow *self);

/* The load error shown, or NULL if the file loaded. */
const char *vessel_vm_window_get_error(VesselVmWindow *self);

VesselDisplay *vessel_vm_window_get_display(VesselVmWindow *self);

/* Show the display instead of the summary (once a framebuffer arrives). */
void vessel_vm_window_show_display(VesselVmWindow *self);

/* Re-read the file (after the settings dialog saved it). */
void vessel_vm_window_reload(VesselVmWindow *self);

struct vessel_session;

/*
 * Start the VM: its helper with a socketpair (app/session.c); the display appears with the
 * first framebuffer. extra_args go to vessel-helper after the file (tests: --multiboot ...;
 * a restore: --restore DIR). FALSE (with the banner saying why) if it cannot start.
 */
gboolean vessel_vm_window_start(VesselVmWindow *self, const char *const *extra_args);
/* The running session (proxies for the panes), or NULL. */
struct vessel_session *vessel_vm_window_get_session(VesselVmWindow *self);
/* "stopped", "starting", "running", "paused", "stopping". */
const char *vessel_vm_window_get_state(VesselVmWindow *self);
/* The helper's exit status once it ended (-1 before); the banner says what it means. */
int vessel_vm_window_get_exit_status(VesselVmWindow *self);
/* The side panel's snapshots pane (NULL until the file has loaded). */
typedef struct _VesselSnapshotsPane VesselSnapshotsPane;
VesselSnapshotsPane *vessel_vm_window_get_snapshots_pane(VesselVmWindow *self);
/* The banner's text, or NULL when it is hidden. */
const char *vessel_vm_window_get_banner(VesselVmWindow *self);

G_END_DECLS

#endif
