/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselLibraryWindow: every VM the user has, with an empty state that offers a new one. */
#ifndef VESSEL_LIBRARY_WINDOW_H
#define VESSEL_LIBRARY_WINDOW_H

#include <adwaita.h>

#include "vessel-vm-list.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_LIBRARY_WINDOW (vessel_library_window_get_type())
G_DECLARE_FINAL_TYPE(VesselLibraryWindow, vessel_library_window, VESSEL, LIBRARY_WINDOW,
		     AdwApplicationWindow)

/* conf_path: library.conf to use; NULL for $XDG_CONFIG_HOME/vessel/library.conf. */
VesselLibraryWindow *vessel_library_window_new(GtkApplication *app, const char *conf_path);

/* Scan the folders again and rebuild the list (also the library.refresh action). */
void vessel_library_window_refresh(VesselLibraryWindow *self);

/* The library (borrowed), e.g. to add a recent file; refresh afterwards. */
struct vessel_library *vessel_library_window_get_library(VesselLibraryWindow *self);

/* The rows shown (AdwActionRow, one per VM) and whether the empty state is up. */
guint vessel_library_window_get_n_rows(VesselLibraryWindow *self);
AdwActionRow *vessel_library_window_get_row(VesselLibraryWindow *self, guint i);
gboolean vessel_library_window_is_empty(VesselLibraryWindow *self);

G_END_DECLS

#endif
