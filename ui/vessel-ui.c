// SPDX-License-Identifier: GPL-2.0-or-later
// The widget library's entry point: registers the gresource (built with --manual-register).
#include "vessel-ui.h"
#include "vessel-ui-resources.h"
#include "vessel-display.h"

#include <adwaita.h>

void vessel_ui_init(void)
{
	static gsize done;

	if (!g_once_init_enter(&done))
		return;
	vessel_ui_register_resource();
	adw_init();
	/* icons for widgets used outside a GtkApplication (which adds this path itself) */
	if (gdk_display_get_default())
		gtk_icon_theme_add_resource_path(gtk_icon_theme_get_for_display(
			gdk_display_get_default()), VESSEL_RESOURCE_BASE "/icons");
	g_type_ensure(VESSEL_TYPE_DISPLAY);
	/* software GL: GSK's cairo renderer for every window (issue 7, vessel-display-texture.c) */
	vessel_display_choose_renderer();
	g_once_init_leave(&done, 1);
}
