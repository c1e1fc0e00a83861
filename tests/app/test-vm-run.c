// SPDX-License-Identifier: GPL-2.0-or-later
// The VM window running a real VM: the helper started through app/session.c draws a known
// pattern, the window's GL display shows it scaled, pause/resume through the window's
// action, power-off, and the banner when the helper finds no KVM. Needs /dev/kvm.
#include "../unit/tap.h"
#include "app-test.h"
#include "session.h"
#include "vessel-file.h"
#include "vessel-vm-window.h"

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

static VesselVmWindow *win;

static gboolean state_is(gpointer want)
{
	return !g_strcmp0(vessel_vm_window_get_state(win), want);
}

static gboolean exited(gpointer unused)
{
	return vessel_vm_window_get_exit_status(win) >= 0;
}

#include "vessel-snapshots-pane.h"

/* tests/spice/vbe-guest.c's 640x480 pattern at guest pixel (x, y). */
static uint32_t pattern(int x, int y)
{
	return (uint32_t)(((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffff);
}

struct shot {
	guint8 *px;
	int w, h;
	gsize stride;
};

static gboolean shows_pattern(gpointer data)
{
	struct shot *s = data;
	VesselDisplay *d = vessel_vm_window_get_display(win);
	int bad = 0, n = 0;

	g_clear_pointer(&s->px, g_free);
	s->px = app_test_read_pixels(GTK_WIDGET(d), &s->w, &s->h, &s->stride);
	if (!s->px)
		return FALSE;
	/*
	 * One pass over the widget: every point that the widget's own mapping sends to a
	 * sample guest pixel (a 71 x 57 grid) is compared with the pattern there.
	 */
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(d));

	for (int wy = 0; wy < s->h / scale; wy++) {
		for (int wx = 0; wx < s->w / scale; wx++) {
			int gx, gy, dr, dg, db;
			uint32_t want, got;
			const guint8 *p;

			if (!vessel_display_widget_to_guest(d, wx + 0.5, wy + 0.5, &gx, &gy) ||
			    (gx - 20) % 71 || (gy - 20) % 57 || gx < 20 || gy < 20)
				continue;
			p = s->px + (gsize)(wy * scale) * s->stride + (gsize)(wx * scale) * 4;
			want = pattern(gx, gy);
			got = (uint32_t)(p[2] << 16 | p[1] << 8 | p[0]);
			dr = abs((int)(got >> 16) - (int)(want >> 16));
			dg = abs((int)((got >> 8) & 0xff) - (int)((want >> 8) & 0xff));
			db = abs((int)(got & 0xff) - (int)(want & 0xff));
			n++;
			/* the pattern changes every pixel; scaling filters: allow a neighbour's */
			bad += dr > 40 || dg > 40 || db > 40;
		}
	}
	return n > 40 && bad <= n / 10;
}

static gboolean kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int v = fd >= 0 ? ioctl(fd, KVM_GET_API_VERSION, 0) : -1;

	if (fd >= 0)
		close(fd);
	return v == KVM_API_VERSION;
}

int main(int argc, char **argv)
{
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "vbe-guest.elf", "--timeout",
				"90", NULL };
	struct shot s = { 0 };
	struct vessel_file *vf;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	if (!kvm_usable()) {
		if (!g_strcmp0(g_getenv("CI"), "true")) {
			ok(0, "/dev/kvm is required under CI=true");
			return tap_done();
		}
		skip_all("/dev/kvm is not usable here");
	}
	tmp = app_test_tmpdir();
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "Running VM", 32ull << 20, 1, &error);
	ok(vf != NULL, "a VM folder");
	win = vessel_vm_window_new(NULL, vf->path);
	app_test_show(GTK_WINDOW(win), 800, 600);
	ok(vessel_vm_window_start(win, extra), "the window starts the VM's helper");
	ok(app_test_wait_for(state_is, "running", 30000), "the title follows it to running");
	ok(app_test_wait_for(shows_pattern, &s, 60000),
	   "the GL display shows the guest's 640x480 pattern, scaled into the window "
	   "(%dx%d device pixels read back)", s.w, s.h);
	app_test_screenshot(GTK_WIDGET(win), "vm-window-running");
	/* A snapshot through VM1, then a restore the way the snapshots pane asks for one. */
	g_autofree char *id = NULL;
	ok(vessel_vm1_call_save_snapshot_sync(vessel_session_vm(vessel_vm_window_get_session(win)),
					      "drawn", "", &id, NULL, &error) && id,
	   "a snapshot of the running VM (%s)", error ? error->message : id);
	g_clear_error(&error);
	g_autofree char *vmdir = g_path_get_dirname(vf->path);
	g_autofree char *dir = g_build_filename(vmdir, "snapshots", id ? id : "1", NULL);
	VesselSnapshotsPane *pane = vessel_vm_window_get_snapshots_pane(win);
	ok(pane != NULL, "the window has its snapshots pane");
	app_test_screenshot(GTK_WIDGET(win), "vm-window-panes");
	g_signal_emit_by_name(pane, "restore-requested", id ? id : "1", dir);
	ok(app_test_wait_for(exited, NULL, 20000), "a restore powers the running helper off");
	ok(app_test_wait_for(state_is, "running", 30000) &&
	   vessel_vm_window_get_session(win) != NULL,
	   "and a new helper runs from the snapshot");
	ok(app_test_wait_for(shows_pattern, &s, 60000), "showing the snapshot's screen");
	gtk_widget_activate_action(GTK_WIDGET(win), "vm.pause", NULL);
	ok(app_test_wait_for(state_is, "paused", 10000), "the pause action pauses the VM");
	gtk_widget_activate_action(GTK_WIDGET(win), "vm.pause", NULL);
	ok(app_test_wait_for(state_is, "running", 10000), "and again resumes it");
	vessel_vm1_call_power_off(vessel_session_vm(vessel_vm_window_get_session(win)), NULL,
				  NULL, NULL);
	ok(app_test_wait_for(exited, NULL, 20000) && vessel_vm_window_get_exit_status(win) == 0,
	   "power off: the helper exits 0");
	ok(!vessel_vm_window_get_banner(win), "a normal power-off shows no error banner");
	ok(state_is("stopped"), "the window says stopped");

	/* A helper that finds no KVM: the banner says so and offers the host check. */
	g_autofree char *fake = g_build_filename(tmp, "fake-helper", NULL);
	g_file_set_contents(fake, "#!/bin/sh\necho 'vessel-helper: /dev/kvm: no such device' >&2\n"
			    "exit 65\n", -1, NULL);
	chmod(fake, 0755);
	g_setenv("VESSEL_HELPER", fake, TRUE);
	app_test_wait(200);
	ok(vessel_vm_window_start(win, NULL), "start again (with a helper that finds no KVM)");
	ok(app_test_wait_for(exited, NULL, 10000) && vessel_vm_window_get_exit_status(win) == 65,
	   "it exits 65");
	ok(vessel_vm_window_get_banner(win) &&
	   strstr(vessel_vm_window_get_banner(win), "KVM is unavailable"),
	   "the banner names the cause and the next step, never a silent empty window");
	app_test_screenshot(GTK_WIDGET(win), "vm-window-no-kvm");
	gtk_window_destroy(GTK_WINDOW(win));
	g_free(s.px);
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
