// SPDX-License-Identifier: GPL-2.0-or-later
// The VM list the library window shows: library.conf (folders, recent files), and the scan.
#include "vessel-vm-list.h"

#include <errno.h>
#include <string.h>

#define GROUP "library"

static GPtrArray *strv_to_array(char **v)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (; v && *v; v++)
		if (**v)
			g_ptr_array_add(a, g_canonicalize_filename(*v, g_get_home_dir()));
	return a;
}

static char *default_conf_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "vessel", "library.conf", NULL);
}

static char *default_folder(void)
{
	return g_build_filename(g_get_home_dir(), "Virtual Machines", NULL);
}

struct vessel_vm_list *vessel_vm_list_load(const char *conf_path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) folders = NULL, recent = NULL;
	struct vessel_vm_list *lib = g_new0(struct vessel_vm_list, 1);

	lib->conf_path = conf_path ? g_strdup(conf_path) : default_conf_path();
	if (!g_key_file_load_from_file(kf, lib->conf_path, G_KEY_FILE_NONE, &e) &&
	    !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		g_set_error(error, e->domain, e->code, "%s: %s", lib->conf_path, e->message);
		vessel_vm_list_free(lib);
		return NULL;
	}
	folders = g_key_file_get_string_list(kf, GROUP, "folders", NULL, NULL);
	recent = g_key_file_get_string_list(kf, GROUP, "recent", NULL, NULL);
	lib->folders = strv_to_array(folders);
	lib->recent = strv_to_array(recent);
	if (!folders)
		g_ptr_array_add(lib->folders, default_folder());
	while (lib->recent->len > VESSEL_VM_LIST_RECENT_MAX)
		g_ptr_array_remove_index(lib->recent, lib->recent->len - 1);
	return lib;
}

void vessel_vm_list_free(struct vessel_vm_list *lib)
{
	if (!lib)
		return;
	if (lib->folders)
		g_ptr_array_unref(lib->folders);
	if (lib->recent)
		g_ptr_array_unref(lib->recent);
	g_free(lib->conf_path);
	g_free(lib);
}

gboolean vessel_vm_list_save(struct vessel_vm_list *lib, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *dir = g_path_get_dirname(lib->conf_path);

	g_key_file_set_string_list(kf, GROUP, "folders",
				   (const char *const *)lib->folders->pdata, lib->folders->len);
	g_key_file_set_string_list(kf, GROUP, "recent",
				   (const char *const *)lib->recent->pdata, lib->recent->len);
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	return g_key_file_save_to_file(kf, lib->conf_path, error);
}

void vessel_vm_list_add_recent(struct vessel_vm_list *lib, const char *path)
{
	char *abs = g_canonicalize_filename(path, NULL);

	for (guint i = 0; i < lib->recent->len; i++) {
		if (!strcmp(lib->recent->pdata[i], abs)) {
			g_ptr_array_remove_index(lib->recent, i);
			break;
		}
	}
	g_ptr_array_insert(lib->recent, 0, abs);
	while (lib->recent->len > VESSEL_VM_LIST_RECENT_MAX)
		g_ptr_array_remove_index(lib->recent, lib->recent->len - 1);
}

const char *vessel_vm_list_default_folder(struct vessel_vm_list *lib)
{
	if (!lib->folders->len)
		g_ptr_array_add(lib->folders, default_folder());
	return lib->folders->pdata[0];
}

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

static gboolean is_vessel_name(const char *name)
{
	return g_str_has_suffix(name, ".vessel") && name[0] != '.';
}

/* DIR/NAME.vessel (and DIR/SUB/NAME.vessel if descend) into found, a set of paths. */
static void scan_dir(const char *dir, GHashTable *found, gboolean descend)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		if (is_vessel_name(name) && g_file_test(p, G_FILE_TEST_IS_REGULAR))
			g_hash_table_add(found, g_steal_pointer(&p));
		else if (descend && name[0] != '.' && g_file_test(p, G_FILE_TEST_IS_DIR))
			scan_dir(p, found, FALSE);
	}
}

static int entry_cmp(gconstpointer a, gconstpointer b)
{
	const struct vessel_vm_list_entry *x = *(void *const *)a, *y = *(void *const *)b;
	g_autofree char *fx = g_utf8_casefold(x->name, -1), *fy = g_utf8_casefold(y->name, -1);
	int c = g_utf8_collate(fx, fy);

	return c ? c : strcmp(x->path, y->path);
}

GPtrArray *vessel_vm_list_scan(struct vessel_vm_list *lib)
{
	g_autoptr(GHashTable) found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							    NULL);
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)vessel_vm_list_entry_free);
	GHashTableIter it;
	gpointer key;

	for (guint i = 0; i < lib->folders->len; i++)
		scan_dir(lib->folders->pdata[i], found, TRUE);
	for (guint i = 0; i < lib->recent->len; i++)
		if (g_file_test(lib->recent->pdata[i], G_FILE_TEST_IS_REGULAR))
			g_hash_table_add(found, g_strdup(lib->recent->pdata[i]));
	g_hash_table_iter_init(&it, found);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(out, entry_new(key));
	g_ptr_array_sort(out, entry_cmp);
	return out;
}
