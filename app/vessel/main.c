// SPDX-License-Identifier: GPL-2.0-or-later
// vessel: the desktop app's entry point (`vessel [FILE.vessel...]`).
#include "vessel-application.h"

int main(int argc, char **argv)
{
	g_autoptr(VesselApplication) app = vessel_application_new();

	g_set_application_name("Vessel");
	return g_application_run(G_APPLICATION(app), argc, argv);
}
