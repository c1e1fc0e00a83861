/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the direct-boot loaders (boot-common.c); not for use outside boot-*.c. */
#ifndef VMM_BOOT_PRIVATE_H
#define VMM_BOOT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "memory.h"

/*
 * Low-memory layout used by both loaders (all below 64 KiB, under any image we accept):
 *   0x0500          GDT, 4 descriptors (null, unused, code 0x10, data 0x18)
 * Each loader documents the rest of its own layout at the top of its file.
 */
#define BOOT_GDT_ADDR		0x500ull
#define BOOT_GDT_ENTRIES	4
#define BOOT_SEL_CODE		0x10
#define BOOT_SEL_DATA		0x18

/* The whole of a file read into host memory. */
struct boot_file {
	uint8_t *data;
	size_t size;
};

/*
 * Read `path` completely; refuse files larger than `max` bytes (-EFBIG) and anything that is
 * not a regular file. `what` names the file in messages ("kernel", "initrd").
 */
int boot_read_file(const char *what, const char *path, uint64_t max, struct boot_file *f);
void boot_file_free(struct boot_file *f);

/* Bytes of guest RAM in all regions. */
uint64_t boot_ram_total(const struct vm_memory *mem);

/* End of the RAM (per e820) that runs without a gap from `addr`; `addr` if it is not RAM. */
uint64_t boot_ram_end_from(const struct vm_memory *mem, uint64_t addr);

/* Zero [gpa, gpa+len) of guest RAM; -EFAULT if any of it is not RAM. */
int boot_zero(const struct vm_memory *mem, uint64_t gpa, uint64_t len);

/* Write the flat GDT at BOOT_GDT_ADDR (64-bit code segment if long64) and fill boot->gdt_*. */
int boot_write_gdt(const struct vm_memory *mem, struct vm_boot *boot, bool long64);

/* Little-endian field access in a host buffer (the host is x86, but say it once). */
static inline uint16_t boot_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t boot_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t boot_get64(const uint8_t *p)
{
	return (uint64_t)boot_get32(p) | (uint64_t)boot_get32(p + 4) << 32;
}

static inline void boot_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void boot_put32(uint8_t *p, uint32_t v)
{
	boot_put16(p, (uint16_t)v);
	boot_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void boot_put64(uint8_t *p, uint64_t v)
{
	boot_put32(p, (uint32_t)v);
	boot_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
