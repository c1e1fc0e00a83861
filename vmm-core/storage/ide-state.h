/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IDE controller's saved state layout (ide-state.c), for the loader and its tests. */
#ifndef VMM_IDE_STATE_H
#define VMM_IDE_STATE_H

#include <stdint.h>

#include "storage-state.h"

#define IDE_STATE_VERSION	1
#define IDE_STATE_NO_XD		0xff	/* no drive owns the transfer */

struct ide_drive_state {
	struct scsi_cd_state cd;
	struct ata_settings_state set;
	uint64_t lba;
	uint32_t left, block, cur_block, heads, spt;
	uint16_t limit;
	uint8_t kind;
	uint8_t feature, nsect, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t device, status, error, irq_pending, atapi_dma;
	uint8_t cdb[12];
	uint8_t pad[6];
};

struct ide_channel_state {
	struct ide_drive_state drive[2];
	uint32_t pos, end, total, bm_prd;
	uint8_t cur, devctl, irq_level, end_action, xd, dma, bm_cmd, bm_status;
};

/* Followed by buf_len[0] bytes of channel 0's buffer, then buf_len[1] of channel 1's. */
struct ide_state {
	uint32_t version;
	uint32_t buf_len[2];
	uint32_t pad;
	struct ide_channel_state ch[2];
};

_Static_assert(sizeof(struct ide_drive_state) == 88, "ide_drive_state layout");
_Static_assert(sizeof(struct ide_channel_state) == 200, "ide_channel_state layout");
_Static_assert(sizeof(struct ide_state) == 416, "ide_state layout");

#endif
