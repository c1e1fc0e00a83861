/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ATAPI CD-ROM on IDE: PACKET protocol entry points, host media changes (commands: scsi-cd.h). */
#ifndef VMM_ATAPI_H
#define VMM_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "scsi-cd.h"

struct blk;
struct ide_drive;

/*
 * Host side: put a new medium in the drive (new_or_NULL) or take it out (NULL), as the user
 * does from the UI; it works even while the guest has locked the tray, because the user
 * owns the host file. The guest sees UNIT ATTENTION (6/28/00) once for a new medium and a
 * media event in GET EVENT STATUS NOTIFICATION; without a medium, NOT READY (2/3A/00).
 * The old blk is no longer used once this returns; the caller may close it.
 * A medium that does not look like an ISO 9660/UDF image gets a host warning only.
 * 0, or -EINVAL if dev is not a CD-ROM drive.
 */
int atapi_change_media(struct ide_drive *dev, struct blk *new_or_NULL);
/* True while the guest has the tray open (ejected with START STOP UNIT). */
bool atapi_tray_is_open(struct ide_drive *dev);

/* Internal to storage/: called by ata.c and ide.c with the controller lock held. */
void atapi_reset_drive(struct ide_drive *d);
void atapi_set_medium(struct ide_drive *d, struct blk *blk);
void atapi_packet_cmd(struct ide_drive *d);	/* ATA command A0h */
void atapi_packet_received(struct ide_drive *d);
void atapi_pio_next(struct ide_drive *d);
void atapi_dma_done(struct ide_drive *d, int ret);
void atapi_identify_words(struct ide_drive *d, uint16_t *w);

#endif
