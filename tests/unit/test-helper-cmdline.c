// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-helper flags: sizes, every bad flag gets a message naming it (SPICE flags too). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firmware.h"
#include "helper-cmdline.h"
#include "smbios.h"
#include "vessel-file.h"
#include "tap.h"

static char kernel_path[] = "/tmp/vessel-test-kernelXXXXXX";
static char empty_path[] = "/tmp/vessel-test-emptyXXXXXX";

static int parse(struct helper_options *o, char *err, size_t len, ...)
{
	char *argv[32] = { "vessel-helper" };
	int argc = 1;
	va_list ap;

	va_start(ap, len);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	return helper_parse_args(argc, argv, o, err, len);
}

static void test_sizes(void)
{
	uint64_t v = 0;

	ok(!helper_parse_size("512M", &v) && v == 512ull << 20, "512M");
	ok(!helper_parse_size("2G", &v) && v == 2ull << 30, "2G");
	ok(!helper_parse_size("1536MiB", &v) && v == 1536ull << 20, "1536MiB");
	ok(!helper_parse_size("64", &v) && v == 64ull << 20, "a bare number is MiB");
	ok(!helper_parse_size("4096b", &v) && v == 4096, "bytes");
	ok(helper_parse_size("lots", &v) == -EINVAL, "words are not sizes");
	ok(helper_parse_size("-5M", &v) == -EINVAL, "negative refused");
	ok(helper_parse_size("12Q", &v) == -EINVAL, "unknown unit refused");
	ok(helper_parse_size("99999999999999999999G", &v) == -EINVAL, "overflow refused");
	ok(helper_parse_size("18014398509481984T", &v) == -EINVAL, "shift overflow refused");
}

static void test_flags(void)
{
	struct helper_options o;
	char err[256];

	is_int(parse(&o, err, sizeof(err), "--memory", "64M", "--cpus", "2", "--multiboot",
		     kernel_path, "--serial", "file:/tmp/x", "--timeout", "2.5", NULL), 0,
	       "a good command line");
	ok(o.vm.ram_size == 64ull << 20 && o.vm.cpus == 2 && o.timeout == 2.5 &&
	   o.vm.serial == VM_SERIAL_FILE && !strcmp(o.vm.serial_path, "/tmp/x"), "values kept");

	is_int(parse(&o, err, sizeof(err), "--memory", "lots", "--multiboot", kernel_path, NULL),
	       -EINVAL, "bad memory");
	ok(strstr(err, "--memory lots") != NULL, "message names the flag: %s", err);
	is_int(parse(&o, err, sizeof(err), "--cpus", "0", "--multiboot", kernel_path, NULL),
	       -EINVAL, "zero cpus");
	ok(strstr(err, "--cpus") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", "/nonexistent/guest.elf", NULL),
	       -EINVAL, "missing file");
	ok(strstr(err, "/nonexistent/guest.elf") && strstr(err, "No such file"), "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", empty_path, NULL), -EINVAL,
	       "empty file");
	ok(strstr(err, "empty") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", "/tmp", NULL), -EINVAL, "a directory");
	is_int(parse(&o, err, sizeof(err), "--firmware", "/nonexistent/bios.bin", NULL), -EINVAL,
	       "a missing firmware file");
	ok(strstr(err, "--firmware /nonexistent/bios.bin") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--firmware", kernel_path, "--multiboot", kernel_path,
		     NULL), -EINVAL, "firmware and direct boot exclude each other");
	/* Nothing named: boot through the default firmware (if this host has it). */
	if (access(FIRMWARE_DEFAULT, R_OK) == 0) {
		is_int(parse(&o, err, sizeof(err), NULL), 0, "no boot source means firmware");
		ok(o.vm.firmware && !strcmp(o.vm.firmware, FIRMWARE_DEFAULT), "the default BIOS");
	}
	is_int(parse(&o, err, sizeof(err), "--bogus", NULL), -EINVAL, "unknown flag");
	ok(strstr(err, "--bogus") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", NULL), -EINVAL, "missing value");
	ok(strstr(err, "missing") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--serial", "tcp:1", "--multiboot", kernel_path, NULL),
	       -EINVAL, "bad serial backend");
	is_int(parse(&o, err, sizeof(err), "--initrd", kernel_path, "--multiboot", kernel_path,
		     NULL), -EINVAL, "initrd without kernel");
	is_int(parse(&o, err, sizeof(err), "--memory", "1M", "--multiboot", kernel_path, NULL),
	       -EINVAL, "too little memory");
	is_int(parse(&o, err, sizeof(err), "--memory", "2M", "--kernel", kernel_path, NULL),
	       -EINVAL, "a kernel larger than RAM");
	ok(strstr(err, "larger than") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--timeout", "-1", "--multiboot", kernel_path, NULL),
	       -EINVAL, "negative timeout");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "extra", NULL), -EINVAL,
	       "stray argument");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--snapshot-at",
		     "1.5:snaps/1", "--restore", "snaps/0", NULL), 0, "--snapshot-at and --restore");
	ok(o.snapshot_at == 1.5 && !strcmp(o.snapshot_at_dir, "snaps/1") &&
	   !strcmp(o.restore_dir, "snaps/0"), "snapshot options kept");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--snapshot-at", "soon",
		     NULL), -EINVAL, "--snapshot-at without SECONDS:DIR");
	ok(strstr(err, "expected SECONDS:DIR") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--disk", strdupa(kernel_path), "--cdrom",
		     strdupa(kernel_path), "--disk", strcat(strcpy(alloca(128), kernel_path),
		     ",bus=virtio,readonly"), "--boot", "cdrom", NULL), 0, "disks and a CD-ROM");
	ok(o.vm.ndisks == 3 && !o.vm.disks[0].cdrom && o.vm.disks[0].bus == VM_DISK_IDE &&
	   o.vm.disks[1].cdrom && o.vm.disks[1].readonly && o.vm.disks[2].bus == VM_DISK_VIRTIO &&
	   o.vm.disks[2].readonly && o.vm.boot_from == VM_BOOT_CDROM, "disk options kept");
	is_int(parse(&o, err, sizeof(err), "--disk", strcat(strcpy(alloca(128), kernel_path),
		     ",bus=scsi"), NULL), -EINVAL, "an unknown disk option");
	ok(strstr(err, "bus=scsi") && strstr(err, "allowed"), "%s", err);
	is_int(parse(&o, err, sizeof(err), "--disk", strdupa(empty_path), NULL), -EINVAL,
	       "a zero-length disk image");
	ok(strstr(err, "empty") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--boot", "floppy", NULL), -EINVAL, "bad --boot");
	is_int(parse(&o, err, sizeof(err), "--help", NULL), 0, "--help needs nothing else");
	ok(o.help, "help flag set");
}

static void check_uuid(const struct helper_options *o, const char *text, const char *what)
{
	uint8_t want[16] = { 0 };

	ok(!smbios_uuid_parse(text, want) && !memcmp(o->vm.uuid, want, 16), "%s (%s)", what, text);
}

/* --uuid: strictly the 36-character text; without it (and without a file) all zeros. */
static void test_uuid_flag(void)
{
	static const uint8_t zero[16];
	struct helper_options o;
	char err[256];

	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, NULL), 0, "no --uuid");
	ok(!memcmp(o.vm.uuid, zero, 16), "no uuid: zeros");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--uuid",
		     "2F1D7C9E-5B3A-4E61-9A0C-8D4F6E2B1A37", NULL), 0, "--uuid in capitals");
	check_uuid(&o, "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37", "--uuid parsed");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--uuid",
		     "2f1d7c9e5b3a4e619a0c8d4f6e2b1a37", NULL), -EINVAL, "--uuid without hyphens");
	ok(strstr(err, "--uuid 2f1d7c9e5b3a4e619a0c8d4f6e2b1a37") && strstr(err, "8-4-4-4-12"),
	   "message names the flag and the form: %s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--uuid",
		     "{2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37}", NULL), -EINVAL, "--uuid in braces");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--uuid", "", NULL),
	       -EINVAL, "--uuid empty");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--uuid", NULL), -EINVAL,
	       "--uuid without its value");
}

/* NAME.vessel as the base configuration, flags on top. */
static void test_vessel_file(void)
{
	struct helper_options o;
	char dir[] = "/tmp/vessel-test-vmXXXXXX", path[256], disk[256], err[512], uuid[40];
	GError *gerr = NULL;
	struct vessel_file *vf;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	vf = vessel_file_create(dir, "Demo", 512ull << 20, 2, &gerr);
	ok(vf != NULL, "a VM folder to start from");
	if (!vf)
		return;
	snprintf(uuid, sizeof(uuid), "%s", vf->uuid);
	vessel_file_free(vf);
	snprintf(disk, sizeof(disk), "%s/Demo/disk.img", dir);
	f = fopen(disk, "w");
	fputs("0123456789", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Demo/Demo.vessel", dir);
	f = fopen(path, "a");
	fputs("\n[disk.0]\nfile=disk.img\nbus=virtio\n", f);
	fclose(f);

	is_int(parse(&o, err, sizeof(err), path, NULL), 0, "vessel-helper NAME.vessel: %s", err);
	ok(o.vm.ram_size == 512ull << 20 && o.vm.cpus == 2 && o.vm.ndisks == 1 &&
	   o.vm.disks[0].bus == VM_DISK_VIRTIO && !strcmp(o.vm.disks[0].path, disk) &&
	   o.vm.firmware != NULL, "memory, CPUs, disk (resolved in the folder) and firmware");
	check_uuid(&o, uuid, "the file's [vm] uuid reaches the VM config (SMBIOS type 1)");
	helper_options_free(&o);
	is_int(parse(&o, err, sizeof(err), path, "--uuid", "00112233-4455-6677-8899-aabbccddeeff",
		     NULL), 0, "--uuid after NAME.vessel: %s", err);
	check_uuid(&o, "00112233-4455-6677-8899-aabbccddeeff", "--uuid overrides the file's");
	helper_options_free(&o);
	is_int(parse(&o, err, sizeof(err), "--memory", "128M", path, "--cpus", "1", NULL), 0,
	       "flags around the file");
	ok(o.vm.ram_size == 128ull << 20 && o.vm.cpus == 1 && o.vm.ndisks == 1,
	   "flags override the file's values");
	helper_options_free(&o);
	is_int(parse(&o, err, sizeof(err), path, "--multiboot", kernel_path, NULL), 0,
	       "direct boot replaces the file's firmware");
	ok(!o.vm.firmware && o.vm.multiboot, "no firmware then");
	helper_options_free(&o);
	is_int(parse(&o, err, sizeof(err), path, "other.vessel", NULL), -EINVAL,
	       "only one .vessel file");
	is_int(parse(&o, err, sizeof(err), "/nonexistent/X.vessel", NULL), -EINVAL,
	       "a missing .vessel file");
	ok(strstr(err, "X.vessel") != NULL, "%s", err);
	f = fopen(path, "a");
	fputs("\n[vm]\nmemory=lots\n", f);
	fclose(f);
	is_int(parse(&o, err, sizeof(err), path, NULL), -EINVAL, "a bad value in the file");
	ok(strstr(err, "memory") != NULL, "the message names the key: %s", err);
	helper_options_free(&o);
	unlink(path);
	unlink(disk);
	snprintf(path, sizeof(path), "%s/Demo", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_balloon_flags(void)
{
	struct helper_options o;
	char err[256];

	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--memory", "128M",
		     "--balloon-target", "96M", "--balloon-target", "0@12.5", "--balloon-stats",
		     "2", NULL), 0, "balloon flags");
	ok(o.vm.balloon, "--balloon-target adds the device");
	is_int(o.nballoon_steps, 2, "two steps");
	ok(o.balloon_steps[0].bytes == 96ull << 20 && o.balloon_steps[0].at == 0,
	   "96M at 0 s by default");
	ok(o.balloon_steps[1].bytes == 0 && o.balloon_steps[1].at == 12.5, "0 at 12.5 s");
	is_int(o.vm.balloon_stats_interval, 2, "--balloon-stats 2");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--balloon", NULL), 0,
	       "--balloon alone");
	ok(o.vm.balloon && !o.nballoon_steps, "device, no schedule");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--memory", "64M",
		     "--balloon-target", "96M", NULL), -EINVAL, "target past RAM");
	ok(strstr(err, "--balloon-target") != NULL, "message names the flag: %s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--balloon-target",
		     "1M@soon", NULL), -EINVAL, "bad time");
	ok(strstr(err, "--balloon-target") != NULL, "message: %s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--balloon-stats", "-1",
		     NULL), -EINVAL, "negative stats interval");
	ok(strstr(err, "--balloon-stats") != NULL, "message: %s", err);
}

static void test_tablet_flag(void)
{
	struct helper_options o;
	char err[256];

	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, NULL), 0, "no --tablet");
	ok(!o.vm.tablet, "no tablet unless asked for");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--tablet", NULL), 0,
	       "--tablet");
	ok(o.vm.tablet, "--tablet adds the device");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--tablet=yes", NULL),
	       -EINVAL, "--tablet takes no value");
}

/* --spice and its companions: each refusal names its flag and how to fix it. */
static void test_spice_flags(void)
{
	struct helper_options o;
	char err[256], tls[3 * sizeof(kernel_path) + 4], bad_tls[] = "cert.pem";
	char two_commas[] = "a,,c", four[] = "a,b,c,d", no_cert[] = ",b";

	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice",
		     "tcp:127.0.0.1:5930", NULL), 0, "--spice on loopback needs no password");
	ok(o.spice && o.spice_listen.port == 5930 && !strcmp(o.spice_listen.host, "127.0.0.1"),
	   "listen address kept");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp:[::1]:5930",
		     NULL), 0, "IPv6 loopback needs no password either");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "vnc:5900",
		     NULL), -EINVAL, "an unknown listen kind");
	ok(strstr(err, "--spice vnc:5900") && strstr(err, "tcp:"), "message shows the forms: %s",
	   err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp:0.0.0.0:5930",
		     NULL), -EINVAL, "any-address listen without a password");
	ok(strstr(err, "--spice-password-file") && strstr(err, "127.0.0.1"),
	   "message says how to fix it: %s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice",
		     "tcp:vm-host.example:5930", NULL), -EINVAL,
	       "a host name could resolve anywhere: password needed");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp:0.0.0.0:5930",
		     "--spice-password-file", kernel_path, NULL), 0, "any-address with a password");
	ok(o.spice_password_file == kernel_path, "password file kept");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-password-file", "/nonexistent/pw", NULL), -EINVAL,
	       "a missing password file");
	ok(strstr(err, "--spice-password-file") && strstr(err, "/nonexistent/pw"), "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice-password-file",
		     kernel_path, NULL), -EINVAL, "--spice-password-file alone");
	ok(strstr(err, "needs --spice") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-password-file", kernel_path, "--spice-password-expires", "600", NULL),
	       0, "a password that expires after 600 s");
	is_int(o.spice_password_expires, 600, "lifetime kept");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-password-file", kernel_path, "--spice-password-expires", "-1", NULL),
	       -EINVAL, "a negative lifetime");
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-password-expires", "60", NULL), -EINVAL, "a lifetime without password");
	ok(strstr(err, "needs --spice-password-file") != NULL, "%s", err);

	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice-file", "/tmp/x.vv",
		     NULL), -EINVAL, "--spice-file alone");
	ok(strstr(err, "--spice-file needs --spice") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "unix:/tmp/s",
		     "--spice-file", "/tmp/x.vv", NULL), -EINVAL, "--spice-file with unix:");
	ok(strstr(err, "tcp: only") != NULL, "%s", err);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-file", "/tmp/x.vv", NULL), 0, "--spice-file with tcp:");
	ok(o.spice_vv_file && !strcmp(o.spice_vv_file, "/tmp/x.vv"), ".vv path kept");

	is_int(parse(&o, err, sizeof(err), "--spice-tls", bad_tls, NULL), -EINVAL,
	       "--spice-tls without a key");
	ok(strstr(err, "CERT,KEY") != NULL, "message shows the form: %s", err);
	is_int(parse(&o, err, sizeof(err), "--spice-tls", two_commas, NULL), -EINVAL,
	       "--spice-tls with an empty key");
	is_int(parse(&o, err, sizeof(err), "--spice-tls", four, NULL), -EINVAL,
	       "--spice-tls with four parts");
	is_int(parse(&o, err, sizeof(err), "--spice-tls", no_cert, NULL), -EINVAL,
	       "--spice-tls with an empty cert");
	snprintf(tls, sizeof(tls), "%s,%s,%s", kernel_path, kernel_path, kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice-tls", tls, NULL),
	       -EINVAL, "--spice-tls alone");
	ok(strstr(err, "--spice-tls needs --spice") != NULL, "%s", err);
	snprintf(tls, sizeof(tls), "%s,%s,%s", kernel_path, kernel_path, kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "unix:/tmp/s",
		     "--spice-tls", tls, NULL), -EINVAL, "--spice-tls with unix:");
	ok(strstr(err, "--spice-tls works with --spice tcp: only") != NULL, "%s", err);
	snprintf(tls, sizeof(tls), "%s,%s,%s", kernel_path, kernel_path, kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-tls", tls, NULL), 0, "--spice-tls CERT,KEY,CA");
	ok(o.spice_tls.cert == tls && o.spice_tls.key == tls + strlen(kernel_path) + 1 &&
	   o.spice_tls.ca == tls + 2 * (strlen(kernel_path) + 1), "the three paths split in place");
	snprintf(tls, sizeof(tls), "%s,/nonexistent/key.pem", kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-tls", tls, NULL), -EINVAL, "--spice-tls with a missing key");
	ok(strstr(err, "/nonexistent/key.pem") != NULL, "message names the file: %s", err);
	snprintf(tls, sizeof(tls), "%s,%s", kernel_path, kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp:0.0.0.0:5930",
		     "--spice-tls", tls, NULL), -EINVAL, "TLS alone does not open other hosts");
	ok(strstr(err, "--spice-password-file") != NULL, "%s", err);
	snprintf(tls, sizeof(tls), "%s,%s", kernel_path, kernel_path);
	is_int(parse(&o, err, sizeof(err), "--multiboot", kernel_path, "--spice", "tcp::5930",
		     "--spice-tls", tls, NULL), 0, "--spice-tls CERT,KEY");
	ok(o.spice_tls.cert == tls && o.spice_tls.key == tls + strlen(kernel_path) + 1 &&
	   !o.spice_tls.ca, "CERT,KEY splits in place and leaves no CA");
}

int main(void)
{
	int fd = mkstemp(kernel_path);
	char *blob = calloc(1, 3 << 20);

	/* A 3 MiB "kernel": bigger than a 2 MiB guest. */
	if (fd < 0 || write(fd, blob, 3 << 20) != 3 << 20)
		return 1;
	close(fd);
	fd = mkstemp(empty_path);
	close(fd);
	test_sizes();
	test_flags();
	test_uuid_flag();
	test_vessel_file();
	test_balloon_flags();
	test_tablet_flag();
	test_spice_flags();
	unlink(kernel_path);
	unlink(empty_path);
	free(blob);
	return tap_done();
}
