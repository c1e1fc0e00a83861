/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselDisplay: a guest framebuffer (shared memfd) drawn with GL or as a texture; input. */
#ifndef VESSEL_DISPLAY_H
#define VESSEL_DISPLAY_H

#include <gtk/gtk.h>
#include <stdint.h>

G_BEGIN_DECLS

#define VESSEL_TYPE_DISPLAY (vessel_display_get_type())
G_DECLARE_FINAL_TYPE(VesselDisplay, vessel_display, VESSEL, DISPLAY, GtkWidget)

/* DRM fourcc 'XR24': 32 bits per pixel, little-endian B, G, R, unused. */
#define VESSEL_FOURCC_XRGB8888	0x34325258u

VesselDisplay *vessel_display_new(void);

/*
 * Show the framebuffer in memfd (dup'ed and mapped read-only; the caller keeps its fd). The
 * memfd must be sealed against shrinking (F_SEAL_SHRINK) or let us add that seal.
 * width x height pixels, stride bytes per row (a multiple of 4, at least width * 4),
 * fourcc VESSEL_FOURCC_XRGB8888. The whole frame is uploaded on the next draw.
 * fd -1 drops the framebuffer. FALSE with *error set if the arguments or the fd are unusable.
 */
gboolean vessel_display_set_framebuffer(VesselDisplay *self, int memfd, int width, int height,
					int stride, uint32_t fourcc, GError **error);

/* The guest changed this rectangle (guest pixels); only it is uploaded on the next draw. */
void vessel_display_invalidate(VesselDisplay *self, int x, int y, int w, int h);

/* TRUE: one guest pixel per device pixel; FALSE (default): fit, aspect ratio kept. */
void vessel_display_set_one_to_one(VesselDisplay *self, gboolean one_to_one);
gboolean vessel_display_get_one_to_one(VesselDisplay *self);

/* Pointer capture (relative motion, hidden cursor, shortcuts inhibited). */
void vessel_display_capture(VesselDisplay *self);
void vessel_display_release(VesselDisplay *self);
gboolean vessel_display_get_captured(VesselDisplay *self);

/*
 * Type a key combination into the guest: codes (evdev) pressed in order, then released in
 * reverse, as key-event emissions. For the "Send keys" menu (keys the host would take).
 */
void vessel_display_send_keys(VesselDisplay *self, const guint *codes, guint n);

/*
 * TRUE: the guest has an absolute device (tablet): clicks never capture, and motion, buttons
 * and wheel also go out as pointer-position (framebuffer pixels, clamped into the frame).
 */
void vessel_display_set_absolute(VesselDisplay *self, gboolean absolute);

/*
 * Widget coordinates (logical pixels) to guest pixels; FALSE if outside the drawn frame.
 * Public so the window and tests share the mapping the pointer uses.
 */
gboolean vessel_display_widget_to_guest(VesselDisplay *self, double wx, double wy, int *gx,
					 int *gy);

/*
 * TRUE once realized on the texture path (software GL or the cairo renderer, or
 * VESSEL_DISPLAY=texture): the frame is a GdkTexture in the widget's snapshot; FALSE: the
 * GtkGLArea. Counters below count both: "uploaded" texels are copied ones on this path.
 */
gboolean vessel_display_uses_texture(VesselDisplay *self);

/*
 * Before the first window: on a software GL (and GSK_RENDERER, VESSEL_DISPLAY unset) choose
 * GSK's cairo renderer for the process (GSK_RENDERER=cairo). vessel_ui_init() calls it.
 */
void vessel_display_choose_renderer(void);

/* TRUE if this GL_RENDERER string names a software rasterizer (or is NULL). */
gboolean vessel_display_gl_renderer_is_software(const char *gl_renderer);

/* Counters for tests: texels uploaded since the framebuffer was set, draws done. */
guint64 vessel_display_get_uploaded_pixels(VesselDisplay *self);
guint vessel_display_get_draw_count(VesselDisplay *self);
/* Texture path: tile render nodes made (a paint rebuilds only the tiles that changed). */
guint vessel_display_get_nodes_built(VesselDisplay *self);

G_END_DECLS

#endif
