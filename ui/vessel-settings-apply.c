// SPDX-License-Identifier: GPL-2.0-or-later
// Settings fields from and to the .vessel key file; the project's parser does the checking.
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
}

static void set_entry(AdwEntryRow *row, GKeyFile *kf, const char *group, const char *key)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

	gtk_editable_set_text(GTK_EDITABLE(row), v ? v : "");
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

static void put_mib(GKeyFile *kf, const char *group, const char *key, GtkSpinButton *spin)
{
	int v = gtk_spin_button_get_value_as_int(spin);
	g_autofree char *s = v > 0 ? g_strdup_printf("%dM", v) : NULL;

	put(kf, group, key, s);
}

static const char *nonempty(AdwEntryRow *row)
{
	const char *t = gtk_editable_get_text(GTK_EDITABLE(row));

	return t && *t ? t : NULL;
}

static void apply_disks(VesselSettingsWindow *self)
{
	GKeyFile *kf = self->vf->kf;
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	int next = 0;

	/* groups whose row was removed go; the others keep their keys, unknown ones too */
	for (char **g = groups; *g; g++) {
		gboolean kept = FALSE;

		if (disk_index(*g) < 0)
			continue;
		next = MAX(next, disk_index(*g) + 1);
		for (guint i = 0; i < self->disk_list->len; i++) {
			struct settings_disk *d = self->disk_list->pdata[i];

			kept |= d->group && !strcmp(d->group, *g);
		}
		if (!kept)
			g_key_file_remove_group(kf, *g, NULL);
	}
	for (guint i = 0; i < self->disk_list->len; i++) {
		struct settings_disk *d = self->disk_list->pdata[i];

		if (d->group)
			continue;
		d->group = g_strdup_printf("disk.%d", next++);
		g_key_file_set_string(kf, d->group, "file", d->file);
		g_key_file_set_string(kf, d->group, "bus", d->bus);
	}
}

static void apply_spice(VesselSettingsWindow *self)
{
	GKeyFile *kf = self->vf->kf;
	g_autofree char *listen = g_key_file_get_string(kf, "spice", "listen", NULL);
	g_autofree char *port = NULL;

	if (gtk_switch_get_active(self->spice)) {
		port = g_strdup_printf("%d", gtk_spin_button_get_value_as_int(self->spice_port));
		/* loopback unless the file already says otherwise: sharing wider is a choice */
		put(kf, "spice", "listen", listen && *listen ? listen : "127.0.0.1");
		put(kf, "spice", "port", port);
	} else {
		put(kf, "spice", "listen", NULL);
		put(kf, "spice", "port", NULL);
	}
	put(kf, "spice", "password-file", nonempty(self->spice_password));
	put(kf, "spice", "tls", gtk_switch_get_active(self->spice_tls) ? "true" : NULL);
}

/*
 * The [balloon] group itself means "this VM has a balloon device", so the switch adds or
 * drops the group; auto is always written while it is on, which keeps the group present.
 */
static void apply_balloon(VesselSettingsWindow *self)
{
	GKeyFile *kf = self->vf->kf;

	if (!gtk_switch_get_active(self->balloon)) {
		g_key_file_remove_group(kf, "balloon", NULL);
		return;
	}
	g_key_file_set_boolean(kf, "balloon", "auto", gtk_switch_get_active(self->balloon_auto));
	put_mib(kf, "balloon", "min", self->balloon_min);
	put_mib(kf, "balloon", "max", self->balloon_max);
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

static int apply_fields(VesselSettingsWindow *self, GError **error)
{
	GKeyFile *kf = self->vf->kf;
	int ret;

	ret = vessel_file_set_memory(self->vf,
		(uint64_t)gtk_spin_button_get_value_as_int(self->memory) << 20, error);
	if (!ret)
		ret = vessel_file_set_cpus(self->vf,
			(unsigned)gtk_spin_button_get_value_as_int(self->cpus), error);
	if (ret)
		return ret;
	apply_disks(self);
	put(kf, "cdrom", "file", nonempty(self->cdrom));
	put_mib(kf, "display", "vram", self->vram);
	apply_spice(self);
	apply_balloon(self);
	return 0;
}

int vessel_settings_apply(VesselSettingsWindow *self)
{
	g_autoptr(GError) error = NULL;
	int ret = apply_fields(self, &error);

	if (!ret)
		ret = check(self, &error);
	if (!ret)
		ret = vessel_file_save(self->vf, &error);
	if (ret) {
		vessel_settings_show_error(self, section_of(error->message),
					   strip_file(error->message));
		return ret;
	}
	vessel_settings_show_error(self, NULL, NULL);
	return 0;
}
