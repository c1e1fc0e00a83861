// SPDX-License-Identifier: GPL-2.0-or-later
// VesselVmWindow's control panes: power controls in the header bar, and a side panel with
// snapshots, memory and remote access; restoring a snapshot restarts the helper from it.
#include "vessel-vm-window-private.h"

#include <string.h>

#include "snapshot-disks.h"
#include "vessel-error-banner.h"
#include "vessel-memory-pane.h"
#include "vessel-power-controls.h"
#include "vessel-remote-pane.h"
#include "vessel-snapshots-pane.h"

static void on_pane_error(GtkWidget *pane, const char *message, VesselVmWindow *self)
{
	vessel_vm_window_show_banner(self, message, NULL);
}

/* Fresh overlays of the snapshot's disks (the frozen files are never written), then start. */
static void start_from_snapshot(VesselVmWindow *self, const char *dir)
{
	g_autofree char *id = g_path_get_basename(dir);
	g_autofree char *vmdir = g_path_get_dirname(self->path);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	g_auto(GStrv) args = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf = NULL;

	if (vessel_file_load(self->path, &vf, &error) < 0 ||
	    snap_disks_restore(vf, dir, id, &error) < 0) {
		vessel_vm_window_show_banner(self, error->message, NULL);
		vessel_file_free(vf);
		return;
	}
	vessel_file_free(vf);
	snap_disks_gc(vmdir, self->path);
	/* The same helper arguments as before (tests give a kernel), then the snapshot. */
	for (guint i = 0; self->extra_args && self->extra_args[i]; i++)
		if (strcmp(self->extra_args[i], "--restore"))
			g_strv_builder_add(b, self->extra_args[i]);
		else
			i++;
	g_strv_builder_add(b, "--restore");
	g_strv_builder_add(b, dir);
	args = g_strv_builder_end(b);
	vessel_vm_window_start(self, (const char *const *)args);
}

void vessel_vm_window_restore_pending(VesselVmWindow *self)
{
	g_autofree char *dir = g_steal_pointer(&self->restore_dir);

	if (dir)
		start_from_snapshot(self, dir);
}

/* The pane asked (and the person confirmed): the running state goes, the snapshot's comes. */
static void on_restore(GtkWidget *pane, const char *id, const char *dir, VesselVmWindow *self)
{
	VesselVM1 *vm = self->session ? vessel_session_vm(self->session) : NULL;

	if (!vm) {
		start_from_snapshot(self, dir);
		return;
	}
	g_free(self->restore_dir);
	self->restore_dir = g_strdup(dir);	/* started when the helper has gone */
	vessel_vm1_call_power_off(vm, NULL, NULL, NULL);
}

static void add_pane(VesselVmWindow *self, GtkWidget *pane, const char *name,
		     const char *title)
{
	gtk_stack_add_titled(self->panes, pane, name, title);
	if (g_signal_lookup("error", G_OBJECT_TYPE(pane)))
		g_signal_connect(pane, "error", G_CALLBACK(on_pane_error), self);
}

void vessel_vm_window_make_panes(VesselVmWindow *self)
{
	g_autofree char *vmdir = g_path_get_dirname(self->path);

	if (self->power)
		return;
	self->power = vessel_power_controls_new();
	gtk_box_append(self->power_box, self->power);
	g_signal_connect(self->power, "error", G_CALLBACK(on_pane_error), self);
	self->snapshots = vessel_snapshots_pane_new(vmdir);
	self->memory = vessel_memory_pane_new();
	self->remote = vessel_remote_pane_new(self->path);
	add_pane(self, self->snapshots, "snapshots", "Snapshots");
	add_pane(self, self->memory, "memory", "Memory");
	add_pane(self, self->remote, "remote", "Remote Access");
	g_signal_connect(self->snapshots, "restore-requested", G_CALLBACK(on_restore), self);
}

void vessel_vm_window_panes_set_vm(VesselVmWindow *self, VesselVM1 *vm)
{
	if (!self->power)
		return;
	vessel_power_controls_set_vm(VESSEL_POWER_CONTROLS(self->power), vm);
	vessel_snapshots_pane_set_vm(VESSEL_SNAPSHOTS_PANE(self->snapshots), vm);
	vessel_memory_pane_set_vm(VESSEL_MEMORY_PANE(self->memory), vm);
	vessel_remote_pane_set_vm(VESSEL_REMOTE_PANE(self->remote), vm);
}
