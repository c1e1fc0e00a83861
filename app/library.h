/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's VM library: where VMs live, finding one by name, making a new one. */
#ifndef VESSEL_LIBRARY_H
#define VESSEL_LIBRARY_H

#include <stdint.h>
#include <glib.h>

#include "vessel-file.h"

/*
 * The library's folders: those in $XDG_CONFIG_HOME/vessel/library.conf ([library]
 * folders=DIR;DIR;...), or "~/Virtual Machines" when the file names none. A NULL-terminated
 * list (g_strfreev). The default folder is where new VMs go.
 */
char **vessel_library_folders(void);
char *vessel_library_default_folder(void);
/* Recently opened .vessel files ([library] recent=...), newest first; NULL-terminated. */
char **vessel_library_recent(void);
/* Put path at the head of the recent list (at most 20 kept); 0 or -errno with *error. */
int vessel_library_add_recent(const char *path, GError **error);

/*
 * Every VM the library knows: FOLDER/NAME/NAME.vessel in each folder, then recent files
 * not already found. Absolute paths, sorted by folder order then name; g_strfreev.
 */
char **vessel_library_list(void);

/*
 * Resolve what a person typed for a VM: a .vessel file, a VM folder holding NAME.vessel,
 * or a NAME in one of the library folders. The absolute path, or NULL with *error saying
 * where it looked.
 */
char *vessel_library_resolve(const char *what, GError **error);

struct vessel_new_vm {
	const char *dir;		/* parent folder; NULL: the library's default */
	const char *name;
	uint64_t memory;		/* bytes */
	unsigned cpus;
	uint64_t disk_size;		/* bytes; 0: no disk */
	const char *cdrom;		/* an ISO to install from, or NULL */
};

/*
 * Make DIR/NAME/ with NAME.vessel and (when disk_size) a qcow2 disk.qcow2 on AHCI, the CD-ROM
 * given, and return it loaded. On failure nothing is left behind; NULL with *error.
 */
struct vessel_file *vessel_vm_create(const struct vessel_new_vm *n, GError **error);

#endif
