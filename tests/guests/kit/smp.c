// SPDX-License-Identifier: GPL-2.0-or-later
// Application processor start-up: trampoline copy, INIT-SIPI-SIPI, per-AP C entry.
#include "kit.h"

extern const char kit_trampoline_start[], kit_trampoline_end[];
void kit_ap_main(unsigned slot);

static kit_ap_fn ap_fn;
static volatile uint32_t aps_started;

/* Reached from trampoline.S in 32-bit protected mode on the AP's own stack. */
void kit_ap_main(unsigned slot)
{
	kit_idt_load();
	kit_atomic_inc(&aps_started);
	if (ap_fn)
		ap_fn(slot);
	for (;;) {
		cli();
		hlt();
	}
}

unsigned kit_aps_started(void)
{
	return aps_started;
}

static void send_or_panic(uint32_t icr_lo)
{
	if (!lapic_send_ipi(0, icr_lo))
		kit_panic("ICR delivery status stuck after writing 0x%x", icr_lo);
}

unsigned kit_start_aps(kit_ap_fn fn, unsigned expect, uint32_t wait_ms)
{
	size_t size = (size_t)(kit_trampoline_end - kit_trampoline_start);
	uint32_t sipi = ICR_STARTUP | ICR_ASSERT | ICR_ALL_BUT_SELF |
			(KIT_TRAMPOLINE_ADDR >> 12);
	uint64_t deadline;

	if (size > 4096)
		kit_panic("trampoline is %u bytes", (unsigned)size);
	kit_tsc_per_ms();		/* calibrate while only this CPU runs */
	ap_fn = fn;
	memcpy((void *)(uintptr_t)KIT_TRAMPOLINE_ADDR, kit_trampoline_start, size);
	lapic_enable();
	/* Intel SDM vol. 3A §8.4.4.1: INIT, wait 10 ms, SIPI, wait 200 us, SIPI again. */
	send_or_panic(ICR_INIT | ICR_ASSERT | ICR_ALL_BUT_SELF);
	kit_mdelay(10);
	send_or_panic(sipi);
	kit_udelay(200);
	send_or_panic(sipi);
	deadline = kit_now_ms() + wait_ms;
	while (kit_now_ms() < deadline) {
		if (expect && aps_started >= expect)
			break;
		pause();
	}
	return aps_started;
}
