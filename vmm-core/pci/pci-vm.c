// SPDX-License-Identifier: GPL-2.0-or-later
/* A PCI bus wired to a KVM VM: its buses, RAM, guest-error log, irqchip and MSI delivery. */
#include "pci.h"

#include "vm.h"

static void pci_vm_set_gsi(void *opaque, unsigned gsi, int level)
{
	struct vmm_irq line = vm_irq_line(opaque, gsi);

	vmm_irq_set(&line, level);
}

static int pci_vm_map_ram(void *opaque, uint64_t gpa, uint64_t size, void *hva, bool map)
{
	return vm_map_ram(opaque, gpa, size, hva, map);
}

static int pci_vm_map_rom(void *opaque, uint64_t gpa, uint64_t size, const void *hva,
			  bool map)
{
	return vm_map_rom(opaque, gpa, size, hva, map);
}

static int pci_vm_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	return vm_signal_msi(opaque, addr, data);
}

struct pci_bus *pci_bus_new_for_vm(struct vm *vm)
{
	struct pci_bus_config cfg = {
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.mem = &vm->mem,
		.log = &vm->glog,
		.opaque = vm,
		.set_gsi = pci_vm_set_gsi,
		.signal_msi = pci_vm_signal_msi,
		/* RAM BARs (VRAM) become KVM slots with dirty logging: no exits. */
		.map_ram = pci_vm_map_ram,
		/* Expansion ROMs (the VGA BIOS) become read-only slots: SeaBIOS copies them. */
		.map_rom = pci_vm_map_rom,
	};

	return pci_bus_new(&cfg);
}
