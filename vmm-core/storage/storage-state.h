/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saved-state pieces shared by the IDE and AHCI snapshots: ATA settings and CD-ROM sense. */
#ifndef VMM_STORAGE_STATE_H
#define VMM_STORAGE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ata-common.h"
#include "scsi-cd.h"

/*
 * Plain data, fixed-width, no implicit padding (the sizes are asserted in storage-state.c).
 * The check functions treat the saved copy as hostile and name the bad field in one
 * "snapshot: <dev>: <field> ..." warning; they change nothing.
 */
struct ata_settings_state {
	uint32_t mult;
	uint8_t xfer_mode;
	uint8_t write_cache;
	uint8_t pad[2];
};

struct scsi_cd_state {
	uint64_t sectors;		/* of the medium the VM had; must match the one loaded */
	uint8_t has_medium;
	uint8_t sense_key, asc, ascq;
	uint8_t unit_attention, tray_open, locked, media_event;
};

void ata_settings_save(const struct ata_settings *s, struct ata_settings_state *out);
/* sata: Ultra DMA 6 is allowed; max_mult: the SET MULTIPLE limit. */
bool ata_settings_check(const struct ata_settings_state *s, bool disk, bool sata,
			unsigned max_mult, const char *dev);
void ata_settings_restore(struct ata_settings *s, const struct ata_settings_state *in);

void scsi_cd_save(const struct scsi_cd *cd, struct scsi_cd_state *out);
/* Also refuses a medium that differs from the one attached now (presence and size). */
bool scsi_cd_check(const struct scsi_cd *cd, const struct scsi_cd_state *s, const char *dev);
void scsi_cd_restore(struct scsi_cd *cd, const struct scsi_cd_state *in);

/* A saved flag byte is 0 or 1; else warn about `field` and return false. */
bool state_flag_ok(uint8_t v, const char *dev, const char *field);

#endif
