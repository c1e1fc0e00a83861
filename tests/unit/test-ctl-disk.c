// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl disk: create/info/check/commit run in-process, cross-checked with qemu-img. */
#include "ctl-disk.h"
#include "ctl.h"
#include "qcow2-test-util.h"
#include "tap.h"

struct run {
	int status;
	char *out, *err;
};

/* Print text as TAP comment lines. */
static void diag(const char *text)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchrnul(p, '\n');

		printf("#   %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* vesselctl disk ARGS... (NULL-terminated), in the scratch directory. */
static void run_disk(struct run *r, ...)
{
	char *argv[16] = { "disk" };
	size_t olen, elen;
	int argc = 1;
	FILE *out = open_memstream(&r->out, &olen), *err = open_memstream(&r->err, &elen);
	va_list ap;
	char *a;

	va_start(ap, r);
	while (argc < 15 && (a = va_arg(ap, char *)))
		argv[argc++] = a;
	va_end(ap);
	r->status = ctl_disk(argc, argv, out, err);
	fclose(out);
	fclose(err);
	printf("# disk %s: status %d\n", argv[1], r->status);
	diag(r->out);
	diag(r->err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Output of a shell command in the scratch directory (malloc'd, "" on failure). */
static char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *capture(const char *fmt, ...)
{
	char cmd[2048], full[2400], *text = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *p, *m = open_memstream(&text, &len);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && %s 2>/dev/null", qt_dir, cmd);
	p = popen(full, "r");
	while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	if (p)
		pclose(p);
	fclose(m);
	return text;
}

/* A member of a JSON document (parsed with a string search: good enough for our keys). */
static long long json_int(const char *doc, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(doc, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static bool json_has(const char *doc, const char *key, const char *value)
{
	char pat[512];

	snprintf(pat, sizeof(pat), "\"%s\": \"%s\"", key, value);
	return strstr(doc, pat) != NULL;
}

static void test_create(void)
{
	struct run r;
	char *js;

	run_disk(&r, "create", qt_path("a.qcow2"), "20G", NULL);
	is_int(r.status, 0, "create a.qcow2 20G");
	ok(strstr(r.out, "20 GiB") != NULL, "create says the size");
	run_free(&r);
	js = capture("qemu-img info --output=json a.qcow2");
	is_int(json_int(js, "virtual-size"), 20ll << 30, "qemu-img: virtual size 20 GiB");
	ok(json_has(js, "format", "qcow2"), "qemu-img: format qcow2");
	ok(json_has(js, "compat", "1.1"), "qemu-img: version 3 (compat 1.1)");
	is_int(json_int(js, "cluster-size"), 65536, "qemu-img: default 64 KiB clusters");
	free(js);

	run_disk(&r, "create", qt_path("c.qcow2"), "512M", "--cluster-size", "4K", NULL);
	is_int(r.status, 0, "create with --cluster-size 4K");
	run_free(&r);
	js = capture("qemu-img info --output=json c.qcow2");
	is_int(json_int(js, "virtual-size"), 512ll << 20, "qemu-img: 512 MiB");
	is_int(json_int(js, "cluster-size"), 4096, "qemu-img: 4 KiB clusters");
	free(js);
	is_int(qt_qemu_check("a.qcow2"), 0, "qemu-img check: the new image is clean");
}

/* A relative backing path is taken from the cwd and stored relative to the image's folder. */
static void test_create_backing(void)
{
	char cwd[4096], *js;
	struct run r;

	ok(qt_sh("mkdir -p base sub && qemu-img create -q -f raw base/b.raw 8M") == 0,
	   "qemu-img makes base/b.raw");
	if (!getcwd(cwd, sizeof(cwd)) || chdir(qt_dir)) {
		ok(0, "chdir");
		return;
	}
	run_disk(&r, "create", "sub/o.qcow2", "--backing", "base/b.raw", NULL);
	is_int(r.status, 0, "create sub/o.qcow2 --backing base/b.raw (no SIZE)");
	run_free(&r);
	run_disk(&r, "create", "sub/o2.qcow2", "16M", "--backing=sub/o.qcow2", NULL);
	is_int(r.status, 0, "create sub/o2.qcow2 16M --backing=sub/o.qcow2");
	run_free(&r);
	if (chdir(cwd))
		ok(0, "chdir back");
	js = capture("qemu-img info --output=json sub/o.qcow2");
	ok(json_has(js, "backing-filename", "../base/b.raw"), "stored as ../base/b.raw");
	ok(json_has(js, "backing-filename-format", "raw"), "backing format raw recorded");
	is_int(json_int(js, "virtual-size"), 8 << 20, "size taken from the backing file");
	free(js);
	js = capture("qemu-img info --output=json sub/o2.qcow2");
	ok(json_has(js, "backing-filename", "o.qcow2"), "same folder: stored as o.qcow2");
	ok(json_has(js, "backing-filename-format", "qcow2"), "backing format qcow2");
	is_int(json_int(js, "virtual-size"), 16 << 20, "explicit size kept");
	free(js);
	js = capture("qemu-img info --backing-chain --output=json sub/o2.qcow2");
	ok(strstr(js, "b.raw") != NULL, "qemu-img follows the whole chain");
	free(js);
}

static void test_create_errors(void)
{
	static const char *const bad[] = { "abc", "0", "12X", "-5", "99999999999999999999G",
					   "1.5G", "" };
	uint64_t before = qt_file_hash(qt_path("a.qcow2"));
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_disk(&r, "create", qt_path("bad.qcow2"), bad[i], NULL);
		ok(r.status == CTL_EXIT_USAGE && strstr(r.err, "bad size"),
		   "size '%s' refused", bad[i]);
		run_free(&r);
	}
	ok(access(qt_path("bad.qcow2"), F_OK) != 0, "no file left behind");
	run_disk(&r, "create", qt_path("a.qcow2"), "1G", NULL);
	ok(r.status == 1 && strstr(r.err, "refusing to overwrite") &&
	   strstr(r.err, "a.qcow2"), "existing file refused");
	run_free(&r);
	is_int(qt_file_hash(qt_path("a.qcow2")), before, "a.qcow2 untouched");
	run_disk(&r, "create", qt_path("bad.qcow2"), "1G", "--backing", qt_path("nope.raw"),
		 NULL);
	ok(r.status == 1 && strstr(r.err, "nope.raw: no such file"), "missing backing");
	run_free(&r);
	run_disk(&r, "create", qt_path("bad.qcow2"), "1G", "--cluster-size", "3000", NULL);
	ok(r.status == CTL_EXIT_USAGE && strstr(r.err, "bad cluster size"), "cluster 3000");
	run_free(&r);
	run_disk(&r, "create", qt_path("nodir/x.qcow2"), "1G", NULL);
	ok(r.status == 1 && strstr(r.err, "nodir/x.qcow2"), "missing folder");
	run_free(&r);
	run_disk(&r, "create", qt_path("bad.qcow2"), NULL);
	is_int(r.status, CTL_EXIT_USAGE, "create without SIZE or --backing");
	run_free(&r);
	run_disk(&r, "create", qt_path("bad.qcow2"), "1G", "--frobnicate", NULL);
	is_int(r.status, CTL_EXIT_USAGE, "unknown option");
	run_free(&r);
	ok(access(qt_path("bad.qcow2"), F_OK) != 0, "still no file left behind");
}

/* info on a chain qemu-img made: qcow2 over qcow2 over raw. */
static void test_info(void)
{
	uint8_t buf[65536];
	struct run r;

	ok(qt_sh("qemu-img create -q -f raw i0.raw 4M && "
		 "qemu-img create -q -f qcow2 -b i0.raw -F raw i1.qcow2 && "
		 "qemu-img create -q -f qcow2 -b i1.qcow2 -F qcow2 i2.qcow2 && "
		 "qemu-io -c 'write -P 0x5a 0 128k' i2.qcow2") == 0, "qemu-img makes a chain");
	run_disk(&r, "info", qt_path("i2.qcow2"), "--json", NULL);
	is_int(r.status, 0, "info --json");
	ok(json_has(r.out, "format", "qcow2"), "format qcow2");
	is_int(json_int(r.out, "virtual_size"), 4 << 20, "virtual size 4 MiB");
	is_int(json_int(r.out, "allocated_bytes"), 128 << 10, "128 KiB allocated");
	ok(strstr(r.out, "\"dirty\": false") != NULL, "not dirty");
	ok(strstr(r.out, "i1.qcow2") && strstr(r.out, "i0.raw"), "chain names both levels");
	ok(json_has(r.out, "format", "raw"), "the raw level is called raw");
	ok(strstr(r.out, "\"chain_error\": null") != NULL, "chain complete");
	run_free(&r);
	run_disk(&r, "info", qt_path("i2.qcow2"), NULL);
	ok(!r.status && strstr(r.out, "4 MiB") && strstr(r.out, "dirty:          no") &&
	   strstr(r.out, "i0.raw (raw)"), "human info");
	run_free(&r);

	/* A dirty image: set incompatible bit 0 (qcow2.txt, header bytes 72..79) by hand. */
	int fd = open(qt_path("a.qcow2"), O_RDWR);

	ok(fd >= 0 && pread(fd, buf, 80, 0) == 80, "read a.qcow2's header");
	buf[79] |= 1;
	ok(fd >= 0 && pwrite(fd, buf + 72, 8, 72) == 8, "set the dirty bit");
	close(fd);
	run_disk(&r, "info", qt_path("a.qcow2"), "--json", NULL);
	ok(!r.status && strstr(r.out, "\"dirty\": true"), "dirty flag reported");
	run_free(&r);
	buf[79] &= ~1;
	fd = open(qt_path("a.qcow2"), O_RDWR);
	ok(fd >= 0 && pwrite(fd, buf + 72, 8, 72) == 8, "clear the dirty bit");
	close(fd);

	run_disk(&r, "info", qt_path("i0.raw"), "--json", NULL);
	ok(!r.status && json_has(r.out, "format", "raw") &&
	   json_int(r.out, "virtual_size") == 4 << 20, "info on a raw file");
	run_free(&r);
	run_disk(&r, "info", qt_path("missing.qcow2"), NULL);
	ok(r.status == 1 && strstr(r.err, "missing.qcow2: no such file"), "missing");
	run_free(&r);
}

/* Leak by hand: drop the L2 entry of guest cluster 0 but keep its refcount. */
static void zero_l2_entry(const char *path)
{
	uint8_t hdr[48], l1[8], l2[8] = { 0 };
	uint64_t l1_off, l2_off;
	int fd = open(path, O_RDWR);

	/* qcow2.txt: l1_table_offset at header bytes 40..47 (big endian). */
	ok(fd >= 0 && pread(fd, hdr, 48, 0) == 48, "read header");
	l1_off = 0;
	for (int i = 40; i < 48; i++)
		l1_off = l1_off << 8 | hdr[i];
	ok(pread(fd, l1, 8, (off_t)l1_off) == 8, "read L1[0]");
	l2_off = 0;
	for (int i = 0; i < 8; i++)
		l2_off = l2_off << 8 | l1[i];
	l2_off &= 0x00fffffffffffe00ull;
	ok(l2_off && pwrite(fd, l2, 8, (off_t)l2_off) == 8, "zero L2[0]: the data leaks");
	close(fd);
}

static void test_check(void)
{
	struct run r;

	run_disk(&r, "check", qt_path("a.qcow2"), NULL);
	is_int(r.status, 0, "clean image: 0");
	ok(strstr(r.out, "no errors") != NULL, "says so");
	run_free(&r);

	ok(qt_sh("qemu-img create -q -f qcow2 l.qcow2 1M") == 0, "make l.qcow2");
	ok(qt_sh("qemu-io -c 'write -P 0x11 0 64k' l.qcow2") == 0, "write one cluster");
	zero_l2_entry(qt_path("l.qcow2"));
	is_int(qt_qemu_check("l.qcow2"), 3, "qemu-img check: leaks (its code 3)");
	run_disk(&r, "check", qt_path("l.qcow2"), NULL);
	is_int(r.status, 2, "leak: 2");
	ok(strstr(r.out, "--repair") != NULL, "says to --repair");
	run_free(&r);
	run_disk(&r, "check", qt_path("l.qcow2"), "--json", NULL);
	ok(r.status == 2 && json_int(r.out, "leaks") == 1 && json_has(r.out, "status", "leaks"),
	   "json: one leak");
	run_free(&r);
	run_disk(&r, "check", qt_path("l.qcow2"), "--repair", NULL);
	is_int(r.status, 0, "--repair: 0");
	run_free(&r);
	run_disk(&r, "check", qt_path("l.qcow2"), "--json", NULL);
	ok(!r.status && json_int(r.out, "leaks") == 0 && json_has(r.out, "status", "clean"),
	   "clean after repair");
	run_free(&r);
	is_int(qt_qemu_check("l.qcow2"), 0, "qemu-img check agrees: clean");

	/* Corruption: a refcount of 0 for a cluster in use (the L1 table's cluster). */
	ok(qt_sh("qemu-img create -q -f qcow2 k.qcow2 1M && "
		 "qemu-io -c 'write -P 0x22 0 64k' k.qcow2") == 0, "make k.qcow2");
	{
		uint8_t hdr[64], rt[8], zero[2] = { 0 };
		uint64_t rt_off = 0, rb = 0;
		int fd = open(qt_path("k.qcow2"), O_RDWR);

		/* qcow2.txt: refcount_table_offset at 48..55; cluster 0's count first. */
		ok(fd >= 0 && pread(fd, hdr, 64, 0) == 64, "read k header");
		for (int i = 48; i < 56; i++)
			rt_off = rt_off << 8 | hdr[i];
		ok(pread(fd, rt, 8, (off_t)rt_off) == 8, "read refcount table");
		for (int i = 0; i < 8; i++)
			rb = rb << 8 | rt[i];
		ok(rb && pwrite(fd, zero, 2, (off_t)rb) == 2, "zero the header's refcount");
		close(fd);
	}
	run_disk(&r, "check", qt_path("k.qcow2"), "--json", NULL);
	ok(r.status == 3 && json_has(r.out, "status", "corrupt"), "corruption: 3");
	run_free(&r);
	is_int(qt_qemu_check("k.qcow2"), 2, "qemu-img check agrees: corrupt (its code 2)");
	run_disk(&r, "check", qt_path("gone.qcow2"), NULL);
	ok(r.status == 1 && strstr(r.err, "gone.qcow2: no such file"), "missing");
	run_free(&r);
}

static void test_commit(void)
{
	struct run r;

	ok(qt_sh("qemu-img create -q -f qcow2 cb.qcow2 4M && "
		 "qemu-io -c 'write -P 0x33 0 1M' cb.qcow2 && "
		 "qemu-img create -q -f qcow2 -b cb.qcow2 -F qcow2 co.qcow2 && "
		 "qemu-io -c 'write -P 0x44 512k 1M' -c 'write -P 0x55 3M 4k' co.qcow2") == 0,
	   "make base + overlay with different data");
	ok(qt_sh("qemu-img compare -q -f qcow2 -F qcow2 cb.qcow2 co.qcow2") == 1,
	   "before: base and overlay differ");
	ok(qt_sh("qemu-img convert -O raw co.qcow2 want.raw") == 0, "save the overlay's view");
	run_disk(&r, "commit", qt_path("co.qcow2"), NULL);
	is_int(r.status, 0, "commit co.qcow2");
	ok(strstr(r.out, "cb.qcow2") != NULL, "names the backing file");
	run_free(&r);
	is_int(qt_sh("qemu-img compare -q -F raw cb.qcow2 want.raw"), 0,
	       "qemu-img compare: the base now holds the overlay's data");
	is_int(qt_sh("qemu-img compare -q co.qcow2 want.raw"), 0, "the overlay reads the same");
	is_int(qt_qemu_check("cb.qcow2"), 0, "qemu-img check: base clean after commit");

	run_disk(&r, "commit", qt_path("cb.qcow2"), NULL);
	ok(r.status == 1 && strstr(r.err, "cb.qcow2: has no backing file"), "no backing");
	run_free(&r);
	run_disk(&r, "commit", qt_path("absent.qcow2"), NULL);
	ok(r.status == 1 && strstr(r.err, "absent.qcow2: no such file"), "missing");
	run_free(&r);
}

static void test_help(void)
{
	struct run r;

	run_disk(&r, "--help", NULL);
	ok(!r.status && strstr(r.out, "leaked clusters only") && strstr(r.out, "corruption"),
	   "--help documents the check exit codes");
	run_free(&r);
	run_disk(&r, "frob", NULL);
	is_int(r.status, CTL_EXIT_USAGE, "unknown subcommand");
	run_free(&r);
	run_disk(&r, "info", NULL);
	is_int(r.status, CTL_EXIT_USAGE, "info without FILE");
	run_free(&r);
}

int main(void)
{
	qt_setup("ctl-disk");
	if (!qt_have_qemu)
		skip_all("qemu-img/qemu-io not installed");
	test_help();
	test_create();
	test_create_backing();
	test_create_errors();
	test_info();
	test_check();
	test_commit();
	return tap_done();
}
