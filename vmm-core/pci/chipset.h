/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PC chipset as one machine device: PCI bus 0, i440FX, PIIX3 and PIIX4 PM. */
#ifndef VMM_CHIPSET_H
#define VMM_CHIPSET_H

#include <stddef.h>

#include "device.h"
#include "i440fx.h"
#include "piix3.h"
#include "piix4-pm.h"

/*
 * chipset_device_ops.create builds the bus (config ports 0xCF8/0xCFC), the i440FX at 00.0,
 * the PIIX3 at 01.0 and the PIIX4 PM at 01.3 (S5 → vm_request(VM_REQ_POWEROFF, 0)). It
 * must come after sysctl in the device table (it takes over 0xCF9 for byte accesses)
 * and before every PCI device (they need the bus).
 */
extern const struct vmm_device_ops chipset_device_ops;

/*
 * Snapshot state (device.h contract) of the chipset functions and the whole PCI bus 0; the
 * device ops call these with the chipset's own parts. Load validates everything (PM
 * registers, ELCR, every function's record) before changing anything. 0 or -errno.
 */
int chipset_state_save(struct pci_bus *bus, struct piix3 *isa, struct piix4_pm *pm,
		       void **blob, size_t *len);
int chipset_state_load(struct pci_bus *bus, struct piix3 *isa, struct piix4_pm *pm,
		       const void *blob, size_t len);

/* Reach into the chipset's state (the `state` create returned). */
struct pci_bus *chipset_pci_bus(void *state);
struct i440fx *chipset_i440fx(void *state);
struct piix4_pm *chipset_pm(void *state);

#endif
