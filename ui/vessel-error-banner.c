// SPDX-License-Identifier: GPL-2.0-or-later
// VesselErrorBanner: the helper's exit as a sentence with the next step; runs `vesselctl check`.
#include "vessel-error-banner.h"

#define EXIT_NO_KVM 65	/* vessel-helper --help: KVM unavailable */

struct _VesselErrorBanner {
	GtkWidget parent_instance;

	/* template children */
	GtkRevealer *revealer;
	GtkLabel *label;
	GtkButton *button;
	GtkRevealer *output_revealer;
	GtkLabel *output;

	/* owned */
	int status;
	char *check_output;
	GCancellable *cancel;	/* the running check */
};

G_DEFINE_FINAL_TYPE(VesselErrorBanner, vessel_error_banner, GTK_TYPE_WIDGET)

/* $VESSELCTL, beside this program (installed) or in the build tree, else PATH. */
static char *find_vesselctl(void)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
	const char *env = g_getenv("VESSELCTL");
	const char *rel[] = { "vesselctl", "../ctl/vesselctl", "../app/ctl/vesselctl",
			      "../../app/ctl/vesselctl" };

	if (env && *env)
		return g_strdup(env);
	for (size_t i = 0; dir && i < G_N_ELEMENTS(rel); i++) {
		char *p = g_build_filename(dir, rel[i], NULL);

		if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
			return p;
		g_free(p);
	}
	return g_find_program_in_path("vesselctl");
}

static void set_output(VesselErrorBanner *self, const char *text)
{
	g_free(self->check_output);
	self->check_output = g_strdup(text);
	gtk_label_set_text(self->output, text);
	gtk_revealer_set_reveal_child(self->output_revealer, TRUE);
	gtk_widget_set_sensitive(GTK_WIDGET(self->button), TRUE);
}

static void check_done(GObject *src, GAsyncResult *res, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &out, NULL, &error)) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			set_output(data, error->message);
		return;
	}
	set_output(data, out && *out ? g_strstrip(out) : "vesselctl check said nothing.");
}

/* The wizard of issue 8 takes this place; until then, what `vesselctl check` finds. */
static void run_check(VesselErrorBanner *self)
{
	g_autofree char *ctl = find_vesselctl();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = NULL;

	if (!ctl) {
		set_output(self, "vesselctl is not installed, so this computer cannot be checked "
			   "from here.");
		return;
	}
	p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
			     &error, ctl, "check", NULL);
	if (!p) {
		set_output(self, error->message);
		return;
	}
	gtk_widget_set_sensitive(GTK_WIDGET(self->button), FALSE);
	g_subprocess_communicate_utf8_async(p, NULL, self->cancel, check_done, self);
}

static void banner_activate(GtkWidget *w, const char *name, GVariant *param)
{
	VesselErrorBanner *self = VESSEL_ERROR_BANNER(w);

	if (self->status == EXIT_NO_KVM)
		run_check(self);
	else
		vessel_error_banner_hide(self);
}

void vessel_error_banner_show_exit(VesselErrorBanner *self, int status, const char *message)
{
	g_return_if_fail(VESSEL_IS_ERROR_BANNER(self));
	if (!message) {
		vessel_error_banner_hide(self);
		return;
	}
	self->status = status;
	gtk_label_set_text(self->label, message);
	gtk_button_set_label(self->button, status == EXIT_NO_KVM ? "_Check This Computer" :
			     "_Dismiss");
	g_clear_pointer(&self->check_output, g_free);
	gtk_revealer_set_reveal_child(self->output_revealer, FALSE);
	gtk_revealer_set_reveal_child(self->revealer, TRUE);
}

void vessel_error_banner_hide(VesselErrorBanner *self)
{
	gtk_revealer_set_reveal_child(self->output_revealer, FALSE);
	gtk_revealer_set_reveal_child(self->revealer, FALSE);
}

gboolean vessel_error_banner_get_revealed(VesselErrorBanner *self)
{
	return gtk_revealer_get_reveal_child(self->revealer);
}

const char *vessel_error_banner_get_message(VesselErrorBanner *self)
{
	return gtk_label_get_text(self->label);
}

const char *vessel_error_banner_get_button_label(VesselErrorBanner *self)
{
	return gtk_button_get_label(self->button);
}

const char *vessel_error_banner_get_check_output(VesselErrorBanner *self)
{
	return self->check_output;
}

static void vessel_error_banner_dispose(GObject *object)
{
	VesselErrorBanner *self = VESSEL_ERROR_BANNER(object);

	g_cancellable_cancel(self->cancel);
	gtk_widget_dispose_template(GTK_WIDGET(self), VESSEL_TYPE_ERROR_BANNER);
	G_OBJECT_CLASS(vessel_error_banner_parent_class)->dispose(object);
}

static void vessel_error_banner_finalize(GObject *object)
{
	VesselErrorBanner *self = VESSEL_ERROR_BANNER(object);

	g_clear_object(&self->cancel);
	g_free(self->check_output);
	G_OBJECT_CLASS(vessel_error_banner_parent_class)->finalize(object);
}

static void vessel_error_banner_class_init(VesselErrorBannerClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->dispose = vessel_error_banner_dispose;
	oc->finalize = vessel_error_banner_finalize;
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-error-banner.ui");
	gtk_widget_class_bind_template_child(wc, VesselErrorBanner, revealer);
	gtk_widget_class_bind_template_child(wc, VesselErrorBanner, label);
	gtk_widget_class_bind_template_child(wc, VesselErrorBanner, button);
	gtk_widget_class_bind_template_child(wc, VesselErrorBanner, output_revealer);
	gtk_widget_class_bind_template_child(wc, VesselErrorBanner, output);
	gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
	gtk_widget_class_install_action(wc, "banner.activate", NULL, banner_activate);
}

static void vessel_error_banner_init(VesselErrorBanner *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
}

GtkWidget *vessel_error_banner_new(void)
{
	return g_object_new(VESSEL_TYPE_ERROR_BANNER, NULL);
}
