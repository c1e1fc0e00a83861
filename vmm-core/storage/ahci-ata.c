// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA command set of a SATA disk (ATA8-ACS), on the transport-neutral sata_req. */
#include "ahci-dev.h"

#include <errno.h>
#include <string.h>

#include "ata-common.h"
#include "block/block.h"

#define LOG_DIRECTORY		0x00
#define LOG_NCQ_ERROR		0x10

/* ---- IDENTIFY DEVICE (ATA8-ACS §7.16.7, Table 22; SATA 3.x §13.2.1 words 75-79) --------- */

static bool can_trim(const struct sata_dev *d)
{
	return d->blk && !d->blk->read_only && d->blk->can_discard;
}

static void disk_identify(struct sata_dev *d, uint16_t *w)
{
	ata_identify_disk_words(w, d->serial, "VESSEL SATA DISK", d->sectors, &d->set);
	w[75] = SATA_NCQ_DEPTH - 1;
	w[76] = 0x0100 | 0x0008 | 0x0004 | 0x0002;	/* NCQ; Gen3, Gen2, Gen1 */
	w[84] |= 0x0040 | 0x0020;		/* WRITE DMA FUA EXT, General Purpose Logging */
	w[87] |= 0x0040 | 0x0020;
	w[88] = ata_xfer_bits(d->set.xfer_mode, 8, 0x007f);	/* Ultra DMA 0-6 */
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
	return ata_chs_to_lba((unsigned)cyl, (unsigned)head, (unsigned)sect, ATA_DEFAULT_HEADS,
			      ATA_DEFAULT_SPT, lba);
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
		if (!ret && (rw->fua || (rw->queued && (r->tf.device & 0x80)) || !d->set.write_cache))
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
	uint32_t count = ata_rw_count(rw, r->tf.count, r->tf.features);
	uint64_t lba;

	r->queued = rw->queued;
	if (rw->multiple && !d->set.mult) {
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
		if (ata_set_features(&d->set, (uint8_t)r->tf.features, (uint8_t)r->tf.count,
				     d->kind == SATA_DISK, true))
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

	switch (r->tf.command) {
	case CMD_IDENTIFY:
		disk_identify(d, w);
		sata_send_identify(d, r, w);
		return true;
	case CMD_SET_MULTIPLE:
		/* up to word 47 */
		if (ata_set_multiple(&d->set, r->tf.count & 0xff, SATA_MAX_MULTIPLE))
			sata_ok(d, r);
		else
			sata_fail(d, r, SATA_ER_ABRT);
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
	const struct ata_rw *rw = ata_rw_find(r->tf.command, true);

	if (rw) {
		rw_start(d, r, rw);
		return;
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

