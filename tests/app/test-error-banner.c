// SPDX-License-Identifier: GPL-2.0-or-later
// VesselErrorBanner: a helper that exits 65 (no KVM) gives the sentence and "Check This Computer".
#include "../unit/tap.h"
#include "app-test.h"
#include "pane-session.h"
#include "vessel-error-banner.h"
#include "vessel-file.h"

#include <sys/stat.h>

static gboolean check_ran(gpointer b)
{
	return vessel_error_banner_get_check_output(b) != NULL;
}

static void test_no_kvm(VesselErrorBanner *b, const char *tmp, const char *vessel)
{
	g_autofree char *fake = g_build_filename(tmp, "fake-helper", NULL);
	struct pane_session ps = { 0 };
	g_autoptr(GError) error = NULL;

	g_file_set_contents(fake, "#!/bin/sh\necho 'vessel-helper: cannot open /dev/kvm: No such "
			    "file or directory' >&2\nexit 65\n", -1, NULL);
	chmod(fake, 0755);
	g_setenv("VESSEL_HELPER", fake, TRUE);
	pane_session_start(&ps, vessel, NULL, 20000);
	ok(pane_session_wait_exit(&ps, 20000) && ps.status == 65, "the fake helper exits 65");
	vessel_error_banner_show_exit(b, ps.status, ps.message);
	ok(vessel_error_banner_get_revealed(b), "the banner is shown");
	g_autofree char *one_line = g_strdelimit(g_strdup(vessel_error_banner_get_message(b)),
						 "\n", '|');
	ok(strstr(vessel_error_banner_get_message(b), vessel_exit_message(65)) &&
	   strstr(vessel_error_banner_get_message(b), "/dev/kvm"),
	   "it says what happened and what to do, with the helper's last line: %s", one_line);
	ok(!g_strcmp0(vessel_error_banner_get_button_label(b), "_Check This Computer"),
	   "its button offers to check this computer");
	app_test_screenshot(GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(b))), "error-banner");
	gtk_widget_activate_action(GTK_WIDGET(b), "banner.activate", NULL);
	ok(app_test_wait_for(check_ran, b, 20000) && *vessel_error_banner_get_check_output(b),
	   "the button runs vesselctl check and shows what it says");
	if (vessel_error_banner_get_check_output(b))
		diag("vesselctl check: %.*s", (int)strcspn(vessel_error_banner_get_check_output(b),
		     "\n"), vessel_error_banner_get_check_output(b));
	app_test_screenshot(GTK_WIDGET(gtk_widget_get_root(GTK_WIDGET(b))), "error-banner-check");
	pane_session_stop(&ps);
}

static void test_other(VesselErrorBanner *b)
{
	vessel_error_banner_show_exit(b, 66, vessel_exit_message(66));
	ok(vessel_error_banner_get_revealed(b) && !vessel_error_banner_get_check_output(b) &&
	   !g_strcmp0(vessel_error_banner_get_button_label(b), "_Dismiss"),
	   "a triple fault: the sentence, a Dismiss button, no old check output");
	gtk_widget_activate_action(GTK_WIDGET(b), "banner.activate", NULL);
	ok(!vessel_error_banner_get_revealed(b), "Dismiss hides the banner");
	vessel_error_banner_show_exit(b, 66, vessel_exit_message(66));
	vessel_error_banner_show_exit(b, 0, NULL);
	ok(!vessel_error_banner_get_revealed(b), "a clean power-off (no message) hides it");
}

int main(void)
{
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf;
	GtkWidget *box, *b;
	GtkWindow *win;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "No KVM VM", 32ull << 20, 1, &error);
	if (!vf)
		skip_all("no VM folder: %s", error->message);
	/* as in a VM window: the banner above the (here empty) content */
	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	b = vessel_error_banner_new();
	gtk_box_append(GTK_BOX(box), b);
	gtk_box_append(GTK_BOX(box), adw_status_page_new());
	gtk_widget_set_vexpand(gtk_widget_get_last_child(box), TRUE);
	win = pane_test_window(box, 720, 420);
	ok(!vessel_error_banner_get_revealed(VESSEL_ERROR_BANNER(b)), "hidden at first");
	test_no_kvm(VESSEL_ERROR_BANNER(b), tmp, vf->path);
	test_other(VESSEL_ERROR_BANNER(b));
	gtk_window_destroy(win);
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
