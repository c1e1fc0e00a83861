/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-balloon (virtio 1.2 §5.5): guest pages given back to the host, memory statistics. */
#ifndef VMM_VIRTIO_BALLOON_H
#define VMM_VIRTIO_BALLOON_H

#include <linux/virtio_balloon.h>	/* VIRTIO_BALLOON_F_*, VIRTIO_BALLOON_S_* */

#include "virtio-pci.h"

/*
 * PCI 1AF4:1045. Offered: STATS_VQ, DEFLATE_ON_OOM, PAGE_POISON, REPORTING (free page
 * reporting); not MUST_TELL_HOST, not FREE_PAGE_HINT. Queues are numbered as the drivers in
 * the field number them, counting only the ones the negotiated features make exist (§5.5.2):
 * 0 inflateq, 1 deflateq, then statsq (STATS_VQ), then reporting_vq (REPORTING).
 *
 * Inflated PFNs (4 KiB pages) are given back to the host at once (vm_memory_discard: a hole
 * punched in the RAM memfd, contiguous PFNs in one call); PFNs outside RAM are guest errors.
 * Page poisoning (§5.5.6.4): inflated pages are always discarded, because a driver writes
 * deflated pages before it uses them again; reported free pages are NOT discarded while the
 * driver has PAGE_POISON with a non-zero poison_val (a hole reads back zeros, not the
 * pattern), nor on a region mapped privately over a snapshot file (it reads back the file).
 *
 * Statistics (§5.5.6.3): the device keeps the driver's last stats buffer and hands it back
 * every stats_interval seconds (a loop timer; 0: never), which asks for fresh values.
 *
 * Threads: queues on the I/O loop under vdev.lock; config writes on vCPU threads under
 * vdev.lock; the public functions below from any thread. `info` has its own leaf lock
 * (vdev.lock -> info_lock), so readers never wait for queue processing.
 */
#define VIRTIO_BALLOON_QUEUE_SIZE	128
#define VIRTIO_BALLOON_PAGE		4096u
#define VIRTIO_BALLOON_NSTATS		16	/* tags we keep: 0..15 */
#define VIRTIO_BALLOON_MAX_PFN_BYTES	65536u	/* per inflate/deflate buffer */
#define VIRTIO_BALLOON_CONFIG_LEN	16
#define VIRTIO_BALLOON_MAX_LISTENERS	4

/* The latest statistics; val[tag] is valid where bit tag of `present` is set. */
struct virtio_balloon_stats {
	uint64_t val[VIRTIO_BALLOON_NSTATS];
	uint32_t present;
	uint64_t timestamp_ns;		/* loop clock when they arrived; 0: none yet */
	uint64_t updates;		/* buffers received */
};

struct virtio_balloon_info {
	uint64_t ram_size;
	uint64_t target;		/* balloon size the host asks for (num_pages), bytes */
	uint64_t actual;		/* balloon size the driver reports (actual), bytes */
	uint64_t ballooned;		/* pages inflated and not deflated, as we saw them, bytes */
	uint64_t inflated, deflated;	/* totals, bytes */
	uint64_t reported, discarded;	/* free page reporting: offered / given back, bytes */
	uint64_t discard_errors;	/* host-side failures (fallocate/madvise) */
	uint64_t discard_calls;		/* vm_memory_discard calls for inflated pages */
	uint64_t features;		/* negotiated */
	uint32_t poison_val;
	bool driver_ok;
	unsigned stats_interval;	/* seconds; 0: off */
	uint64_t now_ns;		/* loop clock when this was read (age of the stats) */
	struct virtio_balloon_stats stats;
};

/* What changed, for virtio_balloon_set_notify. */
#define VIRTIO_BALLOON_EV_ACTUAL	1u	/* the driver wrote `actual` */
#define VIRTIO_BALLOON_EV_STATS		2u	/* a stats buffer arrived */

struct virtio_balloon;
/* Runs on the I/O loop, no device lock held: it may call the functions below. */
typedef void (*virtio_balloon_notify_fn)(void *opaque, struct virtio_balloon *b,
					 unsigned events);

struct virtio_balloon_opts {
	uint64_t target;		/* initial balloon size, bytes (rounded down to pages) */
	unsigned stats_interval;	/* seconds; 0: off */
	int devfn;			/* or PCI_DEVFN_AUTO */
};

struct virtio_balloon {
	struct virtio_dev vdev;		/* first: the transport's view */
	uint64_t ram_pages;		/* bitmap size */
	uint64_t below_4g;		/* RAM below the hole, for the bitmap index */
	struct vmm_timer *stats_timer;

	/* Under vdev.lock. */
	uint64_t *bitmap;		/* pages in the balloon */
	bool stats_held;		/* the driver's stats buffer, kept until we want more */
	bool stats_due;			/* the timer asked for fresh stats */
	struct virtq_elem stats_elem;	/* head and lengths only (iov is stale) */

	/* Under info_lock. */
	pthread_mutex_t info_lock;
	struct virtio_balloon_info info;
	uint64_t stats_deadline;	/* loop time the stats timer fires; 0: off */
	unsigned events;		/* for the notify callback, not yet delivered */
	bool call_pending;
	virtio_balloon_notify_fn notify;
	void *notify_opaque;
	struct virtio_balloon_listener {
		virtio_balloon_notify_fn fn;
		void *opaque;
	} listeners[VIRTIO_BALLOON_MAX_LISTENERS];
};

/* NULL with *err = -errno. */
struct virtio_balloon *virtio_balloon_new(struct pci_bus *bus, const struct virtio_host *host,
					  const struct virtio_balloon_opts *opts, int *err);
void virtio_balloon_free(struct virtio_balloon *b);

struct vm;
/* The VM's balloon, or NULL when it has none. */
struct virtio_balloon *virtio_balloon_from_vm(struct vm *vm);

/*
 * Ask the guest for a balloon of `bytes` (0: give everything back), rounded down to 4 KiB;
 * raises a configuration change interrupt when num_pages changes (§5.5.6). -EINVAL past RAM.
 */
int virtio_balloon_set_target(struct virtio_balloon *b, uint64_t bytes);
void virtio_balloon_get_info(struct virtio_balloon *b, struct virtio_balloon_info *info);
/* 0 stops asking for statistics; at most a day. 0 or -EINVAL. */
int virtio_balloon_set_stats_interval(struct virtio_balloon *b, unsigned seconds);
/* The control plane's callback (NULL to remove); listeners below are heard as well. */
void virtio_balloon_set_notify(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
			       void *opaque);
/* More consumers (the helper's report lines): -ENOSPC past VIRTIO_BALLOON_MAX_LISTENERS. */
int virtio_balloon_add_listener(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
				void *opaque);
void virtio_balloon_remove_listener(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
				    void *opaque);

/* Device hooks (virtio-balloon-state.c): plain versioned state. */
int virtio_balloon_save(struct virtio_balloon *b, void **blob, size_t *len);
/* check: would load accept it? Changes nothing. load: check, then apply. */
int virtio_balloon_check(struct virtio_balloon *b, const void *blob, size_t len);
int virtio_balloon_load(struct virtio_balloon *b, const void *blob, size_t len);
/*
 * The device-specific configuration bytes a checked blob restores (the transport's own check
 * compares them, so a combined load puts them in place first).
 */
void virtio_balloon_saved_config(const void *blob, uint8_t config[VIRTIO_BALLOON_CONFIG_LEN]);

#endif
