// SPDX-License-Identifier: GPL-2.0-or-later
/* Disk snapshots in the block layer: the qcow2 snapshot hook and blk_switch. */
#include "tap.h"
#include "qcow2-test-util.h"

#define DISK_SIZE	(4 * MIB)

static uint8_t ref[DISK_SIZE];

static int write_pattern(struct blk *b, uint64_t off, size_t len, uint64_t seed)
{
	qt_fill(ref + off, len, seed);
	return blk_pwrite(b, off, ref + off, len);
}

/* Data written before a switch reads back through the overlay; later writes land in it. */
static void test_switch_to_overlay(void)
{
	char err[512] = "";
	struct blk *b, *base;
	int ret;

	memset(ref, 0, sizeof(ref));
	ok(!qcow2_create(qt_path("base.qcow2"), DISK_SIZE, NULL, NULL, 0, err, sizeof(err)),
	   "base image created %s", err);
	b = qt_open(qt_path("base.qcow2"), false);
	if (!b)
		return;
	ok(!write_pattern(b, 0, 200 * KIB, 1) && !write_pattern(b, 3 * MIB, 70 * KIB, 2),
	   "data written before the snapshot");
	ret = blk_snapshot(b, qt_path("top.qcow2"), err, sizeof(err));
	is_int(ret, 0, "the qcow2 snapshot hook makes an overlay %s", err);
	ret = blk_switch(b, qt_path("top.qcow2"), err, sizeof(err));
	is_int(ret, 0, "blk_switch to the overlay %s", err);
	ok(b->drv == &blk_qcow2_driver && strstr(b->path, "top.qcow2"), "b now is the overlay");
	ok(qt_blk_equals(b, ref, DISK_SIZE), "the overlay reads the data written before");
	ok(!write_pattern(b, 100 * KIB, 300 * KIB, 3) && !blk_flush(b),
	   "writes after the switch succeed");
	ok(qt_blk_equals(b, ref, DISK_SIZE), "and read back through the overlay");
	blk_close(b);

	/* The base kept the old contents: it was never written after the switch. */
	base = qt_open(qt_path("base.qcow2"), true);
	ok(base && base->size == DISK_SIZE, "the base opens");
	if (base) {
		uint8_t buf[4096], want[4096];

		qt_fill(want, sizeof(want), 1);
		ok(!blk_pread(base, 128 * KIB, buf, sizeof(buf)) &&
		   memcmp(buf, ref + 128 * KIB, sizeof(buf)) != 0,
		   "the base does not hold the later write");
		ok(!blk_pread(base, 0, buf, sizeof(buf)) && !memcmp(buf, want, sizeof(buf)),
		   "the base holds the earlier write");
		blk_close(base);
	}
	if (!qt_have_qemu)
		return;
	is_int(qt_qemu_check("base.qcow2"), 0, "qemu-img check accepts the base");
	is_int(qt_qemu_check("top.qcow2"), 0, "qemu-img check accepts the overlay");
	is_int(qt_sh("qemu-img info --backing-chain top.qcow2 | grep -q 'backing file: base.qcow2'"),
	       0, "qemu-img info sees the relative backing name");
	is_int(qt_sh("qemu-img convert -O raw top.qcow2 top.raw"), 0, "qemu-img reads the chain");
	{
		size_t len = 0;
		uint8_t *data = qt_read_file(qt_path("top.raw"), &len);

		ok(data && len == DISK_SIZE && !memcmp(data, ref, DISK_SIZE),
		   "qemu-img reads what we wrote through the chain");
		free(data);
	}
}

/* Failures leave b as it was. */
static void test_switch_failures(void)
{
	char err[512] = "";
	struct blk *b;
	uint8_t buf[512];

	ok(!qcow2_create(qt_path("f.qcow2"), DISK_SIZE, NULL, NULL, 0, err, sizeof(err)) &&
	   !qcow2_create(qt_path("small.qcow2"), DISK_SIZE / 2, NULL, NULL, 0, err, sizeof(err)),
	   "images created");
	b = qt_open(qt_path("f.qcow2"), false);
	if (!b)
		return;
	ok(blk_pwrite(b, 0, "hello", 5) == 0, "a write");
	is_int(blk_switch(b, qt_path("missing.qcow2"), err, sizeof(err)), -ENOENT,
	       "a missing file is refused: %s", err);
	is_int(blk_switch(b, qt_path("small.qcow2"), err, sizeof(err)), -EINVAL,
	       "a different size is refused: %s", err);
	ok(strstr(err, "size") != NULL, "the message names the size");
	ok(strstr(b->path, "f.qcow2") && !blk_pread(b, 0, buf, 5) && !memcmp(buf, "hello", 5),
	   "b is unchanged and still works");
	ok(blk_snapshot(b, qt_path("small.qcow2"), err, sizeof(err)) == -EEXIST,
	   "the hook never overwrites a file");
	blk_close(b);
}

/* Switching a read-only disk keeps it read-only; a raw image can be switched too. */
static void test_switch_read_only(void)
{
	char err[512] = "";
	struct blk *b;
	int fd;

	fd = open(qt_path("r.raw"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && ftruncate(fd, DISK_SIZE) == 0, "raw image made");
	if (fd >= 0)
		close(fd);
	ok(!qcow2_create(qt_path("r2.qcow2"), DISK_SIZE, NULL, NULL, 0, err, sizeof(err)),
	   "qcow2 image made");
	b = qt_open(qt_path("r.raw"), true);
	if (!b)
		return;
	is_int(blk_switch(b, qt_path("r2.qcow2"), err, sizeof(err)), 0, "raw -> qcow2 %s", err);
	ok(b->read_only && b->drv == &blk_qcow2_driver, "still read-only, now qcow2");
	is_int(blk_pwrite(b, 0, "x", 1), -EROFS, "writes are still refused");
	blk_close(b);
}

/* A raw snapshot is a reflink; without one the refusal says what to do. */
static void test_raw_clone(void)
{
	char err[512] = "";
	struct blk *b;
	int fd, ret;

	fd = open(qt_path("c.raw"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && pwrite(fd, "raw!", 4, 8192) == 4 && ftruncate(fd, DISK_SIZE) == 0,
	   "raw image made");
	if (fd >= 0)
		close(fd);
	b = qt_open(qt_path("c.raw"), false);
	if (!b)
		return;
	ret = blk_snapshot(b, qt_path("c-clone.raw"), err, sizeof(err));
	if (ret == -ENOTSUP) {
		ok(strstr(err, "qcow2") != NULL, "no reflinks here: the message says to convert: %s",
		   err);
		ok(access(qt_path("c-clone.raw"), F_OK) < 0, "and no file is left behind");
	} else {
		size_t len = 0;
		uint8_t *data = qt_read_file(qt_path("c-clone.raw"), &len);

		is_int(ret, 0, "the clone is made %s", err);
		ok(data && len == DISK_SIZE && !memcmp(data + 8192, "raw!", 4), "same contents");
		free(data);
	}
	blk_close(b);
}

int main(void)
{
	qt_setup("blk-snapshot");
	test_switch_to_overlay();
	test_switch_failures();
	test_switch_read_only();
	test_raw_clone();
	return tap_done();
}
