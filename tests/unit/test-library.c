// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM library: folders from library.conf, resolving names, creating VMs (and undoing). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>

#include "library.h"
#include "tap.h"

static char *home;

static void write_file(const char *path, const char *text)
{
	g_autofree char *dir = g_path_get_dirname(path);

	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(path, text, -1, NULL);
}

static void test_default_folder(void)
{
	g_auto(GStrv) folders = vessel_library_folders();
	g_autofree char *want = g_build_filename(home, "Virtual Machines", NULL);

	ok(folders[0] && !strcmp(folders[0], want) && !folders[1],
	   "without library.conf the one folder is ~/Virtual Machines");
}

static void test_create_and_resolve(void)
{
	struct vessel_new_vm n = { .name = "Alpha", .memory = 256 << 20, .cpus = 2,
				   .disk_size = 8 << 20 };
	g_autofree char *file = g_build_filename(home, "Virtual Machines", "Alpha", "Alpha.vessel",
						 NULL);
	g_autofree char *disk = g_build_filename(home, "Virtual Machines", "Alpha", "disk.qcow2",
						 NULL);
	GError *error = NULL;
	struct vessel_file *vf = vessel_vm_create(&n, &error);
	char *path;

	ok(vf && !strcmp(vf->path, file), "create makes ~/Virtual Machines/Alpha/Alpha.vessel");
	ok(vf && vf->ndisks == 1 && vf->disks[0].bus == VM_DISK_AHCI && vf->cpus == 2 &&
	   vf->memory == 256 << 20, "with its disk on AHCI, 2 CPUs, 256 MiB");
	ok(g_file_test(disk, G_FILE_TEST_IS_REGULAR), "the qcow2 disk exists");
	vessel_file_free(vf);
	path = vessel_library_resolve("Alpha", &error);
	ok(path && !strcmp(path, file), "the name resolves to the file");
	g_free(path);
	g_autofree char *folder = g_path_get_dirname(file);
	path = vessel_library_resolve(folder, &error);
	ok(path && !strcmp(path, file), "the folder resolves to the file");
	g_free(path);
	path = vessel_library_resolve("Nope", &error);
	ok(!path && error && strstr(error->message, "no VM 'Nope'") &&
	   strstr(error->message, "Virtual Machines"), "an unknown name says where it looked");
	g_clear_error(&error);
	vf = vessel_vm_create(&n, &error);
	ok(!vf && error, "creating the same name again fails");
	ok(g_file_test(file, G_FILE_TEST_IS_REGULAR), "and leaves the first VM alone");
	g_clear_error(&error);
}

static void test_create_bad_cdrom_undone(void)
{
	struct vessel_new_vm n = { .name = "Beta", .memory = 128 << 20, .cpus = 1,
				   .disk_size = 4 << 20, .cdrom = "/nonexistent/install.iso" };
	g_autofree char *folder = g_build_filename(home, "Virtual Machines", "Beta", NULL);
	GError *error = NULL;
	struct vessel_file *vf = vessel_vm_create(&n, &error);

	ok(!vf && error && strstr(error->message, "install.iso"),
	   "a missing install medium is named: %s", error ? error->message : "");
	ok(!g_file_test(folder, G_FILE_TEST_EXISTS), "and nothing is left behind");
	g_clear_error(&error);
}

static void test_conf_and_recent(void)
{
	g_autofree char *conf = g_build_filename(home, ".config", "vessel", "library.conf", NULL);
	g_autofree char *other = g_build_filename(home, "Other", NULL);
	g_autofree char *text = g_strdup_printf("[library]\nfolders=%s;Virtual Machines;\n", other);
	g_autofree char *gamma = g_build_filename(other, "Gamma", "Gamma.vessel", NULL);
	g_autofree char *loose = g_build_filename(home, "loose", "Delta.vessel", NULL);
	struct vessel_new_vm n = { .dir = other, .name = "Gamma", .memory = 64 << 20, .cpus = 1 };
	GError *error = NULL;
	struct vessel_file *vf;
	g_auto(GStrv) folders = NULL, list = NULL;

	write_file(conf, text);
	folders = vessel_library_folders();
	ok(folders[0] && !strcmp(folders[0], other) && folders[1] && !folders[2],
	   "library.conf lists two folders, the relative one taken from home");
	vf = vessel_vm_create(&n, &error);
	ok(vf != NULL, "a VM in the other folder");
	vessel_file_free(vf);
	n.dir = g_build_filename(home, "loose", NULL);
	n.name = "Delta";
	g_free((char *)n.dir);
	write_file(loose, "[vm]\nname=Delta\nmemory=64M\ncpus=1\n");
	ok(vessel_library_add_recent(loose, &error) == 0, "add a recent file");
	ok(vessel_library_add_recent(gamma, &error) == 0, "and another");
	list = vessel_library_list();
	ok(list[0] && !strcmp(list[0], gamma), "the list starts with the first folder's VM");
	ok(list[1] && strstr(list[1], "Alpha.vessel"), "then the second folder's");
	ok(list[2] && !strcmp(list[2], loose) && !list[3],
	   "then recent files not in a folder, each once");
}

int main(void)
{
	char tmpl[] = "/tmp/vessel-library-XXXXXX";

	home = mkdtemp(tmpl);
	g_setenv("HOME", home, TRUE);
	g_setenv("XDG_CONFIG_HOME", g_build_filename(home, ".config", NULL), TRUE);
	test_default_folder();
	test_create_and_resolve();
	test_create_bad_cdrom_undone();
	test_conf_and_recent();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", home);
	if (system(cmd))
		ok(0, "cleanup");
	return tap_done();
}
