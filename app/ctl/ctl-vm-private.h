/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by vesselctl's VM commands: finding a VM and talking to its helper. */
#ifndef VESSEL_CTL_VM_PRIVATE_H
#define VESSEL_CTL_VM_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>
#include <gio/gio.h>

#include "control-common.h"
#include "vessel-file.h"

struct ctl_vm_status {
	char *state;		/* "stopped", or the helper's State property */
	unsigned pid;
};

/* What a VM's helper says about it; "stopped" when nothing answers on its socket. */
void ctl_vm_query(const struct vessel_file *vf, struct ctl_vm_status *st);
void ctl_vm_status_clear(struct ctl_vm_status *st);

struct ctl_vm {
	struct vessel_file *vf;
	char *socket;
	GDBusConnection *conn;
	VesselVM1 *proxy;
};

/*
 * Resolve `what` (a .vessel file, a VM folder or a name in the library), load it and, with
 * connect, reach its running helper. Returns 0 or the exit status to end with (a message
 * already printed to err, prefixed with "vesselctl CMD: ").
 */
int ctl_vm_open(const char *cmd, const char *what, bool connect, struct ctl_vm *vm, FILE *err);
void ctl_vm_close(struct ctl_vm *vm);

/* A D-Bus error's message without the remote error name. */
const char *ctl_error_message(GError *error);

bool ctl_parse(GOptionContext *ctx, int *argc, char ***argv, FILE *err);

/* Start the VM's helper in the background (restore: a snapshot folder to load, or NULL). */
int ctl_run_headless(struct ctl_vm *vm, const char *restore, FILE *out, FILE *err);
/* Wait up to timeout seconds for a connected helper to go; true if it did. */
bool ctl_wait_closed(struct ctl_vm *vm, int timeout);

#endif
