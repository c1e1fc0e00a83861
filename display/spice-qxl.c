// SPDX-License-Identifier: GPL-2.0-or-later
/* A QXL display instance fed from the VGA surface: one QXL_DRAW_COPY per damage rectangle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display-hub.h"
#include "spice-private.h"
#include "vga-vm.h"

/*
 * The "plain framebuffer" use of QXLInterface 3.3 (spice-server's spice-qxl.h): one host
 * memslot covering the whole address space with delta 0, so QXL addresses are host
 * pointers; a primary surface in memory of our own, which the worker draws into; and
 * for every damage rectangle a drawable carrying its own copy of the pixels. get_command,
 * req_cmd_notification and release_resource run on spice-server's worker thread; the
 * refresh and every synchronous spice_qxl_* call run on the spice thread, never with
 * the queue lock held.
 */

struct spice_update {
	QXLCommandExt ext;
	QXLDrawable drawable;
	QXLImage image;
	struct spice_update *next;
	uint32_t pixels[];		/* w * h, top-down */
};

static struct vspice_display *to_display(QXLInstance *qin)
{
	return vspice_container_of(qin, struct vspice_display, qxl);
}

static void attached_worker(QXLInstance *qin)
{
}

static void set_compression_level(QXLInstance *qin, int level)
{
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 2;
	info->num_memslots = 8;
	info->memslot_gen_bits = 8;
	info->memslot_id_bits = 8;
	info->qxl_ram_size = 16u << 20;
	info->internal_groupslot_id = 0;
	info->n_surfaces = 1;
}

static int get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	struct vspice_display *d = to_display(qin);
	struct spice_update *u;

	pthread_mutex_lock(&d->lock);
	u = d->head;
	if (u) {
		d->head = u->next;
		if (!d->head)
			d->tail = &d->head;
	}
	pthread_mutex_unlock(&d->lock);
	if (!u)
		return 0;
	*cmd = u->ext;
	return 1;
}

/* "Returns false when commands are already available" (spice-qxl.h). */
static int req_cmd_notification(QXLInstance *qin)
{
	struct vspice_display *d = to_display(qin);
	int empty;

	pthread_mutex_lock(&d->lock);
	empty = !d->head;
	pthread_mutex_unlock(&d->lock);
	return empty;
}

static void release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info)
{
	free((void *)(uintptr_t)info.info->id);
}

static int get_cursor_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
	return 0;
}

static int req_cursor_notification(QXLInstance *qin)
{
	return 1;
}

static void notify_update(QXLInstance *qin, uint32_t update_id)
{
}

static int flush_resources(QXLInstance *qin)
{
	return 0;
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
}

static void update_area_complete(QXLInstance *qin, uint32_t surface_id, struct QXLRect *rects,
				 uint32_t nrects)
{
}

static void set_client_capabilities(QXLInstance *qin, uint8_t present, uint8_t *caps)
{
}

static int client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
	return 0;	/* one fixed head: the guest picks its mode */
}

static const QXLInterface vspice_qxl_interface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "vessel VGA",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = attached_worker,
	.set_compression_level = set_compression_level,
	.get_init_info = get_init_info,
	.get_command = get_command,
	.req_cmd_notification = req_cmd_notification,
	.release_resource = release_resource,
	.get_cursor_command = get_cursor_command,
	.req_cursor_notification = req_cursor_notification,
	.notify_update = notify_update,
	.flush_resources = flush_resources,
	.async_complete = async_complete,
	.update_area_complete = update_area_complete,
	.set_client_capabilities = set_client_capabilities,
	.client_monitors_config = client_monitors_config,
};

/* A copy of rect r of surface s as a QXL_DRAW_COPY command (spice qxl_dev.h). */
static struct spice_update *make_update(struct vspice_display *d, const struct surface *s,
					const struct display_rect *r)
{
	struct spice_update *u;
	QXLDrawable *dr;
	QXLImage *img;

	u = calloc(1, sizeof(*u) + (size_t)r->w * r->h * 4);
	if (!u)
		return NULL;
	for (unsigned y = 0; y < r->h; y++)
		memcpy(u->pixels + (size_t)y * r->w,
		       (const uint8_t *)s->pixels + (size_t)(r->y + y) * s->stride + r->x * 4u,
		       r->w * 4u);
	img = &u->image;
	img->descriptor.id = ++d->image_id;
	img->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	img->descriptor.width = r->w;
	img->descriptor.height = r->h;
	img->bitmap.format = SPICE_BITMAP_FMT_32BIT;
	img->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
	img->bitmap.x = r->w;
	img->bitmap.y = r->h;
	img->bitmap.stride = r->w * 4;
	img->bitmap.data = (uintptr_t)u->pixels;

	dr = &u->drawable;
	dr->release_info.id = (uintptr_t)u;
	dr->surface_id = 0;
	dr->effect = QXL_EFFECT_OPAQUE;
	dr->type = QXL_DRAW_COPY;
	dr->bbox = (QXLRect){ .top = r->y, .left = r->x, .bottom = r->y + r->h,
			      .right = r->x + r->w };
	dr->clip.type = SPICE_CLIP_TYPE_NONE;
	for (int i = 0; i < 3; i++)
		dr->surfaces_dest[i] = -1;
	dr->u.copy.src_bitmap = (uintptr_t)img;
	dr->u.copy.src_area = (QXLRect){ .bottom = r->h, .right = r->w };
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;

	u->ext.cmd.type = QXL_CMD_DRAW;
	u->ext.cmd.data = (uintptr_t)dr;
	u->ext.group_id = 0;
	return u;
}

static void enqueue(struct vspice_display *d, struct spice_update *u)
{
	pthread_mutex_lock(&d->lock);
	*d->tail = u;
	d->tail = &u->next;
	pthread_mutex_unlock(&d->lock);
}

/* Free what the worker has not fetched yet (it is about to lose its surface). */
static void drop_queue(struct vspice_display *d)
{
	struct spice_update *u, *next;

	pthread_mutex_lock(&d->lock);
	u = d->head;
	d->head = NULL;
	d->tail = &d->head;
	pthread_mutex_unlock(&d->lock);
	for (; u; u = next) {
		next = u->next;
		free(u);
	}
}

static void destroy_primary(struct vspice_display *d)
{
	drop_queue(d);
	if (d->have_primary)
		spice_qxl_destroy_primary_surface(&d->qxl, 0);	/* synchronous */
	d->have_primary = false;
	free(d->primary);
	d->primary = NULL;
	free(d->shadow);
	d->shadow = NULL;
}

/* (Re)create primary surface 0 at s's size; 0 or -ENOMEM. */
static int create_primary(struct vspice_display *d, const struct surface *s)
{
	QXLDevSurfaceCreate c = { 0 };

	destroy_primary(d);
	d->primary = calloc((size_t)s->width * s->height, 4);
	d->shadow = calloc((size_t)s->width * s->height, 4);
	if (!d->primary || !d->shadow)
		return -ENOMEM;
	c.width = s->width;
	c.height = s->height;
	c.stride = -(int32_t)(s->width * 4);	/* bottom-up, as spice-server expects */
	c.format = SPICE_SURFACE_FMT_32_xRGB;
	c.mouse_mode = SPICE_MOUSE_MODE_SERVER;
	c.mem = (uintptr_t)d->primary;
	c.group_id = 0;
	spice_qxl_create_primary_surface(&d->qxl, 0, &c);	/* synchronous */
	d->have_primary = true;
	d->width = s->width;
	d->height = s->height;
	return 0;
}

/* Clip r to the surface; false when nothing is left. */
static bool clip_rect(struct display_rect *r, const struct surface *s)
{
	if (r->x >= s->width || r->y >= s->height || !r->w || !r->h)
		return false;
	if (r->w > s->width - r->x)
		r->w = s->width - r->x;
	if (r->h > s->height - r->y)
		r->h = s->height - r->y;
	return true;
}

static const uint32_t *surface_row(const struct surface *s, unsigned y)
{
	return (const uint32_t *)((const uint8_t *)s->pixels + (size_t)y * s->stride);
}

static void save_shadow(struct vspice_display *d, const struct surface *s,
			const struct display_rect *r)
{
	for (unsigned y = r->y; y < r->y + r->h; y++)
		memcpy(d->shadow + (size_t)y * d->width + r->x, surface_row(s, y) + r->x,
		       r->w * 4u);
}

/* Under the hub's lock: new primary surface when the size changed, then the damage. */
static unsigned refresh_locked(struct vspice_display *d, const struct surface *s,
			       struct display_rect *rects, unsigned n, uint64_t gen)
{
	struct spice_update *u;
	unsigned queued = 0;
	bool full = false;

	if (!d->have_primary || gen != d->generation || s->width != d->width ||
	    s->height != d->height) {
		d->generation = gen;
		if (create_primary(d, s))
			return 0;
		rects[0] = (struct display_rect){ 0, 0, s->width, s->height };
		n = 1;
		full = true;
	}
	for (unsigned i = 0; i < n; i++) {
		struct display_rect part[DISPLAY_TRIM_MAX];
		unsigned k = 1;

		if (!clip_rect(&rects[i], s))
			continue;
		/* only what differs from the shadow: each change is encoded once */
		if (full)
			part[0] = rects[i];
		else
			k = display_rect_trim(s, d->shadow, (size_t)d->width * 4, &rects[i], part);
		for (unsigned j = 0; j < k; j++) {
			u = make_update(d, s, &part[j]);
			if (!u)
				return queued;
			save_shadow(d, s, &part[j]);
			enqueue(d, u);
			queued++;
		}
	}
	return queued;
}

static void refresh(struct vspice_display *d)
{
	struct display_rect rects[VSPICE_MAX_RECTS];
	const struct surface *s;
	unsigned n, queued = 0;
	uint64_t gen;

	s = display_consumer_begin(d->consumer, rects, VSPICE_MAX_RECTS, &n, &gen);
	if (s)
		queued = refresh_locked(d, s, rects, n, gen);
	display_consumer_end(d->consumer);
	if (queued)
		spice_qxl_wakeup(&d->qxl);
}

static gboolean refresh_tick(gpointer data)
{
	refresh(data);
	return G_SOURCE_CONTINUE;
}

static void stop_refresh(struct vspice_display *d)
{
	if (!d->refresh)
		return;
	g_source_destroy(d->refresh);
	g_source_unref(d->refresh);
	d->refresh = NULL;
}

/*
 * With nobody watching, the hub is not polled at all (rendering and copying cost CPU for
 * an idle VM); the hub keeps collecting our damage meanwhile, so the first refresh after
 * a client arrives brings the primary surface up to date before its display channel asks.
 */
void vspice_display_set_active(struct vspice *s, bool on)
{
	struct vspice_display *d = &s->display;

	if (!d->vga || on == !!d->refresh)
		return;
	fprintf(stderr, "vessel-helper: spice: display refresh %s\n",
		on ? "running (a client is connected)" : "paused (no client)");
	if (!on) {
		stop_refresh(d);
		return;
	}
	refresh(d);
	d->refresh = g_timeout_source_new(VSPICE_REFRESH_MS);
	g_source_set_callback(d->refresh, refresh_tick, d, NULL);
	g_source_attach(d->refresh, g_main_context_get_thread_default());
}

int vspice_display_add(struct vspice *s)
{
	struct vspice_display *d = &s->display;
	QXLDevMemSlot slot = { 0 };

	d->vga = vga_from_vm(s->vm);
	if (!d->vga || !s->cfg.hub) {
		d->vga = NULL;
		return 0;		/* --vga none: inputs only */
	}
	d->consumer = display_hub_attach(s->cfg.hub);
	if (!d->consumer)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->tail = &d->head;
	d->qxl.base.sif = &vspice_qxl_interface.base;
	d->qxl.id = 0;
	if (spice_server_add_interface(s->server, &d->qxl.base))
		return -EIO;
	s->qxl_added = true;
	/* Group 0, slot 0: all of the address space, delta 0 (host pointers). */
	slot.virt_start = 0;
	slot.virt_end = ~(uintptr_t)0;
	spice_qxl_add_memslot(&d->qxl, &slot);
	refresh(d);		/* the primary surface; more once a client connects */
	return 0;
}

void vspice_display_remove(struct vspice *s)
{
	struct vspice_display *d = &s->display;

	stop_refresh(d);
	display_hub_detach(d->consumer);
	d->consumer = NULL;
}

/* After spice_server_destroy(): the worker is gone, free what it never fetched. */
void vspice_display_free(struct vspice *s)
{
	struct vspice_display *d = &s->display;

	if (!d->vga)
		return;
	drop_queue(d);
	free(d->primary);
	d->primary = NULL;
	free(d->shadow);
	d->shadow = NULL;
	pthread_mutex_destroy(&d->lock);
}
