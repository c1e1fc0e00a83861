/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselErrorBanner: why the helper stopped, and the next step, across the top of a VM window. */
#ifndef VESSEL_ERROR_BANNER_H
#define VESSEL_ERROR_BANNER_H

#include <adwaita.h>

G_BEGIN_DECLS

#define VESSEL_TYPE_ERROR_BANNER (vessel_error_banner_get_type())
G_DECLARE_FINAL_TYPE(VesselErrorBanner, vessel_error_banner, VESSEL, ERROR_BANNER, GtkWidget)

/*
 * AdwBanner is libadwaita 1.3 (Debian 12 has 1.2): a revealer with the message and a button.
 * For exit status 65 (no KVM) the button is "Check this computer": it runs `vesselctl check`
 * ($VESSELCTL, else beside this program or in the build tree, else PATH) and shows what it
 * says, until the virtualization wizard takes that place. Otherwise the button dismisses.
 */
GtkWidget *vessel_error_banner_new(void);
/* Show the session's exited(status, message); a NULL message (a clean power-off) hides it. */
void vessel_error_banner_show_exit(VesselErrorBanner *self, int status, const char *message);
void vessel_error_banner_hide(VesselErrorBanner *self);

/* For tests and the window: shown?, the sentence, the button's label, the check's output
 * (NULL until it has run). */
gboolean vessel_error_banner_get_revealed(VesselErrorBanner *self);
const char *vessel_error_banner_get_message(VesselErrorBanner *self);
const char *vessel_error_banner_get_button_label(VesselErrorBanner *self);
const char *vessel_error_banner_get_check_output(VesselErrorBanner *self);

G_END_DECLS

#endif
