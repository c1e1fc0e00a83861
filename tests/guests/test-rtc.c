// SPDX-License-Identifier: GPL-2.0-or-later
// MC146818 RTC: BCD and binary time vs. the host clock, NVRAM, 1024 Hz periodic IRQ 8.
#include "kit.h"

/* The runner puts the host's Unix time on the command line just before starting. */
KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 append=epoch={epoch}");
KIT_EXPECT("serial=rtc: time 20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]");
KIT_EXPECT("serial=rtc: periodic [0-9]+ interrupts in [0-9]+ ms");

#define REG_A		0x0A
#define REG_B		0x0B
#define REG_C		0x0C
#define REG_D		0x0D
#define B_PIE		0x40	/* MC146818A datasheet, register B */
#define B_DM		0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define RTC_VECTOR	0x38
#define MAX_SKEW_S	10	/* host start-up plus boot; generous, but still catches a wrong clock */

static void check_bcd_time(void)
{
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
	uint8_t b = cmos_read(REG_B);

	KIT_ASSERT_EQ(b & B_DM, 0);		/* PC convention: BCD, 24-hour */
	KIT_ASSERT(b & B_24H);
	for (unsigned i = 0; i < sizeof(regs); i++) {
		uint8_t v = cmos_read(regs[i]);

		if (!bcd_valid(v))
			KIT_FAIL("CMOS 0x%02x = 0x%02x is not BCD", regs[i], v);
	}
	/* Register D bit 7 (VRT): the battery is fine. */
	KIT_ASSERT(cmos_read(REG_D) & 0x80);
}

static void check_time(void)
{
	struct kit_rtc_time t;
	uint64_t host, rtc;

	KIT_ASSERT(rtc_read_time(&t));
	kit_printf("rtc: time %04u-%02u-%02u %02u:%02u:%02u\n",
		   t.year, t.month, t.day, t.hour, t.minute, t.second);
	KIT_ASSERT_RANGE(t.month, 1, 12);
	KIT_ASSERT_RANGE(t.day, 1, 31);
	KIT_ASSERT_RANGE(t.hour, 0, 23);
	KIT_ASSERT_RANGE(t.minute, 0, 59);
	KIT_ASSERT_RANGE(t.second, 0, 59);
	host = kit_cmdline_u64("epoch", 0);
	if (!host)
		KIT_FAIL("no epoch=<unix time> on the command line '%s'", kit_boot_info()->cmdline);
	rtc = kit_time_to_epoch(&t);
	kit_printf("rtc: epoch %llu, host said %llu\n", rtc, host);
	KIT_ASSERT(rtc + 2 >= host);			/* the RTC may not run behind the host */
	KIT_ASSERT(rtc <= host + MAX_SKEW_S);
}

/* Binary mode (register B DM = 1) must show the same time, just not in BCD. */
static void check_binary_mode(void)
{
	struct kit_rtc_time bcd, bin;
	uint8_t b = cmos_read(REG_B);

	KIT_ASSERT(rtc_read_time(&bcd));
	cmos_write(REG_B, b | B_DM);
	KIT_ASSERT(rtc_read_time(&bin));
	KIT_ASSERT_EQ(cmos_read(REG_B) & B_DM, B_DM);
	cmos_write(REG_B, b);
	KIT_ASSERT_EQ(bin.year, bcd.year);
	KIT_ASSERT_EQ(bin.month, bcd.month);
	KIT_ASSERT_EQ(bin.day, bcd.day);
	/* A second may tick between the two reads. */
	KIT_ASSERT(kit_time_to_epoch(&bin) - kit_time_to_epoch(&bcd) <= 2);
}

static void check_nvram(void)
{
	for (uint8_t reg = 0x40; reg < 0x48; reg++)
		cmos_write(reg, (uint8_t)(reg ^ 0xA5));
	for (uint8_t reg = 0x40; reg < 0x48; reg++)
		KIT_ASSERT_EQ(cmos_read(reg), reg ^ 0xA5);
}

static void rtc_isr(struct kit_frame *f, void *ctx)
{
	volatile uint32_t *count = ctx;

	/* Reading register C acknowledges the interrupt; without it IRQ 8 stays high. */
	if (cmos_read(REG_C) & C_PF)
		(*count)++;
	lapic_eoi();
}

static void check_periodic(void)
{
	static volatile uint32_t count;
	const uint32_t interval_ms = 250;
	uint8_t a = cmos_read(REG_A), b = cmos_read(REG_B);
	uint64_t start, elapsed;
	uint32_t n, expect;

	kit_tsc_per_ms();
	kit_set_handler(RTC_VECTOR, rtc_isr, (void *)&count);
	lapic_enable();
	ioapic_route(8, RTC_VECTOR, lapic_id(), 0);
	/* Register A: divider 010 (32.768 kHz time base), rate 6 = 1024 Hz. */
	cmos_write(REG_A, (a & 0xF0) | 0x06);
	cmos_read(REG_C);
	cmos_write(REG_B, b | B_PIE);
	sti();
	start = kit_now_ms();
	count = 0;
	while ((elapsed = kit_now_ms() - start) < interval_ms)
		hlt();
	n = count;
	cmos_write(REG_B, b);
	cli();
	cmos_read(REG_C);
	ioapic_mask(8);
	cmos_write(REG_A, a);

	expect = (uint32_t)(elapsed * 1024 / 1000);
	kit_printf("rtc: periodic %u interrupts in %u ms (%u expected)\n",
		   n, (uint32_t)elapsed, expect);
	/* Loose: the emulated CPU is slow and may miss some, but not most, and never gains. */
	KIT_ASSERT_RANGE(n, expect / 3, expect + expect / 4);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	check_bcd_time();
	check_time();
	check_binary_mode();
	check_nvram();
	check_periodic();
}
