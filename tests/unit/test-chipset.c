// SPDX-License-Identifier: GPL-2.0-or-later
/* Chipset: i440FX PAM, PIIX3 PIRQ routing and ELCR, PIIX4 PM (ACPI fixed hardware, timer). */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "i440fx.h"
#include "loop.h"
#include "memory.h"
#include "pci.h"
#include "piix3.h"
#include "piix4-pm.h"
#include "tap.h"

#define NS_PER_SEC	1000000000ull
#define PMBASE		0xb000

struct host {
	struct vmm_guest_log log;
	struct vmm_bus pio, mmio;
	struct vmm_loop *loop;
	struct pci_bus *bus;
	struct i440fx host;
	struct piix3 isa;
	struct piix4_pm pm;
	int gsi[16];
	unsigned power_offs;
	unsigned pam_calls;
	uint8_t pam[7];
};

static void host_set_gsi(void *opaque, unsigned gsi, int level)
{
	((struct host *)opaque)->gsi[gsi] = level;
}

static void host_power_off(void *opaque)
{
	((struct host *)opaque)->power_offs++;
}

static void host_pam(void *opaque, unsigned idx, uint8_t value)
{
	struct host *h = opaque;

	h->pam_calls++;
	h->pam[idx] = value;
}

static void host_init(struct host *h)
{
	struct pci_bus_config cfg;
	struct piix4_pm_config pm_cfg;

	memset(h, 0, sizeof(*h));
	vmm_guest_log_init(&h->log, NULL, 1000);
	vmm_bus_init(&h->pio, "pio", &h->log);
	vmm_bus_init(&h->mmio, "mmio", &h->log);
	h->loop = vmm_loop_new(true);
	cfg = (struct pci_bus_config){
		.pio = &h->pio, .mmio = &h->mmio, .log = &h->log, .opaque = h,
		.set_gsi = host_set_gsi,
	};
	h->bus = pci_bus_new(&cfg);
	pm_cfg = (struct piix4_pm_config){
		.pio = &h->pio, .loop = h->loop, .power_off = host_power_off, .opaque = h,
	};
	i440fx_set_pam_callback(&h->host, host_pam, h);
	i440fx_init(&h->host, h->bus);
	piix3_init(&h->isa, h->bus, &h->pio);
	piix4_pm_init(&h->pm, h->bus, PIIX4_PM_DEVFN, &pm_cfg);
}

static void host_fini(struct host *h)
{
	piix4_pm_exit(&h->pm);
	piix3_exit(&h->isa);
	i440fx_exit(&h->host);
	pci_bus_free(h->bus);
	vmm_loop_free(h->loop);
	vmm_bus_destroy(&h->mmio);
	vmm_bus_destroy(&h->pio);
	vmm_guest_log_destroy(&h->log);
}

static uint64_t in(struct host *h, uint16_t port, unsigned size, bool *claimed)
{
	uint8_t buf[4] = { 0 };
	uint64_t v = 0;
	bool c = vmm_bus_read(&h->pio, port, buf, size);

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	if (claimed)
		*claimed = c;
	return v;
}

static void out(struct host *h, uint16_t port, uint32_t v, unsigned size)
{
	uint8_t buf[4];

	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	vmm_bus_write(&h->pio, port, buf, size);
}

static uint32_t cfg_rd(struct host *h, unsigned devfn, unsigned reg, unsigned size)
{
	out(h, 0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
	return (uint32_t)in(h, 0xcfc + (reg & 3), size, NULL);
}

static void cfg_wr(struct host *h, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
	out(h, 0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
	out(h, 0xcfc + (reg & 3), v, size);
}

/* ---- Identity ------------------------------------------------------------------------- */

static void test_ids(void)
{
	struct host h;

	host_init(&h);
	is_int(cfg_rd(&h, PCI_DEVFN(0, 0), 0, 4), 0x12378086, "00.0 is 8086:1237 (i440FX)");
	is_int(cfg_rd(&h, PCI_DEVFN(0, 0), 8, 4) >> 8, 0x060000, "class: host bridge");
	is_int(cfg_rd(&h, PCI_DEVFN(0, 0), 0x2c, 4), 0x11001af4,
	       "subsystem 1af4:1100, as SeaBIOS's qemu_detect wants");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), 0, 4), 0x70008086, "01.0 is 8086:7000 (PIIX3)");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), 0x0a, 2), 0x0601, "class 0x0601: ISA bridge");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), 0x0e, 1), 0x80, "01.0 is multi-function");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 3), 0, 4), 0x71138086, "01.3 is 8086:7113 (PIIX4 PM)");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 3), 0x0a, 2), 0x0680, "class 0x0680: other bridge");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 3), 0x3c, 2), 0x0109, "SCI: line 9, pin A");
	ok(cfg_rd(&h, PCI_DEVFN(1, 3), PIIX4_DEVACTB, 4) & PIIX4_DEVACTB_APMC_EN,
	   "DEVACTB.APMC_EN preset, so SeaBIOS skips SMM set-up");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 3), PIIX4_PMBA, 4), 1, "PMBA reads as an I/O base");
	is_int(cfg_rd(&h, PCI_DEVFN(1, 1), 0, 4), 0xffffffff, "01.1 absent (IDE comes later)");
	host_fini(&h);
}

/* ---- i440FX ------------------------------------------------------------------------------ */

static void test_pam(void)
{
	struct host h;
	unsigned calls;

	host_init(&h);
	is_int(cfg_rd(&h, 0, I440FX_PAM0, 1), 0, "PAM0 powers on as 0");
	/* SeaBIOS's make_bios_writable: dword read-modify-write at 0x58 and 0x5C. */
	cfg_wr(&h, 0, 0x58, cfg_rd(&h, 0, 0x58, 4) | 0x33333000u, 4);
	cfg_wr(&h, 0, 0x5c, 0x33333333, 4);
	is_int(cfg_rd(&h, 0, 0x58, 4), 0x33333000, "PAM0 keeps only bits 5:4; PAM1-2 written");
	is_int(cfg_rd(&h, 0, 0x5c, 4), 0x33333333, "PAM3-6 written");
	is_int(h.pam_calls, 7, "one callback per changed PAM register");
	ok(h.pam[0] == 0x30 && h.pam[1] == 0x33 && h.pam[6] == 0x33, "callback values");
	calls = h.pam_calls;
	cfg_wr(&h, 0, 0x5c, 0x33333333, 4);
	is_int(h.pam_calls, calls, "unchanged values: no callback");
	cfg_wr(&h, 0, I440FX_PAM0, 0xff, 1);
	is_int(i440fx_pam(&h.host, 0), 0x30, "PAM0 reserved bits stay 0");
	cfg_wr(&h, 0, I440FX_PAM0, 0x10, 1);
	ok(h.pam_calls == calls + 1 && h.pam[0] == 0x10, "PAM0 = 0x10 (lock) reported");
	cfg_wr(&h, 0, 0x5a, 0xffff, 2);
	is_int(cfg_rd(&h, 0, 0x5a, 2), 0x3333, "PAMn keep bits 5:4 and 1:0");
	pci_bus_reset(h.bus);
	ok(h.pam[0] == 0 && h.pam[3] == 0 && i440fx_pam(&h.host, 5) == 0,
	   "reset returns PAM to 0 and reports it");
	/* What direct boot does in the firmware's place: masked like a guest write, reported. */
	calls = h.pam_calls;
	i440fx_set_pam(&h.host, 0, 0xff);
	i440fx_set_pam(&h.host, 2, 0xff);
	i440fx_set_pam(&h.host, 7, 0x33);
	ok(cfg_rd(&h, 0, I440FX_PAM0, 1) == 0x30 && cfg_rd(&h, 0, I440FX_PAM0 + 2, 1) == 0x33,
	   "i440fx_set_pam masks like a guest write");
	ok(h.pam_calls == calls + 2 && h.pam[0] == 0x30 && h.pam[2] == 0x33,
	   "i440fx_set_pam reports each change once; index 7 ignored");
	host_fini(&h);
}

/* ---- PIIX3 ------------------------------------------------------------------------------- */

struct tdev {
	struct pci_dev pci;
};

static void test_pirq(void)
{
	struct host h;
	struct tdev t;
	const struct pci_dev_info info = { .name = "t", .vendor_id = 0x1af4, .device_id = 1,
					   .irq_pin = 1 };
	unsigned d = PCI_DEVFN(3, 0);	/* INTA -> PIRQC */

	host_init(&h);
	pci_dev_init(&t.pci, h.bus, (int)d, &info);
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC, 4), 0x80808080,
	       "PIRQRC[A:D] power on disabled");
	pci_set_irq(&t.pci, 1);
	is_int(h.gsi[11], 0, "disabled PIRQ goes nowhere");
	/* SeaBIOS's piix_isa_bridge_setup: 10, 10, 11, 11 and the ELCR. */
	for (unsigned i = 0; i < 4; i++)
		cfg_wr(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + i, i < 2 ? 10 : 11, 1);
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC, 4), 0x0b0b0a0a, "routes read back");
	is_int(h.gsi[11], 1, "asserted INTx appears on IRQ 11 once PIRQC is routed");
	cfg_wr(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 2, 5, 1);
	ok(h.gsi[11] == 0 && h.gsi[5] == 1, "rerouting PIRQC while asserted moves the level");
	cfg_wr(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 2, 0x85, 1);
	is_int(h.gsi[5], 0, "IRQROUTEN set: line released");
	cfg_wr(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 2, 0x7b, 1);
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 2, 1), 0x0b, "reserved bits 6:4 read 0");
	is_int(h.gsi[11], 1, "routed again");
	uint64_t errs = vmm_guest_log_count(&h.log);
	cfg_wr(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 2, 2, 1);
	ok(h.gsi[11] == 0 && h.gsi[2] == 0, "reserved IRQ 2 is not routed");
	ok(vmm_guest_log_count(&h.log) > errs, "... and is a guest error");
	pci_set_irq(&t.pci, 0);
	pci_dev_exit(&t.pci);
	pci_bus_reset(h.bus);
	is_int(cfg_rd(&h, PCI_DEVFN(1, 0), PIIX3_PIRQRC, 4), 0x80808080, "reset disables routes");
	host_fini(&h);
}

static void test_elcr(void)
{
	struct host h;

	host_init(&h);
	is_int(in(&h, PIIX3_ELCR1_PORT, 1, NULL), 0, "ELCR1 powers on edge");
	out(&h, PIIX3_ELCR1_PORT, 0xff, 1);
	out(&h, PIIX3_ELCR2_PORT, 0xff, 1);
	is_int(in(&h, PIIX3_ELCR1_PORT, 1, NULL), 0xf8, "IRQ 0-2 cannot be level");
	is_int(in(&h, PIIX3_ELCR2_PORT, 1, NULL), 0xde, "IRQ 8 and 13 cannot be level");
	out(&h, PIIX3_ELCR1_PORT, 0x0c00, 2);	/* SeaBIOS: IRQ 10 and 11 level */
	is_int(in(&h, PIIX3_ELCR1_PORT, 2, NULL), 0x0c00, "word access covers both");
	is_int(piix3_elcr(&h.isa), 0x0c00, "piix3_elcr");
	pci_bus_reset(h.bus);
	is_int(piix3_elcr(&h.isa), 0, "reset clears the ELCR");
	host_fini(&h);
}

/* ---- PIIX4 PM ---------------------------------------------------------------------------- */

static void pm_enable(struct host *h, uint32_t base)
{
	cfg_wr(h, PIIX4_PM_DEVFN, PIIX4_PMBA, base | 1, 4);
	cfg_wr(h, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, 1, 1);
}

static uint32_t tmr(struct host *h)
{
	return (uint32_t)in(h, PMBASE + PIIX4_PM_TMR, 4, NULL);
}

static void test_pm_decode(void)
{
	struct host h;
	bool c;

	host_init(&h);
	cfg_wr(&h, PIIX4_PM_DEVFN, PIIX4_PMBA, PMBASE | 1, 4);
	in(&h, PMBASE + 8, 4, &c);
	ok(!c, "PM I/O not decoded before PMIOSE");
	cfg_wr(&h, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, 1, 1);
	in(&h, PMBASE + 8, 4, &c);
	ok(c, "PMIOSE set: PM I/O at 0xB000");
	is_int(cfg_rd(&h, PIIX4_PM_DEVFN, PIIX4_PMBA, 4), PMBASE | 1, "PMBA reads back");
	cfg_wr(&h, PIIX4_PM_DEVFN, PIIX4_PMBA, 0x601, 4);
	in(&h, PMBASE + 8, 4, &c);
	ok(!c, "moved: old base released");
	in(&h, 0x600 + 8, 4, &c);
	ok(c, "moved: decoded at 0x600 (SeaBIOS with a table-loader)");
	cfg_wr(&h, PIIX4_PM_DEVFN, PIIX4_PMBA, 0xffffffff, 4);
	is_int(cfg_rd(&h, PIIX4_PM_DEVFN, PIIX4_PMBA, 4), 0xffc1, "PMBA: bits 15:6 only");
	cfg_wr(&h, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, 0, 1);
	in(&h, 0xffc0 + 8, 4, &c);
	ok(!c, "PMIOSE cleared: released");
	host_fini(&h);
}

static void test_pm_timer(void)
{
	struct host h;
	uint32_t t0;

	host_init(&h);
	pm_enable(&h, PMBASE);
	is_int(tmr(&h), 0, "timer starts at 0");
	vmm_loop_advance(h.loop, NS_PER_SEC);
	is_int(tmr(&h), 3579545, "one second: 3579545 ticks");
	is_int(in(&h, PMBASE + PIIX4_PM_TMR, 2, NULL), 3579545 & 0xffff, "word read of the timer");
	out(&h, PMBASE + PIIX4_PM_TMR, 0, 4);
	is_int(tmr(&h), 3579545, "the timer is read-only");
	is_int(in(&h, PMBASE, 2, NULL) & ACPI_TMR_STS, 0, "TMR_STS clear before bit 23 flips");
	vmm_loop_advance(h.loop, 5 * NS_PER_SEC);
	is_int(tmr(&h), (6 * 3579545) & 0xffffff, "six seconds: 24-bit wrap");
	ok(in(&h, PMBASE, 2, NULL) & ACPI_TMR_STS, "TMR_STS set after bit 23 changed");
	out(&h, PMBASE, ACPI_TMR_STS, 2);
	is_int(in(&h, PMBASE, 2, NULL) & ACPI_TMR_STS, 0, "TMR_STS is write-1-to-clear");

	out(&h, 0xb2, ACPI_ENABLE_VALUE, 1);
	out(&h, PMBASE + PIIX4_PM1_EN, ACPI_TMR_EN, 2);
	is_int(h.gsi[9], 0, "TMR_EN: no SCI yet");
	vmm_loop_advance(h.loop, 3 * NS_PER_SEC);
	is_int(h.gsi[9], 1, "the timer raised the SCI when bit 23 flipped");
	out(&h, PMBASE, ACPI_TMR_STS, 2);
	is_int(h.gsi[9], 0, "clearing TMR_STS drops the SCI");

	piix4_pm_pause(&h.pm);
	t0 = tmr(&h);
	vmm_loop_advance(h.loop, 10 * NS_PER_SEC);
	is_int(tmr(&h), t0, "paused: the timer stands still");
	piix4_pm_resume(&h.pm);
	vmm_loop_advance(h.loop, NS_PER_SEC / 1000);
	is_int(tmr(&h), (t0 + 3579) & 0xffffff, "resumed: it continues from where it stood");
	host_fini(&h);
}

static void test_pm1(void)
{
	struct host h;
	uint64_t errs;

	host_init(&h);
	pm_enable(&h, PMBASE);
	piix4_pm_power_button(&h.pm);
	ok(in(&h, PMBASE, 2, NULL) & ACPI_PWRBTN_STS, "power button sets PWRBTN_STS");
	is_int(h.gsi[9], 0, "no SCI while PWRBTN_EN is clear");
	out(&h, PMBASE + PIIX4_PM1_EN, ACPI_PWRBTN_EN, 2);
	is_int(h.gsi[9], 0, "no SCI while SCI_EN is clear");
	is_int(in(&h, PMBASE + PIIX4_PM1_EN, 2, NULL), ACPI_PWRBTN_EN, "PM1_EN reads back");
	out(&h, 0xb2, ACPI_ENABLE_VALUE, 1);
	is_int(in(&h, 0xb2, 1, NULL), ACPI_ENABLE_VALUE, "APMC reads back");
	ok(in(&h, PMBASE + PIIX4_PM1_CNT, 2, NULL) & ACPI_SCI_EN, "SMI_CMD 0xF1 sets SCI_EN");
	is_int(h.gsi[9], 1, "SCI raised on IRQ 9");
	out(&h, PMBASE, 0, 2);
	is_int(h.gsi[9], 1, "writing 0 clears nothing");
	out(&h, PMBASE + 1, ACPI_PWRBTN_STS >> 8, 1);
	is_int(in(&h, PMBASE, 2, NULL) & ACPI_PWRBTN_STS, 0, "byte write-1-to-clear of bit 8");
	is_int(h.gsi[9], 0, "SCI dropped");
	piix4_pm_power_button(&h.pm);
	is_int(h.gsi[9], 1, "second press: SCI again");
	out(&h, 0xb2, ACPI_DISABLE_VALUE, 1);
	ok(!(in(&h, PMBASE + PIIX4_PM1_CNT, 2, NULL) & ACPI_SCI_EN), "0xF0 clears SCI_EN");
	is_int(h.gsi[9], 0, "SCI dropped with SCI_EN");
	out(&h, PMBASE, 0xffff, 2);

	out(&h, PMBASE + PIIX4_PM1_CNT, (1u << ACPI_SLP_TYP_SHIFT) | ACPI_SCI_EN, 2);
	is_int(h.power_offs, 0, "SLP_TYP without SLP_EN does nothing");
	errs = vmm_guest_log_count(&h.log);
	out(&h, PMBASE + PIIX4_PM1_CNT, (1u << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 2);
	is_int(h.power_offs, 0, "S1/S3 type: no power off");
	ok(in(&h, PMBASE, 2, NULL) & ACPI_WAK_STS, "... wakes at once (WAK_STS)");
	ok(vmm_guest_log_count(&h.log) > errs, "... with a guest error");
	is_int(in(&h, PMBASE + PIIX4_PM1_CNT, 2, NULL) & ACPI_SLP_EN, 0, "SLP_EN reads 0");
	out(&h, PMBASE + PIIX4_PM1_CNT, (PIIX4_SLP_TYP_S5 << ACPI_SLP_TYP_SHIFT) | ACPI_SLP_EN, 2);
	is_int(h.power_offs, 1, "SLP_TYP=S5 with SLP_EN: power off");

	out(&h, PIIX4_GPE0_PORT + 2, 0x0004, 2);
	out(&h, 0xb2, ACPI_ENABLE_VALUE, 1);
	piix4_pm_gpe_raise(&h.pm, 2);
	is_int(in(&h, PIIX4_GPE0_PORT, 4, NULL), 0x00040004, "GPE0 status and enable");
	is_int(h.gsi[9], 1, "enabled GPE raises the SCI");
	out(&h, PIIX4_GPE0_PORT, 0x0004, 2);
	ok(in(&h, PIIX4_GPE0_PORT, 2, NULL) == 0 && h.gsi[9] == 0, "GPE0_STS write-1-to-clear");

	pci_bus_reset(h.bus);
	is_int(h.gsi[9], 0, "reset: SCI low");
	bool c;
	in(&h, PMBASE, 2, &c);
	ok(!c, "reset: PM I/O no longer decoded");
	pm_enable(&h, PMBASE);
	is_int(in(&h, PMBASE + PIIX4_PM1_CNT, 2, NULL), 0, "reset: PM1_CNT cleared");
	is_int(tmr(&h), 0, "reset: timer restarts");
	host_fini(&h);
}

int main(void)
{
	test_ids();
	test_pam();
	test_pirq();
	test_elcr();
	test_pm_decode();
	test_pm_timer();
	test_pm1();
	return tap_done();
}
