// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay's texture path: the frame as a GdkTexture in the widget's own snapshot.
#include "vessel-display-private.h"

#include <string.h>

/*
 * Why a second path (issue 7). Under Mesa's llvmpipe every full-window fragment pass costs
 * milliseconds of JIT'd shader per frame. The GtkGLArea path makes two of them per paint: our
 * textured quad into the GLArea's FBO, then GSK compositing that FBO into the window. Here
 * the frame is a GdkTexture appended to the snapshot, so the GL renderer does one pass and
 * the cairo renderer (GSK_RENDERER=cairo, no GL at all) does a pixman copy.
 *
 * Measured with tests/bench/app-bench.py (1920x1080x32 kit guest, one full-screen change per
 * frame, Xvfb 2560x1600x24, 1:1; medians of 4 frames after a warm-up, all paths and
 * remote-viewer in one run, 2 shared cores so only the ratios mean much):
 *   path                        latency   viewer CPU/frame   Xvfb CPU/frame
 *   gl (GtkGLArea)              see the commit message and the report for the figures
 * The figures are in the comment block vessel_display_pick_texture() keeps below.
 */

/* The GL_RENDERER strings of Mesa's software rasterizers (llvmpipe, softpipe, OpenSWR). */
static gboolean renderer_is_software(const char *r)
{
	return r && (strstr(r, "llvmpipe") || strstr(r, "softpipe") || strstr(r, "SWR"));
}

/* Make a throwaway GL context on the display and read its GL_RENDERER: software? */
static gboolean gl_is_software(GtkWidget *w)
{
	g_autoptr(GdkGLContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	gboolean soft;

	ctx = gdk_display_create_gl_context(gtk_widget_get_display(w), &error);
	if (!ctx || !gdk_gl_context_realize(ctx, &error))
		return TRUE;	/* no GL at all: the GLArea could only show its error */
	gdk_gl_context_make_current(ctx);
	soft = renderer_is_software((const char *)glGetString(GL_RENDERER));
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
	return gl_is_software(GTK_WIDGET(self));
}

void vessel_display_texture_drop(VesselDisplay *self)
{
	g_clear_object(&self->texture);
	g_clear_pointer(&self->shadow_bytes, g_bytes_unref);
	self->shadow = NULL;
	self->shadow_w = self->shadow_h = 0;
}

/* Copy one rectangle from the guest's frame into the shadow, alpha forced opaque. */
static void copy_rect(VesselDisplay *self, const cairo_rectangle_int_t *r)
{
	size_t sstride = (size_t)self->shadow_w * 4;

	for (int y = r->y; y < r->y + r->height; y++) {
		const uint32_t *src = (const uint32_t *)(self->map + (size_t)y * self->stride) +
				      r->x;
		uint32_t *dst = (uint32_t *)(self->shadow + (size_t)y * sstride) + r->x;

		/* XRGB8888 little-endian is B,G,R,X: GDK's B8G8R8A8 once X is 0xff */
		for (int x = 0; x < r->width; x++)
			dst[x] = src[x] | 0xff000000u;
	}
	self->uploaded_pixels += (guint64)r->width * r->height;
}

static gboolean shadow_alloc(VesselDisplay *self)
{
	size_t size = (size_t)self->width * 4 * (size_t)self->height;
	guint8 *p = g_try_malloc(size);

	vessel_display_texture_drop(self);
	if (!p)
		return FALSE;
	self->shadow = p;
	self->shadow_bytes = g_bytes_new_take(p, size);
	self->shadow_w = self->width;
	self->shadow_h = self->height;
	return TRUE;
}

/*
 * Bring the shadow up to date and wrap it in a new texture when something changed. The
 * shadow is written in place although the previous texture wraps it too: GSK reads a memory
 * texture's bytes only while rendering the frame that holds it (synchronously, before our
 * next snapshot), the new texture is a new object so no renderer's cache can be stale, and
 * the old node is only compared by pointer when GTK diffs frames. The copy (not a texture
 * over the mapped memfd) keeps what was reported: memory the guest changed without damage
 * stays unseen, as on the GL path.
 */
static GdkTexture *update_texture(VesselDisplay *self)
{
	cairo_rectangle_int_t r;
	int n;

	if (self->need_full_upload || self->shadow_w != self->width ||
	    self->shadow_h != self->height || !self->shadow) {
		if (!shadow_alloc(self))
			return NULL;
		r = (cairo_rectangle_int_t){ 0, 0, self->width, self->height };
		copy_rect(self, &r);
		self->need_full_upload = FALSE;
	} else if ((n = cairo_region_num_rectangles(self->damage)) > 0) {
		for (int i = 0; i < n; i++) {
			cairo_region_get_rectangle(self->damage, i, &r);
			copy_rect(self, &r);
		}
		g_clear_object(&self->texture);
	}
	cairo_region_subtract(self->damage, self->damage);
	if (!self->texture)
		self->texture = gdk_memory_texture_new(self->width, self->height,
						       GDK_MEMORY_B8G8R8A8_PREMULTIPLIED,
						       self->shadow_bytes,
						       (gsize)self->width * 4);
	return self->texture;
}

/* Black bars around the frame: only where the frame does not cover (no overdraw). */
static void append_bars(GtkSnapshot *snap, const graphene_rect_t *f, double w, double h)
{
	static const GdkRGBA black = { 0, 0, 0, 1 };
	graphene_rect_t bars[4] = {
		GRAPHENE_RECT_INIT(0, 0, w, f->origin.y),
		GRAPHENE_RECT_INIT(0, f->origin.y + f->size.height, w,
				   h - f->origin.y - f->size.height),
		GRAPHENE_RECT_INIT(0, f->origin.y, f->origin.x, f->size.height),
		GRAPHENE_RECT_INIT(f->origin.x + f->size.width, f->origin.y,
				   w - f->origin.x - f->size.width, f->size.height),
	};

	for (int i = 0; i < 4; i++)
		if (bars[i].size.width > 0 && bars[i].size.height > 0)
			gtk_snapshot_append_color(snap, &black, &bars[i]);
}

/*
 * The same geometry as the GL path (vessel_display_compute_dest, device pixels) given to GSK
 * in logical pixels. GTK 4.8 has no gtk_snapshot_append_scaled_texture (4.10): textures are
 * filtered linearly, which is exact at 1:1 on whole device pixels and soft at other scales.
 */
void vessel_display_texture_snapshot(VesselDisplay *self, GtkSnapshot *snap)
{
	GtkWidget *w = GTK_WIDGET(self);
	int scale = gtk_widget_get_scale_factor(w);
	double lw = gtk_widget_get_width(w), lh = gtk_widget_get_height(w);
	struct vessel_display_dest d;
	graphene_rect_t f;
	GdkTexture *tex;

	self->draw_count++;
	vessel_display_compute_dest(self, (int)lw * scale, (int)lh * scale, &d);
	tex = self->map ? update_texture(self) : NULL;
	if (!tex) {
		gtk_snapshot_append_color(snap, &(GdkRGBA){ 0, 0, 0, 1 },
					  &GRAPHENE_RECT_INIT(0, 0, lw, lh));
		return;
	}
	f = GRAPHENE_RECT_INIT(d.x / scale, d.y / scale, d.w / scale, d.h / scale);
	append_bars(snap, &f, lw, lh);
	if (f.origin.x >= 0 && f.origin.y >= 0 && f.origin.x + f.size.width <= lw &&
	    f.origin.y + f.size.height <= lh) {
		gtk_snapshot_append_texture(snap, tex, &f);
		return;
	}
	/* 1:1 larger than we are (a scrolled window gives us less for a moment): clip */
	gtk_snapshot_push_clip(snap, &GRAPHENE_RECT_INIT(0, 0, lw, lh));
	gtk_snapshot_append_texture(snap, tex, &f);
	gtk_snapshot_pop(snap);
}
