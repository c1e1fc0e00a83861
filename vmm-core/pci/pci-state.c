// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot state of PCI bus 0: every function's config space, INTx level and MSI-X table. */
#include "pci-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev-state.h"

/*
 * Blob: a header, then one record per function in devfn order, each followed by its MSI-X
 * table (16 bytes a vector, PCI LB 3.0 §6.8.2.6) and pending bits (one u64 per 64 vectors).
 * Everything derived from config space (BAR mappings, device regions, PIRQ routes, PAM
 * shadowing, INTx wiring) is rebuilt on load rather than saved.
 */
struct pci_bus_state {
	uint32_t version;
	uint32_t config_address;
	uint32_t nfuncs;
	uint32_t reserved;
};

struct pci_func_state {
	uint8_t devfn;
	uint8_t intx_level;
	uint16_t msix_vectors;
	uint32_t reserved;
	uint8_t config[PCI_CONFIG_SIZE];
};

#define PCI_STATE_VERSION	1
_Static_assert(sizeof(struct pci_bus_state) == 16 &&
	       sizeof(struct pci_func_state) == 8 + PCI_CONFIG_SIZE, "no padding in the saved state");
#define MSIX_PBA_WORDS(n)	(((size_t)(n) + 63) / 64)

static size_t func_tail(unsigned vectors)
{
	return (size_t)vectors * PCI_MSIX_ENTRY_SIZE + MSIX_PBA_WORDS(vectors) * 8;
}

static size_t bus_blob_size(struct pci_bus *bus, uint32_t *nfuncs)
{
	size_t n = sizeof(struct pci_bus_state);

	*nfuncs = 0;
	for (unsigned fn = 0; fn < 256; fn++) {
		if (!bus->devs[fn])
			continue;
		n += sizeof(struct pci_func_state) + func_tail(bus->devs[fn]->msix_vectors);
		(*nfuncs)++;
	}
	return n;
}

static uint8_t *save_func(struct pci_dev *dev, uint8_t *p)
{
	struct pci_func_state fs;
	size_t tlen = (size_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE;

	memset(&fs, 0, sizeof(fs));
	pthread_mutex_lock(&dev->bus->irq_lock);
	fs.devfn = dev->devfn;
	fs.intx_level = dev->intx_level;
	fs.msix_vectors = dev->msix_vectors;
	memcpy(fs.config, dev->config, PCI_CONFIG_SIZE);
	memcpy(p, &fs, sizeof(fs));
	p += sizeof(fs);
	if (dev->msix_vectors) {
		memcpy(p, dev->msix_table, tlen);
		memcpy(p + tlen, dev->msix_pba, MSIX_PBA_WORDS(dev->msix_vectors) * 8);
	}
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return p + func_tail(dev->msix_vectors);
}

int pci_bus_save(struct pci_bus *bus, void **blob, size_t *len)
{
	struct pci_bus_state hdr;
	uint8_t *buf, *p;
	size_t n;

	memset(&hdr, 0, sizeof(hdr));
	pthread_mutex_lock(&bus->lock);
	n = bus_blob_size(bus, &hdr.nfuncs);
	buf = calloc(1, n);
	if (!buf) {
		pthread_mutex_unlock(&bus->lock);
		return -ENOMEM;
	}
	hdr.version = PCI_STATE_VERSION;
	hdr.config_address = bus->config_address;
	memcpy(buf, &hdr, sizeof(hdr));
	p = buf + sizeof(hdr);
	for (unsigned fn = 0; fn < 256; fn++)
		if (bus->devs[fn])
			p = save_func(bus->devs[fn], p);
	pthread_mutex_unlock(&bus->lock);
	*blob = buf;
	*len = n;
	return 0;
}

/* ---- Load: validation ---------------------------------------------------------------- */

/* One refusal line naming the function; always -EINVAL. */
static int func_bad(const char *who, unsigned devfn, const char *what)
{
	vmm_warn("snapshot: %s: function %02x.%u %s", who, PCI_SLOT(devfn), PCI_FUNC(devfn), what);
	return -EINVAL;
}

/*
 * Header bits the guest cannot write must be what create made them (IDs, class, BAR type
 * and size bits, pin); status may differ only in RW1C bits and Interrupt Status.
 */
static bool header_ok(const struct pci_dev *dev, const uint8_t *cfg)
{
	for (unsigned o = 0; o < 0x40; o++) {
		uint8_t fixed = (uint8_t)~(dev->wmask[o] | dev->w1cmask[o]);

		if (o == PCI_STATUS)
			fixed &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if ((cfg[o] ^ dev->reset_config[o]) & fixed)
			return false;
	}
	return true;
}

/* Registers past the header of a regs_guest_only function: writable bits only changed. */
static bool regs_ok(const struct pci_dev *dev, const uint8_t *cfg)
{
	if (!dev->regs_guest_only)
		return true;
	for (unsigned o = 0x40; o < PCI_CONFIG_SIZE; o++)
		if ((cfg[o] ^ dev->reset_config[o]) & ~(dev->wmask[o] | dev->w1cmask[o]))
			return false;
	return true;
}

/* The same capability list (IDs and links), so the core's MSI/MSI-X offsets still hold. */
static bool caps_ok(const struct pci_dev *dev, const uint8_t *cfg)
{
	unsigned off = dev->config[PCI_CAPABILITY_LIST] & 0xfc;

	if (cfg[PCI_CAPABILITY_LIST] != dev->config[PCI_CAPABILITY_LIST])
		return false;
	for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
		if (cfg[off] != dev->config[off] || cfg[off + 1] != dev->config[off + 1])
			return false;
		off = dev->config[off + 1] & 0xfc;
	}
	return true;
}

/* Read-only bits of a capability register: what create made them. */
static bool ro_same(const struct pci_dev *dev, const uint8_t *cfg, unsigned off, unsigned n)
{
	for (unsigned o = off; o < off + n; o++)
		if ((cfg[o] ^ dev->reset_config[o]) & ~(dev->wmask[o] | dev->w1cmask[o]))
			return false;
	return true;
}

static bool msi_layout_ok(const struct pci_dev *dev, const uint8_t *cfg)
{
	if (dev->msi_cap && !ro_same(dev, cfg, dev->msi_cap + PCI_MSI_FLAGS, 2))
		return false;
	/* Message control's table size, then the table and PBA offset/BIR dwords. */
	return !dev->msix_cap || ro_same(dev, cfg, dev->msix_cap + PCI_MSIX_FLAGS, 10);
}

/* Vector Control holds only the mask bit (§6.8.2.9), as guest writes leave it. */
static bool msix_table_ok(const uint8_t *table, unsigned vectors)
{
	for (unsigned v = 0; v < vectors; v++) {
		const uint8_t *ctrl = table + (size_t)v * PCI_MSIX_ENTRY_SIZE +
				      PCI_MSIX_ENTRY_VECTOR_CTRL;

		if ((ctrl[0] & ~PCI_MSIX_ENTRY_CTRL_MASKBIT) || ctrl[1] || ctrl[2] || ctrl[3])
			return false;
	}
	return true;
}

/* Pending bits exist only for vectors the function has. */
static bool pba_ok(const uint8_t *pba, unsigned vectors)
{
	uint64_t last;

	if (!vectors || vectors % 64 == 0)
		return true;
	memcpy(&last, pba + (MSIX_PBA_WORDS(vectors) - 1) * 8, 8);
	return !(last >> (vectors % 64));
}

static int check_func(struct pci_bus *bus, const char *who, const struct pci_func_state *fs,
		      const uint8_t *tail)
{
	struct pci_dev *dev = bus->devs[fs->devfn];

	if (!dev)
		return func_bad(who, fs->devfn, "is not on this machine's bus");
	if (fs->intx_level > 1 || fs->reserved)
		return func_bad(who, fs->devfn, "has a bad INTx level or reserved field");
	if (fs->msix_vectors != dev->msix_vectors)
		return func_bad(who, fs->devfn, "has a different MSI-X vector count");
	if (!header_ok(dev, fs->config))
		return func_bad(who, fs->devfn, "header has read-only bits changed");
	if (!regs_ok(dev, fs->config))
		return func_bad(who, fs->devfn, "registers have read-only bits changed");
	if (!caps_ok(dev, fs->config))
		return func_bad(who, fs->devfn, "capability list differs");
	if (!msi_layout_ok(dev, fs->config))
		return func_bad(who, fs->devfn, "MSI/MSI-X read-only fields differ");
	if (!msix_table_ok(tail, fs->msix_vectors))
		return func_bad(who, fs->devfn, "MSI-X vector control has reserved bits set");
	if (!pba_ok(tail + (size_t)fs->msix_vectors * PCI_MSIX_ENTRY_SIZE, fs->msix_vectors))
		return func_bad(who, fs->devfn, "MSI-X pending bits beyond its vectors");
	return 0;
}

/* Walk and check every record; fills recs[] (pointers into blob) in blob order. */
static int check_blob(struct pci_bus *bus, const char *who, const uint8_t *blob, size_t len,
		      const uint8_t **recs, unsigned *nrecs)
{
	struct pci_bus_state hdr;
	uint8_t seen[256] = { 0 };
	size_t off = sizeof(hdr);
	unsigned live = 0;
	int ret = dev_state_open(who, blob, len, &hdr, sizeof(hdr), true, PCI_STATE_VERSION);

	if (ret)
		return ret;
	for (unsigned fn = 0; fn < 256; fn++)
		live += bus->devs[fn] != NULL;
	if (hdr.nfuncs != live || hdr.reserved)
		return dev_state_bad(who, "nfuncs", "does not match this machine's PCI functions");
	if (hdr.config_address & ~PCI_CFG_ADDR_MASK)
		return dev_state_bad(who, "config_address", "has reserved bits set");
	for (unsigned i = 0; i < hdr.nfuncs; i++) {
		struct pci_func_state fs;

		if (len - off < sizeof(fs))
			return dev_state_bad(who, "blob", "ends inside a function record");
		memcpy(&fs, blob + off, sizeof(fs));
		if (len - off - sizeof(fs) < func_tail(fs.msix_vectors))
			return dev_state_bad(who, "blob", "ends inside an MSI-X table");
		if (seen[fs.devfn]++)
			return func_bad(who, fs.devfn, "is saved twice");
		ret = check_func(bus, who, &fs, blob + off + sizeof(fs));
		if (ret)
			return ret;
		recs[i] = blob + off;
		off += sizeof(fs) + func_tail(fs.msix_vectors);
	}
	*nrecs = hdr.nfuncs;
	return off == len ? 0 : dev_state_bad(who, "blob", "has trailing bytes");
}

/* ---- Load: commit ------------------------------------------------------------------- */

static void restore_func(struct pci_bus *bus, const uint8_t *rec)
{
	struct pci_func_state fs;
	struct pci_dev *dev;
	const uint8_t *tail = rec + sizeof(fs);

	memcpy(&fs, rec, sizeof(fs));
	dev = bus->devs[fs.devfn];
	pthread_mutex_lock(&bus->irq_lock);
	memcpy(dev->config, fs.config, PCI_CONFIG_SIZE);
	dev->intx_level = fs.intx_level;
	if (dev->msix_vectors) {
		memcpy(dev->msix_table, tail, (size_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE);
		memcpy(dev->msix_pba, tail + (size_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE,
		       MSIX_PBA_WORDS(dev->msix_vectors) * 8);
	}
	pthread_mutex_unlock(&bus->irq_lock);
}

static bool in_capability(const struct pci_dev *dev, unsigned off)
{
	return dev->capmap[off / 8] & (0x0fu << (off % 8));
}

/*
 * What dev_config_write does after a guest write, for the whole space at once: interrupt
 * wiring, BAR decoding, then the device's hook once per dword. Capability dwords are not
 * replayed: MSI/MSI-X are the core's and are synced above, and a vendor capability may be
 * a window onto device registers (virtio's PCI configuration access capability), where a
 * replayed write would act a second time.
 */
static void resync_func(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;

	pthread_mutex_lock(&bus->irq_lock);
	pci_intx_sync_locked(dev);
	pci_msi_sync_locked(dev);
	pthread_mutex_unlock(&bus->irq_lock);
	pci_bars_sync(dev);
	if (!dev->ops || !dev->ops->config_write)
		return;
	for (unsigned off = 0; off < PCI_CONFIG_SIZE; off += 4)
		if (!in_capability(dev, off))
			dev->ops->config_write(dev, off, pci_config_get(dev, off, 4), 4);
}

int pci_bus_load(struct pci_bus *bus, const char *who, const void *blob, size_t len)
{
	const uint8_t *recs[256];
	unsigned n = 0;
	int ret;

	pthread_mutex_lock(&bus->lock);
	ret = check_blob(bus, who, blob, len, recs, &n);
	if (ret) {
		pthread_mutex_unlock(&bus->lock);
		return ret;
	}
	memcpy(&bus->config_address, (const uint8_t *)blob + 4, 4);
	for (unsigned i = 0; i < n; i++)
		restore_func(bus, recs[i]);
	for (unsigned fn = 0; fn < 256; fn++)
		if (bus->devs[fn])
			resync_func(bus->devs[fn]);
	pci_bus_retry_mappings(bus);
	pthread_mutex_unlock(&bus->lock);
	return 0;
}
