// SPDX-License-Identifier: GPL-2.0-or-later
// VesselWizard: runs the host check in a thread and walks the user from the problem to its fix.
#include "vessel-wizard-private.h"
#include "vessel-ui.h"

#include <string.h>

G_DEFINE_FINAL_TYPE(VesselWizard, vessel_wizard, ADW_TYPE_WINDOW)

enum { SIGNAL_CHECKED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *const page_names[] = {
	[WIZARD_PAGE_CHECKING] = "checking",
	[WIZARD_PAGE_PROBLEM] = "problem",
	[WIZARD_PAGE_FIRMWARE] = "firmware",
	[WIZARD_PAGE_MODULE] = "module",
	[WIZARD_PAGE_ACCESS] = "access",
	[WIZARD_PAGE_FINAL] = "final",
	[WIZARD_PAGE_SUCCESS] = "success",
};

/* The stack child that shows a page: the three fix pages share one layout. */
static const char *stack_child(enum wizard_page page)
{
	switch (page) {
	case WIZARD_PAGE_FIRMWARE:
	case WIZARD_PAGE_MODULE:
	case WIZARD_PAGE_ACCESS:
		return "fix";
	default:
		return page_names[page];
	}
}

static void update_actions(VesselWizard *self)
{
	gboolean idle = self->calls == 0;
	GtkWidget *w = GTK_WIDGET(self);

	gtk_widget_action_set_enabled(w, "wizard.next", idle);
	gtk_widget_action_set_enabled(w, "wizard.recheck", idle);
	gtk_widget_action_set_enabled(w, "wizard.enable-fwattr", idle);
	gtk_widget_action_set_enabled(w, "wizard.restart-firmware", idle);
	gtk_widget_action_set_enabled(w, "wizard.load-module", idle);
	gtk_widget_action_set_enabled(w, "wizard.install-access", idle);
}

void vessel_wizard_busy(VesselWizard *self, int delta)
{
	self->calls += delta;
	update_actions(self);
}

void vessel_wizard_set_message(VesselWizard *self, const char *text)
{
	gtk_label_set_text(self->message, text ? text : "");
	gtk_widget_set_visible(GTK_WIDGET(self->message), text != NULL);
	gtk_widget_remove_css_class(GTK_WIDGET(self->message), "error");
}

void vessel_wizard_set_error(VesselWizard *self, const char *text)
{
	vessel_wizard_set_message(self, text);
	gtk_widget_add_css_class(GTK_WIDGET(self->message), "error");
}

/* Enter activates the page's main button: the first shown of these. */
static void focus_main_button(VesselWizard *self, enum wizard_page page)
{
	GtkButton *const fix[] = { self->fwattr_button, self->restart_button, self->load_button,
				   self->access_button, self->recheck_button };
	GtkWidget *main = NULL;

	if (page == WIZARD_PAGE_PROBLEM)
		main = GTK_WIDGET(self->next_button);
	for (guint i = 0; !main && page >= WIZARD_PAGE_FIRMWARE && page <= WIZARD_PAGE_ACCESS &&
	     i < G_N_ELEMENTS(fix); i++) {
		if (gtk_widget_get_visible(GTK_WIDGET(fix[i])))
			main = GTK_WIDGET(fix[i]);
	}
	gtk_window_set_default_widget(GTK_WINDOW(self), main);
	if (main)
		gtk_widget_grab_focus(main);
}

void vessel_wizard_show_page(VesselWizard *self, enum wizard_page page)
{
	self->page = page;
	focus_main_button(self, page);
	gtk_stack_set_visible_child_name(self->stack, stack_child(page));
	gtk_widget_set_visible(GTK_WIDGET(self->back_button),
			       page >= WIZARD_PAGE_FIRMWARE && page <= WIZARD_PAGE_FINAL);
}

/* The page that follows "problem" for a state. */
static enum wizard_page next_page(enum hostcheck_state state)
{
	switch (state) {
	case HOSTCHECK_FIRMWARE_DISABLED:
		return WIZARD_PAGE_FIRMWARE;
	case HOSTCHECK_MODULE_NOT_LOADED:
		return WIZARD_PAGE_MODULE;
	case HOSTCHECK_NO_ACCESS:
		return WIZARD_PAGE_ACCESS;
	case HOSTCHECK_READY:
		return WIZARD_PAGE_SUCCESS;
	default:
		return WIZARD_PAGE_FINAL;
	}
}

/* --- the check, in a thread so the window never waits on /proc, /sys or logind --- */

struct check_job {
	char *root;
	const struct hostcheck_probes *probes;
};

static void check_job_free(gpointer data)
{
	struct check_job *job = data;

	g_free(job->root);
	g_free(job);
}

static void check_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	struct check_job *job = data;
	struct wizard_check *c = g_new0(struct wizard_check, 1);

	hostcheck_gather(job->root, job->probes, &c->facts);
	hostcheck_decide(&c->facts, &c->result);
	hostcheck_advise(&c->facts, &c->result, &c->advice);
	g_task_return_pointer(task, c, g_free);
}

static void show_result(VesselWizard *self)
{
	enum hostcheck_state state = self->check->result.state;

	if (state == HOSTCHECK_READY) {
		vessel_wizard_fill_success(self);
		vessel_wizard_show_page(self, WIZARD_PAGE_SUCCESS);
		vessel_wizard_pending_clear(self->state_file);
		return;
	}
	vessel_wizard_fill_problem(self);
	vessel_wizard_show_page(self, WIZARD_PAGE_PROBLEM);
	/* the memory speaks about the first check only; later ones follow this session's steps */
	self->pending.valid = false;
}

static void check_done(GObject *source, GAsyncResult *res, gpointer data)
{
	VesselWizard *self = VESSEL_WIZARD(source);
	g_autoptr(GError) error = NULL;
	struct wizard_check *c = g_task_propagate_pointer(G_TASK(res), &error);

	if (!c)
		return;		/* cancelled: the window is going away */
	vessel_wizard_busy(self, -1);
	g_free(self->check);
	self->check = c;
	show_result(self);
	g_signal_emit(self, signals[SIGNAL_CHECKED], 0);
}

void vessel_wizard_recheck(VesselWizard *self)
{
	struct check_job *job = g_new0(struct check_job, 1);
	g_autoptr(GTask) task = g_task_new(self, self->cancel, check_done, NULL);

	job->root = g_strdup(self->root);
	job->probes = self->probes;
	g_task_set_task_data(task, job, check_job_free);
	vessel_wizard_set_message(self, NULL);
	vessel_wizard_busy(self, 1);
	vessel_wizard_show_page(self, WIZARD_PAGE_CHECKING);
	g_task_run_in_thread(task, check_thread);
}

/* --- actions --- */

static void next_activated(GtkWidget *w, const char *name, GVariant *param)
{
	VesselWizard *self = VESSEL_WIZARD(w);
	enum wizard_page page;

	if (!self->check || self->page != WIZARD_PAGE_PROBLEM)
		return;
	page = next_page(self->check->result.state);
	vessel_wizard_set_message(self, NULL);
	if (page == WIZARD_PAGE_FINAL)
		vessel_wizard_fill_final(self);
	else
		vessel_wizard_fill_fix(self, page);
	vessel_wizard_show_page(self, page);
	/* The user is off to fix it (perhaps across a reboot): check again on the next start. */
	if (page == WIZARD_PAGE_FIRMWARE || page == WIZARD_PAGE_ACCESS)
		vessel_wizard_pending_save(self->state_file, self->check->result.state,
					   page == WIZARD_PAGE_ACCESS ? "access" : "firmware");
}

static void back_activated(GtkWidget *w, const char *name, GVariant *param)
{
	VesselWizard *self = VESSEL_WIZARD(w);

	if (self->check && self->page != WIZARD_PAGE_CHECKING)
		vessel_wizard_show_page(self, WIZARD_PAGE_PROBLEM);
}

static void recheck_activated(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_wizard_recheck(VESSEL_WIZARD(w));
}

static void fwattr_activated(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_wizard_enable_fwattr(VESSEL_WIZARD(w));
}

static void restart_activated(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_wizard_ask_restart(VESSEL_WIZARD(w));
}

static void load_activated(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_wizard_load_module(VESSEL_WIZARD(w));
}

static void access_activated(GtkWidget *w, const char *name, GVariant *param)
{
	vessel_wizard_install_access(VESSEL_WIZARD(w));
}

/* --- the object --- */

static void vessel_wizard_dispose(GObject *obj)
{
	VesselWizard *self = VESSEL_WIZARD(obj);

	g_cancellable_cancel(self->cancel);
	if (self->dialog) {
		GtkWindow *d = self->dialog;

		g_object_remove_weak_pointer(G_OBJECT(d), (gpointer *)&self->dialog);
		self->dialog = NULL;
		gtk_window_destroy(d);
	}
	gtk_widget_dispose_template(GTK_WIDGET(obj), VESSEL_TYPE_WIZARD);
	G_OBJECT_CLASS(vessel_wizard_parent_class)->dispose(obj);
}

static void vessel_wizard_finalize(GObject *obj)
{
	VesselWizard *self = VESSEL_WIZARD(obj);

	g_free(self->root);
	g_free(self->state_file);
	g_clear_object(&self->broker_bus);
	g_clear_object(&self->logind_bus);
	g_clear_object(&self->cancel);
	g_free(self->check);
	g_ptr_array_unref(self->card_rows);
	G_OBJECT_CLASS(vessel_wizard_parent_class)->finalize(obj);
}

static void vessel_wizard_class_init(VesselWizardClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = vessel_wizard_dispose;
	G_OBJECT_CLASS(klass)->finalize = vessel_wizard_finalize;
	signals[SIGNAL_CHECKED] = g_signal_new("checked", G_TYPE_FROM_CLASS(klass),
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE "/ui/vessel-wizard.ui");
	gtk_widget_class_bind_template_child(wc, VesselWizard, stack);
	gtk_widget_class_bind_template_child(wc, VesselWizard, problem_status);
	gtk_widget_class_bind_template_child(wc, VesselWizard, pending_label);
	gtk_widget_class_bind_template_child(wc, VesselWizard, next_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, back_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, fix_title);
	gtk_widget_class_bind_template_child(wc, VesselWizard, fix_summary);
	gtk_widget_class_bind_template_child(wc, VesselWizard, card_group);
	gtk_widget_class_bind_template_child(wc, VesselWizard, steps_box);
	gtk_widget_class_bind_template_child(wc, VesselWizard, fwattr_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, restart_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, load_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, access_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, recheck_button);
	gtk_widget_class_bind_template_child(wc, VesselWizard, message);
	gtk_widget_class_bind_template_child(wc, VesselWizard, final_status);
	gtk_widget_class_bind_template_child(wc, VesselWizard, final_box);
	gtk_widget_class_bind_template_child(wc, VesselWizard, success_status);
	gtk_widget_class_install_action(wc, "wizard.next", NULL, next_activated);
	gtk_widget_class_install_action(wc, "wizard.back", NULL, back_activated);
	gtk_widget_class_install_action(wc, "wizard.recheck", NULL, recheck_activated);
	gtk_widget_class_install_action(wc, "wizard.enable-fwattr", NULL, fwattr_activated);
	gtk_widget_class_install_action(wc, "wizard.restart-firmware", NULL, restart_activated);
	gtk_widget_class_install_action(wc, "wizard.load-module", NULL, load_activated);
	gtk_widget_class_install_action(wc, "wizard.install-access", NULL, access_activated);
}

static void vessel_wizard_init(VesselWizard *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->cancel = g_cancellable_new();
	self->card_rows = g_ptr_array_new();
}

VesselWizard *vessel_wizard_new(GtkWindow *parent, const struct vessel_wizard_config *config)
{
	VesselWizard *self = g_object_new(VESSEL_TYPE_WIZARD, NULL);
	const struct vessel_wizard_config none = { 0 };
	const struct vessel_wizard_config *c = config ? config : &none;

	if (parent)
		gtk_window_set_transient_for(GTK_WINDOW(self), parent);
	self->root = g_strdup(c->root ? c->root : "/");
	self->probes = c->probes ? c->probes : hostcheck_system_probes();
	self->broker_bus = c->broker_bus ? g_object_ref(c->broker_bus) : NULL;
	self->logind_bus = c->logind_bus ? g_object_ref(c->logind_bus) : NULL;
	self->state_file = c->state_file ? g_strdup(c->state_file)
					 : vessel_wizard_default_state_file();
	vessel_wizard_pending_load(self->state_file, &self->pending);
	vessel_wizard_recheck(self);
	return self;
}

const char *vessel_wizard_get_page(VesselWizard *self)
{
	return page_names[self->page];
}

int vessel_wizard_get_state(VesselWizard *self)
{
	return self->check ? (int)self->check->result.state : -1;
}

const char *vessel_wizard_get_message(VesselWizard *self)
{
	if (!gtk_widget_get_visible(GTK_WIDGET(self->message)))
		return NULL;
	return gtk_label_get_text(self->message);
}

GtkWindow *vessel_wizard_get_dialog(VesselWizard *self)
{
	return self->dialog;
}

gboolean vessel_wizard_is_busy(VesselWizard *self)
{
	return self->calls > 0;
}
