/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CMOS RTC internals shared by rtc.c (registers, ports, VM wiring) and rtc-clock.c (time). */
#ifndef VMM_RTC_PRIVATE_H
#define VMM_RTC_PRIVATE_H

#include <pthread.h>

#include "rtc.h"

/*
 * The chip's counters are never stepped. The guest clock is a (seconds, nanoseconds) pair at
 * a loop time, and every read works out the registers from it; UF/AF/PF are also worked out
 * when someone looks. Timers run only for enabled interrupts: one for the periodic interrupt
 * (PIE), one for update-ended and alarm (UIE/AIE).
 */

#define NSEC		1000000000ull

struct vm;

/*
 * Time register contents as decoded numbers, indexed by register (the alarm slots unused);
 * the hour in 24-hour form, the weekday 1..7 with Sunday 1.
 */
struct rtc_time {
	int r[RTC_YEAR + 1];
	int century;
};

struct rtc {
	pthread_mutex_t lock;
	struct vmm_irq irq;
	struct vmm_loop *loop;
	struct vmm_guest_log *glog;
	struct vmm_timer *per_timer;	/* armed only with PIE and a rate */
	struct vmm_timer *upd_timer;	/* armed only with UIE or AIE */

	uint8_t cmos[RTC_CMOS_SIZE];	/* NVRAM, alarm bytes, A (without UIP), B, C */
	uint8_t index;
	bool nmi_disabled;		/* port 0x70 bit 7: kept, no NMI source here */
	bool irq_level;
	bool paused;
	uint64_t paused_at;

	/*
	 * Guest time is clk_sec + clk_frac ns at loop time clk_ref. While frozen (SET, or the
	 * divider in reset) time stands still and the time registers are `image`.
	 */
	int64_t clk_sec;
	uint64_t clk_frac;
	uint64_t clk_ref;
	bool frozen;
	bool div_was_reset;		/* the next thaw starts half a second before an update */
	struct rtc_time image;
	unsigned wday_adj;		/* the weekday counter is separate from the date */
	int64_t upd_mark;		/* last guest second whose update cycle is accounted */

	/* Periodic interrupt: per_done of the ticks at per_hz since loop time per_ref. */
	unsigned per_hz;		/* 0: off (RS = 0 or divider in reset) */
	uint64_t per_ref, per_done;
	uint64_t last_deliver;
	bool pf_unacked;		/* a tick was delivered and C not read since */

	struct rtc_stats stats;
	struct vm *vm;			/* set by the VM wiring; NULL when standalone */
};

/* rtc-clock.c. Callers hold rtc->lock, except for the two timer callbacks, which take it. */
uint8_t rtc_enc(const struct rtc *rtc, int v);
uint8_t rtc_enc_hour(const struct rtc *rtc, int h);
int *rtc_field(struct rtc_time *t, unsigned idx);
bool rtc_div_reset(const struct rtc *rtc);
void rtc_clock(const struct rtc *rtc, uint64_t now, int64_t *sec, uint64_t *frac);
void rtc_fields(const struct rtc *rtc, uint64_t now, struct rtc_time *t);
void rtc_timer_stop(struct vmm_timer *t);
void rtc_update_irq(struct rtc *rtc);
void rtc_account_updates(struct rtc *rtc, uint64_t now);
void rtc_upd_schedule(struct rtc *rtc, uint64_t now);
void rtc_upd_fire(void *opaque);
void rtc_sync_freeze(struct rtc *rtc, uint64_t now);
unsigned rtc_rate_hz(uint8_t a);
uint64_t rtc_per_catch(struct rtc *rtc, uint64_t now);
void rtc_per_lazy(struct rtc *rtc, uint64_t now);
bool rtc_per_active(const struct rtc *rtc);
void rtc_per_schedule(struct rtc *rtc, uint64_t now);
void rtc_per_fire(void *opaque);
void rtc_per_set_rate(struct rtc *rtc, unsigned hz, uint64_t now);
void rtc_per_enable(struct rtc *rtc, bool on, uint64_t now);
void rtc_per_export(const struct rtc *rtc, uint64_t t0, uint64_t *owed, uint64_t *next);
void rtc_per_import(struct rtc *rtc, uint64_t now, uint64_t owed, uint64_t next);
void rtc_write_time(struct rtc *rtc, unsigned idx, uint8_t v, uint64_t now);

#endif
