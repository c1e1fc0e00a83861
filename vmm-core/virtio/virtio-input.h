/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-input (virtio 1.2 §5.8) as an absolute pointer: the VM's tablet, so a pointer needs no capture. */
#ifndef VMM_VIRTIO_INPUT_H
#define VMM_VIRTIO_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * PCI 1AF4:1052 (virtio device id 18). The guest sees one device with EV_ABS (ABS_X, ABS_Y,
 * each 0..VIRTIO_INPUT_ABS_MAX), EV_KEY (BTN_LEFT, BTN_RIGHT, BTN_MIDDLE) and EV_REL
 * (REL_WHEEL), named "Vessel Tablet" — what Linux's hid/evdev stack and Windows' viostor-era
 * vioinput drivers treat as a tablet. Created when vm_config.tablet is set ([input] tablet in
 * a .vessel file, --tablet); the VM keeps a borrowed pointer in vm->tablet (NULL: none).
 *
 * The functions below may be called from any thread (the SPICE thread, the control thread).
 * Each call queues one group of events ended by EV_SYN/SYN_REPORT; the I/O loop hands them
 * to the guest's event queue. When the guest has posted no buffers (no driver yet, or a full
 * queue) the group is dropped and counted — a pointer position is not worth queueing.
 * A call is refused at once (-EAGAIN) while no driver is ready or the small pending ring is
 * full; a group the loop later finds too big for the posted buffers is dropped whole (never
 * half a group) and counted. Button changes are made into key events against what the
 * driver last received, so a dropped click is carried by the next group that arrives, and
 * the newest dropped state (position, buttons; not wheel steps) is sent again when the driver
 * posts buffers, so the guest's pointer ends where the client left it.
 * Scaling: v * VIRTIO_INPUT_ABS_MAX / (extent - 1), rounded down (0 when extent is 1).
 */
#define VIRTIO_INPUT_ABS_MAX		32767u

/* Buttons, as in Display1.PointerMotion: bit 0 left, bit 1 middle, bit 2 right. */
#define VIRTIO_INPUT_BTN_LEFT		(1u << 0)
#define VIRTIO_INPUT_BTN_MIDDLE		(1u << 1)
#define VIRTIO_INPUT_BTN_RIGHT		(1u << 2)

struct virtio_input;

/*
 * The pointer at (x, y) on a screen of width x height pixels (x < width, y < height;
 * larger values are clamped), scaled to 0..VIRTIO_INPUT_ABS_MAX, with `buttons` held and
 * `dz` wheel steps (positive: toward the user, i.e. scroll down). Button changes since the
 * last call become key events. 0, -EINVAL (width or height 0), -EAGAIN (refused, see above).
 */
int virtio_input_tablet_event(struct virtio_input *vi, uint32_t x, uint32_t y,
			      uint32_t width, uint32_t height, uint32_t buttons, int dz);

/* The guest's driver has set DRIVER_OK: absolute events will be seen. */
bool virtio_input_driver_ready(struct virtio_input *vi);

#endif
