// SPDX-License-Identifier: GPL-2.0-or-later
// VesselVmWindow: a VM's window. Until the control API runs the VM it shows the VM's summary.
#include "vessel-vm-window-private.h"
#include "vessel-vm-list.h"
#include "vessel-settings-window.h"
#include "vessel-send-keys.h"
#include "vessel-snapshots-pane.h"
#include "vessel-wizard.h"
#include "vessel-ui.h"


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
	vessel_vm_window_make_panes(self);
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

void vessel_vm_window_show_banner(VesselVmWindow *self, const char *message,
				  const char *button_label)
{
	gtk_label_set_text(self->banner_label, message);
	gtk_button_set_label(self->banner_button, button_label ? button_label : "");
	gtk_widget_set_visible(GTK_WIDGET(self->banner_button), button_label != NULL);
	gtk_revealer_set_reveal_child(self->banner, TRUE);
}

void vessel_vm_window_hide_banner(VesselVmWindow *self)
{
	gtk_revealer_set_reveal_child(self->banner, FALSE);
}

const char *vessel_vm_window_get_banner(VesselVmWindow *self)
{
	return gtk_revealer_get_reveal_child(self->banner) ?
	       gtk_label_get_text(self->banner_label) : NULL;
}

static void action_start(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_vm_window_start(VESSEL_VM_WINDOW(w), NULL);
}

static void action_pause(GtkWidget *w, const char *name, GVariant *param)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(w);
	VesselVM1 *vm = self->session ? vessel_session_vm(self->session) : NULL;

	if (!vm)
		return;
	if (!g_strcmp0(self->state, "paused"))
		vessel_vm1_call_resume(vm, NULL, NULL, NULL);
	else
		vessel_vm1_call_pause(vm, NULL, NULL, NULL);
}

/* The virtualization wizard (issue 8): why KVM is unavailable here, and the fix. */
static void action_check_host(GtkWidget *w, const char *name, GVariant *param)
{
	gtk_window_present(GTK_WINDOW(vessel_wizard_new(GTK_WINDOW(w), NULL)));
}

static void close_response(AdwMessageDialog *dlg, const char *response, VesselVmWindow *self)
{
	VesselVM1 *vm = self->session ? vessel_session_vm(self->session) : NULL;

	if (!g_strcmp0(response, "cancel"))
		return;
	if (vm && !g_strcmp0(response, "shutdown"))
		vessel_vm1_call_power_button(vm, NULL, NULL, NULL);
	else if (vm)
		vessel_vm1_call_power_off(vm, NULL, NULL, NULL);
	self->closing = TRUE;
	gtk_window_close(GTK_WINDOW(self));
}

VesselSnapshotsPane *vessel_vm_window_get_snapshots_pane(VesselVmWindow *self)
{
	return self->snapshots ? VESSEL_SNAPSHOTS_PANE(self->snapshots) : NULL;
}

/* Closing a running VM's window asks, as VirtualBox and GNOME Boxes do. */
static gboolean on_close_request(GtkWindow *win)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(win);
	GtkWidget *dlg;

	if (self->closing || !self->session)
		return FALSE;
	dlg = adw_message_dialog_new(win, "Close the Virtual Machine?",
		"Shutting down asks the guest's system to end its work; powering off stops it at "
		"once, and anything unsaved in it is lost.");
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dlg), "cancel", "_Cancel",
					 "poweroff", "_Power Off", "shutdown", "_Shut Down", NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dlg), "poweroff",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dlg), "shutdown");
	g_signal_connect(dlg, "response", G_CALLBACK(close_response), self);
	gtk_window_present(GTK_WINDOW(dlg));
	return TRUE;
}

static void vessel_vm_window_dispose(GObject *o)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(o);

	/* Dropping the link makes the helper press the guest's power button. */
	g_clear_pointer(&self->session, vessel_session_free);
	G_OBJECT_CLASS(vessel_vm_window_parent_class)->dispose(o);
}

static void vessel_vm_window_finalize(GObject *o)
{
	VesselVmWindow *self = VESSEL_VM_WINDOW(o);

	g_free(self->path);
	g_free(self->error);
	g_free(self->state);
	g_free(self->restore_dir);
	g_strfreev(self->extra_args);
	G_OBJECT_CLASS(vessel_vm_window_parent_class)->finalize(o);
}

static void vessel_vm_window_class_init(VesselVmWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vessel_vm_window_finalize;
	G_OBJECT_CLASS(klass)->dispose = vessel_vm_window_dispose;
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE
						    "/ui/vessel-vm-window.ui");
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, title);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, stack);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, status);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, display);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, banner);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, banner_label);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, banner_button);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, sidebar);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, panes);
	gtk_widget_class_bind_template_child(wc, VesselVmWindow, power_box);
	gtk_widget_class_install_action(wc, "vm.start", NULL, action_start);
	gtk_widget_class_install_action(wc, "vm.pause", NULL, action_pause);
	gtk_widget_class_install_action(wc, "vm.check-host", NULL, action_check_host);
	gtk_widget_class_install_action(wc, "vm.settings", NULL, action_settings);
	gtk_widget_class_install_action(wc, "vm.send-keys", "s", action_send_keys);
	gtk_widget_class_install_action(wc, "vm.one-to-one", NULL, action_one_to_one);
	gtk_widget_class_install_action(wc, "vm.fullscreen", NULL, action_fullscreen);
}

static void vessel_vm_window_init(VesselVmWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	enable_display_actions(self, FALSE);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "vm.pause", FALSE);
	self->exit_status = -1;
	vessel_vm_window_connect_input(self);
}
