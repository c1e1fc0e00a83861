// SPDX-License-Identifier: GPL-2.0-or-later
/* INTx: pins to PIRQs (bus 0 swizzle), PIRQs to ISA IRQs (PIIX3), wired-OR levels to GSIs. */
#include "pci-private.h"

/*
 * PCI interrupts are level-triggered, active-low and shareable (PCI LB 3.0 §2.2.6): a GSI
 * is asserted while any source on it is. KVM_IRQ_LINE has one userspace source per GSI,
 * so the OR is done here and a GSI is driven only when the OR changes — never lowered by
 * us unless we raised it, so lines that also carry ISA devices are left alone.
 */
static void drive_gsis_locked(struct pci_bus *bus)
{
	for (unsigned irq = 0; irq < PCI_ISA_IRQS; irq++) {
		bool level = bus->isa_sources[irq] != 0;

		for (unsigned p = 0; p < PCI_NUM_PIRQS && !level; p++)
			level = bus->pirq_route[p] == (int)irq && bus->pirq_count[p];
		if (level == bus->gsi_level[irq])
			continue;
		bus->gsi_level[irq] = level;
		if (bus->cfg.set_gsi)
			bus->cfg.set_gsi(bus->cfg.opaque, irq, level);
	}
}

/*
 * What the function's pin presents: its level unless Interrupt Disable (command bit 10) is
 * set, or MSI/MSI-X is on (PCI LB 3.0 §6.8: a function using MSI must not use INTx).
 * Interrupt Status (status bit 3) shows the function's own level regardless.
 */
void pci_intx_sync_locked(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;
	unsigned pin = dev->config[PCI_INTERRUPT_PIN];
	uint16_t cmd = (uint16_t)pci_cfg_load(dev, PCI_COMMAND, 2);
	bool out;
	unsigned pirq;

	if (dev->intx_level)
		dev->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	out = dev->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE) && pin >= 1 && pin <= 4 &&
	      !pci_msi_enabled_locked(dev) && !pci_msix_enabled_locked(dev);
	if (out == dev->intx_out)
		return;
	/* The pin register is read-only, so a raised pin's PIRQ is the same when it drops. */
	pirq = pci_intx_pirq(dev->devfn, pin);
	dev->intx_out = out;
	if (out)
		bus->pirq_count[pirq]++;
	else if (bus->pirq_count[pirq])
		bus->pirq_count[pirq]--;
	drive_gsis_locked(bus);
}

void pci_set_irq(struct pci_dev *dev, int level)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->irq_lock);
	dev->intx_level = level != 0;
	pci_intx_sync_locked(dev);
	pthread_mutex_unlock(&bus->irq_lock);
}

/* PIIX3 PIRQRC[A:D] (82371SB datasheet §2.2.13): 0..15, or disabled. */
void pci_bus_set_pirq_route(struct pci_bus *bus, unsigned pirq, int isa_irq)
{
	if (pirq >= PCI_NUM_PIRQS)
		return;
	pthread_mutex_lock(&bus->irq_lock);
	bus->pirq_route[pirq] = isa_irq >= 0 && isa_irq < PCI_ISA_IRQS ? isa_irq : -1;
	drive_gsis_locked(bus);
	pthread_mutex_unlock(&bus->irq_lock);
}

void pci_bus_set_isa_irq(struct pci_bus *bus, unsigned irq, unsigned source, int level)
{
	if (irq >= PCI_ISA_IRQS || source >= 32)
		return;
	pthread_mutex_lock(&bus->irq_lock);
	if (level)
		bus->isa_sources[irq] |= 1u << source;
	else
		bus->isa_sources[irq] &= ~(1u << source);
	drive_gsis_locked(bus);
	pthread_mutex_unlock(&bus->irq_lock);
}
