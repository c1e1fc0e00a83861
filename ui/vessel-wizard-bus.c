// SPDX-License-Identifier: GPL-2.0-or-later
// VesselWizard's D-Bus calls: vessel-broker (module, firmware setting) and logind (restart into
// setup). Every refusal becomes a sentence on the page, never a silent failure.
#include "vessel-wizard-private.h"

#include <string.h>

#define BROKER_NAME	"io.github.vesselvm.Vessel.Broker1"
#define BROKER_PATH	"/io/github/vesselvm/Vessel/Broker"
#define LOGIND_NAME	"org.freedesktop.login1"
#define LOGIND_PATH	"/org/freedesktop/login1"
#define LOGIND_IFACE	"org.freedesktop.login1.Manager"
/* A polkit password prompt may stay open a while. */
#define CALL_TIMEOUT_MS	(5 * 60 * 1000)

struct wizard_call {
	VesselWizard *self;		/* referenced for the call's life */
	const char *dest, *path, *iface, *method;
	GVariant *params;		/* sunk; NULL for none */
	const GVariantType *reply;
	void (*done)(VesselWizard *self, GVariant *ret, const GError *error);
};

static void call_free(struct wizard_call *c)
{
	vessel_wizard_busy(c->self, -1);
	g_object_unref(c->self);
	if (c->params)
		g_variant_unref(c->params);
	g_free(c);
}

static void call_returned(GObject *source, GAsyncResult *res, gpointer data)
{
	struct wizard_call *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res,
								&error);

	/* a reply can race the cancel: once the window is going away, nothing is shown */
	if (!g_cancellable_is_cancelled(c->self->cancel))
		c->done(c->self, ret, error);
	call_free(c);
}

static void call_on(struct wizard_call *c, GDBusConnection *bus)
{
	g_dbus_connection_call(bus, c->dest, c->path, c->iface, c->method, c->params, c->reply,
			       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CALL_TIMEOUT_MS,
			       c->self->cancel, call_returned, c);
}

static void got_system_bus(GObject *source, GAsyncResult *res, gpointer data)
{
	struct wizard_call *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) bus = g_bus_get_finish(res, &error);

	if (bus) {
		call_on(c, bus);
		return;
	}
	if (!g_cancellable_is_cancelled(c->self->cancel))
		c->done(c->self, NULL, error);
	call_free(c);
}

/* Takes params (floating or not). The configured bus, else the system bus. */
static void call_start(VesselWizard *self, bool logind, const char *method, GVariant *params,
		       const GVariantType *reply,
		       void (*done)(VesselWizard *, GVariant *, const GError *))
{
	struct wizard_call *c = g_new0(struct wizard_call, 1);
	GDBusConnection *bus = logind ? self->logind_bus : self->broker_bus;

	c->self = g_object_ref(self);
	c->dest = logind ? LOGIND_NAME : BROKER_NAME;
	c->path = logind ? LOGIND_PATH : BROKER_PATH;
	c->iface = logind ? LOGIND_IFACE : BROKER_NAME;
	c->method = method;
	c->params = params ? g_variant_ref_sink(params) : NULL;
	c->reply = reply;
	c->done = done;
	vessel_wizard_busy(self, 1);
	if (bus)
		call_on(c, bus);
	else
		g_bus_get(G_BUS_TYPE_SYSTEM, self->cancel, got_system_bus, c);
}

/* --- errors in plain words --- */

static bool name_is(const char *remote, const char *suffix)
{
	return remote && g_str_has_suffix(remote, suffix);
}

char *vessel_wizard_error_text(const char *what, const GError *error)
{
	g_autofree char *remote = g_dbus_error_get_remote_error(error);
	g_autoptr(GError) copy = g_error_copy(error);

	g_dbus_error_strip_remote_error(copy);
	if (name_is(remote, ".NotAuthorized") || name_is(remote, ".AccessDenied") ||
	    name_is(remote, ".InteractiveAuthorizationRequired"))
		return g_strdup_printf("%s: this computer's permission check did not allow it "
				       "(%s). Ask an administrator, or follow the steps above by "
				       "hand.", what, copy->message);
	if (name_is(remote, ".ServiceUnknown") || name_is(remote, ".NameHasNoOwner") ||
	    name_is(remote, ".UnknownObject") || name_is(remote, ".UnknownMethod"))
		return g_strdup_printf("%s: the system service that does this is not installed or "
				       "not running (%s). Follow the steps above by hand.", what,
				       copy->message);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return g_strdup_printf("%s: no answer in time. Try again.", what);
	return g_strdup_printf("%s: %s", what, copy->message);
}

static void show_error(VesselWizard *self, const char *what, const GError *error)
{
	g_autofree char *text = vessel_wizard_error_text(what, error);

	vessel_wizard_set_error(self, text);
}

/* --- vessel-broker --- */

static void module_loaded(VesselWizard *self, GVariant *ret, const GError *error)
{
	if (error) {
		show_error(self, "Vessel could not load the KVM module", error);
		return;
	}
	vessel_wizard_recheck(self);
}

void vessel_wizard_load_module(VesselWizard *self)
{
	vessel_wizard_set_message(self, NULL);
	call_start(self, false, "LoadKvmModule", NULL, G_VARIANT_TYPE("(s)"), module_loaded);
}

static void access_installed(VesselWizard *self, GVariant *ret, const GError *error)
{
	if (error) {
		show_error(self, "Vessel could not give you access to KVM", error);
		return;
	}
	vessel_wizard_recheck(self);
}

void vessel_wizard_install_access(VesselWizard *self)
{
	vessel_wizard_set_message(self, NULL);
	call_start(self, false, "InstallKvmAccessRule", NULL, NULL, access_installed);
}

static void fwattr_set(VesselWizard *self, GVariant *ret, const GError *error)
{
	if (error) {
		show_error(self, "Vessel could not change the firmware setting", error);
		return;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->fwattr_button), FALSE);
	vessel_wizard_pending_save(self->state_file, HOSTCHECK_FIRMWARE_DISABLED, "fwattr");
	vessel_wizard_set_message(self, "Done: the firmware will switch virtualization on at the "
				  "next start. Shut down fully, then start again: a restart may "
				  "keep the old setting.");
}

void vessel_wizard_enable_fwattr(VesselWizard *self)
{
	const struct hostcheck_fwattr *v;
	char word[32];

	if (!self->check || !(v = vessel_wizard_vt_attr(&self->check->facts)))
		return;
	vessel_wizard_enable_word(v, word, sizeof(word));
	vessel_wizard_set_message(self, NULL);
	call_start(self, false, "SetFirmwareAttribute",
		   g_variant_new("(sss)", v->driver, v->name, word), NULL, fwattr_set);
}

/* --- logind: org.freedesktop.login1.Manager SetRebootToFirmwareSetup, then Reboot --- */

static void rebooting(VesselWizard *self, GVariant *ret, const GError *error)
{
	if (error)
		show_error(self, "The computer could not restart", error);
}

static void firmware_flag_set(VesselWizard *self, GVariant *ret, const GError *error)
{
	if (error) {
		show_error(self, "Could not restart into the firmware setup", error);
		return;
	}
	/* interactive=false: the user has just confirmed in our own dialog */
	call_start(self, true, "Reboot", g_variant_new("(b)", FALSE), NULL, rebooting);
}

static void restart_answered(AdwMessageDialog *dialog, const char *response, gpointer data)
{
	VesselWizard *self = data;

	if (strcmp(response, "restart") || !self->check)
		return;
	vessel_wizard_pending_save(self->state_file, self->check->result.state, "firmware");
	vessel_wizard_set_message(self, NULL);
	call_start(self, true, "SetRebootToFirmwareSetup", g_variant_new("(b)", TRUE), NULL,
		   firmware_flag_set);
}

void vessel_wizard_ask_restart(VesselWizard *self)
{
	GtkWidget *d;

	if (self->dialog)
		return;
	d = adw_message_dialog_new(GTK_WINDOW(self), "Restart into Firmware Setup?",
		"The computer restarts now and opens its firmware setup. Unsaved work in open "
		"applications will be lost: save it first.");
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(d), "cancel", "_Cancel",
					 "restart", "_Restart", NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(d), "restart",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(d), "cancel");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(d), "cancel");
	g_signal_connect_object(d, "response", G_CALLBACK(restart_answered), self, 0);
	self->dialog = GTK_WINDOW(d);
	g_object_add_weak_pointer(G_OBJECT(d), (gpointer *)&self->dialog);
	gtk_window_present(self->dialog);
}
