// SPDX-License-Identifier: GPL-2.0-or-later
// Benchmark guest for snapshots: writes a random word in every page of its RAM (or leaves it idle), then
// answers COM1 commands: 'p' -> "bench: pong", 't' -> a timed touch of every page, twice.
#include "kit.h"

/* Not a test: run by tests/bench/snapshot-bench.py, which types the commands. */
KIT_EXPECT("cpus=1 memory=64M timeout=60 exit=0");

#define FILL_BASE	(16u << 20)	/* above the kernel, its stack and the boot data */
#define RAM_CAP		0xC0000000u	/* stay below any 32-bit PCI hole */
#define PAGE		4096u
#define BLOCK		(8 * PAGE)	/* touch_all() unrolls 8 pages */
#define UART_DATA	0x3F8
#define UART_LSR	0x3FD
#define LSR_DR		0x01		/* PC16550D: receiver data ready */

static uint32_t ram_end;
static uint64_t per_ms;

/* Top of the RAM that starts at 1 MiB (multiboot mem_upper is in KiB above 1 MiB). */
static uint32_t find_ram_end(void)
{
	const struct kit_boot_info *bi = kit_boot_info();
	uint64_t end = (1ull << 20) + (uint64_t)bi->mem_upper_kib * 1024;

	if (end > RAM_CAP)
		end = RAM_CAP;
	return (uint32_t)end & ~(BLOCK - 1);
}

static uint32_t us_since(uint64_t t0)
{
	return (uint32_t)((rdtsc() - t0) * 1000 / per_ms);
}

/*
 * Guest memory accesses are slow on an emulating host (several microseconds each here;
 * REP MOVSD over all RAM took minutes), so each page gets one fresh xorshift32 word, the
 * rest left as it is: every page is non-zero, which is what both VMMs' savers look at
 * (neither compresses or deduplicates).
 */
static uint32_t xorshift(uint32_t x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void fill_random(uint32_t seed)
{
	uint32_t x = seed | 1;

	for (uint32_t a = FILL_BASE; a < ram_end; a += PAGE) {
		x = xorshift(x);
		*(volatile uint32_t *)a = x;
	}
}

/*
 * Write every page from FILL_BASE up, contents unchanged (OR of 0: one read-modify-write
 * instruction a page, unrolled): a copy-on-write fault per page after a lazy restore.
 */
static void touch_all(void)
{
	for (uint32_t a = FILL_BASE; a < ram_end; a += 8 * PAGE) {
		volatile uint32_t *p = (volatile uint32_t *)a;

		__asm__ volatile("orl $0, %0\n\torl $0, %1\n\torl $0, %2\n\torl $0, %3\n\t"
				 "orl $0, %4\n\torl $0, %5\n\torl $0, %6\n\torl $0, %7"
				 : "+m"(p[0]), "+m"(p[1024]), "+m"(p[2048]), "+m"(p[3072]),
				   "+m"(p[4096]), "+m"(p[5120]), "+m"(p[6144]), "+m"(p[7168]));
	}
}

static void touch_twice(void)
{
	uint64_t t0 = rdtsc();
	uint32_t cold, warm;

	touch_all();
	cold = us_since(t0);
	t0 = rdtsc();
	touch_all();
	warm = us_since(t0);
	kit_printf("bench: touch %u MiB cold %u us warm %u us\n", (ram_end - FILL_BASE) >> 20,
		   cold, warm);
}

static void serve(void)
{
	for (;;) {
		uint8_t c;

		if (!(inb(UART_LSR) & LSR_DR)) {
			pause();
			continue;
		}
		c = inb(UART_DATA);
		if (c == 'p')
			kit_puts("bench: pong\n");
		else if (c == 't')
			touch_twice();
		else if (c == 'q')
			kit_exit(0);
	}
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	char mode[16] = "random";
	uint64_t t0;

	per_ms = kit_tsc_per_ms();
	ram_end = find_ram_end();
	KIT_ASSERT(per_ms > 0 && ram_end > FILL_BASE);
	kit_cmdline_get("fill", mode, sizeof(mode));
	t0 = rdtsc();
	if (!strncmp(mode, "random", sizeof(mode)))
		fill_random((uint32_t)rdtsc());
	kit_printf("bench: %s %u MiB in %u ms\n", mode, (ram_end - FILL_BASE) >> 20,
		   us_since(t0) / 1000);
	kit_puts("bench: ready\n");
	serve();
}
