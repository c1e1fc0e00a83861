// SPDX-License-Identifier: GPL-2.0-or-later
// A minimal virtio 1.x driver core for test guests: PCI capabilities, features, split queues.
#include "kit.h"

/* virtio_pci_cap fields (virtio 1.2 §4.1.4) */
#define CAP_LEN		2
#define CAP_CFG_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_NOTIFY_MULT	16
#define COMMON_MIN_LEN	0x38	/* through queue_device */
#define VQ_DESC_NEXT	1	/* §2.7.5 */
#define VQ_DESC_WRITE	2

static uint32_t cfg32(const struct kit_pci_fn *f, unsigned off)
{
	return pci_cfg_read32(0, f->dev, f->fn, off);
}

/* The MMIO address of a capability's structure, checked against its BAR. */
static uintptr_t cap_address(const struct kit_pci_fn *f, unsigned cap, uint32_t *length)
{
	uint8_t bar = pci_cfg_read8(0, f->dev, f->fn, cap + CAP_BAR);
	uint32_t off = cfg32(f, cap + CAP_OFFSET);
	const struct kit_pci_bar *b;

	*length = cfg32(f, cap + CAP_LENGTH);
	if (bar > 5)
		KIT_FAIL("virtio cap at 0x%02x names BAR %u", cap, bar);
	b = &f->bar[bar];
	if (b->type != KIT_BAR_MEM32 && b->type != KIT_BAR_MEM64)
		KIT_FAIL("virtio cap at 0x%02x: BAR %u is not a memory BAR", cap, bar);
	if (!b->addr || b->addr + b->size > 0x100000000ull)
		KIT_FAIL("virtio cap at 0x%02x: BAR %u not assigned below 4 GiB", cap, bar);
	if (off > b->size || *length > b->size - off)
		KIT_FAIL("virtio cap at 0x%02x: 0x%x+0x%x outside BAR %u (0x%x bytes)", cap, off,
			 *length, bar, (uint32_t)b->size);
	return (uintptr_t)b->addr + off;
}

/* The first capability of each type is the preferred one (§4.1.4); later ones are ignored. */
static void take_cap(struct kit_virtio *v, unsigned cap, uint8_t type)
{
	uint32_t len;
	uintptr_t a;

	if (type < VIRTIO_CAP_COMMON || type > VIRTIO_CAP_DEVICE || (v->caps_seen & 1u << type))
		return;
	a = cap_address(v->pci, cap, &len);
	v->caps_seen |= (uint8_t)(1u << type);
	switch (type) {
	case VIRTIO_CAP_COMMON:
		if (len < COMMON_MIN_LEN || (a & 3))
			KIT_FAIL("virtio common cfg: length 0x%x at 0x%x", len, (uint32_t)a);
		v->common = a;
		break;
	case VIRTIO_CAP_NOTIFY:
		v->notify = a;
		v->notify_len = len;
		v->notify_mult = cfg32(v->pci, cap + CAP_NOTIFY_MULT);
		break;
	case VIRTIO_CAP_ISR:
		v->isr = a;
		break;
	default:
		v->device = a;
		v->device_len = len;
		break;
	}
}

void virtio_probe(struct kit_virtio *v, const struct kit_pci_fn *f)
{
	const unsigned need = 1u << VIRTIO_CAP_COMMON | 1u << VIRTIO_CAP_NOTIFY |
			      1u << VIRTIO_CAP_ISR;
	unsigned cap = 0;

	memset(v, 0, sizeof(*v));
	v->pci = f;
	while ((cap = pci_cap_find(f->dev, f->fn, PCI_CAP_ID_VENDOR, cap))) {
		uint8_t len = pci_cfg_read8(0, f->dev, f->fn, cap + CAP_LEN);
		uint8_t type = pci_cfg_read8(0, f->dev, f->fn, cap + CAP_CFG_TYPE);

		if (len < 16 || (type == VIRTIO_CAP_NOTIFY && len < 20))
			KIT_FAIL("virtio cap at 0x%02x (type %u) has cap_len %u", cap, type, len);
		take_cap(v, cap, type);
	}
	if ((v->caps_seen & need) != need)
		KIT_FAIL("virtio caps present 0x%x, need common, notify and ISR", v->caps_seen);
	/* §4.1.4.4.1: an even power of 2, or 0 (all queues share one address). */
	if (v->notify_mult & (v->notify_mult - 1) || v->notify_mult == 1)
		KIT_FAIL("notify_off_multiplier %u", v->notify_mult);
}

uint8_t virtio_status(const struct kit_virtio *v)
{
	return mmio_read8(v->common + VIRTIO_COMMON_STATUS);
}

static void set_status(struct kit_virtio *v, uint8_t bits)
{
	mmio_write8(v->common + VIRTIO_COMMON_STATUS, virtio_status(v) | bits);
}

void virtio_reset(struct kit_virtio *v)
{
	uint64_t start = kit_now_ms();

	mmio_write8(v->common + VIRTIO_COMMON_STATUS, 0);
	/* §4.1.4.3.2: the reset is complete once device_status reads 0. */
	while (virtio_status(v)) {
		if (kit_now_ms() - start > 1000)
			KIT_FAIL("virtio status 0x%x a second after reset", virtio_status(v));
		pause();
	}
}

static uint32_t features_word(struct kit_virtio *v, uint32_t sel)
{
	mmio_write32(v->common + VIRTIO_COMMON_DFSELECT, sel);
	return mmio_read32(v->common + VIRTIO_COMMON_DF);
}

bool virtio_negotiate(struct kit_virtio *v, uint64_t wanted)
{
	uint64_t drv;

	virtio_reset(v);
	set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(v, VIRTIO_STATUS_DRIVER);
	v->device_features = (uint64_t)features_word(v, 1) << 32 | features_word(v, 0);
	drv = v->device_features & wanted;
	v->driver_features = drv;
	mmio_write32(v->common + VIRTIO_COMMON_GFSELECT, 0);
	mmio_write32(v->common + VIRTIO_COMMON_GF, (uint32_t)drv);
	mmio_write32(v->common + VIRTIO_COMMON_GFSELECT, 1);
	mmio_write32(v->common + VIRTIO_COMMON_GF, (uint32_t)(drv >> 32));
	set_status(v, VIRTIO_STATUS_FEATURES_OK);
	/* §3.1.1 step 6: the device clears FEATURES_OK if it refuses the subset. */
	return virtio_status(v) & VIRTIO_STATUS_FEATURES_OK;
}

static void write64(uintptr_t a, uint64_t v)
{
	/* §4.1.3.1: 64-bit fields may be written as two 32-bit halves, low first. */
	mmio_write32(a, (uint32_t)v);
	mmio_write32(a + 4, (uint32_t)(v >> 32));
}

void virtio_queue_setup(struct kit_virtio *v, struct kit_virtq *q, unsigned index,
			uint16_t msix_vector)
{
	uintptr_t c = v->common;
	uint16_t max, noff;
	uint32_t at;

	memset(q, 0, sizeof(*q));
	mmio_write16(c + VIRTIO_COMMON_Q_SELECT, (uint16_t)index);
	max = mmio_read16(c + VIRTIO_COMMON_Q_SIZE);
	if (!max || (max & (max - 1)))
		KIT_FAIL("queue %u: queue_size %u (0 or not a power of 2)", index, max);
	q->index = (uint16_t)index;
	q->size = max < KIT_VQ_SIZE ? max : KIT_VQ_SIZE;
	mmio_write16(c + VIRTIO_COMMON_Q_SIZE, q->size);
	mmio_write16(c + VIRTIO_COMMON_Q_MSIX, msix_vector);
	if (mmio_read16(c + VIRTIO_COMMON_Q_MSIX) != msix_vector)
		KIT_FAIL("queue %u: msix_vector reads 0x%x, wrote 0x%x", index,
			 mmio_read16(c + VIRTIO_COMMON_Q_MSIX), msix_vector);
	write64(c + VIRTIO_COMMON_Q_DESC, (uintptr_t)q->desc);
	write64(c + VIRTIO_COMMON_Q_DRIVER, (uintptr_t)&q->avail);
	write64(c + VIRTIO_COMMON_Q_DEVICE, (uintptr_t)&q->used);
	noff = mmio_read16(c + VIRTIO_COMMON_Q_NOFF);
	at = (uint32_t)noff * v->notify_mult;
	if (at > v->notify_len || v->notify_len - at < 2)
		KIT_FAIL("queue %u: notify offset %u x %u outside the %u-byte notify area",
			 index, noff, v->notify_mult, v->notify_len);
	q->notify = v->notify + at;
	mmio_write16(c + VIRTIO_COMMON_Q_ENABLE, 1);
	if (mmio_read16(c + VIRTIO_COMMON_Q_ENABLE) != 1)
		KIT_FAIL("queue %u: queue_enable does not read back 1", index);
}

void virtio_driver_ok(struct kit_virtio *v)
{
	set_status(v, VIRTIO_STATUS_DRIVER_OK);
}

void virtq_post(struct kit_virtq *q, const struct kit_vbuf *bufs, unsigned n)
{
	if (!n || n > q->size)
		kit_panic("virtq_post: %u buffers on a %u-entry queue", n, q->size);
	/* One chain in flight at a time: it always starts at descriptor 0 (§2.7.13). */
	for (unsigned i = 0; i < n; i++) {
		q->desc[i].addr = (uintptr_t)bufs[i].addr;
		q->desc[i].len = bufs[i].len;
		q->desc[i].flags = (uint16_t)((i + 1 < n ? VQ_DESC_NEXT : 0) |
					      (bufs[i].in ? VQ_DESC_WRITE : 0));
		q->desc[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	q->avail.ring[q->avail.idx % q->size] = 0;
	barrier();			/* x86 keeps stores in order; the compiler must too */
	q->avail.idx++;
	barrier();
	mmio_write16(q->notify, q->index);	/* §4.1.5.2, no NOTIFICATION_DATA */
}

bool virtq_used(struct kit_virtq *q, uint32_t *used_len)
{
	volatile uint16_t *used_idx = &q->used.idx;

	if (*used_idx == q->last_used)
		return false;
	barrier();
	if (q->used.ring[q->last_used % q->size].id != 0)
		KIT_FAIL("used ring names descriptor %u, posted 0",
			 q->used.ring[q->last_used % q->size].id);
	if (used_len)
		*used_len = q->used.ring[q->last_used % q->size].len;
	q->last_used++;
	return true;
}

bool virtq_run(struct kit_virtq *q, const struct kit_vbuf *bufs, unsigned n,
	       uint32_t *used_len, uint32_t timeout_ms)
{
	uint64_t start;

	virtq_post(q, bufs, n);
	start = kit_now_ms();
	while (!virtq_used(q, used_len)) {
		if (kit_now_ms() - start > timeout_ms)
			return false;
		pause();
	}
	return true;
}
