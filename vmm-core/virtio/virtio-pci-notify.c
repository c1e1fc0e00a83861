// SPDX-License-Identifier: GPL-2.0-or-later
/* Virtio PCI notifications: kicks to the I/O loop (ioeventfd); irqfd, MSI-X or INTx out. */
#include "virtio-pci-private.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MSI_ADDR_WINDOW_MB	0xfeeu	/* Intel SDM vol. 3 §11.11.1: MSIs target 0xFEExxxxx */

static uint64_t notify_addr(const struct virtio_queue *q, uint64_t bar)
{
	return bar + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)q->index * VIRTIO_PCI_NOTIFY_MULT;
}

static bool host_has(const struct virtio_dev *vdev, bool ioeventfd)
{
	const struct virtio_host_ops *ops = vdev->host.ops;

	if (!ops)
		return false;
	if (ioeventfd)
		return ops->ioeventfd_new && ops->ioeventfd_free;
	return ops->msi_irqfd_new && ops->msi_irqfd_update && ops->msi_irqfd_free;
}

/* ---- Kicks: from the guest's notify write to queue_notify on the I/O loop -------------- */

static bool may_process(struct virtio_dev *vdev, struct virtio_queue *q)
{
	uint8_t need = VIRTIO_CONFIG_S_DRIVER_OK;

	/* §2.1.2: no buffers are used before DRIVER_OK; nothing after NEEDS_RESET. */
	if ((vdev->status & (need | VIRTIO_CONFIG_S_NEEDS_RESET)) != need || vdev->paused)
		return false;
	if (!q->vq.ready || q->vq.broken)
		return false;
	/* A function without Bus Master Enable makes no memory requests (PCI LB 3.0 §6.2.2). */
	if (!(pci_config_get(&vdev->pci, PCI_COMMAND, 2) & PCI_COMMAND_MASTER)) {
		vpci_guest_error(vdev, "queue %u notified while bus mastering is off", q->index);
		return false;
	}
	return true;
}

/*
 * On the I/O loop. The watch may fire once more after vpci_kick_teardown (the loop keeps
 * dead watches until it is freed), so the fd is compared with the queue's current one under
 * the lock before anything is read.
 */
static void kick_cb(void *opaque, int fd, uint32_t events)
{
	struct virtio_queue *q = opaque;
	struct virtio_dev *vdev = q->vdev;
	uint64_t cnt;

	virtio_work_begin(vdev);	/* counted until its interrupts are out (pause waits) */
	if (fd == q->kick_fd) {
		if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			vmm_warn("%s: queue %u kick read: %s", vdev->name, q->index,
				 strerror(errno));
		if (may_process(vdev, q))
			vdev->ops->queue_notify(vdev, q->index);
		if (q->vq.broken)
			virtio_set_needs_reset(vdev);
	}
	virtio_work_end(vdev);
}

void vpci_work_done(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	if (!--vdev->in_flight)
		pthread_cond_broadcast(&vdev->idle);
	pthread_mutex_unlock(&vdev->lock);
}

void vpci_kick(struct virtio_queue *q)
{
	uint64_t one = 1;

	if (q->kick_fd >= 0 && write(q->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vmm_warn("%s: queue %u kick: %s", q->vdev->name, q->index, strerror(errno));
}

/* A KVM ioeventfd on the notify address when the BAR is placed, else a plain eventfd. */
static int kick_open(struct virtio_queue *q)
{
	struct virtio_dev *vdev = q->vdev;
	uint64_t bar = vdev->bar_addr;
	int fd;

	q->kick_ioeventfd = false;
	if (bar != PCI_BAR_UNMAPPED && host_has(vdev, true)) {
		q->kick_addr = notify_addr(q, bar);
		/* §4.1.5.2: the driver writes the 16-bit queue index. */
		fd = vdev->host.ops->ioeventfd_new(vdev->host.opaque, q->kick_addr, 2, q->index);
		if (fd >= 0) {
			q->kick_ioeventfd = true;
			return fd;
		}
		if (!vdev->ioeventfd_warned)
			vmm_warn("%s: no ioeventfd for queue %u (%s); notifications will exit "
				 "to us", vdev->name, q->index, strerror(-fd));
		vdev->ioeventfd_warned = true;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void kick_close(struct virtio_queue *q, int fd)
{
	struct virtio_dev *vdev = q->vdev;

	if (q->kick_ioeventfd)
		vdev->host.ops->ioeventfd_free(vdev->host.opaque, fd, q->kick_addr, 2, q->index);
	else
		close(fd);
	q->kick_ioeventfd = false;
}

void vpci_kick_setup(struct virtio_queue *q)
{
	struct virtio_dev *vdev = q->vdev;
	int fd, ret;

	if (q->kick_fd >= 0)
		return;
	fd = kick_open(q);
	if (fd < 0) {
		vmm_warn("%s: queue %u: no eventfd: %s", vdev->name, q->index, strerror(-fd));
		return;
	}
	ret = vmm_loop_add_fd(vdev->host.loop, fd, EPOLLIN, kick_cb, q);
	if (ret) {
		vmm_warn("%s: queue %u: cannot watch its eventfd: %s", vdev->name, q->index,
			 strerror(-ret));
		kick_close(q, fd);
		return;
	}
	q->kick_fd = fd;
}

void vpci_kick_teardown(struct virtio_queue *q)
{
	int fd = q->kick_fd;

	if (fd < 0)
		return;
	vmm_loop_del_fd(q->vdev->host.loop, fd);
	q->kick_fd = -1;
	kick_close(q, fd);
}

void vpci_kicks_sync(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nqueues; i++) {
		struct virtio_queue *q = &vdev->queues[i];
		bool want = vdev->bar_addr != PCI_BAR_UNMAPPED && host_has(vdev, true);

		if (q->kick_fd < 0)
			continue;
		if (q->kick_ioeventfd == want &&
		    (!want || q->kick_addr == notify_addr(q, vdev->bar_addr)))
			continue;
		vpci_kick_teardown(q);
		vpci_kick_setup(q);
		vpci_kick(q);	/* a notification may have fallen between the two */
	}
}

void vpci_notify_write(struct virtio_dev *vdev, uint64_t off, uint64_t val, unsigned size)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULT;

	if (off % VIRTIO_PCI_NOTIFY_MULT || q >= vdev->nqueues) {
		vpci_guest_error(vdev, "notify write at +%#llx names no queue",
				 (unsigned long long)off);
		return;
	}
	if (val != q)
		vpci_guest_error(vdev, "notify for queue %llu carries %#llx (§4.1.5.2)",
				 (unsigned long long)q, (unsigned long long)val);
	vpci_kick(&vdev->queues[q]);	/* processed on the I/O loop, never here */
}

/* ---- Interrupts ----------------------------------------------------------------------- */

void vpci_raise(struct virtio_dev *vdev, uint16_t vector, uint8_t isr_bit)
{
	if (pci_msix_enabled(&vdev->pci)) {
		/* §4.1.5.3.1, §4.1.5.4.1: an unmapped event sends nothing. */
		if (vector < vdev->msix_vectors)
			__atomic_or_fetch(&vdev->msix_pending, 1ull << vector, __ATOMIC_RELEASE);
		return;
	}
	/* §4.1.4.5.1: ISR bit first, then INTx (the PCI core ORs it into Interrupt Status). */
	vdev->isr |= isr_bit;
	pci_set_irq(&vdev->pci, 1);
}

/*
 * Address and data of an unmasked MSI-X vector, read from the table through our BAR on the
 * MMIO bus (the PCI core serves the table and has no accessor yet). False if the BAR is not
 * placed, MSI-X is off or masked, or the message is not an interrupt.
 */
static bool msix_entry(struct virtio_dev *vdev, unsigned v, uint64_t *addr, uint32_t *data)
{
	uint64_t bar = __atomic_load_n(&vdev->bar_addr, __ATOMIC_ACQUIRE), base;
	uint32_t w[4];
	uint16_t flags;

	if (bar == PCI_BAR_UNMAPPED)
		return false;
	flags = (uint16_t)pci_config_get(&vdev->pci, vdev->msix_cap + PCI_MSIX_FLAGS, 2);
	if (!(flags & PCI_MSIX_FLAGS_ENABLE) || (flags & PCI_MSIX_FLAGS_MASKALL))
		return false;
	base = bar + VIRTIO_PCI_MSIX_TABLE_OFF + (uint64_t)v * PCI_MSIX_ENTRY_SIZE;
	for (unsigned i = 0; i < 4; i++) {
		uint8_t b[4];

		if (!vmm_bus_read(vdev->host.mmio, base + 4 * i, b, 4))
			return false;
		w[i] = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	}
	if (w[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT)
		return false;
	*addr = w[0] | (uint64_t)w[1] << 32;
	*data = w[2];
	return (*addr >> 20) == MSI_ADDR_WINDOW_MB;
}

/* irq_lock held: the vector's irqfd, created or re-targeted to addr/data; false if none. */
static bool irqfd_route(struct virtio_dev *vdev, struct virtio_irqfd *e, uint64_t addr,
			uint32_t data)
{
	const struct virtio_host_ops *ops = vdev->host.ops;

	if (e->fd < 0) {
		int fd = ops->msi_irqfd_new(vdev->host.opaque, addr, data);

		if (fd >= 0)
			*e = (struct virtio_irqfd){ fd, addr, data };
	} else if ((e->addr != addr || e->data != data) &&
		   !ops->msi_irqfd_update(vdev->host.opaque, e->fd, addr, data)) {
		e->addr = addr;		/* the guest moved the vector (CPU affinity) */
		e->data = data;
	}
	return e->fd >= 0 && e->addr == addr && e->data == data;
}

/* Send through the vector's irqfd, creating or re-targeting it; false to fall back. */
static bool irqfd_send(struct virtio_dev *vdev, unsigned v, uint64_t addr, uint32_t data)
{
	struct virtio_irqfd *e = &vdev->irqfds[v];
	uint64_t one = 1;
	bool sent = false;

	pthread_mutex_lock(&vdev->irq_lock);
	if (irqfd_route(vdev, e, addr, data))
		sent = write(e->fd, &one, sizeof(one)) == sizeof(one) || errno == EAGAIN;
	pthread_mutex_unlock(&vdev->irq_lock);
	return sent;
}

void vpci_irqfds_prime(struct virtio_dev *vdev, uint64_t vectors)
{
	uint64_t addr;
	uint32_t data;

	if (!host_has(vdev, false))
		return;
	while (vectors) {
		unsigned v = (unsigned)__builtin_ctzll(vectors);

		vectors &= vectors - 1;
		if (v >= vdev->msix_vectors || !msix_entry(vdev, v, &addr, &data))
			continue;
		pthread_mutex_lock(&vdev->irq_lock);
		irqfd_route(vdev, &vdev->irqfds[v], addr, data);
		pthread_mutex_unlock(&vdev->irq_lock);
	}
}

/*
 * A vector masked between our table read and the irqfd write still fires; the window is
 * the same as a device whose message is already on the bus when the mask lands.
 */
void vpci_send_pending(struct virtio_dev *vdev)
{
	uint64_t bits = __atomic_exchange_n(&vdev->msix_pending, 0, __ATOMIC_ACQ_REL);

	while (bits) {
		unsigned v = (unsigned)__builtin_ctzll(bits);
		uint64_t addr;
		uint32_t data;

		bits &= bits - 1;
		if (host_has(vdev, false) && msix_entry(vdev, v, &addr, &data) &&
		    irqfd_send(vdev, v, addr, data))
			continue;
		/* Masked (the core sets the pending bit), no irqfd, or it failed. */
		pci_msi_notify(&vdev->pci, v);
	}
}

void vpci_irqfds_free(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->irq_lock);
	for (unsigned v = 0; v < vdev->msix_vectors; v++) {
		struct virtio_irqfd *e = &vdev->irqfds[v];

		if (e->fd >= 0)
			vdev->host.ops->msi_irqfd_free(vdev->host.opaque, e->fd);
		e->fd = -1;
	}
	pthread_mutex_unlock(&vdev->irq_lock);
}

/* ---- Device-facing -------------------------------------------------------------------- */

bool virtio_queue_done(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_queue *vq = &vdev->queues[q];

	if (virtq_should_notify(&vq->vq))
		vpci_raise(vdev, vq->msix_vector, 1);	/* ISR bit 0: queue interrupt */
	return virtq_idle_recheck(&vq->vq);
}

void virtio_queue_rekick(struct virtio_dev *vdev, unsigned q)
{
	vpci_kick(&vdev->queues[q]);
}

void virtio_set_needs_reset(struct virtio_dev *vdev)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vpci_raise(vdev, vdev->config_vector, VIRTIO_PCI_ISR_CONFIG);
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	virtio_work_begin(vdev);
	vdev->config_generation++;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vpci_raise(vdev, vdev->config_vector, VIRTIO_PCI_ISR_CONFIG);
	virtio_work_end(vdev);
}

void virtio_work_begin(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	vdev->in_flight++;
}

void virtio_work_end(struct virtio_dev *vdev)
{
	pthread_mutex_unlock(&vdev->lock);
	vpci_send_pending(vdev);
	vpci_work_done(vdev);
}
