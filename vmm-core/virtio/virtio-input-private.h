/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the virtio-input files (device model, VM glue and saved state, tests). */
#ifndef VMM_VIRTIO_INPUT_PRIVATE_H
#define VMM_VIRTIO_INPUT_PRIVATE_H

#include <endian.h>
#include <string.h>

#include "virtio-input.h"
#include "virtio-pci.h"

#define VIN_DEVICE_ID		18	/* §5.8.1: input device */
#define VIN_QUEUE_SIZE		64
#define VIN_EVENTQ		0	/* §5.8.2: device -> driver */
#define VIN_STATUSQ		1	/* driver -> device (LEDs, force feedback) */
#define VIN_PENDING		16	/* reports waiting for the I/O loop */
#define VIN_GROUP_MAX		8	/* ABS_X, ABS_Y, 3 keys, REL_WHEEL, SYN_REPORT */
#define VIN_EVENT_SIZE		8	/* struct virtio_input_event (§5.8.6) */

/* struct virtio_input_config (§5.8.4): select, subsel, size, 5 reserved, then the union. */
#define VIN_CFG_SELECT		0
#define VIN_CFG_SUBSEL		1
#define VIN_CFG_SIZE		2
#define VIN_CFG_UNION		8
#define VIN_CFG_UNION_LEN	128
#define VIN_CONFIG_LEN		(VIN_CFG_UNION + VIN_CFG_UNION_LEN)

/* enum virtio_input_config_select (§5.8.4) */
#define VIN_CFG_UNSET		0x00
#define VIN_CFG_ID_NAME		0x01
#define VIN_CFG_ID_SERIAL	0x02
#define VIN_CFG_ID_DEVIDS	0x03
#define VIN_CFG_PROP_BITS	0x10
#define VIN_CFG_EV_BITS		0x11
#define VIN_CFG_ABS_INFO	0x12

/* evdev codes the device uses (Linux input-event-codes.h numbering, which §5.8 refers to). */
#define VIN_EV_SYN		0x00
#define VIN_EV_KEY		0x01
#define VIN_EV_REL		0x02
#define VIN_EV_ABS		0x03
#define VIN_SYN_REPORT		0
#define VIN_BTN_LEFT		0x110
#define VIN_BTN_RIGHT		0x111
#define VIN_BTN_MIDDLE		0x112
#define VIN_REL_WHEEL		0x08
#define VIN_ABS_X		0x00
#define VIN_ABS_Y		0x01
#define VIN_BUS_VIRTUAL		0x06

/*
 * ID_DEVIDS (§5.8.4): our own numbers, not any real vendor's. Vendor 0x5645 is "VE" in
 * ASCII; product 1 is the tablet; version 1 is this event layout.
 */
#define VIN_ID_VENDOR		0x5645
#define VIN_ID_PRODUCT		0x0001
#define VIN_ID_VERSION		0x0001
#define VIN_NAME		"Vessel Tablet"
#define VIN_SERIAL		"vessel-tablet-0"

/* One pointer state as the caller gave it, scaled; events are made from it on delivery. */
struct vin_report {
	uint16_t x, y;			/* 0..VIRTIO_INPUT_ABS_MAX */
	uint8_t buttons;		/* VIRTIO_INPUT_BTN_* */
	int32_t dz;			/* wheel steps, positive: scroll down */
};

struct virtio_input_counters {
	uint64_t reports;		/* accepted by virtio_input_tablet_event */
	uint64_t refused;		/* -EAGAIN at once: no driver, or the pending ring full */
	uint64_t delivered;		/* groups written into the event queue */
	uint64_t dropped;		/* groups dropped on the loop: too few posted buffers */
	uint64_t events;		/* events written */
	uint64_t status_bufs;		/* status queue buffers consumed and ignored */
};

struct virtio_input {
	struct virtio_dev vdev;		/* first: the transport's view */

	/* Under vdev.lock. */
	uint8_t select, subsel;
	uint8_t guest_buttons;		/* buttons as the driver last saw them */
	struct vin_report pending[VIN_PENDING];
	unsigned head, count;		/* ring of pending reports */
	struct vin_report owed;		/* the newest dropped state, sent when buffers return */
	bool owed_valid;
	struct virtio_input_counters c;
};

/* Little-endian fields of the configuration and of events (§5.8.4, §5.8.6). */
static inline void vin_put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static inline void vin_put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

struct pci_bus;
struct virtio_host;

/* NULL with *err = -errno. */
struct virtio_input *virtio_input_new(struct pci_bus *bus, const struct virtio_host *host,
				      int devfn, int *err);
void virtio_input_free(struct virtio_input *vi);
/* A copy of the counters (tests, reports). */
void virtio_input_get_counters(struct virtio_input *vi, struct virtio_input_counters *c);
/* virtio-input-config.c: the configuration bytes for (select, subsel), as read (§5.8.5). */
void vin_config_fill(uint8_t cfg[VIN_CONFIG_LEN], uint8_t select, uint8_t subsel);

/* Saved state (virtio-input-vm.c): the transport's blob plus ours. */
int virtio_input_save(struct virtio_input *vi, void **blob, size_t *len);
int virtio_input_load(struct virtio_input *vi, const void *blob, size_t len);

#endif
