/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AHCI internals shared by ahci.c (registers) and ahci-cmd.c (command list processing). */
#ifndef VMM_AHCI_PRIVATE_H
#define VMM_AHCI_PRIVATE_H

#include <pthread.h>

#include "ahci-dev.h"
#include "ahci.h"
#include "pci/pci.h"

#define AHCI_CAP_VALUE	(AHCI_CAP_S64A | AHCI_CAP_SNCQ | AHCI_CAP_SCLO |		\
			 (3u << AHCI_CAP_ISS_SHIFT) | AHCI_CAP_SAM |			\
			 ((AHCI_NSLOTS - 1u) << AHCI_CAP_NCS_SHIFT) | (AHCI_NPORTS - 1u))
#define AHCI_PI_VALUE	((1u << AHCI_NPORTS) - 1)

struct ahci_port {
	struct ahci *hba;
	unsigned index;
	struct sata_dev dev;

	/* Registers (AHCI §3.3), as the guest reads them. */
	uint32_t clb, clbu, fb, fbu;
	uint32_t is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;

	bool halted;		/* a fatal error stopped the command list (AHCI §6.1) */
	bool sig_pending;	/* the reset's register FIS waits for PxCMD.FRE */
	bool srst;		/* a Device Control FIS holds SRST */
};

struct ahci {
	pthread_mutex_t lock;		/* everything below; taken by the MMIO handlers */
	struct pci_dev pci;
	bool pci_registered;
	struct vmm_guest_log *glog;	/* may be NULL */

	uint32_t ghc, is;
	bool pending;			/* GHC.IE && IS != 0: what INTx/MSI last showed */
	struct ahci_port port[AHCI_NPORTS];
	struct ahci_stats stats;
};

/* ahci.c */
void ahci_guest_error(struct ahci *hba, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set PxIS bits and raise the interrupt they enable (AHCI §3.1.3 IS, §3.3.5, §3.3.6). */
void ahci_port_raise(struct ahci_port *p, uint32_t bits);

/* ahci-cmd.c, controller lock held */
void ahci_port_run(struct ahci_port *p);
/* The device's reset signature: PxSIG, PxTFD and a D2H register FIS (now or at FRE). */
void ahci_port_signature(struct ahci_port *p);
/* PxCMD.FRE went 0 -> 1: deliver the register FIS that waited for it. */
void ahci_port_fis_enabled(struct ahci_port *p);

static inline bool ahci_port_present(const struct ahci_port *p)
{
	return p->dev.kind != SATA_NONE;
}

#endif
