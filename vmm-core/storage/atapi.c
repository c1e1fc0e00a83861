// SPDX-License-Identifier: GPL-2.0-or-later
/* ATAPI CD-ROM: the PACKET protocol and MMC-5/SPC-3 commands on a 2048-byte-sector image. */
#include "atapi.h"

#include <errno.h>
#include <string.h>

#include "ata.h"
#include "block/block.h"

/* Operation codes (SPC-3 §6; MMC-5 §6). */
#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_INQUIRY		0x12
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

/* Interrupt reason, read through the sector count register (ATA/ATAPI-6 §7.14). */
#define IREASON_COD		0x01
#define IREASON_IO		0x02

/* GET EVENT STATUS NOTIFICATION media events (MMC-5 §6.8.2.5, Table 149). */
#define MEDIA_EVENT_NEW		0x02
#define MEDIA_EVENT_REMOVAL	0x03

#define ATAPI_CHECK		(-1)	/* handler result: CHECK CONDITION, sense set */
#define ATAPI_READ		(-2)	/* handler result: move d->left sectors from d->lba */
#define CD_MAX_SECTORS		360000u	/* 80-minute CD; anything larger is a DVD */
#define CMD_NEEDS_MEDIUM	0x01
#define CMD_NO_UA		0x02	/* answered even with a unit attention pending */

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

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static int atapi_sense(struct ide_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	d->atapi.sense_key = key;
	d->atapi.asc = asc;
	d->atapi.ascq = ascq;
	return ATAPI_CHECK;
}

static bool atapi_has_medium(const struct ide_drive *d)
{
	return d->blk && !d->atapi.tray_open;
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
	uint8_t key = d->atapi.sense_key;

	ide_xfer_stop(d->ch);
	d->nsect = IREASON_COD | IREASON_IO;
	d->status = ATA_ST_DRDY | ATA_ST_ERR;
	d->error = (uint8_t)(key << 4);
	if (key == SENSE_ILLEGAL_REQUEST || key == SENSE_ABORTED_COMMAND)
		d->error |= ATA_ER_ABRT;
	ide_raise_irq(d);
}

/* Refill the buffer with CD sectors; false (and the command failed) on error. */
static bool atapi_fill(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	uint32_t n = min_u32(d->left, IDE_BUF_SIZE / ATAPI_SECTOR);
	int ret;

	if (!atapi_has_medium(d)) {
		atapi_sense(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
		atapi_fail(d);
		return false;
	}
	ret = blk_pread(d->blk, d->lba * ATAPI_SECTOR, ch->buf, (size_t)n * ATAPI_SECTOR);
	if (ret) {
		vmm_warn("%s: read error at sector %llu: %s", d->blk->path,
			 (unsigned long long)d->lba, strerror(-ret));
		atapi_sense(d, SENSE_MEDIUM_ERROR, 0x11, 0);	/* unrecovered read error */
		atapi_fail(d);
		return false;
	}
	d->lba += n;
	d->left -= n;
	ch->pos = 0;
	ch->total = n * ATAPI_SECTOR;
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
	if (limit >= ATAPI_SECTOR)
		limit -= limit % ATAPI_SECTOR;
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
	if (ret == -EIO && !atapi_has_medium(d))
		atapi_sense(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
	else if (ret == -EIO)
		atapi_sense(d, SENSE_MEDIUM_ERROR, 0x11, 0);
	else
		atapi_sense(d, SENSE_ABORTED_COMMAND, 0, 0);
	atapi_fail(d);
}

/* ---- Commands ------------------------------------------------------------------- */

static int cmd_test_unit_ready(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	return 0;
}

/* Fixed-format sense data (SPC-3 §4.5.3); reporting it clears it. */
static int cmd_request_sense(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	struct atapi_state *a = &d->atapi;

	if (a->unit_attention) {
		a->unit_attention = false;
		atapi_sense(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	}
	memset(buf, 0, 18);
	buf[0] = 0x70;
	buf[2] = a->sense_key;
	buf[7] = 10;
	buf[12] = a->asc;
	buf[13] = a->ascq;
	atapi_sense(d, SENSE_NONE, 0, 0);
	return (int)min_u32(18, cdb[4]);
}

/* Standard INQUIRY data (SPC-3 §6.4.2): a removable CD/DVD device. */
static int cmd_inquiry(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	if ((cdb[1] & 1) || cdb[2])	/* no vital product data pages */
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 36);
	buf[0] = 0x05;
	buf[1] = 0x80;
	buf[2] = 0x05;
	buf[3] = 0x02;
	buf[4] = 36 - 5;
	memcpy(buf + 8, "VESSEL  ", 8);
	memcpy(buf + 16, "DVD-ROM         ", 16);
	memcpy(buf + 32, "1.0 ", 4);
	return (int)min_u32(36, get_be16(cdb + 3));
}

/* LoEj with Start clear opens the tray, with Start set closes it (SBC-2 §5.17). */
static int cmd_start_stop(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	struct atapi_state *a = &d->atapi;

	if (!(cdb[4] & 0x02))
		return 0;
	if (cdb[4] & 0x01) {
		if (a->tray_open && d->blk) {
			a->unit_attention = true;
			a->media_event = MEDIA_EVENT_NEW;
		}
		a->tray_open = false;
		return 0;
	}
	if (a->locked)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
	if (!a->tray_open)
		a->media_event = MEDIA_EVENT_REMOVAL;
	a->tray_open = true;
	return 0;
}

static int cmd_prevent_allow(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	d->atapi.locked = cdb[4] & 0x01;
	return 0;
}

static int cmd_read_capacity(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	uint64_t last = d->atapi.sectors ? d->atapi.sectors - 1 : 0;

	put_be32(buf, last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
	put_be32(buf + 4, ATAPI_SECTOR);
	return 8;
}

static int atapi_check_range(struct ide_drive *d, uint64_t lba, uint64_t count)
{
	if (lba > d->atapi.sectors || count > d->atapi.sectors - lba)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	return 0;
}

static int cmd_read(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	uint32_t lba = get_be32(cdb + 2);
	uint32_t count = cdb[0] == OP_READ_10 ? get_be16(cdb + 7) : get_be32(cdb + 6);

	if (atapi_check_range(d, lba, count))
		return ATAPI_CHECK;
	d->lba = lba;
	d->left = count;
	return ATAPI_READ;
}

static int cmd_seek(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	return atapi_check_range(d, get_be32(cdb + 2), 0);
}

static int cmd_nop(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	return 0;
}

/* MODE SENSE(10) pages: read error recovery (01h) and capabilities (2Ah, MMC-3 §5.5.10). */
static unsigned mode_page_recovery(uint8_t *p, bool changeable)
{
	memset(p, 0, 8);
	p[0] = 0x01;
	p[1] = 6;
	if (!changeable)
		p[3] = 5;		/* read retry count */
	return 8;
}

static unsigned mode_page_caps(const struct ide_drive *d, uint8_t *p, bool changeable)
{
	memset(p, 0, 22);
	p[0] = 0x2a;
	p[1] = 20;
	if (changeable)
		return 22;
	p[2] = 0x0b;			/* reads CD-R, CD-RW, DVD-ROM */
	p[4] = 0x70;			/* mode 2 form 1 and 2, multi-session */
	p[6] = 0x20 | 0x08 | 0x01 | (d->atapi.locked ? 0x02 : 0);	/* tray, eject, lock */
	put_be16(p + 8, 2816);		/* 16x, kB/s */
	put_be16(p + 12, 512);		/* buffer, KiB */
	put_be16(p + 14, 2816);
	return 22;
}

static int cmd_mode_sense(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3f, len = 8;

	if (pc == 3)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
	memset(buf, 0, 8);
	if (page == 0x01 || page == 0x3f)
		len += mode_page_recovery(buf + len, pc == 1);
	if (page == 0x2a || page == 0x3f)
		len += mode_page_caps(d, buf + len, pc == 1);
	if (len == 8)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	put_be16(buf, (uint16_t)(len - 2));
	return (int)min_u32(len, get_be16(cdb + 7));
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

/* One data track and the lead-out; format 1 (sessions): one complete session. */
static int cmd_read_toc(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	bool msf = cdb[1] & 0x02;
	unsigned format = (cdb[2] & 0x0f) ? (cdb[2] & 0x0f) : (unsigned)(cdb[9] >> 6);
	unsigned track = cdb[6];
	uint8_t *p = buf + 4;

	if (format > 1 || (format == 0 && track > 1 && track != 0xaa))
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 20);
	buf[2] = 1;
	buf[3] = 1;
	if (format == 1) {
		buf[5] = 0x14;		/* ADR 1, data track */
		buf[6] = 1;
		toc_addr(buf + 8, 0, msf);
		p = buf + 12;
	} else {
		if (track <= 1) {
			p[1] = 0x14;
			p[2] = 1;
			toc_addr(p + 4, 0, msf);
			p += 8;
		}
		p[1] = 0x14;
		p[2] = 0xaa;		/* lead-out */
		toc_addr(p + 4, d->atapi.sectors, msf);
		p += 8;
	}
	put_be16(buf, (uint16_t)(p - buf - 2));
	return (int)min_u32((uint32_t)(p - buf), get_be16(cdb + 7));
}

/* GET CONFIGURATION (MMC-5 §6.6): profile list, core, removable medium, random readable. */
static unsigned feature(uint8_t *p, uint16_t code, uint8_t flags, uint8_t len)
{
	memset(p, 0, 4u + len);
	put_be16(p, code);
	p[2] = flags;
	p[3] = len;
	return 4u + len;
}

static int cmd_get_configuration(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0003, 0x0010 };
	unsigned rt = cdb[1] & 3, start = get_be16(cdb + 2), len = 8;
	bool medium = atapi_has_medium(d);
	uint16_t profile = !medium ? 0 : d->atapi.sectors > CD_MAX_SECTORS ? 0x0010 : 0x0008;

	if (rt == 3)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint16_t c = codes[i];
		bool current = c != 0x0010 || medium;
		uint8_t *p = buf + len;

		if (c < start || (rt == 2 && c != start) || (rt == 1 && !current))
			continue;
		if (c == 0x0000) {
			len += feature(p, c, 0x03, 8);
			put_be16(p + 4, 0x0010);
			p[6] = profile == 0x0010;
			put_be16(p + 8, 0x0008);
			p[10] = profile == 0x0008;
		} else if (c == 0x0001) {
			len += feature(p, c, 0x0b, 8);
			put_be32(p + 4, 2);	/* physical interface: ATAPI */
		} else if (c == 0x0003) {
			len += feature(p, c, 0x03, 4);
			p[4] = 0x20 | 0x08 | 0x01;
		} else {
			len += feature(p, c, current ? 0x01 : 0x00, 8);
			put_be32(p + 4, ATAPI_SECTOR);
			put_be16(p + 8, 1);
		}
	}
	put_be32(buf, len - 4);
	put_be16(buf + 6, profile);
	return (int)min_u32(len, get_be16(cdb + 7));
}

/* Polled GET EVENT STATUS NOTIFICATION, media class only (MMC-5 §6.8). */
static int cmd_get_event_status(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	struct atapi_state *a = &d->atapi;
	unsigned len = 4;

	if (!(cdb[1] & 0x01))
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 8);
	buf[3] = 0x10;			/* supported: media */
	if (cdb[4] & 0x10) {
		buf[2] = 0x04;
		buf[4] = a->media_event;
		buf[5] = (uint8_t)((a->tray_open ? 0x01 : 0) | (atapi_has_medium(d) ? 0x02 : 0));
		a->media_event = 0;
		len = 8;
	} else {
		buf[2] = 0x80;		/* no event available */
	}
	put_be16(buf, (uint16_t)(len - 2));
	return (int)min_u32(len, get_be16(cdb + 7));
}

/* READ DISC INFORMATION (MMC-5 §6.22): a finished, single-session, one-track disc. */
static int cmd_read_disc_info(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf)
{
	if (cdb[1] & 0x07)
		return atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	memset(buf, 0, 34);
	put_be16(buf, 32);
	buf[2] = 0x0e;			/* last session complete, disc complete */
	buf[3] = 1;
	buf[4] = 1;
	buf[5] = 1;
	buf[6] = 1;
	buf[7] = 0x20;			/* unrestricted use */
	put_be32(buf + 16, UINT32_MAX);
	put_be32(buf + 20, UINT32_MAX);
	return (int)min_u32(34, get_be16(cdb + 7));
}

struct atapi_cmd {
	uint8_t op, flags;
	int (*fn)(struct ide_drive *d, const uint8_t *cdb, uint8_t *buf);
};

static const struct atapi_cmd atapi_cmds[] = {
	{ OP_TEST_UNIT_READY, CMD_NEEDS_MEDIUM, cmd_test_unit_ready },
	{ OP_REQUEST_SENSE, CMD_NO_UA, cmd_request_sense },
	{ OP_INQUIRY, CMD_NO_UA, cmd_inquiry },
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
};

static const struct atapi_cmd *atapi_find(uint8_t op)
{
	for (size_t i = 0; i < sizeof(atapi_cmds) / sizeof(atapi_cmds[0]); i++)
		if (atapi_cmds[i].op == op)
			return &atapi_cmds[i];
	return NULL;
}

/* Unit attention first (SPC-3 §5.9.7; MMC-5 §4.1.6.1 exempts GESN and GET CONFIG). */
static void atapi_exec(struct ide_drive *d)
{
	const uint8_t *cdb = d->atapi.cdb;
	const struct atapi_cmd *c = atapi_find(cdb[0]);
	int r;

	if (!c) {
		ide_guest_error(d->ch->ide, "ide%u-%u: unsupported packet command %02x",
				d->ch->index, d->unit, cdb[0]);
		r = atapi_sense(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
	} else if (d->atapi.unit_attention && !(c->flags & CMD_NO_UA)) {
		d->atapi.unit_attention = false;
		r = atapi_sense(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
	} else if ((c->flags & CMD_NEEDS_MEDIUM) && !atapi_has_medium(d)) {
		r = atapi_sense(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
	} else {
		r = c->fn(d, cdb, d->ch->buf);
	}
	if (r == ATAPI_CHECK) {
		atapi_fail(d);
		return;
	}
	if (c->op != OP_REQUEST_SENSE)
		atapi_sense(d, SENSE_NONE, 0, 0);
	if (r == ATAPI_READ)
		atapi_start_read(d);
	else
		atapi_send(d, (uint32_t)r);
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

/* IDENTIFY PACKET DEVICE data (ATA/ATAPI-6 §8.16). */
void atapi_identify_words(struct ide_drive *d, uint16_t *w)
{
	memset(w, 0, 512);
	/* ATAPI, CD-ROM, removable, DRQ within 50 us of PACKET, 12-byte packets */
	w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
	ata_put_string(&w[10], d->serial, 10);
	ata_put_string(&w[23], "1.0", 4);
	ata_put_string(&w[27], "VESSEL DVD-ROM", 20);
	w[49] = 0x0b00;			/* IORDY, LBA, DMA */
	w[53] = 0x0006;			/* words 64-70 and 88 valid */
	w[63] = ata_xfer_bits(d, 4, 0x0007);
	w[64] = 0x0003;
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x01f0;
	w[82] = 0x0010 | 0x0008;		/* PACKET, power management */
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[85] = 0x0010 | 0x0008;
	w[87] = 0x4000;
	w[88] = ata_xfer_bits(d, 8, 0x003f);
	w[93] = ata_reset_result(d);
}

void atapi_reset_drive(struct ide_drive *d)
{
	atapi_sense(d, SENSE_NONE, 0, 0);
	d->atapi.dma = false;
	d->atapi.limit = 0;
}

/*
 * ISO 9660 puts its volume descriptors from sector 16 (32 KiB) on, "CD001" at byte 1
 * (ECMA-119 §8.1); UDF starts its recognition sequence there too ("BEA01", "NSR0x",
 * ECMA-167 §2/9.1). Anything else still attaches — the guest decides — but the user hears.
 */
static void atapi_check_image(struct blk *b)
{
	uint8_t vd[6];
	bool ok = b->size >= 32768 + ATAPI_SECTOR && !blk_pread(b, 32768, vd, sizeof(vd)) &&
		  (!memcmp(vd + 1, "CD001", 5) || !memcmp(vd + 1, "BEA01", 5) ||
		   !memcmp(vd + 1, "NSR0", 4));

	if (b->size % ATAPI_SECTOR)
		vmm_warn("%s: not an ISO image? Its size (%llu bytes) is not a multiple of 2048; "
			 "the last %llu bytes are not visible to the guest", b->path,
			 (unsigned long long)b->size,
			 (unsigned long long)(b->size % ATAPI_SECTOR));
	if (!ok)
		vmm_warn("%s: not an ISO image (no ISO 9660 or UDF volume descriptor at 32 KiB); "
			 "the guest will probably not be able to read it", b->path);
}

void atapi_set_medium(struct ide_drive *d, struct blk *blk)
{
	d->blk = blk;
	d->atapi.sectors = blk ? blk->size / ATAPI_SECTOR : 0;
	d->atapi.tray_open = false;
	if (blk)
		atapi_check_image(blk);
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
			atapi_sense(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
		else
			atapi_sense(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
		atapi_fail(d);
	}
	atapi_set_medium(d, new_or_NULL);
	d->atapi.media_event = new_or_NULL ? MEDIA_EVENT_NEW : MEDIA_EVENT_REMOVAL;
	d->atapi.unit_attention = new_or_NULL != NULL;
	pthread_mutex_unlock(&ide->lock);
	return 0;
}

bool atapi_tray_is_open(struct ide_drive *d)
{
	bool open;

	if (!d || d->kind != IDE_CDROM)
		return false;
	pthread_mutex_lock(&d->ch->ide->lock);
	open = d->atapi.tray_open;
	pthread_mutex_unlock(&d->ch->ide->lock);
	return open;
}
