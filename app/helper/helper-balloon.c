// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-helper: the --balloon-target schedule, and what the balloon reports, on stderr. */
#include "helper-balloon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ksm.h"
#include "virtio/virtio-balloon.h"

/*
 * The lines below are read by the guest test runner (run-guest.py, balloon-fall=): "actual"
 * lines carry the memfds' allocated size, measured from outside the guest, each time the
 * driver writes `actual`.
 */
static const char *const stat_names[VIRTIO_BALLOON_NSTATS] = {
	"swap-in", "swap-out", "major-faults", "minor-faults", "free-memory", "total-memory",
	"available-memory", "disk-caches", "hugetlb-allocations", "hugetlb-failures",
};

struct helper_step {
	struct helper_balloon *hb;
	struct vmm_timer *timer;
	uint64_t bytes;
	double at;
};

struct helper_balloon {
	struct vm *vm;
	struct virtio_balloon *b;
	struct helper_step steps[HELPER_MAX_BALLOON_STEPS];
	unsigned nsteps;
};

static void print_stats(const struct virtio_balloon_stats *s)
{
	fprintf(stderr, "vessel-helper: balloon: stats");
	for (unsigned t = 0; t < VIRTIO_BALLOON_NSTATS; t++) {
		if (!(s->present >> t & 1))
			continue;
		if (stat_names[t])
			fprintf(stderr, " %s=%" PRIu64, stat_names[t], s->val[t]);
		else
			fprintf(stderr, " tag%u=%" PRIu64, t, s->val[t]);
	}
	fprintf(stderr, "\n");
}

static void on_event(void *opaque, struct virtio_balloon *b, unsigned events)
{
	struct helper_balloon *hb = opaque;
	struct virtio_balloon_info i;

	virtio_balloon_get_info(b, &i);
	if (events & VIRTIO_BALLOON_EV_ACTUAL)
		fprintf(stderr, "vessel-helper: balloon: actual %" PRIu64 " KiB, target %" PRIu64
			" KiB, ballooned %" PRIu64 " KiB; guest RAM allocated %" PRIu64 " KiB\n",
			i.actual >> 10, i.target >> 10, i.ballooned >> 10,
			vm_memory_allocated(&hb->vm->mem) >> 10);
	if (events & VIRTIO_BALLOON_EV_STATS)
		print_stats(&i.stats);
}

static void apply_step(struct helper_step *st)
{
	int ret = virtio_balloon_set_target(st->hb->b, st->bytes);

	if (ret)
		fprintf(stderr, "vessel-helper: balloon: target %" PRIu64 " KiB refused\n",
			st->bytes >> 10);
	else
		fprintf(stderr, "vessel-helper: balloon: target %" PRIu64 " KiB at %.3g s\n",
			st->bytes >> 10, st->at);
}

static void step_fired(void *opaque)
{
	apply_step(opaque);
}

static void print_ksm(void)
{
	struct ksm_status st;
	char line[256];

	if (ksm_read_status("/", &st)) {
		fprintf(stderr, "vessel-helper: share-pages: the host's KSM files do not parse\n");
		return;
	}
	ksm_describe(&st, line, sizeof(line));
	fprintf(stderr, "vessel-helper: share-pages: %s\n", line);
}

struct helper_balloon *helper_balloon_start(struct vm *vm, const struct helper_options *o)
{
	struct virtio_balloon *b = virtio_balloon_from_vm(vm);
	struct helper_balloon *hb;

	if (o->vm.share_pages)
		print_ksm();
	if (!b || !(hb = calloc(1, sizeof(*hb))))
		return NULL;
	hb->vm = vm;
	hb->b = b;
	/* A listener, so the control API's own callback (set_notify) is heard as well. */
	if (virtio_balloon_add_listener(b, on_event, hb))
		fprintf(stderr, "vessel-helper: balloon: no room for the report lines' listener\n");
	for (unsigned i = 0; i < o->nballoon_steps; i++) {
		struct helper_step *st = &hb->steps[hb->nsteps++];

		*st = (struct helper_step){ hb, NULL, o->balloon_steps[i].bytes,
					    o->balloon_steps[i].at };
		if (st->at <= 0) {
			apply_step(st);
			continue;
		}
		st->timer = vmm_timer_new(vm->loop, step_fired, st);
		if (st->timer)
			vmm_timer_mod(st->timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(st->at * 1e9));
	}
	return hb;
}

void helper_balloon_stop(struct helper_balloon *hb, bool summary)
{
	struct virtio_balloon_info i;

	if (!hb)
		return;
	virtio_balloon_remove_listener(hb->b, on_event, hb);
	for (unsigned k = 0; k < hb->nsteps; k++)
		vmm_timer_free(hb->steps[k].timer);
	if (summary) {
		virtio_balloon_get_info(hb->b, &i);
		fprintf(stderr, "vessel-helper: balloon: target=%" PRIu64 "K actual=%" PRIu64
			"K ballooned=%" PRIu64 "K inflated=%" PRIu64 "K deflated=%" PRIu64
			"K reported=%" PRIu64 "K discarded=%" PRIu64 "K stats-updates=%" PRIu64
			" ram-allocated=%" PRIu64 "K\n", i.target >> 10, i.actual >> 10,
			i.ballooned >> 10, i.inflated >> 10, i.deflated >> 10, i.reported >> 10,
			i.discarded >> 10, i.stats.updates,
			vm_memory_allocated(&hb->vm->mem) >> 10);
	}
	free(hb);
}
