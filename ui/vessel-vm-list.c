// SPDX-License-Identifier: GPL-2.0-or-later
// The library window's rows: app/library.c finds the VMs, each is loaded here for its row.
#include "vessel-vm-list.h"

#include <string.h>

char *vessel_vm_summary(const struct vessel_file *vf)
{
	g_autofree char *mem = g_format_size_full(vf->memory, G_FORMAT_SIZE_IEC_UNITS);
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, vf->cpus == 1 ? "%u CPU" : "%u CPUs", vf->cpus);
	g_string_append_printf(s, " · %s memory", mem);
	if (vf->ndisks)
		g_string_append_printf(s, vf->ndisks == 1 ? " · %u disk" : " · %u disks",
				       vf->ndisks);
	if (vf->cdrom)
		g_string_append(s, " · CD-ROM");
	return g_string_free(s, FALSE);
}

void vessel_vm_list_entry_free(struct vessel_vm_list_entry *e)
{
	if (!e)
		return;
	g_free(e->path);
	g_free(e->name);
	g_free(e->summary);
	g_free(e->error);
	g_free(e->thumbnail);
	g_free(e);
}

static struct vessel_vm_list_entry *entry_new(const char *path)
{
	struct vessel_vm_list_entry *e = g_new0(struct vessel_vm_list_entry, 1);
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *shot = g_build_filename(dir, "screenshot.png", NULL);
	struct vessel_file *vf = NULL;

	e->path = g_strdup(path);
	if (vessel_file_load(path, &vf, &error) == 0) {
		e->name = g_strdup(vf->name);
		e->summary = vessel_vm_summary(vf);
		vessel_file_free(vf);
	} else {
		e->name = g_path_get_basename(path);
		e->error = g_strdup(error->message);
	}
	if (g_file_test(shot, G_FILE_TEST_IS_REGULAR))
		e->thumbnail = g_steal_pointer(&shot);
	return e;
}

static int entry_cmp(gconstpointer a, gconstpointer b)
{
	const struct vessel_vm_list_entry *x = *(void *const *)a, *y = *(void *const *)b;
	g_autofree char *fx = g_utf8_casefold(x->name, -1), *fy = g_utf8_casefold(y->name, -1);
	int c = g_utf8_collate(fx, fy);

	return c ? c : strcmp(x->path, y->path);
}

GPtrArray *vessel_vm_list_scan(const struct vessel_library *lib)
{
	g_auto(GStrv) paths = vessel_library_scan(lib);
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)vessel_vm_list_entry_free);

	for (char **p = paths; *p; p++)
		g_ptr_array_add(out, entry_new(*p));
	g_ptr_array_sort(out, entry_cmp);
	return out;
}
