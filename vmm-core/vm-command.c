// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM's command queue: every front end's requests, run one at a time on the main loop. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "command-private.h"
#include "vm-devices.h"
#include "vm.h"

static const char *const state_names[] = {
	[VM_STATE_STARTING] = "starting",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_PAUSED] = "paused",
	[VM_STATE_STOPPING] = "stopping",
};

const char *vm_run_state_name(enum vm_run_state state)
{
	return (unsigned)state < sizeof(state_names) / sizeof(state_names[0]) ?
	       state_names[state] : "unknown";
}

enum vm_run_state vm_run_state(struct vm *vm)
{
	return __atomic_load_n(&vm->run_state, __ATOMIC_SEQ_CST);
}

void vm_set_state_listener(struct vm *vm, void (*fn)(void *opaque, enum vm_run_state state),
			   void *opaque)
{
	pthread_mutex_lock(&vm->lock);
	vm->state_fn = fn;
	vm->state_opaque = opaque;
	pthread_mutex_unlock(&vm->lock);
}

/* Main-loop thread only. */
void vm_set_run_state(struct vm *vm, enum vm_run_state state)
{
	void (*fn)(void *, enum vm_run_state);
	void *opaque;

	pthread_mutex_lock(&vm->lock);
	if (vm->run_state == state) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	__atomic_store_n(&vm->run_state, state, __ATOMIC_SEQ_CST);
	fn = vm->state_fn;
	opaque = vm->state_opaque;
	pthread_mutex_unlock(&vm->lock);
	if (fn)
		fn(opaque, state);
}

void vm_command_fail(struct vm_command *cmd, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd->error, sizeof(cmd->error), fmt, ap);
	va_end(ap);
	cmd->result = result;
}

void vm_command_progress(struct vm_command *cmd, double fraction)
{
	if (cmd->progress)
		cmd->progress(cmd, fraction < 0 ? 0 : fraction > 1 ? 1 : fraction);
}

void vm_command_submit(struct vm *vm, struct vm_command *cmd)
{
	cmd->next = NULL;
	cmd->result = 0;
	cmd->error[0] = '\0';
	pthread_mutex_lock(&vm->lock);
	if (vm->finished) {
		pthread_mutex_unlock(&vm->lock);
		vm_command_fail(cmd, -ESHUTDOWN, "The virtual machine has stopped.");
		if (cmd->done)
			cmd->done(cmd);
		return;
	}
	if (!vm->cmd_tail)
		vm->cmd_tail = &vm->cmd_head;
	*vm->cmd_tail = cmd;
	vm->cmd_tail = &cmd->next;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* Under vm->lock: the next queued command, or NULL. */
struct vm_command *vm_command_pop(struct vm *vm)
{
	struct vm_command *cmd = vm->cmd_head;

	if (cmd) {
		vm->cmd_head = cmd->next;
		if (!vm->cmd_head)
			vm->cmd_tail = &vm->cmd_head;
		cmd->next = NULL;
	}
	return cmd;
}

static int cmd_pause(struct vm *vm, struct vm_command *cmd)
{
	if (vm->user_paused) {
		vm_command_fail(cmd, -EALREADY, "The virtual machine is already paused.");
		return cmd->result;
	}
	vm_pause(vm);
	vm_devices_pause(vm);
	vm->user_paused = true;
	vm_set_run_state(vm, VM_STATE_PAUSED);
	return 0;
}

static int cmd_resume(struct vm *vm, struct vm_command *cmd)
{
	if (!vm->user_paused) {
		vm_command_fail(cmd, -EALREADY, "The virtual machine is not paused.");
		return cmd->result;
	}
	vm->user_paused = false;
	vm_devices_resume(vm);
	vm_resume(vm);
	vm_set_run_state(vm, VM_STATE_RUNNING);
	return 0;
}

static int cmd_power_button(struct vm *vm, struct vm_command *cmd)
{
	if (vm->user_paused) {
		vm_command_fail(cmd, -EBUSY, "The virtual machine is paused, so its system cannot "
				"answer the power button; resume it first, or force it off.");
		return cmd->result;
	}
	if (!vm_power_button(vm)) {
		vm_command_fail(cmd, -ENODEV, "This virtual machine has no ACPI power button; "
				"force it off instead.");
		return cmd->result;
	}
	return 0;
}

/* Main-loop thread: run one command and report it. */
void vm_command_run(struct vm *vm, struct vm_command *cmd)
{
	switch (cmd->kind) {
	case VM_CMD_PAUSE:
		cmd_pause(vm, cmd);
		break;
	case VM_CMD_RESUME:
		cmd_resume(vm, cmd);
		break;
	case VM_CMD_RESET:
		vm_request(vm, VM_REQ_RESET, 0);
		break;
	case VM_CMD_POWER_BUTTON:
		cmd_power_button(vm, cmd);
		break;
	case VM_CMD_POWER_OFF:
		vm_request(vm, VM_REQ_POWEROFF, cmd->status);
		break;
	case VM_CMD_CALL:
		cmd->result = cmd->call ? cmd->call(vm, cmd) : -EINVAL;
		if (cmd->result < 0 && !cmd->error[0])
			vm_command_fail(cmd, cmd->result, "%s", strerror(-cmd->result));
		break;
	default:
		vm_command_fail(cmd, -EINVAL, "Unknown command.");
	}
	if (cmd->done)
		cmd->done(cmd);
}

/* After vm_run: fail whatever is still queued; later submissions fail at once. */
void vm_command_finish(struct vm *vm)
{
	struct vm_command *cmd;

	pthread_mutex_lock(&vm->lock);
	vm->finished = true;
	while ((cmd = vm_command_pop(vm))) {
		pthread_mutex_unlock(&vm->lock);
		vm_command_fail(cmd, -ESHUTDOWN, "The virtual machine has stopped.");
		if (cmd->done)
			cmd->done(cmd);
		pthread_mutex_lock(&vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
}
