/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MMC-5/SPC-3 CD/DVD-ROM command set, shared by the IDE and AHCI ATAPI transports. */
#ifndef VMM_SCSI_CD_H
#define VMM_SCSI_CD_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct blk;

/*
 * The transport-independent half of an ATAPI CD-ROM: a command packet goes in, a response
 * in a buffer (or a range of 2048-byte sectors to read) and sense data come out. The
 * transport (IDE task file and BMDMA, or AHCI FISes and PRDs) moves the data and signals
 * the result. Everything runs under the transport's lock.
 */

/* Sense keys (SPC-3 §4.5.6) and the additional sense codes we report. */
#define SENSE_NONE		0x0
#define SENSE_NOT_READY		0x2
#define SENSE_MEDIUM_ERROR	0x3
#define SENSE_ILLEGAL_REQUEST	0x5
#define SENSE_UNIT_ATTENTION	0x6
#define SENSE_ABORTED_COMMAND	0xb
#define ASC_UNRECOVERED_READ	0x11
#define ASC_INVALID_OPCODE	0x20
#define ASC_LBA_OUT_OF_RANGE	0x21
#define ASC_INVALID_FIELD	0x24
#define ASC_MEDIUM_CHANGED	0x28
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_NO_MEDIUM		0x3a
#define ASC_REMOVAL_PREVENTED	0x53

#define SCSI_CD_SECTOR		2048u
#define SCSI_CD_BUF_MIN		256u	/* the largest response scsi_cd_exec builds, rounded up */

/* scsi_cd_exec results besides a response length. */
#define SCSI_CD_CHECK		(-1)	/* CHECK CONDITION: the sense data says why */
#define SCSI_CD_READ		(-2)	/* move sectors [lba, lba + count) to the host */

struct scsi_cd {
	struct blk *blk;		/* borrowed; NULL: no medium */
	uint64_t sectors;		/* 2048-byte sectors of the medium */
	uint8_t sense_key, asc, ascq;
	bool unit_attention;		/* a new medium not yet reported to the guest */
	bool tray_open;			/* opened by the guest (START STOP UNIT); medium stays */
	bool locked;			/* PREVENT ALLOW MEDIUM REMOVAL */
	uint8_t media_event;		/* GET EVENT STATUS NOTIFICATION media event, 0: none */
	struct vmm_guest_log *glog;	/* may be NULL */
	char name[24];			/* for guest error logs: "ide1-0", "ahci.1" */
};

/* A range of sectors a READ asks for, already checked against the medium. */
struct scsi_cd_read {
	uint64_t lba, count;
};

/*
 * Run the 12-byte command packet cdb. The response goes in buf (SCSI_CD_BUF_MIN bytes at
 * least); the result is its length (already cut to the allocation length), SCSI_CD_CHECK,
 * or SCSI_CD_READ with *rd filled in.
 */
int scsi_cd_exec(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd);
/* Set the sense data; returns SCSI_CD_CHECK. */
int scsi_cd_sense(struct scsi_cd *cd, uint8_t key, uint8_t asc, uint8_t ascq);
bool scsi_cd_has_medium(const struct scsi_cd *cd);
/* The ATA error register of a CHECK CONDITION: sense key in 7:4, ABRT for bad commands. */
uint8_t scsi_cd_error_reg(const struct scsi_cd *cd);
/* A failed sector read of the medium: NOT READY without one, else MEDIUM ERROR. */
int scsi_cd_read_failed(struct scsi_cd *cd);

/* Device reset: the sense data is cleared. */
void scsi_cd_reset(struct scsi_cd *cd);
/* Load blk (or nothing) with the tray closed; warn the host if it is not an ISO/UDF image. */
void scsi_cd_set_medium(struct scsi_cd *cd, struct blk *blk);
/* The host changed the medium: set it, then a media event and (for a new one) UNIT ATTENTION. */
void scsi_cd_change_media(struct scsi_cd *cd, struct blk *blk);

#endif
