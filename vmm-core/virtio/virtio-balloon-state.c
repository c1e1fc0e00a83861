// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-balloon saved state: plain, versioned, validated on load before anything changes. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-balloon-private.h"

#define VB_STATE_VERSION	1
#define NO_DEADLINE		UINT64_MAX

/*
 * The device-specific part only: the transport (status, features, queues, MSI-X vectors)
 * is the virtio-pci layer's and PCI config space the chipset's.
 * TODO(devstate2): prefix the transport's blob once virtio-pci has its save/load.
 * Followed by the ballooned-page bitmap: (ram_pages + 63) / 64 little-endian u64 words.
 */
struct vb_state {
	uint32_t version;
	uint32_t num_pages, actual, poison_val;
	uint32_t stats_interval;
	uint32_t stats_held, stats_due;
	uint32_t stats_head, stats_read_len, stats_write_len;
	uint64_t stats_remaining_ns;	/* NO_DEADLINE: timer not armed */
	uint64_t ballooned, inflated, deflated, reported, discarded, discard_errors;
	uint64_t stats_val[VIRTIO_BALLOON_NSTATS];
	uint64_t stats_updates;
	uint32_t stats_present, reserved;
	uint64_t ram_pages;
};

static size_t bitmap_bytes(const struct virtio_balloon *b)
{
	return (size_t)((b->ram_pages + 63) / 64 * 8);
}

static uint32_t cfg32(const struct virtio_balloon *b, unsigned off)
{
	uint32_t v;

	memcpy(&v, b->vdev.config + off, 4);
	return le32toh(v);
}

static void fill_state(struct virtio_balloon *b, struct vb_state *s, uint64_t now)
{
	const struct virtio_balloon_info *i = &b->info;

	s->version = VB_STATE_VERSION;
	s->num_pages = cfg32(b, VB_CFG_NUM_PAGES);
	s->actual = cfg32(b, VB_CFG_ACTUAL);
	s->poison_val = cfg32(b, VB_CFG_POISON);
	s->stats_held = b->stats_held;
	s->stats_due = b->stats_due;
	s->stats_head = b->stats_elem.head;
	s->stats_read_len = b->stats_elem.read_len;
	s->stats_write_len = b->stats_elem.write_len;
	s->stats_interval = i->stats_interval;
	s->stats_remaining_ns = !b->stats_deadline ? NO_DEADLINE :
				b->stats_deadline > now ? b->stats_deadline - now : 0;
	s->ballooned = i->ballooned;
	s->inflated = i->inflated;
	s->deflated = i->deflated;
	s->reported = i->reported;
	s->discarded = i->discarded;
	s->discard_errors = i->discard_errors;
	memcpy(s->stats_val, i->stats.val, sizeof(s->stats_val));
	s->stats_updates = i->stats.updates;
	s->stats_present = i->stats.present;
	s->ram_pages = b->ram_pages;
}

/* Runs after pause: the queues are idle, so the lock order is only for form. */
int virtio_balloon_save(struct virtio_balloon *b, void **blob, size_t *len)
{
	size_t n = sizeof(struct vb_state) + bitmap_bytes(b);
	uint8_t *p = calloc(1, n);
	struct vb_state s;
	uint64_t now = vmm_loop_now(b->vdev.host.loop);

	if (!p)
		return -ENOMEM;
	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&b->vdev.lock);
	pthread_mutex_lock(&b->info_lock);
	fill_state(b, &s, now);
	pthread_mutex_unlock(&b->info_lock);
	for (uint64_t w = 0; w < (b->ram_pages + 63) / 64; w++) {
		uint64_t le = htole64(b->bitmap[w]);

		memcpy(p + sizeof(s) + w * 8, &le, 8);
	}
	pthread_mutex_unlock(&b->vdev.lock);
	memcpy(p, &s, sizeof(s));
	*blob = p;
	*len = n;
	return 0;
}

#define reject(what) do {						\
	vmm_warn("snapshot: virtio-balloon: %s", what);			\
	return -EINVAL;							\
} while (0)

/* Every field checked against this device before anything is applied. */
static int check_state(const struct virtio_balloon *b, const struct vb_state *s,
		       const uint64_t *bitmap)
{
	uint64_t words = (b->ram_pages + 63) / 64, count = 0;

	if (s->ram_pages != b->ram_pages)
		reject("ram_pages differs from this VM's RAM");
	if ((uint64_t)s->num_pages * VIRTIO_BALLOON_PAGE > b->info.ram_size)
		reject("num_pages larger than RAM");
	if (s->stats_interval > 86400)
		reject("stats_interval out of range");
	if (s->stats_held > 1 || s->stats_due > 1)
		reject("stats_held/stats_due not a boolean");
	if (s->stats_held && s->stats_head >= VIRTIO_BALLOON_QUEUE_SIZE)
		reject("stats_head past the queue");
	if (s->stats_remaining_ns != NO_DEADLINE &&
	    s->stats_remaining_ns > 86400ull * 1000000000ull)
		reject("stats timer remaining time out of range");
	if (s->stats_present >> VIRTIO_BALLOON_NSTATS || s->reserved)
		reject("stats_present has unknown tags");
	for (uint64_t w = 0; w < words; w++)
		count += (uint64_t)__builtin_popcountll(le64toh(bitmap[w]));
	if (b->ram_pages % 64 && le64toh(bitmap[words - 1]) >> (b->ram_pages % 64))
		reject("bitmap has bits past the end of RAM");
	if (count * VIRTIO_BALLOON_PAGE != s->ballooned)
		reject("ballooned does not match the bitmap");
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void apply_info(struct virtio_balloon *b, const struct vb_state *s)
{
	struct virtio_balloon_info *i = &b->info;

	i->target = (uint64_t)s->num_pages * VIRTIO_BALLOON_PAGE;
	i->actual = (uint64_t)s->actual * VIRTIO_BALLOON_PAGE;
	i->poison_val = s->poison_val;
	i->stats_interval = s->stats_interval;
	i->ballooned = s->ballooned;
	i->inflated = s->inflated;
	i->deflated = s->deflated;
	i->reported = s->reported;
	i->discarded = s->discarded;
	i->discard_errors = s->discard_errors;
	memcpy(i->stats.val, s->stats_val, sizeof(s->stats_val));
	i->stats.present = s->stats_present;
	i->stats.updates = s->stats_updates;
	i->stats.timestamp_ns = 0;	/* the values are from before the snapshot */
}

static void apply_state(struct virtio_balloon *b, const struct vb_state *s,
			const uint8_t *bitmap)
{
	uint64_t now = vmm_loop_now(b->vdev.host.loop);

	pthread_mutex_lock(&b->vdev.lock);
	put32(b->vdev.config + VB_CFG_NUM_PAGES, s->num_pages);
	put32(b->vdev.config + VB_CFG_ACTUAL, s->actual);
	put32(b->vdev.config + VB_CFG_POISON, s->poison_val);
	for (uint64_t w = 0; w < (b->ram_pages + 63) / 64; w++) {
		uint64_t le;

		memcpy(&le, bitmap + w * 8, 8);
		b->bitmap[w] = le64toh(le);
	}
	b->stats_held = s->stats_held;
	b->stats_due = s->stats_due;
	memset(&b->stats_elem, 0, sizeof(b->stats_elem));
	b->stats_elem.head = (uint16_t)s->stats_head;
	b->stats_elem.read_len = s->stats_read_len;
	b->stats_elem.write_len = s->stats_write_len;
	pthread_mutex_lock(&b->info_lock);
	apply_info(b, s);
	pthread_mutex_unlock(&b->info_lock);
	pthread_mutex_unlock(&b->vdev.lock);
	vballoon_stats_arm_at(b, s->stats_remaining_ns == NO_DEADLINE ? 0 :
			      now + s->stats_remaining_ns + !(now + s->stats_remaining_ns));
}

/* Validate a blob against this device without changing anything; 0 or -EINVAL/-ENOMEM. */
int virtio_balloon_check(struct virtio_balloon *b, const void *blob, size_t len)
{
	struct vb_state s;
	uint64_t *bitmap;
	int ret;

	if (len != sizeof(s) + bitmap_bytes(b))
		reject("blob size does not match this VM's RAM");
	memcpy(&s, blob, sizeof(s));
	if (s.version != VB_STATE_VERSION)
		reject("unknown version");
	bitmap = malloc(bitmap_bytes(b) ? bitmap_bytes(b) : 1);
	if (!bitmap)
		return -ENOMEM;
	memcpy(bitmap, (const uint8_t *)blob + sizeof(s), bitmap_bytes(b));
	ret = check_state(b, &s, bitmap);
	free(bitmap);
	return ret;
}

void virtio_balloon_saved_config(const void *blob, uint8_t config[VIRTIO_BALLOON_CONFIG_LEN])
{
	struct vb_state s;

	memcpy(&s, blob, sizeof(s));
	memset(config, 0, VIRTIO_BALLOON_CONFIG_LEN);	/* free_page_hint_cmd_id: unused */
	put32(config + VB_CFG_NUM_PAGES, s.num_pages);
	put32(config + VB_CFG_ACTUAL, s.actual);
	put32(config + VB_CFG_POISON, s.poison_val);
}

int virtio_balloon_load(struct virtio_balloon *b, const void *blob, size_t len)
{
	struct vb_state s;
	int ret = virtio_balloon_check(b, blob, len);

	if (ret)
		return ret;
	memcpy(&s, blob, sizeof(s));
	apply_state(b, &s, (const uint8_t *)blob + sizeof(s));
	return 0;
}
