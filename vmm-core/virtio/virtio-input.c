// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-input (virtio 1.2 §5.8) tablet: configuration space, event and status queues. */
#include "virtio-input-private.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "iov.h"

#define STATUS_BATCH	32u	/* status buffers per loop callback before yielding */

/* ---- Configuration space (§5.8.4, §5.8.5) --------------------------------------------- */

static void put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void set_bit(uint8_t *map, unsigned bit)
{
	map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* EV_BITS for event type `type`: the bitmap of codes; returns its size in bytes. */
static uint8_t ev_bits(uint8_t *u, uint8_t type)
{
	switch (type) {
	case VIN_EV_KEY:
		set_bit(u, VIN_BTN_LEFT);
		set_bit(u, VIN_BTN_RIGHT);
		set_bit(u, VIN_BTN_MIDDLE);
		return VIN_BTN_MIDDLE / 8 + 1;
	case VIN_EV_REL:
		set_bit(u, VIN_REL_WHEEL);
		return VIN_REL_WHEEL / 8 + 1;
	case VIN_EV_ABS:
		set_bit(u, VIN_ABS_X);
		set_bit(u, VIN_ABS_Y);
		return 1;
	default:
		return 0;
	}
}

/* struct virtio_input_absinfo: min, max, fuzz, flat, res (all le32). */
static uint8_t abs_info(uint8_t *u, uint8_t axis)
{
	if (axis != VIN_ABS_X && axis != VIN_ABS_Y)
		return 0;
	put_le32(u + 4, VIRTIO_INPUT_ABS_MAX);	/* min 0, fuzz 0, flat 0, resolution 0 */
	return 20;
}

static uint8_t put_string(uint8_t *u, const char *s)
{
	size_t n = strlen(s);

	memcpy(u, s, n);
	return (uint8_t)n;
}

/*
 * §5.8.5: size is 0 where the device has nothing for (select, subsel), which the driver
 * reads as "not supported". PROP_BITS stays empty: a tablet is a pointer, not a direct
 * (touch screen) device.
 */
void vin_config_fill(uint8_t cfg[VIN_CONFIG_LEN], uint8_t select, uint8_t subsel)
{
	uint8_t *u = cfg + VIN_CFG_UNION, size = 0;

	memset(cfg, 0, VIN_CONFIG_LEN);
	cfg[VIN_CFG_SELECT] = select;
	cfg[VIN_CFG_SUBSEL] = subsel;
	switch (select) {
	case VIN_CFG_ID_NAME:
		size = subsel ? 0 : put_string(u, VIN_NAME);
		break;
	case VIN_CFG_ID_SERIAL:
		size = subsel ? 0 : put_string(u, VIN_SERIAL);
		break;
	case VIN_CFG_ID_DEVIDS:
		if (subsel)
			break;
		put_le16(u, VIN_BUS_VIRTUAL);
		put_le16(u + 2, VIN_ID_VENDOR);
		put_le16(u + 4, VIN_ID_PRODUCT);
		put_le16(u + 6, VIN_ID_VERSION);
		size = 8;
		break;
	case VIN_CFG_EV_BITS:
		size = ev_bits(u, subsel);
		break;
	case VIN_CFG_ABS_INFO:
		size = abs_info(u, subsel);
		break;
	default:	/* UNSET, PROP_BITS, anything unknown */
		break;
	}
	cfg[VIN_CFG_SIZE] = size;
}

/* vCPU thread, vdev->lock held. Only select and subsel are writable (§5.8.5). */
static void vin_config_write(struct virtio_dev *vdev, unsigned off, uint64_t val, unsigned size)
{
	struct virtio_input *vi = (struct virtio_input *)vdev;
	bool bad = false;

	for (unsigned i = 0; i < size && i < 8; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (off + i == VIN_CFG_SELECT)
			vi->select = b;
		else if (off + i == VIN_CFG_SUBSEL)
			vi->subsel = b;
		else
			bad = true;
	}
	if (bad && vdev->host.log)
		vmm_guest_error(vdev->host.log, "%s: write of %u bytes at config +%u: only "
				"select and subsel are writable", vdev->name, size, off);
	vin_config_fill(vdev->config, vi->select, vi->subsel);
}

/* ---- Event queue: pending reports become groups of events (§5.8.6) --------------------- */

struct vin_group {
	unsigned n;
	uint8_t ev[VIN_GROUP_MAX][VIN_EVENT_SIZE];
};

static void group_add(struct vin_group *g, uint16_t type, uint16_t code, uint32_t value)
{
	put_le16(g->ev[g->n], type);
	put_le16(g->ev[g->n] + 2, code);
	put_le32(g->ev[g->n] + 4, value);
	g->n++;
}

/*
 * Positions always, key events for buttons that differ from what the driver last saw (so a
 * dropped group's change is carried by the next one), the wheel, then SYN_REPORT. Linux's
 * REL_WHEEL counts up for scrolling away from the user, hence -dz.
 */
static void build_group(const struct vin_report *r, uint8_t seen, struct vin_group *g)
{
	static const uint16_t codes[3] = { VIN_BTN_LEFT, VIN_BTN_MIDDLE, VIN_BTN_RIGHT };

	g->n = 0;
	group_add(g, VIN_EV_ABS, VIN_ABS_X, r->x);
	group_add(g, VIN_EV_ABS, VIN_ABS_Y, r->y);
	for (unsigned b = 0; b < 3; b++)
		if ((r->buttons ^ seen) & (1u << b))
			group_add(g, VIN_EV_KEY, codes[b], (r->buttons >> b) & 1);
	if (r->dz)
		group_add(g, VIN_EV_REL, VIN_REL_WHEEL, (uint32_t)-r->dz);
	group_add(g, VIN_EV_SYN, VIN_SYN_REPORT, 0);
}

/* Chains the driver has made available and we have not taken (§2.7.6). */
static unsigned avail_count(const struct virtq *vq)
{
	uint16_t idx;

	if (!vq->ready || vq->broken)
		return 0;
	idx = __atomic_load_n((const uint16_t *)(const void *)(vq->avail + 2), __ATOMIC_ACQUIRE);
	return (uint16_t)(le16toh(idx) - vq->last_avail);
}

/*
 * One event per buffer, as drivers post them. A buffer the device may not write, or one too
 * small for an event, breaks the queue (§5.8.6.1: eventq buffers are device-writable and
 * hold a struct virtio_input_event); the transport then asks for a reset.
 */
static int write_event(struct virtq *vq, const uint8_t *ev)
{
	struct virtq_elem e;
	int ret = virtq_pop(vq, &e);

	if (ret <= 0)
		return ret ? ret : -EIO;
	if (e.nread || e.write_len < VIN_EVENT_SIZE) {
		virtq_fail(vq, "event buffer with %u readable and %u writable bytes (want %u "
			   "writable)", e.read_len, e.write_len, VIN_EVENT_SIZE);
		return -EIO;
	}
	iov_from_buf(e.iov, e.nwrite, 0, ev, VIN_EVENT_SIZE);
	return virtq_push(vq, &e, VIN_EVENT_SIZE);
}

/* A whole group, or nothing when fewer buffers are posted than it has events. */
static int deliver(struct virtio_input *vi, struct virtq *vq, const struct vin_report *r)
{
	struct vin_group g;
	int ret = 0;

	build_group(r, vi->guest_buttons, &g);
	if (avail_count(vq) < g.n) {
		vi->c.dropped++;
		return 0;
	}
	for (unsigned i = 0; i < g.n && !ret; i++)
		ret = write_event(vq, g.ev[i]);
	if (ret)
		return ret;
	vi->guest_buttons = r->buttons;
	vi->c.delivered++;
	vi->c.events += g.n;
	return 1;
}

static void eventq_notify(struct virtio_input *vi)
{
	struct virtio_dev *vdev = &vi->vdev;
	struct virtq *vq = virtio_queue(vdev, VIN_EVENTQ);
	bool pushed = false;
	int ret = 0;

	while (vi->count && ret >= 0) {
		ret = deliver(vi, vq, &vi->pending[vi->head]);
		pushed |= ret > 0;
		vi->head = (vi->head + 1) % VIN_PENDING;
		vi->count--;
	}
	if (pushed)
		virtio_queue_done(vdev, VIN_EVENTQ);
}

/* §5.8.6.2: LED and force-feedback events from the driver; a tablet has neither. */
static void statusq_notify(struct virtio_input *vi)
{
	struct virtio_dev *vdev = &vi->vdev;
	struct virtq *vq = virtio_queue(vdev, VIN_STATUSQ);
	struct virtq_elem e;
	unsigned budget = STATUS_BATCH;
	int ret = 0;

	do {
		while (budget && (ret = virtq_pop(vq, &e)) > 0) {
			if (e.nwrite && vdev->host.log)
				vmm_guest_error(vdev->host.log, "%s: device-writable buffer in "
						"the status queue", vdev->name);
			vi->c.status_bufs++;
			virtq_push(vq, &e, 0);
			budget--;
		}
		if (!budget) {
			virtio_queue_done(vdev, VIN_STATUSQ);
			virtio_queue_rekick(vdev, VIN_STATUSQ);
			return;
		}
	} while (ret == 0 && virtio_queue_done(vdev, VIN_STATUSQ));
}

/* I/O loop, vdev->lock held. */
static void vin_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_input *vi = (struct virtio_input *)vdev;

	if (q == VIN_EVENTQ)
		eventq_notify(vi);
	else
		statusq_notify(vi);
}

/* Device reset, vdev->lock held: the driver starts again from nothing (§5.8.6). */
static void vin_reset(struct virtio_dev *vdev)
{
	struct virtio_input *vi = (struct virtio_input *)vdev;

	vi->select = vi->subsel = 0;
	vi->guest_buttons = 0;
	vi->head = vi->count = 0;
	vin_config_fill(vdev->config, 0, 0);
}

/*
 * Locking: queue_notify on the I/O loop and config_write on vCPU threads, both under
 * vdev.lock; virtio_input_tablet_event takes the same lock from any thread.
 */
static const struct virtio_dev_ops vin_ops = {
	.name = "virtio-input",
	.device_type = VIN_DEVICE_ID,
	.class_code = 0x098000,		/* input device controller, other */
	.queue_notify = vin_queue_notify,
	.reset = vin_reset,
	.config_write = vin_config_write,
};

/* ---- Public API ----------------------------------------------------------------------- */

/*
 * Would the loop write events now? Bus mastering off (a driver shutting down) refuses here
 * rather than having the kick log a guest error for each pointer move.
 */
static bool ready_locked(struct virtio_input *vi)
{
	struct virtio_dev *vdev = &vi->vdev;
	uint8_t need = VIRTIO_CONFIG_S_DRIVER_OK;

	return (vdev->status & (need | VIRTIO_CONFIG_S_NEEDS_RESET)) == need &&
	       vdev->queues[VIN_EVENTQ].vq.ready && !vdev->queues[VIN_EVENTQ].vq.broken &&
	       (pci_config_get(&vdev->pci, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
}

bool virtio_input_driver_ready(struct virtio_input *vi)
{
	bool ready;

	pthread_mutex_lock(&vi->vdev.lock);
	ready = ready_locked(vi);
	pthread_mutex_unlock(&vi->vdev.lock);
	return ready;
}

/* 0 at the left/top pixel, VIRTIO_INPUT_ABS_MAX at the right/bottom one, rounded down. */
static uint16_t scale(uint32_t v, uint32_t extent)
{
	if (extent < 2)
		return 0;
	if (v > extent - 1)
		v = extent - 1;
	return (uint16_t)((uint64_t)v * VIRTIO_INPUT_ABS_MAX / (extent - 1));
}

static int32_t add_steps(int32_t a, int b)
{
	int64_t s = (int64_t)a + b;

	/* -INT32_MAX, not INT32_MIN: the event carries -dz. */
	return s > INT32_MAX ? INT32_MAX : s < -INT32_MAX ? -INT32_MAX : (int32_t)s;
}

/*
 * Reports with the same buttons as the newest pending one replace it (the wheel steps add
 * up): a pointer flood while the loop is busy costs one slot, and no click is merged away.
 */
static int queue_report(struct virtio_input *vi, const struct vin_report *r)
{
	struct vin_report *last;

	if (vi->count) {
		last = &vi->pending[(vi->head + vi->count - 1) % VIN_PENDING];
		if (last->buttons == r->buttons) {
			last->x = r->x;
			last->y = r->y;
			last->dz = add_steps(last->dz, r->dz);
			return 0;
		}
	}
	if (vi->count == VIN_PENDING)
		return -EAGAIN;
	vi->pending[(vi->head + vi->count) % VIN_PENDING] = *r;
	vi->count++;
	return 0;
}

int virtio_input_tablet_event(struct virtio_input *vi, uint32_t x, uint32_t y,
			      uint32_t width, uint32_t height, uint32_t buttons, int dz)
{
	struct vin_report r = {
		.x = scale(x, width), .y = scale(y, height), .buttons = (uint8_t)(buttons & 7),
		.dz = add_steps(0, dz),
	};
	int ret = -EAGAIN;

	if (!width || !height)
		return -EINVAL;
	pthread_mutex_lock(&vi->vdev.lock);
	if (ready_locked(vi))
		ret = queue_report(vi, &r);
	if (!ret) {
		vi->c.reports++;
		virtio_queue_rekick(&vi->vdev, VIN_EVENTQ);	/* the loop delivers it */
	} else {
		vi->c.refused++;
	}
	pthread_mutex_unlock(&vi->vdev.lock);
	return ret;
}

void virtio_input_get_counters(struct virtio_input *vi, struct virtio_input_counters *c)
{
	pthread_mutex_lock(&vi->vdev.lock);
	*c = vi->c;
	pthread_mutex_unlock(&vi->vdev.lock);
}

struct virtio_input *virtio_input_new(struct pci_bus *bus, const struct virtio_host *host,
				      int devfn, int *err)
{
	struct virtio_dev_config cfg = {
		.ops = &vin_ops, .host = *host, .nqueues = 2, .queue_size = VIN_QUEUE_SIZE,
		.config_len = VIN_CONFIG_LEN, .devfn = devfn, .name = "virtio-input",
	};
	struct virtio_input *vi = calloc(1, sizeof(*vi));
	int ret = vi ? virtio_pci_init(&vi->vdev, bus, &cfg) : -ENOMEM;

	if (ret) {
		free(vi);
		*err = ret;
		return NULL;
	}
	vin_config_fill(vi->vdev.config, 0, 0);
	return vi;
}

void virtio_input_free(struct virtio_input *vi)
{
	if (!vi)
		return;
	virtio_pci_exit(&vi->vdev);
	free(vi);
}
