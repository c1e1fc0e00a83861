// SPDX-License-Identifier: GPL-2.0-or-later
// The VM window: its display page, the Send keys menu's actions and the 1:1 switch.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-file.h"
#include "vessel-send-keys.h"
#include "vessel-vm-window.h"

#include <sys/mman.h>
#include <unistd.h>

struct keys {
	guint code[16];
	gboolean down[16];
	guint n;
};

static void on_key(VesselDisplay *d, guint code, gboolean down, struct keys *k)
{
	if (k->n < G_N_ELEMENTS(k->code)) {
		k->code[k->n] = code;
		k->down[k->n++] = down;
	}
}

/* k holds exactly codes pressed in order, then released in reverse. */
static gboolean typed(const struct keys *k, const guint *codes, guint n)
{
	if (k->n != 2 * n)
		return FALSE;
	for (guint i = 0; i < n; i++) {
		if (k->code[i] != codes[i] || !k->down[i] || k->code[2 * n - 1 - i] != codes[i] ||
		    k->down[2 * n - 1 - i])
			return FALSE;
	}
	return TRUE;
}

static void send(VesselVmWindow *w, struct keys *k, const char *name)
{
	k->n = 0;
	gtk_widget_activate_action(GTK_WIDGET(w), "vm.send-keys", "s", name);
}

static void test_send_keys(VesselVmWindow *w, struct keys *k)
{
	static const struct { const char *name; guint codes[3], n; } cases[] = {
		{ "ctrl-alt-del", { 29, 56, 111 }, 3 },
		{ "ctrl-alt-backspace", { 29, 56, 14 }, 3 },
		{ "ctrl-alt-f1", { 29, 56, 59 }, 3 },
		{ "ctrl-alt-f10", { 29, 56, 68 }, 3 },
		{ "ctrl-alt-f11", { 29, 56, 87 }, 3 },
		{ "ctrl-alt-f12", { 29, 56, 88 }, 3 },
		{ "print", { 99 }, 1 },
	};
	static const char *const bad[] = { "ctrl-alt-f13", "ctrl-alt-f0", "ctrl-alt-f01",
					   "ctrl-alt-f1x", "ctrl-alt-", "bogus", "" };

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		send(w, k, cases[i].name);
		ok(typed(k, cases[i].codes, cases[i].n),
		   "vm.send-keys %s: pressed in order, released in reverse", cases[i].name);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		send(w, k, bad[i]);
		is_int(k->n, 0, "vm.send-keys '%s' sends nothing", bad[i]);
	}
}

int main(void)
{
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf;
	struct keys k = { 0 };
	VesselVmWindow *w;
	VesselDisplay *d;
	uint32_t *px;
	int fd;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	vf = vessel_file_create(tmp, "Window VM", 256ull << 20, 1, &error);
	ok(vf != NULL, "a VM");
	w = vessel_vm_window_new(NULL, vf->path);
	d = vessel_vm_window_get_display(w);
	g_signal_connect(d, "key-event", G_CALLBACK(on_key), &k);
	send(w, &k, "ctrl-alt-del");
	is_int(k.n, 0, "before the display is shown, send-keys is off");

	/* a 640x480 gradient, as a guest's framebuffer would arrive over the control API */
	fd = memfd_create("fb", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ok(ftruncate(fd, 640 * 480 * 4) == 0, "framebuffer memfd");
	px = mmap(NULL, 640 * 480 * 4, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	for (int y = 0; y < 480; y++)
		for (int x = 0; x < 640; x++)
			px[y * 640 + x] = (uint32_t)(x * 255 / 639) << 16 |
					  (uint32_t)(y * 255 / 479) << 8 | 0x60;
	ok(vessel_display_set_framebuffer(d, fd, 640, 480, 640 * 4, VESSEL_FOURCC_XRGB8888,
					  &error), "the window's display takes the framebuffer");
	vessel_vm_window_show_display(w);
	app_test_show(GTK_WINDOW(w), 900, 700);
	ok(gtk_widget_get_mapped(GTK_WIDGET(d)) && vessel_display_get_draw_count(d) > 0,
	   "the display page is shown and drawn");
	app_test_screenshot(GTK_WIDGET(w), "vm-window-display");

	test_send_keys(w, &k);

	gtk_widget_activate_action(GTK_WIDGET(w), "vm.one-to-one", NULL);
	ok(vessel_display_get_one_to_one(d), "vm.one-to-one switches to actual size");
	gtk_widget_activate_action(GTK_WIDGET(w), "vm.one-to-one", NULL);
	ok(!vessel_display_get_one_to_one(d), "and back to fit");
	/* vm.fullscreen is not checked: bare Xvfb has no window manager to grant it */

	gtk_window_destroy(GTK_WINDOW(w));
	munmap(px, 640 * 480 * 4);
	close(fd);
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
