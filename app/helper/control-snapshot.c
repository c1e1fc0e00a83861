// SPDX-License-Identifier: GPL-2.0-or-later
/* VM1.SaveSnapshot: a snapshot of the running VM and its disks into its folder's tree. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "control-common.h"
#include "control-private.h"
#include "block/block.h"
#include "display-hub.h"
#include "snapshot-disks.h"
#include "snapshot-store.h"
#include "snapshot.h"
#include "vm-devices.h"
#include "vm.h"

/* vm_command_fail, as an expression giving the result. */
#define FAIL(cmd, ret, ...)	(vm_command_fail(cmd, ret, __VA_ARGS__), (cmd)->result)

struct save_job {
	struct control *c;
	char *name, *description;
	char *id;
	double reported;		/* last progress signalled */
};

struct progress_msg {
	struct control *c;
	char *id;
	double fraction;
};

static gboolean emit_progress(gpointer data)
{
	struct progress_msg *m = data;

	vessel_vm1_emit_snapshot_progress(m->c->skel, m->id, m->fraction);
	g_free(m->id);
	g_free(m);
	return G_SOURCE_REMOVE;
}

/* The main loop, during the save: tell clients every 1%. */
static void progress(void *opaque, double fraction)
{
	struct save_job *job = opaque;
	struct progress_msg *m;

	if (fraction < 1 && fraction - job->reported < 0.01)
		return;
	job->reported = fraction;
	m = g_new(struct progress_msg, 1);
	*m = (struct progress_msg){ job->c, g_strdup(job->id), fraction };
	g_main_context_invoke(job->c->ctx, emit_progress, m);
}

/*
 * Disks (snapshot-disks.h). Every writable disk of the VM is frozen in the same pause as the
 * rest of the state: qcow2 disks move to a new overlay, raw disks are reflink-cloned.
 */
struct snap_disk {
	struct blk *b;
	char *group;		/* [disk.N] of the .vessel file */
	char *before;		/* the image the VM used (qcow2: this snapshot's frozen state) */
	char *after;		/* qcow2: the overlay the VM goes on with; raw: the clone */
	bool raw, switched;
};

struct disk_plan {
	struct vessel_file *vf;
	char *vmdir;
	struct snap_disk d[VM_MAX_DISKS];
	unsigned n;
};

static void plan_free(struct disk_plan *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		g_free(p->d[i].group);
		g_free(p->d[i].before);
		g_free(p->d[i].after);
	}
	vessel_file_free(p->vf);
	g_free(p->vmdir);
}

/* Can this raw disk be cloned here? Tried on a scratch name, so a refusal changes nothing. */
static int probe_clone(struct disk_plan *p, struct snap_disk *d, struct vm_command *cmd)
{
	g_autofree char *name = g_strdup_printf(".%s-clone-test.raw", d->group);
	g_autofree char *probe = g_build_filename(p->vmdir, name, NULL);
	g_autofree char *base = g_path_get_basename(d->before);
	char err[512] = "";
	int ret;

	unlink(probe);
	ret = blk_snapshot(d->b, probe, err, sizeof(err));
	unlink(probe);
	if (ret == -ENOTSUP)
		return FAIL(cmd, ret, "The raw disk %s cannot be snapshotted: this filesystem "
			    "cannot clone files. Use a qcow2 disk ('vesselctl disk create NEW.qcow2 "
			    "--backing %s' makes one over it) or a btrfs or XFS folder.", base, base);
	if (ret)
		return FAIL(cmd, ret, "The disk %s cannot be snapshotted: %s.", d->before, err);
	return 0;
}

static int plan_disk(struct disk_plan *p, struct vm *vm, unsigned i, struct vm_command *cmd)
{
	struct snap_disk *d = &p->d[p->n];

	d->b = vm_disk_blk(vm, i);
	if (!d->b)
		return FAIL(cmd, -ENODEV, "The disk %s is not attached to a device.",
			    vm->cfg.disks[i].path);
	d->before = g_strdup(d->b->path);
	d->raw = strcmp(d->b->drv->name, "qcow2") != 0;
	d->group = snap_disk_group_of(p->vf, d->b->path);
	p->n++;
	if (!d->group)
		return FAIL(cmd, -ENOENT, "The disk %s is not in the .vessel file (given on "
			    "the command line?), so a snapshot could not record it.", d->before);
	return d->raw ? probe_clone(p, d, cmd) : 0;
}

/* Before anything changes: the .vessel file, and what each writable disk needs. */
static int plan_disks(struct disk_plan *p, struct control *c, struct vm_command *cmd)
{
	GError *error = NULL;
	int ret = 0;

	p->vmdir = g_path_get_dirname(c->cfg.file);
	if (vessel_file_load(c->cfg.file, &p->vf, &error) < 0) {
		vm_command_fail(cmd, -EIO, "The snapshot cannot be started: %s.",
				error->message);
		g_clear_error(&error);
		return cmd->result;
	}
	for (unsigned i = 0; i < c->vm->cfg.ndisks && !ret; i++)
		if (!c->vm->cfg.disks[i].readonly && !c->vm->cfg.disks[i].cdrom)
			ret = plan_disk(p, c->vm, i, cmd);
	return ret;
}

/* VM paused: freeze every disk. */
static int take_disks(struct disk_plan *p, const char *dir, const char *id,
		      struct vm_command *cmd)
{
	char err[512] = "";
	int ret = 0;

	for (unsigned i = 0; i < p->n && !ret; i++) {
		struct snap_disk *d = &p->d[i];
		g_autofree char *clone = g_strdup_printf("%s.raw", d->group);

		d->after = d->raw ? g_build_filename(dir, clone, NULL) :
			   snap_disk_new_path(p->vmdir, d->group, id, "qcow2");
		ret = d->after ? blk_snapshot(d->b, d->after, err, sizeof(err)) : -EEXIST;
		if (!ret && !d->raw) {
			ret = blk_switch(d->b, d->after, err, sizeof(err));
			if (ret)
				unlink(d->after);
			d->switched = !ret;
		}
		if (ret)
			g_clear_pointer(&d->after, g_free);
	}
	if (ret)
		vm_command_fail(cmd, ret, "The disks cannot be snapshotted: %s.",
				err[0] ? err : "no free file name for an overlay");
	return ret;
}

/* A failed save: the VM goes back to its images as they were; what was made goes. */
static void undo_disks(struct disk_plan *p)
{
	char err[512] = "";

	for (unsigned i = 0; i < p->n; i++) {
		struct snap_disk *d = &p->d[i];

		if (d->switched && blk_switch(d->b, d->before, err, sizeof(err))) {
			vmm_warn("snapshot: cannot return to %s: %s; the VM keeps using %s",
				 d->before, err, d->after);
			continue;
		}
		if (d->after)
			unlink(d->after);
	}
}

/* meta.conf names each disk's frozen file; the .vessel file the overlays the VM now uses. */
static int record_disks(struct disk_plan *p, const char *dir, const char *id,
			struct vm_command *cmd)
{
	char *groups[VM_MAX_DISKS], *files[VM_MAX_DISKS];
	GError *error = NULL;
	int ret;

	for (unsigned i = 0; i < p->n; i++) {
		struct snap_disk *d = &p->d[i];

		groups[i] = d->group;
		files[i] = d->raw ? g_strdup_printf("snapshots/%s/%s.raw", id, d->group) :
			    snap_disk_relative(p->vmdir, d->before);
		if (!d->raw) {
			g_autofree char *rel = snap_disk_relative(p->vmdir, d->after);

			g_key_file_set_string(p->vf->kf, d->group, "file", rel);
		}
	}
	ret = snap_disks_record(dir, groups, files, p->n, &error);
	for (unsigned i = 0; i < p->n; i++)
		g_free(files[i]);
	if (!ret && p->n && vessel_file_save(p->vf, &error))
		ret = -EIO;
	if (ret) {
		vm_command_fail(cmd, ret, "The disks' snapshot cannot be recorded: %s.",
				error->message);
		g_clear_error(&error);
	}
	return ret;
}

static void save_thumbnail(struct control *c, const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "screenshot.png", NULL);
	void *png = NULL;
	size_t len = 0;

	if (c->cfg.hub && !display_hub_screenshot_png(c->cfg.hub, &png, &len))
		g_file_set_contents(path, png, (gssize)len, NULL);	/* a thumbnail: best effort */
	free(png);
}

/*
 * With the VM paused (vCPUs parked, devices quiesced, so no disk request is in flight): the
 * disks, then vm_snapshot_save (which leaves a paused VM paused), then the records.
 */
static int save_paused(struct vm *vm, struct vm_command *cmd, struct disk_plan *p,
		       const char *dir, struct save_job *job)
{
	int ret = take_disks(p, dir, job->id, cmd);

	if (!ret)
		ret = vm_snapshot_save(vm, dir, progress, job, cmd->error, sizeof(cmd->error));
	if (!ret)
		ret = record_disks(p, dir, job->id, cmd);
	if (ret) {
		cmd->result = ret;
		undo_disks(p);
	}
	return ret;
}

/* VM_CMD_CALL body on the main loop. */
static int save_body(struct vm *vm, struct vm_command *cmd)
{
	struct control_call *call = cmd->arg;
	struct save_job *job = call->job;
	struct control *c = job->c;
	g_autofree char *vmdir = g_path_get_dirname(c->cfg.file);
	g_autofree char *dir = NULL;
	struct disk_plan plan = { 0 };
	GError *error = NULL;
	bool user_paused = vm->user_paused;
	int ret = plan_disks(&plan, c, cmd);

	if (ret)
		goto out;
	dir = snap_begin(vmdir, job->name, job->description, &job->id, &error);
	if (!dir) {
		ret = FAIL(cmd, -EINVAL, "The snapshot cannot be started: %s.", error->message);
		g_clear_error(&error);
		goto out;
	}
	save_thumbnail(c, dir);
	vm_pause(vm);
	vm_devices_pause(vm);
	vm->user_paused = true;
	ret = save_paused(vm, cmd, &plan, dir, job);
	if (!ret && snap_commit(vmdir, job->id, &error)) {
		ret = FAIL(cmd, -EIO, "The snapshot was written but not recorded: %s.",
			   error->message);
		g_clear_error(&error);
	}
	vm->user_paused = user_paused;
	if (!user_paused) {
		vm_devices_resume(vm);
		vm_resume(vm);
	}
	if (!ret)
		call->reply = g_variant_new("(s)", job->id);
out:
	plan_free(&plan);
	return ret;	/* a failed save is left incomplete: listed as such, never restored */
}

static void job_free(gpointer data)
{
	struct save_job *job = data;

	g_free(job->name);
	g_free(job->description);
	g_free(job->id);
	g_free(job);
}

static gboolean on_save(VesselVM1 *skel, GDBusMethodInvocation *inv, const char *name,
			const char *description, gpointer data)
{
	struct control *c = data;
	struct save_job *job;

	if (!c->cfg.file) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_NOT_SUPPORTED,
			"This VM was started without a .vessel file, so it has no folder to keep "
			"snapshots in.");
		return TRUE;
	}
	job = g_new0(struct save_job, 1);
	job->c = c;
	job->name = g_strdup(name);
	job->description = g_strdup(description);
	control_submit_job(c, inv, save_body, job, job_free);
	return TRUE;
}

void control_snapshot_setup(struct control *c)
{
	g_signal_connect(c->skel, "handle-save-snapshot", G_CALLBACK(on_save), c);
}
