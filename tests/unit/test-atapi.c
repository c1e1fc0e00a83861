// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the ATAPI CD-ROM: packet protocol, MMC commands, DMA, media change, ISO checks. */
#include "ide-test-rig.h"

/* ---- ATAPI ------------------------------------------------------------------------- */

struct pkt {
	int len;		/* bytes received, or -(error register) */
	unsigned pieces;
	uint8_t ireason;
};

static struct pkt packet(const uint8_t *cdb, uint16_t limit, uint8_t *buf, size_t max)
{
	struct pkt r = { 0 };
	uint8_t st;

	outb(S + 6, DEV0);
	outb(S + 1, 0);
	outb(S + 4, (uint8_t)limit);
	outb(S + 5, (uint8_t)(limit >> 8));
	outb(S + 7, 0xa0);
	if ((inb(S + 7) & ST_DRQ) == 0 || inb(S + 2) != 0x01) {
		r.len = -1000;
		return r;
	}
	pio_out(S, cdb, 12);
	for (;;) {
		st = inb(S + 7);
		if (st & ST_ERR) {
			r.len = -(int)inb(S + 1);
			break;
		}
		if (!(st & ST_DRQ))
			break;
		unsigned n = inb(S + 4) | inb(S + 5) << 8;

		if (r.len + n > max) {
			r.len = -2000;
			return r;
		}
		pio_in(S, buf + r.len, n);
		r.len += (int)n;
		r.pieces++;
	}
	r.ireason = inb(S + 2);
	return r;
}

static void cdb_read10(uint8_t *cdb, uint32_t lba, uint16_t count)
{
	memset(cdb, 0, 12);
	cdb[0] = 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(count >> 8);
	cdb[8] = (uint8_t)count;
}

static void sense(uint8_t *key, uint8_t *asc, uint8_t *ascq)
{
	uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 }, buf[64];
	struct pkt r = packet(cdb, 18, buf, sizeof(buf));

	*key = r.len == 18 ? buf[2] & 0x0f : 0xff;
	*asc = buf[12];
	*ascq = buf[13];
}

static bool sense_is(uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint8_t k, a, q;

	sense(&k, &a, &q);
	if (k != key || a != asc || q != ascq)
		printf("#   sense %x/%02x/%02x\n", k, a, q);
	return k == key && a == asc && q == ascq;
}

static const uint8_t cdb_tur[12];

static void test_atapi_basics(void)
{
	static uint8_t buf[16384];
	uint8_t cdb[12] = { 0x12, 0, 0, 0, 36 };
	uint16_t w[256];
	struct pkt r;
	char s[48];

	identify(S, DEV0, 0xa1, w);
	is_int(w[0], 0x85c0, "IDENTIFY PACKET: ATAPI CD-ROM, removable, 12-byte packets");
	id_string(&w[27], 20, s);
	ok(!strcmp(s, "VESSEL DVD-ROM"), "model '%s'", s);
	identify(S, DEV0, 0xec, w);
	is_int(inb(S + 1), ER_ABRT, "IDENTIFY DEVICE on ATAPI: ABRT");
	ok(inb(S + 4) == 0x14 && inb(S + 5) == 0xeb, "... with the packet signature");

	r = packet(cdb, 36, buf, sizeof(buf));
	is_int(r.len, 36, "INQUIRY: 36 bytes");
	is_int(buf[0] & 0x1f, 5, "peripheral type 5 (CD/DVD)");
	ok(!memcmp(buf + 8, "VESSEL  ", 8) && !memcmp(buf + 16, "DVD-ROM", 7), "vendor/product");
	is_int(r.ireason, 3, "completion: interrupt reason C/D and I/O");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, 0, "TEST UNIT READY: good");
	memset(cdb, 0, 12);
	cdb[0] = 0x25;
	r = packet(cdb, 8, buf, sizeof(buf));
	is_int(r.len, 8, "READ CAPACITY");
	is_int(buf[3] | buf[2] << 8, CD_SECTORS - 1, "last LBA");
	is_int(buf[6] << 8 | buf[7], 2048, "block size 2048");

	R.raises[15] = 0;
	cdb_read10(cdb, 16, 3);
	r = packet(cdb, 2048, buf, sizeof(buf));
	is_int(r.len, 3 * 2048, "READ(10) 3 sectors");
	is_int(r.pieces, 3, "byte count limit 2048: three DRQ pieces");
	is_int(R.raises[15], 4, "an interrupt per piece and one at completion");
	ok(buf[0] == 1 && !memcmp(buf + 1, "CD001", 5), "sector 16 is the PVD");
	ok(sector_is(buf + 2048, 2048, 0x5011) && sector_is(buf + 4096, 2048, 0x5012),
	   "sectors 17-18");
	r = packet(cdb, 0xffff, buf, sizeof(buf));
	ok(r.len == 3 * 2048 && r.pieces == 1, "limit FFFFh: one piece (%d/%u)", r.len, r.pieces);
	r = packet(cdb, 1000, buf, sizeof(buf));
	ok(r.len == 3 * 2048 && r.pieces == 7, "limit 1000: pieces of at most 1000 bytes (%u)",
	   r.pieces);
	ok(sector_is(buf + 2048, 2048, 0x5011), "... data intact");
	memset(cdb, 0, 12);
	cdb[0] = 0xa8;			/* READ(12) */
	cdb[5] = 60;
	cdb[9] = 4;
	r = packet(cdb, 0xfffe, buf, sizeof(buf));
	ok(r.len == 4 * 2048 && sector_is(buf + 3 * 2048, 2048, 0x5000 + 63), "READ(12)");
	cdb[9] = 5;
	r = packet(cdb, 0xfffe, buf, sizeof(buf));
	is_int(r.len, -0x54, "READ(12) past the end: ILLEGAL REQUEST (error 54h)");
	ok(sense_is(5, 0x21, 0), "sense 5/21/00 LBA out of range");
	ok(sense_is(0, 0, 0), "sense is cleared once reported");

	memset(cdb, 0, 12);
	cdb[0] = 0x5a;
	cdb[2] = 0x2a;
	cdb[8] = 64;
	r = packet(cdb, 64, buf, sizeof(buf));
	ok(r.len > 8 && buf[8] == 0x2a, "MODE SENSE(10) page 2Ah (%d bytes)", r.len);
	memset(cdb, 0, 12);
	cdb[0] = 0x43;
	cdb[8] = 100;
	r = packet(cdb, 100, buf, sizeof(buf));
	ok(r.len == 20 && buf[2] == 1 && buf[3] == 1 && buf[14] == 0xaa &&
	   buf[19] == CD_SECTORS, "READ TOC: track 1 and lead-out at %d", buf[19]);
	cdb[2] = 1;
	r = packet(cdb, 100, buf, sizeof(buf));
	is_int(r.len, 12, "READ TOC format 1: session info");
	memset(cdb, 0, 12);
	cdb[0] = 0x46;
	cdb[8] = 255;
	r = packet(cdb, 255, buf, sizeof(buf));
	ok(r.len > 8 && (buf[6] << 8 | buf[7]) == 0x0008, "GET CONFIGURATION: CD-ROM profile");
	memset(cdb, 0, 12);
	cdb[0] = 0x51;
	cdb[8] = 34;
	r = packet(cdb, 34, buf, sizeof(buf));
	ok(r.len == 34 && buf[2] == 0x0e, "READ DISC INFORMATION: complete disc");
	memset(cdb, 0, 12);
	cdb[0] = 0xee;
	r = packet(cdb, 100, buf, sizeof(buf));
	is_int(r.len, -0x54, "unknown opcode: check condition");
	ok(sense_is(5, 0x20, 0), "sense 5/20/00");
}

static void test_atapi_dma(void)
{
	static uint8_t buf[8192];
	uint8_t cdb[12];
	uint8_t bmst;

	cdb_read10(cdb, 20, 2);
	put_prd(0x10000, 0, 0x70000, 4096, true);
	outl(BM + 8 + 4, 0x10000);
	outb(BM + 8, 0x08);
	outb(BM + 8 + 2, 0x06);
	outb(S + 6, DEV0);
	outb(S + 1, 0x01);		/* DMA */
	outb(S + 7, 0xa0);
	pio_out(S, cdb, 12);
	outb(BM + 8, 0x09);
	bmst = inb(BM + 8 + 2);
	outb(BM + 8, 0x08);
	is_int(bmst & 0x07, 0x04, "ATAPI READ(10) by DMA: done");
	is_int(inb(S + 7) & (ST_ERR | ST_DRQ), 0, "device status good");
	is_int(inb(S + 2), 3, "completion interrupt reason");
	vm_memory_read(&R.mem, 0x70000, buf, 4096);
	ok(sector_is(buf, 2048, 0x5014) && sector_is(buf + 2048, 2048, 0x5015),
	   "sectors 20-21 in memory");
}

static void test_media(void)
{
	static uint8_t buf[4096];
	uint8_t cdb[12] = { 0 };
	struct ide_drive *cd = ide_get_drive(R.ide, 1, 0);
	struct pkt r;

	is_int(atapi_change_media(cd, R.cd2), 0, "host changes the disc");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, -0x60, "TEST UNIT READY: UNIT ATTENTION (error 60h)");
	ok(sense_is(6, 0x28, 0), "sense 6/28/00");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, 0, "the unit attention is reported once");
	cdb[0] = 0x4a;
	cdb[1] = 1;
	cdb[4] = 0x10;
	cdb[8] = 8;
	r = packet(cdb, 8, buf, sizeof(buf));
	ok(r.len == 8 && buf[2] == 4 && buf[4] == 2 && buf[5] == 2,
	   "GESN: new media event, medium present");
	r = packet(cdb, 8, buf, sizeof(buf));
	ok(r.len == 8 && buf[4] == 0, "the event is consumed");
	cdb_read10(cdb, 1, 1);
	r = packet(cdb, 2048, buf, sizeof(buf));
	ok(r.len == 2048 && sector_is(buf, 2048, 0x6001), "reads come from the new disc");

	memset(cdb, 0, 12);
	cdb[0] = 0x1e;
	cdb[4] = 1;			/* prevent removal */
	r = packet(cdb, 0, buf, sizeof(buf));
	memset(cdb, 0, 12);
	cdb[0] = 0x1b;
	cdb[4] = 0x02;			/* LoEj, eject */
	r = packet(cdb, 0, buf, sizeof(buf));
	is_int(r.len, -0x54, "eject while locked: refused");
	ok(sense_is(5, 0x53, 0x02), "sense 5/53/02 medium removal prevented");
	memset(cdb, 0, 12);
	cdb[0] = 0x1e;
	packet(cdb, 0, buf, sizeof(buf));
	memset(cdb, 0, 12);
	cdb[0] = 0x1b;
	cdb[4] = 0x02;
	r = packet(cdb, 0, buf, sizeof(buf));
	is_int(r.len, 0, "eject when unlocked");
	ok(atapi_tray_is_open(cd), "the host sees the tray open");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, -0x20, "TEST UNIT READY after eject: NOT READY (error 20h)");
	ok(sense_is(2, 0x3a, 0), "sense 2/3A/00 medium not present");
	cdb[4] = 0x03;			/* LoEj + Start: close the tray */
	packet(cdb, 0, buf, sizeof(buf));
	ok(!atapi_tray_is_open(cd), "tray closed again");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, -0x60, "the disc is back: UNIT ATTENTION");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, 0, "then ready");

	is_int(atapi_change_media(cd, NULL), 0, "host removes the disc");
	r = packet(cdb_tur, 0, buf, sizeof(buf));
	is_int(r.len, -0x20, "no medium: NOT READY");
	ok(sense_is(2, 0x3a, 0), "sense 2/3A/00");
	cdb[0] = 0x25;
	r = packet(cdb, 8, buf, sizeof(buf));
	is_int(r.len, -0x20, "READ CAPACITY without a medium: NOT READY");
	cdb[0] = 0x12;
	cdb[4] = 36;
	r = packet(cdb, 36, buf, sizeof(buf));
	is_int(r.len, 36, "INQUIRY works without a medium");
	is_int(atapi_change_media(ide_get_drive(R.ide, 0, 0), R.cd), -EINVAL,
	       "a disk has no media to change");
}

static void change_to_notiso(void)
{
	atapi_change_media(ide_get_drive(R.ide, 1, 0), R.notiso);
}

static void test_not_iso(void)
{
	static uint8_t buf[4096];
	uint8_t cdb[12] = { 0x25 };
	struct pkt r;

	ok(stderr_has(change_to_notiso, "not an ISO image"),
	   "a disc that is not an ISO gets a host warning");
	packet(cdb_tur, 0, buf, sizeof(buf));	/* unit attention */
	r = packet(cdb, 8, buf, sizeof(buf));
	ok(r.len == 8 && buf[3] == 4, "it is still attachable: 10 KiB = 5 sectors, last LBA 4");
	cdb_read10(cdb, 4, 1);
	r = packet(cdb, 2048, buf, sizeof(buf));
	is_int(r.len, 2048, "its last whole sector reads");
	cdb_read10(cdb, 5, 1);
	r = packet(cdb, 2048, buf, sizeof(buf));
	is_int(r.len, -0x54, "beyond it: LBA out of range");
}

static struct blk *real_iso;

static void change_to_real_iso(void)
{
	atapi_change_media(ide_get_drive(R.ide, 1, 0), real_iso);
}

/* A real ISO 9660 image from xorriso, when it is installed. */
static void test_real_iso(void)
{
	static uint8_t buf[4096];
	uint8_t cdb[12] = { 0x25 };
	char cmd[2048];
	struct stat st;
	struct pkt r;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/isodir && echo vessel > %s/isodir/hello.txt && "
		 "xorriso -as mkisofs -quiet -V VESSELTEST -o %s/real.iso %s/isodir "
		 ">/dev/null 2>&1", R.dir, R.dir, R.dir, R.dir);
	if (system(cmd) != 0 || stat(tpath("real.iso"), &st)) {
		ok(1, "# SKIP xorriso not available");
		goto out;
	}
	real_iso = open_img(tpath("real.iso"), true);
	if (!real_iso)
		goto out;
	ok(!stderr_has(change_to_real_iso, "not an ISO"), "a real ISO attaches without a warning");
	packet(cdb_tur, 0, buf, sizeof(buf));
	r = packet(cdb, 8, buf, sizeof(buf));
	is_int(r.len == 8 ? (buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3]) + 1 : -1,
	       st.st_size / 2048, "READ CAPACITY matches the file");
	cdb_read10(cdb, 16, 1);
	r = packet(cdb, 2048, buf, sizeof(buf));
	ok(r.len == 2048 && buf[0] == 1 && !memcmp(buf + 1, "CD001", 5) &&
	   !memcmp(buf + 40, "VESSELTEST", 10), "primary volume descriptor with the volume id");
	atapi_change_media(ide_get_drive(R.ide, 1, 0), NULL);
	blk_close(real_iso);
out:
	snprintf(cmd, sizeof(cmd), "rm -rf %s/isodir %s/real.iso", R.dir, R.dir);
	if (system(cmd))
		printf("# cleanup failed\n");
}


int main(void)
{
	if (rig_setup())
		skip_all("cannot set up the rig (temporary files, memory)");
	if (ide_attach(R.ide, 1, 0, R.cd, IDE_CDROM))
		skip_all("cannot attach the CD-ROM");
	test_atapi_basics();
	test_atapi_dma();
	test_media();
	test_not_iso();
	test_real_iso();
	rig_teardown();
	return tap_done();
}
