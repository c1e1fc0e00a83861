/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The helper's control service: io.github.vesselvm.Vessel.VM1 on D-Bus, on its own thread. */
#ifndef VESSEL_HELPER_CONTROL_H
#define VESSEL_HELPER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct display_hub;
struct vspice;

struct control_config {
	struct vm *vm;
	struct display_hub *hub;	/* the VM's display (NULL: none) */
	const char *name, *uuid;	/* from the .vessel file; may be NULL */
	const char *file;		/* the .vessel file, absolute; may be NULL */
	int peer_fd;			/* a socketpair end from the launcher, or -1 */
	const char *socket_path;	/* listen here (headless), or NULL; copied */
	uint64_t balloon_min, balloon_max;	/* guest memory bounds; 0: not set */
	bool balloon_auto;			/* start with the automatic policy on */
	struct vspice *spice;		/* the SPICE server, or NULL */
	const char *spice_address;	/* "tcp:HOST:PORT" or "unix:PATH", or NULL */
};

struct control;

/*
 * Start serving (a thread with its own GLib main context). The VM's commands run on vm_run's
 * thread; replies go back from this thread. NULL with a message in err on failure (a socket
 * already served by a running helper, a directory that cannot be made private).
 */
struct control *control_start(const struct control_config *cfg, char *err, size_t errlen);
/* Stop serving and remove the socket; call after vm_run() returned. NULL is fine. */
void control_stop(struct control *c);

#endif
