// SPDX-License-Identifier: GPL-2.0-or-later
// VesselApplication: activate shows the library; open shows (or raises) a window per VM.
#include "vessel-application.h"
#include "vessel-wizard.h"
#include "vessel-library-window.h"
#include "vessel-vm-window.h"
#include "vessel-ui.h"

struct _VesselApplication {
	AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE(VesselApplication, vessel_application, ADW_TYPE_APPLICATION)

static VesselVmWindow *find_vm_window(GtkApplication *app, const char *path)
{
	for (GList *l = gtk_application_get_windows(app); l; l = l->next) {
		if (VESSEL_IS_VM_WINDOW(l->data) &&
		    !g_strcmp0(vessel_vm_window_get_path(l->data), path))
			return l->data;
	}
	return NULL;
}

static void remember_recent(const char *path)
{
	g_autoptr(GError) error = NULL;

	if (vessel_library_add_recent(path, &error) < 0)
		g_warning("%s", error->message);
}

static void vessel_application_open(GApplication *app, GFile **files, int n,
				    const char *hint)
{
	for (int i = 0; i < n; i++) {
		g_autofree char *path = g_file_get_path(files[i]);
		VesselVmWindow *win;

		if (!path) {
			g_autofree char *uri = g_file_get_uri(files[i]);

			g_warning("%s is not a local file; Vessel opens .vessel files on disk", uri);
			continue;
		}
		/* a second `vessel FILE` raises the window the first one opened */
		win = find_vm_window(GTK_APPLICATION(app), path);
		if (!win) {
			win = vessel_vm_window_new(GTK_APPLICATION(app), path);
			if (!vessel_vm_window_get_error(win)) {
				remember_recent(vessel_vm_window_get_path(win));
				vessel_vm_window_start(win, NULL);	/* double-click runs it */
			}
		}
		gtk_window_present(GTK_WINDOW(win));
	}
}

/*
 * The first time Vessel opens, the virtualization wizard checks this computer (and says so
 * when all is well). $XDG_STATE_HOME/vessel/first-run-done remembers it; VESSEL_NO_WIZARD=1
 * (tests) skips it.
 */
static void maybe_first_run(GtkWindow *parent)
{
	g_autofree char *dir = g_build_filename(g_get_user_state_dir(), "vessel", NULL);
	g_autofree char *mark = g_build_filename(dir, "first-run-done", NULL);

	if (g_getenv("VESSEL_NO_WIZARD") || g_file_test(mark, G_FILE_TEST_EXISTS))
		return;
	g_mkdir_with_parents(dir, 0700);
	g_file_set_contents(mark, "", 0, NULL);
	gtk_window_present(GTK_WINDOW(vessel_wizard_new(parent, NULL)));
}

static void vessel_application_activate(GApplication *app)
{
	for (GList *l = gtk_application_get_windows(GTK_APPLICATION(app)); l; l = l->next) {
		if (VESSEL_IS_LIBRARY_WINDOW(l->data)) {
			gtk_window_present(l->data);
			return;
		}
	}
	VesselLibraryWindow *lib = vessel_library_window_new(GTK_APPLICATION(app), NULL);

	gtk_window_present(GTK_WINDOW(lib));
	maybe_first_run(GTK_WINDOW(lib));
}

static void vessel_application_startup(GApplication *app)
{
	G_APPLICATION_CLASS(vessel_application_parent_class)->startup(app);
	vessel_ui_init();
	gtk_window_set_default_icon_name(VESSEL_APP_ID);
}

static void vessel_application_class_init(VesselApplicationClass *klass)
{
	GApplicationClass *ac = G_APPLICATION_CLASS(klass);

	ac->startup = vessel_application_startup;
	ac->activate = vessel_application_activate;
	ac->open = vessel_application_open;
}

static void vessel_application_init(VesselApplication *self)
{
}

VesselApplication *vessel_application_new(void)
{
	return g_object_new(VESSEL_TYPE_APPLICATION, "application-id", VESSEL_APP_ID,
			    "flags", G_APPLICATION_HANDLES_OPEN, NULL);
}
