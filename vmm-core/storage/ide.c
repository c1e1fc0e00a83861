// SPDX-License-Identifier: GPL-2.0-or-later
/* The IDE channels: task-file ports, device selection, SRST, INTRQ, attach and reset. */
#include "ata.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atapi.h"
#include "block/block.h"

static const uint16_t ide_cmd_base[2] = { IDE_PRIMARY_CMD, IDE_SECONDARY_CMD };
static const uint16_t ide_ctl_base[2] = { IDE_PRIMARY_CTL, IDE_SECONDARY_CTL };

void ide_guest_error(struct ide *ide, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!ide->glog)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmm_guest_error(ide->glog, "%s", msg);
}

/* ---- INTRQ --------------------------------------------------------------------- */

/*
 * Only the selected device drives INTRQ, and not while nIEN is set (ATA/ATAPI-6 §5.2.9,
 * §7.8). In compatibility mode the line is ISA IRQ 14/15, edge-triggered: it rises when a
 * command completes and falls when the guest reads the status register.
 */
static void ide_update_irq(struct ide_channel *ch)
{
	struct ide_drive *d = &ch->drive[ch->cur];
	bool level = ide_present(d) && d->irq_pending && !(ch->devctl & ATA_CTL_NIEN);

	if (level == ch->irq_level)
		return;
	ch->irq_level = level;
	vmm_irq_set(&ch->irq, level);
}

void ide_raise_irq(struct ide_drive *d)
{
	d->irq_pending = true;
	/* The bus master latches every device interrupt (SFF-8038i, status bit 2). */
	d->ch->bm_status |= BM_ST_INTR;
	ide_update_irq(d->ch);
}

void ide_lower_irq(struct ide_drive *d)
{
	d->irq_pending = false;
	ide_update_irq(d->ch);
}

/* ---- PIO data window ------------------------------------------------------------ */

void ide_pio_start(struct ide_drive *d, uint32_t pos, uint32_t end, enum ide_end action)
{
	struct ide_channel *ch = d->ch;

	ch->xd = d;
	ch->pos = pos;
	ch->end = end;
	ch->end_action = action;
	ch->dma = IDE_DMA_NONE;
}

void ide_xfer_stop(struct ide_channel *ch)
{
	ch->xd = NULL;
	ch->pos = ch->end = ch->total = 0;
	ch->end_action = IDE_END_NONE;
	ch->dma = IDE_DMA_NONE;
}

static bool ide_end_is_out(enum ide_end a)
{
	return a == IDE_END_ATA_WRITE || a == IDE_END_PACKET;
}

static void ide_pio_end(struct ide_channel *ch)
{
	struct ide_drive *d = ch->xd;
	enum ide_end a = ch->end_action;

	switch (a) {
	case IDE_END_PACKET:
		atapi_packet_received(d);
		break;
	case IDE_END_ATAPI:
		atapi_pio_next(d);
		break;
	default:
		ata_pio_end(d, a);
		break;
	}
}

/* Is the data port open in this direction for the selected device? */
static bool ide_data_ok(struct ide_channel *ch, bool out)
{
	struct ide_drive *d = &ch->drive[ch->cur];

	if (ch->end_action == IDE_END_NONE || ch->xd != d || !(d->status & ATA_ST_DRQ) ||
	    ide_end_is_out(ch->end_action) != out || ch->pos >= ch->end) {
		ide_guest_error(ch->ide, "ide%u: data port %s without DRQ", ch->index,
				out ? "write" : "read");
		return false;
	}
	return true;
}

/* 16-bit PIO, or 32-bit where the host chipset allows it (PIIX3 does); bytes past the
 * window read as zero and are dropped on write. */
static uint32_t ide_data_read(struct ide_channel *ch, unsigned size)
{
	uint32_t v = 0;

	if (!ide_data_ok(ch, false))
		return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	for (unsigned i = 0; i < size && ch->pos < ch->end; i++)
		v |= (uint32_t)ch->buf[ch->pos++] << (8 * i);
	if (ch->pos == ch->end)
		ide_pio_end(ch);
	return v;
}

static void ide_data_write(struct ide_channel *ch, uint32_t v, unsigned size)
{
	if (!ide_data_ok(ch, true))
		return;
	for (unsigned i = 0; i < size && ch->pos < ch->end; i++)
		ch->buf[ch->pos++] = (uint8_t)(v >> (8 * i));
	if (ch->pos == ch->end)
		ide_pio_end(ch);
}

/* ---- Task file ------------------------------------------------------------------ */

static bool ide_channel_empty(const struct ide_channel *ch)
{
	return !ide_present(&ch->drive[0]) && !ide_present(&ch->drive[1]);
}

/*
 * Reads come from the selected device. With no device at all the bus floats (0xFF), which
 * SeaBIOS and Linux both take for "nothing here". An absent device next to a present one
 * reads as all zeros: status 00h as device 0 answers for it (§9.16.1), and zero registers,
 * so the register read-back probes of SeaBIOS (ata_detect) and Linux (ata_devchk) find
 * nobody there instead of device 0's signature.
 */
static uint8_t ide_status(struct ide_channel *ch)
{
	struct ide_drive *d = &ch->drive[ch->cur];

	if (ide_channel_empty(ch))
		return 0xff;
	return ide_present(d) ? d->status : 0;
}

static uint8_t ide_read_reg(struct ide_channel *ch, unsigned reg)
{
	struct ide_drive *d = &ch->drive[ch->cur];
	bool hob = ch->devctl & ATA_CTL_HOB;

	if (ide_channel_empty(ch))
		return 0xff;
	if (!ide_present(d))
		return 0;
	switch (reg) {
	case ATA_REG_FEATURE:
		return d->error;
	case ATA_REG_NSECT:
		return hob ? d->hob_nsect : d->nsect;
	case ATA_REG_LBAL:
		return hob ? d->hob_lbal : d->lbal;
	case ATA_REG_LBAM:
		return hob ? d->hob_lbam : d->lbam;
	case ATA_REG_LBAH:
		return hob ? d->hob_lbah : d->lbah;
	case ATA_REG_DEVICE:
		return d->device;
	default:
		ide_lower_irq(d);	/* reading status acknowledges INTRQ */
		return d->status;
	}
}

static void ide_command(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_drive *d = &ch->drive[ch->cur];

	if (!ide_present(d) || (ch->devctl & ATA_CTL_SRST))
		return;		/* nobody there, or held in reset: the write is lost */
	ide_lower_irq(d);
	ata_exec(d, cmd);
}

/* Writes reach both devices; each 48-bit register keeps its previous value (§7.1). */
static void ide_latch(struct ide_drive *d, unsigned reg, uint8_t v)
{
	switch (reg) {
	case ATA_REG_FEATURE:
		d->hob_feature = d->feature;
		d->feature = v;
		break;
	case ATA_REG_NSECT:
		d->hob_nsect = d->nsect;
		d->nsect = v;
		break;
	case ATA_REG_LBAL:
		d->hob_lbal = d->lbal;
		d->lbal = v;
		break;
	case ATA_REG_LBAM:
		d->hob_lbam = d->lbam;
		d->lbam = v;
		break;
	case ATA_REG_LBAH:
		d->hob_lbah = d->lbah;
		d->lbah = v;
		break;
	case ATA_REG_DEVICE:
		d->device = v;
		break;
	}
}

static void ide_write_reg(struct ide_channel *ch, unsigned reg, uint8_t v)
{
	if (ide_channel_empty(ch))
		return;
	if (reg == ATA_REG_CMD) {
		ide_command(ch, v);
		return;
	}
	ch->devctl &= (uint8_t)~ATA_CTL_HOB;	/* §7.8: any command block write clears HOB */
	ide_latch(&ch->drive[0], reg, v);
	ide_latch(&ch->drive[1], reg, v);
	if (reg == ATA_REG_DEVICE) {
		ch->cur = (v & ATA_DEV_DEV) ? 1 : 0;
		ide_update_irq(ch);
	}
}

/* Device control: SRST held high keeps both devices busy; its release resets them (§9.2). */
static void ide_write_devctl(struct ide_channel *ch, uint8_t v)
{
	uint8_t old = ch->devctl;

	ch->devctl = v;
	if ((v & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
		ide_xfer_stop(ch);
		for (unsigned i = 0; i < 2; i++) {
			ch->drive[i].status = ATA_ST_BSY;
			ch->drive[i].irq_pending = false;
		}
	} else if (!(v & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
		for (unsigned i = 0; i < 2; i++) {
			if (ide_present(&ch->drive[i]))
				ata_reset_drive(&ch->drive[i], false);
			ch->drive[i].device = 0;
		}
		ch->cur = 0;
	}
	ide_update_irq(ch);
}

static uint64_t ide_cmd_read(void *opaque, uint64_t off, unsigned size)
{
	struct ide_channel *ch = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&ch->ide->lock);
	if (off == ATA_REG_DATA)
		v = ide_data_read(ch, size);
	else
		for (unsigned i = 0; i < size && off + i <= ATA_REG_CMD; i++)
			v |= (uint64_t)ide_read_reg(ch, (unsigned)off + i) << (8 * i);
	pthread_mutex_unlock(&ch->ide->lock);
	return v;
}

static void ide_cmd_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
	struct ide_channel *ch = opaque;

	pthread_mutex_lock(&ch->ide->lock);
	if (off == ATA_REG_DATA)
		ide_data_write(ch, (uint32_t)v, size);
	else
		for (unsigned i = 0; i < size && off + i <= ATA_REG_CMD; i++)
			ide_write_reg(ch, (unsigned)off + i, (uint8_t)(v >> (8 * i)));
	pthread_mutex_unlock(&ch->ide->lock);
}

/* Alternate status: the status without acknowledging the interrupt. */
static uint64_t ide_ctl_read(void *opaque, uint64_t off, unsigned size)
{
	struct ide_channel *ch = opaque;
	uint8_t v;

	pthread_mutex_lock(&ch->ide->lock);
	v = ide_status(ch);
	pthread_mutex_unlock(&ch->ide->lock);
	return v;
}

static void ide_ctl_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
	struct ide_channel *ch = opaque;

	pthread_mutex_lock(&ch->ide->lock);
	ide_write_devctl(ch, (uint8_t)v);
	pthread_mutex_unlock(&ch->ide->lock);
}

/* Locking: each handler takes the controller lock; called from vCPU threads. */
const struct vmm_io_ops ide_cmd_io_ops = {
	.name = "ide-cmd",
	.read = ide_cmd_read,
	.write = ide_cmd_write,
	.min_size = 1,
	.max_size = 4,
};

const struct vmm_io_ops ide_ctl_io_ops = {
	.name = "ide-ctl",
	.read = ide_ctl_read,
	.write = ide_ctl_write,
	.min_size = 1,
	.max_size = 1,
};

void *ide_channel_of(struct ide *ide, unsigned channel)
{
	return channel < 2 ? &ide->ch[channel] : NULL;
}

/* ---- Drives ---------------------------------------------------------------------- */

/* A serial number stable for an image (FNV-1a of its path and position). */
static void ide_make_serial(struct ide_drive *d)
{
	const char *p = d->blk ? d->blk->path : "";
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h = (h ^ (d->ch->index * 2 + d->unit)) * 0x100000001b3ull;
	snprintf(d->serial, sizeof(d->serial), "VS%016llX", (unsigned long long)h);
}

int ide_attach(struct ide *ide, unsigned channel, unsigned unit, struct blk *blk,
	       enum ide_kind kind)
{
	struct ide_drive *d;
	int ret = 0;

	if (channel > 1 || unit > 1 || kind > IDE_CDROM || (kind == IDE_DISK && !blk) ||
	    (kind == IDE_NONE && blk))
		return -EINVAL;
	pthread_mutex_lock(&ide->lock);
	d = &ide->ch[channel].drive[unit];
	if (kind != IDE_NONE && ide_present(d)) {
		ret = -EBUSY;
		goto out;
	}
	if (ide->ch[channel].xd == d)
		ide_xfer_stop(&ide->ch[channel]);
	d->kind = kind;
	d->blk = kind == IDE_DISK ? blk : NULL;
	d->sectors = kind == IDE_DISK ? blk->size / ATA_SECTOR : 0;
	memset(&d->atapi, 0, sizeof(d->atapi));
	if (kind == IDE_CDROM)
		atapi_set_medium(d, blk);
	ide_make_serial(d);
	ata_reset_drive(d, true);
	ide_update_irq(&ide->ch[channel]);
out:
	pthread_mutex_unlock(&ide->lock);
	return ret;
}

struct ide_drive *ide_get_drive(struct ide *ide, unsigned channel, unsigned unit)
{
	if (channel > 1 || unit > 1)
		return NULL;
	return &ide->ch[channel].drive[unit];
}

/* ---- Controller ------------------------------------------------------------------ */

static void ide_channel_reset(struct ide_channel *ch)
{
	ide_xfer_stop(ch);
	ch->devctl = 0;
	ch->cur = 0;
	ch->bm_cmd = 0;
	ch->bm_status = 0;
	ch->bm_prd = 0;
	for (unsigned i = 0; i < 2; i++) {
		struct ide_drive *d = &ch->drive[i];

		if (!ide_present(d))
			continue;
		d->atapi.cd.locked = false;
		ata_reset_drive(d, true);
	}
	ch->drive[0].irq_pending = ch->drive[1].irq_pending = false;
	ch->irq_level = false;
	vmm_irq_set(&ch->irq, 0);
}

void ide_reset(struct ide *ide)
{
	pthread_mutex_lock(&ide->lock);
	for (unsigned c = 0; c < 2; c++)
		ide_channel_reset(&ide->ch[c]);
	pthread_mutex_unlock(&ide->lock);
}

void ide_unregister(struct ide *ide)
{
	if (!ide->pio)
		return;
	for (unsigned c = 0; c < 2; c++) {
		if (ide->cmd_registered[c])
			vmm_bus_unregister(ide->pio, ide_cmd_base[c], &ide->ch[c]);
		if (ide->ctl_registered[c])
			vmm_bus_unregister(ide->pio, ide_ctl_base[c], &ide->ch[c]);
		ide->cmd_registered[c] = ide->ctl_registered[c] = false;
	}
	if (ide->bm_registered)
		vmm_bus_unregister(ide->pio, ide->bm_base, ide);
	ide->bm_registered = false;
}

static int ide_register(struct ide *ide, uint16_t bm_base)
{
	int ret;

	for (unsigned c = 0; c < 2; c++) {
		ret = vmm_bus_register(ide->pio, ide_cmd_base[c], 8, &ide_cmd_io_ops, &ide->ch[c]);
		if (ret)
			return ret;
		ide->cmd_registered[c] = true;
		ret = vmm_bus_register(ide->pio, ide_ctl_base[c], 1, &ide_ctl_io_ops, &ide->ch[c]);
		if (ret)
			return ret;
		ide->ctl_registered[c] = true;
	}
	if (!bm_base)
		return 0;
	ret = vmm_bus_register(ide->pio, bm_base, IDE_BMDMA_SIZE, &ide_bmdma_io_ops, ide);
	if (ret)
		return ret;
	ide->bm_base = bm_base;
	ide->bm_registered = true;
	return 0;
}

struct ide *ide_new(const struct ide_config *cfg)
{
	struct ide *ide = calloc(1, sizeof(*ide));

	if (!ide)
		return NULL;
	pthread_mutex_init(&ide->lock, NULL);
	ide->pio = cfg->pio;
	ide->glog = cfg->glog;
	ide->mem = cfg->mem;
	for (unsigned c = 0; c < 2; c++) {
		struct ide_channel *ch = &ide->ch[c];

		ch->ide = ide;
		ch->index = c;
		ch->irq = cfg->irq[c];
		/* Aligned, so O_DIRECT images can read straight into it. */
		if (posix_memalign((void **)&ch->buf, 4096, IDE_BUF_SIZE))
			goto fail;
		memset(ch->buf, 0, IDE_BUF_SIZE);
		for (unsigned u = 0; u < 2; u++) {
			ch->drive[u].ch = ch;
			ch->drive[u].unit = u;
		}
	}
	if (ide->pio && ide_register(ide, cfg->bmdma_base))
		goto fail;
	return ide;
fail:
	ide_free(ide);
	return NULL;
}

void ide_free(struct ide *ide)
{
	if (!ide)
		return;
	if (ide->pci_exit)
		ide->pci_exit(ide);
	ide_unregister(ide);
	for (unsigned c = 0; c < 2; c++)
		free(ide->ch[c].buf);
	pthread_mutex_destroy(&ide->lock);
	free(ide);
}

void ide_get_stats(struct ide *ide, struct ide_stats *out)
{
	pthread_mutex_lock(&ide->lock);
	*out = ide->stats;
	pthread_mutex_unlock(&ide->lock);
}
