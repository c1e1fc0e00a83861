// SPDX-License-Identifier: GPL-2.0-or-later
// Interrupt controllers: 8259A pair, IOAPIC redirection table, local APIC and its timer.
#include "kit.h"

/* ---- 8259A (Intel 8259A datasheet, "Initialization Command Words") ---- */

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xA0
#define PIC2_DATA	0xA1

void pic_remap_and_mask(void)
{
	outb(PIC1_CMD, 0x11);			/* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, KIT_PIC_VECTOR_BASE);	/* ICW2: vector base */
	outb(PIC2_DATA, KIT_PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 0x04);			/* ICW3: slave on IR2 */
	outb(PIC2_DATA, 0x02);			/* ICW3: slave identity 2 */
	outb(PIC1_DATA, 0x01);			/* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xFF);			/* OCW1: everything masked */
	outb(PIC2_DATA, 0xFF);
}

void pic_unmask(unsigned irq)
{
	if (irq >= 8) {
		outb(PIC2_DATA, inb(PIC2_DATA) & ~(1u << (irq - 8)));
		irq = 2;
	}
	outb(PIC1_DATA, inb(PIC1_DATA) & ~(1u << irq));
}

void pic_mask(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_DATA, inb(PIC2_DATA) | (1u << (irq - 8)));
	else
		outb(PIC1_DATA, inb(PIC1_DATA) | (1u << irq));
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);		/* OCW2: non-specific EOI */
	outb(PIC1_CMD, 0x20);
}

/* ---- IOAPIC (82093AA datasheet §3.1: IOREGSEL at +0, IOWIN at +0x10) ---- */

uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(KIT_IOAPIC_BASE, reg);
	return mmio_read32(KIT_IOAPIC_BASE + 0x10);
}

void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(KIT_IOAPIC_BASE, reg);
	mmio_write32(KIT_IOAPIC_BASE + 0x10, v);
}

unsigned ioapic_pins(void)
{
	/* IOAPICVER bits 23:16 hold the highest redirection entry index. */
	return ((ioapic_read(0x01) >> 16) & 0xFF) + 1;
}

void ioapic_route(unsigned pin, uint8_t vector, uint8_t dest_apic_id, uint32_t flags)
{
	/* Fixed delivery, physical destination; high dword first so the entry is never
	 * live with a stale destination. */
	ioapic_write(0x10 + 2 * pin + 1, (uint32_t)dest_apic_id << 24);
	ioapic_write(0x10 + 2 * pin, vector | flags);
}

void ioapic_mask(unsigned pin)
{
	ioapic_write(0x10 + 2 * pin, ioapic_read(0x10 + 2 * pin) | IOAPIC_MASKED);
}

void ioapic_mask_all(void)
{
	unsigned n = ioapic_pins();

	for (unsigned pin = 0; pin < n; pin++)
		ioapic_mask(pin);
}

/* ---- local APIC (Intel SDM vol. 3A ch. 11) ---- */

uint32_t lapic_read(unsigned reg)
{
	return mmio_read32(KIT_LAPIC_BASE + reg);
}

void lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(KIT_LAPIC_BASE + reg, v);
}

void lapic_enable(void)
{
	/* SVR bit 8 software-enables the APIC (§11.9); vector 0xFF for spurious ones. */
	lapic_write(LAPIC_SVR, 0x100 | KIT_SPURIOUS_VECTOR);
	lapic_write(LAPIC_TPR, 0);
}

uint8_t lapic_id(void)
{
	return (uint8_t)(lapic_read(LAPIC_ID) >> 24);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_start(uint8_t vector, uint32_t count, uint32_t divide, bool periodic)
{
	/* §11.5.4: program the divider and LVT before the initial count starts the timer. */
	lapic_write(LAPIC_TIMER_DIV, divide);
	lapic_write(LAPIC_LVT_TIMER, vector | (periodic ? LAPIC_TIMER_PERIODIC : 0));
	lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
}

#define RATE_WINDOW_US	20000
#define RATE_TRIES	3

/*
 * Both this timer and PIT channel 2 follow host time, so a vCPU descheduled at a window's
 * end lets the LAPIC count run on for the whole gap: a try can come out long, never short,
 * and the least of RATE_TRIES is the rate. Leaves the timer stopped.
 */
uint32_t lapic_timer_counts_per_ms(uint32_t divide)
{
	uint32_t best = UINT32_MAX;

	lapic_write(LAPIC_TIMER_DIV, divide);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
	for (int i = 0; i < RATE_TRIES; i++) {
		uint32_t n;

		lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
		pit_ch2_wait_us(RATE_WINDOW_US);
		n = 0xFFFFFFFF - lapic_read(LAPIC_TIMER_CUR);
		if (n < best)
			best = n;
	}
	lapic_timer_stop();
	return best / (RATE_WINDOW_US / 1000);
}

static bool icr_idle(void)
{
	/* ICR bit 12: delivery status, 1 while the IPI is still pending (§11.6.1). */
	for (unsigned i = 0; i < 100000; i++) {
		if (!(lapic_read(LAPIC_ICR_LO) & (1u << 12)))
			return true;
		pause();
	}
	return false;
}

bool lapic_send_ipi(uint8_t dest, uint32_t icr_lo)
{
	if (!icr_idle())
		return false;
	lapic_write(LAPIC_ICR_HI, (uint32_t)dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	return icr_idle();
}
