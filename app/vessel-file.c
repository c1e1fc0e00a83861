// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading, checking, editing and atomically saving a VM's NAME.vessel key file. */
#include "vessel-file.h"
#include "helper-cmdline.h"
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A .vessel file is a few hundred bytes; anything far larger is not one. */
#define VESSEL_FILE_MAX_BYTES	(1u << 20)

G_DEFINE_QUARK(vessel-file-error-quark, vessel_file_error)

static int bad(GError **error, const struct vessel_file *vf, const char *group,
	       const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "Win.vessel: [vm] memory: <what>"; the key is left out for a whole-group problem. */
static int bad(GError **error, const struct vessel_file *vf, const char *group,
	       const char *key, const char *fmt, ...)
{
	g_autofree char *base = g_path_get_basename(vf->path);
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key)
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID, "%s: [%s] %s: %s",
			    base, group, key, what);
	else
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID, "%s: [%s]: %s",
			    base, group, what);
	return -EINVAL;
}

static int io_error(GError **error, const struct vessel_file *vf, int err, const char *what)
{
	g_autofree char *base = g_path_get_basename(vf->path);

	g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO, "%s: %s: %s", base, what,
		    g_strerror(err));
	return -err;
}

/* A key's raw value, or NULL when it is absent. */
static char *get_value(const struct vessel_file *vf, const char *group, const char *key)
{
	return g_key_file_get_value(vf->kf, group, key, NULL);
}

/* Strings go through GKeyFile's unescaping; a bad escape is an error, absence is not. */
static int get_string(const struct vessel_file *vf, const char *group, const char *key,
		      char **out, GError **error)
{
	g_autoptr(GError) e = NULL;

	*out = g_key_file_get_string(vf->kf, group, key, &e);
	if (*out || g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
	    g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		return 0;
	return bad(error, vf, group, key, "not a valid string (%s)", e->message);
}

static int get_bool(const struct vessel_file *vf, const char *group, const char *key,
		    bool *out, GError **error)
{
	g_autofree char *v = get_value(vf, group, key);

	if (!v)
		return 0;
	if (strcmp(v, "true") && strcmp(v, "false"))
		return bad(error, vf, group, key, "'%s' is not a yes/no value; write true or false",
			   v);
	*out = !strcmp(v, "true");
	return 0;
}

/* A size such as 2G or 512M between lo and hi; "what" names the range in the message. */
static int get_size(const struct vessel_file *vf, const char *group, const char *key,
		    uint64_t lo, uint64_t hi, const char *range, uint64_t *out, GError **error)
{
	g_autofree char *v = get_value(vf, group, key);
	uint64_t n;

	if (!v)
		return 0;
	if (helper_parse_size(v, &n))
		return bad(error, vf, group, key, "'%s' is not a size; write e.g. 2G or 512M", v);
	if (n < lo || n > hi)
		return bad(error, vf, group, key, "'%s' is out of range; allowed: %s", v, range);
	*out = n;
	return 0;
}

static int get_uint(const struct vessel_file *vf, const char *group, const char *key,
		    unsigned lo, unsigned hi, unsigned *out, GError **error)
{
	g_autofree char *v = get_value(vf, group, key);
	char *end;
	unsigned long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!g_ascii_isdigit(*v) || *end || errno || n < lo || n > hi)
		return bad(error, vf, group, key, "'%s' is not allowed; write a whole number from "
			   "%u to %u", v, lo, hi);
	*out = (unsigned)n;
	return 0;
}

/* One of a fixed list of words; the index of the match in *out. */
static int get_choice(const struct vessel_file *vf, const char *group, const char *key,
		      const char *const *words, unsigned *out, GError **error)
{
	g_autofree char *v = get_value(vf, group, key);
	g_autofree char *list = NULL;

	if (!v)
		return 0;
	for (unsigned i = 0; words[i]; i++) {
		if (!strcmp(v, words[i])) {
			*out = i;
			return 0;
		}
	}
	list = g_strjoinv(" | ", (char **)words);
	return bad(error, vf, group, key, "'%s' is not allowed; write one of %s", v, list);
}

/* A file named relative to the VM's folder, which must exist (regular or block device). */
static int get_path(const struct vessel_file *vf, const char *group, const char *key,
		    bool must_exist, char **out, GError **error)
{
	g_autofree char *v = NULL;
	struct stat st;
	int ret = get_string(vf, group, key, &v, error);

	if (ret || !v)
		return ret;
	if (!*v)
		return bad(error, vf, group, key, "the file name is empty");
	*out = g_canonicalize_filename(v, vf->dir);
	if (!must_exist)
		return 0;
	if (stat(*out, &st) < 0)
		return bad(error, vf, group, key, "'%s' cannot be used: %s (looked for %s)", v,
			   g_strerror(errno), *out);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return bad(error, vf, group, key, "'%s' is not a regular file or block device", v);
	return 0;
}

static bool name_ok(const char *name)
{
	if (!name || !*name || strlen(name) > VESSEL_NAME_MAX || !g_utf8_validate(name, -1, NULL))
		return false;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void set_memory_key(struct vessel_file *vf, uint64_t bytes)
{
	char buf[32];

	if (!(bytes & ((1ull << 30) - 1)))
		snprintf(buf, sizeof(buf), "%lluG", (unsigned long long)(bytes >> 30));
	else
		snprintf(buf, sizeof(buf), "%lluM", (unsigned long long)(bytes >> 20));
	g_key_file_set_string(vf->kf, "vm", "memory", buf);
}

static int parse_vm(struct vessel_file *vf, GError **error)
{
	g_autofree char *uuid = NULL, *fw = NULL;
	int ret;

	if (!g_key_file_has_group(vf->kf, "vm"))
		return bad(error, vf, "vm", NULL, "missing; every .vessel file needs a [vm] group "
			   "with at least name and uuid");
	ret = get_string(vf, "vm", "name", &vf->name, error);
	if (ret)
		return ret;
	if (!name_ok(vf->name))
		return bad(error, vf, "vm", "name", "missing or not allowed; write 1 to %d "
			   "characters of UTF-8 text without control characters", VESSEL_NAME_MAX);
	uuid = get_value(vf, "vm", "uuid");
	if (!uuid || !g_uuid_string_is_valid(uuid))
		return bad(error, vf, "vm", "uuid", "'%s' is not a UUID; write e.g. "
			   "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37", uuid ? uuid : "");
	g_strlcpy(vf->uuid, uuid, sizeof(vf->uuid));
	vf->memory = 1ull << 30;
	ret = get_size(vf, "vm", "memory", VESSEL_MEMORY_MIN, VESSEL_MEMORY_MAX, "16M to 1T",
		       &vf->memory, error);
	if (!ret && (vf->memory & ((1ull << 20) - 1)))
		ret = bad(error, vf, "vm", "memory", "not a whole number of MiB; write e.g. 1536M");
	vf->cpus = 1;
	if (!ret)
		ret = get_uint(vf, "vm", "cpus", 1, VESSEL_CPUS_MAX, &vf->cpus, error);
	fw = get_value(vf, "vm", "firmware");
	if (ret || !fw || !strcmp(fw, "bios"))
		return ret;
	return get_path(vf, "vm", "firmware", true, &vf->firmware, error);
}

/* "disk.3" -> 3: N in plain decimal (no sign, no leading zeros) up to 999. */
static bool group_index(const char *group, const char *prefix, unsigned *out)
{
	size_t n = strlen(prefix), len;
	const char *p = group + n;

	if (strncmp(group, prefix, n))
		return false;
	len = strlen(p);
	if (!len || len > 3 || (p[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isdigit(p[i]))
			return false;
	*out = (unsigned)atoi(p);
	return true;
}

static int parse_disk(struct vessel_file *vf, const char *group, struct vessel_disk *d,
		      GError **error)
{
	static const char *const buses[] = { "ide", "ahci", "virtio", NULL };
	static const enum vm_disk_bus bus_of[] = { VM_DISK_IDE, VM_DISK_AHCI, VM_DISK_VIRTIO };
	unsigned bus = 0;
	int ret;

	if (!g_key_file_has_key(vf->kf, group, "file", NULL))
		return bad(error, vf, group, "file", "missing; name the disk image, e.g. "
			   "file=disk.qcow2");
	ret = get_path(vf, group, "file", true, &d->path, error);
	if (!ret)
		ret = get_string(vf, group, "file", &d->file, error);
	if (!ret)
		ret = get_choice(vf, group, "bus", buses, &bus, error);
	if (!ret)
		ret = get_bool(vf, group, "readonly", &d->readonly, error);
	d->bus = bus_of[bus];
	return ret;
}

/* Insert [disk.N] / [net.N] groups in order of N; indexes[] runs parallel to the array. */
static unsigned insert_sorted(unsigned *indexes, unsigned count, unsigned idx)
{
	unsigned at = count;

	while (at > 0 && indexes[at - 1] > idx) {
		indexes[at] = indexes[at - 1];
		at--;
	}
	indexes[at] = idx;
	return at;
}

static int parse_disks(struct vessel_file *vf, char **groups, GError **error)
{
	unsigned idx[VM_MAX_DISKS + 1], at, n;
	int ret;

	for (char **g = groups; *g; g++) {
		if (strncmp(*g, "disk", 4))
			continue;
		if (!group_index(*g, "disk.", &n))
			return bad(error, vf, *g, NULL, "not a disk group; write [disk.N] with N "
				   "from 0 to 999");
		if (vf->ndisks + (vf->cdrom ? 1 : 0) >= VM_MAX_DISKS)
			return bad(error, vf, *g, NULL, "too many drives; at most %d disks and "
				   "CD-ROMs together", VM_MAX_DISKS);
		at = insert_sorted(idx, vf->ndisks, n);
		memmove(&vf->disks[at + 1], &vf->disks[at],
			(vf->ndisks - at) * sizeof(vf->disks[0]));
		memset(&vf->disks[at], 0, sizeof(vf->disks[0]));
		vf->ndisks++;
		ret = parse_disk(vf, *g, &vf->disks[at], error);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_nets(struct vessel_file *vf, char **groups, GError **error)
{
	static const char *const modes[] = { "user", "bridge", "none", NULL };
	unsigned idx[VESSEL_MAX_NETS + 1], at, n, mode;
	int ret;

	for (char **g = groups; *g; g++) {
		if (strncmp(*g, "net", 3))
			continue;
		if (!group_index(*g, "net.", &n))
			return bad(error, vf, *g, NULL, "not a network group; write [net.N] with N "
				   "from 0 to 999");
		if (vf->nnets >= VESSEL_MAX_NETS)
			return bad(error, vf, *g, NULL, "too many network cards; at most %d",
				   VESSEL_MAX_NETS);
		mode = 0;
		ret = get_choice(vf, *g, "mode", modes, &mode, error);
		if (ret)
			return ret;
		at = insert_sorted(idx, vf->nnets, n);
		memmove(&vf->nets[at + 1], &vf->nets[at], (vf->nnets - at) * sizeof(vf->nets[0]));
		vf->nets[at].index = n;
		vf->nets[at].mode = g_strdup(modes[mode]);
		vf->nnets++;
	}
	return 0;
}

static int parse_spice(struct vessel_file *vf, GError **error)
{
	int ret = get_string(vf, "spice", "listen", &vf->spice_listen, error);

	if (!ret && vf->spice_listen && !*vf->spice_listen)
		ret = bad(error, vf, "spice", "listen", "empty; write an address such as "
			  "127.0.0.1 or ::1");
	if (!ret)
		ret = get_uint(vf, "spice", "port", 1, 65535, &vf->spice_port, error);
	if (!ret)	/* the secret may be written later, by the app */
		ret = get_path(vf, "spice", "password-file", false, &vf->spice_password_file,
			       error);
	return ret;
}

static int parse_balloon(struct vessel_file *vf, GError **error)
{
	int ret = get_size(vf, "balloon", "min", 1ull << 20, VESSEL_MEMORY_MAX, "1M to 1T",
			   &vf->balloon_min, error);

	if (!ret)
		ret = get_size(vf, "balloon", "max", 1ull << 20, VESSEL_MEMORY_MAX, "1M to 1T",
			       &vf->balloon_max, error);
	if (!ret && vf->balloon_max > vf->memory)
		ret = bad(error, vf, "balloon", "max", "larger than [vm] memory; the guest cannot "
			  "have more than it has");
	if (!ret && vf->balloon_min && vf->balloon_min > (vf->balloon_max ? vf->balloon_max :
							  vf->memory))
		ret = bad(error, vf, "balloon", "min", "larger than max (or [vm] memory)");
	if (!ret)
		ret = get_bool(vf, "balloon", "auto", &vf->balloon_auto, error);
	if (!ret)
		ret = get_bool(vf, "balloon", "share-pages", &vf->balloon_share_pages, error);
	vf->balloon = g_key_file_has_group(vf->kf, "balloon");
	return ret;
}

static int parse_all(struct vessel_file *vf, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(vf->kf, NULL);
	int ret = parse_vm(vf, error);

	if (!ret)
		ret = get_path(vf, "cdrom", "file", true, &vf->cdrom, error);
	if (!ret)
		ret = parse_disks(vf, groups, error);
	if (!ret)
		ret = get_size(vf, "display", "vram", 4ull << 20, 256ull << 20, "4M to 256M",
			       &vf->vram, error);
	if (!ret && (vf->vram & (vf->vram - 1)))
		ret = bad(error, vf, "display", "vram", "not a power of two; write 4M, 8M, 16M, "
			  "... or 256M");
	if (!ret)
		ret = parse_spice(vf, error);
	if (!ret)
		ret = parse_balloon(vf, error);
	if (!ret)
		ret = parse_nets(vf, groups, error);
	if (!ret)	/* absent: false, so files from before the tablet keep their hardware */
		ret = get_bool(vf, "input", "tablet", &vf->tablet, error);
	/* [usb], [audio] and anything unknown stay in kf untouched. */
	return ret;
}

static int read_keyfile(struct vessel_file *vf, GError **error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *data = NULL;
	gsize len;

	if (!g_file_get_contents(vf->path, &data, &len, &e)) {
		int err = EIO;

		if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			err = ENOENT;
		else if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_ACCES))
			err = EACCES;
		else if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_ISDIR))
			err = EISDIR;
		return io_error(error, vf, err, "cannot read");
	}
	if (len > VESSEL_FILE_MAX_BYTES) {
		g_autofree char *base = g_path_get_basename(vf->path);

		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
			    "%s: %zu bytes is too large for a .vessel file (at most 1 MiB)", base,
			    (size_t)len);
		return -EINVAL;
	}
	if (!g_key_file_load_from_data(vf->kf, data, len, G_KEY_FILE_KEEP_COMMENTS |
				       G_KEY_FILE_KEEP_TRANSLATIONS, &e)) {
		g_autofree char *base = g_path_get_basename(vf->path);

		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
			    "%s: not a .vessel key file: %s", base, e->message);
		return -EINVAL;
	}
	return 0;
}

int vessel_file_load(const char *path, struct vessel_file **out, GError **error)
{
	struct vessel_file *vf = g_new0(struct vessel_file, 1);
	int ret;

	vf->path = g_canonicalize_filename(path, NULL);
	vf->dir = g_path_get_dirname(vf->path);
	vf->kf = g_key_file_new();
	ret = read_keyfile(vf, error);
	if (!ret)
		ret = parse_all(vf, error);
	if (ret) {
		vessel_file_free(vf);
		*out = NULL;
		return ret;
	}
	*out = vf;
	return 0;
}

void vessel_file_free(struct vessel_file *vf)
{
	if (!vf)
		return;
	for (unsigned i = 0; i < vf->ndisks; i++) {
		g_free(vf->disks[i].file);
		g_free(vf->disks[i].path);
	}
	for (unsigned i = 0; i < vf->nnets; i++)
		g_free(vf->nets[i].mode);
	g_free(vf->spice_listen);
	g_free(vf->spice_password_file);
	g_free(vf->cdrom);
	g_free(vf->firmware);
	g_free(vf->name);
	if (vf->kf)
		g_key_file_unref(vf->kf);
	g_free(vf->dir);
	g_free(vf->path);
	g_free(vf);
}

void vessel_file_to_vm_config(const struct vessel_file *vf, struct vm_config *cfg)
{
	struct vm_disk_config *d;

	cfg->ram_size = vf->memory;
	cfg->cpus = vf->cpus;
	cfg->firmware = vf->firmware ? vf->firmware : FIRMWARE_DEFAULT;
	cfg->vram_size = vf->vram;
	cfg->balloon = vf->balloon;
	cfg->share_pages = vf->balloon_share_pages;
	cfg->tablet = vf->tablet;
	memset(cfg->disks, 0, sizeof(cfg->disks));
	cfg->ndisks = 0;
	/* parse_disks() keeps disks + CD-ROM within VM_MAX_DISKS */
	for (unsigned i = 0; i < vf->ndisks; i++) {
		d = &cfg->disks[cfg->ndisks++];
		d->path = vf->disks[i].path;
		d->bus = vf->disks[i].bus;
		d->readonly = vf->disks[i].readonly;
	}
	if (vf->cdrom) {
		d = &cfg->disks[cfg->ndisks++];
		d->path = vf->cdrom;
		d->bus = VM_DISK_IDE;
		d->readonly = true;
		d->cdrom = true;
	}
}

int vessel_file_set_memory(struct vessel_file *vf, uint64_t bytes, GError **error)
{
	if (bytes < VESSEL_MEMORY_MIN || bytes > VESSEL_MEMORY_MAX || (bytes & ((1ull << 20) - 1)))
		return bad(error, vf, "vm", "memory", "%llu bytes is not allowed; give 16M to 1T "
			   "in whole MiB", (unsigned long long)bytes);
	vf->memory = bytes;
	set_memory_key(vf, bytes);
	return 0;
}

int vessel_file_set_cpus(struct vessel_file *vf, unsigned cpus, GError **error)
{
	if (cpus < 1 || cpus > VESSEL_CPUS_MAX)
		return bad(error, vf, "vm", "cpus", "%u is not allowed; give 1 to %d", cpus,
			   VESSEL_CPUS_MAX);
	vf->cpus = cpus;
	g_key_file_set_uint64(vf->kf, "vm", "cpus", cpus);
	return 0;
}

int vessel_file_set_name(struct vessel_file *vf, const char *name, GError **error)
{
	if (!name_ok(name))
		return bad(error, vf, "vm", "name", "not allowed; give 1 to %d characters of UTF-8 "
			   "text without control characters", VESSEL_NAME_MAX);
	g_free(vf->name);
	vf->name = g_strdup(name);
	g_key_file_set_string(vf->kf, "vm", "name", name);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Fill the temp file and make it durable before it may replace the old one. */
static int write_temp(int fd, const char *path, const char *data, size_t len)
{
	struct stat st;
	int err = write_all(fd, data, len);

	if (err)
		return err;
	/* mkstemp makes 0600; keep the old file's permissions if there is one */
	if (fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644) < 0)
		return errno;
	if (fsync(fd) < 0)
		return errno;
	return 0;
}

int vessel_file_save(struct vessel_file *vf, GError **error)
{
	g_autofree char *base = g_path_get_basename(vf->path);
	g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", vf->dir, base);
	gsize len;
	g_autofree char *data = g_key_file_to_data(vf->kf, &len, NULL);
	int fd, dfd, err;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		g_autofree char *what = g_strdup_printf("cannot save: cannot create a file in %s",
							vf->dir);

		return io_error(error, vf, errno, what);
	}
	err = write_temp(fd, vf->path, data, len);
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, vf->path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		return io_error(error, vf, err, "cannot save (the old file is unchanged)");
	}
	/* the rename itself is durable only once the folder is synced */
	dfd = open(vf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		err = errno;
	if (dfd >= 0)
		close(dfd);
	if (err)
		return io_error(error, vf, err, "saved, but syncing the folder failed");
	return 0;
}

static bool folder_name_ok(const char *name)
{
	return name_ok(name) && name[0] != '.' && !strchr(name, '/') &&
	       strlen(name) + strlen(".vessel") <= VESSEL_NAME_MAX;
}

/* Write the first version of a new VM's file; vf's kf and path are set. */
static int create_initial(struct vessel_file *vf, const char *name, uint64_t memory,
			  unsigned cpus, GError **error)
{
	g_autofree char *uuid = g_uuid_string_random();
	int ret;

	g_key_file_set_comment(vf->kf, NULL, NULL, " A Vessel virtual machine "
			       "(application/x-vessel-vm). Paths are relative to this folder.",
			       NULL);
	g_key_file_set_string(vf->kf, "vm", "name", name);
	g_key_file_set_string(vf->kf, "vm", "uuid", uuid);
	ret = vessel_file_set_memory(vf, memory, error);
	if (!ret)
		ret = vessel_file_set_cpus(vf, cpus, error);
	if (ret)
		return ret;
	g_key_file_set_string(vf->kf, "vm", "firmware", "bios");
	/* New VMs get a tablet (as virt-manager adds one): the pointer needs no grab. */
	g_key_file_set_boolean(vf->kf, "input", "tablet", true);
	return vessel_file_save(vf, error);
}

struct vessel_file *vessel_file_create(const char *dir, const char *name, uint64_t memory,
				       unsigned cpus, GError **error)
{
	g_autofree char *folder = NULL, *file = NULL;
	struct vessel_file *vf = NULL;
	int ret;

	if (!folder_name_ok(name)) {
		g_set_error(error, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID,
			    "'%s' cannot name a VM folder; use 1 to %d characters without '/', "
			    "control characters or a leading '.'", name ? name : "",
			    VESSEL_NAME_MAX - (int)strlen(".vessel"));
		return NULL;
	}
	folder = g_canonicalize_filename(name, dir);
	file = g_strdup_printf("%s/%s.vessel", folder, name);
	if (mkdir(folder, 0755) < 0) {
		int err = errno;

		g_set_error(error, VESSEL_FILE_ERROR, err == EEXIST ? VESSEL_FILE_ERROR_EXISTS :
			    VESSEL_FILE_ERROR_IO, "cannot create the VM folder %s: %s", folder,
			    g_strerror(err));
		return NULL;
	}
	vf = g_new0(struct vessel_file, 1);
	vf->path = g_strdup(file);
	vf->dir = g_strdup(folder);
	vf->kf = g_key_file_new();
	ret = create_initial(vf, name, memory, cpus, error);
	vessel_file_free(vf);
	if (!ret)
		ret = vessel_file_load(file, &vf, error);
	if (ret) {
		unlink(file);
		rmdir(folder);
		return NULL;
	}
	return vf;
}
