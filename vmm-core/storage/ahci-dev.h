/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A SATA device (ATA disk or ATAPI CD-ROM) behind a transport-neutral request interface. */
#ifndef VMM_AHCI_DEV_H
#define VMM_AHCI_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ata-common.h"
#include "log.h"
#include "scsi-cd.h"

struct blk;

/*
 * The command sets live here, apart from the AHCI register model, so that any transport
 * that carries ATA registers and a data phase (AHCI today; an IDE task file or a USB
 * bridge could adopt it) can drive them. A transport fills a struct sata_req with the
 * command's registers (and the packet for PACKET), provides one callback that moves the
 * data phase, calls sata_exec(), and turns the result into its own signalling (FISes for
 * AHCI). Everything runs synchronously, under the transport's lock.
 */

/* Status and error bits (ATA8-ACS §6.1, §6.2). */
#define SATA_ST_BSY		0x80
#define SATA_ST_DRDY		0x40
#define SATA_ST_DF		0x20
#define SATA_ST_DSC		0x10
#define SATA_ST_DRQ		0x08
#define SATA_ST_ERR		0x01
#define SATA_ER_UNC		0x40
#define SATA_ER_IDNF		0x10
#define SATA_ER_ABRT		0x04

#define SATA_DEV_LBA		0x40	/* device register: LBA addressing */
#define SATA_CTL_SRST		0x04	/* device control: software reset */

#define SATA_SECTOR		512u
#define SATA_BUF_SIZE		(128u * 1024)	/* bounce buffer per device */
#define SATA_NCQ_DEPTH		32
#define SATA_MAX_MULTIPLE	ATA_MAX_MULTIPLE
#define SATA_DSM_MAX_BLOCKS	8u	/* IDENTIFY word 105 */

enum sata_kind { SATA_NONE, SATA_DISK, SATA_CDROM };

/* The shadow registers of a command and of its result (SATA 3.x §10.5.5, §10.5.6). */
struct ata_tf {
	uint8_t command;	/* in */
	uint16_t features;	/* in: 15:8 is the 48-bit "previous" byte */
	uint16_t count;
	uint64_t lba;		/* 48 bits */
	uint8_t device;
	uint8_t control;
	uint8_t status;		/* out */
	uint8_t error;		/* out */
};

struct sata_req;

struct sata_req_ops {
	/*
	 * Move the next len bytes of the data phase, in order, between buf and the host
	 * (to_host: device to host). 0, or -EFAULT (host memory the transport cannot reach),
	 * -ENOSPC (the host offered fewer bytes than the command moves), -EIO.
	 */
	int (*data)(struct sata_req *r, void *buf, size_t len, bool to_host);
};

struct sata_req {
	const struct sata_req_ops *ops;
	void *opaque;
	struct ata_tf tf;	/* in: the command's registers; out: the result's */
	uint8_t cdb[16];	/* PACKET: the command packet */

	/* Out: how the command went, so the transport signals it the right way. */
	bool pio;		/* data moved by a PIO protocol (PIO Setup FIS on SATA) */
	bool pio_in_done;	/* PIO data-in: the final status rides in the PIO Setup FIS */
	bool to_host;		/* direction of the data phase */
	bool queued;		/* FPDMA QUEUED: completion by Set Device Bits */
	bool signature;		/* the result carries the device signature (reset, diagnostic) */
	uint32_t bytes;		/* bytes moved */
	int xfer_err;		/* ops->data failed: a transport error, not a device one */
};

/* The queued command that failed, for the NCQ Command Error log (ATA8-ACS §A.13). */
struct sata_ncq_error {
	bool valid;
	uint8_t tag;
	struct ata_tf tf;
};

struct sata_dev {
	enum sata_kind kind;
	struct blk *blk;		/* borrowed; NULL: CD-ROM without a medium */
	uint64_t sectors;		/* disk size in 512-byte sectors */
	char serial[21];
	char name[24];			/* for logs: "ahci.2" */
	struct vmm_guest_log *glog;	/* may be NULL */
	uint8_t *buf;			/* SATA_BUF_SIZE bytes */

	/* Settings the guest makes. */
	struct ata_settings set;	/* the settings the guest makes */

	struct sata_ncq_error ncq_err;
	struct scsi_cd atapi;		/* CD-ROM: medium and sense (scsi-cd.c) */
	uint64_t packets;		/* ATAPI commands run */
};

/* ahci-dev.c: the device. */
int sata_dev_init(struct sata_dev *d, enum sata_kind kind, struct blk *blk, const char *name,
		  struct vmm_guest_log *glog);
void sata_dev_exit(struct sata_dev *d);
void sata_dev_reset(struct sata_dev *d, bool power_on);
/* The registers of the signature the device shows after a reset (ATA8-ACS §9.12). */
void sata_signature(const struct sata_dev *d, struct ata_tf *tf);
uint32_t sata_signature_word(const struct sata_dev *d);	/* as in AHCI PxSIG */

/* ahci-ata.c: run one command (ATA, or PACKET on a CD-ROM). */
bool sata_cmd_is_ncq(uint8_t command);
void sata_exec(struct sata_dev *d, struct sata_req *r);

/* ahci-dev.c: helpers for the command sets. */
void sata_guest_error(struct sata_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sata_data(struct sata_req *r, void *buf, size_t len, bool to_host);
/* Image bytes [off, off + len) to the host through the bounce buffer: 0, -EIO (read
 * error), or the transport's error. */
int sata_blk_to_host(struct sata_dev *d, struct sata_req *r, uint64_t off, uint64_t len);
int sata_send_identify(struct sata_dev *d, struct sata_req *r, uint16_t *w);
void sata_ok(struct sata_dev *d, struct sata_req *r);
void sata_fail(struct sata_dev *d, struct sata_req *r, uint8_t error);

/* ahci-atapi.c */
void sata_atapi_exec(struct sata_dev *d, struct sata_req *r);
void sata_atapi_identify(struct sata_dev *d, uint16_t *w);
void sata_atapi_reset(struct sata_dev *d);
void sata_atapi_set_medium(struct sata_dev *d, struct blk *blk, bool changed);

#endif
