// SPDX-License-Identifier: GPL-2.0-or-later
/* VM1.SaveSnapshot: a snapshot of the running VM into its folder's snapshot tree. */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "control-common.h"
#include "control-private.h"
#include "display-hub.h"
#include "snapshot-store.h"
#include "snapshot.h"
#include "vm.h"

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

/* Until disks have overlays, a VM that can write a disk cannot be snapshotted consistently. */
static const char *writable_disk(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg.ndisks; i++)
		if (!vm->cfg.disks[i].readonly && !vm->cfg.disks[i].cdrom)
			return vm->cfg.disks[i].path;
	return NULL;
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

/* VM_CMD_CALL body on the main loop. */
static int save_body(struct vm *vm, struct vm_command *cmd)
{
	struct control_call *call = cmd->arg;
	struct save_job *job = call->job;
	struct control *c = job->c;
	g_autofree char *vmdir = g_path_get_dirname(c->cfg.file);
	g_autofree char *dir = NULL;
	GError *error = NULL;
	int ret;

	dir = snap_begin(vmdir, job->name, job->description, &job->id, &error);
	if (!dir) {
		vm_command_fail(cmd, -EINVAL, "The snapshot cannot be started: %s.", error->message);
		g_clear_error(&error);
		return cmd->result;
	}
	save_thumbnail(c, dir);
	ret = vm_snapshot_save(vm, dir, progress, job, cmd->error, sizeof(cmd->error));
	if (ret)
		return ret;	/* left incomplete: listed as such, never restored */
	if (snap_commit(vmdir, job->id, &error)) {
		vm_command_fail(cmd, -EIO, "The snapshot was written but not recorded: %s.",
				error->message);
		g_clear_error(&error);
		return cmd->result;
	}
	call->reply = g_variant_new("(s)", job->id);
	return 0;
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
	const char *disk = writable_disk(c->vm);
	struct save_job *job;

	if (!c->cfg.file || disk) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_NOT_SUPPORTED,
			!c->cfg.file ? "This VM was started without a .vessel file, so it has no "
			"folder to keep snapshots in." : "This VM can write to the disk %s; "
			"snapshots of writable disks are not supported yet (make it readonly=true "
			"in the .vessel file, or shut down and copy the folder).", disk);
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
