/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselWizard: why KVM is unavailable here, in firmware-menu words, and the way to fix it. */
#ifndef VESSEL_WIZARD_H
#define VESSEL_WIZARD_H

#include <adwaita.h>

#include "hostcheck.h"

G_BEGIN_DECLS

#define VESSEL_TYPE_WIZARD (vessel_wizard_get_type())
G_DECLARE_FINAL_TYPE(VesselWizard, vessel_wizard, VESSEL, WIZARD, AdwWindow)

/*
 * What the wizard checks and whom it asks. Every member may be NULL/zero: then this machine
 * ("/", the system probes), the system bus (vessel-broker and logind) and
 * $XDG_STATE_HOME/vessel/wizard.conf. Tests give a fixture tree, its probes and a private bus.
 * Strings are copied; probes and buses are borrowed (buses are referenced).
 */
struct vessel_wizard_config {
	const char *root;
	const struct hostcheck_probes *probes;	/* must outlive the wizard */
	GDBusConnection *broker_bus;		/* io.github.vesselvm.Vessel.Broker1 */
	GDBusConnection *logind_bus;		/* org.freedesktop.login1 */
	const char *state_file;			/* the pending-fix memory (a GKeyFile) */
};

/*
 * Pages, as vessel_wizard_get_page() names them: "checking", "problem" (what is wrong, one
 * sentence), then per state "firmware", "module", "access", "final" (nothing the wizard can
 * do), or "success". Template children tests reach with gtk_widget_get_template_child():
 * next_button, fwattr_button, restart_button, load_button, recheck_button.
 * Actions: wizard.next, wizard.back, wizard.recheck, wizard.enable-fwattr,
 * wizard.restart-firmware (asks first), wizard.load-module.
 * Signal "checked" (no arguments): a check finished and its page is showing.
 */
VesselWizard *vessel_wizard_new(GtkWindow *parent, const struct vessel_wizard_config *config);

const char *vessel_wizard_get_page(VesselWizard *self);
/* The last check's state, or -1 before the first one finished. */
int vessel_wizard_get_state(VesselWizard *self);
/* The last D-Bus answer shown on the fix page (an error in plain words), or NULL. */
const char *vessel_wizard_get_message(VesselWizard *self);
/* The open confirmation dialog (restart into firmware setup), or NULL. */
GtkWindow *vessel_wizard_get_dialog(VesselWizard *self);
/* TRUE while a check or a D-Bus call is under way. */
gboolean vessel_wizard_is_busy(VesselWizard *self);

G_END_DECLS

#endif
