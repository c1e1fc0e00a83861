// SPDX-License-Identifier: GPL-2.0-or-later
/* Disks in the snapshot tree: [disks] records, restore overlays, cleanup, hostile meta.conf. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>

#include "block/block.h"
#include "block/qcow2.h"
#include "snapshot-disks.h"
#include "snapshot-store.h"
#include "tap.h"

static char vm[64];
static char *vessel_path;

static char *in_vm(const char *name)
{
	return g_build_filename(vm, name, NULL);
}

static bool exists(const char *name)
{
	g_autofree char *p = in_vm(name);

	return access(p, F_OK) == 0;
}

static void touch(const char *name)
{
	g_autofree char *p = in_vm(name);

	g_file_set_contents(p, "x", 1, NULL);
}

static char *vessel_disk(void)
{
	g_autofree char *p = in_vm("T.vessel");
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_key_file_load_from_file(kf, p, G_KEY_FILE_NONE, NULL);
	return g_key_file_get_string(kf, "disk.0", "file", NULL);
}

static struct vessel_file *load(void)
{
	g_autofree char *p = in_vm("T.vessel");
	struct vessel_file *vf = NULL;
	GError *error = NULL;

	if (vessel_file_load(p, &vf, &error) < 0) {
		printf("# %s\n", error->message);
		g_clear_error(&error);
	}
	return vf;
}

/* What the helper does for a qcow2 disk: overlay, frozen file recorded, .vessel updated. */
static void save_one(const char *name, const char *id_want)
{
	g_autofree char *dir = NULL, *id = NULL, *cur = vessel_disk(), *curp = in_vm(cur);
	g_autofree char *next = NULL, *rel = NULL;
	struct blk_open_opts o = { .read_only = true };
	struct vessel_file *vf = load();
	char *groups[1] = { "disk.0" }, *files[1] = { cur };
	struct blk *b = NULL;
	char err[256] = "";

	dir = snap_begin(vm, name, "", &id, NULL);
	ok(dir && !strcmp(id, id_want), "snapshot %s begins", id_want);
	next = snap_disk_new_path(vm, "disk.0", id, "qcow2");
	ok(vf && !blk_open(curp, &o, &b, err, sizeof(err)) &&
	   !blk_snapshot(b, next, err, sizeof(err)), "overlay %s made %s", next, err);
	blk_close(b);
	ok(!snap_disks_record(dir, groups, files, 1, NULL), "[disks] recorded");
	if (!vf)
		return;
	rel = snap_disk_relative(vm, next);
	g_key_file_set_string(vf->kf, "disk.0", "file", rel);
	ok(!vessel_file_save(vf, NULL) && !snap_commit(vm, id, NULL), "saved and committed");
	vessel_file_free(vf);
}

static void test_names(void)
{
	struct vessel_file *vf = load();
	g_autofree char *disk = in_vm("disk.qcow2"), *other = in_vm("other.raw");
	g_autofree char *g = NULL, *none = NULL, *p1 = NULL, *p2 = NULL, *rel = NULL;

	if (!vf)
		return;
	touch("other.raw");
	g = snap_disk_group_of(vf, disk);
	none = snap_disk_group_of(vf, other);
	ok(g && !strcmp(g, "disk.0") && !none, "the group of disk.qcow2 is disk.0; others none");
	p1 = snap_disk_new_path(vm, "disk.0", "4", "qcow2");
	touch("disk.0-4-1.qcow2");
	p2 = snap_disk_new_path(vm, "disk.0", "4", "qcow2");
	ok(g_str_has_suffix(p1, "/disk.0-4-1.qcow2") && g_str_has_suffix(p2, "/disk.0-4-2.qcow2"),
	   "new names skip taken ones: %s", p2);
	rel = snap_disk_relative(vm, p2);
	ok(!strcmp(rel, "disk.0-4-2.qcow2"), "a file in the folder is named bare: %s", rel);
	g_clear_pointer(&rel, g_free);
	rel = snap_disk_relative(vm, "/usr/share/x.img");
	ok(!strcmp(rel, "/usr/share/x.img"), "one outside stays absolute");
	vessel_file_free(vf);
}

static void test_restore_and_gc(void)
{
	g_autofree char *cur = NULL, *base = in_vm("disk.qcow2");
	g_autofree char *dir1 = g_build_filename(vm, "snapshots", "1", NULL);
	struct vessel_file *vf;
	struct qcow2_info *info = NULL;
	struct stat st0, st1;
	char err[256];

	save_one("A", "1");
	save_one("B", "2");
	ok(!g_strcmp0(cur = vessel_disk(), "disk.0-2-1.qcow2"), "the VM now uses %s", cur);
	g_clear_pointer(&cur, g_free);
	stat(base, &st0);
	vf = load();
	ok(vf && !snap_disks_restore(vf, dir1, "1", NULL), "restore 1");
	vessel_file_free(vf);
	cur = vessel_disk();
	ok(!g_strcmp0(cur, "disk.0-1-2.qcow2"), "the .vessel file names a fresh overlay: %s", cur);
	{
		g_autofree char *p = in_vm(cur);

		ok(!qcow2_info(p, &info, err, sizeof(err)) && info->chain_len == 2 &&
		   g_str_has_suffix(info->chain[1].path, "/disk.qcow2"),
		   "backed by snapshot 1's frozen disk.qcow2");
		qcow2_info_free(info);
	}
	stat(base, &st1);
	ok(st0.st_mtime == st1.st_mtime && st0.st_size == st1.st_size, "the frozen file untouched");

	touch("disk.0-9-1.qcow2");	/* ours, of no snapshot */
	touch("notes.qcow2");		/* not ours */
	is_int(snap_disks_gc(vm, vessel_path), 3,
	       "cleanup removes 3 files");
	ok(!exists("disk.0-2-1.qcow2") && !exists("disk.0-9-1.qcow2") &&
	   !exists("disk.0-4-1.qcow2"), "the abandoned overlay and strays are gone");
	ok(exists("disk.0-1-1.qcow2") && exists("disk.qcow2") && exists("disk.0-1-2.qcow2") &&
	   exists("notes.qcow2"), "frozen files, the current disk and others' files stay");

	ok(!snap_delete(vm, "1", NULL) && snap_disks_gc(vm, vessel_path)
	   == 0 && exists("disk.qcow2"), "deleting 1 keeps disk.qcow2 (2 and the VM need it)");
	ok(!snap_delete(vm, "2", NULL) && snap_disks_gc(vm, vessel_path)
	   == 1 && !exists("disk.0-1-1.qcow2") && exists("disk.0-1-2.qcow2"),
	   "deleting 2 frees the file only it froze");
}

/* A save in progress (incomplete node) or a damaged meta.conf: cleanup removes nothing. */
static void test_gc_unsure(void)
{
	g_autofree char *id = NULL, *dir = snap_begin(vm, "running", "", &id, NULL);
	g_autofree char *name = g_strdup_printf("disk.0-%s-1.qcow2", id);
	g_autofree char *vessel = in_vm("T.vessel"), *broken = NULL;

	touch(name);
	is_int(snap_disks_gc(vm, vessel), 0, "a save in progress keeps its overlay");
	ok(exists(name), "%s stays", name);
	broken = g_build_filename(dir, "meta.conf", NULL);
	g_file_set_contents(broken, "[snap\n\x01garbage", -1, NULL);
	touch("disk.0-77-1.qcow2");
	is_int(snap_disks_gc(vm, vessel), 0, "a damaged meta.conf stops the cleanup");
	ok(exists("disk.0-77-1.qcow2"), "nothing is guessed away");
}

/* meta.conf is untrusted: bad entries are refused and change nothing. */
static void test_hostile_restore(void)
{
	const char *bad[] = {
		"[disks]\ndisk.5=disk.qcow2\n",		/* a disk the .vessel lacks */
		"[disks]\nfoo=disk.qcow2\n",		/* not a disk group */
		"[disks]\ndisk.0=\n",			/* empty */
		"[disks]\ndisk.0=missing.qcow2\n",	/* no such file */
		"[disks]\ndisk.0=/dev/null\n",		/* not an image */
	};
	g_autofree char *dir = g_build_filename(vm, "snapshots", "50", NULL);
	g_autofree char *meta = g_build_filename(dir, "meta.conf", NULL);
	g_autofree char *before = vessel_disk();

	g_mkdir_with_parents(dir, 0755);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vessel_file *vf = load();
		GError *error = NULL;
		g_autofree char *after = NULL;
		int ret;

		g_file_set_contents(meta, bad[i], -1, NULL);
		ret = vf ? snap_disks_restore(vf, dir, "50", &error) : 0;
		after = vessel_disk();
		ok(ret < 0 && error && !g_strcmp0(before, after) && !exists("disk.0-50-1.qcow2"),
		   "refused, nothing changed: %s", error ? error->message : "(no error)");
		g_clear_error(&error);
		vessel_file_free(vf);
	}
}

int main(void)
{
	g_autofree char *disk = NULL, *vessel = NULL;
	char err[256];

	snprintf(vm, sizeof(vm), "/tmp/vessel-snapdisks-XXXXXX");
	if (!mkdtemp(vm))
		return 1;
	disk = in_vm("disk.qcow2");
	vessel = in_vm("T.vessel");
	vessel_path = vessel;
	ok(!qcow2_create(disk, 1 << 20, NULL, NULL, 0, err, sizeof(err)), "disk.qcow2 made");
	g_file_set_contents(vessel, "[vm]\nname=T\nuuid=2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37\n"
			    "memory=32M\ncpus=1\n\n[disk.0]\nfile=disk.qcow2\nbus=virtio\n"
			    "# kept\nx-unknown=1\n", -1, NULL);
	test_names();
	test_restore_and_gc();
	test_gc_unsure();
	test_hostile_restore();
	{
		g_autofree char *text = NULL;

		g_file_get_contents(vessel, &text, NULL, NULL);
		ok(text && strstr(text, "x-unknown=1"), "unknown .vessel keys survive every save");
	}
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", vm);

		if (system(cmd))
			printf("# could not remove %s\n", vm);
	}
	return tap_done();
}
