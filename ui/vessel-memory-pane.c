// SPDX-License-Identifier: GPL-2.0-or-later
// VesselMemoryPane: the balloon slider and switch over VM1, and a graph of its statistics.
#include "vessel-memory-pane.h"

#include <string.h>

#define MIB		((guint64)1 << 20)
#define POLL_SECONDS	2
#define N_SAMPLES	90	/* 3 minutes at one sample per 2 s */
#define APPLY_DELAY_MS	400	/* a target is sent once the slider rests this long */

struct sample {
	double actual, available;	/* bytes; available < 0: the guest did not say */
};

struct _VesselMemoryPane {
	GtkWidget parent_instance;

	/* template children */
	GtkStack *stack;
	GtkRange *slider;
	GtkLabel *figures;
	GtkSwitch *auto_switch;
	GtkDrawingArea *graph;

	/* owned */
	VesselVM1 *vm;
	gulong props_handler;
	GCancellable *cancel;
	guint poll_id, apply_id;
	gboolean syncing;		/* the widgets are being set from VM1, not by a person */
	struct sample samples[N_SAMPLES];
	guint n_samples, head;		/* head: where the next sample goes */
};

G_DEFINE_FINAL_TYPE(VesselMemoryPane, vessel_memory_pane, GTK_TYPE_WIDGET)

static guint64 max_bytes(VesselVM1 *vm)
{
	guint64 max = vessel_vm1_get_balloon_max(vm);

	return max ? max : vessel_vm1_get_memory_bytes(vm);
}

static void show_figures(VesselMemoryPane *self)
{
	g_autofree char *text = g_strdup_printf("Target %" G_GUINT64_FORMAT " MiB · the guest "
		"has %" G_GUINT64_FORMAT " MiB of %" G_GUINT64_FORMAT " MiB",
		vessel_vm1_get_memory_target(self->vm) / MIB,
		vessel_vm1_get_memory_actual(self->vm) / MIB,
		vessel_vm1_get_memory_bytes(self->vm) / MIB);

	gtk_label_set_text(self->figures, text);
}

/* Bring the widgets to VM1's properties, leaving a slider that a person is moving alone. */
static void sync_from_vm(VesselMemoryPane *self)
{
	guint64 min, max;

	if (!self->vm || !vessel_vm1_get_balloon_present(self->vm)) {
		gtk_stack_set_visible_child_name(self->stack, self->vm ? "none" : "stopped");
		return;
	}
	gtk_stack_set_visible_child_name(self->stack, "balloon");
	min = vessel_vm1_get_balloon_min(self->vm) / MIB;
	max = max_bytes(self->vm) / MIB;
	self->syncing = TRUE;
	gtk_range_set_range(self->slider, (double)min, (double)MAX(min + 1, max));
	gtk_widget_set_sensitive(GTK_WIDGET(self->slider), max > min);
	if (!self->apply_id)
		gtk_range_set_value(self->slider,
				    (double)(vessel_vm1_get_memory_target(self->vm) / MIB));
	gtk_switch_set_active(self->auto_switch, vessel_vm1_get_balloon_auto(self->vm));
	self->syncing = FALSE;
	show_figures(self);
}

static void on_props(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer self)
{
	sync_from_vm(self);
}

static void call_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_proxy_call_finish(G_DBUS_PROXY(src), res, &error);

	/* refused (out of bounds, no balloon): show what the VM really has */
	if (!ret && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		sync_from_vm(data);
}

static void call(VesselMemoryPane *self, const char *method, GVariant *args)
{
	g_dbus_proxy_call(G_DBUS_PROXY(self->vm), method, args, G_DBUS_CALL_FLAGS_NONE, -1,
			  self->cancel, call_done, self);
}

static gboolean apply_target(gpointer data)
{
	VesselMemoryPane *self = data;
	guint64 mib = (guint64)gtk_range_get_value(self->slider);

	self->apply_id = 0;
	if (self->vm)
		call(self, "SetMemoryTarget", g_variant_new("(t)", mib * MIB));
	return G_SOURCE_REMOVE;
}

static void on_slider(GtkRange *range, gpointer data)
{
	VesselMemoryPane *self = data;

	if (self->syncing || !self->vm)
		return;
	g_clear_handle_id(&self->apply_id, g_source_remove);
	self->apply_id = g_timeout_add(APPLY_DELAY_MS, apply_target, self);
}

static void on_auto(GtkSwitch *sw, GParamSpec *pspec, gpointer data)
{
	VesselMemoryPane *self = data;

	if (!self->syncing && self->vm)
		call(self, "SetBalloonAuto", g_variant_new("(b)", gtk_switch_get_active(sw)));
}

static double stat_value(GVariant *stats, const char *key)
{
	guint64 v;

	return g_variant_lookup(stats, key, "t", &v) ? (double)v : -1;
}

static void stats_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) ret = g_dbus_proxy_call_finish(G_DBUS_PROXY(src), res, &error);
	g_autoptr(GVariant) stats = NULL;
	VesselMemoryPane *self = data;
	struct sample *s;

	if (!ret || !self->vm)
		return;	/* cancelled, or no statistics yet: the next poll tries again */
	stats = g_variant_get_child_value(ret, 0);
	s = &self->samples[self->head];
	s->actual = (double)vessel_vm1_get_memory_actual(self->vm);
	s->available = stat_value(stats, "available");
	if (s->available < 0)
		s->available = stat_value(stats, "free");
	self->head = (self->head + 1) % N_SAMPLES;
	self->n_samples = MIN(self->n_samples + 1, N_SAMPLES);
	gtk_widget_queue_draw(GTK_WIDGET(self->graph));
}

static gboolean poll_stats(gpointer data)
{
	VesselMemoryPane *self = data;

	if (self->vm && vessel_vm1_get_balloon_present(self->vm))
		g_dbus_proxy_call(G_DBUS_PROXY(self->vm), "GetMemoryStats", NULL,
				  G_DBUS_CALL_FLAGS_NONE, -1, self->cancel, stats_done, self);
	return G_SOURCE_CONTINUE;
}

#define PAD 12	/* inside the card's rounded corners */

/* One series as a line over the last N_SAMPLES, oldest at the left; a dot on the newest. */
static void plot(VesselMemoryPane *self, cairo_t *cr, int w, int h, double top, gboolean avail)
{
	double x = 0, y = 0;
	gboolean started = FALSE;

	for (guint i = 0; i < self->n_samples; i++) {
		guint at = (self->head + N_SAMPLES - self->n_samples + i) % N_SAMPLES;
		double v = avail ? self->samples[at].available : self->samples[at].actual;

		if (v < 0)
			continue;
		x = PAD + (w - 2 * PAD) * (double)(N_SAMPLES - self->n_samples + i) / (N_SAMPLES - 1);
		y = h - PAD - (h - 2 * PAD) * CLAMP(v / top, 0, 1);
		if (started)
			cairo_line_to(cr, x, y);
		else
			cairo_move_to(cr, x, y);
		started = TRUE;
	}
	cairo_stroke(cr);
	if (started) {
		cairo_arc(cr, x, y, 3, 0, 2 * G_PI);
		cairo_fill(cr);
	}
}

/* Grid lines at 0, 50% and 100% of the guest's memory. */
static void draw_grid(cairo_t *cr, int w, int h)
{
	cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.3);
	cairo_set_line_width(cr, 1);
	for (int i = 0; i <= 2; i++) {
		double y = PAD + (h - 2 * PAD) * i / 2.0 + 0.5;

		cairo_move_to(cr, PAD, y);
		cairo_line_to(cr, w - PAD, y);
	}
	cairo_stroke(cr);
}

static void draw_graph(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
	VesselMemoryPane *self = data;
	double top = self->vm ? (double)vessel_vm1_get_memory_bytes(self->vm) : 0;

	if (w <= 2 * PAD || h <= 2 * PAD)
		return;
	draw_grid(cr, w, h);
	if (top <= 0 || !self->n_samples)
		return;
	cairo_set_line_width(cr, 2);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	cairo_set_source_rgb(cr, 0.21, 0.52, 0.89);	/* GNOME blue 3 */
	plot(self, cr, w, h, top, FALSE);
	cairo_set_source_rgb(cr, 0.20, 0.82, 0.48);	/* GNOME green 3 */
	plot(self, cr, w, h, top, TRUE);
}

void vessel_memory_pane_set_vm(VesselMemoryPane *self, VesselVM1 *vm)
{
	g_return_if_fail(VESSEL_IS_MEMORY_PANE(self));
	g_clear_handle_id(&self->apply_id, g_source_remove);
	g_clear_handle_id(&self->poll_id, g_source_remove);
	if (self->vm) {
		g_signal_handler_disconnect(self->vm, self->props_handler);
		g_clear_object(&self->vm);
	}
	self->n_samples = self->head = 0;
	if (vm) {
		self->vm = g_object_ref(vm);
		self->props_handler = g_signal_connect(vm, "g-properties-changed",
						       G_CALLBACK(on_props), self);
		if (vessel_vm1_get_balloon_present(vm))
			call(self, "SetMemoryStatsInterval", g_variant_new("(u)", POLL_SECONDS));
		self->poll_id = g_timeout_add_seconds(POLL_SECONDS, poll_stats, self);
	}
	sync_from_vm(self);
}

const char *vessel_memory_pane_get_page(VesselMemoryPane *self)
{
	return gtk_stack_get_visible_child_name(self->stack);
}

GtkRange *vessel_memory_pane_get_slider(VesselMemoryPane *self)
{
	return self->slider;
}

GtkSwitch *vessel_memory_pane_get_auto_switch(VesselMemoryPane *self)
{
	return self->auto_switch;
}

guint vessel_memory_pane_get_n_samples(VesselMemoryPane *self)
{
	return self->n_samples;
}

const char *vessel_memory_pane_get_figures(VesselMemoryPane *self)
{
	return gtk_label_get_text(self->figures);
}

static void vessel_memory_pane_dispose(GObject *object)
{
	VesselMemoryPane *self = VESSEL_MEMORY_PANE(object);

	g_cancellable_cancel(self->cancel);
	vessel_memory_pane_set_vm(self, NULL);
	g_clear_object(&self->cancel);
	gtk_widget_dispose_template(GTK_WIDGET(self), VESSEL_TYPE_MEMORY_PANE);
	G_OBJECT_CLASS(vessel_memory_pane_parent_class)->dispose(object);
}

static void vessel_memory_pane_class_init(VesselMemoryPaneClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = vessel_memory_pane_dispose;
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-memory-pane.ui");
	gtk_widget_class_bind_template_child(wc, VesselMemoryPane, stack);
	gtk_widget_class_bind_template_child(wc, VesselMemoryPane, slider);
	gtk_widget_class_bind_template_child(wc, VesselMemoryPane, figures);
	gtk_widget_class_bind_template_child(wc, VesselMemoryPane, auto_switch);
	gtk_widget_class_bind_template_child(wc, VesselMemoryPane, graph);
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
}

static void vessel_memory_pane_init(VesselMemoryPane *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
	gtk_range_set_increments(self->slider, 16, 64);
	g_signal_connect(self->slider, "value-changed", G_CALLBACK(on_slider), self);
	g_signal_connect(self->auto_switch, "notify::active", G_CALLBACK(on_auto), self);
	gtk_drawing_area_set_draw_func(self->graph, draw_graph, self, NULL);
	sync_from_vm(self);
}

GtkWidget *vessel_memory_pane_new(void)
{
	return g_object_new(VESSEL_TYPE_MEMORY_PANE, NULL);
}
