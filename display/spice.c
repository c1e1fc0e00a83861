// SPDX-License-Identifier: GPL-2.0-or-later
/* The SPICE server's thread: listening, authentication, start and stop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <spice/protocol.h>

#include "spice-private.h"

/* The first line of the file, at most SPICE_MAX_PASSWORD_LENGTH bytes; 0 or -errno. */
static int read_password(const char *path, char *pw, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, pw, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (!pw[0] || strlen(pw) > SPICE_MAX_PASSWORD_LENGTH)
		return -EINVAL;
	return 0;
}

static int set_auth(struct vspice *s)
{
	char pw[SPICE_MAX_PASSWORD_LENGTH + 4];
	int ret;

	if (!s->cfg.password_file)
		return spice_server_set_noauth(s->server) ? -EIO : 0;
	ret = read_password(s->cfg.password_file, pw, sizeof(pw));
	if (ret) {
		fprintf(stderr, "vessel-helper: --spice-password-file %s: %s\n", s->cfg.password_file,
			ret == -EINVAL ? "the first line must hold a password of 1 to 60 bytes"
				       : strerror(-ret));
		explicit_bzero(pw, sizeof(pw));
		return ret;
	}
	/*
	 * The ticket expires password_lifetime seconds from now (0: never); clients connected
	 * then stay connected (spice-server's fail_if_connected/disconnect_if_connected = 0).
	 */
	ret = spice_server_set_ticket(s->server, pw, (int)s->cfg.password_lifetime, 0, 0) ?
	      -EIO : 0;
	explicit_bzero(pw, sizeof(pw));
	return ret;
}

/*
 * TLS only: the port is spice-server's tls-port, no plain port is opened, and every
 * channel demands TLS, so a plain client is refused at its first link message.
 */
static int set_tls(struct vspice *s)
{
	const struct spice_tls *t = &s->cfg.tls;

	if (spice_server_set_tls(s->server, s->cfg.listen.port, t->ca ? t->ca : t->cert, t->cert,
				 t->key, NULL, NULL, NULL)) {
		fprintf(stderr, "vessel-helper: --spice-tls: spice-server refused the TLS setup\n");
		return -EINVAL;
	}
	if (spice_server_set_channel_security(s->server, NULL, SPICE_CHANNEL_SECURITY_SSL))
		return -EIO;
	return 0;
}

/* The CA's PEM for the .vv file's ca= (GKeyFile writes its newlines as \n). */
static int add_ca(GKeyFile *kf, const char *path)
{
	gchar *pem = NULL;

	if (!g_file_get_contents(path, &pem, NULL, NULL))
		return -EIO;
	g_key_file_set_string(kf, "virt-viewer", "ca", pem);
	g_free(pem);
	return 0;
}

static int vv_fill(struct vspice *s, GKeyFile *kf)
{
	const struct spice_config *c = &s->cfg;
	char pw[SPICE_MAX_PASSWORD_LENGTH + 4];

	g_key_file_set_string(kf, "virt-viewer", "type", "spice");
	/* A wildcard address is no place to connect to: name this machine instead. */
	if (!strcmp(c->listen.host, "0.0.0.0") || !strcmp(c->listen.host, "::"))
		g_key_file_set_string(kf, "virt-viewer", "host", g_get_host_name());
	else
		g_key_file_set_string(kf, "virt-viewer", "host", c->listen.host);
	g_key_file_set_integer(kf, "virt-viewer", c->tls.cert ? "tls-port" : "port",
			       c->listen.port);
	if (c->password_file) {
		if (read_password(c->password_file, pw, sizeof(pw)))
			return -EINVAL;
		g_key_file_set_string(kf, "virt-viewer", "password", pw);
		explicit_bzero(pw, sizeof(pw));
	}
	g_key_file_set_string(kf, "virt-viewer", "title", c->title ? c->title : "Vessel VM");
	g_key_file_set_integer(kf, "virt-viewer", "delete-this-file", 1);
	if (c->tls.cert)
		return add_ca(kf, c->tls.ca ? c->tls.ca : c->tls.cert);
	return 0;
}

char *vspice_connection_file(struct vspice *s, size_t *len)
{
	GKeyFile *kf;
	char *data = NULL;
	gsize n = 0;

	if (!s || s->cfg.listen.unix_socket)
		return NULL;
	kf = g_key_file_new();
	if (!vv_fill(s, kf))
		data = g_key_file_to_data(kf, &n, NULL);
	g_key_file_free(kf);
	*len = n;
	return data;
}

/* The remote-viewer connection file: mode 0600, written to a temp file and renamed. */
static int write_vv(struct vspice *s)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	gchar *data = NULL;
	gsize len = 0;
	int ret;

	ret = vv_fill(s, kf);
	if (!ret)
		data = g_key_file_to_data(kf, &len, NULL);
	if (data && !g_file_set_contents_full(s->cfg.vv_file, data, (gssize)len,
					      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &gerr)) {
		fprintf(stderr, "vessel-helper: --spice-file %s: %s\n", s->cfg.vv_file,
			gerr->message);
		g_error_free(gerr);
		ret = -EIO;
	}
	if (data)
		explicit_bzero(data, len);
	g_free(data);
	g_key_file_free(kf);
	return ret;
}

/* A socket file nobody answers on is a leftover of an earlier run: remove it. */
static void remove_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) || !S_ISSOCK(st.st_mode))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret < 0 && errno == ECONNREFUSED)
		unlink(path);
	close(fd);
}

/* On the spice thread, with its context pushed: build and start the server. */
static int setup(struct vspice *s)
{
	const struct spice_listen *l = &s->cfg.listen;
	int ret;

	s->server = spice_server_new();
	if (!s->server)
		return -ENOMEM;
	if (l->unix_socket) {
		remove_stale_socket(l->path);
		spice_server_set_addr(s->server, l->path, SPICE_ADDR_FLAG_UNIX_ONLY);
	} else {
		spice_server_set_addr(s->server, l->host, 0);
		ret = s->cfg.tls.cert ? set_tls(s) : spice_server_set_port(s->server, l->port);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
	}
	ret = set_auth(s);
	if (ret)
		return ret;
	vspice_core_init(&s->core, s);
	if (spice_server_init(s->server, &s->core)) {
		if (l->unix_socket)
			fprintf(stderr, "vessel-helper: --spice: cannot listen on %s\n", l->path);
		else
			fprintf(stderr, "vessel-helper: --spice: cannot listen on %s port %d (in use?)\n",
				l->host, l->port);
		return -EADDRINUSE;
	}
	s->listening = true;
	ret = s->cfg.vv_file ? write_vv(s) : 0;
	if (!ret)
		ret = vspice_input_add(s);
	if (!ret)
		ret = vspice_display_add(s);
	if (ret)
		return ret;
	spice_server_vm_start(s->server);
	return 0;
}

static gboolean recount_clients(gpointer data)
{
	struct vspice *s = data;

	g_source_unref(s->recount);
	s->recount = NULL;
	if (s->server)
		vspice_display_set_active(s, g_hash_table_size(s->clients) > 0);
	return G_SOURCE_REMOVE;
}

/*
 * Without SPICE_DEBUG_ALLOW_MC in its environment spice-server 0.15 keeps one client: a
 * new one that passes the password check replaces the old, whose channels are closed.
 * The display's refresh follows in an idle callback, outside spice-server's own call.
 */
void vspice_client_event(struct vspice *s, int connection_id, const char *peer)
{
	gpointer key = GINT_TO_POINTER(connection_id);

	if (peer) {
		g_hash_table_add(s->clients, key);
		fprintf(stderr, "vessel-helper: spice: client connected from %s (%u connected)\n",
			peer, g_hash_table_size(s->clients));
	} else if (g_hash_table_remove(s->clients, key)) {
		fprintf(stderr, "vessel-helper: spice: client disconnected (%u connected)\n",
			g_hash_table_size(s->clients));
	} else {
		return;			/* a link that never got past the password */
	}
	if (s->recount)
		return;
	s->recount = g_idle_source_new();
	g_source_set_callback(s->recount, recount_clients, s, NULL);
	g_source_attach(s->recount, s->ctx);
}

static void teardown(struct vspice *s)
{
	vspice_input_remove(s);
	vspice_display_remove(s);
	if (s->server) {
		spice_server_vm_stop(s->server);
		spice_server_destroy(s->server);	/* ends the display worker */
		s->server = NULL;
#if SPICE_SERVER_VERSION <= 0x000f01
		/*
		 * spice_server_remove_interface() refuses keyboards and mice and destroy does
		 * not free the state add_interface gave them (0.15.1, found by LeakSanitizer).
		 */
		g_free(s->kbd.st);
		g_free(s->mouse.st);
#endif
		if (s->cfg.listen.unix_socket && s->listening)
			unlink(s->cfg.listen.path);
	}
	if (s->recount) {		/* queued by the disconnects destroy reported */
		g_source_destroy(s->recount);
		g_source_unref(s->recount);
		s->recount = NULL;
	}
	vspice_display_free(s);
}

static void *spice_thread(void *arg)
{
	struct vspice *s = arg;
	int ret;

	g_main_context_push_thread_default(s->ctx);
	ret = setup(s);
	pthread_mutex_lock(&s->start_lock);
	s->started = true;
	s->start_err = ret;
	pthread_cond_signal(&s->start_cond);
	pthread_mutex_unlock(&s->start_lock);
	if (!ret)
		g_main_loop_run(s->loop);
	teardown(s);
	g_main_context_pop_thread_default(s->ctx);
	return NULL;
}

static void vspice_free(struct vspice *s)
{
	g_main_loop_unref(s->loop);
	g_main_context_unref(s->ctx);
	g_hash_table_destroy(s->clients);
	pthread_mutex_destroy(&s->start_lock);
	pthread_cond_destroy(&s->start_cond);
	free(s);
}

struct vspice *vspice_start(struct vm *vm, const struct spice_config *cfg, int *err)
{
	struct vspice *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->vm = vm;
	s->cfg = *cfg;
	s->ctx = g_main_context_new();
	s->clients = g_hash_table_new(g_direct_hash, g_direct_equal);
	s->loop = g_main_loop_new(s->ctx, FALSE);
	pthread_mutex_init(&s->start_lock, NULL);
	pthread_cond_init(&s->start_cond, NULL);
	ret = -pthread_create(&s->thread, NULL, spice_thread, s);
	if (ret) {
		vspice_free(s);
		*err = ret;
		return NULL;
	}
	pthread_setname_np(s->thread, "spice");
	pthread_mutex_lock(&s->start_lock);
	while (!s->started)
		pthread_cond_wait(&s->start_cond, &s->start_lock);
	ret = s->start_err;
	pthread_mutex_unlock(&s->start_lock);
	if (ret) {
		pthread_join(s->thread, NULL);
		vspice_free(s);
		*err = ret;
		return NULL;
	}
	return s;
}

static gboolean quit_loop(gpointer data)
{
	struct vspice *s = data;

	g_main_loop_quit(s->loop);
	return G_SOURCE_REMOVE;
}

void vspice_stop(struct vspice *s)
{
	if (!s)
		return;
	g_main_context_invoke(s->ctx, quit_loop, s);
	pthread_join(s->thread, NULL);
	vspice_free(s);
}
