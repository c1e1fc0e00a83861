/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM folder's snapshot tree: snapshots/<id>/meta.conf, which one is current. */
#ifndef VESSEL_SNAPSHOT_STORE_H
#define VESSEL_SNAPSHOT_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * VMDIR/snapshots/<id>/ holds meta.conf ([snapshot] name, description, parent, created,
 * complete), plus what vm_snapshot_save writes (state, memory) and screenshot.png.
 * VMDIR/snapshots/tree.conf names the current node: the one the running VM descends from,
 * so the next snapshot's parent. Ids are decimal numbers, never reused while their folder
 * exists. Every write is atomic (temp file + rename). Folder contents are untrusted: a
 * malformed meta.conf makes that snapshot "broken" in the list, never a crash.
 */
struct snap_meta {
	char *id;
	char *parent;		/* "" for a root */
	char *name;
	char *description;
	int64_t created;	/* Unix time */
	bool complete;		/* false: the save was interrupted (or is running); never restorable */
	bool current;
	bool broken;		/* meta.conf unreadable; only deletion makes sense */
	char *dir;		/* absolute */
};

/* Every snapshot of the VM in vmdir, oldest first; *n of them. Free with snap_list_free. */
struct snap_meta *snap_list(const char *vmdir, unsigned *n);
void snap_list_free(struct snap_meta *list, unsigned n);

/*
 * Start a snapshot: a new id under vmdir/snapshots whose parent is the current node, with
 * meta.conf saying complete=false. Returns the new folder (g_free), *id set (g_free); NULL
 * with *error.
 */
char *snap_begin(const char *vmdir, const char *name, const char *description, char **id,
		 GError **error);
/* The save finished: complete=true, and it becomes the current node. 0 or -errno. */
int snap_commit(const char *vmdir, const char *id, GError **error);
/* The node a restore starts from; it becomes current. -ENOENT if there is none. */
int snap_set_current(const char *vmdir, const char *id, GError **error);
/*
 * Remove a snapshot's folder. Its children take its parent as theirs (each snapshot holds
 * its whole state, so they lose nothing); if it was current, its parent becomes current.
 */
int snap_delete(const char *vmdir, const char *id, GError **error);

/* The folder of snapshot id, if it exists and is complete; NULL with *error otherwise. */
char *snap_restorable_dir(const char *vmdir, const char *id, GError **error);

#endif
