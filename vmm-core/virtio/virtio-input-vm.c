// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-input tablet as a VM device: created from vm_config.tablet, saved state, vm->tablet. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "virtio-input-private.h"
#include "virtio-vm.h"
#include "vm.h"
#include "vm-devices.h"

#define VIN_STATE_VERSION	1

/*
 * Saved state, after pause: the transport's blob (status, features, queues) follows this
 * header. Pending reports are not kept: they are pointer positions a few milliseconds old,
 * and the next one after restore says where the pointer is. guest_buttons is, so a button
 * held across a snapshot is released by the first report after it.
 */
struct vin_state {
	uint32_t version;
	uint32_t transport_len;
	uint8_t select, subsel, guest_buttons, reserved0;
	uint32_t reserved1;
	struct virtio_input_counters c;
};

int virtio_input_save(struct virtio_input *vi, void **blob, size_t *len)
{
	struct vin_state s = { .version = VIN_STATE_VERSION };
	void *tp = NULL;
	size_t tlen = 0;
	uint8_t *out;
	int ret = virtio_pci_save(&vi->vdev, &tp, &tlen);

	if (ret)
		return ret;
	out = malloc(sizeof(s) + tlen);
	if (!out) {
		free(tp);
		return -ENOMEM;
	}
	pthread_mutex_lock(&vi->vdev.lock);
	s.select = vi->select;
	s.subsel = vi->subsel;
	s.guest_buttons = vi->guest_buttons;
	s.c = vi->c;
	pthread_mutex_unlock(&vi->vdev.lock);
	s.transport_len = (uint32_t)tlen;
	memcpy(out, &s, sizeof(s));
	memcpy(out + sizeof(s), tp, tlen);
	free(tp);
	*blob = out;
	*len = sizeof(s) + tlen;
	return 0;
}

/* The transport compares config bytes: check it against the ones the blob's select gives. */
static int check_transport(struct virtio_input *vi, const struct vin_state *s,
			   const void *tp, size_t tlen)
{
	uint8_t now[VIN_CONFIG_LEN];
	int ret;

	pthread_mutex_lock(&vi->vdev.lock);
	memcpy(now, vi->vdev.config, sizeof(now));
	vin_config_fill(vi->vdev.config, s->select, s->subsel);
	pthread_mutex_unlock(&vi->vdev.lock);
	ret = virtio_pci_check(&vi->vdev, tp, tlen);
	pthread_mutex_lock(&vi->vdev.lock);
	memcpy(vi->vdev.config, now, sizeof(now));
	pthread_mutex_unlock(&vi->vdev.lock);
	return ret;
}

/* All or nothing: both parts are checked before either is applied. */
int virtio_input_load(struct virtio_input *vi, const void *blob, size_t len)
{
	const uint8_t *tp = (const uint8_t *)blob + sizeof(struct vin_state);
	struct vin_state s;
	int ret;

	if (len < sizeof(s)) {
		vmm_warn("snapshot: virtio-input: state of %zu bytes is truncated", len);
		return -EINVAL;
	}
	memcpy(&s, blob, sizeof(s));
	if (s.version != VIN_STATE_VERSION || s.reserved0 || s.reserved1 ||
	    sizeof(s) + (uint64_t)s.transport_len != len || s.guest_buttons > 7) {
		vmm_warn("snapshot: virtio-input: bad header (version %u, %u transport bytes "
			 "in %zu, buttons %#x)", s.version, s.transport_len, len,
			 s.guest_buttons);
		return -EINVAL;
	}
	ret = check_transport(vi, &s, tp, s.transport_len);
	if (ret)
		return ret;
	pthread_mutex_lock(&vi->vdev.lock);
	vi->select = s.select;
	vi->subsel = s.subsel;
	vi->guest_buttons = s.guest_buttons;
	vi->c = s.c;
	vi->head = vi->count = 0;
	vi->owed_valid = false;
	vin_config_fill(vi->vdev.config, s.select, s.subsel);
	pthread_mutex_unlock(&vi->vdev.lock);
	return virtio_pci_load(&vi->vdev, tp, s.transport_len);
}

/* ---- Device ops ------------------------------------------------------------------------ */

/* The device and where the VM keeps its borrowed pointer, cleared before the device goes. */
struct vinvm {
	struct virtio_input *vi;
	struct virtio_input **slot;
};

static int vinvm_create(struct vm *vm, void **state)
{
	struct virtio_host host;
	struct vinvm *s;
	int ret = 0;

	if (!vm->cfg.tablet)
		return 1;
	if (!vm_pci_bus(vm)) {
		vmm_warn("virtio-input: the machine has no PCI bus");
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	host = virtio_vm_host(vm);
	s->vi = virtio_input_new(vm_pci_bus(vm), &host, PCI_DEVFN_AUTO, &ret);
	if (!s->vi) {
		free(s);
		return ret;
	}
	s->slot = &vm->tablet;
	vm->tablet = s->vi;
	*state = s;
	return 0;
}

static void vinvm_reset(void *state)
{
	virtio_pci_reset(&((struct vinvm *)state)->vi->vdev);
}

static int vinvm_pause(void *state)
{
	virtio_pci_pause(&((struct vinvm *)state)->vi->vdev);
	return 0;
}

static int vinvm_resume(void *state)
{
	virtio_pci_resume(&((struct vinvm *)state)->vi->vdev);
	return 0;
}

static int vinvm_save(void *state, void **blob, size_t *len)
{
	return virtio_input_save(((struct vinvm *)state)->vi, blob, len);
}

static int vinvm_load(void *state, const void *blob, size_t len)
{
	return virtio_input_load(((struct vinvm *)state)->vi, blob, len);
}

static void vinvm_destroy(void *state)
{
	struct vinvm *s = state;

	*s->slot = NULL;
	virtio_input_free(s->vi);
	free(s);
}

const struct vmm_device_ops virtio_input_device_ops = {
	.name = "virtio-input",
	.create = vinvm_create,
	.reset = vinvm_reset,
	.pause = vinvm_pause,
	.resume = vinvm_resume,
	.save = vinvm_save,
	.load = vinvm_load,
	.destroy = vinvm_destroy,
};
