// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for AHCI: registers, command lists, NCQ, ATAPI, interrupts, hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "bus.h"
#include "log.h"
#include "memory.h"
#include "pci/pci.h"
#include "storage/ahci.h"
#include "tap.h"
#include "vm.h"

#define RAM_SIZE	(64ull << 20)
#define DISK_SECTORS	2048u
#define ISO_SECTORS	64u
#define ABAR		0xfebf0000ull
#define DEVFN		PCI_DEVFN(4, 0)
#define IRQ_LINE	11
#define CLB(p)		(0x10000ull + (p) * 0x400)
#define FB(p)		(0x12000ull + (p) * 0x100)
#define CT(s)		(0x20000ull + (s) * 0x1000)
#define BIG_CT		0x200000ull
#define DATA		0x400000ull
#define MSI_CAP		pci_find_capability(ahci_pci_dev(T.hba), PCI_CAP_ID_MSI)

/* The test's machine: RAM, buses, a PCI bus with a fake interrupt host, the images. */
static struct {
	struct vm_memory mem;
	struct vmm_bus pio, mmio;
	struct vmm_guest_log glog;
	struct pci_bus *bus;
	struct ahci *hba;
	struct blk *blk[3];		/* port 0: disk, 1: CD, 2: read-only disk */
	char dir[64], path[3][96];
	int gsi_level[16];
	unsigned msi_count;
	uint64_t msi_addr;
	uint32_t msi_data;
} T;

struct prd {
	uint64_t addr;
	uint32_t len;
	bool irq;
};

/* ---- Fake host and helpers ----------------------------------------------------------- */

static void fake_set_gsi(void *opaque, unsigned gsi, int level)
{
	if (gsi < 16)
		T.gsi_level[gsi] = level;
}

static int fake_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	T.msi_count++;
	T.msi_addr = addr;
	T.msi_data = data;
	return 0;
}

static uint32_t cfg_read(unsigned off, unsigned size)
{
	uint32_t addr = 0x80000000u | DEVFN << 8 | (off & 0xfc), v = 0;

	vmm_bus_write(&T.pio, 0xcf8, &addr, 4);
	vmm_bus_read(&T.pio, 0xcfc + (off & 3), &v, size);
	return v;
}

static void cfg_write(unsigned off, unsigned size, uint32_t v)
{
	uint32_t addr = 0x80000000u | DEVFN << 8 | (off & 0xfc);

	vmm_bus_write(&T.pio, 0xcf8, &addr, 4);
	vmm_bus_write(&T.pio, 0xcfc + (off & 3), &v, size);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	vmm_bus_read(&T.mmio, ABAR + off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	vmm_bus_write(&T.mmio, ABAR + off, &v, 4);
}

static uint32_t port_rd(unsigned p, unsigned reg)
{
	return rd(AHCI_PORT_BASE + p * AHCI_PORT_SIZE + reg);
}

static void port_wr(unsigned p, unsigned reg, uint32_t v)
{
	wr(AHCI_PORT_BASE + p * AHCI_PORT_SIZE + reg, v);
}

static void mw(uint64_t gpa, const void *buf, size_t len)
{
	if (vm_memory_write(&T.mem, gpa, buf, len))
		abort();
}

static void mr(uint64_t gpa, void *buf, size_t len)
{
	if (vm_memory_read(&T.mem, gpa, buf, len))
		abort();
}

static uint32_t m32(uint64_t gpa)
{
	uint8_t b[4];

	mr(gpa, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t disk_byte(unsigned sector, unsigned i)
{
	if (i < 4)
		return (uint8_t)(sector >> (8 * i));
	return (uint8_t)(sector * 13 + i + (sector >> 8) * 7);
}

#define iso_byte(sector, i) ((uint8_t)((sector) * 3 + (i)))

/* A Register H2D FIS (SATA 3.x §10.5.5). */
static void h2d(uint8_t *f, uint8_t cmd, uint16_t features, uint64_t lba, uint16_t count,
		uint8_t device)
{
	memset(f, 0, 20);
	f[0] = 0x27;
	f[1] = 0x80;
	f[2] = cmd;
	f[3] = (uint8_t)features;
	f[11] = (uint8_t)(features >> 8);
	for (unsigned i = 0; i < 3; i++) {
		f[4 + i] = (uint8_t)(lba >> (8 * i));
		f[8 + i] = (uint8_t)(lba >> (24 + 8 * i));
	}
	f[7] = device;
	f[12] = (uint8_t)count;
	f[13] = (uint8_t)(count >> 8);
}

/* Command header in slot `slot` of port p's list, table at ct, PRDs after it. */
static void build_at(unsigned p, unsigned slot, uint64_t ct, const uint8_t *cfis,
		     const uint8_t *acmd, const struct prd *prds, unsigned n, uint32_t flags)
{
	uint8_t h[32] = { 0 }, t[0x80] = { 0 };

	put32(h, 5 | flags | (uint32_t)n << 16);
	put32(h + 8, (uint32_t)ct);
	put32(h + 12, (uint32_t)(ct >> 32));
	mw(CLB(p) + slot * 32ull, h, sizeof(h));
	memcpy(t, cfis, 20);
	if (acmd)
		memcpy(t + 0x40, acmd, 16);
	/* Hostile tests point the table outside RAM: then there is nothing to write. */
	if (vm_memory_write(&T.mem, ct, t, sizeof(t)))
		return;
	for (unsigned i = 0; i < n; i++) {
		uint8_t e[16] = { 0 };

		put32(e, (uint32_t)prds[i].addr);
		put32(e + 4, (uint32_t)(prds[i].addr >> 32));
		put32(e + 12, (prds[i].len - 1) | (prds[i].irq ? 0x80000000u : 0));
		mw(ct + 0x80 + i * 16ull, e, 16);
	}
}

#define build(p, slot, ...) build_at(p, slot, CT(slot), __VA_ARGS__)

static void port_start(unsigned p)
{
	port_wr(p, AHCI_PX_CMD, 0);
	port_wr(p, AHCI_PX_CLB, (uint32_t)CLB(p));
	port_wr(p, AHCI_PX_CLBU, 0);
	port_wr(p, AHCI_PX_FB, (uint32_t)FB(p));
	port_wr(p, AHCI_PX_FBU, 0);
	port_wr(p, AHCI_PX_SERR, 0xffffffffu);
	port_wr(p, AHCI_PX_IS, 0xffffffffu);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE | AHCI_PX_CMD_ST);
}

/* New list and FIS bases, as software must: with ST clear (AHCI §3.3.1, §3.3.3). */
static void set_bases(unsigned p, uint64_t clb, uint64_t fb)
{
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	port_wr(p, AHCI_PX_CLB, (uint32_t)clb);
	port_wr(p, AHCI_PX_FB, (uint32_t)fb);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE | AHCI_PX_CMD_ST);
}

/* Error recovery (AHCI §6.2.2): ST off clears CI/SACT and the halt; then start again. */
static void port_recover(unsigned p)
{
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	port_wr(p, AHCI_PX_IS, 0xffffffffu);
	wr(AHCI_IS, 0xffffffffu);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE | AHCI_PX_CMD_ST);
}

/* One non-queued command in slot 0 of port p, data in the given PRDs. */
static void run1(unsigned p, const uint8_t *cfis, const uint8_t *acmd, const struct prd *prds,
		 unsigned n, uint32_t flags)
{
	port_wr(p, AHCI_PX_IS, 0xffffffffu);
	build(p, 0, cfis, acmd, prds, n, flags);
	port_wr(p, AHCI_PX_CI, 1);
}

static bool disk_matches(uint64_t gpa, unsigned lba, unsigned sectors)
{
	uint8_t *buf = malloc((size_t)sectors * 512);
	bool same = true;

	mr(gpa, buf, (size_t)sectors * 512);
	for (unsigned s = 0; s < sectors && same; s++)
		for (unsigned i = 0; i < 512 && same; i++)
			same = buf[s * 512 + i] == disk_byte(lba + s, i);
	free(buf);
	return same;
}

/* Does the image file hold buf at byte off? */
static bool image_has(uint64_t off, const void *buf, size_t len)
{
	uint8_t *back = malloc(len);
	int fd = open(T.path[0], O_RDONLY);
	bool same = pread(fd, back, len, (off_t)off) == (ssize_t)len && !memcmp(back, buf, len);

	close(fd);
	free(back);
	return same;
}

/* A command that must fail with a task file error; recover and return PxTFD.ERR. */
static uint8_t failed(unsigned p, const uint8_t *f, uint32_t flags, const char *what)
{
	struct prd d = { DATA, 4096, false };
	uint8_t err;

	run1(p, f, NULL, &d, 1, flags);
	ok((port_rd(p, AHCI_PX_IS) & AHCI_PX_IS_TFES) && port_rd(p, AHCI_PX_CI) == 1,
	   "%s: task file error, PxCI kept (AHCI 5.3.16.5)", what);
	ok(port_rd(p, AHCI_PX_TFD) & 0x01, "%s: PxTFD.STS.ERR", what);
	err = (uint8_t)(port_rd(p, AHCI_PX_TFD) >> 8);
	port_recover(p);
	return err;
}

static struct ahci_stats stats(void)
{
	struct ahci_stats st;

	ahci_get_stats(T.hba, &st);
	return st;
}

/* Disk sector s holds its number then a pattern; a CD sector a pattern; sector 16 of the CD
 * an ISO 9660 primary volume descriptor (ECMA-119 §8.4). */
static void write_image(unsigned n)
{
	unsigned sectors = n == 1 ? ISO_SECTORS : n ? 64 : DISK_SECTORS;
	unsigned ssize = n == 1 ? 2048 : 512;
	struct blk_open_opts o = { .read_only = n > 0, .format = "raw" };
	uint8_t *buf = malloc(ssize);
	int fd = open(T.path[n], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char err[256];

	for (unsigned s = 0; s < sectors; s++) {
		for (unsigned i = 0; i < ssize; i++)
			buf[i] = n == 1 ? iso_byte(s, i) : disk_byte(s, i);
		if (n == 1 && s == 16)
			memcpy(buf, "\001CD001\001", 7);
		if (write(fd, buf, ssize) != (ssize_t)ssize)
			abort();
	}
	close(fd);
	free(buf);
	if (blk_open(T.path[n], &o, &T.blk[n], err, sizeof(err))) {
		printf("# %s\n", err);
		abort();
	}
}

static void setup(void)
{
	static const char *const names[3] = { "disk.img", "cd.iso", "ro.img" };
	struct pci_bus_config cfg = {
		.pio = &T.pio, .mmio = &T.mmio, .mem = &T.mem, .log = &T.glog,
		.set_gsi = fake_set_gsi, .signal_msi = fake_signal_msi,
	};
	int err = 0;

	snprintf(T.dir, sizeof(T.dir), "/tmp/test-ahci-XXXXXX");
	if (!mkdtemp(T.dir) || vm_memory_init(&T.mem, RAM_SIZE))
		abort();
	vmm_guest_log_init(&T.glog, NULL, 1000);
	vmm_bus_init(&T.pio, "pio", &T.glog);
	vmm_bus_init(&T.mmio, "mmio", &T.glog);
	T.bus = pci_bus_new(&cfg);
	T.hba = T.bus ? ahci_new(T.bus, DEVFN, &err) : NULL;
	if (!T.hba)
		abort();
	for (unsigned n = 0; n < 3; n++) {
		snprintf(T.path[n], sizeof(T.path[n]), "%s/%s", T.dir, names[n]);
		write_image(n);
		if (ahci_attach(T.hba, n, T.blk[n], n == 1 ? AHCI_CDROM : AHCI_DISK))
			abort();
	}
	pci_bus_set_pirq_route(T.bus, pci_intx_pirq(DEVFN, 1), IRQ_LINE);
}

static void teardown(void)
{
	ahci_free(T.hba);
	pci_bus_free(T.bus);
	for (unsigned n = 0; n < 3; n++) {
		blk_close(T.blk[n]);
		unlink(T.path[n]);
	}
	vmm_bus_destroy(&T.mmio);
	vmm_bus_destroy(&T.pio);
	vm_memory_destroy(&T.mem);
	vmm_guest_log_destroy(&T.glog);
	rmdir(T.dir);
}

/* ---- PCI function and registers ----------------------------------------------------------- */

static void test_pci(void)
{
	is_int(cfg_read(PCI_VENDOR_ID, 2), 0x8086, "vendor 8086");
	is_int(cfg_read(PCI_DEVICE_ID, 2), 0x2922, "device 2922 (ICH9 AHCI)");
	is_int(cfg_read(PCI_CLASS_REVISION, 4) >> 8, 0x010601, "class 01h/06h/01h: SATA AHCI");
	is_int(cfg_read(PCI_INTERRUPT_PIN, 1), 1, "INTA#");
	ok((cfg_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) && MSI_CAP, "MSI capability");
	is_int(cfg_read(MSI_CAP + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QMASK, 0,
	       "MSI: one vector");
	cfg_write(PCI_BASE_ADDRESS_5, 4, 0xffffffffu);
	is_int(cfg_read(PCI_BASE_ADDRESS_5, 4), 0xfffff000u, "ABAR (BAR 5): 4 KiB, 32-bit memory");
	is_int(cfg_read(PCI_BASE_ADDRESS_0, 4), 0, "no legacy IDE BARs");
	cfg_write(PCI_BASE_ADDRESS_5, 4, (uint32_t)ABAR);
	is_int(rd(AHCI_CAP), 0xffffffffu, "ABAR not decoded while memory space is off");
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	is_int(pci_bar_address(ahci_pci_dev(T.hba), 5), ABAR, "ABAR mapped");
}

static void test_registers(void)
{
	uint8_t b = 0;

	is_int(rd(AHCI_CAP), 0xc1341f05u, "CAP: S64A, SNCQ, SCLO, Gen3, SAM, 32 slots, 6 ports");
	is_int(rd(AHCI_PI), 0x3f, "PI: ports 0-5");
	is_int(rd(AHCI_VS), 0x00010301, "VS 1.3.1");
	is_int(rd(AHCI_CAP2), 0, "CAP2: no optional features");
	ok(rd(AHCI_GHC) & AHCI_GHC_AE, "GHC.AE reads 1");
	vmm_bus_read(&T.mmio, ABAR + AHCI_VS + 1, &b, 1);
	is_int(b, 0x03, "byte read of VS bits 15:8");
	wr(AHCI_GHC, 0);
	ok(rd(AHCI_GHC) & AHCI_GHC_AE, "GHC.AE cannot be cleared");
	wr(AHCI_GHC, AHCI_GHC_IE);
	is_int(rd(AHCI_GHC), AHCI_GHC_AE | AHCI_GHC_IE, "GHC.IE set");
	port_wr(3, AHCI_PX_CLB, 0x12345c00);
	port_wr(3, AHCI_PX_IE, 0xffffffffu);
	is_int(port_rd(3, AHCI_PX_IE), AHCI_PX_IE_MASK, "PxIE keeps only implemented bits");
	port_wr(3, AHCI_PX_FB, 0xabcdefff);
	is_int(port_rd(3, AHCI_PX_FB), 0xabcdef00u, "PxFB is 256-byte aligned");
	wr(AHCI_GHC, AHCI_GHC_HR);
	is_int(rd(AHCI_GHC), AHCI_GHC_AE, "GHC.HR: reset done, IE cleared");
	is_int(port_rd(3, AHCI_PX_IE), 0, "GHC.HR: PxIE reset");
	is_int(port_rd(3, AHCI_PX_CLB), 0x12345c00, "GHC.HR keeps PxCLB (AHCI 10.4.3)");
	is_int(port_rd(0, AHCI_PX_CMD), AHCI_PX_CMD_SUD | AHCI_PX_CMD_POD, "PxCMD: SUD, POD 1");
	ok(port_rd(0, AHCI_PX_SSTS) == 0x133 && port_rd(0, AHCI_PX_SIG) == 0x101 &&
	   port_rd(0, AHCI_PX_TFD) == 0x150, "disk port: DET 3 Gen3 active, signature, DRDY|DSC");
	is_int(port_rd(1, AHCI_PX_SIG), 0xeb140101u, "ATAPI signature");
	ok(port_rd(3, AHCI_PX_SSTS) == 0 && port_rd(3, AHCI_PX_SIG) == 0xffffffffu &&
	   port_rd(3, AHCI_PX_TFD) == 0x7f, "empty port: no link, no signature, TFD 7Fh");
}

static void test_startup_fis(void)
{
	uint8_t fis[20];

	mw(FB(1) + 0x40, (uint8_t[20]){ 0xaa }, 20);
	port_wr(1, AHCI_PX_FB, (uint32_t)FB(1));
	port_wr(1, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	ok(port_rd(1, AHCI_PX_CMD) & AHCI_PX_CMD_FR, "FRE -> FR");
	mr(FB(1) + 0x40, fis, sizeof(fis));
	is_int(fis[0], 0x34, "signature D2H FIS posted when FRE is set");
	ok(fis[4] == 1 && fis[5] == 0x14 && fis[6] == 0xeb && fis[12] == 1,
	   "FIS carries the ATAPI signature");
	port_wr(1, AHCI_PX_CLB, (uint32_t)CLB(1));
	port_wr(1, AHCI_PX_CMD, AHCI_PX_CMD_FRE | AHCI_PX_CMD_ST);
	ok(port_rd(1, AHCI_PX_CMD) & AHCI_PX_CMD_CR, "ST -> CR");
	port_wr(1, AHCI_PX_CMD, AHCI_PX_CMD_FRE);

	/* COMRESET through PxSCTL.DET (AHCI 3.3.11): link down, then up with a new FIS. */
	mw(FB(1) + 0x40, (uint8_t[20]){ 0 }, 20);
	port_wr(1, AHCI_PX_SCTL, 1);
	is_int(port_rd(1, AHCI_PX_SSTS) & 0xf, 0, "COMRESET held: no link");
	port_wr(1, AHCI_PX_SCTL, 0);
	is_int(port_rd(1, AHCI_PX_SSTS) & 0xf, 3, "COMRESET released: link up");
	mr(FB(1) + 0x40, fis, sizeof(fis));
	ok(fis[0] == 0x34 && fis[5] == 0x14, "new signature FIS after COMRESET");
	port_wr(1, AHCI_PX_CMD, 0);
}

/* ---- Commands ------------------------------------------------------------------------------ */

static void test_identify(void)
{
	struct prd d = { DATA, 512, false };
	uint8_t f[20], fis[20], id[512], sum = 0;
#define W(i) (id[2 * (i)] | id[2 * (i) + 1] << 8)

	port_start(0);
	h2d(f, 0xec, 0, 0, 0, 0);
	run1(0, f, NULL, &d, 1, 0);
	is_int(port_rd(0, AHCI_PX_CI), 0, "IDENTIFY: PxCI cleared");
	ok(port_rd(0, AHCI_PX_IS) & AHCI_PX_IS_PSS, "IDENTIFY: PIO Setup FIS interrupt (PSS)");
	mr(FB(0) + 0x20, fis, sizeof(fis));
	ok(fis[0] == 0x5f && (fis[1] & 0x20), "PIO Setup FIS, device to host, in the receive area");
	ok(fis[15] == 0x50 && (fis[16] | fis[17] << 8) == 512, "E_Status DRDY|DSC, 512 bytes");
	is_int(port_rd(0, AHCI_PX_TFD), 0x50, "PxTFD from E_Status");
	is_int(m32(CLB(0) + 4), 512, "PRDBC = 512");
	mr(DATA, id, sizeof(id));
	for (unsigned i = 0; i < 512; i++)
		sum = (uint8_t)(sum + id[i]);
	is_int(W(0), 0x0040, "word 0: fixed ATA device");
	is_int(W(100) | W(101) << 16, DISK_SECTORS, "words 100-103: capacity");
	is_int(W(75), 31, "word 75: queue depth 32");
	ok(W(76) & 0x0100, "word 76: NCQ supported");
	ok((W(83) & 0x0400) && (W(85) & 0x20) && W(88) == 0x407f, "48-bit, write cache on, UDMA 6");
	ok(id[54] == 'E' && id[55] == 'V', "model string (byte-swapped words)");
	ok(id[510] == 0xa5 && sum == 0, "checksum");

	/* IDENTIFY PACKET on the CD; IDENTIFY DEVICE there aborts with the signature. */
	port_start(1);
	h2d(f, 0xa1, 0, 0, 0, 0);
	run1(1, f, NULL, &d, 1, 0);
	mr(DATA, id, 2);
	is_int(W(0), 0x85c0, "IDENTIFY PACKET word 0: ATAPI CD-ROM, removable");
	h2d(f, 0xec, 0, 0, 0, 0);
	is_int(failed(1, f, 0, "IDENTIFY DEVICE to ATAPI"), 0x04, "ABRT");
	mr(FB(1) + 0x40, fis, sizeof(fis));
	ok(fis[5] == 0x14 && fis[6] == 0xeb && !port_rd(1, AHCI_PX_CI), "signature; CI cleared");
}

static void test_dma(void)
{
	struct prd rp[3] = { { DATA + 0x10000, 4096, false }, { DATA + 0x30000, 2048, false },
			     { DATA + 0x50000, 6144, true } };
	struct prd wp[2] = { { DATA + 0x80000, 1024, false }, { DATA + 0x90000, 3072, false } };
	uint8_t f[20], fis[20], src[4096];

	port_start(0);
	h2d(f, 0x25, 0, 100, 24, 0x40);
	run1(0, f, NULL, rp, 3, 0);
	is_int(port_rd(0, AHCI_PX_CI), 0, "READ DMA EXT: done");
	ok(port_rd(0, AHCI_PX_IS) & AHCI_PX_IS_DHRS, "D2H register FIS interrupt (DHRS)");
	ok(port_rd(0, AHCI_PX_IS) & AHCI_PX_IS_DPS, "PRD with I set: DPS");
	mr(FB(0) + 0x40, fis, sizeof(fis));
	ok(fis[0] == 0x34 && (fis[1] & 0x40) && fis[2] == 0x50, "D2H FIS: I set, status 50h");
	is_int(m32(CLB(0) + 4), 12288, "PRDBC = 12288");
	ok(disk_matches(DATA + 0x10000, 100, 8) && disk_matches(DATA + 0x30000, 108, 4) &&
	   disk_matches(DATA + 0x50000, 112, 12), "three PRDs hold sectors 100-123");

	h2d(f, 0xc8, 0, 5, 2, 0x40);		/* READ DMA, 28-bit */
	run1(0, f, NULL, rp, 1, 0);
	ok(disk_matches(DATA + 0x10000, 5, 2), "READ DMA (28-bit) sectors 5-6");

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	mw(wp[0].addr, src, 1024);
	mw(wp[1].addr, src + 1024, 3072);
	h2d(f, 0x35, 0, 200, 8, 0x40);
	run1(0, f, NULL, wp, 2, AHCI_CMDH_W);
	is_int(port_rd(0, AHCI_PX_CI), 0, "WRITE DMA EXT: done");
	ok(image_has(200 * 512, src, sizeof(src)), "image file holds the written sectors");

	/* READ VERIFY EXT, FLUSH CACHE EXT, SET FEATURES (UDMA 5): no data, status 50h. */
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t nd[3][3] = { { 0x42, 0, 9 }, { 0xea, 0, 0 }, { 0xef, 3, 69 } };

		h2d(f, nd[i][0], nd[i][1], 10, nd[i][2], 0x40);
		run1(0, f, NULL, NULL, 0, 0);
		ok(!port_rd(0, AHCI_PX_CI) && port_rd(0, AHCI_PX_TFD) == 0x50, "%02x", nd[i][0]);
	}
}

static void test_trim(void)
{
	struct prd d = { DATA, 512, false };
	uint8_t f[20], range[512] = { 0 }, zero[1024] = { 0 };

	/* One LBA range entry (ACS-2 §7.10.3.2): LBA 600, 2 sectors. */
	range[0] = 600 & 0xff;
	range[1] = 600 >> 8;
	range[6] = 2;
	mw(DATA, range, sizeof(range));
	h2d(f, 0x06, 0x01, 0, 1, 0x40);
	run1(0, f, NULL, &d, 1, AHCI_CMDH_W);
	is_int(port_rd(0, AHCI_PX_CI), 0, "DATA SET MANAGEMENT TRIM completes");
	ok(image_has(600 * 512, zero, sizeof(zero)), "trimmed sectors read back as zeros");
}

static void test_ncq(void)
{
	struct prd d[4];
	uint8_t f[20], sdb[8];

	port_start(0);
	for (unsigned s = 1; s <= 3; s++) {
		d[s] = (struct prd){ DATA + s * 0x10000, 8 * 512, false };
		h2d(f, 0x60, 8, 300 + s * 8, (uint16_t)(s << 3), 0x40);	/* READ FPDMA QUEUED */
		build(0, s, f, NULL, &d[s], 1, 0);
	}
	mw(FB(0) + 0x58, (uint8_t[8]){ 0 }, 8);
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	port_wr(0, AHCI_PX_SACT, 0xe);
	is_int(port_rd(0, AHCI_PX_SACT), 0xe, "PxSACT holds tags 1-3");
	port_wr(0, AHCI_PX_CI, 0xe);
	ok(!port_rd(0, AHCI_PX_CI) && !port_rd(0, AHCI_PX_SACT), "NCQ: PxCI and PxSACT cleared");
	mr(FB(0) + 0x58, sdb, sizeof(sdb));
	ok(sdb[0] == 0xa1 && (sdb[1] & 0x40), "Set Device Bits FIS with I set");
	is_int(m32(FB(0) + 0x5c), 0xe, "SDB SActive: tags 1, 2, 3 in one FIS");
	is_int(port_rd(0, AHCI_PX_IS) & (AHCI_PX_IS_SDBS | AHCI_PX_IS_DHRS), AHCI_PX_IS_SDBS,
	       "SDBS; no DHRS, the acceptance FIS has I clear");
	ok(disk_matches(d[1].addr, 308, 8) && disk_matches(d[2].addr, 316, 8) &&
	   disk_matches(d[3].addr, 324, 8), "queued reads landed in their own PRDs");
}

/* One good tag and one past the end: SDB with ERR, the failed tag stays in PxSACT. */
static void test_ncq_error(void)
{
	struct prd d = { DATA, 4096, false }, lp = { DATA, 512, false };
	uint8_t f[20], log[512], sum = 0;

	h2d(f, 0x60, 1, 0, 0 << 3, 0x40);
	build(0, 0, f, NULL, &d, 1, 0);
	h2d(f, 0x60, 8, DISK_SECTORS - 4, 1 << 3, 0x40);
	build(0, 1, f, NULL, &d, 1, 0);
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	port_wr(0, AHCI_PX_SACT, 0x3);
	port_wr(0, AHCI_PX_CI, 0x3);
	ok(port_rd(0, AHCI_PX_IS) & AHCI_PX_IS_TFES, "NCQ error: TFES");
	is_int(port_rd(0, AHCI_PX_SACT), 0x2, "failed tag 1 stays in PxSACT, tag 0 completed");
	is_int(m32(FB(0) + 0x5c), 0x1, "error SDB FIS completes tag 0");
	is_int(port_rd(0, AHCI_PX_TFD) >> 8, 0x10, "PxTFD.ERR = IDNF");
	port_recover(0);
	is_int(port_rd(0, AHCI_PX_SACT), 0, "ST off cleared PxSACT");
	h2d(f, 0x2f, 0, 0x10, 1, 0);		/* READ LOG EXT, NCQ command error log */
	run1(0, f, NULL, &lp, 1, 0);
	mr(DATA, log, sizeof(log));
	for (unsigned i = 0; i < 512; i++)
		sum = (uint8_t)(sum + log[i]);
	ok(log[0] == 1 && log[3] == 0x10 && sum == 0, "log 10h names tag 1, IDNF");
	run1(0, f, NULL, &lp, 1, 0);
	mr(DATA, log, 1);
	is_int(log[0], 0x80, "log read again: NQ, error cleared");

	/* A queued write with FUA (device bit 7). */
	for (unsigned i = 0; i < sizeof(log); i++)
		log[i] = (uint8_t)(i ^ 0x5a);
	mw(DATA, log, sizeof(log));
	h2d(f, 0x61, 1, 700, 5 << 3, 0xc0);
	build(0, 5, f, NULL, &lp, 1, AHCI_CMDH_W);
	port_wr(0, AHCI_PX_SACT, 1u << 5);
	port_wr(0, AHCI_PX_CI, 1u << 5);
	is_int(port_rd(0, AHCI_PX_SACT), 0, "WRITE FPDMA QUEUED completes");
	ok(image_has(700 * 512, log, sizeof(log)), "queued write reached the image");
}

/* ---- Interrupts ---------------------------------------------------------------------------- */

static void test_interrupts(void)
{
	uint8_t f[20];

	port_start(0);
	h2d(f, 0xe7, 0, 0, 0, 0);		/* FLUSH CACHE: a non-data command */
	wr(AHCI_IS, 0xffffffffu);
	wr(AHCI_GHC, AHCI_GHC_IE);
	port_wr(0, AHCI_PX_IE, 0);
	run1(0, f, NULL, NULL, 0, 0);
	ok((port_rd(0, AHCI_PX_IS) & AHCI_PX_IS_DHRS) && !rd(AHCI_IS) && !T.gsi_level[IRQ_LINE],
	   "PxIE off: PxIS.DHRS set, IS clear, no INTx");

	port_wr(0, AHCI_PX_IE, AHCI_PX_IS_DHRS);
	run1(0, f, NULL, NULL, 0, 0);
	is_int(rd(AHCI_IS), 1, "IS.IPS[0]");
	is_int(T.gsi_level[IRQ_LINE], 1, "INTx asserted (PIRQ routed to IRQ 11)");
	ok(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "PCI status: interrupt");
	port_wr(0, AHCI_PX_IS, AHCI_PX_IS_DHRS);
	is_int(T.gsi_level[IRQ_LINE], 1, "still asserted until IS is cleared");
	wr(AHCI_IS, 1);
	is_int(T.gsi_level[IRQ_LINE], 0, "INTx deasserted");
	wr(AHCI_GHC, 0);
	run1(0, f, NULL, NULL, 0, 0);
	is_int(T.gsi_level[IRQ_LINE], 0, "GHC.IE off: no INTx");
	wr(AHCI_GHC, AHCI_GHC_IE);
	is_int(T.gsi_level[IRQ_LINE], 1, "GHC.IE on with IS pending: INTx");
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	wr(AHCI_IS, 1);
}

/* MSI (PCI LB 3.0 §6.8.1): one message per rising edge; INTx stays quiet. */
static void test_msi(void)
{
	unsigned cap = MSI_CAP, before;
	uint8_t f[20];

	h2d(f, 0xe7, 0, 0, 0, 0);
	cfg_write(cap + PCI_MSI_ADDRESS_LO, 4, 0xfee00000u);
	cfg_write(cap + PCI_MSI_ADDRESS_HI, 4, 0);
	cfg_write(cap + PCI_MSI_DATA_64, 2, 0x4041);
	cfg_write(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	before = T.msi_count;
	run1(0, f, NULL, NULL, 0, 0);
	is_int(T.msi_count, before + 1, "MSI sent on completion");
	ok(T.msi_addr == 0xfee00000u && T.msi_data == 0x4041, "MSI address and data");
	is_int(T.gsi_level[IRQ_LINE], 0, "no INTx while MSI is on");
	run1(0, f, NULL, NULL, 0, 0);
	is_int(T.msi_count, before + 1, "IS not yet cleared: no second message");
	wr(AHCI_IS, 1);			/* PxIS not acknowledged: the port is still pending */
	is_int(T.msi_count, before + 2, "clearing IS with the port pending sends again");
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	wr(AHCI_IS, 1);
	is_int(T.msi_count, before + 2, "nothing pending: no message");
	cfg_write(cap + PCI_MSI_FLAGS, 2, 0);
	wr(AHCI_GHC, 0);
	port_wr(0, AHCI_PX_IE, 0);
}

/* ---- ATAPI --------------------------------------------------------------------------------- */

#define CDB(...) ((const uint8_t[12]){ __VA_ARGS__ })

/* A PACKET command on port 1; returns the sense key of a CHECK CONDITION, or 0. */
static int packet(const uint8_t *cdb, uint64_t buf, uint32_t len, bool dma)
{
	struct prd d = { buf, len, false };
	uint8_t f[20], acmd[16] = { 0 };

	memcpy(acmd, cdb, 12);
	h2d(f, 0xa0, dma ? 1 : 0, 0, 0, 0);
	run1(1, f, acmd, &d, len ? 1 : 0, AHCI_CMDH_A);
	if (!(port_rd(1, AHCI_PX_IS) & AHCI_PX_IS_TFES))
		return 0;
	port_recover(1);
	return (int)(port_rd(1, AHCI_PX_TFD) >> 12);
}

static void test_atapi(void)
{
	static const uint8_t tur[12] = { 0x00 };
	uint8_t b[4096], fis[20];
	bool same = true;

	port_start(1);
	is_int(packet(CDB(0x12, 0, 0, 0, 36), DATA, 36, false), 0, "INQUIRY");
	mr(DATA, b, 36);
	ok(b[0] == 0x05 && (b[1] & 0x80) && !memcmp(&b[8], "VESSEL", 6),
	   "INQUIRY: removable CD/DVD, vendor");
	ok((port_rd(1, AHCI_PX_IS) & (AHCI_PX_IS_PSS | AHCI_PX_IS_DHRS)) ==
	   (AHCI_PX_IS_PSS | AHCI_PX_IS_DHRS), "ATAPI PIO: PIO Setup then D2H FIS");
	mr(FB(1) + 0x40, fis, sizeof(fis));
	ok(fis[2] == 0x40 && fis[12] == 0x03, "D2H: DRDY, interrupt reason I/O|C/D");
	is_int(m32(CLB(1) + 4), 36, "PRDBC = 36");
	is_int(packet(CDB(0x25), DATA, 8, false), 0, "READ CAPACITY");
	mr(DATA, b, 8);
	ok(b[3] == ISO_SECTORS - 1 && b[6] == 0x08, "last LBA 63, 2048-byte blocks");
	is_int(packet(CDB(0x28, 0, 0, 0, 0, 16, 0, 0, 2), DATA, 4096, true), 0, "READ(10) by DMA");
	mr(DATA, b, 4096);
	ok(!memcmp(b + 1, "CD001", 5), "sector 16: the ISO 9660 volume descriptor");
	for (unsigned i = 0; i < 2048; i++)
		same = same && b[2048 + i] == iso_byte(17, i);
	ok(same, "sector 17 contents");
	is_int(packet(CDB(0x28, 0, 0, 0, 0, 62, 0, 0, 4), DATA, 8192, true), 5, "READ past end");
	is_int(packet(CDB(0x03, 0, 0, 0, 18), DATA, 18, false), 0, "REQUEST SENSE");
	mr(DATA, b, 18);
	ok(b[0] == 0x70 && b[2] == 5 && b[12] == 0x21, "sense: LBA out of range");
	is_int(packet(tur, 0, 0, false), 0, "TEST UNIT READY");
	is_int(packet(CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64), DATA, 64, false), 0, "MODE SENSE(10)");
	mr(DATA, b, 10);
	ok(b[8] == 0x2a && b[9] == 20, "page 2Ah present");

	/* Media change: empty -> NOT READY; new medium -> UNIT ATTENTION once. */
	is_int(ahci_change_media(T.hba, 1, NULL), 0, "medium removed");
	is_int(packet(tur, 0, 0, false), 2, "TUR without medium: NOT READY");
	is_int(ahci_change_media(T.hba, 1, T.blk[1]), 0, "medium inserted");
	is_int(packet(tur, 0, 0, false), 6, "TUR after the change: UNIT ATTENTION");
	is_int(packet(tur, 0, 0, false), 0, "then ready");
	is_int(packet(CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), DATA, 8, false), 0, "GET EVENT STATUS");
	mr(DATA, b, 8);
	ok(b[2] == 0x04 && b[4] == 0x02 && (b[5] & 0x02), "media event: new medium, present");
	is_int(ahci_change_media(T.hba, 0, NULL), -EINVAL, "media change on a disk port refused");
	is_int(packet(CDB(0x1b, 0, 0, 0, 0x02), 0, 0, false), 0, "START STOP UNIT: eject");
	ok(ahci_tray_is_open(T.hba, 1), "tray open");
	is_int(packet(tur, 0, 0, false), 2, "tray open: NOT READY");
	is_int(ahci_change_media(T.hba, 1, T.blk[1]), 0, "medium inserted again");
	packet(tur, 0, 0, false);
}

/* ---- Hostile input ---------------------------------------------------------------------- */

/* Run a command that must end in `bit` with the slot still set; recover. */
static void expect_fatal(unsigned p, uint32_t bit, const char *what)
{
	uint64_t errs = vmm_guest_log_count(&T.glog);

	port_wr(p, AHCI_PX_CI, 1);
	ok(port_rd(p, AHCI_PX_IS) & bit, "%s: PxIS %#x", what, bit);
	is_int(port_rd(p, AHCI_PX_CI), 1, "%s: PxCI kept", what);
	ok(vmm_guest_log_count(&T.glog) > errs, "%s: guest error logged", what);
	port_recover(p);
}

static void test_hostile_pointers(void)
{
	static const struct {
		uint64_t clb, fb, ct, prd;
		const char *what;
	} c[] = {
		{ ABAR, FB(0), CT(0), DATA, "command list at the ABAR" },
		{ 0xfee00000u, FB(0), CT(0), DATA, "command list at FEE00000h (LAPIC)" },
		{ CLB(0), FB(0), 0x100000000000ull, DATA, "command table beyond RAM" },
		{ CLB(0), FB(0), 0xffffffffffffff80ull, DATA, "command table that wraps 2^64" },
		{ CLB(0), FB(0), CT(0), ABAR, "PRD into the ABAR" },
		{ CLB(0), FB(0), CT(0), 0xfee00000u, "PRD at FEE00000h" },
		{ CLB(0), FB(0), CT(0), RAM_SIZE - 256, "PRD straddling the end of RAM" },
		{ CLB(0), ABAR, CT(0), DATA, "FIS receive area at the ABAR" },
	};
	struct prd d = { DATA, 512, false };
	uint8_t f[20];

	port_start(0);
	h2d(f, 0x25, 0, 0, 1, 0x40);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		d.addr = c[i].prd;
		build_at(0, 0, c[i].ct, f, NULL, &d, 1, 0);
		set_bases(0, c[i].clb, c[i].fb);
		expect_fatal(0, AHCI_PX_IS_HBFS, c[i].what);
	}
	is_int(rd(AHCI_CAP), 0xc1341f05u, "ABAR registers intact");
	is_int(port_rd(0, AHCI_PX_CLB), (uint32_t)CLB(0), "PxCLB not overwritten by DMA");
	set_bases(0, CLB(0), FB(0));

	d.addr = DATA;
	h2d(f, 0x35, 0, 0, 2, 0x40);		/* a write with too little PRD space */
	build(0, 0, f, NULL, &d, 1, AHCI_CMDH_W);
	expect_fatal(0, AHCI_PX_IS_OFS, "write larger than its PRDs");

	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	h2d(f, 0x25, 0, 0, 1, 0x40);
	build(0, 0, f, NULL, &d, 1, 0);
	expect_fatal(0, AHCI_PX_IS_HBFS, "bus mastering off");
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void test_hostile_prdt(void)
{
	uint8_t f[20], e[16] = { 0 };
	uint64_t steps;

	/* 65535 two-byte PRDs (AHCI §4.2.2 PRDTL's maximum). */
	put32(e + 12, 1);
	for (unsigned i = 0; i < 65535; i++) {
		put32(e, (uint32_t)(DATA + i * 2ull));
		mw(BIG_CT + 0x80 + i * 16ull, e, 16);
	}
	port_start(0);
	h2d(f, 0x25, 0, 40, 1, 0x40);
	build_at(0, 0, BIG_CT, f, NULL, NULL, 0, 65535u << 16);
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	steps = stats().prd_steps;
	port_wr(0, AHCI_PX_CI, 1);
	is_int(port_rd(0, AHCI_PX_CI), 0, "PRDTL 65535, one sector: done");
	is_int(stats().prd_steps - steps, 256, "only the 256 PRDs needed were read");
	ok(disk_matches(DATA, 40, 1), "data through 256 tiny PRDs");

	h2d(f, 0x25, 0, 0, 512, 0x40);		/* 256 KiB into 128 KiB of PRDs */
	build_at(0, 0, BIG_CT, f, NULL, NULL, 0, 65535u << 16);
	steps = stats().prd_steps;
	expect_fatal(0, AHCI_PX_IS_OFS, "transfer larger than 65535 PRDs");
	is_int(stats().prd_steps - steps, 65535, "bounded: each PRD read once");

	h2d(f, 0x25, 0, 0, 1, 0x40);
	build_at(0, 0, BIG_CT, f, NULL, NULL, 0, 0);
	expect_fatal(0, AHCI_PX_IS_OFS, "PRDTL 0 for a read");

	h2d(f, 0x25, 0, 0, 8, 0x40);		/* a PRD table running off the end of RAM */
	build_at(0, 0, RAM_SIZE - 0x100, f, NULL, NULL, 0, 65535u << 16);
	expect_fatal(0, AHCI_PX_IS_HBFS, "PRD table past the end of RAM");
}

static void test_hostile_commands(void)
{
	uint8_t f[20], one = 0x01;
	uint64_t errs;

	port_start(0);
	h2d(f, 0x25, 0, DISK_SECTORS - 2, 4, 0x40);
	is_int(failed(0, f, 0, "LBA + count past the end"), 0x10, "IDNF");
	h2d(f, 0x25, 0, 0xffffffffffffull, 0, 0x40);
	is_int(failed(0, f, 0, "48-bit LBA at the top, 65536 sectors"), 0x10, "IDNF");
	h2d(f, 0xc8, 0, 0x0fffffff, 0, 0x4f);
	is_int(failed(0, f, 0, "28-bit LBA past the end"), 0x10, "IDNF");
	h2d(f, 0x61, 1, 0, 3 << 3, 0x40);	/* queued, tag 3 in slot 0 */
	port_wr(0, AHCI_PX_SACT, 1);
	is_int(failed(0, f, AHCI_CMDH_W, "NCQ tag not matching its slot"), 0x04, "ABRT");
	h2d(f, 0xff, 0, 0, 0, 0);
	is_int(failed(0, f, 0, "unknown command"), 0x04, "ABRT");

	port_start(2);
	h2d(f, 0x35, 0, 0, 1, 0x40);
	is_int(failed(2, f, AHCI_CMDH_W, "write to a read-only disk"), 0x04, "ABRT");
	h2d(f, 0x06, 1, 0, 1, 0x40);
	is_int(failed(2, f, AHCI_CMDH_W, "TRIM on a read-only disk"), 0x04, "ABRT");

	h2d(f, 0x25, 0, 0, 1, 0x40);
	f[0] = 0x00;
	build(0, 0, f, NULL, NULL, 0, 0);
	expect_fatal(0, AHCI_PX_IS_IFS, "command FIS of the wrong type");
	f[0] = 0x27;
	build(0, 0, f, NULL, NULL, 0, 0);
	mw(CLB(0), (uint8_t[4]){ 0 }, 4);	/* CFL 0 */
	expect_fatal(0, AHCI_PX_IS_IFS, "command FIS length 0");

	port_wr(0, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	errs = vmm_guest_log_count(&T.glog);
	port_wr(0, AHCI_PX_CI, 1);
	is_int(port_rd(0, AHCI_PX_CI), 0, "PxCI written with ST clear is lost");
	ok(vmm_guest_log_count(&T.glog) > errs, "and logged");

	/* A narrow write to a W1C register clears only its byte. */
	port_start(0);
	h2d(f, 0x25, 0, DISK_SECTORS, 1, 0x40);
	run1(0, f, NULL, NULL, 0, 0);
	vmm_bus_write(&T.mmio, ABAR + AHCI_PORT_BASE + AHCI_PX_IS, &one, 1);
	is_int(port_rd(0, AHCI_PX_IS) & (AHCI_PX_IS_DHRS | AHCI_PX_IS_TFES), AHCI_PX_IS_TFES,
	       "byte write to PxIS cleared DHRS and left TFES");
	port_recover(0);
}

static uint32_t rnd(unsigned *seed, uint32_t n)
{
	uint32_t hi = (uint32_t)rand_r(seed);
	uint32_t v = hi << 16 ^ (uint32_t)rand_r(seed);

	return n ? v % n : v;
}

/* Mostly sane values, now and then anything. */
static uint32_t pick(unsigned *seed, uint32_t sane)
{
	return rnd(seed, 4) ? rnd(seed, sane) : rnd(seed, 0);
}

/* A random, mostly well-formed command in a random slot, with PRDs anywhere. */
static void fuzz_command(unsigned *seed, unsigned p)
{
	static const uint8_t cmds[] = { 0x25, 0x35, 0xc8, 0xca, 0x20, 0x30, 0xc4, 0xc5, 0x60,
					0x61, 0x42, 0x06, 0x2f, 0x47, 0xec, 0xa1, 0xa0, 0xef,
					0xe7, 0x90, 0x08, 0xc6, 0x3d, 0x00 };
	static const uint8_t ops[] = { 0x28, 0xa8, 0xbe, 0x12, 0x03, 0x43, 0x46, 0x4a, 0x5a,
				       0x1a, 0x1b, 0x25, 0x51, 0xbd };
	static const unsigned regs[] = { AHCI_PX_CLB, AHCI_PX_FB, AHCI_PX_IS, AHCI_PX_IE,
					 AHCI_PX_CMD, AHCI_PX_SCTL, AHCI_PX_SERR, AHCI_PX_SACT,
					 AHCI_PX_CI, AHCI_PX_CLBU };
	unsigned slot = rnd(seed, 32), cmd = cmds[rnd(seed, sizeof(cmds))];
	uint16_t features = (uint16_t)pick(seed, 17), count = (uint16_t)pick(seed, 17);
	uint64_t lba = pick(seed, 2100);
	uint8_t f[20], acmd[16], dev = (uint8_t)(rnd(seed, 4) ? 0x40 : rnd(seed, 256));
	struct prd d[4];

	for (unsigned i = 0; i < 4; i++) {
		d[i].addr = DATA + rnd(seed, 0x100000);
		if (!rnd(seed, 8))
			d[i].addr = (uint64_t)rnd(seed, 0) << rnd(seed, 33);
		d[i].len = 2 + pick(seed, 8192);
		d[i].irq = rnd(seed, 2);
	}
	h2d(f, (uint8_t)cmd, features, lba, count, dev);
	if (cmd == 0x60 || cmd == 0x61)
		f[12] = (uint8_t)(slot << 3);
	if (!rnd(seed, 16))
		f[rnd(seed, 20)] = (uint8_t)rnd(seed, 256);
	for (unsigned i = 0; i < 16; i++)
		acmd[i] = (uint8_t)pick(seed, 8);
	if (rnd(seed, 2))
		acmd[0] = ops[rnd(seed, sizeof(ops))];
	if (!rnd(seed, 4))	/* a random register write first */
		port_wr(rnd(seed, AHCI_NPORTS), regs[rnd(seed, 10)], pick(seed, 0x40000));
	if (!rnd(seed, 8) || port_rd(p, AHCI_PX_CLB) != CLB(p) || !(port_rd(p, AHCI_PX_CMD) & 1))
		port_start(p);
	else if (port_rd(p, AHCI_PX_IS) & 0x7d000000u)
		port_recover(p);
	build(p, slot, f, acmd, d, rnd(seed, 5), rnd(seed, 4) << 5);	/* A, W */
	if (cmd == 0x60 || cmd == 0x61)
		port_wr(p, AHCI_PX_SACT, 1u << slot);
	port_wr(p, AHCI_PX_CI, rnd(seed, 4) ? 1u << slot : rnd(seed, 0));
}

/* Random commands and register writes: no crash, no hang, ASan-clean. */
static void test_fuzz(void)
{
	struct prd d = { DATA, 512, false };
	uint64_t before = stats().commands;
	unsigned seed = 12345;
	uint8_t f[20];

	for (unsigned it = 0; it < 4000; it++) {
		fuzz_command(&seed, it % 3);
		if (it % 200 == 0)
			wr(AHCI_GHC, rnd(&seed, 3) ? AHCI_GHC_IE : AHCI_GHC_HR);
	}
	ok(stats().commands - before > 1000, "fuzz: over 1000 commands executed");
	wr(AHCI_GHC, AHCI_GHC_HR);
	port_start(0);
	h2d(f, 0xec, 0, 0, 0, 0);
	run1(0, f, NULL, &d, 1, 0);
	ok(port_rd(0, AHCI_PX_CI) == 0 && port_rd(0, AHCI_PX_TFD) == 0x50,
	   "after GHC.HR the controller works again");
}

static void test_device_ops(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	void *state = NULL;
	unsigned found = 0;
	char err[128];

	vm->pci = T.bus;
	vm->cfg.ndisks = 1;
	vm->cfg.disks[0] = (struct vm_disk_config){ T.path[0], VM_DISK_IDE, false, false };
	is_int(ahci_device_ops.create(vm, &state), 1, "no AHCI disk: no controller");
	vm->cfg.ndisks = 3;
	vm->cfg.disks[1] = (struct vm_disk_config){ T.path[2], VM_DISK_AHCI, true, false };
	vm->cfg.disks[2] = (struct vm_disk_config){ T.path[1], VM_DISK_AHCI, false, true };
	is_int(ahci_device_ops.create(vm, &state), 0, "controller for two AHCI drives");
	for (unsigned devfn = 0; devfn < 256; devfn += 8)
		found += pci_bus_find(T.bus, devfn) != NULL;
	is_int(found, 2, "a second function on the bus");
	is_int(ahci_vm_change_cd(state, 0, T.path[1], err, sizeof(err)), -EINVAL,
	       "port 0 (disk) is not a CD");
	is_int(ahci_vm_change_cd(state, 1, NULL, err, sizeof(err)), 0, "CD on port 1 ejected");
	ahci_device_ops.reset(state);
	ahci_device_ops.destroy(state);
	vm->cfg.disks[1].path = "/nonexistent/disk.img";
	ok(ahci_device_ops.create(vm, &state) < 0, "missing image: create fails cleanly");
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)	/* vm_destroy's part: boot paths */
		free(vm->boot_paths[i]);
	free(vm);
}

int main(void)
{
	setup();
	test_pci();
	test_registers();
	test_startup_fis();
	test_identify();
	test_dma();
	test_trim();
	test_ncq();
	test_ncq_error();
	test_interrupts();
	test_msi();
	test_atapi();
	test_hostile_pointers();
	test_hostile_prdt();
	test_hostile_commands();
	test_fuzz();
	test_device_ops();
	teardown();
	return tap_done();
}
