/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What both ends of the control API share: names, errors, where a headless VM listens. */
#ifndef VESSEL_CONTROL_COMMON_H
#define VESSEL_CONTROL_COMMON_H

#include <gio/gio.h>

#include "vessel-dbus.h"

#define VESSEL_VM_OBJECT_PATH	"/io/github/vesselvm/Vessel/VM"

/* io.github.vesselvm.Vessel.Error.* (registered with GDBus, so both ends map them). */
typedef enum {
	VESSEL_ERROR_FAILED,
	VESSEL_ERROR_INVALID_STATE,
	VESSEL_ERROR_INVALID_ARGUMENT,
	VESSEL_ERROR_NOT_FOUND,
	VESSEL_ERROR_NOT_SUPPORTED,
	VESSEL_ERROR_NOT_AUTHORIZED,
} VesselError;

#define VESSEL_ERROR (vessel_error_quark())
GQuark vessel_error_quark(void);

/* The error code a command's -errno maps to. */
VesselError vessel_error_from_errno(int err);

/*
 * Where a headless VM with this UUID listens: $XDG_RUNTIME_DIR/vessel/<uuid>.sock. NULL with
 * *error set when XDG_RUNTIME_DIR is unset or the UUID is not one (it becomes a file name).
 */
char *vessel_control_socket_path(const char *uuid, GError **error);

/* Connect to a helper's socket as a D-Bus peer; NULL with *error set. */
GDBusConnection *vessel_control_connect(const char *socket_path, GCancellable *cancellable,
					GError **error);

#endif
