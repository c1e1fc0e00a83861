// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the IDE controller: ATA PIO/DMA, IRQs, SRST, PRD walks, the PCI function. */
#include "ide-test-rig.h"

/* ---- ATA tests --------------------------------------------------------------------- */

static void test_empty_channel(void)
{
	is_int(inb(P + 7), 0xff, "no drives: the bus floats (status 0xFF)");
	outb(P + 2, 0x55);
	is_int(inb(P + 2), 0xff, "no drives: registers do not latch");
	is_int(ide_attach(R.ide, 0, 0, R.disk, IDE_DISK), 0, "attach disk as primary master");
	is_int(ide_attach(R.ide, 0, 0, R.disk, IDE_DISK), -EBUSY, "position taken");
	is_int(ide_attach(R.ide, 2, 0, R.disk, IDE_DISK), -EINVAL, "no channel 2");
	is_int(ide_attach(R.ide, 1, 1, NULL, IDE_DISK), -EINVAL, "a disk needs an image");
	is_int(ide_attach(R.ide, 1, 0, R.cd, IDE_CDROM), 0, "attach CD as secondary master");
	is_int(ide_attach(R.ide, 1, 1, R.big, IDE_DISK), 0, "attach big disk as secondary slave");
	outb(P + 6, DEV0);
	outb(P + 2, 0x55);
	outb(P + 3, 0xaa);
	ok(inb(P + 2) == 0x55 && inb(P + 3) == 0xaa && inb(P + 6) == DEV0,
	   "registers read back (SeaBIOS's presence check)");
	outb(P + 6, DEV1);
	is_int(inb(P + 7), 0x00, "absent slave: device 0 answers status 00h");
	is_int(inb(P + 6) | inb(P + 2), 0, "absent slave: its registers read as zero");
	outb(P + 7, 0xec);
	is_int(inb(P + 7), 0x00, "a command to the absent slave is ignored");
	outb(P + 6, DEV0);
}

static void test_identify(void)
{
	uint16_t w[256];
	uint8_t sum = 0;
	char s[48];

	R.raises[14] = 0;
	outb(P + 6, DEV0);
	outb(P + 7, 0xec);
	is_int(R.level[14], 1, "IDENTIFY raises IRQ 14");
	is_int(inb(PCTL) & (ST_DRQ | ST_DRDY), ST_DRQ | ST_DRDY, "alt status: DRQ");
	is_int(R.level[14], 1, "reading alternate status keeps the IRQ");
	is_int(inb(P + 7) & ST_DRQ, ST_DRQ, "status: DRQ");
	is_int(R.level[14], 0, "reading status lowers the IRQ");
	for (unsigned i = 0; i < 128; i++) {	/* 32-bit PIO */
		uint32_t v = inl(P);

		w[2 * i] = (uint16_t)v;
		w[2 * i + 1] = (uint16_t)(v >> 16);
	}
	is_int(inb(P + 7), ST_DRDY | 0x10, "after 512 bytes: DRDY|DSC, no DRQ");
	id_string(&w[27], 20, s);
	ok(!strcmp(s, "VESSEL HARDDISK"), "model: '%s'", s);
	id_string(&w[10], 10, s);
	ok(strlen(s) == 18 && !strncmp(s, "VS", 2), "serial: '%s'", s);
	id_string(&w[23], 4, s);
	ok(s[0] != 0, "firmware revision: '%s'", s);
	is_int(w[0] & 0x8080, 0, "ATA device, not removable");
	is_int(w[49] & 0x0300, 0x0300, "capabilities: LBA and DMA");
	is_int(w[60] | (uint32_t)w[61] << 16, DISK_SECTORS, "LBA28 sector count");
	is_int(w[100] | (uint32_t)w[101] << 16, DISK_SECTORS, "LBA48 sector count");
	ok((w[83] & 0x0400) && (w[86] & 0x0400), "words 83/86: 48-bit address feature set");
	is_int(w[88] & 0x3f, 0x3f, "Ultra DMA 0-5 supported");
	is_int(w[93] & 0xdf61, 0x4041, "word 93: no device 1 (SeaBIOS skips the slave)");
	is_int(w[255] & 0xff, 0xa5, "word 255 signature");
	for (unsigned i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	is_int(sum, 0, "identify checksum: 512 bytes sum to zero");

	identify(S, DEV1, 0xec, w);
	is_int(w[60] | (uint32_t)w[61] << 16, 0x0fffffff, "big disk: LBA28 count saturates");
	is_int(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32,
	       BIG_BYTES / 512, "big disk: LBA48 count");
	identify(P, DEV0, 0xa1, w);
	is_int(inb(P + 7) & ST_ERR, ST_ERR, "IDENTIFY PACKET DEVICE on a disk: error");
	is_int(inb(P + 1), ER_ABRT, "... ABRT");

	outb(P + 1, 0x03);		/* SET FEATURES: transfer mode UDMA 5 */
	outb(P + 2, 0x45);
	outb(P + 7, 0xef);
	is_int(inb(P + 7) & ST_ERR, 0, "SET FEATURES transfer mode");
	identify(P, DEV0, 0xec, w);
	is_int(w[88] & 0xff00, 0x2000, "word 88: UDMA 5 selected");
	outb(P + 1, 0x77);
	outb(P + 7, 0xef);
	is_int(inb(P + 1), ER_ABRT, "SET FEATURES unknown subcommand: ABRT");
}

static void test_pio_read(void)
{
	static uint8_t buf[64 * 512];
	uint8_t st;

	R.raises[14] = 0;
	tf28(P, DEV0, 1, 5);
	outb(P + 7, 0x20);
	st = pio_read_all(P, buf, 1, 1);
	ok(sector_is(buf, 512, 5), "READ SECTORS: sector 5");
	is_int(st, ST_DRDY | 0x10, "status after the last word");
	is_int(R.raises[14], 1, "one interrupt for one block");

	R.raises[14] = 0;
	tf28(P, DEV0, 8, 100);
	outb(P + 7, 0x20);
	st = pio_read_all(P, buf, 8, 1);
	ok(sector_is(buf, 512, 100) && sector_is(buf + 7 * 512, 512, 107), "8 sectors at 100");
	is_int(R.raises[14], 8, "an interrupt per DRQ block");
	is_int(st & (ST_DRQ | ST_ERR), 0, "done");

	tf28(P, DEV0, 0, 0);		/* count 0 = 256 sectors */
	outb(P + 7, 0x20);
	st = pio_read_all(P, buf, 64, 1);
	ok(sector_is(buf + 63 * 512, 512, 63), "count 0 means 256: first 64 arrive");
	is_int(st & ST_DRQ, ST_DRQ, "... and more are pending");
	outb(P + 7, 0xe5);		/* a new command abandons the transfer */
	is_int(inb(P + 2), 0xff, "CHECK POWER MODE: active (FFh)");
	is_int(inb(P + 7) & ST_DRQ, 0, "the old transfer is gone");

	R.raises[14] = 0;
	outb(P + 2, 4);
	outb(P + 7, 0xc6);		/* SET MULTIPLE MODE 4 */
	is_int(inb(P + 7) & ST_ERR, 0, "SET MULTIPLE 4");
	R.raises[14] = 0;
	tf28(P, DEV0, 8, 200);
	outb(P + 7, 0xc4);
	st = pio_read_all(P, buf, 8, 4);
	ok(sector_is(buf, 512, 200) && sector_is(buf + 7 * 512, 512, 207), "READ MULTIPLE");
	is_int(R.raises[14], 2, "two DRQ blocks of 4: two interrupts");
	outb(P + 2, 3);
	outb(P + 7, 0xc6);
	is_int(inb(P + 1), ER_ABRT, "SET MULTIPLE 3 (not a power of two): ABRT");
	outb(P + 2, 0);
	outb(P + 7, 0xc6);
	tf28(P, DEV0, 1, 0);
	outb(P + 7, 0xc4);
	is_int(inb(P + 1), ER_ABRT, "READ MULTIPLE with multiple mode off: ABRT");

	/* CHS through the default translation (16 heads, 63 sectors): C0/H1/S1 = LBA 63 */
	outb(P + 6, DEV0 | 1);
	outb(P + 2, 1);
	outb(P + 3, 1);
	outb(P + 4, 0);
	outb(P + 5, 0);
	outb(P + 7, 0x20);
	st = pio_read_all(P, buf, 1, 1);
	ok(sector_is(buf, 512, 63), "CHS addressing");
	outb(P + 6, DEV0);
	outb(P + 3, 0);			/* sector 0 does not exist */
	outb(P + 7, 0x20);
	is_int(inb(P + 1), ER_IDNF, "CHS sector 0: IDNF");
}

static void test_lba48(void)
{
	static uint8_t buf[4 * 512];
	uint64_t lba = 0x12345678ull;	/* beyond 28 bits, inside 200 GiB */
	int fd = open(tpath("big.img"), O_RDWR);
	uint8_t st;

	fill_sector(buf, 512, 0xabcd0001);
	fill_sector(buf + 512, 512, 0xabcd0002);
	if (pwrite(fd, buf, 1024, (off_t)(lba * 512)) != 1024)
		abort();
	close(fd);
	memset(buf, 0, sizeof(buf));
	tf48(S, DEV1, 2, lba);
	outb(S + 7, 0x24);
	st = pio_read_all(S, buf, 2, 1);
	ok(sector_is(buf, 512, 0xabcd0001) && sector_is(buf + 512, 512, 0xabcd0002),
	   "READ SECTORS EXT above 2^28");
	is_int(st & (ST_ERR | ST_DRQ), 0, "done");
	outb(SCTL, 0x80);		/* HOB: read the previous contents */
	is_int(inb(S + 3), (lba >> 24) & 0xff, "HOB: LBA low (previous) reads back");
	outb(SCTL, 0x00);
	is_int(inb(S + 3), lba & 0xff, "LBA low (current)");

	fill_sector(buf, 512, 0x77777777);
	tf48(S, DEV1, 1, BIG_BYTES / 512 - 1);
	outb(S + 7, 0x34);
	pio_out(S, buf, 512);
	is_int(inb(S + 7) & (ST_ERR | ST_DRQ), 0, "WRITE SECTORS EXT at the last sector");
	tf48(S, DEV1, 2, BIG_BYTES / 512 - 1);
	outb(S + 7, 0x24);
	is_int(inb(S + 7) & ST_ERR, ST_ERR, "READ EXT one past the end: error");
	is_int(inb(S + 1), ER_IDNF, "... IDNF");
	tf48(S, DEV1, 1, 0xffffffffffffull);
	outb(S + 7, 0x24);
	is_int(inb(S + 1), ER_IDNF, "READ EXT at LBA 2^48-1: IDNF");
}

static void test_pio_write(void)
{
	static uint8_t buf[4 * 512], back[512];
	uint64_t before;

	R.raises[14] = 0;
	for (unsigned i = 0; i < 3; i++)
		fill_sector(buf + i * 512, 512, 0xc0de0000 + i);
	tf28(P, DEV0, 3, 50);
	outb(P + 7, 0x30);
	is_int(R.raises[14], 0, "WRITE SECTORS: no interrupt before the first block");
	for (unsigned i = 0; i < 3; i++) {
		is_int(inb(P + 7) & ST_DRQ, ST_DRQ, "block %u: DRQ", i);
		pio_out(P, buf + i * 512, 512);
	}
	is_int(inb(P + 7) & (ST_DRQ | ST_ERR), 0, "write complete");
	is_int(R.raises[14], 3, "an interrupt after each block");
	blk_pread(R.disk, 51 * 512, back, 512);
	ok(sector_is(back, 512, 0xc0de0001), "sector 51 on the image");

	outb(P + 2, 2);
	outb(P + 7, 0xc6);
	tf28(P, DEV0, 4, 60);
	outb(P + 7, 0xc5);		/* WRITE MULTIPLE, 2 per block */
	pio_out(P, buf, 1024);
	pio_out(P, buf, 1024);
	is_int(inb(P + 7) & (ST_DRQ | ST_ERR), 0, "WRITE MULTIPLE complete");
	blk_pread(R.disk, 63 * 512, back, 512);
	ok(sector_is(back, 512, 0xc0de0001), "sector 63 written");
	outb(P + 7, 0xe7);
	is_int(inb(P + 7) & ST_ERR, 0, "FLUSH CACHE");
	outb(P + 7, 0xea);
	is_int(inb(P + 7) & ST_ERR, 0, "FLUSH CACHE EXT");

	/* Past the end: IDNF, and the image is never touched. */
	before = R.disk->requests;
	tf28(P, DEV0, 2, DISK_SECTORS - 1);
	outb(P + 7, 0x20);
	is_int(inb(P + 7) & (ST_ERR | ST_DRQ), ST_ERR, "read past the end: ERR, no DRQ");
	is_int(inb(P + 1), ER_IDNF, "... IDNF");
	tf28(P, DEV0, 1, DISK_SECTORS);
	outb(P + 7, 0x30);
	is_int(inb(P + 1), ER_IDNF, "write at sector == size: IDNF");
	tf28(P, DEV0, 1, DISK_SECTORS);
	outb(P + 7, 0x40);
	is_int(inb(P + 1), ER_IDNF, "READ VERIFY past the end: IDNF");
	tf28(P, DEV0, 10, 10);
	outb(P + 7, 0x40);
	is_int(inb(P + 7) & ST_ERR, 0, "READ VERIFY in range");
	is_int(R.disk->requests - before, 0, "the image was not touched by any of them");
	outb(P + 7, 0x5a);
	is_int(inb(P + 1), ER_ABRT, "unknown command: ABRT");
}

static void test_read_only(void)
{
	uint8_t buf[512] = { 0 }, back[512];
	uint64_t errs;

	is_int(ide_attach(R.ide, 0, 1, R.ro, IDE_DISK), 0, "attach read-only disk as slave");
	errs = glog_count();
	tf28(P, DEV1, 1, 3);
	outb(P + 7, 0x30);
	is_int(inb(P + 7) & (ST_ERR | ST_DRQ), ST_ERR, "write to a read-only disk: ERR");
	is_int(inb(P + 1), ER_ABRT, "... ABRT");
	ok(glog_count() > errs, "... and a guest error is logged");
	pio_out(P, buf, 512);		/* a stubborn guest writes anyway */
	blk_pread(R.ro, 3 * 512, back, 512);
	ok(sector_is(back, 512, 0x1003), "the image is unchanged");
	tf28(P, DEV1, 1, 3);
	outb(P + 7, 0xca);
	is_int(inb(P + 1), ER_ABRT, "WRITE DMA to a read-only disk: ABRT");
	tf28(P, DEV1, 1, 3);
	outb(P + 7, 0x20);
	pio_read_all(P, back, 1, 1);
	ok(sector_is(back, 512, 0x1003), "reads work");
	outb(P + 6, DEV0);
}

static void test_irq_and_reset(void)
{
	uint16_t w[256];

	R.raises[14] = 0;
	outb(PCTL, 0x02);		/* nIEN */
	outb(P + 6, DEV0);
	outb(P + 7, 0xe5);
	is_int(R.level[14], 0, "nIEN: no interrupt");
	outb(PCTL, 0x00);
	is_int(R.level[14], 1, "clearing nIEN lets the pending interrupt through");
	inb(P + 7);
	is_int(R.level[14], 0, "status read acknowledges");

	identify(P, DEV0, 0xec, w);
	is_int(w[93] & 0xdf61, 0x4021, "word 93 with a slave present: probe it");
	outb(P + 6, DEV1);
	outb(PCTL, 0x04);		/* SRST */
	is_int(inb(PCTL), ST_BSY, "SRST held: BSY");
	outb(PCTL, 0x00);
	is_int(inb(P + 6) & 0x10, 0, "after SRST device 0 is selected");
	ok(inb(P + 2) == 1 && inb(P + 3) == 1 && inb(P + 4) == 0 && inb(P + 5) == 0,
	   "ATA signature 01/01/00/00");
	is_int(inb(P + 1), 0x01, "diagnostic code 01h");
	is_int(inb(P + 7), ST_DRDY | 0x10, "disk ready after SRST");
	is_int(R.level[14], 0, "SRST raises no interrupt");

	outb(S + 6, DEV0);
	outb(SCTL, 0x04);
	outb(SCTL, 0x00);
	ok(inb(S + 4) == 0x14 && inb(S + 5) == 0xeb, "ATAPI signature 14h/EBh");
	is_int(inb(S + 7), 0, "packet device: status 00h after reset");

	outb(S + 6, DEV1);
	outb(S + 7, 0x90);		/* EXECUTE DEVICE DIAGNOSTIC */
	outb(S + 6, DEV0);
	is_int(inb(S + 1), 0x01, "EXECUTE DEVICE DIAGNOSTIC: device 0 passed");
	outb(S + 6, DEV1);
	ok(inb(S + 4) == 0 && inb(S + 5) == 0, "... and device 1 shows the ATA signature");
	outb(S + 6, DEV0);
	inb(S + 7);
}

/* ---- Bus-master DMA ---------------------------------------------------------------- */

static uint8_t dma_run(uint32_t table, bool to_mem, uint8_t cmd, uint8_t count, uint32_t lba)
{
	uint8_t dir = to_mem ? 0x08 : 0x00, bmst;

	outl(BM + 4, table);
	outb(BM, dir);
	outb(BM + 2, 0x06);
	tf28(P, DEV0, count, lba);
	outb(P + 7, cmd);
	outb(BM, dir | 0x01);
	bmst = inb(BM + 2);
	outb(BM, dir);
	return bmst;
}

static void test_dma(void)
{
	static uint8_t buf[64 * 1024];
	struct ide_stats st0, st1;
	uint8_t bmst;

	R.raises[14] = 0;
	put_prd(0x10000, 0, 0x20000, 1024, false);
	put_prd(0x10000, 1, 0x30000, 512, false);
	put_prd(0x10000, 2, 0x40000, 2048, true);
	bmst = dma_run(0x10000, true, 0xc8, 7, 10);
	is_int(bmst & 0x07, 0x04, "READ DMA: interrupt, not active, no error");
	is_int(inb(P + 7) & (ST_ERR | ST_DRQ), 0, "device done");
	is_int(R.raises[14], 1, "one interrupt");
	vm_memory_read(&R.mem, 0x20000, buf, 1024);
	ok(sector_is(buf, 512, 10) && sector_is(buf + 512, 512, 11), "PRD 0: sectors 10-11");
	vm_memory_read(&R.mem, 0x30000, buf, 512);
	ok(sector_is(buf, 512, 12), "PRD 1: sector 12");
	vm_memory_read(&R.mem, 0x40000, buf, 2048);
	ok(sector_is(buf, 512, 13) && sector_is(buf + 1536, 512, 16), "PRD 2: sectors 13-16");

	fill_sector(buf, 512, 0xd1a0d1a0);
	fill_sector(buf + 512, 512, 0xd1a0d1a1);
	vm_memory_write(&R.mem, 0x50000, buf, 1024);
	put_prd(0x10000, 0, 0x50000, 1024, true);
	bmst = dma_run(0x10000, false, 0xca, 2, 300);
	is_int(bmst & 0x07, 0x04, "WRITE DMA: done");
	blk_pread(R.disk, 301 * 512, buf, 512);
	ok(sector_is(buf, 512, 0xd1a0d1a1), "WRITE DMA reached the image");

	/* A 64 KiB entry (count 0), larger than the transfer: Active stays set. */
	put_prd(0x10000, 0, 0x60000, 0, false);
	bmst = dma_run(0x10000, true, 0xc8, 4, 500);
	is_int(bmst & 0x07, 0x05, "PRD larger than the transfer: interrupt + active");
	vm_memory_read(&R.mem, 0x60000 + 3 * 512, buf, 512);
	ok(sector_is(buf, 512, 503), "no EOT needed once the transfer is satisfied");
	put_prd(0x10000, 0, 0x60000, 0, true);
	bmst = dma_run(0x10000, true, 0xc8, 128, 1000);
	is_int(bmst & 0x07, 0x04, "count 0 = 64 KiB: exactly 128 sectors");
	vm_memory_read(&R.mem, 0x60000 + 127 * 512, buf, 512);
	ok(sector_is(buf, 512, 1127), "last sector of the 64 KiB entry");

	/* Command first, start later, or start first and command later: both work. */
	put_prd(0x10000, 0, 0x20000, 512, true);
	outl(BM + 4, 0x10000);
	outb(BM + 2, 0x06);
	outb(BM, 0x09);
	tf28(P, DEV0, 1, 42);
	outb(P + 7, 0xc8);
	is_int(inb(BM + 2) & 0x07, 0x04, "bus master started before the command");
	outb(BM, 0x08);
	vm_memory_read(&R.mem, 0x20000, buf, 512);
	ok(sector_is(buf, 512, 42), "... data arrived");

	/* PRD pointing outside RAM: DMA error, never a host crash. */
	ide_get_stats(R.ide, &st0);
	put_prd(0x10000, 0, 0xf0000000u, 512, true);
	bmst = dma_run(0x10000, true, 0xc8, 1, 0);
	is_int(bmst & 0x07, 0x06, "PRD outside RAM: error + interrupt, not active");
	is_int(inb(P + 7) & ST_ERR, ST_ERR, "device reports an error");
	is_int(inb(P + 1), ER_ABRT, "... ABRT");
	put_prd(0x10000, 0, 16 << 20, 512, true);	/* one byte past RAM's end */
	bmst = dma_run(0x10000, true, 0xc8, 1, 0);
	is_int(bmst & 0x02, 0x02, "PRD at the end of RAM: error");
	bmst = dma_run(0xfec00000u, true, 0xc8, 1, 0);
	is_int(bmst & 0x02, 0x02, "PRD table in MMIO: error");
	ide_get_stats(R.ide, &st1);
	is_int(st1.dma_errors - st0.dma_errors, 3, "three DMA errors counted");

	/* PRD table too short: the command fails instead of hanging. */
	put_prd(0x10000, 0, 0x20000, 512, true);
	bmst = dma_run(0x10000, true, 0xc8, 2, 0);
	is_int(bmst & 0x07, 0x04, "PRD too short: not active");
	is_int(inb(P + 1), ER_ABRT, "... and the command aborts");

	/* No EOT anywhere: the walk stops after 65536/8 entries. */
	for (unsigned i = 0; i < 8200; i++)
		put_prd(0x200000, i, 0x400000 + 2 * i, 2, false);
	ide_get_stats(R.ide, &st0);
	bmst = dma_run(0x200000, true, 0xc8, 64, 0);
	ide_get_stats(R.ide, &st1);
	is_int(st1.prd_steps - st0.prd_steps, 8192, "walk bounded at 8192 entries");
	is_int(bmst & 0x07, 0x06, "... then a DMA error");
	is_int(inb(P + 7) & (ST_ERR | ST_DRQ), ST_ERR, "... and the command ends");

	/* Status bits: write-1-to-clear, drive-capable bits stick. */
	outb(BM + 2, 0x66);
	is_int(inb(BM + 2), 0x60, "BM status: W1C error/interrupt, drive DMA bits kept");
	outl(BM + 4, 0x12345677);
	is_int(inl(BM + 4), 0x12345674, "PRD pointer: dword aligned");
}

/* ---- The PIIX3 function on a PCI bus ------------------------------------------------ */

static uint32_t cfg_read(unsigned devfn, unsigned off)
{
	outl(0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_write(unsigned devfn, unsigned off, uint32_t v, unsigned size)
{
	outl(0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc));
	if (size == 4)
		outl(0xcfc, v);
	else if (size == 2)
		outw((uint16_t)(0xcfc + (off & 2)), (uint16_t)v);
	else
		outb((uint16_t)(0xcfc + (off & 3)), (uint8_t)v);
}

static void test_pci(void)
{
	struct vmm_bus pio, mmio;
	struct pci_bus_config bcfg = { .pio = &pio, .mmio = &mmio, .mem = &R.mem, .log = &R.glog };
	struct ide_config cfg = { .irq = { { irq_set, NULL, 14 }, { irq_set, NULL, 15 } },
				  .glog = &R.glog };
	const unsigned fn = (1 << 3) | 1;
	static uint8_t buf[512];
	struct pci_bus *bus;
	struct ide *ide;
	uint8_t bmst;

	vmm_bus_init(&pio, "pio", &R.glog);
	vmm_bus_init(&mmio, "mmio", &R.glog);
	bus = pci_bus_new(&bcfg);
	ide = ide_new(&cfg);
	ok(bus && ide, "PCI bus and a controller without legacy ports");
	if (!bus || !ide)
		return;
	R.cur = &pio;
	ide_attach(ide, 0, 0, R.disk, IDE_DISK);
	is_int(ide_pci_init(ide, bus), 0, "ide_pci_init");
	is_int(ide_pci_init(ide, bus), -EBUSY, "only once");
	is_int(cfg_read(fn, 0), 0x70108086, "00:01.1 is 8086:7010");
	is_int(cfg_read(fn, 8) >> 8, 0x010180, "class IDE, prog-if 80h");
	is_int(cfg_read(fn, 0x3c) >> 8 & 0xff, 0, "no interrupt pin: IRQ 14/15 directly");
	is_int(inb(P + 7), 0xff, "I/O space disabled: no legacy ports");
	cfg_write(fn, 0x20, 0xffffffffu, 4);
	is_int(cfg_read(fn, 0x20), 0xfffffff1u, "BAR4: 16 bytes of I/O");
	cfg_write(fn, 0x20, 0xc040, 4);
	cfg_write(fn, 0x04, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
	is_int(inb(P + 7), ST_DRDY | 0x10, "I/O enabled: the disk answers at 1F7h");
	cfg_write(fn, 0x40, 0x0000, 2);
	is_int(inb(P + 7), 0xff, "IDETIM decode off: primary ports gone");
	cfg_write(fn, 0x40, 0x8000, 2);
	is_int(inb(P + 7), ST_DRDY | 0x10, "decode on again");

	put_prd(0x10000, 0, 0x20000, 512, true);
	outl(0xc040 + 4, 0x10000);
	outb(0xc040, 0x08);
	outb(0xc040 + 2, 0x06);
	tf28(P, DEV0, 1, 77);
	outb(P + 7, 0xc8);
	outb(0xc040, 0x09);
	bmst = inb(0xc040 + 2);
	outb(0xc040, 0x08);
	is_int(bmst & 0x07, 0x04, "DMA through the PCI function");
	vm_memory_read(&R.mem, 0x20000, buf, 512);
	ok(sector_is(buf, 512, 77), "... sector 77 in memory");

	cfg_write(fn, 0x04, PCI_COMMAND_IO, 2);
	outb(0xc040 + 2, 0x06);
	tf28(P, DEV0, 1, 78);
	outb(P + 7, 0xc8);
	outb(0xc040, 0x09);
	bmst = inb(0xc040 + 2);
	outb(0xc040, 0x08);
	is_int(bmst & 0x07, 0x06, "bus mastering off: DMA error, not a write to memory");
	vm_memory_read(&R.mem, 0x20000, buf, 512);
	ok(sector_is(buf, 512, 77), "... memory untouched");

	ide_free(ide);
	is_int(inb(0xc040 + 2), 0xff, "after ide_free the BAR is gone");
	R.cur = &R.pio;
	pci_bus_free(bus);
	vmm_bus_destroy(&mmio);
	vmm_bus_destroy(&pio);
}

int main(void)
{
	if (rig_setup())
		skip_all("cannot set up the rig (temporary files, memory)");
	test_empty_channel();
	test_identify();
	test_pio_read();
	test_lba48();
	test_pio_write();
	test_read_only();
	test_irq_and_reset();
	test_dma();
	test_pci();
	rig_teardown();
	return tap_done();
}
