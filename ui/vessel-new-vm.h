/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Creating a new VM: defaults from the host, then folder + .vessel + empty qcow2 disk. */
#ifndef VESSEL_NEW_VM_H
#define VESSEL_NEW_VM_H

#include <glib.h>
#include <stdint.h>

#include "vessel-file.h"

#define VESSEL_NEW_VM_MEMORY_CAP	(4ull << 30)
#define VESSEL_NEW_VM_MEMORY_FLOOR	(512ull << 20)
#define VESSEL_NEW_VM_CPUS		2
#define VESSEL_NEW_VM_DISK_SIZE		(32ull << 30)
#define VESSEL_NEW_VM_DISK_MAX		(64ull << 40)

struct vessel_new_vm_spec {
	const char *folder;	/* the library folder; created if missing */
	const char *name;	/* the VM's name and its folder's */
	const char *iso;	/* install medium, or NULL */
	uint64_t memory;	/* bytes, whole MiB */
	unsigned cpus;
	uint64_t disk_size;	/* bytes; 0: no disk */
};

/*
 * Defaults for this host from its RAM and CPU count: a quarter of the RAM (whole MiB, at least
 * 512 MiB, at most 4 GiB) and 2 CPUs (fewer if the host has fewer).
 */
void vessel_new_vm_defaults(uint64_t host_ram, unsigned host_cpus, uint64_t *memory,
			    unsigned *cpus);

/* The same from this machine's sysconf figures. */
void vessel_new_vm_host_defaults(uint64_t *memory, unsigned *cpus);

/*
 * FOLDER/NAME/NAME.vessel with the memory and CPUs, an empty qcow2 disk.qcow2 of disk_size
 * on AHCI, and the ISO as CD-ROM; returned loaded. NULL with *error set; nothing is left
 * behind on failure.
 */
struct vessel_file *vessel_new_vm_create(const struct vessel_new_vm_spec *p, GError **error);

#endif
