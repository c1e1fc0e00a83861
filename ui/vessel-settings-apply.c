// SPDX-License-Identifier: GPL-2.0-or-later
// Settings fields from the .vessel file, and only the changed ones back onto it at save.
#include "vessel-settings-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB(x)	((double)((x) >> 20))

/* "disk.12" -> 12, or -1 if the group is not a drive group the parser accepts. */
static int disk_index(const char *group)
{
	const char *p = group + 5;
	size_t len;

	if (strncmp(group, "disk.", 5))
		return -1;
	len = strlen(p);
	if (!len || len > 3 || (p[0] == '0' && len > 1) || strspn(p, "0123456789") != len)
		return -1;
	return atoi(p);
}

static int disk_cmp(gconstpointer a, gconstpointer b)
{
	const struct settings_disk *x = *(void *const *)a, *y = *(void *const *)b;

	return disk_index(x->group) - disk_index(y->group);
}

static void fill_disks(VesselSettingsWindow *self)
{
	GKeyFile *kf = self->vf->kf;
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		struct settings_disk *d;

		if (disk_index(*g) < 0)
			continue;
		d = g_new0(struct settings_disk, 1);
		d->group = g_strdup(*g);
		d->file = g_key_file_get_string(kf, *g, "file", NULL);
		d->bus = g_key_file_get_string(kf, *g, "bus", NULL);
		g_ptr_array_add(self->disk_list, d);
	}
	g_ptr_array_sort(self->disk_list, disk_cmp);
	vessel_settings_refresh_disks(self);
	g_strfreev(self->opened_disks);
	self->opened_disks = g_new0(char *, self->disk_list->len + 1);
	for (guint i = 0; i < self->disk_list->len; i++)
		self->opened_disks[i] = g_strdup(((struct settings_disk *)
						  self->disk_list->pdata[i])->group);
}

static void set_entry(AdwEntryRow *row, GKeyFile *kf, const char *group, const char *key)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

	gtk_editable_set_text(GTK_EDITABLE(row), v ? v : "");
}

static char *entry_text(AdwEntryRow *row)
{
	const char *t = gtk_editable_get_text(GTK_EDITABLE(row));

	return t && *t ? g_strdup(t) : NULL;
}

static void read_form(VesselSettingsWindow *self, struct settings_form *f)
{
	f->memory = gtk_spin_button_get_value_as_int(self->memory);
	f->cpus = gtk_spin_button_get_value_as_int(self->cpus);
	f->vram = gtk_spin_button_get_value_as_int(self->vram);
	f->spice_port = gtk_spin_button_get_value_as_int(self->spice_port);
	f->balloon_min = gtk_spin_button_get_value_as_int(self->balloon_min);
	f->balloon_max = gtk_spin_button_get_value_as_int(self->balloon_max);
	f->cdrom = entry_text(self->cdrom);
	f->spice_password = entry_text(self->spice_password);
	f->spice = gtk_switch_get_active(self->spice);
	f->spice_tls = gtk_switch_get_active(self->spice_tls);
	f->balloon = gtk_switch_get_active(self->balloon);
	f->balloon_auto = gtk_switch_get_active(self->balloon_auto);
}

void vessel_settings_form_clear(struct settings_form *f)
{
	g_free(f->cdrom);
	g_free(f->spice_password);
	*f = (struct settings_form){ 0 };
}

void vessel_settings_fill(VesselSettingsWindow *self)
{
	const struct vessel_file *vf = self->vf;

	gtk_spin_button_set_value(self->memory, MIB(vf->memory));
	gtk_spin_button_set_value(self->cpus, vf->cpus);
	fill_disks(self);
	set_entry(self->cdrom, vf->kf, "cdrom", "file");
	gtk_spin_button_set_value(self->vram, MIB(vf->vram));
	gtk_switch_set_active(self->spice, vf->spice_listen || vf->spice_port);
	gtk_spin_button_set_value(self->spice_port, vf->spice_port ? vf->spice_port : 5900);
	set_entry(self->spice_password, vf->kf, "spice", "password-file");
	/* tls is not parsed yet; the key is kept and edited as written */
	gtk_switch_set_active(self->spice_tls, g_key_file_get_boolean(vf->kf, "spice", "tls",
								      NULL));
	gtk_switch_set_active(self->balloon, g_key_file_has_group(vf->kf, "balloon"));
	gtk_spin_button_set_value(self->balloon_min, MIB(vf->balloon_min));
	gtk_spin_button_set_value(self->balloon_max, MIB(vf->balloon_max));
	gtk_switch_set_active(self->balloon_auto, vf->balloon_auto);
	vessel_settings_form_clear(&self->opened);
	read_form(self, &self->opened);
}

/* Write key=value, or drop the key (and an emptied group) when value is NULL. */
static void put(GKeyFile *kf, const char *group, const char *key, const char *value)
{
	gsize n = 0;
	g_auto(GStrv) keys = NULL;

	if (value) {
		g_key_file_set_string(kf, group, key, value);
		return;
	}
	g_key_file_remove_key(kf, group, key, NULL);
	keys = g_key_file_get_keys(kf, group, &n, NULL);
	if (keys && !n)
		g_key_file_remove_group(kf, group, NULL);
}

static void put_mib(GKeyFile *kf, const char *group, const char *key, int mib)
{
	g_autofree char *s = mib > 0 ? g_strdup_printf("%dM", mib) : NULL;

	put(kf, group, key, s);
}

static gboolean in_strv(char **v, const char *s)
{
	return v && s && g_strv_contains((const char *const *)v, s);
}

static gboolean has_row(VesselSettingsWindow *self, const char *group)
{
	for (guint i = 0; i < self->disk_list->len; i++) {
		struct settings_disk *d = self->disk_list->pdata[i];

		if (d->group && !strcmp(d->group, group))
			return TRUE;
	}
	return FALSE;
}

/*
 * Drives against the file as it is now: a group the user removed goes, every other group
 * stays as the file has it (a snapshot may have pointed file= at a new overlay, another
 * tool may have added one), and added rows become new groups after the highest index.
 */
static void apply_disks(VesselSettingsWindow *self, GKeyFile *kf)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	int next = 0;

	for (char **g = groups; *g; g++) {
		if (disk_index(*g) < 0)
			continue;
		next = MAX(next, disk_index(*g) + 1);
		if (in_strv(self->opened_disks, *g) && !has_row(self, *g))
			g_key_file_remove_group(kf, *g, NULL);
	}
	for (guint i = 0; i < self->disk_list->len; i++) {
		struct settings_disk *d = self->disk_list->pdata[i];
		g_autofree char *group = NULL;

		if (d->group)
			continue;
		group = g_strdup_printf("disk.%d", next++);
		g_key_file_set_string(kf, group, "file", d->file);
		g_key_file_set_string(kf, group, "bus", d->bus);
	}
}

static void apply_spice(GKeyFile *kf, const struct settings_form *f,
			const struct settings_form *o)
{
	g_autofree char *listen = g_key_file_get_string(kf, "spice", "listen", NULL);
	g_autofree char *port = NULL;

	if (f->spice && (!o->spice || f->spice_port != o->spice_port)) {
		port = g_strdup_printf("%d", f->spice_port);
		/* loopback unless the file already says otherwise: sharing wider is a choice */
		put(kf, "spice", "listen", listen && *listen ? listen : "127.0.0.1");
		put(kf, "spice", "port", port);
	} else if (!f->spice && o->spice) {
		put(kf, "spice", "listen", NULL);
		put(kf, "spice", "port", NULL);
	}
	if (g_strcmp0(f->spice_password, o->spice_password))
		put(kf, "spice", "password-file", f->spice_password);
	if (f->spice_tls != o->spice_tls)
		put(kf, "spice", "tls", f->spice_tls ? "true" : NULL);
}

/*
 * The [balloon] group itself means "this VM has a balloon device", so the switch adds or
 * drops the group; auto is always written when it is turned on, which keeps the group.
 */
static void apply_balloon(GKeyFile *kf, const struct settings_form *f,
			  const struct settings_form *o)
{
	gboolean turned_on = f->balloon && !o->balloon;

	if (!f->balloon) {
		if (o->balloon)
			g_key_file_remove_group(kf, "balloon", NULL);
		return;
	}
	if (turned_on || f->balloon_auto != o->balloon_auto)
		g_key_file_set_boolean(kf, "balloon", "auto", f->balloon_auto);
	if (turned_on || f->balloon_min != o->balloon_min)
		put_mib(kf, "balloon", "min", f->balloon_min);
	if (turned_on || f->balloon_max != o->balloon_max)
		put_mib(kf, "balloon", "max", f->balloon_max);
}

/* The section showing a parser message: by the group it names first ("x: [spice] port: ..."). */
static const char *section_of(const char *msg)
{
	static const struct { const char *group, *section; } map[] = {
		{ "[vm]", "general" }, { "[disk", "drives" }, { "[cdrom]", "drives" },
		{ "[display]", "display" }, { "[spice]", "spice" }, { "[balloon]", "balloon" },
	};
	const char *p = strstr(msg, ": [");

	for (guint i = 0; p && i < G_N_ELEMENTS(map); i++)
		if (g_str_has_prefix(p + 2, map[i].group))
			return map[i].section;
	return "general";
}

/* The parser's message without the file name it starts with ("x.vessel: [vm] ..."). */
static const char *strip_file(const char *msg)
{
	const char *p = strstr(msg, ": [");

	return p ? p + 2 : msg;
}

/* Run the parser over the edited key file (a hidden temp file beside the real one). */
static int check(VesselSettingsWindow *self, GError **error)
{
	g_autofree char *tmp = g_build_filename(self->vf->dir, ".vessel-check-XXXXXX", NULL);
	g_autofree char *data = NULL;
	struct vessel_file *vf = NULL;
	gsize len;
	int fd, ret;

	data = g_key_file_to_data(self->vf->kf, &len, NULL);
	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		ret = -errno;
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot check the settings in %s: %s", self->vf->dir, g_strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return ret ? ret : -EIO;
	}
	close(fd);
	ret = vessel_file_load(tmp, &vf, error);
	unlink(tmp);
	vessel_file_free(vf);
	return ret;
}

/* Read the file again, whole (comments, unknown keys), as the base the changes go onto. */
static int reload(VesselSettingsWindow *self, GError **error)
{
	g_autoptr(GError) e = NULL;
	GKeyFile *kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, self->vf->path, G_KEY_FILE_KEEP_COMMENTS |
				       G_KEY_FILE_KEEP_TRANSLATIONS, &e)) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO,
			    "cannot read %s again before saving: %s", self->vf->path, e->message);
		g_key_file_free(kf);
		return -EIO;
	}
	g_key_file_free(self->vf->kf);
	self->vf->kf = kf;
	return 0;
}

static int apply_fields(VesselSettingsWindow *self, const struct settings_form *f,
			GError **error)
{
	const struct settings_form *o = &self->opened;
	GKeyFile *kf = self->vf->kf;
	int ret = 0;

	if (f->memory != o->memory)
		ret = vessel_file_set_memory(self->vf, (uint64_t)f->memory << 20, error);
	if (!ret && f->cpus != o->cpus)
		ret = vessel_file_set_cpus(self->vf, (unsigned)f->cpus, error);
	if (ret)
		return ret;
	apply_disks(self, kf);
	if (g_strcmp0(f->cdrom, o->cdrom))
		put(kf, "cdrom", "file", f->cdrom);
	if (f->vram != o->vram)
		put_mib(kf, "display", "vram", f->vram);
	apply_spice(kf, f, o);
	apply_balloon(kf, f, o);
	return 0;
}

int vessel_settings_apply(VesselSettingsWindow *self)
{
	g_autoptr(GError) error = NULL;
	struct settings_form f = { 0 };
	int ret;

	read_form(self, &f);
	ret = reload(self, &error);
	if (!ret)
		ret = apply_fields(self, &f, &error);
	if (!ret)
		ret = check(self, &error);
	if (!ret)
		ret = vessel_file_save(self->vf, &error);
	vessel_settings_form_clear(&f);
	if (ret) {
		vessel_settings_show_error(self, section_of(error->message),
					   strip_file(error->message));
		return ret;
	}
	vessel_settings_show_error(self, NULL, NULL);
	return 0;
}
