/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The automatic balloon policy: keep the guest's free memory in a band, give more back under
 * host memory pressure. Pure decisions, so they are tested without a VM. */
#ifndef VESSEL_BALLOON_POLICY_H
#define VESSEL_BALLOON_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct balloon_policy_input {
	uint64_t ram;			/* the VM's memory */
	uint64_t min, max;		/* bounds for the guest's memory (from [balloon]) */
	uint64_t current;		/* the guest's memory now: ram - balloon actual */
	bool have_stats;		/* the driver has reported since the last decision */
	uint64_t available;		/* guest's available (or free) memory, bytes */
	double host_pressure;		/* PSI "some" avg10 for memory, percent; <0 unknown */
};

/*
 * The guest memory to ask for next (within [min, max]); `current` when nothing should change.
 * Band: 15-30% of the guest's memory available; when the host is under pressure
 * (avg10 >= BALLOON_POLICY_PRESSURE %) the band drops to 5-10%. Moves halfway to the band's
 * middle (the band itself is the hysteresis), at least 1% and at most 1/8 of RAM per step.
 */
#define BALLOON_POLICY_PRESSURE	10.0
uint64_t balloon_policy_next(const struct balloon_policy_input *in);

/*
 * The host's memory pressure: PSI "some avg10" from ROOT/proc/pressure/memory (ROOT "" is the
 * real one; tests pass a fixture tree). -1 when the kernel has no PSI or the file is odd.
 */
double balloon_host_pressure(const char *root);

#endif
