// SPDX-License-Identifier: GPL-2.0-or-later
// AHCI driven directly: HBA and port start-up, IDENTIFY, DMA read/write/flush, error recovery.
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=0 image=sd:1M:pattern");
KIT_EXPECT("args=--disk {image:sd},bus=ahci");
KIT_EXPECT("append=sectors=2048");
KIT_EXPECT("serial=ahci: [0-9a-f]{2}\\.0 8086:2922, ABAR at 0x[0-9a-f]+");
KIT_EXPECT("serial=ahci: version 0x00010301, [0-9]+ ports, [0-9]+ slots, PI 0x[0-9a-f]+");
KIT_EXPECT("serial=ahci: port 0 up, SSTS 0x[0-9a-f]+, SIG 0x00000101");
KIT_EXPECT("serial=ahci: model \"VESSEL SATA DISK\", 2048 sectors");
KIT_EXPECT("serial=ahci: host pattern read back from sectors 1 and 2047");
KIT_EXPECT("serial=ahci: sectors 8-11 written and read back");
KIT_EXPECT("serial=ahci: read past the end: TFES, TFD 0x[0-9a-f]+ \\(ERR, IDNF\\)");
KIT_EXPECT("serial=ahci: port recovered, [0-9]+ commands, [0-9]+ MSI interrupts");
/* The guest's pattern for sector s, dword j: 0xA40C0000 | s << 8 | j (little-endian). */
KIT_EXPECT("file-bytes=sd:4096:00080ca401080ca4");
KIT_EXPECT("file-bytes=sd:6140:7f0b0ca4");
/* Nothing touched the last sector: the host pattern is still there. */
KIT_EXPECT("file-bytes=sd:1048064:80ff03ca81ff03ca");

/* Register offsets and bits: Serial ATA AHCI 1.3.1 §3.1 (HBA) and §3.3 (port). */
#define CAP		0x00
#define GHC		0x04
#define IS		0x08
#define PI		0x0c
#define VS		0x10
#define GHC_AE		(1u << 31)
#define GHC_IE		(1u << 1)
#define PORT0		0x100
#define PX_CLB		0x00
#define PX_CLBU		0x04
#define PX_FB		0x08
#define PX_FBU		0x0c
#define PX_IS		0x10
#define PX_IE		0x14
#define PX_CMD		0x18
#define PX_TFD		0x20
#define PX_SIG		0x24
#define PX_SSTS		0x28
#define PX_SERR		0x30
#define PX_CI		0x38
#define CMD_ST		(1u << 0)
#define CMD_FRE		(1u << 4)
#define CMD_FR		(1u << 14)
#define CMD_CR		(1u << 15)
#define IS_TFES		(1u << 30)
#define IE_WANTED	0x7d00002fu	/* DHRS PSS SDBS DPS, the error bits (§3.3.6) */
#define IS_FATAL	0x39000000u	/* HBFS, HBDS, IFS, OFS (§3.3.5) */
#define TFD_ERR		0x01
#define TFD_DRQ		0x08
#define TFD_BSY		0x80
#define SIG_ATA		0x00000101u
/* ATA8-ACS command codes and error bits */
#define ATA_IDENTIFY	0xEC
#define ATA_READ_EXT	0x25
#define ATA_WRITE_EXT	0x35
#define ATA_FLUSH_EXT	0xEA
#define ATA_ER_IDNF	0x10
#define FIS_H2D		0x27
#define FIS_D2H		0x34
#define RFIS_D2H	0x40	/* received FIS area offset of the D2H register FIS (§4.2.1) */
#define SECTOR		512
#define HOST_PATTERN	0xCA000000u	/* run-guest.py image fill "pattern" */
#define TIMEOUT_MS	2000
#define MSI_VECTOR	0x41
#define PCI_CAP_ID_MSI	0x05

/* Command header (AHCI §4.2.2) and command table with up to 4 PRDs (§4.2.3). */
struct cmd_header {
	uint32_t dw0, prdbc, ctba, ctbau, rsvd[4];
};

struct prd {
	uint32_t dba, dbau, rsvd, dbc;
};

struct cmd_table {
	uint8_t cfis[64];
	uint8_t acmd[16];
	uint8_t rsvd[48];
	struct prd prdt[4];
};

struct hba {
	struct kit_pci_fn pci;
	uintptr_t abar, port;
	uint64_t sectors;
	uint32_t commands;
	volatile uint32_t irqs;
};

static struct hba hba;
static struct cmd_header clist[32] __attribute__((aligned(1024)));
static uint8_t rfis[256] __attribute__((aligned(256)));
static struct cmd_table ctab __attribute__((aligned(128)));
static uint32_t buf[4 * SECTOR / 4] __attribute__((aligned(16)));

static uint32_t preg(unsigned reg)
{
	return mmio_read32(hba.port + reg);
}

static void pwrite(unsigned reg, uint32_t v)
{
	mmio_write32(hba.port + reg, v);
}

static void msi_isr(struct kit_frame *f, void *ctx)
{
	struct hba *h = ctx;

	h->irqs++;
	lapic_eoi();
}

/* PCI LB 3.0 §6.8.1: point the single MSI vector at this CPU and enable it. */
static void msi_enable(void)
{
	unsigned d = hba.pci.dev, fn = hba.pci.fn;
	unsigned cap = pci_cap_find(d, fn, PCI_CAP_ID_MSI, 0);
	uint16_t ctl;

	KIT_ASSERT(cap);
	ctl = pci_cfg_read16(0, d, fn, cap + 2);
	pci_cfg_write32(0, d, fn, cap + 4, KIT_LAPIC_BASE | (uint32_t)lapic_id() << 12);
	if (ctl & (1u << 7)) {		/* 64-bit address capable */
		pci_cfg_write32(0, d, fn, cap + 8, 0);
		pci_cfg_write16(0, d, fn, cap + 12, MSI_VECTOR);
	} else {
		pci_cfg_write16(0, d, fn, cap + 8, MSI_VECTOR);
	}
	pci_cfg_write16(0, d, fn, cap + 2, (ctl & ~0x70u) | 1);	/* one message, enabled */
	KIT_ASSERT(pci_cfg_read16(0, d, fn, cap + 2) & 1);
}

/* Wait until (PxREG & mask) == want; false after ms milliseconds. */
static bool pwait(unsigned reg, uint32_t mask, uint32_t want, uint32_t ms)
{
	uint64_t start = kit_now_ms();

	while ((preg(reg) & mask) != want) {
		if (kit_now_ms() - start > ms)
			return false;
		pause();
	}
	return true;
}

/* AHCI §10.1.2: clear ST, wait for CR to clear; then FRE and FR likewise. */
static void port_stop(void)
{
	pwrite(PX_CMD, preg(PX_CMD) & ~CMD_ST);
	if (!pwait(PX_CMD, CMD_CR, 0, 500))
		KIT_FAIL("PxCMD.CR still set 500 ms after clearing ST: 0x%08x", preg(PX_CMD));
	pwrite(PX_CMD, preg(PX_CMD) & ~CMD_FRE);
	if (!pwait(PX_CMD, CMD_FR, 0, 500))
		KIT_FAIL("PxCMD.FR still set 500 ms after clearing FRE: 0x%08x", preg(PX_CMD));
}

/* AHCI §10.3.1: ST may be set only with FRE set and PxTFD.BSY, DRQ clear. */
static void port_start(void)
{
	if (!pwait(PX_TFD, TFD_BSY | TFD_DRQ, 0, 500))
		KIT_FAIL("PxTFD busy before start: 0x%08x", preg(PX_TFD));
	pwrite(PX_CMD, preg(PX_CMD) | CMD_ST);
	KIT_ASSERT(preg(PX_CMD) & CMD_CR);
}

static void find_and_map(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	struct kit_pci_window w = { 0xC000, 0x10000, 0xE0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;
	char name[8];

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor != 0x8086 || fns[i].device != 0x2922)
			continue;
		hba.pci = fns[i];
		found++;
	}
	KIT_ASSERT_EQ(found, 1);
	KIT_ASSERT_EQ(hba.pci.class_code, 0x010601);
	pci_size_bars(&hba.pci);
	KIT_ASSERT_EQ(hba.pci.bar[5].type, KIT_BAR_MEM32);
	KIT_ASSERT(pci_assign_bars(&hba.pci, &w));
	pci_command_set(&hba.pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	hba.abar = (uintptr_t)hba.pci.bar[5].addr;
	hba.port = hba.abar + PORT0;
	kit_printf("ahci: %s %04x:%04x, ABAR at 0x%x\n", pci_name(&hba.pci, name),
		   hba.pci.vendor, hba.pci.device, (uint32_t)hba.abar);
}

/* AHCI §10.1.1 firmware-less start: AE, then port 0's memory areas, errors cleared. */
static void hba_init(void)
{
	uint32_t cap = mmio_read32(hba.abar + CAP), pi = mmio_read32(hba.abar + PI);
	uint32_t vs = mmio_read32(hba.abar + VS);

	mmio_write32(hba.abar + GHC, mmio_read32(hba.abar + GHC) | GHC_AE);
	KIT_ASSERT(mmio_read32(hba.abar + GHC) & GHC_AE);
	kit_printf("ahci: version 0x%08x, %u ports, %u slots, PI 0x%x\n", vs, (cap & 0x1f) + 1,
		   (cap >> 8 & 0x1f) + 1, pi);
	KIT_ASSERT_EQ(vs, 0x00010301);
	KIT_ASSERT(pi & 1);
	KIT_ASSERT(cap & (1u << 18));	/* CAP.SAM: AHCI only, so GHC.AE stays set */

	port_stop();
	memset(clist, 0, sizeof(clist));
	memset(rfis, 0, sizeof(rfis));
	pwrite(PX_CLB, (uint32_t)(uintptr_t)clist);
	pwrite(PX_CLBU, 0);
	pwrite(PX_FB, (uint32_t)(uintptr_t)rfis);
	pwrite(PX_FBU, 0);
	KIT_ASSERT_EQ(preg(PX_CLB), (uint32_t)(uintptr_t)clist);
	KIT_ASSERT_EQ(preg(PX_FB), (uint32_t)(uintptr_t)rfis);
	pwrite(PX_SERR, 0xffffffffu);
	pwrite(PX_IS, 0xffffffffu);
	mmio_write32(hba.abar + IS, 0xffffffffu);
	pwrite(PX_IE, IE_WANTED);
	mmio_write32(hba.abar + GHC, mmio_read32(hba.abar + GHC) | GHC_IE);
	pwrite(PX_CMD, preg(PX_CMD) | CMD_FRE);
	KIT_ASSERT(pwait(PX_CMD, CMD_FR, CMD_FR, 500));
	port_start();
	kit_printf("ahci: port 0 up, SSTS 0x%x, SIG 0x%08x\n", preg(PX_SSTS), preg(PX_SIG));
	KIT_ASSERT_EQ(preg(PX_SSTS) & 0xf, 3);
	KIT_ASSERT_EQ(preg(PX_SIG), SIG_ATA);
	KIT_ASSERT_EQ(preg(PX_SERR), 0);
}

/*
 * Build slot 0: an H2D register FIS (SATA 3.x §10.5.5) with C set, 48-bit LBA, and the data
 * split into `pieces` PRDs. Issue it and poll PxCI; returns PxIS seen at completion.
 */
static uint32_t issue(uint8_t op, uint64_t lba, uint16_t count, void *data, uint32_t len,
		      unsigned pieces, bool write)
{
	uint8_t *f = ctab.cfis;
	uint32_t is;
	uint64_t start;

	memset(&ctab, 0, sizeof(ctab));
	f[0] = FIS_H2D;
	f[1] = 0x80;
	f[2] = op;
	f[4] = (uint8_t)lba, f[5] = (uint8_t)(lba >> 8), f[6] = (uint8_t)(lba >> 16);
	f[7] = 0x40;			/* device: LBA mode */
	f[8] = (uint8_t)(lba >> 24), f[9] = (uint8_t)(lba >> 32), f[10] = (uint8_t)(lba >> 40);
	f[12] = (uint8_t)count, f[13] = (uint8_t)(count >> 8);
	for (unsigned i = 0; len && i < pieces; i++) {
		ctab.prdt[i].dba = (uint32_t)(uintptr_t)data + i * (len / pieces);
		ctab.prdt[i].dbc = len / pieces - 1;
	}
	clist[0] = (struct cmd_header){
		.dw0 = 5 | (write ? 1u << 6 : 0) | (len ? pieces : 0) << 16,
		.ctba = (uint32_t)(uintptr_t)&ctab,
	};
	/* §10.7.2.1: PxIS first, then IS.IPS, so the next completion sends a new MSI. */
	pwrite(PX_IS, 0xffffffffu);
	mmio_write32(hba.abar + IS, 1);
	barrier();
	pwrite(PX_CI, 1);
	hba.commands++;
	start = kit_now_ms();
	for (;;) {
		is = preg(PX_IS);
		if (!(preg(PX_CI) & 1) || (is & (IS_TFES | IS_FATAL)))
			break;
		if (kit_now_ms() - start > TIMEOUT_MS)
			KIT_FAIL("command %02x lba %u: PxCI 0x%x PxIS 0x%x after %u ms", op,
				 (uint32_t)lba, preg(PX_CI), is, TIMEOUT_MS);
		pause();
	}
	/* The completion's MSI is pending at the LAPIC: take it with interrupts on. */
	start = kit_now_ms();
	sti();
	while (hba.irqs < hba.commands && kit_now_ms() - start < TIMEOUT_MS)
		pause();
	cli();
	KIT_ASSERT_EQ(hba.irqs, hba.commands);
	KIT_ASSERT(mmio_read32(hba.abar + IS) & 1);
	KIT_ASSERT_EQ(is & IS_FATAL, 0);
	if (!(is & IS_TFES))
		KIT_ASSERT_EQ(clist[0].prdbc, len);
	return is;
}

static void ok_cmd(uint8_t op, uint64_t lba, uint16_t count, void *data, unsigned pieces,
		   bool write)
{
	uint32_t is = issue(op, lba, count, data, count * SECTOR, pieces, write);

	if (is & IS_TFES)
		KIT_FAIL("command %02x lba %u: task file error, TFD 0x%x", op, (uint32_t)lba,
			 preg(PX_TFD));
	KIT_ASSERT_EQ(preg(PX_TFD) & (TFD_ERR | TFD_DRQ | TFD_BSY), 0);
}

/* ATA8-ACS §7.16 IDENTIFY DEVICE: model in words 27-46 (byte-swapped), LBA48 in 100-103. */
static void identify(void)
{
	uint16_t *w = (uint16_t *)buf;
	char model[41];
	unsigned n = 40;

	memset(buf, 0, SECTOR);
	KIT_ASSERT_EQ(issue(ATA_IDENTIFY, 0, 0, buf, SECTOR, 1, false) & IS_TFES, 0);
	for (unsigned i = 0; i < 20; i++) {
		model[2 * i] = (char)(w[27 + i] >> 8);
		model[2 * i + 1] = (char)w[27 + i];
	}
	while (n && model[n - 1] == ' ')
		n--;
	model[n] = 0;
	hba.sectors = (uint64_t)w[103] << 48 | (uint64_t)w[102] << 32 |
		      (uint32_t)w[101] << 16 | w[100];
	kit_printf("ahci: model \"%s\", %u sectors\n", model, (uint32_t)hba.sectors);
	KIT_ASSERT(strncmp(model, "VESSEL SATA DISK", 41) == 0);
	KIT_ASSERT(w[83] & (1u << 10));	/* 48-bit address feature set */
	KIT_ASSERT_EQ(hba.sectors, kit_cmdline_u64("sectors", 0));
	KIT_ASSERT_EQ((uint32_t)w[61] << 16 | w[60], hba.sectors);
}

static void check_host_pattern(uint32_t sector)
{
	memset(buf, 0, SECTOR);
	ok_cmd(ATA_READ_EXT, sector, 1, buf, 1, false);
	for (unsigned j = 0; j < SECTOR / 4; j++) {
		if (buf[j] != (HOST_PATTERN | (sector * SECTOR / 4 + j)))
			KIT_FAIL("sector %u dword %u: 0x%08x, want 0x%08x", sector, j, buf[j],
				 HOST_PATTERN | (sector * SECTOR / 4 + j));
	}
}

static void write_read_back(void)
{
	static uint32_t want[4 * SECTOR / 4];

	for (unsigned s = 0; s < 4; s++)
		for (unsigned j = 0; j < SECTOR / 4; j++)
			want[s * SECTOR / 4 + j] = 0xA40C0000u | (8 + s) << 8 | j;
	memcpy(buf, want, sizeof(want));
	ok_cmd(ATA_WRITE_EXT, 8, 4, buf, 2, true);
	memset(buf, 0, sizeof(buf));
	ok_cmd(ATA_READ_EXT, 8, 4, buf, 1, false);
	for (unsigned i = 0; i < 4 * SECTOR / 4; i++) {
		if (buf[i] != want[i])
			KIT_FAIL("read back dword %u: 0x%08x, wrote 0x%08x", i, buf[i], want[i]);
	}
	ok_cmd(ATA_FLUSH_EXT, 0, 0, NULL, 0, false);
	kit_printf("ahci: sectors 8-11 written and read back\n");
}

/*
 * A read past the end fails with IDNF: PxIS.TFES, PxTFD.ERR, PxCI kept (AHCI §6.1.2). The
 * recovery of §6.2.2.1: clear ST, wait for CR, clear PxSERR and PxIS, set ST again.
 */
static void error_and_recovery(void)
{
	uint32_t is = issue(ATA_READ_EXT, hba.sectors, 1, buf, SECTOR, 1, false), tfd;

	tfd = preg(PX_TFD);
	KIT_ASSERT(is & IS_TFES);
	KIT_ASSERT(tfd & TFD_ERR);
	KIT_ASSERT_EQ(tfd >> 8 & 0xff, ATA_ER_IDNF);
	KIT_ASSERT_EQ(preg(PX_CI) & 1, 1);
	KIT_ASSERT_EQ(rfis[RFIS_D2H], FIS_D2H);
	KIT_ASSERT(rfis[RFIS_D2H + 2] & TFD_ERR);
	KIT_ASSERT_EQ(rfis[RFIS_D2H + 3], ATA_ER_IDNF);
	kit_printf("ahci: read past the end: TFES, TFD 0x%x (ERR, IDNF)\n", tfd);

	pwrite(PX_CMD, preg(PX_CMD) & ~CMD_ST);
	if (!pwait(PX_CMD, CMD_CR, 0, 500))
		KIT_FAIL("PxCMD.CR still set after clearing ST: 0x%08x", preg(PX_CMD));
	KIT_ASSERT_EQ(preg(PX_CI), 0);
	pwrite(PX_SERR, 0xffffffffu);
	pwrite(PX_IS, 0xffffffffu);
	mmio_write32(hba.abar + IS, 1);
	KIT_ASSERT_EQ(preg(PX_IS), 0);
	port_start();
	check_host_pattern(2);
	kit_printf("ahci: port recovered, %u commands, %u MSI interrupts\n", hba.commands,
		   hba.irqs);
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	kit_tsc_per_ms();
	lapic_enable();
	kit_set_handler(MSI_VECTOR, msi_isr, &hba);
	find_and_map();
	msi_enable();
	hba_init();
	identify();
	check_host_pattern(1);
	check_host_pattern((uint32_t)hba.sectors - 1);
	kit_printf("ahci: host pattern read back from sectors 1 and %u\n",
		   (uint32_t)hba.sectors - 1);
	write_read_back();
	error_and_recovery();
	port_stop();
}
