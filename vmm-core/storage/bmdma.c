// SPDX-License-Identifier: GPL-2.0-or-later
/* IDE bus-master DMA (SFF-8038i, PIIX3 BMIBA registers): PRD table walks and transfers. */
#include "ata.h"

#include <errno.h>
#include <string.h>

#include "atapi.h"
#include "block/block.h"

/*
 * The guest's PRD table (SFF-8038i §2.2): 8-byte entries {u32 address (bit 0 zero),
 * u16 byte count (bit 0 zero, 0 = 64 KiB), bit 31 of the second dword = end of table}.
 * The walk is bounded: a table that never sets EOT stops after BM_PRD_MAX_STEPS entries.
 */
struct prd_cursor {
	uint64_t next;		/* guest address of the next entry */
	uint64_t addr;		/* unused part of the current entry */
	uint32_t left;
	bool eot;		/* the current entry is the last one */
	unsigned steps;
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Guest RAM on the device's behalf: through the PCI function once there is one. */
static int ide_dma_rw(struct ide *ide, uint64_t gpa, void *buf, size_t len, bool to_mem)
{
	if (ide->dma_rw)
		return ide->dma_rw(ide, gpa, buf, len, to_mem);
	if (!ide->mem)
		return -EFAULT;
	return to_mem ? vm_memory_write(ide->mem, gpa, buf, len)
		      : vm_memory_read(ide->mem, gpa, buf, len);
}

static int prd_load(struct ide_channel *ch, struct prd_cursor *cur)
{
	struct ide *ide = ch->ide;
	uint8_t e[8];
	uint32_t cnt;

	if (cur->eot) {
		ide_guest_error(ide, "ide%u: PRD table ends before the transfer does", ch->index);
		return -ENOSPC;
	}
	if (cur->steps >= BM_PRD_MAX_STEPS) {
		ide_guest_error(ide, "ide%u: PRD table at %#x has no end-of-table mark in %u "
				"entries", ch->index, ch->bm_prd, BM_PRD_MAX_STEPS);
		return -ELOOP;
	}
	if (ide_dma_rw(ide, cur->next, e, sizeof(e), false)) {
		ide_guest_error(ide, "ide%u: PRD entry at %#llx is not in guest RAM", ch->index,
				(unsigned long long)cur->next);
		return -EFAULT;
	}
	cur->steps++;
	ide->stats.prd_steps++;
	cnt = le32(e + 4);
	cur->addr = le32(e) & ~1u;
	cur->left = (cnt & 0xfffe) ? (cnt & 0xfffe) : 0x10000;
	cur->eot = cnt & BM_PRD_EOT;
	cur->next += sizeof(e);
	if (cur->addr + cur->left > (1ull << 32)) {
		ide_guest_error(ide, "ide%u: PRD region %#llx+%u crosses 4 GiB", ch->index,
				(unsigned long long)cur->addr, cur->left);
		return -EFAULT;
	}
	return 0;
}

/* Move len bytes between buf and the regions the PRD table describes. */
static int prd_copy(struct ide_channel *ch, struct prd_cursor *cur, uint8_t *buf, size_t len,
		    bool to_mem)
{
	while (len) {
		uint32_t n;
		int ret;

		if (!cur->left) {
			ret = prd_load(ch, cur);
			if (ret)
				return ret;
		}
		n = len < cur->left ? (uint32_t)len : cur->left;
		if (ide_dma_rw(ch->ide, cur->addr, buf, n, to_mem)) {
			ide_guest_error(ch->ide, "ide%u: DMA to %#llx+%u: not guest RAM (or bus "
					"mastering is off)", ch->index,
					(unsigned long long)cur->addr, n);
			return -EFAULT;
		}
		cur->addr += n;
		cur->left -= n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Sectors between the image and guest memory, a bounce buffer at a time. */
static int ide_dma_sectors(struct ide_channel *ch, struct prd_cursor *cur, struct ide_drive *d,
			   unsigned ssize, bool write)
{
	uint32_t per = IDE_BUF_SIZE / ssize;
	int ret;

	while (d->left) {
		uint32_t n = d->left < per ? d->left : per;
		size_t bytes = (size_t)n * ssize;

		if (!d->blk)
			return -EIO;
		if (write) {
			ret = prd_copy(ch, cur, ch->buf, bytes, false);
			if (ret)
				return ret;
			if (ata_write_out(d, ch->buf, n))
				return -ECANCELED;
		} else {
			ret = blk_pread(d->blk, d->lba * ssize, ch->buf, bytes);
			if (ret) {
				vmm_warn("%s: read error at %llu: %s", d->blk->path,
					 (unsigned long long)(d->lba * ssize), strerror(-ret));
				return -EIO;
			}
			ret = prd_copy(ch, cur, ch->buf, bytes, true);
			if (ret)
				return ret;
		}
		d->lba += n;
		d->left -= n;
	}
	return 0;
}

/*
 * Bus-master status after a transfer (SFF-8038i §3.1, "Interrupt/Active" table): Active
 * clears when the PRD table and the device end together and stays set when the table had
 * room to spare. A table too short would leave the device waiting forever; we end the
 * command with an error instead. A PRD outside RAM is this VMM's master abort: Error.
 */
static void ide_dma_status(struct ide_channel *ch, const struct prd_cursor *cur, int ret)
{
	if (ret == -EFAULT || ret == -ELOOP)
		ch->bm_status |= BM_ST_ERROR;
	if (ret == -EFAULT || ret == -ELOOP || ret == -ENOSPC)
		ch->ide->stats.dma_errors++;
	if (ret || (cur->eot && !cur->left))
		ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
}

static void ide_dma_run(struct ide_channel *ch)
{
	struct ide_drive *d = ch->xd;
	struct prd_cursor cur = { .next = ch->bm_prd };
	enum ide_dma kind = ch->dma;
	bool to_mem = kind != IDE_DMA_ATA_WRITE;
	int ret;

	ch->dma = IDE_DMA_NONE;
	ch->ide->stats.dma_xfers++;
	if (!(ch->bm_cmd & BM_CMD_TO_MEM) != !to_mem)
		ide_guest_error(ch->ide, "ide%u: bus-master direction does not match the command",
				ch->index);
	switch (kind) {
	case IDE_DMA_ATA_READ:
		ret = ide_dma_sectors(ch, &cur, d, ATA_SECTOR, false);
		break;
	case IDE_DMA_ATA_WRITE:
		ret = ide_dma_sectors(ch, &cur, d, ATA_SECTOR, true);
		break;
	case IDE_DMA_ATAPI_READ:
		ret = ide_dma_sectors(ch, &cur, d, ATAPI_SECTOR, false);
		break;
	default:
		ret = prd_copy(ch, &cur, ch->buf, ch->total, true);
		break;
	}
	ide_dma_status(ch, &cur, ret);
	ch->xd = NULL;
	if (d->kind == IDE_CDROM)
		atapi_dma_done(d, ret);
	else
		ata_dma_done(d, ret);
}

/* A DMA command is ready on the device side; it runs once the bus master is started. */
void ide_dma_begin(struct ide_drive *d, enum ide_dma kind)
{
	struct ide_channel *ch = d->ch;

	ch->xd = d;
	ch->dma = kind;
	ch->end_action = IDE_END_NONE;
	ch->pos = ch->end = 0;
	d->status = (d->kind == IDE_CDROM ? ATA_ST_DRDY : ATA_ST_DRDY | ATA_ST_DSC) | ATA_ST_DRQ;
	if ((ch->bm_cmd & BM_CMD_START) && (ch->bm_status & BM_ST_ACTIVE))
		ide_dma_run(ch);
}

static void bm_write_cmd(struct ide_channel *ch, uint8_t v)
{
	uint8_t old = ch->bm_cmd;

	ch->bm_cmd = v & (BM_CMD_START | BM_CMD_TO_MEM);
	if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
		ch->bm_status |= BM_ST_ACTIVE;
		if (ch->dma != IDE_DMA_NONE && ch->xd)
			ide_dma_run(ch);
	} else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
		/* Stopping the engine abandons the transfer (§3.1, bit 0). */
		ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
	}
}

static uint8_t bm_read_byte(struct ide_channel *ch, unsigned reg)
{
	switch (reg) {
	case BM_REG_CMD:
		return ch->bm_cmd;
	case BM_REG_STATUS:
		return ch->bm_status;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		return (uint8_t)(ch->bm_prd >> (8 * (reg - BM_REG_PRD)));
	default:
		return 0;
	}
}

static void bm_write_byte(struct ide_channel *ch, unsigned reg, uint8_t v)
{
	const uint8_t rw = BM_ST_DRV0_DMA | BM_ST_DRV1_DMA;
	unsigned shift;

	switch (reg) {
	case BM_REG_CMD:
		bm_write_cmd(ch, v);
		return;
	case BM_REG_STATUS:
		/* Error and Interrupt are write-1-to-clear; Active is read-only. */
		ch->bm_status &= (uint8_t)~(v & (BM_ST_ERROR | BM_ST_INTR));
		ch->bm_status = (uint8_t)((ch->bm_status & ~rw) | (v & rw));
		return;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		shift = 8 * (reg - BM_REG_PRD);
		ch->bm_prd = (ch->bm_prd & ~(0xffu << shift)) | ((uint32_t)v << shift);
		ch->bm_prd &= ~3u;	/* dword aligned (PIIX3 §2.7.3) */
		return;
	}
}

static uint64_t ide_bmdma_read(void *opaque, uint64_t off, unsigned size)
{
	struct ide *ide = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&ide->lock);
	for (unsigned i = 0; i < size && off + i < IDE_BMDMA_SIZE; i++)
		v |= (uint64_t)bm_read_byte(&ide->ch[(off + i) >> 3], (off + i) & 7) << (8 * i);
	pthread_mutex_unlock(&ide->lock);
	return v;
}

static void ide_bmdma_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
	struct ide *ide = opaque;

	pthread_mutex_lock(&ide->lock);
	for (unsigned i = 0; i < size && off + i < IDE_BMDMA_SIZE; i++)
		bm_write_byte(&ide->ch[(off + i) >> 3], (off + i) & 7, (uint8_t)(v >> (8 * i)));
	pthread_mutex_unlock(&ide->lock);
}

/* Locking: takes the controller lock; DMA runs synchronously on the vCPU thread. */
const struct vmm_io_ops ide_bmdma_io_ops = {
	.name = "ide-bmdma",
	.read = ide_bmdma_read,
	.write = ide_bmdma_write,
	.min_size = 1,
	.max_size = 4,
};
