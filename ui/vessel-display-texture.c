// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay's texture path: choosing it, and the frame as tile nodes in our own snapshot.
#include "vessel-display-private.h"

#include <math.h>
#include <string.h>

/*
 * Why a second path (issue 7). On Mesa's llvmpipe a GtkGLArea paint costs two full-window
 * passes of JIT'd fragment shaders (our quad into the GLArea's FBO, then GSK compositing it),
 * ~28 ms of CPU per paint at 1080p, and a guest drawing for a second gets ~40 paints. Texture
 * nodes on GSK's GL renderer barely help (~25 ms a paint: GSK redraws the whole window every
 * frame there), so on a software GL the app runs GSK's cairo renderer
 * (vessel_display_choose_renderer) and the display appends tiles that are cached render
 * nodes: GTK's frame diff then repaints, and sends to X, only the tiles that changed.
 *
 * tests/bench/app-bench.py, 1920x1080x32 guest shown 1:1 under Xvfb, one full-screen change
 * per frame (medians; all paths and remote-viewer alternating in one run, 2 rounds of 5
 * frames, 2 shared cores, so the ratios mean more than the figures):
 *                                   latency   viewer CPU/frame   Xvfb CPU/frame
 *   gl (GtkGLArea, GSK GL)          70.9 ms       1547 ms             80 ms
 *   texture tiles on GSK GL         56.1 ms       1234 ms             80 ms
 *   auto: cairo renderer + tiles    19.9 ms        161 ms             20 ms
 *   remote-viewer (SPICE)            0.2 ms         35 ms             10 ms
 * (one texture for the whole frame on the cairo renderer, before tiles: ~60 ms, ~700 ms,
 * ~170 ms). Cairo is the one that scales with the damage; capping paints at 30 a second
 * cut little CPU and added ~20 ms of latency, so paints stay on the frame clock.
 */

/*
 * Mesa's software rasterizers name themselves in GL_RENDERER: "llvmpipe (LLVM 15.0.6, 256
 * bits)", "softpipe", OpenSWR's "SWR ...", the old swrast's "Software Rasterizer"; zink over
 * llvmpipe says "zink (llvmpipe ...)". Hardware names carry none of these.
 */
gboolean vessel_display_gl_renderer_is_software(const char *r)
{
	return !r || strstr(r, "llvmpipe") || strstr(r, "softpipe") || strstr(r, "SWR") ||
	       strstr(r, "Software Rasterizer");
}

/* Make a throwaway GL context on the display and read its GL_RENDERER: software? */
static gboolean gl_is_software(GdkDisplay *display)
{
	g_autoptr(GdkGLContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	gboolean soft;

	ctx = gdk_display_create_gl_context(display, &error);
	if (!ctx || !gdk_gl_context_realize(ctx, &error))
		return TRUE;	/* no GL at all: the GLArea could only show its error */
	gdk_gl_context_make_current(ctx);
	soft = vessel_display_gl_renderer_is_software((const char *)glGetString(GL_RENDERER));
	gdk_gl_context_clear_current();
	return soft;
}

/*
 * VESSEL_DISPLAY=gl|texture forces a path (tests, benches); otherwise the texture path when
 * the window has no GL renderer (GSK_RENDERER=cairo: a GLArea cannot draw there) or GL is
 * software, and the GLArea on a hardware renderer.
 */
gboolean vessel_display_pick_texture(VesselDisplay *self)
{
	const char *env = g_getenv("VESSEL_DISPLAY");
	GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
	GskRenderer *r = native ? gtk_native_get_renderer(native) : NULL;

	if (r && GSK_IS_CAIRO_RENDERER(r))
		return TRUE;
	if (env && !g_strcmp0(env, "texture"))
		return TRUE;
	if (env && !g_strcmp0(env, "gl"))
		return FALSE;
	if (env && *env)
		g_warning("VESSEL_DISPLAY=%s is neither gl nor texture; choosing by the renderer",
			  env);
	return gl_is_software(gtk_widget_get_display(GTK_WIDGET(self)));
}

/*
 * On a software GL the whole app is cheaper on GSK's cairo renderer, and the display's
 * texture path needs no GL there. GSK reads GSK_RENDERER once, when the first window
 * realizes, so this runs before any window (vessel_ui_init). A GSK_RENDERER or VESSEL_DISPLAY
 * already set is left alone: tests and benches pick their combination themselves.
 */
void vessel_display_choose_renderer(void)
{
	GdkDisplay *display = gdk_display_get_default();
	const char *env = g_getenv("VESSEL_DISPLAY");

	if (!display || g_getenv("GSK_RENDERER") || (env && *env))
		return;
	if (gl_is_software(display))
		g_setenv("GSK_RENDERER", "cairo", FALSE);
}

/*
 * Black bars around the frame, drawn before it: where the frame does not cover, plus one
 * device pixel (px) under its edge, so a scaled rendering of the window (a thumbnail, a
 * screenshot) that antialiases both edges shows no background between them.
 */
static void append_bars(GtkSnapshot *snap, const graphene_rect_t *f, double w, double h,
			double px)
{
	static const GdkRGBA black = { 0, 0, 0, 1 };
	double fx1 = f->origin.x + f->size.width, fy1 = f->origin.y + f->size.height;
	graphene_rect_t bars[4] = {
		GRAPHENE_RECT_INIT(0, 0, w, f->origin.y + px),
		GRAPHENE_RECT_INIT(0, fy1 - px, w, h - fy1 + px),
		GRAPHENE_RECT_INIT(0, f->origin.y, f->origin.x + px, f->size.height),
		GRAPHENE_RECT_INIT(fx1 - px, f->origin.y, w - fx1 + px, f->size.height),
	};
	gboolean show[4] = { f->origin.y > 0, fy1 < h, f->origin.x > 0, fx1 < w };

	for (int i = 0; i < 4; i++)
		if (show[i])
			gtk_snapshot_append_color(snap, &black, &bars[i]);
}

/*
 * The same geometry as the GL path (vessel_display_compute_dest, device pixels) given to GSK
 * in logical pixels: black bars, then the tiles (cairo nodes on the cairo renderer, texture
 * nodes on GL).
 */
void vessel_display_texture_snapshot(VesselDisplay *self, GtkSnapshot *snap)
{
	GtkWidget *w = GTK_WIDGET(self);
	int scale = gtk_widget_get_scale_factor(w);
	double lw = gtk_widget_get_width(w), lh = gtk_widget_get_height(w);
	GskRenderer *r = gtk_native_get_renderer(gtk_widget_get_native(w));
	gboolean cairo = r && GSK_IS_CAIRO_RENDERER(r);
	struct vessel_display_dest d;
	graphene_rect_t f;

	self->draw_count++;
	vessel_display_compute_dest(self, (int)lw * scale, (int)lh * scale, &d);
	if (!self->map || !vessel_display_tiles_update(self)) {
		gtk_snapshot_append_color(snap, &(GdkRGBA){ 0, 0, 0, 1 },
					  &GRAPHENE_RECT_INIT(0, 0, lw, lh));
		return;
	}
	d.w = floor(self->width * d.scale + 0.5);	/* as the tiles' edges are rounded */
	d.h = floor(self->height * d.scale + 0.5);
	f = GRAPHENE_RECT_INIT(d.x / scale, d.y / scale, d.w / scale, d.h / scale);
	append_bars(snap, &f, lw, lh, 1.0 / scale);
	if (f.origin.x >= 0 && f.origin.y >= 0 && f.origin.x + f.size.width <= lw &&
	    f.origin.y + f.size.height <= lh) {
		vessel_display_tiles_append(self, snap, &d, scale, cairo);
		return;
	}
	/* 1:1 larger than we are (a scrolled window gives us less for a moment): clip */
	gtk_snapshot_push_clip(snap, &GRAPHENE_RECT_INIT(0, 0, lw, lh));
	vessel_display_tiles_append(self, snap, &d, scale, cairo);
	gtk_snapshot_pop(snap);
}
