// SPDX-License-Identifier: GPL-2.0-or-later
/* The user's VM library: library.conf (folders, recent files), the scan, resolving names. */
#include "library.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIBRARY_GROUP	"library"

static char *default_conf_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "vessel", "library.conf", NULL);
}

/* A list from the key file as absolute paths (relative ones from home), empties dropped. */
static GPtrArray *path_list(GKeyFile *kf, const char *key, guint max)
{
	g_auto(GStrv) v = g_key_file_get_string_list(kf, LIBRARY_GROUP, key, NULL, NULL);
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	for (char **p = v; p && *p && a->len < max; p++)
		if (**p)
			g_ptr_array_add(a, g_canonicalize_filename(*p, g_get_home_dir()));
	return a;
}

static void fill_lists(struct vessel_library *lib)
{
	lib->folders = path_list(lib->kf, "folders", G_MAXUINT);
	lib->recent = path_list(lib->kf, "recent", VESSEL_LIBRARY_RECENT_MAX);
	if (!lib->folders->len)
		g_ptr_array_add(lib->folders,
				g_build_filename(g_get_home_dir(), "Virtual Machines", NULL));
}

struct vessel_library *vessel_library_new_default(const char *conf_path)
{
	struct vessel_library *lib = g_new0(struct vessel_library, 1);

	lib->conf_path = conf_path ? g_strdup(conf_path) : default_conf_path();
	lib->kf = g_key_file_new();
	lib->keep_file = true;
	fill_lists(lib);
	return lib;
}

struct vessel_library *vessel_library_load(const char *conf_path, GError **error)
{
	struct vessel_library *lib = g_new0(struct vessel_library, 1);
	g_autoptr(GError) e = NULL;

	lib->conf_path = conf_path ? g_strdup(conf_path) : default_conf_path();
	lib->kf = g_key_file_new();
	if (!g_key_file_load_from_file(lib->kf, lib->conf_path, G_KEY_FILE_KEEP_COMMENTS, &e) &&
	    !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		g_set_error(error, e->domain, e->code, "%s: %s", lib->conf_path, e->message);
		vessel_library_free(lib);
		return NULL;
	}
	fill_lists(lib);
	return lib;
}

void vessel_library_free(struct vessel_library *lib)
{
	if (!lib)
		return;
	if (lib->folders)
		g_ptr_array_unref(lib->folders);
	if (lib->recent)
		g_ptr_array_unref(lib->recent);
	if (lib->kf)
		g_key_file_free(lib->kf);
	g_free(lib->conf_path);
	g_free(lib);
}

int vessel_library_save(struct vessel_library *lib, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(lib->conf_path);
	int err;

	if (lib->keep_file) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s does not parse; it is left as it is (fix or remove it)",
			    lib->conf_path);
		return -EINVAL;
	}
	g_key_file_set_string_list(lib->kf, LIBRARY_GROUP, "folders",
				   (const char *const *)lib->folders->pdata, lib->folders->len);
	g_key_file_set_string_list(lib->kf, LIBRARY_GROUP, "recent",
				   (const char *const *)lib->recent->pdata, lib->recent->len);
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		err = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
			    "cannot create %s: %s", dir, g_strerror(err));
		return -err;
	}
	/* g_file_set_contents underneath: a temp file renamed over the old one */
	return g_key_file_save_to_file(lib->kf, lib->conf_path, error) ? 0 : -EIO;
}

void vessel_library_push_recent(struct vessel_library *lib, const char *path)
{
	char *abs = g_canonicalize_filename(path, NULL);

	for (guint i = 0; i < lib->recent->len; i++) {
		if (!strcmp(lib->recent->pdata[i], abs)) {
			g_ptr_array_remove_index(lib->recent, i);
			break;
		}
	}
	g_ptr_array_insert(lib->recent, 0, abs);
	while (lib->recent->len > VESSEL_LIBRARY_RECENT_MAX)
		g_ptr_array_remove_index(lib->recent, lib->recent->len - 1);
}

const char *vessel_library_first_folder(const struct vessel_library *lib)
{
	return lib->folders->pdata[0];
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

		if (name[0] != '.' && g_file_test(file, G_FILE_TEST_IS_REGULAR))
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

char **vessel_library_scan(const struct vessel_library *lib)
{
	GPtrArray *out = g_ptr_array_new();

	for (unsigned i = 0; i < lib->folders->len; i++)
		scan_folder(lib->folders->pdata[i], out);
	for (unsigned i = 0; i < lib->recent->len; i++) {
		const char *p = lib->recent->pdata[i];

		if (g_file_test(p, G_FILE_TEST_IS_REGULAR) && !listed(out, p))
			g_ptr_array_add(out, g_strdup(p));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* The default library; a malformed library.conf reads as the defaults here. */
static struct vessel_library *default_library(void)
{
	struct vessel_library *lib = vessel_library_load(NULL, NULL);

	return lib ? lib : vessel_library_new_default(NULL);
}

static char **strv_of(GPtrArray *a)
{
	char **v = g_new0(char *, a->len + 1);

	for (guint i = 0; i < a->len; i++)
		v[i] = g_strdup(a->pdata[i]);
	return v;
}

char **vessel_library_folders(void)
{
	struct vessel_library *lib = default_library();
	char **v = strv_of(lib->folders);

	vessel_library_free(lib);
	return v;
}

char *vessel_library_default_folder(void)
{
	struct vessel_library *lib = default_library();
	char *dir = g_strdup(vessel_library_first_folder(lib));

	vessel_library_free(lib);
	return dir;
}

char **vessel_library_recent(void)
{
	struct vessel_library *lib = default_library();
	char **v = strv_of(lib->recent);

	vessel_library_free(lib);
	return v;
}

int vessel_library_add_recent(const char *path, GError **error)
{
	struct vessel_library *lib = vessel_library_load(NULL, error);
	int ret;

	if (!lib)
		return -EINVAL;
	vessel_library_push_recent(lib, path);
	ret = vessel_library_save(lib, error);
	vessel_library_free(lib);
	return ret;
}

char **vessel_library_list(void)
{
	struct vessel_library *lib = default_library();
	char **v = vessel_library_scan(lib);

	vessel_library_free(lib);
	return v;
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
