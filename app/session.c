// SPDX-License-Identifier: GPL-2.0-or-later
/* A VM session: start the helper with a socketpair, D-Bus over it, map the framebuffer. */
#include "session.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "control-common.h"
#include "vessel-file.h"

struct vessel_session {
	struct vessel_session_callbacks cb;
	void *opaque;
	GCancellable *cancel;
	GSubprocess *helper;
	char *log;
	GDBusConnection *conn;
	VesselVM1 *vm;
	VesselDisplay1 *display;
	const uint8_t *fb;
	size_t fb_len;
	unsigned retries;
	guint retry_source;
};

const char *vessel_exit_message(int status)
{
	switch (status) {
	case 0:
		return NULL;
	case 64:
		return "The virtual machine could not start: its settings or one of its files "
		       "is not usable. The log below says which; fix it in Settings.";
	case 65:
		return "This computer cannot run virtual machines right now: KVM is unavailable. "
		       "Open the virtualization check to find out how to turn it on.";
	case 66:
		return "The guest system crashed (triple fault) and the virtual machine stopped. "
		       "Start it again, or restore a snapshot.";
	case 67:
		return "The virtual machine stopped on an error the hypervisor could not handle "
		       "(KVM internal error). Start it again; if it happens again, report it with "
		       "the log.";
	case 68:
		return "The guest restarted and this VM is set not to reboot.";
	case 69:
		return "The virtual machine reached its time limit and was stopped.";
	case 70:
		return "The virtual machine was powered off from outside (a signal).";
	default:
		return status > 0 && status < 64 ? "A test guest ended with its own status." :
		       "The virtual machine's helper process ended unexpectedly. Start it again; "
		       "the log may say why.";
	}
}

char *vessel_find_program(const char *name, const char *const *build_dirs)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
	char *p;

	for (int i = -1; dir && (i < 0 || (build_dirs && build_dirs[i])); i++) {
		p = i < 0 ? g_build_filename(dir, name, NULL) :
			    g_build_filename(dir, build_dirs[i], name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
			return p;
		g_free(p);
	}
	return g_find_program_in_path(name);
}

char *vessel_find_helper(void)
{
	static const char *const build_dirs[] = { "../helper", "../app/helper", NULL };
	const char *env = g_getenv("VESSEL_HELPER");

	if (env && *env)
		return g_strdup(env);
	return vessel_find_program("vessel-helper", build_dirs);
}

static void unmap_fb(struct vessel_session *s)
{
	if (s->fb)
		munmap((void *)s->fb, s->fb_len);
	s->fb = NULL;
	s->fb_len = 0;
}

static void fetch_framebuffer(struct vessel_session *s);

static gboolean retry_fetch(gpointer data)
{
	struct vessel_session *s = data;

	s->retry_source = 0;
	fetch_framebuffer(s);
	return G_SOURCE_REMOVE;
}

static void got_framebuffer(GObject *src, GAsyncResult *res, gpointer data)
{
	struct vessel_session *s = data;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) handle = NULL;
	GError *error = NULL;
	guint w, h, stride, fourcc;
	void *map;
	int fd;

	if (!vessel_display1_call_get_framebuffer_finish(VESSEL_DISPLAY1(src), &handle, &w, &h,
							 &stride, &fourcc, &fds, res, &error)) {
		/* Before the guest's first picture there is none: ask again shortly. */
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && s->retries++ < 100)
			s->retry_source = g_timeout_add(100, retry_fetch, s);
		g_clear_error(&error);
		return;
	}
	fd = g_unix_fd_list_get(fds, g_variant_get_handle(handle), NULL);
	if (fd < 0 || fourcc != 0x34325258u || stride < w * 4)
		goto out;
	map = mmap(NULL, (size_t)stride * h, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	unmap_fb(s);
	s->fb = map;
	s->fb_len = (size_t)stride * h;
	if (s->cb.framebuffer)
		s->cb.framebuffer(s->opaque, fd, s->fb, w, h, stride);
out:
	if (fd >= 0)
		close(fd);
}

static void fetch_framebuffer(struct vessel_session *s)
{
	vessel_display1_call_get_framebuffer(s->display, NULL, s->cancel, got_framebuffer, s);
}

static void on_damage(VesselDisplay1 *d, GVariant *rects, gpointer data)
{
	struct vessel_session *s = data;
	struct vessel_session_rect r[64];
	GVariantIter it;
	unsigned n = 0;

	g_variant_iter_init(&it, rects);
	while (n < G_N_ELEMENTS(r) && g_variant_iter_next(&it, "(uuuu)", &r[n].x, &r[n].y,
							  &r[n].w, &r[n].h))
		n++;
	if (n && s->fb && s->cb.damage)
		s->cb.damage(s->opaque, r, n);
}

static void on_resized(VesselDisplay1 *d, guint w, guint h, gpointer data)
{
	fetch_framebuffer(data);
}

static void on_state(GObject *obj, GParamSpec *pspec, gpointer data)
{
	struct vessel_session *s = data;

	if (s->cb.state)
		s->cb.state(s->opaque, vessel_vm1_get_state(s->vm));
}

static void got_display(GObject *src, GAsyncResult *res, gpointer data)
{
	struct vessel_session *s = data;
	GError *error = NULL;

	s->display = vessel_display1_proxy_new_finish(res, &error);
	if (!s->display) {
		g_clear_error(&error);	/* no display: a VM without VGA */
		return;
	}
	g_signal_connect(s->display, "damage", G_CALLBACK(on_damage), s);
	g_signal_connect(s->display, "resized", G_CALLBACK(on_resized), s);
	fetch_framebuffer(s);
}

static void got_vm(GObject *src, GAsyncResult *res, gpointer data)
{
	struct vessel_session *s = data;
	GError *error = NULL;

	s->vm = vessel_vm1_proxy_new_finish(res, &error);
	if (!s->vm) {
		g_clear_error(&error);
		return;
	}
	g_signal_connect(s->vm, "notify::state", G_CALLBACK(on_state), s);
	on_state(NULL, NULL, s);
}

static void connected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct vessel_session *s = data;
	GError *error = NULL;

	s->conn = g_dbus_connection_new_finish(res, &error);
	if (!s->conn) {
		g_clear_error(&error);	/* the helper died first: exited() tells why */
		return;
	}
	vessel_vm1_proxy_new(s->conn, G_DBUS_PROXY_FLAGS_NONE, NULL, VESSEL_VM_OBJECT_PATH,
			     s->cancel, got_vm, s);
	/* Properties loaded: HasTablet is known before the first framebuffer is fetched. */
	vessel_display1_proxy_new(s->conn, G_DBUS_PROXY_FLAGS_NONE, NULL,
				  VESSEL_VM_OBJECT_PATH, s->cancel, got_display, s);
}

/* The last non-empty line of the helper's log, for the banner. */
static char *last_log_line(const char *log)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(log, &text, NULL, NULL))
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	for (int i = (int)g_strv_length(lines) - 1; i >= 0; i--)
		if (*g_strstrip(lines[i]))
			return g_strdup(lines[i]);
	return NULL;
}

static void helper_exited(GObject *src, GAsyncResult *res, gpointer data)
{
	struct vessel_session *s = data;
	GError *error = NULL;
	g_autofree char *msg = NULL, *line = NULL;
	int status;

	if (!g_subprocess_wait_finish(G_SUBPROCESS(src), res, &error)) {
		g_clear_error(&error);	/* cancelled: the session is being freed */
		return;
	}
	status = g_subprocess_get_if_exited(s->helper) ? g_subprocess_get_exit_status(s->helper) :
		 128 + g_subprocess_get_term_sig(s->helper);
	line = status ? last_log_line(s->log) : NULL;
	if (status)
		msg = g_strdup_printf("%s%s%s", vessel_exit_message(status), line ? "\n" : "",
				      line ? line : "");
	if (s->cb.exited)
		s->cb.exited(s->opaque, status, msg);
}

static char *log_path(const struct vessel_file *vf, const char *suffix)
{
	const char *run = g_getenv("XDG_RUNTIME_DIR");
	g_autofree char *dir = g_build_filename(run && *run ? run : g_get_tmp_dir(), "vessel", NULL);

	g_mkdir_with_parents(dir, 0700);
	return g_strdup_printf("%s/%s%s", dir, vf->uuid[0] ? vf->uuid : vf->name, suffix);
}

static bool spawn(struct vessel_session *s, const struct vessel_file *vf, const char *helper,
		  const char *const *extra, int fd, GError **error)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *serial = log_path(vf, ".serial.log");

	s->log = log_path(vf, ".log");
	g_subprocess_launcher_set_stdout_file_path(l, s->log);
	g_subprocess_launcher_set_stderr_file_path(l, s->log);
	g_subprocess_launcher_take_fd(l, fd, 3);
	g_ptr_array_add(argv, g_strdup(helper));
	g_ptr_array_add(argv, g_strdup(vf->path));
	g_ptr_array_add(argv, g_strdup("--control-fd"));
	g_ptr_array_add(argv, g_strdup("3"));
	g_ptr_array_add(argv, g_strdup("--serial"));
	g_ptr_array_add(argv, g_strdup_printf("file:%s", serial));
	for (unsigned i = 0; extra && extra[i]; i++)
		g_ptr_array_add(argv, g_strdup(extra[i]));
	g_ptr_array_add(argv, NULL);
	s->helper = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, error);
	return s->helper != NULL;
}

struct vessel_session *vessel_session_start(const char *vessel_path, const char *const *extra,
					    const struct vessel_session_callbacks *cb, void *opaque,
					    GError **error)
{
	g_autofree char *helper = vessel_find_helper();
	struct vessel_file *vf = NULL;
	struct vessel_session *s;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	int sv[2];

	if (!helper) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "vessel-helper is not "
			    "installed (or set VESSEL_HELPER to it)");
		return NULL;
	}
	if (vessel_file_load(vessel_path, &vf, error) < 0)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socketpair: %s",
			    g_strerror(errno));
		vessel_file_free(vf);
		return NULL;
	}
	s = g_new0(struct vessel_session, 1);
	s->cb = *cb;
	s->opaque = opaque;
	s->cancel = g_cancellable_new();
	if (!spawn(s, vf, helper, extra, sv[1], error)) {
		close(sv[0]);
		vessel_file_free(vf);
		vessel_session_free(s);
		return NULL;
	}
	vessel_file_free(vf);
	g_subprocess_wait_async(s->helper, s->cancel, helper_exited, s);
	sock = g_socket_new_from_fd(sv[0], error);
	if (!sock) {
		close(sv[0]);
		vessel_session_free(s);
		return NULL;
	}
	stream = g_socket_connection_factory_create_connection(sock);
	g_dbus_connection_new(G_IO_STREAM(stream), NULL,
			      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, s->cancel,
			      connected, s);
	return s;
}

void vessel_session_free(struct vessel_session *s)
{
	if (!s)
		return;
	g_cancellable_cancel(s->cancel);
	if (s->retry_source)
		g_source_remove(s->retry_source);
	if (s->display)
		g_signal_handlers_disconnect_by_data(s->display, s);
	if (s->vm)
		g_signal_handlers_disconnect_by_data(s->vm, s);
	g_clear_object(&s->display);
	g_clear_object(&s->vm);
	if (s->conn)
		g_dbus_connection_close_sync(s->conn, NULL, NULL);
	g_clear_object(&s->conn);
	g_clear_object(&s->helper);
	unmap_fb(s);
	g_clear_object(&s->cancel);
	g_free(s->log);
	g_free(s);
}

VesselVM1 *vessel_session_vm(struct vessel_session *s)
{
	return s->vm;
}

VesselDisplay1 *vessel_session_display(struct vessel_session *s)
{
	return s->display;
}

void vessel_session_key(struct vessel_session *s, unsigned evdev, gboolean pressed)
{
	if (s->display)
		vessel_display1_call_keyboard_key(s->display, evdev, pressed, NULL, NULL, NULL);
}

void vessel_session_pointer(struct vessel_session *s, int dx, int dy, int dz, unsigned buttons)
{
	if (s->display)
		vessel_display1_call_pointer_motion(s->display, dx, dy, dz, buttons, NULL, NULL,
						    NULL);
}

gboolean vessel_session_has_tablet(struct vessel_session *s)
{
	return s->display && vessel_display1_get_has_tablet(s->display);
}

void vessel_session_pointer_position(struct vessel_session *s, unsigned x, unsigned y, int dz,
				     unsigned buttons)
{
	if (s->display)
		vessel_display1_call_pointer_position(s->display, x, y, dz, buttons, NULL, NULL,
						      NULL);
}

void vessel_session_preferred_size(struct vessel_session *s, unsigned width, unsigned height)
{
	if (s->display && width >= 320 && height >= 200)
		vessel_display1_call_set_preferred_size(s->display, width, height, NULL, NULL, NULL);
}
