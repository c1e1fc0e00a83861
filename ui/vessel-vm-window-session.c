// SPDX-License-Identifier: GPL-2.0-or-later
// VesselVmWindow's running VM: the helper session (app/session.c) wired to the display,
// input, the title's state, and the error banner when the helper ends badly.
#include "vessel-vm-window-private.h"

#include <errno.h>

static void on_state(void *opaque, const char *state)
{
	VesselVmWindow *self = opaque;

	g_free(self->state);
	self->state = g_strdup(state);
	/* The proxies exist once the first state arrives: hand them to the panes. */
	if (self->session && vessel_session_vm(self->session) && !self->panes_have_vm) {
		vessel_vm_window_panes_set_vm(self, vessel_session_vm(self->session));
		self->panes_have_vm = TRUE;
	}
	adw_window_title_set_subtitle(self->title, state);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "vm.pause", !g_strcmp0(state, "running") ||
				      !g_strcmp0(state, "paused"));
}

static void on_framebuffer(void *opaque, int fd, const uint8_t *pixels, unsigned w, unsigned h,
			   unsigned stride)
{
	VesselVmWindow *self = opaque;
	g_autoptr(GError) error = NULL;

	if (!vessel_display_set_framebuffer(self->display, fd, (int)w, (int)h, (int)stride,
					    VESSEL_FOURCC_XRGB8888, &error)) {
		vessel_vm_window_show_banner(self, error->message, NULL);
		return;
	}
	/* With a tablet the pointer goes as absolute positions and is never captured. */
	vessel_display_set_absolute(self->display, vessel_session_has_tablet(self->session));
	vessel_vm_window_show_display(self);
}

static void on_damage(void *opaque, const struct vessel_session_rect *r, unsigned n)
{
	VesselVmWindow *self = opaque;

	for (unsigned i = 0; i < n; i++)
		vessel_display_invalidate(self->display, (int)r[i].x, (int)r[i].y, (int)r[i].w,
					  (int)r[i].h);
}

/* The helper ended: back to the summary, with a banner unless it was a normal power-off. */
static gboolean drop_session(gpointer data)
{
	VesselVmWindow *self = data;

	g_clear_pointer(&self->session, vessel_session_free);
	vessel_vm_window_restore_pending(self);
	g_object_unref(self);
	return G_SOURCE_REMOVE;
}

static void on_exited(void *opaque, int status, const char *message)
{
	VesselVmWindow *self = opaque;

	self->exit_status = status;
	vessel_vm_window_panes_set_vm(self, NULL);
	self->panes_have_vm = FALSE;
	on_state(self, "stopped");
	vessel_display_set_framebuffer(self->display, -1, 0, 0, 0, 0, NULL);
	gtk_stack_set_visible_child_name(self->stack, "summary");
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "vm.start", TRUE);
	if (message && !self->restore_dir)
		vessel_vm_window_show_banner(self, message, status == 65 ? "Check This Computer" :
					     NULL);
	/* KVM unavailable: the virtualization wizard walks the person to the fix at once. */
	if (status == 65 && !g_getenv("VESSEL_NO_WIZARD"))
		gtk_widget_activate_action(GTK_WIDGET(self), "vm.check-host", NULL);
	/* Not from inside the session's own callback. */
	g_idle_add(drop_session, g_object_ref(self));
}

static const struct vessel_session_callbacks callbacks = {
	.state = on_state,
	.framebuffer = on_framebuffer,
	.damage = on_damage,
	.exited = on_exited,
};

static void on_key(VesselDisplay *d, guint code, gboolean pressed, VesselVmWindow *self)
{
	if (self->session)
		vessel_session_key(self->session, code, pressed);
}

/* GTK buttons 1 left, 2 middle, 3 right -> the control API's mask 1, 2, 4. */
static void on_button(VesselDisplay *d, guint button, gboolean pressed, VesselVmWindow *self)
{
	guint bit = button == 1 ? 1 : button == 2 ? 2 : button == 3 ? 4 : 0;

	if (self->session && vessel_session_has_tablet(self->session) &&
	    !vessel_display_get_captured(d))
		return;			/* on_position carries it */
	self->buttons = pressed ? self->buttons | bit : self->buttons & ~bit;
	if (self->session && bit)
		vessel_session_pointer(self->session, 0, 0, 0, self->buttons);
}

/* Relative motion in guest pixels; fractions carry over so slow motion is not lost. */
static void on_relative(VesselDisplay *d, double dx, double dy, VesselVmWindow *self)
{
	int ix, iy;

	self->frac_x += dx;
	self->frac_y += dy;
	ix = (int)self->frac_x;
	iy = (int)self->frac_y;
	self->frac_x -= ix;
	self->frac_y -= iy;
	if (self->session && (ix || iy))
		vessel_session_pointer(self->session, ix, iy, 0, self->buttons);
}

/* Absolute (the VM has a tablet): framebuffer pixels, as Display1.PointerPosition takes. */
static void on_position(VesselDisplay *d, guint x, guint y, gint dz, guint buttons,
			VesselVmWindow *self)
{
	if (self->session)
		vessel_session_pointer_position(self->session, x, y, dz, buttons);
}

/* The window settled at a new size: offer it to the guest as its preferred mode (EDID). */
static void on_preferred(VesselDisplay *d, int w, int h, VesselVmWindow *self)
{
	if (self->session && w > 0 && h > 0)
		vessel_session_preferred_size(self->session, (unsigned)w, (unsigned)h);
}

void vessel_vm_window_connect_input(VesselVmWindow *self)
{
	g_signal_connect(self->display, "preferred-size", G_CALLBACK(on_preferred), self);
	g_signal_connect(self->display, "key-event", G_CALLBACK(on_key), self);
	g_signal_connect(self->display, "button", G_CALLBACK(on_button), self);
	g_signal_connect(self->display, "pointer-relative", G_CALLBACK(on_relative), self);
	g_signal_connect(self->display, "pointer-position", G_CALLBACK(on_position), self);
}

gboolean vessel_vm_window_start(VesselVmWindow *self, const char *const *extra_args)
{
	g_autoptr(GError) error = NULL;

	if (self->session || self->error)
		return FALSE;
	if (extra_args != (const char *const *)self->extra_args) {
		char **copy = g_strdupv((char **)extra_args);

		g_strfreev(self->extra_args);
		self->extra_args = copy;
	}
	vessel_vm_window_hide_banner(self);
	self->exit_status = -1;
	self->session = vessel_session_start(self->path, extra_args, &callbacks, self, &error);
	if (!self->session) {
		vessel_vm_window_show_banner(self, error->message, NULL);
		return FALSE;
	}
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "vm.start", FALSE);
	on_state(self, "starting");
	return TRUE;
}

struct vessel_session *vessel_vm_window_get_session(VesselVmWindow *self)
{
	return self->session;
}

const char *vessel_vm_window_get_state(VesselVmWindow *self)
{
	return self->state ? self->state : "stopped";
}

int vessel_vm_window_get_exit_status(VesselVmWindow *self)
{
	return self->exit_status;
}
