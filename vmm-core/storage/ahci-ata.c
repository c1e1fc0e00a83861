// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA command set of a SATA disk (ATA8-ACS), on the transport-neutral sata_req. */
#include "ahci-dev.h"

#include <errno.h>
#include <string.h>

#include "block/block.h"

/* Command codes (ATA8-ACS §7). */
#define CMD_NOP			0x00
#define CMD_DSM			0x06
#define CMD_DEVICE_RESET	0x08
#define CMD_READ_SECTORS	0x20
#define CMD_READ_SECTORS_NR	0x21
#define CMD_READ_SECTORS_EXT	0x24
#define CMD_READ_DMA_EXT	0x25
#define CMD_READ_MULTIPLE_EXT	0x29
#define CMD_READ_LOG_EXT	0x2f
#define CMD_WRITE_SECTORS	0x30
#define CMD_WRITE_SECTORS_NR	0x31
#define CMD_WRITE_SECTORS_EXT	0x34
#define CMD_WRITE_DMA_EXT	0x35
#define CMD_WRITE_MULTIPLE_EXT	0x39
#define CMD_WRITE_DMA_FUA_EXT	0x3d
#define CMD_READ_VERIFY		0x40
#define CMD_READ_VERIFY_NR	0x41
#define CMD_READ_VERIFY_EXT	0x42
#define CMD_READ_LOG_DMA_EXT	0x47
#define CMD_READ_FPDMA		0x60
#define CMD_WRITE_FPDMA		0x61
#define CMD_EXEC_DIAG		0x90
#define CMD_INIT_PARAMS		0x91
#define CMD_PACKET		0xa0
#define CMD_IDENTIFY_PACKET	0xa1
#define CMD_READ_MULTIPLE	0xc4
#define CMD_WRITE_MULTIPLE	0xc5
#define CMD_SET_MULTIPLE	0xc6
#define CMD_READ_DMA		0xc8
#define CMD_READ_DMA_NR		0xc9
#define CMD_WRITE_DMA		0xca
#define CMD_WRITE_DMA_NR	0xcb
#define CMD_WRITE_MULTIPLE_FUA	0xce
#define CMD_STANDBY_IMMEDIATE	0xe0
#define CMD_IDLE_IMMEDIATE	0xe1
#define CMD_STANDBY		0xe2
#define CMD_IDLE		0xe3
#define CMD_CHECK_POWER		0xe5
#define CMD_SLEEP		0xe6
#define CMD_FLUSH		0xe7
#define CMD_FLUSH_EXT		0xea
#define CMD_IDENTIFY		0xec
#define CMD_SET_FEATURES	0xef

/* SET FEATURES subcommands (ATA8-ACS §7.48, Table 40). */
#define SF_WCACHE_ON		0x02
#define SF_XFER_MODE		0x03
#define SF_SATA_ENABLE		0x10
#define SF_LOOKAHEAD_OFF	0x55
#define SF_REVERT_OFF		0x66
#define SF_WCACHE_OFF		0x82
#define SF_SATA_DISABLE		0x90
#define SF_LOOKAHEAD_ON		0xaa
#define SF_REVERT_ON		0xcc

#define LOG_DIRECTORY		0x00
#define LOG_NCQ_ERROR		0x10
#define LBA28_MAX		0x0fffffffull
#define CHS_HEADS		16
#define CHS_SPT			63

/* The sector-moving commands, described rather than open-coded. */
struct ata_rw {
	uint8_t op;
	bool lba48, write, dma, multiple, verify, fua, queued;
};

static const struct ata_rw ata_rw_cmds[] = {
	{ CMD_READ_SECTORS, false, false, false, false, false, false, false },
	{ CMD_READ_SECTORS_NR, false, false, false, false, false, false, false },
	{ CMD_READ_SECTORS_EXT, true, false, false, false, false, false, false },
	{ CMD_READ_MULTIPLE, false, false, false, true, false, false, false },
	{ CMD_READ_MULTIPLE_EXT, true, false, false, true, false, false, false },
	{ CMD_READ_DMA, false, false, true, false, false, false, false },
	{ CMD_READ_DMA_NR, false, false, true, false, false, false, false },
	{ CMD_READ_DMA_EXT, true, false, true, false, false, false, false },
	{ CMD_WRITE_SECTORS, false, true, false, false, false, false, false },
	{ CMD_WRITE_SECTORS_NR, false, true, false, false, false, false, false },
	{ CMD_WRITE_SECTORS_EXT, true, true, false, false, false, false, false },
	{ CMD_WRITE_MULTIPLE, false, true, false, true, false, false, false },
	{ CMD_WRITE_MULTIPLE_EXT, true, true, false, true, false, false, false },
	{ CMD_WRITE_MULTIPLE_FUA, true, true, false, true, false, true, false },
	{ CMD_WRITE_DMA, false, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_NR, false, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_EXT, true, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_FUA_EXT, true, true, true, false, false, true, false },
	{ CMD_READ_VERIFY, false, false, false, false, true, false, false },
	{ CMD_READ_VERIFY_NR, false, false, false, false, true, false, false },
	{ CMD_READ_VERIFY_EXT, true, false, false, false, true, false, false },
	{ CMD_READ_FPDMA, true, false, true, false, false, false, true },
	{ CMD_WRITE_FPDMA, true, true, true, false, false, false, true },
};

#define NCMDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- IDENTIFY DEVICE (ATA8-ACS §7.16.7, Table 22; SATA 3.x §13.2.1 words 75-79) --------- */

static uint16_t xfer_bits(const struct sata_dev *d, uint8_t class, uint16_t supported)
{
	uint16_t sel = 0;

	if ((d->xfer_mode >> 3) == class)
		sel = (uint16_t)(0x100 << (d->xfer_mode & 7));
	return supported | sel;
}

static bool can_trim(const struct sata_dev *d)
{
	return d->blk && !d->blk->read_only && d->blk->can_discard;
}

static void disk_identify(struct sata_dev *d, uint16_t *w)
{
	uint64_t lba28 = d->sectors > LBA28_MAX ? LBA28_MAX : d->sectors;
	uint64_t cyls = d->sectors / (CHS_HEADS * CHS_SPT);
	uint64_t chs;

	if (cyls > 16383)
		cyls = 16383;
	chs = cyls * CHS_HEADS * CHS_SPT;
	memset(w, 0, 512);
	w[0] = 0x0040;				/* fixed device */
	w[1] = (uint16_t)cyls;
	w[3] = CHS_HEADS;
	w[6] = CHS_SPT;
	sata_put_string(&w[10], d->serial, 10);
	sata_put_string(&w[23], "1.0", 4);
	sata_put_string(&w[27], "VESSEL SATA DISK", 20);
	w[47] = 0x8000 | SATA_MAX_MULTIPLE;
	w[49] = 0x0b00;				/* IORDY, LBA, DMA */
	w[50] = 0x4000;
	w[53] = 0x0006;				/* words 64-70 and 88 valid */
	w[54] = (uint16_t)cyls;
	w[55] = CHS_HEADS;
	w[56] = CHS_SPT;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[59] = d->mult ? (uint16_t)(0x0100 | d->mult) : 0;
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	w[63] = xfer_bits(d, 4, 0x0007);	/* multiword DMA 0-2 */
	w[64] = 0x0003;				/* PIO 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[75] = SATA_NCQ_DEPTH - 1;
	w[76] = 0x0100 | 0x0008 | 0x0004 | 0x0002;	/* NCQ; Gen3, Gen2, Gen1 */
	w[80] = 0x01f0;				/* ATA/ATAPI-4 .. ATA8-ACS */
	w[82] = 0x0068;				/* look-ahead, write cache, power management */
	w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400;	/* FLUSH CACHE (EXT), 48-bit */
	w[84] = 0x4000 | 0x0040 | 0x0020;	/* WRITE DMA FUA EXT, General Purpose Logging */
	w[85] = (uint16_t)(0x0048 | (d->write_cache ? 0x0020 : 0));
	w[86] = 0x3000 | 0x0400;
	w[87] = 0x4000 | 0x0040 | 0x0020;
	w[88] = xfer_bits(d, 8, 0x007f);	/* Ultra DMA 0-6 */
	for (unsigned i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(d->sectors >> (16 * i));
	w[106] = 0x4000;			/* one 512-byte logical sector per physical */
	if (can_trim(d)) {
		w[105] = SATA_DSM_MAX_BLOCKS;
		w[169] = 0x0001;		/* DATA SET MANAGEMENT TRIM */
	}
}

/* ---- Reads, writes, verify --------------------------------------------------------- */

/* The starting sector: 48-bit, 28-bit LBA, or CHS through the fixed translation. */
static bool get_lba(const struct ata_tf *tf, bool lba48, uint64_t *lba)
{
	uint64_t cyl, head, sect;

	if (lba48) {
		*lba = tf->lba & 0xffffffffffffull;
		return true;
	}
	if (tf->device & SATA_DEV_LBA) {
		*lba = (tf->lba & 0xffffff) | (uint64_t)(tf->device & 0xf) << 24;
		return true;
	}
	cyl = (tf->lba >> 8) & 0xffff;
	head = tf->device & 0xf;
	sect = tf->lba & 0xff;
	if (!sect || sect > CHS_SPT)
		return false;
	*lba = (cyl * CHS_HEADS + head) * CHS_SPT + sect - 1;
	return true;
}

static uint32_t rw_count(const struct ata_tf *tf, const struct ata_rw *rw)
{
	uint32_t n;

	if (rw->queued)		/* FPDMA QUEUED: the count is in FEATURES (ATA8-ACS §7.24) */
		n = tf->features;
	else if (rw->lba48)
		n = tf->count;
	else
		n = tf->count & 0xff;
	if (!n)
		n = rw->lba48 ? 65536 : 256;
	return n;
}

static int disk_write_in(struct sata_dev *d, struct sata_req *r, uint64_t off, uint64_t len)
{
	while (len) {
		size_t n = len < SATA_BUF_SIZE ? (size_t)len : SATA_BUF_SIZE;
		int ret = sata_data(r, d->buf, n, false);

		if (ret)
			return ret;
		ret = blk_pwrite(d->blk, off, d->buf, n);
		if (ret) {
			vmm_warn("%s: write error at byte %llu: %s", d->blk->path,
				 (unsigned long long)off, strerror(-ret));
			return -EIO;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static void rw_transfer(struct sata_dev *d, struct sata_req *r, const struct ata_rw *rw,
			uint64_t lba, uint32_t count)
{
	uint64_t off = lba * SATA_SECTOR, len = (uint64_t)count * SATA_SECTOR;
	int ret;

	r->pio = !rw->dma;
	if (rw->write) {
		ret = disk_write_in(d, r, off, len);
		if (!ret && (rw->fua || (rw->queued && (r->tf.device & 0x80)) || !d->write_cache))
			ret = blk_flush(d->blk);
	} else {
		ret = sata_blk_to_host(d, r, off, len);
	}
	if (r->xfer_err)
		return;
	if (ret) {
		sata_fail(d, r, rw->write ? SATA_ER_ABRT : SATA_ER_UNC);
		return;
	}
	r->pio_in_done = r->pio && !rw->write;
	sata_ok(d, r);
}

static void rw_start(struct sata_dev *d, struct sata_req *r, const struct ata_rw *rw)
{
	uint32_t count = rw_count(&r->tf, rw);
	uint64_t lba;

	r->queued = rw->queued;
	if (rw->multiple && !d->mult) {
		sata_guest_error(d, "READ/WRITE MULTIPLE with multiple mode off");
		sata_fail(d, r, SATA_ER_ABRT);
		return;
	}
	if (rw->write && d->blk->read_only) {
		sata_guest_error(d, "write to the read-only disk %s", d->blk->path);
		sata_fail(d, r, SATA_ER_ABRT);
		return;
	}
	/* Never a transfer past the image: IDNF, ID not found (ATA8-ACS §6.2.4). */
	if (!get_lba(&r->tf, rw->lba48, &lba) || lba > d->sectors ||
	    count > d->sectors - lba) {
		sata_guest_error(d, "command %02x: sectors past the end", rw->op);
		sata_fail(d, r, SATA_ER_IDNF);
		return;
	}
	if (rw->verify) {
		sata_ok(d, r);
		return;
	}
	rw_transfer(d, r, rw, lba, count);
}

/* ---- DATA SET MANAGEMENT, TRIM (ACS-2 §7.10; ATA8-ACS has it as an amendment) ----------- */

static void dsm_trim(struct sata_dev *d, struct sata_req *r)
{
	unsigned blocks = r->tf.count;
	size_t len = (size_t)blocks * 512;

	if (!(r->tf.features & 1) || !can_trim(d) || !blocks || blocks > SATA_DSM_MAX_BLOCKS) {
		sata_fail(d, r, SATA_ER_ABRT);
		return;
	}
	if (sata_data(r, d->buf, len, false))
		return;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t e = 0, lba, n;

		for (unsigned b = 0; b < 8; b++)
			e |= (uint64_t)d->buf[i + b] << (8 * b);
		lba = e & 0xffffffffffffull;
		n = e >> 48;
		if (!n)
			continue;
		if (lba > d->sectors || n > d->sectors - lba) {
			sata_guest_error(d, "TRIM range past the end");
			sata_fail(d, r, SATA_ER_ABRT);
			return;
		}
		/* Discard is advice: a file system that cannot punch holes keeps the data. */
		blk_discard(d->blk, lba * SATA_SECTOR, n * SATA_SECTOR);
	}
	sata_ok(d, r);
}

/* ---- READ LOG (DMA) EXT: the directory and the NCQ error log (ATA8-ACS §7.23, §A.13) -- */

static void log_page(struct sata_dev *d, uint8_t log, uint8_t *p)
{
	struct sata_ncq_error *e = &d->ncq_err;
	uint8_t sum = 0;

	memset(p, 0, 512);
	if (log == LOG_DIRECTORY) {
		p[0] = 0x01;			/* version */
		p[2 * LOG_NCQ_ERROR] = 1;	/* one page */
		return;
	}
	if (e->valid) {
		p[0] = e->tag & 0x1f;
		p[2] = e->tf.status;
		p[3] = e->tf.error;
		for (unsigned i = 0; i < 3; i++) {
			p[4 + i] = (uint8_t)(e->tf.lba >> (8 * i));
			p[8 + i] = (uint8_t)(e->tf.lba >> (24 + 8 * i));
		}
		p[7] = e->tf.device;
		p[12] = (uint8_t)e->tf.count;
		p[13] = (uint8_t)(e->tf.count >> 8);
	} else {
		p[0] = 0x80;			/* NQ: no queued command failed */
	}
	/* Reading the log ends the error condition (ATA8-ACS §A.13.1). */
	e->valid = false;
	for (unsigned i = 0; i < 511; i++)
		sum = (uint8_t)(sum + p[i]);
	p[511] = (uint8_t)-sum;
}

static void read_log(struct sata_dev *d, struct sata_req *r, bool dma)
{
	uint8_t log = (uint8_t)r->tf.lba;
	/* LBA 7:0 the log, 15:8 and 39:32 the page (ATA8-ACS §7.23.3) */
	unsigned page = (unsigned)(((r->tf.lba >> 8) & 0xff) | ((r->tf.lba >> 24) & 0xff00));
	unsigned count = r->tf.count;

	if ((log != LOG_DIRECTORY && log != LOG_NCQ_ERROR) || page || count != 1) {
		sata_fail(d, r, SATA_ER_ABRT);
		return;
	}
	log_page(d, log, d->buf);
	r->pio = !dma;
	if (sata_data(r, d->buf, 512, true))
		return;
	r->pio_in_done = !dma;
	sata_ok(d, r);
}

/* ---- Dispatch -------------------------------------------------------------------------- */

static bool set_features(struct sata_dev *d, const struct ata_tf *tf)
{
	uint8_t mode = (uint8_t)tf->count;

	switch (tf->features & 0xff) {
	case SF_XFER_MODE:
		/* PIO default, PIO 0-4, multiword DMA 0-2, Ultra DMA 0-6 (Table 41) */
		if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c) ||
		    (mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x46)) {
			d->xfer_mode = mode;
			return true;
		}
		return false;
	case SF_WCACHE_ON:
	case SF_WCACHE_OFF:
		if (d->kind != SATA_DISK)
			return false;
		d->write_cache = (tf->features & 0xff) == SF_WCACHE_ON;
		return true;
	case SF_SATA_ENABLE:
	case SF_SATA_DISABLE:
	case SF_LOOKAHEAD_ON:
	case SF_LOOKAHEAD_OFF:
	case SF_REVERT_ON:
	case SF_REVERT_OFF:
		return true;
	default:
		return false;
	}
}

static void signature_result(struct sata_dev *d, struct sata_req *r)
{
	sata_signature(d, &r->tf);
	r->signature = true;
}

/* Commands both kinds of device accept; false if the command is not one of them. */
static bool exec_common(struct sata_dev *d, struct sata_req *r)
{
	switch (r->tf.command) {
	case CMD_EXEC_DIAG:
		sata_dev_reset(d, false);
		signature_result(d, r);
		return true;
	case CMD_CHECK_POWER:
		sata_ok(d, r);
		r->tf.count = 0xff;		/* active or idle */
		return true;
	case CMD_SET_FEATURES:
		if (set_features(d, &r->tf))
			sata_ok(d, r);
		else
			sata_fail(d, r, SATA_ER_ABRT);
		return true;
	case CMD_STANDBY_IMMEDIATE:
	case CMD_IDLE_IMMEDIATE:
	case CMD_STANDBY:
	case CMD_IDLE:
	case CMD_SLEEP:
		sata_ok(d, r);
		return true;
	case CMD_FLUSH:
	case CMD_FLUSH_EXT:
		if (d->blk && blk_flush(d->blk))
			sata_fail(d, r, SATA_ER_ABRT);
		else
			sata_ok(d, r);
		return true;
	default:
		return false;
	}
}

static bool exec_disk_misc(struct sata_dev *d, struct sata_req *r)
{
	uint16_t w[256];
	unsigned mult;

	switch (r->tf.command) {
	case CMD_IDENTIFY:
		disk_identify(d, w);
		sata_send_identify(d, r, w);
		return true;
	case CMD_SET_MULTIPLE:
		/* 0 turns it off (ATA8-ACS §7.51); otherwise a power of two up to word 47 */
		mult = r->tf.count & 0xff;
		if (mult > SATA_MAX_MULTIPLE || (mult & (mult - 1))) {
			sata_fail(d, r, SATA_ER_ABRT);
			return true;
		}
		d->mult = mult;
		sata_ok(d, r);
		return true;
	case CMD_INIT_PARAMS:
		sata_ok(d, r);
		return true;
	case CMD_DSM:
		dsm_trim(d, r);
		return true;
	case CMD_READ_LOG_EXT:
	case CMD_READ_LOG_DMA_EXT:
		read_log(d, r, r->tf.command == CMD_READ_LOG_DMA_EXT);
		return true;
	}
	if ((r->tf.command & 0xf0) == 0x10 || (r->tf.command & 0xf0) == 0x70) {
		sata_ok(d, r);			/* RECALIBRATE, SEEK */
		return true;
	}
	return false;
}

static void exec_disk(struct sata_dev *d, struct sata_req *r)
{
	for (size_t i = 0; i < NCMDS(ata_rw_cmds); i++) {
		if (ata_rw_cmds[i].op == r->tf.command) {
			rw_start(d, r, &ata_rw_cmds[i]);
			return;
		}
	}
	if (exec_disk_misc(d, r))
		return;
	/* NOP always aborts (ATA8-ACS §7.21); anything else we do not know does too. */
	if (r->tf.command != CMD_NOP)
		sata_guest_error(d, "unsupported ATA command %02x", r->tf.command);
	sata_fail(d, r, SATA_ER_ABRT);
}

static void exec_cdrom(struct sata_dev *d, struct sata_req *r)
{
	uint16_t w[256];

	switch (r->tf.command) {
	case CMD_PACKET:
		d->packets++;
		sata_atapi_exec(d, r);
		return;
	case CMD_IDENTIFY_PACKET:
		sata_atapi_identify(d, w);
		sata_send_identify(d, r, w);
		return;
	case CMD_DEVICE_RESET:
		sata_dev_reset(d, false);
		signature_result(d, r);
		return;
	case CMD_IDENTIFY:
		/* ATA8-ACS §7.16.5: a packet device aborts it and shows its signature. */
		sata_signature(d, &r->tf);
		r->tf.status |= SATA_ST_ERR;
		r->tf.error = SATA_ER_ABRT;
		return;
	}
	sata_guest_error(d, "ATA command %02x to a packet device", r->tf.command);
	sata_fail(d, r, SATA_ER_ABRT);
}

bool sata_cmd_is_ncq(uint8_t command)
{
	return command == CMD_READ_FPDMA || command == CMD_WRITE_FPDMA;
}

void sata_exec(struct sata_dev *d, struct sata_req *r)
{
	r->pio = r->pio_in_done = r->queued = r->signature = false;
	r->to_host = false;
	r->bytes = 0;
	r->xfer_err = 0;
	if (d->kind == SATA_NONE) {
		sata_fail(d, r, SATA_ER_ABRT);
		return;
	}
	if (exec_common(d, r))
		return;
	if (d->kind == SATA_CDROM)
		exec_cdrom(d, r);
	else
		exec_disk(d, r);
}

