// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for virtio-balloon: inflate/deflate on a memfd, stats, reporting, config, state. */
#include "virtio-test-driver.h"
#include "device.h"
#include "virtio/virtio-balloon.h"

#define QS		16
#define RINGS		0x100000ull	/* queue q's rings at RINGS + q * 0x10000 */
#define BUFS		0x800000ull	/* request buffers */
#define AREA		(16ull << 20)	/* the RAM the tests balloon */
#define PAGE		4096u

struct bq {
	unsigned index;
	uint64_t desc, avail, used;
	uint16_t avail_idx, used_seen, next;
};

static struct virtio_balloon *B;
static struct drv D;
static struct bq Q[4];
static unsigned events_seen, notify_calls;

static void on_event(void *opaque, struct virtio_balloon *b, unsigned ev)
{
	events_seen |= ev;
	notify_calls++;
}

static unsigned listened;

static void on_listen(void *opaque, struct virtio_balloon *b, unsigned ev)
{
	*(unsigned *)opaque |= ev;
}

static long long ram_blocks(void)
{
	struct stat st;

	return fstat(H.mem.low_fd, &st) ? -1 : (long long)st.st_blocks;
}

static void touch(uint64_t gpa, uint64_t len, uint8_t v)
{
	memset(gptr(gpa, len), v, len);
}

static void queue_setup(struct bq *q, unsigned index)
{
	uint64_t base = RINGS + index * 0x10000ull;

	*q = (struct bq){ .index = index, .desc = base, .avail = base + 0x1000,
			  .used = base + 0x2000 };
	memset(gptr(base, 0x3000), 0, 0x3000);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SIZE, QS, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)q->desc, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)q->avail, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)q->used, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* §3.1.1 with INTx; nq queues. Returns the negotiated features, or 0 if refused. */
static uint64_t bal_init(uint64_t want, unsigned nq)
{
	uint64_t f;

	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
	      1);
	cm_wr(&D, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	f = cm_rd(&D, VIRTIO_PCI_COMMON_DF, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	f |= cm_rd(&D, VIRTIO_PCI_COMMON_DF, 4) << 32;
	D.dev_features = f;
	f &= want | F(VIRTIO_F_VERSION_1);
	for (unsigned w = 0; w < 2; w++) {
		cm_wr(&D, VIRTIO_PCI_COMMON_GFSELECT, w, 4);
		cm_wr(&D, VIRTIO_PCI_COMMON_GF, (uint32_t)(f >> (32 * w)), 4);
	}
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	if (!(status(&D) & VIRTIO_CONFIG_S_FEATURES_OK))
		return 0;
	cm_wr(&D, VIRTIO_PCI_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
	for (unsigned i = 0; i < nq; i++)
		queue_setup(&Q[i], i);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	mmio_rd(D.bar + D.isr, 1);	/* clear what came before */
	return f;
}

/* One chain of segments on queue q, notified and served. True if it came back. */
static bool post(struct bq *q, const struct seg *s, unsigned n, bool expect_back)
{
	uint16_t head = q->next;

	for (unsigned i = 0; i < n; i++) {
		unsigned idx = (head + i) % QS;

		put_desc(q->desc, idx, s[i].gpa, s[i].len,
			 s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			 (uint16_t)((idx + 1) % QS));
	}
	q->next = (uint16_t)((head + n) % QS);
	g16(q->avail + 4 + 2u * (q->avail_idx % QS), head);
	q->avail_idx++;
	g16(q->avail + 2, q->avail_idx);
	mmio_wr(D.bar + D.notify + q->index * D.mult, q->index, 2);
	run_loop();
	if (r16(q->used + 2) == q->used_seen)
		return false;
	q->used_seen = r16(q->used + 2);
	return expect_back;
}

static bool send_pfns(struct bq *q, uint64_t gpa, unsigned npages)
{
	uint32_t *p = gptr(BUFS, npages * 4ull);

	for (unsigned i = 0; i < npages; i++)
		p[i] = htole32((uint32_t)((gpa >> 12) + i));
	return post(q, &(struct seg){ BUFS, npages * 4, 0 }, 1, true);
}

static void cfg_write32(unsigned off, uint32_t v)
{
	mmio_wr(D.bar + D.devcfg + off, v, 4);
}

static uint32_t cfg_read32(unsigned off)
{
	return (uint32_t)mmio_rd(D.bar + D.devcfg + off, 4);
}

static struct virtio_balloon_info info(void)
{
	struct virtio_balloon_info i;

	virtio_balloon_get_info(B, &i);
	return i;
}

static void test_discard_api(void)
{
	is_int(vm_memory_discard(&H.mem, 0x1001, PAGE), -EINVAL, "discard: unaligned refused");
	is_int(vm_memory_discard(&H.mem, 0x9f000, 2 * PAGE), -EFAULT,
	       "discard: a range into the VGA window is refused");
	is_int(vm_memory_discard(&H.mem, RAM_SIZE - PAGE, 2 * PAGE), -EFAULT,
	       "discard: a range past RAM is refused");
	touch(0x9f000, PAGE, 0x5a);
	is_int(vm_memory_discard(&H.mem, 0x9f000, PAGE), 0, "discard: last page below 640K");
	ok(all_bytes(gptr(0x9f000, PAGE), PAGE, 0), "it reads back as zeros");
}

static void test_config(void)
{
	ok(D.devcfg_len >= 16, "device config is at least 16 bytes (%u)", D.devcfg_len);
	ok(D.dev_features & F(VIRTIO_BALLOON_F_STATS_VQ), "STATS_VQ offered");
	ok(D.dev_features & F(VIRTIO_BALLOON_F_DEFLATE_ON_OOM), "DEFLATE_ON_OOM offered");
	ok(D.dev_features & F(VIRTIO_BALLOON_F_PAGE_POISON), "PAGE_POISON offered");
	ok(D.dev_features & F(VIRTIO_BALLOON_F_REPORTING), "REPORTING offered");
	ok(!(D.dev_features & F(VIRTIO_BALLOON_F_MUST_TELL_HOST)), "MUST_TELL_HOST not offered");
	ok(!(D.dev_features & F(VIRTIO_BALLOON_F_FREE_PAGE_HINT)), "FREE_PAGE_HINT not offered");
	is_int(cfg_read32(0), 0, "num_pages starts at the configured target (0)");
	is_int(cm_rd(&D, VIRTIO_PCI_COMMON_NUMQ, 2), 4, "four queues");
}

static void test_target(void)
{
	uint8_t gen = (uint8_t)cm_rd(&D, VIRTIO_PCI_COMMON_CFGGENERATION, 1);

	is_int(virtio_balloon_set_target(B, 8ull << 20), 0, "set target 8 MiB");
	is_int(cfg_read32(0), 2048, "num_pages = 2048");
	ok(cm_rd(&D, VIRTIO_PCI_COMMON_CFGGENERATION, 1) != gen, "config generation moved");
	is_int(mmio_rd(D.bar + D.isr, 1), VIRTIO_PCI_ISR_CONFIG, "ISR: configuration change");
	is_int(virtio_balloon_set_target(B, (8ull << 20) + 100), 0, "same pages again");
	is_int(mmio_rd(D.bar + D.isr, 1), 0, "no interrupt when num_pages did not change");
	is_int(virtio_balloon_set_target(B, RAM_SIZE + PAGE), -EINVAL, "past RAM refused");
	is_int(cfg_read32(0), 2048, "num_pages unchanged");
	is_int(info().target, 8ull << 20, "info.target");
}

static void test_inflate_deflate(void)
{
	uint64_t errs = gerrs();
	long long b0, b1, b2;

	touch(AREA, 8ull << 20, 0xc3);
	b0 = ram_blocks();
	ok(send_pfns(&Q[0], AREA, 1024) && send_pfns(&Q[0], AREA + (4ull << 20), 1024),
	   "inflate 2 x 1024 PFNs: both buffers used");
	b1 = ram_blocks();
	is_int(info().discard_calls, 2, "contiguous PFNs: one discard per buffer");
	ok(b0 - b1 >= (long long)((8ull << 20) / 512 * 9 / 10),
	   "memfd st_blocks fell by >= 90%% of 8 MiB (%lld -> %lld)", b0, b1);
	/* Reading a hole in a shared memfd mapping allocates it again: look at two pages only. */
	ok(all_bytes(gptr(AREA, PAGE), PAGE, 0) &&
	   all_bytes(gptr(AREA + (8ull << 20) - PAGE, PAGE), PAGE, 0),
	   "inflated pages read back zero");
	is_int(info().ballooned, 8ull << 20, "ballooned 8 MiB");
	cfg_write32(4, 2048);
	run_loop();
	is_int(cfg_read32(4), 2048, "actual reads back");
	is_int(info().actual, 8ull << 20, "info.actual 8 MiB");
	ok(events_seen & VIRTIO_BALLOON_EV_ACTUAL, "notify callback heard of actual");
	is_int(virtio_balloon_add_listener(B, on_listen, &listened), 0, "a second listener");
	events_seen = 0;
	cfg_write32(4, 2048);
	run_loop();
	ok(listened == VIRTIO_BALLOON_EV_ACTUAL && events_seen & VIRTIO_BALLOON_EV_ACTUAL,
	   "both the callback and the listener heard");
	virtio_balloon_remove_listener(B, on_listen, &listened);
	listened = 0;
	cfg_write32(4, 2048);
	run_loop();
	is_int(listened, 0, "a removed listener hears nothing");
	is_int(gerrs(), errs, "no guest errors so far");

	/* Deflate-on-OOM: the target stays 8 MiB, the driver takes 1 MiB back. */
	ok(send_pfns(&Q[1], AREA, 256), "deflate 256 PFNs");
	is_int(gerrs(), errs, "accepted without a guest error: DEFLATE_ON_OOM negotiated");
	is_int(info().ballooned, 7ull << 20, "ballooned 7 MiB");
	is_int(info().deflated, 1ull << 20, "deflated total 1 MiB");
	touch(AREA, 1ull << 20, 0x11);
	b2 = ram_blocks();
	ok(b2 - b1 >= (1 << 20) / 512 && b2 - b1 < (2 << 20) / 512,
	   "touching the 1 MiB deflated allocates about 1 MiB again (%lld -> %lld)", b1, b2);
	ok(send_pfns(&Q[1], AREA, 16), "deflating pages not in the balloon");
	is_int(info().ballooned, 7ull << 20, "does not count twice");
}

static void test_bad_pfns(void)
{
	uint32_t *p = gptr(BUFS, 16);
	uint64_t errs = gerrs();

	p[0] = htole32(0xe0000);		/* PCI hole */
	p[1] = htole32(0xa0);			/* VGA window */
	p[2] = htole32((uint32_t)(RAM_SIZE >> 12));	/* just past RAM */
	p[3] = htole32((uint32_t)((AREA + (8ull << 20)) >> 12));
	touch(AREA + (8ull << 20), PAGE, 0x77);
	ok(post(&Q[0], &(struct seg){ BUFS, 16, 0 }, 1, true), "buffer with bad PFNs used");
	is_int(gerrs(), errs + 1, "one guest error for the three bad PFNs");
	ok(all_bytes(gptr(AREA + (8ull << 20), PAGE), PAGE, 0), "the good PFN was still discarded");
	is_int(info().ballooned, (7ull << 20) + PAGE, "only the good PFN counted");
	for (unsigned i = 0; i < 8; i++)	/* every other page: no run to merge */
		p[i] = htole32((uint32_t)((AREA + (10ull << 20)) >> 12) + 2 * i);
	uint64_t calls = info().discard_calls;

	ok(post(&Q[0], &(struct seg){ BUFS, 32, 0 }, 1, true), "8 scattered PFNs");
	is_int(info().discard_calls - calls, 8, "one discard each");
}

static void test_hostile(void)
{
	uint64_t errs = gerrs();

	*(uint32_t *)gptr(BUFS, 4) = htole32((uint32_t)(AREA >> 12));
	ok(post(&Q[0], &(struct seg){ BUFS, 7, 0 }, 1, true), "7-byte PFN buffer used");
	ok(gerrs() > errs, "a length not a multiple of 4 is a guest error");
	errs = gerrs();
	ok(post(&Q[0], (struct seg[]){ { BUFS, 4, 0 }, { BUFS + 64, 4, VRING_DESC_F_WRITE } },
		2, true), "PFN buffer with a writable part used");
	ok(gerrs() > errs, "a writable part is a guest error");
	errs = gerrs();
	ok(post(&Q[0], &(struct seg){ BUFS, 1u << 20, 0 }, 1, true), "a 1 MiB PFN buffer used");
	ok(gerrs() > errs, "more than 64 KiB of PFNs is a guest error");
	errs = gerrs();
	ok(!post(&Q[0], &(struct seg){ BAR_BASE, 4, 0 }, 1, true),
	   "a PFN buffer in MMIO is not used");
	ok(gerrs() > errs && (status(&D) & VIRTIO_CONFIG_S_NEEDS_RESET),
	   "the queue is broken: NEEDS_RESET");
}

static void put_stat(uint8_t *p, uint16_t tag, uint64_t val)
{
	tag = htole16(tag);
	val = htole64(val);
	memcpy(p, &tag, 2);
	memcpy(p + 2, &val, 8);
}

static void test_stats(void)
{
	uint8_t *p = gptr(BUFS, 40);
	struct virtio_balloon_info i;

	bal_init(ALL_FEATURES, 4);
	put_stat(p, VIRTIO_BALLOON_S_MEMFREE, 123456789);
	put_stat(p + 10, VIRTIO_BALLOON_S_MEMTOT, 64ull << 20);
	put_stat(p + 20, 77, 5);		/* a tag we do not know */
	put_stat(p + 30, VIRTIO_BALLOON_S_MAJFLT, 42);
	events_seen = 0;
	ok(!post(&Q[2], &(struct seg){ BUFS, 40, 0 }, 1, true),
	   "stats buffer is kept by the device");
	i = info();
	is_int(i.stats.val[VIRTIO_BALLOON_S_MEMFREE], 123456789, "free memory parsed");
	is_int(i.stats.val[VIRTIO_BALLOON_S_MEMTOT], 64ull << 20, "total memory parsed");
	is_int(i.stats.val[VIRTIO_BALLOON_S_MAJFLT], 42, "major faults parsed");
	is_int(i.stats.present, 1u << 4 | 1u << 5 | 1u << 2, "present tags; 77 ignored");
	is_int(i.stats.timestamp_ns, vmm_loop_now(H.loop), "timestamp is the loop clock");
	ok(events_seen & VIRTIO_BALLOON_EV_STATS, "notify callback heard of stats");
	is_int(virtio_balloon_set_stats_interval(B, 5), 0, "stats every 5 s");
	vmm_loop_advance(H.loop, 4000000000ull);
	run_loop();
	is_int(r16(Q[2].used + 2), 0, "not handed back after 4 s");
	vmm_loop_advance(H.loop, 1000000000ull);
	run_loop();
	is_int(r16(Q[2].used + 2), 1, "handed back at 5 s (a request for fresh stats)");
	Q[2].used_seen = 1;
	put_stat(p, VIRTIO_BALLOON_S_MEMFREE, 1000);
	ok(!post(&Q[2], &(struct seg){ BUFS, 10, 0 }, 1, true), "refilled buffer kept again");
	is_int(info().stats.val[VIRTIO_BALLOON_S_MEMFREE], 1000, "fresh value");
	is_int(info().stats.updates, 2, "two updates");
	is_int(virtio_balloon_set_stats_interval(B, 0), 0, "stats off");
	vmm_loop_advance(H.loop, 10000000000ull);
	run_loop();
	is_int(r16(Q[2].used + 2), 1, "nothing handed back with the interval 0");
	is_int(virtio_balloon_set_stats_interval(B, 100000), -EINVAL, "more than a day refused");
}

static void test_reporting(void)
{
	uint64_t at = AREA + (12ull << 20);
	long long b0, b1;

	touch(at, 4ull << 20, 0x99);
	b0 = ram_blocks();
	ok(post(&Q[3], (struct seg[]){ { at, 2u << 20, VRING_DESC_F_WRITE },
				      { at + (2u << 20), 2u << 20, VRING_DESC_F_WRITE } },
		2, true), "report 2 x 2 MiB on queue 3 (after statsq)");
	b1 = ram_blocks();
	ok(b0 - b1 >= (long long)((4ull << 20) / 512 * 9 / 10),
	   "st_blocks fell by >= 90%% of 4 MiB (%lld -> %lld)", b0, b1);
	is_int(info().discarded, 4ull << 20, "info.discarded 4 MiB");

	/* Page poison with a pattern: reported pages keep their contents. */
	bal_init(F(VIRTIO_BALLOON_F_REPORTING) | F(VIRTIO_BALLOON_F_PAGE_POISON), 3);
	cfg_write32(12, 0xaaaaaaaa);
	touch(at, 1u << 20, 0xaa);
	ok(post(&Q[2], &(struct seg){ at, 1u << 20, VRING_DESC_F_WRITE }, 1, true),
	   "without STATS_VQ the reporting queue is queue 2");
	ok(all_bytes(gptr(at, 1u << 20), 1u << 20, 0xaa), "poisoned pages were not discarded");
	is_int(info().poison_val, 0xaaaaaaaa, "poison_val seen");
	is_int(info().discarded, 4ull << 20, "discarded total unchanged");
}

static void test_queue_roles(void)
{
	uint64_t errs = gerrs();

	bal_init(F(VIRTIO_BALLOON_F_DEFLATE_ON_OOM), 3);
	ok(!post(&Q[2], &(struct seg){ BUFS, 4, 0 }, 1, true),
	   "queue 2 without STATS_VQ or REPORTING is not served");
	ok(gerrs() > errs && (status(&D) & VIRTIO_CONFIG_S_NEEDS_RESET),
	   "using a queue that does not exist breaks the device");
	is_int(info().ballooned, 0, "a device reset empties the balloon");
	is_int(cfg_read32(4), 0, "and actual reads 0");
}

static void test_no_oom(void)
{
	uint64_t errs;

	bal_init(0, 2);
	virtio_balloon_set_target(B, 1ull << 20);
	mmio_rd(D.bar + D.isr, 1);
	ok(send_pfns(&Q[0], AREA, 256), "inflate 1 MiB (the target)");
	errs = gerrs();
	ok(send_pfns(&Q[1], AREA, 16), "deflate below the target");
	is_int(gerrs(), errs + 1, "without DEFLATE_ON_OOM that is a guest error");
	is_int(info().ballooned, (1ull << 20) - 16 * PAGE, "but the pages are the guest's again");
	virtio_balloon_set_target(B, 0);
	errs = gerrs();
	ok(send_pfns(&Q[1], AREA + 16 * PAGE, 16), "deflate with the target at 0");
	is_int(gerrs(), errs, "is fine");
}

/* Offsets in the saved blob (struct vb_state, virtio-balloon-state.c). */
#define ST_VERSION	0
#define ST_NUM_PAGES	4
#define ST_STATS_HELD	20
#define ST_STATS_HEAD	28
#define ST_BALLOONED	48

static int load_patched(struct virtio_balloon *b2, const uint8_t *blob, size_t len,
			size_t off, uint32_t v)
{
	uint8_t *copy = malloc(len);
	int ret;

	memcpy(copy, blob, len);
	if (off < len)
		memcpy(copy + off, &v, 4);
	ret = virtio_balloon_load(b2, copy, len);
	free(copy);
	return ret;
}

extern const struct vmm_device_ops virtio_balloon_device_ops;

static int load_patched_dev(struct virtio_balloon *b2, const uint8_t *blob, size_t len,
			    size_t off, uint32_t v)
{
	uint8_t *copy = malloc(len);
	int ret;

	memcpy(copy, blob, len);
	memcpy(copy + off, &v, 4);
	ret = virtio_balloon_device_ops.load(b2, copy, len);
	free(copy);
	return ret;
}

static struct virtio_balloon_info info_of(struct virtio_balloon *b)
{
	struct virtio_balloon_info i;

	virtio_balloon_get_info(b, &i);
	return i;
}


/* The VM device's hooks: a header around the balloon's part (the transport's part to come). */
static void test_device_blob(struct virtio_balloon *b2)
{
	const struct vmm_device_ops *ops = &virtio_balloon_device_ops;
	void *blob = NULL;
	size_t len = 0;

	virtio_balloon_set_target(B, 3ull << 20);
	is_int(ops->save(B, &blob, &len), 0, "device hook: saved");
	if (!blob)
		return;
	is_int(ops->load(b2, blob, 15), -EINVAL, "device hook: truncated header refused");
	is_int(load_patched_dev(b2, blob, len, 0, 9), -EINVAL, "device hook: version 9 refused");
	is_int(load_patched_dev(b2, blob, len, 16, 99), -EINVAL,
	       "device hook: a transport part of another version refused");
	is_int(load_patched_dev(b2, blob, len, 8, 1), -EINVAL,
	       "device hook: part length that does not add up refused");
	is_int(info_of(b2).target, 4ull << 20, "device hook: refused blobs changed nothing");
	is_int(ops->load(b2, blob, len), 0, "device hook: loaded");
	is_int(info_of(b2).target, 3ull << 20, "device hook: target carried over");
	is_int(b2->vdev.status, B->vdev.status, "device hook: transport status carried over");
	is_int(b2->vdev.driver_features, B->vdev.driver_features,
	       "device hook: negotiated features carried over");
	ok(!memcmp(b2->vdev.config, B->vdev.config, VIRTIO_BALLOON_CONFIG_LEN),
	   "device hook: config bytes carried over");
	free(blob);
}

static void test_state(void)
{
	struct virtio_balloon_opts o = { .devfn = PCI_DEVFN_AUTO };
	struct virtio_host h = host();
	struct virtio_balloon *b2;
	struct virtio_balloon_info i1, i2;
	uint8_t *p = gptr(BUFS + 0x1000, 20);
	void *blob = NULL;
	size_t len = 0;
	int err = 0;

	bal_init(ALL_FEATURES, 4);
	virtio_balloon_set_target(B, 4ull << 20);
	ok(send_pfns(&Q[0], AREA, 512), "state: inflate 2 MiB");
	cfg_write32(4, 512);
	put_stat(p, VIRTIO_BALLOON_S_AVAIL, 777);
	put_stat(p + 10, VIRTIO_BALLOON_S_CACHES, 888);
	post(&Q[2], &(struct seg){ BUFS + 0x1000, 20, 0 }, 1, false);
	virtio_balloon_set_stats_interval(B, 5);
	vmm_loop_advance(H.loop, 2000000000ull);
	run_loop();
	virtio_pci_pause(&B->vdev);
	is_int(virtio_balloon_save(B, &blob, &len), 0, "state: saved");
	virtio_pci_resume(&B->vdev);
	b2 = virtio_balloon_new(H.bus, &h, &o, &err);
	ok(b2 != NULL, "state: a second, fresh balloon");
	if (!b2 || !blob)
		return;
	is_int(virtio_balloon_load(b2, blob, len - 1), -EINVAL, "state: truncated refused");
	is_int(load_patched(b2, blob, len, ST_VERSION, 2), -EINVAL, "state: version 2 refused");
	is_int(load_patched(b2, blob, len, ST_NUM_PAGES, (uint32_t)(RAM_SIZE / PAGE) + 1),
	       -EINVAL, "state: num_pages past RAM refused");
	is_int(load_patched(b2, blob, len, ST_STATS_HELD, 2), -EINVAL,
	       "state: stats_held 2 refused");
	is_int(load_patched(b2, blob, len, ST_STATS_HEAD, VIRTIO_BALLOON_QUEUE_SIZE), -EINVAL,
	       "state: stats_head past the queue refused");
	is_int(load_patched(b2, blob, len, ST_BALLOONED, 4096), -EINVAL,
	       "state: ballooned that disagrees with the bitmap refused");
	virtio_balloon_get_info(b2, &i2);
	ok(i2.target == 0 && i2.ballooned == 0 && !i2.stats.updates && !b2->stats_deadline,
	   "state: the refused blobs changed nothing");
	is_int(virtio_balloon_load(b2, blob, len), 0, "state: loaded");
	virtio_balloon_get_info(B, &i1);
	virtio_balloon_get_info(b2, &i2);
	is_int(i2.target, 4ull << 20, "state: target");
	is_int(i2.actual, 2ull << 20, "state: actual");
	is_int(i2.ballooned, i1.ballooned, "state: ballooned");
	is_int(i2.stats.val[VIRTIO_BALLOON_S_AVAIL], 777, "state: stats values");
	is_int(i2.stats.present, i1.stats.present, "state: stats tags");
	ok(!memcmp(b2->vdev.config, B->vdev.config, VIRTIO_BALLOON_CONFIG_LEN),
	   "state: device config bytes equal");
	uint8_t saved_cfg[VIRTIO_BALLOON_CONFIG_LEN];

	virtio_balloon_saved_config(blob, saved_cfg);
	ok(!memcmp(saved_cfg, B->vdev.config, VIRTIO_BALLOON_CONFIG_LEN),
	   "state: the blob's config bytes are the saving device's");
	ok(!memcmp(b2->bitmap, B->bitmap, (B->ram_pages + 63) / 64 * 8), "state: bitmap equal");
	ok(b2->stats_held && b2->stats_elem.head == B->stats_elem.head, "state: held stats buffer");
	is_int(b2->stats_deadline, vmm_loop_now(H.loop) + 3000000000ull,
	       "state: the stats timer fires 3 s from now, as it would have");
	free(blob);
	test_device_blob(b2);
	virtio_balloon_free(b2);
	virtio_balloon_set_stats_interval(B, 0);
}

int main(void)
{
	struct virtio_balloon_opts o = { .devfn = PCI_DEVFN_AUTO };
	struct virtio_host h;
	int err = 0, devfn;

	harness_init();
	h = host();
	B = virtio_balloon_new(H.bus, &h, &o, &err);
	ok(B != NULL, "balloon created (%d)", err);
	if (!B)
		return tap_done();
	virtio_balloon_set_notify(B, on_event, NULL);
	devfn = find_fn(0x1045, 0);
	ok(devfn >= 0, "PCI 1af4:1045 found");
	drv_probe(&D, (unsigned)devfn, BAR_BASE, RINGS);
	test_discard_api();
	ok(bal_init(ALL_FEATURES, 4) != 0, "driver init with every feature");
	test_config();
	test_target();
	test_inflate_deflate();
	test_bad_pfns();
	test_hostile();
	test_stats();
	test_reporting();
	test_queue_roles();
	test_no_oom();
	test_state();
	virtio_balloon_free(B);
	harness_exit();
	return tap_done();
}
