/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the qcow2 tests: scratch files, qemu-img, patterns, whole-disk compares. */
#ifndef VESSEL_QCOW2_TEST_UTIL_H
#define VESSEL_QCOW2_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/block.h"
#include "block/qcow2.h"

#define KIB	1024ull
#define MIB	(1024ull * 1024)

static char qt_dir[256];
static bool qt_have_qemu;

static const char *qt_path(const char *name)
{
	static char buf[8][600];
	static unsigned n;
	char *p = buf[n++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", qt_dir, name);
	return p;
}

static void qt_cleanup(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qt_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", qt_dir);
}

static void qt_setup(const char *name)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(qt_dir, sizeof(qt_dir), "%s/vessel-%s-XXXXXX", base, name);
	if (!mkdtemp(qt_dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	atexit(qt_cleanup);
	qt_have_qemu = system("qemu-img --version >/dev/null 2>&1") == 0 &&
		       system("qemu-io --version >/dev/null 2>&1") == 0;
}

/* A shell command in the scratch directory; its exit status (-1 if it did not run). */
static int qt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int qt_sh(const char *fmt, ...)
{
	char cmd[2048], full[2900];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && (%s) >>'%s/cmd.log' 2>&1", qt_dir, cmd, qt_dir);
	st = system(full);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* xorshift64*: reproducible from the seed printed by each test. */
static uint64_t qt_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

__attribute__((unused))
static void qt_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (size_t i = 0; i < len; i++) {
		if (!(i & 7))
			s = qt_rand(&s) | 1;
		buf[i] = (uint8_t)(s >> (8 * (i & 7)));
	}
}

__attribute__((unused))
static uint64_t qt_file_hash(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	close(fd);
	return h;
}

__attribute__((unused))
static int qt_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

__attribute__((unused))
static uint8_t *qt_read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

__attribute__((unused))
static struct blk *qt_open(const char *path, bool ro)
{
	struct blk_open_opts o = { .read_only = ro };
	char err[1024];
	struct blk *b;
	int ret = blk_open(path, &o, &b, err, sizeof(err));

	if (ret) {
		printf("# open %s: %s (%d)\n", path, err, ret);
		return NULL;
	}
	return b;
}

/* Does the whole disk read back equal to `ref` (len bytes)? Reports the first mismatch. */
__attribute__((unused))
static bool qt_blk_equals(struct blk *b, const uint8_t *ref, size_t len)
{
	size_t chunk = 1 * MIB;
	uint8_t *buf = malloc(chunk);
	bool same = b && b->size == len;

	if (b && b->size != len)
		printf("# size %llu, expected %zu\n", (unsigned long long)b->size, len);
	for (size_t off = 0; same && off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		int ret = blk_pread(b, off, buf, n);

		if (ret) {
			printf("# read at %zu: %d\n", off, ret);
			same = false;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (buf[i] != ref[off + i]) {
				printf("# first difference at byte %zu: %02x, expected %02x\n",
				       off + i, buf[i], ref[off + i]);
				same = false;
				break;
			}
		}
	}
	free(buf);
	return same;
}

/* qemu-img check's exit code: 0 clean, 2 corrupt, 3 leaks only. */
__attribute__((unused))
static int qt_qemu_check(const char *name)
{
	return qt_sh("qemu-img check -f qcow2 '%s'", name);
}

#endif
