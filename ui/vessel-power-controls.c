// SPDX-License-Identifier: GPL-2.0-or-later
// VesselPowerControls: the VM window's power buttons, enabled by VM1.State.
#include "vessel-power-controls.h"

#include <string.h>

struct _VesselPowerControls {
	GtkWidget parent_instance;

	/* template children */
	GtkWidget *box;
	GtkStack *pause_stack;

	/* owned */
	VesselVM1 *vm;
	gulong state_handler;
	GCancellable *cancel;
};

G_DEFINE_FINAL_TYPE(VesselPowerControls, vessel_power_controls, GTK_TYPE_WIDGET)

enum { SIGNAL_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Which actions each VM1.State allows (the helper refuses the others as InvalidState). */
static void update_state(VesselPowerControls *self)
{
	const char *state = self->vm ? vessel_vm1_get_state(self->vm) : NULL;
	gboolean running = state && !strcmp(state, "running");
	gboolean paused = state && !strcmp(state, "paused");
	GtkWidget *w = GTK_WIDGET(self);

	gtk_widget_action_set_enabled(w, "power.pause", running);
	gtk_widget_action_set_enabled(w, "power.resume", paused);
	gtk_widget_action_set_enabled(w, "power.reset", running || paused);
	/* the guest cannot see a power button press while it is paused */
	gtk_widget_action_set_enabled(w, "power.shutdown", running);
	gtk_widget_action_set_enabled(w, "power.force-off", running || paused);
	gtk_stack_set_visible_child_name(self->pause_stack, paused ? "resume" : "pause");
}

static void on_state(GObject *vm, GParamSpec *pspec, gpointer self)
{
	update_state(self);
}

void vessel_power_controls_set_vm(VesselPowerControls *self, VesselVM1 *vm)
{
	g_return_if_fail(VESSEL_IS_POWER_CONTROLS(self));
	if (self->vm) {
		g_signal_handler_disconnect(self->vm, self->state_handler);
		g_clear_object(&self->vm);
	}
	if (vm) {
		self->vm = g_object_ref(vm);
		self->state_handler = g_signal_connect(vm, "notify::state", G_CALLBACK(on_state),
						       self);
	}
	update_state(self);
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_proxy_call_finish(G_DBUS_PROXY(src), res, &error);

	/* the helper goes away on PowerOff; a closed link is that, not a failure */
	if (ret || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
		return;
	g_dbus_error_strip_remote_error(error);
	g_signal_emit(data, signals[SIGNAL_ERROR], 0, error->message);
}

/* Methods without arguments, by D-Bus name; the proxy keeps working across state changes. */
static void call(VesselPowerControls *self, const char *method)
{
	if (!self->vm)
		return;
	g_dbus_proxy_call(G_DBUS_PROXY(self->vm), method, NULL, G_DBUS_CALL_FLAGS_NONE, -1,
			  self->cancel, call_done, self);
}

static void power_activate(GtkWidget *w, const char *name, GVariant *param)
{
	static const struct { const char *action, *method; } map[] = {
		{ "power.pause", "Pause" }, { "power.resume", "Resume" },
		{ "power.reset", "Reset" }, { "power.shutdown", "PowerButton" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
		if (!strcmp(name, map[i].action))
			call(VESSEL_POWER_CONTROLS(w), map[i].method);
	}
}

static void on_force_off_response(AdwMessageDialog *d, const char *response, gpointer self)
{
	if (!strcmp(response, "force-off"))
		call(self, "PowerOff");
}

/* Force off loses everything the guest has not written out: ask first (HIG: destructive). */
static void force_off_activate(GtkWidget *w, const char *name, GVariant *param)
{
	GtkRoot *root = gtk_widget_get_root(w);
	AdwMessageDialog *d;

	d = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
		"Force Off the Virtual Machine?", "The guest system stops at once, as if its power "
		"cord were pulled. Unsaved work in it is lost."));
	adw_message_dialog_add_responses(d, "cancel", "_Cancel", "force-off", "_Force Off", NULL);
	adw_message_dialog_set_response_appearance(d, "force-off", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(d, "cancel");
	adw_message_dialog_set_close_response(d, "cancel");
	g_signal_connect_object(d, "response", G_CALLBACK(on_force_off_response), w, 0);
	gtk_window_present(GTK_WINDOW(d));
}

static void vessel_power_controls_dispose(GObject *object)
{
	VesselPowerControls *self = VESSEL_POWER_CONTROLS(object);

	g_cancellable_cancel(self->cancel);
	vessel_power_controls_set_vm(self, NULL);
	g_clear_object(&self->cancel);
	gtk_widget_dispose_template(GTK_WIDGET(self), VESSEL_TYPE_POWER_CONTROLS);
	G_OBJECT_CLASS(vessel_power_controls_parent_class)->dispose(object);
}

static void vessel_power_controls_class_init(VesselPowerControlsClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = vessel_power_controls_dispose;
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-power-controls.ui");
	gtk_widget_class_bind_template_child(wc, VesselPowerControls, box);
	gtk_widget_class_bind_template_child(wc, VesselPowerControls, pause_stack);
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "power.pause", NULL, power_activate);
	gtk_widget_class_install_action(wc, "power.resume", NULL, power_activate);
	gtk_widget_class_install_action(wc, "power.reset", NULL, power_activate);
	gtk_widget_class_install_action(wc, "power.shutdown", NULL, power_activate);
	gtk_widget_class_install_action(wc, "power.force-off", NULL, force_off_activate);
	/* error(message): a call failed; the message is the helper's, meant for a person */
	signals[SIGNAL_ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
		0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void vessel_power_controls_init(VesselPowerControls *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
	update_state(self);
}

GtkWidget *vessel_power_controls_new(void)
{
	return g_object_new(VESSEL_TYPE_POWER_CONTROLS, NULL);
}
