/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AHCI SATA controller (Intel ICH9 8086:2922): six ports with SATA disks and ATAPI CD-ROMs. */
#ifndef VMM_AHCI_H
#define VMM_AHCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

struct ahci;
struct blk;
struct pci_bus;
struct pci_dev;

/*
 * The model (Serial ATA AHCI 1.3.1, "AHCI" below):
 *
 *  - One PCI function, class 01h/06h/01h (mass storage, SATA, AHCI 1.0 interface), with the
 *    HBA registers in a 4 KiB memory BAR 5 (ABAR, AHCI §2.1.11), a single-vector MSI
 *    capability and INTA#. AHCI mode only (CAP.SAM): GHC.AE reads 1.
 *  - Six ports (CAP.NP = 5, PI = 3Fh), 32 command slots each (CAP.NCS = 31), 64-bit
 *    addressing (CAP.S64A), native command queuing (CAP.SNCQ), command list override
 *    (CAP.SCLO), 6 Gb/s (CAP.ISS = 3). No port multiplier, no staggered spin-up (PxCMD.SUD
 *    and POD read 1), no FIS-based switching, no enclosure management, no CCC.
 *  - Every command runs to completion inside the guest's write to PxCI, on the vCPU thread,
 *    under the controller lock; DMA goes through pci_dma_read/write (Bus Master Enable,
 *    guest RAM only). A bad pointer is a Host Bus Fatal Error (PxIS.HBFS), a PRD table too
 *    short for the data is an overflow (PxIS.OFS), a malformed command FIS an Interface
 *    Fatal Error (PxIS.IFS); the port then stops until software clears PxCMD.ST (AHCI §6.1,
 *    §6.2). Device errors are task-file errors (PxIS.TFES, PxTFD.ERR).
 */

/* The PCI function. */
#define AHCI_PCI_VENDOR		0x8086
#define AHCI_PCI_DEVICE		0x2922		/* ICH9 6-port SATA controller, AHCI mode */
#define AHCI_PCI_CLASS		0x010601
#define AHCI_ABAR_INDEX		5
#define AHCI_ABAR_SIZE		0x1000
#define AHCI_NPORTS		6
#define AHCI_NSLOTS		32

/* Generic host control registers (AHCI §3.1). */
#define AHCI_CAP		0x00
#define AHCI_GHC		0x04
#define AHCI_IS			0x08
#define AHCI_PI			0x0c
#define AHCI_VS			0x10
#define AHCI_CCC_CTL		0x14
#define AHCI_CCC_PORTS		0x18
#define AHCI_EM_LOC		0x1c
#define AHCI_EM_CTL		0x20
#define AHCI_CAP2		0x24
#define AHCI_BOHC		0x28
#define AHCI_PORT_BASE		0x100
#define AHCI_PORT_SIZE		0x80

#define AHCI_CAP_S64A		(1u << 31)
#define AHCI_CAP_SNCQ		(1u << 30)
#define AHCI_CAP_SCLO		(1u << 24)
#define AHCI_CAP_ISS_SHIFT	20
#define AHCI_CAP_SAM		(1u << 18)
#define AHCI_CAP_NCS_SHIFT	8
#define AHCI_GHC_AE		(1u << 31)
#define AHCI_GHC_IE		(1u << 1)
#define AHCI_GHC_HR		(1u << 0)
#define AHCI_VERSION		0x00010301	/* 1.3.1 */

/* Port registers, offsets inside a port's 80h block (AHCI §3.3). */
#define AHCI_PX_CLB		0x00
#define AHCI_PX_CLBU		0x04
#define AHCI_PX_FB		0x08
#define AHCI_PX_FBU		0x0c
#define AHCI_PX_IS		0x10
#define AHCI_PX_IE		0x14
#define AHCI_PX_CMD		0x18
#define AHCI_PX_TFD		0x20
#define AHCI_PX_SIG		0x24
#define AHCI_PX_SSTS		0x28
#define AHCI_PX_SCTL		0x2c
#define AHCI_PX_SERR		0x30
#define AHCI_PX_SACT		0x34
#define AHCI_PX_CI		0x38
#define AHCI_PX_SNTF		0x3c
#define AHCI_PX_FBS		0x40
#define AHCI_PX_DEVSLP		0x44

/* PxIS / PxIE (AHCI §3.3.5, §3.3.6). */
#define AHCI_PX_IS_DHRS		(1u << 0)	/* D2H register FIS with I set */
#define AHCI_PX_IS_PSS		(1u << 1)	/* PIO Setup FIS with I set */
#define AHCI_PX_IS_DSS		(1u << 2)
#define AHCI_PX_IS_SDBS		(1u << 3)	/* Set Device Bits FIS with I set */
#define AHCI_PX_IS_UFS		(1u << 4)
#define AHCI_PX_IS_DPS		(1u << 5)	/* a PRD with I set was completed */
#define AHCI_PX_IS_PCS		(1u << 6)
#define AHCI_PX_IS_PRCS		(1u << 22)
#define AHCI_PX_IS_OFS		(1u << 24)	/* overflow: more data than the PRDT holds */
#define AHCI_PX_IS_INFS		(1u << 26)
#define AHCI_PX_IS_IFS		(1u << 27)	/* interface fatal error */
#define AHCI_PX_IS_HBDS		(1u << 28)
#define AHCI_PX_IS_HBFS		(1u << 29)	/* host bus fatal error: bad pointer */
#define AHCI_PX_IS_TFES		(1u << 30)	/* task file error */
#define AHCI_PX_IE_MASK		0x7dc0007fu	/* implemented enable bits */

/* PxCMD (AHCI §3.3.7). */
#define AHCI_PX_CMD_ST		(1u << 0)
#define AHCI_PX_CMD_SUD		(1u << 1)
#define AHCI_PX_CMD_POD		(1u << 2)
#define AHCI_PX_CMD_CLO		(1u << 3)
#define AHCI_PX_CMD_FRE		(1u << 4)
#define AHCI_PX_CMD_CCS_SHIFT	8
#define AHCI_PX_CMD_CCS_MASK	(0x1fu << 8)
#define AHCI_PX_CMD_FR		(1u << 14)
#define AHCI_PX_CMD_CR		(1u << 15)
#define AHCI_PX_CMD_ATAPI	(1u << 24)
#define AHCI_PX_CMD_DLAE	(1u << 25)
#define AHCI_PX_CMD_ICC_SHIFT	28
#define AHCI_PX_CMD_ICC_MASK	(0xfu << 28)

/* PxSSTS / PxSCTL (AHCI §3.3.10, §3.3.11; SStatus/SControl of SATA 3.x §14.1). */
#define AHCI_SSTS_DET_PRESENT	0x3		/* device present, Phy communication up */
#define AHCI_SSTS_DET_OFFLINE	0x4
#define AHCI_SSTS_SPD_GEN3	(3u << 4)
#define AHCI_SSTS_IPM_ACTIVE	(1u << 8)
#define AHCI_SCTL_DET_MASK	0xfu
#define AHCI_SCTL_DET_COMRESET	0x1
#define AHCI_SCTL_DET_OFFLINE	0x4
#define AHCI_SERR_ERR_P		(1u << 10)	/* protocol error */
#define AHCI_SERR_ERR_E		(1u << 11)	/* internal error */

/* Device signatures in PxSIG (AHCI §3.3.9; ATA8-ACS §9.12 signature values). */
#define AHCI_SIG_ATA		0x00000101u
#define AHCI_SIG_ATAPI		0xeb140101u

/* The received FIS area (AHCI §4.2.1) and FIS types (SATA 3.x §10.5). */
#define AHCI_RFIS_DSFIS		0x00
#define AHCI_RFIS_PSFIS		0x20
#define AHCI_RFIS_RFIS		0x40
#define AHCI_RFIS_SDBFIS	0x58
#define AHCI_RFIS_UFIS		0x60
#define AHCI_RFIS_SIZE		0x100
#define FIS_TYPE_REG_H2D	0x27
#define FIS_TYPE_REG_D2H	0x34
#define FIS_TYPE_PIO_SETUP	0x5f
#define FIS_TYPE_SDB		0xa1

/* Command header DW0 (AHCI §4.2.2) and command table layout (§4.2.3). */
#define AHCI_CMDH_SIZE		32
#define AHCI_CMDH_CFL_MASK	0x1fu
#define AHCI_CMDH_A		(1u << 5)	/* ATAPI: ACMD holds the packet */
#define AHCI_CMDH_W		(1u << 6)	/* write: host to device */
#define AHCI_CMDH_P		(1u << 7)
#define AHCI_CMDH_R		(1u << 8)	/* part of a software reset sequence */
#define AHCI_CMDH_B		(1u << 9)
#define AHCI_CMDH_C		(1u << 10)	/* clear busy upon R_OK */
#define AHCI_CMDH_PRDTL_SHIFT	16
#define AHCI_CT_CFIS		0x00
#define AHCI_CT_ACMD		0x40
#define AHCI_CT_PRDT		0x80
#define AHCI_PRD_SIZE		16
#define AHCI_PRD_DBC_MASK	0x3fffffu	/* byte count - 1; bit 0 must be 1 */
#define AHCI_PRD_I		(1u << 31)

enum ahci_dev_kind { AHCI_NONE, AHCI_DISK, AHCI_CDROM };

/*
 * A controller on `bus` at devfn (PCI_DEVFN(slot, fn) or PCI_DEVFN_AUTO). Guest errors go
 * to the bus's log. Init time only (before vCPUs run). NULL on failure (*err = -errno).
 */
struct ahci *ahci_new(struct pci_bus *bus, int devfn, int *err);
/* Leaves the bus and frees everything; attached blks stay the caller's to close. */
void ahci_free(struct ahci *hba);

/*
 * Put a device on port 0..5: a disk needs a blk, a CD-ROM may start empty (blk NULL). The
 * blk is borrowed. 0, -EINVAL (bad port, kind or blk), -EBUSY (the port has a device),
 * -ENOMEM.
 */
int ahci_attach(struct ahci *hba, unsigned port, struct blk *blk, enum ahci_dev_kind kind);

/*
 * Host side: insert a medium (blk) in the CD-ROM on `port`, or remove it (NULL). The guest
 * sees UNIT ATTENTION and a media event. The old blk is unused once this returns.
 * 0, or -EINVAL if there is no CD-ROM on that port.
 */
int ahci_change_media(struct ahci *hba, unsigned port, struct blk *blk);
bool ahci_tray_is_open(struct ahci *hba, unsigned port);

/* Power-on state (a guest reset): registers, ports, devices; attachments stay. */
void ahci_reset(struct ahci *hba);

struct pci_dev *ahci_pci_dev(struct ahci *hba);

/*
 * Snapshot state (ahci-state.c): HBA and port registers, device settings, the NCQ error log,
 * ATAPI sense and medium state — not config space, MSI or the images. ahci_save: 0 with a
 * malloc'd blob, or -ENOMEM. ahci_load: on a controller with the same devices attached;
 * -EINVAL with one warning and nothing changed for a malformed blob. Commands complete
 * inside the guest's PxCI write, so a saved controller has no command in flight.
 */
int ahci_save(struct ahci *hba, void **blob, size_t *len);
int ahci_load(struct ahci *hba, const void *blob, size_t len);

/* Counters for tests and the stats page. */
struct ahci_stats {
	uint64_t commands;	/* command slots executed */
	uint64_t ncq;		/* of which FPDMA QUEUED */
	uint64_t packets;	/* ATAPI packet commands */
	uint64_t fatal;		/* HBFS, IFS and OFS errors */
	uint64_t task_errors;	/* TFES */
	uint64_t prd_steps;	/* PRD entries read */
	uint64_t bytes;		/* bytes moved through PRDs */
};
void ahci_get_stats(struct ahci *hba, struct ahci_stats *out);

/* ahci-vm.c: the controller for a VM's disks and CD-ROMs with bus = VM_DISK_AHCI. */
extern const struct vmm_device_ops ahci_device_ops;
/* Change the CD in the VM's AHCI `port` (path NULL or "": eject). 0 or -errno + message. */
int ahci_vm_change_cd(void *state, unsigned port, const char *path, char *err, size_t errlen);

#endif
