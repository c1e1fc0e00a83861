/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one command type every front end (D-Bus, signals, flags, timers) feeds to a VM. */
#ifndef VMM_COMMAND_H
#define VMM_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

struct vm;

/*
 * A command is queued from any thread with vm_command_submit() and executed on the thread in
 * vm_run() (the VM's main loop), one at a time, in order. When it has run, `done` is called on
 * that thread with `result` (0 or -errno) and `error` (a sentence for a person, set on
 * failure); the submitter owns the command and frees it in or after `done`. Long commands
 * call vm_command_progress(), which forwards to `progress` if set.
 */
enum vm_command_kind {
	VM_CMD_PAUSE,		/* stop the vCPUs and device timers; the VM state is kept */
	VM_CMD_RESUME,
	VM_CMD_RESET,		/* like the reset button */
	VM_CMD_POWER_BUTTON,	/* ACPI power button: the guest decides (shut down, sleep) */
	VM_CMD_POWER_OFF,	/* pull the plug: the helper ends with `status` */
	VM_CMD_CALL,		/* run `call` on the main loop (screenshot, snapshot, ...) */
};

/* What a person sees of the VM; the control API's State property. */
enum vm_run_state {
	VM_STATE_STARTING,	/* built, vCPUs not yet running */
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_STOPPING,	/* powering off: the helper is about to end */
};

struct vm_command {
	enum vm_command_kind kind;
	int status;		/* VM_CMD_POWER_OFF: the exit status */
	int (*call)(struct vm *vm, struct vm_command *cmd);	/* VM_CMD_CALL */
	void *arg;
	void (*done)(struct vm_command *cmd);
	void (*progress)(struct vm_command *cmd, double fraction);
	void *opaque;		/* the submitter's */
	int result;
	char error[256];
	struct vm_command *next;
};

/* Queue cmd (any thread, not from inside a command). After power-off, `done` runs at once with
 * -ESHUTDOWN. */
void vm_command_submit(struct vm *vm, struct vm_command *cmd);
/* A command's body reports how far it is (0..1). */
void vm_command_progress(struct vm_command *cmd, double fraction);
/* Set cmd->error from a format (for `call` bodies). */
void vm_command_fail(struct vm_command *cmd, int result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum vm_run_state vm_run_state(struct vm *vm);
const char *vm_run_state_name(enum vm_run_state state);
/*
 * Who to tell when the run state changes: called on the main-loop thread after the change.
 * One listener (the control service); NULL to remove.
 */
void vm_set_state_listener(struct vm *vm, void (*fn)(void *opaque, enum vm_run_state state),
			   void *opaque);

#endif
