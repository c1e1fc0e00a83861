// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA device: IDENTIFY data, the command set, PIO data-in and data-out blocks. */
#include "ata.h"

#include <errno.h>
#include <string.h>

#include "ata-common.h"
#include "atapi.h"
#include "block/block.h"

#define ATA_POWER_ON_XFER	0x22	/* multiword DMA mode 2: what a PIIX3 can do */

static uint8_t ata_idle_status(const struct ide_drive *d)
{
	/* DSC is SERV for packet devices; they report only DRDY (ATA/ATAPI-6 §9.10). */
	return d->kind == IDE_CDROM ? ATA_ST_DRDY : ATA_ST_DRDY | ATA_ST_DSC;
}

void ata_complete(struct ide_drive *d)
{
	d->status = ata_idle_status(d);
	d->error = 0;
	ide_raise_irq(d);
}

void ata_error(struct ide_drive *d, uint8_t err)
{
	ide_xfer_stop(d->ch);
	d->status = ata_idle_status(d) | ATA_ST_ERR;
	d->error = err;
	ide_raise_irq(d);
}

/* Signature (ATA/ATAPI-6 §9.12): how a host tells a packet device from a disk. */
void ata_set_signature(struct ide_drive *d)
{
	d->nsect = 1;
	d->lbal = 1;
	d->lbam = d->kind == IDE_CDROM ? 0x14 : 0;
	d->lbah = d->kind == IDE_CDROM ? 0xeb : 0;
	d->hob_feature = d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
}

void ata_reset_drive(struct ide_drive *d, bool power_on)
{
	ata_set_signature(d);
	d->feature = 0;
	d->error = 0x01;	/* diagnostic code: passed (§8.11, Table 23) */
	d->status = d->kind == IDE_CDROM ? 0 : ATA_ST_DRDY | ATA_ST_DSC;
	d->irq_pending = false;
	d->left = 0;
	if (power_on) {
		d->set.mult = ATA_MAX_MULTIPLE;
		d->set.xfer_mode = ATA_POWER_ON_XFER;
		d->set.write_cache = true;
		d->heads = ATA_DEFAULT_HEADS;
		d->spt = ATA_DEFAULT_SPT;
	}
	if (d->kind == IDE_CDROM)
		atapi_reset_drive(d);
}

/*
 * Word 93, hardware reset result (ATA/ATAPI-6 §8.15.50): bits 15:14 = 01, bit 13 set for
 * an 80-conductor cable (hosts allow UDMA > 2 only then). Device 0 reports how it numbered
 * itself (jumper), that diagnostics passed, and whether it saw device 1 (PDIAG-, DASP-);
 * bit 6 says it answers for an absent device 1 — SeaBIOS skips probing device 1 then.
 */
uint16_t ata_reset_result(struct ide_drive *d)
{
	uint16_t v = 0x4000 | 0x2000;

	if (d->unit == 1)
		return v | 0x0100 | 0x0200 | 0x0800;
	v |= 0x0001 | 0x0002 | 0x0008;
	if (ide_present(&d->ch->drive[1]))
		v |= 0x0010 | 0x0020;
	else
		v |= 0x0040;
	return v;
}

static void ata_default_chs(const struct ide_drive *d, unsigned *cyls)
{
	uint64_t c = d->sectors / (ATA_DEFAULT_HEADS * ATA_DEFAULT_SPT);

	/* A disk smaller than one cylinder still reports one, or BIOSes see no geometry. */
	if (c == 0)
		c = 1;
	*cyls = c > ATA_MAX_CYLS ? ATA_MAX_CYLS : (unsigned)c;
}

/* IDENTIFY DEVICE data (ATA8-ACS §7.16.7, Table 22). */
void ata_identify_words(struct ide_drive *d, uint16_t *w)
{
	unsigned cyls, cur_cyls;
	uint64_t chs;

	ata_identify_disk_words(w, d->serial, "VESSEL HARDDISK", d->sectors, &d->set);
	ata_default_chs(d, &cyls);
	w[1] = (uint16_t)cyls;
	w[51] = 0x0200;				/* PIO mode 2 timing (obsolete) */
	w[53] = 0x0007;				/* words 54-58, 64-70 and 88 valid */
	/* INITIALIZE DEVICE PARAMETERS sets the current translation */
	cur_cyls = (unsigned)(d->sectors / (d->heads * d->spt));
	if (cur_cyls == 0)
		cur_cyls = 1;
	if (cur_cyls > 65535)
		cur_cyls = 65535;
	chs = (uint64_t)cur_cyls * d->heads * d->spt;
	w[54] = (uint16_t)cur_cyls;
	w[55] = (uint16_t)d->heads;
	w[56] = (uint16_t)d->spt;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[88] = ata_xfer_bits(d->set.xfer_mode, 8, 0x003f);	/* Ultra DMA 0-5 */
	w[93] = ata_reset_result(d);
}

static void ata_send_identify(struct ide_drive *d, bool packet)
{
	uint16_t w[256];
	uint8_t *buf = d->ch->buf;

	if (packet)
		atapi_identify_words(d, w);
	else
		ata_identify_words(d, w);
	ata_identify_checksum(w);
	for (unsigned i = 0; i < 256; i++) {
		buf[2 * i] = (uint8_t)w[i];
		buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	d->status = ata_idle_status(d) | ATA_ST_DRQ;
	ide_pio_start(d, 0, 512, IDE_END_DONE);
	ide_raise_irq(d);
}

/* The starting sector: 48-bit, 28-bit LBA, or CHS through the current translation. */
static bool ata_get_lba(const struct ide_drive *d, bool lba48, uint64_t *lba)
{
	unsigned cyl, head, sect;

	if (lba48) {
		*lba = (uint64_t)d->lbal | (uint64_t)d->lbam << 8 | (uint64_t)d->lbah << 16 |
		       (uint64_t)d->hob_lbal << 24 | (uint64_t)d->hob_lbam << 32 |
		       (uint64_t)d->hob_lbah << 40;
		return true;
	}
	if (d->device & ATA_DEV_LBA) {
		*lba = (uint64_t)d->lbal | (uint64_t)d->lbam << 8 | (uint64_t)d->lbah << 16 |
		       (uint64_t)(d->device & 0xf) << 24;
		return true;
	}
	cyl = d->lbam | (unsigned)d->lbah << 8;
	head = d->device & 0xf;
	sect = d->lbal;
	return ata_chs_to_lba(cyl, head, sect, d->heads, d->spt, lba);
}

static void ata_read_block(struct ide_drive *d)
{
	uint32_t n = d->left < d->block ? d->left : d->block;
	int ret = blk_pread(d->blk, d->lba * ATA_SECTOR, d->ch->buf, (size_t)n * ATA_SECTOR);

	if (ret) {
		vmm_warn("%s: read error at sector %llu: %s", d->blk->path,
			 (unsigned long long)d->lba, strerror(-ret));
		ata_error(d, ATA_ER_UNC);
		return;
	}
	d->cur_block = n;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	ide_pio_start(d, 0, n * ATA_SECTOR, IDE_END_ATA_READ);
	ide_raise_irq(d);	/* PIO data-in: an interrupt before every DRQ block (§9.7) */
}

static void ata_write_block(struct ide_drive *d)
{
	uint32_t n = d->left < d->block ? d->left : d->block;

	d->cur_block = n;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	ide_pio_start(d, 0, n * ATA_SECTOR, IDE_END_ATA_WRITE);
}

int ata_write_out(struct ide_drive *d, const void *buf, uint32_t n)
{
	int ret = blk_pwrite(d->blk, d->lba * ATA_SECTOR, buf, (size_t)n * ATA_SECTOR);

	if (!ret && !d->set.write_cache)
		ret = blk_flush(d->blk);
	if (ret)
		vmm_warn("%s: write error at sector %llu: %s", d->blk->path,
			 (unsigned long long)d->lba, strerror(-ret));
	return ret;
}

void ata_pio_end(struct ide_drive *d, enum ide_end action)
{
	struct ide_channel *ch = d->ch;

	switch (action) {
	case IDE_END_ATA_READ:
		d->lba += d->cur_block;
		d->left -= d->cur_block;
		if (d->left) {
			ata_read_block(d);
			return;
		}
		ide_xfer_stop(ch);
		d->status = ata_idle_status(d);	/* no interrupt after the last block */
		return;
	case IDE_END_ATA_WRITE:
		if (ata_write_out(d, ch->buf, d->cur_block)) {
			ata_error(d, ATA_ER_ABRT);
			return;
		}
		d->lba += d->cur_block;
		d->left -= d->cur_block;
		if (d->left) {
			ata_write_block(d);
			ide_raise_irq(d);
			return;
		}
		ide_xfer_stop(ch);
		ata_complete(d);
		return;
	default:
		ide_xfer_stop(ch);
		d->status = ata_idle_status(d);
		return;
	}
}

static void ata_rw_start(struct ide_drive *d, const struct ata_rw *rw)
{
	uint32_t count = ata_rw_count(rw, (uint16_t)(d->nsect | d->hob_nsect << 8), 0);
	uint64_t lba;

	if (rw->multiple && !d->set.mult) {
		ide_guest_error(d->ch->ide, "ide%u-%u: READ/WRITE MULTIPLE with multiple mode off",
				d->ch->index, d->unit);
		ata_error(d, ATA_ER_ABRT);
		return;
	}
	if (rw->write && d->blk->read_only) {
		ide_guest_error(d->ch->ide, "ide%u-%u: write to the read-only disk %s",
				d->ch->index, d->unit, d->blk->path);
		ata_error(d, ATA_ER_ABRT);
		return;
	}
	/* Never a transfer past the image: IDNF, ID not found (§7.9.6). */
	if (!ata_get_lba(d, rw->lba48, &lba) || lba > d->sectors || count > d->sectors - lba) {
		ide_guest_error(d->ch->ide, "ide%u-%u: command %02x: sectors past the end",
				d->ch->index, d->unit, rw->op);
		ata_error(d, ATA_ER_IDNF);
		return;
	}
	d->lba = lba;
	d->left = count;
	d->block = rw->multiple ? d->set.mult : 1;
	if (rw->verify)
		ata_complete(d);
	else if (rw->dma)
		ide_dma_begin(d, rw->write ? IDE_DMA_ATA_WRITE : IDE_DMA_ATA_READ);
	else if (rw->write)
		ata_write_block(d);
	else
		ata_read_block(d);
}

void ata_dma_done(struct ide_drive *d, int ret)
{
	if (!ret)
		ata_complete(d);
	else
		ata_error(d, ret == -EIO ? ATA_ER_UNC : ATA_ER_ABRT);
}

/* EXECUTE DEVICE DIAGNOSTIC runs on both devices whichever is selected (§8.11). */
static void ata_exec_diag(struct ide_channel *ch)
{
	struct ide_drive *d0 = &ch->drive[0];

	for (unsigned i = 0; i < 2; i++)
		if (ide_present(&ch->drive[i]))
			ata_reset_drive(&ch->drive[i], false);
	ide_raise_irq(ide_present(d0) ? d0 : &ch->drive[1]);
}

/* Commands both kinds of device accept; false if cmd is not one of them. */
static bool ata_exec_common(struct ide_drive *d, uint8_t cmd)
{
	int ret;

	switch (cmd) {
	case CMD_EXEC_DIAG:
		ata_exec_diag(d->ch);
		return true;
	case CMD_CHECK_POWER:
		d->nsect = 0xff;		/* active or idle */
		ata_complete(d);
		return true;
	case CMD_SET_FEATURES:
		if (ata_set_features(&d->set, d->feature, d->nsect, d->kind == IDE_DISK, false))
			ata_complete(d);
		else
			ata_error(d, ATA_ER_ABRT);
		return true;
	case CMD_STANDBY_IMMEDIATE:
	case CMD_IDLE_IMMEDIATE:
	case CMD_STANDBY:
	case CMD_IDLE:
	case CMD_SLEEP:
		ata_complete(d);
		return true;
	case CMD_FLUSH:
	case CMD_FLUSH_EXT:
		ret = d->blk ? blk_flush(d->blk) : 0;
		if (ret)
			vmm_warn("%s: flush failed: %s", d->blk->path, strerror(-ret));
		if (ret)
			ata_error(d, ATA_ER_ABRT);
		else
			ata_complete(d);
		return true;
	default:
		return false;
	}
}

static void ata_exec_disk(struct ide_drive *d, uint8_t cmd)
{
	const struct ata_rw *rw = ata_rw_find(cmd, false);

	if (rw) {
		ata_rw_start(d, rw);
		return;
	}
	switch (cmd) {
	case CMD_IDENTIFY:
		ata_send_identify(d, false);
		return;
	case CMD_SET_MULTIPLE:
		if (ata_set_multiple(&d->set, d->nsect, ATA_MAX_MULTIPLE))	/* up to word 47 */
			ata_complete(d);
		else
			ata_error(d, ATA_ER_ABRT);
		return;
	case CMD_INIT_PARAMS:
		if (!d->nsect) {
			ata_error(d, ATA_ER_ABRT);
			return;
		}
		d->heads = (d->device & 0xf) + 1u;
		d->spt = d->nsect;
		ata_complete(d);
		return;
	}
	if ((cmd & 0xf0) == 0x10 || (cmd & 0xf0) == 0x70) {	/* RECALIBRATE, SEEK */
		ata_complete(d);
		return;
	}
	/*
	 * IDENTIFY PACKET DEVICE to a disk is how firmware and drivers tell disks from ATAPI
	 * drives (ATA8-ACS §7.17: a non-packet device aborts it): an answer, not a guest error.
	 */
	if (cmd != 0xa1)
		ide_guest_error(d->ch->ide, "ide%u-%u: unsupported ATA command %02x",
				d->ch->index, d->unit, cmd);
	ata_error(d, ATA_ER_ABRT);
}

static void ata_exec_cdrom(struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case CMD_PACKET:
		atapi_packet_cmd(d);
		return;
	case CMD_IDENTIFY_PACKET:
		ata_send_identify(d, true);
		return;
	case CMD_DEVICE_RESET:
		/* §8.10: back to the signature, DRDY clear, and no interrupt. */
		ide_xfer_stop(d->ch);
		ata_reset_drive(d, false);
		return;
	case CMD_IDENTIFY:
	case CMD_READ_SECTORS:
	case CMD_READ_SECTORS_NR:
		/* §8.15: a packet device aborts these and shows its signature. */
		ata_error(d, ATA_ER_ABRT);
		ata_set_signature(d);
		return;
	}
	ide_guest_error(d->ch->ide, "ide%u-%u: ATA command %02x to a packet device",
			d->ch->index, d->unit, cmd);
	ata_error(d, ATA_ER_ABRT);
}

void ata_exec(struct ide_drive *d, uint8_t cmd)
{
	/* A new command ends whatever transfer was left half done. */
	ide_xfer_stop(d->ch);
	d->ch->ide->stats.commands++;
	if (ata_exec_common(d, cmd))
		return;
	if (d->kind == IDE_CDROM)
		ata_exec_cdrom(d, cmd);
	else
		ata_exec_disk(d, cmd);
}
