// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for virtio-blk: config, read/write/flush/get-id/discard/zeroes, bad requests. */
#include "virtio-test-driver.h"

static void test_blk_config(struct drv *d)
{
	uint64_t c = d->bar + d->devcfg;

	is_int(mmio_rd(c + 0, 4) | mmio_rd(c + 4, 4) << 32, DISK_SECTORS, "capacity in sectors");
	is_int(mmio_rd(c + 12, 4), 254, "seg_max = queue size - 2");
	is_int(mmio_rd(c + 20, 4), 512, "blk_size 512");
	is_int(mmio_rd(c + 34, 2), 1, "num_queues 1");
	is_int(mmio_rd(c + 40, 4), VIRTIO_BLK_MAX_DWZ_SEG, "max_discard_seg");
	is_int(mmio_rd(c + 56, 1), !!(d->dev_features & F(VIRTIO_BLK_F_DISCARD)),
	       "write_zeroes_may_unmap on a raw image that can punch holes");
	is_int(mmio_rd(c + 60, 4), 0, "past the structure reads 0");
}

static void test_blk_io(struct drv *d)
{
	uint8_t buf[4096], file[4096], want[4096];
	uint32_t ulen = 0;

	is_int(blk_req(d, VIRTIO_BLK_T_IN, 10, buf, sizeof(buf), false, &ulen), VIRTIO_BLK_S_OK,
	       "read 8 sectors");
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = pattern(10 * SECTOR + i);
	ok(!memcmp(buf, want, sizeof(buf)), "read data matches the image");
	is_int(ulen, 4097, "used len = data + status");
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	is_int(blk_req(d, VIRTIO_BLK_T_OUT, 100, buf, sizeof(buf), false, &ulen),
	       VIRTIO_BLK_S_OK, "write 8 sectors");
	file_read(H.img, 100 * SECTOR, file, sizeof(file));
	ok(!memcmp(buf, file, sizeof(buf)), "the image file holds the written bytes");
	is_int(ulen, 1, "used len of a write is the status byte");
	is_int(blk_req(d, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, NULL), VIRTIO_BLK_S_OK, "flush");
	memset(buf, 0x77, 32);
	is_int(blk_req(d, VIRTIO_BLK_T_GET_ID, 0, buf, 20, false, &ulen), VIRTIO_BLK_S_OK,
	       "GET_ID");
	ok(!memcmp(buf, "test-serial-0123456\0", 20), "serial, NUL-padded to 20 bytes");
	is_int(ulen, 21, "GET_ID used len");
	memset(buf, 0, sizeof(buf));
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 100, buf, sizeof(buf), true, NULL), VIRTIO_BLK_S_OK,
	       "read through an indirect table");
	ok(!memcmp(buf, file, sizeof(buf)), "indirect read returns what was written");
	is_int(blk_req(d, 0x42, 0, NULL, 0, false, NULL), VIRTIO_BLK_S_UNSUPP,
	       "unknown request type: UNSUPP");
}

static uint8_t dwz(struct drv *d, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t seg[16];
	uint64_t s = htole64(sector);
	uint32_t nn = htole32(n), f = htole32(flags);

	memcpy(seg, &s, 8);
	memcpy(seg + 8, &nn, 4);
	memcpy(seg + 12, &f, 4);
	return blk_req(d, type, 0, seg, sizeof(seg), false, NULL);
}

static void test_discard_zeroes(struct drv *d)
{
	static uint8_t file[1 << 20];
	long long b0 = file_blocks(H.img), b1, b2;

	if (!(d->dev_features & F(VIRTIO_BLK_F_DISCARD))) {
		printf("ok %d # SKIP %s cannot punch holes: no DISCARD\n", ++tap_n, H.dir);
		return;
	}
	is_int(dwz(d, VIRTIO_BLK_T_DISCARD, 2048, 2048, 0), VIRTIO_BLK_S_OK, "discard 1 MiB");
	b1 = file_blocks(H.img);
	ok(b1 < b0, "st_blocks fell (%lld -> %lld)", b0, b1);
	is_int(dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 4096, 16, 0), VIRTIO_BLK_S_OK, "write zeroes");
	file_read(H.img, 4096ull * SECTOR, file, 16 * SECTOR);
	ok(all_bytes(file, 16 * SECTOR, 0), "the range reads back as zeros");
	file_read(H.img, 4112ull * SECTOR, file, SECTOR);
	ok(file[0] == pattern(4112ull * SECTOR), "the sector after it is untouched");
	is_int(dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 6144, 2048, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
	       VIRTIO_BLK_S_OK, "write zeroes with unmap");
	file_read(H.img, 6144ull * SECTOR, file, sizeof(file));
	b2 = file_blocks(H.img);
	ok(all_bytes(file, sizeof(file), 0) && b2 < b1, "zeros, and deallocated (%lld -> %lld)",
	   b1, b2);
	is_int(dwz(d, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
	       VIRTIO_BLK_S_UNSUPP, "discard with the unmap flag: UNSUPP (§5.2.6.2)");
	is_int(dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x80), VIRTIO_BLK_S_UNSUPP,
	       "unknown flag: UNSUPP");
	is_int(dwz(d, VIRTIO_BLK_T_DISCARD, DISK_SECTORS - 4, 8, 0), VIRTIO_BLK_S_IOERR,
	       "discard past the end: IOERR");
	is_int(dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX - 2, 8, 0), VIRTIO_BLK_S_IOERR,
	       "write zeroes at a wrapping sector: IOERR");
}

static void test_blk_hostile(struct drv *d, struct drv *ro)
{
	uint8_t buf[4096], before[4096], after[4096];
	uint64_t e = gerrs();
	uint16_t head;
	uint32_t ulen = 99, id;
	struct seg s[2];

	file_read(H.img, (DISK_SECTORS - 8) * SECTOR, before, sizeof(before));
	is_int(blk_req(d, VIRTIO_BLK_T_IN, DISK_SECTORS - 4, buf, 4096, false, NULL),
	       VIRTIO_BLK_S_IOERR, "read past the end: IOERR");
	memset(buf, 0xcc, sizeof(buf));
	is_int(blk_req(d, VIRTIO_BLK_T_OUT, DISK_SECTORS - 4, buf, 4096, false, NULL),
	       VIRTIO_BLK_S_IOERR, "write past the end: IOERR");
	is_int(blk_req(d, VIRTIO_BLK_T_OUT, UINT64_MAX / SECTOR, buf, 4096, false, NULL),
	       VIRTIO_BLK_S_IOERR, "write at a sector that wraps: IOERR");
	file_read(H.img, (DISK_SECTORS - 8) * SECTOR, after, sizeof(after));
	ok(!memcmp(before, after, sizeof(before)), "the end of the image is untouched");
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 0, buf, 100, false, NULL), VIRTIO_BLK_S_IOERR,
	       "read of 100 bytes (not whole sectors): IOERR");
	ok(gerrs() > e, "guest errors logged");

	s[0] = (struct seg){ d->buf, 8, 0 };
	s[1] = (struct seg){ d->buf + 64, 1, VRING_DESC_F_WRITE };
	*(uint8_t *)gptr(d->buf + 64, 1) = ST_NONE;
	head = chain(d, s, 2);
	submit(d, head);
	run_loop();
	ok(reap(d, &id, &ulen) && *(uint8_t *)gptr(d->buf + 64, 1) == VIRTIO_BLK_S_IOERR,
	   "an 8-byte header: IOERR");
	s[1].flags = 0;
	e = gerrs();
	head = chain(d, s, 2);
	submit(d, head);
	run_loop();
	ok(reap(d, &id, &ulen) && ulen == 0 && gerrs() > e,
	   "no writable status byte: returned with len 0 and a guest error");
	ok(!(status(d) & VIRTIO_CONFIG_S_NEEDS_RESET), "request errors do not break the queue");

	ok(ro->dev_features & F(VIRTIO_BLK_F_RO), "a read-only image offers VIRTIO_BLK_F_RO");
	ok(!(ro->dev_features & F(VIRTIO_BLK_F_DISCARD)), "... and no DISCARD");
	file_read(H.roimg, 0, before, sizeof(before));
	is_int(blk_req(ro, VIRTIO_BLK_T_OUT, 0, buf, 4096, false, NULL), VIRTIO_BLK_S_IOERR,
	       "write to the read-only disk: IOERR");
	file_read(H.roimg, 0, after, sizeof(after));
	ok(!memcmp(before, after, sizeof(before)), "the read-only image is untouched");
	is_int(blk_req(ro, VIRTIO_BLK_T_IN, 0, buf, 4096, false, NULL), VIRTIO_BLK_S_OK,
	       "reads from it work");
	ok(!memcmp(buf, before, sizeof(buf)), "... and return its bytes");
}

int main(void)
{
	struct virtio_blk *vb, *vro;
	struct drv d, ro;

	harness_init();
	vb = new_blk(H.img, false, "test-serial-0123456");
	vro = new_blk(H.roimg, true, NULL);
	ok(vb && vro, "two virtio-blk functions on the bus");
	if (!vb || !vro)
		return tap_done();
	drv_probe(&d, (unsigned)find_fn(0x1042, 0), BAR_BASE, 0x100000);
	drv_probe(&ro, (unsigned)find_fn(0x1042, 1), BAR_BASE + 0x10000, 0x200000);
	is_int(drv_init(&d, ALL_FEATURES, 256, false), 0, "driver brought up the disk");
	is_int(drv_init(&ro, ALL_FEATURES, 256, false), 0, "... and the read-only disk");
	test_blk_config(&d);
	test_blk_io(&d);
	test_discard_zeroes(&d);
	test_blk_hostile(&d, &ro);
	free_blk(vro);
	free_blk(vb);
	harness_exit();
	return tap_done();
}
