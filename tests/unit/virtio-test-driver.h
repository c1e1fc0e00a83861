/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio unit tests' harness and mini driver (test-virtio.c, test-virtio-blk.c). */
#ifndef VESSEL_VIRTIO_TEST_DRIVER_H
#define VESSEL_VIRTIO_TEST_DRIVER_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pci/pci.h"
#include "tap.h"
#include "virtio/virtio-blk.h"
#include "virtio/virtio-rng.h"

/*
 * The test plays the guest: it finds the functions through configuration mechanism #1,
 * places BAR4, walks the capability list, programs the common configuration and builds
 * rings and requests in guest RAM, exactly as a driver would. No KVM: the buses are real
 * vmm_bus instances, the I/O loop is served by hand (vmm_loop_run_once), MSIs land in a fake
 * sink, and the "KVM" ioeventfds/irqfds are plain eventfds the harness recognises.
 */
#define RAM_SIZE	(64ull << 20)
#define BAR_BASE	0xe0000000ull
#define DISK_SECTORS	8192u		/* 4 MiB */
#define SECTOR		512u
#define MSI_ADDR	0xfee00000ull
#define INTX_GSI	11
#define ST_NONE		0xee

struct fake_fd {
	int fd;
	uint64_t addr;
	uint64_t data;
	unsigned len;
	bool live;
};

struct harness {
	struct vm_memory mem;
	struct vmm_bus pio, mmio;
	struct vmm_guest_log glog;
	struct vmm_loop *loop;
	struct pci_bus *bus;
	int gsi[16];
	unsigned nmsi;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool ioeventfd_on, irqfd_on, threaded;
	struct fake_fd ioev[16], irqfd[16];
	unsigned kvm_catches, irqfd_updates;
	char dir[64], img[96], roimg[96];
	struct virtio_blk *blks[8];	/* live virtio-blk functions (run_loop waits for them) */
};

static struct harness H;

/* ---- Fake host: interrupt sinks and "KVM" eventfds ------------------------------------ */

static inline void h_set_gsi(void *opaque, unsigned gsi, int level)
{
	if (gsi < 16)
		H.gsi[gsi] = level;
}

static inline int h_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	H.nmsi++;
	H.msi_addr = addr;
	H.msi_data = data;
	return 0;
}

static inline int fake_new(struct fake_fd *tab, uint64_t addr, unsigned len, uint64_t data)
{
	for (unsigned i = 0; i < 16; i++) {
		if (tab[i].live)
			continue;
		tab[i] = (struct fake_fd){ eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), addr, data, len,
					   true };
		return tab[i].fd;
	}
	return -ENOSPC;
}

static inline struct fake_fd *fake_find(struct fake_fd *tab, int fd)
{
	for (unsigned i = 0; i < 16; i++)
		if (tab[i].live && tab[i].fd == fd)
			return &tab[i];
	return NULL;
}

static inline void fake_free(struct fake_fd *tab, int fd)
{
	struct fake_fd *f = fake_find(tab, fd);

	if (f) {
		close(f->fd);
		f->live = false;
	}
}

static inline unsigned fake_live(const struct fake_fd *tab)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++)
		n += tab[i].live;
	return n;
}

static inline uint64_t fd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static inline int h_ioev_new(void *o, uint64_t addr, unsigned len, uint64_t data)
{
	return H.ioeventfd_on ? fake_new(H.ioev, addr, len, data) : -ENOSYS;
}

static inline void h_ioev_free(void *o, int fd, uint64_t addr, unsigned len, uint64_t data)
{
	struct fake_fd *f = fake_find(H.ioev, fd);

	ok(f && f->addr == addr && f->len == len && f->data == data,
	   "ioeventfd freed with the address it was registered at (%#llx)",
	   (unsigned long long)addr);
	fake_free(H.ioev, fd);
}

static inline int h_irqfd_new(void *o, uint64_t addr, uint32_t data)
{
	return H.irqfd_on ? fake_new(H.irqfd, addr, 4, data) : -ENOSYS;
}

static inline int h_irqfd_update(void *o, int fd, uint64_t addr, uint32_t data)
{
	struct fake_fd *f = fake_find(H.irqfd, fd);

	if (!f)
		return -ENOENT;
	f->addr = addr;
	f->data = data;
	H.irqfd_updates++;
	return 0;
}

static inline void h_irqfd_free(void *o, int fd)
{
	fake_free(H.irqfd, fd);
}

static const struct virtio_host_ops fake_ops = {
	.ioeventfd_new = h_ioev_new, .ioeventfd_free = h_ioev_free,
	.msi_irqfd_new = h_irqfd_new, .msi_irqfd_update = h_irqfd_update,
	.msi_irqfd_free = h_irqfd_free,
};

/* ---- Guest-side access: config mechanism #1, MMIO, RAM ------------------------------- */

static inline uint32_t cfg_rd(unsigned devfn, unsigned off, unsigned size)
{
	uint32_t a = htole32(0x80000000u | devfn << 8 | (off & 0xfc)), v = 0;

	vmm_bus_write(&H.pio, 0xcf8, &a, 4);
	vmm_bus_read(&H.pio, 0xcfc + (off & 3), &v, size);
	return le32toh(v);
}

static inline void cfg_wr(unsigned devfn, unsigned off, uint32_t val, unsigned size)
{
	uint32_t a = htole32(0x80000000u | devfn << 8 | (off & 0xfc)), v = htole32(val);

	vmm_bus_write(&H.pio, 0xcf8, &a, 4);
	vmm_bus_write(&H.pio, 0xcfc + (off & 3), &v, size);
}

static inline uint64_t mmio_rd(uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	vmm_bus_read(&H.mmio, addr, &v, size);
	return le64toh(v);
}

/* A write KVM would catch with a matching ioeventfd never reaches the bus (or the vCPU). */
static inline void mmio_wr(uint64_t addr, uint64_t val, unsigned size)
{
	uint64_t v = htole64(val), one = 1;

	for (unsigned i = 0; i < 16; i++) {
		struct fake_fd *f = &H.ioev[i];

		if (f->live && f->addr == addr && f->len == size && f->data == val) {
			H.kvm_catches++;
			if (write(f->fd, &one, 8) != 8)
				abort();
			return;
		}
	}
	vmm_bus_write(&H.mmio, addr, &v, size);
}

static inline void *gptr(uint64_t gpa, uint64_t len)
{
	void *p = vm_memory_ptr(&H.mem, gpa, len);

	if (!p)
		abort();
	return p;
}

static inline void g16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(gptr(gpa, 2), &v, 2);
}

static inline uint16_t r16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, gptr(gpa, 2), 2);
	return le16toh(v);
}

static inline uint32_t r32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, gptr(gpa, 4), 4);
	return le32toh(v);
}

/* Requests handed to the block layer and not yet pushed (single-threaded: no lock). */
static inline bool blk_busy(void)
{
	for (unsigned i = 0; i < 8; i++)
		for (unsigned q = 0; H.blks[i] && q < VIRTIO_BLK_MAX_QUEUES; q++)
			if (H.blks[i]->inflight[q])
				return true;
	return false;
}

/* Serve the loop by hand until no virtio-blk request is in flight (at most ~5 s). */
static inline void run_loop(void)
{
	for (int i = 0; i < 4; i++)
		vmm_loop_run_once(H.loop, 0);
	for (int spins = 0; blk_busy() && spins < 5000; spins++) {
		vmm_loop_run_once(H.loop, 1);
		for (int i = 0; i < 2; i++)
			vmm_loop_run_once(H.loop, 0);
	}
}

static inline uint64_t gerrs(void)
{
	return vmm_guest_log_count(&H.glog);
}

/* ---- The mini driver ----------------------------------------------------------------- */

struct drv {
	unsigned devfn;
	uint64_t bar, bar_size;
	uint32_t common, notify, isr, devcfg, devcfg_len, mult;
	unsigned pcicfg, msix;
	uint64_t dev_features, features;
	uint16_t qsize;
	uint64_t desc, avail, used, buf;
	uint16_t avail_idx, used_seen, next;
};

static inline uint64_t cm_rd(struct drv *d, unsigned off, unsigned size)
{
	return mmio_rd(d->bar + d->common + off, size);
}

static inline void cm_wr(struct drv *d, unsigned off, uint64_t v, unsigned size)
{
	mmio_wr(d->bar + d->common + off, v, size);
}

static inline uint8_t status(struct drv *d)
{
	return (uint8_t)cm_rd(d, VIRTIO_PCI_COMMON_STATUS, 1);
}

static inline int find_fn(uint16_t device, unsigned nth)
{
	for (unsigned devfn = 0; devfn < 256; devfn++)
		if (cfg_rd(devfn, 0, 4) == (0x1af4u | (uint32_t)device << 16) && !nth--)
			return (int)devfn;
	return -1;
}

/* PCI LB 3.0 §6.2.5.1: size the 64-bit BAR, place it, turn on memory decode and mastering. */
static inline uint64_t place_bar4(unsigned devfn, uint64_t addr)
{
	uint64_t size;

	cfg_wr(devfn, PCI_BASE_ADDRESS_4, 0xffffffff, 4);
	cfg_wr(devfn, PCI_BASE_ADDRESS_5, 0xffffffff, 4);
	size = ~(((uint64_t)cfg_rd(devfn, PCI_BASE_ADDRESS_5, 4) << 32) |
		 (cfg_rd(devfn, PCI_BASE_ADDRESS_4, 4) & ~0xfu)) + 1;
	cfg_wr(devfn, PCI_BASE_ADDRESS_4, (uint32_t)addr, 4);
	cfg_wr(devfn, PCI_BASE_ADDRESS_5, (uint32_t)(addr >> 32), 4);
	cfg_wr(devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	return size;
}

/* §4.1.4: the virtio structures through vendor capabilities, first of each type. */
static inline void walk_caps(struct drv *d)
{
	unsigned off = cfg_rd(d->devfn, PCI_CAPABILITY_LIST, 1) & 0xfc;

	for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
		unsigned id = cfg_rd(d->devfn, off, 1), type = cfg_rd(d->devfn, off + 3, 1);
		uint32_t o = cfg_rd(d->devfn, off + 8, 4);

		if (id == PCI_CAP_ID_MSIX)
			d->msix = off;
		if (id == PCI_CAP_ID_VNDR && type == VIRTIO_PCI_CAP_COMMON_CFG && !d->common)
			d->common = o;
		if (id == PCI_CAP_ID_VNDR && type == VIRTIO_PCI_CAP_NOTIFY_CFG && !d->notify) {
			d->notify = o;
			d->mult = cfg_rd(d->devfn, off + 16, 4);
		}
		if (id == PCI_CAP_ID_VNDR && type == VIRTIO_PCI_CAP_ISR_CFG)
			d->isr = o;
		if (id == PCI_CAP_ID_VNDR && type == VIRTIO_PCI_CAP_DEVICE_CFG) {
			d->devcfg = o;
			d->devcfg_len = cfg_rd(d->devfn, off + 12, 4);
		}
		if (id == PCI_CAP_ID_VNDR && type == VIRTIO_PCI_CAP_PCI_CFG)
			d->pcicfg = off;
		off = cfg_rd(d->devfn, off + 1, 1) & 0xfc;
	}
}

static inline void drv_probe(struct drv *d, unsigned devfn, uint64_t bar, uint64_t ram)
{
	memset(d, 0, sizeof(*d));
	d->devfn = devfn;
	d->bar = bar;
	d->desc = ram;
	d->avail = ram + 0x2000;
	d->used = ram + 0x3000;
	d->buf = ram + 0x10000;
	d->bar_size = place_bar4(devfn, bar);
	walk_caps(d);
}

static inline void msix_vector(struct drv *d, unsigned v, uint32_t data, bool masked)
{
	uint64_t e = d->bar + VIRTIO_PCI_MSIX_TABLE_OFF + 16ull * v;

	mmio_wr(e, (uint32_t)MSI_ADDR, 4);
	mmio_wr(e + 4, 0, 4);
	mmio_wr(e + 8, data, 4);
	mmio_wr(e + 12, masked, 4);
}

static inline void msix_enable(struct drv *d, bool on)
{
	cfg_wr(d->devfn, d->msix + PCI_MSIX_FLAGS, on ? PCI_MSIX_FLAGS_ENABLE : 0, 2);
}

/* §3.1.1 driver initialization; -1 if the device refused FEATURES_OK. */
static inline int drv_init(struct drv *d, uint64_t want, uint16_t qsize, bool msix)
{
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	if (status(d) != 0)
		return -2;
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
	cm_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	d->dev_features = cm_rd(d, VIRTIO_PCI_COMMON_DF, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	d->dev_features |= cm_rd(d, VIRTIO_PCI_COMMON_DF, 4) << 32;
	d->features = d->dev_features & want;
	for (unsigned w = 0; w < 2; w++) {
		cm_wr(d, VIRTIO_PCI_COMMON_GFSELECT, w, 4);
		cm_wr(d, VIRTIO_PCI_COMMON_GF, (uint32_t)(d->features >> (32 * w)), 4);
	}
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, status(d) | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	if (!(status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	d->qsize = qsize;
	if (vm_memory_ptr(&H.mem, d->desc, 0x4000))	/* hostile tests use bad rings */
		memset(vm_memory_ptr(&H.mem, d->desc, 0x4000), 0, 0x4000);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, qsize, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)d->desc, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)d->avail, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)d->used, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_MSIX, msix ? 1 : VIRTIO_MSI_NO_VECTOR, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_MSIX, msix ? 0 : VIRTIO_MSI_NO_VECTOR, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	cm_wr(d, VIRTIO_PCI_COMMON_STATUS, status(d) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	d->avail_idx = d->used_seen = d->next = 0;
	return 0;
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;		/* VRING_DESC_F_WRITE or 0 */
};

static inline void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
			    uint16_t flags, uint16_t next)
{
	uint8_t *p = gptr(table + 16ull * i, 16);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &f, 2);
	memcpy(p + 14, &n, 2);
}

static inline uint16_t chain(struct drv *d, const struct seg *s, unsigned n)
{
	uint16_t head = d->next;

	for (unsigned i = 0; i < n; i++) {
		unsigned idx = (head + i) % d->qsize, nx = (head + i + 1) % d->qsize;

		put_desc(d->desc, idx, s[i].gpa, s[i].len,
			 s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), (uint16_t)nx);
	}
	d->next = (uint16_t)((head + n) % d->qsize);
	return head;
}

/* §2.7.5.3: the whole chain in a table at `table`, one ring descriptor pointing to it. */
static inline uint16_t chain_indirect(struct drv *d, uint64_t table, const struct seg *s,
				      unsigned n)
{
	struct seg ind = { table, 16 * n, VRING_DESC_F_INDIRECT };

	for (unsigned i = 0; i < n; i++)
		put_desc(table, i, s[i].gpa, s[i].len,
			 s[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	return chain(d, &ind, 1);
}

static inline void kick(struct drv *d)
{
	mmio_wr(d->bar + d->notify, 0, 2);	/* queue 0: notify_off 0 */
}

static inline void submit(struct drv *d, uint16_t head)
{
	g16(d->avail + 4 + 2u * (d->avail_idx % d->qsize), head);
	d->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	g16(d->avail + 2, d->avail_idx);
	kick(d);
}

static inline bool reap(struct drv *d, uint32_t *id, uint32_t *len)
{
	uint64_t e;

	if (r16(d->used + 2) == d->used_seen)
		return false;
	e = d->used + 4 + 8u * (d->used_seen % d->qsize);
	*id = r32(e);
	*len = r32(e + 4);
	d->used_seen++;
	return true;
}

/* Let the I/O loop serve the queue: by hand, or wait for its own thread. */
static inline void settle(struct drv *d)
{
	struct timespec ms = { 0, 1000000 };

	if (!H.threaded) {
		run_loop();
		return;
	}
	for (int i = 0; i < 2000 && r16(d->used + 2) == d->used_seen; i++)
		nanosleep(&ms, NULL);
}

/* A virtio-blk request header at guest address hdr: type and sector, little-endian (§5.2.6). */
static inline void blk_hdr(uint64_t hdr, uint32_t type, uint64_t sector)
{
	uint32_t t = htole32(type);
	uint64_t sec = htole64(sector);

	memset(gptr(hdr, 16), 0, 16);
	memcpy(gptr(hdr, 4), &t, 4);
	memcpy(gptr(hdr + 8, 8), &sec, 8);
}

/* A virtio-blk request: header at buf, status at buf+64, data at buf+4096. */
static inline uint8_t blk_req(struct drv *d, uint32_t type, uint64_t sector, void *data,
			      uint32_t len, bool indirect, uint32_t *used_len)
{
	uint64_t hdr = d->buf, st = d->buf + 64, dat = d->buf + 4096, table = d->buf + 128;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct seg s[3] = { { hdr, 16, 0 } };
	uint32_t id, ulen = 0;
	unsigned n = 1;
	uint16_t head;

	blk_hdr(hdr, type, sector);
	if (len) {
		if (!in)
			memcpy(gptr(dat, len), data, len);
		else
			memset(gptr(dat, len), 0xa5, len);
		s[n++] = (struct seg){ dat, len, in ? VRING_DESC_F_WRITE : 0 };
	}
	s[n++] = (struct seg){ st, 1, VRING_DESC_F_WRITE };
	*(uint8_t *)gptr(st, 1) = ST_NONE;
	head = indirect ? chain_indirect(d, table, s, n) : chain(d, s, n);
	submit(d, head);
	settle(d);
	if (!reap(d, &id, &ulen) || id != head)
		return ST_NONE;
	if (used_len)
		*used_len = ulen;
	if (in && len)
		memcpy(data, gptr(dat, len), len);
	return *(uint8_t *)gptr(st, 1);
}

/* ---- Fixtures ------------------------------------------------------------------------ */

static inline uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + off / SECTOR);
}

static inline void make_image(const char *path, unsigned sectors)
{
	uint8_t sec[SECTOR];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (unsigned s = 0; s < sectors; s++) {
		for (unsigned i = 0; i < SECTOR; i++)
			sec[i] = pattern((uint64_t)s * SECTOR + i);
		if (write(fd, sec, SECTOR) != SECTOR)
			abort();
	}
	fsync(fd);
	close(fd);
}

static inline void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		abort();
	close(fd);
}

static inline long long file_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_blocks;
}

static inline bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static inline struct virtio_host host(void)
{
	return (struct virtio_host){ .loop = H.loop, .mmio = &H.mmio, .mem = &H.mem,
				     .log = &H.glog, .ops = &fake_ops, .opaque = &H };
}

static inline struct virtio_blk *new_blk_mq(const char *path, bool ro, const char *serial,
					    unsigned nq)
{
	struct blk_open_opts o = { .read_only = ro };
	struct virtio_blk_opts vo = { .devfn = PCI_DEVFN_AUTO, .serial = serial,
				      .name = ro ? "virtio-blk-ro" : "virtio-blk0",
				      .num_queues = nq };
	struct virtio_host h = host();
	char err[256];
	int ret;
	struct virtio_blk *vb;

	if (blk_open(path, &o, &vo.blk, err, sizeof(err)))
		return NULL;
	vb = virtio_blk_new(H.bus, &h, &vo, &ret);
	if (!vb) {
		blk_close(vo.blk);
		return NULL;
	}
	for (unsigned i = 0; i < 8; i++) {
		if (!H.blks[i]) {
			H.blks[i] = vb;
			break;
		}
	}
	return vb;
}

static inline struct virtio_blk *new_blk(const char *path, bool ro, const char *serial)
{
	return new_blk_mq(path, ro, serial, 1);
}

static inline void free_blk(struct virtio_blk *vb)
{
	for (unsigned i = 0; i < 8; i++)
		if (H.blks[i] == vb)
			H.blks[i] = NULL;
	virtio_blk_free(vb);
}

static inline void harness_init(void)
{
	struct pci_bus_config pc;

	snprintf(H.dir, sizeof(H.dir), "/tmp/vessel-virtio-XXXXXX");
	if (!mkdtemp(H.dir))
		abort();
	snprintf(H.img, sizeof(H.img), "%s/disk.img", H.dir);
	snprintf(H.roimg, sizeof(H.roimg), "%s/ro.img", H.dir);
	make_image(H.img, DISK_SECTORS);
	make_image(H.roimg, 2048);
	if (vm_memory_init(&H.mem, RAM_SIZE))
		abort();
	vmm_guest_log_init(&H.glog, getenv("TEST_VERBOSE") ? stderr : NULL, 1000);
	vmm_bus_init(&H.pio, "pio", &H.glog);
	vmm_bus_init(&H.mmio, "mmio", &H.glog);
	H.loop = vmm_loop_new(true);
	pc = (struct pci_bus_config){ .pio = &H.pio, .mmio = &H.mmio, .mem = &H.mem,
				      .log = &H.glog, .opaque = &H, .set_gsi = h_set_gsi,
				      .signal_msi = h_signal_msi };
	H.bus = pci_bus_new(&pc);
	if (!H.loop || !H.bus)
		abort();
	for (unsigned p = 0; p < PCI_NUM_PIRQS; p++)
		pci_bus_set_pirq_route(H.bus, p, INTX_GSI);
}


#define ALL_FEATURES	(~0ull)
#define F(bit)		(1ull << (bit))

static inline void harness_exit(void)
{
	pci_bus_free(H.bus);
	vmm_loop_free(H.loop);
	vmm_bus_destroy(&H.mmio);
	vmm_bus_destroy(&H.pio);
	vm_memory_destroy(&H.mem);
	vmm_guest_log_destroy(&H.glog);
	unlink(H.img);
	unlink(H.roimg);
	rmdir(H.dir);
}

#endif
