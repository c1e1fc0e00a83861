// SPDX-License-Identifier: GPL-2.0-or-later
/* The PC's devices in init order; adding a device is one line here. */
#include "vm-devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware.h"
#include "vm.h"

extern const struct vmm_device_ops sysctl_device_ops;
extern const struct vmm_device_ops firmware_device_ops;
extern const struct vmm_device_ops chipset_device_ops;
extern const struct vmm_device_ops rtc_device_ops;
extern const struct vmm_device_ops isa_dma_device_ops;
extern const struct vmm_device_ops ide_device_ops;
extern const struct vmm_device_ops ahci_device_ops;
extern const struct vmm_device_ops virtio_blk_device_ops;
extern const struct vmm_device_ops virtio_rng_device_ops;
extern const struct vmm_device_ops virtio_balloon_device_ops;
extern const struct vmm_device_ops virtio_input_device_ops;
extern const struct vmm_device_ops serial_device_ops;
extern const struct vmm_device_ops i8042_device_ops;
extern const struct vmm_device_ops isa_absent_device_ops;

/*
 * Init order: system control ports first (reset, test exit), the firmware ROM and fw_cfg,
 * then the CMOS (others may read NVRAM), then I/O devices. Teardown runs this list backwards.
 */
static const struct vmm_device_ops *const pc_devices[] = {
	&sysctl_device_ops,
	&chipset_device_ops,		/* after sysctl: it forwards 0xCF9 inside 0xCF8-0xCFB */
	&firmware_device_ops,
	&rtc_device_ops,
	&isa_dma_device_ops,
	&serial_device_ops,
	&i8042_device_ops,
	&isa_absent_device_ops,	/* after every ISA device: it only takes what is left */
	NULL,	/* here: cfg.extra_devices (the display) */
	/* PCI functions: they need the chipset's bus. IDE is 01.1, beside the ISA bridge. */
	&ide_device_ops,
	&ahci_device_ops,
	&virtio_blk_device_ops,
	&virtio_rng_device_ops,
	&virtio_balloon_device_ops,
	&virtio_input_device_ops,
};

#define PC_NDEVICES (sizeof(pc_devices) / sizeof(pc_devices[0]))

static int vm_device_add(struct vm *vm, const struct vmm_device_ops *ops)
{
	void *state = NULL;
	int ret = ops->create(vm, &state);

	if (ret < 0) {
		vmm_warn("creating device %s failed: %s", ops->name, strerror(-ret));
		return ret;
	}
	if (ret == 0)	/* 1: not part of this VM */
		vm->devices[vm->ndevices++] = (struct vm_device){ ops, state };
	return 0;
}

int vm_devices_create(struct vm *vm)
{
	int ret = 0;

	vm->devices = calloc(PC_NDEVICES + vm->cfg.nextra_devices, sizeof(*vm->devices));
	if (!vm->devices)
		return -ENOMEM;
	for (size_t i = 0; i < PC_NDEVICES && !ret; i++) {
		if (pc_devices[i]) {
			ret = vm_device_add(vm, pc_devices[i]);
			continue;
		}
		for (unsigned k = 0; k < vm->cfg.nextra_devices && !ret; k++)
			ret = vm_device_add(vm, vm->cfg.extra_devices[k]);
	}
	return ret ? ret : firmware_add_bootorder(vm);
}

int vm_devices_reset(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops->reset)
			vm->devices[i].ops->reset(vm->devices[i].state);
	return 0;
}

void vm_devices_pause(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops->pause)
			vm->devices[i].ops->pause(vm->devices[i].state);
}

void vm_devices_resume(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops->resume)
			vm->devices[i].ops->resume(vm->devices[i].state);
}

void vm_devices_destroy(struct vm *vm)
{
	for (unsigned i = vm->ndevices; i-- > 0;)
		if (vm->devices[i].ops->destroy)
			vm->devices[i].ops->destroy(vm->devices[i].state);
	free(vm->devices);
	vm->devices = NULL;
	vm->ndevices = 0;
}
