// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest RAM in memfds, mapped shared, split around the VGA window and the PCI hole. */
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int mem_map_fd(uint64_t size, const char *name, int *fd_out, uint8_t **map_out)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto out_close;
	/*
	 * MAP_NORESERVE: guest RAM is touched lazily; the host only pays for pages the guest
	 * uses (the balloon punches holes back later).
	 */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		goto out_close;
	*fd_out = fd;
	*map_out = p;
	return 0;
out_close:;
	int err = -errno;

	close(fd);
	return err;
}

static void mem_add_region(struct vm_memory *mem, uint64_t gpa, uint64_t size, uint8_t *hva,
			   int fd, uint64_t fd_offset)
{
	struct vm_mem_region *r = &mem->regions[mem->nregions];

	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	r->fd = fd;
	r->fd_offset = fd_offset;
	r->slot = mem->nregions;
	mem->nregions++;
}

int vm_memory_init(struct vm_memory *mem, uint64_t ram_size)
{
	int ret;

	memset(mem, 0, sizeof(*mem));
	mem->low_fd = mem->high_fd = -1;
	/* At least 2 MiB (room for the boot structures), a whole number of pages. */
	if (ram_size < (2ull << 20) || (ram_size & 0xfff) || ram_size > (1ull << 46))
		return -EINVAL;
	mem->ram_size = ram_size;
	mem->below_4g = ram_size < PC_PCI_HOLE_START ? ram_size : PC_PCI_HOLE_START;
	mem->above_4g = ram_size - mem->below_4g;

	ret = mem_map_fd(mem->below_4g, "vessel-ram-low", &mem->low_fd, &mem->low_map);
	if (ret)
		return ret;
	/* The VGA window 0xA0000-0xBFFFF is MMIO: the memfd bytes behind it stay unused. */
	mem_add_region(mem, 0, PC_LOW_RAM_END, mem->low_map, mem->low_fd, 0);
	mem_add_region(mem, PC_VGA_END, mem->below_4g - PC_VGA_END, mem->low_map + PC_VGA_END,
		       mem->low_fd, PC_VGA_END);
	/* One region for host access (snapshots, the balloon, vm_memory_ptr); PAM for KVM. */
	mem->regions[1].slot_skip = PC_SHADOW_END - PC_SHADOW_START;
	if (mem->above_4g) {
		ret = mem_map_fd(mem->above_4g, "vessel-ram-high", &mem->high_fd, &mem->high_map);
		if (ret) {
			vm_memory_destroy(mem);
			return ret;
		}
		mem_add_region(mem, PC_4G, mem->above_4g, mem->high_map, mem->high_fd, 0);
	}
	return 0;
}

void vm_memory_destroy(struct vm_memory *mem)
{
	if (mem->low_map)
		munmap(mem->low_map, mem->below_4g);
	if (mem->high_map)
		munmap(mem->high_map, mem->above_4g);
	if (mem->low_fd >= 0)
		close(mem->low_fd);
	if (mem->high_fd >= 0)
		close(mem->high_fd);
	memset(mem, 0, sizeof(*mem));
	mem->low_fd = mem->high_fd = -1;
}

int vm_memory_map_private(struct vm_memory *mem, unsigned idx, int fd, uint64_t offset)
{
	struct vm_mem_region *r;
	void *p;

	if (idx >= mem->nregions || (offset & 0xfff))
		return -EINVAL;
	r = &mem->regions[idx];
	/* MAP_FIXED over the memfd mapping: every pointer devices hold into RAM stays valid. */
	p = mmap(r->hva, r->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
		 fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	r->file_private = true;
	/* What the memfd held there (a direct-boot image, say) is unreachable now: free it. */
	fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->fd_offset,
		  (off_t)r->size);
	return 0;
}

static const struct vm_mem_region *mem_find(const struct vm_memory *mem, uint64_t gpa)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vm_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *vm_memory_ptr(const struct vm_memory *mem, uint64_t gpa, uint64_t len)
{
	const struct vm_mem_region *r = mem_find(mem, gpa);

	if (!r)
		return NULL;
	/* gpa - r->gpa < r->size holds, so the subtraction below cannot wrap. */
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

bool vm_memory_is_ram(const struct vm_memory *mem, uint64_t gpa, uint64_t len)
{
	while (len) {
		const struct vm_mem_region *r = mem_find(mem, gpa);
		uint64_t n;

		if (!r)
			return false;
		n = r->size - (gpa - r->gpa);
		if (n >= len)
			return true;
		gpa += n;
		len -= n;
	}
	return true;
}

static int mem_copy(const struct vm_memory *mem, uint64_t gpa, void *buf, uint64_t len,
		    bool to_guest)
{
	uint8_t *p = buf;

	if (!vm_memory_is_ram(mem, gpa, len))
		return -EFAULT;
	while (len) {
		const struct vm_mem_region *r = mem_find(mem, gpa);
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;

		if (to_guest)
			memcpy(r->hva + off, p, n);
		else
			memcpy(p, r->hva + off, n);
		p += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int vm_memory_write(const struct vm_memory *mem, uint64_t gpa, const void *src, uint64_t len)
{
	return mem_copy(mem, gpa, (void *)src, len, true);
}

int vm_memory_read(const struct vm_memory *mem, uint64_t gpa, void *dst, uint64_t len)
{
	return mem_copy(mem, gpa, dst, len, false);
}

/* A region a snapshot restore mapped privately over its memory file (not the memfd). */
static bool region_file_private(const struct vm_mem_region *r)
{
	return r->file_private;
}

static int discard_piece(const struct vm_mem_region *r, uint64_t off, uint64_t n)
{
	if (region_file_private(r))
		return madvise(r->hva + off, n, MADV_DONTNEED) ? -errno : 0;
	/* Punching the hole also drops the shared mapping's pages (fallocate(2)). */
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(r->fd_offset + off), (off_t)n))
		return -errno;
	return 0;
}

int vm_memory_discard(const struct vm_memory *mem, uint64_t gpa, uint64_t len)
{
	if ((gpa | len) & 0xfff)
		return -EINVAL;
	if (!vm_memory_is_ram(mem, gpa, len))
		return -EFAULT;
	if (mem->discarded)
		__atomic_store_n(mem->discarded, 1, __ATOMIC_RELEASE);
	while (len) {
		const struct vm_mem_region *r = mem_find(mem, gpa);
		uint64_t off = gpa - r->gpa;
		uint64_t n = r->size - off < len ? r->size - off : len;
		int ret = discard_piece(r, off, n);

		if (ret)
			return ret;
		gpa += n;
		len -= n;
	}
	return 0;
}

bool vm_memory_any_file_private(const struct vm_memory *mem)
{
	for (unsigned i = 0; i < mem->nregions; i++)
		if (region_file_private(&mem->regions[i]))
			return true;
	return false;
}

uint64_t vm_memory_allocated(const struct vm_memory *mem)
{
	const int fds[2] = { mem->low_fd, mem->high_fd };
	uint64_t total = 0;
	struct stat st;

	for (unsigned i = 0; i < 2; i++)
		if (fds[i] >= 0 && !fstat(fds[i], &st))
			total += (uint64_t)st.st_blocks * 512;
	return total;
}

int vm_memory_set_mergeable(const struct vm_memory *mem, bool on)
{
	int advice = on ? MADV_MERGEABLE : MADV_UNMERGEABLE;

	if (mem->low_map && madvise(mem->low_map, mem->below_4g, advice))
		return -errno;
	if (mem->high_map && madvise(mem->high_map, mem->above_4g, advice))
		return -errno;
	return 0;
}

static void e820_put(struct e820_entry *out, unsigned max, unsigned *n, uint64_t addr,
		     uint64_t size, uint32_t type)
{
	if (*n < max)
		out[*n] = (struct e820_entry){ addr, size, type };
	(*n)++;
}

unsigned vm_memory_e820(const struct vm_memory *mem, struct e820_entry *out, unsigned max)
{
	unsigned n = 0;

	/* The last KiB below 640 KiB is the EBDA by PC convention; keep it reserved. */
	e820_put(out, max, &n, 0, 0x9fc00, E820_RAM);
	e820_put(out, max, &n, 0x9fc00, 0x400, E820_RESERVED);
	e820_put(out, max, &n, 0xf0000, 0x10000, E820_RESERVED);	/* BIOS area */
	e820_put(out, max, &n, 0x100000, mem->below_4g - 0x100000, E820_RAM);
	e820_put(out, max, &n, PC_IDENTITY_MAP_ADDR, PC_KVM_RESERVED_SIZE, E820_RESERVED);
	if (mem->above_4g)
		e820_put(out, max, &n, PC_4G, mem->above_4g, E820_RAM);
	return n;
}
