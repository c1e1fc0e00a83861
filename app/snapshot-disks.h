/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Disks in a VM folder's snapshots: which file holds each disk's state, overlays, cleanup. */
#ifndef VESSEL_SNAPSHOT_DISKS_H
#define VESSEL_SNAPSHOT_DISKS_H

#include <stdbool.h>
#include <glib.h>

#include "vessel-file.h"

/*
 * A snapshot freezes each writable disk (DESIGN.md: a snapshot tree is a tree of overlays):
 * - qcow2: the running VM moves to a new overlay VMDIR/disk.N-ID-K.qcow2 backed by the image
 *   it used, which from then on is only read: it is this snapshot's state of the disk.
 * - raw: the image is cloned (FICLONE) into snapshots/ID/disk.N.raw; the VM goes on with it.
 * meta.conf's [disks] group maps the .vessel group ("disk.N") to that frozen file, relative
 * to the VM folder (absolute when it lies outside). Restoring makes a fresh overlay (or
 * reflink clone) of the frozen file, disk.N-ID-K.EXT, and points [disk.N] file= at it, so
 * a node restores to the same disk every time and its frozen files are never written.
 * Files named disk.N-ID-K.{qcow2,raw} in the VM folder are ours: snap_disks_gc removes
 * those that no snapshot and no current disk needs through its backing chain.
 */

/* The [disk.N] group of vf whose image is the file at path (same inode), or NULL (g_free). */
char *snap_disk_group_of(const struct vessel_file *vf, const char *path);

/* How vf's folder names path: the bare file name inside it, else absolute (g_free). */
char *snap_disk_relative(const char *vmdir, const char *path);

/* A free name VMDIR/disk.N-ID-K.EXT for a new overlay or clone (g_free); NULL if none. */
char *snap_disk_new_path(const char *vmdir, const char *group, const char *id,
			 const char *ext);

/* Write meta.conf's [disks]: groups[i] = files[i] (names as snap_disk_relative gives). */
int snap_disks_record(const char *snapdir, char **groups, char **files, unsigned n,
		      GError **error);

/*
 * Restoring snapshot id (folder snapdir): for every disk it recorded, a fresh overlay or
 * clone of the frozen file, then [disk.N] file= of vf at it (vf saved atomically). On
 * failure nothing is left changed. 0 or -errno with *error.
 */
int snap_disks_restore(struct vessel_file *vf, const char *snapdir, const char *id,
		       GError **error);

/*
 * Remove the disk files snapshots made (disk.N-ID-K.*) that nothing needs: not a frozen
 * file of any snapshot, not a current disk of the .vessel file, not below one of these in
 * a backing chain, not part of a save in progress. Anything unreadable (a damaged meta.conf,
 * a chain that cannot be followed) stops the cleanup: it never guesses. Returns how many
 * files were removed.
 */
unsigned snap_disks_gc(const char *vmdir, const char *vessel_path);

#endif
