// SPDX-License-Identifier: GPL-2.0-or-later
// Snapshot guest: counts LAPIC and RTC ticks, checks RAM, prints "count: N" (run-snapshot.py).
#include "kit.h"

/* run-snapshot.py drives this guest; these records let run-guest.py run it on its own too. */
KIT_EXPECT("cpus=1 memory=64M timeout=3 exit=69");
KIT_EXPECT("serial=count: 3 lapic=[0-9]+ rtc=[0-9]+ ram=ok");

#define LAPIC_VECTOR	0x40
#define RTC_VECTOR	0x41
#define DIV_16		0x3
#define TICK_MS		10
#define TICKS_PER_COUNT	20		/* one line every 200 ms of guest time */
#define REG_A		0x0A
#define REG_B		0x0B
#define REG_C		0x0C
#define B_PIE		0x40
#define C_PF		0x40
#define PATTERN_WORDS	4096
#define FILL_BASE	(16u << 20)

static volatile uint32_t lapic_ticks, rtc_ticks;
/* State in RAM the snapshot must carry: a seeded pattern and its checksum. */
static uint32_t pattern[PATTERN_WORDS];
static uint32_t pattern_sum;

static void lapic_isr(struct kit_frame *f, void *ctx)
{
	lapic_ticks++;
	lapic_eoi();
}

static void rtc_isr(struct kit_frame *f, void *ctx)
{
	/* Reading register C acknowledges the periodic interrupt (MC146818 datasheet). */
	if (cmos_read(REG_C) & C_PF)
		rtc_ticks++;
	lapic_eoi();
}

static uint32_t fill_pattern(uint32_t seed)
{
	uint32_t x = seed | 1, sum = 0;

	for (unsigned i = 0; i < PATTERN_WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = x;
		sum += x * (i + 1);
	}
	return sum;
}

static bool pattern_ok(void)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < PATTERN_WORDS; i++)
		sum += pattern[i] * (i + 1);
	return sum == pattern_sum;
}

/* fill=MiB: make that much RAM above 16 MiB non-zero (one word a page), for a slow save. */
static void fill_ram(uint32_t mib, uint32_t seed)
{
	volatile uint32_t *p = (volatile uint32_t *)FILL_BASE;

	for (uint32_t pg = 0; pg < mib * 256; pg++)
		p[pg * 1024] = seed + pg;
	kit_printf("snapshot: %u MiB touched\n", mib);
}

static void start_timers(void)
{
	uint32_t rate;

	kit_set_handler(LAPIC_VECTOR, lapic_isr, NULL);
	kit_set_handler(RTC_VECTOR, rtc_isr, NULL);
	lapic_enable();
	rate = lapic_timer_counts_per_ms(DIV_16);
	KIT_ASSERT(rate > 0);
	lapic_timer_start(LAPIC_VECTOR, rate * TICK_MS, DIV_16, true);
	ioapic_route(8, RTC_VECTOR, lapic_id(), 0);
	/* Register A: 32.768 kHz time base, rate 10 = 64 Hz. */
	cmos_write(REG_A, (cmos_read(REG_A) & 0xF0) | 0x0A);
	cmos_read(REG_C);
	cmos_write(REG_B, cmos_read(REG_B) | B_PIE);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint32_t seed = (uint32_t)rdtsc(), count = 0, next = TICKS_PER_COUNT, last_rtc = 0;
	uint32_t fill = (uint32_t)kit_cmdline_u64("fill", 0);

	pattern_sum = fill_pattern(seed);
	if (fill)
		fill_ram(fill, seed);
	start_timers();
	kit_printf("snapshot: counting\n");
	for (;;) {
		sti_hlt();
		cli();
		if (lapic_ticks < next)
			continue;
		next = lapic_ticks + TICKS_PER_COUNT;
		count++;
		KIT_ASSERT(pattern_ok());
		kit_printf("count: %u lapic=%u rtc=%u ram=ok\n", count, lapic_ticks, rtc_ticks);
		/* 200 ms at 64 Hz is ~12 RTC ticks: none means the RTC stopped (e.g. not restored). */
		if (count > 1 && rtc_ticks == last_rtc)
			KIT_FAIL("the RTC periodic interrupt stopped");
		last_rtc = rtc_ticks;
	}
}
