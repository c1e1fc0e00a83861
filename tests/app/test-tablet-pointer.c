// SPDX-License-Identifier: GPL-2.0-or-later
// The VM window with a tablet: XTest pointer input reaches the guest at the pixel under it.
#include "../unit/tap.h"
#include "app-test.h"
#include "session.h"
#include "vessel-file.h"
#include "vessel-vm-window.h"

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <gdk/x11/gdkx.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/*
 * The window starts the real helper for a .vessel file with [input] tablet=true, running
 * tests/guests/test-tablet.c in a 640x480 VBE mode; its driver prints each virtio-input
 * event on the serial port ("vin ev TYPE CODE VALUE"). The pointer is moved with XTest over
 * the window's VesselDisplay, so events take the user's path: X server, GTK, VesselDisplay's
 * mapping, the window, Display1.PointerPosition, the device. The expected framebuffer pixel
 * is computed here from the widget's size (fit: scale min(w/640, h/480), centred, bars
 * floored), then scaled as virtio-input.h documents.
 */
#define FB_W		640
#define FB_H		480
#define ABS_MAX		32767
#define EV_SYN		0
#define EV_KEY		1
#define EV_REL		2
#define EV_ABS		3
#define BTN_LEFT	272
#define BTN_RIGHT	273
#define REL_WHEEL	8

static VesselVmWindow *win;
static VesselDisplay *disp;
static char *serial_path;

struct guest {
	int x, y;		/* ABS_X, ABS_Y of the last complete report (-1: none) */
	int keys[16][2];	/* EV_KEY code, value, in order */
	int nkeys;
	int wheel;		/* sum of REL_WHEEL */
	int reports;
};

/* The guest's events after byte offset mark of its serial log. */
static void guest_read(gsize mark, struct guest *g)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	int x = -1, y = -1;

	*g = (struct guest){ .x = -1, .y = -1 };
	if (!g_file_get_contents(serial_path, &text, &len, NULL) || len < mark)
		return;
	for (char *p = text + mark; (p = strstr(p, "vin ev ")); p++) {
		int type, code, value;

		if (sscanf(p, "vin ev %d %d %d", &type, &code, &value) != 3)
			continue;
		if (type == EV_ABS)
			*(code ? &y : &x) = value;
		if (type == EV_KEY && g->nkeys < 16) {
			g->keys[g->nkeys][0] = code;
			g->keys[g->nkeys++][1] = value;
		}
		if (type == EV_REL && code == REL_WHEEL)
			g->wheel += value;
		if (type == EV_SYN) {
			g->x = x;
			g->y = y;
			g->reports++;
		}
	}
}

/* On a failure: the guest's serial output and the helper's log (beside it), for the log. */
static void diag_file(const char *path, const char *what)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		diag("no %s at %s", what, path);
		return;
	}
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++)
		if (!g_str_has_prefix(lines[i], "vin ev "))
			diag("%s: %s", what, lines[i]);
}

static void diag_serial(void)
{
	g_autofree char *log = g_strndup(serial_path, strlen(serial_path) -
					 strlen(".serial.log"));
	g_autofree char *helper_log = g_strconcat(log, ".log", NULL);

	diag_file(serial_path, "serial");
	diag_file(helper_log, "helper");
}

static gsize serial_mark(void)
{
	g_autofree char *text = NULL;
	gsize len = 0;

	return g_file_get_contents(serial_path, &text, &len, NULL) ? len : 0;
}

struct want_pos {
	gsize mark;
	int x, y;
	struct guest g;
};

static gboolean guest_at(gpointer data)
{
	struct want_pos *w = data;

	guest_read(w->mark, &w->g);
	return w->g.x == w->x && w->g.y == w->y;
}

static gboolean serial_says(gpointer text)
{
	g_autofree char *s = NULL;

	return g_file_get_contents(serial_path, &s, NULL, NULL) && strstr(s, text);
}

static int scaled(int v, int extent)
{
	return (int)((long long)v * ABS_MAX / (extent - 1));
}

/* Where the frame lands in the display, device pixels: as documented for the fit mode. */
struct fit {
	double s, x, y;
};

static struct fit expected_fit(gboolean one_to_one)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(disp));
	double w = gtk_widget_get_width(GTK_WIDGET(disp)) * scale;
	double h = gtk_widget_get_height(GTK_WIDGET(disp)) * scale;
	double s = one_to_one ? 1.0 : MIN(w / FB_W, h / FB_H);
	struct fit f = { s, floor((w - FB_W * s) / 2), floor((h - FB_H * s) / 2) };

	if (one_to_one) {		/* a frame larger than the widget starts at its corner */
		f.x = MAX(f.x, 0);
		f.y = MAX(f.y, 0);
	}
	return f;
}

static int fb_of(double dev, double origin, double s, int extent)
{
	double v = floor((dev - origin) / s);

	return v < 0 ? 0 : v >= extent ? extent - 1 : (int)v;
}

static Display *xdpy(void)
{
	return gdk_x11_display_get_xdisplay(GDK_X11_DISPLAY(gtk_widget_get_display(
		GTK_WIDGET(disp))));
}

/* XTest: move the X pointer to device pixel (dx, dy) of the display widget. */
static void x_move_dev(int dx, int dy)
{
	Display *dpy = xdpy();
	GtkNative *native = gtk_widget_get_native(GTK_WIDGET(disp));
	Window xid = gdk_x11_surface_get_xid(gtk_native_get_surface(native));
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(disp)), rx, ry;
	double wx, wy, sx, sy;
	Window child;

	gtk_widget_translate_coordinates(GTK_WIDGET(disp), GTK_WIDGET(win), 0, 0, &wx, &wy);
	gtk_native_get_surface_transform(native, &sx, &sy);
	XTranslateCoordinates(dpy, xid, DefaultRootWindow(dpy), (int)((wx + sx) * scale) + dx,
			      (int)((wy + sy) * scale) + dy, &rx, &ry, &child);
	XTestFakeMotionEvent(dpy, DefaultScreen(dpy), rx, ry, CurrentTime);
	XFlush(dpy);
	app_test_wait(150);
}

static void x_button(unsigned button, gboolean press)
{
	XTestFakeButtonEvent(xdpy(), button, press, CurrentTime);
	XFlush(xdpy());
	app_test_wait(150);
}

/* Move to device pixel (dx, dy); the guest must report framebuffer pixel (fx, fy). */
static void check_point(int dx, int dy, int fx, int fy, const char *what)
{
	struct want_pos w = { serial_mark(), scaled(fx, FB_W), scaled(fy, FB_H) };

	x_move_dev(dx, dy);
	ok(app_test_wait_for(guest_at, &w, 10000), "%s: device (%d,%d) -> framebuffer (%d,%d) "
	   "-> guest (%d,%d) (got %d,%d)", what, dx, dy, fx, fy, w.x, w.y, w.g.x, w.g.y);
}

static void check_fit_points(void)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(disp));
	int dw = gtk_widget_get_width(GTK_WIDGET(disp)) * scale;
	int dh = gtk_widget_get_height(GTK_WIDGET(disp)) * scale;
	struct fit f = expected_fit(FALSE);
	int px[] = { 100, 321, 639 }, py[] = { 50, 240, 479 };

	diag("display %dx%d device pixels, frame at (%.0f,%.0f) scale %.4f", dw, dh, f.x, f.y,
	     f.s);
	for (unsigned i = 0; i < G_N_ELEMENTS(px); i++) {
		int dx = (int)(f.x + (px[i] + 0.5) * f.s), dy = (int)(f.y + (py[i] + 0.5) * f.s);
		int gx = -1, gy = -1;

		check_point(dx, dy, fb_of(dx, f.x, f.s, FB_W), fb_of(dy, f.y, f.s, FB_H),
			    "inside the frame");
		/* the X pointer sits exactly on device pixel (dx, dy): GTK reports dx / scale */
		ok(vessel_display_widget_to_guest(disp, (double)dx / scale, (double)dy / scale,
						  &gx, &gy) &&
		   gx == fb_of(dx, f.x, f.s, FB_W) && gy == fb_of(dy, f.y, f.s, FB_H),
		   "the same pixel the widget draws there (%d,%d)", gx, gy);
	}
	/* The bars: a point beside or above the frame clamps to its nearest edge pixel. */
	if (f.x >= 2)
		check_point(1, dh / 2, 0, fb_of(dh / 2, f.y, f.s, FB_H), "left bar, clamped");
	if (f.x >= 2)
		check_point(dw - 1, 7, FB_W - 1, fb_of(7, f.y, f.s, FB_H), "right bar, clamped");
	if (f.y >= 2)
		check_point(dw / 2, 1, fb_of(dw / 2, f.x, f.s, FB_W), 0, "top bar, clamped");
	if (f.y >= 2)
		check_point(5, dh - 1, fb_of(5, f.x, f.s, FB_W), FB_H - 1, "bottom bar, clamped");
	ok(f.x >= 2 || f.y >= 2, "the window is letterboxed or pillarboxed (bars tested)");
}

static gboolean hint_shown(void)
{
	GObject *hint = gtk_widget_get_template_child(GTK_WIDGET(disp), VESSEL_TYPE_DISPLAY,
						      "hint");

	return gtk_revealer_get_reveal_child(GTK_REVEALER(hint));
}

struct want_keys {
	gsize mark;
	int n;
	struct guest g;
};

static gboolean guest_keys(gpointer data)
{
	struct want_keys *w = data;

	guest_read(w->mark, &w->g);
	return w->g.nkeys >= w->n;
}

static void check_clicks(void)
{
	struct fit f = expected_fit(FALSE);
	int dx = (int)(f.x + 200.5 * f.s), dy = (int)(f.y + 100.5 * f.s);
	struct want_keys k = { 0 };
	struct want_pos p;

	x_move_dev(dx, dy);
	k.mark = serial_mark();
	k.n = 4;
	x_button(1, TRUE);
	x_button(1, FALSE);
	x_button(3, TRUE);
	x_button(3, FALSE);
	app_test_wait_for(guest_keys, &k, 10000);
	ok(k.g.nkeys == 4 && k.g.keys[0][0] == BTN_LEFT && k.g.keys[0][1] == 1 &&
	   k.g.keys[1][0] == BTN_LEFT && k.g.keys[1][1] == 0 && k.g.keys[2][0] == BTN_RIGHT &&
	   k.g.keys[2][1] == 1 && k.g.keys[3][0] == BTN_RIGHT && k.g.keys[3][1] == 0,
	   "left and right clicks reach the guest as BTN_LEFT, BTN_RIGHT down and up (%d keys)",
	   k.g.nkeys);
	ok(k.g.x == scaled(fb_of(dx, f.x, f.s, FB_W), FB_W) &&
	   k.g.y == scaled(fb_of(dy, f.y, f.s, FB_H), FB_H),
	   "at the pointer's position (%d,%d)", k.g.x, k.g.y);
	ok(!vessel_display_get_captured(disp) && !hint_shown(),
	   "with a tablet a click does not capture the pointer and shows no capture hint");

	/* A drag out of the window keeps coming (implicit grab) and clamps to the edge. */
	k = (struct want_keys){ .mark = serial_mark(), .n = 2 };
	x_button(1, TRUE);
	p = (struct want_pos){ serial_mark(), ABS_MAX, scaled(fb_of(dy, f.y, f.s, FB_H), FB_H) };
	x_move_dev(gtk_widget_get_width(GTK_WIDGET(disp)) *
		   gtk_widget_get_scale_factor(GTK_WIDGET(disp)) + 40, dy);
	ok(app_test_wait_for(guest_at, &p, 10000), "dragged past the window's right edge: x "
	   "clamped to %d (got %d,%d)", ABS_MAX, p.g.x, p.g.y);
	x_button(1, FALSE);
	app_test_wait_for(guest_keys, &k, 10000);
	ok(k.g.nkeys == 2 && k.g.keys[1][0] == BTN_LEFT && k.g.keys[1][1] == 0 &&
	   k.g.x == ABS_MAX, "and the release arrives there (%d keys, x %d)", k.g.nkeys, k.g.x);
	x_move_dev(dx, dy);
}

struct want_wheel {
	gsize mark;
	int sum;
	struct guest g;
};

static gboolean guest_wheel(gpointer data)
{
	struct want_wheel *w = data;

	guest_read(w->mark, &w->g);
	return w->g.wheel == w->sum;
}

static void check_wheel(void)
{
	struct want_wheel w = { serial_mark(), -2 };

	/* X buttons 5 (down) twice, then 4 (up) once: REL_WHEEL counts up for "away". */
	x_button(5, TRUE);
	x_button(5, FALSE);
	x_button(5, TRUE);
	x_button(5, FALSE);
	ok(app_test_wait_for(guest_wheel, &w, 10000), "two wheel steps down: REL_WHEEL sums to "
	   "-2 (got %d)", w.g.wheel);
	w = (struct want_wheel){ serial_mark(), 1 };
	x_button(4, TRUE);
	x_button(4, FALSE);
	ok(app_test_wait_for(guest_wheel, &w, 10000), "one step up: REL_WHEEL +1 (got %d)",
	   w.g.wheel);
	ok(w.g.nkeys == 0, "wheel steps press no button in the guest");
}

static void check_one_to_one(void)
{
	struct fit f;
	int dx, dy;

	vessel_display_set_one_to_one(disp, TRUE);
	app_test_wait(300);
	f = expected_fit(TRUE);
	dx = (int)f.x + 37;
	dy = (int)f.y + 411;
	check_point(dx, dy, fb_of(dx, f.x, 1, FB_W), fb_of(dy, f.y, 1, FB_H),
		    "1:1 mode (frame at its own size)");
	vessel_display_set_one_to_one(disp, FALSE);
	app_test_wait(300);
}

static gboolean frame_is_640x480(gpointer unused)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(disp)), gx, gy, hx, hy;
	struct fit f = expected_fit(FALSE);

	return vessel_display_widget_to_guest(disp, (f.x + 0.5) / scale, (f.y + 0.5) / scale,
					      &gx, &gy) &&
	       vessel_display_widget_to_guest(disp, (f.x + FB_W * f.s - 0.5) / scale,
					      (f.y + FB_H * f.s - 0.5) / scale, &hx, &hy) &&
	       gx == 0 && gy == 0 && hx == FB_W - 1 && hy == FB_H - 1;
}

static gboolean exited(gpointer unused)
{
	return vessel_vm_window_get_exit_status(win) >= 0;
}

static void power_off(void)
{
	struct vessel_session *session = vessel_vm_window_get_session(win);

	if (session && vessel_session_vm(session))
		vessel_vm1_call_power_off(vessel_session_vm(session), NULL, NULL, NULL);
	ok(app_test_wait_for(exited, NULL, 20000) && vessel_vm_window_get_exit_status(win) == 0,
	   "power off: the helper exits 0 (status %d)", vessel_vm_window_get_exit_status(win));
}

/* The VM's hardware, as a person would set it: [input] tablet in its .vessel file. */
static void set_tablet(struct vessel_file *vf, gboolean on)
{
	g_autoptr(GError) error = NULL;

	g_key_file_set_boolean(vf->kf, "input", "tablet", on);
	ok(vessel_file_save(vf, &error) == 0, "[input] tablet=%s saved%s%s", on ? "true" : "false",
	   error ? ": " : "", error ? error->message : "");
}

/* Without a tablet nothing changes: a click captures, Ctrl+Alt releases. */
static void check_no_tablet(struct vessel_file *vf, const char *guest)
{
	const char *extra[] = { "--multiboot", guest, "--append", "seconds=170 absent=1",
				"--timeout", "180", NULL };
	Display *dpy = xdpy();
	gboolean found;
	struct fit f;

	set_tablet(vf, FALSE);
	ok(vessel_vm_window_start(win, extra), "the window starts the VM without a tablet");
	found = app_test_wait_for(serial_says, "vin: no tablet", 90000);
	ok(found, "the guest finds no tablet");
	if (!found)
		diag_serial();
	ok(vessel_vm_window_get_session(win) &&
	   !vessel_session_has_tablet(vessel_vm_window_get_session(win)),
	   "Display1.HasTablet is false");
	app_test_wait(500);
	f = expected_fit(FALSE);
	x_move_dev((int)f.x + 40, (int)f.y + 40);
	x_button(1, TRUE);
	x_button(1, FALSE);
	ok(vessel_display_get_captured(disp) && hint_shown(),
	   "a click captures the pointer and shows the hint (relative mouse)");
	XTestFakeKeyEvent(dpy, 37, True, CurrentTime);	/* Control_L, Alt_L */
	XTestFakeKeyEvent(dpy, 64, True, CurrentTime);
	XTestFakeKeyEvent(dpy, 64, False, CurrentTime);
	XTestFakeKeyEvent(dpy, 37, False, CurrentTime);
	XFlush(dpy);
	app_test_wait(300);
	ok(!vessel_display_get_captured(disp), "Ctrl+Alt releases it");
	power_off();
}

static gboolean state_is(gpointer want)
{
	return !g_strcmp0(vessel_vm_window_get_state(win), want);
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
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "test-tablet.elf",
				"--append", "seconds=170 width=640 height=480", "--timeout", "180",
				NULL };
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
	vf = vessel_file_create(tmp, "Tablet VM", 32ull << 20, 1, &error);
	ok(vf != NULL, "a VM folder");
	/* app/session.c's serial log: $XDG_RUNTIME_DIR/vessel/<uuid>.serial.log */
	serial_path = g_strdup_printf("%s/vessel/%s.serial.log", tmp,
				      vf->uuid[0] ? vf->uuid : vf->name);
	win = vessel_vm_window_new(NULL, vf->path);
	disp = vessel_vm_window_get_display(win);
	app_test_show(GTK_WINDOW(win), 900, 600);
	set_tablet(vf, TRUE);
	ok(vessel_vm_window_start(win, extra), "the window starts the VM with its tablet");
	ok(app_test_wait_for(state_is, "running", 30000), "the VM runs");
	ok(app_test_wait_for(serial_says, "vin: ready", 90000),
	   "the guest's virtio-input driver is ready");
	ok(app_test_wait_for(frame_is_640x480, NULL, 30000), "the display shows the 640x480 mode");
	ok(vessel_session_has_tablet(vessel_vm_window_get_session(win)),
	   "the session read Display1.HasTablet = true");
	app_test_wait(500);
	check_fit_points();
	check_clicks();
	check_wheel();
	check_one_to_one();
	app_test_screenshot(GTK_WIDGET(win), "vm-window-tablet");
	ok(!vessel_display_get_captured(disp), "never captured");
	power_off();
	app_test_wait(500);		/* the window drops the old session in an idle */
	check_no_tablet(vf, extra[1]);
	gtk_window_destroy(GTK_WINDOW(win));
	vessel_file_free(vf);
	g_free(serial_path);
	app_test_rmtree(tmp);
	return tap_done();
}
