// SPDX-License-Identifier: GPL-2.0-or-later
// PIT channel 0 at ~1 kHz through IOAPIC pin 2 (the IRQ0 override), never pin 0 or the PIC.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0");
KIT_EXPECT("serial=pit: ioapic [0-9]+ pins");
KIT_EXPECT("serial=pit: [0-9]+ ticks in [0-9]+ ms");

#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_VECTOR	0x30
#define PIN0_VECTOR	0x31
#define RELOAD		1193	/* 1193182 Hz / 1193 = 1000.15 Hz */

struct ticks {
	volatile uint32_t pin2;
	volatile uint32_t pin0;
};

static void pin2_isr(struct kit_frame *f, void *ctx)
{
	struct ticks *t = ctx;

	t->pin2++;
	lapic_eoi();
}

static void pin0_isr(struct kit_frame *f, void *ctx)
{
	struct ticks *t = ctx;

	t->pin0++;
	lapic_eoi();
}

static uint16_t pit_latch_ch0(void)
{
	uint16_t v;

	outb(PIT_CMD, 0x00);		/* counter latch command, channel 0 (8254 datasheet) */
	v = inb(PIT_CH0);
	v |= (uint16_t)inb(PIT_CH0) << 8;
	return v;
}

static void pit_start(uint16_t reload)
{
	outb(PIT_CMD, 0x34);		/* channel 0, lobyte/hibyte, mode 2 rate generator */
	outb(PIT_CH0, (uint8_t)reload);
	outb(PIT_CH0, (uint8_t)(reload >> 8));
}

/* The counter runs down within its reload value and really moves. */
static void check_counter(void)
{
	uint16_t a, b;
	bool moved = false;

	pit_start(0xFFFF);
	a = pit_latch_ch0();
	for (unsigned i = 0; i < 1000 && !moved; i++) {
		b = pit_latch_ch0();
		moved = b != a;
	}
	KIT_ASSERT(moved);
}

/*
 * Count ticks for interval_ms by the TSC (calibrated against PIT channel 2, a different
 * counter of the same chip), halting between interrupts: a busy loop of port reads
 * starves interrupt delivery on a slow emulated CPU and would measure that instead.
 */
static uint32_t count_ticks(struct ticks *t, uint32_t interval_ms, uint32_t *elapsed)
{
	uint64_t start;
	uint32_t n;

	sti();
	start = kit_now_ms();
	t->pin2 = 0;
	while (kit_now_ms() - start < interval_ms)
		hlt();
	n = t->pin2;
	*elapsed = (uint32_t)(kit_now_ms() - start);
	cli();
	return n;
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	static struct ticks t;
	uint32_t pins = ioapic_pins(), n, elapsed, expect;

	kit_printf("pit: ioapic %u pins, version 0x%02x\n", pins, ioapic_read(1) & 0xFF);
	KIT_ASSERT_EQ(pins, 24);
	check_counter();
	kit_tsc_per_ms();

	/* PIC stays fully masked: these ticks can only come through the IOAPIC. */
	kit_set_handler(PIT_VECTOR, pin2_isr, &t);
	kit_set_handler(PIN0_VECTOR, pin0_isr, &t);
	lapic_enable();
	ioapic_route(2, PIT_VECTOR, lapic_id(), 0);
	ioapic_route(0, PIN0_VECTOR, lapic_id(), 0);
	pit_start(RELOAD);
	n = count_ticks(&t, 500, &elapsed);
	ioapic_mask(2);
	ioapic_mask(0);
	expect = (uint32_t)((uint64_t)elapsed * KIT_PIT_HZ / RELOAD / 1000);

	kit_printf("pit: %u ticks in %u ms (%u expected), %u on pin 0\n", n, elapsed, expect,
		   t.pin0);
	/* The override routes IRQ0 to pin 2 only (ACPI MADT interrupt source override). */
	KIT_ASSERT_EQ(t.pin0, 0);
	/* KVM's PIT re-injects ticks the guest was too slow to take, so the band is
	 * tighter than for the RTC or LAPIC timer; a wrong mode or rate still fails. */
	KIT_ASSERT_RANGE(n, expect * 3 / 5, expect + expect / 4);
}
