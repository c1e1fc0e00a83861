// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the virtio PCI transport, split virtqueues (hostile too) and virtio-rng. */
#include "virtio-test-driver.h"

/* ---- Transport -------------------------------------------------------------------------- */

static void test_identity(struct drv *d)
{
	uint32_t bar_lo = cfg_rd(d->devfn, PCI_BASE_ADDRESS_4, 4);

	is_int(cfg_rd(d->devfn, PCI_VENDOR_ID, 4), 0x10421af4, "vendor 0x1AF4, device 0x1042");
	is_int(cfg_rd(d->devfn, PCI_REVISION_ID, 1), 1, "revision 1 (non-transitional)");
	is_int(cfg_rd(d->devfn, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4, "subsystem 1AF4:1100");
	is_int(cfg_rd(d->devfn, PCI_INTERRUPT_PIN, 1), 1, "INTA#");
	is_int(bar_lo & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64, "BAR4: 64-bit memory, not prefetchable");
	is_int(d->bar_size, VIRTIO_PCI_BAR_SIZE, "BAR4 sizes to 32 KiB");
	is_int(d->common, 0, "common config at BAR4+0");
	is_int(d->isr, 0x1000, "ISR at +0x1000");
	is_int(d->devcfg, 0x2000, "device config at +0x2000");
	is_int(d->devcfg_len, VIRTIO_BLK_CONFIG_LEN, "device config length");
	is_int(d->notify, 0x3000, "notify area at +0x3000");
	is_int(d->mult, 4, "notify_off_multiplier 4 (an even power of two)");
	ok(d->pcicfg >= 0x40, "VIRTIO_PCI_CAP_PCI_CFG present at %#x", d->pcicfg);
	ok(d->msix >= 0x40, "MSI-X capability present");
	is_int((cfg_rd(d->devfn, d->msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1, 2,
	       "two MSI-X vectors: config + one queue");
	is_int(cfg_rd(d->devfn, d->msix + PCI_MSIX_TABLE, 4), 0x4000 | 4, "table in BAR4 at 0x4000");
}

static void test_negotiation(struct drv *d)
{
	uint64_t e = gerrs();
	uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_INDIRECT_DESC) |
			F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_BLK_F_SEG_MAX) |
			F(VIRTIO_BLK_F_BLK_SIZE) | F(VIRTIO_BLK_F_FLUSH) |
			F(VIRTIO_BLK_F_DISCARD) | F(VIRTIO_BLK_F_WRITE_ZEROES);

	is_int(drv_init(d, ALL_FEATURES & ~F(VIRTIO_F_VERSION_1), 256, false), -1,
	       "FEATURES_OK refused when the driver drops VERSION_1");
	ok(gerrs() > e, "... and logged as a guest error");
	is_int(d->dev_features & want, want, "blk offers VERSION_1, ring and blk features");
	ok(!(d->dev_features & F(VIRTIO_BLK_F_RO)), "a writable image is not RO");
	cm_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 2, 4);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_DF, 4), 0, "feature word 2 reads 0");
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	is_int(status(d), 0, "writing 0 resets; status reads 0");
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_NUMQ, 2), 1, "one queue");
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 256, "queue 0 offers 256 entries");
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 100, 2);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 256, "queue size 100 (not 2^n) refused");
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0, "queue_notify_off 0");
	cm_wr(d, VIRTIO_PCI_COMMON_Q_MSIX, 7, 2);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR,
	       "vector 7 does not exist: reads NO_VECTOR");
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 5, 2);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0, "absent queue 5 reads size 0");
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "full negotiation succeeds");
	is_int(status(d), 0x0f, "ACK|DRIVER|FEATURES_OK|DRIVER_OK");
	e = gerrs();
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	ok(gerrs() > e && status(d) == 0x0f, "clearing status bits without reset is refused");
	cm_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_GF, 0, 4);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_GF, 4), (uint32_t)d->features,
	       "features cannot change after FEATURES_OK");
}


static void msix_setup(struct drv *d)
{
	msix_vector(d, 0, 0x40, false);		/* config changes */
	msix_vector(d, 1, 0x41, false);		/* queue 0 */
	msix_enable(d, true);
}

/* A one-sector read whose kick is written, but not yet served by the loop. */
static void start_read(struct drv *d)
{
	struct seg s[3] = { { d->buf, 16, 0 }, { d->buf + 4096, SECTOR, VRING_DESC_F_WRITE },
			    { d->buf + 64, 1, VRING_DESC_F_WRITE } };

	memset(gptr(d->buf, 16), 0, 16);	/* VIRTIO_BLK_T_IN, sector 0 */
	submit(d, chain(d, s, 3));
}

static void test_off_vcpu(struct virtio_blk *vb, struct drv *d)
{
	uint16_t used;

	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up");
	used = r16(d->used + 2);
	start_read(d);
	is_int(r16(d->used + 2), used, "the notify write did not process the queue itself");
	run_loop();
	is_int(r16(d->used + 2), used + 1, "the I/O loop did");
	virtio_pci_pause(&vb->vdev);
	start_read(d);
	run_loop();
	is_int(r16(d->used + 2), used + 1, "paused: the kick is not served");
	virtio_pci_resume(&vb->vdev);
	run_loop();
	is_int(r16(d->used + 2), used + 2, "resumed: served");
	d->used_seen = r16(d->used + 2);
}

static void test_event_idx(struct drv *d)
{
	uint8_t buf[SECTOR];
	unsigned n;

	msix_setup(d);
	is_int(drv_init(d, ALL_FEATURES, 256, true), 0, "bring-up with EVENT_IDX and MSI-X");
	n = H.nmsi;
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL), VIRTIO_BLK_S_OK, "read");
	ok(H.nmsi == n + 1 && H.msi_data == 0x41, "first completion: MSI-X vector 1 (data %#x)",
	   H.msi_data);
	is_int(r16(d->used + 4 + 8 * 256), d->avail_idx, "device published avail_event");
	g16(d->avail + 4 + 2 * 256, 100);	/* used_event: not before entry 100 */
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	is_int(H.nmsi, n + 1, "used_event ahead: no interrupts");
	g16(d->avail + 4 + 2 * 256, 3);		/* the next entry is number 3 */
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	is_int(H.nmsi, n + 2, "used_event reached: interrupt");

	is_int(drv_init(d, ALL_FEATURES & ~F(VIRTIO_RING_F_EVENT_IDX), 256, true), 0,
	       "bring-up without EVENT_IDX");
	g16(d->avail, VRING_AVAIL_F_NO_INTERRUPT);
	n = H.nmsi;
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	is_int(H.nmsi, n, "VRING_AVAIL_F_NO_INTERRUPT suppresses");
	g16(d->avail, 0);
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	is_int(H.nmsi, n + 1, "flags 0: interrupt");
}

static struct fake_fd *live_fd(struct fake_fd *tab)
{
	for (unsigned i = 0; i < 16; i++)
		if (tab[i].live)
			return &tab[i];
	return NULL;
}

static void test_irqfd(struct drv *d)
{
	uint8_t buf[SECTOR];
	struct fake_fd *f;
	unsigned n;

	H.irqfd_on = true;
	msix_setup(d);
	/* Without EVENT_IDX every completion interrupts (used_event would stay 0). */
	is_int(drv_init(d, ALL_FEATURES & ~F(VIRTIO_RING_F_EVENT_IDX), 256, true), 0,
	       "bring-up with irqfds available");
	n = H.nmsi;
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	f = live_fd(H.irqfd);
	ok(f && f->addr == MSI_ADDR && f->data == 0x41, "an irqfd for vector 1's message");
	ok(f && fd_count(f->fd) == 1 && H.nmsi == n, "the interrupt went through it, not SIGNAL_MSI");
	msix_vector(d, 1, 0x51, false);		/* the guest moves the vector */
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	ok(f && H.irqfd_updates == 1 && f->data == 0x51 && fd_count(f->fd) == 1,
	   "a reprogrammed vector re-targets the irqfd");
	msix_vector(d, 1, 0x51, true);
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	ok(f && fd_count(f->fd) == 0 && H.nmsi == n, "masked vector: nothing sent");
	ok(mmio_rd(d->bar + VIRTIO_PCI_MSIX_PBA_OFF, 4) & 2, "... its pending bit is set");
	mmio_wr(d->bar + VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 12, 0, 4);
	ok(H.nmsi == n + 1 && H.msi_data == 0x51, "unmasking delivers the pending interrupt");
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	is_int(fake_live(H.irqfd), 0, "reset releases the irqfds");
	H.irqfd_on = false;
}

static void test_intx(struct drv *d)
{
	uint64_t isr = d->bar + d->isr;
	uint8_t buf[SECTOR];
	unsigned n;

	msix_enable(d, false);
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up without MSI-X");
	H.gsi[INTX_GSI] = 0;
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	is_int(H.gsi[INTX_GSI], 1, "INTx asserted (PIRQ routed to GSI 11)");
	ok(cfg_rd(d->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "Interrupt Status set");
	is_int(mmio_rd(isr, 1), 1, "ISR reads 1: queue interrupt");
	is_int(H.gsi[INTX_GSI], 0, "reading the ISR lowered INTx");
	is_int(mmio_rd(isr, 1), 0, "... and cleared it");
	msix_setup(d);
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "MSI-X on, queue vector NO_VECTOR");
	n = H.nmsi;
	blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL);
	ok(H.nmsi == n && !H.gsi[INTX_GSI] && !mmio_rd(isr, 1),
	   "an unmapped vector sends nothing (§4.1.5.3.1)");
}

/* §4.1.4.8: BAR4 through configuration space. */
static void test_cfg_window(struct drv *d)
{
	unsigned c = d->pcicfg;
	uint64_t e;

	cfg_wr(d->devfn, c + 4, VIRTIO_PCI_BAR, 1);
	cfg_wr(d->devfn, c + 8, VIRTIO_PCI_COMMON_NUMQ, 4);
	cfg_wr(d->devfn, c + 12, 2, 4);
	is_int(cfg_rd(d->devfn, c + 16, 2), 1, "num_queues read through the window");
	cfg_wr(d->devfn, c + 8, VIRTIO_PCI_COMMON_Q_SELECT, 4);
	cfg_wr(d->devfn, c + 16, 3, 2);
	is_int(cm_rd(d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 3, "queue_select written through it");
	cfg_wr(d->devfn, c + 16, 0, 2);
	e = gerrs();
	cfg_wr(d->devfn, c + 12, 3, 4);		/* length 3: invalid */
	cfg_wr(d->devfn, c + 16, 5, 2);
	ok(gerrs() > e && cm_rd(d, VIRTIO_PCI_COMMON_Q_SELECT, 2) == 0,
	   "an invalid window write is refused");
	cfg_wr(d->devfn, c + 4, 0, 1);
}

static void test_ioeventfd(struct drv *d)
{
	uint64_t moved = BAR_BASE + 0x100000;
	uint8_t buf[SECTOR];
	struct fake_fd *f;
	unsigned c;

	H.ioeventfd_on = true;
	msix_enable(d, false);
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up with ioeventfds available");
	f = live_fd(H.ioev);
	ok(f && f->addr == d->bar + 0x3000 && f->len == 2 && f->data == 0,
	   "queue 0's ioeventfd: 2-byte write of 0 at BAR4+0x3000");
	c = H.kvm_catches;
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL), VIRTIO_BLK_S_OK,
	       "a request notified through it completes");
	is_int(H.kvm_catches, c + 1, "the notify never reached the BAR handler");
	cfg_wr(d->devfn, PCI_BASE_ADDRESS_4, (uint32_t)moved, 4);
	d->bar = moved;
	f = live_fd(H.ioev);
	ok(fake_live(H.ioev) == 1 && f && f->addr == moved + 0x3000,
	   "moving BAR4 moves the ioeventfd");
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 0, buf, SECTOR, false, NULL), VIRTIO_BLK_S_OK,
	       "requests work at the new place");
	is_int(H.kvm_catches, c + 2, "... through the new ioeventfd");
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	is_int(fake_live(H.ioev), 0, "reset releases it");
	H.ioeventfd_on = false;
}

static void test_threaded(struct drv *d)
{
	uint8_t buf[SECTOR];
	bool good = true;

	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up");
	H.threaded = true;
	if (vmm_loop_start(H.loop)) {
		ok(0, "I/O thread started");
		return;
	}
	for (unsigned i = 0; i < 50 && good; i++) {
		good = blk_req(d, VIRTIO_BLK_T_IN, i, buf, SECTOR, false, NULL) ==
		       VIRTIO_BLK_S_OK && buf[1] == pattern((uint64_t)i * SECTOR + 1);
	}
	vmm_loop_stop(H.loop);
	H.threaded = false;
	ok(good, "50 reads served by the I/O loop's own thread");
}

/* A slot already taken, and a PCI bus reset under a running driver. */
static void test_lifecycle(struct drv *d)
{
	struct virtio_blk_opts o = { .devfn = (int)d->devfn, .name = "dup" };
	struct blk_open_opts bo = { .read_only = true };
	struct virtio_host h = host();
	uint8_t buf[SECTOR];
	char err[256];
	int ret = 0;

	ok(!blk_open(H.roimg, &bo, &o.blk, err, sizeof(err)), "open an image");
	ok(!virtio_blk_new(H.bus, &h, &o, &ret) && ret == -EBUSY,
	   "creating a function in a taken slot fails cleanly (%d)", ret);
	blk_close(o.blk);
	H.ioeventfd_on = true;
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up");
	is_int(fake_live(H.ioev), 1, "an ioeventfd is live");
	pci_bus_reset(H.bus);
	is_int(fake_live(H.ioev), 0, "a PCI bus reset releases it");
	is_int(cfg_rd(d->devfn, PCI_BASE_ADDRESS_4, 4), PCI_BASE_ADDRESS_MEM_TYPE_64,
	       "... and unplaces BAR4");
	drv_probe(d, d->devfn, BAR_BASE, 0x100000);
	is_int(status(d), 0, "the device comes back with status 0");
	is_int(drv_init(d, ALL_FEATURES, 256, false), 0, "bring-up again");
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 1, buf, SECTOR, false, NULL), VIRTIO_BLK_S_OK,
	       "and it serves requests");
	H.ioeventfd_on = false;
}

/* ---- Hostile rings: each ends in a guest error and a broken queue, never a hang -------- */

/* Offer descriptor `head` (already written) as available entry 0 of a fresh 8-entry queue. */
static void offer(struct drv *d, uint16_t head)
{
	g16(d->avail + 4, head);
	g16(d->avail + 2, 1);
	kick(d);
}

static void expect_broken(struct drv *d, const char *what)
{
	uint64_t e = gerrs();

	run_loop();
	ok(gerrs() > e && (status(d) & VIRTIO_CONFIG_S_NEEDS_RESET) && r16(d->used + 2) == 0,
	   "%s: guest error, DEVICE_NEEDS_RESET, nothing used", what);
}

static void fresh(struct drv *d, uint64_t features)
{
	if (drv_init(d, features, 8, true))
		ok(0, "bring-up of an 8-entry queue");
}

static void hostile_chains(struct drv *d)
{
	uint64_t hdr = d->buf, st = d->buf + 64, t = d->buf + 128, t2 = d->buf + 1024;
	const uint16_t N = VRING_DESC_F_NEXT, W = VRING_DESC_F_WRITE, I = VRING_DESC_F_INDIRECT;
	unsigned n = H.nmsi;

	fresh(d, ALL_FEATURES);
	put_desc(d->desc, 0, hdr, 16, N, 1);
	put_desc(d->desc, 1, st, 1, W | N, 0);
	offer(d, 0);
	expect_broken(d, "descriptor loop 0 -> 1 -> 0");
	ok(H.nmsi > n && H.msi_data == 0x40, "NEEDS_RESET raised a config interrupt (vector 0)");

	fresh(d, ALL_FEATURES);
	for (unsigned i = 0; i < 16; i++)
		put_desc(t, i, hdr, 16, i < 15 ? N : 0, (uint16_t)(i + 1));
	put_desc(d->desc, 0, t, 16 * 16, I, 0);
	offer(d, 0);
	expect_broken(d, "indirect chain of 16 on a queue of 8");

	fresh(d, ALL_FEATURES);
	for (unsigned i = 0; i < 4; i++)
		put_desc(t, i, hdr, 16, N, (uint16_t)((i + 1) % 4));
	put_desc(d->desc, 0, t, 64, I, 0);
	offer(d, 0);
	expect_broken(d, "loop inside an indirect table");

	fresh(d, ALL_FEATURES);
	put_desc(t2, 0, hdr, 16, 0, 0);
	put_desc(t, 0, t2, 16, I, 0);
	put_desc(d->desc, 0, t, 16, I, 0);
	offer(d, 0);
	expect_broken(d, "indirect table inside an indirect table (§2.7.5.3.1)");

	fresh(d, ALL_FEATURES);
	put_desc(d->desc, 0, t, 0, I, 0);
	offer(d, 0);
	expect_broken(d, "zero-length indirect table");

	fresh(d, ALL_FEATURES);
	put_desc(d->desc, 0, t, 16, I | N, 1);
	offer(d, 0);
	expect_broken(d, "INDIRECT together with NEXT");

	fresh(d, ALL_FEATURES & ~F(VIRTIO_RING_F_INDIRECT_DESC));
	put_desc(t, 0, hdr, 16, 0, 0);
	put_desc(d->desc, 0, t, 16, I, 0);
	offer(d, 0);
	expect_broken(d, "indirect descriptor without INDIRECT_DESC negotiated");

	fresh(d, ALL_FEATURES);
	put_desc(d->desc, 0, st, 1, W | N, 1);
	put_desc(d->desc, 1, hdr, 16, 0, 0);
	offer(d, 0);
	expect_broken(d, "device-readable buffer after a writable one");
}

static void hostile_addresses(struct drv *d)
{
	const uint64_t bad[] = { 0xf0000000ull, 0xa0000ull, RAM_SIZE - 8, 0 };
	const char *what[] = { "buffer in the PCI hole", "buffer in the VGA window",
			       "buffer straddling the end of RAM", "buffer on the device's own BAR" };
	uint64_t e;

	for (unsigned i = 0; i < 4; i++) {
		fresh(d, ALL_FEATURES);
		put_desc(d->desc, 0, i == 3 ? d->bar : bad[i], 16, 0, 0);
		offer(d, 0);
		expect_broken(d, what[i]);
	}
	fresh(d, ALL_FEATURES);
	g16(d->avail + 4, 0);
	g16(d->avail + 2, 9);
	kick(d);
	expect_broken(d, "available idx 9 entries ahead on a queue of 8");
	fresh(d, ALL_FEATURES);
	offer(d, 8);
	expect_broken(d, "available ring names descriptor 8 of 8");

	fresh(d, ALL_FEATURES);
	e = gerrs();
	cm_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 0, 2);
	ok(gerrs() > e && cm_rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2) == 1,
	   "writing 0 to queue_enable is a guest error and changes nothing");
	d->desc = 0xf0000000ull;
	e = gerrs();
	ok(drv_init(d, ALL_FEATURES, 8, false) == 0 && !cm_rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
	   gerrs() > e, "a descriptor table outside RAM: queue_enable stays 0");
	d->desc = 0x100008;
	e = gerrs();
	ok(drv_init(d, ALL_FEATURES, 8, false) == 0 && !cm_rd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
	   gerrs() > e, "a misaligned descriptor table: refused");
	d->desc = 0x100000;
}

static void test_hostile_rings(struct drv *d)
{
	uint8_t buf[SECTOR];

	msix_setup(d);
	hostile_chains(d);
	hostile_addresses(d);
	is_int(drv_init(d, ALL_FEATURES, 8, false), 0, "after a reset the device works again");
	is_int(blk_req(d, VIRTIO_BLK_T_IN, 3, buf, SECTOR, false, NULL), VIRTIO_BLK_S_OK,
	       "... and serves reads");
	ok(buf[7] == pattern(3 * SECTOR + 7), "... correctly");
}

/* ---- virtio-rng ------------------------------------------------------------------------- */

static uint32_t rng_req(struct drv *d, uint64_t gpa, uint32_t len, uint16_t flags)
{
	struct seg s = { gpa, len, flags };
	uint32_t id, ulen = UINT32_MAX;

	memset(gptr(gpa, len), 0, len);
	submit(d, chain(d, &s, 1));
	run_loop();
	return reap(d, &id, &ulen) ? ulen : UINT32_MAX;
}

static void test_rng(struct drv *d)
{
	uint8_t a[64], b[64];
	uint64_t e;

	is_int(cfg_rd(d->devfn, PCI_VENDOR_ID, 4), 0x10441af4, "virtio-rng is 1AF4:1044");
	ok(!d->devcfg, "no device-specific configuration");
	is_int(drv_init(d, ALL_FEATURES, 64, false), 0, "bring-up");
	is_int(rng_req(d, d->buf, 64, VRING_DESC_F_WRITE), 64, "64 random bytes");
	memcpy(a, gptr(d->buf, 64), 64);
	is_int(rng_req(d, d->buf, 64, VRING_DESC_F_WRITE), 64, "64 more");
	memcpy(b, gptr(d->buf, 64), 64);
	ok(!all_bytes(a, 64, 0) && memcmp(a, b, 64), "they are not zeros and they differ");
	is_int(rng_req(d, d->buf, 128 << 10, VRING_DESC_F_WRITE), VIRTIO_RNG_MAX_REQUEST,
	       "a 128 KiB buffer gets 64 KiB (§5.4.6.2: MAY use less)");
	e = gerrs();
	ok(rng_req(d, d->buf, 64, 0) == 0 && gerrs() > e,
	   "a device-readable buffer gets nothing and a guest error");
}

int main(void)
{
	struct virtio_blk *vb;
	struct virtio_rng *vr;
	struct virtio_host h;
	struct drv d, rd;
	int err = 0;

	harness_init();
	h = host();
	vb = new_blk(H.img, false, "test-serial-0123456");
	vr = virtio_rng_new(H.bus, &h, PCI_DEVFN_AUTO, &err);
	ok(vb && vr, "virtio-blk and virtio-rng on the bus");
	if (!vb || !vr)
		return tap_done();
	drv_probe(&d, (unsigned)find_fn(0x1042, 0), BAR_BASE, 0x100000);
	drv_probe(&rd, (unsigned)find_fn(0x1044, 0), BAR_BASE + 0x20000, 0x300000);
	test_identity(&d);
	test_negotiation(&d);
	test_off_vcpu(vb, &d);
	test_event_idx(&d);
	test_irqfd(&d);
	test_intx(&d);
	test_cfg_window(&d);
	test_hostile_rings(&d);
	test_ioeventfd(&d);
	test_threaded(&d);
	test_rng(&rd);
	test_lifecycle(&d);
	virtio_rng_free(vr);
	free_blk(vb);
	harness_exit();
	return tap_done();
}
