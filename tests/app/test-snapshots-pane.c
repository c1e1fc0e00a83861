// SPDX-License-Identifier: GPL-2.0-or-later
// VesselSnapshotsPane against a real helper: take (with progress), list, restore, delete.
#include "../unit/tap.h"
#include "app-test.h"
#include "pane-session.h"
#include "snapshot-store.h"
#include "vessel-file.h"
#include "vessel-snapshots-pane.h"

struct seen {
	unsigned progress, errors;
	double last_fraction;
	char *restore_id, *restore_dir;
};

static void on_progress(VesselVM1 *vm, const char *id, double fraction, struct seen *s)
{
	s->progress++;
	s->last_fraction = fraction;
}

static void on_restore(GtkWidget *p, const char *id, const char *dir, struct seen *s)
{
	g_free(s->restore_id);
	g_free(s->restore_dir);
	s->restore_id = g_strdup(id);
	s->restore_dir = g_strdup(dir);
}

static void on_error(GtkWidget *p, const char *message, struct seen *s)
{
	diag("error signal: %s", message);
	s->errors++;
}

static gboolean idle(gpointer pane)
{
	return !vessel_snapshots_pane_get_saving(pane);
}

/* snapshots.take through its dialog, as a person would fill it in. */
static gboolean take(VesselSnapshotsPane *p, const char *name, const char *description)
{
	AdwMessageDialog *d;
	GtkWidget *box, *row;

	gtk_widget_activate_action(GTK_WIDGET(p), "snapshots.take", NULL);
	d = pane_test_find_dialog(3000);
	if (!d)
		return FALSE;
	box = adw_message_dialog_get_extra_child(d);
	row = box ? gtk_widget_get_first_child(box) : NULL;
	if (!row || !GTK_IS_EDITABLE(row) || !GTK_IS_EDITABLE(gtk_widget_get_next_sibling(row)))
		return FALSE;
	gtk_editable_set_text(GTK_EDITABLE(row), "");
	ok(!adw_message_dialog_get_response_enabled(d, "take"), "an empty name cannot be taken");
	gtk_editable_set_text(GTK_EDITABLE(row), name);
	gtk_editable_set_text(GTK_EDITABLE(gtk_widget_get_next_sibling(row)), description);
	app_test_screenshot(GTK_WIDGET(d), "snapshots-take-dialog");
	adw_message_dialog_response(d, "take");
	gtk_window_destroy(GTK_WINDOW(d));
	ok(vessel_snapshots_pane_get_saving(p), "taking: the pane shows the save under way");
	return app_test_wait_for(idle, p, 90000);
}

/* Activate a confirmed action on snapshot id and answer the dialog with response. */
static gboolean confirm(VesselSnapshotsPane *p, const char *action, const char *id,
			const char *response)
{
	AdwMessageDialog *d;

	gtk_widget_activate_action(GTK_WIDGET(p), action, "s", id);
	d = pane_test_find_dialog(3000);
	if (!d)
		return FALSE;
	adw_message_dialog_response(d, response);
	gtk_window_destroy(GTK_WINDOW(d));
	app_test_wait(100);
	return TRUE;
}

static void test_take(VesselSnapshotsPane *p, const char *vmdir, struct seen *s)
{
	struct snap_meta *list;
	unsigned n = 0;

	ok(take(p, "First", "the pattern"), "snapshots.take: SaveSnapshot finished");
	ok(s->progress > 0 && s->last_fraction == 1.0, "SnapshotProgress arrived (%u, last %.2f)",
	   s->progress, s->last_fraction);
	list = snap_list(vmdir, &n);
	ok(n == 1 && !strcmp(list[0].id, "1") && list[0].complete && list[0].current &&
	   !strcmp(list[0].name, "First") && !strcmp(list[0].description, "the pattern"),
	   "snapshots/1 is complete and current, with the name and description given");
	g_autofree char *png = n ? g_build_filename(list[0].dir, "screenshot.png", NULL) : NULL;
	ok(png && g_file_test(png, G_FILE_TEST_IS_REGULAR), "it has a thumbnail");
	snap_list_free(list, n);
	ok(vessel_snapshots_pane_get_n_rows(p) == 1 &&
	   !g_strcmp0(vessel_snapshots_pane_get_row_id(p, 0), "1"), "the tree shows it");
	ok(take(p, "Second", ""), "a second snapshot");
	ok(vessel_snapshots_pane_get_n_rows(p) == 2 &&
	   !g_strcmp0(vessel_snapshots_pane_get_row_id(p, 1), "2"), "the tree shows both");
}

static void test_restore_delete(VesselSnapshotsPane *p, const char *vmdir, struct seen *s)
{
	g_autofree char *want = g_build_filename(vmdir, "snapshots", "1", NULL);
	g_autofree char *two = g_build_filename(vmdir, "snapshots", "2", NULL);
	g_autofree char *broken_id = NULL;
	g_autofree char *dir = snap_begin(vmdir, "Cut short", "", &broken_id, NULL);
	guint errors = s->errors;

	ok(confirm(p, "snapshots.restore", "1", "cancel") && !s->restore_id,
	   "restore asks first; Cancel emits nothing");
	ok(confirm(p, "snapshots.restore", "1", "restore") && !g_strcmp0(s->restore_id, "1") &&
	   !g_strcmp0(s->restore_dir, want),
	   "Restore emits restore-requested(1, %s)", s->restore_dir ? s->restore_dir : "-");
	vessel_snapshots_pane_refresh(p);
	ok(vessel_snapshots_pane_get_n_rows(p) == 3, "an interrupted save is listed too");
	g_clear_pointer(&s->restore_id, g_free);
	gtk_widget_activate_action(GTK_WIDGET(p), "snapshots.restore", "s", broken_id);
	ok(!pane_test_find_dialog(300) && !s->restore_id && s->errors == errors + 1,
	   "an incomplete snapshot is not restored: an error, no dialog");
	app_test_screenshot(GTK_WIDGET(p), "snapshots-pane");
	ok(confirm(p, "snapshots.delete", "2", "delete") && !g_file_test(two, G_FILE_TEST_EXISTS),
	   "delete asks, then snapshots/2 is gone");
	ok(vessel_snapshots_pane_get_n_rows(p) == 2, "and the tree no longer shows it");
	ok(dir != NULL, "(the interrupted save was made)");
}

static void put_meta(const char *vmdir, const char *id, const char *text)
{
	g_autofree char *dir = g_build_filename(vmdir, "snapshots", id, NULL);
	g_autofree char *meta = g_build_filename(dir, "meta.conf", NULL);

	g_mkdir_with_parents(dir, 0755);
	g_file_set_contents(meta, text, -1, NULL);
}

/* A folder's parent links are untrusted: a cycle and a damaged meta.conf still list, once. */
static void test_hostile_folder(const char *tmp)
{
	g_autofree char *vmdir = g_build_filename(tmp, "hostile", NULL);
	VesselSnapshotsPane *p;
	gboolean seen[3] = { FALSE };

	put_meta(vmdir, "7", "[snapshot]\nname=A\nparent=8\ncreated=1\ncomplete=true\n");
	put_meta(vmdir, "8", "[snapshot]\nname=B\nparent=7\ncreated=2\ncomplete=true\n");
	put_meta(vmdir, "9", "not a key file\n\x01\xff");
	put_meta(vmdir, "10", "[snapshot]\nname=C\nparent=10\ncreated=3\ncomplete=true\n");
	p = VESSEL_SNAPSHOTS_PANE(g_object_ref_sink(vessel_snapshots_pane_new(vmdir)));
	for (guint i = 0; i < vessel_snapshots_pane_get_n_rows(p); i++) {
		const char *id = vessel_snapshots_pane_get_row_id(p, i);

		if (!g_strcmp0(id, "7") || !g_strcmp0(id, "8"))
			seen[0] = TRUE;
		seen[1] |= !g_strcmp0(id, "9");
		seen[2] |= !g_strcmp0(id, "10");
	}
	ok(vessel_snapshots_pane_get_n_rows(p) == 4 && seen[0] && seen[1] && seen[2],
	   "a parent cycle, a self-parent and a damaged meta.conf: each listed once (%u rows)",
	   vessel_snapshots_pane_get_n_rows(p));
	g_object_unref(p);
}

int main(int argc, char **argv)
{
	const char *extra[] = { "--multiboot", argc > 1 ? argv[1] : "vbe-guest.elf",
				"--timeout", "180", NULL };
	g_autofree char *tmp = NULL;
	g_autoptr(GError) error = NULL;
	struct pane_session ps;
	struct seen s = { 0 };
	struct vessel_file *vf;
	VesselSnapshotsPane *p;

	pane_session_require_kvm();
	if (!app_test_init())
		skip_all("no display (run under xvfb-run)");
	tmp = app_test_tmpdir();
	g_setenv("XDG_RUNTIME_DIR", tmp, TRUE);
	vf = vessel_file_create(tmp, "Snap VM", 32ull << 20, 1, &error);
	if (!vf)
		skip_all("no VM folder: %s", error->message);
	test_hostile_folder(tmp);
	p = VESSEL_SNAPSHOTS_PANE(vessel_snapshots_pane_new(vf->dir));
	g_signal_connect(p, "restore-requested", G_CALLBACK(on_restore), &s);
	g_signal_connect(p, "error", G_CALLBACK(on_error), &s);
	pane_test_window(GTK_WIDGET(p), 640, 480);
	is_int(vessel_snapshots_pane_get_n_rows(p), 0, "a new VM has no snapshots");
	app_test_screenshot(GTK_WIDGET(p), "snapshots-pane-empty");
	if (!pane_session_start(&ps, vf->path, extra, 30000)) {
		ok(0, "the VM runs");
		return tap_done();
	}
	g_signal_connect(vessel_session_vm(ps.s), "snapshot-progress", G_CALLBACK(on_progress),
			 &s);
	vessel_snapshots_pane_set_vm(p, vessel_session_vm(ps.s));
	app_test_wait(2000);	/* the guest draws its pattern: the thumbnail shows it */
	test_take(p, vf->dir, &s);
	is_int(s.errors, 0, "no error while taking");
	test_restore_delete(p, vf->dir, &s);
	vessel_snapshots_pane_set_vm(p, NULL);
	pane_session_stop(&ps);
	gtk_window_destroy(GTK_WINDOW(gtk_widget_get_root(GTK_WIDGET(p))));
	vessel_file_free(vf);
	app_test_rmtree(tmp);
	return tap_done();
}
