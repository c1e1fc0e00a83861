/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselRemotePane: SPICE sharing of one VM: its address, a .vv file, the [spice] settings. */
#ifndef VESSEL_REMOTE_PANE_H
#define VESSEL_REMOTE_PANE_H

#include <adwaita.h>

#include "vessel-dbus.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_REMOTE_PANE (vessel_remote_pane_get_type())
G_DECLARE_FINAL_TYPE(VesselRemotePane, vessel_remote_pane, VESSEL, REMOTE_PANE, GtkWidget)

/*
 * The sharing settings edit the .vessel file's [spice] group (listen, port, password-file:
 * the password goes to spice-password in the VM folder, readable by its owner only); they
 * apply at the next start, which the pane says. The running VM's VM1.SpiceAddress is shown
 * and "Save Connection File…" writes VM1.SpiceConnectionFile where a file chooser says.
 * Actions (group "remote"): apply (write the settings), save-connection-file (the chooser).
 * Signals: saved(path) after a .vv file is written; error(message).
 */
GtkWidget *vessel_remote_pane_new(const char *vessel_path);
void vessel_remote_pane_set_vm(VesselRemotePane *self, VesselVM1 *vm);

/* Write the running VM's connection file to path (0600: it may hold the password). */
void vessel_remote_pane_save_connection_file(VesselRemotePane *self, const char *path);

/* For tests and the window: the settings' widgets and the address line shown. */
GtkSwitch *vessel_remote_pane_get_share_switch(VesselRemotePane *self);
GtkSpinButton *vessel_remote_pane_get_port(VesselRemotePane *self);
GtkEditable *vessel_remote_pane_get_password(VesselRemotePane *self);
const char *vessel_remote_pane_get_address_text(VesselRemotePane *self);
/* After remote.apply: "Saved." (and, while the VM runs, that it applies at the next start). */
const char *vessel_remote_pane_get_applied_text(VesselRemotePane *self);

G_END_DECLS

#endif
