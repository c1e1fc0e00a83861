// SPDX-License-Identifier: GPL-2.0-or-later
/* The app's VM session (app/session.c) against the real helper: framebuffer, damage, state,
 * power-off, and the banner message when the helper cannot start. Needs KVM. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm-skip.h"
#include "session.h"
#include "tap.h"
#include "vessel-file.h"

struct seen {
	GMainLoop *loop;
	const uint8_t *fb;
	unsigned w, h, stride, framebuffers, damage;
	char state[32];
	int status;
	char *message;
	gboolean exited;
};

static void on_state(void *o, const char *state)
{
	struct seen *s = o;

	g_strlcpy(s->state, state, sizeof(s->state));
}

static void on_fb(void *o, const uint8_t *px, unsigned w, unsigned h, unsigned stride)
{
	struct seen *s = o;

	s->fb = px;
	s->w = w;
	s->h = h;
	s->stride = stride;
	s->framebuffers++;
}

static void on_damage(void *o, const struct vessel_session_rect *r, unsigned n)
{
	((struct seen *)o)->damage += n;
}

static void on_exited(void *o, int status, const char *message)
{
	struct seen *s = o;

	s->status = status;
	s->message = g_strdup(message);
	s->exited = TRUE;
	g_main_loop_quit(s->loop);
}

static const struct vessel_session_callbacks cbs = { on_state, on_fb, on_damage, on_exited };

static gboolean quit_cb(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

/* Run the main loop until pred holds or seconds pass. */
static gboolean run_until(struct seen *s, gboolean (*pred)(struct seen *), double seconds)
{
	gint64 end = g_get_monotonic_time() + (gint64)(seconds * 1e6);

	while (!pred(s) && g_get_monotonic_time() < end) {
		guint id = g_timeout_add(20, quit_cb, s->loop);

		g_main_loop_run(s->loop);
		g_source_remove(id);
	}
	return pred(s);
}

/* What tests/spice/vbe-guest.c draws at 640x480. */
static unsigned mismatches(const struct seen *s)
{
	unsigned bad = 0;

	for (unsigned y = 0; y < s->h; y++) {
		const uint32_t *row = (const uint32_t *)(s->fb + (size_t)y * s->stride);

		for (unsigned x = 0; x < s->w; x++)
			bad += (row[x] & 0xffffff) != (((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffffu);
	}
	return bad;
}

static gboolean have_picture(struct seen *s)
{
	return s->fb && s->w == 640 && mismatches(s) == 0;
}

static gboolean is_running(struct seen *s)
{
	return !strcmp(s->state, "running");
}

static gboolean has_exited(struct seen *s)
{
	return s->exited;
}

static char *make_vm(const char *dir, const char *name)
{
	GError *error = NULL;
	struct vessel_file *vf = vessel_file_create(dir, name, 32ull << 20, 1, &error);
	char *path = vf ? g_strdup(vf->path) : NULL;

	if (!vf)
		diag("%s", error->message);
	vessel_file_free(vf);
	return path;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/vessel-session-XXXXXX";
	const char *dir = mkdtemp(tmpl);
	struct seen s = { .loop = g_main_loop_new(NULL, FALSE) };
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "vbe-guest.elf",
				"--timeout", "60", NULL };
	GError *error = NULL;
	struct vessel_session *sess;
	char *vm;

	kvm_skip_unless_usable();
	g_setenv("XDG_RUNTIME_DIR", dir, TRUE);
	vm = make_vm(dir, "Pattern");
	sess = vessel_session_start(vm, extra, &cbs, &s, &error);
	ok(sess != NULL, "the session starts the helper: %s", error ? error->message : "ok");
	if (!sess)
		return tap_done();
	ok(run_until(&s, is_running, 20), "the state goes to running (%s)", s.state);
	ok(run_until(&s, have_picture, 60), "the mapped framebuffer holds the guest's 640x480 "
	   "pattern (%ux%u, %u framebuffers)", s.w, s.h, s.framebuffers);
	ok(s.damage > 0, "damage rectangles arrived (%u)", s.damage);
	vessel_session_key(sess, 30, TRUE);
	vessel_session_key(sess, 30, FALSE);
	ok(vessel_vm1_call_power_off_sync(vessel_session_vm(sess), NULL, &error) ||
	   g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED), "PowerOff");
	g_clear_error(&error);
	ok(run_until(&s, has_exited, 20) && s.status == 0 && !s.message,
	   "the helper exits 0 and there is no error banner");
	vessel_session_free(sess);

	/* A helper that cannot run the VM: the banner names the cause and the next step. */
	g_autofree char *fake = g_build_filename(dir, "fake-helper", NULL);
	g_file_set_contents(fake, "#!/bin/sh\necho 'vessel-helper: cannot open /dev/kvm: "
			    "No such file or directory' >&2\nexit 65\n", -1, NULL);
	chmod(fake, 0755);
	g_setenv("VESSEL_HELPER", fake, TRUE);
	memset(&s, 0, sizeof(s));
	s.loop = g_main_loop_new(NULL, FALSE);
	sess = vessel_session_start(vm, NULL, &cbs, &s, &error);
	ok(sess && run_until(&s, has_exited, 20) && s.status == 65,
	   "a helper that finds no KVM exits 65");
	ok(s.message && strstr(s.message, "KVM is unavailable") &&
	   strstr(s.message, "virtualization check") && strstr(s.message, "/dev/kvm"),
	   "the banner says what happened, what to do, and the helper's last line");
	if (s.message)
		g_strdelimit(s.message, "\n", '|');
	diag("banner: %s", s.message ? s.message : "(none)");
	vessel_session_free(sess);
	g_free(s.message);
	g_free(vm);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd))
		diag("cleanup failed");
	return tap_done();
}
