// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl snapshot save|list|restore|delete: a VM folder's snapshot tree. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl-json.h"
#include "ctl-vm-private.h"
#include "ctl-vm.h"
#include "ctl.h"
#include "snapshot-store.h"

static void usage(FILE *f)
{
	fputs("Usage: vesselctl snapshot save VM NAME [--description TEXT]\n"
	      "       vesselctl snapshot list VM [--json]\n"
	      "       vesselctl snapshot restore VM ID [--force]\n"
	      "       vesselctl snapshot delete VM ID\n\n"
	      "save: snapshot the running VM (its whole state: CPUs, devices, memory).\n"
	      "list: the tree of snapshots; * marks the one the VM continues from.\n"
	      "restore: start the VM from snapshot ID. A running VM's current state is lost, so\n"
	      "         it must be stopped first, or --force powers it off.\n"
	      "delete: remove a snapshot; its children keep everything they need.\n", f);
	fputs(ctl_vm_exit_help, f);
}

struct save_wait {
	GMainLoop *loop;
	GAsyncResult *result;
	FILE *out;
	bool tty;
};

static void on_progress(VesselVM1 *proxy, const char *id, double fraction, gpointer data)
{
	struct save_wait *w = data;
	int width = 30, done = (int)(fraction * width + 0.5);

	if (!w->tty)
		return;
	fprintf(w->out, "\r  saving snapshot %s [%.*s%*s] %3d%%", id, done,
		"##############################", width - done, "", (int)(fraction * 100 + 0.5));
	fflush(w->out);
}

static void on_saved(GObject *src, GAsyncResult *res, gpointer data)
{
	struct save_wait *w = data;

	w->result = g_object_ref(res);
	g_main_loop_quit(w->loop);
}

static int snap_save(struct ctl_vm *vm, const char *name, const char *desc, FILE *out,
		     FILE *err)
{
	struct save_wait w = { .loop = g_main_loop_new(NULL, FALSE), .out = out,
			       .tty = isatty(fileno(out)) };
	g_autofree char *id = NULL;
	GError *error = NULL;
	gulong h = g_signal_connect(vm->proxy, "snapshot-progress", G_CALLBACK(on_progress), &w);
	int ret = 0;

	/* No D-Bus timeout: a large VM takes as long as its memory takes to write. */
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(vm->proxy), G_MAXINT);
	vessel_vm1_call_save_snapshot(vm->proxy, name, desc ? desc : "", NULL, on_saved, &w);
	g_main_loop_run(w.loop);
	g_signal_handler_disconnect(vm->proxy, h);
	if (w.tty)
		fputc('\n', out);
	if (!vessel_vm1_call_save_snapshot_finish(vm->proxy, &id, w.result, &error)) {
		fprintf(err, "vesselctl snapshot save: %s: %s\n", vm->vf->name,
			ctl_error_message(error));
		g_clear_error(&error);
		ret = CTL_EXIT_FAILED;
	} else {
		fprintf(out, "%s: saved snapshot %s ('%s')\n", vm->vf->name, id, name);
	}
	g_object_unref(w.result);
	g_main_loop_unref(w.loop);
	return ret;
}

/* Depth-first from the roots, children indented under their parent. */
static void print_tree(const struct snap_meta *l, unsigned n, const char *parent, int depth,
		       FILE *out)
{
	char when[32];

	for (unsigned i = 0; i < n && depth < 64; i++) {
		if (strcmp(l[i].parent, parent))
			continue;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&(time_t){ l[i].created }));
		fprintf(out, "%c %*s%-4s %-30s %s%s\n", l[i].current ? '*' : ' ', 2 * depth, "",
			l[i].id, l[i].name, l[i].broken ? "damaged" : when,
			l[i].broken ? "" : !l[i].complete ? "  (incomplete: cannot be restored)" : "");
		print_tree(l, n, l[i].id, depth + 1, out);
	}
}

static int snap_list_cmd(struct ctl_vm *vm, bool json, FILE *out)
{
	unsigned n;
	struct snap_meta *l = snap_list(vm->vf->dir, &n);
	struct ctl_json j;

	if (json) {
		ctl_json_init(&j, out);
		ctl_json_begin_array(&j, NULL);
		for (unsigned i = 0; i < n; i++) {
			ctl_json_begin_object(&j, NULL);
			ctl_json_string(&j, "id", l[i].id);
			ctl_json_string(&j, "parent", l[i].parent[0] ? l[i].parent : NULL);
			ctl_json_string(&j, "name", l[i].name);
			ctl_json_string(&j, "description", l[i].description);
			ctl_json_int(&j, "created", l[i].created);
			ctl_json_bool(&j, "complete", l[i].complete && !l[i].broken);
			ctl_json_bool(&j, "current", l[i].current);
			ctl_json_end_object(&j);
		}
		ctl_json_end_array(&j);
		ctl_json_finish(&j);
	} else if (!n) {
		fprintf(out, "%s has no snapshots; take one with 'vesselctl snapshot save'.\n",
			vm->vf->name);
	} else {
		print_tree(l, n, "", 0, out);
		/* Orphans (a parent that is gone): shown as roots so nothing hides. */
		for (unsigned i = 0; i < n; i++) {
			bool found = !l[i].parent[0];

			for (unsigned k = 0; k < n && !found; k++)
				found = !strcmp(l[k].id, l[i].parent);
			if (!found)
				print_tree(l, n, l[i].parent, 0, out);
		}
	}
	snap_list_free(l, n);
	return 0;
}

static int snap_restore(struct ctl_vm *vm, const char *id, bool force, FILE *out, FILE *err)
{
	g_autofree char *dir = NULL;
	GError *error = NULL;

	dir = snap_restorable_dir(vm->vf->dir, id, &error);
	if (!dir) {
		fprintf(err, "vesselctl snapshot restore: %s\n", error->message);
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	vm->conn = vessel_control_connect(vm->socket, NULL, NULL);
	if (vm->conn && !force) {
		fprintf(err, "vesselctl snapshot restore: '%s' is running and its current state "
			"would be lost; stop it first, or pass --force to power it off\n",
			vm->vf->name);
		return CTL_EXIT_FAILED;
	}
	if (vm->conn) {
		g_dbus_connection_call_sync(vm->conn, NULL, VESSEL_VM_OBJECT_PATH,
			"io.github.vesselvm.Vessel.VM1", "PowerOff", NULL, NULL,
			G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
		if (!ctl_wait_closed(vm, 30)) {
			fprintf(err, "vesselctl snapshot restore: '%s' did not stop\n", vm->vf->name);
			return CTL_EXIT_FAILED;
		}
		g_clear_object(&vm->conn);
		fprintf(out, "%s: powered off\n", vm->vf->name);
	}
	if (snap_set_current(vm->vf->dir, id, &error)) {
		fprintf(err, "vesselctl snapshot restore: %s\n", error->message);
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	fprintf(out, "%s: restoring snapshot %s\n", vm->vf->name, id);
	return ctl_run_headless(vm, dir, out, err);
}

int ctl_snapshot(int argc, char **argv, FILE *out, FILE *err)
{
	g_autofree char *desc = NULL;
	gboolean json = FALSE, force = FALSE, help = FALSE;
	GOptionEntry entries[] = {
		{ "description", 0, 0, G_OPTION_ARG_STRING, &desc, "What it is", "TEXT" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON for scripts", NULL },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force, "Power off a running VM", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	const char *sub;
	GError *error = NULL;
	struct ctl_vm vm;
	int ret;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	sub = argc > 1 ? argv[1] : "";
	if (help || !((!strcmp(sub, "list") && argc == 3) ||
		      (strstr("|save|restore|delete|", sub) && *sub && argc == 4))) {
		usage(help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	ret = ctl_vm_open("snapshot", argv[2], !strcmp(sub, "save"), &vm, err);
	if (ret)
		return ret;
	if (!strcmp(sub, "save"))
		ret = snap_save(&vm, argv[3], desc, out, err);
	else if (!strcmp(sub, "list"))
		ret = snap_list_cmd(&vm, json, out);
	else if (!strcmp(sub, "restore"))
		ret = snap_restore(&vm, argv[3], force, out, err);
	else if (snap_delete(vm.vf->dir, argv[3], &error)) {
		fprintf(err, "vesselctl snapshot delete: %s\n", error->message);
		g_clear_error(&error);
		ret = CTL_EXIT_FAILED;
	} else {
		fprintf(out, "%s: deleted snapshot %s\n", vm.vf->name, argv[3]);
	}
	ctl_vm_close(&vm);
	return ret;
}
