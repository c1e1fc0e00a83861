/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fw_cfg: the firmware configuration interface SeaBIOS reads (I/O ports and DMA). */
#ifndef VMM_FW_CFG_H
#define VMM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "bus.h"
#include "memory.h"

/* Ports (QEMU's docs/specs/fw_cfg.rst, "x86" register locations). */
#define FW_CFG_PORT_SEL		0x510	/* 16-bit selector */
#define FW_CFG_PORT_DATA	0x511	/* 8-bit data */
#define FW_CFG_PORT_DMA		0x514	/* 64-bit big-endian DMA address, high half first */

/* Well-known keys (fw_cfg.rst "Selector Register" and SeaBIOS's paravirt.h). */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_BOOT_MENU	0x0e
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20
#define FW_CFG_IRQ0_OVERRIDE	0x8002
#define FW_CFG_E820_TABLE	0x8003

#define FW_CFG_MAX_ENTRIES	0x1000	/* keys 0x20.. for files; arch keys below 0x8000+ */
#define FW_CFG_NAME_LEN		56

/* DMA control bits (fw_cfg.rst "DMA interface"). */
#define FW_CFG_DMA_ERROR	0x01
#define FW_CFG_DMA_READ		0x02
#define FW_CFG_DMA_SKIP		0x04
#define FW_CFG_DMA_SELECT	0x08
#define FW_CFG_DMA_WRITE	0x10

/* Called after the guest wrote into a writable file through DMA (e.g. WRITE_POINTER). */
typedef void (*fw_cfg_write_cb)(void *opaque, uint64_t offset, uint64_t len);

struct fw_cfg_entry {
	uint16_t key;
	char name[FW_CFG_NAME_LEN];	/* "" for legacy numeric items */
	uint8_t *data;
	uint32_t len;
	fw_cfg_write_cb on_write;	/* non-NULL: the guest may write it */
	void *opaque;
};

struct fw_cfg {
	pthread_mutex_t lock;
	const struct vm_memory *mem;	/* borrowed: DMA targets */
	struct vmm_guest_log *log;
	struct fw_cfg_entry *entries;
	unsigned n, cap;
	uint16_t next_file_key;
	uint16_t selector;
	uint32_t offset;		/* read position in the selected item */
	uint8_t *dir;			/* file directory, rebuilt when files change */
	uint32_t dir_len;
	uint32_t dma_hi;		/* high half of the DMA address, latched */
};

struct fw_cfg *fw_cfg_new(const struct vm_memory *mem, struct vmm_guest_log *log);
void fw_cfg_free(struct fw_cfg *fc);

/* The data is copied. 0, -EEXIST (key or name taken), -ENOSPC, -EINVAL, -ENOMEM. */
int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t v);
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len);
int fw_cfg_add_file_writable(struct fw_cfg *fc, const char *name, const void *data, size_t len,
			     fw_cfg_write_cb cb, void *opaque);
/* The current contents of a named file (the guest may have written it); NULL if none. */
const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, uint32_t *len);

/* Selector back to 0, offset 0 (guest reset). Contents stay. */
void fw_cfg_reset(struct fw_cfg *fc);

/*
 * Snapshot state (device.h contract; the firmware device's blob): selector, offset, the DMA
 * address latch and the contents of writable files. Load refuses a blob whose writable
 * files are not this VM's (by key and size) and calls each file's write callback over its
 * whole contents. 0 or -errno.
 */
int fw_cfg_save(struct fw_cfg *fc, void **blob, size_t *len);
int fw_cfg_load(struct fw_cfg *fc, const void *blob, size_t len);

/* Register fw_cfg_data_ops at 0x510 (2 ports) and fw_cfg_dma_ops at 0x514 (8 ports). */
extern const struct vmm_io_ops fw_cfg_data_ops, fw_cfg_dma_ops;

#endif
