// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for virtio-blk: config, I/O, bad requests, requests in flight, MQ, drain. */
#include "virtio-test-driver.h"

static void test_blk_config(struct drv *d)
{
	uint64_t c = d->bar + d->devcfg;

	is_int(mmio_rd(c + 0, 4) | mmio_rd(c + 4, 4) << 32, DISK_SECTORS, "capacity in sectors");
	is_int(mmio_rd(c + 12, 4), 254, "seg_max = queue size - 2");
	is_int(mmio_rd(c + 20, 4), 512, "blk_size 512");
	is_int(mmio_rd(c + 34, 2), 1, "num_queues 1");
	ok(!(d->dev_features & F(VIRTIO_BLK_F_MQ)), "one queue: no VIRTIO_BLK_F_MQ");
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

/* ---- Requests in flight, multiqueue, drain ------------------------------------------- */

#define NREQ		32u
#define SLOT_DATA(d, i)	((d)->buf + 0x10000 + 4096ull * (i))

static uint8_t mark(unsigned batch, unsigned i, unsigned j)
{
	return (uint8_t)(batch * 31 + i * 7 + j + 1);
}

/* Put head on d's avail ring, without a notify. */
static void avail_add(struct drv *d, uint16_t head)
{
	g16(d->avail + 4 + 2u * (d->avail_idx % d->qsize), head);
	d->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	g16(d->avail + 2, d->avail_idx);
}

/* Put request i on d's avail ring without a notify: 4 KiB at `sector`, status ST_NONE. */
static uint16_t post(struct drv *d, unsigned i, uint32_t type, uint64_t sector, uint8_t fill)
{
	uint64_t hdr = d->buf + 64ull * i, st = hdr + 32, dat = SLOT_DATA(d, i);
	bool in = type == VIRTIO_BLK_T_IN, flush = type == VIRTIO_BLK_T_FLUSH;
	struct seg s[3] = { { hdr, 16, 0 } };
	unsigned n = 1;
	uint16_t head;

	blk_hdr(hdr, type, sector);
	memset(gptr(dat, 4096), in ? 0xa5 : fill, 4096);
	if (!flush)
		s[n++] = (struct seg){ dat, 4096, in ? VRING_DESC_F_WRITE : 0 };
	s[n++] = (struct seg){ st, 1, VRING_DESC_F_WRITE };
	*(uint8_t *)gptr(st, 1) = ST_NONE;
	head = chain(d, s, n);
	avail_add(d, head);
	return head;
}

static uint8_t post_status(struct drv *d, unsigned i)
{
	return *(uint8_t *)gptr(d->buf + 64ull * i + 32, 1);
}

static void kick_q(struct drv *d, unsigned q)
{
	mmio_wr(d->bar + d->notify + d->mult * q, q, 2);
}

/* Reap n used entries: each head once, with the used len its request wants. */
static bool reap_all(struct drv *d, const uint16_t *heads, const uint32_t *lens, unsigned n)
{
	bool seen[NREQ] = { false }, good = true;
	uint32_t id, len;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = 0;

		if (!reap(d, &id, &len))
			return false;
		while (i < n && (heads[i] != id || seen[i]))
			i++;
		good = good && i < n && len == lens[i];
		if (i < n)
			seen[i] = true;
	}
	return good;
}

/* Batch 0: writes to sectors 200 + 8i (even i) and reads of the host pattern (odd i). */
static void test_inflight(struct virtio_blk *vb, struct drv *d)
{
	uint16_t heads[NREQ];
	uint32_t lens[NREQ];
	uint8_t file[4096];
	bool st = true, data = true;

	for (unsigned i = 0; i < NREQ; i++) {
		bool w = !(i & 1);

		heads[i] = post(d, i, w ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				w ? 200 + 8 * i : 1000 + 8 * i, mark(0, i, 0));
		lens[i] = w ? 1 : 4097;
	}
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ, "one notify: all 32 requests in flight at once");
	run_loop();
	ok(reap_all(d, heads, lens, NREQ), "32 used entries, each head once, with its length");
	for (unsigned i = 0; i < NREQ; i++) {
		const uint8_t *p = gptr(SLOT_DATA(d, i), 4096);

		st = st && post_status(d, i) == VIRTIO_BLK_S_OK;
		if (i & 1) {
			for (unsigned j = 0; j < 4096; j++)
				data = data && p[j] == pattern((1000 + 8ull * i) * SECTOR + j);
		} else {
			file_read(H.img, (200 + 8ull * i) * SECTOR, file, sizeof(file));
			data = data && all_bytes(file, sizeof(file), mark(0, i, 0));
		}
	}
	ok(st, "every status OK");
	ok(data, "reads return the image, writes reached it");

	/* Batch 1: read back what batch 0 wrote, on one notify with a flush among them. */
	for (unsigned i = 0; i < NREQ / 2; i++) {
		heads[i] = post(d, i, VIRTIO_BLK_T_IN, 200 + 16 * i, 0);
		lens[i] = 4097;
	}
	heads[NREQ / 2] = post(d, NREQ / 2, VIRTIO_BLK_T_FLUSH, 0, 0);
	lens[NREQ / 2] = 1;
	kick(d);
	run_loop();
	ok(reap_all(d, heads, lens, NREQ / 2 + 1), "17 more used entries");
	st = post_status(d, NREQ / 2) == VIRTIO_BLK_S_OK;
	data = true;
	for (unsigned i = 0; i < NREQ / 2; i++) {
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK;
		data = data && all_bytes(gptr(SLOT_DATA(d, i), 4096), 4096, mark(0, 2 * i, 0));
	}
	ok(st && data, "earlier writes read back; the flush is OK");
}

/* A reset with requests in flight waits for their I/O and pushes nothing. */
static void test_reset_inflight(struct virtio_blk *vb, struct drv *d)
{
	uint8_t file[4096];
	bool untouched = true, written = true;

	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up");
	for (unsigned i = 0; i < NREQ; i++)
		post(d, i, VIRTIO_BLK_T_OUT, 3000 + 8 * i, mark(2, i, 0));
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ, "32 writes in flight");
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	is_int(vb->inflight[0], 0, "reset: none left in flight");
	run_loop();
	for (unsigned i = 0; i < NREQ; i++) {
		untouched = untouched && post_status(d, i) == ST_NONE;
		file_read(H.img, (3000 + 8ull * i) * SECTOR, file, sizeof(file));
		written = written && all_bytes(file, sizeof(file), mark(2, i, 0));
	}
	ok(untouched && r16(d->used + 2) == 0, "no status byte or used entry after the reset");
	ok(written, "the writes in flight finished before the reset returned");
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up again");
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 3000, file, sizeof(file), false, NULL),
	       VIRTIO_BLK_S_OK, "and it serves requests");
}

/* Pause + drain (what the VM does before a save): everything pushed, then rest. */
static void test_pause_drain(struct virtio_blk *vb, struct drv *d)
{
	uint16_t heads[NREQ];
	uint32_t lens[NREQ];
	bool st = true;

	for (unsigned i = 0; i < NREQ; i++) {
		heads[i] = post(d, i, VIRTIO_BLK_T_IN, 1000 + 8 * i, 0);
		lens[i] = 4097;
	}
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ, "32 reads in flight");
	virtio_pci_pause(&vb->vdev);
	virtio_blk_drain(vb);
	is_int(vb->inflight[0], 0, "pause + drain: none in flight");
	is_int(r16(d->used + 2), (uint16_t)(d->used_seen + NREQ),
	       "... and all 32 pushed before it returned");
	for (unsigned i = 0; i < NREQ; i++)
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK &&
		     *(uint8_t *)gptr(SLOT_DATA(d, i), 1) == pattern((1000 + 8ull * i) * SECTOR);
	ok(st, "with their status and data");
	ok(reap_all(d, heads, lens, NREQ), "each head once");
	virtio_pci_resume(&vb->vdev);
	run_loop();
	is_int(r16(d->used + 2), d->used_seen, "nothing more after resume");
}

/*
 * At most a queue size of requests in flight: a driver that re-posts chains still in
 * flight (hostile: the device may still hold them) is served as completions free slots,
 * and the device's memory stays bounded.
 */
static void test_inflight_cap(struct virtio_blk *vb, struct drv *d)
{
	uint16_t h[2];
	bool st = true;

	is_int(drv_init(d, ALL_FEATURES, 8, false), 0, "bring-up with an 8-entry queue");
	run_loop();
	h[0] = post(d, 0, VIRTIO_BLK_T_IN, 1000, 0);
	h[1] = post(d, 1, VIRTIO_BLK_T_IN, 1008, 0);
	for (unsigned i = 0; i < 6; i++)
		avail_add(d, h[i & 1]);
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], 8, "8 chains popped: the cap");
	for (unsigned i = 0; i < 8; i++)
		avail_add(d, h[i & 1]);
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	ok(vb->inflight[0] <= 8, "8 more posted: still at most 8 in flight (%u)",
	   vb->inflight[0]);
	run_loop();
	is_int(r16(d->used + 2), 16, "all 16 served as slots came free");
	for (unsigned i = 0; i < 2; i++)
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK &&
		     *(uint8_t *)gptr(SLOT_DATA(d, i), 1) == pattern((1000 + 8ull * i) * SECTOR);
	ok(st && !(status(d) & VIRTIO_CONFIG_S_NEEDS_RESET), "OK, and the queue is not broken");
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up with 256 entries again");
}

/* ---- Discard and write-zeroes in flight ---------------------------------------------- */

struct tseg {
	uint64_t sector;
	uint32_t num, flags;
};

/* Region i of a test: 16 sectors from base + 16i, 4 KiB aligned when base is. */
#define REGION(base, i)	((base) + 16ull * (i))

/* Put discard / write-zeroes request i on the avail ring: n segments in slot i's data page. */
static uint16_t post_dwz(struct drv *d, unsigned i, uint32_t type, const struct tseg *t,
			 unsigned n)
{
	uint64_t hdr = d->buf + 64ull * i, st = hdr + 32, dat = SLOT_DATA(d, i);
	struct seg s[3] = { { hdr, 16, 0 }, { dat, 16 * n, 0 }, { st, 1, VRING_DESC_F_WRITE } };
	uint32_t ty = htole32(type);
	uint16_t head;

	memset(gptr(hdr, 16), 0, 16);
	memcpy(gptr(hdr, 4), &ty, 4);
	for (unsigned k = 0; k < n; k++) {
		uint64_t sec = htole64(t[k].sector);
		uint32_t num = htole32(t[k].num), fl = htole32(t[k].flags);
		uint8_t *p = gptr(dat + 16ull * k, 16);

		memcpy(p, &sec, 8);
		memcpy(p + 8, &num, 4);
		memcpy(p + 12, &fl, 4);
	}
	*(uint8_t *)gptr(st, 1) = ST_NONE;
	head = chain(d, s, 3);
	avail_add(d, head);
	return head;
}

/* Write mark(batch, i, 0) over the first 8 sectors of n regions, and wait for it. */
static bool fill_regions(struct virtio_blk *vb, struct drv *d, uint64_t base, unsigned n,
			 unsigned batch)
{
	uint16_t heads[NREQ];
	uint32_t lens[NREQ];
	bool st = true;

	for (unsigned i = 0; i < n; i++) {
		heads[i] = post(d, i, VIRTIO_BLK_T_OUT, REGION(base, i), mark(batch, i, 0));
		lens[i] = 1;
	}
	kick(d);
	run_loop();
	for (unsigned i = 0; i < n; i++)
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK;
	return reap_all(d, heads, lens, n) && st && !vb->inflight[0];
}

/* Sectors [sector, sector + n) of the image (n <= 16, 32): all zeros, or all the pattern. */
static bool sectors_zero(uint64_t sector, unsigned n)
{
	uint8_t buf[16 * SECTOR];

	file_read(H.img, sector * SECTOR, buf, (size_t)n * SECTOR);
	return all_bytes(buf, (size_t)n * SECTOR, 0);
}

static bool sectors_pattern(uint64_t sector, unsigned n)
{
	uint8_t buf[32 * SECTOR];

	file_read(H.img, sector * SECTOR, buf, (size_t)n * SECTOR);
	for (size_t j = 0; j < (size_t)n * SECTOR; j++)
		if (buf[j] != pattern(sector * SECTOR + j))
			return false;
	return true;
}

#define DWZ_BASE	1400u	/* 32 regions of the host pattern nothing else touches */
#define DWZ_GOOD	24u	/* requests 0..23 go in flight; 24..26 are refused at once */

/*
 * Request i of the mixed batch, by i % 4: a 4 KiB write; write zeroes of two 4-sector
 * segments with a gap (one request, segments run in turn); discard of 8 sectors; write
 * zeroes with unmap of all 16.
 */
static uint16_t post_mixed(struct drv *d, unsigned i)
{
	uint64_t r = REGION(DWZ_BASE, i);
	struct tseg two[2] = { { r, 4, 0 }, { r + 8, 4, 0 } };

	switch (i % 4) {
	case 0:
		return post(d, i, VIRTIO_BLK_T_OUT, r, mark(5, i, 0));
	case 1:
		return post_dwz(d, i, VIRTIO_BLK_T_WRITE_ZEROES, two, 2);
	case 2:
		return post_dwz(d, i, VIRTIO_BLK_T_DISCARD, &(struct tseg){ r, 8, 0 }, 1);
	default:
		return post_dwz(d, i, VIRTIO_BLK_T_WRITE_ZEROES,
				&(struct tseg){ r, 16, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP }, 1);
	}
}

/* What region i holds after post_mixed(i) (a raw image: punched holes read as zeros). */
static bool mixed_data_ok(unsigned i)
{
	uint64_t r = REGION(DWZ_BASE, i);
	uint8_t file[4096];

	switch (i % 4) {
	case 0:
		file_read(H.img, r * SECTOR, file, sizeof(file));
		return all_bytes(file, sizeof(file), mark(5, i, 0)) && sectors_pattern(r + 8, 8);
	case 1:
		return sectors_zero(r, 4) && sectors_pattern(r + 4, 4) && sectors_zero(r + 8, 4) &&
		       sectors_pattern(r + 12, 4);
	case 2:
		return sectors_zero(r, 8) && sectors_pattern(r + 8, 8);
	default:
		return sectors_zero(r, 16);
	}
}

/*
 * Discard and write-zeroes go to the block layer like writes (§5.2.6.2): 24 of them and
 * writes on one notify are all in flight at once and complete in any order, while the
 * malformed ones among them are answered at once without reaching the block layer.
 */
static void test_dwz_inflight(struct virtio_blk *vb, struct drv *d)
{
	struct tseg many[VIRTIO_BLK_MAX_DWZ_SEG + 1];
	uint16_t heads[DWZ_GOOD + 3];
	uint32_t lens[DWZ_GOOD + 3];
	bool st = true, data = true, pending = true;

	for (unsigned k = 0; k <= VIRTIO_BLK_MAX_DWZ_SEG; k++)
		many[k] = (struct tseg){ REGION(DWZ_BASE, 30) + k % 16, 1, 0 };
	for (unsigned i = 0; i < DWZ_GOOD; i++)
		heads[i] = post_mixed(d, i);
	heads[DWZ_GOOD] = post_dwz(d, DWZ_GOOD, VIRTIO_BLK_T_DISCARD,
				   &(struct tseg){ REGION(DWZ_BASE, 31), 8,
						   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP }, 1);
	heads[DWZ_GOOD + 1] = post_dwz(d, DWZ_GOOD + 1, VIRTIO_BLK_T_WRITE_ZEROES, many,
				       VIRTIO_BLK_MAX_DWZ_SEG + 1);
	heads[DWZ_GOOD + 2] = post_dwz(d, DWZ_GOOD + 2, VIRTIO_BLK_T_DISCARD,
				       &(struct tseg){ DISK_SECTORS - 8, 16, 0 }, 1);
	for (unsigned i = 0; i < DWZ_GOOD + 3; i++)
		lens[i] = 1;
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], DWZ_GOOD,
	       "one notify: 6 writes and 18 discards / write-zeroes in flight at once");
	for (unsigned i = 0; i < DWZ_GOOD; i++)
		pending = pending && post_status(d, i) == ST_NONE;
	ok(pending, "... none of them answered on the notify");
	is_int(post_status(d, DWZ_GOOD), VIRTIO_BLK_S_UNSUPP,
	       "discard with the unmap flag: UNSUPP at once (§5.2.6.2)");
	is_int(post_status(d, DWZ_GOOD + 1), VIRTIO_BLK_S_IOERR,
	       "more than max_write_zeroes_seg segments: IOERR at once");
	is_int(post_status(d, DWZ_GOOD + 2), VIRTIO_BLK_S_IOERR,
	       "discard past the end: IOERR at once");
	run_loop();
	ok(reap_all(d, heads, lens, DWZ_GOOD + 3), "27 used entries, each head once, len 1");
	for (unsigned i = 0; i < DWZ_GOOD; i++) {
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK;
		data = data && mixed_data_ok(i);
	}
	ok(st, "every status OK");
	ok(data, "writes landed, zeroed and discarded ranges read zeros, the gaps are untouched");
	ok(sectors_pattern(REGION(DWZ_BASE, 30), 32), "the refused requests changed nothing");
}

/*
 * A reset with discards and write-zeroes in flight waits for them (each may be several
 * block-layer steps) and pushes nothing (§4.1.4.3.1).
 */
static void test_dwz_reset(struct virtio_blk *vb, struct drv *d)
{
	const uint64_t base = 4200;
	bool untouched = true, zeros = true;

	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up");
	ok(fill_regions(vb, d, base, NREQ, 6), "32 regions written");
	for (unsigned i = 0; i < NREQ; i++) {
		struct tseg t[2] = { { REGION(base, i), 4, 0 }, { REGION(base, i) + 4, 4, 0 } };

		if (i & 1)
			post_dwz(d, i, VIRTIO_BLK_T_DISCARD, t, 1);
		else
			post_dwz(d, i, VIRTIO_BLK_T_WRITE_ZEROES, t, 2);
		t[0].num = 8;
	}
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ, "32 discard/write-zeroes in flight");
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	is_int(vb->inflight[0], 0, "reset: none left in flight");
	run_loop();
	for (unsigned i = 0; i < NREQ; i++) {
		untouched = untouched && post_status(d, i) == ST_NONE;
		zeros = zeros && sectors_zero(REGION(base, i), (i & 1) ? 4 : 8);
	}
	ok(untouched && r16(d->used + 2) == d->used_seen,
	   "no status byte or used entry after the reset");
	ok(zeros, "their I/O finished before the reset returned");
}

/*
 * Pause + drain with write-zeroes in flight, FLUSH not negotiated: each one goes on as a
 * flush (§5.2.6.2, stable writes) and the drain waits for the whole chain of steps.
 */
static void test_dwz_pause(struct virtio_blk *vb, struct drv *d)
{
	const uint64_t base = 5504;
	uint16_t heads[NREQ];
	uint32_t lens[NREQ];
	bool st = true, zeros = true;

	is_int(drv_init(d, ALL_FEATURES & ~F(VIRTIO_BLK_F_FLUSH), 256, false), 0,
	       "bring-up without FLUSH");
	ok(fill_regions(vb, d, base, NREQ, 7), "32 regions written");
	for (unsigned i = 0; i < NREQ; i++) {
		struct tseg t = { REGION(base, i), 8,
				  (i & 1) ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0 };

		heads[i] = post_dwz(d, i, VIRTIO_BLK_T_WRITE_ZEROES, &t, 1);
		lens[i] = 1;
	}
	kick(d);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ, "32 write-zeroes in flight");
	virtio_pci_pause(&vb->vdev);
	virtio_blk_drain(vb);
	is_int(vb->inflight[0], 0, "pause + drain: none in flight");
	is_int(r16(d->used + 2), (uint16_t)(d->used_seen + NREQ),
	       "... and all 32 pushed before it returned");
	for (unsigned i = 0; i < NREQ; i++) {
		st = st && post_status(d, i) == VIRTIO_BLK_S_OK;
		zeros = zeros && sectors_zero(REGION(base, i), 8);
	}
	ok(st && zeros && reap_all(d, heads, lens, NREQ),
	   "each OK once, and the ranges read zeros");
	virtio_pci_resume(&vb->vdev);
	run_loop();
	is_int(r16(d->used + 2), d->used_seen, "nothing more after resume");
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up with FLUSH again");
}

/* Queue q of d's function with rings at ram: a second driver view of the same device. */
static void queue_setup(struct drv *d, struct drv *qd, unsigned q, uint64_t ram)
{
	*qd = *d;
	qd->desc = ram;
	qd->avail = ram + 0x2000;
	qd->used = ram + 0x3000;
	qd->buf = ram + 0x10000;
	qd->avail_idx = qd->used_seen = qd->next = 0;
	memset(gptr(ram, 0x4000), 0, 0x4000);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, qd->qsize, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)qd->desc, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)qd->avail, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)qd->used, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* Two queues (§5.2.3 VIRTIO_BLK_F_MQ): 16 requests on each, one notify per queue. */
static void test_mq(struct virtio_blk *vb, struct drv *d)
{
	struct drv q1;
	struct drv *qs[2] = { d, &q1 };
	uint16_t heads[2][NREQ / 2];
	uint32_t lens[NREQ / 2];
	bool st = true, data = true;

	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up with MQ");
	ok(d->dev_features & F(VIRTIO_BLK_F_MQ), "two queues: VIRTIO_BLK_F_MQ offered");
	is_int(mmio_rd(d->bar + d->devcfg + 34, 2), 2, "num_queues 2");
	queue_setup(d, &q1, 1, 0x400000);
	run_loop();	/* the kicks DRIVER_OK sent to every queue */
	for (unsigned q = 0; q < 2; q++)
		for (unsigned i = 0; i < NREQ / 2; i++) {
			heads[q][i] = post(qs[q], i, VIRTIO_BLK_T_OUT, 5000 + 128 * q + 8 * i,
					   mark(3 + q, i, 0));
			lens[i] = 1;
		}
	/* Completions are pushed by the next loop callback of either queue: count each
	 * queue right after its own notify is served. */
	kick_q(d, 1);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[1], NREQ / 2, "queue 1's notify: its 16 requests in flight");
	kick_q(d, 0);
	vmm_loop_run_once(H.loop, 0);
	is_int(vb->inflight[0], NREQ / 2, "queue 0's notify: its 16 in flight");
	run_loop();
	ok(reap_all(d, heads[0], lens, NREQ / 2) && reap_all(&q1, heads[1], lens, NREQ / 2),
	   "each queue's used ring has its own 16");
	for (unsigned q = 0; q < 2; q++)
		for (unsigned i = 0; i < NREQ / 2; i++) {
			uint8_t file[4096];

			st = st && post_status(qs[q], i) == VIRTIO_BLK_S_OK;
			file_read(H.img, (5000 + 128ull * q + 8 * i) * SECTOR, file, sizeof(file));
			data = data && all_bytes(file, sizeof(file), mark(3 + q, i, 0));
		}
	ok(st && data, "all OK and on the image");
}

int main(void)
{
	struct virtio_blk *vb, *vro, *vmq;
	struct drv d, ro, mq;

	harness_init();
	vb = new_blk(H.img, false, "test-serial-0123456");
	vro = new_blk(H.roimg, true, NULL);
	vmq = new_blk_mq(H.img, false, NULL, 2);
	ok(vb && vro && vmq, "three virtio-blk functions on the bus");
	if (!vb || !vro || !vmq)
		return tap_done();
	drv_probe(&d, (unsigned)find_fn(0x1042, 0), BAR_BASE, 0x100000);
	drv_probe(&ro, (unsigned)find_fn(0x1042, 1), BAR_BASE + 0x10000, 0x200000);
	drv_probe(&mq, (unsigned)find_fn(0x1042, 2), BAR_BASE + 0x20000, 0x300000);
	is_int(drv_init(&d, ALL_FEATURES, 256, false), 0, "driver brought up the disk");
	is_int(drv_init(&ro, ALL_FEATURES, 256, false), 0, "... and the read-only disk");
	test_blk_config(&d);
	test_blk_io(&d);
	test_discard_zeroes(&d);
	test_blk_hostile(&d, &ro);
	test_inflight(vb, &d);
	test_reset_inflight(vb, &d);
	test_pause_drain(vb, &d);
	test_inflight_cap(vb, &d);
	if (d.dev_features & F(VIRTIO_BLK_F_DISCARD)) {
		test_dwz_inflight(vb, &d);
		test_dwz_reset(vb, &d);
		test_dwz_pause(vb, &d);
	} else {
		printf("ok %d # SKIP %s cannot punch holes: no DISCARD in flight\n", ++tap_n,
		       H.dir);
	}
	test_mq(vmq, &mq);
	free_blk(vmq);
	free_blk(vro);
	free_blk(vb);
	harness_exit();
	return tap_done();
}
