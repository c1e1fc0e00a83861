// SPDX-License-Identifier: GPL-2.0-or-later
/* ATAPI CD-ROM on IDE: the PACKET protocol, PIO DRQ pieces and BMDMA (commands: scsi-cd.c). */
#include "atapi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ata-common.h"
#include "ata.h"
#include "block/block.h"

/* Interrupt reason, read through the sector count register (ATA/ATAPI-6 §7.14). */
#define IREASON_COD		0x01
#define IREASON_IO		0x02

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- Completion and data phases (ATA/ATAPI-6 §9.8, PACKET protocol) ------------------ */

static void atapi_finish(struct ide_drive *d)
{
	ide_xfer_stop(d->ch);
	d->nsect = IREASON_COD | IREASON_IO;
	d->status = ATA_ST_DRDY;
	d->error = 0;
	ide_raise_irq(d);
}

/* CHECK CONDITION: the sense key goes in the error register's upper nibble (§7.9.6). */
static void atapi_fail(struct ide_drive *d)
{
	ide_xfer_stop(d->ch);
	d->nsect = IREASON_COD | IREASON_IO;
	d->status = ATA_ST_DRDY | ATA_ST_ERR;
	d->error = scsi_cd_error_reg(&d->atapi.cd);
	ide_raise_irq(d);
}

/* Refill the buffer with CD sectors; false (and the command failed) on error. */
static bool atapi_fill(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	uint32_t n = min_u32(d->left, IDE_BUF_SIZE / SCSI_CD_SECTOR);
	int ret;

	if (!scsi_cd_has_medium(&d->atapi.cd)) {
		scsi_cd_read_failed(&d->atapi.cd);
		atapi_fail(d);
		return false;
	}
	ret = blk_pread(d->blk, d->lba * SCSI_CD_SECTOR, ch->buf, (size_t)n * SCSI_CD_SECTOR);
	if (ret) {
		vmm_warn("%s: read error at sector %llu: %s", d->blk->path,
			 (unsigned long long)d->lba, strerror(-ret));
		scsi_cd_read_failed(&d->atapi.cd);
		atapi_fail(d);
		return false;
	}
	d->lba += n;
	d->left -= n;
	ch->pos = 0;
	ch->total = n * SCSI_CD_SECTOR;
	return true;
}

/*
 * The next PIO DRQ piece: at most the byte count limit the host gave with the PACKET
 * command, in whole sectors when the limit allows (§9.8; the count goes in the cylinder
 * registers), with an interrupt before each piece; then completion.
 */
void atapi_pio_next(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	uint32_t limit = d->atapi.limit, piece;

	if (ch->pos >= ch->total) {
		if (!d->left) {
			atapi_finish(d);
			return;
		}
		if (!atapi_fill(d))
			return;
	}
	if (limit >= SCSI_CD_SECTOR)
		limit -= limit % SCSI_CD_SECTOR;
	piece = min_u32(limit, ch->total - ch->pos);
	d->lbam = (uint8_t)piece;
	d->lbah = (uint8_t)(piece >> 8);
	d->nsect = IREASON_IO;
	d->status = ATA_ST_DRDY | ATA_ST_DRQ;
	ide_pio_start(d, ch->pos, ch->pos + piece, IDE_END_ATAPI);
	ide_raise_irq(d);
}

/* A response of len bytes sits in the buffer. */
static void atapi_send(struct ide_drive *d, uint32_t len)
{
	struct ide_channel *ch = d->ch;

	ch->pos = 0;
	ch->total = len;
	d->left = 0;
	if (!len)
		atapi_finish(d);
	else if (d->atapi.dma)
		ide_dma_begin(d, IDE_DMA_ATAPI_BUF);
	else
		atapi_pio_next(d);
}

static void atapi_start_read(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;

	ch->pos = ch->total = 0;
	if (!d->left)
		atapi_finish(d);
	else if (d->atapi.dma)
		ide_dma_begin(d, IDE_DMA_ATAPI_READ);
	else
		atapi_pio_next(d);
}

void atapi_dma_done(struct ide_drive *d, int ret)
{
	if (!ret) {
		atapi_finish(d);
		return;
	}
	if (ret == -EIO)
		scsi_cd_read_failed(&d->atapi.cd);
	else
		scsi_cd_sense(&d->atapi.cd, SENSE_ABORTED_COMMAND, 0, 0);
	atapi_fail(d);
}

/* ---- Commands: the MMC/SPC semantics live in scsi-cd.c ------------------------------ */

static void atapi_exec(struct ide_drive *d)
{
	struct scsi_cd_read rd;
	int r = scsi_cd_exec(&d->atapi.cd, d->atapi.cdb, d->ch->buf, &rd);

	if (r == SCSI_CD_CHECK) {
		atapi_fail(d);
	} else if (r == SCSI_CD_READ) {
		d->lba = rd.lba;
		d->left = (uint32_t)rd.count;
		atapi_start_read(d);
	} else {
		atapi_send(d, (uint32_t)r);
	}
}

/* ---- PACKET command and the drive ------------------------------------------------- */

/* PACKET (A0h, ATA/ATAPI-6 §8.21): features bit 0 = DMA; byte count limit in LBA mid/high. */
void atapi_packet_cmd(struct ide_drive *d)
{
	uint16_t limit = (uint16_t)(d->lbam | d->lbah << 8);

	if (d->feature & 0x02) {	/* overlapped commands are not supported */
		ata_error(d, ATA_ER_ABRT);
		return;
	}
	/* An odd limit is used as limit - 1 and 0 is not valid (§8.21.4): allow the most. */
	limit &= 0xfffe;
	d->atapi.limit = limit ? limit : 0xfffe;
	d->atapi.dma = d->feature & 0x01;
	d->nsect = IREASON_COD;
	d->status = ATA_ST_DRDY | ATA_ST_DRQ;
	ide_pio_start(d, 0, sizeof(d->atapi.cdb), IDE_END_PACKET);
}

void atapi_packet_received(struct ide_drive *d)
{
	memcpy(d->atapi.cdb, d->ch->buf, sizeof(d->atapi.cdb));
	d->ch->ide->stats.packets++;
	atapi_exec(d);
}

/* IDENTIFY PACKET DEVICE data (ATA/ATAPI-6 §8.16): the transfer modes and reset result. */
void atapi_identify_words(struct ide_drive *d, uint16_t *w)
{
	ata_identify_packet_words(w, d->serial);
	w[63] = ata_xfer_bits(d->set.xfer_mode, 4, 0x0007);
	w[82] = 0x0010 | 0x0008;		/* PACKET, power management */
	w[85] = 0x0010 | 0x0008;
	w[88] = ata_xfer_bits(d->set.xfer_mode, 8, 0x003f);
	w[93] = ata_reset_result(d);
}

void atapi_reset_drive(struct ide_drive *d)
{
	scsi_cd_reset(&d->atapi.cd);
	d->atapi.dma = false;
	d->atapi.limit = 0;
}

void atapi_set_medium(struct ide_drive *d, struct blk *blk)
{
	struct scsi_cd *cd = &d->atapi.cd;

	snprintf(cd->name, sizeof(cd->name), "ide%u-%u", d->ch->index, d->unit);
	cd->glog = d->ch->ide->glog;
	scsi_cd_set_medium(cd, blk);
	d->blk = blk;
}

int atapi_change_media(struct ide_drive *d, struct blk *new_or_NULL)
{
	struct ide *ide;

	if (!d || d->kind != IDE_CDROM)
		return -EINVAL;
	ide = d->ch->ide;
	pthread_mutex_lock(&ide->lock);
	/* A command still moving data from the old disc ends here, not on the new one. */
	if (d->ch->xd == d) {
		if (new_or_NULL)
			scsi_cd_sense(&d->atapi.cd, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
		else
			scsi_cd_sense(&d->atapi.cd, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
		atapi_fail(d);
	}
	scsi_cd_change_media(&d->atapi.cd, new_or_NULL);
	d->blk = new_or_NULL;
	pthread_mutex_unlock(&ide->lock);
	return 0;
}

bool atapi_tray_is_open(struct ide_drive *d)
{
	bool open;

	if (!d || d->kind != IDE_CDROM)
		return false;
	pthread_mutex_lock(&d->ch->ide->lock);
	open = d->atapi.cd.tray_open;
	pthread_mutex_unlock(&d->ch->ide->lock);
	return open;
}
