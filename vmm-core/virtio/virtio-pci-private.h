/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by virtio-pci.c (registers) and virtio-pci-notify.c (kicks, interrupts). */
#ifndef VMM_VIRTIO_PCI_PRIVATE_H
#define VMM_VIRTIO_PCI_PRIVATE_H

#include "virtio-pci.h"

#define vpci_guest_error(vdev, fmt, ...) do {					\
	if ((vdev)->host.log)							\
		vmm_guest_error((vdev)->host.log, "%s: " fmt, (vdev)->name,	\
				##__VA_ARGS__);					\
} while (0)

/* virtio-pci.c. */
extern const struct vmm_io_ops vpci_bar_ops;
/* BAR4 accesses (vCPU threads, or the config window); they take vdev->lock. */
uint64_t vpci_bar_read(void *opaque, uint64_t off, unsigned size);
void vpci_bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size);
/* Device reset (§2.1.2, §4.1.4.3.1): queues, kicks, irqfds, status; lock held. */
void vpci_reset_locked(struct virtio_dev *vdev);

/* virtio-pci-notify.c; all with vdev->lock held unless noted. */
void vpci_kick_setup(struct virtio_queue *q);
void vpci_kick_teardown(struct virtio_queue *q);
void vpci_kick(struct virtio_queue *q);
/* The BAR moved (or was unmapped): put the queues' ioeventfds where the notify area is now. */
void vpci_kicks_sync(struct virtio_dev *vdev);
/* A write to the notify area that KVM did not catch with an ioeventfd. */
void vpci_notify_write(struct virtio_dev *vdev, uint64_t off, uint64_t val, unsigned size);
/*
 * Raise an interrupt for an event: ISR bit + INTx at once when MSI-X is off, else MSI-X
 * `vector` is queued and the caller sends it with vpci_send_pending once unlocked.
 */
void vpci_raise(struct virtio_dev *vdev, uint16_t vector, uint8_t isr_bit);
/* Lock NOT held: deliver the MSI-X vectors vpci_raise queued. */
void vpci_send_pending(struct virtio_dev *vdev);
/* Close every irqfd (reset, exit); takes irq_lock. */
void vpci_irqfds_free(struct virtio_dev *vdev);
/*
 * Lock NOT held: open the irqfds of these vectors (a bit each) from the MSI-X table as it
 * is now, so the first interrupt after a snapshot load is not the one that creates them.
 */
void vpci_irqfds_prime(struct virtio_dev *vdev, uint64_t vectors);
/* Lock NOT held: a thread's work (queue processing + its interrupts) is finished. */
void vpci_work_done(struct virtio_dev *vdev);

#endif
