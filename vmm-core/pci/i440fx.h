/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel 82441FX (i440FX) host bridge at 00.0: identity and the PAM registers SeaBIOS writes. */
#ifndef VMM_I440FX_H
#define VMM_I440FX_H

#include <stdint.h>

#include "pci.h"

#define I440FX_VENDOR_ID	0x8086
#define I440FX_DEVICE_ID	0x1237
#define I440FX_REVISION		0x02
#define I440FX_CLASS		0x060000	/* bridge, host */
#define I440FX_SUBSYS_VENDOR_ID	0x1af4		/* as QEMU's: see i440fx.c */
#define I440FX_SUBSYS_ID	0x1100
#define I440FX_PAM0		0x59		/* PAM0..PAM6 at 0x59..0x5f */
#define I440FX_NPAM		7
#define I440FX_SMRAM		0x72

/*
 * PAM registers (82441FX datasheet §3.2.17, "PAM[6:0]"): PAM0 bits 5:4 cover
 * 0xF0000-0xFFFFF; PAMn (n = 1..6) cover two 16 KiB pieces of 0xC0000-0xEFFFF, bits 1:0
 * the lower and bits 5:4 the upper; in each field bit 0 (resp. 4) is read-enable to RAM
 * and bit 1 (resp. 5) write-enable to RAM. The bridge only stores them; shadowing is the
 * VMM's: on_pam_change(opaque, pam_index 0..6, value) is called for every register whose
 * value changes, from a guest write or a reset, with the PCI bus lock held.
 */
struct i440fx {
	struct pci_dev pci;
	void (*on_pam_change)(void *opaque, unsigned pam_index, uint8_t value);
	void *pam_opaque;
	uint8_t pam_seen[I440FX_NPAM];	/* values last reported */
};

/* At 00.0. 0 or -errno. */
int i440fx_init(struct i440fx *h, struct pci_bus *bus);
void i440fx_exit(struct i440fx *h);
/* May be called before or after init; takes effect for later changes. */
void i440fx_set_pam_callback(struct i440fx *h,
			     void (*cb)(void *opaque, unsigned pam_index, uint8_t value),
			     void *opaque);
uint8_t i440fx_pam(struct i440fx *h, unsigned pam_index);

#endif
