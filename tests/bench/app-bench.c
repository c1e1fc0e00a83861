// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 7's benchmark, our side: guest framebuffer write to VesselDisplay having drawn it.
#include "session.h"
#include "vessel-display.h"
#include "vessel-file.h"
#include "vessel-ui.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * app-bench GUEST [FRAMES]: runs under X (app-bench.py starts Xvfb). The helper is started
 * through app/session.c as the app does (--multiboot GUEST, COM1 on a unix socket), its
 * framebuffer shown one-to-one in a VesselDisplay in a 1920x1080 window. For each frame the
 * byte B goes to COM1; the guest redraws the whole screen and prints "bench: frame B drawn".
 * After every paint of the window (frame clock "after-paint") the display's counters are
 * sampled; the frame is complete once no texel was uploaded for QUIET_US. First prints
 *   path gl|texture renderer GSK-RENDERER-TYPE
 * (VesselDisplay's path, as VESSEL_DISPLAY or GSK_RENDERER chose it), then per frame
 *   frame B latency_ms L cpu_ms C uploaded_px U draws D draw_s S x_cpu_ms X damage_px A nodes N
 * L: from the serial line's arrival to the paint that uploaded the frame's last damage (both
 * CLOCK_MONOTONIC; 0 if that paint came first); C: this process's CPU time (user+system,
 * getrusage) from the byte to the end, i.e. session + upload + draw; U: texels uploaded;
 * X: the X server's CPU time meanwhile (pid in $APP_BENCH_XPID; 0 without); A: pixels the
 * helper's Damage signals announced (a pixel announced twice counts twice); N: tile render
 * nodes built (the texture path's tile repaints; 0 on the GLArea).
 */

#define QUIET_US	(600 * 1000)

struct bench {
	VesselDisplay *display;
	struct vessel_session *session;
	int serial;
	GString *line;
	int drawn_frame;		/* last "frame B drawn" seen, -1 none */
	gint64 drawn_at;
	gboolean exited;
	guint64 last_uploaded;
	gint64 upload_at;		/* after-paint time of the last upload */
	guint draws;
	guint64 damage_px;		/* announced by Damage signals */
};

static gboolean tick(gpointer unused)
{
	(void)unused;
	return G_SOURCE_CONTINUE;
}

/* Run the main loop until cond (time-based conditions: woken every 20 ms to look). */
static gboolean wait_for(gboolean (*cond)(struct bench *), struct bench *b, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	guint id = g_timeout_add(20, tick, NULL);

	while (!cond(b) && !b->exited && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(id);
	return cond(b);
}

static void on_framebuffer(void *opaque, int fd, const uint8_t *pixels, unsigned w, unsigned h,
			   unsigned stride)
{
	struct bench *b = opaque;
	g_autoptr(GError) error = NULL;

	(void)pixels;
	if (!vessel_display_set_framebuffer(b->display, fd, (int)w, (int)h, (int)stride,
					    VESSEL_FOURCC_XRGB8888, &error))
		g_printerr("app-bench: framebuffer refused: %s\n", error->message);
}

static void on_damage(void *opaque, const struct vessel_session_rect *r, unsigned n)
{
	struct bench *b = opaque;

	for (unsigned i = 0; i < n; i++) {
		b->damage_px += (guint64)r[i].w * r[i].h;
		vessel_display_invalidate(b->display, (int)r[i].x, (int)r[i].y, (int)r[i].w,
					  (int)r[i].h);
	}
}

static void on_exited(void *opaque, int status, const char *message)
{
	struct bench *b = opaque;

	g_printerr("app-bench: the helper exited (%d): %s\n", status, message ? message : "");
	b->exited = TRUE;
}

static const struct vessel_session_callbacks callbacks = {
	.framebuffer = on_framebuffer, .damage = on_damage, .exited = on_exited,
};

static void serial_line(struct bench *b, const char *s)
{
	int frame;

	g_printerr("app-bench: COM1: %s\n", s);
	if (sscanf(s, "bench: frame %d drawn", &frame) == 1) {
		b->drawn_frame = frame;
		b->drawn_at = g_get_monotonic_time();
	}
}

static gboolean on_serial(int fd, GIOCondition cond, gpointer data)
{
	struct bench *b = data;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	if (n <= 0)
		return G_SOURCE_REMOVE;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			g_string_append_c(b->line, buf[i]);
			continue;
		}
		serial_line(b, b->line->str);
		g_string_truncate(b->line, 0);
	}
	return G_SOURCE_CONTINUE;
}

static void after_paint(GdkFrameClock *clock, gpointer data)
{
	struct bench *b = data;
	guint64 up = vessel_display_get_uploaded_pixels(b->display);

	(void)clock;
	b->draws = vessel_display_get_draw_count(b->display);
	if (up != b->last_uploaded) {
		b->last_uploaded = up;
		b->upload_at = g_get_monotonic_time();
	}
}

static void on_realize(GtkWidget *w, gpointer data)
{
	g_signal_connect(gtk_widget_get_frame_clock(w), "after-paint", G_CALLBACK(after_paint), data);
}

static int connect_serial(const char *path, struct bench *b)
{
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);

	for (int i = 0; i < 300 && !b->exited; i++) {
		g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0,
						     NULL);

		if (s && g_socket_connect(s, addr, NULL, NULL))
			return dup(g_socket_get_fd(s));
		g_usleep(20000);
		g_main_context_iteration(NULL, FALSE);
	}
	return -1;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/*
 * Frame 0 shown and settled. "bench: ready" is not awaited: the guest may print it before we
 * are connected to COM1 (the helper drops output with no client).
 */
/* CPU ms of the process $APP_BENCH_XPID (the X server, where X11 drawing lands), or 0. */
static double x_cpu_ms(void)
{
	const char *pid = g_getenv("APP_BENCH_XPID");
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid ? pid : "0");
	g_autofree char *text = NULL;
	unsigned long ut, st;
	char *p;

	if (!pid || !g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return 0;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static gboolean is_ready(struct bench *b)
{
	return b->last_uploaded > 0 && g_get_monotonic_time() - b->upload_at > QUIET_US;
}

static int want_frame;

static gboolean frame_done(struct bench *b)
{
	gint64 now = g_get_monotonic_time();

	return b->drawn_frame == want_frame && now - b->drawn_at > QUIET_US &&
	       now - b->upload_at > QUIET_US;
}

static int one_frame(struct bench *b, int frame)
{
	unsigned char byte = (unsigned char)frame;
	guint64 up0 = b->last_uploaded;
	guint d0 = b->draws, n0 = vessel_display_get_nodes_built(b->display);
	guint64 a0 = b->damage_px;
	double c0 = cpu_ms(), x0 = x_cpu_ms();
	gint64 sent = g_get_monotonic_time();

	want_frame = frame;
	if (write(b->serial, &byte, 1) != 1 || !wait_for(frame_done, b, 300000)) {
		g_printerr("app-bench: frame %d never completed\n", frame);
		return -1;
	}
	printf("frame %d latency_ms %.2f cpu_ms %.2f uploaded_px %" G_GUINT64_FORMAT
	       " draws %u draw_s %.2f x_cpu_ms %.2f damage_px %" G_GUINT64_FORMAT " nodes %u\n",
	       frame, MAX(0, b->upload_at - b->drawn_at) / 1e3, cpu_ms() - c0,
	       b->last_uploaded - up0, b->draws - d0, (b->drawn_at - sent) / 1e6, x_cpu_ms() - x0,
	       b->damage_px - a0, vessel_display_get_nodes_built(b->display) - n0);
	fflush(stdout);
	return 0;
}

static int run(struct bench *b, const char *guest, int frames)
{
	g_autofree char *tmp = g_dir_make_tmp("app-bench-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(tmp, "com1.sock", NULL);
	g_autofree char *serial_arg = g_strconcat("unix:", sock, NULL);
	const char *extra[] = { "--multiboot", guest, "--serial", serial_arg, "--timeout", "1800",
				NULL };
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf;
	GtkWidget *win = gtk_window_new();

	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "App bench", 32ull << 20, 1, &error);
	if (!vf) {
		g_printerr("app-bench: %s\n", error->message);
		return 1;
	}
	b->display = vessel_display_new();
	vessel_display_set_one_to_one(b->display, TRUE);
	g_signal_connect(b->display, "realize", G_CALLBACK(on_realize), b);
	gtk_window_set_child(GTK_WINDOW(win), GTK_WIDGET(b->display));
	gtk_window_set_default_size(GTK_WINDOW(win), 1920, 1080);
	gtk_window_present(GTK_WINDOW(win));
	b->session = vessel_session_start(vf->path, extra, &callbacks, b, &error);
	vessel_file_free(vf);
	if (!b->session) {
		g_printerr("app-bench: %s\n", error->message);
		return 1;
	}
	b->serial = connect_serial(sock, b);
	if (b->serial >= 0)
		g_unix_fd_add(b->serial, G_IO_IN | G_IO_HUP, on_serial, b);
	if (b->serial < 0 || !wait_for(is_ready, b, 120000)) {
		g_printerr("app-bench: the guest never became ready\n");
		return 1;
	}
	g_printerr("app-bench: frame 0 shown (%" G_GUINT64_FORMAT " texels uploaded)\n",
		   b->last_uploaded);
	/* the path VesselDisplay took (VESSEL_DISPLAY, GSK_RENDERER): app-bench.py checks it */
	printf("path %s renderer %s\n", vessel_display_uses_texture(b->display) ? "texture" : "gl",
	       G_OBJECT_TYPE_NAME(gtk_native_get_renderer(GTK_NATIVE(win))));
	for (int f = 1; f <= frames; f++)
		if (one_frame(b, f))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .drawn_frame = -1, .serial = -1 };
	int frames = argc > 2 ? atoi(argv[2]) : 5;
	int rc;

	if (argc < 2 || frames < 1 || frames > 255) {
		g_printerr("usage: app-bench GUEST [FRAMES (1-255)]\n");
		return 2;
	}
	gtk_init();
	vessel_ui_init();
	b.line = g_string_new(NULL);
	rc = run(&b, argv[1], frames);
	g_clear_pointer(&b.session, vessel_session_free);
	g_string_free(b.line, TRUE);
	return rc;
}
