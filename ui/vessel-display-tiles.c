// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay's texture path storage: the reported frame in tiles, one cached node each.
#include "vessel-display-private.h"

#include <math.h>

/*
 * A tile that changed gets a new render node, the others append the node they had, and GTK's
 * frame diff skips nodes that are the same object: the cairo renderer repaints (and sends to
 * X) only changed tiles, the GL renderer re-uploads only their textures. One node for the
 * whole frame made every small damage cost a full-frame copy, conversion and repaint.
 * 256x16: a tile that changes is repainted whole, and a guest drawing slower than our frame
 * clock changes a band of about 20 rows a paint at 1080p (app-bench), so every tile it
 * crosses is repainted (TILE_H + 20) / 20 times: 4x the frame's pixels with 64-row tiles,
 * 1.8x with 16 (8 rows: 1.4x, for twice the nodes). 16 is also one text row of 9x16 cells, so
 * a blinking cursor repaints one tile row; 1080p is 8x68 = 544 nodes.
 */
#define TILE_W	256
#define TILE_H	16

struct vessel_display_tile {
	int x, y, w, h;			/* guest pixels */
	/*
	 * CAIRO_FORMAT_RGB24 with the unused byte set to 0xff: the same bytes are also a valid
	 * GDK_MEMORY_B8G8R8A8_PREMULTIPLIED (opaque) texture for the GL renderer.
	 */
	cairo_surface_t *surface;
	GskRenderNode *node;		/* NULL: build it on the next draw */
	graphene_rect_t at;		/* where the tile goes (logical pixels) */
	graphene_rect_t bounds;		/* what node covers: at, or at + overlap */
	gboolean node_cairo;		/* node is a cairo node (cairo renderer) */
	gboolean node_nearest;		/* and samples the nearest pixel */
};

void vessel_display_texture_drop(VesselDisplay *self)
{
	int n = self->tiles_x * self->tiles_y;

	for (int i = 0; i < n && self->tiles; i++) {
		g_clear_pointer(&self->tiles[i].node, gsk_render_node_unref);
		g_clear_pointer(&self->tiles[i].surface, cairo_surface_destroy);
	}
	g_clear_pointer(&self->tiles, g_free);
	self->tiles_x = self->tiles_y = 0;
	self->tiled_w = self->tiled_h = 0;
}

static gboolean tiles_alloc(VesselDisplay *self)
{
	int tx = (self->width + TILE_W - 1) / TILE_W, ty = (self->height + TILE_H - 1) / TILE_H;

	vessel_display_texture_drop(self);
	/* at most 64 x 256 tiles (FB_MAX_DIM 16384) */
	self->tiles = g_new0(struct vessel_display_tile, (gsize)tx * ty);
	self->tiles_x = tx;
	self->tiles_y = ty;
	for (int i = 0; i < tx * ty; i++) {
		struct vessel_display_tile *t = &self->tiles[i];

		t->x = i % tx * TILE_W;
		t->y = i / tx * TILE_H;
		t->w = MIN(TILE_W, self->width - t->x);
		t->h = MIN(TILE_H, self->height - t->y);
		t->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, t->w, t->h);
		if (cairo_surface_status(t->surface) ||
		    cairo_image_surface_get_stride(t->surface) != t->w * 4) {
			vessel_display_texture_drop(self);
			return FALSE;
		}
	}
	self->tiled_w = self->width;
	self->tiled_h = self->height;
	return TRUE;
}

/*
 * Copy the part of r (guest pixels, inside the frame) in tile t. cairo_surface_flush first:
 * a cairo node of an earlier frame that GTK still holds keeps the old pixels (cairo copies
 * them out of a surface that is about to change). A texture wrapping t's bytes is never
 * read again once its node is replaced, which happens in the same snapshot.
 */
static void copy_into_tile(VesselDisplay *self, struct vessel_display_tile *t,
			   const cairo_rectangle_int_t *r)
{
	int x0 = MAX(r->x, t->x), x1 = MIN(r->x + r->width, t->x + t->w);
	int y0 = MAX(r->y, t->y), y1 = MIN(r->y + r->height, t->y + t->h);
	uint8_t *data;

	cairo_surface_flush(t->surface);
	data = cairo_image_surface_get_data(t->surface);
	for (int y = y0; y < y1; y++) {
		const uint32_t *src = (const uint32_t *)(self->map + (size_t)y * self->stride) + x0;
		uint32_t *dst = (uint32_t *)(data + (size_t)(y - t->y) * t->w * 4) + (x0 - t->x);

		/* XRGB8888 little-endian is B,G,R,X: cairo's RGB24 and, X = 0xff, GDK's BGRA */
		for (int x = 0; x < x1 - x0; x++)
			dst[x] = src[x] | 0xff000000u;
	}
	cairo_surface_mark_dirty_rectangle(t->surface, x0 - t->x, y0 - t->y, x1 - x0, y1 - y0);
	g_clear_pointer(&t->node, gsk_render_node_unref);
}

static void copy_rect(VesselDisplay *self, const cairo_rectangle_int_t *r)
{
	int tx1 = (r->x + r->width - 1) / TILE_W, ty1 = (r->y + r->height - 1) / TILE_H;

	for (int ty = r->y / TILE_H; ty <= ty1; ty++)
		for (int tx = r->x / TILE_W; tx <= tx1; tx++)
			copy_into_tile(self, &self->tiles[ty * self->tiles_x + tx], r);
	self->uploaded_pixels += (guint64)r->width * r->height;
}

/*
 * Bring the tiles up to date with the damage (all of them for a new frame). Copies, not
 * nodes over the mapped memfd: memory the guest changed without damage stays unseen, as on
 * the GL path.
 */
gboolean vessel_display_tiles_update(VesselDisplay *self)
{
	cairo_rectangle_int_t r;
	int n;

	if (self->need_full_upload || self->tiled_w != self->width ||
	    self->tiled_h != self->height || !self->tiles) {
		if (!tiles_alloc(self))
			return FALSE;
		r = (cairo_rectangle_int_t){ 0, 0, self->width, self->height };
		copy_rect(self, &r);
		self->need_full_upload = FALSE;
	} else {
		n = cairo_region_num_rectangles(self->damage);
		for (int i = 0; i < n; i++) {
			cairo_region_get_rectangle(self->damage, i, &r);
			copy_rect(self, &r);
		}
	}
	cairo_region_subtract(self->damage, self->damage);
	return TRUE;
}

/* GL renderer: a memory texture over the tile's bytes (it keeps the surface alive). */
static GskRenderNode *texture_node(struct vessel_display_tile *t)
{
	size_t size = (size_t)t->w * 4 * t->h;
	g_autoptr(GBytes) bytes = g_bytes_new_with_free_func(
		cairo_image_surface_get_data(t->surface), size,
		(GDestroyNotify)cairo_surface_destroy, cairo_surface_reference(t->surface));
	g_autoptr(GdkTexture) tex = gdk_memory_texture_new(t->w, t->h,
		GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, (gsize)t->w * 4);

	return gsk_texture_node_new(tex, &t->at);
}

/*
 * Cairo renderer: the surface painted straight from a cairo node. A texture node would be
 * converted through floats on every paint (GTK 4.8's gdk_texture_download_surface: ~25 ms
 * per 1080p here) where cairo reads RGB24 as it is. Edges extend (PAD) so filtering at a
 * tile's border does not fade into transparency, and the node covers bounds: one device
 * pixel more to the right and below than the tile (unless it is the last), which the next
 * tile paints over. On screen the edges are whole pixels anyway; a scaled rendering of the
 * window (cairo antialiases edges, GL does not) would otherwise show the background through
 * every seam.
 */
static GskRenderNode *cairo_node(struct vessel_display_tile *t, gboolean nearest)
{
	GskRenderNode *node = gsk_cairo_node_new(&t->bounds);
	cairo_t *cr = gsk_cairo_node_get_draw_context(node);

	cairo_translate(cr, t->at.origin.x, t->at.origin.y);
	cairo_scale(cr, t->at.size.width / t->w, t->at.size.height / t->h);
	cairo_set_source_surface(cr, t->surface, 0, 0);
	cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
	cairo_pattern_set_filter(cairo_get_source(cr),
				 nearest ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_BILINEAR);
	cairo_paint(cr);
	cairo_destroy(cr);
	return node;
}

/* Nearest whole device pixel (floor like the GL path's geometry; round() would need libm). */
static double px_round(double v)
{
	return floor(v + 0.5);
}

/*
 * Append every tile at its place in d (device pixels) as logical pixels. Each tile's edges
 * are rounded to whole device pixels, so neighbours meet without a gap or an antialiased
 * seam at any scale (a tile's content moves by under half a device pixel). Exact multiples
 * (1:1, HiDPI 2x) are sampled nearest on the cairo renderer; GTK 4.8's texture nodes are
 * always linear (gtk_snapshot_append_scaled_texture is 4.10), exact at 1:1 only.
 */
void vessel_display_tiles_append(VesselDisplay *self, GtkSnapshot *snap,
				 const struct vessel_display_dest *d, int scale, gboolean cairo)
{
	gboolean nearest = d->scale == floor(d->scale);

	for (int i = 0; i < self->tiles_x * self->tiles_y; i++) {
		struct vessel_display_tile *t = &self->tiles[i];
		double x0 = d->x + px_round(t->x * d->scale);
		double x1 = d->x + px_round((t->x + t->w) * d->scale);
		double y0 = d->y + px_round(t->y * d->scale);
		double y1 = d->y + px_round((t->y + t->h) * d->scale);
		graphene_rect_t at = GRAPHENE_RECT_INIT(x0 / scale, y0 / scale, (x1 - x0) / scale,
							(y1 - y0) / scale);

		if (x1 <= x0 || y1 <= y0)
			continue;
		if (t->node && (!graphene_rect_equal(&at, &t->at) || t->node_cairo != cairo ||
				(cairo && t->node_nearest != nearest)))
			g_clear_pointer(&t->node, gsk_render_node_unref);
		if (!t->node) {
			t->at = at;
			t->bounds = at;
			if (cairo && t->x + t->w < self->width)
				t->bounds.size.width += 1.0 / scale;
			if (cairo && t->y + t->h < self->height)
				t->bounds.size.height += 1.0 / scale;
			t->node_cairo = cairo;
			t->node_nearest = nearest;
			t->node = cairo ? cairo_node(t, nearest) : texture_node(t);
			self->nodes_built++;
		}
		gtk_snapshot_append_node(snap, t->node);
	}
}
