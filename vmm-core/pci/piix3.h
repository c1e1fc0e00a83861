/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel 82371SB (PIIX3) PCI-to-ISA bridge at 01.0: PIRQ routing and the ELCR. */
#ifndef VMM_PIIX3_H
#define VMM_PIIX3_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "bus.h"
#include "pci.h"

#define PIIX3_VENDOR_ID		0x8086
#define PIIX3_DEVICE_ID		0x7000
#define PIIX3_CLASS		0x060100	/* bridge, ISA */
#define PIIX3_PIRQRC		0x60		/* PIRQRC[A:D] at 0x60..0x63 */
#define PIIX3_PIRQ_DISABLE	0x80		/* IRQROUTEN: 1 = not routed */
#define PIIX3_ELCR1_PORT	0x4d0		/* edge/level for IRQ 0-7 */
#define PIIX3_ELCR2_PORT	0x4d1		/* edge/level for IRQ 8-15 */

struct piix3 {
	struct pci_dev pci;
	struct vmm_bus *pio;
	bool elcr_registered;
	pthread_mutex_t lock;	/* elcr */
	uint8_t elcr[2];
};

/* At 01.0; claims 0x4D0-0x4D1 on pio. 0 or -errno. */
int piix3_init(struct piix3 *p, struct pci_bus *bus, struct vmm_bus *pio);
void piix3_exit(struct piix3 *p);
/* Level-triggered ISA IRQs as the ELCR says (bit n = IRQ n). */
uint16_t piix3_elcr(struct piix3 *p);
/* Snapshots: set the ELCR as saved; -EINVAL for bits of IRQ 0, 1, 2, 8 or 13 (edge-only). */
bool piix3_elcr_ok(uint16_t elcr);
int piix3_set_elcr(struct piix3 *p, uint16_t elcr);

#endif
