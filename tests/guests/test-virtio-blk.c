// SPDX-License-Identifier: GPL-2.0-or-later
// virtio-blk through the kit's own virtio 1.x driver: read, write, flush, GET_ID, errors, MSI-X.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 image=vd:1M:pattern");
KIT_EXPECT("args=--disk {image:vd},bus=virtio");
KIT_EXPECT("append=sectors=2048");
KIT_EXPECT("serial=virtio-blk: [0-9a-f]{2}\\.0 1af4:1042, BAR4 at 0x[0-9a-f]+");
KIT_EXPECT("serial=virtio-blk: capacity 2048 sectors");
KIT_EXPECT("serial=virtio-blk: host pattern read back from sectors 1 and 2047");
KIT_EXPECT("serial=virtio-blk: sectors 8-11 written and read back");
KIT_EXPECT("serial=virtio-blk: id \"VSL[0-9a-f]{17}\"");
KIT_EXPECT("serial=virtio-blk: [0-9]+ requests, [0-9]+ MSI-X interrupts");
/* The guest's pattern for sector s, dword j: 0xB10C0000 | s << 8 | j (little-endian). */
KIT_EXPECT("file-bytes=vd:4096:00080cb101080cb1");
KIT_EXPECT("file-bytes=vd:6140:7f0b0cb1");
/* The refused write past the end left the last sector as the host made it. */
KIT_EXPECT("file-bytes=vd:1048064:80ff03ca81ff03ca");

/* virtio 1.2 §5.2.3 feature bits, §5.2.6 request types and statuses */
#define BLK_F_SEG_MAX		2
#define BLK_F_BLK_SIZE		6
#define BLK_F_FLUSH		9
#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2
#define BLK_ID_BYTES		20
#define CFG_CAPACITY		0	/* §5.2.4 struct virtio_blk_config */
#define CFG_BLK_SIZE		20
#define SECTOR			512
#define HOST_PATTERN		0xCA000000u	/* run-guest.py image fill "pattern" */
#define MSIX_VECTOR		0x40
#define IO_TIMEOUT_MS		2000

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk {
	struct kit_pci_fn pci;
	struct kit_virtio v;
	struct kit_virtq q;
	struct blk_hdr hdr;
	uint8_t status;
	uint64_t sectors;
	uint32_t requests;
	uint32_t short_used;		/* completions whose used len misses the status */
	volatile uint32_t irqs;
};

static struct blk blk;
static uint32_t buf[4 * SECTOR / 4] __attribute__((aligned(16)));

static void msix_isr(struct kit_frame *f, void *ctx)
{
	struct blk *b = ctx;

	b->irqs++;
	lapic_eoi();
}

/*
 * One request: header, data split into `pieces` descriptors, status byte (§5.2.6). Waits
 * for the used buffer and for its MSI-X interrupt, and checks the used length.
 */
static uint8_t request(struct blk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
		       unsigned pieces)
{
	struct kit_vbuf v[6];
	bool in = type != BLK_T_OUT;
	uint32_t used = 0, want, n = 0;
	uint64_t start;

	b->hdr = (struct blk_hdr){ .type = type, .sector = sector };
	b->status = 0xEE;
	v[n++] = (struct kit_vbuf){ &b->hdr, sizeof(b->hdr), false };
	for (unsigned i = 0; len && i < pieces; i++)
		v[n++] = (struct kit_vbuf){ (uint8_t *)data + i * (len / pieces), len / pieces, in };
	v[n++] = (struct kit_vbuf){ &b->status, 1, true };
	if (!virtq_run(&b->q, v, n, &used, IO_TIMEOUT_MS))
		KIT_FAIL("request type %u sector %u: no used buffer after %u ms", type,
			 (uint32_t)sector, IO_TIMEOUT_MS);
	b->requests++;
	/*
	 * §2.7.8.3: the driver must not trust bytes past used len, so len must reach the
	 * status byte, which ends the device-writable part: data (if any) plus 1.
	 */
	want = (in ? len : 0) + 1;
	if (used > want)
		KIT_FAIL("request type %u sector %u: used len %u > %u writable bytes", type,
			 (uint32_t)sector, used, want);
	if (used != want) {	/* reported now, failed at the end: the rest still runs */
		kit_printf("virtio-blk: request type %u sector %u (status %u): used len %u, "
			   "want %u\n", type, (uint32_t)sector, b->status, used, want);
		b->short_used++;
	}
	/* The MSI-X message may still be on its way: wait for it with interrupts on. */
	start = kit_now_ms();
	sti();
	while (b->irqs < b->requests && kit_now_ms() - start < IO_TIMEOUT_MS)
		pause();
	cli();
	KIT_ASSERT_EQ(b->irqs, b->requests);
	return b->status;
}

static void fill(uint32_t first_sector, unsigned count)
{
	for (unsigned s = 0; s < count; s++)
		for (unsigned j = 0; j < SECTOR / 4; j++)
			buf[s * SECTOR / 4 + j] = 0xB10C0000u | (first_sector + s) << 8 | j;
}

static void check_host_pattern(uint32_t sector)
{
	memset(buf, 0, SECTOR);
	KIT_ASSERT_EQ(request(&blk, BLK_T_IN, sector, buf, SECTOR, 1), BLK_S_OK);
	for (unsigned j = 0; j < SECTOR / 4; j++) {
		if (buf[j] != (HOST_PATTERN | (sector * SECTOR / 4 + j)))
			KIT_FAIL("sector %u dword %u: 0x%08x, want 0x%08x", sector, j, buf[j],
				 HOST_PATTERN | (sector * SECTOR / 4 + j));
	}
}

static void write_read_back(void)
{
	static uint32_t want[4 * SECTOR / 4];

	fill(8, 4);
	memcpy(want, buf, sizeof(want));
	KIT_ASSERT_EQ(request(&blk, BLK_T_OUT, 8, buf, 4 * SECTOR, 2), BLK_S_OK);
	memset(buf, 0, sizeof(buf));
	KIT_ASSERT_EQ(request(&blk, BLK_T_IN, 8, buf, 4 * SECTOR, 1), BLK_S_OK);
	for (unsigned i = 0; i < 4 * SECTOR / 4; i++) {
		if (buf[i] != want[i])
			KIT_FAIL("read back dword %u: 0x%08x, wrote 0x%08x", i, buf[i], want[i]);
	}
	kit_printf("virtio-blk: sectors 8-11 written and read back\n");
}

static void get_id(void)
{
	static char id[BLK_ID_BYTES + 1];
	unsigned n = 0;

	KIT_ASSERT_EQ(request(&blk, BLK_T_GET_ID, 0, id, BLK_ID_BYTES, 1), BLK_S_OK);
	while (n < BLK_ID_BYTES && id[n]) {
		KIT_ASSERT_RANGE(id[n], 0x20, 0x7E);
		n++;
	}
	KIT_ASSERT(n > 0);
	kit_printf("virtio-blk: id \"%s\"\n", id);
}

/* Requests the device must refuse, without touching the image. */
static void refusals(void)
{
	fill(0, 2);
	KIT_ASSERT_EQ(request(&blk, BLK_T_IN, blk.sectors, buf, SECTOR, 1), BLK_S_IOERR);
	KIT_ASSERT_EQ(request(&blk, BLK_T_OUT, blk.sectors - 1, buf, 2 * SECTOR, 1), BLK_S_IOERR);
	KIT_ASSERT_EQ(request(&blk, 0x99, 0, buf, SECTOR, 1), BLK_S_UNSUPP);
}

static void find_and_map(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;
	char name[8];

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor != 0x1AF4 || fns[i].device != 0x1042)
			continue;
		blk.pci = fns[i];
		found++;
	}
	KIT_ASSERT_EQ(found, 1);
	pci_size_bars(&blk.pci);
	KIT_ASSERT(pci_assign_bars(&blk.pci, &w));
	/* Memory decoding and bus mastering on; INTx off: completions come by MSI-X. */
	pci_command_set(&blk.pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	kit_printf("virtio-blk: %s %04x:%04x, BAR4 at 0x%x\n", pci_name(&blk.pci, name),
		   blk.pci.vendor, blk.pci.device, (uint32_t)blk.pci.bar[4].addr);
}

static void start_device(void)
{
	const uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << BLK_F_FLUSH |
			      1ull << BLK_F_BLK_SIZE | 1ull << BLK_F_SEG_MAX;

	virtio_probe(&blk.v, &blk.pci);
	KIT_ASSERT(blk.v.device && blk.v.device_len >= 24);
	KIT_ASSERT(pci_msix_route(&blk.pci, 0, MSIX_VECTOR, lapic_id()));
	KIT_ASSERT(pci_msix_enable(&blk.pci, true));
	KIT_ASSERT(virtio_negotiate(&blk.v, want));
	kit_printf("virtio-blk: device features 0x%08x%08x, driver 0x%08x%08x\n",
		   (uint32_t)(blk.v.device_features >> 32), (uint32_t)blk.v.device_features,
		   (uint32_t)(blk.v.driver_features >> 32), (uint32_t)blk.v.driver_features);
	/* A modern-only device must offer VERSION_1 (§6.1); FLUSH is what we test. */
	KIT_ASSERT_EQ(blk.v.driver_features, want);
	KIT_ASSERT_EQ(mmio_read16(blk.v.common + VIRTIO_COMMON_NUMQ), 1);
	mmio_write16(blk.v.common + VIRTIO_COMMON_MSIX, VIRTIO_NO_VECTOR);
	virtio_queue_setup(&blk.v, &blk.q, 0, 0);
	virtio_driver_ok(&blk.v);
	KIT_ASSERT_EQ(virtio_status(&blk.v), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		      VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint64_t want_sectors = kit_cmdline_u64("sectors", 0);

	kit_tsc_per_ms();
	lapic_enable();
	kit_set_handler(MSIX_VECTOR, msix_isr, &blk);
	find_and_map();
	start_device();
	blk.sectors = (uint64_t)mmio_read32(blk.v.device + CFG_CAPACITY + 4) << 32 |
		      mmio_read32(blk.v.device + CFG_CAPACITY);
	kit_printf("virtio-blk: capacity %u sectors of %u bytes\n", (uint32_t)blk.sectors,
		   mmio_read32(blk.v.device + CFG_BLK_SIZE));
	KIT_ASSERT_EQ(blk.sectors, want_sectors);
	KIT_ASSERT_EQ(mmio_read32(blk.v.device + CFG_BLK_SIZE), SECTOR);

	check_host_pattern(1);
	check_host_pattern((uint32_t)blk.sectors - 1);
	kit_printf("virtio-blk: host pattern read back from sectors 1 and %u\n",
		   (uint32_t)blk.sectors - 1);
	write_read_back();
	KIT_ASSERT_EQ(request(&blk, BLK_T_FLUSH, 0, NULL, 0, 0), BLK_S_OK);
	get_id();
	refusals();
	kit_printf("virtio-blk: %u requests, %u MSI-X interrupts\n", blk.requests, blk.irqs);

	virtio_reset(&blk.v);
	KIT_ASSERT_EQ(virtio_status(&blk.v), 0);
	KIT_ASSERT_EQ(blk.short_used, 0);
}
