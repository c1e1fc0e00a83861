// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-balloon: creation, the thread-safe control API, the stats timer, the VM device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "virtio-balloon-private.h"
#include "vm-devices.h"
#include "vm.h"

#define MAX_STATS_INTERVAL	86400u

/* ---- Events for the control plane: delivered on the loop, no device lock held --------- */

static bool has_listener(const struct virtio_balloon *b)
{
	if (b->notify)
		return true;
	for (unsigned i = 0; i < VIRTIO_BALLOON_MAX_LISTENERS; i++)
		if (b->listeners[i].fn)
			return true;
	return false;
}

static void deliver_events(void *opaque)
{
	struct virtio_balloon *b = opaque;
	struct virtio_balloon_listener to[VIRTIO_BALLOON_MAX_LISTENERS + 1];
	unsigned ev;

	pthread_mutex_lock(&b->info_lock);
	ev = b->events;
	b->events = 0;
	b->call_pending = false;
	to[0] = (struct virtio_balloon_listener){ b->notify, b->notify_opaque };
	memcpy(to + 1, b->listeners, sizeof(b->listeners));
	pthread_mutex_unlock(&b->info_lock);
	for (unsigned i = 0; ev && i < VIRTIO_BALLOON_MAX_LISTENERS + 1; i++)
		if (to[i].fn)
			to[i].fn(to[i].opaque, b, ev);
}

/* One loop call in flight at most, however often a guest writes `actual`. */
void vballoon_event(struct virtio_balloon *b, unsigned events)
{
	bool call;

	pthread_mutex_lock(&b->info_lock);
	b->events |= events;
	call = has_listener(b) && !b->call_pending;
	if (call)
		b->call_pending = true;
	pthread_mutex_unlock(&b->info_lock);
	if (call && vmm_loop_call(b->vdev.host.loop, deliver_events, b)) {
		pthread_mutex_lock(&b->info_lock);
		b->call_pending = false;
		pthread_mutex_unlock(&b->info_lock);
	}
}

void virtio_balloon_set_notify(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
			       void *opaque)
{
	pthread_mutex_lock(&b->info_lock);
	b->notify = fn;
	b->notify_opaque = opaque;
	pthread_mutex_unlock(&b->info_lock);
}

int virtio_balloon_add_listener(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
				void *opaque)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&b->info_lock);
	for (unsigned i = 0; i < VIRTIO_BALLOON_MAX_LISTENERS && ret; i++) {
		if (b->listeners[i].fn)
			continue;
		b->listeners[i] = (struct virtio_balloon_listener){ fn, opaque };
		ret = 0;
	}
	pthread_mutex_unlock(&b->info_lock);
	return ret;
}

void virtio_balloon_remove_listener(struct virtio_balloon *b, virtio_balloon_notify_fn fn,
				    void *opaque)
{
	pthread_mutex_lock(&b->info_lock);
	for (unsigned i = 0; i < VIRTIO_BALLOON_MAX_LISTENERS; i++)
		if (b->listeners[i].fn == fn && b->listeners[i].opaque == opaque)
			b->listeners[i] = (struct virtio_balloon_listener){ NULL, NULL };
	pthread_mutex_unlock(&b->info_lock);
}

/* ---- Statistics timer (§5.5.6.3: the device asks by handing the buffer back) ---------- */

static void stats_arm(struct virtio_balloon *b, unsigned seconds)
{
	struct vmm_loop *loop = b->vdev.host.loop;

	if (!seconds) {
		vballoon_stats_arm_at(b, 0);
		return;
	}
	vballoon_stats_arm_at(b, vmm_loop_now(loop) + (uint64_t)seconds * 1000000000ull);
}

/* deadline 0: off. The deadline is kept so a snapshot can save the time remaining. */
void vballoon_stats_arm_at(struct virtio_balloon *b, uint64_t deadline)
{
	pthread_mutex_lock(&b->info_lock);
	b->stats_deadline = deadline;
	pthread_mutex_unlock(&b->info_lock);
	if (deadline)
		vmm_timer_mod(b->stats_timer, deadline);
	else
		vmm_timer_del(b->stats_timer);
}

/* On the loop: the statsq handler returns the kept buffer the next time it runs. */
static void stats_fired(void *opaque)
{
	struct virtio_balloon *b = opaque;
	unsigned interval;

	pthread_mutex_lock(&b->vdev.lock);
	if (virtio_has_feature(&b->vdev, VIRTIO_BALLOON_F_STATS_VQ) && b->stats_held) {
		b->stats_due = true;
		virtio_queue_rekick(&b->vdev, 2);
	}
	pthread_mutex_unlock(&b->vdev.lock);
	pthread_mutex_lock(&b->info_lock);
	interval = b->info.stats_interval;
	pthread_mutex_unlock(&b->info_lock);
	stats_arm(b, interval);
}

int virtio_balloon_set_stats_interval(struct virtio_balloon *b, unsigned seconds)
{
	if (seconds > MAX_STATS_INTERVAL)
		return -EINVAL;
	pthread_mutex_lock(&b->info_lock);
	b->info.stats_interval = seconds;
	pthread_mutex_unlock(&b->info_lock);
	stats_arm(b, seconds);
	return 0;
}

/* ---- Target and info ------------------------------------------------------------------- */

int virtio_balloon_set_target(struct virtio_balloon *b, uint64_t bytes)
{
	uint64_t pages = bytes / VIRTIO_BALLOON_PAGE;
	uint8_t le[4];
	bool changed;

	if (bytes > b->info.ram_size || pages > UINT32_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		le[i] = (uint8_t)(pages >> (8 * i));
	pthread_mutex_lock(&b->vdev.lock);
	changed = memcmp(b->vdev.config + VB_CFG_NUM_PAGES, le, 4) != 0;
	memcpy(b->vdev.config + VB_CFG_NUM_PAGES, le, 4);
	pthread_mutex_lock(&b->info_lock);
	b->info.target = pages * VIRTIO_BALLOON_PAGE;
	pthread_mutex_unlock(&b->info_lock);
	pthread_mutex_unlock(&b->vdev.lock);
	if (changed)	/* §5.5.6: the driver re-reads num_pages on a config change */
		virtio_config_changed(&b->vdev);
	return 0;
}

void virtio_balloon_get_info(struct virtio_balloon *b, struct virtio_balloon_info *info)
{
	uint64_t features;
	bool driver_ok;

	pthread_mutex_lock(&b->vdev.lock);
	features = b->vdev.driver_features;
	driver_ok = b->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK;
	pthread_mutex_unlock(&b->vdev.lock);
	pthread_mutex_lock(&b->info_lock);
	*info = b->info;
	pthread_mutex_unlock(&b->info_lock);
	info->features = features;
	info->driver_ok = driver_ok;
	info->now_ns = vmm_loop_now(b->vdev.host.loop);
}

/* ---- Creation -------------------------------------------------------------------------- */

static uint64_t vballoon_features(void)
{
	return 1ull << VIRTIO_BALLOON_F_STATS_VQ | 1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM |
	       1ull << VIRTIO_BALLOON_F_PAGE_POISON | 1ull << VIRTIO_BALLOON_F_REPORTING;
}

static int vballoon_setup(struct virtio_balloon *b, const struct virtio_host *host,
			  const struct virtio_balloon_opts *opts)
{
	const struct vm_memory *mem = host->mem;

	b->below_4g = mem->below_4g;
	b->ram_pages = (mem->below_4g + mem->above_4g) / VIRTIO_BALLOON_PAGE;
	b->bitmap = calloc((b->ram_pages + 63) / 64, 8);
	b->stats_timer = vmm_timer_new(host->loop, stats_fired, b);
	if (!b->bitmap || !b->stats_timer)
		return -ENOMEM;
	pthread_mutex_init(&b->info_lock, NULL);
	b->info.ram_size = mem->ram_size;
	if (opts->target > mem->ram_size || opts->stats_interval > MAX_STATS_INTERVAL)
		return -EINVAL;
	b->info.target = opts->target / VIRTIO_BALLOON_PAGE * VIRTIO_BALLOON_PAGE;
	b->info.stats_interval = opts->stats_interval;
	return 0;
}

struct virtio_balloon *virtio_balloon_new(struct pci_bus *bus, const struct virtio_host *host,
					  const struct virtio_balloon_opts *opts, int *err)
{
	struct virtio_dev_config cfg = {
		.ops = &vballoon_ops, .host = *host, .nqueues = VB_NQUEUES,
		.queue_size = VIRTIO_BALLOON_QUEUE_SIZE, .features = vballoon_features(),
		.config_len = VIRTIO_BALLOON_CONFIG_LEN, .devfn = opts->devfn,
		.name = "virtio-balloon",
	};
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int ret = b ? vballoon_setup(b, host, opts) : -ENOMEM;

	if (!ret)
		ret = virtio_pci_init(&b->vdev, bus, &cfg);
	if (ret) {
		if (b) {
			vmm_timer_free(b->stats_timer);
			free(b->bitmap);
		}
		free(b);
		*err = ret;
		return NULL;
	}
	virtio_config_put32(&b->vdev, VB_CFG_NUM_PAGES,
			    (uint32_t)(b->info.target / VIRTIO_BALLOON_PAGE));
	stats_arm(b, b->info.stats_interval);
	return b;
}

void virtio_balloon_free(struct virtio_balloon *b)
{
	if (!b)
		return;
	vmm_timer_free(b->stats_timer);
	virtio_pci_exit(&b->vdev);
	pthread_mutex_destroy(&b->info_lock);
	free(b->bitmap);
	free(b);
}
