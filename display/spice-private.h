/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPICE glue's internals, shared by spice.c, spice-core.c, spice-qxl.c, spice-input.c. */
#ifndef VESSEL_SPICE_PRIVATE_H
#define VESSEL_SPICE_PRIVATE_H

#include <glib.h>
#include <pthread.h>
#include <stdint.h>
#include <spice.h>

#include "spice-vm.h"
#include "surface.h"

#define VSPICE_REFRESH_MS	33	/* ~30 Hz */
#define VSPICE_MAX_RECTS	32

#define vspice_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct spice_update;

/* The QXL instance fed from a VGA surface (spice-qxl.c). */
struct vspice_display {
	QXLInstance qxl;
	struct vga *vga;
	struct display_consumer *consumer;	/* our share of the display hub's damage */
	/* Guards the command queue only; never held across a spice_qxl_* call. */
	pthread_mutex_t lock;
	struct spice_update *head, **tail;
	/* Spice thread only. */
	bool have_primary;
	uint64_t generation;
	unsigned width, height;
	uint32_t *primary;		/* the primary surface's memory (the worker draws in it) */
	uint32_t *shadow;		/* width * height: the pixels the worker was given last */
	uint64_t image_id;
	GSource *refresh;
};

struct vspice {
	struct vm *vm;
	struct spice_config cfg;
	SpiceCoreInterface core;
	SpiceServer *server;
	SpiceKbdInstance kbd;
	SpiceMouseInstance mouse;
	SpiceTabletInstance tablet;	/* registered only when vm->tablet is set */
	struct vspice_display display;
	bool kbd_added, mouse_added, tablet_added, qxl_added;
	bool listening;			/* spice_server_init() bound the socket */
	GHashTable *clients;		/* connection ids of linked main channels */
	GSource *recount;		/* pending: refresh on or off for the new count */
	/* Keyboard byte assembly (push_scan_freg gives one byte at a time). */
	bool kbd_e0;
	unsigned kbd_e1_left;		/* bytes of a Pause sequence still to swallow */
	/* Client mouse mode (spice thread): the primary surface's size, the last position. */
	uint32_t tablet_w, tablet_h;
	uint32_t tablet_x, tablet_y;

	GMainContext *ctx;
	GMainLoop *loop;
	pthread_t thread;
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	bool started;
	int start_err;
};

/* spice-core.c: SpiceCoreInterface on the calling thread's default GMainContext. */
void vspice_core_init(SpiceCoreInterface *core, struct vspice *s);

/* spice.c (spice thread): client connection_id linked (peer: who) or gone (peer NULL). */
void vspice_client_event(struct vspice *s, int connection_id, const char *peer);

/* spice-qxl.c (spice thread). */
int vspice_display_add(struct vspice *s);
void vspice_display_remove(struct vspice *s);
void vspice_display_free(struct vspice *s);	/* after spice_server_destroy() */
/* Poll the display hub only while a client watches; on = refresh at once and every tick. */
void vspice_display_set_active(struct vspice *s, bool on);

/* spice-input.c (spice thread). */
int vspice_input_add(struct vspice *s);
void vspice_input_remove(struct vspice *s);

#endif
