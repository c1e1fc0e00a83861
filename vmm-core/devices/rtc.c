// SPDX-License-Identifier: GPL-2.0-or-later
/* CMOS RTC (MC146818A-compatible): ports, registers, NVRAM and memory sizes, VM wiring. */
#include "rtc-private.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "vm.h"

/* The guest clock, the C flags and the timers are in rtc-clock.c; see rtc-private.h. */

#define RTC_UIP_NS	244141	/* tBUC, 244 us: 8 cycles of 32.768 kHz (MC146818A Table 6) */
#define RTC_A_POWER_ON	0x26	/* 32.768 kHz time base, 1024 Hz rate: what PC BIOSes program */
#define RTC_B_POWER_ON	RTC_B_24H
#define PC_BASE_MEM_KB	640
/*
 * CMOS 14h (IBM PC/AT Technical Reference); SeaBIOS copies it into the BDA equipment word
 * (INT 11h, RBIL table 00226): bit 1 80x87, bit 2 PS/2 pointing device ("reserved" on the
 * AT), bits 5-4 = 00 EGA/VGA, bit 0 clear: no diskette drives.
 */
#define PC_EQUIPMENT	0x06

static bool rtc_is_time_reg(unsigned idx)
{
	return (idx <= RTC_YEAR && idx != RTC_SEC_ALARM && idx != RTC_MIN_ALARM &&
		idx != RTC_HOUR_ALARM) || idx == RTC_CENTURY;
}

/* Reading C returns the flags and clears them, dropping IRQ (MC146818A, Register C). */
static uint8_t rtc_read_c(struct rtc *rtc, uint64_t now)
{
	uint8_t val;

	rtc_account_updates(rtc, now);
	if (!(rtc->cmos[RTC_REG_B] & RTC_B_PIE))
		rtc_per_lazy(rtc, now);
	rtc_update_irq(rtc);
	val = rtc->cmos[RTC_REG_C];
	rtc->cmos[RTC_REG_C] = 0;
	rtc->pf_unacked = false;
	rtc_update_irq(rtc);
	rtc_per_schedule(rtc, now);
	return val;
}

static uint8_t rtc_read_reg(struct rtc *rtc, unsigned idx, uint64_t now)
{
	struct rtc_time t;
	uint64_t frac;
	int64_t sec;

	if (rtc_is_time_reg(idx)) {
		rtc_fields(rtc, now, &t);
		if (idx == RTC_HOUR)
			return rtc_enc_hour(rtc, t.r[RTC_HOUR]);
		return rtc_enc(rtc, *rtc_field(&t, idx));
	}
	switch (idx) {
	case RTC_REG_A:
		/* "UIP = 0: no update for at least 244 us" (MC146818A, Register A); not in SET. */
		rtc_clock(rtc, now, &sec, &frac);
		if (!rtc->frozen && frac >= NSEC - RTC_UIP_NS)
			return rtc->cmos[RTC_REG_A] | RTC_A_UIP;
		return rtc->cmos[RTC_REG_A];
	case RTC_REG_C:
		return rtc_read_c(rtc, now);
	case RTC_REG_D:
		return RTC_D_VRT;	/* valid RAM and time: the "battery" never runs down */
	default:
		return rtc->cmos[idx];
	}
}

static void rtc_write_a(struct rtc *rtc, uint8_t v, uint64_t now)
{
	if (!(rtc->cmos[RTC_REG_B] & RTC_B_PIE))
		rtc_per_lazy(rtc, now);
	rtc->cmos[RTC_REG_A] = v & ~RTC_A_UIP;	/* UIP is read-only */
	if (rtc_div_reset(rtc))
		rtc->div_was_reset = true;
	rtc_sync_freeze(rtc, now);
	rtc_per_set_rate(rtc, rtc_rate_hz(rtc->cmos[RTC_REG_A]), now);
}

static void rtc_write_b(struct rtc *rtc, uint8_t v, uint64_t now)
{
	uint8_t old = rtc->cmos[RTC_REG_B];

	rtc_account_updates(rtc, now);
	if (!(old & RTC_B_PIE))
		rtc_per_lazy(rtc, now);
	/* "UIE is cleared when the SET bit goes high" (MC146818A, Register B UIE). */
	if (v & RTC_B_SET)
		v &= ~RTC_B_UIE;
	rtc->cmos[RTC_REG_B] = v;
	rtc_sync_freeze(rtc, now);
	if ((v ^ old) & RTC_B_PIE)
		rtc_per_enable(rtc, v & RTC_B_PIE, now);
	rtc_per_schedule(rtc, now);
	rtc_upd_schedule(rtc, now);
}

static void rtc_write_reg(struct rtc *rtc, unsigned idx, uint8_t v, uint64_t now)
{
	if (rtc_is_time_reg(idx)) {
		rtc_write_time(rtc, idx, v, now);
	} else if (idx == RTC_SEC_ALARM || idx == RTC_MIN_ALARM || idx == RTC_HOUR_ALARM) {
		rtc_account_updates(rtc, now);	/* matches so far used the old alarm */
		rtc->cmos[idx] = v;
		rtc_upd_schedule(rtc, now);
	} else if (idx == RTC_REG_A) {
		rtc_write_a(rtc, v, now);
	} else if (idx == RTC_REG_B) {
		rtc_write_b(rtc, v, now);
	} else if (idx != RTC_REG_C && idx != RTC_REG_D) {
		rtc->cmos[idx] = v;	/* NVRAM: plain storage, checksum is the BIOS's business */
	} else if (rtc->glog) {
		vmm_guest_error(rtc->glog, "rtc: write %#x to read-only register %#x", v, idx);
	}
	rtc_update_irq(rtc);
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
	struct rtc *rtc = opaque;
	uint8_t v;

	if (offset != 1)
		return 0xff;	/* the index port is write-only on the PC/AT */
	pthread_mutex_lock(&rtc->lock);
	v = rtc_read_reg(rtc, rtc->index, vmm_loop_now(rtc->loop));
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		rtc->index = value & (RTC_CMOS_SIZE - 1);
		rtc->nmi_disabled = value & 0x80;
	} else if (offset == 1) {
		rtc_write_reg(rtc, rtc->index, value & 0xff, vmm_loop_now(rtc->loop));
	}
	pthread_mutex_unlock(&rtc->lock);
}

/*
 * Ports 0x70 (index) and 0x71 (data), one byte at a time. Handlers run on vCPU threads under
 * the bus read lock and take the device lock; timer callbacks run on the I/O thread and take
 * the same lock. Lock order: device lock, then the loop's (timers are armed under ours).
 */
const struct vmm_io_ops rtc_io_ops = {
	.name = "rtc",
	.read = rtc_io_read,
	.write = rtc_io_write,
	.min_size = 1,
	.max_size = 1,
};

static void rtc_put16(struct rtc *rtc, unsigned lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc->cmos[lo] = v & 0xff;
	rtc->cmos[lo + 1] = (v >> 8) & 0xff;
}

/* CMOS 2Eh-2Fh: sum of 10h-2Dh, high byte first (IBM PC/AT Technical Reference). */
static void rtc_checksum(struct rtc *rtc)
{
	unsigned sum = 0;

	for (unsigned i = CMOS_CHECKSUM_FIRST; i <= CMOS_CHECKSUM_LAST; i++)
		sum += rtc->cmos[i];
	rtc->cmos[CMOS_CHECKSUM_HI] = (sum >> 8) & 0xff;
	rtc->cmos[CMOS_CHECKSUM_LO] = sum & 0xff;
}

/* Memory sizes as SeaBIOS reads them when fw_cfg gives none (its CMOS_MEM_* bytes). */
static void rtc_fill_cmos(struct rtc *rtc, const struct rtc_config *cfg)
{
	uint64_t below = cfg->ram_below_4g, above = cfg->ram_above_4g >> 16;
	uint64_t ext = below > (1ull << 20) ? (below - (1ull << 20)) >> 10 : 0;
	uint64_t over16 = below > (16ull << 20) ? (below - (16ull << 20)) >> 16 : 0;
	unsigned cpus = cfg->cpus ? cfg->cpus : 1;

	rtc->cmos[RTC_REG_A] = RTC_A_POWER_ON;
	rtc->cmos[RTC_REG_B] = RTC_B_POWER_ON;
	rtc->cmos[CMOS_FLOPPY_TYPES] = 0;		/* no diskette drives */
	rtc->cmos[CMOS_DISK_TYPES] = 0;			/* disks are found by probing */
	rtc->cmos[CMOS_EQUIPMENT] = PC_EQUIPMENT;
	rtc_put16(rtc, CMOS_BASE_MEM_LO, PC_BASE_MEM_KB);
	rtc_put16(rtc, CMOS_EXT_MEM_LO, ext);		/* KiB above 1 MiB */
	rtc_put16(rtc, CMOS_EXT_MEM2_LO, ext);
	rtc_put16(rtc, CMOS_MEM_16M_LO, over16);	/* 64 KiB units above 16 MiB */
	if (above > 0xffffff)
		above = 0xffffff;
	rtc->cmos[CMOS_MEM_4G_LO] = above & 0xff;	/* 64 KiB units above 4 GiB */
	rtc->cmos[CMOS_MEM_4G_MID] = (above >> 8) & 0xff;
	rtc->cmos[CMOS_MEM_4G_HI] = (above >> 16) & 0xff;
	rtc->cmos[CMOS_CPU_COUNT] = cpus > 256 ? 255 : cpus - 1;
	rtc_checksum(rtc);
}

static uint64_t rtc_host_wall_ns(const struct rtc_config *cfg)
{
	struct timespec ts;

	if (cfg->wall_now_ns)
		return cfg->wall_now_ns(cfg->wall_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

struct rtc *rtc_new(const struct rtc_config *cfg)
{
	struct rtc *rtc;
	uint64_t wall;

	if (!cfg || !cfg->loop)
		return NULL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return NULL;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = cfg->irq;
	rtc->loop = cfg->loop;
	rtc->glog = cfg->glog;
	rtc->per_timer = vmm_timer_new(cfg->loop, rtc_per_fire, rtc);
	rtc->upd_timer = vmm_timer_new(cfg->loop, rtc_upd_fire, rtc);
	if (!rtc->per_timer || !rtc->upd_timer)
		goto out_free;
	rtc_fill_cmos(rtc, cfg);
	rtc->clk_ref = vmm_loop_now(cfg->loop);
	if (cfg->base) {
		rtc->clk_sec = cfg->base;
	} else {
		wall = rtc_host_wall_ns(cfg);
		rtc->clk_sec = (int64_t)(wall / NSEC);
		rtc->clk_frac = wall % NSEC;
	}
	rtc->upd_mark = rtc->clk_sec;
	rtc->per_ref = rtc->clk_ref;
	rtc->per_hz = rtc_rate_hz(rtc->cmos[RTC_REG_A]);
	return rtc;
out_free:
	rtc_free(rtc);
	return NULL;
}

/* The loop must not be running this device's timers (stopped, or this is its thread). */
void rtc_free(struct rtc *rtc)
{
	if (!rtc)
		return;
	vmm_timer_free(rtc->per_timer);
	vmm_timer_free(rtc->upd_timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

/*
 * The RESET pin clears PIE, AIE, UIE, SQWE and IRQF, PF, AF, UF; A, SET, DM, 24/12, DSE,
 * the time and the RAM are untouched (MC146818A, "RESET").
 */
void rtc_reset(struct rtc *rtc)
{
	uint64_t now;

	pthread_mutex_lock(&rtc->lock);
	now = vmm_loop_now(rtc->loop);
	rtc_account_updates(rtc, now);
	rtc_per_enable(rtc, false, now);
	rtc->cmos[RTC_REG_B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
	rtc->cmos[RTC_REG_C] = 0;
	rtc_update_irq(rtc);
	rtc_per_schedule(rtc, now);
	rtc_upd_schedule(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
}

void rtc_stats(struct rtc *rtc, struct rtc_stats *out)
{
	uint64_t owed = 0;

	pthread_mutex_lock(&rtc->lock);
	if (rtc_per_active(rtc))
		owed = rtc_per_catch(rtc, vmm_loop_now(rtc->loop));
	*out = rtc->stats;
	out->periodic_pending = owed;
	out->timers_armed = vmm_timer_pending(rtc->per_timer) + vmm_timer_pending(rtc->upd_timer);
	pthread_mutex_unlock(&rtc->lock);
}

static bool rtc_nvram_idx(unsigned idx)
{
	return idx > RTC_REG_D && idx < RTC_CMOS_SIZE;
}

uint8_t rtc_cmos_read(struct rtc *rtc, unsigned idx)
{
	uint8_t v;

	if (!rtc_nvram_idx(idx))
		return 0;
	pthread_mutex_lock(&rtc->lock);
	v = rtc_read_reg(rtc, idx, vmm_loop_now(rtc->loop));
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

int rtc_cmos_write(struct rtc *rtc, unsigned idx, uint8_t val)
{
	if (!rtc_nvram_idx(idx))
		return -EINVAL;
	pthread_mutex_lock(&rtc->lock);
	if (idx == RTC_CENTURY) {
		rtc_write_time(rtc, idx, val, vmm_loop_now(rtc->loop));
	} else {
		rtc->cmos[idx] = val;
		if (idx >= CMOS_CHECKSUM_FIRST && idx <= CMOS_CHECKSUM_LAST)
			rtc_checksum(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

static int rtc_dev_create(struct vm *vm, void **state)
{
	struct rtc_config cfg = {
		.irq = vm_irq_line(vm, RTC_GSI),
		.loop = vm->loop,
		.glog = &vm->glog,
		.ram_below_4g = vm->mem.below_4g,
		.ram_above_4g = vm->mem.above_4g,
		.cpus = vm->cfg.cpus,
	};
	struct rtc *rtc;
	int err;

	if (!vm->loop)
		return -EINVAL;
	rtc = rtc_new(&cfg);
	if (!rtc)
		return -ENOMEM;
	err = vmm_bus_register(&vm->pio, RTC_PORT_INDEX, 2, &rtc_io_ops, rtc);
	if (err) {
		rtc_free(rtc);
		return err;
	}
	rtc->vm = vm;
	vm->rtc = rtc;
	*state = rtc;
	return 0;
}

static void rtc_dev_reset(void *state)
{
	rtc_reset(state);
}

static int rtc_dev_pause(void *state)
{
	struct rtc *rtc = state;

	pthread_mutex_lock(&rtc->lock);
	if (!rtc->paused) {
		rtc->paused = true;
		rtc->paused_at = vmm_loop_now(rtc->loop);
		rtc_timer_stop(rtc->per_timer);
		rtc_timer_stop(rtc->upd_timer);
	}
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

/*
 * The clock keeps host time across a pause (like a battery-backed chip), but periodic ticks
 * that fell due while paused are not owed: the guest was not running to miss them.
 */
static int rtc_dev_resume(void *state)
{
	struct rtc *rtc = state;
	uint64_t now;

	pthread_mutex_lock(&rtc->lock);
	if (rtc->paused) {
		now = vmm_loop_now(rtc->loop);
		rtc->paused = false;
		rtc->per_ref += now - rtc->paused_at;
		if (rtc->per_ref > now)
			rtc->per_ref = now;	/* a reset while paused rebased it */
		rtc_account_updates(rtc, now);
		rtc_update_irq(rtc);
		rtc_per_schedule(rtc, now);
		rtc_upd_schedule(rtc, now);
	}
	pthread_mutex_unlock(&rtc->lock);
	return 0;
}

static int rtc_dev_save(void *state, void **blob, size_t *len)
{
	return rtc_save(state, blob, len);
}

static int rtc_dev_load(void *state, const void *blob, size_t len)
{
	return rtc_load(state, blob, len);
}

static void rtc_dev_destroy(void *state)
{
	struct rtc *rtc = state;

	if (rtc->vm) {
		vmm_bus_unregister(&rtc->vm->pio, RTC_PORT_INDEX, rtc);
		rtc->vm->rtc = NULL;
	}
	rtc_free(rtc);
}

const struct vmm_device_ops rtc_device_ops = {
	.name = "rtc",
	.create = rtc_dev_create,
	.reset = rtc_dev_reset,
	.pause = rtc_dev_pause,
	.resume = rtc_dev_resume,
	.save = rtc_dev_save,
	.load = rtc_dev_load,
	.destroy = rtc_dev_destroy,
};
