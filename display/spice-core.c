// SPDX-License-Identifier: GPL-2.0-or-later
/* spice-server's core interface (timers, fd watches, channel events) on a GMainContext. */
#include <glib.h>
#include <glib-unix.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <spice/enums.h>

#include "spice-private.h"

/*
 * spice-server calls the core interface only from the thread that runs it (spice-server
 * docs/spice_threading_model.txt): here the "spice" thread, whose thread-default context
 * is pushed before spice_server_init(). The callbacks carry no instance pointer, so each
 * timer and watch remembers the context current when it was made, and channel events find
 * their server through a thread-local pointer (one spice thread per server, so two VMs in
 * one process each see their own).
 */

static _Thread_local struct vspice *thread_server;

struct SpiceTimer {
	GMainContext *ctx;
	GSource *src;
	SpiceTimerFunc func;
	void *opaque;
};

struct SpiceWatch {
	GMainContext *ctx;
	GSource *src;
	int fd;
	SpiceWatchFunc func;
	void *opaque;
};

static GMainContext *current_context(void)
{
	GMainContext *ctx = g_main_context_get_thread_default();

	return ctx ? ctx : g_main_context_default();
}

static void drop_source(GSource **src)
{
	if (!*src)
		return;
	g_source_destroy(*src);
	g_source_unref(*src);
	*src = NULL;
}

static gboolean timer_fired(gpointer data)
{
	SpiceTimer *t = data;

	/* One-shot: forget the source first, the callback may start the timer again. */
	g_source_unref(t->src);
	t->src = NULL;
	t->func(t->opaque);
	return G_SOURCE_REMOVE;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
	SpiceTimer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ctx = current_context();
	t->func = func;
	t->opaque = opaque;
	return t;
}

static void timer_cancel(SpiceTimer *t)
{
	drop_source(&t->src);
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
	timer_cancel(t);
	t->src = g_timeout_source_new(ms);
	g_source_set_callback(t->src, timer_fired, t, NULL);
	g_source_attach(t->src, t->ctx);
}

static void timer_remove(SpiceTimer *t)
{
	timer_cancel(t);
	free(t);
}

static gboolean watch_fired(gint fd, GIOCondition cond, gpointer data)
{
	SpiceWatch *w = data;
	int ev = 0;

	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		ev |= SPICE_WATCH_EVENT_READ;
	if (cond & G_IO_OUT)
		ev |= SPICE_WATCH_EVENT_WRITE;
	/* The callback may remove (free) the watch: touch nothing after it. */
	w->func(fd, ev, w->opaque);
	return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *w, int mask)
{
	GIOCondition cond = 0;

	drop_source(&w->src);
	if (mask & SPICE_WATCH_EVENT_READ)
		cond |= G_IO_IN;
	if (mask & SPICE_WATCH_EVENT_WRITE)
		cond |= G_IO_OUT;
	if (!cond)
		return;
	w->src = g_unix_fd_source_new(w->fd, cond);
	g_source_set_callback(w->src, (GSourceFunc)(void (*)(void))watch_fired, w, NULL);
	g_source_attach(w->src, w->ctx);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
	SpiceWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ctx = current_context();
	w->fd = fd;
	w->func = func;
	w->opaque = opaque;
	watch_update_mask(w, mask);
	return w;
}

static void watch_remove(SpiceWatch *w)
{
	drop_source(&w->src);
	free(w);
}

/* "ADDR port PORT" of a client, or "a unix socket"; " (TLS)" after it when it is. */
static void peer_name(const SpiceChannelEventInfo *info, char *buf, size_t len)
{
	const char *tls = (info->flags & SPICE_CHANNEL_EVENT_FLAG_TLS) ? " (TLS)" : "";
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (!(info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT) ||
	    info->paddr_ext.ss_family == AF_UNIX ||
	    getnameinfo((const struct sockaddr *)&info->paddr_ext, info->plen_ext, host,
			sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, len, "a unix socket%s", tls);
		return;
	}
	snprintf(buf, len, "%s port %s%s", host, port, tls);
}

/*
 * A client is its main channel (spice-server runs this on the spice thread: events from
 * the display worker come through its main dispatcher). INITIALIZED means the link and
 * the password check passed; a main channel whose link failed is DISCONNECTED too, so
 * the server counts only connections it saw initialized.
 */
static void channel_event(int event, SpiceChannelEventInfo *info)
{
	struct vspice *s = thread_server;
	char peer[NI_MAXHOST + NI_MAXSERV + 16];

	if (!s || info->type != SPICE_CHANNEL_MAIN)
		return;
	if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
		peer_name(info, peer, sizeof(peer));
		vspice_client_event(s, info->connection_id, peer);
	} else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
		vspice_client_event(s, info->connection_id, NULL);
	}
}

void vspice_core_init(SpiceCoreInterface *core, struct vspice *s)
{
	thread_server = s;
	*core = (SpiceCoreInterface){
		.base = {
			.type = SPICE_INTERFACE_CORE,
			.description = "vessel core (GLib)",
			.major_version = SPICE_INTERFACE_CORE_MAJOR,
			.minor_version = SPICE_INTERFACE_CORE_MINOR,
		},
		.timer_add = timer_add,
		.timer_start = timer_start,
		.timer_cancel = timer_cancel,
		.timer_remove = timer_remove,
		.watch_add = watch_add,
		.watch_update_mask = watch_update_mask,
		.watch_remove = watch_remove,
		.channel_event = channel_event,
	};
}
