// SPDX-License-Identifier: GPL-2.0-or-later
/* VM1's memory balloon: targets in guest-memory terms, statistics, live properties. */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "balloon-policy.h"
#include "control-common.h"
#include "control-private.h"
#include "virtio/virtio-balloon.h"
#include "vm.h"

/* The smallest memory a guest is asked to shrink to when the .vessel file sets no minimum. */
#define BALLOON_FLOOR	(64ull << 20)

static const char *const stat_names[VIRTIO_BALLOON_S_NR] = {
	"swap-in", "swap-out", "major-faults", "minor-faults", "free", "total", "available",
	"caches", "hugetlb-allocations", "hugetlb-failures",
};

static uint64_t bound_min(struct control *c)
{
	uint64_t ram = c->vm->cfg.ram_size;

	if (c->cfg.balloon_min)
		return c->cfg.balloon_min < ram ? c->cfg.balloon_min : ram;
	return ram < BALLOON_FLOOR ? ram : BALLOON_FLOOR;
}

static uint64_t bound_max(struct control *c)
{
	uint64_t ram = c->vm->cfg.ram_size;

	return c->cfg.balloon_max && c->cfg.balloon_max < ram ? c->cfg.balloon_max : ram;
}

#define PROPS_PERIOD_MS	250

/*
 * Control thread, 4 times a second: mirror the balloon's state in the properties (GDBus only
 * signals a change when the value differs). Polled rather than notified: the device has one
 * notification slot, which the helper's --balloon-target report lines use.
 */
static gboolean update_props(gpointer data)
{
	struct control *c = data;
	struct virtio_balloon_info info;
	uint64_t ram = c->vm->cfg.ram_size;

	virtio_balloon_get_info(c->balloon, &info);
	if (vessel_vm1_get_memory_target(c->skel) != ram - MIN(info.target, ram))
		vessel_vm1_set_memory_target(c->skel, ram - MIN(info.target, ram));
	if (vessel_vm1_get_memory_actual(c->skel) != ram - MIN(info.actual, ram))
		vessel_vm1_set_memory_actual(c->skel, ram - MIN(info.actual, ram));
	return G_SOURCE_CONTINUE;
}

static int set_target_body(struct vm *vm, struct vm_command *cmd)
{
	struct control_call *call = cmd->arg;
	struct control *c = call->control;
	uint64_t want = call->u64, lo = bound_min(c), hi = bound_max(c);
	int ret;

	if (want < lo || want > hi) {
		vm_command_fail(cmd, -ERANGE, "%llu MiB is outside this VM's balloon bounds "
				"(%llu to %llu MiB; [balloon] min and max in its .vessel file).",
				(unsigned long long)(want >> 20), (unsigned long long)(lo >> 20),
				(unsigned long long)(hi >> 20));
		return cmd->result;
	}
	ret = virtio_balloon_set_target(c->balloon, vm->cfg.ram_size - want);
	if (ret)
		vm_command_fail(cmd, ret, "The balloon target could not be set: %s.",
				strerror(-ret));
	return ret;
}

#define POLICY_PERIOD_S	2

/* Control thread, every 2 s while the automatic policy is on. */
static gboolean policy_tick(gpointer data)
{
	struct control *c = data;
	struct virtio_balloon_info info;
	struct balloon_policy_input in;
	uint64_t ram = c->vm->cfg.ram_size, next;

	virtio_balloon_get_info(c->balloon, &info);
	in = (struct balloon_policy_input){
		.ram = ram, .min = bound_min(c), .max = bound_max(c),
		.current = ram - MIN(info.actual, ram),
		.have_stats = info.stats.updates != c->policy_updates && info.driver_ok,
		.available = info.stats.present & (1u << VIRTIO_BALLOON_S_AVAIL) ?
			     info.stats.val[VIRTIO_BALLOON_S_AVAIL] :
			     info.stats.val[VIRTIO_BALLOON_S_MEMFREE],
		.host_pressure = balloon_host_pressure(""),
	};
	c->policy_updates = info.stats.updates;
	if (!(info.stats.present & (1u << VIRTIO_BALLOON_S_AVAIL | 1u << VIRTIO_BALLOON_S_MEMFREE)))
		in.have_stats = false;
	next = balloon_policy_next(&in);
	if (in.have_stats && next != in.current)
		virtio_balloon_set_target(c->balloon, ram - next);
	return G_SOURCE_CONTINUE;
}

static void set_auto(struct control *c, bool on)
{
	if (on && !c->policy) {
		c->policy = g_timeout_source_new_seconds(POLICY_PERIOD_S);
		g_source_set_callback(c->policy, policy_tick, c, NULL);
		g_source_attach(c->policy, c->ctx);
		virtio_balloon_set_stats_interval(c->balloon, POLICY_PERIOD_S);
	} else if (!on && c->policy) {
		g_source_destroy(c->policy);
		g_clear_pointer(&c->policy, g_source_unref);
	}
	vessel_vm1_set_balloon_auto(c->skel, on);
}

static bool have_balloon(struct control *c, GDBusMethodInvocation *inv)
{
	if (c->balloon)
		return true;
	g_dbus_method_invocation_return_error_literal(inv, VESSEL_ERROR,
		VESSEL_ERROR_NOT_SUPPORTED, "This VM has no memory balloon; add a [balloon] "
		"group to its .vessel file (or start it with --balloon).");
	return false;
}

static gboolean on_set_target(VesselVM1 *skel, GDBusMethodInvocation *inv, guint64 bytes,
			      gpointer data)
{
	struct control *c = data;

	if (have_balloon(c, inv)) {
		set_auto(c, false);	/* a person chose: the policy steps aside */
		control_submit_u64(c, inv, set_target_body, bytes);
	}
	return TRUE;
}

static gboolean on_set_auto(VesselVM1 *skel, GDBusMethodInvocation *inv, gboolean on,
			    gpointer data)
{
	struct control *c = data;

	if (have_balloon(c, inv)) {
		set_auto(c, on);
		vessel_vm1_complete_set_balloon_auto(skel, inv);
	}
	return TRUE;
}

static gboolean on_get_stats(VesselVM1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
	struct control *c = data;
	struct virtio_balloon_info info;
	GVariantBuilder b;

	if (!have_balloon(c, inv))
		return TRUE;
	virtio_balloon_get_info(c->balloon, &info);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
	for (unsigned t = 0; t < VIRTIO_BALLOON_S_NR; t++)
		if (info.stats.present & (1u << t))
			g_variant_builder_add(&b, "{st}", stat_names[t], info.stats.val[t]);
	if (info.stats.timestamp_ns && info.now_ns >= info.stats.timestamp_ns)
		g_variant_builder_add(&b, "{st}", "age-ms",
				      (info.now_ns - info.stats.timestamp_ns) / 1000000);
	vessel_vm1_complete_get_memory_stats(skel, inv, g_variant_builder_end(&b));
	return TRUE;
}

static gboolean on_set_interval(VesselVM1 *skel, GDBusMethodInvocation *inv, guint seconds,
				gpointer data)
{
	struct control *c = data;
	int ret;

	if (!have_balloon(c, inv))
		return TRUE;
	ret = seconds > 3600 ? -ERANGE : virtio_balloon_set_stats_interval(c->balloon, seconds);
	if (ret)
		g_dbus_method_invocation_return_error(inv, VESSEL_ERROR,
			vessel_error_from_errno(ret), "A statistics interval of %u s cannot be set "
			"(0 to 3600 s): %s.", seconds, strerror(-ret));
	else
		vessel_vm1_complete_set_memory_stats_interval(skel, inv);
	return TRUE;
}

void control_balloon_setup(struct control *c)
{
	c->balloon = virtio_balloon_from_vm(c->vm);
	vessel_vm1_set_balloon_present(c->skel, c->balloon != NULL);
	vessel_vm1_set_balloon_min(c->skel, bound_min(c));
	vessel_vm1_set_balloon_max(c->skel, bound_max(c));
	vessel_vm1_set_memory_target(c->skel, c->vm->cfg.ram_size);
	vessel_vm1_set_memory_actual(c->skel, c->vm->cfg.ram_size);
	g_signal_connect(c->skel, "handle-set-memory-target", G_CALLBACK(on_set_target), c);
	g_signal_connect(c->skel, "handle-get-memory-stats", G_CALLBACK(on_get_stats), c);
	g_signal_connect(c->skel, "handle-set-memory-stats-interval",
			 G_CALLBACK(on_set_interval), c);
	g_signal_connect(c->skel, "handle-set-balloon-auto", G_CALLBACK(on_set_auto), c);
	if (c->balloon) {
		update_props(c);
		c->props_timer = g_timeout_source_new(PROPS_PERIOD_MS);
		g_source_set_callback(c->props_timer, update_props, c, NULL);
		g_source_attach(c->props_timer, c->ctx);
		set_auto(c, c->cfg.balloon_auto);
	}
}

void control_balloon_teardown(struct control *c)
{
	if (c->balloon)
		set_auto(c, false);
	if (c->props_timer) {
		g_source_destroy(c->props_timer);
		g_clear_pointer(&c->props_timer, g_source_unref);
	}
	c->balloon = NULL;
}
