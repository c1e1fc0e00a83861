// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay under Xvfb + Mesa: scaled pixels, damage-only uploads, 1:1, keys and capture.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-display.h"

#include <epoxy/gl.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>
#include <gdk/x11/gdkx.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FB_W	320
#define FB_H	200
#define FB_STRIDE (FB_W * 4 + 64)	/* padded rows: GL_UNPACK_ROW_LENGTH must be right */
#define BLOCK_W	40
#define BLOCK_H	25

struct fb {
	int fd;
	uint8_t *p;
};

struct events {
	guint keys[16];
	gboolean pressed[16];
	guint nkeys;
	int motion_x, motion_y, nmotion;
	double rel_x, rel_y;
	int nrel;
	guint buttons;
	int pref_w, pref_h, npref;
};

/* block (bx, by) colour: every block differs from its neighbours in R, G and B */
static void block_rgb(int bx, int by, uint8_t rgb[3])
{
	rgb[0] = (uint8_t)(bx * 32 + 16);
	rgb[1] = (uint8_t)(by * 32 + 16);
	rgb[2] = (uint8_t)(((bx ^ by) & 7) * 30 + 10);
}

static void fill_block(struct fb *fb, int bx, int by, const uint8_t rgb[3])
{
	for (int y = by * BLOCK_H; y < (by + 1) * BLOCK_H; y++) {
		for (int x = bx * BLOCK_W; x < (bx + 1) * BLOCK_W; x++) {
			uint8_t *px = fb->p + (size_t)y * FB_STRIDE + (size_t)x * 4;

			px[0] = rgb[2];		/* XRGB8888 little-endian: B G R X */
			px[1] = rgb[1];
			px[2] = rgb[0];
			px[3] = 0xaa;		/* X: must be ignored */
		}
	}
}

static void make_fb(struct fb *fb)
{
	uint8_t rgb[3];

	fb->fd = memfd_create("test-fb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ok(fb->fd >= 0 && ftruncate(fb->fd, FB_STRIDE * FB_H) == 0, "memfd for the framebuffer");
	fb->p = mmap(NULL, FB_STRIDE * FB_H, PROT_READ | PROT_WRITE, MAP_SHARED, fb->fd, 0);
	for (int by = 0; by < FB_H / BLOCK_H; by++) {
		for (int bx = 0; bx < FB_W / BLOCK_W; bx++) {
			block_rgb(bx, by, rgb);
			fill_block(fb, bx, by, rgb);
		}
	}
}

struct shot {
	guint8 *px;
	int w, h;
	gsize stride;
};

static void shot_take(struct shot *s, GtkWidget *w)
{
	g_free(s->px);
	s->px = app_test_read_pixels(w, &s->w, &s->h, &s->stride);
}

static gboolean shot_near(const struct shot *s, int x, int y, const uint8_t rgb[3], int tol)
{
	const guint8 *p;

	if (!s->px || x < 0 || y < 0 || x >= s->w || y >= s->h)
		return FALSE;
	p = s->px + (size_t)y * s->stride + (size_t)x * 4;
	if (abs(p[2] - rgb[0]) > tol || abs(p[1] - rgb[1]) > tol || abs(p[0] - rgb[2]) > tol) {
		printf("#   pixel (%d,%d) is %d,%d,%d; want %d,%d,%d\n", x, y, p[2], p[1], p[0],
		       rgb[0], rgb[1], rgb[2]);
		return FALSE;
	}
	return TRUE;
}

/* Where the test expects the frame: fitted, centred (computed here, not by the widget). */
struct fit {
	double x, y, s;
};

static struct fit expected_fit(const struct shot *s)
{
	struct fit f;

	f.s = MIN((double)s->w / FB_W, (double)s->h / FB_H);
	f.x = floor((s->w - FB_W * f.s) / 2);
	f.y = floor((s->h - FB_H * f.s) / 2);
	return f;
}

static void check_blocks(const struct shot *s, const struct fit *f, const char *what)
{
	uint8_t rgb[3];
	int bad = 0;

	for (int by = 0; by < FB_H / BLOCK_H; by++) {
		for (int bx = 0; bx < FB_W / BLOCK_W; bx++) {
			int x = (int)(f->x + (bx * BLOCK_W + BLOCK_W / 2) * f->s);
			int y = (int)(f->y + (by * BLOCK_H + BLOCK_H / 2) * f->s);

			block_rgb(bx, by, rgb);
			bad += !shot_near(s, x, y, rgb, 3);
		}
	}
	ok(bad == 0, "%s: all 64 blocks at their scaled places (%d wrong)", what, bad);
}

static void test_bad_args(VesselDisplay *d, struct fb *fb)
{
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	int small = memfd_create("small", MFD_CLOEXEC);
	int unsealable = memfd_create("unsealable", MFD_CLOEXEC);	/* no MFD_ALLOW_SEALING */

	ok(ftruncate(unsealable, FB_STRIDE * FB_H) == 0, "unsealable memfd");
	ok(!vessel_display_set_framebuffer(d, unsealable, FB_W, FB_H, FB_STRIDE,
					   VESSEL_FOURCC_XRGB8888, &e4) && e4,
	   "a memfd that could shrink under the mapping is refused: %s", e4 ? e4->message : "");
	close(unsealable);

	ok(ftruncate(small, 4096) == 0, "small memfd");
	ok(!vessel_display_set_framebuffer(d, fb->fd, FB_W, FB_H, FB_W * 4 - 4,
					   VESSEL_FOURCC_XRGB8888, &e1) && e1,
	   "stride below width * 4 refused: %s", e1 ? e1->message : "");
	ok(!vessel_display_set_framebuffer(d, fb->fd, FB_W, FB_H, FB_STRIDE, 0x36314752,
					   &e2) && e2, "other pixel formats refused");
	ok(!vessel_display_set_framebuffer(d, small, FB_W, FB_H, FB_STRIDE,
					   VESSEL_FOURCC_XRGB8888, &e3) && e3,
	   "a file smaller than the frame refused: %s", e3 ? e3->message : "");
	close(small);
}

static gboolean drawn_since(gpointer data)
{
	gpointer *a = data;

	return vessel_display_get_draw_count(a[0]) > GPOINTER_TO_UINT(a[1]);
}

static void wait_draw(VesselDisplay *d)
{
	gpointer a[2] = { d, GUINT_TO_POINTER(vessel_display_get_draw_count(d)) };

	app_test_wait_for(drawn_since, a, 3000);
}

static void test_damage(VesselDisplay *d, struct fb *fb, struct shot *s)
{
	static const uint8_t white[3] = { 255, 255, 255 };
	uint8_t old77[3];
	guint64 before;
	guint nodes;
	struct fit f;

	block_rgb(7, 7, old77);
	fill_block(fb, 0, 0, white);
	fill_block(fb, 7, 7, white);	/* changed but never reported: must not appear */
	before = vessel_display_get_uploaded_pixels(d);
	nodes = vessel_display_get_nodes_built(d);
	vessel_display_invalidate(d, 0, 0, BLOCK_W, BLOCK_H);
	wait_draw(d);
	nodes = vessel_display_get_nodes_built(d) - nodes;
	shot_take(s, GTK_WIDGET(d));
	f = expected_fit(s);
	is_int(vessel_display_get_uploaded_pixels(d) - before, BLOCK_W * BLOCK_H,
	       "only the damaged rectangle was uploaded");
	/* the paint itself, before the read-back below (which is another snapshot) */
	/* the 40x25 block at (0, 0) lies in two of the texture path's 256x16 tiles */
	if (vessel_display_uses_texture(d))
		is_int(nodes, 2, "texture path: the two tiles under the damage got new nodes");
	ok(shot_near(s, (int)(f.x + 20 * f.s), (int)(f.y + 12 * f.s), white, 3),
	   "the damaged block shows its new pixels");
	ok(shot_near(s, (int)(f.x + 300 * f.s), (int)(f.y + 187 * f.s), old77, 3),
	   "an undamaged block keeps the old texture although memory changed");

	before = vessel_display_get_uploaded_pixels(d);
	vessel_display_invalidate(d, -50, -50, 1 << 30, 1 << 30);
	vessel_display_invalidate(d, 5000, 5000, 10, 10);
	vessel_display_invalidate(d, G_MAXINT - 5, 3, G_MAXINT, 4);	/* x + w overflows int */
	vessel_display_invalidate(d, G_MININT, G_MININT, 10, 10);
	wait_draw(d);
	shot_take(s, GTK_WIDGET(d));
	is_int(vessel_display_get_uploaded_pixels(d) - before, FB_W * FB_H,
	       "a huge damage rectangle is clipped to the frame; one outside adds nothing");
	ok(shot_near(s, (int)(f.x + 300 * f.s), (int)(f.y + 187 * f.s), white, 3),
	   "after the full damage the other block shows too");
}

static void test_one_to_one(VesselDisplay *d, struct shot *s)
{
	uint8_t rgb[3];
	int x0, y0;

	gtk_widget_activate_action(GTK_WIDGET(d), "display.one-to-one", NULL);
	ok(vessel_display_get_one_to_one(d), "display.one-to-one action toggles 1:1");
	wait_draw(d);
	shot_take(s, GTK_WIDGET(d));
	x0 = MAX(0, (s->w - FB_W) / 2);
	y0 = MAX(0, (s->h - FB_H) / 2);
	block_rgb(3, 2, rgb);
	ok(shot_near(s, x0 + 3 * BLOCK_W, y0 + 2 * BLOCK_H, rgb, 0) &&
	   shot_near(s, x0 + 4 * BLOCK_W - 1, y0 + 3 * BLOCK_H - 1, rgb, 0),
	   "1:1: a block's corner pixels are exact (one guest pixel per device pixel)");
	block_rgb(4, 2, rgb);
	ok(shot_near(s, x0 + 4 * BLOCK_W, y0 + 2 * BLOCK_H, rgb, 0),
	   "1:1: the next pixel is the next block, no filtering");
	vessel_display_set_one_to_one(d, FALSE);
	wait_draw(d);
}

static void on_key(VesselDisplay *d, guint code, gboolean pressed, struct events *ev)
{
	if (ev->nkeys < G_N_ELEMENTS(ev->keys)) {
		ev->keys[ev->nkeys] = code;
		ev->pressed[ev->nkeys++] = pressed;
	}
}

static void on_motion(VesselDisplay *d, int x, int y, struct events *ev)
{
	ev->motion_x = x;
	ev->motion_y = y;
	ev->nmotion++;
}

static void on_relative(VesselDisplay *d, double dx, double dy, struct events *ev)
{
	ev->rel_x += dx;
	ev->rel_y += dy;
	ev->nrel++;
}

static void on_button(VesselDisplay *d, guint b, gboolean pressed, struct events *ev)
{
	ev->buttons++;
}

static void on_preferred(VesselDisplay *d, int w, int h, struct events *ev)
{
	ev->pref_w = w;
	ev->pref_h = h;
	ev->npref++;
}

static gboolean got_preferred(gpointer data)
{
	return ((struct events *)data)->npref > 0;
}


/* XTest: real X input events through the X server into GTK, as a user's would arrive. */
static Display *xdpy_of(GtkWidget *w)
{
	return gdk_x11_display_get_xdisplay(GDK_X11_DISPLAY(gtk_widget_get_display(w)));
}

static void x_move_to(GtkWindow *win, VesselDisplay *d, double lx, double ly)
{
	Display *dpy = xdpy_of(GTK_WIDGET(d));
	GtkNative *native = gtk_widget_get_native(GTK_WIDGET(d));
	Window xid = gdk_x11_surface_get_xid(gtk_native_get_surface(native));
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(d)), rx, ry;
	double wx, wy, sx, sy;
	Window child;

	gtk_widget_translate_coordinates(GTK_WIDGET(d), GTK_WIDGET(win), lx, ly, &wx, &wy);
	gtk_native_get_surface_transform(native, &sx, &sy);
	XTranslateCoordinates(dpy, xid, DefaultRootWindow(dpy), (int)((wx + sx) * scale),
			      (int)((wy + sy) * scale), &rx, &ry, &child);
	XTestFakeMotionEvent(dpy, DefaultScreen(dpy), rx, ry, CurrentTime);
	XFlush(dpy);
	app_test_wait(150);
}

static void x_key(VesselDisplay *d, unsigned keycode, gboolean press)
{
	Display *dpy = xdpy_of(GTK_WIDGET(d));

	XTestFakeKeyEvent(dpy, keycode, press, CurrentTime);
	XFlush(dpy);
	app_test_wait(100);
}

static void x_click(VesselDisplay *d)
{
	Display *dpy = xdpy_of(GTK_WIDGET(d));

	XTestFakeButtonEvent(dpy, 1, True, CurrentTime);
	XTestFakeButtonEvent(dpy, 1, False, CurrentTime);
	XFlush(dpy);
	app_test_wait(200);
}

/* Can another X client grab the keyboard? Not while we inhibit the host's shortcuts. */
static gboolean keyboard_grabbable(void)
{
	Display *other = XOpenDisplay(NULL);
	int r;

	if (!other)
		return FALSE;
	r = XGrabKeyboard(other, DefaultRootWindow(other), False, GrabModeAsync, GrabModeAsync,
			  CurrentTime);
	if (r == GrabSuccess)
		XUngrabKeyboard(other, CurrentTime);
	XCloseDisplay(other);
	return r == GrabSuccess;
}

static gboolean has_key(const struct events *ev, guint code, gboolean pressed)
{
	for (guint i = 0; i < ev->nkeys; i++)
		if (ev->keys[i] == code && ev->pressed[i] == pressed)
			return TRUE;
	return FALSE;
}

static gboolean hint_shown(VesselDisplay *d)
{
	GObject *hint = gtk_widget_get_template_child(GTK_WIDGET(d), VESSEL_TYPE_DISPLAY, "hint");

	return gtk_revealer_get_reveal_child(GTK_REVEALER(hint));
}

/* Root coordinates of the X pointer. */
static void x_pointer(Display *dpy, int *x, int *y)
{
	Window root, child;
	int wx, wy;
	unsigned mask;

	XQueryPointer(dpy, DefaultRootWindow(dpy), &root, &child, x, y, &wx, &wy, &mask);
}

/* Captured: a pointer near the edge is put back in the middle, and motion goes on. */
static void test_recentre(GtkWindow *win, VesselDisplay *d, struct events *ev, double s)
{
	int w = gtk_widget_get_width(GTK_WIDGET(d)), h = gtk_widget_get_height(GTK_WIDGET(d));
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(d)), cx, cy, px, py;
	Display *dpy = xdpy_of(GTK_WIDGET(d));

	x_move_to(win, d, w / 2.0, h / 2.0);
	x_pointer(dpy, &cx, &cy);
	ev->rel_x = ev->rel_y = 0;
	x_move_to(win, d, w * 0.9, h / 2.0);
	x_pointer(dpy, &px, &py);
	ok(abs(px - cx) <= scale && abs(py - cy) <= scale,
	   "captured: the pointer near the edge is warped back to the middle (%d,%d vs %d,%d)",
	   px, py, cx, cy);
	ok(fabs(ev->rel_x - 0.4 * w * scale / s) < 1.5 && fabs(ev->rel_y) < 1.0,
	   "and the guest saw the whole move once (%.2f, %.2f), nothing for the warp", ev->rel_x,
	   ev->rel_y);
}

static void test_input(GtkWindow *win, VesselDisplay *d, struct events *ev)
{
	int w = gtk_widget_get_width(GTK_WIDGET(d)), h = gtk_widget_get_height(GTK_WIDGET(d));
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(d));
	double s = MIN((double)w * scale / FB_W, (double)h * scale / FB_H);
	Display *dpy = xdpy_of(GTK_WIDGET(d));

	x_move_to(win, d, w / 4.0, h / 2.0);
	x_move_to(win, d, w / 2.0, h / 2.0);
	ok(ev->nmotion > 0 && abs(ev->motion_x - FB_W / 2) <= 1 &&
	   abs(ev->motion_y - FB_H / 2) <= 1,
	   "pointer-motion in guest pixels: the centre is (%d,%d)", ev->motion_x, ev->motion_y);

	gtk_widget_grab_focus(GTK_WIDGET(d));
	XSetInputFocus(dpy, gdk_x11_surface_get_xid(gtk_native_get_surface(
		       gtk_widget_get_native(GTK_WIDGET(d)))), RevertToParent, CurrentTime);
	x_key(d, 38, TRUE);	/* X keycode 38: 'a', evdev KEY_A = 30 */
	x_key(d, 38, FALSE);
	ok(ev->nkeys >= 2 && ev->keys[0] == 30 && ev->pressed[0] && ev->keys[1] == 30 &&
	   !ev->pressed[1], "key-event: 'a' arrives as evdev 30, pressed then released");

	ok(!vessel_display_get_captured(d) && !hint_shown(d), "not captured at first");
	ok(keyboard_grabbable(), "uncaptured: the keyboard is not grabbed");
	x_click(d);
	ok(vessel_display_get_captured(d), "a click captures the pointer");
	ok(hint_shown(d), "the release hint is shown while captured");
	is_int(ev->buttons, 0, "the capturing click is not sent to the guest");
	app_test_wait(200);
	ok(!keyboard_grabbable(),
	   "captured: the keyboard is grabbed (host shortcuts inhibited, X11 grab)");
	app_test_screenshot(GTK_WIDGET(win), "display-captured");

	ev->nrel = 0;
	ev->rel_x = ev->rel_y = 0;
	x_move_to(win, d, w / 2.0 + 40.0 / scale, h / 2.0 + 20.0 / scale);
	ok(ev->nrel > 0 && fabs(ev->rel_x - 40 / s) < 1.0 && fabs(ev->rel_y - 20 / s) < 1.0,
	   "captured: pointer-relative (%.2f, %.2f) guest pixels for (40, 20) device pixels",
	   ev->rel_x, ev->rel_y);
	test_recentre(win, d, ev, s);
	x_click(d);
	is_int(ev->buttons, 2, "captured: a click reaches the guest (press and release)");

	x_key(d, 37, TRUE);	/* Control_L, then Alt_L: evdev 29 and 56 */
	x_key(d, 64, TRUE);
	x_key(d, 64, FALSE);
	x_key(d, 37, FALSE);
	ok(!vessel_display_get_captured(d) && !hint_shown(d), "Ctrl+Alt releases the capture");
	app_test_wait(200);
	ok(keyboard_grabbable(), "released: the keyboard grab is gone");
	ok(has_key(ev, 29, TRUE) && has_key(ev, 56, TRUE) && has_key(ev, 56, FALSE) &&
	   has_key(ev, 29, FALSE), "the guest still sees Ctrl and Alt go down and up");

	vessel_display_set_absolute(d, TRUE);
	x_click(d);
	ok(!vessel_display_get_captured(d) && ev->buttons == 4,
	   "with an absolute device a click goes to the guest and does not capture");
}

/* GL_RENDERER of a fresh context, read here, not by the widget; "" without GL. */
static char *gl_renderer(GtkWidget *w)
{
	g_autoptr(GdkGLContext) ctx = gdk_display_create_gl_context(gtk_widget_get_display(w),
								    NULL);
	char *r;

	if (!ctx || !gdk_gl_context_realize(ctx, NULL))
		return g_strdup("");
	gdk_gl_context_make_current(ctx);
	r = g_strdup((const char *)glGetString(GL_RENDERER));
	gdk_gl_context_clear_current();
	return r;
}

/*
 * The path (issue 7): VESSEL_DISPLAY forces it; unset, the texture on a software GL or the
 * cairo renderer, the GLArea on a hardware one.
 */
static void test_path(GtkWindow *win, VesselDisplay *d)
{
	const char *env = g_getenv("VESSEL_DISPLAY");
	GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(win));
	g_autofree char *gl = gl_renderer(GTK_WIDGET(d));
	gboolean cairo = GSK_IS_CAIRO_RENDERER(r);
	gboolean soft = !*gl || strstr(gl, "llvmpipe") || strstr(gl, "softpipe") ||
			strstr(gl, "SWR") || strstr(gl, "Software Rasterizer");
	gboolean want = cairo || (env && *env ? !strcmp(env, "texture") : soft);

	ok(vessel_display_uses_texture(d) == want,
	   "path: %s (VESSEL_DISPLAY=%s, renderer %s, GL_RENDERER \"%s\")",
	   vessel_display_uses_texture(d) ? "texture" : "GtkGLArea", env ? env : "(unset)",
	   G_OBJECT_TYPE_NAME(r), gl);
	if (!(env && *env) && soft)
		ok(cairo, "software GL: vessel_ui_init chose GSK's cairo renderer for the app");
	ok(vessel_display_gl_renderer_is_software("llvmpipe (LLVM 15.0.6, 256 bits)") &&
	   vessel_display_gl_renderer_is_software("softpipe") &&
	   vessel_display_gl_renderer_is_software("SWR (LLVM 12.0.0, 256 bits)") &&
	   vessel_display_gl_renderer_is_software("zink (llvmpipe (LLVM 15.0.6, 256 bits))") &&
	   vessel_display_gl_renderer_is_software(NULL),
	   "software renderers are recognized by GL_RENDERER");
	ok(!vessel_display_gl_renderer_is_software("Mesa Intel(R) UHD Graphics 620 (KBL GT2)") &&
	   !vessel_display_gl_renderer_is_software("AMD Radeon RX 6600 (navi23, LLVM 15.0.6, "
						   "DRM 3.49, 6.1.0-13-amd64)") &&
	   !vessel_display_gl_renderer_is_software("NVIDIA GeForce GTX 1080/PCIe/SSE2") &&
	   !vessel_display_gl_renderer_is_software("virgl (Intel(R) UHD Graphics 630)"),
	   "hardware renderers (even one built with LLVM) are not: they keep the GLArea");
	ok(gtk_widget_get_visible(GTK_WIDGET(gtk_widget_get_template_child(GTK_WIDGET(d),
		VESSEL_TYPE_DISPLAY, "area"))) == !want,
	   "the GLArea is shown only on the GL path");
}

int main(void)
{
	struct events ev = { 0 };
	struct shot s = { 0 };
	struct fb fb;
	GtkWindow *win;
	VesselDisplay *d;
	g_autoptr(GError) error = NULL;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	make_fb(&fb);
	d = vessel_display_new();
	test_bad_args(d, &fb);
	ok(vessel_display_set_framebuffer(d, fb.fd, FB_W, FB_H, FB_STRIDE, VESSEL_FOURCC_XRGB8888,
					  &error), "framebuffer accepted");
	ok(ftruncate(fb.fd, 4096) < 0 && errno == EPERM,
	   "and sealed: the sender can no longer shrink it under our mapping");
	g_signal_connect(d, "key-event", G_CALLBACK(on_key), &ev);
	g_signal_connect(d, "pointer-motion", G_CALLBACK(on_motion), &ev);
	g_signal_connect(d, "pointer-relative", G_CALLBACK(on_relative), &ev);
	g_signal_connect(d, "button", G_CALLBACK(on_button), &ev);
	g_signal_connect(d, "preferred-size", G_CALLBACK(on_preferred), &ev);
	win = GTK_WINDOW(gtk_window_new());
	gtk_window_set_decorated(win, FALSE);
	gtk_window_set_child(win, GTK_WIDGET(d));
	app_test_show(win, 700, 560);	/* 2.1875x: not a whole factor, letterboxed */
	test_path(win, d);

	shot_take(&s, GTK_WIDGET(d));
	ok(s.px != NULL, "the widget's snapshot renders (%dx%d device pixels, scale %d)", s.w,
	   s.h, gtk_widget_get_scale_factor(GTK_WIDGET(d)));
	is_int(s.w, gtk_widget_get_width(GTK_WIDGET(d)) * gtk_widget_get_scale_factor(
	       GTK_WIDGET(d)), "read-back is at device resolution (HiDPI-correct)");
	struct fit f = expected_fit(&s);
	check_blocks(&s, &f, "fit");
	ok(f.y >= 4 && shot_near(&s, s.w / 2, (int)f.y / 2, (uint8_t[3]){ 0, 0, 0 }, 0) &&
	   shot_near(&s, s.w / 2, s.h - 1 - (int)f.y / 2, (uint8_t[3]){ 0, 0, 0 }, 0),
	   "letterbox bars above and below are black (aspect ratio kept)");
	is_int(vessel_display_get_uploaded_pixels(d), FB_W * FB_H, "first draw uploads the frame");
	app_test_screenshot(GTK_WIDGET(win), "display-fit");
	app_test_wait_for(got_preferred, &ev, 2000);
	ok(ev.npref == 1 && ev.pref_w == s.w && ev.pref_h == s.h,
	   "preferred-size once, the widget's size in device pixels (%dx%d)", ev.pref_w,
	   ev.pref_h);

	test_damage(d, &fb, &s);
	test_one_to_one(d, &s);
	test_input(win, d, &ev);

	gtk_window_destroy(win);
	g_free(s.px);
	munmap(fb.p, FB_STRIDE * FB_H);
	close(fb.fd);
	return tap_done();
}
