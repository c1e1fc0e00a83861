/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselMemoryPane: the memory balloon's target, the guest's memory over time, the auto policy. */
#ifndef VESSEL_MEMORY_PANE_H
#define VESSEL_MEMORY_PANE_H

#include <adwaita.h>

#include "vessel-dbus.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_MEMORY_PANE (vessel_memory_pane_get_type())
G_DECLARE_FINAL_TYPE(VesselMemoryPane, vessel_memory_pane, VESSEL, MEMORY_PANE, GtkWidget)

/*
 * The slider (MiB, BalloonMin..BalloonMax) sets VM1.MemoryTarget shortly after it stops
 * moving; the switch is VM1.BalloonAuto. While shown with a balloon, the guest is asked for
 * statistics every 2 s and the graph plots MemoryActual and the guest's available (else free)
 * memory for the last 3 minutes. Pages: "stopped" (no VM), "none" (no balloon), "balloon".
 */
GtkWidget *vessel_memory_pane_new(void);
void vessel_memory_pane_set_vm(VesselMemoryPane *self, VesselVM1 *vm);

/* For the window and tests: the visible page's name, the slider, the switch, samples taken. */
const char *vessel_memory_pane_get_page(VesselMemoryPane *self);
GtkRange *vessel_memory_pane_get_slider(VesselMemoryPane *self);
GtkSwitch *vessel_memory_pane_get_auto_switch(VesselMemoryPane *self);
guint vessel_memory_pane_get_n_samples(VesselMemoryPane *self);
/* The line under the slider: target, what the guest has, of how much. */
const char *vessel_memory_pane_get_figures(VesselMemoryPane *self);

G_END_DECLS

#endif
