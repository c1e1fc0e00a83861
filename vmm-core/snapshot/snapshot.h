/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saving a running VM to a snapshot directory and loading one into a fresh VM. */
#ifndef VMM_SNAPSHOT_H
#define VMM_SNAPSHOT_H

#include <stddef.h>

struct vm;

/*
 * A snapshot is a directory (snapshots/<id>/ in a VM folder) holding:
 *   state    devices (each device's save blob, in table order), vCPUs, PIT/clock/irqchips,
 *            where RAM lies in `memory` — snap-format.h describes the file
 *   memory   guest RAM, a sparse file (zero pages are holes)
 * Disks are not part of it: the block layer's snapshot hook (qcow2 overlays) is a separate
 * step, and the caller must take it while the VM is paused for the same snapshot.
 */

/*
 * Save the running (or not yet started) VM into dir, which is created if missing and must
 * not already hold a snapshot. Pauses vCPUs and devices, writes, resumes. Refused before
 * anything is paused if a device has no save hook ("device 'x' cannot be snapshotted yet").
 * progress (may be NULL) is called with 0..1 from this thread. 0 or -errno, err filled.
 * Not from a vCPU thread or the VM's I/O thread.
 */
int vm_snapshot_save(struct vm *vm, const char *dir,
		     void (*progress)(void *opaque, double fraction), void *opaque,
		     char *err, size_t errlen);

/*
 * Load dir into vm, freshly created from the same configuration and not yet running. The
 * whole state file is checked (marker, CRCs, lengths) and compared with this VM (vCPUs, RAM,
 * CPU, devices) before anything is changed; the files are only read. RAM is mapped
 * privately from `memory`, so the VM runs before all of it has been read. On failure the
 * VM may be half-loaded: destroy it. 0 or -errno, err filled.
 */
int vm_snapshot_load(struct vm *vm, const char *dir, char *err, size_t errlen);

#endif
