// SPDX-License-Identifier: GPL-2.0-or-later
// Benchmark guest: 4 KiB random reads through virtio-blk at queue depth 1 (or qd=N), polled,
// timed by the guest's TSC; the same image runs under vessel-helper and QEMU (tests/bench).
#include "kit.h"

/* Not a test: run by tests/bench/virtio-blk-bench.py, which passes the disk. */
KIT_EXPECT("cpus=1 memory=64M timeout=120 exit=0");

#define BLK_T_IN	0
#define BLK_S_OK	0
#define CFG_CAPACITY	0	/* virtio 1.2 §5.2.4 */
#define IO_TIMEOUT_MS	2000
#define REQ_BYTES	4096
#define MAX_QD		16
#define QSIZE		64		/* 3 descriptors per request in flight */
#define DESC_NEXT	1		/* virtio 1.2 §2.7.5 */
#define DESC_WRITE	2

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct kit_pci_fn pci;
static struct kit_virtio vdev;
static struct kit_virtq vq;
static struct blk_hdr hdr;
static uint8_t status;
static uint8_t data[REQ_BYTES] __attribute__((aligned(4096)));

/* qd > 1: our own ring (the kit's has 16 entries), slot i in descriptors 3i..3i+2. */
struct qd_ring {
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } desc[QSIZE]
		__attribute__((aligned(16)));
	struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail;
	struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE];
		 uint16_t avail_event; } used __attribute__((aligned(4)));
	uintptr_t notify;
	uint16_t last_used;
};

static struct qd_ring ring;
static struct blk_hdr qd_hdr[MAX_QD];
static volatile uint8_t qd_status[MAX_QD];
static uint8_t qd_data[MAX_QD][REQ_BYTES] __attribute__((aligned(4096)));

static void bring_up(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor == 0x1AF4 && fns[i].device == 0x1042) {
			pci = fns[i];
			found++;
		}
	}
	KIT_ASSERT_EQ(found, 1);
	pci_size_bars(&pci);
	KIT_ASSERT(pci_assign_bars(&pci, &w));
	/* Polled: no MSI-X, INTx off. */
	pci_command_set(&pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	virtio_probe(&vdev, &pci);
	virtio_reset(&vdev);
	KIT_ASSERT(virtio_negotiate(&vdev, 1ull << VIRTIO_F_VERSION_1));
	virtio_queue_setup(&vdev, &vq, 0, 0);
}

/* Replace queue 0's rings with the bigger one (the queue is not live before DRIVER_OK). */
static void ring_setup(void)
{
	uintptr_t c = vdev.common;

	virtio_reset(&vdev);
	KIT_ASSERT(virtio_negotiate(&vdev, 1ull << VIRTIO_F_VERSION_1));
	mmio_write16(c + VIRTIO_COMMON_Q_SELECT, 0);
	KIT_ASSERT(mmio_read16(c + VIRTIO_COMMON_Q_SIZE) >= QSIZE);
	mmio_write16(c + VIRTIO_COMMON_Q_SIZE, QSIZE);
	mmio_write16(c + VIRTIO_COMMON_Q_MSIX, VIRTIO_NO_VECTOR);
	mmio_write32(c + VIRTIO_COMMON_Q_DESC, (uintptr_t)ring.desc);
	mmio_write32(c + VIRTIO_COMMON_Q_DESC + 4, 0);
	mmio_write32(c + VIRTIO_COMMON_Q_DRIVER, (uintptr_t)&ring.avail);
	mmio_write32(c + VIRTIO_COMMON_Q_DRIVER + 4, 0);
	mmio_write32(c + VIRTIO_COMMON_Q_DEVICE, (uintptr_t)&ring.used);
	mmio_write32(c + VIRTIO_COMMON_Q_DEVICE + 4, 0);
	ring.notify = vdev.notify + (uint32_t)mmio_read16(c + VIRTIO_COMMON_Q_NOFF) *
		      vdev.notify_mult;
	mmio_write16(c + VIRTIO_COMMON_Q_ENABLE, 1);
	for (unsigned i = 0; i < MAX_QD; i++) {
		unsigned d = 3 * i;

		ring.desc[d].addr = (uintptr_t)&qd_hdr[i];
		ring.desc[d].len = sizeof(qd_hdr[i]);
		ring.desc[d].flags = DESC_NEXT;
		ring.desc[d].next = (uint16_t)(d + 1);
		ring.desc[d + 1].addr = (uintptr_t)qd_data[i];
		ring.desc[d + 1].len = REQ_BYTES;
		ring.desc[d + 1].flags = DESC_NEXT | DESC_WRITE;
		ring.desc[d + 1].next = (uint16_t)(d + 2);
		ring.desc[d + 2].addr = (uintptr_t)&qd_status[i];
		ring.desc[d + 2].len = 1;
		ring.desc[d + 2].flags = DESC_WRITE;
	}
}

/* xorshift32: a fixed sequence of sectors, the same under both VMMs. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void qd_post(unsigned slot, uint64_t sector)
{
	qd_hdr[slot] = (struct blk_hdr){ .type = BLK_T_IN, .sector = sector };
	qd_status[slot] = 0xEE;
	ring.avail.ring[ring.avail.idx % QSIZE] = (uint16_t)(3 * slot);
	barrier();
	ring.avail.idx++;
}

/* Keep qd reads in flight: every completion is checked and its slot posted again. */
static void run_qd(uint32_t reqs, uint32_t qd, uint32_t *seed, uint64_t blocks)
{
	volatile uint16_t *used_idx = &ring.used.idx;
	uint32_t posted = 0, done = 0;
	uint64_t start = kit_now_ms();

	for (; posted < qd && posted < reqs; posted++)
		qd_post(posted, (next_rand(seed) % blocks) * (REQ_BYTES / 512));
	barrier();
	mmio_write16(ring.notify, 0);
	while (done < reqs) {
		bool more = false;

		if (kit_now_ms() - start > 100 * IO_TIMEOUT_MS)
			KIT_FAIL("qd %u: %u of %u reads back", qd, done, reqs);
		while (*used_idx != ring.last_used) {
			unsigned slot = ring.used.ring[ring.last_used++ % QSIZE].id / 3;

			barrier();
			if (slot >= qd || qd_status[slot] != BLK_S_OK)
				KIT_FAIL("read %u: slot %u status %u", done, slot, qd_status[slot]);
			done++;
			if (posted < reqs) {
				qd_post(slot, (next_rand(seed) % blocks) * (REQ_BYTES / 512));
				posted++;
				more = true;
			}
		}
		if (more) {
			barrier();
			mmio_write16(ring.notify, 0);
		} else {
			pause();
		}
	}
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint32_t reqs = (uint32_t)kit_cmdline_u64("requests", 2000), seed = 0x12345678, used;
	uint32_t qd = (uint32_t)kit_cmdline_u64("qd", 1);
	uint64_t sectors, blocks, t0, t1, per_ms = kit_tsc_per_ms();
	struct kit_vbuf v[3] = {
		{ &hdr, sizeof(hdr), false }, { data, REQ_BYTES, true }, { &status, 1, true },
	};

	KIT_ASSERT(qd >= 1 && qd <= MAX_QD);
	bring_up();
	if (qd > 1)
		ring_setup();
	virtio_driver_ok(&vdev);
	sectors = (uint64_t)mmio_read32(vdev.device + CFG_CAPACITY + 4) << 32 |
		  mmio_read32(vdev.device + CFG_CAPACITY);
	blocks = sectors / (REQ_BYTES / 512);
	KIT_ASSERT(blocks > 0 && per_ms > 0);
	kit_printf("bench: start %u reads of 4 KiB over %u blocks, qd %u\n", reqs,
		   (uint32_t)blocks, qd);
	t0 = rdtsc();
	if (qd > 1)
		run_qd(reqs, qd, &seed, blocks);
	for (uint32_t i = 0; qd == 1 && i < reqs; i++) {
		hdr = (struct blk_hdr){ .type = BLK_T_IN,
					.sector = (next_rand(&seed) % blocks) * (REQ_BYTES / 512) };
		status = 0xEE;
		if (!virtq_run(&vq, v, 3, &used, IO_TIMEOUT_MS) || status != BLK_S_OK)
			KIT_FAIL("read %u failed (status %u)", i, status);
	}
	t1 = rdtsc();
	/* Integer only: microseconds per request and requests per second. */
	uint64_t us = (t1 - t0) * 1000 / per_ms;
	kit_printf("bench: %u reads in %u us: %u req/s, %u us per request\n", reqs, (uint32_t)us,
		   (uint32_t)(us ? (uint64_t)reqs * 1000000 / us : 0), (uint32_t)(us / reqs));
}
