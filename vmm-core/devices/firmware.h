/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BIOS image (SeaBIOS) mapped as a PC's firmware, and the fw_cfg items it reads. */
#ifndef VMM_FIRMWARE_H
#define VMM_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#define FIRMWARE_DEFAULT	"/usr/share/seabios/bios-256k.bin"
#define FIRMWARE_MAX_SIZE	(16u << 20)
#define FIRMWARE_ALIAS_SIZE	(128u << 10)	/* the last 128 KiB also appear at 0xE0000 */
#define FIRMWARE_ALIAS_BASE	0xe0000u

struct vm_memory;
struct e820_entry;

/*
 * The e820 table firmware gets through fw_cfg's etc/e820: RAM as one run below the PCI hole
 * (SeaBIOS carves out the legacy areas itself), KVM's identity-map/TSS pages reserved, RAM
 * above 4 GiB. Returns the number of entries (at most max are written).
 */
unsigned firmware_e820(const struct vm_memory *mem, struct e820_entry *out, unsigned max);

struct vm;
/* Write fw_cfg "bootorder" from where the drives ended up (after all devices exist). */
int firmware_add_bootorder(struct vm *vm);

/* Load and check a firmware image: size a multiple of 64 KiB, 64 KiB..16 MiB. */
int firmware_read(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);

#endif
