// SPDX-License-Identifier: GPL-2.0-or-later
/* The standard VGA on a KVM VM: PCI bus, ports, legacy window, VRAM dirty log from KVM. */
#include "vga-vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "vm.h"
#include "vm-devices.h"

/* VRAM is a KVM slot with dirty logging (pci-vm.c maps RAM BARs through vm_map_ram). */
static int vgavm_fetch_dirty(void *opaque, uint64_t gpa, uint64_t *bitmap)
{
	return vm_ram_dirty_log(opaque, gpa, bitmap);
}

static void vgavm_flush_writes(void *opaque)
{
	vm_coalesced_flush(opaque);
}

static int vgavm_create(struct vm *vm, void **state)
{
	struct vga_host host = {
		.pci = vm_pci_bus(vm), .pio = &vm->pio, .mmio = &vm->mmio, .log = &vm->glog,
	};
	struct vga_config cfg = {
		.devfn = PCI_DEVFN_AUTO,
		.vram_size = vm->cfg.vram_size,
		.dirty_log = true,
		.fetch_dirty = vgavm_fetch_dirty,
		.flush_writes = vgavm_flush_writes,
		.opaque = vm,
	};
	int ret = 0;

	if (!host.pci)
		return 1;		/* no PCI bus, no VGA */
	*state = vga_new(&host, &cfg, &ret);
	if (!*state)
		return ret;
	/*
	 * Window writes queue in KVM instead of exiting one by one (a text-mode clear is
	 * 16,384 of them); without the capability they simply keep exiting.
	 */
	ret = vm_coalesce_mmio(vm, VGA_WINDOW_BASE, VGA_WINDOW_SIZE);
	if (ret && ret != -EOPNOTSUPP)
		vmm_warn("vga: coalesced MMIO for the legacy window: %s", strerror(-ret));
	return 0;
}

static void vgavm_reset(void *state)
{
	vga_reset(state);
}

static void vgavm_destroy(void *state)
{
	vga_free(state);
}

static int vgavm_save(void *state, void **blob, size_t *len)
{
	return vga_save(state, blob, len);
}

static int vgavm_load(void *state, const void *blob, size_t len)
{
	return vga_load(state, blob, len);
}

/*
 * Created after the chipset (it needs the PCI bus); no timers or backends to pause. Its
 * load runs after the chipset has re-placed BAR0 (bar_mapped) and restored config space.
 */
const struct vmm_device_ops vga_device_ops = {
	.name = "vga",
	.create = vgavm_create,
	.reset = vgavm_reset,
	.save = vgavm_save,
	.load = vgavm_load,
	.destroy = vgavm_destroy,
};

struct vga *vga_from_vm(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops == &vga_device_ops)
			return vm->devices[i].state;
	return NULL;
}
