// SPDX-License-Identifier: GPL-2.0-or-later
// VesselSnapshotsPane: the snapshot tree of a VM folder as rows with thumbnails.
#include "vessel-snapshots-pane-private.h"
#include "snapshot-store.h"

#include <string.h>

G_DEFINE_FINAL_TYPE(VesselSnapshotsPane, vessel_snapshots_pane, GTK_TYPE_WIDGET)

guint vessel_snapshots_pane_signals[SNAPSHOTS_N_SIGNALS];

#define THUMB_W 96
#define THUMB_H 72
#define INDENT 18
#define MAX_INDENT 8	/* deeper levels are drawn at this depth */

static GtkWidget *thumbnail_new(const struct snap_meta *m)
{
	g_autofree char *png = g_build_filename(m->dir, "screenshot.png", NULL);
	GtkWidget *w;

	if (m->broken || !m->complete || !g_file_test(png, G_FILE_TEST_IS_REGULAR)) {
		w = gtk_image_new_from_icon_name(m->complete && !m->broken ?
			"camera-photo-symbolic" : "dialog-warning-symbolic");
		gtk_image_set_pixel_size(GTK_IMAGE(w), 32);
	} else {
		w = gtk_picture_new_for_filename(png);
		gtk_picture_set_content_fit(GTK_PICTURE(w), GTK_CONTENT_FIT_CONTAIN);
		gtk_widget_add_css_class(w, "card");
	}
	gtk_widget_set_size_request(w, THUMB_W, THUMB_H);
	gtk_widget_set_margin_top(w, 6);
	gtk_widget_set_margin_bottom(w, 6);
	return w;
}

static char *subtitle(const struct snap_meta *m)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(m->created);
	g_autofree char *when = t ? g_date_time_format(t, "%x %X") : g_strdup("unknown time");

	if (m->broken)
		return g_strdup("Unreadable: this snapshot's files are damaged; it can only be "
				"deleted");
	if (!m->complete)
		return g_strdup_printf("%s · Incomplete: the save did not finish; it cannot be "
				       "restored", when);
	if (m->description && *m->description)
		return g_strdup_printf("%s%s · %s", m->current ? "Current · " : "", when,
				       m->description);
	return g_strdup_printf("%s%s", m->current ? "Current · " : "", when);
}

static GtkWidget *row_button_new(const char *icon, const char *tip, const char *action,
				 const char *id, gboolean sensitive)
{
	GtkWidget *b = gtk_button_new_from_icon_name(icon);

	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(b, tip);
	gtk_widget_add_css_class(b, "flat");
	gtk_actionable_set_action_name(GTK_ACTIONABLE(b), action);
	gtk_actionable_set_action_target(GTK_ACTIONABLE(b), "s", id);
	gtk_widget_set_sensitive(b, sensitive);
	return b;
}

static GtkWidget *row_new(const struct snap_meta *m, unsigned depth)
{
	AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
	g_autofree char *sub = subtitle(m);
	GtkWidget *thumb = thumbnail_new(m);

	/* names come from files: never markup */
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row),
		m->broken || !m->name || !*m->name ? m->id : m->name);
	adw_action_row_set_subtitle(row, sub);
	adw_action_row_set_subtitle_lines(row, 2);
	gtk_widget_set_margin_start(thumb, INDENT * (int)MIN(depth, MAX_INDENT));
	adw_action_row_add_prefix(row, thumb);
	adw_action_row_add_suffix(row, row_button_new("edit-undo-symbolic", "Restore",
		"snapshots.restore", m->id, m->complete && !m->broken));
	adw_action_row_add_suffix(row, row_button_new("user-trash-symbolic", "Delete",
		"snapshots.delete", m->id, TRUE));
	/* the warning thumbnail and the subtitle say why; Delete must not look disabled */
	if (!m->complete || m->broken)
		gtk_widget_add_css_class(thumb, "warning");
	return GTK_WIDGET(row);
}

static gssize find_id(const struct snap_meta *list, unsigned n, const char *id)
{
	for (unsigned i = 0; id && *id && i < n; i++) {
		if (!strcmp(list[i].id, id))
			return i;
	}
	return -1;
}

/*
 * Add list[i] and its descendants depth first. The parent links come from files: a node is
 * added once (done[]), so cycles end, and the stack holds at most n entries.
 */
static void add_subtree(VesselSnapshotsPane *self, const struct snap_meta *list, unsigned n,
			unsigned root, gboolean *done)
{
	g_autofree unsigned *stack = g_new(unsigned, 2 * n);
	unsigned top = 0;

	stack[top++] = root;
	stack[top++] = 0;
	done[root] = TRUE;
	while (top) {
		unsigned depth = stack[--top], i = stack[--top];

		gtk_list_box_append(self->list, row_new(&list[i], depth));
		g_ptr_array_add(self->ids, g_strdup(list[i].id));
		/* children pushed newest first, so they come out oldest first */
		for (unsigned c = n; c-- > 0;) {
			if (!done[c] && !strcmp(list[c].parent ? list[c].parent : "", list[i].id)) {
				done[c] = TRUE;
				stack[top++] = c;
				stack[top++] = depth + 1;
			}
		}
	}
}

void vessel_snapshots_pane_refresh(VesselSnapshotsPane *self)
{
	unsigned n = 0;
	struct snap_meta *list = snap_list(self->vmdir, &n);
	g_autofree gboolean *done = g_new0(gboolean, n + 1);
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))))
		gtk_list_box_remove(self->list, child);
	g_ptr_array_set_size(self->ids, 0);
	/* roots first (no parent, or one that is gone), then whatever a cycle left out */
	for (unsigned i = 0; i < n; i++) {
		if (!done[i] && find_id(list, n, list[i].parent) < 0)
			add_subtree(self, list, n, i, done);
	}
	for (unsigned i = 0; i < n; i++) {
		if (!done[i])
			add_subtree(self, list, n, i, done);
	}
	gtk_stack_set_visible_child_name(self->stack, n ? "list" : "empty");
	snap_list_free(list, n);
}

guint vessel_snapshots_pane_get_n_rows(VesselSnapshotsPane *self)
{
	return self->ids->len;
}

const char *vessel_snapshots_pane_get_row_id(VesselSnapshotsPane *self, guint i)
{
	return i < self->ids->len ? g_ptr_array_index(self->ids, i) : NULL;
}

gboolean vessel_snapshots_pane_get_saving(VesselSnapshotsPane *self)
{
	return self->saving != NULL;
}

static void update_take(VesselSnapshotsPane *self)
{
	const char *state = self->vm ? vessel_vm1_get_state(self->vm) : NULL;
	gboolean up = state && (!strcmp(state, "running") || !strcmp(state, "paused"));

	gtk_widget_action_set_enabled(GTK_WIDGET(self), "snapshots.take", up && !self->saving);
}

static void on_state(GObject *vm, GParamSpec *pspec, gpointer self)
{
	update_take(self);
}

static void on_progress(VesselVM1 *vm, const char *id, double fraction, gpointer data)
{
	VesselSnapshotsPane *self = data;

	if (self->saving && fraction >= 0 && fraction <= 1)
		gtk_progress_bar_set_fraction(self->progress, fraction);
}

void vessel_snapshots_pane_set_vm(VesselSnapshotsPane *self, VesselVM1 *vm)
{
	g_return_if_fail(VESSEL_IS_SNAPSHOTS_PANE(self));
	if (self->vm) {
		g_signal_handler_disconnect(self->vm, self->progress_handler);
		g_signal_handler_disconnect(self->vm, self->state_handler);
		g_clear_object(&self->vm);
	}
	if (vm) {
		self->vm = g_object_ref(vm);
		self->progress_handler = g_signal_connect(vm, "snapshot-progress",
							  G_CALLBACK(on_progress), self);
		self->state_handler = g_signal_connect(vm, "notify::state", G_CALLBACK(on_state),
						       self);
	}
	update_take(self);
}


void vessel_snapshots_pane_save_started(VesselSnapshotsPane *self, const char *name)
{
	g_autofree char *text = g_strdup_printf("Saving snapshot “%s”…", name);

	g_free(self->saving);
	self->saving = g_strdup(name);
	gtk_label_set_text(self->progress_label, text);
	gtk_progress_bar_set_fraction(self->progress, 0);
	gtk_revealer_set_reveal_child(self->progress_revealer, TRUE);
	update_take(self);
}

void vessel_snapshots_pane_save_finished(VesselSnapshotsPane *self, const GError *error)
{
	g_autofree char *name = g_steal_pointer(&self->saving);

	gtk_revealer_set_reveal_child(self->progress_revealer, FALSE);
	update_take(self);
	vessel_snapshots_pane_refresh(self);
	if (error) {
		g_signal_emit(self, vessel_snapshots_pane_signals[SNAPSHOTS_SIGNAL_ERROR], 0,
			      error->message);
		return;
	}
	adw_toast_overlay_add_toast(self->toasts, adw_toast_new_format("Snapshot “%s” saved",
								       name ? name : ""));
}

static void vessel_snapshots_pane_dispose(GObject *object)
{
	VesselSnapshotsPane *self = VESSEL_SNAPSHOTS_PANE(object);

	g_cancellable_cancel(self->cancel);
	vessel_snapshots_pane_set_vm(self, NULL);
	gtk_widget_dispose_template(GTK_WIDGET(self), VESSEL_TYPE_SNAPSHOTS_PANE);
	G_OBJECT_CLASS(vessel_snapshots_pane_parent_class)->dispose(object);
}

static void vessel_snapshots_pane_finalize(GObject *object)
{
	VesselSnapshotsPane *self = VESSEL_SNAPSHOTS_PANE(object);

	g_clear_object(&self->cancel);
	g_ptr_array_unref(self->ids);
	g_free(self->vmdir);
	g_free(self->saving);
	G_OBJECT_CLASS(vessel_snapshots_pane_parent_class)->finalize(object);
}

static void vessel_snapshots_pane_class_init(VesselSnapshotsPaneClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->dispose = vessel_snapshots_pane_dispose;
	oc->finalize = vessel_snapshots_pane_finalize;
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-snapshots-pane.ui");
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, toasts);
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, progress_revealer);
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, progress_label);
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, progress);
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, stack);
	gtk_widget_class_bind_template_child(wc, VesselSnapshotsPane, list);
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "snapshots.take", NULL,
					vessel_snapshots_pane_take_activate);
	gtk_widget_class_install_action(wc, "snapshots.restore", "s",
					vessel_snapshots_pane_restore_activate);
	gtk_widget_class_install_action(wc, "snapshots.delete", "s",
					vessel_snapshots_pane_delete_activate);
	/* restore-requested(id, dir): start a new helper with --restore dir */
	vessel_snapshots_pane_signals[SNAPSHOTS_SIGNAL_RESTORE_REQUESTED] = g_signal_new(
		"restore-requested", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
		NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
	/* error(message): a save or delete failed; the message is meant for a person */
	vessel_snapshots_pane_signals[SNAPSHOTS_SIGNAL_ERROR] = g_signal_new("error",
		G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
		G_TYPE_STRING);
}

static void vessel_snapshots_pane_init(VesselSnapshotsPane *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
	self->ids = g_ptr_array_new_with_free_func(g_free);
	update_take(self);
}

GtkWidget *vessel_snapshots_pane_new(const char *vmdir)
{
	VesselSnapshotsPane *self = g_object_new(VESSEL_TYPE_SNAPSHOTS_PANE, NULL);

	self->vmdir = g_strdup(vmdir);
	vessel_snapshots_pane_refresh(self);
	return GTK_WIDGET(self);
}
