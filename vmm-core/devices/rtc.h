/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CMOS RTC (MC146818A-compatible) at ports 0x70/0x71, with PC/SeaBIOS CMOS conventions. */
#ifndef VMM_RTC_H
#define VMM_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "loop.h"

#define RTC_PORT_INDEX		0x70	/* bit 7: NMI disable (kept, ignored) */
#define RTC_PORT_DATA		0x71
#define RTC_GSI			8
#define RTC_CMOS_SIZE		128

/* Register and CMOS byte numbers (MC146818A datasheet, "Address Map"; IBM PC/AT CMOS map). */
#define RTC_SEC			0x00
#define RTC_SEC_ALARM		0x01
#define RTC_MIN			0x02
#define RTC_MIN_ALARM		0x03
#define RTC_HOUR		0x04
#define RTC_HOUR_ALARM		0x05
#define RTC_WDAY		0x06
#define RTC_MDAY		0x07
#define RTC_MON			0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32

#define RTC_A_UIP		0x80
#define RTC_A_DV_MASK		0x70
#define RTC_A_RS_MASK		0x0f
#define RTC_B_SET		0x80
#define RTC_B_PIE		0x40
#define RTC_B_AIE		0x20
#define RTC_B_UIE		0x10
#define RTC_B_SQWE		0x08
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_B_DSE		0x01
#define RTC_C_IRQF		0x80
#define RTC_C_PF		0x40
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10
#define RTC_D_VRT		0x80

/* PC CMOS bytes the creator fills in (IBM PC/AT Technical Reference; SeaBIOS's reading). */
#define CMOS_SHUTDOWN_STATUS	0x0f
#define CMOS_FLOPPY_TYPES	0x10
#define CMOS_DISK_TYPES		0x12
#define CMOS_EQUIPMENT		0x14
#define CMOS_BASE_MEM_LO	0x15
#define CMOS_BASE_MEM_HI	0x16
#define CMOS_EXT_MEM_LO		0x17
#define CMOS_EXT_MEM_HI		0x18
#define CMOS_CHECKSUM_HI	0x2e
#define CMOS_CHECKSUM_LO	0x2f
#define CMOS_EXT_MEM2_LO	0x30
#define CMOS_EXT_MEM2_HI	0x31
#define CMOS_MEM_16M_LO		0x34
#define CMOS_MEM_16M_HI		0x35
#define CMOS_MEM_4G_LO		0x5b
#define CMOS_MEM_4G_MID		0x5c
#define CMOS_MEM_4G_HI		0x5d
#define CMOS_CPU_COUNT		0x5f
#define CMOS_CHECKSUM_FIRST	0x10	/* checksum covers 0x10..0x2d */
#define CMOS_CHECKSUM_LAST	0x2d

struct rtc;

struct rtc_config {
	struct vmm_irq irq;			/* IRQ 8 */
	struct vmm_loop *loop;			/* required: timers and the time base */
	struct vmm_guest_log *glog;		/* may be NULL */
	uint64_t ram_below_4g;			/* bytes (vm_memory.below_4g) */
	uint64_t ram_above_4g;			/* bytes (vm_memory.above_4g) */
	unsigned cpus;
	/*
	 * Guest time at power-on, seconds since 1970 (UTC calendar). 0: read the host wall clock
	 * through wall_now_ns (NULL: CLOCK_REALTIME). Afterwards the guest clock advances with
	 * the loop's clock, so a manual-clock loop drives it in tests.
	 */
	time_t base;
	uint64_t (*wall_now_ns)(void *opaque);
	void *wall_opaque;
};

/* Counters for the periodic interrupt's lost-tick handling and the other sources. */
struct rtc_stats {
	uint64_t periodic_delivered;	/* PF raised with PIE set */
	uint64_t periodic_late;		/* of those, delivered by catch-up after being held back */
	uint64_t periodic_pending;	/* ticks due now and not yet delivered (owed) */
	uint64_t periodic_dropped;	/* ticks beyond one second's backlog, discarded */
	uint64_t update_irqs;		/* UF set with UIE */
	uint64_t alarm_irqs;		/* AF set with AIE */
	uint64_t irq_raises;		/* the IRQ line went high */
	unsigned timers_armed;		/* 0..2: device timers pending right now */
};

/* NULL if cfg has no loop or memory runs out. */
struct rtc *rtc_new(const struct rtc_config *cfg);
void rtc_free(struct rtc *rtc);

/* A guest reset: the chip's RESET pin (interrupt enables and flags); time and NVRAM stay. */
void rtc_reset(struct rtc *rtc);
void rtc_stats(struct rtc *rtc, struct rtc_stats *out);

/*
 * Host access to CMOS bytes 0x0e..0x7f (0x32, the century, goes through the clock). Writes
 * into 0x10..0x2d update the checksum at 0x2e/0x2f. Out of range: read 0, write -EINVAL.
 */
uint8_t rtc_cmos_read(struct rtc *rtc, unsigned idx);
int rtc_cmos_write(struct rtc *rtc, unsigned idx, uint8_t val);

/*
 * Snapshot state (device.h contract, rtc-state.c): NVRAM, registers, the guest clock, alarm
 * and periodic timers with their catch-up backlog. Load checks everything first, then drives
 * IRQ 8 to the loaded level and re-arms the timers on this RTC's loop. 0 or -errno.
 */
int rtc_save(struct rtc *rtc, void **blob, size_t *len);
int rtc_load(struct rtc *rtc, const void *blob, size_t len);

/* Ports 0x70..0x71, registered as one range of length 2; 1-byte accesses. */
extern const struct vmm_io_ops rtc_io_ops;
extern const struct vmm_device_ops rtc_device_ops;

#endif
