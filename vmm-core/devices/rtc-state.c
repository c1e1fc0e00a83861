// SPDX-License-Identifier: GPL-2.0-or-later
/* CMOS RTC snapshot state: NVRAM, registers, guest clock, alarm and periodic catch-up. */
#include "rtc-private.h"

#include <pthread.h>
#include <string.h>

#include "dev-state.h"

/*
 * Loop times mean nothing in another VM, so everything time-like is saved relative to the
 * moment of saving: the guest clock as (seconds, nanoseconds), the periodic interrupt as
 * ticks owed plus the time to the next tick, the last catch-up delivery as an age. Load
 * rebuilds the loop-time fields from the new loop's clock. The guest clock continues from
 * where it was saved (a restored VM has been frozen, not running, while on disk); the update
 * and alarm timer is worked out again from the clock and the alarm bytes.
 *
 * While paused the periodic interrupt is frozen at paused_at (nothing is owed for a pause)
 * but the clock keeps host time, as rtc_dev_resume has it.
 */
struct rtc_state {
	uint32_t version;
	uint8_t index, nmi_disabled, frozen, div_was_reset;
	uint8_t pf_unacked, wday_adj, pad[2];
	uint8_t cmos[RTC_CMOS_SIZE];
	int32_t image[RTC_YEAR + 2];	/* time registers while frozen, then the century */
	int64_t clk_sec;
	uint64_t clk_frac;
	int64_t upd_mark;
	uint64_t per_owed, per_next_ns, last_deliver_age;
	uint64_t delivered, late, dropped, update_irqs, alarm_irqs, irq_raises;
};

_Static_assert(sizeof(struct rtc_state) == 12 + RTC_CMOS_SIZE + 4 * (RTC_YEAR + 2) + 12 * 8,
	       "no padding in the saved state");

#define RTC_STATE_VERSION	1
/* About 300,000 years either side of 1970: far beyond any date the registers can hold,
 * and far from int64 overflow when loop time is added. */
#define RTC_SEC_LIMIT		10000000000000ll

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static void rtc_save_clock(const struct rtc *rtc, uint64_t now, struct rtc_state *st)
{
	int64_t sec;
	uint64_t frac;

	if (rtc->frozen) {
		/* Thaw after SET keeps the divider's phase: carry it relative to now. */
		st->clk_sec = rtc->clk_sec;
		st->clk_frac = (rtc->clk_frac + since(now, rtc->clk_ref) % NSEC) % NSEC;
	} else {
		rtc_clock(rtc, now, &sec, &frac);
		st->clk_sec = sec;
		st->clk_frac = frac;
	}
	for (unsigned i = 0; i <= RTC_YEAR; i++)
		st->image[i] = rtc->image.r[i];
	st->image[RTC_YEAR + 1] = rtc->image.century;
	st->upd_mark = rtc->upd_mark;
}

int rtc_save(struct rtc *rtc, void **blob, size_t *len)
{
	struct rtc_state st;
	uint64_t now, t0;

	memset(&st, 0, sizeof(st));
	st.version = RTC_STATE_VERSION;
	pthread_mutex_lock(&rtc->lock);
	now = vmm_loop_now(rtc->loop);
	t0 = rtc->paused ? rtc->paused_at : now;
	st.index = rtc->index;
	st.nmi_disabled = rtc->nmi_disabled;
	st.frozen = rtc->frozen;
	st.div_was_reset = rtc->div_was_reset;
	st.pf_unacked = rtc->pf_unacked;
	st.wday_adj = (uint8_t)rtc->wday_adj;
	memcpy(st.cmos, rtc->cmos, sizeof(st.cmos));
	rtc_save_clock(rtc, now, &st);
	rtc_per_export(rtc, t0, &st.per_owed, &st.per_next_ns);
	st.last_deliver_age = since(t0, rtc->last_deliver);
	st.delivered = rtc->stats.periodic_delivered;
	st.late = rtc->stats.periodic_late;
	st.dropped = rtc->stats.periodic_dropped;
	st.update_irqs = rtc->stats.update_irqs;
	st.alarm_irqs = rtc->stats.alarm_irqs;
	st.irq_raises = rtc->stats.irq_raises;
	pthread_mutex_unlock(&rtc->lock);
	return dev_state_emit(&st, sizeof(st), blob, len);
}

/* Register bits the chip never holds, and the SET/divider freeze the clock must match. */
static int rtc_check_regs(const struct rtc_state *st)
{
	uint8_t a = st->cmos[RTC_REG_A], b = st->cmos[RTC_REG_B];
	bool div_reset = (a & 0x60) == 0x60;

	if (a & RTC_A_UIP)
		return dev_state_bad("rtc", "register A", "has UIP stored");
	if ((b & RTC_B_SET) && (b & RTC_B_UIE))
		return dev_state_bad("rtc", "register B", "has UIE with SET");
	if (st->cmos[RTC_REG_C] & 0x0f)
		return dev_state_bad("rtc", "register C", "has bits 0-3 set");
	if (st->index >= RTC_CMOS_SIZE)
		return dev_state_bad("rtc", "index", "is beyond the CMOS");
	if ((st->nmi_disabled | st->frozen | st->div_was_reset | st->pf_unacked) > 1)
		return dev_state_bad("rtc", "flags", "are not booleans");
	if (st->frozen != ((b & RTC_B_SET) || div_reset))
		return dev_state_bad("rtc", "frozen", "disagrees with SET and the divider");
	if (st->div_was_reset && !st->frozen)
		return dev_state_bad("rtc", "div_was_reset", "is set on a running clock");
	return 0;
}

static bool rtc_sec_ok(int64_t s)
{
	return s >= -RTC_SEC_LIMIT && s <= RTC_SEC_LIMIT;
}

static int rtc_check_clock(const struct rtc_state *st)
{
	uint64_t hz = rtc_rate_hz(st->cmos[RTC_REG_A]);

	if (!rtc_sec_ok(st->clk_sec) || !rtc_sec_ok(st->upd_mark))
		return dev_state_bad("rtc", "clk_sec/upd_mark", "is out of range");
	if (st->clk_frac >= NSEC)
		return dev_state_bad("rtc", "clk_frac", "is not below one second");
	if (!st->frozen && st->upd_mark > st->clk_sec)
		return dev_state_bad("rtc", "upd_mark", "is ahead of the clock");
	if (st->wday_adj > 6)
		return dev_state_bad("rtc", "wday_adj", "is not 0..6");
	/* Decoded register values: at most 0xff, the 12-hour PM bit adding 12. */
	for (unsigned i = 0; i < RTC_YEAR + 2; i++)
		if (st->image[i] < 0 || st->image[i] > 0xff + 12)
			return dev_state_bad("rtc", "image", "holds an impossible register value");
	if (hz ? st->per_owed > hz : st->per_owed != 0)
		return dev_state_bad("rtc", "per_owed", "exceeds one second of ticks");
	if (hz ? (!st->per_next_ns || st->per_next_ns > (NSEC + hz - 1) / hz) : st->per_next_ns)
		return dev_state_bad("rtc", "per_next_ns", "is not within one period");
	return 0;
}

static void rtc_restore(struct rtc *rtc, const struct rtc_state *st, uint64_t now)
{
	rtc->index = st->index;
	rtc->nmi_disabled = st->nmi_disabled;
	rtc->frozen = st->frozen;
	rtc->div_was_reset = st->div_was_reset;
	rtc->pf_unacked = st->pf_unacked;
	rtc->wday_adj = st->wday_adj;
	memcpy(rtc->cmos, st->cmos, sizeof(rtc->cmos));
	for (unsigned i = 0; i <= RTC_YEAR; i++)
		rtc->image.r[i] = st->image[i];
	rtc->image.century = st->image[RTC_YEAR + 1];
	rtc->clk_sec = st->clk_sec;
	rtc->clk_frac = st->clk_frac;
	rtc->clk_ref = now;
	rtc->upd_mark = st->upd_mark;
	rtc->per_hz = rtc_rate_hz(st->cmos[RTC_REG_A]);
	rtc_per_import(rtc, now, st->per_owed, st->per_next_ns);
	rtc->last_deliver = since(now, st->last_deliver_age);
	rtc->stats.periodic_delivered = st->delivered;
	rtc->stats.periodic_late = st->late;
	rtc->stats.periodic_dropped = st->dropped;
	rtc->stats.update_irqs = st->update_irqs;
	rtc->stats.alarm_irqs = st->alarm_irqs;
	rtc->stats.irq_raises = st->irq_raises;
	if (rtc->paused)
		rtc->paused_at = now;
}

/* Drives IRQ 8 to the loaded level and re-arms the periodic and update/alarm timers. */
int rtc_load(struct rtc *rtc, const void *blob, size_t len)
{
	struct rtc_state st;
	uint64_t now;
	int ret = dev_state_open("rtc", blob, len, &st, sizeof(st), false, RTC_STATE_VERSION);

	if (!ret)
		ret = rtc_check_regs(&st);
	if (!ret)
		ret = rtc_check_clock(&st);
	if (ret)
		return ret;
	pthread_mutex_lock(&rtc->lock);
	now = vmm_loop_now(rtc->loop);
	rtc_restore(rtc, &st, now);
	rtc_update_irq(rtc);
	rtc_per_schedule(rtc, now);
	rtc_upd_schedule(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}
