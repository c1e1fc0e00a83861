/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's VM library: where VMs live, finding one by name, making a new one. */
#ifndef VESSEL_LIBRARY_H
#define VESSEL_LIBRARY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vessel-file.h"

#define VESSEL_LIBRARY_RECENT_MAX	20

/*
 * library.conf ([library] folders=DIR;DIR;... recent=FILE;...), the one implementation the
 * app, its windows and vesselctl share. Folders and recent files are absolute (relative
 * folders are taken from home); no folder listed means "~/Virtual Machines". The key file
 * is kept whole, so comments and other keys survive a save.
 */
struct vessel_library {
	char *conf_path;	/* $XDG_CONFIG_HOME/vessel/library.conf unless given */
	GKeyFile *kf;
	GPtrArray *folders;	/* char *: folders holding VM folders; never empty */
	GPtrArray *recent;	/* char *: .vessel files, newest first, at most RECENT_MAX */
	bool keep_file;		/* the file did not parse: never overwrite it */
};

/*
 * Read conf_path (NULL: the default place). A missing file gives the defaults; a malformed
 * one is an error naming it (NULL), not a silent reset.
 */
struct vessel_library *vessel_library_load(const char *conf_path, GError **error);
/* The defaults for conf_path, for when it does not parse; such a library is never saved. */
struct vessel_library *vessel_library_new_default(const char *conf_path);
void vessel_library_free(struct vessel_library *lib);
/* Write folders and recent back (folder created, atomic replace); 0 or -errno with *error. */
int vessel_library_save(struct vessel_library *lib, GError **error);
/* Put path (made absolute) first in the recent list, without duplicates, capped. */
void vessel_library_push_recent(struct vessel_library *lib, const char *path);
/* The folder new VMs go to: the first one. */
const char *vessel_library_first_folder(const struct vessel_library *lib);
/*
 * Every VM the library knows: FOLDER/NAME/NAME.vessel in each folder, then recent files
 * not already found. Absolute paths, sorted by folder order then name; g_strfreev.
 */
char **vessel_library_scan(const struct vessel_library *lib);

/* The same for the default library.conf, for vesselctl (a malformed file reads as none). */
char **vessel_library_folders(void);
char *vessel_library_default_folder(void);
/* Recently opened .vessel files, newest first; NULL-terminated. */
char **vessel_library_recent(void);
/* Put path at the head of the recent list and save; 0 or -errno with *error. */
int vessel_library_add_recent(const char *path, GError **error);
/* vessel_library_scan() of the default library. */
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
