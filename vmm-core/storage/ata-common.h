/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ATA8-ACS pieces shared by the IDE and SATA command sets: opcodes, read/write table, IDENTIFY. */
#ifndef VMM_ATA_COMMON_H
#define VMM_ATA_COMMON_H

#include <stdbool.h>
#include <stdint.h>

/* Command codes (ATA8-ACS §7; ATA/ATAPI-6 §8). */
#define CMD_NOP			0x00
#define CMD_DSM			0x06
#define CMD_DEVICE_RESET	0x08
#define CMD_READ_SECTORS	0x20
#define CMD_READ_SECTORS_NR	0x21
#define CMD_READ_SECTORS_EXT	0x24
#define CMD_READ_DMA_EXT	0x25
#define CMD_READ_MULTIPLE_EXT	0x29
#define CMD_READ_LOG_EXT	0x2f
#define CMD_WRITE_SECTORS	0x30
#define CMD_WRITE_SECTORS_NR	0x31
#define CMD_WRITE_SECTORS_EXT	0x34
#define CMD_WRITE_DMA_EXT	0x35
#define CMD_WRITE_MULTIPLE_EXT	0x39
#define CMD_WRITE_DMA_FUA_EXT	0x3d
#define CMD_READ_VERIFY		0x40
#define CMD_READ_VERIFY_NR	0x41
#define CMD_READ_VERIFY_EXT	0x42
#define CMD_READ_LOG_DMA_EXT	0x47
#define CMD_READ_FPDMA		0x60
#define CMD_WRITE_FPDMA		0x61
#define CMD_EXEC_DIAG		0x90
#define CMD_INIT_PARAMS		0x91
#define CMD_PACKET		0xa0
#define CMD_IDENTIFY_PACKET	0xa1
#define CMD_READ_MULTIPLE	0xc4
#define CMD_WRITE_MULTIPLE	0xc5
#define CMD_SET_MULTIPLE	0xc6
#define CMD_READ_DMA		0xc8
#define CMD_READ_DMA_NR		0xc9
#define CMD_WRITE_DMA		0xca
#define CMD_WRITE_DMA_NR	0xcb
#define CMD_WRITE_MULTIPLE_FUA	0xce
#define CMD_STANDBY_IMMEDIATE	0xe0
#define CMD_IDLE_IMMEDIATE	0xe1
#define CMD_STANDBY		0xe2
#define CMD_IDLE		0xe3
#define CMD_CHECK_POWER		0xe5
#define CMD_SLEEP		0xe6
#define CMD_FLUSH		0xe7
#define CMD_FLUSH_EXT		0xea
#define CMD_IDENTIFY		0xec
#define CMD_SET_FEATURES	0xef

/* SET FEATURES subcommands (ATA8-ACS §7.48, Table 40). */
#define SF_WCACHE_ON		0x02
#define SF_XFER_MODE		0x03
#define SF_SATA_ENABLE		0x10
#define SF_LOOKAHEAD_OFF	0x55
#define SF_REVERT_OFF		0x66
#define SF_WCACHE_OFF		0x82
#define SF_SATA_DISABLE		0x90
#define SF_LOOKAHEAD_ON		0xaa
#define SF_REVERT_ON		0xcc

#define ATA_LBA28_MAX		0x0fffffffull
#define ATA_DEFAULT_HEADS	16	/* the CHS translation IDENTIFY words 1, 3, 6 report */
#define ATA_DEFAULT_SPT		63
#define ATA_MAX_CYLS		16383
#define ATA_MAX_MULTIPLE	16u	/* sectors per DRQ block, IDENTIFY word 47 */

/* What the guest sets with SET MULTIPLE MODE and SET FEATURES. */
struct ata_settings {
	unsigned mult;		/* sectors per DRQ block of READ/WRITE MULTIPLE, 0: off */
	uint8_t xfer_mode;	/* SET FEATURES 03h value */
	bool write_cache;
};

/*
 * SET FEATURES (ATA8-ACS §7.48) subcommand feature with COUNT count: false if the device
 * aborts it. disk: a write cache to switch; sata: Ultra DMA 6 and the SATA subcommands.
 */
bool ata_set_features(struct ata_settings *s, uint8_t feature, uint8_t count, bool disk,
		      bool sata);
/* SET MULTIPLE MODE (ATA8-ACS §7.51): 0 turns it off, else a power of two up to max. */
bool ata_set_multiple(struct ata_settings *s, unsigned count, unsigned max);

/* A sector-moving command, described rather than open-coded. */
struct ata_rw {
	uint8_t op;
	bool lba48, write, dma, multiple, verify, fua, queued;
};

/* The read/write/verify command op, or NULL; fua_ncq: FUA and FPDMA QUEUED ones too. */
const struct ata_rw *ata_rw_find(uint8_t op, bool fua_ncq);
/*
 * The sector count of rw: count is the 16-bit COUNT register pair (only 7:0 for 28-bit
 * commands), features the FEATURES pair (FPDMA QUEUED carries the count there); 0 means
 * 256 (28-bit) or 65536 (48-bit).
 */
uint32_t ata_rw_count(const struct ata_rw *rw, uint16_t count, uint16_t features);
/* CHS to LBA through a heads x spt translation (ATA/ATAPI-6 §6.2); false: invalid. */
bool ata_chs_to_lba(unsigned cyl, unsigned head, unsigned sect, unsigned heads,
		    unsigned spt, uint64_t *lba);
/* IDENTIFY words 63/88: the supported modes plus the selected one when it is of this class
 * (SET FEATURES 03h value >> 3: 4 multiword DMA, 8 Ultra DMA). */
uint16_t ata_xfer_bits(uint8_t xfer_mode, uint8_t cls, uint16_t supported);

/* An ATA string: two characters a word, the first in the high byte, space padded. */
void ata_put_string(uint16_t *w, const char *s, unsigned nwords);
/* Word 255: 0xA5 and a checksum making the 512 bytes sum to zero. */
void ata_identify_checksum(uint16_t *w);
/*
 * The IDENTIFY DEVICE words of our disk that do not depend on the transport (ATA8-ACS
 * §7.16.7, Table 22), with the default CHS translation in words 54-58; w is zeroed first.
 * The caller adds word 88 and what its transport has (IDE: 51, 93; SATA: 75, 76, ...).
 */
void ata_identify_disk_words(uint16_t *w, const char *serial, const char *model,
			     uint64_t sectors, const struct ata_settings *s);
/*
 * The IDENTIFY PACKET DEVICE words of our CD/DVD-ROM that do not depend on the transport
 * (ATA8-ACS §7.17); w is zeroed first. The caller adds words 63, 76, 82, 85, 88 and 93.
 */
void ata_identify_packet_words(uint16_t *w, const char *serial);

#endif
