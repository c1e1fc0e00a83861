// SPDX-License-Identifier: GPL-2.0-or-later
/* MMC-5/SPC-3 CD/DVD-ROM command set on a 2048-byte-sector image, shared by IDE and AHCI. */
#include "scsi-cd.h"

#include <string.h>

#include "block/block.h"

/* Operation codes (SPC-3 §6; MMC-5 §6). */
#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_INQUIRY		0x12
#define OP_MODE_SENSE_6		0x1a
#define OP_START_STOP_UNIT	0x1b
#define OP_PREVENT_ALLOW	0x1e
#define OP_READ_CAPACITY	0x25
#define OP_READ_10		0x28
#define OP_SEEK_10		0x2b
#define OP_READ_TOC		0x43
#define OP_GET_CONFIGURATION	0x46
#define OP_GET_EVENT_STATUS	0x4a
#define OP_READ_DISC_INFO	0x51
#define OP_MODE_SENSE_10	0x5a
#define OP_READ_12		0xa8
#define OP_SET_CD_SPEED		0xbb
#define OP_MECHANISM_STATUS	0xbd
#define OP_READ_CD		0xbe

/* GET EVENT STATUS NOTIFICATION media events (MMC-5 §6.8.2.5, Table 149). */
#define MEDIA_EVENT_NEW		0x02
#define MEDIA_EVENT_REMOVAL	0x03

#define PROFILE_CDROM		0x0008
#define PROFILE_DVDROM		0x0010
#define CD_MAX_SECTORS		360000u	/* 80-minute CD; anything larger is a DVD */
#define CMD_NEEDS_MEDIUM	0x01
#define CMD_NO_UA		0x02	/* answered even with a unit attention pending */

struct cd_cmd {
	uint8_t op, flags;
	int (*fn)(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd);
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static int min_len(uint32_t len, uint32_t alloc)
{
	return (int)(len < alloc ? len : alloc);
}

int scsi_cd_sense(struct scsi_cd *cd, uint8_t key, uint8_t asc, uint8_t ascq)
{
	cd->sense_key = key;
	cd->asc = asc;
	cd->ascq = ascq;
	return SCSI_CD_CHECK;
}

bool scsi_cd_has_medium(const struct scsi_cd *cd)
{
	return cd->blk && !cd->tray_open;
}

/* PACKET error output (ATA8-ACS §7.26.4): sense key in bits 7:4, ABRT for a bad command. */
uint8_t scsi_cd_error_reg(const struct scsi_cd *cd)
{
	uint8_t err = (uint8_t)(cd->sense_key << 4);

	if (cd->sense_key == SENSE_ILLEGAL_REQUEST || cd->sense_key == SENSE_ABORTED_COMMAND)
		err |= 0x04;
	return err;
}

int scsi_cd_read_failed(struct scsi_cd *cd)
{
	if (!scsi_cd_has_medium(cd))
		return scsi_cd_sense(cd, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
	return scsi_cd_sense(cd, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
}

/* ---- Commands ------------------------------------------------------------------- */

static int cmd_nop(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd)
{
	return 0;
}

/* Fixed-format sense data (SPC-3 §4.5.3); reporting it clears it, a unit attention first. */
static int cmd_request_sense(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			     struct scsi_cd_read *rd)
{
	if (cd->unit_attention) {
		cd->unit_attention = false;
		scsi_cd_sense(cd, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	}
	memset(buf, 0, 18);
	buf[0] = 0x70;
	buf[2] = cd->sense_key;
	buf[7] = 10;
	buf[12] = cd->asc;
	buf[13] = cd->ascq;
	scsi_cd_sense(cd, SENSE_NONE, 0, 0);
	return min_len(18, cdb[4]);
}

/* Standard INQUIRY data (SPC-3 §6.4.2): a removable CD/DVD device. */
static int cmd_inquiry(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
		       struct scsi_cd_read *rd)
{
	if ((cdb[1] & 1) || cdb[2])	/* no vital product data pages */
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 36);
	buf[0] = 0x05;
	buf[1] = 0x80;
	buf[2] = 0x05;			/* SPC-3 */
	buf[3] = 0x02;			/* response data format 2 */
	buf[4] = 36 - 5;
	memcpy(buf + 8, "VESSEL  ", 8);
	memcpy(buf + 16, "DVD-ROM         ", 16);
	memcpy(buf + 32, "1.0 ", 4);
	return min_len(36, get_be16(cdb + 3));
}

/* START STOP UNIT (MMC-5 §6.39): LoEj with Start clear opens the tray, with Start closes. */
static int cmd_start_stop(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			  struct scsi_cd_read *rd)
{
	if (!(cdb[4] & 0x02))
		return 0;
	if (cdb[4] & 0x01) {
		if (cd->tray_open && cd->blk) {
			cd->unit_attention = true;
			cd->media_event = MEDIA_EVENT_NEW;
		}
		cd->tray_open = false;
		return 0;
	}
	if (cd->locked)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
	if (!cd->tray_open)
		cd->media_event = MEDIA_EVENT_REMOVAL;
	cd->tray_open = true;
	return 0;
}

static int cmd_prevent_allow(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			     struct scsi_cd_read *rd)
{
	cd->locked = cdb[4] & 0x01;
	return 0;
}

static int cmd_read_capacity(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			     struct scsi_cd_read *rd)
{
	uint64_t last = cd->sectors ? cd->sectors - 1 : 0;

	put_be32(buf, last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(buf + 4, SCSI_CD_SECTOR);
	return 8;
}

static int check_range(struct scsi_cd *cd, uint64_t lba, uint64_t count)
{
	if (lba <= cd->sectors && count <= cd->sectors - lba)
		return 0;
	if (cd->glog)
		vmm_guest_error(cd->glog, "%s: CD access of %llu sectors at %llu past the end",
				cd->name, (unsigned long long)count, (unsigned long long)lba);
	return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
}

static int start_read(struct scsi_cd *cd, uint64_t lba, uint64_t count, struct scsi_cd_read *rd)
{
	if (check_range(cd, lba, count))
		return SCSI_CD_CHECK;
	rd->lba = lba;
	rd->count = count;
	return SCSI_CD_READ;
}

/* READ(10) and READ(12) (MMC-5 §6.15, §6.16). */
static int cmd_read(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd)
{
	uint32_t count = cdb[0] == OP_READ_10 ? get_be16(cdb + 7) : get_be32(cdb + 6);

	return start_read(cd, get_be32(cdb + 2), count, rd);
}

/* READ CD (MMC-5 §6.19): user data of data sectors only, which is what a disc image has. */
static int cmd_read_cd(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
		       struct scsi_cd_read *rd)
{
	uint32_t count = (uint32_t)cdb[6] << 16 | get_be16(cdb + 7);
	uint8_t type = (cdb[1] >> 2) & 7;

	if (!count)
		return 0;
	if ((type != 0 && type != 2) || cdb[9] != 0x10)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	return start_read(cd, get_be32(cdb + 2), count, rd);
}

static int cmd_seek(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd)
{
	return check_range(cd, get_be32(cdb + 2), 0);
}

/* Mode pages (MMC-5 §7): read error recovery (01h) and capabilities (2Ah, MMC-3 §5.5.10). */
static unsigned mode_pages(const struct scsi_cd *cd, unsigned page, uint8_t *p)
{
	unsigned n = 0;

	if (page == 0x01 || page == 0x3f) {
		memset(p, 0, 8);
		p[0] = 0x01;
		p[1] = 6;
		p[3] = 5;		/* read retry count */
		n += 8;
	}
	if (page == 0x2a || page == 0x3f) {
		uint8_t *c = p + n;

		memset(c, 0, 22);
		c[0] = 0x2a;
		c[1] = 20;
		c[2] = 0x0b;		/* reads CD-R, CD-RW, DVD-ROM */
		c[4] = 0x70;		/* mode 2 form 1 and 2, multi-session */
		c[6] = 0x20 | 0x08 | 0x01 | (cd->locked ? 0x02 : 0);	/* tray, eject, lock */
		put_be16(c + 8, 2816);	/* 16x, kB/s */
		put_be16(c + 12, 512);	/* buffer, KiB */
		put_be16(c + 14, 2816);
		n += 22;
	}
	return n;
}

/* MODE SENSE(6) and (10) (SPC-3 §6.9, §6.10): current and default values only. */
static int cmd_mode_sense(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			  struct scsi_cd_read *rd)
{
	bool ten = cdb[0] == OP_MODE_SENSE_10;
	unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3f, hdr = ten ? 8 : 4, n;
	uint32_t alloc = ten ? get_be16(cdb + 7) : cdb[4];

	if (pc == 3)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
	memset(buf, 0, hdr);
	n = mode_pages(cd, page, buf + hdr);
	if (!n)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	if (pc == 1)		/* changeable values: none; the page headers stay */
		for (unsigned i = 0; i + 1 < n; i += 2u + buf[hdr + i + 1])
			memset(&buf[hdr + i + 2], 0, buf[hdr + i + 1]);
	n += hdr;
	if (ten)
		put_be16(buf, (uint16_t)(n - 2));
	else
		buf[0] = (uint8_t)(n - 1);
	return min_len(n, alloc);
}

/* A TOC address: LBA, or MSF counting the 2-second pregap (MMC-5 §6.26.3). */
static void toc_addr(uint8_t *p, uint64_t lba, bool msf)
{
	uint64_t f = lba + 150;

	if (!msf) {
		put_be32(p, lba > UINT32_MAX ? UINT32_MAX : (uint32_t)lba);
		return;
	}
	p[0] = 0;
	p[1] = (uint8_t)(f / 4500 > 255 ? 255 : f / 4500);
	p[2] = (uint8_t)(f / 75 % 60);
	p[3] = (uint8_t)(f % 75);
}

/* READ TOC/PMA/ATIP (MMC-5 §6.26): one data track and the lead-out; format 1: one session. */
static int cmd_read_toc(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			struct scsi_cd_read *rd)
{
	bool msf = cdb[1] & 0x02;
	unsigned format = (cdb[2] & 0x0f) ? (cdb[2] & 0x0f) : (unsigned)(cdb[9] >> 6);
	unsigned track = cdb[6];
	uint8_t *p = buf + 4;

	if (format > 1 || (format == 0 && track > 1 && track != 0xaa))
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 20);
	buf[2] = 1;		/* first and last track / session */
	buf[3] = 1;
	if (format == 0 && track <= 1) {
		p[1] = 0x14;	/* ADR 1, data track */
		p[2] = 1;
		toc_addr(p + 4, 0, msf);
		p += 8;
	}
	p[1] = 0x14;
	p[2] = format == 1 ? 1 : 0xaa;	/* session's first track, or the lead-out */
	toc_addr(p + 4, format == 1 ? 0 : cd->sectors, msf);
	p += 8;
	put_be16(buf, (uint16_t)(p - buf - 2));
	return min_len((uint32_t)(p - buf), get_be16(cdb + 7));
}

/* One feature descriptor (MMC-5 §5.2.2); flags: version, persistent, current. */
static unsigned feature(uint8_t *p, uint16_t code, uint8_t flags, uint8_t len)
{
	memset(p, 0, 4u + len);
	put_be16(p, code);
	p[2] = flags;
	p[3] = len;
	return 4u + len;
}

static unsigned put_feature(uint8_t *p, uint16_t c, bool current, uint16_t profile)
{
	unsigned n;

	switch (c) {
	case 0x0000:		/* profile list */
		n = feature(p, c, 0x03, 8);
		put_be16(p + 4, PROFILE_DVDROM);
		p[6] = profile == PROFILE_DVDROM;
		put_be16(p + 8, PROFILE_CDROM);
		p[10] = profile == PROFILE_CDROM;
		return n;
	case 0x0001:		/* core */
		n = feature(p, c, 0x0b, 8);
		put_be32(p + 4, 2);	/* physical interface: ATAPI */
		return n;
	case 0x0003:		/* removable medium: tray, eject, lock */
		n = feature(p, c, 0x03, 4);
		p[4] = 0x20 | 0x08 | 0x01;
		return n;
	default:		/* 0010h random readable */
		n = feature(p, c, current ? 0x01 : 0x00, 8);
		put_be32(p + 4, SCSI_CD_SECTOR);
		put_be16(p + 8, 1);
		return n;
	}
}

/* GET CONFIGURATION (MMC-5 §6.6): profile list, core, removable medium, random readable. */
static int cmd_get_configuration(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
				 struct scsi_cd_read *rd)
{
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0003, 0x0010 };
	unsigned rt = cdb[1] & 3, start = get_be16(cdb + 2), len = 8;
	bool medium = scsi_cd_has_medium(cd);
	uint16_t profile = !medium ? 0 : cd->sectors > CD_MAX_SECTORS ? PROFILE_DVDROM :
			   PROFILE_CDROM;

	if (rt == 3)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint16_t c = codes[i];
		bool current = c != 0x0010 || medium;

		if (c < start || (rt == 2 && c != start) || (rt == 1 && !current))
			continue;
		len += put_feature(buf + len, c, current, profile);
	}
	put_be32(buf, len - 4);
	put_be16(buf + 6, profile);
	return min_len(len, get_be16(cdb + 7));
}

/* Polled GET EVENT STATUS NOTIFICATION, media class only (MMC-5 §6.8). */
static int cmd_get_event_status(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
				struct scsi_cd_read *rd)
{
	unsigned len = 4;

	if (!(cdb[1] & 0x01))	/* asynchronous operation is not supported */
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	buf[3] = 0x10;		/* supported: media */
	if (cdb[4] & 0x10) {
		buf[2] = 0x04;
		buf[4] = cd->media_event;
		buf[5] = (uint8_t)((cd->tray_open ? 0x01 : 0) |
				   (scsi_cd_has_medium(cd) ? 0x02 : 0));
		cd->media_event = 0;
		len = 8;
	} else {
		buf[2] = 0x80;	/* no event available */
	}
	put_be16(buf, (uint16_t)(len - 2));
	return min_len(len, get_be16(cdb + 7));
}

/* READ DISC INFORMATION (MMC-5 §6.22): a finished, single-session, one-track disc. */
static int cmd_read_disc_info(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
			      struct scsi_cd_read *rd)
{
	if (cdb[1] & 0x07)
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 34);
	put_be16(buf, 32);
	buf[2] = 0x0e;		/* last session complete, disc complete */
	buf[3] = 1;
	buf[4] = 1;
	buf[5] = 1;
	buf[6] = 1;
	buf[7] = 0x20;		/* unrestricted use */
	put_be32(buf + 16, UINT32_MAX);	/* no lead-in / lead-out start times */
	put_be32(buf + 20, UINT32_MAX);
	return min_len(34, get_be16(cdb + 7));
}

/* MECHANISM STATUS (MMC-5 §6.11): no changer; the door state. */
static int cmd_mechanism_status(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf,
				struct scsi_cd_read *rd)
{
	memset(buf, 0, 8);
	buf[1] = cd->tray_open ? 0x10 : 0;
	return min_len(8, get_be16(cdb + 8));
}

static const struct cd_cmd cd_cmds[] = {
	{ OP_TEST_UNIT_READY, CMD_NEEDS_MEDIUM, cmd_nop },
	{ OP_REQUEST_SENSE, CMD_NO_UA, cmd_request_sense },
	{ OP_INQUIRY, CMD_NO_UA, cmd_inquiry },
	{ OP_MODE_SENSE_6, 0, cmd_mode_sense },
	{ OP_START_STOP_UNIT, 0, cmd_start_stop },
	{ OP_PREVENT_ALLOW, 0, cmd_prevent_allow },
	{ OP_READ_CAPACITY, CMD_NEEDS_MEDIUM, cmd_read_capacity },
	{ OP_READ_10, CMD_NEEDS_MEDIUM, cmd_read },
	{ OP_SEEK_10, CMD_NEEDS_MEDIUM, cmd_seek },
	{ OP_READ_TOC, CMD_NEEDS_MEDIUM, cmd_read_toc },
	{ OP_GET_CONFIGURATION, CMD_NO_UA, cmd_get_configuration },
	{ OP_GET_EVENT_STATUS, CMD_NO_UA, cmd_get_event_status },
	{ OP_READ_DISC_INFO, CMD_NEEDS_MEDIUM, cmd_read_disc_info },
	{ OP_MODE_SENSE_10, 0, cmd_mode_sense },
	{ OP_READ_12, CMD_NEEDS_MEDIUM, cmd_read },
	{ OP_SET_CD_SPEED, 0, cmd_nop },
	{ OP_MECHANISM_STATUS, 0, cmd_mechanism_status },
	{ OP_READ_CD, CMD_NEEDS_MEDIUM, cmd_read_cd },
};

static const struct cd_cmd *cd_find(uint8_t op)
{
	for (size_t i = 0; i < sizeof(cd_cmds) / sizeof(cd_cmds[0]); i++)
		if (cd_cmds[i].op == op)
			return &cd_cmds[i];
	return NULL;
}

/* Unit attention first (SPC-3 §5.9.7; MMC-5 §4.1.6.1 exempts GESN and GET CONFIG). */
int scsi_cd_exec(struct scsi_cd *cd, const uint8_t *cdb, uint8_t *buf, struct scsi_cd_read *rd)
{
	const struct cd_cmd *c = cd_find(cdb[0]);

	if (!c) {
		if (cd->glog)
			vmm_guest_error(cd->glog, "%s: unsupported packet command %02x",
					cd->name, cdb[0]);
		return scsi_cd_sense(cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
	}
	if (cd->unit_attention && !(c->flags & CMD_NO_UA)) {
		cd->unit_attention = false;
		return scsi_cd_sense(cd, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	}
	if ((c->flags & CMD_NEEDS_MEDIUM) && !scsi_cd_has_medium(cd))
		return scsi_cd_sense(cd, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
	if (c->op != OP_REQUEST_SENSE)
		scsi_cd_sense(cd, SENSE_NONE, 0, 0);
	return c->fn(cd, cdb, buf, rd);
}

/* ---- The medium ------------------------------------------------------------------ */

void scsi_cd_reset(struct scsi_cd *cd)
{
	scsi_cd_sense(cd, SENSE_NONE, 0, 0);
}

/*
 * ISO 9660 puts its volume descriptors from sector 16 (32 KiB) on, "CD001" at byte 1
 * (ECMA-119 §8.1); UDF starts its recognition sequence there too ("BEA01", "NSR0x",
 * ECMA-167 §2/9.1). Anything else still attaches — the guest decides — but the user hears.
 */
static void check_image(struct blk *b)
{
	uint8_t vd[6];
	bool ok = b->size >= 32768 + SCSI_CD_SECTOR && !blk_pread(b, 32768, vd, sizeof(vd)) &&
		  (!memcmp(vd + 1, "CD001", 5) || !memcmp(vd + 1, "BEA01", 5) ||
		   !memcmp(vd + 1, "NSR0", 4));

	if (b->size % SCSI_CD_SECTOR)
		vmm_warn("%s: not an ISO image? Its size (%llu bytes) is not a multiple of 2048; "
			 "the last %llu bytes are not visible to the guest", b->path,
			 (unsigned long long)b->size,
			 (unsigned long long)(b->size % SCSI_CD_SECTOR));
	if (!ok)
		vmm_warn("%s: not an ISO image (no ISO 9660 or UDF volume descriptor at 32 KiB); "
			 "the guest will probably not be able to read it", b->path);
}

void scsi_cd_set_medium(struct scsi_cd *cd, struct blk *blk)
{
	cd->blk = blk;
	cd->sectors = blk ? blk->size / SCSI_CD_SECTOR : 0;
	cd->tray_open = false;
	if (blk)
		check_image(blk);
}

void scsi_cd_change_media(struct scsi_cd *cd, struct blk *blk)
{
	scsi_cd_set_medium(cd, blk);
	cd->media_event = blk ? MEDIA_EVENT_NEW : MEDIA_EVENT_REMOVAL;
	cd->unit_attention = blk != NULL;
}
