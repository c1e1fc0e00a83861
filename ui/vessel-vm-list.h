/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM list the library window shows: library.conf (folders, recent files) and the scan. */
#ifndef VESSEL_VM_LIST_H
#define VESSEL_VM_LIST_H

#include <glib.h>

#include "vessel-file.h"

#define VESSEL_VM_LIST_RECENT_MAX	20

struct vessel_vm_list {
	char *conf_path;	/* $XDG_CONFIG_HOME/vessel/library.conf unless given */
	GPtrArray *folders;	/* char *: absolute folders scanned for VMs */
	GPtrArray *recent;	/* char *: .vessel files, newest first */
};

/* One VM found: what a library row shows. */
struct vessel_vm_list_entry {
	char *path;		/* the .vessel file */
	char *name;		/* [vm] name, or the file name if it does not load */
	char *summary;		/* "2 CPUs · 1 GiB memory · 1 disk", or NULL */
	char *error;		/* why the file does not load, or NULL */
	char *thumbnail;	/* FOLDER/screenshot.png if it exists, else NULL */
};

/*
 * Read conf_path (NULL: the default place). A missing file gives the defaults (folder
 * ~/Virtual Machines, no recent files); a malformed one is an error, not a silent reset.
 */
struct vessel_vm_list *vessel_vm_list_load(const char *conf_path, GError **error);
void vessel_vm_list_free(struct vessel_vm_list *lib);
gboolean vessel_vm_list_save(struct vessel_vm_list *lib, GError **error);

/* Put path first in the recent list (absolute, no duplicates, at most RECENT_MAX). */
void vessel_vm_list_add_recent(struct vessel_vm_list *lib, const char *path);

/* The folder new VMs go to (the first one). */
const char *vessel_vm_list_default_folder(struct vessel_vm_list *lib);

/*
 * Every VM: FOLDER/NAME.vessel and FOLDER/SUB/NAME.vessel for each folder, then the recent
 * files not found so; sorted by name. Array of struct vessel_vm_list_entry *, freed with it.
 */
GPtrArray *vessel_vm_list_scan(struct vessel_vm_list *lib);
void vessel_vm_list_entry_free(struct vessel_vm_list_entry *e);

/* "2 CPUs · 1 GiB memory · 1 disk · CD-ROM": what a VM has, for rows and titles. */
char *vessel_vm_summary(const struct vessel_file *vf);

#endif
