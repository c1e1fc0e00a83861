// SPDX-License-Identifier: GPL-2.0-or-later
/* Display1: the screen as a shared memfd plus damage signals, and keyboard/mouse input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include "control-common.h"
#include "control-private.h"
#include "display-hub.h"
#include "evdev-keymap.h"
#include "i8042.h"
#include "ps2.h"
#include "vga-vm.h"
#include "virtio/virtio-input.h"
#include "vm.h"

#define DISPLAY_REFRESH_MS	16
#define DISPLAY_MAX_RECTS	32
#define FOURCC_XRGB8888		0x34325258u	/* 'XR24' (drm_fourcc.h DRM_FORMAT_XRGB8888) */

struct control_display {
	struct control *c;
	VesselDisplay1 *skel;
	struct display_consumer *consumer;
	GSource *tick;
	int memfd;			/* -1 until the first GetFramebuffer */
	uint8_t *map;
	size_t map_len;
	unsigned width, height, stride;
	uint64_t generation;
};

/* A new memfd for a w x h screen; the old one stays with clients that mapped it. */
static int realloc_framebuffer(struct control_display *d, const struct surface *s)
{
	size_t len = (size_t)s->stride * s->height;
	int fd = memfd_create("vessel-framebuffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *map;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		close(fd);
		return -errno;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	if (d->map)
		munmap(d->map, d->map_len);
	if (d->memfd >= 0)
		close(d->memfd);
	d->memfd = fd;
	d->map = map;
	d->map_len = len;
	d->width = s->width;
	d->height = s->height;
	d->stride = s->stride;
	return 0;
}

static void copy_rect(struct control_display *d, const struct surface *s,
		      const struct display_rect *r)
{
	for (unsigned y = r->y; y < r->y + r->h && y < d->height; y++)
		memcpy(d->map + (size_t)y * d->stride + (size_t)r->x * 4,
		       (const uint8_t *)s->pixels + (size_t)y * s->stride + (size_t)r->x * 4,
		       (size_t)r->w * 4);
}

/* Add r to the n rectangles to announce; when they are full the last grows to cover it. */
static unsigned announce(struct display_rect *out, unsigned n, struct display_rect r)
{
	struct display_rect *l = &out[DISPLAY_MAX_RECTS - 1];
	unsigned x1, y1;

	if (n < DISPLAY_MAX_RECTS) {
		out[n] = r;
		return n + 1;
	}
	x1 = l->x + l->w > r.x + r.w ? l->x + l->w : r.x + r.w;
	y1 = l->y + l->h > r.y + r.h ? l->y + l->h : r.y + r.h;
	l->x = l->x < r.x ? l->x : r.x;
	l->y = l->y < r.y ? l->y : r.y;
	l->w = x1 - l->x;
	l->h = y1 - l->y;
	return n;
}

/*
 * Under the hub's lock: bring the memfd up to date; how many rectangles to announce (in out,
 * each changed pixel in one of them, once), or -1 = resized.
 */
static int refresh_locked(struct control_display *d, const struct surface *s,
			  struct display_rect *rects, unsigned n, uint64_t gen,
			  struct display_rect *out)
{
	unsigned k = 0;

	if (!d->map || gen != d->generation || s->width != d->width || s->height != d->height) {
		d->generation = gen;
		if (realloc_framebuffer(d, s))
			return 0;
		copy_rect(d, s, &(struct display_rect){ 0, 0, s->width, s->height });
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct display_rect *r = &rects[i], part[DISPLAY_TRIM_MAX];
		unsigned parts;

		if (r->x >= s->width || r->y >= s->height || !r->w || !r->h)
			continue;
		r->w = r->w > s->width - r->x ? s->width - r->x : r->w;
		r->h = r->h > s->height - r->y ? s->height - r->y : r->h;
		/*
		 * The memfd is what the client was last told about: announce only what differs
		 * from it, so a tile band the guest changes over several ticks (or a rectangle
		 * overlapping one already copied this tick) is not announced again.
		 */
		parts = display_rect_trim(s, d->map, d->stride, r, part);
		for (unsigned j = 0; j < parts; j++) {
			copy_rect(d, s, &part[j]);
			k = announce(out, k, part[j]);
		}
	}
	return (int)k;
}

static void refresh(struct control_display *d)
{
	struct display_rect rects[DISPLAY_MAX_RECTS], out[DISPLAY_MAX_RECTS];
	const struct surface *s;
	GVariantBuilder b;
	uint64_t gen;
	unsigned n;
	int k = 0;

	s = display_consumer_begin(d->consumer, rects, DISPLAY_MAX_RECTS, &n, &gen);
	if (s)
		k = refresh_locked(d, s, rects, n, gen, out);
	display_consumer_end(d->consumer);
	if (k < 0) {
		vessel_display1_set_width(d->skel, d->width);
		vessel_display1_set_height(d->skel, d->height);
		vessel_display1_emit_resized(d->skel, d->width, d->height);
		return;
	}
	if (!k)
		return;
	g_variant_builder_init(&b, G_VARIANT_TYPE("a(uuuu)"));
	for (int i = 0; i < k; i++)
		g_variant_builder_add(&b, "(uuuu)", out[i].x, out[i].y, out[i].w, out[i].h);
	vessel_display1_emit_damage(d->skel, g_variant_builder_end(&b));
}

static gboolean tick(gpointer data)
{
	refresh(data);
	return G_SOURCE_CONTINUE;
}

/* Start sharing on the first request: attach to the hub and refresh every 16 ms. */
static int start_sharing(struct control_display *d)
{
	if (d->consumer)
		return 0;
	d->consumer = display_hub_attach(d->c->cfg.hub);
	if (!d->consumer)
		return -ENOMEM;
	d->tick = g_timeout_source_new(DISPLAY_REFRESH_MS);
	g_source_set_callback(d->tick, tick, d, NULL);
	g_source_attach(d->tick, d->c->ctx);
	return 0;
}

/* A read-only descriptor of the memfd: clients map it, they never write the screen. */
static int readonly_fd(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static gboolean on_get_framebuffer(VesselDisplay1 *skel, GDBusMethodInvocation *inv,
				   GUnixFDList *in_fds, gpointer data)
{
	struct control_display *d = data;
	g_autoptr(GUnixFDList) fds = NULL;
	GError *error = NULL;
	int ret = start_sharing(d), fd, idx;

	if (!ret)
		refresh(d);
	if (ret || !d->map) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			"The screen cannot be shared: %s.", ret ? strerror(-ret) :
			"the display has no picture yet");
		return TRUE;
	}
	fd = readonly_fd(d->memfd);
	fds = g_unix_fd_list_new();
	idx = fd < 0 ? -1 : g_unix_fd_list_append(fds, fd, &error);
	if (fd >= 0)
		close(fd);
	if (idx < 0) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			"The screen cannot be shared: %s.", error ? error->message : strerror(errno));
		g_clear_error(&error);
		return TRUE;
	}
	vessel_display1_complete_get_framebuffer(skel, inv, fds, g_variant_new_handle(idx),
						 d->width, d->height, d->stride, FOURCC_XRGB8888);
	return TRUE;
}

static gboolean on_key(VesselDisplay1 *skel, GDBusMethodInvocation *inv, guint code,
		       gboolean pressed, gpointer data)
{
	struct control_display *d = data;
	uint32_t key = evdev_to_ps2_key(code);

	if (!key) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			VESSEL_ERROR_INVALID_ARGUMENT, "Key code %u is not a key of a PC keyboard "
			"(give a Linux evdev code, e.g. 30 for A).", code);
		return TRUE;
	}
	if (d->c->vm->i8042)	/* a full queue or scanning off drops it, as a real keyboard */
		ps2_kbd_key(i8042_kbd(d->c->vm->i8042), key, pressed);
	vessel_display1_complete_keyboard_key(skel, inv);
	return TRUE;
}

static gboolean on_pointer(VesselDisplay1 *skel, GDBusMethodInvocation *inv, gint dx, gint dy,
			   gint dz, guint buttons, gpointer data)
{
	struct control_display *d = data;
	/* Ours: left 1, middle 2, right 4; PS/2: left 1, right 2, middle 4. */
	unsigned ps2 = (buttons & 1 ? PS2_MOUSE_LEFT : 0) | (buttons & 2 ? PS2_MOUSE_MIDDLE : 0) |
		       (buttons & 4 ? PS2_MOUSE_RIGHT : 0);

	if (buttons > 7 || dx < -65536 || dx > 65536 || dy < -65536 || dy > 65536 ||
	    dz < -256 || dz > 256) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			VESSEL_ERROR_INVALID_ARGUMENT, "Pointer motion out of range (|dx|, |dy| "
			"up to 65536, |dz| up to 256, buttons 0-7).");
		return TRUE;
	}
	if (d->c->vm->i8042)
		ps2_mouse_move(i8042_mouse(d->c->vm->i8042), dx, dy, dz, ps2);
	vessel_display1_complete_pointer_motion(skel, inv);
	return TRUE;
}

/*
 * The tablet: (x, y) in pixels of the current mode, which the tablet scales to its 0..32767
 * range. The size comes from the shared framebuffer, so sharing starts here if no client
 * asked for the picture yet. A guest with no driver loaded yet drops the report, as a real
 * tablet's host controller would: that is not an error for the caller.
 */
static gboolean on_position(VesselDisplay1 *skel, GDBusMethodInvocation *inv, guint x, guint y,
			    gint dz, guint buttons, gpointer data)
{
	struct control_display *d = data;
	struct virtio_input *tablet = d->c->vm->tablet;
	int ret;

	if (!tablet) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			VESSEL_ERROR_NOT_SUPPORTED, "This VM has no tablet; add one with "
			"[input] tablet=true in its .vessel file (or --tablet), or use "
			"PointerMotion.");
		return TRUE;
	}
	if (buttons > 7 || dz < -256 || dz > 256) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			VESSEL_ERROR_INVALID_ARGUMENT, "Pointer position out of range (|dz| up "
			"to 256, buttons 0-7).");
		return TRUE;
	}
	if (!d->map && !start_sharing(d))
		refresh(d);
	if (!d->width || !d->height) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			"The display has no picture yet, so a position on it means nothing.");
		return TRUE;
	}
	ret = virtio_input_tablet_event(tablet, x, y, d->width, d->height, buttons, dz);
	if (ret && ret != -EAGAIN) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			"The tablet refused the position: %s.", strerror(-ret));
		return TRUE;
	}
	vessel_display1_complete_pointer_position(skel, inv);
	return TRUE;
}

static gboolean on_preferred(VesselDisplay1 *skel, GDBusMethodInvocation *inv, guint w, guint h,
			     gpointer data)
{
	struct control_display *d = data;
	struct vga *vga = vga_from_vm(d->c->vm);

	if (!vga || vga_set_preferred_size(vga, w, h)) {
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			VESSEL_ERROR_INVALID_ARGUMENT, "%ux%u cannot be offered as the preferred "
			"mode (320x200 up to the display's largest VBE mode).", w, h);
		return TRUE;
	}
	vessel_display1_complete_set_preferred_size(skel, inv);
	return TRUE;
}

struct control_display *control_display_new(struct control *c)
{
	struct control_display *d;

	if (!c->cfg.hub)
		return NULL;	/* no display: VM1 only */
	d = g_new0(struct control_display, 1);
	d->c = c;
	d->memfd = -1;
	d->skel = vessel_display1_skeleton_new();
	g_signal_connect(d->skel, "handle-get-framebuffer", G_CALLBACK(on_get_framebuffer), d);
	g_signal_connect(d->skel, "handle-keyboard-key", G_CALLBACK(on_key), d);
	g_signal_connect(d->skel, "handle-pointer-motion", G_CALLBACK(on_pointer), d);
	g_signal_connect(d->skel, "handle-set-preferred-size", G_CALLBACK(on_preferred), d);
	g_signal_connect(d->skel, "handle-pointer-position", G_CALLBACK(on_position), d);
	vessel_display1_set_has_tablet(d->skel, c->vm->tablet != NULL);
	return d;
}

GDBusInterfaceSkeleton *control_display_skeleton(struct control_display *d)
{
	return d ? G_DBUS_INTERFACE_SKELETON(d->skel) : NULL;
}

void control_display_free(struct control_display *d)
{
	if (!d)
		return;
	if (d->tick) {
		g_source_destroy(d->tick);
		g_source_unref(d->tick);
	}
	display_hub_detach(d->consumer);
	if (g_dbus_interface_skeleton_get_connection(G_DBUS_INTERFACE_SKELETON(d->skel)))
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(d->skel));
	g_object_unref(d->skel);
	if (d->map)
		munmap(d->map, d->map_len);
	if (d->memfd >= 0)
		close(d->memfd);
	g_free(d);
}
