// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-balloon (virtio 1.2 §5.5): inflate, deflate, statistics and free page reporting. */
#include "virtio-balloon.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio-balloon-private.h"

#define BATCH		32u	/* chains per loop callback before yielding */
#define PFN_CHUNK	256u	/* PFNs copied out of the guest at a time */
#define STAT_LEN	10u	/* struct virtio_balloon_stat: le16 tag, le64 val (packed) */

/* ---- The ballooned-page bitmap (under vdev.lock) ------------------------------------- */

/* Index of a RAM page: pages below the PCI hole, then pages above 4 GiB. */
static uint64_t page_index(const struct virtio_balloon *b, uint64_t gpa)
{
	if (gpa < PC_4G)
		return gpa / VIRTIO_BALLOON_PAGE;
	return (b->below_4g + (gpa - PC_4G)) / VIRTIO_BALLOON_PAGE;
}

/* Set (inflate) or clear (deflate) the page's bit; true if that changed it. */
static bool bitmap_flip(struct virtio_balloon *b, uint64_t gpa, bool set)
{
	uint64_t i = page_index(b, gpa), bit = 1ull << (i % 64);
	uint64_t *w = &b->bitmap[i / 64];
	bool was = *w & bit;

	if (was == set)
		return false;
	*w ^= bit;
	return true;
}

/* ---- Inflate and deflate (§5.5.6) ------------------------------------------------------ */

struct pfn_walk {
	bool inflate;
	uint64_t run_gpa, run_len;	/* contiguous pages waiting for one discard */
	uint64_t changed;		/* pages whose balloon bit flipped */
	uint64_t bad, first_bad;	/* PFNs outside RAM */
	uint64_t discard_errors;
	uint64_t discard_calls;
};

static void run_flush(struct virtio_balloon *b, struct pfn_walk *w)
{
	int ret;

	if (!w->run_len)
		return;
	ret = vm_memory_discard(b->vdev.host.mem, w->run_gpa, w->run_len);
	w->discard_calls++;
	if (ret) {
		if (!b->info.discard_errors && !w->discard_errors)
			vmm_warn("%s: giving back %llu KiB at %#llx failed: %s", b->vdev.name,
				 (unsigned long long)(w->run_len >> 10),
				 (unsigned long long)w->run_gpa, strerror(-ret));
		w->discard_errors++;
	}
	w->run_len = 0;
}

static void one_pfn(struct virtio_balloon *b, struct pfn_walk *w, uint32_t pfn)
{
	uint64_t gpa = (uint64_t)pfn * VIRTIO_BALLOON_PAGE;

	if (!vm_memory_is_ram(b->vdev.host.mem, gpa, VIRTIO_BALLOON_PAGE)) {
		if (!w->bad++)
			w->first_bad = pfn;
		return;
	}
	w->changed += bitmap_flip(b, gpa, w->inflate);
	if (!w->inflate)
		return;		/* deflated pages come back on the guest's next touch */
	if (w->run_len && gpa == w->run_gpa + w->run_len) {
		w->run_len += VIRTIO_BALLOON_PAGE;
		return;
	}
	run_flush(b, w);
	w->run_gpa = gpa;
	w->run_len = VIRTIO_BALLOON_PAGE;
}

static void walk_pfns(struct virtio_balloon *b, const struct virtq_elem *e, struct pfn_walk *w)
{
	uint32_t len = e->read_len, pfns[PFN_CHUNK];

	if (len % 4 || len > VIRTIO_BALLOON_MAX_PFN_BYTES || e->nwrite)
		vballoon_guest_error(b, "%s buffer of %u readable and %u writable bytes",
				     w->inflate ? "inflate" : "deflate", e->read_len, e->write_len);
	if (len > VIRTIO_BALLOON_MAX_PFN_BYTES)
		len = VIRTIO_BALLOON_MAX_PFN_BYTES;
	len -= len % 4;
	for (uint32_t off = 0; off < len; off += sizeof(pfns)) {
		uint32_t n = len - off < sizeof(pfns) ? len - off : (uint32_t)sizeof(pfns);

		iov_to_buf(e->iov, e->nread, off, pfns, n);
		for (uint32_t i = 0; i < n / 4; i++)
			one_pfn(b, w, le32toh(pfns[i]));
	}
	run_flush(b, w);
}

static void serve_pfns(struct virtio_balloon *b, const struct virtq_elem *e, bool inflate)
{
	struct pfn_walk w = { .inflate = inflate };
	uint64_t pages = (e->read_len / 4 < VIRTIO_BALLOON_MAX_PFN_BYTES / 4) ?
			 e->read_len / 4 : VIRTIO_BALLOON_MAX_PFN_BYTES / 4;
	bool oom_ok;

	walk_pfns(b, e, &w);
	if (w.bad)
		vballoon_guest_error(b, "%s: %llu PFNs outside RAM refused (first %#llx)",
				     inflate ? "inflate" : "deflate", (unsigned long long)w.bad,
				     (unsigned long long)w.first_bad);
	pthread_mutex_lock(&b->info_lock);
	/* §5.5.6.1: without DEFLATE_ON_OOM a driver takes pages back only when asked. */
	oom_ok = virtio_has_feature(&b->vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
	if (!inflate && !oom_ok && w.changed &&
	    b->info.ballooned - w.changed * VIRTIO_BALLOON_PAGE < b->info.target)
		vballoon_guest_error(b, "deflate of %llu pages takes the balloon below its "
				     "target without DEFLATE_ON_OOM", (unsigned long long)w.changed);
	if (inflate) {
		b->info.ballooned += w.changed * VIRTIO_BALLOON_PAGE;
		b->info.inflated += (pages - w.bad) * VIRTIO_BALLOON_PAGE;
	} else {
		b->info.ballooned -= w.changed * VIRTIO_BALLOON_PAGE;
		b->info.deflated += (pages - w.bad) * VIRTIO_BALLOON_PAGE;
	}
	b->info.discard_errors += w.discard_errors;
	b->info.discard_calls += w.discard_calls;
	pthread_mutex_unlock(&b->info_lock);
}

/* ---- Free page reporting (§5.5.6.7) ---------------------------------------------------- */

/* Guest address of a buffer the ring walk found in RAM (host pointer back to gpa). */
static bool buffer_gpa(const struct vm_memory *mem, const void *p, uint64_t *gpa)
{
	const uint8_t *h = p;

	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct vm_mem_region *r = &mem->regions[i];

		if (h >= r->hva && (uint64_t)(h - r->hva) < r->size) {
			*gpa = r->gpa + (uint64_t)(h - r->hva);
			return true;
		}
	}
	return false;
}

/* Reported pages must read back the poison pattern when the driver uses one (§5.5.6.4). */
static bool may_discard_reported(struct virtio_balloon *b)
{
	if (!virtio_has_feature(&b->vdev, VIRTIO_BALLOON_F_PAGE_POISON))
		return true;
	return !b->info.poison_val && !vm_memory_any_file_private(b->vdev.host.mem);
}

static void serve_report(struct virtio_balloon *b, const struct virtq_elem *e)
{
	bool discard = may_discard_reported(b);
	uint64_t offered = 0, given = 0, errors = 0;

	for (unsigned i = 0; i < e->nread + e->nwrite; i++) {
		uint64_t gpa, start, end;

		if (!buffer_gpa(b->vdev.host.mem, e->iov[i].iov_base, &gpa))
			continue;
		/* Only whole pages inside the range are given back. */
		start = (gpa + VIRTIO_BALLOON_PAGE - 1) & ~(uint64_t)(VIRTIO_BALLOON_PAGE - 1);
		end = (gpa + e->iov[i].iov_len) & ~(uint64_t)(VIRTIO_BALLOON_PAGE - 1);
		offered += e->iov[i].iov_len;
		if (!discard || end <= start)
			continue;
		if (vm_memory_discard(b->vdev.host.mem, start, end - start))
			errors++;
		else
			given += end - start;
	}
	pthread_mutex_lock(&b->info_lock);
	b->info.reported += offered;
	b->info.discarded += given;
	b->info.discard_errors += errors;
	pthread_mutex_unlock(&b->info_lock);
}

/* ---- Statistics (§5.5.6.3) ------------------------------------------------------------- */

static void serve_stats(struct virtio_balloon *b, const struct virtq_elem *e)
{
	struct virtio_balloon_stats s;
	uint32_t n = e->read_len / STAT_LEN;

	if (e->read_len % STAT_LEN || e->nwrite)
		vballoon_guest_error(b, "stats buffer of %u readable and %u writable bytes",
				     e->read_len, e->write_len);
	pthread_mutex_lock(&b->info_lock);
	s = b->info.stats;
	pthread_mutex_unlock(&b->info_lock);
	s.present = 0;
	for (uint32_t i = 0; i < n && i < 4 * VIRTIO_BALLOON_NSTATS; i++) {
		uint8_t raw[STAT_LEN];
		uint16_t tag;
		uint64_t val;

		iov_to_buf(e->iov, e->nread, i * STAT_LEN, raw, STAT_LEN);
		memcpy(&tag, raw, 2);
		memcpy(&val, raw + 2, 8);
		tag = le16toh(tag);
		if (tag >= VIRTIO_BALLOON_NSTATS)
			continue;	/* a tag newer than we know: ignored (§5.5.6.3.1) */
		s.val[tag] = le64toh(val);
		s.present |= 1u << tag;
	}
	s.timestamp_ns = vmm_loop_now(b->vdev.host.loop);
	s.updates++;
	pthread_mutex_lock(&b->info_lock);
	b->info.stats = s;
	pthread_mutex_unlock(&b->info_lock);
	vballoon_event(b, VIRTIO_BALLOON_EV_STATS);
}

/* Hand the kept buffer back: the driver refills it with fresh values and posts it again. */
static void stats_request(struct virtio_balloon *b, unsigned q)
{
	struct virtq *vq = virtio_queue(&b->vdev, q);

	b->stats_due = false;
	if (!b->stats_held)
		return;
	b->stats_held = false;
	virtq_push(vq, &b->stats_elem, 0);
	virtio_queue_done(&b->vdev, q);
}

static void keep_stats(struct virtio_balloon *b, unsigned q, const struct virtq_elem *e)
{
	if (b->stats_held) {	/* one buffer at a time (§5.5.6.3): give the older one back */
		vballoon_guest_error(b, "a second stats buffer while one is outstanding");
		virtq_push(virtio_queue(&b->vdev, q), &b->stats_elem, 0);
	}
	serve_stats(b, e);
	b->stats_elem = *e;
	b->stats_elem.iov = NULL;
	b->stats_held = true;
}

/* ---- Queue dispatch -------------------------------------------------------------------- */

enum vballoon_role vballoon_queue_role(const struct virtio_balloon *b, unsigned q)
{
	bool stats = virtio_has_feature(&b->vdev, VIRTIO_BALLOON_F_STATS_VQ);
	bool report = virtio_has_feature(&b->vdev, VIRTIO_BALLOON_F_REPORTING);

	if (q < 2)
		return q ? VB_DEFLATE : VB_INFLATE;
	if (q == 2 && stats)
		return VB_STATS;
	if (q == 2u + stats && report)
		return VB_REPORT;
	return VB_NONE;
}

static void serve(struct virtio_balloon *b, unsigned q, enum vballoon_role role,
		  const struct virtq_elem *e)
{
	struct virtq *vq = virtio_queue(&b->vdev, q);

	switch (role) {
	case VB_INFLATE:
	case VB_DEFLATE:
		serve_pfns(b, e, role == VB_INFLATE);
		virtq_push(vq, e, 0);
		break;
	case VB_STATS:
		keep_stats(b, q, e);
		break;
	case VB_REPORT:
		serve_report(b, e);
		virtq_push(vq, e, 0);
		break;
	default:
		virtq_push(vq, e, 0);
	}
}

/* I/O loop, vdev->lock held. */
static void vballoon_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	struct virtio_balloon *b = vballoon_of(vdev);
	enum vballoon_role role = vballoon_queue_role(b, q);
	struct virtq *vq = virtio_queue(vdev, q);
	struct virtq_elem e;
	unsigned budget = BATCH;
	int ret = 0;

	if (role == VB_NONE) {
		virtq_fail(vq, "%s: queue %u used without the feature that makes it exist",
			   vdev->name, q);
		return;
	}
	if (role == VB_STATS && b->stats_due)
		stats_request(b, q);
	do {
		while (budget && (ret = virtq_pop(vq, &e)) > 0) {
			serve(b, q, role, &e);
			budget--;
		}
		if (!budget) {
			virtio_queue_done(vdev, q);
			virtio_queue_rekick(vdev, q);
			return;
		}
	} while (ret == 0 && virtio_queue_done(vdev, q));
}

/* ---- Configuration (§5.5.4) ------------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

/* vCPU thread, vdev->lock held: the driver writes actual and poison_val only. */
static void vballoon_config_write(struct virtio_dev *vdev, unsigned off, uint64_t val,
				  unsigned size)
{
	struct virtio_balloon *b = vballoon_of(vdev);
	uint32_t v = (uint32_t)val;

	if (size != 4 || (off != VB_CFG_ACTUAL && off != VB_CFG_POISON)) {
		vballoon_guest_error(b, "config write of %u bytes at +%u", size, off);
		return;
	}
	put32(vdev->config + off, v);
	pthread_mutex_lock(&b->info_lock);
	if (off == VB_CFG_ACTUAL)
		b->info.actual = (uint64_t)v * VIRTIO_BALLOON_PAGE;
	else
		b->info.poison_val = v;
	pthread_mutex_unlock(&b->info_lock);
	if (off == VB_CFG_ACTUAL)
		vballoon_event(b, VIRTIO_BALLOON_EV_ACTUAL);
}

/* Device reset (guest reboot, status 0): the driver forgot its balloon; every page is its. */
static void vballoon_reset(struct virtio_dev *vdev)
{
	struct virtio_balloon *b = vballoon_of(vdev);

	memset(b->bitmap, 0, (b->ram_pages + 63) / 64 * 8);
	b->stats_held = b->stats_due = false;
	put32(vdev->config + VB_CFG_ACTUAL, 0);
	put32(vdev->config + VB_CFG_POISON, 0);
	pthread_mutex_lock(&b->info_lock);
	b->info.actual = b->info.ballooned = 0;
	b->info.poison_val = 0;
	pthread_mutex_unlock(&b->info_lock);
}

const struct virtio_dev_ops vballoon_ops = {
	.name = "virtio-balloon",
	.device_type = VB_DEVICE_ID,
	.class_code = 0x050000,		/* memory controller, RAM */
	.queue_notify = vballoon_queue_notify,
	.reset = vballoon_reset,
	.config_write = vballoon_config_write,
};
