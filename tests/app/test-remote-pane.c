// SPDX-License-Identifier: GPL-2.0-or-later
// VesselRemotePane: [spice] settings written to the .vessel file, the address and a .vv file.
#include "../unit/tap.h"
#include "app-test.h"
#include "pane-session.h"
#include "vessel-file.h"
#include "vessel-remote-pane.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	char *saved;
	unsigned errors;
};

static void on_saved(GtkWidget *p, const char *path, struct seen *s)
{
	g_free(s->saved);
	s->saved = g_strdup(path);
}

static void on_error(GtkWidget *p, const char *message, struct seen *s)
{
	diag("error signal: %s", message);
	s->errors++;
}

/* A TCP port nothing listens on right now. */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port ? port : 15930;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mode & 07777;
}

static void test_apply(VesselRemotePane *p, const char *vessel, unsigned port)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *pw = NULL;
	struct vessel_file *vf = NULL;

	ok(!gtk_switch_get_active(vessel_remote_pane_get_share_switch(p)),
	   "a new VM is not shared");
	gtk_switch_set_active(vessel_remote_pane_get_share_switch(p), TRUE);
	gtk_spin_button_set_value(vessel_remote_pane_get_port(p), port);
	gtk_editable_set_text(vessel_remote_pane_get_password(p), "s3cret");
	gtk_widget_activate_action(GTK_WIDGET(p), "remote.apply", NULL);
	ok(vessel_file_load(vessel, &vf, &error) == 0, "the .vessel file still loads: %s",
	   error ? error->message : "ok");
	if (!vf)
		return;
	ok(!g_strcmp0(vf->spice_listen, "127.0.0.1") && vf->spice_port == port,
	   "remote.apply wrote [spice] listen=127.0.0.1 port=%u", vf->spice_port);
	ok(vf->spice_password_file && g_file_get_contents(vf->spice_password_file, &pw, NULL,
	   NULL) && !strcmp(pw, "s3cret") && mode_of(vf->spice_password_file) == 0600,
	   "and the password to a file only its owner reads");
	vessel_file_free(vf);
}

static void test_reload_and_off(const char *vessel, unsigned port)
{
	VesselRemotePane *q = VESSEL_REMOTE_PANE(vessel_remote_pane_new(vessel));
	g_autoptr(GError) error = NULL;
	g_autofree char *pwfile = NULL;
	struct vessel_file *vf = NULL;

	g_object_ref_sink(q);
	ok(gtk_switch_get_active(vessel_remote_pane_get_share_switch(q)) &&
	   gtk_spin_button_get_value_as_int(vessel_remote_pane_get_port(q)) == (int)port &&
	   !strcmp(gtk_editable_get_text(vessel_remote_pane_get_password(q)), "s3cret"),
	   "a new pane reads the settings back from the file");
	gtk_switch_set_active(vessel_remote_pane_get_share_switch(q), FALSE);
	gtk_widget_activate_action(GTK_WIDGET(q), "remote.apply", NULL);
	if (vessel_file_load(vessel, &vf, &error) < 0) {
		ok(0, "the file loads: %s", error->message);
	} else {
		pwfile = g_build_filename(vf->dir, "spice-password", NULL);
		ok(!vf->spice_listen && !vf->spice_port && !vf->spice_password_file &&
		   !g_file_test(pwfile, G_FILE_TEST_EXISTS),
		   "turning sharing off removes [spice] listen, port and the password file");
	}
	vessel_file_free(vf);
	g_object_unref(q);
}

static gboolean saved(gpointer s)
{
	return ((struct seen *)s)->saved || ((struct seen *)s)->errors;
}

static GtkWidget *visible_chooser(void)
{
	GListModel *tops = gtk_window_get_toplevels();

	for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
		g_autoptr(GObject) w = g_list_model_get_item(tops, i);

		if (GTK_IS_FILE_CHOOSER(w) && gtk_widget_get_visible(GTK_WIDGET(w)))
			return GTK_WIDGET(w);
	}
	return NULL;
}

static gboolean have_chooser(gpointer data)
{
	return visible_chooser() != NULL;
}

struct chooser_wait {
	GtkWidget *dialog;
	const char *want;
};

static gboolean chooser_at(gpointer data)
{
	struct chooser_wait *w = data;
	g_autoptr(GFile) f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(w->dialog));
	g_autofree char *path = f ? g_file_get_path(f) : NULL;

	return !g_strcmp0(path, w->want);
}

/* The button's way: remote.save-connection-file, a file chooser (GTK's own without a portal). */
static void test_chooser(VesselRemotePane *p, const char *tmp, struct seen *s)
{
	g_autofree char *want = g_build_filename(tmp, "Remote VM.vv", NULL);
	g_autoptr(GFile) folder = g_file_new_for_path(tmp);
	struct chooser_wait w = { .want = want };

	g_clear_pointer(&s->saved, g_free);
	gtk_widget_activate_action(GTK_WIDGET(p), "remote.save-connection-file", NULL);
	w.dialog = app_test_wait_for(have_chooser, NULL, 5000) ? visible_chooser() : NULL;
	ok(w.dialog && !strcmp(gtk_file_chooser_get_current_name(GTK_FILE_CHOOSER(w.dialog)),
	   "Remote VM.vv"), "Save Connection File… opens a file chooser proposing the VM's name");
	if (!w.dialog)
		return;
	/* the chooser takes another folder only once it has loaded the one it shows */
	app_test_wait(3000);
	gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(w.dialog), folder, NULL);
	if (!app_test_wait_for(chooser_at, &w, 5000)) {
		ok(0, "the chooser goes to the test's folder");
		/* never save into wherever it is instead */
		gtk_dialog_response(GTK_DIALOG(w.dialog), GTK_RESPONSE_CANCEL);
		return;
	}
	/* its Save button, as a click: the chooser checks the name before it responds */
	gtk_widget_activate(gtk_dialog_get_widget_for_response(GTK_DIALOG(w.dialog),
							       GTK_RESPONSE_ACCEPT));
	ok(app_test_wait_for(saved, s, 10000) && !g_strcmp0(s->saved, want) &&
	   g_file_test(want, G_FILE_TEST_IS_REGULAR), "Save writes it where chosen (%s)",
	   s->saved ? s->saved : "nothing saved");
}

static void test_connection_file(VesselRemotePane *p, const char *tmp, unsigned port,
				 struct seen *s)
{
	g_autofree char *vv = g_build_filename(tmp, "remote.vv", NULL);
	g_autofree char *want = g_strdup_printf(":%u", port);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *pw = NULL;

	gtk_widget_activate_action(GTK_WIDGET(p), "remote.apply", NULL);
	ok(strstr(vessel_remote_pane_get_applied_text(p), "next start") != NULL,
	   "applying while it runs says the change comes at the next start");
	ok(strstr(vessel_remote_pane_get_address_text(p), "spice://127.0.0.1") &&
	   strstr(vessel_remote_pane_get_address_text(p), want),
	   "the running VM's address is shown: %s", vessel_remote_pane_get_address_text(p));
	app_test_screenshot(GTK_WIDGET(p), "remote-pane");
	vessel_remote_pane_save_connection_file(p, vv);
	ok(app_test_wait_for(saved, s, 10000) && !g_strcmp0(s->saved, vv),
	   "saved(%s) after the connection file is written", vv);
	ok(g_key_file_load_from_file(kf, vv, G_KEY_FILE_NONE, NULL) &&
	   g_key_file_get_integer(kf, "virt-viewer", "port", NULL) == (int)port &&
	   (pw = g_key_file_get_string(kf, "virt-viewer", "password", NULL)) &&
	   !strcmp(pw, "s3cret") && mode_of(vv) == 0600,
	   "the .vv file names the port and password and only its owner reads it");
}

int main(int argc, char **argv)
{
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "vbe-guest.elf",
				"--timeout", "120", NULL };
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	struct pane_session ps;
	struct seen s = { 0 };
	struct vessel_file *vf;
	VesselRemotePane *p;
	unsigned port = free_port();

	pane_session_require_kvm();
	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "Remote VM", 32ull << 20, 1, &error);
	if (!vf)
		skip_all("no VM folder: %s", error->message);
	p = VESSEL_REMOTE_PANE(vessel_remote_pane_new(vf->path));
	g_signal_connect(p, "saved", G_CALLBACK(on_saved), &s);
	g_signal_connect(p, "error", G_CALLBACK(on_error), &s);
	pane_test_window(GTK_WIDGET(p), 600, 560);
	ok(strstr(vessel_remote_pane_get_address_text(p), "Not running") != NULL,
	   "no VM: \"Not running\"");
	test_apply(p, vf->path, port);
	if (pane_session_start(&ps, vf->path, extra, 30000)) {
		vessel_remote_pane_set_vm(p, vessel_session_vm(ps.s));
		test_connection_file(p, tmp, port, &s);
		test_chooser(p, tmp, &s);
		vessel_remote_pane_set_vm(p, NULL);
		pane_session_stop(&ps);
	} else {
		ok(0, "the shared VM runs");
	}
	is_int(s.errors, 0, "no error signal");
	test_reload_and_off(vf->path, port);
	gtk_window_destroy(GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(p))));
	vessel_file_free(vf);
	g_free(s.saved);
	app_test_rmtree(tmp);
	return tap_done();
}
