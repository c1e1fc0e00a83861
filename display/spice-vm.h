/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPICE server of one VM: its display, keyboard and mouse for remote clients. */
#ifndef VESSEL_SPICE_VM_H
#define VESSEL_SPICE_VM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One spice-server instance runs on a thread of its own ("spice") with a private
 * GMainContext: that thread serves spice-server's core interface (timers, fd watches),
 * its main and inputs channels, and the ~30 Hz display refresh (only while a client is
 * connected; the one client, unless SPICE_DEBUG_ALLOW_MC is set). spice-server adds one
 * more thread per display (its "SPICE Worker"). Nothing here runs on a vCPU or the VM's
 * I/O loop, except the LED handler, which only posts to the spice thread.
 */

struct vm;
struct vspice;
struct display_hub;

/* Where clients connect: "tcp:[ADDR]:PORT" (ADDR defaults to 127.0.0.1) or "unix:PATH". */
struct spice_listen {
	bool unix_socket;
	char host[256];			/* tcp: numeric address or host name */
	int port;			/* tcp: 1..65535 */
	char path[108];			/* unix: socket path */
};

/* Parse a --spice value; 0 or -EINVAL. IPv6 addresses go in brackets: tcp:[::1]:5900. */
int spice_parse_listen(const char *s, struct spice_listen *out);
/* Only this host can connect: a unix socket, 127.0.0.0/8, ::1 or "localhost". */
bool spice_listen_is_local(const struct spice_listen *l);

/* --spice-tls CERT,KEY[,CA]: PEM files; cert NULL means no TLS. */
struct spice_tls {
	const char *cert;
	const char *key;
	const char *ca;			/* NULL: the certificate is its own CA (self-signed) */
};

struct spice_config {
	struct spice_listen listen;
	const char *password_file;	/* NULL: no password (allowed only when local) */
	unsigned password_lifetime;	/* seconds the password is valid from start; 0: always */
	struct spice_tls tls;		/* with a cert, the port is TLS-only (tls-port) */
	const char *vv_file;		/* NULL, or write a remote-viewer file here (tcp: only) */
	const char *title;		/* the .vv file's title= */
	struct display_hub *hub;	/* the VM's display, shared with other consumers */
};

/*
 * Start serving vm (after vm_create; the VM's VGA and i8042 are used when present).
 * NULL with *err = -errno and a message on stderr (the password is never printed).
 */
struct vspice *vspice_start(struct vm *vm, const struct spice_config *cfg, int *err);
/*
 * The remote-viewer (.vv) file for this server, as text (g_free it; it may hold the
 * password: explicit_bzero before). NULL for a unix socket or when the password file cannot
 * be read.
 */
char *vspice_connection_file(struct vspice *s, size_t *len);
/* Disconnect every client and end the thread; call before vm_destroy. NULL is a no-op. */
void vspice_stop(struct vspice *s);

#endif
