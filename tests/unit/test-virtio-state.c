// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for virtio PCI snapshot state: a saved virtio-blk resumes on a second function. */
#include "virtio-test-driver.h"

#include "device.h"
#include "virtio/virtio-pci-state.h"
#include "vm.h"

extern const struct vmm_device_ops virtio_blk_device_ops;

#define BAR_A		BAR_BASE
#define BAR_B		(BAR_BASE + 0x20000)

/* A read of `sector` into slot i's buffers, made available without waiting for it. */
static uint16_t queue_read(struct drv *d, unsigned i, uint64_t sector)
{
	uint64_t hdr = d->buf + 0x100ull * i, st = d->buf + 0x8000 + i;
	uint64_t dat = d->buf + 0x10000 + (uint64_t)SECTOR * i;
	struct seg s[3] = {
		{ hdr, 16, 0 }, { dat, SECTOR, VRING_DESC_F_WRITE }, { st, 1, VRING_DESC_F_WRITE },
	};
	uint16_t head;

	blk_hdr(hdr, VIRTIO_BLK_T_IN, sector);
	memset(gptr(dat, SECTOR), 0, SECTOR);
	*(uint8_t *)gptr(st, 1) = ST_NONE;
	head = chain(d, s, 3);
	g16(d->avail + 4 + 2u * d->qsize, d->used_seen);	/* used_event: interrupt me (§2.7.10) */
	submit(d, head);
	return head;
}

static bool read_done(struct drv *d, unsigned i, uint64_t sector)
{
	const uint8_t *p = gptr(d->buf + 0x10000 + (uint64_t)SECTOR * i, SECTOR);

	return *(uint8_t *)gptr(d->buf + 0x8000 + i, 1) == VIRTIO_BLK_S_OK &&
	       p[3] == pattern(sector * SECTOR + 3) && p[500] == pattern(sector * SECTOR + 500);
}

static struct fake_fd *ioev_at(uint64_t addr)
{
	for (unsigned i = 0; i < 16; i++)
		if (H.ioev[i].live && H.ioev[i].addr == addr)
			return &H.ioev[i];
	return NULL;
}

static struct fake_fd *irqfd_with(uint32_t data)
{
	for (unsigned i = 0; i < 16; i++)
		if (H.irqfd[i].live && H.irqfd[i].data == data)
			return &H.irqfd[i];
	return NULL;
}

static bool same_state(struct virtio_dev *vdev, const void *ref, size_t ref_len)
{
	void *b = NULL;
	size_t n = 0;
	bool eq = !virtio_pci_save(vdev, &b, &n) && n == ref_len && !memcmp(b, ref, n);

	free(b);
	return eq;
}

static void common_regs(struct drv *d, uint64_t *out)
{
	static const unsigned off[] = {
		VIRTIO_PCI_COMMON_MSIX, VIRTIO_PCI_COMMON_STATUS, VIRTIO_PCI_COMMON_CFGGENERATION,
		VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_PCI_COMMON_Q_ENABLE,
		VIRTIO_PCI_COMMON_Q_DESCLO, VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_USEDLO,
	};

	cm_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	for (unsigned i = 0; i < 9; i++)
		out[i] = cm_rd(d, off[i], i < 6 ? (i == 1 || i == 2 ? 1 : 2) : 4);
	for (unsigned w = 0; w < 2; w++) {
		cm_wr(d, VIRTIO_PCI_COMMON_GFSELECT, w, 4);
		out[9 + w] = cm_rd(d, VIRTIO_PCI_COMMON_GF, 4);
	}
}

/*
 * A: three reads done, a fourth made available and kicked while paused (the kick is
 * dropped, as a paused device does), saved. B gets A's MSI-X table (the chipset's part)
 * and the blob: it must answer the fourth request and the next one through its own kick.
 */
static void test_round_trip(struct virtio_blk *va, struct virtio_blk *vb, struct drv *a,
			    struct drv *b)
{
	uint64_t ra[11], rb[11];
	uint8_t buf[SECTOR];
	uint32_t id, len;
	void *blob = NULL;
	size_t blen = 0;
	struct fake_fd *f;

	H.ioeventfd_on = H.irqfd_on = true;
	msix_vector(a, 0, 0x40, false);
	msix_vector(a, 1, 0x41, false);
	msix_enable(a, true);
	is_int(drv_init(a, ALL_FEATURES, 128, true), 0, "A: bring-up with MSI-X");
	for (unsigned i = 0; i < 3; i++)
		blk_req(a, VIRTIO_BLK_T_IN, i, buf, SECTOR, false, NULL);
	is_int(a->used_seen, 3, "A served three requests");
	virtio_pci_pause(&va->vdev);
	queue_read(a, 0, 77);
	run_loop();
	is_int(r16(a->used + 2), 3, "paused A leaves the fourth alone");
	common_regs(a, ra);
	is_int(virtio_pci_save(&va->vdev, &blob, &blen), 0, "save A");
	is_int(blen, sizeof(struct virtio_pci_state) + sizeof(struct virtio_queue_state) +
	       VIRTIO_BLK_CONFIG_LEN, "state: header, one queue, the config bytes");

	msix_vector(b, 0, 0x40, false);		/* what the chipset's load restores */
	msix_vector(b, 1, 0x41, false);
	msix_enable(b, true);
	virtio_pci_reset(&va->vdev);		/* A's fds go away, as with its VM */
	is_int(fake_live(H.irqfd), 0, "no irqfd before B loads");
	is_int(virtio_pci_load(&vb->vdev, blob, blen), 0, "load into B");
	common_regs(b, rb);
	ok(!memcmp(ra, rb, sizeof(ra)), "status, features, queue and vectors read back the same");
	f = ioev_at(BAR_B + 0x3000);
	ok(f && f->data == 0, "B's queue kick is an ioeventfd at B's notify address");
	ok(irqfd_with(0x41) && irqfd_with(0x40), "irqfds for the queue and config vectors exist");
	run_loop();
	b->used_seen = a->used_seen;
	b->avail_idx = a->avail_idx;
	b->next = a->next;
	b->qsize = a->qsize;
	b->desc = a->desc;
	b->avail = a->avail;
	b->used = a->used;
	b->buf = a->buf;
	ok(reap(b, &id, &len) && read_done(b, 0, 77),
	   "B served the request A had left in the ring (sector 77)");
	ok(irqfd_with(0x41) && fd_count(irqfd_with(0x41)->fd) > 0,
	   "and interrupted through the queue vector's irqfd");
	queue_read(b, 1, 78);
	run_loop();
	ok(reap(b, &id, &len) && read_done(b, 1, 78), "a new request through B's own kick");
	is_int(r16(b->used + 2), 5, "used index continues from A's (5)");
	free(blob);
}

typedef void (*mutate_fn)(struct virtio_pci_state *s, struct virtio_queue_state *q,
			  uint8_t *cfg);

static void m_version(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->version = 2;
}

static void m_type(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->device_type = 4;
}

static void m_hostf(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->host_features ^= 1ull << VIRTIO_BLK_F_RO;
}

static void m_cfg(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	c[0] ^= 1;	/* capacity */
}

static void m_drvf(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->driver_features |= 1ull << 50;
}

static void m_status(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->status = VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_DRIVER;
}

static void m_status_bit(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->status |= 0x10;
}

static void m_v1(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->driver_features &= ~(1ull << VIRTIO_F_VERSION_1);
}

static void m_cvec(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->config_vector = 2;
}

static void m_isr(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->isr = 4;
}

static void m_pending(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	s->msix_pending = 1u << 2;
}

static void m_qsize(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->size = 96;
}

static void m_qbig(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->size = 512;
}

static void m_qvec(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->msix_vector = 7;
}

static void m_ring_ram(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->used_gpa = RAM_SIZE - 8;
}

static void m_ring_align(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->desc_gpa += 8;
}

static void m_ready(struct virtio_pci_state *s, struct virtio_queue_state *q, uint8_t *c)
{
	q->ready = 2;
}

static void test_hostile(struct virtio_blk *vb, struct virtio_rng *vr)
{
	static const struct { mutate_fn fn; const char *what; } cases[] = {
		{ m_version, "version 2" }, { m_type, "another device type" },
		{ m_hostf, "other offered features" }, { m_cfg, "another capacity" },
		{ m_drvf, "driver features not offered" },
		{ m_status, "DRIVER_OK without FEATURES_OK" }, { m_status_bit, "status bit 4" },
		{ m_v1, "FEATURES_OK without VERSION_1" }, { m_cvec, "config vector 2" },
		{ m_isr, "ISR bit 2" }, { m_pending, "pending vector 2" },
		{ m_qsize, "queue size 96" }, { m_qbig, "queue size 512 > 256" },
		{ m_qvec, "queue vector 7" }, { m_ring_ram, "used ring past RAM" },
		{ m_ring_align, "descriptor table not 16-aligned" }, { m_ready, "ready 2" },
	};
	void *blob = NULL, *ref = NULL, *rng = NULL;
	size_t len = 0, ref_len = 0, rng_len = 0;

	virtio_pci_save(&vb->vdev, &blob, &len);
	virtio_pci_save(&vb->vdev, &ref, &ref_len);
	virtio_pci_save(&vr->vdev, &rng, &rng_len);
	is_int(virtio_pci_load(&vb->vdev, blob, sizeof(struct virtio_pci_state) - 1), -EINVAL,
	       "truncated header");
	is_int(virtio_pci_load(&vb->vdev, blob, len - 1), -EINVAL, "truncated config bytes");
	is_int(virtio_pci_load(&vb->vdev, rng, rng_len), -EINVAL, "virtio-rng's state");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *c = malloc(len);
		struct virtio_pci_state *s = (void *)c;
		struct virtio_queue_state *q = (void *)(s + 1);

		memcpy(c, blob, len);
		cases[i].fn(s, q, (uint8_t *)(q + 1));
		is_int(virtio_pci_load(&vb->vdev, c, len), -EINVAL, "refused: %s", cases[i].what);
		ok(same_state(&vb->vdev, ref, ref_len), "unchanged after: %s", cases[i].what);
		free(c);
	}
	is_int(virtio_pci_load(&vb->vdev, blob, len), 0, "the blob itself loads");
	free(blob);
	free(ref);
	free(rng);
}

/* Pause returns only once the I/O thread is done with the queue and its interrupts. */
static void test_pause_quiesces(struct virtio_blk *vb, struct drv *b)
{
	unsigned before, after;
	struct timespec ms = { 0, 20 * 1000000 };
	bool all = true;

	H.threaded = true;
	if (vmm_loop_start(H.loop)) {
		ok(0, "I/O thread started");
		return;
	}
	for (unsigned i = 0; i < 32; i++)
		queue_read(b, i, 100 + i);
	virtio_pci_pause(&vb->vdev);
	before = r16(b->used + 2);
	is_int(__atomic_load_n(&vb->vdev.msix_pending, __ATOMIC_ACQUIRE), 0,
	       "no interrupt left unsent at pause");
	nanosleep(&ms, NULL);
	after = r16(b->used + 2);
	is_int(after, before, "the used index does not move while paused");
	virtio_pci_resume(&vb->vdev);
	for (int i = 0; i < 2000 && (uint16_t)(r16(b->used + 2) - b->used_seen) < 32; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	vmm_loop_stop(H.loop);
	H.threaded = false;
	for (unsigned i = 0; i < 32; i++)
		all = all && read_done(b, i, 100 + i);
	ok(all, "after resume all 32 requests complete");
}

static uint64_t seed = 0x243f6a8885a308d3ull;

static uint32_t rnd(uint32_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % n);
}

/* Random byte changes: taken or refused; a loaded state then gets kicked and served. */
static void test_fuzz(struct virtio_blk *vb, struct drv *b)
{
	void *blob = NULL;
	size_t len = 0;
	unsigned taken = 0, refused = 0;
	uint8_t *m;

	virtio_pci_save(&vb->vdev, &blob, &len);
	m = malloc(len);
	for (unsigned i = 0; i < 1000; i++) {
		memcpy(m, blob, len);
		for (unsigned k = 1 + rnd(4); k; k--)
			m[rnd((uint32_t)len)] = (uint8_t)rnd(256);
		if (virtio_pci_load(&vb->vdev, m, len)) {
			refused++;
			continue;
		}
		taken++;
		kick(b);
		run_loop();
	}
	ok(taken && refused, "1000 mutated states: %u loaded and served, %u refused", taken,
	   refused);
	virtio_pci_reset(&vb->vdev);
	free(m);
	free(blob);
}

/* A VM with just what virtio-vm.c reaches: the loop, the PCI bus, a RAM map, a log. */
static struct vm *fake_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->vm_fd = -1;			/* no KVM: plain eventfds instead of ioeventfds */
	vm->loop = H.loop;
	vm->pci = H.bus;
	vm_memory_init(&vm->mem, 1 << 20);
	vmm_bus_init(&vm->mmio, "vm-mmio", &H.glog);
	vmm_guest_log_init(&vm->glog, NULL, 100);
	vm->cfg.ndisks = 2;
	for (unsigned i = 0; i < 2; i++)
		vm->cfg.disks[i] = (struct vm_disk_config){ H.roimg, VM_DISK_VIRTIO, true, false };
	return vm;
}

static void fake_vm_free(struct vm *vm)
{
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		free(vm->boot_paths[i]);
	vmm_guest_log_destroy(&vm->glog);
	vmm_bus_destroy(&vm->mmio);
	vm_memory_destroy(&vm->mem);
	free(vm);
}

/* The machine device's blob: both disks' parts, taken or refused as a whole. */
static void test_device_ops(void)
{
	const struct vmm_device_ops *ops = &virtio_blk_device_ops;
	struct vm *vm1 = fake_vm(), *vm2 = fake_vm();
	void *s1 = NULL, *s2 = NULL, *blob = NULL, *ref = NULL, *after = NULL;
	size_t len = 0, ref_len = 0, after_len = 0;
	struct virtio_pci_state *p1;
	uint32_t *hdr;
	uint8_t *bad;

	if (ops->create(vm1, &s1) || ops->create(vm2, &s2)) {
		ok(0, "two virtio-blk machine devices with two disks each");
		return;
	}
	is_int(ops->save(s1, &blob, &len), 0, "save both disks of the first");
	is_int(len, 8 + 4 * VM_MAX_DISKS + 2 * (sizeof(struct virtio_pci_state) +
	       sizeof(struct virtio_queue_state) + VIRTIO_BLK_CONFIG_LEN), "header and two parts");
	ops->save(s2, &ref, &ref_len);
	bad = malloc(len);
	memcpy(bad, blob, len);
	hdr = (uint32_t *)bad;
	p1 = (struct virtio_pci_state *)(bad + 8 + 4 * VM_MAX_DISKS);
	p1->queue_select = 1;			/* a valid change in the first part */
	memcpy((uint8_t *)p1 + hdr[2], &(uint32_t){ 7 }, 4);	/* a bad second (version) */
	is_int(ops->load(s2, bad, len), -EINVAL, "a bad second part is refused");
	ops->save(s2, &after, &after_len);
	ok(after_len == ref_len && !memcmp(after, ref, ref_len),
	   "and the first disk was not changed either (all or nothing)");
	memcpy(bad, blob, len);
	hdr[1] = 1;
	is_int(ops->load(s2, bad, len), -EINVAL, "a blob for one disk is refused");
	memcpy(bad, blob, len);
	hdr[2] += 1;
	is_int(ops->load(s2, bad, len), -EINVAL, "part lengths that do not add up are refused");
	is_int(ops->load(s2, blob, len - 1), -EINVAL, "truncated");
	is_int(ops->load(s2, blob, 8), -EINVAL, "header only");
	is_int(ops->load(s2, blob, len), 0, "the blob loads");
	free(bad);
	free(blob);
	free(ref);
	free(after);
	ops->destroy(s1);
	ops->destroy(s2);
	fake_vm_free(vm1);
	fake_vm_free(vm2);
}

int main(void)
{
	struct virtio_blk *va, *vb;
	struct virtio_rng *vr;
	struct virtio_host h;
	struct drv a, b;
	int err = 0;

	harness_init();
	h = host();
	va = new_blk(H.img, false, "state-serial");
	vb = new_blk(H.img, false, "state-serial");
	vr = virtio_rng_new(H.bus, &h, PCI_DEVFN_AUTO, &err);
	if (!va || !vb || !vr)
		skip_all("cannot create the functions");
	drv_probe(&a, (unsigned)find_fn(0x1042, 0), BAR_A, 0x100000);
	drv_probe(&b, (unsigned)find_fn(0x1042, 1), BAR_B, 0x100000);
	test_round_trip(va, vb, &a, &b);
	test_hostile(vb, vr);
	test_pause_quiesces(vb, &b);
	test_fuzz(vb, &b);
	test_device_ops();
	virtio_rng_free(vr);
	free_blk(vb);
	free_blk(va);
	harness_exit();
	return tap_done();
}
