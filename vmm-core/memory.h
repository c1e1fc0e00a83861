/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM: memfd-backed regions mapped shared, laid out as a PC. */
#ifndef VMM_MEMORY_H
#define VMM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The PC memory map (Intel MultiProcessor Spec. / PC convention, as SeaBIOS expects it):
 *   [0, 640 KiB)              conventional RAM
 *   [640 KiB, 768 KiB)        VGA window: MMIO, no RAM slot
 *   [768 KiB, low_end)        RAM (option ROMs and BIOS shadow live in 0xC0000-0xFFFFF)
 *   [3.5 GiB, 4 GiB)          PCI hole: MMIO, IOAPIC, LAPIC, firmware
 *   [4 GiB, 4 GiB + high)     RAM that did not fit below the hole
 */
#define PC_LOW_RAM_END		0xa0000ull
#define PC_VGA_END		0xc0000ull
#define PC_PCI_HOLE_START	0xe0000000ull
#define PC_4G			0x100000000ull
/* KVM_SET_IDENTITY_MAP_ADDR / KVM_SET_TSS_ADDR, reserved in e820 (platform notes §1). */
#define PC_IDENTITY_MAP_ADDR	0xfeffc000ull
#define PC_TSS_ADDR		0xfeffd000ull
#define PC_KVM_RESERVED_SIZE	0x4000ull

#define VM_MAX_MEM_REGIONS	8
/* KVM slot numbers past the RAM regions: firmware ROM, then device memory (VRAM, ...). */
#define VM_SLOT_FIRMWARE	8
#define VM_SLOT_DEVICE_FIRST	9
/* After the 16 device slots (vm.h ram_slots): the shadow area's slots, as PAM maps it. */
#define VM_SLOT_PAM_FIRST	25
#define VM_SLOT_PAM_COUNT	13
/*
 * The option ROM and BIOS shadow area [0xC0000, 1 MiB) is RAM in the low memfd like the
 * rest, but KVM sees it through the PAM slots (pam.c), never through its region's slot.
 */
#define PC_SHADOW_START		0xc0000ull
#define PC_SHADOW_END		0x100000ull

struct vm_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	int fd;			/* the memfd behind it */
	uint64_t fd_offset;
	uint32_t slot;		/* KVM memory slot */
	uint64_t slot_skip;	/* bytes at the start KVM maps through PAM, not this slot */
	/*
	 * Set when a snapshot restore mapped this region MAP_PRIVATE over the snapshot's memory
	 * file (vm_memory_map_private): pages load lazily from that file, and `fd` no longer
	 * holds the guest's data. Discarding a page here is madvise(MADV_DONTNEED), not a hole
	 * punch in `fd` — and the page then reads back the file's content, not zeros.
	 */
	bool file_private;
};

struct vm_memory {
	uint64_t ram_size;	/* what the user asked for */
	uint64_t below_4g;	/* RAM bytes below the PCI hole (including the VGA window gap) */
	uint64_t above_4g;
	struct vm_mem_region regions[VM_MAX_MEM_REGIONS];
	unsigned nregions;
	int low_fd, high_fd;
	uint8_t *low_map, *high_map;
	/*
	 * NULL, or a flag vm_memory_discard sets (atomically): a restored snapshot's populate
	 * thread (snap-ram.c) owns it and stops when the balloon gives pages back.
	 */
	int *discarded;
};

/* Allocate and map; 0 or -errno (-EINVAL for sizes that cannot be a PC). */
int vm_memory_init(struct vm_memory *mem, uint64_t ram_size);
void vm_memory_destroy(struct vm_memory *mem);

/*
 * Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region, else NULL.
 * Overflow-safe: a guest-supplied gpa/len pair that wraps is refused.
 */
void *vm_memory_ptr(const struct vm_memory *mem, uint64_t gpa, uint64_t len);
bool vm_memory_is_ram(const struct vm_memory *mem, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM across region boundaries; -EFAULT if any byte is not RAM. */
int vm_memory_write(const struct vm_memory *mem, uint64_t gpa, const void *src, uint64_t len);
int vm_memory_read(const struct vm_memory *mem, uint64_t gpa, void *dst, uint64_t len);

/*
 * Give the host back the pages of [gpa, gpa+len) (the balloon): a hole punched in the
 * region's memfd (fallocate PUNCH_HOLE|KEEP_SIZE), so the pages read back as zeros, or
 * madvise(MADV_DONTNEED) on a region mapped privately over a file (they read back the
 * file). gpa and len are 4 KiB-aligned; the range may span regions. 0, -EINVAL (unaligned),
 * -EFAULT (not all RAM; nothing is discarded) or the syscall's -errno.
 */
int vm_memory_discard(const struct vm_memory *mem, uint64_t gpa, uint64_t len);
/* Is any region mapped privately over a file (a restored snapshot)? */
bool vm_memory_any_file_private(const struct vm_memory *mem);
/* Bytes of guest RAM the host has allocated: st_blocks of the memfds. */
uint64_t vm_memory_allocated(const struct vm_memory *mem);
/* madvise(MADV_MERGEABLE) on all guest RAM (KSM may merge equal pages). 0 or -errno. */
int vm_memory_set_mergeable(const struct vm_memory *mem, bool on);


/*
 * Replace region idx's mapping, at the same host address, with a private (copy-on-write)
 * mapping of fd at offset (snapshot restore). The KVM slot keeps its userspace address, so
 * it needs no update; call before the vCPUs run. 0 or -errno.
 */
int vm_memory_map_private(struct vm_memory *mem, unsigned idx, int fd, uint64_t offset);

/* e820 map as a PC BIOS would report it (ACPI 6.4 §15, "System Address Map Interfaces"). */
#define E820_RAM	1
#define E820_RESERVED	2
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* Fills up to max entries (sorted); returns how many there are in all. */
unsigned vm_memory_e820(const struct vm_memory *mem, struct e820_entry *out, unsigned max);

#endif
