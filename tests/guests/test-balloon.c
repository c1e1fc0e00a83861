// SPDX-License-Identifier: GPL-2.0-or-later
// virtio-balloon through a minimal driver: inflate to the target, stats, deflate-on-OOM, deflate.
#include "kit.h"

/*
 * The guest writes most of its RAM, then obeys num_pages: 96 MiB inflated at once (the
 * helper sets it before the guest starts), 1 MiB taken back "under memory pressure" with
 * the target unchanged (DEFLATE_ON_OOM), fresh stats when the host hands the stats buffer
 * back, and everything deflated when the target drops to 0 six seconds in. The helper
 * prints the RAM memfds' allocated size whenever the guest writes `actual`; the runner
 * checks it fell by >= 90% of each inflation and rose on each deflation (balloon-fall=).
 */
KIT_EXPECT("cpus=1 memory=128M timeout=40 exit=0");
KIT_EXPECT("args=--balloon-target 96M@0 --balloon-target 0@6 --balloon-stats 1");
KIT_EXPECT("serial=balloon: wrote 112 MiB");
KIT_EXPECT("serial=balloon: [0-9a-f]{2}\\.0 1af4:1045, features 0x[0-9a-f]+");
KIT_EXPECT("serial=balloon: target 24576 pages, inflated 24576");
KIT_EXPECT("serial=balloon: deflate-on-oom: 256 pages back, target still 24576");
KIT_EXPECT("serial=balloon: the host handed the stats buffer back; refilled");
KIT_EXPECT("serial=balloon: target 0 pages after [1-9][0-9]* config interrupts?, deflated 24320");
KIT_EXPECT("serial=balloon: every page holds what was last written");
KIT_EXPECT("helper=balloon: target 98304 KiB at 0 s");
/* The first stats and the baseline `actual` may be reported in either order. */
KIT_EXPECT("helper=balloon: stats .*minor-faults=1 free-memory=16777216 total-memory=134217728");
KIT_EXPECT("helper=balloon: actual 98304 KiB");
KIT_EXPECT("helper=balloon: actual 97280 KiB");
KIT_EXPECT("helper=balloon: stats .*minor-faults=2");
KIT_EXPECT("helper=balloon: target 0 KiB at 6 s");
KIT_EXPECT("helper=balloon: actual 0 KiB");
KIT_EXPECT("balloon-fall=0.9");

/* virtio 1.2 §5.5.3 feature bits, §5.5.4 config, §5.5.6.3 stat tags */
#define F_STATS_VQ		1
#define F_DEFLATE_ON_OOM	2
#define CFG_NUM_PAGES		0
#define CFG_ACTUAL		4
#define S_MAJFLT		2
#define S_MINFLT		3
#define S_MEMFREE		4
#define S_MEMTOT		5
#define NSTATS			4
#define Q_INFLATE		0
#define Q_DEFLATE		1
#define Q_STATS			2
#define CFG_VECTOR		0x41
#define PAGE			4096u
#define RAM_END			(128u << 20)
#define TOUCH_START		(16u << 20)	/* above the image, stacks and the boot counter */
#define BATCH			256u		/* PFNs per buffer, as Linux sends them */
#define IO_TIMEOUT_MS		2000

struct balloon {
	struct kit_pci_fn pci;
	struct kit_virtio v;
	struct kit_virtq q[3];
	uint32_t pages;			/* in the balloon now: the top `pages` pages of RAM */
	uint32_t touched_pages;
	volatile uint32_t cfg_irqs;
	uint8_t stats[NSTATS * 10];
	uint32_t stats_posts;
};

static struct balloon bal;
static uint32_t pfns[BATCH] __attribute__((aligned(16)));

static void cfg_isr(struct kit_frame *f, void *ctx)
{
	struct balloon *b = ctx;

	b->cfg_irqs++;
	lapic_eoi();
}

static volatile uint32_t *page_at(uint32_t pfn)
{
	return (volatile uint32_t *)(uintptr_t)(pfn * PAGE);
}

/* One write per page allocates it on the host; the value says which round wrote it. */
static void write_pages(uint32_t first_pfn, uint32_t end_pfn, uint32_t round)
{
	for (uint32_t p = first_pfn; p < end_pfn; p++)
		*page_at(p) = round << 24 | p;
}

static uint32_t num_pages(void)
{
	return mmio_read32(bal.v.device + CFG_NUM_PAGES);
}

/* Tell the host how big the balloon is, and give it time to look at its memfds. */
static void report_actual(void)
{
	mmio_write32(bal.v.device + CFG_ACTUAL, bal.pages);
	kit_mdelay(200);
}

static void send_pfns(unsigned q, uint32_t first, uint32_t n)
{
	struct kit_vbuf v = { pfns, n * 4, false };

	for (uint32_t i = 0; i < n; i++)
		pfns[i] = first + i;
	if (!virtq_run(&bal.q[q], &v, 1, NULL, IO_TIMEOUT_MS))
		KIT_FAIL("%s of %u pages: no used buffer after %u ms",
			 q == Q_INFLATE ? "inflate" : "deflate", n, IO_TIMEOUT_MS);
}

/* Pages leave from the top of RAM down, and come back in the opposite order. */
static void inflate_to(uint32_t target)
{
	while (bal.pages < target) {
		uint32_t n = target - bal.pages < BATCH ? target - bal.pages : BATCH;

		send_pfns(Q_INFLATE, RAM_END / PAGE - bal.pages - n, n);
		bal.pages += n;
	}
}

static void deflate_to(uint32_t target, uint32_t round)
{
	while (bal.pages > target) {
		uint32_t n = bal.pages - target < BATCH ? bal.pages - target : BATCH;
		uint32_t first = RAM_END / PAGE - bal.pages;

		send_pfns(Q_DEFLATE, first, n);
		bal.pages -= n;
		write_pages(first, first + n, round);	/* the pages are ours again: use them */
	}
}

static void put_stat(unsigned i, uint16_t tag, uint64_t val)
{
	uint8_t *p = bal.stats + 10 * i;

	memcpy(p, &tag, 2);
	memcpy(p + 2, &val, 8);
}

static void post_stats(void)
{
	struct kit_vbuf v = { bal.stats, sizeof(bal.stats), false };

	bal.stats_posts++;
	put_stat(0, S_MEMTOT, RAM_END);
	put_stat(1, S_MEMFREE, (uint64_t)(RAM_END / PAGE - bal.touched_pages) * PAGE);
	put_stat(2, S_MAJFLT, 0);
	put_stat(3, S_MINFLT, bal.stats_posts);
	virtq_post(&bal.q[Q_STATS], &v, 1);
}

static void find_and_map(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor == 0x1AF4 && fns[i].device == 0x1045) {
			bal.pci = fns[i];
			found++;
		}
	}
	KIT_ASSERT_EQ(found, 1);
	pci_size_bars(&bal.pci);
	KIT_ASSERT(pci_assign_bars(&bal.pci, &w));
	pci_command_set(&bal.pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
}

static void start_device(void)
{
	const uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << F_STATS_VQ |
			      1ull << F_DEFLATE_ON_OOM;
	char name[8];

	virtio_probe(&bal.v, &bal.pci);
	KIT_ASSERT(bal.v.device && bal.v.device_len >= 16);
	KIT_ASSERT(pci_msix_route(&bal.pci, 0, CFG_VECTOR, lapic_id()));
	KIT_ASSERT(pci_msix_enable(&bal.pci, true));
	KIT_ASSERT(virtio_negotiate(&bal.v, want));
	KIT_ASSERT_EQ(bal.v.driver_features, want);
	kit_printf("balloon: %s 1af4:1045, features 0x%08x%08x\n", pci_name(&bal.pci, name),
		   (uint32_t)(bal.v.device_features >> 32), (uint32_t)bal.v.device_features);
	mmio_write16(bal.v.common + VIRTIO_COMMON_MSIX, 0);	/* config changes: vector 0 */
	KIT_ASSERT_EQ(mmio_read16(bal.v.common + VIRTIO_COMMON_MSIX), 0);
	for (unsigned q = 0; q < 3; q++)
		virtio_queue_setup(&bal.v, &bal.q[q], q, VIRTIO_NO_VECTOR);
	virtio_driver_ok(&bal.v);
}

static uint32_t wait_num_pages(bool zero, uint32_t timeout_ms)
{
	uint64_t start = kit_now_ms();

	sti();
	while ((num_pages() == 0) != zero && kit_now_ms() - start < timeout_ms)
		pause();
	/* The host writes num_pages, then signals: the interrupt may still be on its way. */
	for (start = kit_now_ms(); zero && !bal.cfg_irqs && kit_now_ms() - start < 1000;)
		pause();
	cli();
	return num_pages();
}

/* §5.5.6.3: the host asks for fresh statistics by returning the buffer. */
static void stats_round(void)
{
	uint64_t start = kit_now_ms();

	while (!virtq_used(&bal.q[Q_STATS], NULL)) {
		if (kit_now_ms() - start > 5000)
			KIT_FAIL("the stats buffer did not come back within 5 s");
		pause();
	}
	post_stats();
	kit_printf("balloon: the host handed the stats buffer back; refilled\n");
}

static void check_pages(void)
{
	for (uint32_t p = TOUCH_START / PAGE; p < RAM_END / PAGE; p++) {
		uint32_t want = (p >= RAM_END / PAGE - 24576 ? 2u : 1u) << 24 | p;

		if (*page_at(p) != want)
			KIT_FAIL("page %u holds 0x%08x, want 0x%08x", p, *page_at(p), want);
	}
	kit_printf("balloon: every page holds what was last written\n");
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint32_t target;

	kit_tsc_per_ms();
	lapic_enable();
	kit_set_handler(CFG_VECTOR, cfg_isr, &bal);
	write_pages(TOUCH_START / PAGE, RAM_END / PAGE, 1);
	bal.touched_pages = (RAM_END - TOUCH_START) / PAGE;
	kit_printf("balloon: wrote %u MiB\n", (RAM_END - TOUCH_START) >> 20);
	find_and_map();
	start_device();
	post_stats();
	report_actual();		/* the host's baseline: everything touched, nothing given */

	target = wait_num_pages(false, 5000);
	KIT_ASSERT_EQ(target, 24576);
	inflate_to(target);
	report_actual();
	kit_printf("balloon: target %u pages, inflated %u\n", target, bal.pages);

	deflate_to(bal.pages - 256, 2);	/* "memory pressure": DEFLATE_ON_OOM lets us */
	report_actual();
	KIT_ASSERT_EQ(num_pages(), 24576);
	kit_printf("balloon: deflate-on-oom: 256 pages back, target still %u\n", num_pages());
	stats_round();

	target = wait_num_pages(true, 20000);
	KIT_ASSERT_EQ(target, 0);
	KIT_ASSERT(bal.cfg_irqs >= 1);
	target = bal.pages;
	deflate_to(0, 2);
	report_actual();
	kit_printf("balloon: target 0 pages after %u config interrupt%s, deflated %u\n",
		   bal.cfg_irqs, bal.cfg_irqs == 1 ? "" : "s", target);
	check_pages();
}
