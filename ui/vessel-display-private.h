/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselDisplay's instance struct, shared by its drawing and input halves. */
#ifndef VESSEL_DISPLAY_PRIVATE_H
#define VESSEL_DISPLAY_PRIVATE_H

#include "vessel-display.h"

#include <epoxy/gl.h>

enum {
	SIGNAL_KEY_EVENT,
	SIGNAL_POINTER_MOTION,
	SIGNAL_POINTER_RELATIVE,
	SIGNAL_POINTER_POSITION,
	SIGNAL_BUTTON,
	SIGNAL_PREFERRED_SIZE,
	N_SIGNALS,
};

/* Where the frame lands in the GL area, in device pixels (origin top left). */
struct vessel_display_dest {
	double x, y, w, h;
	double scale;		/* device pixels per guest pixel */
};

struct _VesselDisplay {
	GtkWidget parent_instance;

	/* template children */
	GtkGLArea *area;
	GtkRevealer *hint;

	/* owned: the framebuffer */
	int fd;
	const uint8_t *map;
	size_t map_size;
	int width, height, stride;
	cairo_region_t *damage;		/* guest pixels not yet uploaded */
	gboolean need_full_upload;	/* new framebuffer or new texture */
	guint tick_id;			/* frame-clock callback that queues the render */

	/* the path: TRUE draws a GdkTexture in our snapshot, FALSE the GtkGLArea */
	gboolean use_texture;

	/* owned, texture path: the reported frame as a grid of tiles, each its own texture */
	struct vessel_display_tile *tiles;
	int tiles_x, tiles_y;		/* grid size; 0 when there are none */
	int tiled_w, tiled_h;		/* the frame size the grid was made for */

	/* owned: GL objects, valid between realize and unrealize */
	GLuint program, vao, vbo, tex;
	int tex_w, tex_h;

	/* input */
	gboolean one_to_one;
	gboolean captured;
	gboolean absolute;
	gboolean have_last;		/* last_x/y valid (relative motion) */
	double last_x, last_y;
	guint abs_x, abs_y;		/* absolute: the last position sent, framebuffer pixels */
	guint abs_buttons;		/* absolute: buttons held, 1 left | 2 middle | 4 right */
	gboolean inhibited;		/* we asked the toplevel to inhibit shortcuts */
	gboolean x11_grabbed;		/* we hold an X keyboard grab */

	/* the size the guest could take to fill us (device pixels), reported after a pause */
	int pref_w, pref_h;
	guint pref_source;

	/* test counters */
	guint64 uploaded_pixels;
	guint draw_count;
	guint nodes_built;		/* texture path: tile render nodes made */
};

extern guint vessel_display_signals[N_SIGNALS];

/* vessel-display.c */
GParamSpec *vessel_display_captured_pspec(void);
void vessel_display_compute_dest(VesselDisplay *self, int dev_w, int dev_h,
				 struct vessel_display_dest *d);

/* vessel-display-texture.c */
gboolean vessel_display_pick_texture(VesselDisplay *self);
void vessel_display_texture_snapshot(VesselDisplay *self, GtkSnapshot *snap);

/* vessel-display-tiles.c */
void vessel_display_texture_drop(VesselDisplay *self);
gboolean vessel_display_tiles_update(VesselDisplay *self);
void vessel_display_tiles_append(VesselDisplay *self, GtkSnapshot *snap,
				 const struct vessel_display_dest *d, int scale, gboolean cairo);

/* vessel-display-input.c */
void vessel_display_input_init(VesselDisplay *self);
void vessel_display_input_class_init(GtkWidgetClass *wc);

#endif
