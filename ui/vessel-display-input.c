// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay input: keys as hardware keycodes, pointer (absolute or captured), buttons.
#include "vessel-display-private.h"

#include <math.h>

#ifdef VESSEL_HAVE_X11
#include <X11/Xlib.h>
#include <gdk/x11/gdkx.h>
#endif

/*
 * Keycodes: GDK hands us the hardware keycode, which on X11 and Wayland alike is the evdev
 * code plus 8 (the X protocol reserves 0-7). The guest side wants evdev codes.
 */
#define X_KEYCODE_OFFSET	8

static GdkToplevel *toplevel_of(VesselDisplay *self)
{
	GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
	GdkSurface *surface = native ? gtk_native_get_surface(native) : NULL;

	return surface && GDK_IS_TOPLEVEL(surface) ? GDK_TOPLEVEL(surface) : NULL;
}

/*
 * X11: GTK 4.8 does not grab the keyboard for an inhibiting toplevel, so the window manager
 * would still see Alt+Tab; grab it ourselves while captured. Wayland uses the inhibitor.
 */
static void x11_grab_keyboard(VesselDisplay *self, gboolean grab)
{
#ifdef VESSEL_HAVE_X11
	GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
	GdkSurface *surface = native ? gtk_native_get_surface(native) : NULL;
	Display *dpy;

	if (!surface || !GDK_IS_X11_SURFACE(surface))
		return;
	dpy = gdk_x11_display_get_xdisplay(gdk_surface_get_display(surface));
	if (grab)
		self->x11_grabbed = XGrabKeyboard(dpy, gdk_x11_surface_get_xid(surface), True,
						  GrabModeAsync, GrabModeAsync,
						  CurrentTime) == GrabSuccess;
	else if (self->x11_grabbed)
		XUngrabKeyboard(dpy, CurrentTime);
	if (!grab)
		self->x11_grabbed = FALSE;
	XFlush(dpy);
#endif
}

void vessel_display_capture(VesselDisplay *self)
{
	GdkToplevel *top;

	g_return_if_fail(VESSEL_IS_DISPLAY(self));
	if (self->captured)
		return;
	self->captured = TRUE;
	self->have_last = FALSE;
	gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "none");
	gtk_revealer_set_reveal_child(self->hint, TRUE);
	gtk_widget_grab_focus(GTK_WIDGET(self));
	/* Alt+Tab, Super etc. go to the guest while captured (Wayland inhibitor, X11 grab) */
	top = toplevel_of(self);
	if (top) {
		gdk_toplevel_inhibit_system_shortcuts(top, NULL);
		self->inhibited = TRUE;
	}
	x11_grab_keyboard(self, TRUE);
	g_object_notify_by_pspec(G_OBJECT(self), vessel_display_captured_pspec());
}

void vessel_display_release(VesselDisplay *self)
{
	GdkToplevel *top;

	g_return_if_fail(VESSEL_IS_DISPLAY(self));
	if (!self->captured)
		return;
	self->captured = FALSE;
	gtk_widget_set_cursor(GTK_WIDGET(self), NULL);
	gtk_revealer_set_reveal_child(self->hint, FALSE);
	top = toplevel_of(self);
	if (top && self->inhibited)
		gdk_toplevel_restore_system_shortcuts(top);
	self->inhibited = FALSE;
	x11_grab_keyboard(self, FALSE);
	g_object_notify_by_pspec(G_OBJECT(self), vessel_display_captured_pspec());
}

gboolean vessel_display_get_captured(VesselDisplay *self)
{
	return self->captured;
}

void vessel_display_set_absolute(VesselDisplay *self, gboolean absolute)
{
	g_return_if_fail(VESSEL_IS_DISPLAY(self));
	if (self->absolute != !!absolute)
		self->abs_buttons = 0;
	self->absolute = !!absolute;
	if (self->absolute)
		vessel_display_release(self);
}

void vessel_display_send_keys(VesselDisplay *self, const guint *codes, guint n)
{
	g_return_if_fail(VESSEL_IS_DISPLAY(self));
	for (guint i = 0; i < n; i++)
		g_signal_emit(self, vessel_display_signals[SIGNAL_KEY_EVENT], 0, codes[i], TRUE);
	for (guint i = n; i-- > 0;)
		g_signal_emit(self, vessel_display_signals[SIGNAL_KEY_EVENT], 0, codes[i], FALSE);
}

static gboolean is_ctrl(guint keyval)
{
	return keyval == GDK_KEY_Control_L || keyval == GDK_KEY_Control_R;
}

static gboolean is_alt(guint keyval)
{
	return keyval == GDK_KEY_Alt_L || keyval == GDK_KEY_Alt_R || keyval == GDK_KEY_Meta_L ||
	       keyval == GDK_KEY_Meta_R || keyval == GDK_KEY_ISO_Level3_Shift;
}

/* Ctrl+Alt: the second of the two pressed while the first is held. */
static gboolean is_release_combo(guint keyval, GdkModifierType state)
{
	return (is_ctrl(keyval) && (state & GDK_ALT_MASK)) ||
	       (is_alt(keyval) && (state & GDK_CONTROL_MASK));
}

static gboolean key_pressed(GtkEventControllerKey *c, guint keyval, guint keycode,
			    GdkModifierType state, VesselDisplay *self)
{
	if (keycode < X_KEYCODE_OFFSET)
		return FALSE;
	g_signal_emit(self, vessel_display_signals[SIGNAL_KEY_EVENT], 0,
		      keycode - X_KEYCODE_OFFSET, TRUE);
	if (self->captured && is_release_combo(keyval, state))
		vessel_display_release(self);
	return TRUE;
}

static void key_released(GtkEventControllerKey *c, guint keyval, guint keycode,
			 GdkModifierType state, VesselDisplay *self)
{
	if (keycode >= X_KEYCODE_OFFSET)
		g_signal_emit(self, vessel_display_signals[SIGNAL_KEY_EVENT], 0,
			      keycode - X_KEYCODE_OFFSET, FALSE);
}

/*
 * Captured, the host pointer must not reach the screen's edge or the motion stops. On X11 we
 * put it back in the middle of the widget whenever it strays; the warp's own motion event
 * then measures zero. Wayland has no warp: the compositor's pointer constraints would do it
 * and GTK 4 does not offer them yet.
 */
static gboolean recentre(VesselDisplay *self, double x, double y)
{
#ifdef VESSEL_HAVE_X11
	GtkWidget *w = GTK_WIDGET(self);
	GtkNative *native = gtk_widget_get_native(w);
	double cx = gtk_widget_get_width(w) / 2.0, cy = gtk_widget_get_height(w) / 2.0;
	double nx, ny, sx, sy;
	GdkSurface *surface;
	int scale;

	if (!native || (fabs(x - cx) < cx / 2 && fabs(y - cy) < cy / 2))
		return FALSE;
	surface = gtk_native_get_surface(native);
	if (!GDK_IS_X11_SURFACE(surface) ||
	    !gtk_widget_translate_coordinates(w, GTK_WIDGET(native), cx, cy, &nx, &ny))
		return FALSE;
	gtk_native_get_surface_transform(native, &sx, &sy);
	scale = gtk_widget_get_scale_factor(w);
	XWarpPointer(gdk_x11_display_get_xdisplay(gdk_surface_get_display(surface)), None,
		     gdk_x11_surface_get_xid(surface), 0, 0, 0, 0, (int)((nx + sx) * scale),
		     (int)((ny + sy) * scale));
	self->last_x = cx;
	self->last_y = cy;
	return TRUE;
#else
	return FALSE;
#endif
}

/*
 * Absolute pointer (the VM has a tablet): each motion, button change and wheel step becomes
 * one pointer-position(x, y, dz, buttons) in framebuffer pixels. A point over the letterbox
 * bars or outside the widget (a held button keeps the motion coming) is clamped to the
 * frame's nearest pixel, so the guest's pointer reaches every edge however the frame is
 * scaled.
 */
static guint clamp_px(double v, int extent)
{
	if (!(v > 0))			/* negative, or NaN */
		return 0;
	if (v >= extent)
		return (guint)extent - 1;
	return (guint)v;
}

static gboolean widget_to_fb_clamped(VesselDisplay *self, double wx, double wy)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
	struct vessel_display_dest d;

	if (!self->map || self->width <= 0 || self->height <= 0)
		return FALSE;
	vessel_display_compute_dest(self, gtk_widget_get_width(GTK_WIDGET(self)) * scale,
				    gtk_widget_get_height(GTK_WIDGET(self)) * scale, &d);
	if (d.w <= 0 || d.scale <= 0)
		return FALSE;
	self->abs_x = clamp_px((wx * scale - d.x) / d.scale, self->width);
	self->abs_y = clamp_px((wy * scale - d.y) / d.scale, self->height);
	return TRUE;
}

static gboolean is_absolute(VesselDisplay *self)
{
	return self->absolute && !self->captured && self->map;
}

static void send_position(VesselDisplay *self, int dz)
{
	g_signal_emit(self, vessel_display_signals[SIGNAL_POINTER_POSITION], 0, self->abs_x,
		      self->abs_y, dz, self->abs_buttons);
}

/* GDK buttons 1 left, 2 middle, 3 right -> Display1's mask 1, 2, 4; others 0. */
static guint button_bit(guint button)
{
	return button == 1 ? 1 : button == 2 ? 2 : button == 3 ? 4 : 0;
}

static void absolute_button(VesselDisplay *self, guint button, gboolean pressed, double x,
			    double y)
{
	guint bit = button_bit(button);

	if (!bit)
		return;
	self->abs_buttons = pressed ? self->abs_buttons | bit : self->abs_buttons & ~bit;
	widget_to_fb_clamped(self, x, y);
	send_position(self, 0);
}

static void motion(GtkEventControllerMotion *c, double x, double y, VesselDisplay *self)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
	struct vessel_display_dest d;
	int gx, gy;

	if (!self->captured) {
		if (vessel_display_widget_to_guest(self, x, y, &gx, &gy))
			g_signal_emit(self, vessel_display_signals[SIGNAL_POINTER_MOTION], 0, gx,
				      gy);
		if (is_absolute(self) && widget_to_fb_clamped(self, x, y))
			send_position(self, 0);
		return;
	}
	if (self->have_last) {
		vessel_display_compute_dest(self, gtk_widget_get_width(GTK_WIDGET(self)) * scale,
					    gtk_widget_get_height(GTK_WIDGET(self)) * scale, &d);
		g_signal_emit(self, vessel_display_signals[SIGNAL_POINTER_RELATIVE], 0,
			      (x - self->last_x) * scale / d.scale,
			      (y - self->last_y) * scale / d.scale);
	}
	self->have_last = TRUE;
	if (!recentre(self, x, y)) {
		self->last_x = x;
		self->last_y = y;
	}
}

static void click_pressed(GtkGestureClick *g, int n_press, double x, double y,
			  VesselDisplay *self)
{
	guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g));

	gtk_widget_grab_focus(GTK_WIDGET(self));
	if (!self->captured && !self->absolute && self->map) {
		/* this click only captures; the guest never sees it */
		vessel_display_capture(self);
		/* relative motion starts from here */
		self->last_x = x;
		self->last_y = y;
		self->have_last = TRUE;
		gtk_gesture_set_state(GTK_GESTURE(g), GTK_EVENT_SEQUENCE_DENIED);
		return;
	}
	if (is_absolute(self))
		absolute_button(self, button, TRUE, x, y);
	g_signal_emit(self, vessel_display_signals[SIGNAL_BUTTON], 0, button, TRUE);
}

static void click_released(GtkGestureClick *g, int n_press, double x, double y,
			   VesselDisplay *self)
{
	guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g));

	if (is_absolute(self))
		absolute_button(self, button, FALSE, x, y);
	g_signal_emit(self, vessel_display_signals[SIGNAL_BUTTON], 0, button, FALSE);
}

/*
 * Wheel steps become buttons 4 (up) and 5 (down), as PS/2 and USB mice report them, and
 * with a tablet also dz steps (positive down, as dy) at the last position.
 */
static gboolean scroll(GtkEventControllerScroll *c, double dx, double dy, VesselDisplay *self)
{
	guint button = dy < 0 ? 4 : 5;

	if (dy == 0)
		return FALSE;
	if (is_absolute(self))
		send_position(self, dy < 0 ? -(int)CLAMP(-dy + 0.5, 1, 16) :
			      (int)CLAMP(dy + 0.5, 1, 16));
	g_signal_emit(self, vessel_display_signals[SIGNAL_BUTTON], 0, button, TRUE);
	g_signal_emit(self, vessel_display_signals[SIGNAL_BUTTON], 0, button, FALSE);
	return TRUE;
}

static void focus_left(GtkEventControllerFocus *c, VesselDisplay *self)
{
	/* A button held when the focus went elsewhere would stay down in the guest. */
	if (is_absolute(self) && self->abs_buttons) {
		self->abs_buttons = 0;
		send_position(self, 0);
	}
	vessel_display_release(self);
}

void vessel_display_input_init(VesselDisplay *self)
{
	GtkEventController *c;
	GtkGesture *click;

	c = gtk_event_controller_key_new();
	g_signal_connect(c, "key-pressed", G_CALLBACK(key_pressed), self);
	g_signal_connect(c, "key-released", G_CALLBACK(key_released), self);
	gtk_widget_add_controller(GTK_WIDGET(self), c);
	c = gtk_event_controller_motion_new();
	g_signal_connect(c, "motion", G_CALLBACK(motion), self);
	gtk_widget_add_controller(GTK_WIDGET(self), c);
	click = gtk_gesture_click_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), 0);
	g_signal_connect(click, "pressed", G_CALLBACK(click_pressed), self);
	g_signal_connect(click, "released", G_CALLBACK(click_released), self);
	gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(click));
	c = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
					    GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
	g_signal_connect(c, "scroll", G_CALLBACK(scroll), self);
	gtk_widget_add_controller(GTK_WIDGET(self), c);
	c = gtk_event_controller_focus_new();
	g_signal_connect(c, "leave", G_CALLBACK(focus_left), self);
	gtk_widget_add_controller(GTK_WIDGET(self), c);
}

static void action_release(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_display_release(VESSEL_DISPLAY(w));
}

static void action_capture(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_display_capture(VESSEL_DISPLAY(w));
}

void vessel_display_input_class_init(GtkWidgetClass *wc)
{
	GType u = G_TYPE_UINT, b = G_TYPE_BOOLEAN, i = G_TYPE_INT, d = G_TYPE_DOUBLE;
	GType t = G_TYPE_FROM_CLASS(wc);

	/* key-event(evdev keycode, pressed) */
	vessel_display_signals[SIGNAL_KEY_EVENT] = g_signal_new("key-event", t, G_SIGNAL_RUN_LAST,
		0, NULL, NULL, NULL, G_TYPE_NONE, 2, u, b);
	/* pointer-motion(x, y): absolute, guest pixels, only inside the frame */
	vessel_display_signals[SIGNAL_POINTER_MOTION] = g_signal_new("pointer-motion", t,
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, i, i);
	/* pointer-relative(dx, dy): captured motion, guest pixels */
	vessel_display_signals[SIGNAL_POINTER_RELATIVE] = g_signal_new("pointer-relative", t,
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, d, d);
	/*
	 * pointer-position(x, y, dz, buttons): with an absolute device (set_absolute), not
	 * captured: framebuffer pixels clamped into the frame, wheel steps (positive down),
	 * buttons held (1 left, 2 middle, 4 right) — Display1.PointerPosition's arguments.
	 */
	vessel_display_signals[SIGNAL_POINTER_POSITION] = g_signal_new("pointer-position", t,
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, u, u, i, u);
	/* button(GDK button number: 1 left, 2 middle, 3 right, 4/5 wheel, pressed) */
	vessel_display_signals[SIGNAL_BUTTON] = g_signal_new("button", t, G_SIGNAL_RUN_LAST, 0,
		NULL, NULL, NULL, G_TYPE_NONE, 2, u, b);
	/*
	 * preferred-size(width, height): device pixels the guest could use to fill the widget
	 * (for its EDID preferred mode); after resizes settle, never in 1:1 mode.
	 */
	vessel_display_signals[SIGNAL_PREFERRED_SIZE] = g_signal_new("preferred-size", t,
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, i, i);
	gtk_widget_class_install_action(wc, "display.capture", NULL, action_capture);
	gtk_widget_class_install_action(wc, "display.release", NULL, action_release);
}
