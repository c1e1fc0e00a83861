// SPDX-License-Identifier: GPL-2.0-or-later
/* Disks in snapshots: meta.conf's [disks], fresh overlays on restore, unneeded files removed. */
#include "snapshot-disks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "block/qcow2.h"

#define DISKS_GROUP	"disks"
#define NEW_NAME_TRIES	1000
/* disk.N-ID-K.EXT: N as in [disk.N], ID the snapshot, K a counter. */
#define OURS_PATTERN	"^disk\\.(0|[1-9][0-9]{0,2})-([1-9][0-9]{0,9})-[1-9][0-9]{0,3}" \
			"\\.(qcow2|raw)$"

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_disk_group(const char *g)
{
	return g_str_has_prefix(g, "disk.") && g[5];
}

char *snap_disk_group_of(const struct vessel_file *vf, const char *path)
{
	g_auto(GStrv) groups = g_key_file_get_groups(vf->kf, NULL);

	for (char **g = groups; *g; g++) {
		g_autofree char *file = NULL, *full = NULL;

		if (!is_disk_group(*g))
			continue;
		file = g_key_file_get_string(vf->kf, *g, "file", NULL);
		if (!file || !*file)
			continue;
		full = g_canonicalize_filename(file, vf->dir);
		if (same_file(full, path))
			return g_strdup(*g);
	}
	return NULL;
}

char *snap_disk_relative(const char *vmdir, const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *rdir = realpath(dir, NULL), *rvm = realpath(vmdir, NULL);

	if (rdir && rvm && !strcmp(rdir, rvm))
		return g_path_get_basename(path);
	return g_canonicalize_filename(path, NULL);
}

char *snap_disk_new_path(const char *vmdir, const char *group, const char *id,
			 const char *ext)
{
	struct stat st;

	for (unsigned k = 1; k < NEW_NAME_TRIES; k++) {
		g_autofree char *name = g_strdup_printf("%s-%s-%u.%s", group, id, k, ext);
		char *p = g_build_filename(vmdir, name, NULL);

		if (lstat(p, &st) < 0 && errno == ENOENT)
			return p;
		g_free(p);
	}
	return NULL;
}

static int save_kf(GKeyFile *kf, const char *path, GError **error)
{
	g_autofree char *data = g_key_file_to_data(kf, NULL, NULL);

	if (!g_file_set_contents_full(path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT |
				      G_FILE_SET_CONTENTS_DURABLE, 0644, error))
		return -EIO;
	return 0;
}

int snap_disks_record(const char *snapdir, char **groups, char **files, unsigned n,
		      GError **error)
{
	g_autofree char *path = g_build_filename(snapdir, "meta.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, error))
		return -EIO;
	g_key_file_remove_group(kf, DISKS_GROUP, NULL);
	for (unsigned i = 0; i < n; i++)
		g_key_file_set_string(kf, DISKS_GROUP, groups[i], files[i]);
	return save_kf(kf, path, error);
}

/* A new overlay (qcow2) or reflink clone (raw) of the frozen file, at a fresh name. */
static char *fresh_copy(const char *vmdir, const char *group, const char *frozen,
			const char *id, GError **error)
{
	struct blk_open_opts o = { .read_only = true };
	char err[512] = "";
	struct blk *b;
	char *dst;
	int ret = blk_open(frozen, &o, &b, err, sizeof(err));

	if (ret) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", err);
		return NULL;
	}
	dst = snap_disk_new_path(vmdir, group, id, b->drv->name);
	ret = dst ? blk_snapshot(b, dst, err, sizeof(err)) : -EEXIST;
	blk_close(b);
	if (ret) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", group,
			    dst ? err : "no free file name for its overlay");
		g_free(dst);
		return NULL;
	}
	return dst;
}

static void unlink_all(GPtrArray *made)
{
	for (unsigned i = 0; i < made->len; i++)
		unlink(made->pdata[i]);
}

/* Every recorded disk must still be a [disk.N] of vf, with a frozen file name. */
static int restore_check(struct vessel_file *vf, GKeyFile *meta, char **keys, GError **error)
{
	for (char **k = keys; *k; k++) {
		g_autofree char *v = g_key_file_get_string(meta, DISKS_GROUP, *k, NULL);

		if (!is_disk_group(*k) || !v || !*v) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the snapshot's "
				    "meta.conf has a bad disk entry '%s'", *k);
			return -EINVAL;
		}
		if (!g_key_file_has_group(vf->kf, *k)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the snapshot has a "
				    "disk [%s] that the .vessel file no longer has; add the group "
				    "back to restore it", *k);
			return -EINVAL;
		}
	}
	return 0;
}

int snap_disks_restore(struct vessel_file *vf, const char *snapdir, const char *id,
		       GError **error)
{
	g_autofree char *path = g_build_filename(snapdir, "meta.conf", NULL);
	g_autoptr(GKeyFile) meta = g_key_file_new();
	g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) keys = NULL;
	int ret;

	if (!g_key_file_load_from_file(meta, path, G_KEY_FILE_NONE, error))
		return -EIO;
	keys = g_key_file_get_keys(meta, DISKS_GROUP, NULL, NULL);
	if (!keys)
		return 0;	/* no writable disks at the time */
	ret = restore_check(vf, meta, keys, error);
	for (char **k = keys; *k && !ret; k++) {
		g_autofree char *v = g_key_file_get_string(meta, DISKS_GROUP, *k, NULL);
		g_autofree char *frozen = g_canonicalize_filename(v, vf->dir);
		char *dst = fresh_copy(vf->dir, *k, frozen, id, error);

		if (!dst)
			ret = -EIO;
		else
			g_ptr_array_add(made, dst);
	}
	for (unsigned i = 0; !ret && i < made->len; i++) {
		g_autofree char *rel = snap_disk_relative(vf->dir, made->pdata[i]);

		g_key_file_set_string(vf->kf, keys[i], "file", rel);
	}
	if (!ret && vessel_file_save(vf, error))
		ret = -EIO;
	if (ret)
		unlink_all(made);
	return ret;
}

/* ---- Cleanup: what snapshots made and nothing needs any more ---------------------------- */

struct gc {
	const char *vmdir;
	GHashTable *needed;	/* "dev:ino" of every file something needs */
	GHashTable *busy;	/* ids of incomplete snapshots (a save may be running) */
	GPtrArray *roots;	/* absolute paths whose chains are needed */
	bool unsure;		/* something could not be read: remove nothing */
};

static char *file_key(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return NULL;
	return g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
			       (unsigned long long)st.st_ino);
}

static bool looks_qcow2(const char *path)
{
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = pread(fd, magic, 4, 0) == 4 && !memcmp(magic, "QFI\xfb", 4);
	close(fd);
	return yes;
}

static void mark(struct gc *gc, const char *path)
{
	char *key = file_key(path);

	if (key)
		g_hash_table_add(gc->needed, key);
}

/* A root and everything below it in its backing chain. */
static void mark_chain(struct gc *gc, const char *path)
{
	struct qcow2_info *info;
	char err[256];

	mark(gc, path);
	if (!looks_qcow2(path))
		return;
	if (qcow2_info(path, &info, err, sizeof(err))) {
		gc->unsure = true;
		return;
	}
	for (unsigned i = 1; i < info->chain_len; i++)
		mark(gc, info->chain[i].path);
	if (info->chain_error[0])
		gc->unsure = true;
	qcow2_info_free(info);
}

static void add_root(struct gc *gc, const char *file)
{
	if (file && *file)
		g_ptr_array_add(gc->roots, g_canonicalize_filename(file, gc->vmdir));
}

static void roots_of_vessel(struct gc *gc, const char *vessel_path)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, vessel_path, G_KEY_FILE_NONE, NULL)) {
		gc->unsure = true;
		return;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		g_autofree char *file = g_key_file_get_string(kf, *g, "file", NULL);

		if (is_disk_group(*g))
			add_root(gc, file);
	}
}

static void roots_of_snapshot(struct gc *gc, const char *dir, const char *id)
{
	g_autofree char *path = g_build_filename(dir, "meta.conf", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) keys = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
		gc->unsure = true;
		return;
	}
	if (!g_key_file_get_boolean(kf, "snapshot", "complete", NULL))
		g_hash_table_add(gc->busy, g_strdup(id));
	keys = g_key_file_get_keys(kf, DISKS_GROUP, NULL, NULL);
	for (char **k = keys; k && *k; k++) {
		g_autofree char *file = g_key_file_get_string(kf, DISKS_GROUP, *k, NULL);

		add_root(gc, file);
	}
}

static void roots_of_snapshots(struct gc *gc)
{
	g_autofree char *root = g_build_filename(gc->vmdir, "snapshots", NULL);
	g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *dir = g_build_filename(root, name, NULL);

		if (g_file_test(dir, G_FILE_TEST_IS_DIR))
			roots_of_snapshot(gc, dir, name);
	}
}

/* Our files in the VM folder; those of a save in progress count as roots. */
static GPtrArray *candidates(struct gc *gc)
{
	g_autoptr(GRegex) re = g_regex_new(OURS_PATTERN, 0, 0, NULL);
	g_autoptr(GDir) d = g_dir_open(gc->vmdir, 0, NULL);
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (re && d && (name = g_dir_read_name(d))) {
		g_autoptr(GMatchInfo) m = NULL;
		g_autofree char *id = NULL;
		char *path;

		if (!g_regex_match(re, name, 0, &m))
			continue;
		id = g_match_info_fetch(m, 2);
		path = g_build_filename(gc->vmdir, name, NULL);
		if (g_hash_table_contains(gc->busy, id))
			g_ptr_array_add(gc->roots, path);
		else if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(list, path);
		else
			g_free(path);
	}
	return list;
}

unsigned snap_disks_gc(const char *vmdir, const char *vessel_path)
{
	struct gc gc = {
		.vmdir = vmdir,
		.needed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.roots = g_ptr_array_new_with_free_func(g_free),
	};
	GPtrArray *list;
	unsigned removed = 0;

	roots_of_vessel(&gc, vessel_path);
	roots_of_snapshots(&gc);
	list = candidates(&gc);
	for (unsigned i = 0; i < gc.roots->len && !gc.unsure; i++)
		mark_chain(&gc, gc.roots->pdata[i]);
	for (unsigned i = 0; i < list->len && !gc.unsure; i++) {
		g_autofree char *key = file_key(list->pdata[i]);

		if (key && !g_hash_table_contains(gc.needed, key) && !unlink(list->pdata[i]))
			removed++;
	}
	g_ptr_array_free(list, TRUE);
	g_ptr_array_free(gc.roots, TRUE);
	g_hash_table_destroy(gc.needed);
	g_hash_table_destroy(gc.busy);
	return removed;
}
