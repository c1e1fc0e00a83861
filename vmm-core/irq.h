/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An interrupt line a device drives, without knowing whether KVM or a test sits behind it. */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

struct vmm_irq {
	void (*set)(void *opaque, unsigned gsi, int level);
	void *opaque;
	unsigned gsi;
};

static inline void vmm_irq_set(const struct vmm_irq *irq, int level)
{
	if (irq && irq->set)
		irq->set(irq->opaque, irq->gsi, level);
}

/* Edge-triggered ISA interrupts: raise then lower. */
static inline void vmm_irq_pulse(const struct vmm_irq *irq)
{
	vmm_irq_set(irq, 1);
	vmm_irq_set(irq, 0);
}

#endif
