// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot save/load of the CMOS RTC: clock, NVRAM, alarm, periodic catch-up, SET, hostile. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc.h"
#include "tap.h"
#include "vm.h"

#define US	1000ull
#define MS	1000000ull
#define SEC	1000000000ull

#define T_THU_134556	1709214356	/* 2024-02-29 13:45:56, a Thursday */

/* Layout of the version-1 blob (struct rtc_state in rtc-state.c). */
#define BLOB_LEN	280
#define O_INDEX		4
#define O_FROZEN	6
#define O_WDAY_ADJ	9
#define O_CMOS		12
#define O_IMAGE		140
#define O_CLK_SEC	184
#define O_CLK_FRAC	192
#define O_PER_OWED	208
#define O_PER_NEXT	216

struct rig {
	struct vmm_loop *loop;
	struct vmm_bus bus;
	struct vmm_guest_log glog;
	int level;
	unsigned raises;
	uint64_t first_raise;
	struct rtc *rtc;
};

static void fake_set(void *opaque, unsigned gsi, int level)
{
	struct rig *r = opaque;

	if (level && !r->level && !r->raises++)
		r->first_raise = vmm_loop_now(r->loop);
	r->level = level;
}

static void rig_open(struct rig *r, time_t base)
{
	struct rtc_config cfg = { .ram_below_4g = 128ull << 20, .cpus = 1, .base = base };

	memset(r, 0, sizeof(*r));
	r->loop = vmm_loop_new(true);
	vmm_guest_log_init(&r->glog, NULL, 0);
	vmm_bus_init(&r->bus, "pio", &r->glog);
	cfg.irq = (struct vmm_irq){ .set = fake_set, .opaque = r, .gsi = RTC_GSI };
	cfg.loop = r->loop;
	cfg.glog = &r->glog;
	r->rtc = rtc_new(&cfg);
	if (!r->rtc || vmm_bus_register(&r->bus, RTC_PORT_INDEX, 2, &rtc_io_ops, r->rtc)) {
		printf("Bail out! cannot create the RTC\n");
		exit(1);
	}
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

static uint8_t *save(struct rig *r)
{
	void *blob = NULL;
	size_t len = 0;

	if (rtc_save(r->rtc, &blob, &len) || len != BLOB_LEN) {
		printf("Bail out! rtc_save failed (len %zu)\n", len);
		exit(1);
	}
	return blob;
}

/* Acknowledge like an ISR for ns; returns the ticks delivered. */
static unsigned run_acking(struct rig *r, uint64_t ns, uint64_t step)
{
	unsigned before = r->raises;

	for (uint64_t t = 0; t < ns; t += step) {
		vmm_loop_advance(r->loop, step);
		if (r->level)
			in71(r, RTC_REG_C);
	}
	return r->raises - before;
}

/* The guest clock continues from the saved time; the alarm fires when it should. */
static void test_clock_alarm_nvram(void)
{
	struct rig a, b;
	uint8_t *blob;
	uint64_t t_load;

	rig_open(&a, T_THU_134556);
	rig_open(&b, 0);
	out71(&a, RTC_REG_A, 0x20);	/* no periodic rate */
	out71(&a, RTC_SEC_ALARM, 0x00);
	out71(&a, RTC_MIN_ALARM, 0x46);
	out71(&a, RTC_HOUR_ALARM, 0x13);
	out71(&a, RTC_REG_B, RTC_B_AIE | RTC_B_24H);
	out71(&a, 0x40, 0x77);		/* NVRAM */
	rtc_cmos_write(a.rtc, 0x20, 0x42);	/* checksummed range */
	in71(&a, RTC_REG_C);
	vmm_loop_advance(a.loop, 1500 * MS);	/* 13:45:57.5 */
	blob = save(&a);
	vmm_loop_advance(b.loop, 10 * SEC);	/* the new VM's loop has its own time */
	is_int(rtc_load(b.rtc, blob, BLOB_LEN), 0, "load into an RTC at another time");
	t_load = vmm_loop_now(b.loop);
	ok(in71(&b, RTC_HOUR) == 0x13 && in71(&b, RTC_MIN) == 0x45 && in71(&b, RTC_SEC) == 0x57,
	   "B reads 13:45:57, the saved guest time");
	ok(in71(&b, RTC_MDAY) == 0x29 && in71(&b, RTC_MON) == 0x02 && in71(&b, RTC_YEAR) == 0x24 &&
	   in71(&b, RTC_WDAY) == 5, "... on Thursday 2024-02-29");
	is_int(in71(&b, 0x40), 0x77, "NVRAM byte restored");
	is_int(in71(&b, CMOS_CHECKSUM_LO), in71(&a, CMOS_CHECKSUM_LO), "CMOS checksum restored");
	is_int(in71(&b, RTC_REG_B), RTC_B_AIE | RTC_B_24H, "register B restored");
	while (!b.level && vmm_loop_now(b.loop) < t_load + 5 * SEC)
		vmm_loop_advance(b.loop, 10 * MS);
	is_int(b.first_raise - t_load, 2500 * MS, "the alarm at 13:46:00 fires 2.5 s after load");
	is_int(in71(&b, RTC_REG_C) & RTC_C_AF, RTC_C_AF, "... with AF");
	free(blob);
	rig_close(&a);
	rig_close(&b);
}

/* A delivered, unacknowledged periodic tick and a backlog survive, and B catches up as A. */
static void test_periodic_catchup(void)
{
	struct rig a, b;
	struct rtc_stats sa, sb;
	uint8_t *blob;
	unsigned na, nb;

	rig_open(&a, T_THU_134556);
	rig_open(&b, T_THU_134556);
	out71(&a, RTC_REG_B, RTC_B_PIE | RTC_B_24H);
	in71(&a, RTC_REG_C);
	run_acking(&a, 100 * MS, 20 * US);
	vmm_loop_advance(a.loop, 50 * MS);	/* a stall: one tick raised, ~50 owed */
	ok(a.level, "A: a tick is pending, IRQ 8 high");
	rtc_device_ops.pause(a.rtc);
	vmm_loop_advance(a.loop, 2 * SEC);	/* paused time owes nothing */
	blob = save(&a);
	vmm_loop_advance(b.loop, 10 * SEC);
	is_int(rtc_load(b.rtc, blob, BLOB_LEN), 0, "load the periodic state");
	is_int(b.level, 1, "B: IRQ 8 re-asserted for the unacknowledged tick");
	rtc_device_ops.resume(a.rtc);
	rtc_stats(a.rtc, &sa);
	rtc_stats(b.rtc, &sb);
	ok(sa.periodic_pending == sb.periodic_pending && sb.periodic_pending >= 48 &&
	   sb.periodic_pending <= 52, "the same backlog is owed: A %llu, B %llu",
	   (unsigned long long)sa.periodic_pending, (unsigned long long)sb.periodic_pending);
	is_int(sb.periodic_delivered, sa.periodic_delivered, "delivered counter restored");
	is_int(in71(&b, RTC_REG_C) & ~RTC_C_UF, RTC_C_IRQF | RTC_C_PF, "B: C shows IRQF|PF");
	in71(&a, RTC_REG_C);
	na = run_acking(&a, SEC, 20 * US);
	nb = run_acking(&b, SEC, 20 * US);
	ok(na + 1 >= nb && nb + 1 >= na && nb >= 1024 + 45,
	   "over the next second both deliver rate + backlog: A %u, B %u", na, nb);
	free(blob);
	rig_close(&a);
	rig_close(&b);
}

/* SET holds the clock; it stays held after load and runs once B clears SET. */
static void test_frozen(void)
{
	struct rig a, b;
	uint8_t *blob;

	rig_open(&a, T_THU_134556);
	rig_open(&b, 0);
	out71(&a, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	out71(&a, RTC_HOUR, 0x12);
	out71(&a, RTC_MIN, 0x34);
	out71(&a, RTC_SEC, 0x56);
	vmm_loop_advance(a.loop, 3 * SEC);
	blob = save(&a);
	vmm_loop_advance(b.loop, 1 * SEC);
	is_int(rtc_load(b.rtc, blob, BLOB_LEN), 0, "load a clock held by SET");
	vmm_loop_advance(b.loop, 5 * SEC);
	ok(in71(&b, RTC_HOUR) == 0x12 && in71(&b, RTC_MIN) == 0x34 && in71(&b, RTC_SEC) == 0x56,
	   "B still reads the written 12:34:56 while SET");
	out71(&b, RTC_REG_B, RTC_B_24H);
	vmm_loop_advance(b.loop, 1100 * MS);
	is_int(in71(&b, RTC_SEC), 0x57, "clearing SET starts the clock");
	free(blob);
	rig_close(&a);
	rig_close(&b);
}

static void refuse_at(struct rig *b, const uint8_t *good, size_t off, const void *v, size_t n,
		      const uint8_t *before, const char *what)
{
	uint8_t bad[BLOB_LEN], *after;

	memcpy(bad, good, BLOB_LEN);
	memcpy(bad + off, v, n);
	is_int(rtc_load(b->rtc, bad, BLOB_LEN), -EINVAL, "refused: %s", what);
	after = save(b);
	ok(!memcmp(after, before, BLOB_LEN) && !b->level, "... B unchanged");
	free(after);
}

static void refuse8(struct rig *b, const uint8_t *good, size_t off, uint8_t v,
		    const uint8_t *before, const char *what)
{
	refuse_at(b, good, off, &v, 1, before, what);
}

static void refuse64(struct rig *b, const uint8_t *good, size_t off, uint64_t v,
		     const uint8_t *before, const char *what)
{
	refuse_at(b, good, off, &v, 8, before, what);
}

static void test_hostile(void)
{
	struct rig a, b;
	uint8_t *good, *before;
	int32_t neg = -1;

	rig_open(&a, T_THU_134556);
	rig_open(&b, 0);
	out71(&a, RTC_REG_B, RTC_B_PIE | RTC_B_24H);
	vmm_loop_advance(a.loop, 10 * MS);
	good = save(&a);
	out71(&b, 0x50, 0x99);
	before = save(&b);
	is_int(rtc_load(b.rtc, good, BLOB_LEN - 8), -EINVAL, "refused: truncated");
	refuse8(&b, good, 0, 2, before, "version 2");
	refuse8(&b, good, O_INDEX, 0x80, before, "index 128");
	refuse8(&b, good, O_FROZEN, 1, before, "frozen without SET or divider reset");
	refuse8(&b, good, O_WDAY_ADJ, 7, before, "weekday adjustment 7");
	refuse8(&b, good, O_CMOS + RTC_REG_A, 0xa6, before, "register A with UIP");
	refuse8(&b, good, O_CMOS + RTC_REG_B, RTC_B_SET | RTC_B_UIE, before, "SET with UIE");
	refuse8(&b, good, O_CMOS + RTC_REG_C, 0x01, before, "register C low bits");
	refuse_at(&b, good, O_IMAGE + 8, &neg, 4, before, "negative time register");
	refuse64(&b, good, O_CLK_SEC, 1ull << 62, before, "clock beyond any date");
	refuse64(&b, good, O_CLK_FRAC, SEC, before, "clock fraction of a whole second");
	refuse64(&b, good, O_PER_OWED, 1025, before, "more than a second of ticks owed at 1024 Hz");
	refuse64(&b, good, O_PER_NEXT, 0, before, "next tick now");
	refuse64(&b, good, O_PER_NEXT, 2 * MS, before, "next tick beyond one period");
	is_int(in71(&b, 0x50), 0x99, "B keeps its own NVRAM");
	free(good);
	free(before);
	rig_close(&a);
	rig_close(&b);
}

int main(void)
{
	test_clock_alarm_nvram();
	test_periodic_catchup();
	test_frozen();
	test_hostile();
	return tap_done();
}
