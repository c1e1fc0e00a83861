// SPDX-License-Identifier: GPL-2.0-or-later
// SMP bring-up: INIT-SIPI-SIPI to every AP, unique APIC IDs, a shared lock, IPIs back to the BSP.
#include "kit.h"

/* Built once; meson runs it with --set cpus=2 and cpus=4. The guest learns the count
 * it should find from the command line. */
KIT_EXPECT("cpus=4 memory=32M timeout=30 exit=0 append=cpus={cpus}");
KIT_EXPECT("serial=smp: BSP APIC ID [0-9]+, expecting {cpus} CPUs");
KIT_EXPECT("serial=All {cpus} CPUs up");
KIT_EXPECT("serial=smp: lock ok, IPIs ok");

#define IPI_VECTOR_BASE	0x50	/* AP in slot s sends vector 0x50 + s: IPIs never coalesce */
#define LOCK_ROUNDS	200

struct smp_state {
	uint8_t bsp_id;
	volatile uint32_t arrived;
	volatile uint32_t ipis;			/* bit s: the IPI from slot s arrived */
	volatile uint8_t ids[KIT_MAX_CPUS];
	struct kit_spinlock lock;
	uint32_t shared;			/* only touched under lock */
};

static struct smp_state st;

static void ap_main(unsigned slot)
{
	lapic_enable();
	st.ids[slot] = lapic_id();
	kit_printf("smp: AP in slot %u has APIC ID %u\n", slot, lapic_id());
	for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
		kit_spin_lock(&st.lock);
		uint32_t v = st.shared;

		barrier();
		st.shared = v + 1;
		kit_spin_unlock(&st.lock);
	}
	kit_atomic_inc(&st.arrived);
	if (!lapic_send_ipi(st.bsp_id, ICR_FIXED | ICR_ASSERT | (IPI_VECTOR_BASE + slot)))
		KIT_FAIL("AP slot %u: IPI to the BSP never left the ICR", slot);
}

static void ipi_isr(struct kit_frame *f, void *ctx)
{
	unsigned slot = f->vector - IPI_VECTOR_BASE;

	st.ipis |= 1u << slot;
	lapic_eoi();
}

static void check_ids(unsigned aps)
{
	for (unsigned s = 1; s <= aps; s++) {
		if (st.ids[s] == st.bsp_id)
			KIT_FAIL("AP slot %u has the BSP's APIC ID %u", s, st.bsp_id);
		for (unsigned o = 1; o < s; o++) {
			if (st.ids[o] == st.ids[s])
				KIT_FAIL("AP slots %u and %u share APIC ID %u", o, s, st.ids[s]);
		}
	}
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	unsigned cpus = (unsigned)kit_cmdline_u64("cpus", 0), aps, want_ipis;
	uint64_t end;

	if (cpus < 1 || cpus > KIT_MAX_CPUS)
		KIT_FAIL("want cpus=1..%u on the command line, got '%s'", KIT_MAX_CPUS,
			 kit_boot_info()->cmdline);
	lapic_enable();
	st.bsp_id = lapic_id();
	/* IA32_APIC_BASE bit 8: this is the bootstrap processor. */
	KIT_ASSERT(rdmsr(0x1B) & (1u << 8));
	kit_printf("smp: BSP APIC ID %u, expecting %u CPUs\n", st.bsp_id, cpus);
	for (unsigned s = 1; s < KIT_MAX_CPUS; s++)
		kit_set_handler(IPI_VECTOR_BASE + s, ipi_isr, NULL);

	aps = kit_start_aps(ap_main, cpus - 1, cpus > 1 ? 5000 : 300);
	end = kit_now_ms() + 5000;
	while (st.arrived < aps && kit_now_ms() < end)
		pause();
	KIT_ASSERT_EQ(aps, cpus - 1);
	KIT_ASSERT_EQ(st.arrived, cpus - 1);
	check_ids(aps);
	kit_printf("All %u CPUs up\n", aps + 1);

	want_ipis = ((1u << cpus) - 1) & ~1u;
	sti();
	while (st.ipis != want_ipis && kit_now_ms() < end + 2000)
		pause();
	cli();
	KIT_ASSERT_EQ(st.ipis, want_ipis);
	KIT_ASSERT_EQ(kit_aps_started(), cpus - 1);	/* no extra CPU turned up late */
	KIT_ASSERT_EQ(st.shared, aps * LOCK_ROUNDS);
	kit_printf("smp: lock ok, IPIs ok\n");
}
