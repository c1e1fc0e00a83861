/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel 82371AB (PIIX4) power management function: ACPI fixed hardware, PM timer, SCI, APM. */
#ifndef VMM_PIIX4_PM_H
#define VMM_PIIX4_PM_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "bus.h"
#include "loop.h"
#include "pci.h"

#define PIIX4_PM_VENDOR_ID	0x8086
#define PIIX4_PM_DEVICE_ID	0x7113
#define PIIX4_PM_REVISION	0x03
#define PIIX4_PM_CLASS		0x068000	/* bridge, other */
#define PIIX4_PM_DEVFN		PCI_DEVFN(1, 3)
#define PIIX4_PM_SCI_IRQ	9		/* hard-wired, as SeaBIOS and the DSDT assume */

/* Configuration registers (82371AB datasheet §11 / "Function 3"). */
#define PIIX4_PMBA		0x40	/* bits 15:6 base of the 64-byte PM I/O space */
#define PIIX4_DEVACTB		0x58
#define PIIX4_DEVACTB_APMC_EN	(1u << 25)
#define PIIX4_PMREGMISC		0x80	/* bit 0: PMIOSE, PM I/O space enable */
#define PIIX4_SMBBA		0x90
#define PIIX4_SMBHSTCFG		0xd2
#define PIIX4_PM_IO_SIZE	64

/* PM I/O registers, offsets from PMBASE (ACPI 6.4 §4.8.3, PIIX4 names in brackets). */
#define PIIX4_PM1_STS		0x00	/* PM1a_EVT status [PMSTS] */
#define PIIX4_PM1_EN		0x02	/* PM1a_EVT enable [PMEN] */
#define PIIX4_PM1_CNT		0x04	/* PM1a_CNT [PMCNTRL] */
#define PIIX4_PM_TMR		0x08	/* PM_TMR [PMTMR] */

#define ACPI_TMR_STS		(1u << 0)
#define ACPI_BM_STS		(1u << 4)
#define ACPI_GBL_STS		(1u << 5)
#define ACPI_PWRBTN_STS		(1u << 8)
#define ACPI_SLPBTN_STS		(1u << 9)
#define ACPI_RTC_STS		(1u << 10)
#define ACPI_WAK_STS		(1u << 15)
#define ACPI_TMR_EN		(1u << 0)
#define ACPI_GBL_EN		(1u << 5)
#define ACPI_PWRBTN_EN		(1u << 8)
#define ACPI_RTC_EN		(1u << 10)
#define ACPI_SCI_EN		(1u << 0)
#define ACPI_SLP_TYP_SHIFT	10
#define ACPI_SLP_TYP_MASK	(7u << 10)
#define ACPI_SLP_EN		(1u << 13)

/*
 * The ACPI PM timer counts at 3.579545 MHz (ACPI 6.4 §4.8.3.3). It is 24 bits wide here:
 * the FADT must NOT set TMR_VAL_EXT (SeaBIOS's built-in FADT does not).
 */
#define ACPI_PM_TIMER_HZ	3579545ull
#define ACPI_PM_TIMER_BITS	24

/* Fixed ports that go with this function in a QEMU-compatible PC (platform notes §1). */
#define PIIX4_APM_CNT_PORT	0xb2	/* SMI_CMD [APMC] */
#define PIIX4_APM_STS_PORT	0xb3	/* [APMS], scratch */
#define ACPI_ENABLE_VALUE	0xf1
#define ACPI_DISABLE_VALUE	0xf0
#define PIIX4_GPE0_PORT		0xafe0	/* GPE0_STS (2 bytes) then GPE0_EN (2 bytes) */
#define PIIX4_GPE0_LEN		4
/* SLP_TYP for S5 in SeaBIOS's built-in SSDT (_S5 = 0); our own DSDT must agree. */
#define PIIX4_SLP_TYP_S5	0

struct piix4_pm_config {
	struct vmm_bus *pio;		/* APM and GPE0 ports, the PM I/O space */
	struct vmm_loop *loop;		/* the clock, and the TMR_EN timer */
	void (*power_off)(void *opaque);	/* guest entered S5 */
	void *opaque;
};

struct piix4_pm {
	struct pci_dev pci;
	struct piix4_pm_config cfg;
	int region;			/* PMBASE decoder */
	bool apm_registered, gpe_registered;
	pthread_mutex_t lock;		/* everything below */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	uint8_t apmc, apms;
	uint64_t tmr_base_ns;		/* loop time when the counter read 0 */
	uint64_t tmr_epoch;		/* ticks >> 23 when TMR_STS was last brought up to date */
	bool paused;
	uint64_t paused_at_ns;		/* loop time the VM paused at */
	struct vmm_timer *timer;	/* armed while TMR_EN is set */
	bool sci;
};

/*
 * Snapshot state of the PM registers (the config space travels with the PCI bus): PM1
 * status/enable/control, GPE0, APM ports and the PM timer's 24-bit count. Plain data.
 */
struct piix4_pm_state {
	uint16_t pm1_sts, pm1_en, pm1_cnt, gpe_sts, gpe_en;
	uint8_t apmc, apms;
	uint32_t tmr_count;
};

void piix4_pm_save(struct piix4_pm *pm, struct piix4_pm_state *st);
/* false (with one vmm_warn line) if st holds bits the registers never hold. */
bool piix4_pm_state_check(const struct piix4_pm_state *st);
/* Restarts the PM timer from the saved count on this loop, re-drives the SCI, re-arms. */
void piix4_pm_restore(struct piix4_pm *pm, const struct piix4_pm_state *st);

/* At devfn (normally PIIX4_PM_DEVFN); claims 0xB2-0xB3 and 0xAFE0-0xAFE3. 0 or -errno. */
int piix4_pm_init(struct piix4_pm *pm, struct pci_bus *bus, int devfn,
		  const struct piix4_pm_config *cfg);
void piix4_pm_exit(struct piix4_pm *pm);
/* The host's power button: PWRBTN_STS, and an SCI if PWRBTN_EN and SCI_EN are set. */
void piix4_pm_power_button(struct piix4_pm *pm);
/* A general-purpose event (bit 0..15 of GPE0_STS), e.g. for hotplug later. */
void piix4_pm_gpe_raise(struct piix4_pm *pm, unsigned bit);
/* Freeze the PM timer while the VM is paused (device pause/resume). */
void piix4_pm_pause(struct piix4_pm *pm);
void piix4_pm_resume(struct piix4_pm *pm);

#endif
