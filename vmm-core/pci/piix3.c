// SPDX-License-Identifier: GPL-2.0-or-later
/* PIIX3 ISA bridge: PIRQ route control registers 0x60-0x63 and the ELCR at 0x4D0/0x4D1. */
#include "piix3.h"

#include <errno.h>
#include <stddef.h>

/*
 * 82371SB datasheet §2.2.13 PIRQRC[A:D]: bit 7 IRQROUTEN (1 = disabled), bits 3:0 the ISA
 * IRQ. IRQ 0, 1, 2, 8 and 13 are reserved (timer, keyboard, cascade, RTC, FPU).
 */
#define PIRQRC_WMASK		0x8f
#define PIRQ_IRQ_ALLOWED	0xdef8u		/* IRQ 3-7, 9-12, 14, 15 */
/* §4.1 ELCR1/ELCR2: IRQ 0, 1, 2, 8 and 13 are always edge-triggered. */
#define ELCR1_MASK		0xf8
#define ELCR2_MASK		0xde
#define XBCS			0x4e		/* X-bus chip select, default 0x0003 */
#define TOM			0x69		/* top of memory, default 0x02 */
#define MBIRQ0			0x70		/* motherboard IRQ route, default 0x80 */

static struct piix3 *to_piix3(struct pci_dev *dev)
{
	return (struct piix3 *)((char *)dev - offsetof(struct piix3, pci));
}

/* The ISA IRQ PIRQRC register `pirq` selects, or -1. */
static int pirq_target(struct piix3 *p, unsigned pirq)
{
	uint8_t v = (uint8_t)pci_config_get(&p->pci, PIIX3_PIRQRC + pirq, 1);
	struct vmm_guest_log *log = pci_bus_log(p->pci.bus);
	unsigned irq = v & 0x0f;

	if (v & PIIX3_PIRQ_DISABLE)
		return -1;
	if (PIRQ_IRQ_ALLOWED & (1u << irq))
		return (int)irq;
	if (log)
		vmm_guest_error(log, "piix3: PIRQ%c routed to reserved IRQ %u; ignored",
				'A' + pirq, irq);
	return -1;
}

static void route_pirqs(struct piix3 *p)
{
	for (unsigned i = 0; i < PCI_NUM_PIRQS; i++)
		pci_bus_set_pirq_route(p->pci.bus, i, pirq_target(p, i));
}

static void piix3_config_write(struct pci_dev *dev, unsigned offset, uint32_t val,
			       unsigned size)
{
	if (offset < PIIX3_PIRQRC + PCI_NUM_PIRQS && offset + size > PIIX3_PIRQRC)
		route_pirqs(to_piix3(dev));
}

static void piix3_reset(struct pci_dev *dev)
{
	struct piix3 *p = to_piix3(dev);

	pthread_mutex_lock(&p->lock);
	p->elcr[0] = p->elcr[1] = 0;
	pthread_mutex_unlock(&p->lock);
	route_pirqs(p);
}

static const struct pci_dev_ops piix3_pci_ops = {
	.config_write = piix3_config_write,
	.reset = piix3_reset,
};

/*
 * ELCR. With KVM's in-kernel PIC these ports never exit to us (the kernel's 8259 model
 * implements them), so this copy serves only tests and a userspace irqchip.
 */
static uint64_t elcr_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix3 *p = opaque;
	uint8_t v;

	pthread_mutex_lock(&p->lock);
	v = p->elcr[off & 1];
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void elcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix3 *p = opaque;

	pthread_mutex_lock(&p->lock);
	p->elcr[off & 1] = (uint8_t)val & (off & 1 ? ELCR2_MASK : ELCR1_MASK);
	pthread_mutex_unlock(&p->lock);
}

/* Locking: vCPU threads; p->lock. */
static const struct vmm_io_ops piix3_elcr_ops = {
	.name = "elcr", .read = elcr_read, .write = elcr_write, .min_size = 1, .max_size = 1,
};

uint16_t piix3_elcr(struct piix3 *p)
{
	uint16_t v;

	pthread_mutex_lock(&p->lock);
	v = (uint16_t)(p->elcr[0] | p->elcr[1] << 8);
	pthread_mutex_unlock(&p->lock);
	return v;
}

bool piix3_elcr_ok(uint16_t elcr)
{
	return !(elcr & ~(uint16_t)(ELCR1_MASK | ELCR2_MASK << 8));
}

int piix3_set_elcr(struct piix3 *p, uint16_t elcr)
{
	if (!piix3_elcr_ok(elcr))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	p->elcr[0] = (uint8_t)elcr;
	p->elcr[1] = (uint8_t)(elcr >> 8);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void init_registers(struct piix3 *p)
{
	struct pci_dev *d = &p->pci;

	for (unsigned i = 0; i < PCI_NUM_PIRQS; i++) {
		pci_config_set(d, PIIX3_PIRQRC + i, 1, PIIX3_PIRQ_DISABLE);
		pci_config_set_wmask(d, PIIX3_PIRQRC + i, 1, PIRQRC_WMASK);
	}
	/* Plain storage firmware may program; nothing behind them in a VM. */
	pci_config_set(d, XBCS, 2, 0x0003);
	pci_config_set_wmask(d, XBCS, 2, 0x07ff);
	pci_config_set(d, TOM, 1, 0x02);
	pci_config_set_wmask(d, TOM, 1, 0xff);
	pci_config_set(d, MBIRQ0, 1, 0x80);
	pci_config_set_wmask(d, MBIRQ0, 1, 0xcf);
	pci_config_claim(d, 0x40, PCI_CONFIG_SIZE - 0x40);	/* no capabilities */
	d->regs_guest_only = true;
}

int piix3_init(struct piix3 *p, struct pci_bus *bus, struct vmm_bus *pio)
{
	const struct pci_dev_info info = {
		.name = "piix3",
		.vendor_id = PIIX3_VENDOR_ID,
		.device_id = PIIX3_DEVICE_ID,
		.class_code = PIIX3_CLASS,
		.ops = &piix3_pci_ops,
	};
	int ret;

	pthread_mutex_init(&p->lock, NULL);
	p->pio = pio;
	p->elcr[0] = p->elcr[1] = 0;
	p->elcr_registered = false;
	ret = pci_dev_init(&p->pci, bus, PCI_DEVFN(1, 0), &info);
	if (ret)
		goto out_lock;
	init_registers(p);
	ret = vmm_bus_register(pio, PIIX3_ELCR1_PORT, 2, &piix3_elcr_ops, p);
	if (ret)
		goto out_dev;
	p->elcr_registered = true;
	route_pirqs(p);
	return 0;
out_dev:
	pci_dev_exit(&p->pci);
out_lock:
	pthread_mutex_destroy(&p->lock);
	return ret;
}

void piix3_exit(struct piix3 *p)
{
	if (p->elcr_registered)
		vmm_bus_unregister(p->pio, PIIX3_ELCR1_PORT, p);
	p->elcr_registered = false;
	pci_dev_exit(&p->pci);
	pthread_mutex_destroy(&p->lock);
}
