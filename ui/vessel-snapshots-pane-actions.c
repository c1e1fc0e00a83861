// SPDX-License-Identifier: GPL-2.0-or-later
// VesselSnapshotsPane's actions: the take dialog and SaveSnapshot, restore and delete asked first.
#include "vessel-snapshots-pane-private.h"
#include "snapshot-store.h"

#include <string.h>

static GtkWindow *parent_window(VesselSnapshotsPane *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

	return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
}

static void emit_error(VesselSnapshotsPane *self, GError *error)
{
	g_signal_emit(self, vessel_snapshots_pane_signals[SNAPSHOTS_SIGNAL_ERROR], 0,
		      error->message);
}

static void save_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_proxy_call_finish(G_DBUS_PROXY(src), res, &error);

	/* cancelled: the pane is gone */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (error)
		g_dbus_error_strip_remote_error(error);
	vessel_snapshots_pane_save_finished(data, error);
}

static void save(VesselSnapshotsPane *self, const char *name, const char *description)
{
	if (!self->vm || self->saving)
		return;
	vessel_snapshots_pane_save_started(self, name);
	/* the VM is paused while its memory is written: that takes long on a big guest */
	g_dbus_proxy_call(G_DBUS_PROXY(self->vm), "SaveSnapshot",
			  g_variant_new("(ss)", name, description), G_DBUS_CALL_FLAGS_NONE,
			  G_MAXINT, self->cancel, save_done, self);
}

static GtkWidget *entry_row_new(GtkListBox *box, const char *title, const char *text)
{
	GtkWidget *row = adw_entry_row_new();

	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	gtk_editable_set_text(GTK_EDITABLE(row), text);
	gtk_list_box_append(box, row);
	return row;
}

static void on_name_changed(GtkEditable *name, GParamSpec *pspec, AdwMessageDialog *d)
{
	g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(name)));

	adw_message_dialog_set_response_enabled(d, "take", *text != '\0');
}

static void on_take_response(AdwMessageDialog *d, const char *response, gpointer self)
{
	GtkEditable *name = g_object_get_data(G_OBJECT(d), "name");
	GtkEditable *desc = g_object_get_data(G_OBJECT(d), "description");
	g_autofree char *n = g_strstrip(g_strdup(gtk_editable_get_text(name)));

	if (!strcmp(response, "take") && *n)
		save(self, n, gtk_editable_get_text(desc));
}

void vessel_snapshots_pane_take_activate(GtkWidget *w, const char *action, GVariant *param)
{
	VesselSnapshotsPane *self = VESSEL_SNAPSHOTS_PANE(w);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *when = g_date_time_format(now, "%x %X");
	g_autofree char *def = g_strdup_printf("Snapshot of %s", when);
	GtkListBox *box = GTK_LIST_BOX(gtk_list_box_new());
	AdwMessageDialog *d;
	GtkWidget *name;

	d = ADW_MESSAGE_DIALOG(adw_message_dialog_new(parent_window(self), "Take Snapshot",
		"The virtual machine pauses while its state is saved."));
	gtk_list_box_set_selection_mode(box, GTK_SELECTION_NONE);
	gtk_widget_add_css_class(GTK_WIDGET(box), "boxed-list");
	name = entry_row_new(box, "Name", def);
	g_object_set_data(G_OBJECT(d), "name", name);
	g_object_set_data(G_OBJECT(d), "description", entry_row_new(box, "Description", ""));
	adw_message_dialog_set_extra_child(d, GTK_WIDGET(box));
	adw_message_dialog_add_responses(d, "cancel", "_Cancel", "take", "_Take Snapshot", NULL);
	adw_message_dialog_set_response_appearance(d, "take", ADW_RESPONSE_SUGGESTED);
	adw_message_dialog_set_default_response(d, "take");
	adw_message_dialog_set_close_response(d, "cancel");
	g_signal_connect_object(name, "notify::text", G_CALLBACK(on_name_changed), d, 0);
	g_signal_connect_object(d, "response", G_CALLBACK(on_take_response), self, 0);
	gtk_window_present(GTK_WINDOW(d));
}

/* An AdwMessageDialog about snapshot id; response runs cb with the id. */
static void confirm(VesselSnapshotsPane *self, const char *id, const char *heading,
		    const char *body, const char *response, const char *label, GCallback cb)
{
	AdwMessageDialog *d = ADW_MESSAGE_DIALOG(adw_message_dialog_new(parent_window(self),
									heading, body));

	adw_message_dialog_add_responses(d, "cancel", "_Cancel", response, label, NULL);
	adw_message_dialog_set_response_appearance(d, response, ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(d, "cancel");
	adw_message_dialog_set_close_response(d, "cancel");
	g_object_set_data_full(G_OBJECT(d), "snapshot-id", g_strdup(id), g_free);
	g_signal_connect_object(d, "response", cb, self, 0);
	gtk_window_present(GTK_WINDOW(d));
}

static void on_restore_response(AdwMessageDialog *d, const char *response, gpointer data)
{
	VesselSnapshotsPane *self = data;
	const char *id = g_object_get_data(G_OBJECT(d), "snapshot-id");
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;

	if (strcmp(response, "restore"))
		return;
	/* checked again: the folder may have changed while the dialog was up */
	dir = snap_restorable_dir(self->vmdir, id, &error);
	if (!dir || snap_set_current(self->vmdir, id, &error) < 0) {
		emit_error(self, error);
		return;
	}
	vessel_snapshots_pane_refresh(self);
	g_signal_emit(self, vessel_snapshots_pane_signals[SNAPSHOTS_SIGNAL_RESTORE_REQUESTED], 0,
		      id, dir);
}

void vessel_snapshots_pane_restore_activate(GtkWidget *w, const char *action, GVariant *param)
{
	VesselSnapshotsPane *self = VESSEL_SNAPSHOTS_PANE(w);
	const char *id = g_variant_get_string(param, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = snap_restorable_dir(self->vmdir, id, &error);

	if (!dir) {
		emit_error(self, error);
		return;
	}
	confirm(self, id, "Restore Snapshot?", self->vm ? "The virtual machine is turned off "
		"and started again from this snapshot. Its current state is lost; take a "
		"snapshot first to keep it." : "The virtual machine starts from this snapshot.",
		"restore", "_Restore", G_CALLBACK(on_restore_response));
}

static void on_delete_response(AdwMessageDialog *d, const char *response, gpointer data)
{
	VesselSnapshotsPane *self = data;
	const char *id = g_object_get_data(G_OBJECT(d), "snapshot-id");
	g_autoptr(GError) error = NULL;

	if (strcmp(response, "delete"))
		return;
	if (snap_delete(self->vmdir, id, &error) < 0)
		emit_error(self, error);
	vessel_snapshots_pane_refresh(self);
}

void vessel_snapshots_pane_delete_activate(GtkWidget *w, const char *action, GVariant *param)
{
	confirm(VESSEL_SNAPSHOTS_PANE(w), g_variant_get_string(param, NULL), "Delete Snapshot?",
		"Its saved state is removed from this computer. Snapshots taken after it are "
		"kept.", "delete", "_Delete", G_CALLBACK(on_delete_response));
}
