// SPDX-License-Identifier: GPL-2.0-or-later
// VesselRemotePane: SPICE sharing, shown from VM1 and set in the .vessel file's [spice] group.
#include "vessel-remote-pane.h"
#include "vessel-file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define PASSWORD_FILE "spice-password"

struct _VesselRemotePane {
	GtkWidget parent_instance;

	/* template children */
	AdwActionRow *address_row;
	AdwActionRow *share_row;
	GtkSwitch *share_switch;
	GtkSpinButton *port;
	GtkEditable *password;
	GtkLabel *applied;

	/* owned */
	char *vessel_path;
	VesselVM1 *vm;
	gulong props_handler;
	GCancellable *cancel;
	GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE(VesselRemotePane, vessel_remote_pane, GTK_TYPE_WIDGET)

enum { SIGNAL_SAVED, SIGNAL_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

static void emit_error(VesselRemotePane *self, const char *message)
{
	g_signal_emit(self, signals[SIGNAL_ERROR], 0, message);
}

static void update_address(VesselRemotePane *self)
{
	const char *addr = self->vm ? vessel_vm1_get_spice_address(self->vm) : NULL;
	gboolean shared = addr && *addr;
	/* "tcp:HOST:PORT" is what a SPICE viewer takes as spice://HOST:PORT */
	g_autofree char *text = !shared ? NULL : g_str_has_prefix(addr, "tcp:") ?
		g_strdup_printf("Shared at spice://%s", addr + 4) :
		g_strdup_printf("Shared at %s", addr);

	adw_action_row_set_subtitle(self->address_row, shared ? text : self->vm ?
		"Not shared while it runs now" : "Not running");
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "remote.save-connection-file", shared);
}

static void on_props(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer self)
{
	update_address(self);
}

void vessel_remote_pane_set_vm(VesselRemotePane *self, VesselVM1 *vm)
{
	g_return_if_fail(VESSEL_IS_REMOTE_PANE(self));
	if (self->vm) {
		g_signal_handler_disconnect(self->vm, self->props_handler);
		g_clear_object(&self->vm);
	}
	if (vm) {
		self->vm = g_object_ref(vm);
		self->props_handler = g_signal_connect(vm, "g-properties-changed",
						       G_CALLBACK(on_props), self);
	}
	update_address(self);
}

/* The password file's first line; "" when there is none or it cannot be read. */
static char *read_password(const char *path)
{
	g_autofree char *data = NULL;

	if (!path || !g_file_get_contents(path, &data, NULL, NULL))
		return g_strdup("");
	data[strcspn(data, "\r\n")] = '\0';
	return g_steal_pointer(&data);
}

/* The settings as the .vessel file has them now. */
static void load_settings(VesselRemotePane *self)
{
	struct vessel_file *vf = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *pw = NULL;

	if (vessel_file_load(self->vessel_path, &vf, &error) < 0) {
		adw_action_row_set_subtitle(self->address_row, error->message);
		return;
	}
	gtk_switch_set_active(self->share_switch, vf->spice_listen || vf->spice_port);
	/* the address is kept as Settings set it; say who can reach it */
	if (vf->spice_listen && strcmp(vf->spice_listen, "127.0.0.1")) {
		g_autofree char *sub = g_strdup_printf("Listening on %s (set in Settings)",
						       vf->spice_listen);

		adw_action_row_set_subtitle(self->share_row, sub);
	}
	if (vf->spice_port)
		gtk_spin_button_set_value(self->port, vf->spice_port);
	pw = read_password(vf->spice_password_file);
	gtk_editable_set_text(self->password, pw);
	explicit_bzero(pw, strlen(pw));
	vessel_file_free(vf);
}

/* path, created or replaced, holding data and readable by its owner only. */
static int write_private(const char *path, const char *data, GError **error)
{
	g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
	size_t len = strlen(data);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	gboolean ok;

	if (fd < 0)
		goto fail;
	ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s could not be "
		    "written: %s", path, g_strerror(errno));
	return -EIO;
}

static int apply_password(VesselRemotePane *self, struct vessel_file *vf, GError **error)
{
	g_autofree char *path = g_build_filename(vf->dir, PASSWORD_FILE, NULL);
	const char *pw = gtk_editable_get_text(self->password);

	if (!*pw || !gtk_switch_get_active(self->share_switch)) {
		g_key_file_remove_key(vf->kf, "spice", "password-file", NULL);
		if (unlink(path) < 0 && errno != ENOENT)
			g_warning("%s: %s", path, g_strerror(errno));
		return 0;
	}
	if (strpbrk(pw, "\r\n")) {
		g_set_error_literal(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
				    "The password cannot contain a line break.");
		return -EINVAL;
	}
	g_key_file_set_string(vf->kf, "spice", "password-file", PASSWORD_FILE);
	return write_private(path, pw, error);
}

/* Edit [spice] of a freshly read file, so keys others wrote meanwhile are kept. */
static int apply_settings(VesselRemotePane *self, GError **error)
{
	struct vessel_file *vf = NULL;
	int ret = vessel_file_load(self->vessel_path, &vf, error);

	if (ret < 0)
		return ret;
	if (gtk_switch_get_active(self->share_switch)) {
		g_autofree char *listen = g_key_file_get_string(vf->kf, "spice", "listen", NULL);

		g_key_file_set_string(vf->kf, "spice", "listen",
				      listen && *listen ? listen : "127.0.0.1");
		g_key_file_set_integer(vf->kf, "spice", "port",
				       gtk_spin_button_get_value_as_int(self->port));
	} else {
		g_key_file_remove_key(vf->kf, "spice", "listen", NULL);
		g_key_file_remove_key(vf->kf, "spice", "port", NULL);
	}
	ret = apply_password(self, vf, error);
	if (!ret)
		ret = vessel_file_save(vf, error);
	vessel_file_free(vf);
	return ret;
}

static void apply_activate(GtkWidget *w, const char *name, GVariant *param)
{
	g_autoptr(GError) error = NULL;

	VesselRemotePane *self = VESSEL_REMOTE_PANE(w);

	if (apply_settings(self, &error) < 0) {
		gtk_label_set_text(self->applied, "");
		emit_error(self, error->message);
		return;
	}
	gtk_label_set_text(self->applied, self->vm ? "Saved. The virtual machine uses these "
			   "settings from its next start." : "Saved.");
}

struct save_job {
	VesselRemotePane *self;
	char *path;
};

static void connection_file_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct save_job *job = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *vv = NULL;

	if (vessel_vm1_call_spice_connection_file_finish(VESSEL_VM1(src), &vv, res, &error) &&
	    write_private(job->path, vv, &error) == 0)
		g_signal_emit(job->self, signals[SIGNAL_SAVED], 0, job->path);
	else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		emit_error(job->self, (g_dbus_error_strip_remote_error(error), error->message));
	if (vv)
		explicit_bzero(vv, strlen(vv));
	g_free(job->path);
	g_free(job);
}

void vessel_remote_pane_save_connection_file(VesselRemotePane *self, const char *path)
{
	struct save_job *job;

	g_return_if_fail(VESSEL_IS_REMOTE_PANE(self));
	if (!self->vm) {
		emit_error(self, "The virtual machine is not running.");
		return;
	}
	job = g_new0(struct save_job, 1);
	job->self = self;
	job->path = g_strdup(path);
	vessel_vm1_call_spice_connection_file(self->vm, self->cancel, connection_file_done, job);
}

static void on_chooser_response(GtkNativeDialog *d, int response, gpointer data)
{
	VesselRemotePane *self = data;
	g_autoptr(GFile) file = NULL;
	g_autofree char *path = NULL;

	if (response == GTK_RESPONSE_ACCEPT)
		file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
	path = file ? g_file_get_path(file) : NULL;
	if (path)
		vessel_remote_pane_save_connection_file(self, path);
	g_clear_object(&self->chooser);
}

/* GtkFileDialog is GTK 4.10; Debian 12 has 4.8, so the (portal-aware) native chooser. */
static void save_file_activate(GtkWidget *w, const char *name, GVariant *param)
{
	VesselRemotePane *self = VESSEL_REMOTE_PANE(w);
	GtkRoot *root = gtk_widget_get_root(w);
	const char *vm_name = self->vm ? vessel_vm1_get_name(self->vm) : NULL;
	g_autofree char *file = g_strdup_printf("%s.vv", vm_name && *vm_name ? vm_name : "vm");
	g_autoptr(GtkFileFilter) filter = gtk_file_filter_new();

	if (self->chooser)
		return;
	/* a VM name may hold a slash; it must not pick a folder */
	g_strdelimit(file, "/", '-');
	self->chooser = gtk_file_chooser_native_new("Save Connection File",
		GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, GTK_FILE_CHOOSER_ACTION_SAVE,
		"_Save", "_Cancel");
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(self->chooser), file);
	gtk_file_filter_set_name(filter, "Remote Viewer connection files");
	gtk_file_filter_add_pattern(filter, "*.vv");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), filter);
	gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
	g_signal_connect(self->chooser, "response", G_CALLBACK(on_chooser_response), self);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

GtkSwitch *vessel_remote_pane_get_share_switch(VesselRemotePane *self)
{
	return self->share_switch;
}

GtkSpinButton *vessel_remote_pane_get_port(VesselRemotePane *self)
{
	return self->port;
}

GtkEditable *vessel_remote_pane_get_password(VesselRemotePane *self)
{
	return self->password;
}

const char *vessel_remote_pane_get_address_text(VesselRemotePane *self)
{
	return adw_action_row_get_subtitle(self->address_row);
}

const char *vessel_remote_pane_get_applied_text(VesselRemotePane *self)
{
	return gtk_label_get_text(self->applied);
}

static void vessel_remote_pane_dispose(GObject *object)
{
	VesselRemotePane *self = VESSEL_REMOTE_PANE(object);
	GtkWidget *child;

	g_cancellable_cancel(self->cancel);
	vessel_remote_pane_set_vm(self, NULL);
	if (self->chooser)
		gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
	g_clear_object(&self->chooser);
	gtk_widget_dispose_template(GTK_WIDGET(self), VESSEL_TYPE_REMOTE_PANE);
	/* dispose_template unparents bound children only; the scrolled window is not one */
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(self))))
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(vessel_remote_pane_parent_class)->dispose(object);
}

static void vessel_remote_pane_finalize(GObject *object)
{
	VesselRemotePane *self = VESSEL_REMOTE_PANE(object);

	g_clear_object(&self->cancel);
	g_free(self->vessel_path);
	G_OBJECT_CLASS(vessel_remote_pane_parent_class)->finalize(object);
}

static void vessel_remote_pane_class_init(VesselRemotePaneClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->dispose = vessel_remote_pane_dispose;
	oc->finalize = vessel_remote_pane_finalize;
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-remote-pane.ui");
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, address_row);
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, share_row);
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, share_switch);
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, port);
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, password);
	gtk_widget_class_bind_template_child(wc, VesselRemotePane, applied);
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "remote.apply", NULL, apply_activate);
	gtk_widget_class_install_action(wc, "remote.save-connection-file", NULL,
					save_file_activate);
	/* saved(path): a connection file was written there */
	signals[SIGNAL_SAVED] = g_signal_new("saved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
		0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	/* error(message): applying or saving failed; the message is meant for a person */
	signals[SIGNAL_ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
		0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void vessel_remote_pane_init(VesselRemotePane *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
}

GtkWidget *vessel_remote_pane_new(const char *vessel_path)
{
	VesselRemotePane *self = g_object_new(VESSEL_TYPE_REMOTE_PANE, NULL);

	self->vessel_path = g_strdup(vessel_path);
	load_settings(self);
	update_address(self);
	return GTK_WIDGET(self);
}
