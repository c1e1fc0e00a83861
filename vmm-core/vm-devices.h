/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The machine's device table: created in order, reset together, destroyed in reverse. */
#ifndef VMM_VM_DEVICES_H
#define VMM_VM_DEVICES_H

#include "device.h"

struct vm;

struct vm_device {
	const struct vmm_device_ops *ops;
	void *state;
};

int vm_devices_create(struct vm *vm);
int vm_devices_reset(struct vm *vm);
void vm_devices_pause(struct vm *vm);
void vm_devices_resume(struct vm *vm);
void vm_devices_destroy(struct vm *vm);

#endif
