/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The widget library's one entry point: resources, libadwaita and types ready before use. */
#ifndef VESSEL_UI_H
#define VESSEL_UI_H

#include <glib.h>

#define VESSEL_APP_ID		"io.github.vesselvm.Vessel"
#define VESSEL_RESOURCE_BASE	"/io/github/vesselvm/Vessel"

/* Register the gresource, initialise libadwaita and the widget types; safe to call twice. */
void vessel_ui_init(void);

#endif
