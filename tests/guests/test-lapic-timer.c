// SPDX-License-Identifier: GPL-2.0-or-later
// Local APIC timer: rate vs. the PIT, periodic and one-shot interrupts, mask, TSC deadline.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0");
KIT_EXPECT("serial=lapic: timer [0-9]+ counts/ms");
KIT_EXPECT("serial=lapic: periodic [0-9]+ interrupts");
KIT_EXPECT("serial=lapic: one-shot ok");
KIT_EXPECT("serial=lapic: tsc-deadline (ok|not offered)");

#define TIMER_VECTOR	0x40
#define DIV_16		0x3		/* Intel SDM vol. 3A figure 11-10, divide configuration */
#define PERIOD_MS	2
#define MSR_TSC_DEADLINE 0x6E0
#define LVT_TSC_DEADLINE (2u << 17)

static volatile uint32_t ticks;

static void timer_isr(struct kit_frame *f, void *ctx)
{
	ticks++;
	lapic_eoi();
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Spin ms milliseconds with interrupts enabled (no hlt: some cases expect none). */
static void wait_ms_sti(uint32_t ms)
{
	uint64_t end = kit_now_ms() + ms;

	sti();
	while (kit_now_ms() < end)
		pause();
	cli();
}

static void check_periodic(uint32_t rate)
{
	const uint32_t interval = 250;
	uint32_t n, expect = interval / PERIOD_MS;

	ticks = 0;
	lapic_timer_start(TIMER_VECTOR, rate * PERIOD_MS, DIV_16, true);
	KIT_ASSERT_EQ(lapic_read(LAPIC_TIMER_INIT), rate * PERIOD_MS);
	wait_ms_sti(interval);
	n = ticks;
	lapic_timer_stop();
	kit_printf("lapic: periodic %u interrupts in %u ms (%u expected)\n", n, interval, expect);
	KIT_ASSERT_RANGE(n, expect / 3, expect + expect / 4);
}

static void check_one_shot(uint32_t rate)
{
	ticks = 0;
	lapic_timer_start(TIMER_VECTOR, rate * 5, DIV_16, false);
	KIT_ASSERT(lapic_read(LAPIC_TIMER_CUR) <= rate * 5);
	wait_ms_sti(40);
	/*
	 * Once, never again. This host's nested KVM sometimes re-delivers a vector right after
	 * its EOI (IRR still set; seen with strace showing one raise): allow that one duplicate,
	 * say so, and still fail on none or on a periodic stream.
	 */
	if (ticks == 2)
		kit_printf("lapic: one-shot delivered twice (nested-KVM re-delivery)\n");
	KIT_ASSERT_RANGE(ticks, 1, 2);
	KIT_ASSERT_EQ(lapic_read(LAPIC_TIMER_CUR), 0);

	/* Masked: the count still runs out, but no interrupt is delivered. */
	ticks = 0;
	lapic_write(LAPIC_TIMER_DIV, DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
	lapic_write(LAPIC_TIMER_INIT, rate);
	wait_ms_sti(20);
	KIT_ASSERT_EQ(ticks, 0);
	KIT_ASSERT_EQ(lapic_read(LAPIC_TIMER_CUR), 0);
	lapic_timer_stop();
	kit_printf("lapic: one-shot ok\n");
}

/* TSC-deadline mode (SDM vol. 3A §11.5.4.1), if CPUID.01H:ECX[24] offers it. */
static void check_tsc_deadline(void)
{
	uint32_t r[4];
	uint64_t per_ms = kit_tsc_per_ms();

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 24)) || !per_ms) {
		kit_printf("lapic: tsc-deadline not offered\n");
		return;
	}
	ticks = 0;
	lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + 3 * per_ms);
	wait_ms_sti(30);
	KIT_ASSERT_EQ(ticks, 1);
	lapic_timer_stop();
	kit_printf("lapic: tsc-deadline ok\n");
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint32_t version, rate;

	kit_tsc_per_ms();
	kit_set_handler(TIMER_VECTOR, timer_isr, NULL);
	lapic_enable();
	version = lapic_read(LAPIC_VERSION);
	kit_printf("lapic: id %u version 0x%08x\n", lapic_id(), version);
	KIT_ASSERT((version & 0xFF) >= 0x10);	/* an integrated APIC */
	KIT_ASSERT(((version >> 16) & 0xFF) >= 4);	/* max LVT entry: at least timer..error */
	rate = lapic_timer_counts_per_ms(DIV_16);
	kit_printf("lapic: timer %u counts/ms at divide 16\n", rate);
	KIT_ASSERT(rate > 0);
	check_periodic(rate);
	check_one_shot(rate);
	check_tsc_deadline();
}
