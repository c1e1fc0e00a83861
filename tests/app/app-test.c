// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers for the app's widget tests: waits, read-back through the widget's snapshot, PNGs.
#include "app-test.h"
#include "vessel-ui.h"

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

gboolean app_test_init(void)
{
	if (!gtk_init_check())
		return FALSE;
	vessel_ui_init();
	return gdk_display_get_default() != NULL;
}

static gboolean time_up(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

void app_test_wait(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, time_up, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

gboolean app_test_wait_for(gboolean (*pred)(gpointer), gpointer data, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!pred(data) && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
	}
	return pred(data);
}

static gboolean window_ready(gpointer data)
{
	GtkWidget *w = data;

	return gtk_widget_get_mapped(w) && gtk_widget_get_width(w) > 0;
}

void app_test_show(GtkWindow *win, int width, int height)
{
	gtk_window_set_default_size(win, width, height);
	gtk_window_present(win);
	app_test_wait_for(window_ready, win, 5000);
	app_test_wait(300);	/* a frame or two so layout and first draw settle */
}

static GdkTexture *render(GtkWidget *w)
{
	int scale = gtk_widget_get_scale_factor(w);
	int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	GtkNative *native = gtk_widget_get_native(w);
	GdkPaintable *p = gtk_widget_paintable_new(w);
	GtkSnapshot *s = gtk_snapshot_new();
	GskRenderNode *node;
	GdkTexture *tex = NULL;
	graphene_rect_t vp;

	gtk_snapshot_scale(s, scale, scale);
	gdk_paintable_snapshot(p, s, width, height);
	node = gtk_snapshot_free_to_node(s);
	vp = GRAPHENE_RECT_INIT(0, 0, width * scale, height * scale);
	if (node && native)
		tex = gsk_renderer_render_texture(gtk_native_get_renderer(native), node, &vp);
	if (node)
		gsk_render_node_unref(node);
	g_object_unref(p);
	return tex;
}

guint8 *app_test_read_pixels(GtkWidget *w, int *width, int *height, gsize *stride)
{
	GdkTexture *tex = render(w);
	guint8 *buf;

	if (!tex)
		return NULL;
	*width = gdk_texture_get_width(tex);
	*height = gdk_texture_get_height(tex);
	*stride = (gsize)*width * 4;
	buf = g_malloc(*stride * *height);
	gdk_texture_download(tex, buf, *stride);
	g_object_unref(tex);
	return buf;
}

gboolean app_test_screenshot(GtkWidget *w, const char *name)
{
	const char *dir = g_getenv("VESSEL_SCREENSHOT_DIR");
	g_autofree char *file = NULL;
	GdkTexture *tex;
	gboolean ok;

	if (!dir || !*dir)
		return FALSE;
	g_mkdir_with_parents(dir, 0755);
	app_test_wait(150);	/* let a changed window lay out and draw before we snapshot it */
	file = g_strdup_printf("%s/%s%s.png", dir, name,
			       g_getenv("VESSEL_SCREENSHOT_SUFFIX") ? g_getenv("VESSEL_SCREENSHOT_SUFFIX") : "");
	tex = render(w);
	if (!tex)
		return FALSE;
	ok = gdk_texture_save_to_png(tex, file);
	g_object_unref(tex);
	return ok;
}

char *app_test_tmpdir(void)
{
	return g_dir_make_tmp("vessel-app-test-XXXXXX", NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void app_test_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
