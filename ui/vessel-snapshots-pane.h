/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselSnapshotsPane: a VM folder's snapshot tree; take, restore and delete. */
#ifndef VESSEL_SNAPSHOTS_PANE_H
#define VESSEL_SNAPSHOTS_PANE_H

#include <adwaita.h>

#include "vessel-dbus.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_SNAPSHOTS_PANE (vessel_snapshots_pane_get_type())
G_DECLARE_FINAL_TYPE(VesselSnapshotsPane, vessel_snapshots_pane, VESSEL, SNAPSHOTS_PANE,
		     GtkWidget)

/*
 * Actions (group "snapshots"):
 *   take          asks for a name and description (AdwMessageDialog, response "take"),
 *                 then VM1.SaveSnapshot with its progress shown; needs a running VM
 *   restore(s id) asks first (response "restore": the running state is lost), makes id the
 *                 folder's current node (as vesselctl does) and emits
 *                 restore-requested(id, dir); the window powers the VM off and starts a
 *                 helper with --restore dir
 *   delete(s id)  asks first (response "delete"), then removes the folder (snap_delete)
 * Signals: restore-requested(id, dir); error(message) for a failed save or delete.
 */
GtkWidget *vessel_snapshots_pane_new(const char *vmdir);
/* The running VM, or NULL (listing, restoring and deleting need none). */
void vessel_snapshots_pane_set_vm(VesselSnapshotsPane *self, VesselVM1 *vm);
/* Read the folder again. */
void vessel_snapshots_pane_refresh(VesselSnapshotsPane *self);
/* Rows shown, and a row's snapshot id (for tests and the window); NULL past the end. */
guint vessel_snapshots_pane_get_n_rows(VesselSnapshotsPane *self);
const char *vessel_snapshots_pane_get_row_id(VesselSnapshotsPane *self, guint i);
/* TRUE while a SaveSnapshot is under way. */
gboolean vessel_snapshots_pane_get_saving(VesselSnapshotsPane *self);

G_END_DECLS

#endif
