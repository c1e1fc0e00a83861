// SPDX-License-Identifier: GPL-2.0-or-later
// Creating a new VM: host-based defaults, then the folder, .vessel file and qcow2 disk.
#include "vessel-new-vm.h"

#include <errno.h>
#include <unistd.h>

#include "block/qcow2.h"

#define DISK_FILE "disk.qcow2"

void vessel_new_vm_defaults(uint64_t host_ram, unsigned host_cpus, uint64_t *memory,
			    unsigned *cpus)
{
	uint64_t m = host_ram / 4;

	m &= ~((1ull << 20) - 1);
	m = MAX(m, VESSEL_NEW_VM_MEMORY_FLOOR);
	*memory = MIN(m, VESSEL_NEW_VM_MEMORY_CAP);
	*cpus = CLAMP(host_cpus, 1, VESSEL_NEW_VM_CPUS);
}

void vessel_new_vm_host_defaults(uint64_t *memory, unsigned *cpus)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;

	vessel_new_vm_defaults(ram, g_get_num_processors(), memory, cpus);
}

static int add_disk(struct vessel_file *vf, uint64_t size, GError **error)
{
	g_autofree char *path = g_build_filename(vf->dir, DISK_FILE, NULL);
	char msg[256] = "";
	int ret;

	if (size > VESSEL_NEW_VM_DISK_MAX) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
			    "a disk of more than 64 TiB is not supported");
		return -EINVAL;
	}
	ret = qcow2_create(path, size, NULL, NULL, 0, msg, sizeof(msg));
	if (ret < 0) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot create the disk %s: %s", path, *msg ? msg : g_strerror(-ret));
		return ret;
	}
	g_key_file_set_string(vf->kf, "disk.0", "file", DISK_FILE);
	g_key_file_set_string(vf->kf, "disk.0", "bus", "ahci");
	return 0;
}

/* Remove what vessel_new_vm_create made: the two files it writes and the folder. */
static void undo_create(const char *dir, const char *vessel_path)
{
	g_autofree char *disk = g_build_filename(dir, DISK_FILE, NULL);

	unlink(disk);
	unlink(vessel_path);
	rmdir(dir);
}

static int fill(struct vessel_file *vf, const struct vessel_new_vm_spec *p, GError **error)
{
	int ret = 0;

	if (p->disk_size)
		ret = add_disk(vf, p->disk_size, error);
	if (!ret && p->iso && *p->iso) {
		g_autofree char *iso = g_canonicalize_filename(p->iso, NULL);

		g_key_file_set_string(vf->kf, "cdrom", "file", iso);
	}
	if (!ret)
		ret = vessel_file_save(vf, error);
	return ret;
}

struct vessel_file *vessel_new_vm_create(const struct vessel_new_vm_spec *p, GError **error)
{
	struct vessel_file *vf, *checked = NULL;
	g_autofree char *dir = NULL, *path = NULL;

	if (g_mkdir_with_parents(p->folder, 0755) < 0) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot create the library folder %s: %s", p->folder,
			    g_strerror(errno));
		return NULL;
	}
	vf = vessel_file_create(p->folder, p->name, p->memory, p->cpus, error);
	if (!vf)
		return NULL;
	dir = g_strdup(vf->dir);
	path = g_strdup(vf->path);
	/* reload: the parser checks the disk and ISO exactly as the helper will */
	if (fill(vf, p, error) < 0 || vessel_file_load(path, &checked, error) < 0) {
		vessel_file_free(vf);
		undo_create(dir, path);
		return NULL;
	}
	vessel_file_free(vf);
	return checked;
}
