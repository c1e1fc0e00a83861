// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 IDE PCI function (82371SB function 1): identity, BAR4, legacy port decoding. */
#include "ata.h"

#include <errno.h>
#include <stddef.h>

/*
 * PIIX3 datasheet §2.3 (PCI configuration registers, function 1):
 *   IDETIM 40h (primary) / 42h (secondary), bit 15 IDE decode enable: the channel's
 *   compatibility ports are decoded only while it and PCICMD I/O space enable are set.
 *   SIDETIM 44h: slave timings, plain read/write storage here.
 * The datasheet's IDETIM default is 0000h; we come up with decode enabled, as a BIOS leaves
 * it (SeaBIOS writes 8000h to both), so a directly booted kernel finds its disks too —
 * Linux's ata_piix ignores a channel whose enable bit is clear.
 */
#define PIIX_IDETIM		0x40
#define PIIX_IDETIM_DECODE	0x8000
#define PIIX_SIDETIM		0x44

static const uint16_t pci_cmd_base[2] = { IDE_PRIMARY_CMD, IDE_SECONDARY_CMD };
static const uint16_t pci_ctl_base[2] = { IDE_PRIMARY_CTL, IDE_SECONDARY_CTL };

static struct ide *ide_of(struct pci_dev *dev)
{
	return (struct ide *)((char *)dev - offsetof(struct ide, pci));
}

void ide_pci_sync(struct ide *ide)
{
	struct pci_dev *dev = &ide->pci;
	bool io = pci_config_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_IO;

	for (unsigned c = 0; c < 2; c++) {
		bool on = io && (pci_config_get(dev, PIIX_IDETIM + 2 * c, 2) & PIIX_IDETIM_DECODE);

		pci_region_place(dev, ide->region[c][0], pci_cmd_base[c], on);
		pci_region_place(dev, ide->region[c][1], pci_ctl_base[c], on);
	}
}

static bool overlaps(unsigned off, unsigned size, unsigned start, unsigned len)
{
	return off < start + len && start < off + size;
}

static void ide_pci_config_write(struct pci_dev *dev, unsigned offset, uint32_t val,
				 unsigned size)
{
	if (overlaps(offset, size, PCI_COMMAND, 2) || overlaps(offset, size, PIIX_IDETIM, 4))
		ide_pci_sync(ide_of(dev));
}

static void ide_pci_reset(struct pci_dev *dev)
{
	ide_pci_sync(ide_of(dev));
}

static const struct pci_dev_ops ide_pci_ops = {
	.config_write = ide_pci_config_write,
	.reset = ide_pci_reset,
};

static const struct pci_dev_info ide_pci_info = {
	.name = "piix3-ide",
	.vendor_id = IDE_PCI_VENDOR,
	.device_id = IDE_PCI_DEVICE,
	.class_code = IDE_PCI_CLASS,
	.irq_pin = 0,		/* compatibility mode: IRQ 14/15, no INTx */
	.ops = &ide_pci_ops,
};

/* pci_dma_* refuse anything but guest RAM and honour Bus Master Enable. */
static int ide_pci_dma_rw(struct ide *ide, uint64_t gpa, void *buf, size_t len, bool to_mem)
{
	return to_mem ? pci_dma_write(&ide->pci, gpa, buf, len)
		      : pci_dma_read(&ide->pci, gpa, buf, len);
}

static void ide_pci_exit(struct ide *ide)
{
	pci_dev_exit(&ide->pci);
}

static int ide_pci_regions(struct ide *ide)
{
	for (unsigned c = 0; c < 2; c++) {
		int cmd = pci_add_region(&ide->pci, true, 8, &ide_cmd_io_ops, &ide->ch[c]);
		int ctl = pci_add_region(&ide->pci, true, 1, &ide_ctl_io_ops, &ide->ch[c]);

		if (cmd < 0)
			return cmd;
		if (ctl < 0)
			return ctl;
		ide->region[c][0] = cmd;
		ide->region[c][1] = ctl;
	}
	return 0;
}

int ide_pci_init(struct ide *ide, struct pci_bus *bus)
{
	struct pci_dev *dev = &ide->pci;
	int ret;

	if (ide->has_pci)
		return -EBUSY;
	ret = pci_dev_init(dev, bus, IDE_PCI_DEVFN, &ide_pci_info);
	if (ret)
		return ret;
	ret = pci_register_bar(dev, 4, IDE_BMDMA_SIZE, PCI_BAR_IO, false, &ide_bmdma_io_ops, ide);
	if (!ret)
		ret = ide_pci_regions(ide);
	if (ret) {
		pci_dev_exit(dev);
		return ret;
	}
	pci_config_set(dev, PCI_STATUS, 2, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
	pci_config_set(dev, PIIX_IDETIM, 2, PIIX_IDETIM_DECODE);
	pci_config_set(dev, PIIX_IDETIM + 2, 2, PIIX_IDETIM_DECODE);
	pci_config_set_wmask(dev, PIIX_IDETIM, 4, 0xffffffffu);
	pci_config_set_wmask(dev, PIIX_SIDETIM, 1, 0xff);
	pci_config_claim(dev, PIIX_IDETIM, 5);

	/* The legacy ports and the BMDMA block are the function's from now on. Init time:
	 * no vCPU runs, and bus calls never happen under the controller lock. */
	ide_unregister(ide);
	pthread_mutex_lock(&ide->lock);
	ide->dma_rw = ide_pci_dma_rw;
	ide->pci_exit = ide_pci_exit;
	ide->has_pci = true;
	pthread_mutex_unlock(&ide->lock);
	ide_pci_sync(ide);
	return 0;
}
