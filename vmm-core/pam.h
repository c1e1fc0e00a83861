/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PAM shadowing: the i440FX's PAM registers applied to 0xC0000-0xFFFFF as KVM memory slots. */
#ifndef VMM_PAM_H
#define VMM_PAM_H

#include <stdbool.h>
#include <stdint.h>

#include "i440fx.h"

struct vm;

/*
 * What KVM maps for one run of segments. RAM modes point into the low memfd; the PCI side
 * of a segment is the BIOS ROM alias (0xE0000-0xFFFFF with firmware) or nothing. A write to
 * a read-only slot, and any access where no slot is, exits to pam.c's MMIO handler, which
 * does what the mode says (RAM write-only: to RAM; PCI: dropped; reads: ROM or all-ones).
 */
struct pam_slot {
	uint64_t gpa;
	uint64_t size;
	const uint8_t *hva;
	bool readonly;
};

/*
 * The slots for these segment modes, adjacent segments merged when their host memory is
 * contiguous and their protection the same. ram: host address of guest 0xC0000; rom: host
 * address of the PCI-side ROM mapped at [rom_gpa, 1 MiB) (NULL: none). Fills at most
 * I440FX_PAM_SEGMENTS entries; returns how many.
 */
unsigned pam_layout(const enum pam_mode mode[I440FX_PAM_SEGMENTS], const uint8_t *ram,
		    const uint8_t *rom, uint64_t rom_gpa, struct pam_slot *out);

/*
 * Take over the shadow area once the devices exist: register its MMIO fallback, hook the
 * i440FX's PAM reports and map the registers' current values. Without a host bridge the
 * area is plain RAM. 0 or -errno.
 */
int vm_pam_init(struct vm *vm);
void vm_pam_destroy(struct vm *vm);
/* Direct boot plays the firmware: shadow RAM unlocked (PAM0 0x30, PAM1-6 0x33). */
void vm_pam_unlock(struct vm *vm);

#endif
