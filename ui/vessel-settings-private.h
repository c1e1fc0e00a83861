/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselSettingsWindow's instance struct, shared by the window and its fill/apply half. */
#ifndef VESSEL_SETTINGS_PRIVATE_H
#define VESSEL_SETTINGS_PRIVATE_H

#include "vessel-settings-window.h"
#include "vessel-file.h"

/* One drive row: the [disk.N] group it came from (NULL if added here) and its file. */
struct settings_disk {
	char *group;
	char *file;		/* as written in the file (relative paths stay relative) */
	char *bus;		/* NULL: the file's default */
};

/* What the fields showed: kept from opening so that saving writes only what the user changed. */
struct settings_form {
	int memory, cpus, vram, spice_port, balloon_min, balloon_max;	/* MiB or counts */
	char *cdrom, *spice_password;
	gboolean spice, spice_tls, balloon, balloon_auto;
};

struct _VesselSettingsWindow {
	AdwWindow parent_instance;

	/* template children */
	AdwWindowTitle *title;
	GtkListBox *disks;
	GtkSpinButton *memory, *cpus, *vram, *spice_port, *balloon_min, *balloon_max;
	AdwEntryRow *cdrom, *spice_password;
	GtkSwitch *spice, *spice_tls, *balloon, *balloon_auto;

	/* owned */
	struct vessel_file *vf;	/* as opened; saving starts again from the file on disk */
	GPtrArray *disk_list;	/* struct settings_disk * */
	struct settings_form opened;	/* the fields as filled from the file */
	char **opened_disks;		/* the [disk.N] groups the file had when opened */
};

/* vessel-settings-window.c */
void vessel_settings_show_error(VesselSettingsWindow *self, const char *section,
				const char *msg);
void vessel_settings_refresh_disks(VesselSettingsWindow *self);

/* vessel-settings-apply.c */
void vessel_settings_fill(VesselSettingsWindow *self);
void vessel_settings_form_clear(struct settings_form *f);
/*
 * Save: the file is read again (a snapshot may have rewritten [disk.N] file= meanwhile),
 * only the fields the user changed since opening are applied to it, unknown keys stay, the
 * parser checks the result and it is written atomically; -errno after showing why.
 */
int vessel_settings_apply(VesselSettingsWindow *self);

#endif
