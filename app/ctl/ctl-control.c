// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl status/pause/resume/reset/stop/screenshot: a running VM through its control API. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl-json.h"
#include "ctl-vm-private.h"
#include "ctl-vm.h"
#include "ctl.h"
#include "library.h"

const char *ctl_error_message(GError *error)
{
	if (g_dbus_error_is_remote_error(error))
		g_dbus_error_strip_remote_error(error);
	return error->message;
}

static bool connect_vm(struct ctl_vm *vm, GError **error)
{
	vm->conn = vessel_control_connect(vm->socket, NULL, error);
	if (!vm->conn)
		return false;
	vm->proxy = vessel_vm1_proxy_new_sync(vm->conn, G_DBUS_PROXY_FLAGS_NONE, NULL,
					      VESSEL_VM_OBJECT_PATH, NULL, error);
	return vm->proxy != NULL;
}

int ctl_vm_open(const char *cmd, const char *what, bool connect, struct ctl_vm *vm, FILE *err)
{
	g_autofree char *path = NULL;
	GError *error = NULL;

	memset(vm, 0, sizeof(*vm));
	path = vessel_library_resolve(what, &error);
	if (!path || vessel_file_load(path, &vm->vf, &error) < 0) {
		fprintf(err, "vesselctl %s: %s\n", cmd, error->message);
		g_clear_error(&error);
		return CTL_EXIT_USAGE;
	}
	vm->socket = vessel_control_socket_path(vm->vf->uuid, &error);
	if (!vm->socket) {
		fprintf(err, "vesselctl %s: %s\n", cmd, error->message);
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	if (connect && !connect_vm(vm, &error)) {
		fprintf(err, "vesselctl %s: '%s' is not running (nothing answers on %s)\n", cmd,
			vm->vf->name, vm->socket);
		g_clear_error(&error);
		return CTL_EXIT_NOT_RUNNING;
	}
	return 0;
}

void ctl_vm_close(struct ctl_vm *vm)
{
	g_clear_object(&vm->proxy);
	if (vm->conn)
		g_dbus_connection_close_sync(vm->conn, NULL, NULL);
	g_clear_object(&vm->conn);
	g_free(vm->socket);
	vessel_file_free(vm->vf);
	memset(vm, 0, sizeof(*vm));
}

void ctl_vm_query(const struct vessel_file *vf, struct ctl_vm_status *st)
{
	struct ctl_vm vm = { .vf = NULL };
	GError *error = NULL;

	st->state = g_strdup("stopped");
	st->pid = 0;
	vm.socket = vessel_control_socket_path(vf->uuid, &error);
	g_clear_error(&error);
	if (vm.socket && connect_vm(&vm, &error)) {
		g_free(st->state);
		st->state = g_strdup(vessel_vm1_get_state(vm.proxy));
		st->pid = vessel_vm1_get_pid(vm.proxy);
	}
	g_clear_error(&error);
	ctl_vm_close(&vm);
}

void ctl_vm_status_clear(struct ctl_vm_status *st)
{
	g_clear_pointer(&st->state, g_free);
}

/* Options every steering command takes; returns -1 to go on, else the exit status. */
static int parse_common(const char *usage, const char *summary, GOptionEntry *extra,
			int *argc, char ***argv, FILE *out, FILE *err)
{
	gboolean help = FALSE;
	GOptionEntry entries[] = {
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("VM");

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (extra)
		g_option_context_add_main_entries(ctx, extra, NULL);
	if (!ctl_parse(ctx, argc, argv, err))
		return CTL_EXIT_USAGE;
	if (help || *argc < 2) {
		FILE *f = help ? out : err;

		fprintf(f, "Usage: vesselctl %s\n\n%s\nVM is a .vessel file, a VM folder, or the "
			"name of a VM in the library (vesselctl list).\n", usage, summary);
		fputs(ctl_vm_exit_help, f);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	return -1;
}

int ctl_status(int argc, char **argv, FILE *out, FILE *err)
{
	gboolean json = FALSE;
	GOptionEntry extra[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON for scripts", NULL },
		{ NULL },
	};
	struct ctl_vm_status st = { 0 };
	struct ctl_vm vm;
	struct ctl_json j;
	int ret = parse_common("status VM [--json]", "Whether the VM runs, and its resources.",
			       extra, &argc, &argv, out, err);

	if (ret >= 0)
		return ret;
	ret = ctl_vm_open("status", argv[1], false, &vm, err);
	if (ret)
		return ret;
	ctl_vm_query(vm.vf, &st);
	if (json) {
		ctl_json_init(&j, out);
		ctl_json_begin_object(&j, NULL);
		ctl_json_string(&j, "name", vm.vf->name);
		ctl_json_string(&j, "uuid", vm.vf->uuid);
		ctl_json_string(&j, "file", vm.vf->path);
		ctl_json_string(&j, "state", st.state);
		if (st.pid)
			ctl_json_int(&j, "pid", st.pid);
		ctl_json_int(&j, "memory", (long long)vm.vf->memory);
		ctl_json_int(&j, "cpus", vm.vf->cpus);
		ctl_json_end_object(&j);
		ctl_json_finish(&j);
	} else {
		fprintf(out, "%s: %s", vm.vf->name, st.state);
		if (st.pid)
			fprintf(out, " (helper pid %u)", st.pid);
		fprintf(out, "\n  %u MiB, %u CPU%s\n  %s\n", (unsigned)(vm.vf->memory >> 20),
			vm.vf->cpus, vm.vf->cpus == 1 ? "" : "s", vm.vf->path);
	}
	ret = strcmp(st.state, "stopped") ? 0 : CTL_EXIT_NOT_RUNNING;
	ctl_vm_status_clear(&st);
	ctl_vm_close(&vm);
	return ret;
}

/* One method without arguments; prints done on success. */
static int simple_call(const char *cmd, const char *method, const char *done, int argc,
		       char **argv, FILE *out, FILE *err)
{
	g_autofree char *usage = g_strdup_printf("%s VM", cmd);
	struct ctl_vm vm;
	GError *error = NULL;
	GVariant *r;
	int ret = parse_common(usage, done, NULL, &argc, &argv, out, err);

	if (ret >= 0)
		return ret;
	ret = ctl_vm_open(cmd, argv[1], true, &vm, err);
	if (ret)
		return ret;
	r = g_dbus_proxy_call_sync(G_DBUS_PROXY(vm.proxy), method, NULL,
				   G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
	if (!r) {
		fprintf(err, "vesselctl %s: %s: %s\n", cmd, vm.vf->name, ctl_error_message(error));
		g_clear_error(&error);
		ret = CTL_EXIT_FAILED;
	} else {
		fprintf(out, "%s: %s\n", vm.vf->name, done);
		g_variant_unref(r);
	}
	ctl_vm_close(&vm);
	return ret;
}

int ctl_pause(int argc, char **argv, FILE *out, FILE *err)
{
	return simple_call("pause", "Pause", "paused", argc, argv, out, err);
}

int ctl_resume(int argc, char **argv, FILE *out, FILE *err)
{
	return simple_call("resume", "Resume", "running", argc, argv, out, err);
}

int ctl_reset(int argc, char **argv, FILE *out, FILE *err)
{
	return simple_call("reset", "Reset", "reset (the guest restarts)", argc, argv, out, err);
}

int ctl_screenshot(int argc, char **argv, FILE *out, FILE *err)
{
	struct ctl_vm vm;
	GError *error = NULL;
	g_autoptr(GVariant) png = NULL;
	const void *data;
	gsize len;
	int ret = parse_common("screenshot VM FILE.png", "Save the VM's screen as PNG.", NULL,
			       &argc, &argv, out, err);

	if (ret >= 0)
		return ret;
	if (argc != 3) {
		fputs("vesselctl screenshot: give the VM and the PNG file to write\n", err);
		return CTL_EXIT_USAGE;
	}
	ret = ctl_vm_open("screenshot", argv[1], true, &vm, err);
	if (ret)
		return ret;
	if (!vessel_vm1_call_screenshot_sync(vm.proxy, &png, NULL, &error)) {
		fprintf(err, "vesselctl screenshot: %s: %s\n", vm.vf->name,
			ctl_error_message(error));
		ret = CTL_EXIT_FAILED;
	} else {
		data = g_variant_get_fixed_array(png, &len, 1);
		if (!g_file_set_contents(argv[2], data, (gssize)len, &error)) {
			fprintf(err, "vesselctl screenshot: %s\n", error->message);
			ret = CTL_EXIT_FAILED;
		} else {
			fprintf(out, "%s: screen saved to %s\n", vm.vf->name, argv[2]);
		}
	}
	g_clear_error(&error);
	ctl_vm_close(&vm);
	return ret;
}

int ctl_spice_file(int argc, char **argv, FILE *out, FILE *err)
{
	g_autofree char *vv = NULL;
	GError *error = NULL;
	struct ctl_vm vm;
	int ret = parse_common("spice-file VM FILE.vv", "Write a remote-viewer connection file "
			       "for a running VM shared over SPICE\n(mode 0600: it may hold the "
			       "password). Open it with remote-viewer.", NULL, &argc, &argv,
			       out, err);

	if (ret >= 0)
		return ret;
	if (argc != 3) {
		fputs("vesselctl spice-file: give the VM and the .vv file to write\n", err);
		return CTL_EXIT_USAGE;
	}
	ret = ctl_vm_open("spice-file", argv[1], true, &vm, err);
	if (ret)
		return ret;
	if (!vessel_vm1_call_spice_connection_file_sync(vm.proxy, &vv, NULL, &error)) {
		fprintf(err, "vesselctl spice-file: %s: %s\n", vm.vf->name, ctl_error_message(error));
		ret = CTL_EXIT_FAILED;
	} else if (!g_file_set_contents_full(argv[2], vv, -1, G_FILE_SET_CONTENTS_CONSISTENT,
					     0600, &error)) {
		fprintf(err, "vesselctl spice-file: %s\n", error->message);
		ret = CTL_EXIT_FAILED;
	} else {
		fprintf(out, "%s: SPICE at %s; connection file %s\n", vm.vf->name,
			vessel_vm1_get_spice_address(vm.proxy), argv[2]);
	}
	if (vv)
		explicit_bzero(vv, strlen(vv));
	g_clear_error(&error);
	ctl_vm_close(&vm);
	return ret;
}
