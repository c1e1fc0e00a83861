/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IDE controller: two legacy channels, ATA disks and ATAPI CD-ROMs, PIIX3 bus-master DMA. */
#ifndef VMM_IDE_H
#define VMM_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "log.h"
#include "memory.h"

struct blk;
struct ide;
struct ide_drive;
struct pci_bus;

/* Compatibility-mode resources (ATA/ATAPI-6 Annex; PIIX3 datasheet §2.1, "IDE Interface"). */
#define IDE_PRIMARY_CMD		0x1f0	/* 8 ports: data .. status/command */
#define IDE_PRIMARY_CTL		0x3f6	/* alternate status / device control */
#define IDE_SECONDARY_CMD	0x170
#define IDE_SECONDARY_CTL	0x376
#define IDE_PRIMARY_IRQ		14
#define IDE_SECONDARY_IRQ	15
#define IDE_BMDMA_SIZE		16	/* BAR4: 8 bytes per channel (SFF-8038i §2) */

/* The PIIX3 IDE function (82371SB function 1), at 00:01.1 on a PC. */
#define IDE_PCI_VENDOR		0x8086
#define IDE_PCI_DEVICE		0x7010
#define IDE_PCI_DEVFN		((1 << 3) | 1)
#define IDE_PCI_CLASS		0x010180	/* IDE, both channels compatibility, bus master */

enum ide_kind { IDE_NONE, IDE_DISK, IDE_CDROM };

struct ide_config {
	/*
	 * Where the legacy ports go when there is no PCI function (an ISA-style controller,
	 * and the unit tests). NULL: nothing is registered until ide_pci_init() places them.
	 */
	struct vmm_bus *pio;
	uint16_t bmdma_base;		/* standalone only: BMDMA registers here (0: none) */
	struct vmm_irq irq[2];		/* IRQ 14 and 15, ISA edge */
	struct vmm_guest_log *glog;	/* may be NULL */
	const struct vm_memory *mem;	/* DMA target while there is no PCI function */
};

/* NULL if memory runs out or a port range is taken. */
struct ide *ide_new(const struct ide_config *cfg);
/* Unregisters everything; the attached blks stay the caller's to close. */
void ide_free(struct ide *ide);

/*
 * Put a drive on channel 0/1, unit 0 (master) / 1 (slave). A disk needs a blk; a CD-ROM
 * may start empty (blk NULL). IDE_NONE with a NULL blk removes the drive. The blk is
 * borrowed: the caller closes it after ide_free (or after replacing a CD's medium).
 * 0, -EINVAL (bad position, kind or blk), -EBUSY (the position is taken).
 */
int ide_attach(struct ide *ide, unsigned channel, unsigned unit, struct blk *blk,
	       enum ide_kind kind);
/* The drive at that position (for atapi_change_media), or NULL. */
struct ide_drive *ide_get_drive(struct ide *ide, unsigned channel, unsigned unit);

/*
 * The PIIX3 IDE PCI function at IDE_PCI_DEVFN: BAR4 carries the bus-master registers, the
 * legacy ports are decoded while PCI_COMMAND_IO and the channel's IDETIM decode-enable bit
 * (config 0x41/0x43 bit 7) are set, and DMA goes through pci_dma_read/write (bus master
 * enable, RAM only). Legacy ports registered directly through cfg->pio move under the
 * function. 0 or -errno.
 */
int ide_pci_init(struct ide *ide, struct pci_bus *bus);

/* A guest (hardware) reset: every drive and both channels to power-on state. */
void ide_reset(struct ide *ide);

/*
 * Snapshot state (ide-state.c): task files, the PIO window and its buffer, bus-master
 * registers, ATAPI sense and medium state; not the PCI config space (the chipset's) nor
 * the images. ide_save: 0 with a malloc'd blob, or -ENOMEM. ide_load: on a controller with
 * the same drives attached (same kinds, same media sizes); -EINVAL with one warning and
 * nothing changed if the blob is malformed. It re-raises interrupt lines that were high and
 * re-places the legacy ports from the (already restored) config space.
 */
int ide_save(struct ide *ide, void **blob, size_t *len);
int ide_load(struct ide *ide, const void *blob, size_t len);

/* Port handlers, for callers that dispatch themselves (offsets relative to each block). */
extern const struct vmm_io_ops ide_cmd_io_ops;	/* 8 ports; opaque: channel (ide_channel_of) */
extern const struct vmm_io_ops ide_ctl_io_ops;	/* 1 port */
extern const struct vmm_io_ops ide_bmdma_io_ops;	/* 16 ports; opaque: struct ide */
void *ide_channel_of(struct ide *ide, unsigned channel);

/*
 * The machine device (ide-vm.c): created when the VM config has IDE disks or CD-ROMs,
 * placed CD-ROMs first on the secondary master, disks on primary master, primary slave,
 * secondary slave. ide_vm_change_cd is the UI's "change disc" (path NULL: eject); it opens
 * the new image, swaps it in (atapi_change_media) and closes the old one. `state` is what
 * the device's create returned (vm->devices[i].state for the "ide" entry).
 */
struct vmm_device_ops;
extern const struct vmm_device_ops ide_device_ops;
struct ide *ide_vm_controller(void *state);
int ide_vm_change_cd(void *state, unsigned channel, unsigned unit, const char *path,
		     char *err, size_t errlen);

/* Counters for tests and the stats page. */
struct ide_stats {
	uint64_t commands;	/* ATA commands executed */
	uint64_t packets;	/* ATAPI packet commands */
	uint64_t dma_xfers;	/* bus-master transfers run */
	uint64_t dma_errors;	/* PRD faults (bad address, no EOT, too short) */
	uint64_t prd_steps;	/* PRD entries read */
};
void ide_get_stats(struct ide *ide, struct ide_stats *out);

#endif
