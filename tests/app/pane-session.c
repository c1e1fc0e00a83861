// SPDX-License-Identifier: GPL-2.0-or-later
// The pane tests' VM: app/session.c starting the real helper, and waits on its state.
#include "pane-session.h"
#include "app-test.h"
#include "../integration/kvm-skip.h"

static void on_state(void *o, const char *state)
{
	struct pane_session *ps = o;

	g_strlcpy(ps->state, state, sizeof(ps->state));
}

static void on_exited(void *o, int status, const char *message)
{
	struct pane_session *ps = o;

	ps->status = status;
	g_free(ps->message);
	ps->message = g_strdup(message);
	ps->exited = TRUE;
}

static const struct vessel_session_callbacks cbs = { .state = on_state, .exited = on_exited };

void pane_session_require_kvm(void)
{
	kvm_skip_unless_usable();
}

static gboolean running(gpointer data)
{
	struct pane_session *ps = data;

	return ps->exited || (vessel_session_vm(ps->s) && !strcmp(ps->state, "running") &&
			      !g_strcmp0(vessel_vm1_get_state(vessel_session_vm(ps->s)), "running"));
}

gboolean pane_session_start(struct pane_session *ps, const char *vessel_path,
			    const char *const *extra_args, guint timeout_ms)
{
	g_autoptr(GError) error = NULL;

	memset(ps, 0, sizeof(*ps));
	ps->s = vessel_session_start(vessel_path, extra_args, &cbs, ps, &error);
	if (!ps->s) {
		diag("the helper did not start: %s", error->message);
		return FALSE;
	}
	if (app_test_wait_for(running, ps, timeout_ms) && !ps->exited)
		return TRUE;
	g_autofree char *msg = g_strdelimit(g_strdup(ps->message ? ps->message : ""), "\n", '|');

	diag("the VM is not running (state '%s', exited %d: %s)", ps->state, ps->status, msg);
	return FALSE;
}

static gboolean has_exited(gpointer data)
{
	return ((struct pane_session *)data)->exited;
}

gboolean pane_session_wait_exit(struct pane_session *ps, guint timeout_ms)
{
	return app_test_wait_for(has_exited, ps, timeout_ms);
}

void pane_session_stop(struct pane_session *ps)
{
	g_clear_pointer(&ps->s, vessel_session_free);
	g_clear_pointer(&ps->message, g_free);
}

static AdwMessageDialog *visible_dialog(void)
{
	GListModel *tops = gtk_window_get_toplevels();

	for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
		g_autoptr(GObject) w = g_list_model_get_item(tops, i);

		if (ADW_IS_MESSAGE_DIALOG(w) && gtk_widget_get_visible(GTK_WIDGET(w)))
			return ADW_MESSAGE_DIALOG(w);
	}
	return NULL;
}

static gboolean have_dialog(gpointer data)
{
	return visible_dialog() != NULL;
}

AdwMessageDialog *pane_test_find_dialog(guint timeout_ms)
{
	app_test_wait_for(have_dialog, NULL, timeout_ms);
	return visible_dialog();
}

GtkWidget *pane_test_find_actionable(GtkWidget *root, const char *action)
{
	if (GTK_IS_ACTIONABLE(root) &&
	    !g_strcmp0(gtk_actionable_get_action_name(GTK_ACTIONABLE(root)), action))
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = pane_test_find_actionable(c, action);

		if (found)
			return found;
	}
	return NULL;
}

GtkWindow *pane_test_window(GtkWidget *w, int width, int height)
{
	GtkWindow *win = GTK_WINDOW(adw_window_new());

	adw_window_set_content(ADW_WINDOW(win), w);
	app_test_show(win, width, height);
	return win;
}
