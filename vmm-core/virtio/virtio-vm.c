// SPDX-License-Identifier: GPL-2.0-or-later
/* Virtio on a KVM VM: virtio-blk per virtio disk, virtio-rng always; ioeventfd/irqfd glue. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "device.h"
#include "virtio-blk.h"
#include "virtio-rng.h"
#include "virtio-vm.h"
#include "vm.h"

/* ---- Host hooks: KVM ioeventfds for queue notifications, MSI irqfds for interrupts ---- */

static int vvm_ioeventfd_new(void *opaque, uint64_t addr, unsigned len, uint64_t data)
{
	return vm_ioeventfd_new(opaque, addr, len, false, true, data);
}

/*
 * KVM keeps an ioeventfd until it is deassigned with the same address, length and datamatch
 * (closing the fd is not enough): without this a moved BAR would leave the old address
 * swallowing writes. Candidate for vm.c as vm_ioeventfd_free().
 */
static void vvm_ioeventfd_free(void *opaque, int fd, uint64_t addr, unsigned len,
			       uint64_t data)
{
	struct vm *vm = opaque;
	struct kvm_ioeventfd req = {
		.datamatch = data, .addr = addr, .len = len, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0)
		vmm_warn("virtio: ioeventfd at %#llx not deassigned: %m",
			 (unsigned long long)addr);
	close(fd);
}

static int vvm_irqfd_new(void *opaque, uint64_t addr, uint32_t data)
{
	return vm_msi_irqfd_new(opaque, addr, data);
}

static int vvm_irqfd_update(void *opaque, int fd, uint64_t addr, uint32_t data)
{
	return vm_msi_irqfd_update(opaque, fd, addr, data);
}

static void vvm_irqfd_free(void *opaque, int fd)
{
	vm_msi_irqfd_free(opaque, fd);
}

static const struct virtio_host_ops vvm_host_ops = {
	.ioeventfd_new = vvm_ioeventfd_new,
	.ioeventfd_free = vvm_ioeventfd_free,
	.msi_irqfd_new = vvm_irqfd_new,
	.msi_irqfd_update = vvm_irqfd_update,
	.msi_irqfd_free = vvm_irqfd_free,
};

static struct virtio_host vvm_host(struct vm *vm)
{
	return (struct virtio_host){
		.loop = vm->loop, .mmio = &vm->mmio, .mem = &vm->mem, .log = &vm->glog,
		.ops = &vvm_host_ops, .opaque = vm,
	};
}

/* For virtio devices whose VM glue lives in their own file (virtio-balloon-vm.c). */
struct virtio_host virtio_vm_host(struct vm *vm)
{
	return vvm_host(vm);
}

/* ---- virtio-blk: one PCI function per disk configured with bus=virtio ------------------ */

struct vvm_blk {
	struct virtio_blk *dev[VM_MAX_DISKS];
	unsigned n;
};

static void vvm_blk_destroy(void *state)
{
	struct vvm_blk *s = state;

	for (unsigned i = s->n; i-- > 0;)
		virtio_blk_free(s->dev[i]);
	free(s);
}

static int vvm_blk_add(struct vvm_blk *s, struct vm *vm, unsigned idx)
{
	const struct vm_disk_config *d = &vm->cfg.disks[idx];
	struct blk_open_opts o = { .read_only = d->readonly || d->cdrom };
	struct virtio_host host = vvm_host(vm);
	/* One request queue per vCPU, up to 4 (virtio 1.2 §5.2.3 VIRTIO_BLK_F_MQ). */
	unsigned nq = vm->cfg.cpus < VIRTIO_BLK_MAX_QUEUES ? vm->cfg.cpus : VIRTIO_BLK_MAX_QUEUES;
	struct virtio_blk_opts opts = { .devfn = PCI_DEVFN_AUTO, .num_queues = nq ? nq : 1 };
	char err[256] = "", name[24];
	int ret = blk_open(d->path, &o, &opts.blk, err, sizeof(err));

	if (ret) {
		vmm_warn("virtio-blk: %s", err[0] ? err : d->path);
		return ret;
	}
	snprintf(name, sizeof(name), "virtio-blk%u", s->n);
	opts.name = name;
	s->dev[s->n] = virtio_blk_new(vm_pci_bus(vm), &host, &opts, &ret);
	if (!s->dev[s->n]) {
		vmm_warn("virtio-blk: %s: cannot create the PCI function: %s", d->path,
			 strerror(-ret));
		blk_close(opts.blk);
		return ret;
	}
	vm_set_boot_path(vm, idx, "/pci@i0cf8/scsi@%x", s->dev[s->n]->vdev.pci.devfn >> 3);
	vm_set_disk_blk(vm, idx, opts.blk);
	s->n++;
	return 0;
}

static int vvm_blk_create(struct vm *vm, void **state)
{
	struct vvm_blk *s;
	unsigned want = 0;
	int ret = 0;

	for (unsigned i = 0; i < vm->cfg.ndisks; i++)
		want += vm->cfg.disks[i].bus == VM_DISK_VIRTIO;
	if (!want)
		return 1;
	if (!vm_pci_bus(vm)) {
		vmm_warn("virtio-blk: the machine has no PCI bus");
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->cfg.ndisks && !ret; i++)
		if (vm->cfg.disks[i].bus == VM_DISK_VIRTIO)
			ret = vvm_blk_add(s, vm, i);
	if (ret) {
		vvm_blk_destroy(s);
		return ret;
	}
	*state = s;
	return 0;
}

static void vvm_blk_reset(void *state)
{
	struct vvm_blk *s = state;

	for (unsigned i = 0; i < s->n; i++)
		virtio_pci_reset(&s->dev[i]->vdev);
}

static int vvm_blk_pause(void *state)
{
	struct vvm_blk *s = state;

	/* No more kicks served, then every request in flight completed and pushed. */
	for (unsigned i = 0; i < s->n; i++) {
		virtio_pci_pause(&s->dev[i]->vdev);
		virtio_blk_drain(s->dev[i]);
	}
	return 0;
}

static int vvm_blk_resume(void *state)
{
	struct vvm_blk *s = state;

	for (unsigned i = 0; i < s->n; i++)
		virtio_pci_resume(&s->dev[i]->vdev);
	return 0;
}

/*
 * One blob for all the disks: a header, then each function's transport state with its
 * length. virtio-blk has no state of its own beyond the transport's: pause waits for every
 * request in flight and pushes it (virtio_blk_drain), and the image is the block layer's.
 */
#define VVM_BLK_STATE_VERSION	1

struct vvm_blk_state {
	uint32_t version;
	uint32_t n;
	uint32_t len[VM_MAX_DISKS];
};

static int vvm_blk_save(void *state, void **blob, size_t *len)
{
	struct vvm_blk *s = state;
	struct vvm_blk_state h = { .version = VVM_BLK_STATE_VERSION, .n = s->n };
	void *part[VM_MAX_DISKS] = { NULL };
	size_t plen[VM_MAX_DISKS] = { 0 }, total = sizeof(h), off = sizeof(h);
	uint8_t *out = NULL;
	int ret = 0;

	for (unsigned i = 0; i < s->n && !ret; i++) {
		ret = virtio_pci_save(&s->dev[i]->vdev, &part[i], &plen[i]);
		h.len[i] = (uint32_t)plen[i];
		total += plen[i];
	}
	if (!ret && !(out = malloc(total)))
		ret = -ENOMEM;
	if (!ret) {
		memcpy(out, &h, sizeof(h));
		for (unsigned i = 0; i < s->n; off += plen[i++])
			memcpy(out + off, part[i], plen[i]);
		*blob = out;
		*len = total;
	}
	for (unsigned i = 0; i < s->n; i++)
		free(part[i]);
	return ret;
}

static int vvm_blk_load(void *state, const void *blob, size_t len)
{
	struct vvm_blk *s = state;
	struct vvm_blk_state h;
	const uint8_t *p = (const uint8_t *)blob + sizeof(h);
	size_t total = sizeof(h);
	int ret = 0;

	if (len < sizeof(h)) {
		vmm_warn("snapshot: virtio-blk: state of %zu bytes is truncated", len);
		return -EINVAL;
	}
	memcpy(&h, blob, sizeof(h));
	if (h.version != VVM_BLK_STATE_VERSION || h.n != s->n) {
		vmm_warn("snapshot: virtio-blk: version %u with %u disks, expected %u with %u",
			 h.version, h.n, VVM_BLK_STATE_VERSION, s->n);
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n; i++)
		total += h.len[i];	/* each at most 4 GiB: no overflow in size_t */
	if (total != len) {
		vmm_warn("snapshot: virtio-blk: part lengths add up to %zu, not %zu", total, len);
		return -EINVAL;
	}
	/* Nothing may be in flight while the rings are replaced (pause drained it already). */
	for (unsigned i = 0; i < s->n; i++)
		virtio_blk_drain(s->dev[i]);
	/* All or nothing: every function accepts its part before any is changed. */
	for (unsigned i = 0, off = 0; i < s->n && !ret; off += h.len[i++])
		ret = virtio_pci_check(&s->dev[i]->vdev, p + off, h.len[i]);
	for (unsigned i = 0, off = 0; i < s->n && !ret; off += h.len[i++])
		ret = virtio_pci_load(&s->dev[i]->vdev, p + off, h.len[i]);
	return ret;
}

const struct vmm_device_ops virtio_blk_device_ops = {
	.name = "virtio-blk",
	.create = vvm_blk_create,
	.reset = vvm_blk_reset,
	.pause = vvm_blk_pause,
	.resume = vvm_blk_resume,
	.save = vvm_blk_save,
	.load = vvm_blk_load,
	.destroy = vvm_blk_destroy,
};

/* ---- virtio-rng: in every VM that has a PCI bus (guests seed their entropy pool) ------ */

static int vvm_rng_create(struct vm *vm, void **state)
{
	struct virtio_host host = vvm_host(vm);
	int ret = 0;

	if (!vm_pci_bus(vm))
		return 1;
	*state = virtio_rng_new(vm_pci_bus(vm), &host, PCI_DEVFN_AUTO, &ret);
	return *state ? 0 : ret;
}

static void vvm_rng_reset(void *state)
{
	virtio_pci_reset(&((struct virtio_rng *)state)->vdev);
}

static int vvm_rng_pause(void *state)
{
	virtio_pci_pause(&((struct virtio_rng *)state)->vdev);
	return 0;
}

static int vvm_rng_resume(void *state)
{
	virtio_pci_resume(&((struct virtio_rng *)state)->vdev);
	return 0;
}

/* virtio-rng has no state beyond the transport's (it holds no entropy of its own). */
static int vvm_rng_save(void *state, void **blob, size_t *len)
{
	return virtio_pci_save(&((struct virtio_rng *)state)->vdev, blob, len);
}

static int vvm_rng_load(void *state, const void *blob, size_t len)
{
	return virtio_pci_load(&((struct virtio_rng *)state)->vdev, blob, len);
}

static void vvm_rng_destroy(void *state)
{
	virtio_rng_free(state);
}

const struct vmm_device_ops virtio_rng_device_ops = {
	.name = "virtio-rng",
	.create = vvm_rng_create,
	.reset = vvm_rng_reset,
	.pause = vvm_rng_pause,
	.resume = vvm_rng_resume,
	.save = vvm_rng_save,
	.load = vvm_rng_load,
	.destroy = vvm_rng_destroy,
};
