// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the block layer and the raw driver: opening, probing, ranges, discard, clone. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "tap.h"

#define SECTOR	512
#define MIB	(1024 * 1024)

static char dir[256];

static const char *tpath(const char *name)
{
	static char buf[4][512];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

/* A file of `sectors` sectors, each filled with its own number (low byte). */
static void make_image(const char *path, unsigned sectors, size_t extra)
{
	uint8_t sec[SECTOR];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (unsigned i = 0; i < sectors; i++) {
		memset(sec, (int)(i & 0xff), sizeof(sec));
		if (write(fd, sec, sizeof(sec)) != sizeof(sec))
			abort();
	}
	memset(sec, 0xee, sizeof(sec));
	if (extra && write(fd, sec, extra) != (ssize_t)extra)
		abort();
	close(fd);
}

static int try_open(const char *path, bool ro, const char *format, struct blk **b, char *err)
{
	struct blk_open_opts o = { .read_only = ro, .format = format };

	err[0] = 0;
	return blk_open(path, &o, b, err, 256);
}

static void test_open_errors(void)
{
	struct blk *b = NULL;
	char err[256];
	int ret;

	close(open(tpath("empty.img"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ret = try_open(tpath("empty.img"), false, NULL, &b, err);
	is_int(ret, -EINVAL, "zero-length image refused");
	ok(strstr(err, "empty") && strstr(err, "empty.img"), "message names the file: %s", err);
	ok(!b, "no handle on failure");

	ret = try_open(tpath("missing.img"), false, NULL, &b, err);
	is_int(ret, -ENOENT, "missing image");
	ok(strstr(err, "missing.img") != NULL, "message: %s", err);

	ret = try_open(dir, true, NULL, &b, err);
	ok(ret == -EINVAL || ret == -EISDIR, "a directory is refused (%d)", ret);
	ret = try_open("/dev/null", true, NULL, &b, err);
	is_int(ret, -EINVAL, "a character device is refused");
	ok(strstr(err, "not a regular file or block device") != NULL, "message: %s", err);

	make_image(tpath("tiny.img"), 0, 100);
	ret = try_open(tpath("tiny.img"), false, NULL, &b, err);
	is_int(ret, -EINVAL, "an image below one sector is refused");
	ok(strstr(err, "too small") != NULL, "message: %s", err);
}

static void test_qcow2_probe(void)
{
	static const uint8_t hdr[16] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
	struct blk *b = NULL;
	char err[256];
	int fd, ret;

	make_image(tpath("q.img"), 8, 0);
	fd = open(tpath("q.img"), O_WRONLY);
	ok(pwrite(fd, hdr, sizeof(hdr), 0) == sizeof(hdr), "wrote a qcow2 header");
	close(fd);
	/* The magic alone is a broken qcow2 header: the qcow2 driver refuses it, never raw. */
	ret = try_open(tpath("q.img"), false, NULL, &b, err);
	is_int(ret, -EINVAL, "a bad qcow2 header is not treated as raw");
	ok(strstr(err, "cluster_bits") != NULL, "message: %s", err);
	ret = try_open(tpath("q.img"), false, "auto", &b, err);
	is_int(ret, -EINVAL, "format=auto probes too");
	ret = try_open(tpath("q.img"), true, "raw", &b, err);
	is_int(ret, 0, "format=raw, given explicitly, opens it as raw");
	blk_close(b);
	b = NULL;
	make_image(tpath("r.img"), 8, 0);
	ret = try_open(tpath("r.img"), false, "qcow2", &b, err);
	is_int(ret, -EINVAL, "format=qcow2 on a raw file is refused");
	ok(strstr(err, "not a qcow2 image") != NULL, "message: %s", err);
	ret = try_open(tpath("r.img"), false, "vmdk", &b, err);
	is_int(ret, -EINVAL, "unknown format name");
	ok(strstr(err, "vmdk") != NULL, "message: %s", err);
}

/* Root can open a 0444 file for writing; the immutable attribute stops even root. */
static bool make_unwritable(const char *path)
{
	int fd, attr;

	chmod(path, 0444);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return true;
	close(fd);
	fd = open(path, O_RDONLY);
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &attr) < 0)
		goto fail;
	attr |= FS_IMMUTABLE_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &attr) < 0)
		goto fail;
	close(fd);
	return true;
fail:
	if (fd >= 0)
		close(fd);
	return false;
}

static void clear_immutable(const char *path)
{
	int attr, fd = open(path, O_RDONLY);

	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
		attr &= ~FS_IMMUTABLE_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &attr);
	}
	if (fd >= 0)
		close(fd);
	chmod(path, 0644);
}

static void test_read_only_file(void)
{
	struct blk *b = NULL;
	char err[256];
	uint8_t buf[SECTOR];
	int ret;

	make_image(tpath("ro.img"), 16, 0);
	if (!make_unwritable(tpath("ro.img"))) {
		ok(1, "# SKIP cannot make a file unwritable here");
		return;
	}
	ret = try_open(tpath("ro.img"), false, NULL, &b, err);
	ok(ret == -EACCES || ret == -EPERM || ret == -EROFS, "read-write open refused (%d)", ret);
	ok(strstr(err, "ro.img") && strstr(err, "readonly"), "message suggests readonly: %s",
	   err);
	ret = try_open(tpath("ro.img"), true, NULL, &b, err);
	is_int(ret, 0, "read-only open works");
	if (!ret) {
		ok(b->read_only, "handle is read-only");
		is_int(blk_pwrite(b, 0, buf, SECTOR), -EROFS, "write to a read-only image");
		is_int(blk_discard(b, 0, SECTOR), -EROFS, "discard on a read-only image");
		is_int(blk_write_zeroes(b, 0, SECTOR), -EROFS, "write-zeroes on a read-only image");
		is_int(blk_pread(b, 3 * SECTOR, buf, SECTOR), 0, "read works");
		is_int(buf[0], 3, "sector 3 holds 3");
		blk_close(b);
	}
	clear_immutable(tpath("ro.img"));
}

static void test_ranges(void)
{
	struct blk *b = NULL;
	char err[256];
	uint8_t a[SECTOR], c[2 * SECTOR], w[SECTOR];
	struct iovec iov[3] = { { a, 100 }, { c, 2 * SECTOR }, { w, SECTOR - 100 } };
	int ret;

	make_image(tpath("trunc.img"), 10, 300);
	ret = try_open(tpath("trunc.img"), false, NULL, &b, err);
	is_int(ret, 0, "a truncated image opens: %s", err);
	if (ret)
		return;
	is_int(b->size, 10 * SECTOR, "size rounded down to a whole sector");
	ok(blk_range_ok(b, 9 * SECTOR, SECTOR), "last sector in range");
	ok(!blk_range_ok(b, 9 * SECTOR, SECTOR + 1), "one byte past the end");
	ok(!blk_range_ok(b, UINT64_MAX - 10, 100), "wrapping range");
	ok(!blk_range_ok(b, 10, UINT64_MAX), "huge length");
	ok(blk_range_ok(b, 10 * SECTOR, 0), "empty range at the end");
	is_int(blk_pread(b, 10 * SECTOR, a, SECTOR), -EINVAL, "read past the end (the tail)");
	is_int(blk_pread(b, 9 * SECTOR + 1, a, SECTOR), -EINVAL, "read straddling the end");
	is_int(blk_pwrite(b, UINT64_MAX - 100, a, SECTOR), -EINVAL, "write with a wrapping offset");
	is_int(blk_discard(b, 8 * SECTOR, 4 * SECTOR), -EINVAL, "discard past the end");
	is_int(blk_write_zeroes(b, 10 * SECTOR, 1), -EINVAL, "write-zeroes past the end");
	is_int(b->requests, 0, "no request reached the driver");

	is_int(blk_preadv(b, 2 * SECTOR, iov, 3), 0, "preadv over three segments");
	ok(a[0] == 2 && a[99] == 2 && c[0] == 2 && c[SECTOR - 101] == 2 && c[SECTOR - 100] == 3 &&
	   c[2 * SECTOR - 1] == 4 && w[0] == 4, "segments hold sectors 2, 3 and 4");
	is_int(b->bytes_read, 3 * SECTOR, "bytes_read counted");
	memset(w, 0x5a, sizeof(w));
	is_int(blk_pwrite(b, 7 * SECTOR, w, SECTOR), 0, "write sector 7");
	memset(a, 0, sizeof(a));
	is_int(blk_pread(b, 7 * SECTOR, a, SECTOR), 0, "read it back");
	ok(!memcmp(a, w, SECTOR), "data written is read back");
	is_int(b->bytes_written, SECTOR, "bytes_written counted");
	is_int(b->requests, 3, "three requests counted");
	is_int(blk_flush(b), 0, "flush");
	blk_close(b);
}

static uint64_t file_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_blocks;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Discard and write-zeroes on the file system under `where`. */
static void test_discard_on(const char *where, const char *what)
{
	char path[512], err[256];
	struct blk *b = NULL;
	uint8_t *buf = malloc(MIB);
	uint64_t before, after;
	int ret;

	snprintf(path, sizeof(path), "%s/vessel-discard-%d.img", where, (int)getpid());
	make_image(path, 4 * MIB / SECTOR, 0);
	ret = try_open(path, false, NULL, &b, err);
	is_int(ret, 0, "%s: open", what);
	if (ret || !buf)
		goto out;
	memset(buf, 0x77, MIB);
	blk_pwrite(b, MIB, buf, MIB);
	blk_flush(b);
	before = file_blocks(path);
	ret = blk_discard(b, MIB, MIB);
	is_int(ret, 0, "%s: discard 1 MiB", what);
	after = file_blocks(path);
	ok(after + (MIB / 512) / 2 <= before, "%s: st_blocks fell (%llu -> %llu)", what,
	   (unsigned long long)before, (unsigned long long)after);
	is_int(blk_pread(b, MIB, buf, MIB), 0, "%s: read the hole", what);
	ok(all_zero(buf, MIB), "%s: a discarded range reads as zeros", what);
	is_int(b->size, 4 * MIB, "%s: size unchanged", what);

	ret = blk_write_zeroes(b, 3 * MIB - 3 * SECTOR, 2 * SECTOR);
	is_int(ret, 0, "%s: write-zeroes", what);
	blk_pread(b, 3 * MIB - 4 * SECTOR, buf, 4 * SECTOR);
	ok(buf[0] == 0xfc && all_zero(buf + SECTOR, 2 * SECTOR) && buf[3 * SECTOR] == 0xff,
	   "%s: exactly the two sectors are zero", what);
	blk_close(b);
out:
	unlink(path);
	free(buf);
}

static void test_snapshot(void)
{
	struct blk *b = NULL, *c = NULL;
	char err[256];
	uint8_t buf[SECTOR];
	int ret;

	make_image(tpath("base.img"), 64, 0);
	ret = try_open(tpath("base.img"), false, NULL, &b, err);
	if (ret)
		return;
	err[0] = 0;
	ret = blk_snapshot(b, tpath("snap.img"), err, sizeof(err));
	if (ret == 0) {
		ok(1, "FICLONE works on this file system");
		ok(try_open(tpath("snap.img"), true, NULL, &c, err) == 0, "the clone opens");
		if (c) {
			blk_pread(c, 5 * SECTOR, buf, SECTOR);
			is_int(buf[0], 5, "the clone has the data");
			blk_close(c);
		}
	} else {
		is_int(ret, -ENOTSUP, "FICLONE unsupported here is -ENOTSUP");
		ok(strstr(err, "this filesystem cannot clone files; convert the disk to qcow2 "
			   "to take snapshots") != NULL, "message: %s", err);
		ok(access(tpath("snap.img"), F_OK) != 0, "no half-made snapshot file is left");
	}
	unlink(tpath("snap.img"));
	close(open(tpath("exists.img"), O_WRONLY | O_CREAT, 0644));
	ret = blk_snapshot(b, tpath("exists.img"), err, sizeof(err));
	is_int(ret, -EEXIST, "a snapshot never overwrites an existing file");
	is_int(blk_snapshot(b, "", err, sizeof(err)), -EINVAL, "empty snapshot name");
	blk_close(b);
}

/* tmpfs has no FICLONE: the message must say what to do. */
static void test_snapshot_tmpfs(void)
{
	struct blk *b = NULL;
	char err[256], path[128], snap[128];
	int ret;

	if (access("/dev/shm", W_OK)) {
		ok(1, "# SKIP no /dev/shm");
		return;
	}
	snprintf(path, sizeof(path), "/dev/shm/vessel-test-block-%d.img", (int)getpid());
	snprintf(snap, sizeof(snap), "/dev/shm/vessel-test-block-%d.snap", (int)getpid());
	make_image(path, 8, 0);
	if (try_open(path, false, NULL, &b, err) == 0) {
		ret = blk_snapshot(b, snap, err, sizeof(err));
		is_int(ret, -ENOTSUP, "tmpfs: snapshot is -ENOTSUP");
		ok(strstr(err, "cannot clone files") != NULL, "tmpfs: message: %s", err);
		blk_close(b);
	}
	unlink(snap);
	unlink(path);
}

/* A loop device exercises the block-device path (BLKGETSIZE64). Root only. */
static void test_block_device(void)
{
	struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };
	char dev[64], err[256];
	struct blk *b = NULL;
	uint8_t buf[SECTOR];
	int ctl, n, fd, lfd;

	make_image(tpath("loop.img"), 2048, 0);
	ctl = open("/dev/loop-control", O_RDWR);
	n = ctl >= 0 ? ioctl(ctl, LOOP_CTL_GET_FREE) : -1;
	if (ctl >= 0)
		close(ctl);
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	fd = open(tpath("loop.img"), O_RDWR);
	lfd = n >= 0 ? open(dev, O_RDWR) : -1;
	if (lfd < 0 || ioctl(lfd, LOOP_SET_FD, fd) < 0) {
		ok(1, "# SKIP no loop device here");
		goto out;
	}
	ioctl(lfd, LOOP_SET_STATUS64, &info);
	if (try_open(dev, false, NULL, &b, err) == 0) {
		is_int(b->size, 2048 * SECTOR, "block device size via BLKGETSIZE64");
		blk_pread(b, 77 * SECTOR, buf, SECTOR);
		is_int(buf[0], 77, "block device read");
		blk_close(b);
	} else {
		ok(0, "open %s: %s", dev, err);
	}
	ioctl(lfd, LOOP_CLR_FD, 0);
out:
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static void cleanup(void)
{
	static const char *const names[] = {
		"empty.img", "tiny.img", "q.img", "r.img", "ro.img", "trunc.img", "base.img",
		"snap.img", "exists.img", "loop.img",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tpath(names[i]));
	rmdir(dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/vessel-test-block-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		skip_all("cannot create a temporary directory");
	test_open_errors();
	test_qcow2_probe();
	test_read_only_file();
	test_ranges();
	test_discard_on(dir, "disk");
	if (!access("/dev/shm", W_OK))
		test_discard_on("/dev/shm", "tmpfs");
	test_snapshot();
	test_snapshot_tmpfs();
	test_block_device();
	cleanup();
	return tap_done();
}
