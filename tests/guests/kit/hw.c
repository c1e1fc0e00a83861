// SPDX-License-Identifier: GPL-2.0-or-later
// Time (PIT channel 2 and the TSC), CMOS/RTC access and PCI configuration mechanism #1.
#include "kit.h"

/* ---- PIT channel 2 (Intel 8254 datasheet; PC port 0x61 bit 0 gate, bit 5 OUT2) ---- */

#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PORT_B		0x61

void pit_ch2_wait_us(uint32_t us)
{
	uint64_t count = (uint64_t)us * KIT_PIT_HZ / 1000000;
	uint8_t b = inb(PORT_B);

	if (count < 1)
		count = 1;
	if (count > 0xFFFF)
		kit_panic("pit_ch2_wait_us(%u): over 54 ms", us);
	outb(PORT_B, (b & ~0x03) | 0x01);	/* gate high, speaker data off */
	/* Mode 0 (interrupt on terminal count): OUT2 goes low now, high when count hits 0. */
	outb(PIT_CMD, 0xB0);			/* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	for (uint32_t spins = 0; !(inb(PORT_B) & 0x20); spins++) {
		if (spins > 5000000)
			kit_panic("PIT channel 2 never reached terminal count (port 0x61 bit 5)");
	}
	outb(PORT_B, b & ~0x03);
}

/* ---- TSC, calibrated once on the boot CPU before any AP runs ---- */

static uint64_t tsc_per_ms;
static uint64_t tsc_base;
static bool tsc_calibrated;

#define CALIBRATE_MS	50
#define CALIBRATIONS	3

/*
 * TSC ticks in one CALIBRATE_MS window of PIT channel 2. Both count host time, so a vCPU
 * descheduled (or the VM paused) at either end of the window adds the whole gap to the TSC
 * side only: the window can come out long, never short.
 */
static uint64_t tsc_window(void)
{
	uint64_t t0 = rdtsc();

	pit_ch2_wait_us(CALIBRATE_MS * 1000);
	return rdtsc() - t0;
}

/*
 * The shortest of CALIBRATIONS windows is the rate: one long window, used alone, made every
 * later delay as much longer (a 200 ms stop at the end of it: kit_mdelay(200) lasted ~1 s).
 */
uint64_t kit_tsc_per_ms(void)
{
	uint64_t best = UINT64_MAX, t0;

	if (tsc_calibrated)
		return tsc_per_ms;
	t0 = rdtsc();
	for (int i = 0; i < CALIBRATIONS; i++) {
		uint64_t n = tsc_window();

		if (n < best)
			best = n;
	}
	tsc_per_ms = best / CALIBRATE_MS;
	tsc_base = t0;
	tsc_calibrated = true;
	return tsc_per_ms;
}

void kit_udelay(uint32_t us)
{
	uint64_t per_ms = kit_tsc_per_ms();
	uint64_t end;

	if (!per_ms) {
		for (; us > 50000; us -= 50000)
			pit_ch2_wait_us(50000);
		pit_ch2_wait_us(us);
		return;
	}
	end = rdtsc() + (uint64_t)us * per_ms / 1000;
	while (rdtsc() < end)
		pause();
}

void kit_mdelay(uint32_t ms)
{
	while (ms--)
		kit_udelay(1000);
}

uint64_t kit_now_ms(void)
{
	uint64_t per_ms = kit_tsc_per_ms();

	if (!per_ms)
		kit_panic("kit_now_ms: the TSC does not advance");
	return (rdtsc() - tsc_base) / per_ms;
}

/* ---- CMOS (MC146818A: index at 0x70, data at 0x71) ---- */

static struct kit_spinlock cmos_lock;

uint8_t cmos_read(uint8_t reg)
{
	uint32_t flags = read_eflags();
	uint8_t v;

	/* The index/data pair must not be split by an interrupt handler or another CPU. */
	cli();
	kit_spin_lock(&cmos_lock);
	outb(0x70, reg & 0x7F);
	v = inb(0x71);
	kit_spin_unlock(&cmos_lock);
	if (flags & 0x200)
		sti();
	return v;
}

void cmos_write(uint8_t reg, uint8_t v)
{
	uint32_t flags = read_eflags();

	cli();
	kit_spin_lock(&cmos_lock);
	outb(0x70, reg & 0x7F);
	outb(0x71, v);
	kit_spin_unlock(&cmos_lock);
	if (flags & 0x200)
		sti();
}

unsigned bcd_to_bin(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0F);
}

bool bcd_valid(uint8_t v)
{
	return (v & 0x0F) <= 9 && (v >> 4) <= 9;
}

struct raw_time {
	uint8_t sec, min, hour, day, mon, year, century, regb;
};

static void read_raw(struct raw_time *r)
{
	r->sec = cmos_read(0x00);
	r->min = cmos_read(0x02);
	r->hour = cmos_read(0x04);
	r->day = cmos_read(0x07);
	r->mon = cmos_read(0x08);
	r->year = cmos_read(0x09);
	r->century = cmos_read(0x32);
	r->regb = cmos_read(0x0B);
}

static unsigned field(uint8_t v, bool binary)
{
	return binary ? v : bcd_to_bin(v);
}

static void decode(const struct raw_time *r, struct kit_rtc_time *t)
{
	bool binary = r->regb & 0x04;		/* register B bit 2: DM */
	bool h24 = r->regb & 0x02;		/* register B bit 1: 24/12 */
	unsigned century = field(r->century, binary);

	t->second = field(r->sec, binary);
	t->minute = field(r->min, binary);
	t->hour = field(r->hour & 0x7F, binary);
	if (!h24) {				/* 12-hour mode: bit 7 is PM, 12 means 0 */
		t->hour %= 12;
		if (r->hour & 0x80)
			t->hour += 12;
	}
	t->day = field(r->day, binary);
	t->month = field(r->mon, binary);
	if (century < 19 || century > 30)
		century = 20;
	t->year = century * 100 + field(r->year, binary);
}

bool rtc_read_time(struct kit_rtc_time *t)
{
	struct raw_time a, b;

	/* Register A bit 7 (UIP): the registers are being updated; read twice until stable. */
	for (unsigned tries = 0; tries < 1000; tries++) {
		for (unsigned spins = 0; cmos_read(0x0A) & 0x80; spins++) {
			if (spins > 100000)
				return false;
		}
		read_raw(&a);
		read_raw(&b);
		if (!memcmp(&a, &b, sizeof(a))) {
			decode(&a, t);
			return true;
		}
	}
	return false;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

uint64_t kit_time_to_epoch(const struct kit_rtc_time *t)
{
	static const uint16_t before_month[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	uint64_t days = 0;

	for (unsigned y = 1970; y < t->year; y++)
		days += leap(y) ? 366 : 365;
	if (t->month >= 1 && t->month <= 12)
		days += before_month[t->month - 1];
	if (t->month > 2 && leap(t->year))
		days++;
	days += t->day ? t->day - 1 : 0;
	return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}

/* ---- boot counting across resets ---- */

#define PERSIST_MAGIC	0x56455353u	/* "VESS" */
#define CMOS_MAGIC	0xB7

struct persist {
	uint32_t magic;
	uint32_t boot;
};

unsigned kit_boot_number(void)
{
	volatile struct persist *ram = (volatile struct persist *)(uintptr_t)KIT_PERSIST_ADDR;
	bool cmos_ok = cmos_read(KIT_CMOS_BOOT_MAGIC) == CMOS_MAGIC;
	bool ram_ok = ram->magic == PERSIST_MAGIC;
	unsigned boot = 0;

	if (cmos_ok && ram_ok) {
		boot = cmos_read(KIT_CMOS_BOOT_COUNT);
		if (boot != ram->boot)
			KIT_FAIL("CMOS NVRAM says boot %u, RAM says boot %u", boot, ram->boot);
	} else if (ram_ok) {
		KIT_FAIL("CMOS NVRAM lost across a reset (RAM at 0x%x says boot %u)",
			 KIT_PERSIST_ADDR, ram->boot);
	} else if (cmos_ok) {
		KIT_FAIL("RAM lost across a reset (CMOS says boot %u, 0x%x holds 0x%x)",
			 cmos_read(KIT_CMOS_BOOT_COUNT), KIT_PERSIST_ADDR, ram->magic);
	}
	cmos_write(KIT_CMOS_BOOT_MAGIC, CMOS_MAGIC);
	cmos_write(KIT_CMOS_BOOT_COUNT, (uint8_t)(boot + 1));
	ram->magic = PERSIST_MAGIC;
	ram->boot = boot + 1;
	return boot;
}

/* ---- PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2) ---- */

static void pci_select(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	outl(0xCF8, 0x80000000u | (bus & 0xFF) << 16 | (dev & 0x1F) << 11 | (fn & 7) << 8 |
		    (off & 0xFC));
}

uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	pci_select(bus, dev, fn, off);
	return inl(0xCFC);
}

uint16_t pci_cfg_read16(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	pci_select(bus, dev, fn, off);
	return inw(0xCFC + (off & 2));
}

uint8_t pci_cfg_read8(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	pci_select(bus, dev, fn, off);
	return inb(0xCFC + (off & 3));
}

void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	pci_select(bus, dev, fn, off);
	outl(0xCFC, v);
}

void pci_cfg_write16(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint16_t v)
{
	pci_select(bus, dev, fn, off);
	outw(0xCFC + (off & 2), v);
}

void pci_cfg_write8(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint8_t v)
{
	pci_select(bus, dev, fn, off);
	outb(0xCFC + (off & 3), v);
}
