// SPDX-License-Identifier: GPL-2.0-or-later
// The settings window: fields from the file, the parser's refusals inline, unknown keys kept.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-settings-window.h"
#include "vessel-file.h"

#include <glib/gstdio.h>

#define EXTRA	"# my own note, keep me\n" \
		"[usb]\ntablet=true\n" \
		"[disk.0]\nfile=system.img\nx-vendor-hint=keep\n"

static GtkWidget *field(VesselSettingsWindow *w, const char *id)
{
	return GTK_WIDGET(gtk_widget_get_template_child(GTK_WIDGET(w),
							VESSEL_TYPE_SETTINGS_WINDOW, id));
}

static void set_spin(VesselSettingsWindow *w, const char *id, double v)
{
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(field(w, id)), v);
}

static void set_text(VesselSettingsWindow *w, const char *id, const char *v)
{
	gtk_editable_set_text(GTK_EDITABLE(field(w, id)), v);
}

static void set_switch(VesselSettingsWindow *w, const char *id, gboolean v)
{
	gtk_switch_set_active(GTK_SWITCH(field(w, id)), v);
}

static char *contents(const char *path)
{
	char *data = NULL;

	g_file_get_contents(path, &data, NULL, NULL);
	return data;
}

static void on_saved(VesselSettingsWindow *w, int *n)
{
	(*n)++;
}

/* A VM with a disk, a comment, an unknown group and an unknown key in a known group. */
static char *make_vm(const char *tmp)
{
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf = vessel_file_create(tmp, "Settings VM", 256ull << 20, 1, &error);
	g_autofree char *disk = NULL, *text = NULL, *more = NULL;
	char *path;

	if (!vf)
		return NULL;
	disk = g_build_filename(vf->dir, "system.img", NULL);
	g_file_set_contents(disk, "", -1, NULL);
	text = contents(vf->path);
	more = g_strconcat(text, "future-key=42\n", EXTRA, NULL);	/* future-key in [vm] */
	g_file_set_contents(vf->path, more, -1, NULL);
	path = g_strdup(vf->path);
	vessel_file_free(vf);
	return path;
}

static void test_refusals(VesselSettingsWindow *w, const char *path, const int *saved)
{
	g_autofree char *before = contents(path), *after = NULL;

	set_spin(w, "vram", 3);
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	ok(vessel_settings_window_get_error(w, "display") &&
	   strstr(vessel_settings_window_get_error(w, "display"), "vram") &&
	   !vessel_settings_window_get_error(w, "general"),
	   "vram 3M refused under Display: %s", vessel_settings_window_get_error(w, "display"));
	app_test_screenshot(GTK_WIDGET(w), "settings-error");
	set_spin(w, "vram", 16);

	set_switch(w, "balloon", TRUE);
	set_spin(w, "balloon_max", 4096);
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	ok(vessel_settings_window_get_error(w, "balloon") &&
	   !vessel_settings_window_get_error(w, "display"),
	   "balloon max above memory refused under Memory Balloon: %s",
	   vessel_settings_window_get_error(w, "balloon"));
	set_spin(w, "balloon_max", 0);
	set_switch(w, "balloon", FALSE);

	set_text(w, "cdrom", "/nonexistent/os.iso");
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	ok(vessel_settings_window_get_error(w, "drives") != NULL,
	   "a missing CD-ROM image refused under Drives: %s",
	   vessel_settings_window_get_error(w, "drives"));
	set_text(w, "cdrom", "");

	after = contents(path);
	ok(!strcmp(before, after) && *saved == 0, "refused settings leave the file untouched");
}

static void test_save(VesselSettingsWindow *w, const char *path, const char *dir, int *saved)
{
	g_autofree char *disk2 = g_build_filename(dir, "data.img", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf = NULL;

	g_file_set_contents(disk2, "", -1, NULL);
	set_spin(w, "memory", 512);
	set_spin(w, "cpus", 2);
	vessel_settings_window_add_disk(w, disk2);
	set_spin(w, "vram", 16);
	set_switch(w, "spice", TRUE);
	set_spin(w, "spice_port", 5930);
	set_text(w, "spice_password", "spice.secret");
	set_switch(w, "spice_tls", TRUE);
	ok(!gtk_switch_get_active(GTK_SWITCH(field(w, "balloon"))),
	   "no [balloon] group: the balloon device switch starts off");
	set_switch(w, "balloon", TRUE);
	set_spin(w, "balloon_min", 128);
	set_spin(w, "balloon_max", 512);
	set_switch(w, "balloon_auto", TRUE);
	app_test_screenshot(GTK_WIDGET(w), "settings");
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	is_int(*saved, 1, "settings.save writes and emits saved");
	ok(vessel_file_load(path, &vf, &error) == 0, "the saved file loads");
	if (!vf)
		return;
	ok(vf->memory == 512ull << 20 && vf->cpus == 2 && vf->vram == 16ull << 20,
	   "memory, CPUs and VRAM saved");
	ok(vf->ndisks == 2 && !strcmp(vf->disks[0].file, "system.img") &&
	   !strcmp(vf->disks[1].path, disk2), "the added disk follows the first");
	ok(vf->spice_port == 5930 && !g_strcmp0(vf->spice_listen, "127.0.0.1") &&
	   g_str_has_suffix(vf->spice_password_file, "/spice.secret"),
	   "SPICE on: loopback, the port and the password file");
	ok(g_key_file_get_boolean(vf->kf, "spice", "tls", NULL), "TLS kept as [spice] tls");
	ok(vf->balloon_min == 128ull << 20 && vf->balloon_max == 512ull << 20 && vf->balloon_auto,
	   "balloon bounds and auto saved");
	vessel_file_free(vf);
	text = contents(path);
	ok(strstr(text, "future-key=42") && strstr(text, "[usb]\ntablet=true") &&
	   strstr(text, "x-vendor-hint=keep") && strstr(text, "# my own note, keep me"),
	   "unknown keys, groups and comments survive the dialog");
}

static void test_remove(const char *path)
{
	VesselSettingsWindow *w = vessel_settings_window_new(NULL, path);
	g_autofree char *text = NULL;
	struct vessel_file *vf = NULL;

	is_int(vessel_settings_window_get_n_disks(w), 2, "a new window lists both disks");
	vessel_settings_window_remove_disk(w, 0);
	vessel_settings_window_remove_disk(w, 7);	/* out of range: ignored */
	set_switch(w, "spice", FALSE);
	ok(gtk_switch_get_active(GTK_SWITCH(field(w, "balloon"))),
	   "a [balloon] group: the switch starts on");
	set_switch(w, "balloon", FALSE);
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	text = contents(path);
	ok(!strstr(text, "[balloon]"), "balloon device off: the [balloon] group is gone");
	ok(!strstr(text, "[disk.0]") && strstr(text, "[disk.1]") && !strstr(text, "x-vendor-hint"),
	   "removing the first disk drops its group only");
	ok(vessel_file_load(path, &vf, NULL) == 0 && vf->ndisks == 1 && !vf->spice_port &&
	   !vf->spice_listen && vf->spice_password_file, "SPICE off drops listen and port only");
	vessel_file_free(vf);
}

/* Replace the first "from" in path's text with "to" (as another writer of the file would). */
static gboolean rewrite(const char *path, const char *from, const char *to)
{
	g_autofree char *text = contents(path);
	g_autofree char *out = NULL;
	char *at = text ? strstr(text, from) : NULL;

	if (!at)
		return FALSE;
	*at = 0;
	out = g_strconcat(text, to, at + strlen(from), NULL);
	return g_file_set_contents(path, out, -1, NULL);
}

/*
 * A snapshot rewrites [disk.0] file= (and something else changes memory) while the dialog is
 * open; saving must keep both and land only what the user edited.
 */
static void test_changed_on_disk(const char *tmp)
{
	g_autofree char *sub = g_build_filename(tmp, "concurrent", NULL);
	g_autofree char *path = NULL, *dir = NULL, *overlay = NULL, *text = NULL;
	struct vessel_file *vf = NULL;
	VesselSettingsWindow *w;
	int saved = 0;

	g_mkdir_with_parents(sub, 0755);
	path = make_vm(sub);
	dir = g_path_get_dirname(path);
	overlay = g_build_filename(dir, "system.snap-1.qcow2", NULL);
	w = vessel_settings_window_new(NULL, path);
	g_signal_connect(w, "saved", G_CALLBACK(on_saved), &saved);
	app_test_show(GTK_WINDOW(w), 560, 900);
	set_spin(w, "cpus", 3);
	set_spin(w, "vram", 32);

	g_file_set_contents(overlay, "", -1, NULL);
	ok(rewrite(path, "file=system.img", "file=system.snap-1.qcow2") &&
	   rewrite(path, "memory=256M", "memory=384M") &&
	   rewrite(path, "[usb]", "[snapshot]\ncurrent=snap-1\n\n[usb]"),
	   "meanwhile the file changes on disk: new disk overlay, memory, a new group");
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	is_int(saved, 1, "the dialog saves");
	ok(vessel_file_load(path, &vf, NULL) == 0, "the result loads");
	if (!vf)
		return;
	ok(vf->ndisks == 1 && !strcmp(vf->disks[0].file, "system.snap-1.qcow2"),
	   "the snapshot's disk path survives (not the stale one from opening): %s",
	   vf->ndisks ? vf->disks[0].file : "none");
	ok(vf->memory == 384ull << 20, "a field the user did not touch keeps the on-disk value");
	ok(vf->cpus == 3 && vf->vram == 32ull << 20, "the user's edits land");
	vessel_file_free(vf);
	text = contents(path);
	ok(text && strstr(text, "[snapshot]\ncurrent=snap-1") && strstr(text, "x-vendor-hint=keep") &&
	   strstr(text, "future-key=42") && strstr(text, "# my own note, keep me"),
	   "keys added on disk and unknown keys are kept");
}

int main(void)
{
	g_autofree char *tmp = NULL, *path = NULL, *dir = NULL, *broken = NULL;
	VesselSettingsWindow *w;
	int saved = 0;

	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	path = make_vm(tmp);
	ok(path != NULL, "a VM with extra keys");
	dir = g_path_get_dirname(path);
	w = vessel_settings_window_new(NULL, path);
	g_signal_connect(w, "saved", G_CALLBACK(on_saved), &saved);
	app_test_show(GTK_WINDOW(w), 560, 900);
	ok(gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(field(w, "memory"))) == 256 &&
	   gtk_spin_button_get_value_as_int(GTK_SPIN_BUTTON(field(w, "cpus"))) == 1 &&
	   vessel_settings_window_get_n_disks(w) == 1, "fields start from the file");
	test_refusals(w, path, &saved);
	test_save(w, path, dir, &saved);
	test_remove(path);
	test_changed_on_disk(tmp);

	broken = g_build_filename(tmp, "broken.vessel", NULL);
	g_file_set_contents(broken, "[vm]\nname=x\n", -1, NULL);
	saved = 0;
	w = vessel_settings_window_new(NULL, broken);
	g_signal_connect(w, "saved", G_CALLBACK(on_saved), &saved);
	gtk_widget_activate_action(GTK_WIDGET(w), "settings.save", NULL);
	g_free(path);
	path = contents(broken);
	ok(vessel_settings_window_get_error(w, "general") && saved == 0 &&
	   !strcmp(path, "[vm]\nname=x\n"),
	   "a file that does not load: the reason shows, saving is off (%s)",
	   vessel_settings_window_get_error(w, "general"));
	app_test_rmtree(tmp);
	return tap_done();
}
