/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Virtio over PCI, modern (1.x) transport only (virtio 1.2 §4.1), for every virtio device. */
#ifndef VMM_VIRTIO_PCI_H
#define VMM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_config.h>	/* VIRTIO_CONFIG_S_*, VIRTIO_F_VERSION_1 */
#include <linux/virtio_pci.h>		/* VIRTIO_PCI_CAP_*, VIRTIO_PCI_COMMON_*, NO_VECTOR */

#include "bus.h"
#include "log.h"
#include "loop.h"
#include "memory.h"
#include "pci/pci.h"
#include "virtqueue.h"

/*
 * Layout of the function (our own; the offsets are what the capabilities announce):
 *
 *   Vendor 0x1AF4, device 0x1040 + virtio device ID, revision 1 (§4.1.2: non-transitional),
 *   subsystem 0x1AF4:0x1100, INTA#, MSI-X with one vector per queue plus one for config.
 *
 *   BAR4: 64-bit memory, 32 KiB, non-prefetchable (reading the ISR clears it, so reads have
 *   side effects and must not be prefetched):
 *     0x0000  common configuration (§4.1.4.3)          VIRTIO_PCI_CAP_COMMON_CFG
 *     0x1000  ISR status (§4.1.4.5)                     VIRTIO_PCI_CAP_ISR_CFG
 *     0x2000  device-specific configuration (§4.1.4.6)  VIRTIO_PCI_CAP_DEVICE_CFG
 *     0x3000  notifications (§4.1.4.4): queue q at 0x3000 + 4 * q
 *             (queue_notify_off = q, notify_off_multiplier = 4)
 *     0x4000  MSI-X table, 0x5000 MSI-X PBA (served by the PCI core)
 *   plus VIRTIO_PCI_CAP_PCI_CFG (§4.1.4.8), the config-space window into BAR4 that firmware
 *   uses when it cannot reach a BAR above 4 GiB.
 *
 * Threads. Register accesses come from vCPU threads. A queue notification never processes
 * the queue there: each enabled queue has a "kick" eventfd watched by the VM's I/O loop —
 * a KVM ioeventfd on the queue's notify address once the BAR is mapped (the write never
 * leaves the kernel), else a plain eventfd the notify handler signals — and the loop calls
 * the device's queue_notify. Used buffer interrupts go out through an MSI irqfd per vector
 * when the host offers one and MSI-X is on, else through the PCI core (pci_msi_notify,
 * or INTx with the ISR when MSI-X is off).
 *
 * Locks, in order: PCI bus lock (config hooks) -> vdev->lock (registers, queues, device
 * state; held by device code in queue_notify) -> vdev->irq_lock (irqfd table, leaf apart
 * from the host's irqfd calls). MSI-X table entries are read through the MMIO bus with no
 * lock of ours held (the PCI core has no accessor for them yet).
 */
#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040	/* §4.1.2: 0x1040 + virtio device ID */
#define VIRTIO_PCI_SUBSYS_ID		0x1100
#define VIRTIO_PCI_REVISION		1
#define VIRTIO_PCI_BAR			4
#define VIRTIO_PCI_BAR_SIZE		0x8000u
#define VIRTIO_PCI_COMMON_OFF		0x0000u
#define VIRTIO_PCI_ISR_OFF		0x1000u
#define VIRTIO_PCI_DEVCFG_OFF		0x2000u
#define VIRTIO_PCI_NOTIFY_OFF		0x3000u
#define VIRTIO_PCI_NOTIFY_MULT		4u
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000u
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000u
#define VIRTIO_PCI_REGION_SIZE		0x1000u
#define VIRTIO_PCI_COMMON_LEN		0x3cu	/* through queue_reset (§4.1.4.3) */
#define VIRTIO_PCI_MAX_QUEUES		63	/* vectors = queues + 1 fit in 64 bits */

/*
 * What the transport needs from its host, so unit tests run without KVM. Every hook is
 * optional: without ioeventfd_new, notify writes reach the BAR handler, which signals a
 * plain eventfd; without msi_irqfd_new, MSI-X goes through pci_msi_notify (KVM_SIGNAL_MSI).
 */
struct virtio_host_ops {
	/* An eventfd KVM signals on a `len`-byte write of `data` to MMIO `addr`, or -errno. */
	int (*ioeventfd_new)(void *opaque, uint64_t addr, unsigned len, uint64_t data);
	/* Undo ioeventfd_new (deassign) and close fd. */
	void (*ioeventfd_free)(void *opaque, int fd, uint64_t addr, unsigned len, uint64_t data);
	/* An eventfd that delivers this MSI when written (vm_msi_irqfd_new), or -errno. */
	int (*msi_irqfd_new)(void *opaque, uint64_t addr, uint32_t data);
	int (*msi_irqfd_update)(void *opaque, int fd, uint64_t addr, uint32_t data);
	void (*msi_irqfd_free)(void *opaque, int fd);
};

struct virtio_host {
	struct vmm_loop *loop;			/* where queues are processed (required) */
	struct vmm_bus *mmio;			/* to read MSI-X table entries (required) */
	const struct vm_memory *mem;		/* rings and buffers (required) */
	struct vmm_guest_log *log;		/* may be NULL */
	const struct virtio_host_ops *ops;	/* may be NULL */
	void *opaque;				/* first argument of ops */
};

struct virtio_dev;

/* What a device type plugs into the transport. */
struct virtio_dev_ops {
	const char *name;		/* "virtio-blk" */
	uint16_t device_type;		/* virtio device ID (§5): 2 block, 4 entropy */
	uint32_t class_code;		/* PCI class, subclass, prog-if */
	/*
	 * Process queue q: I/O loop thread, vdev->lock held, only after DRIVER_OK with the
	 * queue enabled and bus mastering on. Use virtio_queue_done() after a batch.
	 */
	void (*queue_notify)(struct virtio_dev *vdev, unsigned q);
	/* Device reset (status 0, PCI or VM reset); vdev->lock held. May be NULL. */
	void (*reset)(struct virtio_dev *vdev);
	/* Write to the device-specific configuration; NULL: it is read-only. Lock held. */
	void (*config_write)(struct virtio_dev *vdev, unsigned off, uint64_t val, unsigned size);
};

struct virtio_dev_config {
	const struct virtio_dev_ops *ops;
	struct virtio_host host;
	uint64_t features;		/* device features; the transport adds its own */
	unsigned nqueues;		/* 1..VIRTIO_PCI_MAX_QUEUES */
	uint16_t queue_size;		/* maximum (power of two) */
	size_t config_len;		/* device-specific configuration bytes (<= 4 KiB) */
	int devfn;			/* or PCI_DEVFN_AUTO */
	const char *name;		/* PCI function name for logs ("virtio-blk0") */
};

struct virtio_queue {
	struct virtio_dev *vdev;
	unsigned index;
	struct virtq vq;
	uint16_t msix_vector;
	int kick_fd;			/* watched by the loop while >= 0 */
	bool kick_ioeventfd;		/* kick_fd came from host ops */
	uint64_t kick_addr;		/* where the ioeventfd listens */
};

struct virtio_irqfd {
	int fd;				/* -1: none yet */
	uint64_t addr;
	uint32_t data;
};

struct virtio_dev {
	struct pci_dev pci;		/* first: the PCI core's view */
	const struct virtio_dev_ops *ops;
	struct virtio_host host;
	char name[32];
	pthread_mutex_t lock;
	pthread_mutex_t irq_lock;

	/* Under lock. */
	uint64_t host_features, driver_features;
	uint32_t dfselect, gfselect;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	bool paused;
	bool ioeventfd_warned;		/* the host refused one: said so once */
	uint16_t config_vector, queue_select;
	unsigned nqueues;
	struct virtio_queue *queues;
	uint8_t *config;		/* device-specific configuration, little-endian */
	size_t config_len;
	uint64_t bar_addr;		/* BAR4 as last seen by the config hook */
	int cfg_cap;			/* offset of VIRTIO_PCI_CAP_PCI_CFG */
	int msix_cap;
	unsigned msix_vectors;

	uint64_t msix_pending;		/* vectors to send once the lock is dropped (atomic) */
	unsigned in_flight;		/* under lock: loop callbacks not finished (kick, irq) */
	pthread_cond_t idle;		/* with lock: in_flight dropped to 0 */
	struct virtio_irqfd *irqfds;	/* msix_vectors entries, under irq_lock */
};

/*
 * Put the function on the bus: BAR4, capabilities, MSI-X; config bytes zeroed (fill them with
 * virtio_config_put*). 0 or -errno. Init time (vmm_device_ops.create).
 */
int virtio_pci_init(struct virtio_dev *vdev, struct pci_bus *bus,
		    const struct virtio_dev_config *cfg);
/* Reset, release every fd and leave the bus. The I/O loop must not be running it. */
void virtio_pci_exit(struct virtio_dev *vdev);
/* Device reset as if the driver wrote 0 to device_status (VM reset). */
void virtio_pci_reset(struct virtio_dev *vdev);
/*
 * Stop processing queues / start again (re-kicking every enabled queue). Idempotent. Pause
 * returns once no queue is being processed and every interrupt that processing raised has
 * been sent, so a snapshot sees guest memory and registers at rest (the device contract).
 * Not from the I/O loop thread itself.
 */
void virtio_pci_pause(struct virtio_dev *vdev);
void virtio_pci_resume(struct virtio_dev *vdev);

/*
 * Snapshot state (virtio-pci-state.c): common configuration, every queue's registers and
 * ring positions (last avail index, used index, event-index bookkeeping), ISR, config
 * generation, pending MSI-X vectors; the device-specific configuration bytes must match.
 * Not config space or the MSI-X table (the chipset's blob). Save after pause.
 * virtio_pci_check: would load accept it (one warning if not)? Changes nothing.
 * virtio_pci_load: check, then restore; ready queues get their ring pointers back (guest
 * RAM must be in place), their kick eventfds/ioeventfds (at BAR4's current address) and a
 * kick; irqfds are opened for the vectors in use from the restored MSI-X table; INTx is
 * re-asserted while the ISR is set. 0 or -EINVAL (nothing changed).
 */
int virtio_pci_save(struct virtio_dev *vdev, void **blob, size_t *len);
int virtio_pci_check(struct virtio_dev *vdev, const void *blob, size_t len);
int virtio_pci_load(struct virtio_dev *vdev, const void *blob, size_t len);

/* Init time: device-specific configuration fields (little-endian, §4.1.3). */
void virtio_config_put(struct virtio_dev *vdev, unsigned off, const void *p, size_t len);
void virtio_config_put16(struct virtio_dev *vdev, unsigned off, uint16_t v);
void virtio_config_put32(struct virtio_dev *vdev, unsigned off, uint32_t v);
void virtio_config_put64(struct virtio_dev *vdev, unsigned off, uint64_t v);

/* ---- For device code, vdev->lock held (inside queue_notify) --------------------------- */

static inline bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return bit < 64 && (vdev->driver_features >> bit) & 1;
}

static inline struct virtq *virtio_queue(struct virtio_dev *vdev, unsigned q)
{
	return &vdev->queues[q].vq;
}

/*
 * After pushing a batch on queue q: raise the used buffer notification if the driver wants
 * one (§2.7.7, §4.1.5.3). Returns true if the queue has more buffers (a re-check after
 * publishing avail_event, §2.7.10): process them before returning.
 */
bool virtio_queue_done(struct virtio_dev *vdev, unsigned q);
/* Ask the loop to call queue_notify for q again later (work budget used up). */
void virtio_queue_rekick(struct virtio_dev *vdev, unsigned q);
/*
 * The device hit an error only a reset can clear (a broken queue): set DEVICE_NEEDS_RESET
 * and send a configuration change notification (§2.1.2).
 */
void virtio_set_needs_reset(struct virtio_dev *vdev);

/* Any thread, lock not held: the device-specific configuration changed (§4.1.5.4). */
void virtio_config_changed(struct virtio_dev *vdev);

/*
 * Device work that does not start from a queue kick, such as pushing requests another
 * thread completed: virtio_work_begin takes vdev->lock and counts the work, so
 * virtio_pci_pause waits for it; virtio_work_end drops the lock, sends the used buffer
 * notifications virtio_queue_done raised in between (§4.1.5.3) and uncounts the work. Any
 * thread, lock not held (so not from inside queue_notify); the kick path is the same pair.
 */
void virtio_work_begin(struct virtio_dev *vdev);
void virtio_work_end(struct virtio_dev *vdev);

#endif
