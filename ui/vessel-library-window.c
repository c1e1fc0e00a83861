// SPDX-License-Identifier: GPL-2.0-or-later
// VesselLibraryWindow: the VMs of the library folders and recent files, one row each.
#include "vessel-library-window.h"
#include "vessel-wizard.h"
#include "vessel-new-vm-window.h"
#include "vessel-settings-window.h"
#include "vessel-ui.h"

struct _VesselLibraryWindow {
	AdwApplicationWindow parent_instance;

	/* template children */
	GtkStack *stack;
	GtkListBox *list;

	/* owned */
	struct vessel_library *lib;
	GPtrArray *rows;	/* AdwActionRow *, borrowed from list */
};

G_DEFINE_FINAL_TYPE(VesselLibraryWindow, vessel_library_window, ADW_TYPE_APPLICATION_WINDOW)

#define THUMB_W 96
#define THUMB_H 72

static GtkWidget *thumbnail_new(const struct vessel_vm_list_entry *e)
{
	GtkWidget *w;

	if (!e->thumbnail) {
		w = gtk_image_new_from_icon_name(e->error ? "dialog-warning-symbolic" :
						 VESSEL_APP_ID "-symbolic");
		gtk_image_set_pixel_size(GTK_IMAGE(w), 32);
	} else {
		w = gtk_picture_new_for_filename(e->thumbnail);
		gtk_picture_set_content_fit(GTK_PICTURE(w), GTK_CONTENT_FIT_CONTAIN);
		gtk_widget_add_css_class(w, "card");
	}
	gtk_widget_set_size_request(w, THUMB_W, THUMB_H);
	gtk_widget_set_margin_top(w, 6);
	gtk_widget_set_margin_bottom(w, 6);
	return w;
}

static GtkWidget *settings_button_new(const char *path)
{
	GtkWidget *b = gtk_button_new_from_icon_name("emblem-system-symbolic");

	gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(b, "Settings");
	gtk_widget_add_css_class(b, "flat");
	gtk_actionable_set_action_name(GTK_ACTIONABLE(b), "library.settings");
	gtk_actionable_set_action_target(GTK_ACTIONABLE(b), "s", path);
	return b;
}

static AdwActionRow *row_new(const struct vessel_vm_list_entry *e)
{
	AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
	g_autofree char *sub = NULL;

	/* names come from files: never markup */
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), e->name);
	sub = e->error ? g_strdup(e->error) : g_strdup_printf("Stopped · %s", e->summary);
	adw_action_row_set_subtitle(row, sub);
	adw_action_row_set_subtitle_lines(row, 2);
	adw_action_row_add_prefix(row, thumbnail_new(e));
	if (!e->error)
		adw_action_row_add_suffix(row, settings_button_new(e->path));
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
	g_object_set_data_full(G_OBJECT(row), "vessel-path", g_strdup(e->path), g_free);
	return row;
}

void vessel_library_window_refresh(VesselLibraryWindow *self)
{
	g_autoptr(GPtrArray) entries = vessel_vm_list_scan(self->lib);
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))))
		gtk_list_box_remove(self->list, child);
	g_ptr_array_set_size(self->rows, 0);
	for (guint i = 0; i < entries->len; i++) {
		AdwActionRow *row = row_new(entries->pdata[i]);

		gtk_list_box_append(self->list, GTK_WIDGET(row));
		g_ptr_array_add(self->rows, row);
	}
	gtk_stack_set_visible_child_name(self->stack, entries->len ? "list" : "empty");
}

static void row_activated(GtkListBox *list, GtkListBoxRow *row, VesselLibraryWindow *self)
{
	const char *path = g_object_get_data(G_OBJECT(row), "vessel-path");
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
	g_autoptr(GFile) file = NULL;

	if (!path || !app)
		return;
	file = g_file_new_for_path(path);
	g_application_open(app, &file, 1, "");
}

static void action_refresh(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_library_window_refresh(VESSEL_LIBRARY_WINDOW(w));
}

static void new_vm_created(VesselNewVmWindow *win, const char *path, VesselLibraryWindow *self)
{
	g_autoptr(GError) error = NULL;

	vessel_library_push_recent(self->lib, path);
	if (vessel_library_save(self->lib, &error) < 0)
		g_warning("%s", error->message);
	vessel_library_window_refresh(self);
}

static void action_new_vm(GtkWidget *w, const char *name, GVariant *param)
{
	VesselLibraryWindow *self = VESSEL_LIBRARY_WINDOW(w);
	VesselNewVmWindow *win = vessel_new_vm_window_new(GTK_WINDOW(self),
		vessel_library_first_folder(self->lib));

	g_signal_connect_object(win, "created", G_CALLBACK(new_vm_created), self, 0);
	gtk_window_present(GTK_WINDOW(win));
}

static void action_settings(GtkWidget *w, const char *name, GVariant *param)
{
	VesselLibraryWindow *self = VESSEL_LIBRARY_WINDOW(w);
	VesselSettingsWindow *win = vessel_settings_window_new(GTK_WINDOW(self),
		g_variant_get_string(param, NULL));

	g_signal_connect_object(win, "saved", G_CALLBACK(vessel_library_window_refresh), self,
				G_CONNECT_SWAPPED);
	gtk_window_present(GTK_WINDOW(win));
}

VesselLibraryWindow *vessel_library_window_new(GtkApplication *app, const char *conf_path)
{
	VesselLibraryWindow *self = g_object_new(VESSEL_TYPE_LIBRARY_WINDOW, "application", app,
						 NULL);
	g_autoptr(GError) error = NULL;

	self->lib = vessel_library_load(conf_path, &error);
	if (!self->lib) {
		/* a broken library.conf must not hide the VMs: scan the default folder */
		g_warning("%s; using the default library folder", error->message);
		self->lib = vessel_library_new_default(conf_path);
	}
	vessel_library_window_refresh(self);
	return self;
}

struct vessel_library *vessel_library_window_get_library(VesselLibraryWindow *self)
{
	return self->lib;
}

guint vessel_library_window_get_n_rows(VesselLibraryWindow *self)
{
	return self->rows->len;
}

AdwActionRow *vessel_library_window_get_row(VesselLibraryWindow *self, guint i)
{
	return i < self->rows->len ? self->rows->pdata[i] : NULL;
}

gboolean vessel_library_window_is_empty(VesselLibraryWindow *self)
{
	return !g_strcmp0(gtk_stack_get_visible_child_name(self->stack), "empty");
}

static void vessel_library_window_finalize(GObject *o)
{
	VesselLibraryWindow *self = VESSEL_LIBRARY_WINDOW(o);

	vessel_library_free(self->lib);
	g_ptr_array_unref(self->rows);
	G_OBJECT_CLASS(vessel_library_window_parent_class)->finalize(o);
}

/* The virtualization wizard (issue 8): what stops VMs here, and how to fix it. */
static void action_check_host(GtkWidget *w, const char *name, GVariant *param)
{
	gtk_window_present(GTK_WINDOW(vessel_wizard_new(GTK_WINDOW(w), NULL)));
}

static void vessel_library_window_class_init(VesselLibraryWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vessel_library_window_finalize;
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE
						    "/ui/vessel-library-window.ui");
	gtk_widget_class_bind_template_child(wc, VesselLibraryWindow, stack);
	gtk_widget_class_bind_template_child(wc, VesselLibraryWindow, list);
	gtk_widget_class_bind_template_callback(wc, row_activated);
	gtk_widget_class_install_action(wc, "library.refresh", NULL, action_refresh);
	gtk_widget_class_install_action(wc, "library.check-host", NULL, action_check_host);
	gtk_widget_class_install_action(wc, "library.new-vm", NULL, action_new_vm);
	gtk_widget_class_install_action(wc, "library.settings", "s", action_settings);
}

static void vessel_library_window_init(VesselLibraryWindow *self)
{
	self->rows = g_ptr_array_new();
	gtk_widget_init_template(GTK_WIDGET(self));
}
