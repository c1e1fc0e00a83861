// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the CMOS RTC: formats, SET, UIP, IRQ 8 sources, lost-tick catch-up, NVRAM. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rtc.h"
#include "tap.h"
#include "vm.h"

#define US	1000ull
#define MS	1000000ull
#define SEC	1000000000ull

/* Fixed guest times (UTC). */
#define T_THU_134556	1709214356	/* 2024-02-29 13:45:56, a Thursday */
#define T_THU_003000	1709166600	/* 2024-02-29 00:30:00 */
#define T_THU_123000	1709209800	/* 2024-02-29 12:30:00 */
#define T_2099_LAST	4102444799	/* 2099-12-31 23:59:59 */

struct fake_irq {
	struct vmm_loop *loop;
	int level;
	unsigned raises;
	uint64_t first_raise, last_raise;
	uint64_t min_gap;		/* shortest time between two raises */
};

struct rig {
	struct vmm_loop *loop;
	struct vmm_bus bus;
	struct vmm_guest_log glog;
	struct fake_irq irq;
	struct rtc *rtc;
};

static void fake_set(void *opaque, unsigned gsi, int level)
{
	struct fake_irq *f = opaque;
	uint64_t now = vmm_loop_now(f->loop);

	if (gsi == RTC_GSI && level && !f->level) {
		if (f->raises && now - f->last_raise < f->min_gap)
			f->min_gap = now - f->last_raise;
		if (!f->raises)
			f->first_raise = now;
		f->last_raise = now;
		f->raises++;
	}
	f->level = level;
}

static void fake_clear(struct fake_irq *f)
{
	f->raises = 0;
	f->min_gap = UINT64_MAX;
}

static void rig_open_mem(struct rig *r, time_t base, uint64_t below, uint64_t above,
			 unsigned cpus)
{
	struct rtc_config cfg = {
		.ram_below_4g = below,
		.ram_above_4g = above,
		.cpus = cpus,
		.base = base,
	};

	memset(r, 0, sizeof(*r));
	r->loop = vmm_loop_new(true);
	vmm_guest_log_init(&r->glog, NULL, 0);
	vmm_bus_init(&r->bus, "pio", &r->glog);
	r->irq.loop = r->loop;
	fake_clear(&r->irq);
	cfg.irq = (struct vmm_irq){ .set = fake_set, .opaque = &r->irq, .gsi = RTC_GSI };
	cfg.loop = r->loop;
	cfg.glog = &r->glog;
	r->rtc = rtc_new(&cfg);
	if (!r->rtc || vmm_bus_register(&r->bus, RTC_PORT_INDEX, 2, &rtc_io_ops, r->rtc)) {
		printf("Bail out! cannot create the RTC\n");
		exit(1);
	}
}

static void rig_open(struct rig *r, time_t base)
{
	rig_open_mem(r, base, 128ull << 20, 0, 1);
}

static void rig_close(struct rig *r)
{
	vmm_bus_destroy(&r->bus);
	rtc_free(r->rtc);
	vmm_loop_free(r->loop);
	vmm_guest_log_destroy(&r->glog);
}

static uint8_t in71(struct rig *r, uint8_t idx)
{
	uint8_t v = 0;

	vmm_bus_write(&r->bus, RTC_PORT_INDEX, &idx, 1);
	vmm_bus_read(&r->bus, RTC_PORT_DATA, &v, 1);
	return v;
}

static void out71(struct rig *r, uint8_t idx, uint8_t v)
{
	vmm_bus_write(&r->bus, RTC_PORT_INDEX, &idx, 1);
	vmm_bus_write(&r->bus, RTC_PORT_DATA, &v, 1);
}

/* Run for `ns` in `step` slices like a guest whose ISR reads C; returns the C values' OR. */
static uint8_t run_acking(struct rig *r, uint64_t ns, uint64_t step)
{
	uint8_t seen = 0;

	for (uint64_t t = 0; t < ns; t += step) {
		vmm_loop_advance(r->loop, step);
		if (r->irq.level)
			seen |= in71(r, RTC_REG_C);
	}
	return seen;
}

static void test_formats(void)
{
	struct rig r;

	rig_open(&r, T_THU_134556);
	is_int(in71(&r, RTC_REG_A), 0x26, "power-on A: 32.768 kHz, 1024 Hz");
	is_int(in71(&r, RTC_REG_B), 0x02, "power-on B: BCD, 24-hour");
	is_int(in71(&r, RTC_REG_D), 0x80, "D: VRT set");
	is_int(in71(&r, RTC_SEC), 0x56, "BCD seconds");
	is_int(in71(&r, RTC_MIN), 0x45, "BCD minutes");
	is_int(in71(&r, RTC_HOUR), 0x13, "BCD hours, 24-hour");
	is_int(in71(&r, RTC_WDAY), 5, "weekday: Thursday = 5 (Sunday = 1)");
	is_int(in71(&r, RTC_MDAY), 0x29, "BCD day of month (leap day)");
	is_int(in71(&r, RTC_MON), 0x02, "BCD month");
	is_int(in71(&r, RTC_YEAR), 0x24, "BCD year");
	is_int(in71(&r, RTC_CENTURY), 0x20, "BCD century at 0x32");

	out71(&r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
	is_int(in71(&r, RTC_SEC), 56, "binary seconds");
	is_int(in71(&r, RTC_HOUR), 13, "binary hours");
	is_int(in71(&r, RTC_MDAY), 29, "binary day");
	is_int(in71(&r, RTC_YEAR), 24, "binary year");
	is_int(in71(&r, RTC_CENTURY), 20, "binary century");

	out71(&r, RTC_REG_B, 0);
	is_int(in71(&r, RTC_HOUR), 0x81, "12-hour BCD: 1 PM = 0x81");
	out71(&r, RTC_REG_B, RTC_B_DM_BINARY);
	is_int(in71(&r, RTC_HOUR), 0x81, "12-hour binary: 1 PM = 0x81");

	out71(&r, RTC_REG_B, RTC_B_24H);
	vmm_loop_advance(r.loop, 1500 * MS);
	is_int(in71(&r, RTC_SEC), 0x57, "1.5 s later the seconds moved by one");
	vmm_loop_advance(r.loop, 63 * SEC);
	is_int(in71(&r, RTC_MIN), 0x47, "a minute later the minutes moved");
	is_int(in71(&r, RTC_SEC), 0x00, "and the seconds wrapped");
	rig_close(&r);

	rig_open(&r, T_THU_003000);
	out71(&r, RTC_REG_B, 0);
	is_int(in71(&r, RTC_HOUR), 0x12, "12-hour: 00:30 is 12 AM (0x12)");
	rig_close(&r);
	rig_open(&r, T_THU_123000);
	out71(&r, RTC_REG_B, 0);
	is_int(in71(&r, RTC_HOUR), 0x92, "12-hour: 12:30 is 12 PM (0x92)");
	rig_close(&r);

	rig_open(&r, T_2099_LAST);
	vmm_loop_advance(r.loop, SEC);
	is_int(in71(&r, RTC_YEAR), 0x00, "2099 rolls over to year 00");
	is_int(in71(&r, RTC_CENTURY), 0x21, "... and century 21");
	is_int(in71(&r, RTC_MON), 0x01, "... January");
	is_int(in71(&r, RTC_MDAY), 0x01, "... the 1st");
	is_int(in71(&r, RTC_WDAY), 6, "... a Friday");
	rig_close(&r);
}

static uint64_t fixed_wall(void *opaque)
{
	return *(uint64_t *)opaque;
}

/* base = 0 reads the host wall clock once, through the hook, phase included. */
static void test_wall_clock(void)
{
	uint64_t wall = (uint64_t)T_THU_134556 * SEC + 750 * MS;
	struct rtc_config cfg = {
		.ram_below_4g = 64ull << 20,
		.wall_now_ns = fixed_wall,
		.wall_opaque = &wall,
	};
	struct rig r = { 0 };
	struct rtc *rtc;

	cfg.loop = vmm_loop_new(true);
	rtc = rtc_new(&cfg);
	vmm_bus_init(&r.bus, "pio", NULL);
	vmm_bus_register(&r.bus, RTC_PORT_INDEX, 2, &rtc_io_ops, rtc);
	is_int(rtc_cmos_read(rtc, RTC_CENTURY), 0x20, "wall clock hook: century");
	rtc_cmos_write(rtc, RTC_CENTURY, 0x19);
	is_int(rtc_cmos_read(rtc, RTC_CENTURY), 0x19, "host write of the century sets the clock");
	vmm_loop_advance(cfg.loop, 200 * MS);
	wall += 10 * SEC;	/* read only at power-on: later host clock steps do not matter */
	rtc_cmos_write(rtc, RTC_CENTURY, 0x20);
	is_int(in71(&r, RTC_SEC), 0x56, "0.95 s into the host's second 56");
	vmm_loop_advance(cfg.loop, 50 * MS - 100 * US);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP, "phase of the host clock kept");
	vmm_loop_advance(cfg.loop, 200 * US);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, 0, "... the update came at 1 s");
	is_int(in71(&r, RTC_SEC), 0x57, "... and the seconds moved");
	is_int(rtc_cmos_read(rtc, RTC_REG_A), 0, "host reads of registers are refused");
	vmm_bus_destroy(&r.bus);
	rtc_free(rtc);
	is_int(rtc_new(&(struct rtc_config){ 0 }) == NULL, 1, "no loop: no RTC");
	vmm_loop_free(cfg.loop);
}

static void test_set_time(void)
{
	static const uint8_t set[][2] = {
		{ RTC_SEC, 0x00 }, { RTC_MIN, 0x30 }, { RTC_HOUR, 0x08 }, { RTC_WDAY, 0x02 },
		{ RTC_MDAY, 0x15 }, { RTC_MON, 0x06 }, { RTC_YEAR, 0x25 }, { RTC_CENTURY, 0x20 },
	};
	struct rig r;

	rig_open(&r, T_THU_134556);
	out71(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	for (unsigned i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		out71(&r, set[i][0], set[i][1]);
	is_int(in71(&r, RTC_MIN), 0x30, "SET: a written register reads back");
	vmm_loop_advance(r.loop, 3 * SEC);
	is_int(in71(&r, RTC_SEC), 0x00, "SET: the clock does not run");
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, 0, "SET: no UIP");
	out71(&r, RTC_REG_B, RTC_B_24H);
	vmm_loop_advance(r.loop, 2200 * MS);
	is_int(in71(&r, RTC_SEC), 0x02, "after SET is cleared the new time runs");
	is_int(in71(&r, RTC_MIN), 0x30, "minutes as set");
	is_int(in71(&r, RTC_HOUR), 0x08, "hours as set");
	is_int(in71(&r, RTC_MDAY), 0x15, "day as set");
	is_int(in71(&r, RTC_MON), 0x06, "month as set");
	is_int(in71(&r, RTC_YEAR), 0x25, "year as set");
	is_int(in71(&r, RTC_CENTURY), 0x20, "century as set");
	is_int(in71(&r, RTC_WDAY), 0x02, "weekday as set (its own counter)");

	out71(&r, RTC_MIN, 0x10);
	is_int(in71(&r, RTC_MIN), 0x10, "a write without SET takes effect at once");
	is_int(in71(&r, RTC_SEC), 0x02, "... and leaves the seconds alone");

	out71(&r, RTC_REG_B, RTC_B_SET | RTC_B_DM_BINARY | RTC_B_24H);
	out71(&r, RTC_HOUR, 23);
	out71(&r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
	is_int(in71(&r, RTC_HOUR), 23, "binary hour written and read");
	out71(&r, RTC_REG_B, RTC_B_SET);
	out71(&r, RTC_HOUR, 0x87);
	out71(&r, RTC_REG_B, RTC_B_24H);
	is_int(in71(&r, RTC_HOUR), 0x19, "12-hour 7 PM written reads 19 in 24-hour mode");
	out71(&r, RTC_REG_B, 0);
	out71(&r, RTC_HOUR, 0x12);
	out71(&r, RTC_REG_B, RTC_B_24H);
	is_int(in71(&r, RTC_HOUR), 0x00, "12-hour 12 AM written reads 00");
	out71(&r, RTC_REG_B, 0);
	out71(&r, RTC_HOUR, 0x92);
	out71(&r, RTC_REG_B, RTC_B_24H);
	is_int(in71(&r, RTC_HOUR), 0x12, "12-hour 12 PM written reads 12");
	is_int(vmm_guest_log_count(&r.glog), 0, "no guest errors for valid writes");
	out71(&r, RTC_SEC, 0x5a);
	is_int(vmm_guest_log_count(&r.glog), 1, "non-BCD time in BCD mode is a guest error");

	/* Divider reset stops time; the first update comes 0.5 s after release. */
	out71(&r, RTC_REG_A, 0x76);
	uint8_t s = in71(&r, RTC_SEC);
	vmm_loop_advance(r.loop, 3 * SEC);
	is_int(in71(&r, RTC_SEC), s, "divider reset: the clock stops");
	out71(&r, RTC_REG_A, 0x26);
	vmm_loop_advance(r.loop, 400 * MS);
	is_int(in71(&r, RTC_SEC), s, "0.4 s after release: no update yet");
	vmm_loop_advance(r.loop, 200 * MS);
	ok(in71(&r, RTC_SEC) != s, "0.6 s after release: updated");
	rig_close(&r);
}

static void test_uip(void)
{
	struct rig r;
	unsigned set = 0;

	rig_open(&r, T_THU_134556);
	vmm_loop_advance(r.loop, 500 * MS);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, 0, "mid-second: no UIP");
	vmm_loop_advance(r.loop, 500 * MS - 100 * US);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP, "100 us before the update: UIP");
	vmm_loop_advance(r.loop, 200 * US);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, 0, "after the update: no UIP");
	for (unsigned i = 0; i < 100000; i++) {	/* one second in 10 us steps */
		vmm_loop_advance(r.loop, 10 * US);
		set += !!(in71(&r, RTC_REG_A) & RTC_A_UIP);
	}
	ok(set >= 24 && set <= 25, "UIP seen for ~244 us of each second (%u samples)", set);
	vmm_loop_advance(r.loop, 1 * SEC - 150 * US);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP, "UIP again before the next update");
	out71(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	is_int(in71(&r, RTC_REG_A) & RTC_A_UIP, 0, "SET clears UIP");
	rig_close(&r);
}

static void test_periodic(void)
{
	struct rig r;
	struct rtc_stats st;
	uint8_t seen;

	rig_open(&r, T_THU_134556);
	rtc_stats(r.rtc, &st);
	is_int(st.timers_armed, 0, "nothing enabled: no timer runs");
	vmm_loop_advance(r.loop, 10 * MS);
	is_int(in71(&r, RTC_REG_C), RTC_C_PF, "PF set without PIE, no IRQF");
	is_int(in71(&r, RTC_REG_C), 0, "C cleared by the read");
	is_int(r.irq.raises, 0, "no interrupt without PIE");

	out71(&r, RTC_REG_B, RTC_B_PIE | RTC_B_24H);
	in71(&r, RTC_REG_C);
	fake_clear(&r.irq);
	seen = run_acking(&r, SEC, 50 * US);
	ok(r.irq.raises >= 1023 && r.irq.raises <= 1025, "1024 Hz: %u raises in 1 s", r.irq.raises);
	is_int(seen & ~RTC_C_UF, RTC_C_IRQF | RTC_C_PF, "C showed IRQF|PF (UF runs regardless)");
	is_int(r.irq.level, 0, "line low after the last C read");
	rtc_stats(r.rtc, &st);
	is_int(st.periodic_dropped, 0, "nothing dropped");
	is_int(st.timers_armed, 1, "one timer (periodic) armed");

	out71(&r, RTC_REG_A, 0x2f);
	fake_clear(&r.irq);
	run_acking(&r, 2 * SEC, 1 * MS);
	ok(r.irq.raises >= 3 && r.irq.raises <= 5, "RS=15: 2 Hz (%u in 2 s)", r.irq.raises);
	out71(&r, RTC_REG_A, 0x21);
	fake_clear(&r.irq);
	run_acking(&r, SEC, 100 * US);
	ok(r.irq.raises >= 255 && r.irq.raises <= 257, "RS=1 aliases 256 Hz (%u)", r.irq.raises);
	out71(&r, RTC_REG_A, 0x23);
	fake_clear(&r.irq);
	run_acking(&r, 100 * MS, 20 * US);
	ok(r.irq.raises >= 818 && r.irq.raises <= 821, "RS=3: 8192 Hz (%u in 0.1 s)",
	   r.irq.raises);
	out71(&r, RTC_REG_A, 0x2a);
	fake_clear(&r.irq);
	run_acking(&r, SEC, 100 * US);
	ok(r.irq.raises >= 63 && r.irq.raises <= 65, "rate change to 64 Hz (%u)", r.irq.raises);
	out71(&r, RTC_REG_A, 0x20);
	fake_clear(&r.irq);
	run_acking(&r, 100 * MS, 100 * US);
	is_int(r.irq.raises, 0, "RS=0: periodic off");
	rtc_stats(r.rtc, &st);
	is_int(st.timers_armed, 0, "RS=0: no timer");

	/* A guest that never acknowledges gets one edge, and no timer keeps running. */
	out71(&r, RTC_REG_A, 0x26);
	fake_clear(&r.irq);
	vmm_loop_advance(r.loop, 100 * MS);
	is_int(r.irq.raises, 1, "unacknowledged: a single raise");
	rtc_stats(r.rtc, &st);
	is_int(st.timers_armed, 0, "unacknowledged: the timer waits for the C read");
	rig_close(&r);
}

static void test_catchup(void)
{
	struct rig r;
	struct rtc_stats st;
	uint64_t start, elapsed;
	unsigned before, burst;

	rig_open(&r, T_THU_134556);
	out71(&r, RTC_REG_B, RTC_B_PIE | RTC_B_24H);
	in71(&r, RTC_REG_C);
	start = vmm_loop_now(r.loop);
	fake_clear(&r.irq);
	run_acking(&r, 200 * MS, 20 * US);
	before = r.irq.raises;

	vmm_loop_advance(r.loop, 100 * MS);	/* the I/O thread was not scheduled */
	rtc_stats(r.rtc, &st);
	ok(st.periodic_pending >= 99 && st.periodic_pending <= 103,
	   "after a 100 ms stall, %llu ticks are owed", (unsigned long long)st.periodic_pending);
	in71(&r, RTC_REG_C);
	r.irq.min_gap = UINT64_MAX;
	run_acking(&r, 30 * MS, 20 * US);
	burst = r.irq.raises - before;
	ok(burst > 61, "catch-up delivers faster than 1024 Hz: %u ticks in the next 30 ms", burst);
	ok(r.irq.min_gap < 976 * US / 2, "catch-up gap %llu ns < half a period",
	   (unsigned long long)r.irq.min_gap);

	elapsed = 1100 * MS - (vmm_loop_now(r.loop) - start);
	run_acking(&r, elapsed, 20 * US);
	elapsed = vmm_loop_now(r.loop) - start;
	rtc_stats(r.rtc, &st);
	unsigned want = (unsigned)(elapsed * 1024 / SEC);
	ok(r.irq.raises + 2 >= want && r.irq.raises <= want + 2,
	   "over %llu ms: %u ticks delivered, elapsed x rate = %u",
	   (unsigned long long)(elapsed / MS), r.irq.raises, want);
	is_int(st.periodic_dropped, 0, "a 100 ms stall drops nothing");
	is_int(st.periodic_pending, 0, "caught up");
	ok(st.periodic_late >= 95, "%llu ticks were delivered late",
	   (unsigned long long)st.periodic_late);
	is_int(st.periodic_delivered, r.irq.raises, "stats count every delivered tick");
	rig_close(&r);

	/* A 5 s stall (host suspend): at most one second's worth is owed, the rest dropped. */
	rig_open(&r, T_THU_134556);
	out71(&r, RTC_REG_B, RTC_B_PIE | RTC_B_24H);
	in71(&r, RTC_REG_C);
	start = vmm_loop_now(r.loop);
	fake_clear(&r.irq);
	run_acking(&r, 100 * MS, 20 * US);
	vmm_loop_advance(r.loop, 5 * SEC);
	rtc_stats(r.rtc, &st);
	is_int(st.periodic_pending, 1024, "owed ticks capped at one second's worth");
	ok(st.periodic_dropped >= 4090 && st.periodic_dropped <= 4100,
	   "%llu ticks dropped", (unsigned long long)st.periodic_dropped);
	in71(&r, RTC_REG_C);
	run_acking(&r, SEC, 20 * US);
	elapsed = vmm_loop_now(r.loop) - start;
	rtc_stats(r.rtc, &st);
	want = (unsigned)(elapsed * 1024 / SEC - st.periodic_dropped);
	ok(r.irq.raises + 2 >= want && r.irq.raises <= want + 2,
	   "after the stall: %u delivered = elapsed x rate - dropped = %u", r.irq.raises, want);
	is_int(st.periodic_pending, 0, "caught up after the stall");
	is_int(vmm_guest_log_count(&r.glog), 0, "dropping is not a guest error");

	/* Ticks are not owed for time the VM spent paused. */
	rtc_device_ops.pause(r.rtc);
	vmm_loop_advance(r.loop, 3 * SEC);
	rtc_device_ops.resume(r.rtc);
	rtc_stats(r.rtc, &st);
	ok(st.periodic_pending <= 1, "after a 3 s pause %llu ticks are owed",
	   (unsigned long long)st.periodic_pending);
	unsigned dropped = (unsigned)st.periodic_dropped;
	fake_clear(&r.irq);
	run_acking(&r, SEC, 20 * US);
	rtc_stats(r.rtc, &st);
	ok(r.irq.raises >= 1023 && r.irq.raises <= 1025, "after resume: %u ticks in 1 s",
	   r.irq.raises);
	is_int(st.periodic_dropped, dropped, "a pause drops nothing");
	rig_close(&r);
}

static void test_alarm_update(void)
{
	struct rig r;
	struct rtc_stats st;
	uint8_t c;

	rig_open(&r, T_THU_134556);
	out71(&r, RTC_REG_A, 0x20);	/* no periodic rate: C shows only AF/UF */
	out71(&r, RTC_SEC_ALARM, 0x00);
	out71(&r, RTC_MIN_ALARM, 0x46);
	out71(&r, RTC_HOUR_ALARM, 0x13);
	out71(&r, RTC_REG_B, RTC_B_AIE | RTC_B_24H);
	in71(&r, RTC_REG_C);
	fake_clear(&r.irq);
	while (!r.irq.level && vmm_loop_now(r.loop) < 10 * SEC)
		vmm_loop_advance(r.loop, 100 * MS);
	is_int(r.irq.first_raise, 4 * SEC, "alarm 13:46:00 fires 4 s after 13:45:56");
	is_int(in71(&r, RTC_MIN), 0x46, "... at minute 46");
	is_int(in71(&r, RTC_SEC), 0x00, "... second 0");
	c = in71(&r, RTC_REG_C);
	is_int(c & (RTC_C_IRQF | RTC_C_AF), RTC_C_IRQF | RTC_C_AF, "C: IRQF|AF");
	run_acking(&r, 5 * SEC, 100 * MS);
	is_int(r.irq.raises, 1, "the alarm does not repeat within the day");
	rtc_stats(r.rtc, &st);
	is_int(st.alarm_irqs, 1, "stats: one alarm");

	/* 12-hour alarm: 1 PM = 0x81. */
	out71(&r, RTC_REG_B, RTC_B_SET);
	out71(&r, RTC_HOUR, 0x81);
	out71(&r, RTC_MIN, 0x46);
	out71(&r, RTC_SEC, 0x58);
	out71(&r, RTC_HOUR_ALARM, 0x81);
	out71(&r, RTC_MIN_ALARM, 0x47);
	out71(&r, RTC_SEC_ALARM, 0x00);
	out71(&r, RTC_REG_B, RTC_B_AIE);
	in71(&r, RTC_REG_C);
	fake_clear(&r.irq);
	run_acking(&r, 5 * SEC, 10 * MS);
	is_int(r.irq.raises, 1, "12-hour alarm 1:47:00 PM fires once");

	/* Don't-care everywhere: every second. */
	out71(&r, RTC_SEC_ALARM, 0xff);
	out71(&r, RTC_MIN_ALARM, 0xc0);
	out71(&r, RTC_HOUR_ALARM, 0xc5);
	in71(&r, RTC_REG_C);
	fake_clear(&r.irq);
	run_acking(&r, 5 * SEC, 10 * MS);
	is_int(r.irq.raises, 5, "don't-care alarm: once a second");
	rig_close(&r);

	/* Second 30 of every minute. */
	rig_open(&r, T_THU_134556);
	out71(&r, RTC_REG_A, 0x20);
	out71(&r, RTC_SEC_ALARM, 0x30);
	out71(&r, RTC_MIN_ALARM, 0xff);
	out71(&r, RTC_HOUR_ALARM, 0xff);
	out71(&r, RTC_REG_B, RTC_B_AIE | RTC_B_24H);
	fake_clear(&r.irq);
	run_acking(&r, 130 * SEC, 100 * MS);
	is_int(r.irq.raises, 2, "alarm at :30 of every minute: 13:46:30 and 13:47:30");
	is_int(r.irq.first_raise, 34 * SEC, "first at +34 s");

	/* Update-ended interrupt. */
	out71(&r, RTC_REG_B, RTC_B_UIE | RTC_B_24H);
	in71(&r, RTC_REG_C);
	fake_clear(&r.irq);
	uint64_t t0 = vmm_loop_now(r.loop);
	c = run_acking(&r, 3 * SEC, 10 * MS);
	is_int(r.irq.raises, 3, "UIE: one interrupt a second");
	is_int((r.irq.first_raise - t0) % SEC, 0, "UIE: at the second boundary");
	is_int(c, RTC_C_IRQF | RTC_C_UF, "UIE: C shows IRQF|UF");
	out71(&r, RTC_REG_B, RTC_B_SET | RTC_B_UIE | RTC_B_24H);
	is_int(in71(&r, RTC_REG_B), RTC_B_SET | RTC_B_24H, "SET clears UIE");
	out71(&r, RTC_REG_B, RTC_B_24H);
	vmm_loop_advance(r.loop, 3 * SEC);
	rtc_stats(r.rtc, &st);
	is_int(st.timers_armed, 0, "no 1 Hz timer when nobody needs it");
	is_int(in71(&r, RTC_REG_C), RTC_C_UF, "UF still recorded without UIE");
	rig_close(&r);
}

static unsigned checksum(struct rig *r)
{
	unsigned sum = 0;

	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += in71(r, i);
	return sum;
}

static unsigned cmos16(struct rig *r, unsigned lo)
{
	return in71(r, lo) | in71(r, lo + 1) << 8;
}

static void test_nvram(void)
{
	static const struct {
		uint64_t below, above;
		unsigned cpus, ext, over16, over4g;
	} cases[] = {
		{ 64ull << 20, 0, 1, 0xfc00, 0x0300, 0 },
		{ 3ull << 30, 0, 4, 0xffff, 0xbf00, 0 },
		{ 0xe0000000ull, (6ull << 30) - 0xe0000000ull, 8, 0xffff, 0xdf00, 0xa000 },
	};
	struct rig r;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rig_open_mem(&r, T_THU_134556, cases[i].below, cases[i].above, cases[i].cpus);
		is_int(cmos16(&r, 0x15), 640, "[%u] base memory 640 KiB", i);
		is_int(cmos16(&r, 0x17), cases[i].ext, "[%u] 0x17: KiB above 1 MiB", i);
		is_int(cmos16(&r, 0x30), cases[i].ext, "[%u] 0x30: KiB above 1 MiB", i);
		is_int(cmos16(&r, 0x34), cases[i].over16, "[%u] 0x34: 64 KiB above 16 MiB", i);
		is_int(cmos16(&r, 0x5b) | in71(&r, 0x5d) << 16, cases[i].over4g,
		       "[%u] 0x5b: 64 KiB above 4 GiB", i);
		is_int(in71(&r, 0x5f), cases[i].cpus - 1, "[%u] 0x5f: CPUs - 1", i);
		is_int(in71(&r, 0x2e) << 8 | in71(&r, 0x2f), checksum(&r),
		       "[%u] checksum at 0x2e (high) / 0x2f (low)", i);
		rig_close(&r);
	}

	rig_open(&r, T_THU_134556);
	is_int(in71(&r, 0x14), 0x06, "equipment: x87, PS/2 pointing device, VGA");
	is_int(in71(&r, 0x10) | in71(&r, 0x12), 0, "no floppy, no CMOS disk types");
	is_int(rtc_cmos_write(r.rtc, 0x11, 0x33), 0, "host write of 0x11");
	is_int(in71(&r, 0x2e) << 8 | in71(&r, 0x2f), checksum(&r), "host write fixes the checksum");
	is_int(rtc_cmos_write(r.rtc, RTC_REG_B, 0), -EINVAL, "host write of a register refused");
	is_int(rtc_cmos_read(r.rtc, 0x200), 0, "host read out of range");
	is_int(rtc_cmos_read(r.rtc, 0x11), 0x33, "host read");

	out71(&r, 0x40, 0x5a);
	out71(&r, 0x7f, 0xa5);
	out71(&r, 0x0f, 0x0a);
	out71(&r, RTC_REG_B, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE | 0x06);
	vmm_loop_advance(r.loop, 2 * SEC);
	ok(r.irq.level, "interrupt pending before reset");
	rtc_reset(r.rtc);
	is_int(r.irq.level, 0, "reset lowers IRQ 8");
	is_int(in71(&r, RTC_REG_B), 0x06, "reset clears PIE/AIE/UIE/SQWE, keeps DM and 24h");
	is_int(in71(&r, RTC_REG_C), 0, "reset clears C");
	is_int(in71(&r, 0x40), 0x5a, "NVRAM 0x40 survives reset");
	is_int(in71(&r, 0x7f), 0xa5, "NVRAM 0x7f survives reset");
	is_int(in71(&r, 0x0f), 0x0a, "shutdown status byte survives reset");
	is_int(in71(&r, RTC_SEC), 58, "time survives reset (binary mode)");

	out71(&r, 0xc0, 0x77);		/* NMI bit and index 0x40 */
	is_int(in71(&r, 0x40), 0x77, "index bit 7 (NMI) is masked off");
	is_int(in71(&r, 0x8b), 0x06, "index 0x8b reads register B");
	uint8_t v = 0;
	vmm_bus_read(&r.bus, RTC_PORT_INDEX, &v, 1);
	is_int(v, 0xff, "the index port reads 0xff");
	rig_close(&r);
}

static void test_vm_wiring(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	void *state = NULL, *again = NULL;
	uint8_t idx = CMOS_CPU_COUNT, v = 0;

	vm->loop = vmm_loop_new(true);
	vmm_guest_log_init(&vm->glog, NULL, 0);
	vmm_bus_init(&vm->pio, "pio", &vm->glog);
	vm->mem.below_4g = 128ull << 20;
	vm->cfg.cpus = 2;
	is_int(rtc_device_ops.create(vm, &state), 0, "create hook");
	ok(vm->rtc == state && state, "vm->rtc set");
	vmm_bus_write(&vm->pio, 0x70, &idx, 1);
	vmm_bus_read(&vm->pio, 0x71, &v, 1);
	is_int(v, 1, "ports 0x70/0x71 on vm->pio, cpus from vm->cfg");
	is_int(rtc_device_ops.create(vm, &again), -EEXIST, "a second RTC cannot take the ports");
	is_int(rtc_device_ops.pause(state), 0, "pause");
	is_int(rtc_device_ops.pause(state), 0, "pause again");
	is_int(rtc_device_ops.resume(state), 0, "resume");
	rtc_device_ops.reset(state);
	rtc_device_ops.destroy(state);
	ok(vm->rtc == NULL, "destroy clears vm->rtc");
	vmm_bus_read(&vm->pio, 0x71, &v, 1);
	is_int(v, 0xff, "ports released");
	vmm_bus_destroy(&vm->pio);
	vmm_loop_free(vm->loop);
	vmm_guest_log_destroy(&vm->glog);
	free(vm);
}

struct shared_irq {
	int level;
	unsigned raises;
};

static void shared_set(void *opaque, unsigned gsi, int level)
{
	struct shared_irq *f = opaque;

	if (level && !__atomic_load_n(&f->level, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&f->raises, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&f->level, level, __ATOMIC_RELEASE);
}

/* The real thing: timers on the loop's own thread, a "guest" acknowledging from this one. */
static void test_threaded(void)
{
	struct shared_irq irq = { 0 };
	struct rtc_config cfg = {
		.irq = { .set = shared_set, .opaque = &irq, .gsi = RTC_GSI },
		.ram_below_4g = 128ull << 20,
		.cpus = 1,
	};
	struct vmm_bus bus;
	struct rtc_stats st;
	uint8_t idx = RTC_REG_B, v = RTC_B_PIE | RTC_B_24H;
	uint64_t start, elapsed;
	unsigned want, got;

	cfg.loop = vmm_loop_new(false);
	struct rtc *rtc = rtc_new(&cfg);
	vmm_bus_init(&bus, "pio", NULL);
	vmm_bus_register(&bus, RTC_PORT_INDEX, 2, &rtc_io_ops, rtc);
	is_int(rtc_cmos_read(rtc, RTC_CENTURY) >= 0x20, 1, "host clock: century 20 or later");
	vmm_loop_start(cfg.loop);
	vmm_bus_write(&bus, RTC_PORT_INDEX, &idx, 1);
	vmm_bus_write(&bus, RTC_PORT_DATA, &v, 1);
	idx = RTC_REG_C;
	vmm_bus_write(&bus, RTC_PORT_INDEX, &idx, 1);
	start = vmm_now_ns();
	vmm_bus_read(&bus, RTC_PORT_DATA, &v, 1);
	/*
	 * 300 ms of 1024 Hz ticks. On a loaded machine either thread may be descheduled; late
	 * ticks then come as catch-up (4x rate after each acknowledgement), so keep acking (up
	 * to 3 s) until the first 300 ms worth have arrived or been counted as dropped.
	 */
	want = (unsigned)(300 * MS * 1024 / SEC);
	for (;;) {
		elapsed = vmm_now_ns() - start;
		got = __atomic_load_n(&irq.raises, __ATOMIC_RELAXED);
		rtc_stats(rtc, &st);
		if (elapsed >= 300 * MS && (got + st.periodic_dropped >= want || elapsed > 3 * SEC))
			break;
		if (__atomic_load_n(&irq.level, __ATOMIC_ACQUIRE))
			vmm_bus_read(&bus, RTC_PORT_DATA, &v, 1);
	}
	vmm_loop_stop(cfg.loop);
	rtc_stats(rtc, &st);
	got = __atomic_load_n(&irq.raises, __ATOMIC_RELAXED);
	ok(got + st.periodic_dropped >= want * 9 / 10 &&
	   got <= (unsigned)(elapsed * 1024 / SEC) + 2,
	   "real clock, 1024 Hz: %u ticks delivered (or counted dropped) for 300 ms worth in "
	   "%llu ms, never more than time allows (late %llu, dropped %llu)", got,
	   (unsigned long long)(elapsed / MS), (unsigned long long)st.periodic_late,
	   (unsigned long long)st.periodic_dropped);
	vmm_bus_destroy(&bus);
	rtc_free(rtc);
	vmm_loop_free(cfg.loop);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_hostile(void)
{
	struct rig r;
	struct rtc_stats st;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint32_t wide;

	rig_open(&r, T_THU_134556);
	for (unsigned i = 0; i < 300000; i++) {
		uint64_t x = xorshift(&seed);
		uint8_t a = x >> 8, b = x >> 16;

		switch (x % 16) {
		case 0: case 1: case 2:
			vmm_bus_write(&r.bus, RTC_PORT_INDEX, &a, 1);
			break;
		case 3: case 4: case 5:
			vmm_bus_write(&r.bus, RTC_PORT_DATA, &b, 1);
			break;
		case 6: case 7: case 8:
			vmm_bus_read(&r.bus, RTC_PORT_DATA, &a, 1);
			break;
		case 9:
			out71(&r, a % 14, b);	/* the clock registers most of all */
			break;
		case 10:
			vmm_loop_advance(r.loop, (x >> 24) % (2 * MS));
			break;
		case 11:
			if ((x >> 24) % 64 == 0)
				vmm_loop_advance(r.loop, (x >> 32) % (3 * SEC));
			break;
		case 12:
			in71(&r, RTC_REG_C);
			break;
		case 13:
			if ((x >> 24) % 256 == 0)
				rtc_reset(r.rtc);
			break;
		default:
			wide = (uint32_t)(x >> 16);
			vmm_bus_write(&r.bus, RTC_PORT_INDEX + (x >> 40) % 2, &wide,
				      (x >> 48) % 4 + 1);
			break;
		}
	}
	rtc_stats(r.rtc, &st);
	ok(st.timers_armed <= 2, "storm survived; %u timers armed", st.timers_armed);
	is_int(in71(&r, RTC_REG_D), RTC_D_VRT, "D still reads VRT");
	rig_close(&r);
}

int main(void)
{
	test_formats();
	test_wall_clock();
	test_set_time();
	test_uip();
	test_periodic();
	test_catchup();
	test_alarm_update();
	test_nvram();
	test_vm_wiring();
	test_hostile();
	test_threaded();
	return tap_done();
}
