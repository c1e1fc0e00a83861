// SPDX-License-Identifier: GPL-2.0-or-later
/* The automatic balloon policy and the host's memory pressure (PSI). */
#include "balloon-policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint64_t balloon_policy_next(const struct balloon_policy_input *in)
{
	bool pressed = in->host_pressure >= BALLOON_POLICY_PRESSURE;
	double low = pressed ? 0.05 : 0.15, high = pressed ? 0.10 : 0.30;
	double cur = (double)in->current, avail = (double)in->available;
	double mid = (low + high) / 2, step_max = (double)in->ram / 8, want, delta;
	uint64_t lo = in->min, hi = in->max < in->ram ? in->max : in->ram;

	if (!in->have_stats || !in->current || lo > hi)
		return clamp(in->current, lo, hi);
	if (avail > cur)
		avail = cur;
	/* Inside the band: only the bounds may move us. */
	if (avail >= low * cur && avail <= high * cur)
		return clamp(in->current, lo, hi);
	/*
	 * The guest keeps cur - avail in use; the memory that puts `mid` of it available is
	 * used / (1 - mid). Go halfway there.
	 */
	want = (cur - avail) / (1 - mid);
	delta = (want - cur) / 2;
	if (delta > step_max)
		delta = step_max;
	if (delta < -step_max)
		delta = -step_max;
	if (delta > 0 && delta < (double)in->ram / 100)
		delta = (double)in->ram / 100;	/* short of memory: never a too-small step */
	return clamp((uint64_t)(cur + delta) & ~4095ull, lo, hi);
}

double balloon_host_pressure(const char *root)
{
	char path[4096], line[256];
	double v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root ? root : "");
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* Documentation/accounting/psi.rst: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" */
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "avg10=");

		if (!strncmp(line, "some ", 5) && p) {
			char *end;

			v = strtod(p + 6, &end);
			if (end == p + 6 || v < 0 || v > 100)
				v = -1;
			break;
		}
	}
	fclose(f);
	return v;
}
