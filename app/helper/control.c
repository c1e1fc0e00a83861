// SPDX-License-Identifier: GPL-2.0-or-later
/* The helper's control service: VM1 over D-Bus (peer socketpair or a private socket). */
#include "control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "command.h"
#include "control-common.h"
#include "control-private.h"
#include "display-hub.h"
#include "spice-vm.h"
#include "vm.h"

/* The control thread: everything GLib here runs on c->ctx. */
static gpointer control_thread(gpointer data)
{
	struct control *c = data;

	g_main_context_push_thread_default(c->ctx);
	c->start_ok = control_setup(c, &c->start_error);
	g_mutex_lock(&c->start_lock);
	c->started = true;
	g_cond_signal(&c->start_cond);
	g_mutex_unlock(&c->start_lock);
	if (c->start_ok)
		g_main_loop_run(c->loop);
	control_teardown(c);
	g_main_context_pop_thread_default(c->ctx);
	return NULL;
}

/* Any thread: the VM's run state moved; mirror it in the State property on our thread. */
static gboolean state_idle(gpointer data)
{
	struct control *c = data;

	vessel_vm1_set_state(c->skel, vm_run_state_name(vm_run_state(c->vm)));
	return G_SOURCE_REMOVE;
}

static void state_changed(void *opaque, enum vm_run_state state)
{
	struct control *c = opaque;

	g_main_context_invoke(c->ctx, state_idle, c);
}

struct control *control_start(const struct control_config *cfg, char *err, size_t errlen)
{
	struct control *c = g_new0(struct control, 1);

	c->cfg = *cfg;
	/* Ours: the caller's string may go before we do (teardown unlinks this path). */
	c->cfg.socket_path = c->socket_path = g_strdup(cfg->socket_path);
	c->cfg.spice_address = c->spice_address = g_strdup(cfg->spice_address);
	c->vm = cfg->vm;
	c->ctx = g_main_context_new();
	c->loop = g_main_loop_new(c->ctx, FALSE);
	g_mutex_init(&c->start_lock);
	g_cond_init(&c->start_cond);
	c->thread = g_thread_new("vessel-control", control_thread, c);
	g_mutex_lock(&c->start_lock);
	while (!c->started)
		g_cond_wait(&c->start_cond, &c->start_lock);
	g_mutex_unlock(&c->start_lock);
	if (!c->start_ok) {
		snprintf(err, errlen, "%s", c->start_error ? c->start_error->message :
			 "the control service did not start");
		control_stop(c);
		return NULL;
	}
	vm_set_state_listener(c->vm, state_changed, c);
	return c;
}

static gboolean quit_idle(gpointer data)
{
	struct control *c = data;

	g_main_loop_quit(c->loop);
	return G_SOURCE_REMOVE;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	vm_set_state_listener(c->vm, NULL, NULL);
	/* After replies queued by commands the VM failed on its way down. */
	g_main_context_invoke(c->ctx, quit_idle, c);
	g_thread_join(c->thread);
	g_clear_error(&c->start_error);
	g_main_loop_unref(c->loop);
	g_main_context_unref(c->ctx);
	g_mutex_clear(&c->start_lock);
	g_cond_clear(&c->start_cond);
	g_free(c->socket_path);
	g_free(c->spice_address);
	g_free(c);
}

/* ---- method calls: each becomes a vm_command; the reply leaves from our thread ---- */

static gboolean call_finish(gpointer data)
{
	struct control_call *call = data;
	struct vm_command *cmd = &call->cmd;

	if (cmd->result < 0) {
		g_dbus_method_invocation_return_error_literal(call->invocation, VESSEL_ERROR,
			vessel_error_from_errno(cmd->result), cmd->error);
	} else if (call->reply) {
		g_dbus_method_invocation_return_value(call->invocation, call->reply);
	} else {
		g_dbus_method_invocation_return_value(call->invocation, NULL);
	}
	g_object_unref(call->invocation);
	if (call->job_free)
		call->job_free(call->job);
	g_free(call);
	return G_SOURCE_REMOVE;
}

/* The main-loop thread (or ours, when the VM has already stopped). */
static void call_done(struct vm_command *cmd)
{
	struct control_call *call = cmd->opaque;

	g_main_context_invoke(call->control->ctx, call_finish, call);
}

static struct control_call *call_new(struct control *c, GDBusMethodInvocation *invocation,
				     enum vm_command_kind kind,
				     int (*body)(struct vm *, struct vm_command *))
{
	struct control_call *call = g_new0(struct control_call, 1);

	call->control = c;
	call->invocation = g_object_ref(invocation);
	call->cmd.kind = kind;
	call->cmd.call = body;
	call->cmd.arg = call;
	call->cmd.opaque = call;
	call->cmd.done = call_done;
	call->cmd.status = VM_EXIT_OK;
	return call;
}

void control_submit(struct control *c, GDBusMethodInvocation *invocation,
		    enum vm_command_kind kind, int (*body)(struct vm *, struct vm_command *))
{
	vm_command_submit(c->vm, &call_new(c, invocation, kind, body)->cmd);
}

void control_submit_job(struct control *c, GDBusMethodInvocation *invocation,
			int (*body)(struct vm *, struct vm_command *), void *job,
			void (*job_free)(void *job))
{
	struct control_call *call = call_new(c, invocation, VM_CMD_CALL, body);

	call->job = job;
	call->job_free = job_free;
	vm_command_submit(c->vm, &call->cmd);
}

void control_submit_u64(struct control *c, GDBusMethodInvocation *invocation,
			int (*body)(struct vm *, struct vm_command *), uint64_t value)
{
	struct control_call *call = call_new(c, invocation, VM_CMD_CALL, body);

	call->u64 = value;
	vm_command_submit(c->vm, &call->cmd);
}

/* VM_CMD_CALL body, on the main loop: render the screen and encode it. */
static int screenshot_body(struct vm *vm, struct vm_command *cmd)
{
	struct control_call *call = cmd->arg;
	struct display_hub *hub = call->control->cfg.hub;
	void *png;
	size_t len;
	int ret;

	if (!hub) {
		vm_command_fail(cmd, -ENOENT, "This virtual machine has no display.");
		return cmd->result;
	}
	ret = display_hub_screenshot_png(hub, &png, &len);
	if (ret) {
		vm_command_fail(cmd, ret, "The screen could not be captured: %s.", strerror(-ret));
		return ret;
	}
	call->reply = g_variant_new("(@ay)", g_variant_new_from_data(G_VARIANT_TYPE("ay"),
				    png, len, TRUE, free, png));
	return 0;
}

static gboolean on_simple(VesselVM1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
	struct control *c = data;
	const char *method = g_dbus_method_invocation_get_method_name(inv);
	static const struct { const char *name; enum vm_command_kind kind; } map[] = {
		{ "Pause", VM_CMD_PAUSE }, { "Resume", VM_CMD_RESUME }, { "Reset", VM_CMD_RESET },
		{ "PowerButton", VM_CMD_POWER_BUTTON }, { "PowerOff", VM_CMD_POWER_OFF },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
		if (!strcmp(method, map[i].name)) {
			control_submit(c, inv, map[i].kind, NULL);
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean on_spice_file(VesselVM1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
	struct control *c = data;
	size_t len = 0;
	char *vv = vspice_connection_file(c->cfg.spice, &len);

	if (!vv) {
		g_dbus_method_invocation_return_error_literal(inv, VESSEL_ERROR,
			VESSEL_ERROR_NOT_SUPPORTED, c->cfg.spice ? "SPICE listens on a unix socket "
			"here, or its password file cannot be read: there is no connection file to "
			"give." : "SPICE sharing is off for this VM; turn it on with [spice] port= in "
			"its .vessel file (or --spice).");
		return TRUE;
	}
	vessel_vm1_complete_spice_connection_file(skel, inv, vv);
	explicit_bzero(vv, len);
	g_free(vv);
	return TRUE;
}

static gboolean on_screenshot(VesselVM1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
	control_submit(data, inv, VM_CMD_CALL, screenshot_body);
	return TRUE;
}

void control_connect_methods(struct control *c)
{
	static const char *const simple[] = {
		"handle-pause", "handle-resume", "handle-reset", "handle-power-button",
		"handle-power-off",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(simple); i++)
		g_signal_connect(c->skel, simple[i], G_CALLBACK(on_simple), c);
	g_signal_connect(c->skel, "handle-screenshot", G_CALLBACK(on_screenshot), c);
	g_signal_connect(c->skel, "handle-spice-connection-file", G_CALLBACK(on_spice_file), c);
}
