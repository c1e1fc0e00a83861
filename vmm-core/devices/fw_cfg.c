// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_cfg device: items by key, a file directory, byte-wise and DMA reads (and DMA writes). */
#include "fw_cfg.h"

#include "dev-state.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint64_t be64(uint64_t v)
{
	return __builtin_bswap64(v);
}

struct fw_cfg *fw_cfg_new(const struct vm_memory *mem, struct vmm_guest_log *log)
{
	struct fw_cfg *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	pthread_mutex_init(&fc->lock, NULL);
	fc->mem = mem;
	fc->log = log;
	fc->next_file_key = FW_CFG_FILE_FIRST;
	/* Signature and the feature bits: traditional interface plus DMA. */
	if (fw_cfg_add_bytes(fc, FW_CFG_SIGNATURE, "QEMU", 4) ||
	    fw_cfg_add_u32(fc, FW_CFG_ID, 0x3)) {
		fw_cfg_free(fc);
		return NULL;
	}
	return fc;
}

void fw_cfg_free(struct fw_cfg *fc)
{
	if (!fc)
		return;
	for (unsigned i = 0; i < fc->n; i++)
		free(fc->entries[i].data);
	free(fc->entries);
	free(fc->dir);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

static struct fw_cfg_entry *fw_cfg_find(struct fw_cfg *fc, uint16_t key)
{
	for (unsigned i = 0; i < fc->n; i++)
		if (fc->entries[i].key == key)
			return &fc->entries[i];
	return NULL;
}

static struct fw_cfg_entry *fw_cfg_find_name(struct fw_cfg *fc, const char *name)
{
	for (unsigned i = 0; i < fc->n; i++)
		if (fc->entries[i].name[0] && !strcmp(fc->entries[i].name, name))
			return &fc->entries[i];
	return NULL;
}

static int fw_cfg_insert(struct fw_cfg *fc, uint16_t key, const char *name, const void *data,
			 size_t len, fw_cfg_write_cb cb, void *opaque)
{
	struct fw_cfg_entry *e;

	if (len > UINT32_MAX || fw_cfg_find(fc, key))
		return len > UINT32_MAX ? -EINVAL : -EEXIST;
	if (fc->n == fc->cap) {
		unsigned cap = fc->cap ? fc->cap * 2 : 32;
		struct fw_cfg_entry *ne = realloc(fc->entries, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		fc->entries = ne;
		fc->cap = cap;
	}
	e = &fc->entries[fc->n];
	memset(e, 0, sizeof(*e));
	e->data = malloc(len ? len : 1);
	if (!e->data)
		return -ENOMEM;
	memcpy(e->data, data, len);
	e->key = key;
	e->len = (uint32_t)len;
	e->on_write = cb;
	e->opaque = opaque;
	if (name)
		strncpy(e->name, name, FW_CFG_NAME_LEN - 1);
	fc->n++;
	return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	int ret;

	pthread_mutex_lock(&fc->lock);
	ret = fw_cfg_insert(fc, key, NULL, data, len, NULL, NULL);
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fw_cfg_add_bytes(fc, key, b, 2);
}

int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(fc, key, b, 4);
}

int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(fc, key, b, 8);
}

/*
 * The directory (key 0x19): be32 count, then per file {be32 size; be16 select; be16 reserved;
 * char name[56]} (fw_cfg.rst, "FW_CFG_FILE_DIR"). Sorted by name, as firmware may bisect it.
 */
static int fw_cfg_entry_cmp(const void *a, const void *b)
{
	return strcmp((*(struct fw_cfg_entry *const *)a)->name,
		      (*(struct fw_cfg_entry *const *)b)->name);
}

static int fw_cfg_rebuild_dir(struct fw_cfg *fc)
{
	struct fw_cfg_entry **files = calloc(fc->n + 1, sizeof(*files));
	unsigned nf = 0;
	uint8_t *dir;
	uint32_t count;

	if (!files)
		return -ENOMEM;
	for (unsigned i = 0; i < fc->n; i++)
		if (fc->entries[i].name[0])
			files[nf++] = &fc->entries[i];
	qsort(files, nf, sizeof(*files), fw_cfg_entry_cmp);
	dir = calloc(1, 4 + (size_t)nf * 64);
	if (!dir) {
		free(files);
		return -ENOMEM;
	}
	count = be32(nf);
	memcpy(dir, &count, 4);
	for (unsigned i = 0; i < nf; i++) {
		uint8_t *d = dir + 4 + (size_t)i * 64;
		uint32_t size = be32(files[i]->len);
		uint16_t sel = __builtin_bswap16(files[i]->key);

		memcpy(d, &size, 4);
		memcpy(d + 4, &sel, 2);
		memcpy(d + 8, files[i]->name, FW_CFG_NAME_LEN);
	}
	free(fc->dir);
	fc->dir = dir;
	fc->dir_len = 4 + nf * 64;
	free(files);
	return 0;
}

int fw_cfg_add_file_writable(struct fw_cfg *fc, const char *name, const void *data, size_t len,
			     fw_cfg_write_cb cb, void *opaque)
{
	int ret;

	if (!name[0] || strlen(name) >= FW_CFG_NAME_LEN)
		return -EINVAL;
	pthread_mutex_lock(&fc->lock);
	if (fw_cfg_find_name(fc, name)) {
		ret = -EEXIST;
	} else if (fc->next_file_key >= FW_CFG_FILE_FIRST + FW_CFG_MAX_ENTRIES) {
		ret = -ENOSPC;
	} else {
		ret = fw_cfg_insert(fc, fc->next_file_key, name, data, len, cb, opaque);
		if (!ret) {
			fc->next_file_key++;
			ret = fw_cfg_rebuild_dir(fc);
		}
	}
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	return fw_cfg_add_file_writable(fc, name, data, len, NULL, NULL);
}

const uint8_t *fw_cfg_file_data(struct fw_cfg *fc, const char *name, uint32_t *len)
{
	struct fw_cfg_entry *e;

	pthread_mutex_lock(&fc->lock);
	e = fw_cfg_find_name(fc, name);
	pthread_mutex_unlock(&fc->lock);
	if (!e)
		return NULL;
	*len = e->len;
	return e->data;
}

void fw_cfg_reset(struct fw_cfg *fc)
{
	pthread_mutex_lock(&fc->lock);
	fc->selector = 0;
	fc->offset = 0;
	fc->dma_hi = 0;
	pthread_mutex_unlock(&fc->lock);
}

/* The selected item's bytes, or NULL (unknown keys read as zeros). Lock held. */
static const uint8_t *fw_cfg_item(struct fw_cfg *fc, uint32_t *len, struct fw_cfg_entry **ent)
{
	struct fw_cfg_entry *e;

	*ent = NULL;
	if (fc->selector == FW_CFG_FILE_DIR) {
		*len = fc->dir ? fc->dir_len : 4;
		return fc->dir ? fc->dir : (const uint8_t *)"\0\0\0\0";
	}
	e = fw_cfg_find(fc, fc->selector);
	if (!e) {
		*len = 0;
		return NULL;
	}
	*ent = e;
	*len = e->len;
	return e->data;
}

/* Selector (0x510, 16-bit write) and data (0x511, 8-bit read) share one 2-port range. */
static uint64_t fw_cfg_port_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *fc = opaque;
	struct fw_cfg_entry *e;
	const uint8_t *data;
	uint32_t len;
	uint64_t v = 0;

	if (off != 1)
		return 0;	/* the selector is write-only */
	pthread_mutex_lock(&fc->lock);
	data = fw_cfg_item(fc, &len, &e);
	if (data && fc->offset < len)
		v = data[fc->offset];
	if (fc->offset < len)
		fc->offset++;
	pthread_mutex_unlock(&fc->lock);
	return v;
}

static void fw_cfg_port_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *fc = opaque;

	if (off != 0)
		return;		/* data-port writes are a deprecated interface: ignored */
	pthread_mutex_lock(&fc->lock);
	/* Bit 14 was the old "write" flag; it is not part of the key. */
	fc->selector = (uint16_t)(val & ~0x4000u);
	fc->offset = 0;
	pthread_mutex_unlock(&fc->lock);
}

/* Copy from the selected item to guest RAM, zero-filling past its end. Lock held. */
static int fw_cfg_dma_read(struct fw_cfg *fc, uint64_t addr, uint32_t len)
{
	static const uint8_t zeros[4096];
	struct fw_cfg_entry *e;
	uint32_t item_len;
	const uint8_t *data = fw_cfg_item(fc, &item_len, &e);

	if (!vm_memory_is_ram(fc->mem, addr, len))
		return -EFAULT;
	while (len) {
		uint32_t n;

		if (data && fc->offset < item_len) {
			n = item_len - fc->offset < len ? item_len - fc->offset : len;
			vm_memory_write(fc->mem, addr, data + fc->offset, n);
		} else {
			n = len < sizeof(zeros) ? len : sizeof(zeros);
			vm_memory_write(fc->mem, addr, zeros, n);
		}
		if (fc->offset < item_len)
			fc->offset += n < item_len - fc->offset ? n : item_len - fc->offset;
		addr += n;
		len -= n;
	}
	return 0;
}

static int fw_cfg_dma_write(struct fw_cfg *fc, uint64_t addr, uint32_t len)
{
	struct fw_cfg_entry *e;
	uint32_t item_len;
	uint32_t at = fc->offset;

	fw_cfg_item(fc, &item_len, &e);
	if (!e || !e->on_write || at > item_len || len > item_len - at)
		return -EPERM;
	if (vm_memory_read(fc->mem, addr, e->data + at, len))
		return -EFAULT;
	fc->offset += len;
	e->on_write(e->opaque, at, len);
	return 0;
}

/*
 * One DMA request (fw_cfg.rst, "DMA interface"): the descriptor {be32 control; be32 length;
 * be64 address} lives in guest RAM; the device clears control (or leaves the error bit) when
 * done. There is no chaining, so no loop to bound beyond the length itself.
 */
static void fw_cfg_dma(struct fw_cfg *fc, uint64_t desc_addr)
{
	uint8_t d[16];
	uint32_t control, len, status = 0;
	uint64_t addr;
	int ret = 0;

	if (vm_memory_read(fc->mem, desc_addr, d, sizeof(d))) {
		vmm_guest_error(fc->log, "fw_cfg: DMA descriptor at %#llx is not in RAM",
				(unsigned long long)desc_addr);
		return;
	}
	memcpy(&control, d, 4);
	memcpy(&len, d + 4, 4);
	memcpy(&addr, d + 8, 8);
	control = be32(control);
	len = be32(len);
	addr = be64(addr);
	pthread_mutex_lock(&fc->lock);
	if (control & FW_CFG_DMA_SELECT) {
		fc->selector = (uint16_t)((control >> 16) & ~0x4000u);
		fc->offset = 0;
	}
	if (control & FW_CFG_DMA_READ)
		ret = fw_cfg_dma_read(fc, addr, len);
	else if (control & FW_CFG_DMA_WRITE)
		ret = fw_cfg_dma_write(fc, addr, len);
	else if (control & FW_CFG_DMA_SKIP)
		fc->offset = len > UINT32_MAX - fc->offset ? UINT32_MAX : fc->offset + len;
	pthread_mutex_unlock(&fc->lock);
	if (ret) {
		vmm_guest_error(fc->log, "fw_cfg: DMA %s of %u bytes at %#llx refused",
				control & FW_CFG_DMA_WRITE ? "write" : "read", len,
				(unsigned long long)addr);
		status = be32(FW_CFG_DMA_ERROR);
	}
	vm_memory_write(fc->mem, desc_addr, &status, 4);
}

/* DMA address register at 0x514: high be32 at +0, low be32 at +4; the low write starts it. */
static uint64_t fw_cfg_dma_reg_read(void *opaque, uint64_t off, unsigned size)
{
	/* Reads give the signature "QEMU CFG" big-endian, which firmware uses to detect DMA. */
	static const uint8_t sig[8] = { 'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G' };
	uint64_t v = 0;

	for (unsigned i = 0; i < size && off + i < 8; i++)
		v |= (uint64_t)sig[off + i] << (8 * i);
	return v;
}

static void fw_cfg_dma_reg_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *fc = opaque;
	uint32_t hi;

	if (size != 4) {
		vmm_guest_error(fc->log, "fw_cfg: %u-byte write to the DMA register", size);
		return;
	}
	if (off == 0) {
		pthread_mutex_lock(&fc->lock);
		fc->dma_hi = be32((uint32_t)val);
		pthread_mutex_unlock(&fc->lock);
		return;
	}
	pthread_mutex_lock(&fc->lock);
	hi = fc->dma_hi;
	fc->dma_hi = 0;
	pthread_mutex_unlock(&fc->lock);
	fw_cfg_dma(fc, ((uint64_t)hi << 32) | be32((uint32_t)val));
}

/* ---- Snapshot state ---------------------------------------------------------------- */

/*
 * The items themselves come from the VM's configuration and are rebuilt by create; what a
 * guest changes is the selector, the read offset (which a DMA skip may carry past the end:
 * every use compares it with the item's length), the latched high half of the DMA address
 * and the contents of writable files. Those follow the header as {key, len, bytes}, in
 * entry order.
 */
struct fw_cfg_state {
	uint32_t version;
	uint16_t selector;
	uint16_t nwritable;
	uint32_t offset;
	uint32_t dma_hi;
};

struct fw_cfg_file_state {
	uint16_t key;
	uint16_t reserved;
	uint32_t len;
};

#define FW_CFG_STATE_VERSION	1
_Static_assert(sizeof(struct fw_cfg_state) == 16 && sizeof(struct fw_cfg_file_state) == 8,
	       "no padding in the saved state");

int fw_cfg_save(struct fw_cfg *fc, void **blob, size_t *len)
{
	struct fw_cfg_state st;
	size_t n = sizeof(st);
	uint8_t *buf, *p;

	memset(&st, 0, sizeof(st));
	st.version = FW_CFG_STATE_VERSION;
	pthread_mutex_lock(&fc->lock);
	for (unsigned i = 0; i < fc->n; i++) {
		if (!fc->entries[i].on_write)
			continue;
		st.nwritable++;
		n += sizeof(struct fw_cfg_file_state) + fc->entries[i].len;
	}
	buf = malloc(n);
	if (!buf) {
		pthread_mutex_unlock(&fc->lock);
		return -ENOMEM;
	}
	st.selector = fc->selector;
	st.offset = fc->offset;
	st.dma_hi = fc->dma_hi;
	memcpy(buf, &st, sizeof(st));
	p = buf + sizeof(st);
	for (unsigned i = 0; i < fc->n; i++) {
		struct fw_cfg_entry *e = &fc->entries[i];
		struct fw_cfg_file_state fs = { e->key, 0, e->len };

		if (!e->on_write)
			continue;
		memcpy(p, &fs, sizeof(fs));
		memcpy(p + sizeof(fs), e->data, e->len);
		p += sizeof(fs) + e->len;
	}
	pthread_mutex_unlock(&fc->lock);
	*blob = buf;
	*len = n;
	return 0;
}

/* Every writable file of this VM, once each, at its own size. Lock held. */
static int fw_cfg_check_files(struct fw_cfg *fc, const uint8_t *blob, size_t len,
			      unsigned nwritable)
{
	size_t off = sizeof(struct fw_cfg_state);
	unsigned live = 0;
	ptrdiff_t next = 0;

	for (unsigned i = 0; i < fc->n; i++)
		live += fc->entries[i].on_write != NULL;
	if (nwritable != live)
		return dev_state_bad("firmware", "fw_cfg nwritable", "differs from this VM's");
	for (unsigned i = 0; i < nwritable; i++) {
		struct fw_cfg_file_state fs;
		struct fw_cfg_entry *e;

		if (len - off < sizeof(fs))
			return dev_state_bad("firmware", "fw_cfg file record", "is cut short");
		memcpy(&fs, blob + off, sizeof(fs));
		e = fw_cfg_find(fc, fs.key);
		if (!e || !e->on_write || fs.len != e->len || fs.reserved)
			return dev_state_bad("firmware", "fw_cfg file", "is not a writable file here");
		/* Saved in entry order: a key repeated (and another missing) goes backwards. */
		if (e - fc->entries < next)
			return dev_state_bad("firmware", "fw_cfg file", "is saved twice");
		next = e - fc->entries + 1;
		if (len - off - sizeof(fs) < fs.len)
			return dev_state_bad("firmware", "fw_cfg file contents", "are cut short");
		off += sizeof(fs) + fs.len;
	}
	return off == len ? 0 : dev_state_bad("firmware", "fw_cfg blob", "has trailing bytes");
}

int fw_cfg_load(struct fw_cfg *fc, const void *blob, size_t len)
{
	struct fw_cfg_state st;
	const uint8_t *p = (const uint8_t *)blob + sizeof(st);
	int ret = dev_state_open("firmware", blob, len, &st, sizeof(st), true,
				 FW_CFG_STATE_VERSION);

	if (ret)
		return ret;
	pthread_mutex_lock(&fc->lock);
	ret = fw_cfg_check_files(fc, blob, len, st.nwritable);
	for (unsigned i = 0; !ret && i < st.nwritable; i++) {
		struct fw_cfg_file_state fs;
		struct fw_cfg_entry *e;

		memcpy(&fs, p, sizeof(fs));
		e = fw_cfg_find(fc, fs.key);
		memcpy(e->data, p + sizeof(fs), fs.len);
		e->on_write(e->opaque, 0, fs.len);	/* its owner acts on the contents again */
		p += sizeof(fs) + fs.len;
	}
	if (!ret) {
		fc->selector = st.selector;
		fc->offset = st.offset;
		fc->dma_hi = st.dma_hi;
	}
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

const struct vmm_io_ops fw_cfg_data_ops = {
	.name = "fw_cfg", .read = fw_cfg_port_read, .write = fw_cfg_port_write,
	.min_size = 1, .max_size = 2,
};
const struct vmm_io_ops fw_cfg_dma_ops = {
	.name = "fw_cfg-dma", .read = fw_cfg_dma_reg_read, .write = fw_cfg_dma_reg_write,
	.min_size = 1, .max_size = 4,
};
