// SPDX-License-Identifier: GPL-2.0-or-later
// The demo guest for "installer/bootstrap demo": a banner, then the RTC time once a second.
#include "kit.h"

/* Not a test, but meson smoke-runs it: the helper's --timeout is the only way it ends. */
KIT_EXPECT("cpus=2 memory=64M timeout=6 exit=69");
KIT_EXPECT("serial=Vessel demo guest");
KIT_EXPECT("serial=CPUs: {cpus}");
KIT_EXPECT("serial=Memory: [0-9]+ MiB");
KIT_EXPECT("serial=[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC");

#define TICK_VECTOR	0x40
#define TICK_MS		100
#define CALIBRATIONS	3

static void tick_isr(struct kit_frame *f, void *ctx)
{
	lapic_eoi();
}

static unsigned count_cpus(void)
{
	/* Wake every AP once and count who answers; they halt right after. */
	return 1 + kit_start_aps(NULL, 0, 300);
}

static uint32_t memory_mib(const struct kit_boot_info *bi)
{
	/* Multiboot §3.3: mem_upper counts KiB from 1 MiB up to the first hole. */
	if (bi->mbi_flags & 1)
		return (bi->mem_upper_kib + 1024 + 512) / 1024;
	return (uint32_t)((bi->mmap_ram_bytes + (1u << 19)) >> 20);
}

static void banner(unsigned cpus)
{
	const struct kit_boot_info *bi = kit_boot_info();

	kit_printf("\n========================================================\n");
	kit_printf("  Vessel demo guest\n");
	kit_printf("  CPUs: %u (found by waking the others with INIT-SIPI-SIPI)\n", cpus);
	kit_printf("  Memory: %u MiB (multiboot: lower %u KiB, upper %u KiB)\n",
		   memory_mib(bi), bi->mem_lower_kib, bi->mem_upper_kib);
	kit_printf("  Command line: %s\n", bi->cmdline[0] ? bi->cmdline : "(none)");
	kit_printf("  The time below comes from the emulated MC146818 RTC.\n");
	kit_printf("========================================================\n");
}

/*
 * LAPIC timer counts (divide by 16) in 10 ms of PIT time, the least of CALIBRATIONS tries.
 * A VM paused (or a vCPU thread descheduled) inside the window lets the LAPIC count run on
 * for the whole pause, since both timers follow host time: one such try, used alone, made
 * the tick seconds long and the clock look stuck after a Pause/Resume. A pause can only
 * lengthen a try, so the shortest is the true rate.
 */
static uint32_t lapic_counts_per_10ms(void)
{
	uint32_t best = 0xFFFFFFFF;

	for (int i = 0; i < CALIBRATIONS; i++) {
		uint32_t n;

		lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
		pit_ch2_wait_us(10000);
		n = 0xFFFFFFFF - lapic_read(LAPIC_TIMER_CUR);
		if (n < best)
			best = n;
	}
	return best;
}

/* A 10 Hz local APIC timer wakes the CPU from hlt; each wake-up polls the RTC seconds. */
static void start_ticks(void)
{
	kit_set_handler(TICK_VECTOR, tick_isr, NULL);
	lapic_enable();
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TICK_VECTOR);
	lapic_timer_start(TICK_VECTOR, lapic_counts_per_10ms() * (TICK_MS / 10), 0x3, true);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	struct kit_rtc_time t;
	unsigned last = 60, uptime = 0;

	banner(count_cpus());
	start_ticks();
	for (;;) {
		sti_hlt();
		if (!rtc_read_time(&t) || t.second == last)
			continue;
		if (last != 60)
			uptime++;
		last = t.second;
		kit_printf("%04u-%02u-%02u %02u:%02u:%02u UTC   up %u s\n", t.year, t.month,
			   t.day, t.hour, t.minute, t.second, uptime);
	}
}
