// SPDX-License-Identifier: GPL-2.0-or-later
/* The control API's shared pieces: the error domain, socket paths, connecting as a peer. */
#include "control-common.h"

#include <errno.h>
#include <string.h>

static const GDBusErrorEntry vessel_error_entries[] = {
	{ VESSEL_ERROR_FAILED, "io.github.vesselvm.Vessel.Error.Failed" },
	{ VESSEL_ERROR_INVALID_STATE, "io.github.vesselvm.Vessel.Error.InvalidState" },
	{ VESSEL_ERROR_INVALID_ARGUMENT, "io.github.vesselvm.Vessel.Error.InvalidArgument" },
	{ VESSEL_ERROR_NOT_FOUND, "io.github.vesselvm.Vessel.Error.NotFound" },
	{ VESSEL_ERROR_NOT_SUPPORTED, "io.github.vesselvm.Vessel.Error.NotSupported" },
	{ VESSEL_ERROR_NOT_AUTHORIZED, "io.github.vesselvm.Vessel.Error.NotAuthorized" },
};

GQuark vessel_error_quark(void)
{
	static gsize quark;

	g_dbus_error_register_error_domain("vessel-error-quark", &quark, vessel_error_entries,
					   G_N_ELEMENTS(vessel_error_entries));
	return (GQuark)quark;
}

VesselError vessel_error_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case EALREADY:
	case EBUSY:
	case ESHUTDOWN:
		return VESSEL_ERROR_INVALID_STATE;
	case EINVAL:
	case ERANGE:
		return VESSEL_ERROR_INVALID_ARGUMENT;
	case ENOENT:
		return VESSEL_ERROR_NOT_FOUND;
	case EPERM:
	case EACCES:
		return VESSEL_ERROR_NOT_AUTHORIZED;
	case ENODEV:
	case ENOTSUP:
		return VESSEL_ERROR_NOT_SUPPORTED;
	default:
		return VESSEL_ERROR_FAILED;
	}
}

/* A UUID in its canonical text form: hex digits and dashes only, 36 characters. */
static gboolean uuid_is_safe(const char *uuid)
{
	if (!uuid || strlen(uuid) != 36)
		return FALSE;
	for (const char *p = uuid; *p; p++)
		if (!g_ascii_isxdigit(*p) && *p != '-')
			return FALSE;
	return TRUE;
}

char *vessel_control_socket_path(const char *uuid, GError **error)
{
	const char *dir = g_getenv("XDG_RUNTIME_DIR");

	if (!dir || !*dir) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			    "XDG_RUNTIME_DIR is not set, so there is no private place for the VM's "
			    "control socket; log in through a session manager or set it to a "
			    "directory only you can read");
		return NULL;
	}
	if (!uuid_is_safe(uuid)) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_INVALID_ARGUMENT,
			    "the VM has no valid uuid in its .vessel file ([vm] uuid=), so it has "
			    "no control socket name");
		return NULL;
	}
	return g_strdup_printf("%s/vessel/%s.sock", dir, uuid);
}

GDBusConnection *vessel_control_connect(const char *socket_path, GCancellable *cancellable,
					GError **error)
{
	g_autofree char *escaped = g_dbus_address_escape_value(socket_path);
	g_autofree char *address = g_strdup_printf("unix:path=%s", escaped);

	return g_dbus_connection_new_for_address_sync(address,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, cancellable, error);
}
