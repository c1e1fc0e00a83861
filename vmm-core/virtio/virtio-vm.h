/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Virtio devices on a KVM VM: the host hooks shared by their VM glue. */
#ifndef VMM_VIRTIO_VM_H
#define VMM_VIRTIO_VM_H

#include "virtio-pci.h"

struct vm;

/* KVM ioeventfds for queue notifications and MSI irqfds for interrupts, for this VM. */
struct virtio_host virtio_vm_host(struct vm *vm);

#endif
