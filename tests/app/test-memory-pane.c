// SPDX-License-Identifier: GPL-2.0-or-later
// VesselMemoryPane against a real helper: no-balloon page, slider -> MemoryTarget, auto switch.
#include "../unit/tap.h"
#include "app-test.h"
#include "pane-session.h"
#include "vessel-file.h"
#include "vessel-memory-pane.h"

#define MIB ((guint64)1 << 20)

struct want {
	VesselVM1 *vm;
	guint64 target;
	gboolean auto_on;
	VesselMemoryPane *pane;
};

static gboolean target_is(gpointer data)
{
	struct want *w = data;

	return vessel_vm1_get_memory_target(w->vm) == w->target;
}

static gboolean auto_is(gpointer data)
{
	struct want *w = data;

	return vessel_vm1_get_balloon_auto(w->vm) == w->auto_on &&
	       gtk_switch_get_active(vessel_memory_pane_get_auto_switch(w->pane)) == w->auto_on;
}

static gboolean have_samples(gpointer data)
{
	return vessel_memory_pane_get_n_samples(data) >= 1;
}

static gboolean is_balloon_page(gpointer data)
{
	return !g_strcmp0(vessel_memory_pane_get_page(data), "balloon");
}

static gboolean guest_refilled(gpointer serial)
{
	g_autofree char *out = NULL;

	return g_file_get_contents(serial, &out, NULL, NULL) && strstr(out, "refilled");
}

/* Pixels of the graph's two series (GNOME blue 3, green 3) in the pane's rendering. */
static void count_series(VesselMemoryPane *p, unsigned *blue, unsigned *green)
{
	int w = 0, h = 0;
	gsize stride = 0;
	g_autofree guint8 *px = app_test_read_pixels(GTK_WIDGET(p), &w, &h, &stride);

	*blue = *green = 0;
	for (int y = 0; px && y < h; y++) {
		for (int x = 0; x < w; x++) {
			const guint8 *c = px + (gsize)y * stride + (gsize)x * 4;	/* B,G,R,A */

			*blue += c[2] == 53 && c[1] == 133 && c[0] == 227;
			*green += c[2] == 51 && c[1] == 209 && c[0] == 122;
		}
	}
}

static void test_no_balloon(VesselMemoryPane *p, const char *vessel, const char *guest)
{
	const char *extra[] = { "--multiboot", guest, "--timeout", "60", NULL };
	struct pane_session ps;

	ok(!g_strcmp0(vessel_memory_pane_get_page(p), "stopped"), "no VM: the not-running page");
	if (!pane_session_start(&ps, vessel, extra, 30000)) {
		ok(0, "a VM without a balloon runs");
		return;
	}
	vessel_memory_pane_set_vm(p, vessel_session_vm(ps.s));
	ok(!g_strcmp0(vessel_memory_pane_get_page(p), "none"),
	   "without a balloon: the \"This VM has no memory balloon\" page");
	app_test_screenshot(GTK_WIDGET(p), "memory-pane-no-balloon");
	vessel_memory_pane_set_vm(p, NULL);
	pane_session_stop(&ps);
}

static void test_balloon(VesselMemoryPane *p, struct pane_session *ps, const char *serial)
{
	g_autofree char *out = NULL;
	unsigned blue, green;
	GtkRange *slider = vessel_memory_pane_get_slider(p);
	GtkAdjustment *adj = gtk_range_get_adjustment(slider);
	struct want w = { .vm = vessel_session_vm(ps->s), .pane = p };
	guint64 mid;

	vessel_memory_pane_set_vm(p, w.vm);
	ok(app_test_wait_for(is_balloon_page, p, 5000), "with a balloon: the slider page");
	ok(gtk_adjustment_get_upper(adj) == 128 && gtk_adjustment_get_lower(adj) ==
	   (double)(vessel_vm1_get_balloon_min(w.vm) / MIB),
	   "the slider runs from BalloonMin to BalloonMax (%.0f..%.0f MiB)",
	   gtk_adjustment_get_lower(adj), gtk_adjustment_get_upper(adj));
	/* the kit guest checks its first target (32 MiB) before it takes others */
	ok(app_test_wait_for(guest_refilled, (gpointer)serial, 30000),
	   "the guest inflated its balloon and sent statistics");
	/* --balloon-target set 32 MiB, under BalloonMin: the slider stops at its end */
	w.target = 32 * MIB;
	ok(app_test_wait_for(target_is, &w, 5000) &&
	   strstr(vessel_memory_pane_get_figures(p), "Target 32 MiB") &&
	   strstr(vessel_memory_pane_get_figures(p), "of 128 MiB"),
	   "the figures show the helper's target: %s", vessel_memory_pane_get_figures(p));
	mid = ((guint64)gtk_adjustment_get_lower(adj) + 128) / 2;
	gtk_range_set_value(slider, (double)mid);
	w.target = mid * MIB;
	ok(app_test_wait_for(target_is, &w, 5000), "moving the slider to %" G_GUINT64_FORMAT
	   " MiB sets MemoryTarget", mid);
	ok(app_test_wait_for(have_samples, p, 5000), "the graph has samples from GetMemoryStats "
	   "(%u)", vessel_memory_pane_get_n_samples(p));
	/* new figures relay the pane out, and a widget awaiting its size draws nothing */
	app_test_wait(500);
	app_test_screenshot(GTK_WIDGET(p), "memory-pane");
	count_series(p, &blue, &green);
	ok(blue > 0 && green > 0, "the graph draws the guest's memory (%u px) and its free memory "
	   "(%u px)", blue, green);

	gtk_switch_set_active(vessel_memory_pane_get_auto_switch(p), TRUE);
	w.auto_on = TRUE;
	ok(app_test_wait_for(auto_is, &w, 5000), "the switch turns BalloonAuto on");
	/* all of it back: the kit guest deflates, checks its pages and powers off */
	gtk_range_set_value(slider, 128);
	w.target = 128 * MIB;
	w.auto_on = FALSE;
	ok(app_test_wait_for(target_is, &w, 5000), "the slider at the top gives everything back");
	ok(app_test_wait_for(auto_is, &w, 5000), "and a hand-set target turns the policy (and "
	   "the switch) off");
	ok(pane_session_wait_exit(ps, 40000) && ps->status == 0,
	   "the balloon guest finished its checks (status %d)", ps->status);
	if (ps->status)
		diag("%s", ps->message);
	if (ps->status && g_file_get_contents(serial, &out, NULL, NULL))
		diag("the guest said: %s", out);
}

int main(int argc, char **argv)
{
	g_autofree char *tmp = app_test_tmpdir();
	g_autofree char *serial = g_strdup_printf("file:%s/serial.txt", tmp);
	const char *extra[] = { "--multiboot", argc > 2 ? argv[2] : "test-balloon.elf",
				"--balloon", "--balloon-target", "96M@0", "--balloon-stats", "1",
				"--serial", serial, "--timeout", "60", NULL };
	g_autoptr(GError) error = NULL;
	struct pane_session ps;
	struct vessel_file *vf;
	VesselMemoryPane *p;

	pane_session_require_kvm();
	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "Balloon VM", 128 * MIB, 1, &error);
	if (!vf)
		skip_all("no VM folder: %s", error->message);
	p = VESSEL_MEMORY_PANE(vessel_memory_pane_new());
	pane_test_window(GTK_WIDGET(p), 600, 640);
	test_no_balloon(p, vf->path, argc > 1 ? argv[1] : "vbe-guest.elf");
	if (pane_session_start(&ps, vf->path, extra, 30000))
		test_balloon(p, &ps, serial + 5);
	else
		ok(0, "the balloon VM runs");
	vessel_memory_pane_set_vm(p, NULL);
	pane_session_stop(&ps);
	gtk_window_destroy(GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(p))));
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
