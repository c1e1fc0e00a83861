/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The library window's rows: each VM of app/library.c's scan, loaded for showing. */
#ifndef VESSEL_VM_LIST_H
#define VESSEL_VM_LIST_H

#include <glib.h>

#include "library.h"
#include "vessel-file.h"

/* One VM found: what a library row shows. */
struct vessel_vm_list_entry {
	char *path;		/* the .vessel file */
	char *name;		/* [vm] name, or the file name if it does not load */
	char *summary;		/* "2 CPUs · 1 GiB memory · 1 disk", or NULL */
	char *error;		/* why the file does not load, or NULL */
	char *thumbnail;	/* FOLDER/screenshot.png if it exists, else NULL */
};

/*
 * Every VM vessel_library_scan() finds, loaded, sorted by name (case-folded) for the list.
 * Array of struct vessel_vm_list_entry *, freed with it.
 */
GPtrArray *vessel_vm_list_scan(const struct vessel_library *lib);
void vessel_vm_list_entry_free(struct vessel_vm_list_entry *e);

/* "2 CPUs · 1 GiB memory · 1 disk · CD-ROM": what a VM has, for rows and titles. */
char *vessel_vm_summary(const struct vessel_file *vf);

#endif
