// SPDX-License-Identifier: GPL-2.0-or-later
// The VM library (library.conf, scan) and its window and the VM window, under Xvfb.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-library-window.h"
#include "vessel-vm-window.h"
#include "vessel-settings-window.h"

#include <glib/gstdio.h>

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);

	g_file_set_contents(p, text, -1, NULL);
	return p;
}

/* library.conf through app/library.c, the one implementation the window uses too. */
static void test_conf(const char *tmp)
{
	g_autofree char *conf = g_build_filename(tmp, "cfg", "vessel", "library.conf", NULL);
	g_autofree char *bad = write_file(tmp, "bad.conf", "[library\nfolders=");
	g_autofree char *home_vms = g_build_filename(g_get_home_dir(), "Virtual Machines", NULL);
	g_autofree char *text = NULL, *bad_after = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_library *lib = vessel_library_load(conf, &error);

	ok(lib && lib->folders->len == 1 && !strcmp(lib->folders->pdata[0], home_vms) &&
	   lib->recent->len == 0, "no library.conf: ~/Virtual Machines, no recent files");
	for (int i = 0; i < VESSEL_LIBRARY_RECENT_MAX + 5; i++) {
		g_autofree char *p = g_strdup_printf("/vms/%d.vessel", i);

		vessel_library_push_recent(lib, p);
	}
	vessel_library_push_recent(lib, "/vms/3.vessel");
	is_int(lib->recent->len, VESSEL_LIBRARY_RECENT_MAX, "recent list is capped");
	ok(!strcmp(lib->recent->pdata[0], "/vms/3.vessel") &&
	   !strcmp(lib->recent->pdata[1], "/vms/24.vessel"),
	   "re-opening moves a file to the front without duplicating it");
	g_free(lib->folders->pdata[0]);
	lib->folders->pdata[0] = g_strdup(tmp);
	g_key_file_set_comment(lib->kf, NULL, NULL, " kept by every save", NULL);
	ok(vessel_library_save(lib, &error) == 0, "library.conf saved (its folder created)");
	vessel_library_free(lib);
	lib = vessel_library_load(conf, &error);
	ok(lib && lib->folders->len == 1 && !strcmp(lib->folders->pdata[0], tmp) &&
	   lib->recent->len == VESSEL_LIBRARY_RECENT_MAX &&
	   !strcmp(lib->recent->pdata[0], "/vms/3.vessel"), "and read back the same");
	vessel_library_free(lib);
	g_file_get_contents(conf, &text, NULL, NULL);
	ok(text && strstr(text, "# kept by every save"), "comments in library.conf survive");
	g_clear_error(&error);
	lib = vessel_library_load(bad, &error);
	ok(!lib && error && strstr(error->message, "bad.conf"),
	   "a malformed library.conf is an error naming it: %s", error ? error->message : "");
	lib = vessel_library_new_default(bad);
	g_clear_error(&error);
	ok(vessel_library_save(lib, &error) < 0 && error, "and is never overwritten: %s",
	   error ? error->message : "");
	vessel_library_free(lib);
	g_file_get_contents(bad, &bad_after, NULL, NULL);
	ok(bad_after && !strcmp(bad_after, "[library\nfolders="), "the malformed file is as it was");
}

/* A 4x3 PNG as FOLDER/screenshot.png: the row's thumbnail. */
static void write_screenshot(const char *dir)
{
	static const guint8 px[4 * 3 * 4] = { [0 ... 47] = 0x80 };
	g_autoptr(GBytes) bytes = g_bytes_new_static(px, sizeof(px));
	g_autoptr(GdkTexture) tex = gdk_memory_texture_new(4, 3, GDK_MEMORY_DEFAULT, bytes, 16);
	g_autofree char *p = g_build_filename(dir, "screenshot.png", NULL);

	gdk_texture_save_to_png(tex, p);
}

static const char *row_title(VesselLibraryWindow *w, guint i)
{
	AdwActionRow *row = vessel_library_window_get_row(w, i);

	return row ? adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)) : "";
}

static const char *row_subtitle(VesselLibraryWindow *w, guint i)
{
	AdwActionRow *row = vessel_library_window_get_row(w, i);

	return row ? adw_action_row_get_subtitle(row) : "";
}

static gboolean has_settings_window(void)
{
	g_autoptr(GList) l = gtk_window_list_toplevels();

	for (GList *i = l; i; i = i->next)
		if (VESSEL_IS_SETTINGS_WINDOW(i->data) && gtk_widget_get_visible(i->data))
			return TRUE;
	return FALSE;
}

static void test_vm_windows(const char *good, const char *broken)
{
	VesselVmWindow *w = vessel_vm_window_new(NULL, good);

	app_test_show(GTK_WINDOW(w), 800, 600);
	ok(!vessel_vm_window_get_error(w) &&
	   !g_strcmp0(gtk_window_get_title(GTK_WINDOW(w)), "Zeta Linux") &&
	   !strcmp(vessel_vm_window_get_path(w), good),
	   "VM window: titled with the VM's name, keyed by its absolute path");
	app_test_screenshot(GTK_WIDGET(w), "vm-window");
	gtk_widget_activate_action(GTK_WIDGET(w), "vm.settings", NULL);
	app_test_wait(100);
	ok(has_settings_window(), "vm.settings opens the VM's settings");
	gtk_window_destroy(GTK_WINDOW(w));

	w = vessel_vm_window_new(NULL, broken);
	app_test_show(GTK_WINDOW(w), 800, 600);
	ok(vessel_vm_window_get_error(w) && strstr(vessel_vm_window_get_error(w), "uuid"),
	   "a file that does not load opens a window saying why, never an empty one");
	app_test_screenshot(GTK_WIDGET(w), "vm-window-error");
	gtk_window_destroy(GTK_WINDOW(w));
}

static void test_window(const char *tmp)
{
	g_autofree char *vms = g_build_filename(tmp, "vms", NULL);
	g_autofree char *other = g_build_filename(tmp, "elsewhere", NULL);
	g_autofree char *conf = NULL, *broken = NULL, *outside_path = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_file *a, *b, *outside;
	VesselLibraryWindow *win;
	struct vessel_library *lib;

	g_mkdir_with_parents(vms, 0755);
	g_mkdir_with_parents(other, 0755);
	conf = g_strdup_printf("[library]\nfolders=%s;\n", vms);
	conf = write_file(tmp, "library.conf", conf);
	win = vessel_library_window_new(NULL, conf);
	app_test_show(GTK_WINDOW(win), 720, 560);
	ok(vessel_library_window_is_empty(win) && vessel_library_window_get_n_rows(win) == 0,
	   "no VMs: the empty state with its New Virtual Machine button");
	ok(app_test_screenshot(GTK_WIDGET(win), "library-empty") ||
	   !g_getenv("VESSEL_SCREENSHOT_DIR"), "screenshot of the empty library");

	a = vessel_file_create(vms, "Zeta Linux", 2048ull << 20, 4, &error);
	b = vessel_file_create(vms, "Alpha BSD", 512ull << 20, 1, &error);
	outside = vessel_file_create(other, "Recent One", 256ull << 20, 2, &error);
	ok(a && b && outside, "three VMs made with vessel_file_create");
	write_screenshot(a->dir);
	g_autofree char *broken_dir = g_build_filename(vms, "broken", NULL);
	g_autofree char *stray = write_file(vms, "stray.vessel", "[vm]\nname=Stray\n");

	g_mkdir(broken_dir, 0755);
	broken = write_file(broken_dir, "broken.vessel", "[vm]\nname=Broken\nuuid=nope\n");
	outside_path = g_strdup(outside->path);
	lib = vessel_library_window_get_library(win);
	vessel_library_push_recent(lib, outside_path);
	gtk_widget_activate_action(GTK_WIDGET(win), "library.refresh", NULL);
	app_test_wait(200);

	is_int(vessel_library_window_get_n_rows(win), 4,
	       "library.refresh finds 4 VMs (FOLDER/NAME/NAME.vessel and the recent one, "
	       "not a stray file beside the VM folders)");
	ok(!vessel_library_window_is_empty(win), "the list replaces the empty state");
	ok(!strcmp(row_title(win, 0), "Alpha BSD") && !strcmp(row_title(win, 1), "broken.vessel") &&
	   !strcmp(row_title(win, 2), "Recent One") && !strcmp(row_title(win, 3), "Zeta Linux"),
	   "rows sorted by name; a broken file shows its file name");
	/* g_format_size() puts a no-break space before the unit */
	ok(g_str_has_prefix(row_subtitle(win, 3), "Stopped · 4 CPUs · 2.0") &&
	   g_str_has_suffix(row_subtitle(win, 3), "GiB memory"),
	   "row: state and memory/CPU summary (%s)", row_subtitle(win, 3));
	ok(strstr(row_subtitle(win, 1), "uuid") != NULL,
	   "a file that does not load says why in its row (%s)", row_subtitle(win, 1));

	g_autoptr(GPtrArray) entries = vessel_vm_list_scan(lib);
	const struct vessel_vm_list_entry *z = entries->pdata[3], *al = entries->pdata[0];

	ok(z->thumbnail && g_str_has_suffix(z->thumbnail, "/Zeta Linux/screenshot.png") &&
	   !al->thumbnail, "the VM folder's screenshot.png is the thumbnail, when there is one");
	app_test_screenshot(GTK_WIDGET(win), "library");

	test_vm_windows(a->path, broken);
	gtk_window_destroy(GTK_WINDOW(win));
	vessel_file_free(a);
	vessel_file_free(b);
	vessel_file_free(outside);
}

int main(void)
{
	g_autofree char *tmp = NULL;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	test_conf(tmp);
	test_window(tmp);
	app_test_rmtree(tmp);
	return tap_done();
}
