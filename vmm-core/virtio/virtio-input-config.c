// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-input configuration space (virtio 1.2 §5.8.4): what the tablet says it is and has. */
#include "virtio-input-private.h"

#include <string.h>

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
	vin_put_le32(u + 4, VIRTIO_INPUT_ABS_MAX);	/* min 0, fuzz 0, flat 0, resolution 0 */
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
		vin_put_le16(u, VIN_BUS_VIRTUAL);
		vin_put_le16(u + 2, VIN_ID_VENDOR);
		vin_put_le16(u + 4, VIN_ID_PRODUCT);
		vin_put_le16(u + 6, VIN_ID_VERSION);
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
