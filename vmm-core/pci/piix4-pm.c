// SPDX-License-Identifier: GPL-2.0-or-later
/* PIIX4 power management: PMBASE decoding, PM1 event/control, PM timer, SCI, APM, GPE0. */
#include "piix4-pm.h"

#include <errno.h>
#include <string.h>
#include <stddef.h>

#include "log.h"

/* PM1 bits this model implements (ACPI 6.4 §4.8.3.1, Tables 4.16-4.19). */
#define PM1_STS_W1C	(ACPI_TMR_STS | ACPI_BM_STS | ACPI_GBL_STS | ACPI_PWRBTN_STS | \
			 ACPI_SLPBTN_STS | ACPI_RTC_STS | ACPI_WAK_STS)
#define PM1_EN_MASK	(ACPI_TMR_EN | ACPI_GBL_EN | ACPI_PWRBTN_EN | ACPI_RTC_EN)
#define PM1_CNT_BM_RLD	(1u << 1)
#define PM1_CNT_STORED	(ACPI_SCI_EN | PM1_CNT_BM_RLD | ACPI_SLP_TYP_MASK)
#define SCI_SOURCE	0		/* our source number on ISA IRQ 9 */
#define PMBA_WMASK	0x0000ffc0	/* 82371AB PMBA: bits 15:6, bit 0 reads 1 (I/O) */
#define SMBBA_WMASK	0x0000fff0
#define TMR_MSB_SHIFT	(ACPI_PM_TIMER_BITS - 1)
#define NS_PER_SEC	1000000000ull

_Static_assert(sizeof(struct piix4_pm_state) == 16, "no padding in the saved state");

static struct piix4_pm *to_pm(struct pci_dev *dev)
{
	return (struct piix4_pm *)((char *)dev - offsetof(struct piix4_pm, pci));
}

/* ---- PM timer (ACPI 6.4 §4.8.3.3) ---------------------------------------------------- */

static uint64_t pm_ticks(struct piix4_pm *pm)
{
	uint64_t now = pm->paused ? pm->paused_at_ns : vmm_loop_now(pm->cfg.loop);
	unsigned __int128 t = (unsigned __int128)(now - pm->tmr_base_ns) * ACPI_PM_TIMER_HZ;

	return (uint64_t)(t / NS_PER_SEC);
}

/* TMR_STS is set each time the counter's top bit changes; lock held. */
static void tmr_update(struct piix4_pm *pm)
{
	uint64_t epoch = pm_ticks(pm) >> TMR_MSB_SHIFT;

	if (epoch != pm->tmr_epoch) {
		pm->pm1_sts |= ACPI_TMR_STS;
		pm->tmr_epoch = epoch;
	}
}

/* While TMR_EN is set, wake at the next top-bit change to raise the SCI; lock held. */
static void tmr_arm(struct piix4_pm *pm)
{
	unsigned __int128 next;

	if (!(pm->pm1_en & ACPI_TMR_EN) || pm->paused) {
		vmm_timer_del(pm->timer);
		return;
	}
	next = (unsigned __int128)(pm->tmr_epoch + 1) << TMR_MSB_SHIFT;
	next = (next * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
	vmm_timer_mod(pm->timer, pm->tmr_base_ns + (uint64_t)next);
}

/*
 * SCI (ACPI 6.4 §4.8.2.1): with SCI_EN set, any enabled fixed or general-purpose event
 * holds the level-triggered SCI on IRQ 9. With SCI_EN clear, events would go to SMI,
 * which this machine does not have. Lock held.
 */
static void sci_update(struct piix4_pm *pm)
{
	bool level = (pm->pm1_cnt & ACPI_SCI_EN) &&
		     ((pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) || (pm->gpe_sts & pm->gpe_en));

	if (level == pm->sci)
		return;
	pm->sci = level;
	pci_bus_set_isa_irq(pm->pci.bus, PIIX4_PM_SCI_IRQ, SCI_SOURCE, level);
}

static void tmr_fire(void *opaque)
{
	struct piix4_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	tmr_update(pm);
	sci_update(pm);
	tmr_arm(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* ---- PM I/O space at PMBASE ---------------------------------------------------------- */

static uint64_t pm_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	uint8_t regs[12] = { 0 };
	uint32_t tmr;
	uint64_t v = 0;

	pthread_mutex_lock(&pm->lock);
	tmr_update(pm);
	tmr = (uint32_t)(pm_ticks(pm) & ((1u << ACPI_PM_TIMER_BITS) - 1));
	regs[0] = (uint8_t)pm->pm1_sts;
	regs[1] = (uint8_t)(pm->pm1_sts >> 8);
	regs[2] = (uint8_t)pm->pm1_en;
	regs[3] = (uint8_t)(pm->pm1_en >> 8);
	regs[4] = (uint8_t)pm->pm1_cnt;
	regs[5] = (uint8_t)(pm->pm1_cnt >> 8);	/* SLP_EN is never stored: reads 0 */
	for (unsigned i = 0; i < 4; i++)
		regs[PIIX4_PM_TMR + i] = (uint8_t)(tmr >> (8 * i));
	pthread_mutex_unlock(&pm->lock);
	/* The rest of PIIX4's PM space (GPSTS, GLBCTL, ...) is not modelled and reads 0. */
	for (unsigned i = 0; i < size && off + i < sizeof(regs); i++)
		v |= (uint64_t)regs[off + i] << (8 * i);
	return v;
}

/* One byte of PM1_CNT; true when the guest asked for S5. Lock held. */
static bool pm1_cnt_write(struct piix4_pm *pm, unsigned shift, uint16_t v)
{
	uint16_t byte = (uint16_t)(0xff << shift);
	unsigned typ;

	pm->pm1_cnt = (pm->pm1_cnt & ~byte) | (v & PM1_CNT_STORED & byte);
	if (!(v & ACPI_SLP_EN))
		return false;
	typ = (pm->pm1_cnt & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;
	if (typ == PIIX4_SLP_TYP_S5)
		return true;
	/* S1-S4 are not offered; wake at once so a guest waiting for WAK_STS carries on. */
	if (pci_bus_log(pm->pci.bus))
		vmm_guest_error(pci_bus_log(pm->pci.bus),
				"piix4-pm: sleep type %u not supported; waking at once", typ);
	pm->pm1_sts |= ACPI_WAK_STS;
	return false;
}

static bool pm_write_byte(struct piix4_pm *pm, unsigned off, uint8_t b)
{
	unsigned shift = (off & 1) * 8;
	uint16_t v = (uint16_t)(b << shift), byte = (uint16_t)(0xff << shift);

	switch (off & ~1u) {
	case PIIX4_PM1_STS:
		pm->pm1_sts &= ~(v & PM1_STS_W1C);
		return false;
	case PIIX4_PM1_EN:
		pm->pm1_en = (pm->pm1_en & ~byte) | (v & PM1_EN_MASK);
		return false;
	case PIIX4_PM1_CNT:
		return pm1_cnt_write(pm, shift, v);
	default:
		return false;	/* PM_TMR is read-only; the rest is not modelled */
	}
}

static void pm_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;
	bool power_off = false;

	pthread_mutex_lock(&pm->lock);
	tmr_update(pm);
	for (unsigned i = 0; i < size && off + i < PIIX4_PM_IO_SIZE; i++)
		power_off |= pm_write_byte(pm, (unsigned)off + i, (uint8_t)(val >> (8 * i)));
	sci_update(pm);
	tmr_arm(pm);
	pthread_mutex_unlock(&pm->lock);
	if (power_off && pm->cfg.power_off)
		pm->cfg.power_off(pm->cfg.opaque);
}

/* Locking for all three port sets: vCPU threads; pm->lock, then the PCI interrupt lock. */
static const struct vmm_io_ops pm_io_ops = {
	.name = "acpi-pm", .read = pm_io_read, .write = pm_io_write, .min_size = 1, .max_size = 4,
};

/* ---- APM ports: SMI_CMD (ACPI 6.4 §5.2.9, FADT SMI_CMD / ACPI_ENABLE) ---------------- */

static uint64_t apm_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	uint8_t v;

	pthread_mutex_lock(&pm->lock);
	v = off ? pm->apms : pm->apmc;
	pthread_mutex_unlock(&pm->lock);
	return v;
}

/* No SMM here: the ACPI enable/disable handshake is done directly on SCI_EN. */
static void apm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	if (off) {
		pm->apms = (uint8_t)val;
	} else {
		pm->apmc = (uint8_t)val;
		if (pm->apmc == ACPI_ENABLE_VALUE)
			pm->pm1_cnt |= ACPI_SCI_EN;
		else if (pm->apmc == ACPI_DISABLE_VALUE)
			pm->pm1_cnt &= ~ACPI_SCI_EN;
		sci_update(pm);
	}
	pthread_mutex_unlock(&pm->lock);
}

static const struct vmm_io_ops apm_ops = {
	.name = "apm", .read = apm_read, .write = apm_write, .min_size = 1, .max_size = 1,
};

/* ---- GPE0 block (ACPI 6.4 §4.8.4.1): status (RW1C) then enable ------------------------ */

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned size)
{
	struct piix4_pm *pm = opaque;
	uint32_t regs;
	uint64_t v = 0;

	pthread_mutex_lock(&pm->lock);
	regs = pm->gpe_sts | (uint32_t)pm->gpe_en << 16;
	pthread_mutex_unlock(&pm->lock);
	for (unsigned i = 0; i < size && off + i < PIIX4_GPE0_LEN; i++)
		v |= (uint64_t)((regs >> (8 * (off + i))) & 0xff) << (8 * i);
	return v;
}

static void gpe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct piix4_pm *pm = opaque;

	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size && off + i < PIIX4_GPE0_LEN; i++) {
		unsigned o = (unsigned)off + i, shift = (o & 1) * 8;
		uint16_t v = (uint16_t)(((val >> (8 * i)) & 0xff) << shift);

		if (o < 2)
			pm->gpe_sts &= ~v;
		else
			pm->gpe_en = (pm->gpe_en & (uint16_t)~(0xff << shift)) | v;
	}
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

static const struct vmm_io_ops gpe_ops = {
	.name = "gpe0", .read = gpe_read, .write = gpe_write, .min_size = 1, .max_size = 4,
};

/* ---- PCI function ------------------------------------------------------------------ */

/* PMBASE decodes while PMIOSE (PMREGMISC bit 0) is set (82371AB §11.2). */
static void pm_place(struct piix4_pm *pm)
{
	uint32_t base = pci_config_get(&pm->pci, PIIX4_PMBA, 4) & PMBA_WMASK;
	bool on = pci_config_get(&pm->pci, PIIX4_PMREGMISC, 1) & 1;

	pci_region_place(&pm->pci, pm->region, base, on && base);
}

static bool overlaps(unsigned off, unsigned size, unsigned reg, unsigned len)
{
	return off < reg + len && reg < off + size;
}

static void pm_config_write(struct pci_dev *dev, unsigned offset, uint32_t val, unsigned size)
{
	if (overlaps(offset, size, PIIX4_PMBA, 4) || overlaps(offset, size, PIIX4_PMREGMISC, 1))
		pm_place(to_pm(dev));
}

static void pm_regs_reset(struct piix4_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts = pm->pm1_en = pm->pm1_cnt = 0;
	pm->gpe_sts = pm->gpe_en = 0;
	pm->apmc = pm->apms = 0;
	pm->tmr_base_ns = pm->paused ? pm->paused_at_ns : vmm_loop_now(pm->cfg.loop);
	pm->tmr_epoch = 0;
	sci_update(pm);
	tmr_arm(pm);
	pthread_mutex_unlock(&pm->lock);
}

static void pm_reset(struct pci_dev *dev)
{
	struct piix4_pm *pm = to_pm(dev);

	pm_regs_reset(pm);
	pm_place(pm);
}

static const struct pci_dev_ops pm_pci_ops = {
	.config_write = pm_config_write,
	.reset = pm_reset,
};

static void init_config(struct pci_dev *d)
{
	pci_config_set(d, PIIX4_PMBA, 4, PCI_BASE_ADDRESS_SPACE_IO);
	pci_config_set_wmask(d, PIIX4_PMBA, 4, PMBA_WMASK);
	/*
	 * DEVACTB.APMC_EN preset: this machine has no SMM, so SeaBIOS must see SMM as already
	 * set up. Otherwise it writes APMC to raise an SMI and waits forever for an SMI
	 * handler to clear APMS (SeaBIOS src/fw/smm.c, piix4_apmc_smm_setup).
	 */
	pci_config_set(d, PIIX4_DEVACTB, 4, PIIX4_DEVACTB_APMC_EN);
	pci_config_set_wmask(d, PIIX4_DEVACTB, 4, 0xffffffff);
	pci_config_set_wmask(d, PIIX4_PMREGMISC, 1, 0x01);
	pci_config_set(d, PIIX4_SMBBA, 4, PCI_BASE_ADDRESS_SPACE_IO);	/* no SMBus behind it */
	pci_config_set_wmask(d, PIIX4_SMBBA, 4, SMBBA_WMASK);
	pci_config_set_wmask(d, PIIX4_SMBHSTCFG, 1, 0x0f);
	pci_config_set(d, PCI_INTERRUPT_LINE, 1, PIIX4_PM_SCI_IRQ);
	pci_config_claim(d, 0x40, PCI_CONFIG_SIZE - 0x40);	/* no capabilities */
	d->regs_guest_only = true;
}

static int register_ports(struct piix4_pm *pm)
{
	int ret = vmm_bus_register(pm->cfg.pio, PIIX4_APM_CNT_PORT, 2, &apm_ops, pm);

	if (ret)
		return ret;
	pm->apm_registered = true;
	ret = vmm_bus_register(pm->cfg.pio, PIIX4_GPE0_PORT, PIIX4_GPE0_LEN, &gpe_ops, pm);
	pm->gpe_registered = !ret;
	return ret;
}

int piix4_pm_init(struct piix4_pm *pm, struct pci_bus *bus, int devfn,
		  const struct piix4_pm_config *cfg)
{
	const struct pci_dev_info info = {
		.name = "piix4-pm",
		.vendor_id = PIIX4_PM_VENDOR_ID,
		.device_id = PIIX4_PM_DEVICE_ID,
		.class_code = PIIX4_PM_CLASS,
		.revision = PIIX4_PM_REVISION,
		.irq_pin = 1,
		.ops = &pm_pci_ops,
	};
	int ret;

	if (!cfg->pio || !cfg->loop)
		return -EINVAL;
	pm->cfg = *cfg;
	pm->apm_registered = pm->gpe_registered = pm->sci = false;
	pm->paused = false;
	pthread_mutex_init(&pm->lock, NULL);
	pm->timer = vmm_timer_new(cfg->loop, tmr_fire, pm);
	if (!pm->timer) {
		ret = -ENOMEM;
		goto out_lock;
	}
	ret = pci_dev_init(&pm->pci, bus, devfn, &info);
	if (ret)
		goto out_timer;
	init_config(&pm->pci);
	pm->region = pci_add_region(&pm->pci, true, PIIX4_PM_IO_SIZE, &pm_io_ops, pm);
	ret = pm->region < 0 ? pm->region : register_ports(pm);
	if (ret)
		goto out_dev;
	pm_regs_reset(pm);
	return 0;
out_dev:
	piix4_pm_exit(pm);
	return ret;
out_timer:
	vmm_timer_free(pm->timer);
out_lock:
	pthread_mutex_destroy(&pm->lock);
	return ret;
}

void piix4_pm_exit(struct piix4_pm *pm)
{
	if (pm->apm_registered)
		vmm_bus_unregister(pm->cfg.pio, PIIX4_APM_CNT_PORT, pm);
	if (pm->gpe_registered)
		vmm_bus_unregister(pm->cfg.pio, PIIX4_GPE0_PORT, pm);
	pm->apm_registered = pm->gpe_registered = false;
	pci_bus_set_isa_irq(pm->pci.bus, PIIX4_PM_SCI_IRQ, SCI_SOURCE, 0);
	pci_dev_exit(&pm->pci);
	vmm_timer_free(pm->timer);
	pm->timer = NULL;
	pthread_mutex_destroy(&pm->lock);
}

void piix4_pm_power_button(struct piix4_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= ACPI_PWRBTN_STS;
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

void piix4_pm_gpe_raise(struct piix4_pm *pm, unsigned bit)
{
	if (bit >= 16)
		return;
	pthread_mutex_lock(&pm->lock);
	pm->gpe_sts |= (uint16_t)(1u << bit);
	sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

void piix4_pm_pause(struct piix4_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	if (!pm->paused) {
		pm->paused = true;
		pm->paused_at_ns = vmm_loop_now(pm->cfg.loop);
		tmr_arm(pm);
	}
	pthread_mutex_unlock(&pm->lock);
}

void piix4_pm_resume(struct piix4_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	if (pm->paused) {
		pm->tmr_base_ns += vmm_loop_now(pm->cfg.loop) - pm->paused_at_ns;
		pm->paused = false;
		tmr_update(pm);
		tmr_arm(pm);
	}
	pthread_mutex_unlock(&pm->lock);
}

/* ---- Snapshot state ------------------------------------------------------------------- */

/* TMR_STS is brought up to date first, as any register read would. */
void piix4_pm_save(struct piix4_pm *pm, struct piix4_pm_state *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&pm->lock);
	tmr_update(pm);
	st->pm1_sts = pm->pm1_sts;
	st->pm1_en = pm->pm1_en;
	st->pm1_cnt = pm->pm1_cnt;
	st->gpe_sts = pm->gpe_sts;
	st->gpe_en = pm->gpe_en;
	st->apmc = pm->apmc;
	st->apms = pm->apms;
	st->tmr_count = (uint32_t)(pm_ticks(pm) & ((1u << ACPI_PM_TIMER_BITS) - 1));
	pthread_mutex_unlock(&pm->lock);
}

bool piix4_pm_state_check(const struct piix4_pm_state *st)
{
	const char *bad = NULL;

	if (st->pm1_sts & ~PM1_STS_W1C)
		bad = "pm1_sts has bits no event sets";
	else if (st->pm1_en & ~PM1_EN_MASK)
		bad = "pm1_en has bits that are not stored";
	else if (st->pm1_cnt & ~PM1_CNT_STORED)
		bad = "pm1_cnt has bits that are not stored";
	else if (st->tmr_count >> ACPI_PM_TIMER_BITS)
		bad = "tmr_count is wider than 24 bits";
	if (bad)
		vmm_warn("snapshot: chipset: piix4-pm %s", bad);
	return !bad;
}

void piix4_pm_restore(struct piix4_pm *pm, const struct piix4_pm_state *st)
{
	/* The count at load time in ns, rounded up so pm_ticks() gives it back exactly. */
	uint64_t ns = ((uint64_t)st->tmr_count * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) /
		      ACPI_PM_TIMER_HZ;
	uint64_t now;

	pthread_mutex_lock(&pm->lock);
	now = pm->paused ? pm->paused_at_ns : vmm_loop_now(pm->cfg.loop);
	pm->pm1_sts = st->pm1_sts;
	pm->pm1_en = st->pm1_en;
	pm->pm1_cnt = st->pm1_cnt;
	pm->gpe_sts = st->gpe_sts;
	pm->gpe_en = st->gpe_en;
	pm->apmc = st->apmc;
	pm->apms = st->apms;
	pm->tmr_base_ns = now >= ns ? now - ns : 0;	/* a loop younger than the count: tests */
	pm->tmr_epoch = pm_ticks(pm) >> TMR_MSB_SHIFT;
	sci_update(pm);
	tmr_arm(pm);
	pthread_mutex_unlock(&pm->lock);
}
