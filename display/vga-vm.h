/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VGA as one of a VM's devices: its ops table and how consumers find it. */
#ifndef VESSEL_VGA_VM_H
#define VESSEL_VGA_VM_H

#include "device.h"
#include "pci.h"
#include "vga.h"

struct vm;

/* For the machine's device table, after the chipset. */
extern const struct vmm_device_ops vga_device_ops;

/* The VM's VGA (for display_update() and friends), or NULL if it has none. */
struct vga *vga_from_vm(struct vm *vm);

#endif
