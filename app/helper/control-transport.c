// SPDX-License-Identifier: GPL-2.0-or-later
/* How the control service is reached: the launcher's socketpair, or a private unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>

#include "control-common.h"
#include "control-private.h"
#include "vm.h"

/* Only this user may talk to the VM: the socket is 0600 and every peer's SO_PEERCRED is checked. */
static gboolean authorize_peer(GDBusAuthObserver *observer, GIOStream *stream,
			       GCredentials *credentials, gpointer data)
{
	GError *error = NULL;
	uid_t uid;

	if (!credentials)
		return FALSE;
	uid = g_credentials_get_unix_user(credentials, &error);
	g_clear_error(&error);
	return uid == getuid();
}

static gboolean allow_mechanism(GDBusAuthObserver *observer, const char *mechanism, gpointer data)
{
	return g_strcmp0(mechanism, "EXTERNAL") == 0;
}

/*
 * Tools written for a message bus (`gdbus call --address`) open with the bus's Hello; a
 * peer-to-peer server answers it with a made-up unique name so they work against a helper.
 * (D-Bus specification, "Message Bus Messages": org.freedesktop.DBus.Hello.)
 */
static const char bus_hello_xml[] =
	"<node><interface name='org.freedesktop.DBus'>"
	"<method name='Hello'><arg type='s' direction='out'/></method>"
	"</interface></node>";

static void bus_hello_call(GDBusConnection *conn, const char *sender, const char *path,
			   const char *iface, const char *method, GVariant *params,
			   GDBusMethodInvocation *inv, gpointer data)
{
	struct control *c = data;

	g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", c->hello_name));
}

static const GDBusInterfaceVTable bus_hello_vtable = { .method_call = bus_hello_call };

static bool export_on(struct control *c, GDBusConnection *conn, GError **error)
{
	if (!c->hello_info)
		c->hello_info = g_dbus_node_info_new_for_xml(bus_hello_xml, error);
	if (!c->hello_info || !g_dbus_connection_register_object(conn, "/org/freedesktop/DBus",
			c->hello_info->interfaces[0], &bus_hello_vtable, c, NULL, error))
		return false;
	if (c->display && !g_dbus_interface_skeleton_export(control_display_skeleton(c->display),
							    conn, VESSEL_VM_OBJECT_PATH, error))
		return false;
	return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(c->skel), conn,
						VESSEL_VM_OBJECT_PATH, error);
}

static void client_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error,
			  gpointer data)
{
	struct control *c = data;

	g_dbus_interface_skeleton_unexport_from_connection(G_DBUS_INTERFACE_SKELETON(c->skel),
							   conn);
	if (c->display)
		g_dbus_interface_skeleton_unexport_from_connection(
			control_display_skeleton(c->display), conn);
	g_ptr_array_remove(c->clients, conn);
}

static gboolean new_connection(GDBusServer *server, GDBusConnection *conn, gpointer data)
{
	struct control *c = data;
	GError *error = NULL;

	if (!export_on(c, conn, &error)) {
		g_warning("control: cannot serve a client: %s", error->message);
		g_clear_error(&error);
		return FALSE;
	}
	g_ptr_array_add(c->clients, g_object_ref(conn));
	g_signal_connect(conn, "closed", G_CALLBACK(client_closed), c);
	return TRUE;
}

/* The launcher went away: ask the guest to shut down, as closing a VM window would. */
static void peer_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error,
			gpointer data)
{
	struct control *c = data;

	fprintf(stderr, "vessel-helper: the program that started this VM has closed its "
		"connection; pressing the power button\n");
	if (!vm_power_button(c->vm))
		vm_request(c->vm, VM_REQ_POWEROFF, VM_EXIT_HOST_SIGNAL);
}

/* The directory must be ours and private; a live socket means another helper runs this VM. */
static bool prepare_socket(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			    "the control socket path %s is too long for a unix socket", path);
		return false;
	}
	/* A new directory is private; the socket itself is 0600 and every peer is checked. */
	if (g_mkdir_with_parents(dir, 0700) || stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_FAILED,
			    "cannot make the directory %s for the control socket: %s", dir,
			    g_strerror(errno ? errno : ENOTDIR));
		return false;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ret = fd >= 0 ? connect(fd, (struct sockaddr *)&sa, sizeof(sa)) : -1;
	if (fd >= 0)
		close(fd);
	if (ret == 0) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_INVALID_STATE,
			    "this VM is already running: another helper serves %s", path);
		return false;
	}
	if (unlink(path) && errno != ENOENT) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_FAILED, "cannot remove the stale "
			    "socket %s: %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

static bool listen_socket(struct control *c, GError **error)
{
	const char *path = c->cfg.socket_path;
	g_autofree char *escaped = NULL;
	g_autofree char *address = NULL;

	if (!prepare_socket(path, error))
		return false;
	escaped = g_dbus_address_escape_value(path);
	address = g_strdup_printf("unix:path=%s", escaped);
	c->observer = g_dbus_auth_observer_new();
	g_signal_connect(c->observer, "authorize-authenticated-peer", G_CALLBACK(authorize_peer), c);
	g_signal_connect(c->observer, "allow-mechanism", G_CALLBACK(allow_mechanism), c);
	c->server = g_dbus_server_new_sync(address, G_DBUS_SERVER_FLAGS_NONE, c->guid,
					   c->observer, NULL, error);
	if (!c->server)
		return false;
	c->socket_bound = true;
	if (chmod(path, 0600)) {
		g_set_error(error, VESSEL_ERROR, VESSEL_ERROR_FAILED, "cannot make %s private: %s",
			    path, g_strerror(errno));
		return false;
	}
	g_signal_connect(c->server, "new-connection", G_CALLBACK(new_connection), c);
	g_dbus_server_start(c->server);
	return true;
}

static bool serve_peer(struct control *c, GError **error)
{
	g_autoptr(GSocket) sock = g_socket_new_from_fd(c->cfg.peer_fd, error);
	g_autoptr(GSocketConnection) stream = NULL;

	if (!sock)
		return false;
	stream = g_socket_connection_factory_create_connection(sock);
	c->peer = g_dbus_connection_new_sync(G_IO_STREAM(stream), c->guid,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER |
			G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING, c->observer, NULL, error);
	if (!c->peer)
		return false;
	if (!export_on(c, c->peer, error))
		return false;
	g_signal_connect(c->peer, "closed", G_CALLBACK(peer_closed), c);
	g_dbus_connection_start_message_processing(c->peer);
	return true;
}

bool control_setup(struct control *c, GError **error)
{
	const struct vm_config *vc = &c->vm->cfg;

	c->guid = g_dbus_generate_guid();
	snprintf(c->hello_name, sizeof(c->hello_name), ":1.%u", (unsigned)getpid());
	c->clients = g_ptr_array_new_with_free_func(g_object_unref);
	c->skel = vessel_vm1_skeleton_new();
	vessel_vm1_set_name(c->skel, c->cfg.name ? c->cfg.name : "");
	vessel_vm1_set_uuid(c->skel, c->cfg.uuid ? c->cfg.uuid : "");
	vessel_vm1_set_file(c->skel, c->cfg.file ? c->cfg.file : "");
	vessel_vm1_set_state(c->skel, vm_run_state_name(vm_run_state(c->vm)));
	vessel_vm1_set_memory_bytes(c->skel, vc->ram_size);
	vessel_vm1_set_cpus(c->skel, vc->cpus);
	vessel_vm1_set_pid(c->skel, (guint)getpid());
	vessel_vm1_set_spice_address(c->skel, c->cfg.spice_address ? c->cfg.spice_address : "");
	control_connect_methods(c);
	c->display = control_display_new(c);
	control_balloon_setup(c);
	control_snapshot_setup(c);
	if (c->cfg.socket_path && !listen_socket(c, error))
		return false;
	if (c->cfg.peer_fd >= 0 && !serve_peer(c, error))
		return false;
	return true;
}

void control_teardown(struct control *c)
{
	GMainContext *ctx = c->ctx;

	if (c->server)
		g_dbus_server_stop(c->server);
	if (c->socket_bound)
		unlink(c->cfg.socket_path);
	/* Send the replies already queued before the connections go. */
	while (g_main_context_iteration(ctx, FALSE))
		;
	for (unsigned i = 0; c->clients && i < c->clients->len; i++)
		g_dbus_connection_flush_sync(c->clients->pdata[i], NULL, NULL);
	if (c->peer) {
		g_signal_handlers_disconnect_by_data(c->peer, c);
		g_dbus_connection_flush_sync(c->peer, NULL, NULL);
		g_dbus_connection_close_sync(c->peer, NULL, NULL);
	}
	control_balloon_teardown(c);
	control_display_free(c->display);
	c->display = NULL;
	if (c->skel && g_dbus_interface_skeleton_get_connection(
				G_DBUS_INTERFACE_SKELETON(c->skel)))
		g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(c->skel));
	g_clear_pointer(&c->clients, g_ptr_array_unref);
	g_clear_object(&c->peer);
	g_clear_object(&c->server);
	g_clear_object(&c->observer);
	g_clear_object(&c->skel);
	g_clear_pointer(&c->hello_info, g_dbus_node_info_unref);
	g_free(c->guid);
}
