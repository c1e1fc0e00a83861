// SPDX-License-Identifier: GPL-2.0-or-later
/* ATA8-ACS pieces shared by the IDE and SATA command sets: opcodes, read/write table, IDENTIFY. */
#include "ata-common.h"

#include <string.h>

static const struct ata_rw ata_rw_cmds[] = {
	{ CMD_READ_SECTORS, false, false, false, false, false, false, false },
	{ CMD_READ_SECTORS_NR, false, false, false, false, false, false, false },
	{ CMD_READ_SECTORS_EXT, true, false, false, false, false, false, false },
	{ CMD_READ_MULTIPLE, false, false, false, true, false, false, false },
	{ CMD_READ_MULTIPLE_EXT, true, false, false, true, false, false, false },
	{ CMD_READ_DMA, false, false, true, false, false, false, false },
	{ CMD_READ_DMA_NR, false, false, true, false, false, false, false },
	{ CMD_READ_DMA_EXT, true, false, true, false, false, false, false },
	{ CMD_WRITE_SECTORS, false, true, false, false, false, false, false },
	{ CMD_WRITE_SECTORS_NR, false, true, false, false, false, false, false },
	{ CMD_WRITE_SECTORS_EXT, true, true, false, false, false, false, false },
	{ CMD_WRITE_MULTIPLE, false, true, false, true, false, false, false },
	{ CMD_WRITE_MULTIPLE_EXT, true, true, false, true, false, false, false },
	{ CMD_WRITE_MULTIPLE_FUA, true, true, false, true, false, true, false },
	{ CMD_WRITE_DMA, false, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_NR, false, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_EXT, true, true, true, false, false, false, false },
	{ CMD_WRITE_DMA_FUA_EXT, true, true, true, false, false, true, false },
	{ CMD_READ_VERIFY, false, false, false, false, true, false, false },
	{ CMD_READ_VERIFY_NR, false, false, false, false, true, false, false },
	{ CMD_READ_VERIFY_EXT, true, false, false, false, true, false, false },
	{ CMD_READ_FPDMA, true, false, true, false, false, false, true },
	{ CMD_WRITE_FPDMA, true, true, true, false, false, false, true },
};

const struct ata_rw *ata_rw_find(uint8_t op, bool fua_ncq)
{
	for (size_t i = 0; i < sizeof(ata_rw_cmds) / sizeof(ata_rw_cmds[0]); i++) {
		const struct ata_rw *rw = &ata_rw_cmds[i];

		if (rw->op == op)
			return fua_ncq || !(rw->fua || rw->queued) ? rw : NULL;
	}
	return NULL;
}

uint32_t ata_rw_count(const struct ata_rw *rw, uint16_t count, uint16_t features)
{
	uint32_t n;

	if (rw->queued)		/* FPDMA QUEUED: the count is in FEATURES (ATA8-ACS §7.24) */
		n = features;
	else if (rw->lba48)
		n = count;
	else
		n = count & 0xff;
	if (!n)
		n = rw->lba48 ? 65536 : 256;
	return n;
}

/* Sectors count from 1 (ATA/ATAPI-6 §6.2.1). */
bool ata_chs_to_lba(unsigned cyl, unsigned head, unsigned sect, unsigned heads,
		    unsigned spt, uint64_t *lba)
{
	if (!sect || sect > spt || head >= heads)
		return false;
	*lba = ((uint64_t)cyl * heads + head) * spt + sect - 1;
	return true;
}

/* PIO default, PIO 0-4, multiword DMA 0-2, Ultra DMA 0-max_udma (ATA8-ACS Table 41). */
static bool xfer_mode_valid(uint8_t mode, unsigned max_udma)
{
	return mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c) ||
	       (mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x40 + max_udma);
}

bool ata_set_features(struct ata_settings *s, uint8_t feature, uint8_t count, bool disk,
		      bool sata)
{
	switch (feature) {
	case SF_XFER_MODE:
		/* Ultra DMA up to what IDENTIFY word 88 says: 6 on SATA, 5 on the PIIX */
		if (!xfer_mode_valid(count, sata ? 6 : 5))
			return false;
		s->xfer_mode = count;
		return true;
	case SF_WCACHE_ON:
	case SF_WCACHE_OFF:
		if (!disk)
			return false;
		s->write_cache = feature == SF_WCACHE_ON;
		return true;
	case SF_SATA_ENABLE:
	case SF_SATA_DISABLE:
		return sata;
	case SF_LOOKAHEAD_ON:
	case SF_LOOKAHEAD_OFF:
	case SF_REVERT_ON:
	case SF_REVERT_OFF:
		return true;
	default:
		return false;
	}
}

bool ata_set_multiple(struct ata_settings *s, unsigned count, unsigned max)
{
	if (count > max || (count & (count - 1)))
		return false;
	s->mult = count;
	return true;
}

uint16_t ata_xfer_bits(uint8_t xfer_mode, uint8_t cls, uint16_t supported)
{
	uint16_t sel = 0;

	if ((xfer_mode >> 3) == cls)
		sel = (uint16_t)(0x100 << (xfer_mode & 7));
	return supported | sel;
}

/* ATA8-ACS §3.3.10: byte 1 of a word before byte 0. */
void ata_put_string(uint16_t *w, const char *s, unsigned nwords)
{
	size_t len = strlen(s);

	for (unsigned i = 0; i < nwords * 2; i++) {
		uint8_t c = i < len ? (uint8_t)s[i] : ' ';

		if (i & 1)
			w[i / 2] |= c;
		else
			w[i / 2] = (uint16_t)(c << 8);
	}
}

/* ATA8-ACS §7.16.7.89 (word 255): the signature A5h and the two's-complement sum. */
void ata_identify_checksum(uint16_t *w)
{
	uint8_t sum = 0xa5;

	for (unsigned i = 0; i < 255; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	w[255] = (uint16_t)(((uint8_t)-sum << 8) | 0xa5);
}

void ata_identify_disk_words(uint16_t *w, const char *serial, const char *model,
			     uint64_t sectors, const struct ata_settings *s)
{
	uint64_t lba28 = sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX : sectors;
	uint64_t cyls = sectors / (ATA_DEFAULT_HEADS * ATA_DEFAULT_SPT);
	uint64_t chs;

	if (cyls > ATA_MAX_CYLS)
		cyls = ATA_MAX_CYLS;
	chs = cyls * ATA_DEFAULT_HEADS * ATA_DEFAULT_SPT;
	memset(w, 0, 512);
	w[0] = 0x0040;				/* fixed device, not removable */
	w[1] = (uint16_t)cyls;
	w[3] = ATA_DEFAULT_HEADS;
	w[6] = ATA_DEFAULT_SPT;
	ata_put_string(&w[10], serial, 10);
	ata_put_string(&w[23], "1.0", 4);
	ata_put_string(&w[27], model, 20);
	w[47] = 0x8000 | ATA_MAX_MULTIPLE;
	w[49] = 0x0b00;				/* IORDY, LBA, DMA */
	w[50] = 0x4000;
	w[53] = 0x0006;				/* words 64-70 and 88 valid */
	w[54] = (uint16_t)cyls;			/* current CHS translation */
	w[55] = ATA_DEFAULT_HEADS;
	w[56] = ATA_DEFAULT_SPT;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[59] = s->mult ? (uint16_t)(0x0100 | s->mult) : 0;
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	w[63] = ata_xfer_bits(s->xfer_mode, 4, 0x0007);	/* multiword DMA 0-2 */
	w[64] = 0x0003;				/* PIO 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x01f0;				/* ATA/ATAPI-4 to ATA8-ACS */
	w[82] = 0x0048 | 0x0020;		/* look-ahead, power management, write cache */
	w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400;	/* FLUSH CACHE (EXT), 48-bit address */
	w[84] = 0x4000;
	w[85] = (uint16_t)(0x0048 | (s->write_cache ? 0x0020 : 0));
	w[86] = 0x2000 | 0x1000 | 0x0400;
	w[87] = 0x4000;
	for (unsigned i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(sectors >> (16 * i));
	w[106] = 0x4000;			/* one 512-byte logical sector per physical */
}

void ata_identify_packet_words(uint16_t *w, const char *serial)
{
	memset(w, 0, 512);
	/* ATAPI, CD-ROM, removable, DRQ within 50 us of PACKET, 12-byte packets */
	w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
	ata_put_string(&w[10], serial, 10);
	ata_put_string(&w[23], "1.0", 4);
	ata_put_string(&w[27], "VESSEL DVD-ROM", 20);
	w[49] = 0x0b00;			/* IORDY, LBA, DMA */
	w[53] = 0x0006;			/* words 64-70 and 88 valid */
	w[64] = 0x0003;			/* PIO 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x01f0;			/* ATA/ATAPI-4 to ATA8-ACS */
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[87] = 0x4000;
}
