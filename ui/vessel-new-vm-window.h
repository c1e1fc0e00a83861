/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselNewVmWindow: the new VM assistant (name, install ISO, memory, CPUs, disk size). */
#ifndef VESSEL_NEW_VM_WINDOW_H
#define VESSEL_NEW_VM_WINDOW_H

#include <adwaita.h>
#include <stdint.h>

G_BEGIN_DECLS

#define VESSEL_TYPE_NEW_VM_WINDOW (vessel_new_vm_window_get_type())
G_DECLARE_FINAL_TYPE(VesselNewVmWindow, vessel_new_vm_window, VESSEL, NEW_VM_WINDOW, AdwWindow)

/*
 * A modal assistant creating VMs in folder. On success it emits "created" (the new .vessel
 * path) and closes; on failure the reason shows inline and it stays open.
 */
VesselNewVmWindow *vessel_new_vm_window_new(GtkWindow *parent, const char *folder);

/* Fill the form as the user would (tests, and "new VM from this ISO" later). */
void vessel_new_vm_window_set_name(VesselNewVmWindow *self, const char *name);
void vessel_new_vm_window_set_iso(VesselNewVmWindow *self, const char *path);
void vessel_new_vm_window_set_memory_mib(VesselNewVmWindow *self, unsigned mib);
void vessel_new_vm_window_set_cpus(VesselNewVmWindow *self, unsigned cpus);
void vessel_new_vm_window_set_disk_gib(VesselNewVmWindow *self, unsigned gib);

unsigned vessel_new_vm_window_get_memory_mib(VesselNewVmWindow *self);
unsigned vessel_new_vm_window_get_cpus(VesselNewVmWindow *self);

/* The inline error shown, or NULL. */
const char *vessel_new_vm_window_get_error(VesselNewVmWindow *self);

G_END_DECLS

#endif
