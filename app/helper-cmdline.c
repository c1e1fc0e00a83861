// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing and checking vessel-helper's flags, with a message for every bad one. */
#include "helper-cmdline.h"
#include "vessel-file.h"
#include "firmware.h"
#include "smbios.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void helper_usage(FILE *out)
{
	fputs(
"Usage: vessel-helper [NAME.vessel] [OPTION]...\n"
"Run one virtual machine on KVM (the VMM process behind Vessel).\n"
"\n"
"  --memory SIZE        guest RAM, e.g. 512M, 2G (a bare number is MiB; default 256M)\n"
"  --cpus N             virtual CPUs (default 1; at most what this host's KVM allows)\n"
"  --kernel FILE        boot a Linux bzImage directly (64-bit boot protocol)\n"
"  --initrd FILE        initial ramdisk for --kernel\n"
"  --append STRING      kernel command line (also passed to --multiboot images)\n"
"  --multiboot FILE     boot a multiboot v1 ELF32 image directly (test guests)\n"
"  --disk FILE[,bus=ide|ahci|virtio][,readonly]\n"
"                       a disk image (raw); IDE unless a bus is named (up to 8 drives)\n"
"  --cdrom FILE         an ISO image in a CD-ROM drive (IDE, secondary master)\n"
"  --boot disk|cdrom|menu  what firmware boots first, or show its boot menu\n"
"  --vga std|none       the display adapter (default std: VGA with Bochs VBE)\n"
"  --vram SIZE          its video memory, 4M to 256M in powers of two (default 16M)\n"
"  --screenshot-at SECONDS:FILE  save the screen as PNG that long after start\n"
"  --screenshot-on-exit FILE     save the screen as PNG when the VM stops\n"
"  --dump-text-on-exit FILE      save a text-mode screen as UTF-8 text when the VM stops\n"
"                       (FILE.json: registers, DAC, cells and font, for re-rendering)\n"
"  --snapshot-at SECONDS:DIR  snapshot the running VM into DIR that long after start\n"
"                       (devices, vCPUs, RAM; not disks), then keep running\n"
"  --restore DIR        load the snapshot in DIR into this VM (same configuration) and\n"
"                       run on from there\n"
"  --spice tcp:[ADDR]:PORT|unix:PATH\n"
"                       serve the display, keyboard and mouse to SPICE clients\n"
"                       (ADDR defaults to 127.0.0.1; other hosts need a password)\n"
"  --spice-password-file FILE  the SPICE password: the first line of FILE\n"
"  --spice-password-expires SECONDS  the password stops working that long after start\n"
"                       (clients already connected stay; default: never)\n"
"  --spice-file FILE.vv  write a remote-viewer connection file (mode 0600; tcp: only)\n"
"  --spice-tls CERT,KEY[,CA]  TLS only on the --spice port (PEM files; tcp: only)\n"
"  --control-socket PATH|auto  serve the control API (D-Bus VM1) on a private unix\n"
"                       socket; auto: $XDG_RUNTIME_DIR/vessel/UUID.sock (needs NAME.vessel)\n"
"  --control-fd FD      serve the control API on an inherited socketpair end\n"
"  --uuid UUID          the system UUID firmware reports (SMBIOS type 1), in the form\n"
"                       2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37 (default: the .vessel\n"
"                       file's uuid; without either, all zeros)\n"
"  --firmware FILE      BIOS image to boot through when there is no direct boot\n"
"                       (default " FIRMWARE_DEFAULT ")\n"
"  --serial BACKEND     COM1: stdio, file:PATH, unix:PATH or none (default stdio)\n"
"  --firmware-log FILE  write the debug port (0x402) output to FILE\n"
"  --no-reboot          a guest reset ends the VM (status 68) instead of rebooting\n"
"  --timeout SECONDS    end the VM after this long (status 69)\n"
"  --balloon            add a virtio-balloon device (a .vessel [balloon] group does too)\n"
"  --balloon-target SIZE[@SECONDS]  ask the guest to give SIZE of its RAM back that long\n"
"                       after start (default 0 s; repeat for a schedule; 0 deflates)\n"
"  --balloon-stats SECONDS  ask the guest for memory statistics this often\n"
"  --tablet             add a virtio-input tablet, an absolute pointer, so SPICE clients\n"
"                       and the app move the guest's pointer without grabbing the mouse\n"
"                       (a .vessel [input] tablet=true does too)\n"
"  --exit-stats         print how many exits of each kind the vCPUs took\n"
"  --quiet              no register dump when the guest faults\n"
"  --help, --version\n"
"\n"
"Exit status: 0 guest powered off; 1-63 a test guest's code (test-exit port 0xF4);\n"
"  64 bad command line or file; 65 KVM unavailable (run 'vesselctl check');\n"
"  66 guest triple fault; 67 KVM internal error or emulation failure;\n"
"  68 guest reset with --no-reboot; 69 --timeout elapsed; 70 stopped by a signal.\n"
"\n"
"Signals: SIGTERM presses the ACPI power button (the guest shuts down, status 0);\n"
"  a second SIGTERM, or SIGINT, powers off at once (status 70).\n",
	out);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int helper_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suffix; unsigned shift; } units[] = {
		{ "", 20 }, { "b", 0 }, { "k", 10 }, { "kib", 10 }, { "kb", 10 },
		{ "m", 20 }, { "mib", 20 }, { "mb", 20 }, { "g", 30 }, { "gib", 30 },
		{ "gb", 30 }, { "t", 40 }, { "tib", 40 }, { "tb", 40 },
	};
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*out = (uint64_t)v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

static int check_path(const char *flag, const char *path, bool blockdev_ok, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, "%s %s: cannot open: %s", flag, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || (blockdev_ok && S_ISBLK(st.st_mode)))) {
		close(fd);
		return fail(err, errlen, "%s %s: not a regular file%s", flag, path,
			    blockdev_ok ? " or block device" : "");
	}
	if (S_ISBLK(st.st_mode)) {
		close(fd);
		return 0;
	}
	close(fd);
	if (st.st_size == 0)
		return fail(err, errlen, "%s %s: the file is empty", flag, path);
	return 0;
}

static int check_file(const char *flag, const char *path, char *err, size_t errlen)
{
	return check_path(flag, path, false, err, errlen);
}

static int parse_serial(const char *s, struct vm_config *vm, char *err, size_t errlen)
{
	if (!strcmp(s, "stdio")) {
		vm->serial = VM_SERIAL_STDIO;
	} else if (!strcmp(s, "none")) {
		vm->serial = VM_SERIAL_NONE;
	} else if (!strncmp(s, "file:", 5) && s[5]) {
		vm->serial = VM_SERIAL_FILE;
		vm->serial_path = s + 5;
	} else if (!strncmp(s, "unix:", 5) && s[5]) {
		vm->serial = VM_SERIAL_UNIX;
		vm->serial_path = s + 5;
	} else {
		return fail(err, errlen, "--serial %s: expected stdio, file:PATH, unix:PATH or none",
			    s);
	}
	return 0;
}

/* FILE[,bus=ide|ahci|virtio][,readonly]: options split off in place. */
static int parse_disk(char *arg, bool cdrom, struct vm_config *vm, char *err, size_t errlen)
{
	struct vm_disk_config *d;
	char *opt, *save = NULL;
	const char *flag = cdrom ? "--cdrom" : "--disk";

	if (vm->ndisks >= VM_MAX_DISKS)
		return fail(err, errlen, "%s %s: at most %d drives", flag, arg, VM_MAX_DISKS);
	d = &vm->disks[vm->ndisks];
	memset(d, 0, sizeof(*d));
	d->cdrom = cdrom;
	d->readonly = cdrom;
	d->path = strtok_r(arg, ",", &save);
	if (!d->path || !*d->path)
		return fail(err, errlen, "%s: missing the image file name", flag);
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strcmp(opt, "readonly"))
			d->readonly = true;
		else if (!strcmp(opt, "bus=ide"))
			d->bus = VM_DISK_IDE;
		else if (!strcmp(opt, "bus=ahci") || !strcmp(opt, "bus=sata"))
			d->bus = VM_DISK_AHCI;
		else if (!strcmp(opt, "bus=virtio") && !cdrom)
			d->bus = VM_DISK_VIRTIO;
		else
			return fail(err, errlen, "%s %s: unknown option '%s' (allowed: bus=ide, "
				    "bus=ahci%s, readonly)", flag, d->path, opt,
				    cdrom ? "" : ", bus=virtio");
	}
	vm->ndisks++;
	return 0;
}

static int parse_boot(const char *s, struct vm_config *vm, char *err, size_t errlen)
{
	if (!strcmp(s, "disk"))
		vm->boot_from = VM_BOOT_DISK;
	else if (!strcmp(s, "cdrom"))
		vm->boot_from = VM_BOOT_CDROM;
	else if (!strcmp(s, "menu"))
		vm->boot_menu = true;
	else
		return fail(err, errlen, "--boot %s: expected disk, cdrom or menu", s);
	return 0;
}

static int parse_vram(const char *s, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (helper_parse_size(s, &v) || v < (4ull << 20) || v > (256ull << 20) || (v & (v - 1)))
		return fail(err, errlen, "--vram %s: expected a power of two from 4M to 256M", s);
	*out = v;
	return 0;
}

/* SECONDS:PATH, for --screenshot-at and --snapshot-at */
static int parse_at(const char *flag, const char *s, double *t_out, const char **path,
		    char *err, size_t errlen)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno || end == s || *end != ':' || !end[1] || !(t >= 0) || t > 1e7)
		return fail(err, errlen, "%s %s: expected SECONDS:%s", flag, s,
			    strcmp(flag, "--snapshot-at") ? "FILE" : "DIR");
	*t_out = t;
	*path = end + 1;
	return 0;
}

/* SIZE[@SECONDS]: a balloon size (SIZE as --memory; 0 gives everything back) and when. */
static int parse_balloon_target(const char *arg, struct helper_options *o, char *err,
				size_t errlen)
{
	struct helper_balloon_step *st = &o->balloon_steps[o->nballoon_steps];
	const char *at = strchr(arg, '@');
	char s[32], *end;

	if (o->nballoon_steps == HELPER_MAX_BALLOON_STEPS)
		return fail(err, errlen, "--balloon-target: at most %d of them",
			    HELPER_MAX_BALLOON_STEPS);
	snprintf(s, sizeof(s), "%.*s", at ? (int)(at - arg) : (int)strlen(arg), arg);
	if (helper_parse_size(s, &st->bytes))
		return fail(err, errlen, "--balloon-target %s: expected SIZE[@SECONDS], e.g. "
			    "96M@0 or 0@30", s);
	st->at = 0;
	if (at) {
		errno = 0;
		st->at = strtod(at + 1, &end);
		if (errno || end == at + 1 || *end || !(st->at >= 0) || st->at > 1e7)
			return fail(err, errlen, "--balloon-target %s@%s: SECONDS is a number "
				    "from 0", s, at + 1);
	}
	o->nballoon_steps++;
	o->vm.balloon = true;
	return 0;
}

static int parse_balloon_stats(const char *s, struct helper_options *o, char *err,
			       size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 86400)
		return fail(err, errlen, "--balloon-stats %s: expected whole seconds, 0 to 86400",
			    s);
	o->vm.balloon_stats_interval = (unsigned)v;
	o->vm.balloon = true;
	return 0;
}

static int parse_cpus(const char *s, unsigned *out, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 4096)
		return fail(err, errlen, "--cpus %s: expected a whole number from 1 up", s);
	*out = (unsigned)v;
	return 0;
}

static int parse_timeout(const char *s, double *out, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v > 0) || v > 1e7)
		return fail(err, errlen, "--timeout %s: expected a number of seconds above 0", s);
	*out = v;
	return 0;
}

/* --spice-tls CERT,KEY[,CA]: split in place (arg is argv's own string). */
static int parse_spice_tls(char *arg, struct spice_tls *t, char *err, size_t errlen)
{
	char *key = strchr(arg, ','), *ca = NULL;

	if (key) {
		*key++ = '\0';
		ca = strchr(key, ',');
	}
	if (ca)
		*ca++ = '\0';
	if (!key || !arg[0] || !key[0] || (ca && (!ca[0] || strchr(ca, ','))))
		return fail(err, errlen, "--spice-tls: expected CERT,KEY or CERT,KEY,CA (PEM files)");
	t->cert = arg;
	t->key = key;
	t->ca = ca;
	return 0;
}

static int check_spice_tls(const struct spice_tls *t, char *err, size_t errlen)
{
	int ret = check_file("--spice-tls", t->cert, err, errlen);

	if (!ret)
		ret = check_file("--spice-tls", t->key, err, errlen);
	if (!ret && t->ca)
		ret = check_file("--spice-tls", t->ca, err, errlen);
	return ret;
}

/* --spice-file and --spice-tls: need --spice, and a tcp: one. */
static int check_spice_extras(struct helper_options *o, char *err, size_t errlen)
{
	const char *flag = o->spice_tls.cert ? "--spice-tls" : "--spice-file";

	if (!o->spice_tls.cert && !o->spice_vv_file)
		return 0;
	if (!o->spice)
		return fail(err, errlen, "%s needs --spice", flag);
	/* remote-viewer's .vv format documents no unix-socket key; spice-server TLS is tcp. */
	if (o->spice_listen.unix_socket)
		return fail(err, errlen, "%s works with --spice tcp: only, not unix:", flag);
	return o->spice_tls.cert ? check_spice_tls(&o->spice_tls, err, errlen) : 0;
}

/* A SPICE port reachable from other hosts must ask for a password. */
static int check_spice(struct helper_options *o, char *err, size_t errlen)
{
	const struct spice_listen *l = &o->spice_listen;
	int ret;

	if (o->spice_password_expires && !o->spice_password_file)
		return fail(err, errlen, "--spice-password-expires needs --spice-password-file");
	if (o->spice_password_file && !o->spice)
		return fail(err, errlen, "--spice-password-file needs --spice");
	ret = check_spice_extras(o, err, errlen);
	if (ret || !o->spice)
		return ret;
	if (o->spice_password_file)
		return check_file("--spice-password-file", o->spice_password_file, err, errlen);
	if (!spice_listen_is_local(l))
		return fail(err, errlen, "--spice tcp:%s:%d: other hosts could connect without a "
			    "password; add --spice-password-file FILE, or listen on 127.0.0.1 or a "
			    "unix: socket (and tunnel it, e.g. ssh -L)", l->host, l->port);
	return 0;
}

/* Checks that need every flag: a boot source, combinations, sizes against RAM. */
static int check_balloon(const struct helper_options *o, char *err, size_t errlen)
{
	for (unsigned i = 0; i < o->nballoon_steps; i++)
		if (o->balloon_steps[i].bytes > o->vm.ram_size)
			return fail(err, errlen, "--balloon-target: %llu MiB is more than the "
				    "guest's RAM (--memory %llu MiB)",
				    (unsigned long long)(o->balloon_steps[i].bytes >> 20),
				    (unsigned long long)(o->vm.ram_size >> 20));
	return 0;
}

static int check_combination(struct helper_options *o, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (o->help || o->version)
		return 0;
	ret = check_spice(o, err, errlen);
	if (!ret)
		ret = check_balloon(o, err, errlen);
	if (ret)
		return ret;
	if (o->control_socket && !strcmp(o->control_socket, "auto") &&
	    (!o->vessel || !o->vessel->uuid[0]))
		return fail(err, errlen, "--control-socket auto: needs a NAME.vessel file with a "
			    "uuid in [vm] (the socket is named after it); give a PATH instead");
	if (o->vm.firmware && (o->vm.kernel || o->vm.multiboot))
		return fail(err, errlen, "--firmware cannot be combined with --kernel or --multiboot "
			    "(direct boot starts the guest without firmware)");
	if (!o->vm.kernel && !o->vm.multiboot && !o->vm.firmware)
		o->vm.firmware = FIRMWARE_DEFAULT;
	if (o->vm.kernel && o->vm.multiboot)
		return fail(err, errlen, "--kernel and --multiboot exclude each other");
	if (o->vm.initrd && !o->vm.kernel)
		return fail(err, errlen, "--initrd needs --kernel");
	if (o->vm.ram_size < (2ull << 20) || (o->vm.ram_size & 0xfff))
		return fail(err, errlen, "--memory: %llu bytes is not usable; give at least 2M, "
			    "in whole 4 KiB pages", (unsigned long long)o->vm.ram_size);
	if (o->vm.ram_size > (1ull << 46))
		return fail(err, errlen, "--memory: more than 64 TiB is not supported");
	for (unsigned i = 0; i < o->vm.ndisks; i++) {
		ret = check_path(o->vm.disks[i].cdrom ? "--cdrom" : "--disk", o->vm.disks[i].path,
				 true, err, errlen);
		if (ret)
			return ret;
	}
	if (o->vm.firmware)
		return check_file("--firmware", o->vm.firmware, err, errlen);
	ret = check_file(o->vm.kernel ? "--kernel" : "--multiboot",
			 o->vm.kernel ? o->vm.kernel : o->vm.multiboot, err, errlen);
	if (ret)
		return ret;
	if (o->vm.kernel && !stat(o->vm.kernel, &st) && (uint64_t)st.st_size >= o->vm.ram_size)
		return fail(err, errlen, "--kernel %s: the kernel (%lld bytes) is larger than the "
			    "guest's RAM (--memory %llu MiB)", o->vm.kernel, (long long)st.st_size,
			    (unsigned long long)(o->vm.ram_size >> 20));
	if (o->vm.initrd)
		return check_file("--initrd", o->vm.initrd, err, errlen);
	return 0;
}

/* --control-fd: an open socket inherited from the launcher. */
static int parse_control_fd(const char *arg, int *out, char *err, size_t errlen)
{
	struct stat st;
	char *end;
	long fd;

	errno = 0;
	fd = strtol(arg, &end, 10);
	if (errno || end == arg || *end || fd < 3 || fd > INT_MAX)
		return fail(err, errlen, "--control-fd %s: expected an open file descriptor "
			    "number above 2", arg);
	if (fstat((int)fd, &st) || !S_ISSOCK(st.st_mode))
		return fail(err, errlen, "--control-fd %s: not an open socket", arg);
	*out = (int)fd;
	return 0;
}

enum {
	OPT_MEMORY = 256, OPT_CPUS, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_MULTIBOOT,
	OPT_SERIAL, OPT_NO_REBOOT, OPT_TIMEOUT, OPT_EXIT_STATS, OPT_QUIET, OPT_FWLOG,
	OPT_HELP, OPT_VERSION, OPT_FIRMWARE, OPT_DISK, OPT_CDROM, OPT_BOOT,
	OPT_VGA, OPT_VRAM, OPT_SHOT_AT, OPT_SHOT_EXIT, OPT_TEXT_EXIT,
	OPT_SPICE, OPT_SPICE_PW, OPT_SPICE_FILE, OPT_SPICE_TLS, OPT_SPICE_PW_EXPIRES,
	OPT_CONTROL_SOCKET, OPT_CONTROL_FD, OPT_SNAP_AT, OPT_RESTORE,
	OPT_BALLOON, OPT_BALLOON_TARGET, OPT_BALLOON_STATS, OPT_TABLET, OPT_UUID,
};

static const struct option long_opts[] = {
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "multiboot", required_argument, NULL, OPT_MULTIBOOT },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "firmware-log", required_argument, NULL, OPT_FWLOG },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "cdrom", required_argument, NULL, OPT_CDROM },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "vga", required_argument, NULL, OPT_VGA },
	{ "vram", required_argument, NULL, OPT_VRAM },
	{ "screenshot-at", required_argument, NULL, OPT_SHOT_AT },
	{ "screenshot-on-exit", required_argument, NULL, OPT_SHOT_EXIT },
	{ "dump-text-on-exit", required_argument, NULL, OPT_TEXT_EXIT },
	{ "snapshot-at", required_argument, NULL, OPT_SNAP_AT },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "spice", required_argument, NULL, OPT_SPICE },
	{ "spice-password-file", required_argument, NULL, OPT_SPICE_PW },
	{ "spice-password-expires", required_argument, NULL, OPT_SPICE_PW_EXPIRES },
	{ "spice-file", required_argument, NULL, OPT_SPICE_FILE },
	{ "spice-tls", required_argument, NULL, OPT_SPICE_TLS },
	{ "control-socket", required_argument, NULL, OPT_CONTROL_SOCKET },
	{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
	{ "balloon", no_argument, NULL, OPT_BALLOON },
	{ "balloon-target", required_argument, NULL, OPT_BALLOON_TARGET },
	{ "balloon-stats", required_argument, NULL, OPT_BALLOON_STATS },
	{ "tablet", no_argument, NULL, OPT_TABLET },
	{ "uuid", required_argument, NULL, OPT_UUID },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "exit-stats", no_argument, NULL, OPT_EXIT_STATS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int apply_opt(struct helper_options *o, int c, const char *arg, char *err,
		     size_t errlen)
{
	switch (c) {
	case OPT_MEMORY:
		if (helper_parse_size(arg, &o->vm.ram_size))
			return fail(err, errlen, "--memory %s: not a size; write e.g. 512M or 2G",
				    arg);
		return 0;
	case OPT_CPUS:
		return parse_cpus(arg, &o->vm.cpus, err, errlen);
	case OPT_KERNEL:
		o->vm.kernel = arg;
		return 0;
	case OPT_INITRD:
		o->vm.initrd = arg;
		return 0;
	case OPT_APPEND:
		o->vm.cmdline = arg;
		return 0;
	case OPT_MULTIBOOT:
		o->vm.multiboot = arg;
		return 0;
	case OPT_SERIAL:
		return parse_serial(arg, &o->vm, err, errlen);
	case OPT_DISK:
	case OPT_CDROM:
		return parse_disk((char *)arg, c == OPT_CDROM, &o->vm, err, errlen);
	case OPT_BOOT:
		return parse_boot(arg, &o->vm, err, errlen);
	case OPT_VGA:
		if (strcmp(arg, "std") && strcmp(arg, "none"))
			return fail(err, errlen, "--vga %s: expected std or none", arg);
		o->no_vga = !strcmp(arg, "none");
		return 0;
	case OPT_VRAM:
		return parse_vram(arg, &o->vm.vram_size, err, errlen);
	case OPT_SHOT_AT:
		return parse_at("--screenshot-at", arg, &o->screenshot_at, &o->screenshot_at_file,
				err, errlen);
	case OPT_SNAP_AT:
		return parse_at("--snapshot-at", arg, &o->snapshot_at, &o->snapshot_at_dir, err,
				errlen);
	case OPT_RESTORE:
		o->restore_dir = arg;
		return 0;
	case OPT_SHOT_EXIT:
		o->screenshot_exit = arg;
		return 0;
	case OPT_TEXT_EXIT:
		o->text_exit = arg;
		return 0;
	case OPT_SPICE:
		if (spice_parse_listen(arg, &o->spice_listen))
			return fail(err, errlen, "--spice %s: expected tcp:[ADDR]:PORT (port 1-65535, "
				    "IPv6 in brackets) or unix:PATH", arg);
		o->spice = true;
		return 0;
	case OPT_SPICE_PW:
		o->spice_password_file = arg;
		return 0;
	case OPT_SPICE_PW_EXPIRES: {
		char *end;
		unsigned long v = strtoul(arg, &end, 10);

		if (end == arg || *end || arg[0] == '-' || v < 1 || v > 366ul * 86400)
			return fail(err, errlen, "--spice-password-expires %s: expected seconds, 1 "
				    "to 31622400 (a year)", arg);
		o->spice_password_expires = (unsigned)v;
		return 0;
	}
	case OPT_SPICE_FILE:
		o->spice_vv_file = arg;
		return 0;
	case OPT_SPICE_TLS:
		return parse_spice_tls((char *)arg, &o->spice_tls, err, errlen);
	case OPT_CONTROL_SOCKET:
		o->control_socket = arg;
		return 0;
	case OPT_CONTROL_FD:
		return parse_control_fd(arg, &o->control_fd, err, errlen);
	case OPT_BALLOON:
		o->vm.balloon = true;
		return 0;
	case OPT_BALLOON_TARGET:
		return parse_balloon_target(arg, o, err, errlen);
	case OPT_BALLOON_STATS:
		return parse_balloon_stats(arg, o, err, errlen);
	case OPT_TABLET:
		o->vm.tablet = true;
		return 0;
	case OPT_UUID:
		if (smbios_uuid_parse(arg, o->vm.uuid))
			return fail(err, errlen, "--uuid %s: expected a UUID as 36 characters, "
				    "8-4-4-4-12 hex digits, e.g. "
				    "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37", arg);
		return 0;
	case OPT_FIRMWARE:
		o->vm.firmware = arg;
		return 0;
	case OPT_FWLOG:
		o->firmware_log = arg;
		return 0;
	case OPT_NO_REBOOT:
		o->vm.no_reboot = true;
		return 0;
	case OPT_TIMEOUT:
		return parse_timeout(arg, &o->timeout, err, errlen);
	case OPT_EXIT_STATS:
		o->exit_stats = true;
		return 0;
	case OPT_QUIET:
		o->vm.quiet = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_VERSION:
		o->version = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The one positional argument, which must name a .vessel file; NULL if there is none. */
static const char *find_vessel_arg(int argc, char **argv, char *err, size_t errlen, int *ret)
{
	const char *found = NULL;
	int c;

	*ret = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1)
		;
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (found || n < 8 || strcmp(argv[i] + n - 7, ".vessel")) {
			*ret = fail(err, errlen, "%s: unexpected argument (one NAME.vessel file may "
				    "be given; see --help)", argv[i]);
			return NULL;
		}
		found = argv[i];
	}
	return found;
}

/*
 * [spice] listen/port/password-file turn SPICE sharing on as --spice tcp:LISTEN:PORT would
 * (listen defaults to 127.0.0.1, port to 5900); --spice flags given later override it.
 */
static int vessel_spice(struct helper_options *o, char *err, size_t errlen)
{
	const struct vessel_file *vf = o->vessel;
	g_autofree char *spec = NULL;
	const char *addr;

	if (!vf->spice_listen && !vf->spice_port)
		return 0;
	addr = vf->spice_listen ? vf->spice_listen : "127.0.0.1";
	spec = g_strdup_printf(strchr(addr, ':') && addr[0] != '[' ? "tcp:[%s]:%u" : "tcp:%s:%u",
			       addr, vf->spice_port ? vf->spice_port : 5900);
	if (spice_parse_listen(spec, &o->spice_listen))
		return fail(err, errlen, "%s: [spice] listen=%s port=%u is not an address and port "
			    "SPICE can listen on", vf->path, addr, vf->spice_port);
	o->spice = true;
	o->spice_password_file = vf->spice_password_file;
	return 0;
}

/* Load NAME.vessel as the base configuration the flags then override. */
static int load_vessel(struct helper_options *o, const char *path, char *err, size_t errlen)
{
	GError *gerr = NULL;

	if (vessel_file_load(path, &o->vessel, &gerr) < 0) {
		snprintf(err, errlen, "%s", gerr ? gerr->message : path);
		g_clear_error(&gerr);
		return -EINVAL;
	}
	o->vessel_path = path;
	vessel_file_to_vm_config(o->vessel, &o->vm);
	/* The file's uuid is the machine's SMBIOS UUID too (--uuid overrides it). */
	if (o->vessel->uuid[0] && smbios_uuid_parse(o->vessel->uuid, o->vm.uuid))
		return fail(err, errlen, "%s: [vm] uuid=%s is not a UUID in the 36-character form",
			    path, o->vessel->uuid);
	o->file_firmware = o->vm.firmware;
	return vessel_spice(o, err, errlen);
}

void helper_options_free(struct helper_options *o)
{
	vessel_file_free(o->vessel);
	o->vessel = NULL;
}

int helper_parse_args(int argc, char **argv, struct helper_options *o, char *err,
		      size_t errlen)
{
	const char *vessel;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->vm.ram_size = 256ull << 20;
	o->vm.cpus = 1;
	o->control_fd = -1;
	o->vm.serial = VM_SERIAL_STDIO;
	err[0] = '\0';
	/* Getopt's state is reset (optind = 0) by each pass: tests call us more than once. */
	vessel = find_vessel_arg(argc, argv, err, errlen, &ret);
	if (ret)
		return ret;
	if (vessel && (ret = load_vessel(o, vessel, err, errlen)))
		return ret;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			return fail(err, errlen, optopt ? "%s: missing its value" :
				    "%s: unknown option (see --help)", bad);
		}
		ret = apply_opt(o, c, optarg, err, errlen);
		if (ret)
			return ret;
	}
	/* Direct boot named on the command line replaces the file's firmware. */
	if (vessel && (o->vm.kernel || o->vm.multiboot) && o->vm.firmware == o->file_firmware)
		o->vm.firmware = NULL;
	return check_combination(o, err, errlen);
}
