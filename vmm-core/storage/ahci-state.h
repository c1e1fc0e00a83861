/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The AHCI controller's saved state layout (ahci-state.c), for the loader and its tests. */
#ifndef VMM_AHCI_STATE_H
#define VMM_AHCI_STATE_H

#include <stdint.h>

#include "ahci.h"
#include "storage-state.h"

#define AHCI_STATE_VERSION	1

struct ahci_port_state {
	struct scsi_cd_state cd;
	struct ata_settings_state set;
	uint64_t ncq_lba;		/* the NCQ error log's failed command (ATA8-ACS §A.13) */
	uint32_t clb, clbu, fb, fbu;
	uint32_t is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;
	uint16_t ncq_features, ncq_count;
	uint8_t kind, halted, sig_pending, srst;
	uint8_t ncq_valid, ncq_tag, ncq_command, ncq_device, ncq_control, ncq_status, ncq_error;
	uint8_t pad[1];
};

struct ahci_state {
	uint32_t version;
	uint32_t ghc, is;
	uint8_t pending;
	uint8_t pad[3];
	struct ahci_port_state port[AHCI_NPORTS];
};

_Static_assert(sizeof(struct ahci_port_state) == 104, "ahci_port_state layout");
_Static_assert(sizeof(struct ahci_state) == 16 + 104 * AHCI_NPORTS, "ahci_state layout");

#endif
