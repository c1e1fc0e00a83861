// SPDX-License-Identifier: GPL-2.0-or-later
/* i440FX host bridge: the IDs firmware looks for, PAM registers stored and reported. */
#include "i440fx.h"

#include <stddef.h>

#define PAM0_MASK	0x30	/* PAM0 has only the 0xF0000 field (bits 5:4) */
#define PAMN_MASK	0x33
#define SMRAM_DEFAULT	0x02	/* C_BASE_SEG = 010b: SMRAM at 0xA0000 */
#define SMRAM_WMASK	0x78	/* D_OPEN, D_CLS, D_LCK, G_SMRAME */

static struct i440fx *to_i440fx(struct pci_dev *dev)
{
	return (struct i440fx *)((char *)dev - offsetof(struct i440fx, pci));
}

/* Report every PAM register whose value differs from what was last reported. */
static void pam_report(struct i440fx *h)
{
	for (unsigned i = 0; i < I440FX_NPAM; i++) {
		uint8_t v = (uint8_t)pci_config_get(&h->pci, I440FX_PAM0 + i, 1);

		if (v == h->pam_seen[i])
			continue;
		h->pam_seen[i] = v;
		if (h->on_pam_change)
			h->on_pam_change(h->pam_opaque, i, v);
	}
}

static void i440fx_config_write(struct pci_dev *dev, unsigned offset, uint32_t val,
				unsigned size)
{
	if (offset < I440FX_PAM0 + I440FX_NPAM && offset + size > I440FX_PAM0)
		pam_report(to_i440fx(dev));
}

static void i440fx_reset(struct pci_dev *dev)
{
	pam_report(to_i440fx(dev));
}

static const struct pci_dev_ops i440fx_pci_ops = {
	.config_write = i440fx_config_write,
	.reset = i440fx_reset,
};

int i440fx_init(struct i440fx *h, struct pci_bus *bus)
{
	const struct pci_dev_info info = {
		.name = "i440fx",
		.vendor_id = I440FX_VENDOR_ID,
		.device_id = I440FX_DEVICE_ID,
		.class_code = I440FX_CLASS,
		.revision = I440FX_REVISION,
		/*
		 * QEMU's subsystem IDs: SeaBIOS builds for real hardware (CONFIG_QEMU_HARDWARE)
		 * only trust fw_cfg and the debug port when the host bridge carries them
		 * (SeaBIOS src/fw/paravirt.c, qemu_detect).
		 */
		.subsys_vendor_id = I440FX_SUBSYS_VENDOR_ID,
		.subsys_id = I440FX_SUBSYS_ID,
		.ops = &i440fx_pci_ops,
	};
	int ret = pci_dev_init(&h->pci, bus, PCI_DEVFN(0, 0), &info);

	if (ret)
		return ret;
	/* 82441FX datasheet §3.2: PAM[6:0] power on as 0 (ROM, not RAM, at 0xC0000-0xFFFFF). */
	for (unsigned i = 0; i < I440FX_NPAM; i++) {
		pci_config_set_wmask(&h->pci, I440FX_PAM0 + i, 1, i ? PAMN_MASK : PAM0_MASK);
		h->pam_seen[i] = 0;
	}
	pci_config_set(&h->pci, I440FX_SMRAM, 1, SMRAM_DEFAULT);
	pci_config_set_wmask(&h->pci, I440FX_SMRAM, 1, SMRAM_WMASK);
	pci_config_claim(&h->pci, 0x40, PCI_CONFIG_SIZE - 0x40);	/* no capabilities */
	h->pci.regs_guest_only = true;
	return 0;
}

void i440fx_exit(struct i440fx *h)
{
	pci_dev_exit(&h->pci);
}

void i440fx_set_pam_callback(struct i440fx *h,
			     void (*cb)(void *opaque, unsigned pam_index, uint8_t value),
			     void *opaque)
{
	h->on_pam_change = cb;
	h->pam_opaque = opaque;
}

uint8_t i440fx_pam(struct i440fx *h, unsigned pam_index)
{
	if (pam_index >= I440FX_NPAM)
		return 0;
	return (uint8_t)pci_config_get(&h->pci, I440FX_PAM0 + pam_index, 1);
}
