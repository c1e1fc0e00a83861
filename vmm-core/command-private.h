/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command queue's side inside vmm-core: vm_run's loop drives it. */
#ifndef VMM_COMMAND_PRIVATE_H
#define VMM_COMMAND_PRIVATE_H

#include "command.h"

/* Under vm->lock: the next queued command, or NULL. */
struct vm_command *vm_command_pop(struct vm *vm);
/* The main-loop thread: run one command and call its `done`. */
void vm_command_run(struct vm *vm, struct vm_command *cmd);
/* After the VM stopped: fail what is queued, and everything submitted later. */
void vm_command_finish(struct vm *vm);
/* The main-loop thread: set the run state and tell the listener. */
void vm_set_run_state(struct vm *vm, enum vm_run_state state);

#endif
