// SPDX-License-Identifier: GPL-2.0-or-later
// Benchmark guest: 4 KiB random reads through virtio-blk at queue depth 1, polled, timed
// by the guest's TSC; the same image runs under vessel-helper and QEMU (tests/bench).
#include "kit.h"

/* Not a test: run by tests/bench/virtio-blk-bench.py, which passes the disk. */
KIT_EXPECT("cpus=1 memory=64M timeout=120 exit=0");

#define BLK_T_IN	0
#define BLK_S_OK	0
#define CFG_CAPACITY	0	/* virtio 1.2 §5.2.4 */
#define IO_TIMEOUT_MS	2000
#define REQ_BYTES	4096

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
	virtio_driver_ok(&vdev);
}

/* xorshift32: a fixed sequence of sectors, the same under both VMMs. */
static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint32_t reqs = (uint32_t)kit_cmdline_u64("requests", 2000), seed = 0x12345678, used;
	uint64_t sectors, blocks, t0, t1, per_ms = kit_tsc_per_ms();
	struct kit_vbuf v[3] = {
		{ &hdr, sizeof(hdr), false }, { data, REQ_BYTES, true }, { &status, 1, true },
	};

	bring_up();
	sectors = (uint64_t)mmio_read32(vdev.device + CFG_CAPACITY + 4) << 32 |
		  mmio_read32(vdev.device + CFG_CAPACITY);
	blocks = sectors / (REQ_BYTES / 512);
	KIT_ASSERT(blocks > 0 && per_ms > 0);
	kit_printf("bench: start %u reads of 4 KiB over %u blocks\n", reqs, (uint32_t)blocks);
	t0 = rdtsc();
	for (uint32_t i = 0; i < reqs; i++) {
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
