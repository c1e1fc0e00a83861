/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselSettingsWindow: edits one .vessel file; the parser's checks show inline per section. */
#ifndef VESSEL_SETTINGS_WINDOW_H
#define VESSEL_SETTINGS_WINDOW_H

#include <adwaita.h>

G_BEGIN_DECLS

#define VESSEL_TYPE_SETTINGS_WINDOW (vessel_settings_window_get_type())
G_DECLARE_FINAL_TYPE(VesselSettingsWindow, vessel_settings_window, VESSEL, SETTINGS_WINDOW,
		     AdwWindow)

/*
 * Settings of the VM in path. If it does not load, the window says why and saving is off.
 * The fields are template children (memory, cpus, cdrom, vram, spice, spice_port,
 * spice_password, spice_tls, balloon, balloon_min, balloon_max, balloon_auto): tests and callers
 * reach them with gtk_widget_get_template_child(). "settings.save" checks and writes;
 * "saved" is emitted after a successful write.
 */
VesselSettingsWindow *vessel_settings_window_new(GtkWindow *parent, const char *path);

/* The drive list: add an image (kept as given), remove the i-th, count them. */
void vessel_settings_window_add_disk(VesselSettingsWindow *self, const char *path);
void vessel_settings_window_remove_disk(VesselSettingsWindow *self, guint i);
guint vessel_settings_window_get_n_disks(VesselSettingsWindow *self);

/*
 * The inline message of a section ("general", "drives", "display", "spice", "balloon"),
 * or NULL when it shows none.
 */
const char *vessel_settings_window_get_error(VesselSettingsWindow *self, const char *section);

G_END_DECLS

#endif
