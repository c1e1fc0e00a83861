// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved-state pieces shared by the IDE and AHCI snapshots: ATA settings and CD-ROM sense. */
#include "storage-state.h"

#include <string.h>

#include "log.h"

_Static_assert(sizeof(struct ata_settings_state) == 8, "ata_settings_state layout");
_Static_assert(sizeof(struct scsi_cd_state) == 16, "scsi_cd_state layout");

/* GET EVENT STATUS NOTIFICATION media event codes we report (MMC-5 Table 150): 0, 2, 3. */
#define MEDIA_EVENT_MAX		0x03

bool state_flag_ok(uint8_t v, const char *dev, const char *field)
{
	if (v <= 1)
		return true;
	vmm_warn("snapshot: %s: %s is %u, not a flag", dev, field, v);
	return false;
}

void ata_settings_save(const struct ata_settings *s, struct ata_settings_state *out)
{
	memset(out, 0, sizeof(*out));
	out->mult = s->mult;
	out->xfer_mode = s->xfer_mode;
	out->write_cache = s->write_cache;
}

/* Accept exactly what SET MULTIPLE MODE and SET FEATURES could have set. */
bool ata_settings_check(const struct ata_settings_state *s, bool disk, bool sata,
			unsigned max_mult, const char *dev)
{
	struct ata_settings t = { 0 };

	if (!ata_set_multiple(&t, s->mult, max_mult)) {
		vmm_warn("snapshot: %s: multiple count %u is not a power of two up to %u", dev,
			 s->mult, max_mult);
		return false;
	}
	if (!ata_set_features(&t, SF_XFER_MODE, s->xfer_mode, disk, sata)) {
		vmm_warn("snapshot: %s: transfer mode %#x is not one the device offers", dev,
			 s->xfer_mode);
		return false;
	}
	/* Any device powers up with the flag set; only a disk lets the guest change it. */
	return state_flag_ok(s->write_cache, dev, "write cache");
}

void ata_settings_restore(struct ata_settings *s, const struct ata_settings_state *in)
{
	s->mult = in->mult;
	s->xfer_mode = in->xfer_mode;
	s->write_cache = in->write_cache;
}

void scsi_cd_save(const struct scsi_cd *cd, struct scsi_cd_state *out)
{
	memset(out, 0, sizeof(*out));
	out->sectors = cd->blk ? cd->sectors : 0;
	out->has_medium = cd->blk != NULL;
	out->sense_key = cd->sense_key;
	out->asc = cd->asc;
	out->ascq = cd->ascq;
	out->unit_attention = cd->unit_attention;
	out->tray_open = cd->tray_open;
	out->locked = cd->locked;
	out->media_event = cd->media_event;
}

static bool scsi_cd_flags_ok(const struct scsi_cd_state *s, const char *dev)
{
	return state_flag_ok(s->has_medium, dev, "medium present") &&
	       state_flag_ok(s->unit_attention, dev, "unit attention") &&
	       state_flag_ok(s->tray_open, dev, "tray open") &&
	       state_flag_ok(s->locked, dev, "medium lock");
}

bool scsi_cd_check(const struct scsi_cd *cd, const struct scsi_cd_state *s, const char *dev)
{
	bool has = cd->blk != NULL;

	if (!scsi_cd_flags_ok(s, dev))
		return false;
	if (s->has_medium != has || (has && s->sectors != cd->sectors)) {
		vmm_warn("snapshot: %s: medium (%s, %llu sectors) differs from the one attached "
			 "(%s, %llu sectors)", dev, s->has_medium ? "present" : "none",
			 (unsigned long long)s->sectors, has ? "present" : "none",
			 (unsigned long long)(has ? cd->sectors : 0));
		return false;
	}
	if (s->sense_key > 0xf) {	/* a 4-bit field (SPC-3 §4.5.3) */
		vmm_warn("snapshot: %s: sense key %#x out of range", dev, s->sense_key);
		return false;
	}
	if (s->media_event > MEDIA_EVENT_MAX || s->media_event == 1) {
		vmm_warn("snapshot: %s: media event %u is not one we report", dev, s->media_event);
		return false;
	}
	return true;
}

void scsi_cd_restore(struct scsi_cd *cd, const struct scsi_cd_state *in)
{
	cd->sense_key = in->sense_key;
	cd->asc = in->asc;
	cd->ascq = in->ascq;
	cd->unit_attention = in->unit_attention;
	cd->tray_open = in->tray_open;
	cd->locked = in->locked;
	cd->media_event = in->media_event;
}
