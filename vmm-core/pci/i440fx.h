/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel 82441FX (i440FX) host bridge at 00.0: identity and the PAM registers and their decode. */
#ifndef VMM_I440FX_H
#define VMM_I440FX_H

#include <stdbool.h>
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
 * and bit 1 (resp. 5) write-enable to RAM. The bridge stores and decodes them; the mapping
 * is pam.c's: on_pam_change(opaque, pam_index 0..6, value) is called for every register
 * whose value changes, from a guest write, a reset or a snapshot load, with the PCI bus lock
 * held (from i440fx_set_pam, with whatever lock its caller holds).
 */
struct i440fx {
	struct pci_dev pci;
	void (*on_pam_change)(void *opaque, unsigned pam_index, uint8_t value);
	void *pam_opaque;
	uint8_t pam_seen[I440FX_NPAM];	/* values last reported */
};

/*
 * The PAM decode: 13 segments of 0xC0000-0xFFFFF. Segment s < 12 is the 16 KiB at
 * 0xC0000 + s * 16 KiB, decoded by PAM(1 + s / 2), bits 1:0 for even s and bits 5:4 for odd
 * s; segment 12 is 0xF0000-0xFFFFF, decoded by PAM0 bits 5:4. Each field is RE (bit 0) and
 * WE (bit 1): 82441FX datasheet §3.2.17, "11 = read/write, 01 = read only (writes go to
 * PCI), 10 = write only (reads go to PCI), 00 = disabled (all accesses go to PCI)".
 */
#define I440FX_PAM_SEGMENTS	13
#define I440FX_PAM_START	0xc0000u
#define I440FX_PAM_END		0x100000u

enum pam_mode {
	PAM_PCI = 0,		/* RE=0 WE=0: reads and writes go to PCI (ROM or nothing) */
	PAM_READ_ONLY = 1,	/* RE=1 WE=0: reads from RAM, writes to PCI (dropped) */
	PAM_WRITE_ONLY = 2,	/* RE=0 WE=1: reads from PCI, writes to RAM */
	PAM_RAM = 3,		/* RE=1 WE=1 */
};

static inline bool pam_reads_ram(enum pam_mode m)
{
	return m & PAM_READ_ONLY;
}

static inline bool pam_writes_ram(enum pam_mode m)
{
	return m & PAM_WRITE_ONLY;
}

/* Segment s's guest range; false for s >= I440FX_PAM_SEGMENTS. */
bool i440fx_pam_segment(unsigned s, uint32_t *gpa, uint32_t *size);
/* The segment holding guest address gpa (in [I440FX_PAM_START, I440FX_PAM_END)), else -1. */
int i440fx_pam_segment_of(uint64_t gpa);
/* Mode of segment s from the seven register values (PAM_PCI for a bad s). */
enum pam_mode i440fx_pam_mode(const uint8_t pam[I440FX_NPAM], unsigned s);

/* At 00.0. 0 or -errno. */
int i440fx_init(struct i440fx *h, struct pci_bus *bus);
void i440fx_exit(struct i440fx *h);
/* May be called before or after init; takes effect for later changes. */
void i440fx_set_pam_callback(struct i440fx *h,
			     void (*cb)(void *opaque, unsigned pam_index, uint8_t value),
			     void *opaque);
uint8_t i440fx_pam(struct i440fx *h, unsigned pam_index);
/*
 * Set PAM register pam_index as the firmware would (masked like a guest write) and report a
 * change through the callback. For the VMM's own use with the vCPUs stopped: direct boot
 * plays the firmware's part and leaves shadow RAM unlocked.
 */
void i440fx_set_pam(struct i440fx *h, unsigned pam_index, uint8_t value);

#endif
