// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_cfg: signature, items, file directory, byte reads, DMA reads/writes, hostile DMA. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "fw_cfg.h"
#include "memory.h"
#include "tap.h"

static struct vmm_bus bus;
static struct vm_memory mem;

static void sel(uint16_t key)
{
	vmm_bus_write(&bus, FW_CFG_PORT_SEL, &key, 2);
}

static uint8_t rd(void)
{
	uint8_t v;

	vmm_bus_read(&bus, FW_CFG_PORT_DATA, &v, 1);
	return v;
}

/* Start a DMA with the descriptor at desc (the SeaBIOS way: one 32-bit OUT to 0x518). */
static void dma(uint32_t desc)
{
	uint32_t be = __builtin_bswap32(desc);

	vmm_bus_write(&bus, FW_CFG_PORT_DMA + 4, &be, 4);
}

static void put_desc(uint32_t at, uint32_t control, uint32_t len, uint64_t addr)
{
	uint32_t c = __builtin_bswap32(control), l = __builtin_bswap32(len);
	uint64_t a = __builtin_bswap64(addr);

	vm_memory_write(&mem, at, &c, 4);
	vm_memory_write(&mem, at + 4, &l, 4);
	vm_memory_write(&mem, at + 8, &a, 8);
}

static uint32_t desc_control(uint32_t at)
{
	uint32_t c;

	vm_memory_read(&mem, at, &c, 4);
	return __builtin_bswap32(c);
}

static int writes_seen;
static void on_write(void *opaque, uint64_t off, uint64_t len)
{
	writes_seen++;
}

int main(void)
{
	struct vmm_guest_log log;
	struct fw_cfg *fc;
	char sig[5] = { 0 };
	uint8_t buf[64];

	vmm_guest_log_init(&log, NULL, 5);
	vm_memory_init(&mem, 16 << 20);
	vmm_bus_init(&bus, "pio", &log);
	fc = fw_cfg_new(&mem, &log);
	vmm_bus_register(&bus, FW_CFG_PORT_SEL, 2, &fw_cfg_data_ops, fc);
	vmm_bus_register(&bus, FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, fc);

	sel(FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)rd();
	ok(!strcmp(sig, "QEMU"), "signature reads QEMU (what SeaBIOS checks)");
	sel(FW_CFG_ID);
	is_int(rd() & 2, 2, "ID advertises DMA");
	uint32_t dmasig;
	vmm_bus_read(&bus, FW_CFG_PORT_DMA, &dmasig, 4);
	ok(!memcmp(&dmasig, "QEMU", 4), "DMA register reads the \"QEMU CFG\" signature");

	is_int(fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, 4), 0, "add NB_CPUS");
	is_int(fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, 2), -EEXIST, "a key cannot be added twice");
	sel(FW_CFG_NB_CPUS);
	uint8_t lo = rd(), hi = rd();
	is_int(lo | hi << 8, 4, "read back NB_CPUS little-endian");
	is_int(rd(), 0, "reads past the end are zero");
	sel(0x1234);
	is_int(rd(), 0, "an unknown key reads zero");

	is_int(fw_cfg_add_file(fc, "etc/zeta", "zz", 2), 0, "add a file");
	is_int(fw_cfg_add_file(fc, "bootorder", "/pci@i0cf8/*@5\n", 15), 0, "add another");
	is_int(fw_cfg_add_file(fc, "bootorder", "x", 1), -EEXIST, "names are unique");
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[79] = 0;
	is_int(fw_cfg_add_file(fc, longname, "x", 1), -EINVAL, "a name over 55 bytes is refused");

	sel(FW_CFG_FILE_DIR);
	for (int i = 0; i < 4; i++)
		buf[i] = rd();
	is_int(buf[3], 2, "the directory read byte-wise counts 2 files");
	uint8_t dir[4 + 2 * 64];
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | (FW_CFG_FILE_DIR << 16),
		 sizeof(dir), 0x2000);
	dma(0x1000);
	is_int(desc_control(0x1000), 0, "DMA completes with control cleared");
	vm_memory_read(&mem, 0x2000, dir, sizeof(dir));
	is_int(dir[3], 2, "directory counts 2 files (big-endian)");
	ok(!strcmp((char *)dir + 4 + 8, "bootorder"), "sorted by name: bootorder first");
	ok(!strcmp((char *)dir + 4 + 64 + 8, "etc/zeta"), "then etc/zeta");
	is_int(dir[4 + 3], 15, "size of bootorder");
	uint16_t key = (uint16_t)(dir[4 + 4] << 8 | dir[4 + 5]);
	ok(key >= FW_CFG_FILE_FIRST, "file keys start at 0x20 (got %#x)", key);

	memset(buf, 0xaa, sizeof(buf));
	vm_memory_write(&mem, 0x3000, buf, sizeof(buf));
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | ((uint32_t)key << 16), 20, 0x3000);
	dma(0x1000);
	vm_memory_read(&mem, 0x3000, buf, 21);
	ok(!memcmp(buf, "/pci@i0cf8/*@5\n", 15), "DMA read of a file");
	ok(buf[15] == 0 && buf[19] == 0, "the rest of the length is zero-filled");
	is_int(buf[20], 0xaa, "and nothing past the length is touched");

	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP | ((uint32_t)key << 16), 5, 0);
	dma(0x1000);
	put_desc(0x1000, FW_CFG_DMA_READ, 4, 0x3000);
	dma(0x1000);
	vm_memory_read(&mem, 0x3000, buf, 4);
	ok(!memcmp(buf, "i0cf", 4), "skip then read continues at the offset");

	/* Writes: only to writable files. */
	is_int(fw_cfg_add_file_writable(fc, "etc/wr", "\0\0\0\0\0\0\0\0", 8, on_write, NULL), 0,
	       "a writable file");
	/* File keys are handed out in order of adding: the third file is 0x22. */
	uint16_t wkey = FW_CFG_FILE_FIRST + 2;
	vm_memory_write(&mem, 0x4000, "ABCDEFGH", 8);
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE | ((uint32_t)wkey << 16), 8, 0x4000);
	dma(0x1000);
	uint32_t wl;
	const uint8_t *wd = fw_cfg_file_data(fc, "etc/wr", &wl);
	ok(desc_control(0x1000) == 0 && !memcmp(wd, "ABCDEFGH", 8), "DMA write into a writable file");
	is_int(writes_seen, 1, "the owner hears of it");
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE | ((uint32_t)key << 16), 4, 0x4000);
	dma(0x1000);
	is_int(desc_control(0x1000), FW_CFG_DMA_ERROR, "writing a read-only file is an error");
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE | ((uint32_t)wkey << 16), 9, 0x4000);
	dma(0x1000);
	is_int(desc_control(0x1000), FW_CFG_DMA_ERROR, "writing past a file's end is an error");

	/* Hostile: targets outside RAM, descriptors outside RAM, huge lengths. */
	uint64_t before = vmm_guest_log_count(&log);
	put_desc(0x1000, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ | ((uint32_t)key << 16), 16,
		 0xfee00000);
	dma(0x1000);
	is_int(desc_control(0x1000), FW_CFG_DMA_ERROR, "DMA into the LAPIC's MMIO is refused");
	put_desc(0x1000, FW_CFG_DMA_READ, 0xffffffffu, 0x3000);
	dma(0x1000);
	is_int(desc_control(0x1000), FW_CFG_DMA_ERROR, "a 4 GiB read into 16 MiB of RAM is refused");
	put_desc(0x1000, FW_CFG_DMA_READ, 64, (16 << 20) - 32);
	dma(0x1000);
	is_int(desc_control(0x1000), FW_CFG_DMA_ERROR, "a read running off the end of RAM is refused");
	dma(0xfffffff0u);
	ok(vmm_guest_log_count(&log) >= before + 4, "each is a logged guest error");

	fw_cfg_reset(fc);
	is_int(rd(), 'Q', "after reset the selector is the signature again");
	fw_cfg_free(fc);
	vmm_bus_destroy(&bus);
	vm_memory_destroy(&mem);
	vmm_guest_log_destroy(&log);
	return tap_done();
}
