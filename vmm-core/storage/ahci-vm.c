// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI controller on a VM: disks and CD-ROMs with bus = ahci become ports 0..5 in order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ahci.h"
#include "ahci-private.h"
#include "block/block.h"
#include "pci/pci.h"
#include "vm.h"

struct ahci_vm {
	struct ahci *hba;
	struct blk *blk[AHCI_NPORTS];	/* owned: closed on destroy or when a CD is changed */
	unsigned nports;
};

static int ahci_vm_add(struct ahci_vm *s, struct vm *vm, unsigned idx)
{
	const struct vm_disk_config *d = &vm->cfg.disks[idx];
	struct blk_open_opts o = { .read_only = d->readonly || d->cdrom };
	struct blk *b = NULL;
	char err[256] = "";
	int ret = 0;

	if (s->nports >= AHCI_NPORTS) {
		vmm_warn("ahci: %s: all %u ports are taken", d->path ? d->path : "cdrom",
			 AHCI_NPORTS);
		return -ENOSPC;
	}
	if (d->path && d->path[0])
		ret = blk_open(d->path, &o, &b, err, sizeof(err));
	else if (!d->cdrom)
		ret = -EINVAL;
	if (ret) {
		vmm_warn("ahci: %s", err[0] ? err : "a disk needs an image file");
		return ret;
	}
	ret = ahci_attach(s->hba, s->nports, b, d->cdrom ? AHCI_CDROM : AHCI_DISK);
	if (ret) {
		blk_close(b);
		return ret;
	}
	/* SeaBIOS names AHCI drives by controller slot and port (bootorder). */
	vm_set_boot_path(vm, idx, "/pci@i0cf8/sata@%x/drive@%x/disk@0",
			 s->hba->pci.devfn >> 3, s->nports);
	s->blk[s->nports++] = b;
	return 0;
}

static void ahci_vm_destroy(void *state)
{
	struct ahci_vm *s = state;

	ahci_free(s->hba);
	for (unsigned i = 0; i < AHCI_NPORTS; i++)
		blk_close(s->blk[i]);
	free(s);
}

static int ahci_vm_create(struct vm *vm, void **state)
{
	struct pci_bus *bus = vm_pci_bus(vm);
	struct ahci_vm *s;
	unsigned want = 0;
	int ret = 0;

	for (unsigned i = 0; i < vm->cfg.ndisks; i++)
		want += vm->cfg.disks[i].bus == VM_DISK_AHCI;
	if (!want)
		return 1;
	if (!bus) {
		vmm_warn("ahci: the machine has no PCI bus");
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->hba = ahci_new(bus, PCI_DEVFN_AUTO, &ret);
	if (!s->hba) {
		free(s);
		return ret;
	}
	for (unsigned i = 0; i < vm->cfg.ndisks && !ret; i++)
		if (vm->cfg.disks[i].bus == VM_DISK_AHCI)
			ret = ahci_vm_add(s, vm, i);
	if (ret) {
		ahci_vm_destroy(s);
		return ret;
	}
	*state = s;
	return 0;
}

static void ahci_vm_reset(void *state)
{
	ahci_reset(((struct ahci_vm *)state)->hba);
}

int ahci_vm_change_cd(void *state, unsigned port, const char *path, char *err, size_t errlen)
{
	struct ahci_vm *s = state;
	struct blk_open_opts o = { .read_only = true };
	struct blk *b = NULL, *old;
	int ret;

	if (port >= AHCI_NPORTS) {
		snprintf(err, errlen, "ahci port %u does not exist", port);
		return -EINVAL;
	}
	if (path && path[0]) {
		ret = blk_open(path, &o, &b, err, errlen);
		if (ret)
			return ret;
	}
	ret = ahci_change_media(s->hba, port, b);
	if (ret) {
		blk_close(b);
		snprintf(err, errlen, "ahci port %u is not a CD-ROM drive", port);
		return ret;
	}
	old = s->blk[port];
	s->blk[port] = b;
	blk_close(old);
	return 0;
}

static int ahci_vm_save(void *state, void **blob, size_t *len)
{
	return ahci_save(((struct ahci_vm *)state)->hba, blob, len);
}

static int ahci_vm_load(void *state, const void *blob, size_t len)
{
	return ahci_load(((struct ahci_vm *)state)->hba, blob, len);
}

/* Nothing runs on its own: every command completes inside the guest's PxCI write. */
const struct vmm_device_ops ahci_device_ops = {
	.name = "ahci",
	.create = ahci_vm_create,
	.reset = ahci_vm_reset,
	.save = ahci_vm_save,
	.load = ahci_vm_load,
	.destroy = ahci_vm_destroy,
};
