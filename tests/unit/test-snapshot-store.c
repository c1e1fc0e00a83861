// SPDX-License-Identifier: GPL-2.0-or-later
/* The snapshot tree on disk: ids, parents, current node, deleting, damaged folders. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>

#include "snapshot-store.h"
#include "tap.h"

static const struct snap_meta *get(const struct snap_meta *l, unsigned n, const char *id)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(l[i].id, id))
			return &l[i];
	return NULL;
}

static char *take(const char *vm, const char *name)
{
	GError *error = NULL;
	char *id = NULL;
	char *dir = snap_begin(vm, name, "about it", &id, &error);

	ok(dir != NULL, "begin '%s': %s", name, error ? error->message : "ok");
	g_free(dir);
	g_clear_error(&error);
	return id;
}

int main(void)
{
	char tmpl[] = "/tmp/vessel-snapstore-XXXXXX";
	const char *vm = mkdtemp(tmpl);
	GError *error = NULL;
	struct snap_meta *l;
	unsigned n;
	char *a, *b, *c, *d, *e;

	l = snap_list(vm, &n);
	ok(n == 0, "a new VM has no snapshots");
	snap_list_free(l, n);

	a = take(vm, "fresh install");
	ok(a && !strcmp(a, "1"), "the first id is 1");
	l = snap_list(vm, &n);
	ok(n == 1 && !l[0].complete && !l[0].current && !l[0].parent[0],
	   "before commit: incomplete, not current, a root");
	snap_list_free(l, n);
	ok(!snap_restorable_dir(vm, a, &error) && strstr(error->message, "incomplete"),
	   "an incomplete snapshot is refused: %s", error ? error->message : "");
	g_clear_error(&error);
	ok(snap_commit(vm, a, NULL) == 0, "commit 1");
	b = take(vm, "with updates");
	snap_commit(vm, b, NULL);
	ok(snap_set_current(vm, a, NULL) == 0, "restore to 1 makes it current");
	c = take(vm, "other branch");
	snap_commit(vm, c, NULL);
	d = take(vm, "interrupted");		/* never committed: a save that died */

	l = snap_list(vm, &n);
	ok(n == 4, "four snapshots");
	ok(!strcmp(get(l, n, b)->parent, "1") && !strcmp(get(l, n, c)->parent, "1"),
	   "2 and 3 are both children of 1 (a tree)");
	ok(get(l, n, c)->current && !get(l, n, d)->complete, "3 is current, 4 incomplete");
	ok(!strcmp(get(l, n, d)->parent, "3"), "4's parent is the current node at its start");
	ok(!strcmp(get(l, n, a)->description, "about it") && get(l, n, a)->created > 1.6e9,
	   "name, description and time kept");
	snap_list_free(l, n);

	char *dir = snap_restorable_dir(vm, b, &error);
	ok(dir && g_str_has_suffix(dir, "/snapshots/2"), "2 is restorable at snapshots/2");
	g_free(dir);

	ok(snap_delete(vm, a, &error) == 0, "delete 1 (it has children)");
	l = snap_list(vm, &n);
	ok(n == 3 && !get(l, n, a) && !get(l, n, b)->parent[0] && !get(l, n, c)->parent[0],
	   "its children become roots, and keep their data");
	snap_list_free(l, n);
	ok(snap_delete(vm, c, NULL) == 0, "delete the current node");
	l = snap_list(vm, &n);
	ok(n == 2 && !strcmp(get(l, n, d)->parent, "") && !get(l, n, b)->current,
	   "4 is reparented; no node is current (3 had no parent)");
	snap_list_free(l, n);

	ok(snap_delete(vm, "1", &error) == -2 && strstr(error->message, "no snapshot '1'"),
	   "deleting a missing id says so");
	g_clear_error(&error);
	ok(snap_delete(vm, "../..", &error) < 0, "an id that is a path is refused");
	g_clear_error(&error);

	/* Hostile folder contents: junk names ignored, a junk meta.conf is "broken". */
	g_autofree char *junk = g_build_filename(vm, "snapshots", "007", NULL);
	g_autofree char *bad = g_build_filename(vm, "snapshots", "9", NULL);
	g_autofree char *badmeta = g_build_filename(bad, "meta.conf", NULL);
	g_mkdir_with_parents(junk, 0755);
	g_mkdir_with_parents(bad, 0755);
	g_file_set_contents(badmeta, "[snapshot]\nname=x\ncreated=soon\nparent=../1\n", -1, NULL);
	l = snap_list(vm, &n);
	ok(n == 3 && get(l, n, "9") && get(l, n, "9")->broken, "007 is ignored, 9 is broken");
	snap_list_free(l, n);
	ok(!snap_restorable_dir(vm, "9", &error) && strstr(error->message, "damaged"),
	   "a broken snapshot is refused: %s", error ? error->message : "");
	g_clear_error(&error);
	e = take(vm, "next");
	ok(e && !strcmp(e, "10"), "ids keep growing past every folder (10)");
	ok(snap_delete(vm, "9", NULL) == 0, "a broken snapshot can be deleted");

	g_free(a);
	g_free(b);
	g_free(c);
	g_free(d);
	g_free(e);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", vm);
	if (system(cmd))
		ok(0, "cleanup");
	return tap_done();
}
