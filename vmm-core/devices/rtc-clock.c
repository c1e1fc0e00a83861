// SPDX-License-Identifier: GPL-2.0-or-later
/* CMOS RTC guest clock: BCD/12-hour fields, dates, update/alarm/periodic timers, catch-up. */
#include "rtc-private.h"

#include <pthread.h>
#include <string.h>

#define SEC_PER_DAY	86400
#define RTC_A_DIV_RESET	0x60	/* DV2..DV1 = 11: divider chain held in reset */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/*
 * Days from 1970-01-01 to y-m-d (proleptic Gregorian). Months and days out of range carry
 * over as in timegm(), so whatever a guest writes gives some date. Years are counted from
 * March, which puts the leap day last and makes month lengths a linear formula.
 */
static int64_t rtc_days(int64_t y, int64_t m, int64_t d)
{
	int64_t mp;

	y += floor_div(m - 1, 12);
	m = floor_mod(m - 1, 12) + 1;
	if (m <= 2)
		y--;
	mp = (m + 9) % 12;		/* March 0 .. February 11 */
	return 365 * y + floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400) +
	       (153 * mp + 2) / 5 + d - 1 - 719468;	/* 719468: 0000-03-01 to 1970-01-01 */
}

static int64_t rtc_time_to_sec(const struct rtc_time *t)
{
	int64_t days = rtc_days((int64_t)t->century * 100 + t->r[RTC_YEAR], t->r[RTC_MON],
				t->r[RTC_MDAY]);

	return days * SEC_PER_DAY + (int64_t)t->r[RTC_HOUR] * 3600 + t->r[RTC_MIN] * 60 +
	       t->r[RTC_SEC];
}

static void rtc_time_from_sec(const struct rtc *rtc, int64_t s, struct rtc_time *t)
{
	time_t tt = (time_t)s;
	struct tm tm;
	int64_t year;

	memset(t, 0, sizeof(*t));
	if (!gmtime_r(&tt, &tm))
		return;
	year = tm.tm_year < -1900 ? 0 : (int64_t)tm.tm_year + 1900;
	t->r[RTC_SEC] = tm.tm_sec;
	t->r[RTC_MIN] = tm.tm_min;
	t->r[RTC_HOUR] = tm.tm_hour;
	t->r[RTC_WDAY] = (int)((tm.tm_wday + rtc->wday_adj) % 7) + 1;
	t->r[RTC_MDAY] = tm.tm_mday;
	t->r[RTC_MON] = tm.tm_mon + 1;
	t->r[RTC_YEAR] = (int)(year % 100);
	t->century = (int)(year / 100);
}

static bool rtc_binary(const struct rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static bool rtc_24h(const struct rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_24H;
}

uint8_t rtc_enc(const struct rtc *rtc, int v)
{
	unsigned u = v < 0 ? 0 : (unsigned)v;

	if (rtc_binary(rtc))
		return u & 0xff;
	return (uint8_t)((u / 10 % 10) << 4 | u % 10);
}

static int rtc_dec(const struct rtc *rtc, uint8_t v)
{
	return rtc_binary(rtc) ? v : (v >> 4) * 10 + (v & 0x0f);
}

/* 12-hour mode: 1..12 with bit 7 set for PM (MC146818A, "Time, Calendar and Alarm"). */
uint8_t rtc_enc_hour(const struct rtc *rtc, int h)
{
	bool pm = h % 24 >= 12;

	if (rtc_24h(rtc))
		return rtc_enc(rtc, h);
	h %= 12;
	return rtc_enc(rtc, h ? h : 12) | (pm ? 0x80 : 0);
}

static int rtc_dec_hour(const struct rtc *rtc, uint8_t v)
{
	int h;

	if (rtc_24h(rtc))
		return rtc_dec(rtc, v);
	h = rtc_dec(rtc, v & 0x7f);
	if (h == 12)
		h = 0;
	return (v & 0x80) ? h + 12 : h;
}

static bool rtc_bcd_ok(const struct rtc *rtc, unsigned idx, uint8_t v)
{
	if (rtc_binary(rtc))
		return true;
	if (idx == RTC_HOUR && !rtc_24h(rtc))
		v &= 0x7f;
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

int *rtc_field(struct rtc_time *t, unsigned idx)
{
	return idx == RTC_CENTURY ? &t->century : &t->r[idx];
}

bool rtc_div_reset(const struct rtc *rtc)
{
	return (rtc->cmos[RTC_REG_A] & RTC_A_DIV_RESET) == RTC_A_DIV_RESET;
}

void rtc_clock(const struct rtc *rtc, uint64_t now, int64_t *sec, uint64_t *frac)
{
	uint64_t d = (!rtc->frozen && now > rtc->clk_ref) ? now - rtc->clk_ref : 0;
	uint64_t f = rtc->clk_frac + d % NSEC;

	*sec = rtc->clk_sec + (int64_t)(d / NSEC) + (int64_t)(f / NSEC);
	*frac = f % NSEC;
}

void rtc_fields(const struct rtc *rtc, uint64_t now, struct rtc_time *t)
{
	int64_t sec;
	uint64_t frac;

	if (rtc->frozen) {
		*t = rtc->image;
		return;
	}
	rtc_clock(rtc, now, &sec, &frac);
	rtc_time_from_sec(rtc, sec, t);
}

/* Deleting an idle timer would still cost the loop a timerfd_settime(). */
void rtc_timer_stop(struct vmm_timer *t)
{
	if (vmm_timer_pending(t))
		vmm_timer_del(t);
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE; the IRQ pin follows it (MC146818A, Register C). */
void rtc_update_irq(struct rtc *rtc)
{
	uint8_t c = rtc->cmos[RTC_REG_C];
	bool irqf = (c & rtc->cmos[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) != 0;

	rtc->cmos[RTC_REG_C] = irqf ? (c | RTC_C_IRQF) : (c & ~RTC_C_IRQF);
	if (irqf == rtc->irq_level)
		return;
	rtc->irq_level = irqf;
	if (irqf)
		rtc->stats.irq_raises++;
	vmm_irq_set(&rtc->irq, irqf);
}

/* An alarm byte: -1 for "don't care" (0xC0..0xFF), else its decoded value. */
static int rtc_alarm_field(const struct rtc *rtc, unsigned reg)
{
	uint8_t v = rtc->cmos[reg];

	if ((v & 0xc0) == 0xc0)
		return -1;
	return reg == RTC_HOUR_ALARM ? rtc_dec_hour(rtc, v) : rtc_dec(rtc, v);
}

static bool rtc_alarm_match(int want, int v)
{
	return want < 0 || want == v;
}

/* Seconds from guest second `sec` to the next that matches the alarm (1..86400), or -1. */
static int64_t rtc_alarm_delta(const struct rtc *rtc, int64_t sec)
{
	int as = rtc_alarm_field(rtc, RTC_SEC_ALARM);
	int am = rtc_alarm_field(rtc, RTC_MIN_ALARM);
	int ah = rtc_alarm_field(rtc, RTC_HOUR_ALARM);
	int sod = (int)floor_mod(sec, SEC_PER_DAY);
	int cur_min = sod / 60, cur_s = sod % 60;

	for (int k = 0; k <= 1440; k++) {
		int m = (cur_min + k) % 1440;
		int s = k ? 0 : cur_s + 1;

		if (!rtc_alarm_match(ah, m / 60) || !rtc_alarm_match(am, m % 60))
			continue;
		if (as >= 0)
			s = as >= s ? as : 60;
		if (s < 60)
			return (int64_t)k * 60 + s - cur_s;
	}
	return -1;
}

/*
 * Account the update cycles since upd_mark: each sets UF, and AF when the new time matches
 * the alarm (MC146818A, "Update Cycle"). Runs from the timer and whenever C is looked at.
 */
void rtc_account_updates(struct rtc *rtc, uint64_t now)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	int64_t cur, d;
	uint64_t frac;

	if (rtc->frozen)
		return;
	rtc_clock(rtc, now, &cur, &frac);
	if (cur <= rtc->upd_mark)
		return;
	rtc->cmos[RTC_REG_C] |= RTC_C_UF;
	if (b & RTC_B_UIE)
		rtc->stats.update_irqs++;
	d = rtc_alarm_delta(rtc, rtc->upd_mark);
	if (d > 0 && d <= cur - rtc->upd_mark) {
		rtc->cmos[RTC_REG_C] |= RTC_C_AF;
		if (b & RTC_B_AIE)
			rtc->stats.alarm_irqs++;
	}
	rtc->upd_mark = cur;
}

void rtc_upd_schedule(struct rtc *rtc, uint64_t now)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	uint64_t frac, next, when = UINT64_MAX;
	int64_t sec, d;

	if (rtc->paused || rtc->frozen || !(b & (RTC_B_UIE | RTC_B_AIE))) {
		rtc_timer_stop(rtc->upd_timer);
		return;
	}
	rtc_clock(rtc, now, &sec, &frac);
	next = now + (NSEC - frac);		/* the next update cycle */
	if (b & RTC_B_UIE)
		when = next;
	d = (b & RTC_B_AIE) ? rtc_alarm_delta(rtc, sec) : -1;
	if (d > 0 && next + (uint64_t)(d - 1) * NSEC < when)
		when = next + (uint64_t)(d - 1) * NSEC;
	if (when == UINT64_MAX)
		rtc_timer_stop(rtc->upd_timer);	/* an alarm that can never match */
	else
		vmm_timer_mod(rtc->upd_timer, when);
}

void rtc_upd_fire(void *opaque)
{
	struct rtc *rtc = opaque;
	uint64_t now;

	pthread_mutex_lock(&rtc->lock);
	now = vmm_loop_now(rtc->loop);
	rtc_account_updates(rtc, now);
	rtc_update_irq(rtc);
	rtc_upd_schedule(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
}

/* Stop updates: SET or a divider reset (MC146818A, Register B SET; Register A DV2-0). */
static void rtc_freeze(struct rtc *rtc, uint64_t now)
{
	int64_t sec;
	uint64_t frac;

	rtc_account_updates(rtc, now);
	rtc_clock(rtc, now, &sec, &frac);
	rtc->clk_sec = sec;
	rtc->clk_frac = frac;
	rtc->clk_ref = now;
	rtc_time_from_sec(rtc, sec, &rtc->image);
	rtc->frozen = true;
	rtc_timer_stop(rtc->upd_timer);
}

/*
 * Restart from what the guest left in the time registers. SET alone leaves the divider
 * running, so the phase within the second carries on; "the first update cycle begins one
 * half second after the divider reset is removed" (MC146818A, Register A DV2-0).
 */
static void rtc_thaw(struct rtc *rtc, uint64_t now)
{
	int64_t sec = rtc_time_to_sec(&rtc->image);
	int64_t wday = floor_mod(floor_div(sec, SEC_PER_DAY) + 4, 7);	/* 1970-01-01: Thu */

	rtc->wday_adj = (unsigned)floor_mod(rtc->image.r[RTC_WDAY] - 1 - wday, 7);
	if (rtc->div_was_reset)
		rtc->clk_frac = NSEC / 2;
	else
		rtc->clk_frac = (rtc->clk_frac + (now - rtc->clk_ref) % NSEC) % NSEC;
	rtc->clk_sec = sec;
	rtc->clk_ref = now;
	rtc->frozen = false;
	rtc->div_was_reset = false;
	rtc->upd_mark = sec;
	rtc_upd_schedule(rtc, now);
}

void rtc_sync_freeze(struct rtc *rtc, uint64_t now)
{
	bool want = (rtc->cmos[RTC_REG_B] & RTC_B_SET) || rtc_div_reset(rtc);

	if (want && !rtc->frozen)
		rtc_freeze(rtc, now);
	else if (!want && rtc->frozen)
		rtc_thaw(rtc, now);
}

/* Register A RS3-0 with the 32.768 kHz time base (MC146818A, Table 5); RS 1, 2 alias 8, 9. */
unsigned rtc_rate_hz(uint8_t a)
{
	unsigned rs = a & RTC_A_RS_MASK;

	if ((a & RTC_A_DIV_RESET) == RTC_A_DIV_RESET || !rs)
		return 0;
	if (rs <= 2)
		rs += 7;
	return 32768u >> (rs - 1);
}

/*
 * Whole ticks at hz in ns, and the earliest time by which tick k is due. hz divides 32768,
 * so hz ticks are exactly one second and neither overflows.
 */
static uint64_t per_ticks_in(unsigned hz, uint64_t ns)
{
	return ns / NSEC * hz + ns % NSEC * hz / NSEC;
}

static uint64_t per_tick_time(unsigned hz, uint64_t k)
{
	return k / hz * NSEC + (k % hz * NSEC + hz - 1) / hz;
}

static uint64_t rtc_per_owed(const struct rtc *rtc, uint64_t now)
{
	uint64_t due;

	if (!rtc->per_hz || now <= rtc->per_ref)
		return 0;
	due = per_ticks_in(rtc->per_hz, now - rtc->per_ref);
	return due > rtc->per_done ? due - rtc->per_done : 0;
}

static void rtc_per_rebase(struct rtc *rtc)
{
	uint64_t secs;

	if (!rtc->per_hz)
		return;
	secs = rtc->per_done / rtc->per_hz;
	rtc->per_ref += secs * NSEC;
	rtc->per_done -= secs * rtc->per_hz;
}

/*
 * Ticks owed with PIE set. A backlog beyond one second's worth means the host did not run
 * us for a long time (suspend, overload): the excess is counted and forgotten, quietly.
 */
uint64_t rtc_per_catch(struct rtc *rtc, uint64_t now)
{
	uint64_t owed = rtc_per_owed(rtc, now);

	if (owed > rtc->per_hz) {
		rtc->per_done += owed - rtc->per_hz;
		rtc->stats.periodic_dropped += owed - rtc->per_hz;
		owed = rtc->per_hz;
	}
	rtc_per_rebase(rtc);
	return owed;
}

/* Without PIE nothing is delivered; PF only records that the tap went by. */
void rtc_per_lazy(struct rtc *rtc, uint64_t now)
{
	uint64_t owed = rtc_per_owed(rtc, now);

	if (!owed)
		return;
	rtc->cmos[RTC_REG_C] |= RTC_C_PF;
	rtc->per_done += owed;
	rtc_per_rebase(rtc);
}

bool rtc_per_active(const struct rtc *rtc)
{
	return !rtc->paused && rtc->per_hz && (rtc->cmos[RTC_REG_B] & RTC_B_PIE);
}

/*
 * Guests such as Windows keep time by counting these interrupts, so a tick the I/O thread
 * was too late for is owed, not lost. One tick is delivered at a time and the next only
 * after the guest has read C; while behind, ticks follow each other at a quarter period.
 */
void rtc_per_schedule(struct rtc *rtc, uint64_t now)
{
	uint64_t owed, when;

	if (!rtc_per_active(rtc) || rtc->pf_unacked) {
		rtc_timer_stop(rtc->per_timer);	/* reading C re-arms it */
		return;
	}
	owed = rtc_per_catch(rtc, now);
	if (owed) {
		when = rtc->last_deliver + NSEC / rtc->per_hz / 4;
		if (when < now)
			when = now;
	} else {
		when = rtc->per_ref + per_tick_time(rtc->per_hz, rtc->per_done + 1);
	}
	vmm_timer_mod(rtc->per_timer, when);
}

void rtc_per_fire(void *opaque)
{
	struct rtc *rtc = opaque;
	uint64_t now, owed = 0;

	pthread_mutex_lock(&rtc->lock);
	now = vmm_loop_now(rtc->loop);
	if (rtc_per_active(rtc) && !rtc->pf_unacked)
		owed = rtc_per_catch(rtc, now);
	if (owed) {
		rtc->per_done++;
		rtc->stats.periodic_delivered++;
		rtc->stats.periodic_late += owed > 1;
		rtc->pf_unacked = true;
		rtc->last_deliver = now;
		rtc->cmos[RTC_REG_C] |= RTC_C_PF;
		rtc_update_irq(rtc);
	}
	rtc_per_schedule(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
}

/*
 * A new rate. As on the chip, the partial period at the old rate gives no tick; ticks owed
 * at the old rate stay owed as the same time at the new one (Windows switches between 64
 * and 1024 Hz and credits each tick with the period in force).
 */
void rtc_per_set_rate(struct rtc *rtc, unsigned hz, uint64_t now)
{
	uint64_t owed = 0, back = 0;

	if (hz == rtc->per_hz)
		return;
	if (rtc->per_hz && hz && (rtc->cmos[RTC_REG_B] & RTC_B_PIE))
		owed = rtc_per_catch(rtc, now) * hz / rtc->per_hz;
	if (hz)
		back = per_tick_time(hz, owed);
	rtc->per_hz = hz;
	rtc->per_ref = now > back ? now - back : 0;
	rtc->per_done = 0;
	rtc_per_schedule(rtc, now);
}

/*
 * Snapshots (rtc-state.c) carry the periodic interrupt's catch-up state in loop-independent
 * form: ticks owed at t0 (at most one second's worth, as rtc_per_catch keeps them) and the
 * time from t0 to the next tick.
 */
void rtc_per_export(const struct rtc *rtc, uint64_t t0, uint64_t *owed, uint64_t *next)
{
	uint64_t due, k, period;

	*owed = *next = 0;
	if (!rtc->per_hz)
		return;
	period = per_tick_time(rtc->per_hz, 1);
	due = t0 > rtc->per_ref ? per_ticks_in(rtc->per_hz, t0 - rtc->per_ref) : 0;
	*owed = due > rtc->per_done ? due - rtc->per_done : 0;
	if (*owed > rtc->per_hz)
		*owed = rtc->per_hz;
	k = (due > rtc->per_done ? due : rtc->per_done) + 1;
	*next = rtc->per_ref + per_tick_time(rtc->per_hz, k) - t0;
	if (*next > period)
		*next = period;
	if (!*next)
		*next = 1;
}

/* The reverse at loop time now; owed <= per_hz and 1 <= next <= one period (checked). */
void rtc_per_import(struct rtc *rtc, uint64_t now, uint64_t owed, uint64_t next)
{
	uint64_t back, due;

	rtc->per_done = 0;
	if (!rtc->per_hz) {
		rtc->per_ref = now;
		return;
	}
	back = per_tick_time(rtc->per_hz, owed + 1) - next;
	if (back <= now) {
		rtc->per_ref = now - back;
		return;
	}
	/* A loop younger than the backlog (tests): keep what is owed, lose the phase. */
	rtc->per_ref = 0;
	due = per_ticks_in(rtc->per_hz, now);
	rtc->per_done = due > owed ? due - owed : 0;
}

/* PIE on: start counting now. PIE off: what is owed only sets PF, as without PIE. */
void rtc_per_enable(struct rtc *rtc, bool on, uint64_t now)
{
	if (on) {
		rtc->per_ref = now;
		rtc->per_done = 0;
	} else {
		rtc_per_lazy(rtc, now);
	}
	rtc->pf_unacked = false;
}

/* A time register write sets the clock; outside SET it takes effect at once. */
void rtc_write_time(struct rtc *rtc, unsigned idx, uint8_t v, uint64_t now)
{
	bool running = !rtc->frozen;

	if (!rtc_bcd_ok(rtc, idx, v) && rtc->glog)
		vmm_guest_error(rtc->glog, "rtc: %#x in BCD time register %#x", v, idx);
	if (running)
		rtc_freeze(rtc, now);
	if (idx == RTC_HOUR)
		rtc->image.r[RTC_HOUR] = rtc_dec_hour(rtc, v);
	else
		*rtc_field(&rtc->image, idx) = rtc_dec(rtc, v);
	if (running)
		rtc_thaw(rtc, now);
}
