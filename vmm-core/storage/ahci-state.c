// SPDX-License-Identifier: GPL-2.0-or-later
/* AHCI snapshot state: HBA and port registers, device settings, NCQ error log, ATAPI sense. */
#include "ahci-private.h"
#include "ahci-state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PxCMD bits that can read 1 (CLO and ICC always read 0 here; ahci.c). */
#define PORT_CMD_STATE	(AHCI_PX_CMD_ST | AHCI_PX_CMD_SUD | AHCI_PX_CMD_POD |		\
			 AHCI_PX_CMD_FRE | AHCI_PX_CMD_CCS_MASK | AHCI_PX_CMD_FR |	\
			 AHCI_PX_CMD_CR | AHCI_PX_CMD_ATAPI | AHCI_PX_CMD_DLAE)

/* ---- Save ----------------------------------------------------------------------------- */

static void ncq_save(const struct sata_ncq_error *e, struct ahci_port_state *s)
{
	s->ncq_valid = e->valid;
	s->ncq_tag = e->tag;
	s->ncq_command = e->tf.command;
	s->ncq_features = e->tf.features;
	s->ncq_count = e->tf.count;
	s->ncq_lba = e->tf.lba;
	s->ncq_device = e->tf.device;
	s->ncq_control = e->tf.control;
	s->ncq_status = e->tf.status;
	s->ncq_error = e->tf.error;
}

static void port_save(const struct ahci_port *p, struct ahci_port_state *s)
{
	s->kind = (uint8_t)p->dev.kind;
	s->clb = p->clb;
	s->clbu = p->clbu;
	s->fb = p->fb;
	s->fbu = p->fbu;
	s->is = p->is;
	s->ie = p->ie;
	s->cmd = p->cmd;
	s->tfd = p->tfd;
	s->sig = p->sig;
	s->ssts = p->ssts;
	s->sctl = p->sctl;
	s->serr = p->serr;
	s->sact = p->sact;
	s->ci = p->ci;
	s->halted = p->halted;
	s->sig_pending = p->sig_pending;
	s->srst = p->srst;
	ata_settings_save(&p->dev.set, &s->set);
	scsi_cd_save(&p->dev.atapi, &s->cd);
	ncq_save(&p->dev.ncq_err, s);
}

int ahci_save(struct ahci *hba, void **blob, size_t *len)
{
	struct ahci_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->version = AHCI_STATE_VERSION;
	pthread_mutex_lock(&hba->lock);
	s->ghc = hba->ghc;
	s->is = hba->is;
	s->pending = hba->pending;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		port_save(&hba->port[i], &s->port[i]);
	pthread_mutex_unlock(&hba->lock);
	*blob = s;
	*len = sizeof(*s);
	return 0;
}

/* ---- Load: check ---------------------------------------------------------------------- */

static bool port_flags_ok(const struct ahci_port_state *s, const char *dev)
{
	return state_flag_ok(s->halted, dev, "halted") &&
	       state_flag_ok(s->sig_pending, dev, "signature pending") &&
	       state_flag_ok(s->srst, dev, "SRST") && state_flag_ok(s->ncq_valid, dev, "NCQ log");
}

/* PxCMD as ahci.c leaves it: SUD and POD set, CR follows ST, FR follows FRE. */
static bool port_cmd_ok(uint32_t cmd)
{
	bool st = cmd & AHCI_PX_CMD_ST, cr = cmd & AHCI_PX_CMD_CR;
	bool fre = cmd & AHCI_PX_CMD_FRE, fr = cmd & AHCI_PX_CMD_FR;
	uint32_t fixed = AHCI_PX_CMD_SUD | AHCI_PX_CMD_POD;

	return !(cmd & ~PORT_CMD_STATE) && (cmd & fixed) == fixed && st == cr && fre == fr;
}

static bool port_regs_ok(const struct ahci_port_state *s, const char *dev)
{
	if ((s->clb & 0x3ff) || (s->fb & 0xff)) {	/* AHCI §3.3.1, §3.3.3 alignment */
		vmm_warn("snapshot: %s: command list %#x / FIS base %#x misaligned", dev, s->clb,
			 s->fb);
		return false;
	}
	if ((s->ie | s->is) & ~AHCI_PX_IE_MASK) {
		vmm_warn("snapshot: %s: interrupt bits %#x/%#x not implemented", dev, s->is, s->ie);
		return false;
	}
	if (!port_cmd_ok(s->cmd)) {
		vmm_warn("snapshot: %s: PxCMD %#x is not a state the port reaches", dev, s->cmd);
		return false;
	}
	if (!(s->cmd & AHCI_PX_CMD_ST) && (s->ci || s->sact)) {
		vmm_warn("snapshot: %s: commands issued (%#x/%#x) with ST clear", dev, s->ci,
			 s->sact);
		return false;
	}
	if (s->tfd > 0xffff || s->sctl > 0xfff || s->ssts > 0xfff) {
		vmm_warn("snapshot: %s: TFD %#x, SCTL %#x or SSTS %#x out of range", dev, s->tfd,
			 s->sctl, s->ssts);
		return false;
	}
	if (s->ncq_tag >= AHCI_NSLOTS) {
		vmm_warn("snapshot: %s: NCQ error tag %u out of range", dev, s->ncq_tag);
		return false;
	}
	return port_flags_ok(s, dev);
}

static bool port_check(const struct ahci_port *p, const struct ahci_port_state *s)
{
	char dev[32];

	snprintf(dev, sizeof(dev), "ahci.%u", p->index);
	if (s->kind != (uint8_t)p->dev.kind) {
		vmm_warn("snapshot: %s: device kind %u differs from the configured %u", dev,
			 s->kind, p->dev.kind);
		return false;
	}
	if (!port_regs_ok(s, dev))
		return false;
	if (!ahci_port_present(p))
		return true;
	if (!ata_settings_check(&s->set, p->dev.kind == SATA_DISK, true, SATA_MAX_MULTIPLE, dev))
		return false;
	return p->dev.kind != SATA_CDROM || scsi_cd_check(&p->dev.atapi, &s->cd, dev);
}

static bool hba_check(const struct ahci *hba, const struct ahci_state *s)
{
	if ((s->ghc & ~AHCI_GHC_IE) != AHCI_GHC_AE) {
		vmm_warn("snapshot: ahci: GHC %#x is not AE with optional IE", s->ghc);
		return false;
	}
	if (s->is & ~AHCI_PI_VALUE) {
		vmm_warn("snapshot: ahci: IS %#x names ports that do not exist", s->is);
		return false;
	}
	if (!state_flag_ok(s->pending, "ahci", "interrupt pending"))
		return false;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		if (!port_check(&hba->port[i], &s->port[i]))
			return false;
	return true;
}

/* ---- Load: commit --------------------------------------------------------------------- */

static void ncq_restore(struct sata_ncq_error *e, const struct ahci_port_state *s)
{
	e->valid = s->ncq_valid;
	e->tag = s->ncq_tag;
	e->tf = (struct ata_tf){
		.command = s->ncq_command, .features = s->ncq_features, .count = s->ncq_count,
		.lba = s->ncq_lba & 0xffffffffffffull, .device = s->ncq_device,
		.control = s->ncq_control, .status = s->ncq_status, .error = s->ncq_error,
	};
}

static void port_restore(struct ahci_port *p, const struct ahci_port_state *s)
{
	p->clb = s->clb;
	p->clbu = s->clbu;
	p->fb = s->fb;
	p->fbu = s->fbu;
	p->is = s->is;
	p->ie = s->ie;
	p->cmd = s->cmd;
	p->tfd = s->tfd;
	p->sig = s->sig;
	p->ssts = s->ssts;
	p->sctl = s->sctl;
	p->serr = s->serr;
	p->sact = s->sact;
	p->ci = s->ci;
	p->halted = s->halted;
	p->sig_pending = s->sig_pending;
	p->srst = s->srst;
	if (!ahci_port_present(p))
		return;
	ata_settings_restore(&p->dev.set, &s->set);
	ncq_restore(&p->dev.ncq_err, s);
	if (p->dev.kind == SATA_CDROM)
		scsi_cd_restore(&p->dev.atapi, &s->cd);
}

int ahci_load(struct ahci *hba, const void *blob, size_t len)
{
	struct ahci_state s;

	if (len != sizeof(s)) {
		vmm_warn("snapshot: ahci: state of %zu bytes, expected %zu", len, sizeof(s));
		return -EINVAL;
	}
	memcpy(&s, blob, sizeof(s));
	if (s.version != AHCI_STATE_VERSION) {
		vmm_warn("snapshot: ahci: version %u is not %u", s.version, AHCI_STATE_VERSION);
		return -EINVAL;
	}
	pthread_mutex_lock(&hba->lock);
	if (!hba_check(hba, &s)) {
		pthread_mutex_unlock(&hba->lock);
		return -EINVAL;
	}
	hba->ghc = s.ghc;
	hba->is = s.is;
	hba->pending = s.pending;
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		port_restore(&hba->port[i], &s.port[i]);
	/*
	 * INTx follows the level again (the chipset restored the pin's state too; asserting
	 * an asserted line changes nothing). An MSI already sent is not sent again.
	 */
	pci_set_irq(&hba->pci, hba->pending);
	pthread_mutex_unlock(&hba->lock);
	return 0;
}
