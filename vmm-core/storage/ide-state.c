// SPDX-License-Identifier: GPL-2.0-or-later
/* IDE snapshot state: task files, PIO window, bus-master registers, ATAPI sense and media. */
#include "ata.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ide-state.h"

/* ---- Save ----------------------------------------------------------------------------- */

static void drive_save(const struct ide_drive *d, struct ide_drive_state *s)
{
	s->kind = (uint8_t)d->kind;
	s->feature = d->feature;
	s->nsect = d->nsect;
	s->lbal = d->lbal;
	s->lbam = d->lbam;
	s->lbah = d->lbah;
	s->hob_feature = d->hob_feature;
	s->hob_nsect = d->hob_nsect;
	s->hob_lbal = d->hob_lbal;
	s->hob_lbam = d->hob_lbam;
	s->hob_lbah = d->hob_lbah;
	s->device = d->device;
	s->status = d->status;
	s->error = d->error;
	s->irq_pending = d->irq_pending;
	ata_settings_save(&d->set, &s->set);
	s->heads = d->heads;
	s->spt = d->spt;
	s->lba = d->lba;
	s->left = d->left;
	s->block = d->block;
	s->cur_block = d->cur_block;
	scsi_cd_save(&d->atapi.cd, &s->cd);
	s->limit = d->atapi.limit;
	s->atapi_dma = d->atapi.dma;
	memcpy(s->cdb, d->atapi.cdb, sizeof(s->cdb));
}

static uint32_t buf_bytes(const struct ide_channel *ch)
{
	return ch->end > ch->total ? ch->end : ch->total;
}

static void channel_save(const struct ide_channel *ch, struct ide_channel_state *s)
{
	for (unsigned u = 0; u < 2; u++)
		drive_save(&ch->drive[u], &s->drive[u]);
	s->pos = ch->pos;
	s->end = ch->end;
	s->total = ch->total;
	s->bm_prd = ch->bm_prd;
	s->cur = (uint8_t)ch->cur;
	s->devctl = ch->devctl;
	s->irq_level = ch->irq_level;
	s->end_action = (uint8_t)ch->end_action;
	s->xd = ch->xd ? (uint8_t)ch->xd->unit : IDE_STATE_NO_XD;
	s->dma = (uint8_t)ch->dma;
	s->bm_cmd = ch->bm_cmd;
	s->bm_status = ch->bm_status;
}

int ide_save(struct ide *ide, void **blob, size_t *len)
{
	struct ide_state *s;
	uint8_t *tail;
	size_t n;

	pthread_mutex_lock(&ide->lock);
	n = sizeof(*s) + buf_bytes(&ide->ch[0]) + buf_bytes(&ide->ch[1]);
	s = calloc(1, n);
	if (!s) {
		pthread_mutex_unlock(&ide->lock);
		return -ENOMEM;
	}
	s->version = IDE_STATE_VERSION;
	tail = (uint8_t *)(s + 1);
	for (unsigned c = 0; c < 2; c++) {
		const struct ide_channel *ch = &ide->ch[c];

		channel_save(ch, &s->ch[c]);
		s->buf_len[c] = buf_bytes(ch);
		memcpy(tail, ch->buf, s->buf_len[c]);
		tail += s->buf_len[c];
	}
	pthread_mutex_unlock(&ide->lock);
	*blob = s;
	*len = n;
	return 0;
}

/* ---- Load: check everything first ------------------------------------------------------ */

/* In the unit d->lba counts: 2048-byte sectors of the medium, or 512-byte disk sectors. */
static uint64_t drive_sectors(const struct ide_drive *d)
{
	return d->kind == IDE_CDROM ? d->atapi.cd.sectors : d->sectors;
}

static bool drive_geometry_ok(const struct ide_drive *d, const struct ide_drive_state *s,
			      const char *dev)
{
	uint64_t sectors = drive_sectors(d);

	if (s->lba > sectors || s->left > sectors - s->lba) {
		vmm_warn("snapshot: %s: transfer at sector %llu + %u lies past the end (%llu)", dev,
			 (unsigned long long)s->lba, s->left, (unsigned long long)sectors);
		return false;
	}
	if (s->block > IDE_BUF_SIZE / ATA_SECTOR || s->cur_block > IDE_BUF_SIZE / ATA_SECTOR) {
		vmm_warn("snapshot: %s: DRQ block of %u/%u sectors exceeds the buffer", dev,
			 s->block, s->cur_block);
		return false;
	}
	/* INITIALIZE DEVICE PARAMETERS: heads from a 4-bit field + 1, a non-zero count. */
	if (s->heads < 1 || s->heads > 16 || s->spt < 1 || s->spt > 255) {
		vmm_warn("snapshot: %s: CHS translation %u heads x %u sectors out of range", dev,
			 s->heads, s->spt);
		return false;
	}
	return true;
}

static bool drive_check(const struct ide_drive *d, const struct ide_drive_state *s,
			const char *dev)
{
	if (s->kind != (uint8_t)d->kind) {
		vmm_warn("snapshot: %s: drive kind %u differs from the configured %u", dev, s->kind,
			 d->kind);
		return false;
	}
	if (!ide_present(d))
		return true;
	if (!state_flag_ok(s->irq_pending, dev, "interrupt pending") ||
	    !state_flag_ok(s->atapi_dma, dev, "ATAPI DMA"))
		return false;
	if (!ata_settings_check(&s->set, d->kind == IDE_DISK, false, ATA_MAX_MULTIPLE, dev))
		return false;
	if (d->kind == IDE_CDROM && !scsi_cd_check(&d->atapi.cd, &s->cd, dev))
		return false;
	return drive_geometry_ok(d, s, dev);
}

static bool window_check(const struct ide_channel_state *s, uint32_t buf_len, const char *dev)
{
	if (s->end > IDE_BUF_SIZE || s->total > IDE_BUF_SIZE || s->pos > s->end) {
		vmm_warn("snapshot: %s: PIO window %u..%u (total %u) outside the buffer", dev,
			 s->pos, s->end, s->total);
		return false;
	}
	if (buf_len != (s->end > s->total ? s->end : s->total)) {
		vmm_warn("snapshot: %s: buffer length %u does not match the window", dev, buf_len);
		return false;
	}
	if (s->end_action > IDE_END_ATAPI || s->dma > IDE_DMA_ATAPI_BUF) {
		vmm_warn("snapshot: %s: transfer phase %u/%u unknown", dev, s->end_action, s->dma);
		return false;
	}
	return true;
}

/* PACKET phases and ATAPI DMA belong to a CD-ROM, sector moves by ATA commands to a disk. */
static bool phase_fits(const struct ide_channel_state *s, bool cd)
{
	bool atapi_end = s->end_action == IDE_END_PACKET || s->end_action == IDE_END_ATAPI;
	bool ata_end = s->end_action == IDE_END_ATA_READ || s->end_action == IDE_END_ATA_WRITE;
	bool atapi_dma = s->dma == IDE_DMA_ATAPI_READ || s->dma == IDE_DMA_ATAPI_BUF;
	bool ata_dma = s->dma == IDE_DMA_ATA_READ || s->dma == IDE_DMA_ATA_WRITE;

	return cd ? !ata_end && !ata_dma : !atapi_end && !atapi_dma;
}

static bool channel_check(const struct ide_channel *ch, const struct ide_channel_state *s,
			  uint32_t buf_len)
{
	char dev[32];
	bool busy = s->end_action != IDE_END_NONE || s->dma != IDE_DMA_NONE;

	for (unsigned u = 0; u < 2; u++) {
		snprintf(dev, sizeof(dev), "ide%u-%u", ch->index, u);
		if (!drive_check(&ch->drive[u], &s->drive[u], dev))
			return false;
	}
	snprintf(dev, sizeof(dev), "ide%u", ch->index);
	if (s->cur > 1) {
		vmm_warn("snapshot: %s: selected device %u is not 0 or 1", dev, s->cur);
		return false;
	}
	if (!state_flag_ok(s->irq_level, dev, "interrupt line"))
		return false;
	if (!window_check(s, buf_len, dev))
		return false;
	if (s->xd != IDE_STATE_NO_XD && (s->xd > 1 || !ide_present(&ch->drive[s->xd]))) {
		vmm_warn("snapshot: %s: transfer owner %u is not a drive", dev, s->xd);
		return false;
	}
	if (busy && s->xd == IDE_STATE_NO_XD) {
		vmm_warn("snapshot: %s: transfer in progress without an owner", dev);
		return false;
	}
	if (busy && !phase_fits(s, ch->drive[s->xd].kind == IDE_CDROM)) {
		vmm_warn("snapshot: %s: transfer phase %u/%u does not fit drive %u", dev,
			 s->end_action, s->dma, s->xd);
		return false;
	}
	if ((s->bm_cmd & ~(BM_CMD_START | BM_CMD_TO_MEM)) || (s->bm_prd & 3)) {
		vmm_warn("snapshot: %s: bus-master command %#x / PRD %#x invalid", dev, s->bm_cmd,
			 s->bm_prd);
		return false;
	}
	return true;
}

/* ---- Load: commit --------------------------------------------------------------------- */

static void drive_restore(struct ide_drive *d, const struct ide_drive_state *s)
{
	d->feature = s->feature;
	d->nsect = s->nsect;
	d->lbal = s->lbal;
	d->lbam = s->lbam;
	d->lbah = s->lbah;
	d->hob_feature = s->hob_feature;
	d->hob_nsect = s->hob_nsect;
	d->hob_lbal = s->hob_lbal;
	d->hob_lbam = s->hob_lbam;
	d->hob_lbah = s->hob_lbah;
	d->device = s->device;
	d->status = s->status;
	d->error = s->error;
	d->irq_pending = s->irq_pending;
	ata_settings_restore(&d->set, &s->set);
	d->heads = s->heads;
	d->spt = s->spt;
	d->lba = s->lba;
	d->left = s->left;
	d->block = s->block;
	d->cur_block = s->cur_block;
	if (d->kind == IDE_CDROM)
		scsi_cd_restore(&d->atapi.cd, &s->cd);
	d->atapi.limit = s->limit;
	d->atapi.dma = s->atapi_dma;
	memcpy(d->atapi.cdb, s->cdb, sizeof(s->cdb));
}

static void channel_restore(struct ide_channel *ch, const struct ide_channel_state *s,
			    const uint8_t *buf, uint32_t buf_len)
{
	for (unsigned u = 0; u < 2; u++)
		if (ide_present(&ch->drive[u]))
			drive_restore(&ch->drive[u], &s->drive[u]);
	ch->cur = s->cur;
	ch->devctl = s->devctl;
	ch->pos = s->pos;
	ch->end = s->end;
	ch->total = s->total;
	ch->end_action = (enum ide_end)s->end_action;
	ch->xd = s->xd == IDE_STATE_NO_XD ? NULL : &ch->drive[s->xd];
	ch->dma = (enum ide_dma)s->dma;
	ch->bm_cmd = s->bm_cmd;
	ch->bm_status = s->bm_status;
	ch->bm_prd = s->bm_prd;
	memcpy(ch->buf, buf, buf_len);
	/* A line that was high goes high again: the interrupt controller sees its edge. */
	ch->irq_level = s->irq_level;
	vmm_irq_set(&ch->irq, ch->irq_level);
}

int ide_load(struct ide *ide, const void *blob, size_t len)
{
	struct ide_state s;
	const uint8_t *tail = (const uint8_t *)blob + sizeof(s);

	if (len < sizeof(s)) {
		vmm_warn("snapshot: ide: state of %zu bytes is truncated", len);
		return -EINVAL;
	}
	memcpy(&s, blob, sizeof(s));
	if (s.version != IDE_STATE_VERSION) {
		vmm_warn("snapshot: ide: version %u is not %u", s.version, IDE_STATE_VERSION);
		return -EINVAL;
	}
	if (s.buf_len[0] > IDE_BUF_SIZE || s.buf_len[1] > IDE_BUF_SIZE ||
	    len - sizeof(s) != (size_t)s.buf_len[0] + s.buf_len[1]) {
		vmm_warn("snapshot: ide: buffer lengths %u + %u do not match the state size %zu",
			 s.buf_len[0], s.buf_len[1], len);
		return -EINVAL;
	}
	pthread_mutex_lock(&ide->lock);
	for (unsigned c = 0; c < 2; c++) {
		if (!channel_check(&ide->ch[c], &s.ch[c], s.buf_len[c])) {
			pthread_mutex_unlock(&ide->lock);
			return -EINVAL;
		}
	}
	for (unsigned c = 0; c < 2; c++) {
		channel_restore(&ide->ch[c], &s.ch[c], tail, s.buf_len[c]);
		tail += s.buf_len[c];
	}
	pthread_mutex_unlock(&ide->lock);
	/* The legacy ports follow the restored config space (IDETIM, PCI command). */
	if (ide->has_pci)
		ide_pci_sync(ide);
	return 0;
}
