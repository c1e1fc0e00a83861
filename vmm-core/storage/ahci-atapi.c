// SPDX-License-Identifier: GPL-2.0-or-later
/* ATAPI CD-ROM over SATA: MMC-5/SPC-3 packet commands on a 2048-byte-sector image. */
#include "ahci-dev.h"

#include <errno.h>
#include <string.h>

#include "block/block.h"

/* Operation codes (SPC-3 §6, MMC-5 §6). */
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

/* Sense keys (SPC-3 §4.5.6) and additional sense codes. */
#define SK_NONE			0x0
#define SK_NOT_READY		0x2
#define SK_ILLEGAL_REQUEST	0x5
#define SK_UNIT_ATTENTION	0x6
#define ASC_INVALID_OPCODE	0x20
#define ASC_LBA_OUT_OF_RANGE	0x21
#define ASC_INVALID_FIELD	0x24
#define ASC_MEDIUM_CHANGED	0x28
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_NO_MEDIUM		0x3a
#define ASC_REMOVAL_PREVENTED	0x53

/* GET EVENT STATUS NOTIFICATION media events (MMC-5 §6.6.2.4, Table 156). */
#define MEDIA_EV_EJECT_REQUEST	0x01
#define MEDIA_EV_NEW		0x02
#define MEDIA_EV_REMOVAL	0x03

#define PROFILE_CDROM		0x0008
#define PROFILE_DVDROM		0x0010
#define CD_MAX_SECTORS		(80u * 60 * 75)	/* an 80-minute CD; larger media are DVDs */

/* What a handler returns: bytes of response in buf, or one of these. */
#define ATAPI_CHECK		(-1)	/* CHECK CONDITION: the sense data says why */
#define ATAPI_DONE		(-2)	/* data already moved (reads) */

#define CMD_NEEDS_MEDIUM	0x01
#define CMD_NO_UA		0x02	/* runs despite a pending unit attention */

struct atapi_cmd {
	uint8_t op, flags;
	int (*fn)(struct sata_dev *d, struct sata_req *r, uint8_t *buf);
};

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static uint32_t get_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
	return get_be16(p) << 16 | get_be16(p + 2);
}

static int sense(struct sata_dev *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	d->atapi.sense_key = key;
	d->atapi.asc = asc;
	d->atapi.ascq = ascq;
	return ATAPI_CHECK;
}

static bool has_medium(const struct sata_dev *d)
{
	return d->blk && !d->atapi.tray_open;
}

/* ---- Commands ---------------------------------------------------------------------- */

static int cmd_test_unit_ready(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	return 0;
}

/* Fixed-format sense data (SPC-3 §4.5.3); reporting it clears it. */
static int cmd_request_sense(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint32_t alloc = r->cdb[4];

	memset(buf, 0, 18);
	buf[0] = 0x70;
	buf[2] = d->atapi.sense_key;
	buf[7] = 10;
	buf[12] = d->atapi.asc;
	buf[13] = d->atapi.ascq;
	sense(d, SK_NONE, 0, 0);
	return (int)(alloc < 18 ? alloc : 18);
}

/* Standard INQUIRY data (SPC-3 §6.4.2): a removable CD/DVD device. */
static int cmd_inquiry(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint32_t alloc = get_be16(&r->cdb[3]);

	if (r->cdb[1] & 0x01)		/* EVPD: no vital product data pages */
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 36);
	buf[0] = 0x05;
	buf[1] = 0x80;
	buf[2] = 0x05;			/* SPC-3 */
	buf[3] = 0x32;			/* HiSup, response data format 2 */
	buf[4] = 31;
	memcpy(&buf[8], "VESSEL  ", 8);
	memcpy(&buf[16], "DVD-ROM         ", 16);
	memcpy(&buf[32], "1.0 ", 4);
	return (int)(alloc < 36 ? alloc : 36);
}

/* START STOP UNIT (MMC-5 §6.39): LoEj with Start clear opens the tray, with Start closes. */
static int cmd_start_stop(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	bool loej = r->cdb[4] & 0x02, start = r->cdb[4] & 0x01;

	if (!loej)
		return 0;
	if (!start) {
		if (d->atapi.locked)
			return sense(d, SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
		d->atapi.tray_open = true;
		d->atapi.media_event = MEDIA_EV_EJECT_REQUEST;
	} else if (d->atapi.tray_open) {
		d->atapi.tray_open = false;
		d->atapi.media_event = d->blk ? MEDIA_EV_NEW : 0;
	}
	return 0;
}

static int cmd_prevent_allow(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	d->atapi.locked = r->cdb[4] & 0x01;
	return 0;
}

static int cmd_read_capacity(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint64_t last = d->atapi.sectors ? d->atapi.sectors - 1 : 0;

	put_be32(buf, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
	put_be32(buf + 4, SATA_CD_SECTOR);
	return 8;
}

static int read_sectors(struct sata_dev *d, struct sata_req *r, uint64_t lba, uint64_t count)
{
	int ret;

	if (lba > d->atapi.sectors || count > d->atapi.sectors - lba) {
		sata_guest_error(d, "CD read of %llu sectors at %llu past the end",
				 (unsigned long long)count, (unsigned long long)lba);
		return sense(d, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	}
	ret = sata_blk_to_host(d, r, lba * SATA_CD_SECTOR, count * SATA_CD_SECTOR);
	if (ret && !r->xfer_err)
		return sense(d, 0x3, 0x11, 0);	/* MEDIUM ERROR, unrecovered read error */
	return ATAPI_DONE;
}

/* READ(10) and READ(12) (MMC-5 §6.15, §6.16). */
static int cmd_read(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint64_t lba = get_be32(&r->cdb[2]);
	uint64_t count = r->cdb[0] == OP_READ_10 ? get_be16(&r->cdb[7]) : get_be32(&r->cdb[6]);

	return read_sectors(d, r, lba, count);
}

/* READ CD (MMC-5 §6.19): user data of data sectors only, which is what a disc image has. */
static int cmd_read_cd(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint64_t lba = get_be32(&r->cdb[2]);
	uint64_t count = (uint64_t)r->cdb[6] << 16 | get_be16(&r->cdb[7]);
	uint8_t type = (r->cdb[1] >> 2) & 7, fields = r->cdb[9];

	if (!count)
		return 0;
	if ((type != 0 && type != 2) || fields != 0x10)
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	return read_sectors(d, r, lba, count);
}

static int cmd_nop(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	return 0;
}

/* Mode pages (MMC-5 §7): read error recovery (01h) and capabilities (2Ah). */
static unsigned mode_pages(const struct sata_dev *d, uint8_t page, uint8_t *p)
{
	unsigned n = 0;

	if (page == 0x01 || page == 0x3f) {
		memset(p, 0, 8);
		p[0] = 0x01;
		p[1] = 6;
		p[3] = 5;			/* read retry count */
		n += 8;
	}
	if (page == 0x2a || page == 0x3f) {
		uint8_t *c = p + n;

		memset(c, 0, 22);
		c[0] = 0x2a;
		c[1] = 20;
		c[2] = 0x3b;			/* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
		c[4] = 0x71;			/* audio play, mode 2 forms 1, 2, multi-session */
		c[6] = (uint8_t)(0x29 | (d->atapi.locked ? 0x02 : 0));	/* tray, eject, lock */
		put_be16(&c[8], 706 * 8);	/* maximum speed, kB/s (obsolete) */
		put_be16(&c[10], 256);		/* volume levels */
		put_be16(&c[12], 512);		/* buffer size, KiB */
		put_be16(&c[14], 706 * 8);
		n += 22;
	}
	return n;
}

/* MODE SENSE(6) and (10) (SPC-3 §6.9, §6.10): current and default values only. */
static int cmd_mode_sense(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	bool ten = r->cdb[0] == OP_MODE_SENSE_10;
	uint8_t pc = r->cdb[2] >> 6, page = r->cdb[2] & 0x3f;
	uint32_t alloc = ten ? get_be16(&r->cdb[7]) : r->cdb[4];
	unsigned hdr = ten ? 8 : 4, n;

	if (pc == 3)
		return sense(d, SK_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
	memset(buf, 0, hdr);
	n = mode_pages(d, page, buf + hdr);
	if (!n)
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	if (pc == 1)			/* changeable values: none, page headers stay */
		for (unsigned i = 0; i + 1 < n; i += 2u + buf[hdr + i + 1])
			memset(&buf[hdr + i + 2], 0, buf[hdr + i + 1]);
	n += hdr;
	if (ten)
		put_be16(buf, n - 2);
	else
		buf[0] = (uint8_t)(n - 1);
	return (int)(alloc < n ? alloc : n);
}

/* An address in a TOC: LBA, or MSF with the 2-second pregap (MMC-5 §6.26.3). */
static void toc_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (!msf) {
		put_be32(p, (uint32_t)lba);
		return;
	}
	lba += 150;
	p[0] = 0;
	p[1] = (uint8_t)(lba / (75 * 60));
	p[2] = (uint8_t)(lba / 75 % 60);
	p[3] = (uint8_t)(lba % 75);
}

/* READ TOC/PMA/ATIP (MMC-5 §6.26): one data track, formats 0 (TOC) and 1 (sessions). */
static int cmd_read_toc(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	bool msf = r->cdb[1] & 0x02;
	uint8_t format = r->cdb[2] & 0x0f, track = r->cdb[6];
	uint32_t alloc = get_be16(&r->cdb[7]), n = 4;

	if (!format && (r->cdb[9] >> 6))	/* the older place for the format */
		format = r->cdb[9] >> 6;
	memset(buf, 0, 20);
	buf[2] = buf[3] = 1;			/* first and last track / session */
	if (format == 0) {
		if (track > 1 && track != 0xaa)
			return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		if (track <= 1) {
			buf[n + 1] = 0x14;	/* ADR 1, data track */
			buf[n + 2] = 1;
			toc_addr(&buf[n + 4], 0, msf);
			n += 8;
		}
		buf[n + 1] = 0x14;
		buf[n + 2] = 0xaa;		/* lead-out */
		toc_addr(&buf[n + 4], d->atapi.sectors, msf);
		n += 8;
	} else if (format == 1) {
		buf[n + 1] = 0x14;
		buf[n + 2] = 1;
		toc_addr(&buf[n + 4], 0, msf);
		n += 8;
	} else {
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	}
	put_be16(buf, n - 2);
	return (int)(alloc < n ? alloc : n);
}

static uint16_t current_profile(const struct sata_dev *d)
{
	if (!has_medium(d))
		return 0;
	return d->atapi.sectors > CD_MAX_SECTORS ? PROFILE_DVDROM : PROFILE_CDROM;
}

/* One feature descriptor header (MMC-5 §5.2.2); flags: version, persistent, current. */
static unsigned feature(uint8_t *p, uint16_t code, uint8_t flags, uint8_t len)
{
	put_be16(p, code);
	p[2] = flags;
	p[3] = len;
	memset(p + 4, 0, len);
	return 4u + len;
}

/* GET CONFIGURATION (MMC-5 §6.6): profile list, core, morphing, removable medium. */
static int cmd_get_configuration(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint8_t rt = r->cdb[1] & 0x03;
	uint16_t start = (uint16_t)get_be16(&r->cdb[2]), prof = current_profile(d);
	uint32_t alloc = get_be16(&r->cdb[7]), n = 8;
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0002, 0x0003 };

	if (rt == 3)
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	put_be16(&buf[6], prof);
	for (unsigned i = 0; i < 4; i++) {
		uint8_t *p = buf + n;

		if (codes[i] < start || (rt == 2 && codes[i] != start))
			continue;
		if (codes[i] == 0x0000) {
			n += feature(p, 0x0000, 0x03, 8);
			put_be16(&p[4], PROFILE_DVDROM);
			p[6] = prof == PROFILE_DVDROM;
			put_be16(&p[8], PROFILE_CDROM);
			p[10] = prof == PROFILE_CDROM;
		} else if (codes[i] == 0x0001) {
			n += feature(p, 0x0001, 0x07, 8);
			put_be32(&p[4], 2);	/* physical interface: ATAPI */
		} else if (codes[i] == 0x0002) {
			n += feature(p, 0x0002, 0x07, 4);
		} else {
			n += feature(p, 0x0003, 0x03, 4);
			p[4] = 0x29 | (d->atapi.locked ? 0x04 : 0);	/* tray, eject, lock */
		}
	}
	put_be32(buf, n - 4);
	return (int)(alloc < n ? alloc : n);
}

/* GET EVENT STATUS NOTIFICATION (MMC-5 §6.7), polled, media class only. */
static int cmd_get_event_status(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint32_t alloc = get_be16(&r->cdb[7]);

	if (!(r->cdb[1] & 0x01))		/* asynchronous operation is not supported */
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	buf[3] = 0x10;				/* supported classes: media */
	if (!(r->cdb[4] & 0x10)) {
		put_be16(buf, 2);
		buf[2] = 0x80;			/* NEA: no event of the requested classes */
		return (int)(alloc < 4 ? alloc : 4);
	}
	put_be16(buf, 6);
	buf[2] = 0x04;				/* media class */
	buf[4] = d->atapi.media_event;
	buf[5] = (uint8_t)((d->blk ? 0x02 : 0) | (d->atapi.tray_open ? 0x01 : 0));
	d->atapi.media_event = 0;
	return (int)(alloc < 8 ? alloc : 8);
}

/* READ DISC INFORMATION (MMC-5 §6.22): a finalized single-session disc. */
static int cmd_read_disc_info(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint32_t alloc = get_be16(&r->cdb[7]);

	if (r->cdb[1] & 0x07)
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 34);
	put_be16(buf, 32);
	buf[2] = 0x0e;				/* last session complete, disc finalized */
	buf[3] = buf[4] = buf[5] = buf[6] = 1;
	buf[7] = 0x20;				/* unrestricted use */
	put_be32(&buf[16], 0xffffffffu);	/* no lead-in / lead-out start times */
	put_be32(&buf[20], 0xffffffffu);
	return (int)(alloc < 34 ? alloc : 34);
}

/* MECHANISM STATUS (MMC-5 §6.11): no changer; the door state. */
static int cmd_mechanism_status(struct sata_dev *d, struct sata_req *r, uint8_t *buf)
{
	uint32_t alloc = get_be16(&r->cdb[8]);

	memset(buf, 0, 8);
	buf[1] = d->atapi.tray_open ? 0x10 : 0;
	return (int)(alloc < 8 ? alloc : 8);
}

static const struct atapi_cmd atapi_cmds[] = {
	{ OP_TEST_UNIT_READY, CMD_NEEDS_MEDIUM, cmd_test_unit_ready },
	{ OP_REQUEST_SENSE, CMD_NO_UA, cmd_request_sense },
	{ OP_INQUIRY, CMD_NO_UA, cmd_inquiry },
	{ OP_MODE_SENSE_6, 0, cmd_mode_sense },
	{ OP_START_STOP_UNIT, 0, cmd_start_stop },
	{ OP_PREVENT_ALLOW, 0, cmd_prevent_allow },
	{ OP_READ_CAPACITY, CMD_NEEDS_MEDIUM, cmd_read_capacity },
	{ OP_READ_10, CMD_NEEDS_MEDIUM, cmd_read },
	{ OP_SEEK_10, CMD_NEEDS_MEDIUM, cmd_nop },
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

static const struct atapi_cmd *atapi_find(uint8_t op)
{
	for (size_t i = 0; i < sizeof(atapi_cmds) / sizeof(atapi_cmds[0]); i++)
		if (atapi_cmds[i].op == op)
			return &atapi_cmds[i];
	return NULL;
}

static int atapi_dispatch(struct sata_dev *d, struct sata_req *r)
{
	const struct atapi_cmd *c = atapi_find(r->cdb[0]);

	if (!c) {
		sata_guest_error(d, "unsupported packet command %02x", r->cdb[0]);
		return sense(d, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
	}
	/* Unit attention first (SPC-3 §5.9.7; MMC-5 §4.1.6.1 exempts GESN and GET CONFIG). */
	if (d->atapi.unit_attention && !(c->flags & CMD_NO_UA)) {
		d->atapi.unit_attention = false;
		return sense(d, SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	}
	if ((c->flags & CMD_NEEDS_MEDIUM) && !has_medium(d))
		return sense(d, SK_NOT_READY, ASC_NO_MEDIUM, d->atapi.tray_open ? 0x02 : 0x01);
	if (c->op != OP_REQUEST_SENSE)
		sense(d, SK_NONE, 0, 0);
	return c->fn(d, r, d->buf);
}

/*
 * PACKET (ATA8-ACS §7.26): FEATURES bit 0 selects DMA, else PIO. On SATA the packet travels
 * in the command FIS's companion (AHCI ACMD); the result registers are the interrupt reason
 * in COUNT (I/O and C/D: command complete) and the sense key in ERROR bits 7:4.
 */
void sata_atapi_exec(struct sata_dev *d, struct sata_req *r)
{
	int n;

	r->pio = !(r->tf.features & 0x01);
	n = atapi_dispatch(d, r);
	if (r->xfer_err)
		return;
	if (n > 0 && sata_data(r, d->buf, (size_t)n, true))
		return;
	r->tf.count = 0x03;
	r->tf.lba &= ~0xffff00ull;
	if (n == ATAPI_CHECK) {
		r->tf.status = SATA_ST_DRDY | SATA_ST_ERR;
		r->tf.error = (uint8_t)(d->atapi.sense_key << 4 | SATA_ER_ABRT);
		return;
	}
	r->tf.status = SATA_ST_DRDY;
	r->tf.error = 0;
}

/* IDENTIFY PACKET DEVICE (ATA8-ACS §7.17). */
void sata_atapi_identify(struct sata_dev *d, uint16_t *w)
{
	memset(w, 0, 512);
	/* ATAPI, CD-ROM, removable, DRQ within 50 us of PACKET, 12-byte packets */
	w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
	sata_put_string(&w[10], d->serial, 10);
	sata_put_string(&w[23], "1.0", 4);
	sata_put_string(&w[27], "VESSEL DVD-ROM", 20);
	w[49] = 0x0b00;			/* IORDY, LBA, DMA */
	w[53] = 0x0006;			/* words 64-70 and 88 valid */
	w[63] = 0x0007;
	w[64] = 0x0003;
	w[65] = w[66] = w[67] = w[68] = 120;
	w[76] = 0x0008 | 0x0004 | 0x0002;	/* SATA Gen3, Gen2, Gen1 */
	w[80] = 0x01f0;
	w[82] = 0x4010;			/* NOP, PACKET */
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[85] = 0x4010;
	w[87] = 0x4000;
	w[88] = 0x007f;			/* Ultra DMA 0-6 */
}

void sata_atapi_reset(struct sata_dev *d)
{
	d->atapi.locked = false;
	d->atapi.sense_key = d->atapi.asc = d->atapi.ascq = 0;
}

/* A medium that does not look like ISO 9660 ("CD001") or UDF ("BEA01") gets a warning. */
static void check_image(struct blk *b)
{
	uint8_t id[5];

	if (b->size % SATA_CD_SECTOR)
		vmm_warn("%s: size is not a multiple of 2048 bytes; the tail is unreadable",
			 b->path);
	if (blk_pread(b, 0x8001, id, 5) == 0 &&
	    (!memcmp(id, "CD001", 5) || !memcmp(id, "BEA01", 5)))
		return;
	vmm_warn("%s: no ISO 9660 or UDF volume descriptor at 32 KiB", b->path);
}

void sata_atapi_set_medium(struct sata_dev *d, struct blk *blk, bool changed)
{
	if (blk)
		check_image(blk);
	d->blk = blk;
	d->atapi.sectors = blk ? blk->size / SATA_CD_SECTOR : 0;
	d->atapi.tray_open = false;
	if (!changed)
		return;
	d->atapi.unit_attention = blk != NULL;
	d->atapi.media_event = blk ? MEDIA_EV_NEW : MEDIA_EV_REMOVAL;
}
