// SPDX-License-Identifier: GPL-2.0-or-later
/* The IDE controller on a KVM VM: drives from the VM config, IRQ 14/15, the PIIX3 function. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atapi.h"
#include "block/block.h"
#include "device.h"
#include "ide.h"
#include "vm.h"

struct ide_vm {
	struct ide *ide;
	struct blk *blk[2][2];	/* owned: closed on destroy or when a CD is changed */
};

/*
 * Where configured drives go, in command-line order: CD-ROMs prefer the secondary master
 * (where PC BIOSes and installers look first), disks fill primary master, primary slave,
 * secondary slave — the usual PC layout.
 */
static const unsigned disk_order[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 0 } };
static const unsigned cd_order[4][2] = { { 1, 0 }, { 1, 1 }, { 0, 1 }, { 0, 0 } };

static int ide_vm_place(const struct vm_disk_config *d, const bool *used, unsigned *ch,
			unsigned *unit)
{
	const unsigned (*order)[2] = d->cdrom ? cd_order : disk_order;

	for (unsigned i = 0; i < 4; i++) {
		if (!used[order[i][0] * 2 + order[i][1]]) {
			*ch = order[i][0];
			*unit = order[i][1];
			return 0;
		}
	}
	vmm_warn("ide: %s: all four IDE positions are taken", d->path ? d->path : "cdrom");
	return -ENOSPC;
}

static int ide_vm_add(struct ide_vm *s, struct vm *vm, unsigned idx, bool *used)
{
	const struct vm_disk_config *d = &vm->cfg.disks[idx];
	struct blk_open_opts o = { .read_only = d->readonly || d->cdrom };
	struct blk *b = NULL;
	char err[256] = "";
	unsigned ch, unit;
	int ret = 0;

	if (d->path && d->path[0])
		ret = blk_open(d->path, &o, &b, err, sizeof(err));
	else if (!d->cdrom)
		ret = -EINVAL;
	if (ret) {
		vmm_warn("ide: %s", err[0] ? err : "a disk needs an image file");
		return ret;
	}
	ret = ide_vm_place(d, used, &ch, &unit);
	if (!ret)
		ret = ide_attach(s->ide, ch, unit, b, d->cdrom ? IDE_CDROM : IDE_DISK);
	if (ret) {
		blk_close(b);
		return ret;
	}
	used[ch * 2 + unit] = true;
	s->blk[ch][unit] = b;
	/* The IDE function is 01.1 (IEEE 1275 PCI binding: unit-address "dev,fn"). */
	vm_set_boot_path(vm, idx, "/pci@i0cf8/ide@1,1/drive@%u/disk@%u", ch, unit);
	return 0;
}

static void ide_vm_destroy(void *state)
{
	struct ide_vm *s = state;

	ide_free(s->ide);
	for (unsigned c = 0; c < 2; c++)
		for (unsigned u = 0; u < 2; u++)
			blk_close(s->blk[c][u]);
	free(s);
}

static int ide_vm_create(struct vm *vm, void **state)
{
	struct ide_config cfg = {
		.irq = { vm_irq_line(vm, IDE_PRIMARY_IRQ), vm_irq_line(vm, IDE_SECONDARY_IRQ) },
		.glog = &vm->glog,
		.mem = &vm->mem,
	};
	bool used[4] = { false };
	struct ide_vm *s;
	unsigned want = 0;
	int ret = 0;

	for (unsigned i = 0; i < vm->cfg.ndisks; i++)
		want += vm->cfg.disks[i].bus == VM_DISK_IDE;
	if (!want)
		return 1;
	/* Without a PCI bus: an ISA-style controller on the legacy ports, PIO only. */
	if (!vm_pci_bus(vm))
		cfg.pio = &vm->pio;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ide = ide_new(&cfg);
	if (!s->ide) {
		free(s);
		return -ENOMEM;
	}
	if (vm_pci_bus(vm))
		ret = ide_pci_init(s->ide, vm_pci_bus(vm));
	for (unsigned i = 0; i < vm->cfg.ndisks && !ret; i++)
		if (vm->cfg.disks[i].bus == VM_DISK_IDE)
			ret = ide_vm_add(s, vm, i, used);
	if (ret) {
		ide_vm_destroy(s);
		return ret;
	}
	*state = s;
	return 0;
}

static void ide_vm_reset(void *state)
{
	ide_reset(((struct ide_vm *)state)->ide);
}

struct ide *ide_vm_controller(void *state)
{
	return ((struct ide_vm *)state)->ide;
}

int ide_vm_change_cd(void *state, unsigned channel, unsigned unit, const char *path,
		     char *err, size_t errlen)
{
	struct ide_vm *s = state;
	struct blk_open_opts o = { .read_only = true };
	struct ide_drive *d = ide_get_drive(s->ide, channel, unit);
	struct blk *b = NULL, *old;
	int ret;

	if (!d)
		return -EINVAL;
	if (path && path[0]) {
		ret = blk_open(path, &o, &b, err, errlen);
		if (ret)
			return ret;
	}
	ret = atapi_change_media(d, b);
	if (ret) {
		blk_close(b);
		snprintf(err, errlen, "ide%u-%u is not a CD-ROM drive", channel, unit);
		return ret;
	}
	old = s->blk[channel][unit];
	s->blk[channel][unit] = b;
	blk_close(old);
	return 0;
}

static int ide_vm_save(void *state, void **blob, size_t *len)
{
	return ide_save(((struct ide_vm *)state)->ide, blob, len);
}

static int ide_vm_load(void *state, const void *blob, size_t len)
{
	return ide_load(((struct ide_vm *)state)->ide, blob, len);
}

/*
 * Nothing runs on its own: every transfer completes inside the guest's port access, so
 * there is nothing to pause; save and load see a quiet controller.
 */
const struct vmm_device_ops ide_device_ops = {
	.name = "ide",
	.create = ide_vm_create,
	.reset = ide_vm_reset,
	.save = ide_vm_save,
	.load = ide_vm_load,
	.destroy = ide_vm_destroy,
};
