/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ATA device: task file, command execution, PIO data blocks (shared by ide.c, atapi.c). */
#ifndef VMM_ATA_H
#define VMM_ATA_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ide.h"
#include "ata-common.h"
#include "pci/pci.h"
#include "scsi-cd.h"

/* Status register (ATA/ATAPI-6 §7.15.6). */
#define ATA_ST_BSY		0x80
#define ATA_ST_DRDY		0x40
#define ATA_ST_DF		0x20
#define ATA_ST_DSC		0x10
#define ATA_ST_DRQ		0x08
#define ATA_ST_ERR		0x01

/* Error register (§7.9.6). */
#define ATA_ER_UNC		0x40
#define ATA_ER_IDNF		0x10
#define ATA_ER_ABRT		0x04

/* Device/Head (§7.10) and Device Control (§7.8). */
#define ATA_DEV_LBA		0x40
#define ATA_DEV_DEV		0x10
#define ATA_CTL_HOB		0x80
#define ATA_CTL_SRST		0x04
#define ATA_CTL_NIEN		0x02

/* Command block offsets from the base port (§7, Table 6). */
#define ATA_REG_DATA		0
#define ATA_REG_FEATURE		1	/* write; error on read */
#define ATA_REG_NSECT		2	/* ATAPI: interrupt reason on read */
#define ATA_REG_LBAL		3
#define ATA_REG_LBAM		4	/* ATAPI: byte count low */
#define ATA_REG_LBAH		5	/* ATAPI: byte count high */
#define ATA_REG_DEVICE		6
#define ATA_REG_CMD		7	/* write; status on read */

/* Bus-master registers (SFF-8038i §3; PIIX3 datasheet §2.7). */
#define BM_REG_CMD		0
#define BM_REG_STATUS		2
#define BM_REG_PRD		4
#define BM_CMD_START		0x01
#define BM_CMD_TO_MEM		0x08	/* "read": device to memory */
#define BM_ST_ACTIVE		0x01
#define BM_ST_ERROR		0x02
#define BM_ST_INTR		0x04
#define BM_ST_DRV0_DMA		0x20
#define BM_ST_DRV1_DMA		0x40
#define BM_PRD_EOT		0x80000000u
#define BM_PRD_MAX_STEPS	(65536 / 8)	/* a PRD table fills at most 64 KiB */

#define ATA_SECTOR		512u
#define ATAPI_SECTOR		2048u
#define IDE_BUF_SIZE		65536u		/* PIO window / DMA bounce buffer */

/* What happens when the PIO window [pos, end) has been read or written in full. */
enum ide_end {
	IDE_END_NONE,
	IDE_END_DONE,		/* identify data: the command is complete */
	IDE_END_ATA_READ,	/* next DRQ block or done */
	IDE_END_ATA_WRITE,	/* write the block out, then next or done */
	IDE_END_PACKET,		/* the 12-byte command packet has arrived */
	IDE_END_ATAPI,		/* next ATAPI DRQ piece or completion */
};

/* What a pending bus-master transfer moves. */
enum ide_dma {
	IDE_DMA_NONE,
	IDE_DMA_ATA_READ,	/* sectors from the disk to memory */
	IDE_DMA_ATA_WRITE,	/* memory to the disk */
	IDE_DMA_ATAPI_READ,	/* CD sectors to memory */
	IDE_DMA_ATAPI_BUF,	/* an ATAPI response in buf[0..total) to memory */
};

/* ATAPI state of a CD-ROM drive: the medium and sense (scsi-cd.h) and the PACKET command. */
struct atapi_state {
	struct scsi_cd cd;
	uint16_t limit;		/* PIO byte count limit of the current command */
	bool dma;		/* the current command moves data by DMA (features bit 0) */
	uint8_t cdb[12];
};

struct ide_channel;

struct ide_drive {
	struct ide_channel *ch;
	unsigned unit;
	enum ide_kind kind;
	struct blk *blk;
	char serial[21];

	/* Task file (§7): current values and the "previous content" FIFO for 48-bit. */
	uint8_t feature, nsect, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t device, status, error;
	bool irq_pending;	/* this device asserts INTRQ */

	/* Settings the guest makes. */
	struct ata_settings set;	/* SET MULTIPLE MODE, SET FEATURES */
	unsigned heads, spt;	/* INITIALIZE DEVICE PARAMETERS (CHS translation) */

	/* The data command in progress. */
	uint64_t sectors;	/* disk size in 512-byte sectors */
	uint64_t lba;		/* next sector to move */
	uint32_t left;		/* sectors still to move */
	uint32_t block;		/* sectors per DRQ block (PIO) */
	uint32_t cur_block;	/* sectors in the block now in the buffer */

	struct atapi_state atapi;
};

struct ide_channel {
	struct ide *ide;
	unsigned index;
	struct ide_drive drive[2];
	unsigned cur;		/* selected device (DEV bit) */
	uint8_t devctl;
	struct vmm_irq irq;
	bool irq_level;		/* what we drive on the line now */

	/* PIO: the data port moves bytes within buf[pos, end); total is what buf holds. */
	uint8_t *buf;
	uint32_t pos, end, total;
	enum ide_end end_action;
	struct ide_drive *xd;	/* the drive the transfer belongs to */
	enum ide_dma dma;	/* a DMA command waiting for (or running on) the bus master */

	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	uint16_t bm_base;	/* standalone BMDMA port, 0: none */
};

struct ide {
	pthread_mutex_t lock;	/* everything below; held by every port handler */
	struct ide_channel ch[2];
	struct vmm_bus *pio;
	struct vmm_guest_log *glog;
	const struct vm_memory *mem;
	bool cmd_registered[2], ctl_registered[2], bm_registered;
	uint16_t bm_base;
	struct ide_stats stats;

	/* Set by ide_pci_init (ide-pci.c); NULL for a standalone controller. */
	int (*dma_rw)(struct ide *ide, uint64_t gpa, void *buf, size_t len, bool to_mem);
	void (*pci_exit)(struct ide *ide);
	bool has_pci;
	struct pci_dev pci;
	int region[2][2];	/* PCI regions: [channel][0 = command block, 1 = control] */
};

/*
 * Internal to storage/ (everything below runs with ide->lock held unless it says so).
 * ide.c: interrupt line, guest errors, the PIO window.
 */
void ide_raise_irq(struct ide_drive *d);
void ide_lower_irq(struct ide_drive *d);
void ide_guest_error(struct ide *ide, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ide_pio_start(struct ide_drive *d, uint32_t pos, uint32_t end, enum ide_end action);
void ide_xfer_stop(struct ide_channel *ch);
/* Take the legacy ports and the standalone BMDMA block off cfg->pio (without the lock). */
void ide_unregister(struct ide *ide);
/* ide-pci.c, without the lock: decode the legacy ports as the config space says now. */
void ide_pci_sync(struct ide *ide);

/* bmdma.c: a DMA command is set up; it runs when the bus master is (or gets) started. */
void ide_dma_begin(struct ide_drive *d, enum ide_dma kind);

/* ata.c */
void ata_reset_drive(struct ide_drive *d, bool power_on);
void ata_set_signature(struct ide_drive *d);
void ata_exec(struct ide_drive *d, uint8_t cmd);
void ata_pio_end(struct ide_drive *d, enum ide_end action);
void ata_complete(struct ide_drive *d);
void ata_error(struct ide_drive *d, uint8_t err);
void ata_identify_words(struct ide_drive *d, uint16_t *w);
/* After a DMA transfer: 0 done, -EIO a read error on the medium, other -errno: abort. */
void ata_dma_done(struct ide_drive *d, int ret);
/* Write n sectors at d->lba (flushing when the write cache is off); 0 or -errno, logged. */
int ata_write_out(struct ide_drive *d, const void *buf, uint32_t n);
uint16_t ata_reset_result(struct ide_drive *d);

static inline bool ide_present(const struct ide_drive *d)
{
	return d->kind != IDE_NONE;
}

#endif
