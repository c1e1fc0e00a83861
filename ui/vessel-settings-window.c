// SPDX-License-Identifier: GPL-2.0-or-later
// VesselSettingsWindow: fields filled from a .vessel file, written back through its parser.
#include "vessel-settings-window.h"
#include "vessel-settings-private.h"
#include "vessel-ui.h"

#include <string.h>

G_DEFINE_FINAL_TYPE(VesselSettingsWindow, vessel_settings_window, ADW_TYPE_WINDOW)

enum { SIGNAL_SAVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const sections[] = { "general", "drives", "display", "spice", "balloon" };

static GtkLabel *section_label(VesselSettingsWindow *self, const char *section)
{
	g_autofree char *id = g_strdup_printf("%s_error", section);

	return GTK_LABEL(gtk_widget_get_template_child(GTK_WIDGET(self),
						       VESSEL_TYPE_SETTINGS_WINDOW, id));
}

void vessel_settings_show_error(VesselSettingsWindow *self, const char *section,
				const char *msg)
{
	for (guint i = 0; i < G_N_ELEMENTS(sections); i++) {
		GtkLabel *l = section_label(self, sections[i]);
		gboolean here = msg && !strcmp(sections[i], section);

		gtk_label_set_text(l, here ? msg : "");
		gtk_widget_set_visible(GTK_WIDGET(l), here);
	}
}

const char *vessel_settings_window_get_error(VesselSettingsWindow *self, const char *section)
{
	GtkLabel *l;

	for (guint i = 0; i < G_N_ELEMENTS(sections); i++) {
		if (strcmp(sections[i], section))
			continue;
		l = section_label(self, section);
		return gtk_widget_get_visible(GTK_WIDGET(l)) ? gtk_label_get_text(l) : NULL;
	}
	return NULL;
}

static GtkWidget *disk_row_new(VesselSettingsWindow *self, const struct settings_disk *d,
			       guint i)
{
	AdwActionRow *row = ADW_ACTION_ROW(adw_action_row_new());
	GtkWidget *rm = gtk_button_new_from_icon_name("user-trash-symbolic");

	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), d->file);
	adw_action_row_set_subtitle(row, d->bus ? d->bus : "ide");
	gtk_widget_set_valign(rm, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(rm, "flat");
	gtk_widget_set_tooltip_text(rm, "Remove from this VM (the image file stays)");
	gtk_actionable_set_action_name(GTK_ACTIONABLE(rm), "settings.remove-disk");
	gtk_actionable_set_action_target(GTK_ACTIONABLE(rm), "u", i);
	adw_action_row_add_suffix(row, rm);
	return GTK_WIDGET(row);
}

void vessel_settings_refresh_disks(VesselSettingsWindow *self)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->disks))))
		gtk_list_box_remove(self->disks, child);
	for (guint i = 0; i < self->disk_list->len; i++)
		gtk_list_box_append(self->disks, disk_row_new(self, self->disk_list->pdata[i], i));
	gtk_widget_set_visible(GTK_WIDGET(self->disks), self->disk_list->len > 0);
}

void vessel_settings_window_add_disk(VesselSettingsWindow *self, const char *path)
{
	struct settings_disk *d = g_new0(struct settings_disk, 1);

	d->file = g_strdup(path);
	d->bus = g_strdup("ahci");
	g_ptr_array_add(self->disk_list, d);
	vessel_settings_refresh_disks(self);
}

void vessel_settings_window_remove_disk(VesselSettingsWindow *self, guint i)
{
	if (i >= self->disk_list->len)
		return;
	g_ptr_array_remove_index(self->disk_list, i);
	vessel_settings_refresh_disks(self);
}

guint vessel_settings_window_get_n_disks(VesselSettingsWindow *self)
{
	return self->disk_list->len;
}

static void action_remove_disk(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_settings_window_remove_disk(VESSEL_SETTINGS_WINDOW(w), g_variant_get_uint32(param));
}

static void disk_chosen(GtkNativeDialog *dialog, int response, VesselSettingsWindow *self)
{
	g_autoptr(GFile) file = NULL;
	g_autofree char *path = NULL;

	if (response == GTK_RESPONSE_ACCEPT) {
		file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		path = file ? g_file_get_path(file) : NULL;
		if (path)
			vessel_settings_window_add_disk(self, path);
	}
	g_object_unref(dialog);
}

static void action_add_disk(GtkWidget *w, const char *name, GVariant *param)
{
	GtkFileChooserNative *d = gtk_file_chooser_native_new("Add a Disk Image", GTK_WINDOW(w),
		GTK_FILE_CHOOSER_ACTION_OPEN, "_Add", "_Cancel");

	g_signal_connect(d, "response", G_CALLBACK(disk_chosen), w);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static void action_save(GtkWidget *w, const char *name, GVariant *param)
{
	VesselSettingsWindow *self = VESSEL_SETTINGS_WINDOW(w);

	if (!self->vf)
		return;
	if (vessel_settings_apply(self) < 0)
		return;
	g_signal_emit(self, signals[SIGNAL_SAVED], 0);
	gtk_window_close(GTK_WINDOW(self));
}

VesselSettingsWindow *vessel_settings_window_new(GtkWindow *parent, const char *path)
{
	VesselSettingsWindow *self = g_object_new(VESSEL_TYPE_SETTINGS_WINDOW, "transient-for",
						  parent, NULL);
	g_autoptr(GError) error = NULL;

	if (vessel_file_load(path, &self->vf, &error) < 0) {
		vessel_settings_show_error(self, "general", error->message);
		gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.save", FALSE);
		return self;
	}
	adw_window_title_set_subtitle(self->title, self->vf->name);
	vessel_settings_fill(self);
	return self;
}

static void vessel_settings_window_dispose(GObject *o)
{
	gtk_widget_dispose_template(GTK_WIDGET(o), VESSEL_TYPE_SETTINGS_WINDOW);
	G_OBJECT_CLASS(vessel_settings_window_parent_class)->dispose(o);
}

static void vessel_settings_window_finalize(GObject *o)
{
	VesselSettingsWindow *self = VESSEL_SETTINGS_WINDOW(o);

	vessel_file_free(self->vf);
	g_ptr_array_unref(self->disk_list);
	vessel_settings_form_clear(&self->opened);
	g_strfreev(self->opened_disks);
	G_OBJECT_CLASS(vessel_settings_window_parent_class)->finalize(o);
}

static void bind_children(GtkWidgetClass *wc)
{
	static const struct { const char *name; goffset off; } kids[] = {
#define KID(n) { #n, G_STRUCT_OFFSET(VesselSettingsWindow, n) }
		KID(title), KID(disks), KID(memory), KID(cpus), KID(cdrom), KID(vram), KID(spice),
		KID(spice_port), KID(spice_password), KID(spice_tls), KID(balloon), KID(balloon_min),
		KID(balloon_max), KID(balloon_auto),
#undef KID
	};

	for (guint i = 0; i < G_N_ELEMENTS(kids); i++)
		gtk_widget_class_bind_template_child_full(wc, kids[i].name, FALSE, kids[i].off);
	for (guint i = 0; i < G_N_ELEMENTS(sections); i++) {
		g_autofree char *id = g_strdup_printf("%s_error", sections[i]);

		gtk_widget_class_bind_template_child_full(wc, g_intern_string(id), FALSE, 0);
	}
}

static void vessel_settings_window_class_init(VesselSettingsWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = vessel_settings_window_dispose;
	G_OBJECT_CLASS(klass)->finalize = vessel_settings_window_finalize;
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE
						    "/ui/vessel-settings-window.ui");
	bind_children(wc);
	gtk_widget_class_install_action(wc, "settings.save", NULL, action_save);
	gtk_widget_class_install_action(wc, "settings.add-disk", NULL, action_add_disk);
	gtk_widget_class_install_action(wc, "settings.remove-disk", "u", action_remove_disk);
	signals[SIGNAL_SAVED] = g_signal_new("saved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					     0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void settings_disk_free(struct settings_disk *d)
{
	g_free(d->group);
	g_free(d->file);
	g_free(d->bus);
	g_free(d);
}

static void vessel_settings_window_init(VesselSettingsWindow *self)
{
	self->disk_list = g_ptr_array_new_with_free_func((GDestroyNotify)settings_disk_free);
	gtk_widget_init_template(GTK_WIDGET(self));
}
