// SPDX-License-Identifier: GPL-2.0-or-later
/* Split virtqueues (virtio 1.2 §2.7): checked ring access, budgeted chain walks, used ring. */
#include "virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layout of the three areas (§2.7.5, §2.7.6, §2.7.8); all fields little-endian. */
#define DESC_SIZE		16u
#define AVAIL_RING_OFF		4u	/* flags, idx, then ring[size], then used_event */
#define USED_RING_OFF		4u	/* flags, idx, then ring[size] of {id, len}, then avail_event */
#define USED_ELEM_SIZE		8u
#define RING_IDX_OFF		2u

/* A descriptor copied out of guest memory: checked on the copy, never re-read. */
struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static bool is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int virtq_init(struct virtq *vq, const struct vm_memory *mem, struct vmm_guest_log *log,
	       uint16_t max_size, const char *name)
{
	memset(vq, 0, sizeof(*vq));
	if (!is_pow2(max_size))
		return -EINVAL;
	vq->iov = calloc(max_size, sizeof(*vq->iov));
	if (!vq->iov)
		return -ENOMEM;
	vq->mem = mem;
	vq->log = log;
	vq->max_size = max_size;
	snprintf(vq->name, sizeof(vq->name), "%s", name ? name : "virtq");
	virtq_reset(vq);
	return 0;
}

void virtq_destroy(struct virtq *vq)
{
	free(vq->iov);
	vq->iov = NULL;
	vq->ready = false;
}

void virtq_reset(struct virtq *vq)
{
	vq->size = vq->max_size;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->event_idx = vq->indirect = false;
	vq->ready = vq->broken = false;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->signalled_valid = false;
}

void virtq_fail(struct virtq *vq, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	vq->broken = true;
	if (!vq->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmm_guest_error(vq->log, "%s: %s; queue stopped until the device is reset", vq->name,
			msg);
}

/* Host view of [gpa, gpa+len) if it is RAM and aligned to `align`; NULL otherwise. */
static uint8_t *ring_area(struct virtq *vq, uint64_t gpa, uint64_t len, unsigned align,
			  const char *what)
{
	uint8_t *p;

	if (gpa & (align - 1)) {
		virtq_fail(vq, "%s at %#llx is not %u-byte aligned", what,
			   (unsigned long long)gpa, align);
		return NULL;
	}
	p = vm_memory_ptr(vq->mem, gpa, len);
	if (!p)
		virtq_fail(vq, "%s at %#llx (%llu bytes) is not guest RAM", what,
			   (unsigned long long)gpa, (unsigned long long)len);
	return p;
}

/* The same rules as ring_area, without failing the queue: for loading saved state. */
static bool area_ok(const struct virtq *vq, uint64_t gpa, uint64_t len, unsigned align)
{
	return !(gpa & (align - 1)) && vm_memory_ptr(vq->mem, gpa, len);
}

bool virtq_rings_valid(const struct virtq *vq, unsigned size, uint64_t desc_gpa,
		       uint64_t avail_gpa, uint64_t used_gpa)
{
	if (!is_pow2(size) || size > vq->max_size)
		return false;
	return area_ok(vq, desc_gpa, (uint64_t)size * DESC_SIZE, 16) &&
	       area_ok(vq, avail_gpa, AVAIL_RING_OFF + 2ull * size + 2, 2) &&
	       area_ok(vq, used_gpa, USED_RING_OFF + (uint64_t)USED_ELEM_SIZE * size + 2, 4);
}

/*
 * §2.7 "Virtqueue Part Alignment": descriptor table 16, available ring 2, used ring 4. The
 * sizes include the event index fields whether or not the feature is negotiated.
 */
int virtq_enable(struct virtq *vq)
{
	unsigned n = vq->size;

	vq->broken = false;
	if (!is_pow2(n) || n > vq->max_size) {
		virtq_fail(vq, "queue size %u is not a power of two up to %u", n, vq->max_size);
		return -EINVAL;
	}
	vq->desc = ring_area(vq, vq->desc_gpa, (uint64_t)n * DESC_SIZE, 16, "descriptor table");
	if (vq->desc)
		vq->avail = ring_area(vq, vq->avail_gpa, AVAIL_RING_OFF + 2ull * n + 2, 2,
				      "available ring");
	if (vq->avail)
		vq->used = ring_area(vq, vq->used_gpa,
				     USED_RING_OFF + (uint64_t)USED_ELEM_SIZE * n + 2, 4,
				     "used ring");
	if (!vq->used) {
		vq->desc = vq->avail = NULL;
		return -EINVAL;
	}
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->ready = true;
	return 0;
}

static uint16_t load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, order));
}

static void store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)p, htole16(v), order);
}

static void read_desc(const uint8_t *table, unsigned i, struct vdesc *d)
{
	uint8_t raw[DESC_SIZE];

	memcpy(raw, table + (size_t)i * DESC_SIZE, DESC_SIZE);	/* one snapshot */
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Walk state of one chain. */
struct walk {
	const uint8_t *table;
	unsigned table_len;	/* descriptors in the current table */
	unsigned steps;		/* budget left in the current table */
	bool in_indirect;
	uint64_t total;		/* bytes in all buffers so far */
};

/*
 * §2.7.5.3: an indirect descriptor switches the walk to its table, which must not itself hold
 * indirect descriptors, must not be combined with NEXT, and (§2.7.5.3.1) cannot make the
 * chain longer than the queue.
 */
static int enter_indirect(struct virtq *vq, struct walk *w, const struct vdesc *d)
{
	unsigned n = d->len / DESC_SIZE;

	if (!vq->indirect) {
		virtq_fail(vq, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
		return -EIO;
	}
	if (w->in_indirect) {
		virtq_fail(vq, "indirect descriptor inside an indirect table (§2.7.5.3.1)");
		return -EIO;
	}
	if (d->flags & VRING_DESC_F_NEXT) {
		virtq_fail(vq, "descriptor with both INDIRECT and NEXT (§2.7.5.3.1)");
		return -EIO;
	}
	if (!d->len || d->len % DESC_SIZE || n > vq->size) {
		virtq_fail(vq, "indirect table of %u bytes (queue size %u)", d->len, vq->size);
		return -EIO;
	}
	w->table = vm_memory_ptr(vq->mem, d->addr, d->len);
	if (!w->table) {
		virtq_fail(vq, "indirect table at %#llx (%u bytes) is not guest RAM",
			   (unsigned long long)d->addr, d->len);
		return -EIO;
	}
	w->table_len = n;
	w->steps = n;
	w->in_indirect = true;
	return 0;
}

/* §2.7.4: device-readable buffers come first, then device-writable ones. */
static int add_buffer(struct virtq *vq, struct walk *w, const struct vdesc *d,
		      struct virtq_elem *e)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	unsigned n = e->nread + e->nwrite;
	void *p;

	if (!d->len)
		return 0;	/* nothing to transfer; the step still counts against the budget */
	if (!writable && e->nwrite) {
		virtq_fail(vq, "device-readable buffer after a device-writable one");
		return -EIO;
	}
	if (n >= vq->size) {
		virtq_fail(vq, "chain from head %u has more than %u buffers", e->head, vq->size);
		return -EIO;
	}
	w->total += d->len;
	if (w->total > UINT32_MAX) {
		virtq_fail(vq, "chain from head %u is longer than 4 GiB (§2.7.5.2)", e->head);
		return -EIO;
	}
	p = vm_memory_ptr(vq->mem, d->addr, d->len);
	if (!p) {
		virtq_fail(vq, "buffer at %#llx (%u bytes) is not guest RAM",
			   (unsigned long long)d->addr, d->len);
		return -EIO;
	}
	e->iov[n] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		e->nwrite++;
		e->write_len += d->len;
	} else {
		e->nread++;
		e->read_len += d->len;
	}
	return 0;
}

static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	struct walk w = { .table = vq->desc, .table_len = vq->size, .steps = vq->size };
	unsigned i = head;

	*e = (struct virtq_elem){ .head = head, .iov = vq->iov };
	for (;;) {
		struct vdesc d;

		if (!w.steps) {
			virtq_fail(vq, "chain from head %u is longer than its table (a loop?)",
				   head);
			return -EIO;
		}
		w.steps--;
		if (i >= w.table_len) {
			virtq_fail(vq, "next index %u outside a table of %u", i, w.table_len);
			return -EIO;
		}
		read_desc(w.table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (enter_indirect(vq, &w, &d))
				return -EIO;
			i = 0;
			continue;
		}
		if (add_buffer(vq, &w, &d, e))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_elem *elem)
{
	uint16_t avail_idx, pending, head;

	if (vq->broken)
		return -EIO;
	if (!vq->ready)
		return 0;
	/* Acquire: the ring entry and descriptors are read after the index that covers them. */
	avail_idx = load16(vq->avail + RING_IDX_OFF, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (!pending)
		return 0;
	if (pending > vq->size) {
		virtq_fail(vq, "available idx %u is %u entries past %u (queue size %u)", avail_idx,
			   pending, vq->last_avail, vq->size);
		return -EIO;
	}
	head = load16(vq->avail + AVAIL_RING_OFF + 2u * (vq->last_avail & (vq->size - 1)),
		      __ATOMIC_RELAXED);
	if (head >= vq->size) {
		virtq_fail(vq, "available ring names descriptor %u (queue size %u)", head,
			   vq->size);
		return -EIO;
	}
	if (walk_chain(vq, head, elem))
		return -EIO;
	vq->last_avail++;
	return 1;
}

int virtq_push(struct virtq *vq, const struct virtq_elem *elem, uint32_t written)
{
	uint8_t *slot;
	uint32_t id = htole32(elem->head), len;

	if (!vq->ready || vq->broken)
		return -EIO;
	/* §2.7.8.2: len may underestimate but never claim more than the writable part. */
	len = htole32(written > elem->write_len ? elem->write_len : written);
	slot = vq->used + USED_RING_OFF + USED_ELEM_SIZE * (vq->used_idx & (vq->size - 1u));
	memcpy(slot, &id, 4);
	memcpy(slot + 4, &len, 4);
	vq->used_idx++;
	/* Release: the element (and the data written to the buffers) before the index. */
	store16(vq->used + RING_IDX_OFF, vq->used_idx, __ATOMIC_RELEASE);
	return 0;
}

/*
 * §2.7.7.2. With event index the driver asks to hear about the entry at used_event: notify
 * if that entry is among the ones written since the last check, i.e. used_event lies in
 * [old, new) modulo 2^16.
 */
bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx, event;
	bool first = !vq->signalled_valid;

	if (!vq->ready || vq->broken)
		return false;
	/* The used->idx store must be visible before we read the driver's suppression fields. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(vq->avail, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_valid = true;
	vq->signalled_used = now;
	event = load16(vq->avail + AVAIL_RING_OFF + 2u * vq->size, __ATOMIC_RELAXED);
	if (first)
		return true;
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

bool virtq_idle_recheck(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx)	/* §2.7.10: notify me when you write entry last_avail */
		store16(vq->used + USED_RING_OFF + USED_ELEM_SIZE * vq->size, vq->last_avail,
			__ATOMIC_RELAXED);
	/* avail_event must be visible before we look at avail->idx once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(vq->avail + RING_IDX_OFF, __ATOMIC_ACQUIRE) != vq->last_avail;
}

