// SPDX-License-Identifier: GPL-2.0-or-later
/* Tests for the .vessel file: parsing, errors, conversion, atomic saves and creation. */
#include "vessel-file.h"
#include "firmware.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UUID1 "2f1d7c9e-5b3a-4e61-9a0c-8d4f6e2b1a37"
#define VM_HEAD "[vm]\nname=W\nuuid=" UUID1 "\nmemory=2G\n"

static const char good_file[] =
	"# my comment about this VM\n"
	"[vm]\n"
	"name=Windows 11\n"
	"uuid=" UUID1 "\n"
	"memory=2G\n"
	"cpus=4\n"
	"firmware=bios\n"
	"x-unknown=keep me\n"
	"\n"
	"[disk.1]\n"
	"file=data.img\n"
	"bus=virtio\n"
	"readonly=true\n"
	"\n"
	"[disk.0]\n"
	"# the system disk\n"
	"file=disk.qcow2\n"
	"bus=ahci\n"
	"\n"
	"[cdrom]\n"
	"file=../isos/win.iso\n"
	"\n"
	"[display]\n"
	"vram=32M\n"
	"\n"
	"[spice]\n"
	"listen=127.0.0.1\n"
	"port=5930\n"
	"password-file=spice.pw\n"
	"tls=false\n"
	"\n"
	"[balloon]\n"
	"min=1G\n"
	"max=2G\n"
	"auto=true\n"
	"share-pages=true\n"
	"\n"
	"[net.0]\n"
	"mode=user\n"
	"\n"
	"[input]\n"
	"tablet=true\n"
	"\n"
	"[usb]\n"
	"tablet=true\n"
	"\n"
	"[audio]\n"
	"backend=pulse\n"
	"\n"
	"[x-custom]\n"
	"foo=bar\n";

static void write_file(const char *path, const char *text)
{
	if (!g_file_set_contents(path, text, -1, NULL)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static char *slurp(const char *path)
{
	char *s = NULL;

	g_file_get_contents(path, &s, NULL, NULL);
	return s;
}

/* base/Win/ with the good file, its disks and an ISO one folder up. */
static char *make_vm(const char *base)
{
	char *dir = g_build_filename(base, "Win", NULL);
	g_autofree char *isos = g_build_filename(base, "isos", NULL);
	g_autofree char *p = NULL;

	g_mkdir_with_parents(dir, 0755);
	g_mkdir_with_parents(isos, 0755);
	p = g_build_filename(dir, "disk.qcow2", NULL);
	write_file(p, "qcow2");
	g_free(p);
	p = g_build_filename(dir, "data.img", NULL);
	write_file(p, "raw");
	g_free(p);
	p = g_build_filename(isos, "win.iso", NULL);
	write_file(p, "iso");
	g_free(p);
	p = g_build_filename(dir, "Win.vessel", NULL);
	write_file(p, good_file);
	return dir;
}

static void test_good(const char *base, const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	g_autofree char *disk0 = g_build_filename(dir, "disk.qcow2", NULL);
	g_autofree char *disk1 = g_build_filename(dir, "data.img", NULL);
	g_autofree char *iso = g_build_filename(base, "isos", "win.iso", NULL);
	g_autofree char *pw = g_build_filename(dir, "spice.pw", NULL);
	g_autoptr(GError) e = NULL;
	struct vessel_file *vf = NULL;
	int ret = vessel_file_load(path, &vf, &e);

	is_int(ret, 0, "good file loads (%s)", e ? e->message : "no error");
	if (!vf)
		return;
	ok(!strcmp(vf->name, "Windows 11"), "name");
	ok(!strcmp(vf->uuid, UUID1), "uuid");
	is_int(vf->memory, 2ull << 30, "memory 2G");
	is_int(vf->cpus, 4, "cpus");
	ok(vf->firmware == NULL, "firmware=bios means the default BIOS");
	is_int(vf->ndisks, 2, "two disks");
	ok(!strcmp(vf->disks[0].path, disk0), "[disk.0] first, resolved against the folder: %s",
	   vf->disks[0].path);
	is_int(vf->disks[0].bus, VM_DISK_AHCI, "[disk.0] bus=ahci");
	ok(!vf->disks[0].readonly, "[disk.0] writable by default");
	ok(!strcmp(vf->disks[0].file, "disk.qcow2"), "[disk.0] file kept as written");
	ok(!strcmp(vf->disks[1].path, disk1), "[disk.1] second");
	is_int(vf->disks[1].bus, VM_DISK_VIRTIO, "[disk.1] bus=virtio");
	ok(vf->disks[1].readonly, "[disk.1] readonly");
	ok(vf->cdrom && !strcmp(vf->cdrom, iso), "cdrom ../isos/win.iso resolved to %s",
	   vf->cdrom);
	is_int(vf->vram, 32ull << 20, "vram");
	ok(vf->spice_listen && !strcmp(vf->spice_listen, "127.0.0.1"), "spice listen");
	is_int(vf->spice_port, 5930, "spice port");
	ok(vf->spice_password_file && !strcmp(vf->spice_password_file, pw),
	   "spice password-file resolved (need not exist)");
	is_int(vf->balloon_min, 1ull << 30, "balloon min");
	is_int(vf->balloon_max, 2ull << 30, "balloon max");
	ok(vf->balloon_auto, "balloon auto");
	ok(vf->balloon && vf->balloon_share_pages, "[balloon] present, share-pages");
	ok(vf->tablet, "[input] tablet=true");
	is_int(vf->nnets, 1, "one network card");
	ok(vf->nnets == 1 && !strcmp(vf->nets[0].mode, "user"), "net.0 mode=user");
	vessel_file_free(vf);
}

static void test_vm_config(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	struct vm_config cfg;
	struct vessel_file *vf = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.serial = VM_SERIAL_STDIO;
	cfg.ndisks = 5;
	cfg.disks[4].path = "stale";
	if (vessel_file_load(path, &vf, NULL))
		return;
	vessel_file_to_vm_config(vf, &cfg);
	is_int(cfg.ram_size, 2ull << 30, "vm_config ram_size");
	is_int(cfg.cpus, 4, "vm_config cpus");
	ok(cfg.firmware && !strcmp(cfg.firmware, FIRMWARE_DEFAULT), "vm_config firmware default");
	is_int(cfg.vram_size, 32ull << 20, "vm_config vram_size");
	ok(cfg.balloon && cfg.share_pages, "vm_config: a [balloon] group adds the device");
	ok(cfg.tablet, "vm_config: [input] tablet=true adds the tablet");
	is_int(cfg.ndisks, 3, "vm_config: two disks and the CD-ROM replace the old list");
	ok(cfg.disks[0].path == vf->disks[0].path && cfg.disks[0].bus == VM_DISK_AHCI &&
	   !cfg.disks[0].cdrom, "vm_config disk 0");
	ok(cfg.disks[1].readonly && cfg.disks[1].bus == VM_DISK_VIRTIO, "vm_config disk 1");
	ok(cfg.disks[2].cdrom && cfg.disks[2].readonly && cfg.disks[2].path == vf->cdrom,
	   "vm_config CD-ROM last, read-only");
	ok(cfg.disks[4].path == NULL, "vm_config: stale disk slots cleared");
	is_int(cfg.serial, VM_SERIAL_STDIO, "vm_config: other fields untouched");
	vessel_file_free(vf);
}

static void test_roundtrip(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) e = NULL;
	struct vessel_file *vf = NULL;
	struct stat st;

	chmod(path, 0640);
	if (vessel_file_load(path, &vf, NULL))
		return;
	is_int(vessel_file_set_memory(vf, 3ull << 30, NULL), 0, "set memory 3G");
	is_int(vessel_file_set_cpus(vf, 2, NULL), 0, "set cpus 2");
	is_int(vessel_file_set_name(vf, "Win Renamed", NULL), 0, "set name");
	is_int(vessel_file_set_memory(vf, 1ull << 20, &e), -EINVAL, "set memory 1M refused");
	ok(e && strstr(e->message, "Win.vessel: [vm] memory:"), "setter error names the key: %s",
	   e ? e->message : "");
	is_int(vessel_file_set_cpus(vf, 0, NULL), -EINVAL, "set cpus 0 refused");
	is_int(vessel_file_set_name(vf, "bad\nname", NULL), -EINVAL, "name with newline refused");
	is_int(vf->memory, 3ull << 30, "refused setter left memory alone");
	is_int(vessel_file_save(vf, NULL), 0, "save");
	vessel_file_free(vf);
	vf = NULL;

	is_int(vessel_file_load(path, &vf, NULL), 0, "saved file loads again");
	if (!vf)
		return;
	is_int(vf->memory, 3ull << 30, "memory survived");
	is_int(vf->cpus, 2, "cpus survived");
	ok(!strcmp(vf->name, "Win Renamed"), "name survived");
	is_int(vf->ndisks, 2, "disks survived");
	text = slurp(path);
	ok(text && strstr(text, "memory=3G"), "memory written as 3G");
	ok(text && strstr(text, "x-unknown=keep me"), "unknown key in [vm] kept");
	ok(text && strstr(text, "[x-custom]") && strstr(text, "foo=bar"), "unknown group kept");
	ok(text && strstr(text, "tablet=true") && strstr(text, "backend=pulse"),
	   "[usb] and [audio] kept");
	ok(text && strstr(text, "tls=false"), "unknown [spice] key kept");
	ok(text && strstr(text, "# my comment about this VM") && strstr(text, "# the system disk"),
	   "comments kept");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "file mode kept (%o)",
	   st.st_mode & 0777);
	vessel_file_free(vf);
}

struct bad_case {
	const char *text;
	const char *want;
};

static const struct bad_case bad_cases[] = {
	{ "[vm]\nname=W\nuuid=" UUID1 "\nmemory=2 gigs\n",
	  "Win.vessel: [vm] memory: '2 gigs' is not a size; write e.g. 2G" },
	{ VM_HEAD "memory=8M\n", "[vm] memory: '8M' is out of range; allowed: 16M to 1T" },
	{ VM_HEAD "memory=16385K\n", "[vm] memory: not a whole number of MiB" },
	{ VM_HEAD "cpus=0\n", "[vm] cpus: '0' is not allowed; write a whole number from 1 to 256" },
	{ VM_HEAD "cpus=four\n", "[vm] cpus: 'four'" },
	{ VM_HEAD "cpus=1000\n", "[vm] cpus: '1000'" },
	{ VM_HEAD "cpus=-1\n", "[vm] cpus: '-1'" },
	{ "[vm]\nname=W\nuuid=not-a-uuid\n", "[vm] uuid: 'not-a-uuid' is not a UUID" },
	{ "[vm]\nname=W\n", "[vm] uuid: '' is not a UUID" },
	{ "[vm]\nname=\nuuid=" UUID1 "\n", "[vm] name: missing or not allowed" },
	{ VM_HEAD "firmware=missing.bin\n", "[vm] firmware: 'missing.bin' cannot be used" },
	{ "[display]\nvram=16M\n", "Win.vessel: [vm]: missing" },
	{ "just words\n", "Win.vessel: not a .vessel key file" },
	{ VM_HEAD "[disk.0]\nfile=nope.img\n", "[disk.0] file: 'nope.img' cannot be used" },
	{ VM_HEAD "[disk.0]\nbus=ide\n", "[disk.0] file: missing" },
	{ VM_HEAD "[disk.0]\nfile=\n", "[disk.0] file: the file name is empty" },
	{ VM_HEAD "[disk.0]\nfile=.\n", "[disk.0] file: '.' is not a regular file" },
	{ VM_HEAD "[disk.0]\nfile=disk.qcow2\nbus=scsi\n",
	  "[disk.0] bus: 'scsi' is not allowed; write one of ide | ahci | virtio" },
	{ VM_HEAD "[disk.0]\nfile=disk.qcow2\nreadonly=yes\n",
	  "[disk.0] readonly: 'yes' is not a yes/no value; write true or false" },
	{ VM_HEAD "[disk.x]\nfile=disk.qcow2\n", "[disk.x]: not a disk group" },
	{ VM_HEAD "[disk.01]\nfile=disk.qcow2\n", "[disk.01]: not a disk group" },
	{ VM_HEAD "[disk.0]\nfile=disk.qcow2\n[disk.1]\nfile=disk.qcow2\n[disk.2]\nfile=disk.qcow2\n"
	  "[disk.3]\nfile=disk.qcow2\n[disk.4]\nfile=disk.qcow2\n[disk.5]\nfile=disk.qcow2\n"
	  "[disk.6]\nfile=disk.qcow2\n[disk.7]\nfile=disk.qcow2\n[cdrom]\nfile=disk.qcow2\n",
	  "[disk.7]: too many drives" },
	{ VM_HEAD "[cdrom]\nfile=missing.iso\n", "[cdrom] file: 'missing.iso' cannot be used" },
	{ VM_HEAD "[display]\nvram=24M\n", "[display] vram: not a power of two" },
	{ VM_HEAD "[input]\ntablet=yes\n",
	  "[input] tablet: 'yes' is not a yes/no value; write true or false" },
	{ VM_HEAD "[display]\nvram=1G\n", "[display] vram: '1G' is out of range" },
	{ VM_HEAD "[spice]\nport=70000\n", "[spice] port: '70000' is not allowed" },
	{ VM_HEAD "[spice]\nlisten=\n", "[spice] listen: empty" },
	{ VM_HEAD "[balloon]\nmax=4G\n", "[balloon] max: larger than [vm] memory" },
	{ VM_HEAD "[balloon]\nmin=2G\nmax=1G\n", "[balloon] min: larger than max" },
	{ VM_HEAD "[balloon]\nauto=maybe\n", "[balloon] auto: 'maybe'" },
	{ VM_HEAD "[balloon]\nshare-pages=1\n", "[balloon] share-pages: '1'" },
	{ VM_HEAD "[net.0]\nmode=wifi\n", "[net.0] mode: 'wifi' is not allowed; write one of "
	  "user | bridge | none" },
	{ VM_HEAD "[network]\nmode=user\n", "[network]: not a network group" },
};

static void test_bad(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	g_autofree char *keep = slurp(path);

	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autoptr(GError) e = NULL;
		struct vessel_file *vf = (void *)1;
		int ret;

		write_file(path, bad_cases[i].text);
		ret = vessel_file_load(path, &vf, &e);
		ok(ret == -EINVAL && !vf && e && e->domain == VESSEL_FILE_ERROR &&
		   strstr(e->message, bad_cases[i].want), "bad case %zu: %s", i,
		   e ? e->message : "(no error)");
		if (e && !strstr(e->message, bad_cases[i].want))
			printf("#   wanted: %s\n", bad_cases[i].want);
		vessel_file_free(ret ? NULL : vf);
	}
	write_file(path, keep);
}

/* Files written before the tablet existed keep their hardware: no [input], no tablet. */
static void test_tablet_default(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Old.vessel", NULL);
	g_autoptr(GError) e = NULL;
	struct vessel_file *vf = NULL;
	struct vm_config cfg = { .tablet = true };

	write_file(path, VM_HEAD);
	is_int(vessel_file_load(path, &vf, &e), 0, "a file without [input] loads");
	if (!vf)
		return;
	ok(!vf->tablet, "no [input] group: no tablet");
	vessel_file_to_vm_config(vf, &cfg);
	ok(!cfg.tablet, "vm_config: tablet off for it");
	vessel_file_free(vf);
	unlink(path);
}

static void test_missing(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Nope.vessel", NULL);
	g_autoptr(GError) e = NULL;
	struct vessel_file *vf = NULL;

	is_int(vessel_file_load(path, &vf, &e), -ENOENT, "missing file: -ENOENT");
	ok(e && g_error_matches(e, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_IO) &&
	   strstr(e->message, "Nope.vessel: cannot read"), "missing file message: %s",
	   e ? e->message : "");
}

/* A crash after the temp file was written but before the rename: the old file rules. */
static void test_interrupted(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	g_autofree char *tmp = g_build_filename(dir, ".Win.vessel.Ab12Cd", NULL);
	g_autofree char *before = slurp(path);
	g_autofree char *after = NULL;
	struct vessel_file *vf = NULL;

	write_file(tmp, "[vm]\nname=Half writ");
	is_int(vessel_file_load(path, &vf, NULL), 0, "interrupted save: the file still loads");
	ok(vf && !strcmp(vf->name, "Win Renamed"), "interrupted save: old values");
	after = slurp(path);
	ok(before && after && !strcmp(before, after), "interrupted save: old file intact");
	if (vf) {
		is_int(vessel_file_set_cpus(vf, 3, NULL), 0, "set cpus after the crash");
		is_int(vessel_file_save(vf, NULL), 0, "the next save works beside the stale temp");
		vessel_file_free(vf);
		vf = NULL;
	}
	is_int(vessel_file_load(path, &vf, NULL), 0, "and loads");
	ok(vf && vf->cpus == 3, "with the new value");
	vessel_file_free(vf);
	unlink(tmp);
}

static unsigned count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	unsigned n = 0;

	while (d && g_dir_read_name(d))
		n++;
	if (d)
		g_dir_close(d);
	return n;
}

/* In a child that drops root (root ignores directory permissions), save into dir. */
static int save_unprivileged(struct vessel_file *vf, char *msg, size_t msglen)
{
	int pfd[2], status = 0;
	pid_t pid;
	ssize_t n;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		g_autoptr(GError) e = NULL;
		int ret;

		close(pfd[0]);
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
			_exit(100);
		ret = vessel_file_save(vf, &e);
		if (e && write(pfd[1], e->message, strlen(e->message)) < 0)
			_exit(101);
		_exit(ret == -EACCES ? 0 : 102);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_readonly(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "Win.vessel", NULL);
	g_autofree char *before = slurp(path);
	g_autofree char *after = NULL;
	struct vessel_file *vf = NULL;
	char msg[512];
	unsigned entries = count_entries(dir);
	int st;

	if (vessel_file_load(path, &vf, NULL))
		return;
	vessel_file_set_cpus(vf, 7, NULL);
	chmod(dir, 0555);
	st = save_unprivileged(vf, msg, sizeof(msg));
	chmod(dir, 0755);
	is_int(st, 0, "read-only folder: save fails with -EACCES");
	ok(strstr(msg, "Win.vessel: cannot save") && strstr(msg, dir) &&
	   strstr(msg, "Permission denied"), "read-only folder: clear message: %s", msg);
	after = slurp(path);
	ok(before && after && !strcmp(before, after), "read-only folder: old file untouched");
	is_int(count_entries(dir), entries, "read-only folder: no temp file left");
	vessel_file_free(vf);
}

static void test_create(const char *base)
{
	g_autofree char *path = g_build_filename(base, "New VM", "New VM.vessel", NULL);
	g_autoptr(GError) e = NULL, e2 = NULL;
	struct vessel_file *vf, *vf2;
	g_autofree char *text = NULL;

	vf = vessel_file_create(base, "New VM", 4ull << 30, 2, &e);
	ok(vf != NULL, "create New VM (%s)", e ? e->message : "no error");
	if (!vf)
		return;
	ok(g_file_test(path, G_FILE_TEST_IS_REGULAR), "create made DIR/NAME/NAME.vessel");
	ok(!strcmp(vf->path, path), "created file's path");
	ok(g_uuid_string_is_valid(vf->uuid), "fresh uuid %s", vf->uuid);
	is_int(vf->memory, 4ull << 30, "created memory");
	is_int(vf->cpus, 2, "created cpus");
	ok(!strcmp(vf->name, "New VM") && !vf->firmware && !vf->ndisks, "created name, bios");
	text = slurp(path);
	ok(text && strstr(text, "memory=4G") && strstr(text, "firmware=bios"), "created text");
	ok(vf->tablet && text && strstr(text, "[input]\ntablet=true\n"),
	   "a new VM is written with [input] tablet=true");

	vf2 = vessel_file_create(base, "New VM", 4ull << 30, 2, &e2);
	ok(!vf2 && g_error_matches(e2, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_EXISTS),
	   "create again: exists (%s)", e2 ? e2->message : "");
	g_clear_error(&e2);
	vf2 = vessel_file_create(base, "Other", 1ull << 30, 1, &e2);
	ok(vf2 && strcmp(vf->uuid, vf2->uuid), "another VM gets another uuid");
	vessel_file_free(vf2);
	g_clear_error(&e2);
	vf2 = vessel_file_create(base, "../escape", 1ull << 30, 1, &e2);
	ok(!vf2 && g_error_matches(e2, VESSEL_FILE_ERROR, VESSEL_FILE_ERROR_INVALID),
	   "create '../escape' refused");
	g_clear_error(&e2);
	vf2 = vessel_file_create(base, "Tiny", 1ull << 20, 1, &e2);
	ok(!vf2 && e2 && strstr(e2->message, "[vm] memory"), "create with 1M refused: %s",
	   e2 ? e2->message : "");
	vessel_file_free(vf);
}

int main(void)
{
	g_autofree char *base = g_dir_make_tmp("test-vessel-file-XXXXXX", NULL);
	g_autofree char *dir = NULL, *tiny = NULL;
	g_autofree char *rm = NULL;

	if (!base) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	chmod(base, 0755);	/* the unprivileged child must reach Win/ */
	dir = make_vm(base);
	test_good(base, dir);
	test_vm_config(dir);
	test_roundtrip(dir);
	test_bad(dir);
	test_missing(dir);
	test_interrupted(dir);
	test_readonly(dir);
	test_tablet_default(dir);
	test_create(base);
	tiny = g_build_filename(base, "Tiny", NULL);
	ok(!g_file_test(tiny, G_FILE_TEST_EXISTS), "a refused create leaves no folder behind");
	rm = g_strdup_printf("rm -rf '%s'", base);
	if (system(rm) != 0)
		printf("# could not remove %s\n", base);
	return tap_done();
}
