// SPDX-License-Identifier: GPL-2.0-or-later
/* The snapshot tree on disk: meta.conf per node, tree.conf for the current node. */
#include "snapshot-store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROUP		"snapshot"
#define ID_MAX		1000000000ll

static char *snapshots_dir(const char *vmdir)
{
	return g_build_filename(vmdir, "snapshots", NULL);
}

/* A decimal id without sign or leading zeros: it names a folder, so nothing else passes. */
static bool id_ok(const char *id)
{
	char *end;
	long long v;

	if (!id || !*id || strlen(id) > 10 || (id[0] == '0' && id[1]))
		return false;
	for (const char *p = id; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	v = strtoll(id, &end, 10);
	return !*end && v > 0 && v < ID_MAX;
}

static int save_keyfile(GKeyFile *kf, const char *path, GError **error)
{
	g_autofree char *data = g_key_file_to_data(kf, NULL, NULL);

	if (!g_file_set_contents_full(path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT |
				      G_FILE_SET_CONTENTS_DURABLE, 0644, error))
		return -EIO;
	return 0;
}

static char *read_current(const char *vmdir)
{
	g_autofree char *path = g_build_filename(vmdir, "snapshots", "tree.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	char *cur;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		return g_strdup("");
	cur = g_key_file_get_string(kf, "tree", "current", NULL);
	if (!cur || !id_ok(cur)) {
		g_free(cur);
		return g_strdup("");
	}
	return cur;
}

static int write_current(const char *vmdir, const char *id, GError **error)
{
	g_autofree char *path = g_build_filename(vmdir, "snapshots", "tree.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_key_file_set_string(kf, "tree", "current", id);
	return save_keyfile(kf, path, error);
}

static void read_meta(struct snap_meta *m, const char *dir, const char *current)
{
	g_autofree char *path = g_build_filename(dir, "meta.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	GError *error = NULL;

	m->dir = g_strdup(dir);
	m->current = !strcmp(m->id, current);
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
		m->broken = true;
		return;
	}
	m->name = g_key_file_get_string(kf, GROUP, "name", NULL);
	m->description = g_key_file_get_string(kf, GROUP, "description", NULL);
	m->parent = g_key_file_get_string(kf, GROUP, "parent", NULL);
	m->created = g_key_file_get_int64(kf, GROUP, "created", &error);
	m->complete = g_key_file_get_boolean(kf, GROUP, "complete", NULL);
	if (error || !m->name || (m->parent && *m->parent && !id_ok(m->parent)))
		m->broken = true;
	g_clear_error(&error);
	if (!m->parent)
		m->parent = g_strdup("");
	if (!m->name)
		m->name = g_strdup("");
	if (!m->description)
		m->description = g_strdup("");
}

static gint by_number(gconstpointer a, gconstpointer b)
{
	const struct snap_meta *x = a, *y = b;
	long long d = atoll(x->id) - atoll(y->id);

	return d < 0 ? -1 : d > 0;
}

struct snap_meta *snap_list(const char *vmdir, unsigned *n)
{
	g_autofree char *root = snapshots_dir(vmdir);
	g_autofree char *current = read_current(vmdir);
	g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct snap_meta));
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *dir = g_build_filename(root, name, NULL);
		struct snap_meta m = { 0 };

		if (!id_ok(name) || !g_file_test(dir, G_FILE_TEST_IS_DIR))
			continue;
		m.id = g_strdup(name);
		read_meta(&m, dir, current);
		g_array_append_val(a, m);
	}
	g_array_sort(a, by_number);
	*n = a->len;
	return (struct snap_meta *)g_array_free(a, FALSE);
}

void snap_list_free(struct snap_meta *list, unsigned n)
{
	for (unsigned i = 0; list && i < n; i++) {
		g_free(list[i].id);
		g_free(list[i].parent);
		g_free(list[i].name);
		g_free(list[i].description);
		g_free(list[i].dir);
	}
	g_free(list);
}

static int write_meta(const char *dir, const struct snap_meta *m, GError **error)
{
	g_autofree char *path = g_build_filename(dir, "meta.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_key_file_set_string(kf, GROUP, "name", m->name);
	g_key_file_set_string(kf, GROUP, "description", m->description);
	g_key_file_set_string(kf, GROUP, "parent", m->parent);
	g_key_file_set_int64(kf, GROUP, "created", m->created);
	g_key_file_set_boolean(kf, GROUP, "complete", m->complete);
	return save_keyfile(kf, path, error);
}

char *snap_begin(const char *vmdir, const char *name, const char *description, char **id,
		 GError **error)
{
	g_autofree char *root = snapshots_dir(vmdir);
	g_autofree char *current = read_current(vmdir);
	struct snap_meta m = { .name = (char *)name, .description = (char *)description,
			       .parent = current, .created = g_get_real_time() / G_USEC_PER_SEC };
	long long next = 1;
	unsigned n;
	struct snap_meta *list;
	char *dir;

	if (!name || !*name || strlen(name) > 200 || !g_utf8_validate(name, -1, NULL)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "a snapshot needs a name "
			    "of 1 to 200 characters");
		return NULL;
	}
	if (g_mkdir_with_parents(root, 0755)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create %s: %s", root, g_strerror(errno));
		return NULL;
	}
	list = snap_list(vmdir, &n);
	for (unsigned i = 0; i < n; i++)
		next = MAX(next, atoll(list[i].id) + 1);
	snap_list_free(list, n);
	*id = g_strdup_printf("%lld", next);
	dir = g_build_filename(root, *id, NULL);
	if (mkdir(dir, 0755) || write_meta(dir, &m, error) < 0) {
		if (error && !*error)
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
				    "cannot create %s: %s", dir, g_strerror(errno));
		rmdir(dir);
		g_clear_pointer(id, g_free);
		g_free(dir);
		return NULL;
	}
	return dir;
}

/* The node with this id from a fresh listing, or NULL with *error. */
static struct snap_meta *find(struct snap_meta *list, unsigned n, const char *id,
			      GError **error)
{
	for (unsigned i = 0; id_ok(id) && i < n; i++)
		if (!strcmp(list[i].id, id))
			return &list[i];
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		    "there is no snapshot '%s' (see 'vesselctl snapshot list')", id ? id : "");
	return NULL;
}

int snap_commit(const char *vmdir, const char *id, GError **error)
{
	unsigned n;
	struct snap_meta *list = snap_list(vmdir, &n), *m = find(list, n, id, error);
	int ret = -ENOENT;

	if (m && !m->broken) {
		m->complete = true;
		ret = write_meta(m->dir, m, error);
		if (!ret)
			ret = write_current(vmdir, id, error);
	}
	snap_list_free(list, n);
	return ret;
}

int snap_set_current(const char *vmdir, const char *id, GError **error)
{
	unsigned n;
	struct snap_meta *list = snap_list(vmdir, &n), *m = find(list, n, id, error);
	int ret = m ? write_current(vmdir, id, error) : -ENOENT;

	snap_list_free(list, n);
	return ret;
}

char *snap_restorable_dir(const char *vmdir, const char *id, GError **error)
{
	unsigned n;
	struct snap_meta *list = snap_list(vmdir, &n), *m = find(list, n, id, error);
	char *dir = NULL;

	if (m && (m->broken || !m->complete))
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "snapshot %s ('%s') is %s "
			    "and cannot be restored; delete it", id, m->name,
			    m->broken ? "damaged (its meta.conf is unreadable)" :
			    "incomplete (its save was interrupted)");
	else if (m)
		dir = g_strdup(m->dir);
	snap_list_free(list, n);
	return dir;
}

/* rm -r of one snapshot folder: plain files only, nothing followed. */
static int remove_folder(const char *dir, GError **error)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, error);
	const char *name;

	if (!d)
		return -EIO;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		if (unlink(p)) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
				    "cannot remove %s: %s", p, g_strerror(errno));
			return -errno;
		}
	}
	if (rmdir(dir)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot remove %s: %s", dir, g_strerror(errno));
		return -errno;
	}
	return 0;
}

int snap_delete(const char *vmdir, const char *id, GError **error)
{
	unsigned n;
	struct snap_meta *list = snap_list(vmdir, &n), *m = find(list, n, id, error);
	int ret = m ? 0 : -ENOENT;

	/* Children first: if we stop half-way, the tree still makes sense. */
	for (unsigned i = 0; m && !ret && i < n; i++) {
		if (!list[i].broken && !strcmp(list[i].parent, id)) {
			g_free(list[i].parent);
			list[i].parent = g_strdup(m->parent);
			ret = write_meta(list[i].dir, &list[i], error);
		}
	}
	if (m && !ret && m->current)
		ret = write_current(vmdir, m->parent, error);
	if (m && !ret)
		ret = remove_folder(m->dir, error);
	snap_list_free(list, n);
	return ret;
}
