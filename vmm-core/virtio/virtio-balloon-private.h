/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the virtio-balloon files (queues, public API, saved state). */
#ifndef VMM_VIRTIO_BALLOON_PRIVATE_H
#define VMM_VIRTIO_BALLOON_PRIVATE_H

#include "virtio-balloon.h"

#define VB_DEVICE_ID		5	/* §5.5.1: memory balloon */
#define VB_NQUEUES		4	/* inflate, deflate, stats, reporting */
/* struct virtio_balloon_config (§5.5.4) */
#define VB_CFG_NUM_PAGES	0
#define VB_CFG_ACTUAL		4
#define VB_CFG_HINT_CMD_ID	8
#define VB_CFG_POISON		12

enum vballoon_role { VB_NONE, VB_INFLATE, VB_DEFLATE, VB_STATS, VB_REPORT };

#define vballoon_guest_error(b, fmt, ...) do {					\
	if ((b)->vdev.host.log)							\
		vmm_guest_error((b)->vdev.host.log, "%s: " fmt, (b)->vdev.name,	\
				##__VA_ARGS__);					\
} while (0)

static inline struct virtio_balloon *vballoon_of(struct virtio_dev *vdev)
{
	return (struct virtio_balloon *)vdev;
}

extern const struct virtio_dev_ops vballoon_ops;

/* What queue q is under the negotiated features (§5.5.2; absent queues are not counted). */
enum vballoon_role vballoon_queue_role(const struct virtio_balloon *b, unsigned q);
/* Any thread, info_lock NOT held: queue `events` for the notify callback on the loop. */
void vballoon_event(struct virtio_balloon *b, unsigned events);

/* Arm the stats timer for loop time `deadline` (0: stop it). */
void vballoon_stats_arm_at(struct virtio_balloon *b, uint64_t deadline);

#endif
