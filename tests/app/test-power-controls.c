// SPDX-License-Identifier: GPL-2.0-or-later
// VesselPowerControls against a real helper: pause/resume by State, force off asked first.
#include "../unit/tap.h"
#include "app-test.h"
#include "pane-session.h"
#include "vessel-file.h"
#include "vessel-power-controls.h"

struct wait_state {
	VesselVM1 *vm;
	const char *want;
};

static gboolean state_is(gpointer data)
{
	struct wait_state *w = data;

	return !g_strcmp0(vessel_vm1_get_state(w->vm), w->want);
}

static gboolean wait_state(VesselVM1 *vm, const char *want)
{
	struct wait_state w = { vm, want };

	return app_test_wait_for(state_is, &w, 15000);
}

static gboolean sensitive(GtkWidget *controls, const char *action)
{
	GtkWidget *b = pane_test_find_actionable(controls, action);

	return b && gtk_widget_is_sensitive(b);
}

static void on_error(GtkWidget *w, const char *message, guint *errors)
{
	diag("error signal: %s", message);
	(*errors)++;
}

static void test_pause_resume(GtkWidget *c, VesselVM1 *vm)
{
	ok(sensitive(c, "power.pause"), "running: Pause is sensitive");
	gtk_widget_activate_action(c, "power.pause", NULL);
	ok(wait_state(vm, "paused"), "power.pause: State becomes paused");
	app_test_wait(100);
	ok(sensitive(c, "power.resume") && !gtk_widget_get_child_visible(
		pane_test_find_actionable(c, "power.pause")), "paused: Resume is shown instead");
	app_test_screenshot(c, "power-controls-paused");
	gtk_widget_activate_action(c, "power.resume", NULL);
	ok(wait_state(vm, "running"), "power.resume: State becomes running again");
	app_test_wait(100);
	ok(sensitive(c, "power.pause") && !sensitive(c, "power.resume"),
	   "running: Pause is back, Resume is not");
}

static void test_force_off(GtkWidget *c, struct pane_session *ps)
{
	AdwMessageDialog *d;

	gtk_widget_activate_action(c, "power.force-off", NULL);
	d = pane_test_find_dialog(3000);
	ok(d && adw_message_dialog_has_response(d, "force-off"),
	   "power.force-off asks first (AdwMessageDialog with a Force Off response)");
	if (!d)
		return;
	app_test_screenshot(GTK_WIDGET(d), "power-controls-force-off");
	adw_message_dialog_response(d, "cancel");
	gtk_window_destroy(GTK_WINDOW(d));
	app_test_wait(1000);
	ok(!ps->exited && !strcmp(ps->state, "running"), "Cancel leaves the VM running");

	gtk_widget_activate_action(c, "power.force-off", NULL);
	d = pane_test_find_dialog(3000);
	if (d) {
		adw_message_dialog_response(d, "force-off");
		gtk_window_destroy(GTK_WINDOW(d));
	}
	ok(pane_session_wait_exit(ps, 20000) && ps->status == 0,
	   "Force Off: the helper exits 0 (status %d)", ps->status);
}

int main(int argc, char **argv)
{
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "vbe-guest.elf",
				"--timeout", "120", NULL };
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	struct pane_session ps;
	struct vessel_file *vf;
	guint errors = 0;
	GtkWidget *c;
	VesselVM1 *vm;

	pane_session_require_kvm();
	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "Power VM", 32ull << 20, 1, &error);
	ok(vf != NULL, "a VM folder");
	c = vessel_power_controls_new();
	g_signal_connect(c, "error", G_CALLBACK(on_error), &errors);
	pane_test_window(c, 200, 60);
	ok(!sensitive(c, "power.pause") && !sensitive(c, "power.resume"),
	   "without a VM nothing is sensitive");
	if (!vf || !pane_session_start(&ps, vf->path, extra, 30000)) {
		ok(0, "the VM runs");
		return tap_done();
	}
	vm = vessel_session_vm(ps.s);
	vessel_power_controls_set_vm(VESSEL_POWER_CONTROLS(c), vm);
	app_test_screenshot(c, "power-controls");
	test_pause_resume(c, vm);
	gtk_widget_activate_action(c, "power.reset", NULL);
	app_test_wait(1000);
	ok(!ps.exited && wait_state(vm, "running"), "power.reset: the VM keeps running");
	test_force_off(c, &ps);
	is_int(errors, 0, "no call failed");
	vessel_power_controls_set_vm(VESSEL_POWER_CONTROLS(c), NULL);
	pane_session_stop(&ps);
	gtk_window_destroy(GTK_WINDOW(gtk_widget_get_root(c)));
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
