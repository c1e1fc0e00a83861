// SPDX-License-Identifier: GPL-2.0-or-later
// Disk snapshot guest: keeps a counter in RAM and on a virtio-blk disk, checks they agree.
#include "kit.h"

/*
 * tests/integration/test-disk-snapshots.py snapshots and restores this guest: after a
 * restore, the disk must hold exactly what the guest's RAM says it last wrote, or the
 * guest prints MISMATCH and fails. These records let run-guest.py run it on its own too.
 */
KIT_EXPECT("cpus=1 memory=32M timeout=4 exit=69 image=vd:1M");
KIT_EXPECT("args=--disk {image:vd},bus=virtio");
KIT_EXPECT("serial=disk-snap: start 0");
KIT_EXPECT("serial=disk-snap: wrote 3 ");
KIT_EXPECT("forbid=MISMATCH");

/* virtio 1.2 §5.2.6 request types and statuses */
#define BLK_T_IN	0
#define BLK_T_OUT	1
#define BLK_T_FLUSH	4
#define BLK_S_OK	0
#define BLK_F_FLUSH	9
#define SECTOR		512
#define MAGIC		0x504E5344u	/* "DSNP" */
#define STEP_MS		150
#define IO_TIMEOUT_MS	5000
#define SPREAD		64		/* sectors 1..64 get copies: more clusters touched */

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct kit_pci_fn pci;
static struct kit_virtio vio;
static struct kit_virtq vq;
static struct blk_hdr hdr;
static volatile uint8_t status;
static uint32_t sector_buf[SECTOR / 4] __attribute__((aligned(16)));
static uint32_t last;		/* the counter this guest last wrote, as its RAM knows it */

static uint8_t request(uint32_t type, uint64_t sector, bool data)
{
	struct kit_vbuf v[3];
	unsigned n = 0;

	hdr = (struct blk_hdr){ .type = type, .sector = sector };
	status = 0xEE;
	v[n++] = (struct kit_vbuf){ &hdr, sizeof(hdr), false };
	if (data)
		v[n++] = (struct kit_vbuf){ sector_buf, SECTOR, type == BLK_T_IN };
	v[n++] = (struct kit_vbuf){ (void *)&status, 1, true };
	if (!virtq_run(&vq, v, n, NULL, IO_TIMEOUT_MS))
		KIT_FAIL("request type %u sector %u: no answer", type, (uint32_t)sector);
	return status;
}

static void setup(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor == 0x1AF4 && fns[i].device == 0x1042 && !found++)
			pci = fns[i];
	}
	KIT_ASSERT(found >= 1);
	pci_size_bars(&pci);
	KIT_ASSERT(pci_assign_bars(&pci, &w));
	pci_command_set(&pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	virtio_probe(&vio, &pci);
	KIT_ASSERT(virtio_negotiate(&vio, 1ull << VIRTIO_F_VERSION_1 | 1ull << BLK_F_FLUSH));
	virtio_queue_setup(&vio, &vq, 0, VIRTIO_NO_VECTOR);
	virtio_driver_ok(&vio);
}

/* Sector 0: magic, counter, ~counter. 0 for a blank disk. */
static uint32_t read_counter(void)
{
	KIT_ASSERT_EQ(request(BLK_T_IN, 0, true), BLK_S_OK);
	if (sector_buf[0] != MAGIC)
		return 0;
	if (sector_buf[2] != ~sector_buf[1])
		KIT_FAIL("disk-snap: MISMATCH torn sector 0: %x %x", sector_buf[1], sector_buf[2]);
	return sector_buf[1];
}

static void write_counter(uint32_t value)
{
	memset(sector_buf, 0, sizeof(sector_buf));
	sector_buf[0] = MAGIC;
	sector_buf[1] = value;
	sector_buf[2] = ~value;
	KIT_ASSERT_EQ(request(BLK_T_OUT, 1 + value % SPREAD, true), BLK_S_OK);
	KIT_ASSERT_EQ(request(BLK_T_OUT, 0, true), BLK_S_OK);
	KIT_ASSERT_EQ(request(BLK_T_FLUSH, 0, false), BLK_S_OK);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	kit_tsc_per_ms();
	setup();
	last = read_counter();
	kit_printf("disk-snap: start %u\n", last);
	for (;;) {
		uint32_t now = read_counter();

		if (now != last)
			KIT_FAIL("disk-snap: MISMATCH disk holds %u, RAM says %u", now, last);
		write_counter(last + 1);
		last++;
		kit_printf("disk-snap: wrote %u \n", last);
		kit_mdelay(STEP_MS);
	}
}
