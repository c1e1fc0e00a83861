/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot `state` file: header, CRC-checked sections and the completion marker. */
#ifndef VMM_SNAP_FORMAT_H
#define VMM_SNAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Layout (all integers little endian, as the x86-64 host stores them):
 *
 *   struct snap_file_head      magic, format version, completion marker, header length/CRC
 *   struct snap_header         the VM it was taken from (checked against the new VM)
 *   char names[ndevices][32]   device names in table order (part of the header's CRC)
 *   sections, each:            struct snap_section_head + `length` bytes of data + zeros
 *                              up to a multiple of 8 (every blob starts 8-byte aligned)
 *   an END section             length 0: the file ends here
 *
 * The marker is SNAP_MARKER_PARTIAL while the snapshot is written (state and memory), and is
 * rewritten in place to SNAP_MARKER_COMPLETE after everything else is on disk (fsync before
 * and after), so a save that was interrupted at any point is recognised and never restored.
 * A reader treats the whole file as hostile: every length is checked against the file size
 * and every section's CRC before any of it is used.
 */
#define SNAP_MAGIC		"VSLSNAP\x1a"
#define SNAP_FORMAT_VERSION	2	/* 2: section data padded to 8 bytes */
#define SNAP_MARKER_PARTIAL	0x54524150u	/* "PART" */
#define SNAP_MARKER_COMPLETE	0x504d4f43u	/* "COMP" */
#define SNAP_MARKER_OFFSET	12
#define SNAP_NAME_LEN		32
#define SNAP_ALIGN		8
#define SNAP_MAX_DEVICES	64
#define SNAP_MAX_CPUS		1024
/* Devices, vCPUs, the KVM and RAM sections, and room for a few more kinds. */
#define SNAP_MAX_SECTIONS	(SNAP_MAX_DEVICES + SNAP_MAX_CPUS + 16)
#define SNAP_MAX_STATE_SIZE	(1ull << 30)	/* a state file above 1 GiB is refused */

enum snap_tag {
	SNAP_TAG_DEVICE = 1,	/* name: the device's ops name; data: its save() blob */
	SNAP_TAG_VCPU = 2,	/* name: "vcpuN" */
	SNAP_TAG_KVM_VM = 3,	/* PIT, kvmclock, PIC and IOAPIC */
	SNAP_TAG_RAM = 4,	/* where each RAM region lies in the memory file */
	SNAP_TAG_END = 0x444e45u,
};

struct snap_file_head {
	char magic[8];
	uint32_t version;
	uint32_t marker;
	uint32_t header_len;	/* struct snap_header + the device names */
	uint32_t header_crc;
};

struct snap_header {
	uint32_t ncpus;
	uint32_t ndevices;
	uint64_t ram_size;
	char cpu_vendor[16];	/* CPUID.0 vendor string, NUL-terminated */
	uint32_t cpu_signature;	/* CPUID.1 EAX */
	uint32_t cpu_family;	/* decoded from the signature (SDM vol. 2A, CPUID leaf 1) */
	uint32_t cpu_model;
	uint32_t tsc_khz;
	uint64_t created_ns;	/* CLOCK_REALTIME at the save */
};

struct snap_section_head {
	uint32_t tag;
	char name[28];
	uint64_t length;
	uint32_t crc;
	uint32_t reserved;
};

/* The VM a snapshot belongs to: the header plus its device list. */
struct snap_vm_desc {
	struct snap_header hdr;
	char names[SNAP_MAX_DEVICES][SNAP_NAME_LEN];
};

/* Zero bytes after a section's data, so the next section starts 8-byte aligned. */
static inline size_t snap_pad(uint64_t len)
{
	return (size_t)((SNAP_ALIGN - len % SNAP_ALIGN) % SNAP_ALIGN);
}

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320); start with crc = 0. */
uint32_t snap_crc32(uint32_t crc, const void *buf, size_t len);

/* Fill the CPU fields of hdr from this host's CPUID. */
void snap_header_set_cpu(struct snap_header *hdr);

/* Writer: open creates the file (O_EXCL) with a partial marker. 0 or -errno, err filled. */
struct snap_writer {
	int fd;
	uint64_t off;
	const char *path;
	char *err;
	size_t errlen;
};

int snap_writer_open(struct snap_writer *w, const char *path, const struct snap_vm_desc *desc,
		     char *err, size_t errlen);
int snap_writer_section(struct snap_writer *w, uint32_t tag, const char *name,
			const void *data, size_t len);
/* END section, fsync, marker COMPLETE, fsync, close. */
int snap_writer_finish(struct snap_writer *w);
/* Close after a failure (the file keeps its partial marker and is removed). */
void snap_writer_abort(struct snap_writer *w);

/* Reader: the whole file checked and held in memory. */
struct snap_section {
	uint32_t tag;
	char name[29];
	const uint8_t *data;
	uint64_t length;
};

struct snap_reader {
	uint8_t *buf;
	size_t size;
	struct snap_vm_desc desc;
	struct snap_section *secs;
	unsigned nsecs, cap;
};

int snap_reader_open(struct snap_reader *r, const char *path, char *err, size_t errlen);
void snap_reader_close(struct snap_reader *r);
/* The idx-th section with this tag (0-based), or NULL. */
const struct snap_section *snap_reader_find(const struct snap_reader *r, uint32_t tag,
					    unsigned idx);

/*
 * Compare a snapshot's VM with the VM it is to be loaded into; 0, or -EINVAL with a message
 * naming the first difference (vCPU count, RAM size, CPU vendor/family/model, devices).
 */
int snap_desc_check(const struct snap_vm_desc *saved, const struct snap_vm_desc *now,
		    const char *path, char *err, size_t errlen);

#endif
