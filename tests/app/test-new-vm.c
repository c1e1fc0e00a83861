// SPDX-License-Identifier: GPL-2.0-or-later
// The new VM assistant: host defaults, and a valid VM folder made through the window's action.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-library-window.h"
#include "vessel-new-vm-window.h"
#include "vessel-new-vm.h"

#include <glib/gstdio.h>

static void test_defaults(void)
{
	uint64_t m;
	unsigned c;

	vessel_new_vm_defaults(16ull << 30, 8, &m, &c);
	ok(m == 4ull << 30 && c == 2, "16 GiB, 8 CPUs host: 4 GiB (the cap), 2 CPUs");
	vessel_new_vm_defaults(6ull << 30, 4, &m, &c);
	ok(m == 1536ull << 20 && c == 2, "6 GiB host: a quarter, 1.5 GiB");
	vessel_new_vm_defaults((1ull << 30) + 12345, 1, &m, &c);
	ok(m == 512ull << 20 && c == 1, "small host: at least 512 MiB, never more CPUs than it has");
	vessel_new_vm_defaults((10ull << 30) + 777, 3, &m, &c);
	ok(!(m & ((1ull << 20) - 1)), "always whole MiB, as .vessel files need");
	vessel_new_vm_defaults(0, 0, &m, &c);
	ok(m == 512ull << 20 && c == 1, "unknown host figures still give usable values");
}

static void on_created(VesselNewVmWindow *w, const char *path, char **out)
{
	g_free(*out);
	*out = g_strdup(path);
}

/* The qcow2 header: magic "QFI\xfb" and the virtual size at offset 24 (big-endian). */
static uint64_t qcow2_size(const char *path)
{
	g_autofree char *data = NULL;
	uint64_t size = 0;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL) || len < 32 ||
	    memcmp(data, "QFI\xfb", 4))
		return 0;
	for (int i = 24; i < 32; i++)
		size = size << 8 | (guint8)data[i];
	return size;
}

static VesselNewVmWindow *fill(const char *folder, const char *name, const char *iso,
			       char **created)
{
	VesselNewVmWindow *w = vessel_new_vm_window_new(NULL, folder);

	g_signal_connect(w, "created", G_CALLBACK(on_created), created);
	vessel_new_vm_window_set_name(w, name);
	vessel_new_vm_window_set_iso(w, iso);
	vessel_new_vm_window_set_memory_mib(w, 1024);
	vessel_new_vm_window_set_cpus(w, 2);
	vessel_new_vm_window_set_disk_gib(w, 8);
	return w;
}

static void test_create(const char *tmp)
{
	g_autofree char *folder = g_build_filename(tmp, "Virtual Machines", NULL);
	g_autofree char *iso = g_build_filename(tmp, "install.iso", NULL);
	g_autofree char *created = NULL, *missing = g_build_filename(tmp, "nope.iso", NULL);
	g_autofree char *left = g_build_filename(folder, "No ISO", NULL);
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf = NULL;
	VesselNewVmWindow *w;
	uint64_t m;
	unsigned c;

	g_file_set_contents(iso, "CD001", -1, NULL);
	w = fill(folder, "", iso, &created);
	vessel_new_vm_host_defaults(&m, &c);
	app_test_show(GTK_WINDOW(w), 520, 600);
	gtk_widget_activate_action(GTK_WIDGET(w), "new-vm.create", NULL);
	ok(!created && vessel_new_vm_window_get_error(w) &&
	   strstr(vessel_new_vm_window_get_error(w), "name"), "no name: an inline message");
	vessel_new_vm_window_set_name(w, "Debian Test");
	ok(!vessel_new_vm_window_get_error(w), "typing a name clears the message");
	ok(app_test_screenshot(GTK_WIDGET(w), "new-vm") || !g_getenv("VESSEL_SCREENSHOT_DIR"),
	   "screenshot of the assistant");
	gtk_widget_activate_action(GTK_WIDGET(w), "new-vm.create", NULL);
	ok(created && g_str_has_suffix(created, "/Virtual Machines/Debian Test/Debian Test.vessel"),
	   "new-vm.create makes FOLDER/NAME/NAME.vessel (the library folder created too)");
	ok(created && vessel_file_load(created, &vf, &error) == 0,
	   "the new file loads with the project's parser");
	if (vf) {
		ok(vf->memory == 1ull << 30 && vf->cpus == 2, "memory and CPUs as entered");
		ok(vf->ndisks == 1 && vf->disks[0].bus == VM_DISK_AHCI &&
		   !strcmp(vf->disks[0].file, "disk.qcow2"), "one AHCI disk, disk.qcow2");
		is_int(qcow2_size(vf->disks[0].path), 8ull << 30, "the disk is an 8 GiB qcow2 image");
		ok(vf->cdrom && !strcmp(vf->cdrom, iso), "the ISO is the CD-ROM");
		vessel_file_free(vf);
	}

	g_clear_pointer(&created, g_free);
	w = fill(folder, "Debian Test", iso, &created);
	gtk_widget_activate_action(GTK_WIDGET(w), "new-vm.create", NULL);
	ok(!created && vessel_new_vm_window_get_error(w) &&
	   strstr(vessel_new_vm_window_get_error(w), "exists") &&
	   strstr(vessel_new_vm_window_get_error(w), "Debian Test"),
	   "the same name again is refused: %s", vessel_new_vm_window_get_error(w));
	gtk_window_destroy(GTK_WINDOW(w));

	w = fill(folder, "No ISO", missing, &created);
	gtk_widget_activate_action(GTK_WIDGET(w), "new-vm.create", NULL);
	ok(!created && vessel_new_vm_window_get_error(w) &&
	   strstr(vessel_new_vm_window_get_error(w), "cdrom"),
	   "a missing ISO is refused by the parser: %s", vessel_new_vm_window_get_error(w));
	ok(!g_file_test(left, G_FILE_TEST_EXISTS), "and nothing is left behind");
	gtk_window_destroy(GTK_WINDOW(w));
	ok(m >= 512ull << 20 && m <= 4ull << 30 && c >= 1 && c <= 2,
	   "the window starts from this host's defaults");
}

static gboolean has_new_vm_window(void)
{
	g_autoptr(GList) l = gtk_window_list_toplevels();

	for (GList *i = l; i; i = i->next)
		if (VESSEL_IS_NEW_VM_WINDOW(i->data) && gtk_widget_get_visible(i->data))
			return TRUE;
	return FALSE;
}

static void test_from_library(const char *tmp)
{
	g_autofree char *conf = g_build_filename(tmp, "library.conf", NULL);
	VesselLibraryWindow *lib;

	lib = vessel_library_window_new(NULL, conf);
	gtk_widget_activate_action(GTK_WIDGET(lib), "library.new-vm", NULL);
	app_test_wait(100);
	ok(has_new_vm_window(), "library.new-vm opens the assistant");
}

int main(void)
{
	g_autofree char *tmp = NULL;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	test_defaults();
	tmp = app_test_tmpdir();
	test_create(tmp);
	test_from_library(tmp);
	app_test_rmtree(tmp);
	return tap_done();
}
