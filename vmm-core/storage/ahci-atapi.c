// SPDX-License-Identifier: GPL-2.0-or-later
/* ATAPI CD-ROM over SATA: the PACKET command's data phase and result (commands: scsi-cd.c). */
#include "ahci-dev.h"

#include <stdio.h>

#include "ata-common.h"

/*
 * PACKET (ATA8-ACS §7.26): FEATURES bit 0 selects DMA, else PIO. On SATA the packet travels
 * in the command FIS's companion (AHCI ACMD); the result registers are the interrupt reason
 * in COUNT (I/O and C/D: command complete) and the sense key in ERROR bits 7:4.
 */
void sata_atapi_exec(struct sata_dev *d, struct sata_req *r)
{
	struct scsi_cd_read rd;
	int n;

	r->pio = !(r->tf.features & 0x01);
	n = scsi_cd_exec(&d->atapi, r->cdb, d->buf, &rd);
	if (n == SCSI_CD_READ) {
		int ret = sata_blk_to_host(d, r, rd.lba * SCSI_CD_SECTOR,
					   rd.count * SCSI_CD_SECTOR);

		n = ret && !r->xfer_err ? scsi_cd_read_failed(&d->atapi) : 0;
	} else if (n > 0 && sata_data(r, d->buf, (size_t)n, true)) {
		return;
	}
	if (r->xfer_err)
		return;
	r->tf.count = 0x03;
	r->tf.lba &= ~0xffff00ull;
	if (n == SCSI_CD_CHECK) {
		r->tf.status = SATA_ST_DRDY | SATA_ST_ERR;
		r->tf.error = scsi_cd_error_reg(&d->atapi);
		return;
	}
	r->tf.status = SATA_ST_DRDY;
	r->tf.error = 0;
}

/* IDENTIFY PACKET DEVICE (ATA8-ACS §7.17): the SATA words. */
void sata_atapi_identify(struct sata_dev *d, uint16_t *w)
{
	ata_identify_packet_words(w, d->serial);
	w[63] = 0x0007;			/* multiword DMA 0-2 */
	w[76] = 0x0008 | 0x0004 | 0x0002;	/* SATA Gen3, Gen2, Gen1 */
	w[82] = 0x4010;			/* NOP, PACKET */
	w[85] = 0x4010;
	w[88] = 0x007f;			/* Ultra DMA 0-6 */
}

void sata_atapi_reset(struct sata_dev *d)
{
	d->atapi.locked = false;
	scsi_cd_reset(&d->atapi);
}

/* At init (changed false) or when the host changes the medium. */
void sata_atapi_set_medium(struct sata_dev *d, struct blk *blk, bool changed)
{
	snprintf(d->atapi.name, sizeof(d->atapi.name), "%s", d->name);
	d->atapi.glog = d->glog;
	if (changed)
		scsi_cd_change_media(&d->atapi, blk);
	else
		scsi_cd_set_medium(&d->atapi, blk);
	d->blk = blk;
}
