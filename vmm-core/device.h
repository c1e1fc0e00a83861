/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device model contract: one ops table per device, listed in one init-order table. */
#ifndef VMM_DEVICE_H
#define VMM_DEVICE_H

#include <stddef.h>

struct vm;

/*
 * Every device ends its .c file with one `const struct vmm_device_ops`. The machine lists
 * them in init order (vm-devices.c) and tears them down in reverse. All hooks but create and
 * destroy run with every vCPU paused.
 *
 * create:  build the device for this VM (read vm->cfg, register bus ranges, take IRQ lines);
 *          0 with *state set, -errno on failure, or 1 when this VM has no such device.
 * reset:   return to power-on state (a guest reset; RAM and NVRAM-like state may persist).
 * pause/resume: stop/start anything the device does on its own (timers, backends);
 *          idempotent.
 * save/load: plain, versioned state (the snapshot issue fills these in); NULL = none yet.
 */
struct vmm_device_ops {
	const char *name;
	int (*create)(struct vm *vm, void **state);
	void (*reset)(void *state);
	int (*pause)(void *state);
	int (*resume)(void *state);
	int (*save)(void *state, void **blob, size_t *len);
	int (*load)(void *state, const void *blob, size_t len);
	void (*destroy)(void *state);
};

#endif
