// SPDX-License-Identifier: GPL-2.0-or-later
/* MSI and MSI-X (PCI LB 3.0 §6.8): capabilities, masking, pending bits, the MSI-X table. */
#include "pci-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MSI_ADDR_WINDOW		0xfee00000ull	/* Intel SDM vol. 3 §11.11.1: MSI address */
#define MSIX_WORDS(n)		(((n) + 63u) / 64u)

/* ---- Delivery ---------------------------------------------------------------------- */

/*
 * An MSI is a memory write the host bridge turns into an interrupt when it targets the
 * 0xFEExxxxx window. Anything else would be a DMA write of the data word; a device never
 * writes guest memory without being asked, so such a message is dropped and logged.
 */
static int msi_send_locked(struct pci_dev *dev, uint64_t addr, uint32_t data)
{
	struct pci_bus *bus = dev->bus;

	if ((addr >> 20) != (MSI_ADDR_WINDOW >> 20)) {
		pci_guest_error(bus, "pci %s: MSI to %#llx (data %#x) is not an interrupt",
				dev->name, (unsigned long long)addr, data);
		return 0;
	}
	return bus->cfg.signal_msi ? bus->cfg.signal_msi(bus->cfg.opaque, addr, data) : 0;
}

static unsigned msi_reg(const struct pci_dev *dev, unsigned off32, unsigned off64)
{
	return dev->msi_cap + (dev->msi_64 ? off64 : off32);
}

bool pci_msi_enabled_locked(struct pci_dev *dev)
{
	return dev->msi_cap &&
	       (pci_cfg_load(dev, dev->msi_cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
}

bool pci_msix_enabled_locked(struct pci_dev *dev)
{
	return dev->msix_cap &&
	       (pci_cfg_load(dev, dev->msix_cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
}

/* Vectors the guest granted (Multiple Message Enable), never more than the device has. */
static unsigned msi_granted(struct pci_dev *dev)
{
	uint32_t flags = pci_cfg_load(dev, dev->msi_cap + PCI_MSI_FLAGS, 2);
	unsigned n = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);

	return n > dev->msi_vectors ? dev->msi_vectors : n;
}

/* Send vector (already reduced to the granted range): the low data bits carry it. */
static int msi_deliver_locked(struct pci_dev *dev, unsigned vector)
{
	unsigned n = msi_granted(dev);
	uint64_t addr = pci_cfg_load(dev, dev->msi_cap + PCI_MSI_ADDRESS_LO, 4);
	uint32_t data = pci_cfg_load(dev, msi_reg(dev, PCI_MSI_DATA_32, PCI_MSI_DATA_64), 2);

	if (dev->msi_64)
		addr |= (uint64_t)pci_cfg_load(dev, dev->msi_cap + PCI_MSI_ADDRESS_HI, 4) << 32;
	return msi_send_locked(dev, addr, (data & ~(n - 1)) | vector);
}

static int msi_fire_locked(struct pci_dev *dev, unsigned vector)
{
	unsigned mask_reg = msi_reg(dev, PCI_MSI_MASK_32, PCI_MSI_MASK_64);
	unsigned pend_reg = msi_reg(dev, PCI_MSI_PENDING_32, PCI_MSI_PENDING_64);
	uint32_t bit;

	if (!pci_msi_enabled_locked(dev))
		return -ENODEV;
	if (vector >= dev->msi_vectors)
		return -EINVAL;
	/* Fewer vectors granted than asked for: they are shared (§6.8.1.3). */
	vector &= msi_granted(dev) - 1;
	bit = 1u << vector;
	if (dev->msi_maskable && (pci_cfg_load(dev, mask_reg, 4) & bit)) {
		pci_cfg_store(dev, pend_reg, 4, pci_cfg_load(dev, pend_reg, 4) | bit);
		return 0;
	}
	return msi_deliver_locked(dev, vector);
}

static uint8_t *msix_entry(struct pci_dev *dev, unsigned vector)
{
	return dev->msix_table + (size_t)vector * PCI_MSIX_ENTRY_SIZE;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool msix_masked_locked(struct pci_dev *dev, unsigned vector)
{
	uint16_t flags = (uint16_t)pci_cfg_load(dev, dev->msix_cap + PCI_MSIX_FLAGS, 2);

	return (flags & PCI_MSIX_FLAGS_MASKALL) ||
	       (msix_entry(dev, vector)[PCI_MSIX_ENTRY_VECTOR_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static int msix_deliver_locked(struct pci_dev *dev, unsigned vector)
{
	const uint8_t *e = msix_entry(dev, vector);
	uint64_t addr = le32(e + PCI_MSIX_ENTRY_LOWER_ADDR) |
			(uint64_t)le32(e + PCI_MSIX_ENTRY_UPPER_ADDR) << 32;

	return msi_send_locked(dev, addr, le32(e + PCI_MSIX_ENTRY_DATA));
}

static int msix_fire_locked(struct pci_dev *dev, unsigned vector)
{
	if (vector >= dev->msix_vectors)
		return -EINVAL;
	if (msix_masked_locked(dev, vector)) {
		dev->msix_pba[vector / 64] |= 1ull << (vector % 64);	/* §6.8.2.9 */
		return 0;
	}
	return msix_deliver_locked(dev, vector);
}

/* Send the pending vectors of one PBA word whose masks are now clear. */
static void msix_sync_word(struct pci_dev *dev, unsigned w)
{
	uint64_t bits = dev->msix_pba[w];

	while (bits) {
		unsigned v = w * 64 + (unsigned)__builtin_ctzll(bits);

		bits &= bits - 1;
		if (v >= dev->msix_vectors || msix_masked_locked(dev, v))
			continue;
		dev->msix_pba[w] &= ~(1ull << (v % 64));
		msix_deliver_locked(dev, v);
	}
}

static void msix_sync_locked(struct pci_dev *dev)
{
	if (!pci_msix_enabled_locked(dev))
		return;
	for (unsigned w = 0; w < MSIX_WORDS(dev->msix_vectors); w++)
		msix_sync_word(dev, w);
}

static void msi_sync_locked(struct pci_dev *dev)
{
	unsigned mask_reg = msi_reg(dev, PCI_MSI_MASK_32, PCI_MSI_MASK_64);
	unsigned pend_reg = msi_reg(dev, PCI_MSI_PENDING_32, PCI_MSI_PENDING_64);
	uint32_t pend, ready;

	if (!dev->msi_maskable || !pci_msi_enabled_locked(dev))
		return;
	pend = pci_cfg_load(dev, pend_reg, 4);
	ready = pend & ~pci_cfg_load(dev, mask_reg, 4);
	pci_cfg_store(dev, pend_reg, 4, pend & ~ready);
	for (unsigned v = 0; ready; v++, ready >>= 1)
		if (ready & 1)
			msi_deliver_locked(dev, v);
}

void pci_msi_sync_locked(struct pci_dev *dev)
{
	if (dev->msi_cap)
		msi_sync_locked(dev);
	if (dev->msix_cap)
		msix_sync_locked(dev);
}

int pci_msi_notify(struct pci_dev *dev, unsigned vector)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&dev->bus->irq_lock);
	if (pci_msix_enabled_locked(dev))
		ret = msix_fire_locked(dev, vector);
	else if (dev->msi_cap)
		ret = msi_fire_locked(dev, vector);
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return ret;
}

void pci_notify(struct pci_dev *dev, unsigned vector)
{
	int ret = pci_msi_notify(dev, vector);

	if (ret == -ENODEV)
		pci_set_irq(dev, 1);
	else if (ret == -EINVAL)
		vmm_warn("pci %s: notify of vector %u it does not have", dev->name, vector);
}

bool pci_msi_enabled(struct pci_dev *dev)
{
	bool on;

	pthread_mutex_lock(&dev->bus->irq_lock);
	on = pci_msi_enabled_locked(dev);
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return on;
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	bool on;

	pthread_mutex_lock(&dev->bus->irq_lock);
	on = pci_msix_enabled_locked(dev);
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return on;
}

/* ---- MSI capability ---------------------------------------------------------------- */

int pci_msi_init(struct pci_dev *dev, unsigned nvectors, bool addr64, bool maskable)
{
	unsigned log2n = 0, size;
	uint32_t vec_mask;
	int cap;

	if (!nvectors || nvectors > PCI_MSI_MAX_VECTORS || (nvectors & (nvectors - 1)))
		return -EINVAL;
	if (dev->msi_cap)
		return -EBUSY;
	while ((1u << log2n) < nvectors)
		log2n++;
	size = addr64 ? PCI_MSI_DATA_64 + 2 : PCI_MSI_DATA_32 + 2;
	if (maskable)
		size = addr64 ? PCI_MSI_PENDING_64 + 4 : PCI_MSI_PENDING_32 + 4;
	cap = pci_add_capability(dev, PCI_CAP_ID_MSI, size);
	if (cap < 0)
		return cap;
	pci_config_set(dev, cap + PCI_MSI_FLAGS, 2, (log2n << 1) |
		       (addr64 ? PCI_MSI_FLAGS_64BIT : 0) | (maskable ? PCI_MSI_FLAGS_MASKBIT : 0));
	pci_config_set_wmask(dev, cap + PCI_MSI_FLAGS, 2,
			     PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	pci_config_set_wmask(dev, cap + PCI_MSI_ADDRESS_LO, 4, 0xfffffffc);
	if (addr64)
		pci_config_set_wmask(dev, cap + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
	pci_config_set_wmask(dev, cap + (addr64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2, 0xffff);
	vec_mask = nvectors == 32 ? 0xffffffff : (1u << nvectors) - 1;
	if (maskable)
		pci_config_set_wmask(dev, cap + (addr64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32), 4,
				     vec_mask);
	pthread_mutex_lock(&dev->bus->irq_lock);
	dev->msi_vectors = (uint8_t)nvectors;
	dev->msi_64 = addr64;
	dev->msi_maskable = maskable;
	dev->msi_cap = (uint8_t)cap;
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return cap;
}

/* ---- MSI-X capability and table ---------------------------------------------------- */

static bool msix_bar_ok(struct pci_dev *dev, unsigned bar, uint32_t off, uint64_t len)
{
	const struct pci_bar *b;

	if (bar >= PCI_NUM_BARS || (off & 7))
		return false;
	b = &dev->bars[bar];
	if ((b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) || b->hva || b->is_rom)
		return false;	/* the core must see every access to serve the table */
	return off <= b->size && len <= b->size - off;
}

static void msix_table_reset(struct pci_dev *dev)
{
	memset(dev->msix_table, 0, (size_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE);
	for (unsigned v = 0; v < dev->msix_vectors; v++)
		msix_entry(dev, v)[PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	memset(dev->msix_pba, 0, MSIX_WORDS(dev->msix_vectors) * sizeof(uint64_t));
}

int pci_msix_init(struct pci_dev *dev, unsigned nvectors, unsigned table_bar,
		  uint32_t table_offset, unsigned pba_bar, uint32_t pba_offset)
{
	uint64_t tlen = (uint64_t)nvectors * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = MSIX_WORDS(nvectors) * 8ull;
	uint8_t *table;
	uint64_t *pba;
	int cap;

	if (!nvectors || nvectors > PCI_MSIX_MAX_VECTORS)
		return -EINVAL;
	if (dev->msix_cap)
		return -EBUSY;
	if (!msix_bar_ok(dev, table_bar, table_offset, tlen) ||
	    !msix_bar_ok(dev, pba_bar, pba_offset, plen))
		return -EINVAL;
	if (table_bar == pba_bar && table_offset < pba_offset + plen &&
	    pba_offset < table_offset + tlen)
		return -EINVAL;
	table = calloc(nvectors, PCI_MSIX_ENTRY_SIZE);
	pba = calloc(MSIX_WORDS(nvectors), sizeof(uint64_t));
	cap = table && pba ? pci_add_capability(dev, PCI_CAP_ID_MSIX, 12) : -ENOMEM;
	if (cap < 0) {
		free(table);
		free(pba);
		return cap;
	}
	pci_config_set(dev, cap + PCI_MSIX_FLAGS, 2, nvectors - 1);
	pci_config_set_wmask(dev, cap + PCI_MSIX_FLAGS, 2,
			     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_config_set(dev, cap + PCI_MSIX_TABLE, 4, table_offset | table_bar);
	pci_config_set(dev, cap + PCI_MSIX_PBA, 4, pba_offset | pba_bar);
	pthread_mutex_lock(&dev->bus->irq_lock);
	dev->msix_table = table;
	dev->msix_pba = pba;
	dev->msix_vectors = (uint16_t)nvectors;
	dev->msix_table_bar = (uint8_t)table_bar;
	dev->msix_table_off = table_offset;
	dev->msix_pba_bar = (uint8_t)pba_bar;
	dev->msix_pba_off = pba_offset;
	msix_table_reset(dev);
	dev->msix_cap = (uint16_t)cap;
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return cap;
}

void pci_msix_reset_locked(struct pci_dev *dev)
{
	if (dev->msix_cap)
		msix_table_reset(dev);
}

void pci_msi_free(struct pci_dev *dev)
{
	free(dev->msix_table);
	free(dev->msix_pba);
	dev->msix_table = NULL;
	dev->msix_pba = NULL;
	dev->msix_cap = 0;
	dev->msi_cap = 0;
}

/* Is [off, off+size) in the table (or the PBA) of this BAR? *woff: offset in the window. */
static bool msix_window(struct pci_dev *dev, unsigned bar, uint64_t off, bool *is_pba,
			uint64_t *woff)
{
	uint64_t tlen = (uint64_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE;
	uint64_t plen = MSIX_WORDS(dev->msix_vectors) * 8ull;

	if (!dev->msix_cap)
		return false;
	if (bar == dev->msix_table_bar && off >= dev->msix_table_off &&
	    off - dev->msix_table_off < tlen) {
		*is_pba = false;
		*woff = off - dev->msix_table_off;
		return true;
	}
	if (bar == dev->msix_pba_bar && off >= dev->msix_pba_off && off - dev->msix_pba_off < plen) {
		*is_pba = true;
		*woff = off - dev->msix_pba_off;
		return true;
	}
	return false;
}

bool pci_msix_bar_read(struct pci_dev *dev, unsigned bar, uint64_t off, unsigned size,
		       uint64_t *val)
{
	uint64_t tlen = (uint64_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE, woff, v = 0;
	bool is_pba;

	if (!msix_window(dev, bar, off, &is_pba, &woff))
		return false;
	pthread_mutex_lock(&dev->bus->irq_lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t o = woff + i;
		uint8_t b = 0;

		if (is_pba && o / 8 < MSIX_WORDS(dev->msix_vectors))
			b = (uint8_t)(dev->msix_pba[o / 8] >> (8 * (o % 8)));
		else if (!is_pba && o < tlen)
			b = dev->msix_table[o];
		v |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&dev->bus->irq_lock);
	*val = v;
	return true;
}

/*
 * Table writes: address, upper address and data are plain; in Vector Control only the
 * mask bit exists (§6.8.2.9). Clearing a mask sends what it held pending. The PBA is
 * read-only (§6.8.2.10).
 */
bool pci_msix_bar_write(struct pci_dev *dev, unsigned bar, uint64_t off, unsigned size,
			uint64_t val)
{
	uint64_t tlen = (uint64_t)dev->msix_vectors * PCI_MSIX_ENTRY_SIZE, woff;
	bool is_pba;

	if (!msix_window(dev, bar, off, &is_pba, &woff))
		return false;
	if (is_pba) {
		pci_guest_error(dev->bus, "pci %s: write to the MSI-X PBA", dev->name);
		return true;
	}
	pthread_mutex_lock(&dev->bus->irq_lock);
	for (unsigned i = 0; i < size && i < 8 && woff + i < tlen; i++) {
		uint64_t o = woff + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		unsigned in_entry = o % PCI_MSIX_ENTRY_SIZE;

		if (in_entry == PCI_MSIX_ENTRY_VECTOR_CTRL)
			b &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
		else if (in_entry > PCI_MSIX_ENTRY_VECTOR_CTRL)
			b = 0;
		dev->msix_table[o] = b;
	}
	msix_sync_locked(dev);
	pthread_mutex_unlock(&dev->bus->irq_lock);
	return true;
}
