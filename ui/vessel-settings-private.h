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

struct _VesselSettingsWindow {
	AdwWindow parent_instance;

	/* template children */
	AdwWindowTitle *title;
	GtkListBox *disks;
	GtkSpinButton *memory, *cpus, *vram, *spice_port, *balloon_min, *balloon_max;
	AdwEntryRow *cdrom, *spice_password;
	GtkSwitch *spice, *spice_tls, *balloon, *balloon_auto;

	/* owned */
	struct vessel_file *vf;	/* its kf is edited in place and is what gets saved */
	GPtrArray *disk_list;	/* struct settings_disk * */
};

/* vessel-settings-window.c */
void vessel_settings_show_error(VesselSettingsWindow *self, const char *section,
				const char *msg);
void vessel_settings_refresh_disks(VesselSettingsWindow *self);

/* vessel-settings-apply.c */
void vessel_settings_fill(VesselSettingsWindow *self);
/* Fields into the key file, checked by the parser, saved; -errno after showing why. */
int vessel_settings_apply(VesselSettingsWindow *self);

#endif
