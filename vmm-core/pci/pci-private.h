/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI core internals shared by pci.c, pci-bar.c, pci-intx.c and pci-msi.c. */
#ifndef VMM_PCI_PRIVATE_H
#define VMM_PCI_PRIVATE_H

#include <pthread.h>

#include "pci.h"

/* CONFIG_ADDRESS (PCI LB 3.0 §3.2.2.3.2): bits 30:24 and 1:0 are reserved, read as 0. */
#define PCI_CFG_ENABLE		0x80000000u
#define PCI_CFG_ADDR_MASK	0x80fffffcu
#define PCI_IO_SPACE_END	0x10000ull	/* x86 port space */

struct pci_bus {
	struct pci_bus_config cfg;
	pthread_mutex_t lock;		/* recursive: config writes, mappings, device list */
	pthread_mutex_t irq_lock;	/* leaf: interrupt state; every config byte access */
	uint32_t config_address;	/* 0xCF8, under lock */
	struct pci_dev *devs[256];

	/* Ports inside 0xCF8-0xCFB that were someone else's before the bus existed. */
	struct vmm_bus legacy;
	struct vmm_bus_range taken[4];
	unsigned ntaken;
	bool cf8_registered, cfc_registered;

	/* INTx (under irq_lock). */
	int pirq_route[PCI_NUM_PIRQS];		/* ISA IRQ, or -1 when disabled */
	unsigned pirq_count[PCI_NUM_PIRQS];	/* functions asserting each PIRQ */
	uint32_t isa_sources[PCI_ISA_IRQS];	/* chipset sources per ISA IRQ */
	bool gsi_level[PCI_ISA_IRQS];		/* what we last drove */
};

#define pci_guest_error(bus, ...) do {					\
	if ((bus)->cfg.log)						\
		vmm_guest_error((bus)->cfg.log, __VA_ARGS__);		\
} while (0)

static inline uint64_t pci_size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* pci.c: config bytes, little-endian; the caller holds irq_lock. */
uint32_t pci_cfg_load(const struct pci_dev *dev, unsigned off, unsigned size);
void pci_cfg_store(struct pci_dev *dev, unsigned off, unsigned size, uint32_t val);

/* pci-bar.c: bus lock held. */
void pci_bars_sync(struct pci_dev *dev);
void pci_bars_unmap_all(struct pci_dev *dev);
void pci_bars_free(struct pci_dev *dev);
void pci_bus_retry_mappings(struct pci_bus *bus);

/* pci-intx.c: irq_lock held. */
void pci_intx_sync_locked(struct pci_dev *dev);

/* pci-msi.c. */
bool pci_msi_enabled_locked(struct pci_dev *dev);	/* irq_lock held */
bool pci_msix_enabled_locked(struct pci_dev *dev);	/* irq_lock held */
void pci_msi_sync_locked(struct pci_dev *dev);		/* irq_lock held: deliver unmasked pending */
void pci_msix_reset_locked(struct pci_dev *dev);	/* irq_lock held */
void pci_msi_free(struct pci_dev *dev);
/* BAR accesses falling in the MSI-X table or PBA; take irq_lock themselves. */
bool pci_msix_bar_read(struct pci_dev *dev, unsigned bar, uint64_t off, unsigned size,
		       uint64_t *val);
bool pci_msix_bar_write(struct pci_dev *dev, unsigned bar, uint64_t off, unsigned size,
			uint64_t val);

#endif
