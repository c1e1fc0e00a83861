// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for AHCI snapshot state: registers, settings and sense carry to a second HBA. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "bus.h"
#include "log.h"
#include "memory.h"
#include "pci/pci.h"
#include "storage/ahci-state.h"
#include "tap.h"

#define RAM_SIZE	(16ull << 20)
#define CLB		0x10000ull
#define FB		0x12000ull
#define CT		0x20000ull
#define DATA		0x100000ull
#define DISK_SECTORS	256u

/* Two controllers on one bus: A at 04.0 (IRQ 11), B at 05.0 (IRQ 10). */
static const unsigned devfn[2] = { PCI_DEVFN(4, 0), PCI_DEVFN(5, 0) };
static const uint64_t abar[2] = { 0xfebf0000ull, 0xfebe0000ull };
static const unsigned irq[2] = { 11, 10 };

static struct {
	struct vm_memory mem;
	struct vmm_bus pio, mmio;
	struct vmm_guest_log glog;
	struct pci_bus *bus;
	struct ahci *hba[2];
	struct blk *disk, *cd;
	char dir[64], disk_path[96], cd_path[96];
	int gsi_level[16];
	unsigned cur;			/* the controller rd/wr talk to */
} T;

static void fake_set_gsi(void *opaque, unsigned gsi, int level)
{
	if (gsi < 16)
		T.gsi_level[gsi] = level;
}

static int fake_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	return 0;
}

static void cfg_write(unsigned fn, unsigned off, unsigned size, uint32_t v)
{
	uint32_t addr = 0x80000000u | devfn[fn] << 8 | (off & 0xfc);

	vmm_bus_write(&T.pio, 0xcf8, &addr, 4);
	vmm_bus_write(&T.pio, 0xcfc + (off & 3), &v, size);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	vmm_bus_read(&T.mmio, abar[T.cur] + off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	vmm_bus_write(&T.mmio, abar[T.cur] + off, &v, 4);
}

static uint32_t port_rd(unsigned p, unsigned reg)
{
	return rd(AHCI_PORT_BASE + p * AHCI_PORT_SIZE + reg);
}

static void port_wr(unsigned p, unsigned reg, uint32_t v)
{
	wr(AHCI_PORT_BASE + p * AHCI_PORT_SIZE + reg, v);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One command in slot 0 of port p: a Register H2D FIS, an optional packet, one PRD. */
static void run(unsigned p, uint8_t cmd, uint16_t features, uint16_t count,
		const uint8_t *acmd, uint32_t len)
{
	uint8_t h[32] = { 0 }, t[0x90] = { 0 };

	put32(h, 5 | (acmd ? AHCI_CMDH_A : 0) | (len ? 1u << 16 : 0));
	put32(h + 8, (uint32_t)(CT + p * 0x1000));
	vm_memory_write(&T.mem, CLB + p * 0x400 + 0 * 32ull, h, sizeof(h));
	t[0] = 0x27;
	t[1] = 0x80;
	t[2] = cmd;
	t[3] = (uint8_t)features;
	t[7] = 0x40;
	t[12] = (uint8_t)count;
	if (acmd)
		memcpy(t + 0x40, acmd, 12);
	put32(t + 0x80, (uint32_t)DATA);
	put32(t + 0x8c, len ? len - 1 : 0);
	vm_memory_write(&T.mem, CT + p * 0x1000, t, sizeof(t));
	port_wr(p, AHCI_PX_IS, 0xffffffffu);
	port_wr(p, AHCI_PX_CI, 1);
}

static void port_start(unsigned p)
{
	port_wr(p, AHCI_PX_CMD, 0);
	port_wr(p, AHCI_PX_CLB, (uint32_t)(CLB + p * 0x400));
	port_wr(p, AHCI_PX_FB, (uint32_t)(FB + p * 0x100));
	port_wr(p, AHCI_PX_SERR, 0xffffffffu);
	port_wr(p, AHCI_PX_IS, 0xffffffffu);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE);
	port_wr(p, AHCI_PX_CMD, AHCI_PX_CMD_FRE | AHCI_PX_CMD_ST);
}

static void make_file(const char *path, unsigned sectors, unsigned ssize, bool iso)
{
	uint8_t *buf = malloc(ssize);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (unsigned s = 0; s < sectors; s++) {
		for (unsigned i = 0; i < ssize; i++)
			buf[i] = (uint8_t)(s * 7 + i);
		if (iso && s == 16)
			memcpy(buf, "\001CD001\001", 7);
		if (write(fd, buf, ssize) != (ssize_t)ssize)
			abort();
	}
	close(fd);
	free(buf);
}

static struct blk *open_ro(const char *path, bool ro)
{
	struct blk_open_opts o = { .read_only = ro, .format = "raw" };
	struct blk *b = NULL;
	char err[256];

	if (blk_open(path, &o, &b, err, sizeof(err)))
		abort();
	return b;
}

static void setup(void)
{
	struct pci_bus_config cfg = {
		.pio = &T.pio, .mmio = &T.mmio, .mem = &T.mem, .log = &T.glog,
		.set_gsi = fake_set_gsi, .signal_msi = fake_signal_msi,
	};
	int err = 0;

	snprintf(T.dir, sizeof(T.dir), "/tmp/test-ahci-state-XXXXXX");
	if (!mkdtemp(T.dir) || vm_memory_init(&T.mem, RAM_SIZE))
		abort();
	vmm_guest_log_init(&T.glog, NULL, 1000);
	vmm_bus_init(&T.pio, "pio", &T.glog);
	vmm_bus_init(&T.mmio, "mmio", &T.glog);
	T.bus = pci_bus_new(&cfg);
	snprintf(T.disk_path, sizeof(T.disk_path), "%s/disk.img", T.dir);
	snprintf(T.cd_path, sizeof(T.cd_path), "%s/cd.iso", T.dir);
	make_file(T.disk_path, DISK_SECTORS, 512, false);
	make_file(T.cd_path, 64, 2048, true);
	T.disk = open_ro(T.disk_path, false);
	T.cd = open_ro(T.cd_path, true);
	for (unsigned i = 0; i < 2; i++) {
		T.hba[i] = ahci_new(T.bus, (int)devfn[i], &err);
		if (!T.hba[i] || ahci_attach(T.hba[i], 0, T.disk, AHCI_DISK) ||
		    ahci_attach(T.hba[i], 1, T.cd, AHCI_CDROM))
			abort();
		cfg_write(i, PCI_BASE_ADDRESS_5, 4, (uint32_t)abar[i]);
		cfg_write(i, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		pci_bus_set_pirq_route(T.bus, pci_intx_pirq(devfn[i], 1), (int)irq[i]);
	}
}

static void teardown(void)
{
	for (unsigned i = 0; i < 2; i++)
		ahci_free(T.hba[i]);
	pci_bus_free(T.bus);
	blk_close(T.disk);
	blk_close(T.cd);
	unlink(T.disk_path);
	unlink(T.cd_path);
	rmdir(T.dir);
	vmm_bus_destroy(&T.mmio);
	vmm_bus_destroy(&T.pio);
	vm_memory_destroy(&T.mem);
	vmm_guest_log_destroy(&T.glog);
}

static bool blobs_equal(struct ahci *hba, const void *ref, size_t ref_len)
{
	void *b = NULL;
	size_t n = 0;
	bool eq = !ahci_save(hba, &b, &n) && n == ref_len && !memcmp(b, ref, n);

	free(b);
	return eq;
}

/* Every register of the HBA and its six ports, as the guest reads them. */
static void read_all(uint32_t *out)
{
	out[0] = rd(AHCI_GHC);
	out[1] = rd(AHCI_IS);
	for (unsigned p = 0; p < AHCI_NPORTS; p++)
		for (unsigned r = 0; r < 0x40; r += 4)
			out[2 + p * 16 + r / 4] = port_rd(p, r);
}

static void test_round_trip(void)
{
	static const uint8_t tur[12];
	uint32_t ra[2 + AHCI_NPORTS * 16], rb[2 + AHCI_NPORTS * 16];
	uint16_t w[256];
	void *blob = NULL;
	size_t len = 0;

	T.cur = 0;
	port_start(0);
	port_start(1);
	wr(AHCI_GHC, AHCI_GHC_IE);
	run(0, 0xef, 0x82, 0, NULL, 0);		/* SET FEATURES: write cache off */
	run(0, 0xc6, 0, 2, NULL, 0);		/* SET MULTIPLE MODE 2 */
	port_wr(0, AHCI_PX_IE, AHCI_PX_IS_DHRS);
	run(0, 0xe7, 0, 0, NULL, 0);		/* FLUSH CACHE, interrupting */
	ahci_change_media(T.hba[0], 1, T.cd);	/* UNIT ATTENTION pending on port 1 */
	ok(T.gsi_level[irq[0]] && rd(AHCI_IS) == 1, "A interrupts for port 0");
	read_all(ra);
	is_int(ahci_save(T.hba[0], &blob, &len), 0, "save A");
	is_int(len, sizeof(struct ahci_state), "fixed-size state");
	ok(!T.gsi_level[irq[1]], "B's line starts low");
	is_int(ahci_load(T.hba[1], blob, len), 0, "load into B");
	ok(T.gsi_level[irq[1]], "B's INTx is asserted again");
	T.cur = 1;
	read_all(rb);
	ok(!memcmp(ra, rb, sizeof(ra)), "every HBA and port register reads back the same");
	wr(AHCI_IS, 1);
	ok(T.gsi_level[irq[1]], "port 0 still pending: IS re-latches");
	port_wr(0, AHCI_PX_IS, 0xffffffffu);
	wr(AHCI_IS, 1);
	ok(!T.gsi_level[irq[1]], "acknowledged on B: the line drops");
	run(0, 0xec, 0, 0, NULL, 512);		/* IDENTIFY DEVICE through B's restored lists */
	vm_memory_read(&T.mem, DATA, w, sizeof(w));
	is_int(w[59], 0x102, "B kept multiple mode 2 (IDENTIFY word 59)");
	is_int(w[85] & 0x20, 0, "B kept the write cache off (word 85 bit 5)");
	run(1, 0xa0, 0, 0, tur, 0);
	ok(port_rd(1, AHCI_PX_IS) & AHCI_PX_IS_TFES, "B's CD reports the unit attention");
	is_int(port_rd(1, AHCI_PX_TFD) >> 12, 6, "sense key 6 in the error register");
	free(blob);
}

typedef void (*mutate_fn)(struct ahci_state *s);

static void m_version(struct ahci_state *s) { s->version = 0; }
static void m_ghc(struct ahci_state *s) { s->ghc |= AHCI_GHC_HR; }
static void m_is(struct ahci_state *s) { s->is = 0x80; }
static void m_pending(struct ahci_state *s) { s->pending = 3; }
static void m_clb(struct ahci_state *s) { s->port[0].clb |= 0x200; }
static void m_fb(struct ahci_state *s) { s->port[2].fb = 0x80; }
static void m_ie(struct ahci_state *s) { s->port[0].ie = 1u << 10; }
static void m_cr(struct ahci_state *s) { s->port[0].cmd &= ~AHCI_PX_CMD_CR; }
static void m_fr(struct ahci_state *s) { s->port[0].cmd &= ~AHCI_PX_CMD_FR; }
static void m_ci(struct ahci_state *s) { s->port[3].ci = 1; }
static void m_tfd(struct ahci_state *s) { s->port[0].tfd = 0x10000; }
static void m_tag(struct ahci_state *s) { s->port[0].ncq_tag = 32; }
static void m_kind(struct ahci_state *s) { s->port[4].kind = 1; }
static void m_cdsize(struct ahci_state *s) { s->port[1].cd.sectors = 63; }
static void m_halted(struct ahci_state *s) { s->port[0].halted = 2; }
static void m_mult(struct ahci_state *s) { s->port[0].set.mult = 32; }
static void m_xfer(struct ahci_state *s) { s->port[0].set.xfer_mode = 0x47; }
static void m_sense(struct ahci_state *s) { s->port[1].cd.sense_key = 0xff; }

static void test_hostile(void)
{
	static const struct { mutate_fn fn; const char *what; } cases[] = {
		{ m_version, "version 0" }, { m_ghc, "GHC.HR" }, { m_is, "IS port 7" },
		{ m_pending, "pending 3" }, { m_clb, "misaligned PxCLB" },
		{ m_fb, "misaligned PxFB" }, { m_ie, "unimplemented PxIE bit" },
		{ m_cr, "ST without CR" }, { m_fr, "FRE without FR" },
		{ m_ci, "PxCI with ST clear" }, { m_tfd, "PxTFD over 16 bits" },
		{ m_tag, "NCQ tag 32" }, { m_kind, "a disk on an empty port" },
		{ m_cdsize, "another medium size" }, { m_halted, "halted 2" },
		{ m_mult, "multiple count 32" }, { m_xfer, "Ultra DMA 7" },
		{ m_sense, "sense key 0xff" },
	};
	void *blob = NULL, *ref = NULL;
	size_t len = 0, ref_len = 0;

	ahci_save(T.hba[0], &blob, &len);
	ahci_save(T.hba[1], &ref, &ref_len);
	is_int(ahci_load(T.hba[1], blob, len - 1), -EINVAL, "truncated");
	is_int(ahci_load(T.hba[1], blob, 0), -EINVAL, "empty");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ahci_state s;

		memcpy(&s, blob, sizeof(s));
		cases[i].fn(&s);
		is_int(ahci_load(T.hba[1], &s, sizeof(s)), -EINVAL, "refused: %s", cases[i].what);
		ok(blobs_equal(T.hba[1], ref, ref_len), "B unchanged after: %s", cases[i].what);
	}
	free(blob);
	free(ref);
}

static uint64_t seed = 0x243f6a8885a308d3ull;

static uint32_t rnd(uint32_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % n);
}

/* Random byte changes: taken or refused; B then runs a command on each port regardless. */
static void test_fuzz(void)
{
	struct ahci_state base, m;
	void *blob = NULL;
	size_t len = 0;
	unsigned taken = 0, refused = 0;

	ahci_save(T.hba[0], &blob, &len);
	memcpy(&base, blob, sizeof(base));
	free(blob);
	T.cur = 1;
	for (unsigned i = 0; i < 1000; i++) {
		m = base;
		for (unsigned k = 1 + rnd(4); k; k--)
			((uint8_t *)&m)[rnd(sizeof(m))] = (uint8_t)rnd(256);
		if (ahci_load(T.hba[1], &m, sizeof(m))) {
			refused++;
			continue;
		}
		taken++;
		for (unsigned p = 0; p < 3; p++)
			run(p, 0xec, 0, 0, NULL, 512);
		wr(AHCI_IS, 0xffffffffu);
	}
	ok(taken && refused, "1000 mutated states: %u loaded and driven, %u refused", taken,
	   refused);
}

int main(void)
{
	setup();
	test_round_trip();
	test_hostile();
	test_fuzz();
	teardown();
	return tap_done();
}
