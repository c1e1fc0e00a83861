// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot save/load of fw_cfg: selector, offset, DMA latch, writable files; hostile blobs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "fw_cfg.h"
#include "memory.h"
#include "tap.h"

/* Layout of the version-1 blob: header, then {key, reserved, len, bytes} per writable file. */
#define HDR		16
#define REC1		HDR			/* etc/wr, 8 bytes */
#define REC2		(HDR + 8 + 8)		/* etc/wr2, 8 bytes */
#define BLOB_LEN	(REC2 + 8 + 8)

struct side {
	struct vmm_guest_log log;
	struct vm_memory mem;
	struct vmm_bus bus;
	struct fw_cfg *fc;
	unsigned writes;
	uint64_t last_len;
};

static void on_write(void *opaque, uint64_t off, uint64_t len)
{
	struct side *s = opaque;

	s->writes++;
	s->last_len = len;
}

static void side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	vmm_guest_log_init(&s->log, NULL, 100);
	vm_memory_init(&s->mem, 16 << 20);
	vmm_bus_init(&s->bus, "pio", &s->log);
	s->fc = fw_cfg_new(&s->mem, &s->log);
	if (!s->fc || fw_cfg_add_file(s->fc, "bootorder", "/pci@i0cf8/*@5\n", 15) ||
	    fw_cfg_add_file_writable(s->fc, "etc/wr", "\0\0\0\0\0\0\0\0", 8, on_write, s) ||
	    fw_cfg_add_file_writable(s->fc, "etc/wr2", "\0\0\0\0\0\0\0\0", 8, on_write, s)) {
		printf("Bail out! fw_cfg setup\n");
		exit(1);
	}
	vmm_bus_register(&s->bus, FW_CFG_PORT_SEL, 2, &fw_cfg_data_ops, s->fc);
	vmm_bus_register(&s->bus, FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, s->fc);
}

static void side_fini(struct side *s)
{
	vmm_bus_destroy(&s->bus);
	fw_cfg_free(s->fc);
	vm_memory_destroy(&s->mem);
	vmm_guest_log_destroy(&s->log);
}

static void sel(struct side *s, uint16_t key)
{
	vmm_bus_write(&s->bus, FW_CFG_PORT_SEL, &key, 2);
}

static uint8_t rd(struct side *s)
{
	uint8_t v = 0;

	vmm_bus_read(&s->bus, FW_CFG_PORT_DATA, &v, 1);
	return v;
}

static void dma_reg(struct side *s, unsigned off, uint32_t v)
{
	uint32_t be = __builtin_bswap32(v);

	vmm_bus_write(&s->bus, FW_CFG_PORT_DMA + off, &be, 4);
}

/* DMA-write `data` into the file at key through a descriptor at 0x1000. */
static void dma_write(struct side *s, uint16_t key, const char *data, uint32_t len)
{
	uint32_t c = __builtin_bswap32(FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE | (uint32_t)key << 16);
	uint32_t l = __builtin_bswap32(len);
	uint64_t a = __builtin_bswap64(0x4000);

	vm_memory_write(&s->mem, 0x4000, data, len);
	vm_memory_write(&s->mem, 0x1000, &c, 4);
	vm_memory_write(&s->mem, 0x1004, &l, 4);
	vm_memory_write(&s->mem, 0x1008, &a, 8);
	dma_reg(s, 4, 0x1000);
}

static uint8_t *save(struct side *s)
{
	void *blob = NULL;
	size_t len = 0;

	if (fw_cfg_save(s->fc, &blob, &len) || len != BLOB_LEN) {
		printf("Bail out! fw_cfg_save failed (len %zu)\n", len);
		exit(1);
	}
	return blob;
}

static void test_roundtrip(void)
{
	struct side a, b;
	uint8_t *blob, va, vb;
	uint32_t len;
	const uint8_t *data;
	uint64_t ea, eb;

	side_init(&a);
	side_init(&b);
	dma_write(&a, FW_CFG_FILE_FIRST + 1, "ABCDEFGH", 8);
	dma_write(&a, FW_CFG_FILE_FIRST + 2, "wxyz1234", 8);
	sel(&a, FW_CFG_FILE_FIRST);		/* bootorder */
	rd(&a), rd(&a), rd(&a);
	dma_reg(&a, 0, 1);			/* DMA high half latched: 4 GiB up */
	blob = save(&a);
	is_int(fw_cfg_load(b.fc, blob, BLOB_LEN), 0, "load into a fresh fw_cfg");
	data = fw_cfg_file_data(b.fc, "etc/wr", &len);
	ok(len == 8 && !memcmp(data, "ABCDEFGH", 8), "writable file contents restored");
	data = fw_cfg_file_data(b.fc, "etc/wr2", &len);
	ok(len == 8 && !memcmp(data, "wxyz1234", 8), "second writable file restored");
	ok(b.writes == 2 && b.last_len == 8, "each file's owner is told of its whole contents");
	va = rd(&a);
	vb = rd(&b);
	ok(va == 'i' && vb == va, "reads continue in the selected file at the saved offset");
	ea = vmm_guest_log_count(&a.log);
	eb = vmm_guest_log_count(&b.log);
	dma_reg(&a, 4, 0x1000);
	dma_reg(&b, 4, 0x1000);
	ok(vmm_guest_log_count(&a.log) == ea + 1 && vmm_guest_log_count(&b.log) == eb + 1,
	   "the latched high half applies on both: descriptor above RAM refused");
	free(blob);
	side_fini(&a);
	side_fini(&b);
}

static void refuse(struct side *b, const uint8_t *good, size_t off, const void *v, size_t n,
		   const uint8_t *before, const char *what)
{
	uint8_t bad[BLOB_LEN], *after;
	unsigned writes = b->writes;

	memcpy(bad, good, BLOB_LEN);
	memcpy(bad + off, v, n);
	is_int(fw_cfg_load(b->fc, bad, BLOB_LEN), -EINVAL, "refused: %s", what);
	after = save(b);
	ok(!memcmp(after, before, BLOB_LEN) && b->writes == writes, "... B unchanged");
	free(after);
}

static void test_hostile(void)
{
	struct side a, b;
	uint8_t *good, *before, *longer;
	uint32_t v32;
	uint16_t v16;

	side_init(&a);
	side_init(&b);
	dma_write(&a, FW_CFG_FILE_FIRST + 1, "ABCDEFGH", 8);
	good = save(&a);
	dma_write(&b, FW_CFG_FILE_FIRST + 2, "bbbbbbbb", 8);
	b.writes = 0;
	before = save(&b);
	is_int(fw_cfg_load(b.fc, good, BLOB_LEN - 1), -EINVAL, "refused: truncated");
	is_int(fw_cfg_load(b.fc, good, 8), -EINVAL, "refused: cut inside the header");
	longer = calloc(1, BLOB_LEN + 1);
	memcpy(longer, good, BLOB_LEN);
	is_int(fw_cfg_load(b.fc, longer, BLOB_LEN + 1), -EINVAL, "refused: trailing byte");
	free(longer);
	v32 = 3;
	refuse(&b, good, 0, &v32, 4, before, "version 3");
	v16 = 3;
	refuse(&b, good, 6, &v16, 2, before, "three writable files for two");
	v16 = FW_CFG_FILE_FIRST;
	refuse(&b, good, REC1, &v16, 2, before, "a read-only file's key");
	v16 = 0x7777;
	refuse(&b, good, REC1, &v16, 2, before, "a key that does not exist");
	v32 = 9;
	refuse(&b, good, REC1 + 4, &v32, 4, before, "a file size that differs");
	v16 = FW_CFG_FILE_FIRST + 1;
	refuse(&b, good, REC2, &v16, 2, before, "one file saved twice");
	v16 = 1;
	refuse(&b, good, REC1 + 2, &v16, 2, before, "reserved field set");
	free(good);
	free(before);
	side_fini(&a);
	side_fini(&b);
}

int main(void)
{
	test_roundtrip();
	test_hostile();
	return tap_done();
}
