/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the app's widget tests under Xvfb: main-loop waits, read-back, screenshots. */
#ifndef VESSEL_APP_TEST_H
#define VESSEL_APP_TEST_H

#include <gtk/gtk.h>
#include <stdint.h>

/* gtk_init + vessel_ui_init; FALSE if there is no display (the caller skips). */
gboolean app_test_init(void);

/* Run the main loop for ms milliseconds. */
void app_test_wait(guint ms);

/* Run the main loop until pred(data) or ms pass; pred's last answer. */
gboolean app_test_wait_for(gboolean (*pred)(gpointer), gpointer data, guint ms);

/* Map w's window and wait until it has a size and has been drawn once. */
void app_test_show(GtkWindow *win, int width, int height);

/*
 * Render w (its own snapshot, so a GtkGLArea renders) with its window's renderer at device
 * resolution; the pixels are B,G,R,A bytes (CAIRO_FORMAT_ARGB32 order), rows of *stride bytes.
 * g_free() the result; NULL if it cannot render.
 */
guint8 *app_test_read_pixels(GtkWidget *w, int *width, int *height, gsize *stride);

/* Save w to $VESSEL_SCREENSHOT_DIR/name.png when that is set; TRUE if saved. */
gboolean app_test_screenshot(GtkWidget *w, const char *name);

/* A fresh temp folder, removed with its contents by app_test_rmtree(). */
char *app_test_tmpdir(void);
void app_test_rmtree(const char *dir);

#endif
