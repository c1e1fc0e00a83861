/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the helper's control service: shared by its method and transport halves. */
#ifndef VESSEL_HELPER_CONTROL_PRIVATE_H
#define VESSEL_HELPER_CONTROL_PRIVATE_H

#include <stdbool.h>
#include <gio/gio.h>

#include "command.h"
#include "control.h"
#include "vessel-dbus.h"

struct control {
	struct control_config cfg;
	struct vm *vm;
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	VesselVM1 *skel;
	struct control_display *display;	/* Display1; NULL without a display */
	struct virtio_balloon *balloon;		/* NULL without one */
	GSource *policy;			/* the automatic balloon policy's timer */
	GSource *props_timer;			/* mirrors target/actual in properties */
	uint64_t policy_updates;		/* stats buffers seen at its last step */
	GDBusServer *server;
	GDBusAuthObserver *observer;
	GDBusConnection *peer;		/* the launcher's socketpair, if any */
	GPtrArray *clients;		/* connections accepted on the socket */
	char *guid;
	char *socket_path;		/* our copies of cfg's strings the caller may free */
	char *spice_address;
	GDBusNodeInfo *hello_info;	/* org.freedesktop.DBus.Hello for bus-minded tools */
	char hello_name[32];
	bool socket_bound;		/* we created socket_path: remove it on stop */

	GMutex start_lock;
	GCond start_cond;
	bool started, start_ok;
	GError *start_error;
};

/* One D-Bus call in flight as a VM command. */
struct control_call {
	struct control *control;
	GDBusMethodInvocation *invocation;
	struct vm_command cmd;
	GVariant *reply;		/* floating; the out arguments, or NULL for none */
	uint64_t u64;			/* a method's one number argument */
	void *job;			/* a longer command's own state, freed by job_free */
	void (*job_free)(void *job);
};

/* control-transport.c, on the control thread. */
bool control_setup(struct control *c, GError **error);
void control_teardown(struct control *c);
/* control-display.c, on the control thread. NULL when the VM has no display. */
struct control_display *control_display_new(struct control *c);
GDBusInterfaceSkeleton *control_display_skeleton(struct control_display *d);
void control_display_free(struct control_display *d);
/* control-balloon.c, on the control thread. */
void control_balloon_setup(struct control *c);
void control_balloon_teardown(struct control *c);
/* control-snapshot.c */
void control_snapshot_setup(struct control *c);
/* control.c */
void control_connect_methods(struct control *c);
void control_submit(struct control *c, GDBusMethodInvocation *invocation,
		    enum vm_command_kind kind, int (*body)(struct vm *, struct vm_command *));
/* A VM_CMD_CALL whose body reads call->job (freed with job_free after the reply). */
void control_submit_job(struct control *c, GDBusMethodInvocation *invocation,
			int (*body)(struct vm *, struct vm_command *), void *job,
			void (*job_free)(void *job));
/* A VM_CMD_CALL whose body reads call->u64. */
void control_submit_u64(struct control *c, GDBusMethodInvocation *invocation,
			int (*body)(struct vm *, struct vm_command *), uint64_t value);

#endif
