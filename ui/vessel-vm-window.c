// SPDX-License-Identifier: GPL-2.0-or-later
// VesselVmWindow: a VM's window. Until the control API runs the VM it shows the VM's summary.
#include "vessel-vm-window.h"
#include "vessel-vm-list.h"
#include "vessel-settings-window.h"
#include "vessel-send-keys.h"
#include "vessel-ui.h"

struct _VesselVmWindow {
	AdwApplicationWindow parent_instance;

	/* template children */
	AdwWindowTitle *title;
	GtkStack *stack;
	AdwStatusPage *status;
	VesselDisplay *display;

	/* owned */
	char *path;
	char *error;
};

G_DEFINE_FINAL_TYPE(VesselVmWindow, vessel_vm_window, ADW_TYPE_APPLICATION_WINDOW)

void vessel_vm_window_reload(VesselVmWindow *self)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *base = g_path_get_basename(self->path);
	struct vessel_file *vf = NULL;

	g_clear_pointer(&self->error, g_free);
	if (vessel_file_load(self->path, &vf, &error) < 0) {
		self->error = g_strdup(error->message);
		gtk_window_set_title(GTK_WINDOW(self), base);
		adw_window_title_set_title(self->title, base);
		adw_status_page_set_title(self->status, "This virtual machine cannot start");
		adw_status_page_set_description(self->status, self->error);
		adw_status_page_set_icon_name(self->status, "dialog-error-symbolic");
		return;
	}
	g_autofree char *summary = vessel_vm_summary(vf);

	gtk_window_set_title(GTK_WINDOW(self), vf->name);
	adw_window_title_set_title(self->title, vf->name);
	adw_window_title_set_subtitle(self->title, summary);
	adw_status_page_set_title(self->status, vf->name);
	adw_status_page_set_description(self->status, summary);
	adw_status_page_set_icon_name(self->status, VESSEL_APP_ID "-symbolic");
	vessel_file_free(vf);
}

VesselVmWindow *vessel_vm_window_new(GtkApplication *app, const char *path)
{
	VesselVmWindow *self = g_object_new(VESSEL_TYPE_VM_WINDOW, "application", app, NULL);

	self->path = g_canonicalize_filename(path, NULL);
	vessel_vm_window_reload(self);
	return self;
}

const char *vessel_vm_window_get_path(VesselVmWindow *self)
{
	return self->path;
}

const char *vessel_vm_window_get_error(VesselVmWindow *self)
{
	return self->error;
}

VesselDisplay *vessel_vm_window_get_display(VesselVmWindow *self)
{
	return self->display;
}

/* Send keys, 1:1 and fullscreen act on the guest's screen: only while it is shown. */
static void enable_display_actions(VesselVmWindow *self, gboolean on)
{
	static const char *const names[] = { "vm.send-keys", "vm.one-to-one", "vm.fullscreen" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		gtk_widget_action_set_enabled(GTK_WIDGET(self), names[i], on);
}

void vessel_vm_window_show_display(VesselVmWindow *self)
{
	enable_display_actions(self, TRUE);
	gtk_stack_set_visible_child_name(self->stack, "display");
	gtk_widget_grab_focus(GTK_WIDGET(self->display));
}

static void action_settings(GtkWidget *w, const char *name, GVariant *param)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(w);
	VesselSettingsWindow *win = vessel_settings_window_new(GTK_WINDOW(self), self->path);

	g_signal_connect_object(win, "saved", G_CALLBACK(vessel_vm_window_reload), self,
				G_CONNECT_SWAPPED);
	gtk_window_present(GTK_WINDOW(win));
}

static void action_send_keys(GtkWidget *w, const char *name, GVariant *param)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(w);
	guint codes[VESSEL_SEND_KEYS_MAX];
	guint n = vessel_send_keys_lookup(g_variant_get_string(param, NULL), codes);

	if (n)
		vessel_display_send_keys(self->display, codes, n);
}

static void action_one_to_one(GtkWidget *w, const char *name, GVariant *param)
{
	VesselDisplay *d = VESSEL_VM_WINDOW(w)->display;

	vessel_display_set_one_to_one(d, !vessel_display_get_one_to_one(d));
}

static void action_fullscreen(GtkWidget *w, const char *name, GVariant *param)
{
	if (gtk_window_is_fullscreen(GTK_WINDOW(w)))
		gtk_window_unfullscreen(GTK_WINDOW(w));
	else
		gtk_window_fullscreen(GTK_WINDOW(w));
}

static void vessel_vm_window_finalize(GObject *o)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(o);

	g_free(self->path);
	g_free(self->error);
	G_OBJECT_CLASS(vessel_vm_window_parent_class)->finalize(o);
}

static void vessel_vm_window_class_init(VesselVmWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vessel_vm_window_finalize;
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE
						    "/ui/vessel-vm-window.ui");
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, title);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, stack);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, status);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, display);
	gtk_widget_class_install_action(wc, "vm.settings", NULL, action_settings);
	gtk_widget_class_install_action(wc, "vm.send-keys", "s", action_send_keys);
	gtk_widget_class_install_action(wc, "vm.one-to-one", NULL, action_one_to_one);
	gtk_widget_class_install_action(wc, "vm.fullscreen", NULL, action_fullscreen);
}

static void vessel_vm_window_init(VesselVmWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	enable_display_actions(self, FALSE);
}
