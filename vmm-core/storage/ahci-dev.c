// SPDX-License-Identifier: GPL-2.0-or-later
/* The SATA device behind a port: its life cycle, signature, and helpers its command sets share. */
#include "ahci-dev.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ata-common.h"
#include "block/block.h"

#define POWER_ON_XFER		0x46	/* Ultra DMA mode 6 */

/* ---- Helpers for the command sets ----------------------------------------------------- */

void sata_guest_error(struct sata_dev *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!d->glog)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmm_guest_error(d->glog, "%s: %s", d->name, msg);
}

/* DSC is SERV for packet devices; they report DRDY alone (ATA8-ACS §6.1.5). */
static uint8_t idle_status(const struct sata_dev *d)
{
	return d->kind == SATA_CDROM ? SATA_ST_DRDY : SATA_ST_DRDY | SATA_ST_DSC;
}

void sata_ok(struct sata_dev *d, struct sata_req *r)
{
	r->tf.status = idle_status(d);
	r->tf.error = 0;
}

void sata_fail(struct sata_dev *d, struct sata_req *r, uint8_t error)
{
	r->tf.status = idle_status(d) | SATA_ST_ERR;
	r->tf.error = error;
}

int sata_data(struct sata_req *r, void *buf, size_t len, bool to_host)
{
	int ret;

	if (r->xfer_err)
		return r->xfer_err;
	r->to_host = to_host;
	ret = r->ops->data(r, buf, len, to_host);
	if (ret) {
		r->xfer_err = ret;
		return ret;
	}
	r->bytes += (uint32_t)len;
	return 0;
}

int sata_blk_to_host(struct sata_dev *d, struct sata_req *r, uint64_t off, uint64_t len)
{
	while (len) {
		size_t n = len < SATA_BUF_SIZE ? (size_t)len : SATA_BUF_SIZE;
		int ret = blk_pread(d->blk, off, d->buf, n);

		if (ret) {
			vmm_warn("%s: read error at byte %llu: %s", d->blk->path,
				 (unsigned long long)off, strerror(-ret));
			return -EIO;
		}
		ret = sata_data(r, d->buf, n, true);
		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

/* IDENTIFY (PACKET) DEVICE: 512 bytes by PIO data-in. */
int sata_send_identify(struct sata_dev *d, struct sata_req *r, uint16_t *w)
{
	uint8_t *buf = d->buf;

	ata_identify_checksum(w);
	for (unsigned i = 0; i < 256; i++) {
		buf[2 * i] = (uint8_t)w[i];
		buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	r->pio = true;
	if (sata_data(r, buf, 512, true))
		return -EIO;
	r->pio_in_done = true;
	sata_ok(d, r);
	return 0;
}

/* ---- The device -------------------------------------------------------------------- */

/* Signature (ATA8-ACS §9.12): count 1, LBA 1, and EB14h in LBA mid/high for packet devices. */
void sata_signature(const struct sata_dev *d, struct ata_tf *tf)
{
	bool packet = d->kind == SATA_CDROM;

	tf->count = 1;
	tf->lba = packet ? 0xeb1401 : 0x000001;
	tf->device = 0;
	tf->status = packet ? 0 : SATA_ST_DRDY | SATA_ST_DSC;
	tf->error = 0x01;	/* diagnostic code: no error (ATA8-ACS §7.13, Table 29) */
}

uint32_t sata_signature_word(const struct sata_dev *d)
{
	return d->kind == SATA_CDROM ? 0xeb140101u : 0x00000101u;
}

void sata_dev_reset(struct sata_dev *d, bool power_on)
{
	if (power_on) {
		d->set.mult = SATA_MAX_MULTIPLE;
		d->set.xfer_mode = POWER_ON_XFER;
		d->set.write_cache = true;
		d->ncq_err.valid = false;
	}
	if (d->kind == SATA_CDROM)
		sata_atapi_reset(d);
}

/* A serial number stable for an image (FNV-1a of its path and the name). */
static void make_serial(struct sata_dev *d)
{
	const char *p = d->blk ? d->blk->path : "";
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (p = d->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	snprintf(d->serial, sizeof(d->serial), "VS%016llX", (unsigned long long)h);
}

int sata_dev_init(struct sata_dev *d, enum sata_kind kind, struct blk *blk, const char *name,
		  struct vmm_guest_log *glog)
{
	memset(d, 0, sizeof(*d));
	if (kind == SATA_NONE)
		return 0;
	/* Aligned, so O_DIRECT images can read straight into it. */
	if (posix_memalign((void **)&d->buf, 4096, SATA_BUF_SIZE))
		return -ENOMEM;
	memset(d->buf, 0, SATA_BUF_SIZE);
	d->kind = kind;
	d->glog = glog;
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (kind == SATA_DISK) {
		d->blk = blk;
		d->sectors = blk->size / SATA_SECTOR;
	} else {
		sata_atapi_set_medium(d, blk, false);
	}
	make_serial(d);
	sata_dev_reset(d, true);
	return 0;
}

void sata_dev_exit(struct sata_dev *d)
{
	free(d->buf);
	memset(d, 0, sizeof(*d));
}
