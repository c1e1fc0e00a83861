// SPDX-License-Identifier: GPL-2.0-or-later
/* A new VM: its folder, NAME.vessel, an empty qcow2 disk and the install medium. */
#include "library.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

#define NEW_DISK_NAME	"disk.qcow2"

/* Remove what vessel_vm_create made, leaving anything else in the folder alone. */
static void undo_create(const char *file)
{
	g_autofree char *dir = g_path_get_dirname(file);
	g_autofree char *disk = g_build_filename(dir, NEW_DISK_NAME, NULL);

	unlink(disk);
	unlink(file);
	rmdir(dir);
}

static int add_disk(struct vessel_file *vf, uint64_t size, GError **error)
{
	g_autofree char *path = g_build_filename(vf->dir, NEW_DISK_NAME, NULL);
	char msg[512];
	int ret = qcow2_create(path, size, NULL, NULL, 0, msg, sizeof(msg));

	if (ret) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot create the disk %s: %s", path, msg);
		return ret;
	}
	g_key_file_set_string(vf->kf, "disk.0", "file", NEW_DISK_NAME);
	g_key_file_set_string(vf->kf, "disk.0", "bus", "ahci");
	return 0;
}

static int add_cdrom(struct vessel_file *vf, const char *iso, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(iso, NULL);

	if (!g_file_test(abs, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
			    "the install medium %s is not a file (choose an .iso image)", abs);
		return -ENOENT;
	}
	g_key_file_set_string(vf->kf, "cdrom", "file", abs);
	return 0;
}

struct vessel_file *vessel_vm_create(const struct vessel_new_vm *n, GError **error)
{
	g_autofree char *dir = n->dir ? g_strdup(n->dir) : vessel_library_default_folder();
	struct vessel_file *vf;
	g_autofree char *path = NULL;
	int ret = 0;

	if (g_mkdir_with_parents(dir, 0755)) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot create the folder %s: %s", dir, g_strerror(errno));
		return NULL;
	}
	vf = vessel_file_create(dir, n->name, n->memory, n->cpus, error);
	if (!vf)
		return NULL;
	if (n->disk_size)
		ret = add_disk(vf, n->disk_size, error);
	if (!ret && n->cdrom)
		ret = add_cdrom(vf, n->cdrom, error);
	if (!ret && (n->disk_size || n->cdrom))
		ret = vessel_file_save(vf, error);
	path = g_strdup(vf->path);
	vessel_file_free(vf);
	/* Load it again so the disk and CD-ROM are checked like any file's. */
	if (ret || vessel_file_load(path, &vf, error) < 0) {
		undo_create(path);
		return NULL;
	}
	return vf;
}
