/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Split virtqueues (virtio 1.2 §2.7) in guest RAM: pop chains into iovecs, push used elements. */
#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "iov.h"

#include <linux/virtio_ring.h>	/* VRING_DESC_F_*, VRING_AVAIL_F_NO_INTERRUPT, ring feature bits */

#include "log.h"
#include "memory.h"

/*
 * The device side of one split virtqueue. The guest is hostile and runs on other CPUs while
 * we read its rings, so:
 *  - ring addresses are checked once, at enable (RAM only, alignment per §2.7 "Virtqueue Part
 *    Alignment"), and the host pointers kept (guest RAM mappings live as long as the VM);
 *  - every descriptor is copied out of guest memory once, then checked: index below the
 *    table size, buffer wholly inside one RAM region (never MMIO), chain total below 4 GiB;
 *  - every walk has a budget: a chain visits at most `size` descriptors of the ring and at
 *    most `size` of an indirect table, and yields at most `size` buffers, so a loop or an
 *    over-long chain ends in a guest error and a broken queue, never a hang;
 *  - avail->idx is read with acquire semantics before ring entries and descriptors, and
 *    used->idx is published with release semantics after the used element (§2.7.13, §2.7.14).
 * A broken queue stays broken until the transport resets it; the device is then expected to
 * set DEVICE_NEEDS_RESET (§2.1.2).
 *
 * Locking: none inside; the transport serialises all calls on one queue (its device lock).
 */
#define VIRTQ_MAX_SIZE	32768u		/* §2.7: Queue Size is at most 32768 */

struct virtq {
	/* Set by virtq_init. */
	const struct vm_memory *mem;
	struct vmm_guest_log *log;	/* may be NULL */
	char name[48];			/* for guest-error messages */
	uint16_t max_size;
	struct iovec *iov;		/* max_size entries: the element being handled */

	/* Written by the transport while the queue is disabled. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */

	/* Live state. */
	bool ready;			/* enabled with valid rings */
	bool broken;			/* the guest broke a rule; nothing more is processed */
	uint8_t *desc, *avail, *used;	/* host views of the three areas */
	uint16_t last_avail;		/* next available ring entry to consume */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used->idx when we last notified (event index) */
	bool signalled_valid;
};

/* One available chain: readable buffers first, then writable ones (§2.7.4). */
struct virtq_elem {
	uint16_t head;
	struct iovec *iov;		/* the queue's array: [0, nread) then [nread, nread+nwrite) */
	unsigned nread, nwrite;
	uint32_t read_len, write_len;	/* bytes in each part */
};

/* 0 or -ENOMEM / -EINVAL (max_size not a power of two in 1..32768). */
int virtq_init(struct virtq *vq, const struct vm_memory *mem, struct vmm_guest_log *log,
	       uint16_t max_size, const char *name);
void virtq_destroy(struct virtq *vq);
/* Back to the power-on state: disabled, size = max_size, addresses 0. */
void virtq_reset(struct virtq *vq);

/* Check the rings the driver configured and start using them: 0 or -EINVAL (guest error). */
int virtq_enable(struct virtq *vq);
/* Would virtq_enable accept these rings (size, alignment, guest RAM)? Changes nothing. */
bool virtq_rings_valid(const struct virtq *vq, unsigned size, uint64_t desc_gpa,
		       uint64_t avail_gpa, uint64_t used_gpa);

/*
 * Take the next available chain: 1 with *elem filled, 0 if the ring is empty, -EIO if the
 * queue is (or has just become) broken. elem->iov points into the queue and stays valid until
 * the next pop.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);
/* Return a chain to the driver with `written` bytes written (clamped to write_len). */
int virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t written);
/*
 * After pushing a batch: does the driver want a used buffer notification (§2.7.7)?
 * VRING_AVAIL_F_NO_INTERRUPT without event index, used_event with it.
 */
bool virtq_should_notify(struct virtq *vq);
/*
 * Before going idle: publish avail_event (event index, §2.7.10) so the driver notifies us for
 * the next buffer, then look again. True if buffers arrived meanwhile (keep processing).
 */
bool virtq_idle_recheck(struct virtq *vq);

/* Mark broken with a guest error (device code that finds a malformed request). */
void virtq_fail(struct virtq *vq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


#endif
