// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for IDE snapshot state: a mid-transfer save resumes on a second controller. */
#include "ide-test-rig.h"

#include "storage/ide-state.h"

/* The second controller: its own port bus, IRQ 10/11 on the rig's recorder. */
static struct vmm_bus pio_b;
static struct ide *ide_b;

static struct ide *new_b(void)
{
	struct ide_config cfg = {
		.pio = &pio_b,
		.bmdma_base = BM,
		.irq = { { irq_set, NULL, 10 }, { irq_set, NULL, 11 } },
		.glog = &R.glog,
		.mem = &R.mem,
	};

	vmm_bus_init(&pio_b, "pio-b", &R.glog);
	return ide_new(&cfg);
}

static void on_a(void)
{
	R.cur = &R.pio;
}

static void on_b(void)
{
	R.cur = &pio_b;
}

/* An ATAPI PACKET with no data phase on the secondary master: 0 or the error register. */
static int packet_nodata(const uint8_t *cdb)
{
	outb(S + 6, DEV0);
	outb(S + 1, 0);
	outb(S + 4, 0xfe);
	outb(S + 5, 0xff);
	outb(S + 7, 0xa0);
	if (!(inb(S + 7) & ST_DRQ))
		return -1;
	pio_out(S, cdb, 12);
	return inb(S + 7) & ST_ERR ? inb(S + 1) : 0;
}

/* REQUEST SENSE (SPC-3 §6.27) by PIO: key << 16 | asc << 8 | ascq, or -1. */
static int request_sense(void)
{
	uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 }, buf[18];

	outb(S + 6, DEV0);
	outb(S + 1, 0);
	outb(S + 4, 18);
	outb(S + 5, 0);
	outb(S + 7, 0xa0);
	if (!(inb(S + 7) & ST_DRQ))
		return -1;
	pio_out(S, cdb, 12);
	if ((inb(S + 7) & (ST_DRQ | ST_ERR)) != ST_DRQ)
		return -1;
	pio_in(S, buf, sizeof(buf));
	return (buf[2] & 0xf) << 16 | buf[12] << 8 | buf[13];
}

static void regs(uint16_t base, uint16_t ctl, uint8_t *out)
{
	for (unsigned i = 1; i < 7; i++)
		out[i - 1] = inb((uint16_t)(base + i));
	out[6] = inb(ctl);	/* alternate status: does not acknowledge the interrupt */
}

static int transfer_a_to_b(void)
{
	void *blob = NULL;
	size_t len = 0;
	int ret = ide_save(R.ide, &blob, &len);

	if (!ret)
		ret = ide_load(ide_b, blob, len);
	free(blob);
	return ret;
}

static bool blobs_equal(struct ide *ide, const void *ref, size_t ref_len)
{
	void *b = NULL;
	size_t n = 0;
	bool eq = !ide_save(ide, &b, &n) && n == ref_len && !memcmp(b, ref, n);

	free(b);
	return eq;
}

/* READ MULTIPLE of 8 sectors at 100 in blocks of 4, saved after 1000 bytes of the first. */
static void test_mid_pio(void)
{
	uint8_t ra[7], rb[7], a[8 * 512], b[8 * 512];
	uint16_t w[256];
	void *blob = NULL;
	size_t len = 0;

	on_a();
	outb(P + 6, DEV0);
	outb(P + 2, 4);
	outb(P + 7, 0xc6);		/* SET MULTIPLE MODE 4 */
	inb(P + 7);
	tf28(P, DEV0, 8, 100);
	outb(P + 7, 0xc4);		/* READ MULTIPLE */
	ok(inb(PCTL) & ST_DRQ, "controller A has data for READ MULTIPLE");
	pio_in(P, a, 1000);
	ok(R.level[14], "A's IRQ 14 is high (not yet acknowledged)");
	regs(P, PCTL, ra);
	is_int(ide_save(R.ide, &blob, &len), 0, "save A");
	ok(len > sizeof(struct ide_state), "the state carries the PIO buffer (%zu bytes)", len);

	ok(!R.level[10], "B's IRQ 10 starts low");
	is_int(ide_load(ide_b, blob, len), 0, "load into B");
	ok(R.level[10], "B's IRQ 10 is raised again by the load");
	on_b();
	regs(P, PCTL, rb);
	ok(!memcmp(ra, rb, sizeof(ra)), "task file and status read back the same");
	memcpy(b, a, 1000);
	pio_in(P, b + 1000, 2048 - 1000);
	ok(pio_read_all(P, b + 2048, 4, 4) == ST_DRDY || (inb(P + 7) & ST_DRQ) == 0,
	   "B finishes the command");
	on_a();
	pio_in(P, a + 1000, 2048 - 1000);
	pio_read_all(P, a + 2048, 4, 4);
	ok(!memcmp(a, b, sizeof(a)), "B returned the same data as A");
	ok(sector_is(b + 512, 512, 101) && sector_is(b + 7 * 512, 512, 107),
	   "and it is the disk's sectors 101 and 107");
	on_b();
	identify(P, DEV0, 0xec, w);
	is_int(w[59], 0x104, "B kept A's multiple mode (4 sectors, IDENTIFY word 59)");
	free(blob);
}

/* Unit attention, bus-master registers and DRQ-less state on the secondary channel. */
static void test_cd_and_bm(void)
{
	static const uint8_t tur[12];
	void *blob = NULL;
	size_t len = 0;

	on_a();
	atapi_change_media(ide_get_drive(R.ide, 1, 0), R.cd);	/* UNIT ATTENTION pending */
	outl(BM + 8 + 4, 0x123454);
	outb(BM + 8, 0x08);
	is_int(ide_save(R.ide, &blob, &len), 0, "save A with a new medium");
	is_int(ide_load(ide_b, blob, len), 0, "load into B");
	on_b();
	is_int((int)inl(BM + 8 + 4), 0x123454, "B's PRD address reads back (dword aligned)");
	is_int(inb(BM + 8), 0x08, "B's bus-master command reads back");
	ok(packet_nodata(tur) > 0, "B: TEST UNIT READY reports the pending unit attention");
	is_int(request_sense(), 0x62800, "B: sense 6/28/00 (medium may have changed)");
	is_int(packet_nodata(tur), 0, "B: then the unit is ready");
	free(blob);
}

/* READ DMA set up on A, the bus master not yet started: B runs it when its guest starts it. */
static void test_pending_dma(void)
{
	uint8_t data[4 * 512];

	on_a();
	memset(data, 0, sizeof(data));
	vm_memory_write(&R.mem, 0x20000, data, sizeof(data));
	put_prd(0x10000, 0, 0x20000, sizeof(data), true);
	outl(BM + 4, 0x10000);
	outb(BM + 2, 0x06);			/* clear interrupt and error */
	outb(BM, 0x08);				/* device to memory, not started */
	tf28(P, DEV0, 4, 200);
	outb(P + 7, 0xc8);			/* READ DMA */
	ok((inb(PCTL) & (ST_DRQ | ST_BSY)) == ST_DRQ, "A: READ DMA waits for the bus master");
	is_int(transfer_a_to_b(), 0, "save A, load into B");
	on_b();
	outb(BM, 0x09);				/* start */
	vm_memory_read(&R.mem, 0x20000, data, sizeof(data));
	ok(sector_is(data, 512, 200) && sector_is(data + 3 * 512, 512, 203),
	   "B moved sectors 200-203 into guest memory");
	is_int(inb(BM + 2) & 0x07, 0x04, "B's bus master: interrupt, not active, no error");
	ok(R.level[10], "B raised IRQ 10 for the completion");
	is_int(inb(P + 7), ST_DRDY | 0x10, "B's status: ready, seek complete");
	outb(BM, 0x00);
	on_a();
	outb(BM, 0x00);
}

typedef void (*mutate_fn)(struct ide_state *s);

static void m_version(struct ide_state *s) { s->version = 2; }
static void m_cur(struct ide_state *s) { s->ch[0].cur = 2; }
static void m_xd(struct ide_state *s) { s->ch[0].xd = 1; }	/* primary slave is absent */
static void m_pos(struct ide_state *s) { s->ch[0].pos = s->ch[0].end + 1; }
static void m_phase(struct ide_state *s) { s->ch[0].end_action = 9; }
static void m_kind(struct ide_state *s) { s->ch[0].drive[0].kind = IDE_CDROM; }
static void m_mult(struct ide_state *s) { s->ch[0].drive[0].set.mult = 3; }
static void m_xfer(struct ide_state *s) { s->ch[0].drive[0].set.xfer_mode = 0x46; }
static void m_heads(struct ide_state *s) { s->ch[0].drive[0].heads = 0; }
static void m_lba(struct ide_state *s) { s->ch[0].drive[0].lba = DISK_SECTORS; }
static void m_irq(struct ide_state *s) { s->ch[0].drive[0].irq_pending = 2; }
static void m_prd(struct ide_state *s) { s->ch[1].bm_prd = 0x1002; }
static void m_bmcmd(struct ide_state *s) { s->ch[1].bm_cmd = 0x80; }
static void m_cdsize(struct ide_state *s) { s->ch[1].drive[0].cd.sectors = 1; }
static void m_sense(struct ide_state *s) { s->ch[1].drive[0].cd.sense_key = 0x10; }
static void m_event(struct ide_state *s) { s->ch[1].drive[0].cd.media_event = 7; }
static void m_buflen(struct ide_state *s) { s->buf_len[0] += 2; s->buf_len[1] -= 2; }
static void m_busy(struct ide_state *s) { s->ch[0].xd = IDE_STATE_NO_XD; s->ch[0].dma = 1; }
static void m_phase_kind(struct ide_state *s) { s->ch[0].end_action = 5; }	/* IDE_END_ATAPI */

static void test_hostile(void)
{
	static const struct { mutate_fn fn; const char *what; } cases[] = {
		{ m_version, "version 2" }, { m_cur, "selected device 2" },
		{ m_xd, "transfer owned by an absent drive" }, { m_pos, "pos past end" },
		{ m_phase, "unknown end action" }, { m_kind, "drive kind mismatch" },
		{ m_mult, "multiple count 3" }, { m_xfer, "Ultra DMA 6 on PATA" },
		{ m_heads, "0 heads" }, { m_lba, "lba past the disk" },
		{ m_irq, "irq_pending 2" }, { m_prd, "unaligned PRD" },
		{ m_bmcmd, "bus-master command bit 7" }, { m_cdsize, "another medium size" },
		{ m_sense, "sense key 0x10" }, { m_event, "media event 7" },
		{ m_buflen, "buffer lengths not matching the window" },
		{ m_busy, "DMA pending without an owner" },
		{ m_phase_kind, "an ATAPI data phase on a disk" },
	};
	void *ref = NULL, *blob = NULL;
	size_t ref_len = 0, len = 0;

	on_a();
	tf28(P, DEV0, 2, 10);
	outb(P + 7, 0x20);		/* READ SECTORS: a window open on channel 0 */
	ide_save(R.ide, &blob, &len);
	ide_save(ide_b, &ref, &ref_len);
	is_int(ide_load(ide_b, blob, sizeof(struct ide_state) - 1), -EINVAL, "truncated header");
	is_int(ide_load(ide_b, blob, len - 1), -EINVAL, "truncated buffer tail");
	ok(blobs_equal(ide_b, ref, ref_len), "B unchanged");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ide_state *s = malloc(len);

		memcpy(s, blob, len);
		cases[i].fn(s);
		is_int(ide_load(ide_b, s, len), -EINVAL, "refused: %s", cases[i].what);
		ok(blobs_equal(ide_b, ref, ref_len), "B unchanged after: %s", cases[i].what);
		free(s);
	}
	is_int(ide_load(ide_b, blob, len), 0, "the unmodified blob still loads");
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

/*
 * Random byte changes to a saved state: the load takes them or refuses them, and a guest
 * then driving the controller (status, data port, bus master start) finds nothing to crash.
 */
static void test_fuzz(void)
{
	void *blob = NULL;
	size_t len = 0;
	unsigned taken = 0, refused = 0;
	uint8_t *m;

	ide_save(R.ide, &blob, &len);
	m = malloc(len);
	on_b();
	for (unsigned i = 0; i < 1000; i++) {
		memcpy(m, blob, len);
		for (unsigned k = 1 + rnd(4); k; k--)
			m[rnd(sizeof(struct ide_state))] = (uint8_t)rnd(256);
		if (ide_load(ide_b, m, len)) {
			refused++;
			continue;
		}
		taken++;
		for (unsigned c = 0; c < 2; c++) {
			uint16_t base = c ? S : P;

			inb(base + 7);
			for (unsigned w = 0; w < 64; w++)
				inw(base);
			outb(BM + 8 * c, 0x09);
			outb(BM + 8 * c, 0x00);
		}
	}
	ok(taken && refused, "1000 mutated states: %u loaded and driven, %u refused", taken,
	   refused);
	free(m);
	free(blob);
}

int main(void)
{
	if (rig_setup())
		skip_all("cannot set up the rig (temporary files, memory)");
	ide_b = new_b();
	if (!ide_b)
		skip_all("cannot create the second controller");
	if (ide_attach(R.ide, 0, 0, R.disk, IDE_DISK) || ide_attach(R.ide, 1, 0, R.cd, IDE_CDROM) ||
	    ide_attach(ide_b, 0, 0, R.disk, IDE_DISK) || ide_attach(ide_b, 1, 0, R.cd, IDE_CDROM))
		skip_all("cannot attach the drives");
	test_mid_pio();
	test_cd_and_bm();
	test_pending_dma();
	test_hostile();
	test_fuzz();
	ide_free(ide_b);
	vmm_bus_destroy(&pio_b);
	rig_teardown();
	return tap_done();
}
