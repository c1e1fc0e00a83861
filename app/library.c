// SPDX-License-Identifier: GPL-2.0-or-later
/* The user's VM library: folders from library.conf, resolving names, creating VMs. */
#include "library.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define LIBRARY_GROUP	"library"
#define RECENT_MAX	20

static char *conf_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "vessel", "library.conf", NULL);
}

static GKeyFile *conf_load(void)
{
	g_autofree char *path = conf_path();
	GKeyFile *kf = g_key_file_new();

	/* A missing or unreadable file is an empty library configuration. */
	g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	return kf;
}

char *vessel_library_default_folder(void)
{
	g_auto(GStrv) folders = vessel_library_folders();

	return g_strdup(folders[0]);
}

char **vessel_library_folders(void)
{
	g_autoptr(GKeyFile) kf = conf_load();
	gsize n = 0;
	char **list = g_key_file_get_string_list(kf, LIBRARY_GROUP, "folders", &n, NULL);
	GPtrArray *out = g_ptr_array_new();

	for (gsize i = 0; list && i < n; i++) {
		if (list[i][0])
			g_ptr_array_add(out, g_canonicalize_filename(list[i], g_get_home_dir()));
	}
	g_strfreev(list);
	if (!out->len)
		g_ptr_array_add(out, g_build_filename(g_get_home_dir(), "Virtual Machines", NULL));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **vessel_library_recent(void)
{
	g_autoptr(GKeyFile) kf = conf_load();
	char **list = g_key_file_get_string_list(kf, LIBRARY_GROUP, "recent", NULL, NULL);

	return list ? list : g_new0(char *, 1);
}

int vessel_library_add_recent(const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = conf_load();
	g_autofree char *file = conf_path();
	g_autofree char *dir = g_path_get_dirname(file);
	g_auto(GStrv) old = g_key_file_get_string_list(kf, LIBRARY_GROUP, "recent", NULL, NULL);
	g_autoptr(GPtrArray) list = g_ptr_array_new();

	g_ptr_array_add(list, (char *)path);
	for (unsigned i = 0; old && old[i] && list->len < RECENT_MAX; i++)
		if (strcmp(old[i], path))
			g_ptr_array_add(list, old[i]);
	g_key_file_set_string_list(kf, LIBRARY_GROUP, "recent",
				   (const char *const *)list->pdata, list->len);
	if (g_mkdir_with_parents(dir, 0700)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create %s: %s", dir, g_strerror(errno));
		return -errno;
	}
	return g_key_file_save_to_file(kf, file, error) ? 0 : -EIO;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* FOLDER/NAME/NAME.vessel for each subfolder NAME that has one. */
static void scan_folder(const char *folder, GPtrArray *out)
{
	g_autoptr(GDir) d = g_dir_open(folder, 0, NULL);
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *file = g_strdup_printf("%s/%s/%s.vessel", folder, name, name);

		if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(found, file);
		else
			g_free(file);
	}
	g_ptr_array_sort(found, compare_paths);
	for (unsigned i = 0; i < found->len; i++)
		g_ptr_array_add(out, g_strdup(found->pdata[i]));
}

static bool listed(GPtrArray *a, const char *s)
{
	for (unsigned i = 0; i < a->len; i++)
		if (!strcmp(a->pdata[i], s))
			return true;
	return false;
}

char **vessel_library_list(void)
{
	g_auto(GStrv) folders = vessel_library_folders();
	g_auto(GStrv) recent = vessel_library_recent();
	GPtrArray *out = g_ptr_array_new();

	for (unsigned i = 0; folders[i]; i++)
		scan_folder(folders[i], out);
	for (unsigned i = 0; recent[i]; i++)
		if (g_file_test(recent[i], G_FILE_TEST_IS_REGULAR) && !listed(out, recent[i]))
			g_ptr_array_add(out, g_strdup(recent[i]));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* DIR/BASENAME(DIR).vessel if that is a file. */
static char *vessel_in_folder(const char *dir)
{
	g_autofree char *base = g_path_get_basename(dir);
	char *file = g_strdup_printf("%s/%s.vessel", dir, base);

	if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
		return file;
	g_free(file);
	return NULL;
}

char *vessel_library_resolve(const char *what, GError **error)
{
	g_autofree char *abs = g_canonicalize_filename(what, NULL);
	g_auto(GStrv) folders = NULL;
	g_autofree char *looked = NULL;
	char *file;

	if (g_str_has_suffix(what, ".vessel") && g_file_test(abs, G_FILE_TEST_IS_REGULAR))
		return g_steal_pointer(&abs);
	if (g_file_test(abs, G_FILE_TEST_IS_DIR) && (file = vessel_in_folder(abs)))
		return file;
	folders = vessel_library_folders();
	for (unsigned i = 0; !strchr(what, '/') && folders[i]; i++) {
		g_autofree char *dir = g_build_filename(folders[i], what, NULL);

		if ((file = vessel_in_folder(dir)))
			return file;
	}
	looked = g_strjoinv("', '", folders);
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		    "no VM '%s': not a .vessel file, nor a VM folder, nor a VM in '%s' "
		    "(see 'vesselctl list')", what, looked);
	return NULL;
}
