// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl disk: create, inspect, check and commit qcow2 disk images. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "ctl-disk.h"
#include "ctl-json.h"
#include "ctl.h"

/* Exit statuses of the disk commands (check adds 2 and 3; see print_help). */
#define DISK_EXIT_FAILED	1
#define DISK_EXIT_LEAKS		2
#define DISK_EXIT_CORRUPT	3

#define MAX_POSITIONAL		2

/* The parsed command line of one subcommand. */
struct disk_args {
	const char *sub;
	const char *pos[MAX_POSITIONAL];
	int npos;
	const char *backing, *cluster_size;
	bool json, repair, help;
};

static void print_help(FILE *out)
{
	fputs("Usage:\n"
	      "  vesselctl disk create FILE [SIZE] [--backing FILE] [--cluster-size N]\n"
	      "  vesselctl disk info FILE [--json]\n"
	      "  vesselctl disk check FILE [--repair] [--json]\n"
	      "  vesselctl disk commit OVERLAY\n\n"
	      "create   Make a new qcow2 (version 3) image; never overwrites a file. SIZE is\n"
	      "         bytes or a number with K, M, G or T (powers of 1024), e.g. 20G; with\n"
	      "         --backing it may be left out to match the backing file. A relative\n"
	      "         --backing path is taken from the current directory and stored\n"
	      "         relative to FILE's folder, so the two can be moved together.\n"
	      "         --cluster-size is a power of two from 4K to 2M (default 64K).\n"
	      "info     Format, virtual size, bytes of data stored, the backing chain and\n"
	      "         whether the image was left dirty (not closed cleanly).\n"
	      "check    Recount every reference and compare it with the stored refcounts.\n"
	      "         --repair frees leaked clusters (it never changes guest data).\n"
	      "commit   Copy an overlay's data into its backing file; the overlay stays\n"
	      "         valid and afterwards reads the same as the backing file.\n\n"
	      "Exit status:\n"
	      "  0    success; for check: the image is clean (or everything was repaired)\n"
	      "  1    the command failed (the message says why and what to do)\n"
	      "  2    check: leaked clusters only: space is wasted, data is safe; run\n"
	      "       'vesselctl disk check --repair FILE' to reclaim it\n"
	      "  3    check: corruption: copy the data off and restore from a backup\n"
	      "  64   bad command line\n", out);
}

/* --- command line --- */

static bool takes_value(const char *opt)
{
	return !strcmp(opt, "--backing") || !strcmp(opt, "--cluster-size");
}

/* Set one option; value is NULL for flags. */
static int set_option(struct disk_args *a, const char *opt, const char *value, FILE *err)
{
	if (!strcmp(opt, "--backing"))
		a->backing = value;
	else if (!strcmp(opt, "--cluster-size"))
		a->cluster_size = value;
	else if (!strcmp(opt, "--json"))
		a->json = true;
	else if (!strcmp(opt, "--repair"))
		a->repair = true;
	else if (!strcmp(opt, "--help") || !strcmp(opt, "-h"))
		a->help = true;
	else {
		fprintf(err, "vesselctl disk: unknown option '%s' (see 'vesselctl disk --help')\n",
			opt);
		return -EINVAL;
	}
	return 0;
}

/* One argument at argv[*i]; options take "--opt VALUE" or "--opt=VALUE". */
static int parse_one(struct disk_args *a, int argc, char **argv, int *i, FILE *err)
{
	char *arg = argv[*i], opt[32];
	const char *eq = strchr(arg, '=');

	/* "-5" is a (bad) size, not an option. */
	if (arg[0] != '-' || !arg[1] || (arg[1] >= '0' && arg[1] <= '9')) {
		if (a->npos == MAX_POSITIONAL) {
			fprintf(err, "vesselctl disk %s: unexpected argument '%s' (see --help)\n",
				a->sub, arg);
			return -EINVAL;
		}
		a->pos[a->npos++] = arg;
		return 0;
	}
	snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	if (!takes_value(opt))
		return eq ? set_option(a, arg, NULL, err) : set_option(a, opt, NULL, err);
	if (eq)
		return set_option(a, opt, eq + 1, err);
	if (*i + 1 >= argc) {
		fprintf(err, "vesselctl disk %s: %s needs a value (see --help)\n", a->sub, opt);
		return -EINVAL;
	}
	return set_option(a, opt, argv[++*i], err);
}

static int parse_args(struct disk_args *a, int argc, char **argv, FILE *err)
{
	for (int i = 1; i < argc; i++) {
		int ret = parse_one(a, argc, argv, &i, err);

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * "20G", "512M", "4096": bytes or a number with a K/M/G/T/P suffix (powers of 1024; an
 * optional trailing "iB" or "B" is accepted). Overflow-safe: -ERANGE past 2^64 - 1.
 */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	uint64_t v = 0;
	const char *p = s, *u;
	unsigned shift = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p && (u = strchr(units, *p & ~0x20))) {
		shift = 10 * (unsigned)(u - units + 1);
		p++;
		if ((*p & ~0x20) == 'I' && (p[1] & ~0x20) == 'B')
			p += 2;
		else if ((*p & ~0x20) == 'B')
			p++;
	}
	if (*p)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* "20 GiB"-style rendering for the human output. */
static void human_size(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	unsigned u = 0;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, len, "%.4g %s", d, units[u]);
}

/* --- files --- */

/* Does path exist as something we can read? Prints "FILE: no such file" if not. */
static bool file_ok(const char *path, const char *sub, const char *hint, FILE *err)
{
	struct stat st;
	int ret = stat(path, &st) ? -errno : 0;

	if (!ret && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return true;
	if (ret == -ENOENT || ret == -ENOTDIR)
		fprintf(err, "vesselctl disk %s: %s: no such file (%s)\n",
			sub, path, hint ? hint : "check the name and folder");
	else if (!ret)
		fprintf(err, "vesselctl disk %s: %s: is not a disk image file (give a file, not "
			"a folder)\n", sub, path);
	else
		fprintf(err, "vesselctl disk %s: %s: %s\n", sub, path, strerror(-ret));
	return false;
}

static bool is_qcow2(const char *path)
{
	uint8_t m[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = pread(fd, m, sizeof(m), 0) == sizeof(m) && !memcmp(m, "QFI\xfb", 4);
	close(fd);
	return yes;
}

/* The canonical folder holding `path` (which need not exist yet); malloc'd. */
static char *parent_dir(const char *path)
{
	char *copy = strdup(path), *slash, *dir;

	if (!copy)
		return NULL;
	slash = strrchr(copy, '/');
	if (!slash)
		dir = realpath(".", NULL);
	else if (slash == copy)
		dir = realpath("/", NULL);
	else {
		*slash = '\0';
		dir = realpath(copy, NULL);
	}
	free(copy);
	return dir;
}

/* target as seen from folder dir; both are canonical absolute paths. Returns malloc'd. */
static char *relative_to(const char *dir, const char *target)
{
	size_t common = 0, ups = 0, i;
	const char *rest = target + 1;
	char *out;

	if (strcmp(dir, "/")) {
		/* The longest shared prefix that ends at a component boundary of both. */
		for (i = 0; dir[i] && dir[i] == target[i]; i++) {
			if (dir[i] == '/')
				common = i;
		}
		if (!dir[i] && target[i] == '/')
			common = i;
		for (const char *p = dir + common; *p; p++)
			ups += *p == '/';
		rest = target + common + 1;
	}
	out = malloc(ups * 3 + strlen(rest) + 1);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < ups; i++)
		strcat(out, "../");
	strcat(out, rest);
	return out;
}

/* The name to store for --backing: absolute stays, relative becomes relative to FILE's dir. */
static char *backing_name(const char *image, const char *backing, FILE *err)
{
	char *abs, *dir, *name;

	if (!file_ok(backing, "create", "--backing must name an existing disk image", err))
		return NULL;
	if (backing[0] == '/')
		return strdup(backing);
	abs = realpath(backing, NULL);
	if (!abs) {
		fprintf(err, "vesselctl disk create: %s: %s\n", backing, strerror(errno));
		return NULL;
	}
	dir = parent_dir(image);
	if (!dir) {
		fprintf(err, "vesselctl disk create: %s: the folder does not exist (create it "
			"first)\n", image);
		free(abs);
		return NULL;
	}
	name = relative_to(dir, abs);
	free(dir);
	free(abs);
	return name;
}

/* --- create --- */

static int parse_create(const struct disk_args *a, struct qcow2_create_opts *o, FILE *err)
{
	uint64_t cs;

	if (a->npos < 1 || (a->npos < 2 && !a->backing)) {
		fputs("vesselctl disk create: give FILE and SIZE, e.g. "
		      "'vesselctl disk create vm.qcow2 20G'\n", err);
		return -EINVAL;
	}
	if (a->npos == 2 && (parse_size(a->pos[1], &o->size) || !o->size)) {
		fprintf(err, "vesselctl disk create: %s: bad size '%s' (use a number of bytes "
			"or one with K, M, G or T, e.g. 20G)\n", a->pos[0], a->pos[1]);
		return -EINVAL;
	}
	if (!a->cluster_size)
		return 0;
	if (parse_size(a->cluster_size, &cs) || !cs || (cs & (cs - 1)) || cs < 4096 ||
	    cs > (2u << 20)) {
		fprintf(err, "vesselctl disk create: %s: bad cluster size '%s' (use a power of "
			"two from 4K to 2M, e.g. 64K)\n", a->pos[0], a->cluster_size);
		return -EINVAL;
	}
	o->cluster_size = (uint32_t)cs;
	return 0;
}

static int disk_create(const struct disk_args *a, FILE *out, FILE *err)
{
	struct qcow2_create_opts o = { 0 };
	char msg[1024], sz[32];
	char *backing = NULL;
	struct stat st;
	int ret;

	if (parse_create(a, &o, err))
		return CTL_EXIT_USAGE;
	if (!lstat(a->pos[0], &st)) {
		fprintf(err, "vesselctl disk create: refusing to overwrite %s: it already exists "
			"(choose another name, or delete it first)\n", a->pos[0]);
		return DISK_EXIT_FAILED;
	}
	if (a->backing && !(backing = backing_name(a->pos[0], a->backing, err)))
		return DISK_EXIT_FAILED;
	o.backing = backing;
	ret = qcow2_create_ex(a->pos[0], &o, msg, sizeof(msg));
	if (ret == -EEXIST)
		fprintf(err, "vesselctl disk create: refusing to overwrite %s: it already exists "
			"(choose another name, or delete it first)\n", a->pos[0]);
	else if (ret == -ENOENT && !backing)
		fprintf(err, "vesselctl disk create: %s (create the folder first)\n", msg);
	else if (ret)
		fprintf(err, "vesselctl disk create: %s\n", msg);
	if (!ret) {
		struct qcow2_info *info;

		if (!qcow2_info(a->pos[0], &info, msg, sizeof(msg))) {
			human_size(sz, sizeof(sz), info->virtual_size);
			fprintf(out, "Created %s: qcow2, %s", a->pos[0], sz);
			fprintf(out, backing ? ", backed by %s\n" : "\n", backing);
			qcow2_info_free(info);
		}
	}
	free(backing);
	return ret ? DISK_EXIT_FAILED : 0;
}

/* --- info --- */

/* A raw file is its own whole chain. */
static int raw_info(const char *path, struct qcow2_info **out)
{
	struct qcow2_info *info = calloc(1, sizeof(*info));
	struct stat st;

	if (!info || stat(path, &st)) {
		free(info);
		return -errno;
	}
	info->virtual_size = (uint64_t)st.st_size;
	info->file_bytes = info->allocated_bytes = (uint64_t)st.st_blocks * 512;
	info->chain_len = 1;
	info->chain[0].path = strdup(path);
	snprintf(info->chain[0].format, sizeof(info->chain[0].format), "raw");
	info->chain[0].size = info->virtual_size;
	*out = info;
	return 0;
}

static void info_json(FILE *out, const char *path, const struct qcow2_info *i)
{
	struct ctl_json j;

	ctl_json_init(&j, out);
	ctl_json_begin_object(&j, NULL);
	ctl_json_string(&j, "file", path);
	ctl_json_string(&j, "format", i->chain[0].format);
	ctl_json_int(&j, "virtual_size", (long long)i->virtual_size);
	ctl_json_int(&j, "allocated_bytes", (long long)i->allocated_bytes);
	ctl_json_int(&j, "file_bytes", (long long)i->file_bytes);
	if (i->cluster_size) {
		ctl_json_int(&j, "version", i->version);
		ctl_json_int(&j, "cluster_size", i->cluster_size);
	}
	ctl_json_bool(&j, "dirty", i->dirty);
	ctl_json_bool(&j, "corrupt", i->corrupt);
	ctl_json_begin_array(&j, "chain");
	for (unsigned n = 0; n < i->chain_len; n++) {
		ctl_json_begin_object(&j, NULL);
		ctl_json_string(&j, "file", i->chain[n].path);
		ctl_json_string(&j, "format", i->chain[n].format);
		ctl_json_int(&j, "virtual_size", (long long)i->chain[n].size);
		ctl_json_end_object(&j);
	}
	ctl_json_end_array(&j);
	ctl_json_string(&j, "chain_error", i->chain_error[0] ? i->chain_error : NULL);
	ctl_json_end_object(&j);
	ctl_json_finish(&j);
}

static void info_human(FILE *out, const char *path, const struct qcow2_info *i)
{
	char a[32], b[32];

	human_size(a, sizeof(a), i->virtual_size);
	fprintf(out, "image:          %s\n", path);
	if (i->cluster_size)
		fprintf(out, "format:         qcow2 (version %u, %u-byte clusters)\n", i->version,
			i->cluster_size);
	else
		fprintf(out, "format:         %s\n", i->chain[0].format);
	fprintf(out, "virtual size:   %s (%" PRIu64 " bytes)\n", a, i->virtual_size);
	human_size(a, sizeof(a), i->allocated_bytes);
	human_size(b, sizeof(b), i->file_bytes);
	fprintf(out, "allocated:      %s of data in this file (%s on disk)\n", a, b);
	fprintf(out, "dirty:          %s\n", i->dirty ? "yes (not closed cleanly; the next "
		"read-write open rebuilds its refcounts)" : "no");
	if (i->corrupt)
		fputs("corrupt:        yes (marked corrupt; run 'vesselctl disk check')\n", out);
	fputs("backing chain:\n", out);
	for (unsigned n = 0; n < i->chain_len; n++)
		fprintf(out, "  %u. %s (%s)\n", n, i->chain[n].path, i->chain[n].format);
	if (i->chain_error[0])
		fprintf(out, "  chain broken: %s\n", i->chain_error);
}

static int disk_info(const struct disk_args *a, FILE *out, FILE *err)
{
	const char *path = a->pos[0];
	struct qcow2_info *info;
	char msg[1024];
	int ret;

	if (a->npos != 1) {
		fputs("vesselctl disk info: give one FILE (see --help)\n", err);
		return CTL_EXIT_USAGE;
	}
	if (!file_ok(path, "info", NULL, err))
		return DISK_EXIT_FAILED;
	if (is_qcow2(path))
		ret = qcow2_info(path, &info, msg, sizeof(msg));
	else if ((ret = raw_info(path, &info)))
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-ret));
	if (ret) {
		fprintf(err, "vesselctl disk info: %s\n", msg);
		return DISK_EXIT_FAILED;
	}
	if (a->json)
		info_json(out, path, info);
	else
		info_human(out, path, info);
	qcow2_info_free(info);
	return 0;
}

/* --- check --- */

static int check_status(const struct qcow2_check_report *r)
{
	if (r->corruptions > r->corruptions_fixed)
		return DISK_EXIT_CORRUPT;
	return r->leaks > r->leaks_fixed ? DISK_EXIT_LEAKS : 0;
}

static void check_json(FILE *out, const char *path, const struct qcow2_check_report *r,
		       int status, char *log)
{
	static const char *const names[] = { "clean", "", "leaks", "corrupt" };
	struct ctl_json j;

	ctl_json_init(&j, out);
	ctl_json_begin_object(&j, NULL);
	ctl_json_string(&j, "file", path);
	ctl_json_string(&j, "status", names[status]);
	ctl_json_int(&j, "code", status);
	ctl_json_int(&j, "corruptions", (long long)r->corruptions);
	ctl_json_int(&j, "leaks", (long long)r->leaks);
	ctl_json_int(&j, "corruptions_fixed", (long long)r->corruptions_fixed);
	ctl_json_int(&j, "leaks_fixed", (long long)r->leaks_fixed);
	ctl_json_int(&j, "allocated_clusters", (long long)r->allocated_clusters);
	ctl_json_int(&j, "total_clusters", (long long)r->total_clusters);
	ctl_json_int(&j, "image_end", (long long)r->image_end);
	ctl_json_begin_array(&j, "problems");
	for (char *save = NULL, *line = log ? strtok_r(log, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		ctl_json_string(&j, NULL, line);
	ctl_json_end_array(&j);
	ctl_json_end_object(&j);
	ctl_json_finish(&j);
}

static void check_human(FILE *out, const char *path, const struct qcow2_check_report *r,
			int status)
{
	if (r->leaks_fixed || r->corruptions_fixed)
		fprintf(out, "%s: repaired %" PRIu64 " leaked clusters, %" PRIu64 " errors\n",
			path, r->leaks_fixed, r->corruptions_fixed);
	if (status == DISK_EXIT_CORRUPT)
		fprintf(out, "%s: %" PRIu64 " errors: the image is damaged. Copy the data off "
			"(the guest may still read most of it) and restore from a backup.\n",
			path, r->corruptions - r->corruptions_fixed);
	if (status == DISK_EXIT_LEAKS)
		fprintf(out, "%s: %" PRIu64 " leaked clusters: space is wasted, data is safe. "
			"Run 'vesselctl disk check --repair %s' to reclaim it.\n", path,
			r->leaks - r->leaks_fixed, path);
	if (!status)
		fprintf(out, "%s: no errors found\n", path);
	fprintf(out, "%" PRIu64 "/%" PRIu64 " clusters allocated; the image ends at byte %"
		PRIu64 "\n", r->allocated_clusters, r->total_clusters, r->image_end);
}

static int disk_check(const struct disk_args *a, FILE *out, FILE *err)
{
	struct qcow2_check_report r = { 0 };
	const char *path = a->pos[0];
	char msg[1024], *log = NULL;
	size_t loglen;
	int ret, status;

	if (a->npos != 1) {
		fputs("vesselctl disk check: give one FILE (see --help)\n", err);
		return CTL_EXIT_USAGE;
	}
	if (!file_ok(path, "check", NULL, err))
		return DISK_EXIT_FAILED;
	if (!is_qcow2(path)) {
		fprintf(out, "%s: a raw image has no metadata to check\n", path);
		return 0;
	}
	r.log = a->json ? open_memstream(&log, &loglen) : out;
	ret = qcow2_check(path, a->repair, &r, msg, sizeof(msg));
	if (a->json && r.log)
		fclose(r.log);
	if (ret) {
		fprintf(err, "vesselctl disk check: %s%s\n", msg, ret == -EACCES || ret == -EROFS ?
			" (--repair needs write permission)" : "");
		free(log);
		return DISK_EXIT_FAILED;
	}
	status = check_status(&r);
	if (a->json)
		check_json(out, path, &r, status, log);
	else
		check_human(out, path, &r, status);
	free(log);
	return status;
}

/* --- commit --- */

static int disk_commit(const struct disk_args *a, FILE *out, FILE *err)
{
	const char *path = a->pos[0];
	struct qcow2_info *info = NULL;
	char msg[1024];

	if (a->npos != 1) {
		fputs("vesselctl disk commit: give one OVERLAY (see --help)\n", err);
		return CTL_EXIT_USAGE;
	}
	if (!file_ok(path, "commit", NULL, err))
		return DISK_EXIT_FAILED;
	if (!is_qcow2(path)) {
		fprintf(err, "vesselctl disk commit: %s: not a qcow2 overlay (only a qcow2 image "
			"with a backing file can be committed)\n", path);
		return DISK_EXIT_FAILED;
	}
	if (qcow2_info(path, &info, msg, sizeof(msg)) || info->chain_len < 2) {
		if (info && info->chain_error[0])
			fprintf(err, "vesselctl disk commit: %s (fix or restore the backing file "
				"first)\n", info->chain_error);
		else if (info)
			fprintf(err, "vesselctl disk commit: %s: has no backing file, so there is "
				"nothing to commit into\n", path);
		else
			fprintf(err, "vesselctl disk commit: %s\n", msg);
		qcow2_info_free(info);
		return DISK_EXIT_FAILED;
	}
	if (qcow2_commit(path, msg, sizeof(msg))) {
		fprintf(err, "vesselctl disk commit: %s (the backing file must be writable and "
			"not in use)\n", msg);
		qcow2_info_free(info);
		return DISK_EXIT_FAILED;
	}
	fprintf(out, "Committed %s into %s\n", path, info->chain[1].path);
	qcow2_info_free(info);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const struct disk_args *a, FILE *out, FILE *err);
} subcommands[] = {
	{ "create", disk_create },
	{ "info", disk_info },
	{ "check", disk_check },
	{ "commit", disk_commit },
};

static int run_disk(int argc, char **argv, FILE *out, FILE *err)
{
	struct disk_args a = { 0 };
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		print_help(sub ? out : err);
		return sub ? 0 : CTL_EXIT_USAGE;
	}
	a.sub = sub;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(sub, subcommands[i].name))
			continue;
		if (parse_args(&a, argc - 1, argv + 1, err))
			return CTL_EXIT_USAGE;
		if (a.help) {
			print_help(out);
			return 0;
		}
		return subcommands[i].run(&a, out, err);
	}
	fprintf(err, "vesselctl disk: unknown subcommand '%s' (create, info, check or commit; "
		"see 'vesselctl disk --help')\n", sub);
	return CTL_EXIT_USAGE;
}

int ctl_disk(int argc, char **argv, FILE *out, FILE *err)
{
	int status = run_disk(argc, argv, out, err);

	fflush(out);
	fflush(err);
	return status;
}
