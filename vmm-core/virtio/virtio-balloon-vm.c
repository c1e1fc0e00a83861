// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-balloon as a VM device: created from vm_config, found again by the control plane. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "virtio-balloon-private.h"
#include "virtio-vm.h"
#include "vm-devices.h"
#include "vm.h"

/*
 * cfg.share_pages is applied here, before the device is (or is not) created: it is the
 * [balloon] group's setting, and KSM needs nothing from the device itself.
 */
static int vbvm_create(struct vm *vm, void **state)
{
	struct virtio_balloon_opts opts = {
		.target = vm->cfg.balloon_target, .stats_interval = vm->cfg.balloon_stats_interval,
		.devfn = PCI_DEVFN_AUTO,
	};
	struct virtio_host host;
	int ret = 0;

	if (vm->cfg.share_pages && (ret = vm_memory_set_mergeable(&vm->mem, true)))
		vmm_warn("share-pages: guest RAM cannot be made mergeable (KSM): %s",
			 strerror(-ret));
	if (!vm->cfg.balloon)
		return 1;
	if (!vm_pci_bus(vm)) {
		vmm_warn("virtio-balloon: the machine has no PCI bus");
		return -ENODEV;
	}
	if (opts.target > vm->mem.ram_size) {
		vmm_warn("virtio-balloon: target %llu MiB is more than the guest's RAM (%llu MiB)",
			 (unsigned long long)(opts.target >> 20),
			 (unsigned long long)(vm->mem.ram_size >> 20));
		return -EINVAL;
	}
	host = virtio_vm_host(vm);
	*state = virtio_balloon_new(vm_pci_bus(vm), &host, &opts, &ret);
	return *state ? 0 : ret;
}

static void vbvm_reset(void *state)
{
	virtio_pci_reset(&((struct virtio_balloon *)state)->vdev);
}

/* The stats timer only sets a flag and kicks the queue; a paused transport ignores kicks. */
static int vbvm_pause(void *state)
{
	virtio_pci_pause(&((struct virtio_balloon *)state)->vdev);
	return 0;
}

static int vbvm_resume(void *state)
{
	virtio_pci_resume(&((struct virtio_balloon *)state)->vdev);
	return 0;
}

/*
 * The device's blob: this header, the transport's part (virtio_pci_save: status, features,
 * queues), then the balloon's own (virtio_balloon_save).
 */
struct vbvm_hdr {
	uint32_t version;
	uint32_t transport_len;
	uint32_t balloon_len;
	uint32_t reserved;
};

static int vbvm_save(void *state, void **blob, size_t *len)
{
	struct virtio_balloon *b = state;
	struct vbvm_hdr h = { .version = 1 };
	void *tp = NULL, *bp = NULL;
	size_t tlen = 0, blen = 0;
	uint8_t *out = NULL;
	int ret = virtio_pci_save(&b->vdev, &tp, &tlen);

	if (!ret)
		ret = virtio_balloon_save(b, &bp, &blen);
	if (!ret && !(out = malloc(sizeof(h) + tlen + blen)))
		ret = -ENOMEM;
	if (!ret) {
		h.transport_len = (uint32_t)tlen;
		h.balloon_len = (uint32_t)blen;
		memcpy(out, &h, sizeof(h));
		memcpy(out + sizeof(h), tp, tlen);
		memcpy(out + sizeof(h) + tlen, bp, blen);
		*blob = out;
		*len = sizeof(h) + tlen + blen;
	}
	free(tp);
	free(bp);
	return ret;
}

/* The transport compares config bytes: check it against the ones the blob restores. */
static int vbvm_check_transport(struct virtio_balloon *b, const uint8_t *tp, size_t tlen,
				const uint8_t *bp)
{
	uint8_t now[VIRTIO_BALLOON_CONFIG_LEN], saved[VIRTIO_BALLOON_CONFIG_LEN];
	int ret;

	virtio_balloon_saved_config(bp, saved);
	pthread_mutex_lock(&b->vdev.lock);
	memcpy(now, b->vdev.config, sizeof(now));
	memcpy(b->vdev.config, saved, sizeof(saved));
	pthread_mutex_unlock(&b->vdev.lock);
	ret = virtio_pci_check(&b->vdev, tp, tlen);
	pthread_mutex_lock(&b->vdev.lock);
	memcpy(b->vdev.config, now, sizeof(now));
	pthread_mutex_unlock(&b->vdev.lock);
	return ret;
}

/* All or nothing: both parts are checked before either is applied. */
static int vbvm_load(void *state, const void *blob, size_t len)
{
	struct virtio_balloon *b = state;
	const uint8_t *tp = (const uint8_t *)blob + sizeof(struct vbvm_hdr), *bp;
	struct vbvm_hdr h;
	int ret;

	if (len < sizeof(h)) {
		vmm_warn("snapshot: virtio-balloon: state of %zu bytes is truncated", len);
		return -EINVAL;
	}
	memcpy(&h, blob, sizeof(h));
	if (h.version != 1 || h.reserved ||
	    sizeof(h) + (uint64_t)h.transport_len + h.balloon_len != len) {
		vmm_warn("snapshot: virtio-balloon: header (version %u, parts %u + %u) does not "
			 "fit %zu bytes", h.version, h.transport_len, h.balloon_len, len);
		return -EINVAL;
	}
	bp = tp + h.transport_len;
	ret = virtio_balloon_check(b, bp, h.balloon_len);
	if (!ret)
		ret = vbvm_check_transport(b, tp, h.transport_len, bp);
	if (!ret)
		ret = virtio_balloon_load(b, bp, h.balloon_len);
	/* Last: it re-kicks the queues, which then see the balloon's restored state. */
	return ret ? ret : virtio_pci_load(&b->vdev, tp, h.transport_len);
}

static void vbvm_destroy(void *state)
{
	virtio_balloon_free(state);
}

const struct vmm_device_ops virtio_balloon_device_ops = {
	.name = "virtio-balloon",
	.create = vbvm_create,
	.reset = vbvm_reset,
	.pause = vbvm_pause,
	.resume = vbvm_resume,
	.save = vbvm_save,
	.load = vbvm_load,
	.destroy = vbvm_destroy,
};

struct virtio_balloon *virtio_balloon_from_vm(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops == &virtio_balloon_device_ops)
			return vm->devices[i].state;
	return NULL;
}
