// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI HBA: ABAR registers, port control, interrupts, resets, the ICH9 PCI function. */
#include "ahci-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

/* ICH9 "PCS" port control and status (ICH9 datasheet §14.1.33): port enables in bits 5:0. */
#define ICH9_MAP		0x90
#define ICH9_PCS		0x92

#define PORT_CMD_RW		(AHCI_PX_CMD_ST | AHCI_PX_CMD_CLO | AHCI_PX_CMD_FRE |	\
				 AHCI_PX_CMD_ATAPI | AHCI_PX_CMD_DLAE | AHCI_PX_CMD_ICC_MASK)

void ahci_guest_error(struct ahci *hba, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!hba->glog)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmm_guest_error(hba->glog, "ahci: %s", msg);
}

/* ---- Interrupts -------------------------------------------------------------------- */

/*
 * IS.IPS[x] is set while port x has a PxIS bit its PxIE enables (AHCI §3.1.3); the HBA
 * interrupts while GHC.IE is set and IS is not zero. INTx follows that level; a single MSI
 * is sent on each rise, so a port that is still pending when software clears IS (a new
 * event raced its handler) interrupts again.
 */
static void ahci_update_irq(struct ahci *hba)
{
	bool level = (hba->ghc & AHCI_GHC_IE) && hba->is;
	bool rising = level && !hba->pending;

	hba->pending = level;
	pci_set_irq(&hba->pci, level);
	if (rising && pci_msi_enabled(&hba->pci))
		pci_msi_notify(&hba->pci, 0);
}

static void ahci_port_sync_ips(struct ahci_port *p)
{
	if (p->is & p->ie)
		p->hba->is |= 1u << p->index;
}

void ahci_port_raise(struct ahci_port *p, uint32_t bits)
{
	p->is |= bits;
	ahci_port_sync_ips(p);
	ahci_update_irq(p->hba);
}

static void ahci_write_is(struct ahci *hba, uint32_t v)
{
	hba->is &= ~(v & AHCI_PI_VALUE);
	/* The level drops for a moment here; a port still pending raises it again. */
	hba->pending = (hba->ghc & AHCI_GHC_IE) && hba->is;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		ahci_port_sync_ips(&hba->port[i]);
	ahci_update_irq(hba);
}

/* ---- Port reset and link ----------------------------------------------------------- */

/*
 * The link coming up after a COMRESET (AHCI §10.4.2; SATA 3.x §8.4): with a device, the
 * Phy reports DET = 3 at 6 Gb/s in the active state, and the device sends its signature.
 */
static void ahci_port_link_up(struct ahci_port *p)
{
	p->srst = false;
	if (!ahci_port_present(p)) {
		p->ssts = 0;
		p->tfd = 0x7f;
		p->sig = 0xffffffffu;
		return;
	}
	p->ssts = AHCI_SSTS_DET_PRESENT | AHCI_SSTS_SPD_GEN3 | AHCI_SSTS_IPM_ACTIVE;
	sata_dev_reset(&p->dev, false);
	ahci_port_signature(p);
}

/* Power-on (or GHC.HR) state of a port (AHCI §3.3 reset values, §10.4.3). */
static void ahci_port_reset(struct ahci_port *p, bool power_on)
{
	/* GHC.HR keeps the command list and FIS base addresses (AHCI §10.4.3). */
	if (power_on) {
		p->clb = p->clbu = p->fb = p->fbu = 0;
		if (ahci_port_present(p))
			sata_dev_reset(&p->dev, true);
	}
	p->is = p->ie = 0;
	p->cmd = AHCI_PX_CMD_SUD | AHCI_PX_CMD_POD;
	p->tfd = 0x7f;
	p->sig = 0xffffffffu;
	p->ssts = p->sctl = p->serr = 0;
	p->sact = p->ci = 0;
	p->halted = p->sig_pending = p->srst = false;
	ahci_port_link_up(p);
}

static void ahci_hba_reset(struct ahci *hba, bool power_on)
{
	hba->ghc = AHCI_GHC_AE;
	hba->is = 0;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		ahci_port_reset(&hba->port[i], power_on);
	ahci_update_irq(hba);
}

/* PxSCTL.DET (AHCI §3.3.11): 1 holds COMRESET, 0 lets the link come up, 4 takes it offline. */
static void ahci_port_write_sctl(struct ahci_port *p, uint32_t v)
{
	uint32_t old = p->sctl & AHCI_SCTL_DET_MASK, det = v & AHCI_SCTL_DET_MASK;

	p->sctl = v & 0xfff;
	if (det == old)
		return;
	if (det == AHCI_SCTL_DET_COMRESET) {
		p->ssts = 0;
		p->tfd = ahci_port_present(p) ? SATA_ST_BSY : 0x7f;	/* held in reset */
	} else if (det == AHCI_SCTL_DET_OFFLINE) {
		p->ssts = AHCI_SSTS_DET_OFFLINE;
	} else if (det == 0) {
		ahci_port_link_up(p);
	}
}

/* ---- PxCMD (AHCI §3.3.7) ----------------------------------------------------------- */

static void ahci_port_write_cmd(struct ahci_port *p, uint32_t v)
{
	uint32_t old = p->cmd;
	uint32_t nv = (old & ~PORT_CMD_RW) | (v & PORT_CMD_RW);

	nv |= AHCI_PX_CMD_SUD | AHCI_PX_CMD_POD;	/* no staggered spin-up, no CPD */
	/* ICC: the link is always active; any request is done at once and reads 0. */
	nv &= ~AHCI_PX_CMD_ICC_MASK;
	/* CLO clears BSY and DRQ in PxTFD.STS, then itself (CAP.SCLO). */
	if (nv & AHCI_PX_CMD_CLO) {
		p->tfd &= ~(uint32_t)(SATA_ST_BSY | SATA_ST_DRQ);
		nv &= ~AHCI_PX_CMD_CLO;
	}
	if (nv & AHCI_PX_CMD_FRE)
		nv |= AHCI_PX_CMD_FR;
	else
		nv &= ~AHCI_PX_CMD_FR;
	/* ST 1 -> 0 empties PxCI and PxSACT, ends a fatal-error halt (§3.3.13, §3.3.14, §6.2) */
	if ((old & AHCI_PX_CMD_ST) && !(nv & AHCI_PX_CMD_ST)) {
		p->ci = p->sact = 0;
		p->halted = false;
		nv &= ~(AHCI_PX_CMD_CR | AHCI_PX_CMD_CCS_MASK);
	}
	if ((nv & AHCI_PX_CMD_ST) && !(old & AHCI_PX_CMD_ST)) {
		if (!(nv & AHCI_PX_CMD_FRE))
			ahci_guest_error(p->hba, "port %u: PxCMD.ST set with FRE clear", p->index);
		nv |= AHCI_PX_CMD_CR;
	}
	p->cmd = nv;
	if ((nv & AHCI_PX_CMD_FRE) && !(old & AHCI_PX_CMD_FRE))
		ahci_port_fis_enabled(p);
}

/* ---- Register access ------------------------------------------------------------------ */

static uint32_t merge(uint32_t old, uint32_t v, uint32_t mask)
{
	return (old & ~mask) | (v & mask);
}

static uint32_t ahci_port_read(struct ahci_port *p, unsigned reg)
{
	switch (reg) {
	case AHCI_PX_CLB: return p->clb;
	case AHCI_PX_CLBU: return p->clbu;
	case AHCI_PX_FB: return p->fb;
	case AHCI_PX_FBU: return p->fbu;
	case AHCI_PX_IS: return p->is;
	case AHCI_PX_IE: return p->ie;
	case AHCI_PX_CMD: return p->cmd;
	case AHCI_PX_TFD: return p->tfd;
	case AHCI_PX_SIG: return p->sig;
	case AHCI_PX_SSTS: return p->ssts;
	case AHCI_PX_SCTL: return p->sctl;
	case AHCI_PX_SERR: return p->serr;
	case AHCI_PX_SACT: return p->sact;
	case AHCI_PX_CI: return p->ci;
	default: return 0;	/* SNTF, FBS, DEVSLP, reserved and vendor: 0 */
	}
}

/* Software sets PxCI only while ST is set (§3.3.14); otherwise the write is lost. */
static void ahci_port_write_ci(struct ahci_port *p, uint32_t v)
{
	if (!(p->cmd & AHCI_PX_CMD_ST)) {
		if (v)
			ahci_guest_error(p->hba, "port %u: PxCI written with ST clear", p->index);
		return;
	}
	p->ci |= v;
	ahci_port_run(p);
}

/* W1C and W1S registers see only the written bytes (mask); the rest merge. */
static void ahci_port_write(struct ahci_port *p, unsigned reg, uint32_t v, uint32_t mask)
{
	switch (reg) {
	case AHCI_PX_CLB: p->clb = merge(p->clb, v, mask) & ~0x3ffu; return;
	case AHCI_PX_CLBU: p->clbu = merge(p->clbu, v, mask); return;
	case AHCI_PX_FB: p->fb = merge(p->fb, v, mask) & ~0xffu; return;
	case AHCI_PX_FBU: p->fbu = merge(p->fbu, v, mask); return;
	case AHCI_PX_IS: p->is &= ~(v & mask); return;
	case AHCI_PX_IE:
		p->ie = merge(p->ie, v, mask) & AHCI_PX_IE_MASK;
		ahci_port_sync_ips(p);
		ahci_update_irq(p->hba);
		return;
	case AHCI_PX_CMD: ahci_port_write_cmd(p, merge(p->cmd, v, mask)); return;
	case AHCI_PX_SCTL: ahci_port_write_sctl(p, merge(p->sctl, v, mask)); return;
	case AHCI_PX_SERR: p->serr &= ~(v & mask); return;
	case AHCI_PX_SACT:
		if (p->cmd & AHCI_PX_CMD_ST)	/* like PxCI (§3.3.13) */
			p->sact |= v & mask;
		return;
	case AHCI_PX_CI:
		ahci_port_write_ci(p, v & mask);
		return;
	default:
		return;		/* read-only and reserved registers */
	}
}

static uint32_t ahci_reg_read(struct ahci *hba, uint64_t reg)
{
	if (reg >= AHCI_PORT_BASE) {
		uint64_t n = (reg - AHCI_PORT_BASE) / AHCI_PORT_SIZE;

		if (n >= AHCI_NPORTS)
			return 0;
		return ahci_port_read(&hba->port[n], (unsigned)(reg % AHCI_PORT_SIZE));
	}
	switch (reg) {
	case AHCI_CAP: return AHCI_CAP_VALUE;
	case AHCI_GHC: return hba->ghc;
	case AHCI_IS: return hba->is;
	case AHCI_PI: return AHCI_PI_VALUE;
	case AHCI_VS: return AHCI_VERSION;
	default: return 0;	/* CCC, EM, CAP2, BOHC: none of those features */
	}
}

static void ahci_reg_write(struct ahci *hba, uint64_t reg, uint32_t v, uint32_t mask)
{
	if (reg >= AHCI_PORT_BASE) {
		uint64_t n = (reg - AHCI_PORT_BASE) / AHCI_PORT_SIZE;

		if (n < AHCI_NPORTS)
			ahci_port_write(&hba->port[n], (unsigned)(reg % AHCI_PORT_SIZE), v, mask);
		return;
	}
	switch (reg) {
	case AHCI_GHC:
		/* HR resets the HBA and reads 0 when done (§3.1.2, §10.4.3); AE is fixed at 1. */
		if (v & mask & AHCI_GHC_HR) {
			ahci_hba_reset(hba, false);
			return;
		}
		hba->ghc = AHCI_GHC_AE | (merge(hba->ghc, v, mask) & AHCI_GHC_IE);
		ahci_update_irq(hba);
		return;
	case AHCI_IS:
		ahci_write_is(hba, v & mask);
		return;
	default:
		return;
	}
}

static uint64_t ahci_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct ahci *hba = opaque;
	unsigned shift = (unsigned)(off & 3) * 8;
	uint32_t v;

	pthread_mutex_lock(&hba->lock);
	v = ahci_reg_read(hba, off & ~3ull);
	pthread_mutex_unlock(&hba->lock);
	return (v >> shift) & (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
}

static void ahci_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct ahci *hba = opaque;
	unsigned shift = (unsigned)(off & 3) * 8;
	uint32_t mask = (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1) << shift;

	pthread_mutex_lock(&hba->lock);
	ahci_reg_write(hba, off & ~3ull, (uint32_t)(val << shift), mask);
	pthread_mutex_unlock(&hba->lock);
}

/*
 * Locking: called by the MMIO bus on vCPU threads; each access takes the controller lock
 * and may run commands (block I/O, DMA, interrupts) under it. Byte and word accesses are
 * served directly so a narrow write to a write-1-to-clear register clears only its bytes.
 */
static const struct vmm_io_ops ahci_mmio_ops = {
	.name = "ahci",
	.read = ahci_mmio_read,
	.write = ahci_mmio_write,
	.min_size = 1,
	.max_size = 4,
};

/* ---- The PCI function ------------------------------------------------------------------ */

static struct ahci *ahci_of(struct pci_dev *dev)
{
	return (struct ahci *)((char *)dev - offsetof(struct ahci, pci));
}

static void ahci_pci_reset(struct pci_dev *dev)
{
	struct ahci *hba = ahci_of(dev);

	pthread_mutex_lock(&hba->lock);
	ahci_hba_reset(hba, true);
	pthread_mutex_unlock(&hba->lock);
}

static const struct pci_dev_ops ahci_pci_ops = {
	.reset = ahci_pci_reset,
};

static const struct pci_dev_info ahci_pci_info = {
	.name = "ich9-ahci",
	.vendor_id = AHCI_PCI_VENDOR,
	.device_id = AHCI_PCI_DEVICE,
	.class_code = AHCI_PCI_CLASS,
	.revision = 0x02,
	.subsys_vendor_id = AHCI_PCI_VENDOR,
	.subsys_id = AHCI_PCI_DEVICE,
	.irq_pin = 1,
	.ops = &ahci_pci_ops,
};

static int ahci_pci_setup(struct ahci *hba, struct pci_bus *bus, int devfn)
{
	struct pci_dev *dev = &hba->pci;
	int ret = pci_dev_init(dev, bus, devfn, &ahci_pci_info);

	if (ret)
		return ret;
	hba->pci_registered = true;
	/* Keep capabilities off the ICH9 MAP/PCS registers; Linux sets PCS port enables. */
	pci_config_claim(dev, ICH9_MAP, 4);
	pci_config_set_wmask(dev, ICH9_PCS, 2, AHCI_PI_VALUE);
	ret = pci_register_bar(dev, AHCI_ABAR_INDEX, AHCI_ABAR_SIZE, PCI_BAR_MEM32, false,
			       &ahci_mmio_ops, hba);
	if (ret)
		return ret;
	ret = pci_msi_init(dev, 1, true, false);
	return ret < 0 ? ret : 0;
}

/* ---- API --------------------------------------------------------------------------------- */

struct ahci *ahci_new(struct pci_bus *bus, int devfn, int *err)
{
	struct ahci *hba = calloc(1, sizeof(*hba));
	int ret;

	if (!hba) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&hba->lock, NULL);
	hba->glog = pci_bus_log(bus);
	for (unsigned i = 0; i < AHCI_NPORTS; i++) {
		hba->port[i].hba = hba;
		hba->port[i].index = i;
	}
	ret = ahci_pci_setup(hba, bus, devfn);
	if (ret) {
		ahci_free(hba);
		*err = ret;
		return NULL;
	}
	pthread_mutex_lock(&hba->lock);
	ahci_hba_reset(hba, true);
	pthread_mutex_unlock(&hba->lock);
	return hba;
}

void ahci_free(struct ahci *hba)
{
	if (!hba)
		return;
	/* Off the bus first: no MMIO access can reach us after this. */
	if (hba->pci_registered)
		pci_dev_exit(&hba->pci);
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		sata_dev_exit(&hba->port[i].dev);
	pthread_mutex_destroy(&hba->lock);
	free(hba);
}

static void ahci_update_pcs(struct ahci *hba)
{
	uint32_t present = 0;

	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		if (ahci_port_present(&hba->port[i]))
			present |= 1u << (8 + i);
	pci_config_set(&hba->pci, ICH9_PCS, 2, present);
}

int ahci_attach(struct ahci *hba, unsigned port, struct blk *blk, enum ahci_dev_kind kind)
{
	struct ahci_port *p;
	char name[24];
	int ret;

	if (port >= AHCI_NPORTS || (kind != AHCI_DISK && kind != AHCI_CDROM) ||
	    (kind == AHCI_DISK && !blk))
		return -EINVAL;
	snprintf(name, sizeof(name), "ahci.%u", port);
	pthread_mutex_lock(&hba->lock);
	p = &hba->port[port];
	if (ahci_port_present(p)) {
		ret = -EBUSY;
	} else {
		ret = sata_dev_init(&p->dev, kind == AHCI_DISK ? SATA_DISK : SATA_CDROM, blk, name,
				    hba->glog);
		if (!ret)
			ahci_port_link_up(p);
	}
	pthread_mutex_unlock(&hba->lock);
	if (!ret)
		ahci_update_pcs(hba);	/* config space: not under our lock (pci.h locking) */
	return ret;
}

int ahci_change_media(struct ahci *hba, unsigned port, struct blk *blk)
{
	int ret = -EINVAL;

	if (port >= AHCI_NPORTS)
		return -EINVAL;
	pthread_mutex_lock(&hba->lock);
	if (hba->port[port].dev.kind == SATA_CDROM) {
		sata_atapi_set_medium(&hba->port[port].dev, blk, true);
		ret = 0;
	}
	pthread_mutex_unlock(&hba->lock);
	return ret;
}

bool ahci_tray_is_open(struct ahci *hba, unsigned port)
{
	bool open = false;

	if (port >= AHCI_NPORTS)
		return false;
	pthread_mutex_lock(&hba->lock);
	if (hba->port[port].dev.kind == SATA_CDROM)
		open = hba->port[port].dev.atapi.tray_open;
	pthread_mutex_unlock(&hba->lock);
	return open;
}

void ahci_reset(struct ahci *hba)
{
	pthread_mutex_lock(&hba->lock);
	ahci_hba_reset(hba, true);
	pthread_mutex_unlock(&hba->lock);
}

struct pci_dev *ahci_pci_dev(struct ahci *hba)
{
	return &hba->pci;
}

void ahci_get_stats(struct ahci *hba, struct ahci_stats *out)
{
	pthread_mutex_lock(&hba->lock);
	*out = hba->stats;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		out->packets += hba->port[i].dev.packets;
	pthread_mutex_unlock(&hba->lock);
}
