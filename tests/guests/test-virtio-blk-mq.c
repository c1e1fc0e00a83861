// SPDX-License-Identifier: GPL-2.0-or-later
// virtio-blk multiqueue: 16 requests on each of 2 queues, one notify per queue, out of order.
#include "kit.h"

KIT_EXPECT("cpus=2 memory=32M timeout=40 exit=0 image=vd:1M:pattern");
KIT_EXPECT("args=--disk {image:vd},bus=virtio");
KIT_EXPECT("serial=virtio-blk-mq: num_queues 2");
KIT_EXPECT("serial=virtio-blk-mq: batch 1: 32 requests on 2 queues, all OK");
KIT_EXPECT("serial=virtio-blk-mq: batch 2: 32 requests on 2 queues, all OK");
KIT_EXPECT("serial=virtio-blk-mq: batch 3: 34 requests on 2 queues, all OK");
/* Written in batch 1 (k = 0 at sector 64) and batch 2 (k = 1 at sector 65), see pat(). */
KIT_EXPECT("file-bytes=vd:32768:0000015a0100015a");
KIT_EXPECT("file-bytes=vd:33280:0001025a0101025a");

/* virtio 1.2 §5.2.3 feature bits, §5.2.4 config, §5.2.6 request types and statuses */
#define BLK_F_SEG_MAX		2
#define BLK_F_BLK_SIZE		6
#define BLK_F_FLUSH		9
#define BLK_F_MQ		12
#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_S_OK		0
#define CFG_NUM_QUEUES		34
#define SECTOR			512
#define HOST_PATTERN		0xCA000000u
#define NQ			2
#define PER_Q			16		/* requests per queue per batch */
#define QSIZE			64		/* 3 descriptors a request: 48 used */
#define DESC_NEXT		1		/* §2.7.5 */
#define DESC_WRITE		2
#define IO_TIMEOUT_MS		10000
#define BASE_SECTOR		64

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* A split virtqueue (§2.7) larger than the kit's 16 entries. */
struct mq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct mq_queue {
	struct mq_desc desc[QSIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[QSIZE], used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags, idx;
		struct { uint32_t id, len; } ring[QSIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
	uint16_t last_used;
	uintptr_t notify;
};

struct req {
	struct blk_hdr hdr;
	uint32_t type, sector, want;	/* want: what a read must return (batch<<16|k<<8) */
	volatile uint8_t status;
	bool done;
};

static struct kit_pci_fn fn;
static struct kit_virtio dev;
static struct mq_queue queues[NQ];
static struct req reqs[NQ][PER_Q + 1];
static uint32_t data[NQ][PER_Q][SECTOR / 4] __attribute__((aligned(16)));

/* Dword j of what batch b writes for request k. */
static uint32_t pat(unsigned b, unsigned k, unsigned j)
{
	return 0x5A000000u | b << 16 | k << 8 | j;
}

static void queue_setup(struct mq_queue *q, unsigned index)
{
	uintptr_t c = dev.common;
	uint16_t noff;

	mmio_write16(c + VIRTIO_COMMON_Q_SELECT, (uint16_t)index);
	KIT_ASSERT(mmio_read16(c + VIRTIO_COMMON_Q_SIZE) >= QSIZE);
	mmio_write16(c + VIRTIO_COMMON_Q_SIZE, QSIZE);
	mmio_write16(c + VIRTIO_COMMON_Q_MSIX, VIRTIO_NO_VECTOR);	/* we poll */
	mmio_write32(c + VIRTIO_COMMON_Q_DESC, (uintptr_t)q->desc);
	mmio_write32(c + VIRTIO_COMMON_Q_DESC + 4, 0);
	mmio_write32(c + VIRTIO_COMMON_Q_DRIVER, (uintptr_t)&q->avail);
	mmio_write32(c + VIRTIO_COMMON_Q_DRIVER + 4, 0);
	mmio_write32(c + VIRTIO_COMMON_Q_DEVICE, (uintptr_t)&q->used);
	mmio_write32(c + VIRTIO_COMMON_Q_DEVICE + 4, 0);
	noff = mmio_read16(c + VIRTIO_COMMON_Q_NOFF);
	KIT_ASSERT((uint32_t)noff * dev.notify_mult + 2 <= dev.notify_len);
	q->notify = dev.notify + (uint32_t)noff * dev.notify_mult;
	mmio_write16(c + VIRTIO_COMMON_Q_ENABLE, 1);
	KIT_ASSERT_EQ(mmio_read16(c + VIRTIO_COMMON_Q_ENABLE), 1);
}

static void set_desc(struct mq_queue *q, unsigned i, void *addr, uint32_t len, uint16_t flags)
{
	q->desc[i] = (struct mq_desc){ (uintptr_t)addr, len, flags,
				       (uint16_t)(flags & DESC_NEXT ? i + 1 : 0) };
}

/* Request i of queue q in descriptors 3i..3i+2; on the avail ring, no notify. */
static void post(unsigned q, unsigned i, uint32_t type, uint32_t sector)
{
	struct mq_queue *vq = &queues[q];
	struct req *r = &reqs[q][i];
	bool flush = type == BLK_T_FLUSH;
	unsigned d = 3 * i;

	r->hdr = (struct blk_hdr){ .type = type, .sector = sector };
	r->type = type;
	r->sector = sector;
	r->status = 0xEE;
	r->done = false;
	set_desc(vq, d, &r->hdr, sizeof(r->hdr), DESC_NEXT);
	if (flush) {		/* header and status only */
		set_desc(vq, d + 1, (void *)&r->status, 1, DESC_WRITE);
	} else {
		set_desc(vq, d + 1, data[q][i], SECTOR,
			 DESC_NEXT | (type == BLK_T_IN ? DESC_WRITE : 0));
		set_desc(vq, d + 2, (void *)&r->status, 1, DESC_WRITE);
	}
	vq->avail.ring[vq->avail.idx % QSIZE] = (uint16_t)d;
	barrier();
	vq->avail.idx++;
}

/* Reap queue q's used ring until n requests are back; each head once, with its length. */
static unsigned reap(unsigned q, unsigned n, uint64_t start)
{
	struct mq_queue *vq = &queues[q];
	volatile uint16_t *idx = &vq->used.idx;
	unsigned got = 0;

	while (got < n && kit_now_ms() - start < IO_TIMEOUT_MS) {
		uint32_t id, len, want;
		struct req *r;

		if (*idx == vq->last_used) {
			pause();
			continue;
		}
		barrier();
		id = vq->used.ring[vq->last_used % QSIZE].id;
		len = vq->used.ring[vq->last_used % QSIZE].len;
		vq->last_used++;
		if (id % 3 || id / 3 >= n || reqs[q][id / 3].done)
			KIT_FAIL("queue %u: used id %u (posted %u requests)", q, id, n);
		r = &reqs[q][id / 3];
		r->done = true;
		want = r->type == BLK_T_IN ? SECTOR + 1 : 1;
		if (len != want)
			KIT_FAIL("queue %u request %u: used len %u, want %u", q, id / 3, len, want);
		got++;
	}
	return got;
}

static void check(unsigned q, unsigned i)
{
	struct req *r = &reqs[q][i];

	if (r->status != BLK_S_OK)
		KIT_FAIL("queue %u request %u (type %u sector %u): status %u", q, i, r->type,
			 r->sector, r->status);
	if (r->type != BLK_T_IN)
		return;
	for (unsigned j = 0; j < SECTOR / 4; j++) {
		uint32_t w = r->want ? r->want | j : HOST_PATTERN | (r->sector * SECTOR / 4 + j);

		if (data[q][i][j] != w)
			KIT_FAIL("queue %u request %u sector %u dword %u: 0x%08x, want 0x%08x", q,
				 i, r->sector, j, data[q][i][j], w);
	}
}

/* Everything posted, then one notify per queue (§4.1.5.2), then wait for all. */
static void run_batch(unsigned batch, unsigned n)
{
	uint64_t start = kit_now_ms();

	barrier();
	for (unsigned q = 0; q < NQ; q++)
		mmio_write16(queues[q].notify, (uint16_t)q);
	for (unsigned q = 0; q < NQ; q++)
		if (reap(q, n, start) != n)
			KIT_FAIL("batch %u queue %u: not all %u back after %u ms", batch, q, n,
				 IO_TIMEOUT_MS);
	for (unsigned q = 0; q < NQ; q++)
		for (unsigned i = 0; i < n; i++)
			check(q, i);
	kit_printf("virtio-blk-mq: batch %u: %u requests on %u queues, all OK\n", batch, NQ * n,
		   NQ);
}

/* Request k = q * PER_Q + i works on sector BASE_SECTOR + k. */
static void post_rw(unsigned q, unsigned i, bool write, unsigned batch, uint32_t want)
{
	unsigned k = q * PER_Q + i;

	if (write)
		for (unsigned j = 0; j < SECTOR / 4; j++)
			data[q][i][j] = pat(batch, k, j);
	else
		memset(data[q][i], 0, SECTOR);
	reqs[q][i].want = want;
	post(q, i, write ? BLK_T_OUT : BLK_T_IN, BASE_SECTOR + k);
}

static void batches(void)
{
	/* 1: even k write, odd k read the host's pattern at the sector they write later. */
	for (unsigned q = 0; q < NQ; q++)
		for (unsigned i = 0; i < PER_Q; i++)
			post_rw(q, i, !(i & 1), 1, 0);
	run_batch(1, PER_Q);
	/* 2: even k read batch 1's data back, odd k write. */
	for (unsigned q = 0; q < NQ; q++)
		for (unsigned i = 0; i < PER_Q; i++)
			post_rw(q, i, i & 1, 2, (i & 1) ? 0 : pat(1, q * PER_Q + i, 0));
	run_batch(2, PER_Q);
	/* 3: every sector read back, from the other queue, plus a flush on each queue. */
	for (unsigned q = 0; q < NQ; q++) {
		for (unsigned i = 0; i < PER_Q; i++) {
			unsigned k = (1 - q) * PER_Q + i;

			memset(data[q][i], 0, SECTOR);
			reqs[q][i].want = pat((i & 1) ? 2 : 1, k, 0);
			post(q, i, BLK_T_IN, BASE_SECTOR + k);
		}
		post(q, PER_Q, BLK_T_FLUSH, 0);
	}
	run_batch(3, PER_Q + 1);
}

static void find_and_start(void)
{
	const uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << BLK_F_FLUSH |
			      1ull << BLK_F_BLK_SIZE | 1ull << BLK_F_SEG_MAX | 1ull << BLK_F_MQ;
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor == 0x1AF4 && fns[i].device == 0x1042) {
			fn = fns[i];
			found++;
		}
	}
	KIT_ASSERT_EQ(found, 1);
	pci_size_bars(&fn);
	KIT_ASSERT(pci_assign_bars(&fn, &w));
	pci_command_set(&fn, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	virtio_probe(&dev, &fn);
	KIT_ASSERT(dev.device && dev.device_len >= CFG_NUM_QUEUES + 2);
	KIT_ASSERT(virtio_negotiate(&dev, want));
	KIT_ASSERT_EQ(dev.driver_features, want);	/* MQ offered with 2 vCPUs */
	KIT_ASSERT_EQ(mmio_read16(dev.device + CFG_NUM_QUEUES), NQ);
	KIT_ASSERT_EQ(mmio_read16(dev.common + VIRTIO_COMMON_NUMQ), NQ);
	kit_printf("virtio-blk-mq: num_queues %u\n", mmio_read16(dev.device + CFG_NUM_QUEUES));
	mmio_write16(dev.common + VIRTIO_COMMON_MSIX, VIRTIO_NO_VECTOR);
	for (unsigned q = 0; q < NQ; q++)
		queue_setup(&queues[q], q);
	virtio_driver_ok(&dev);
	KIT_ASSERT_EQ(virtio_status(&dev), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	kit_tsc_per_ms();
	find_and_start();
	batches();
	virtio_reset(&dev);
	KIT_ASSERT_EQ(virtio_status(&dev), 0);
}
