// SPDX-License-Identifier: GPL-2.0-or-later
/* AHCI command processing: command list, command tables, PRDT DMA, received FISes, errors. */
#include "ahci-private.h"

#include <errno.h>
#include <string.h>

/* One command slot being executed, fetch to completion (AHCI §5.3, port state machine). */
struct ahci_cmd {
	struct ahci_port *p;
	unsigned slot;
	uint32_t flags;		/* command header DW0 */
	uint64_t ctba;
	unsigned prdtl;
	uint8_t cfis[0x50];	/* CFIS and ACMD */

	/* The PRDT walk (AHCI §4.2.3.3). */
	unsigned prd_idx;
	uint64_t prd_addr;
	uint32_t prd_left;
	bool prd_irq;
	bool dps;		/* a PRD with I set was used up: PxIS.DPS */
	uint32_t moved;		/* PRDBC */

	struct sata_req req;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t port_clb(const struct ahci_port *p)
{
	return (uint64_t)p->clbu << 32 | p->clb;
}

static uint64_t port_fb(const struct ahci_port *p)
{
	return (uint64_t)p->fbu << 32 | p->fb;
}

/*
 * A fatal error (AHCI §6.1): the port stops fetching commands until software clears
 * PxCMD.ST; PxCI keeps the failed slot's bit and PxCMD.CCS names it.
 */
static void ahci_fatal(struct ahci_port *p, uint32_t bit, const char *why)
{
	ahci_guest_error(p->hba, "port %u: %s", p->index, why);
	p->halted = true;
	p->hba->stats.fatal++;
	if (bit == AHCI_PX_IS_IFS)
		p->serr |= AHCI_SERR_ERR_P;
	else if (bit == AHCI_PX_IS_HBFS)
		p->serr |= AHCI_SERR_ERR_E;	/* master abort on system memory (§3.3.12) */
	ahci_port_raise(p, bit);
}

/* ---- Received FISes (AHCI §4.2.1; FIS layouts of SATA 3.x §10.5) ------------------------ */

/* Post a FIS to the receive area while PxCMD.FRE is set; false if the area is not RAM. */
static bool post_fis(struct ahci_port *p, unsigned off, const uint8_t *fis, size_t len)
{
	if (!(p->cmd & AHCI_PX_CMD_FRE))
		return true;
	if (pci_dma_write(&p->hba->pci, port_fb(p) + off, fis, len) == 0)
		return true;
	ahci_fatal(p, AHCI_PX_IS_HBFS, "received FIS area is not guest RAM");
	return false;
}

static void fis_regs(uint8_t *fis, const struct ata_tf *tf)
{
	fis[2] = tf->status;
	fis[3] = tf->error;
	fis[4] = (uint8_t)tf->lba;
	fis[5] = (uint8_t)(tf->lba >> 8);
	fis[6] = (uint8_t)(tf->lba >> 16);
	fis[7] = tf->device;
	fis[8] = (uint8_t)(tf->lba >> 24);
	fis[9] = (uint8_t)(tf->lba >> 32);
	fis[10] = (uint8_t)(tf->lba >> 40);
	fis[12] = (uint8_t)tf->count;
	fis[13] = (uint8_t)(tf->count >> 8);
}

/* Register - Device to Host (SATA 3.x §10.5.6): PxTFD follows it (AHCI §5.3.8). */
static bool post_d2h(struct ahci_port *p, const struct ata_tf *tf, bool irq)
{
	uint8_t fis[20] = { FIS_TYPE_REG_D2H, irq ? 0x40 : 0 };

	fis_regs(fis, tf);
	p->tfd = (uint32_t)tf->error << 8 | tf->status;
	return post_fis(p, AHCI_RFIS_RFIS, fis, sizeof(fis));
}

/* PIO Setup (SATA 3.x §10.5.11): E_Status is what PxTFD holds after the data (§5.3.10). */
static bool post_pio_setup(struct ahci_port *p, const struct sata_req *r)
{
	uint8_t fis[20] = { FIS_TYPE_PIO_SETUP, (uint8_t)(0x40 | (r->to_host ? 0x20 : 0)) };
	uint32_t count = r->bytes > 0xffff ? 0xffff : r->bytes;

	fis_regs(fis, &r->tf);
	fis[2] = (uint8_t)(SATA_ST_DRDY | SATA_ST_DRQ);
	fis[3] = 0;
	fis[15] = r->tf.status;
	fis[16] = (uint8_t)count;
	fis[17] = (uint8_t)(count >> 8);
	p->tfd = (uint32_t)r->tf.error << 8 | r->tf.status;
	return post_fis(p, AHCI_RFIS_PSFIS, fis, sizeof(fis));
}

/*
 * Set Device Bits (SATA 3.x §10.5.7): the HBA clears the completed tags from PxSACT and
 * copies status bits 6:4 and 2:0 and the error into PxTFD (AHCI §5.3.13).
 */
static bool post_sdb(struct ahci_port *p, uint32_t done, uint8_t status, uint8_t error)
{
	uint8_t fis[8] = { FIS_TYPE_SDB, 0x40, (uint8_t)(status & 0x77), error };

	put_le32(&fis[4], done);
	p->sact &= ~done;
	p->tfd = (uint32_t)error << 8 | (p->tfd & 0x88) | (status & 0x77);
	return post_fis(p, AHCI_RFIS_SDBFIS, fis, sizeof(fis));
}

void ahci_port_signature(struct ahci_port *p)
{
	struct ata_tf tf = { 0 };

	sata_signature(&p->dev, &tf);
	p->sig = sata_signature_word(&p->dev);
	p->tfd = (uint32_t)tf.error << 8 | tf.status;
	/* Held by the HBA until software enables FIS reception (AHCI §10.1.2). */
	p->sig_pending = !(p->cmd & AHCI_PX_CMD_FRE);
	if (!p->sig_pending)
		post_d2h(p, &tf, false);
}

void ahci_port_fis_enabled(struct ahci_port *p)
{
	struct ata_tf tf = { 0 };
	uint32_t tfd = p->tfd;

	if (!p->sig_pending || !ahci_port_present(p))
		return;
	p->sig_pending = false;
	sata_signature(&p->dev, &tf);
	post_d2h(p, &tf, false);
	p->tfd = tfd;
}

/* ---- The PRDT walk ----------------------------------------------------------------------- */

/* Next entry (AHCI §4.2.3.3): DBA word aligned, DBC + 1 bytes (even), I = interrupt. */
static int prd_next(struct ahci_cmd *c)
{
	struct ahci *hba = c->p->hba;
	uint64_t addr, off = AHCI_CT_PRDT + (uint64_t)c->prd_idx * AHCI_PRD_SIZE;
	uint8_t e[AHCI_PRD_SIZE];
	uint32_t dw3;

	if (c->prd_idx >= c->prdtl)
		return -ENOSPC;
	if (__builtin_add_overflow(c->ctba, off, &addr) ||
	    pci_dma_read(&hba->pci, addr, e, sizeof(e)))
		return -EFAULT;
	c->prd_idx++;
	hba->stats.prd_steps++;
	dw3 = le32(&e[12]);
	if (!(dw3 & 1))
		ahci_guest_error(hba, "port %u: PRD %u has an odd byte count", c->p->index,
				 c->prd_idx - 1);
	c->prd_addr = ((uint64_t)le32(&e[4]) << 32 | le32(e)) & ~1ull;
	c->prd_left = ((dw3 & AHCI_PRD_DBC_MASK) | 1) + 1;
	c->prd_irq = dw3 & AHCI_PRD_I;
	return 0;
}

/* The data phase of a command, through its PRDs; every byte is guest RAM or it fails. */
static int ahci_sg_data(struct sata_req *r, void *buf, size_t len, bool to_host)
{
	struct ahci_cmd *c = r->opaque;
	struct pci_dev *dev = &c->p->hba->pci;
	uint8_t *b = buf;

	while (len) {
		uint32_t n;
		int ret;

		if (!c->prd_left && (ret = prd_next(c)))
			return ret;
		n = len < c->prd_left ? (uint32_t)len : c->prd_left;
		ret = to_host ? pci_dma_write(dev, c->prd_addr, b, n)
			      : pci_dma_read(dev, c->prd_addr, b, n);
		if (ret)
			return -EFAULT;
		c->prd_addr += n;
		c->prd_left -= n;
		c->moved += n;
		c->p->hba->stats.bytes += n;
		b += n;
		len -= n;
		if (!c->prd_left && c->prd_irq)
			c->dps = true;
	}
	return 0;
}

static const struct sata_req_ops ahci_sg_ops = {
	.data = ahci_sg_data,
};

/* ---- Fetch ------------------------------------------------------------------------------- */

/* Command header (AHCI §4.2.2) and command table (§4.2.3); false after a fatal error. */
static bool fetch(struct ahci_cmd *c)
{
	struct ahci_port *p = c->p;
	uint64_t hdr = port_clb(p) + (uint64_t)c->slot * AHCI_CMDH_SIZE, end;
	uint8_t h[16];
	unsigned cfl;

	if (pci_dma_read(&p->hba->pci, hdr, h, sizeof(h))) {
		ahci_fatal(p, AHCI_PX_IS_HBFS, "command list is not guest RAM");
		return false;
	}
	c->flags = le32(h);
	c->prdtl = c->flags >> AHCI_CMDH_PRDTL_SHIFT;
	c->ctba = ((uint64_t)le32(&h[12]) << 32 | le32(&h[8])) & ~0x7full;
	if (__builtin_add_overflow(c->ctba, sizeof(c->cfis), &end) ||
	    pci_dma_read(&p->hba->pci, c->ctba, c->cfis, sizeof(c->cfis))) {
		ahci_fatal(p, AHCI_PX_IS_HBFS, "command table is not guest RAM");
		return false;
	}
	/* A register FIS is 5 dwords; CFL is 2..16 (§4.2.2). Anything else cannot go out. */
	cfl = c->flags & AHCI_CMDH_CFL_MASK;
	if (cfl < 5 || cfl > 16 || c->cfis[0] != FIS_TYPE_REG_H2D) {
		ahci_fatal(p, AHCI_PX_IS_IFS, "command FIS is not a 5..16-dword register FIS");
		return false;
	}
	return true;
}

/* Host to Device register FIS (SATA 3.x §10.5.5). */
static void parse_h2d(const uint8_t *f, struct ata_tf *tf)
{
	tf->command = f[2];
	tf->features = (uint16_t)(f[3] | f[11] << 8);
	tf->lba = (uint64_t)f[4] | (uint64_t)f[5] << 8 | (uint64_t)f[6] << 16 |
		  (uint64_t)f[8] << 24 | (uint64_t)f[9] << 32 | (uint64_t)f[10] << 40;
	tf->device = f[7];
	tf->count = (uint16_t)(f[12] | f[13] << 8);
	tf->control = f[15];
	tf->status = tf->error = 0;
}

/* ---- Completion ------------------------------------------------------------------------ */

static bool write_prdbc(struct ahci_cmd *c)
{
	uint8_t v[4];
	uint64_t addr = port_clb(c->p) + (uint64_t)c->slot * AHCI_CMDH_SIZE + 4;

	put_le32(v, c->moved);
	if (pci_dma_write(&c->p->hba->pci, addr, v, sizeof(v)) == 0)
		return true;
	ahci_fatal(c->p, AHCI_PX_IS_HBFS, "command list is not guest RAM");
	return false;
}

/*
 * A non-queued command ends with a register FIS, or for PIO data-in with the PIO Setup
 * FIS's E_Status. Success clears the slot's PxCI bit (§5.3.8 RegFIS:ClearCI); ERR goes to
 * ERR:FatalTaskfile instead (§5.3.16.5): TFES, PxCI kept.
 */
static void complete(struct ahci_cmd *c)
{
	struct ahci_port *p = c->p;
	struct sata_req *r = &c->req;
	bool err = r->tf.status & SATA_ST_ERR;
	uint32_t bits = c->dps ? AHCI_PX_IS_DPS : 0;

	if (r->pio && r->bytes) {
		if (!post_pio_setup(p, r))
			return;
		bits |= AHCI_PX_IS_PSS;
	}
	if (err || !r->pio_in_done) {
		if (!post_d2h(p, &r->tf, true))
			return;
		bits |= AHCI_PX_IS_DHRS;
	}
	if (r->signature)
		p->sig = sata_signature_word(&p->dev);
	if (err) {
		p->halted = true;
		p->hba->stats.task_errors++;
		bits |= AHCI_PX_IS_TFES;
	} else {
		p->ci &= ~(1u << c->slot);
	}
	ahci_port_raise(p, bits);
}

/*
 * FPDMA QUEUED (SATA 3.x §11.15): the device takes the command with a register FIS that
 * clears BSY without an interrupt (PxCI bit cleared), moves the data, and reports the tag
 * done in a Set Device Bits FIS. Tags finishing in one pass share one SDB FIS (`done`); an
 * error flushes them with ERR set and leaves the failed tag in PxSACT (§5.3.13.1).
 */
static void complete_ncq(struct ahci_cmd *c, uint32_t *done)
{
	struct ahci_port *p = c->p;
	struct sata_req *r = &c->req;
	unsigned tag = (r->tf.count >> 3) & 0x1f;

	if (!(r->tf.status & SATA_ST_ERR)) {
		*done |= 1u << tag;
		return;
	}
	p->dev.ncq_err = (struct sata_ncq_error){ true, (uint8_t)tag, r->tf };
	p->halted = true;
	p->hba->stats.task_errors++;
	if (post_sdb(p, *done, r->tf.status, r->tf.error))
		ahci_port_raise(p, AHCI_PX_IS_SDBS | AHCI_PX_IS_TFES);
	*done = 0;
}

static bool issue_ncq(struct ahci_cmd *c)
{
	struct ahci_port *p = c->p;
	struct ata_tf accept = c->req.tf;
	unsigned tag = (c->req.tf.count >> 3) & 0x1f;

	/* The HBA finds the PRDT through the tag the device names in its DMA Setup FIS, so
	 * AHCI software puts tag n in slot n; anything else would move the wrong data. */
	if (tag != c->slot || p->dev.kind != SATA_DISK) {
		ahci_guest_error(p->hba, "port %u: queued command in slot %u with tag %u",
				 p->index, c->slot, tag);
		c->req.tf.status = SATA_ST_DRDY | SATA_ST_ERR;
		c->req.tf.error = SATA_ER_ABRT;
		complete(c);
		return false;
	}
	accept.status = SATA_ST_DRDY | SATA_ST_DSC;
	accept.error = 0;
	if (!post_d2h(p, &accept, false))
		return false;
	p->ci &= ~(1u << c->slot);
	p->hba->stats.ncq++;
	return true;
}

/* ---- Execution ------------------------------------------------------------------------- */

/*
 * A Device Control register FIS (C = 0) is how software resets the device (AHCI §10.4.1):
 * one with SRST set, then one with it clear, after which the device sends its signature.
 */
static void run_control(struct ahci_cmd *c, uint8_t control)
{
	struct ahci_port *p = c->p;

	if (control & SATA_CTL_SRST) {
		p->srst = true;
		p->tfd = (p->tfd & ~0xffu) | SATA_ST_BSY;
	} else if (p->srst) {
		p->srst = false;
		sata_dev_reset(&p->dev, false);
		ahci_port_signature(p);
	}
	p->ci &= ~(1u << c->slot);
}

static void run_transfer_error(struct ahci_cmd *c)
{
	if (c->req.xfer_err == -ENOSPC)
		ahci_fatal(c->p, AHCI_PX_IS_OFS, "PRD table shorter than the data");
	else
		ahci_fatal(c->p, AHCI_PX_IS_HBFS, "PRD points outside guest RAM");
}

static void run_slot(struct ahci_port *p, unsigned slot, uint32_t *done)
{
	struct ahci_cmd c = { .p = p, .slot = slot };
	struct sata_req *r = &c.req;
	bool ncq;

	p->cmd = (p->cmd & ~AHCI_PX_CMD_CCS_MASK) | slot << AHCI_PX_CMD_CCS_SHIFT;
	p->hba->stats.commands++;
	if (!fetch(&c))
		return;
	if (!(c.cfis[1] & 0x80)) {
		run_control(&c, c.cfis[15]);
		return;
	}
	r->ops = &ahci_sg_ops;
	r->opaque = &c;
	parse_h2d(c.cfis, &r->tf);
	memcpy(r->cdb, &c.cfis[AHCI_CT_ACMD], sizeof(r->cdb));
	ncq = sata_cmd_is_ncq(r->tf.command);
	if (ncq && !issue_ncq(&c))
		return;
	sata_exec(&p->dev, r);
	if (r->xfer_err) {
		run_transfer_error(&c);
		return;
	}
	if (!write_prdbc(&c))
		return;
	if (ncq)
		complete_ncq(&c, done);
	else
		complete(&c);
	if (ncq && c.dps)
		ahci_port_raise(p, AHCI_PX_IS_DPS);
}

/*
 * Run the slots set in PxCI, lowest first, each once: at most 32 commands per doorbell.
 * Nothing runs while ST is clear, after a fatal error, or without a device.
 */
void ahci_port_run(struct ahci_port *p)
{
	uint32_t pending, done = 0;

	if (!(p->cmd & AHCI_PX_CMD_ST) || p->halted)
		return;
	if (!ahci_port_present(p))
		return;		/* no device: the slots wait, as on a real HBA */
	pending = p->ci;
	for (unsigned slot = 0; slot < AHCI_NSLOTS && !p->halted; slot++)
		if (pending & (1u << slot))
			run_slot(p, slot, &done);
	if (done && post_sdb(p, done, SATA_ST_DRDY | SATA_ST_DSC, 0))
		ahci_port_raise(p, AHCI_PX_IS_SDBS);
}
