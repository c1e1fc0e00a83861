/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselPowerControls: pause/resume, reset, shut down and force off for one running VM. */
#ifndef VESSEL_POWER_CONTROLS_H
#define VESSEL_POWER_CONTROLS_H

#include <adwaita.h>

#include "vessel-dbus.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_POWER_CONTROLS (vessel_power_controls_get_type())
G_DECLARE_FINAL_TYPE(VesselPowerControls, vessel_power_controls, VESSEL, POWER_CONTROLS,
		     GtkWidget)

/*
 * Actions (group "power"): pause, resume, reset, shutdown (the ACPI power button),
 * force-off (asks first, in an AdwMessageDialog with the response "force-off"). Each is
 * enabled only in the states where the helper accepts it; all are off without a VM.
 */
GtkWidget *vessel_power_controls_new(void);
/* The VM to control (borrowed reference kept), or NULL when it is not running. */
void vessel_power_controls_set_vm(VesselPowerControls *self, VesselVM1 *vm);

G_END_DECLS

#endif
