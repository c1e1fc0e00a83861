// SPDX-License-Identifier: GPL-2.0-or-later
/* The automatic balloon policy's decisions, and reading PSI from fixture trees. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balloon-policy.h"
#include "tap.h"

#define MiB (1ull << 20)

static uint64_t next(uint64_t current, uint64_t avail, double psi)
{
	struct balloon_policy_input in = {
		.ram = 4096 * MiB, .min = 512 * MiB, .max = 4096 * MiB, .current = current,
		.have_stats = true, .available = avail, .host_pressure = psi,
	};

	return balloon_policy_next(&in);
}

static void write_psi(const char *root, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/pressure", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	struct balloon_policy_input in = { .ram = 4096 * MiB, .min = 512 * MiB, .max = 4096 * MiB,
					   .current = 4096 * MiB, .available = 3000 * MiB };
	char root[] = "/tmp/vessel-psi-XXXXXX";
	uint64_t t;

	is_int(balloon_policy_next(&in) >> 20, 4096, "no stats yet: keep the memory");
	is_int(next(4096 * MiB, 1000 * MiB, 0) >> 20, 4096, "24%% available: inside the band");
	t = next(4096 * MiB, 3500 * MiB, 0);
	ok(t < 4096 * MiB && t >= 4096 * MiB - 512 * MiB,
	   "85%% available: shrink, by at most 1/8 of RAM (%llu MiB)", (unsigned long long)(t >> 20));
	t = next(2048 * MiB, 100 * MiB, 0);
	ok(t > 2048 * MiB, "5%% available: grow (%llu MiB)", (unsigned long long)(t >> 20));
	is_int(next(600 * MiB, 590 * MiB, 0) >> 20, 512, "never below [balloon] min");
	is_int(next(4000 * MiB, 10 * MiB, 0) >> 20, 4096, "never above max / RAM");
	t = next(4096 * MiB, 1000 * MiB, 50.0);
	ok(t < 4096 * MiB, "the same 24%% under host pressure: shrink (%llu MiB)",
	   (unsigned long long)(t >> 20));
	t = next(4096 * MiB, 1250 * MiB, 0);
	ok(t < 4096 * MiB && t > 3800 * MiB,
	   "just above the band: a step halfway to its middle, not a jump (%llu MiB)",
	   (unsigned long long)(t >> 20));
	/* Converges: apply repeatedly as if the guest's use stayed 1000 MiB. */
	uint64_t cur = 4096 * MiB;
	for (int i = 0; i < 30; i++)
		cur = next(cur, cur - 1000 * MiB, 0);
	double frac = (double)(cur - 1000 * MiB) / (double)cur;
	ok(frac >= 0.15 && frac <= 0.30, "repeated steps settle inside the band (%.0f%% of %llu MiB)",
	   frac * 100, (unsigned long long)(cur >> 20));

	ok(mkdtemp(root) != NULL, "fixture root");
	ok(balloon_host_pressure(root) < 0, "no PSI file: unknown (-1)");
	write_psi(root, "some avg10=12.50 avg60=3.00 avg300=1.00 total=12345\n"
			"full avg10=1.00 avg60=0.00 avg300=0.00 total=10\n");
	ok(balloon_host_pressure(root) > 12.49 && balloon_host_pressure(root) < 12.51,
	   "some avg10 read from the fixture");
	write_psi(root, "some avg10=nonsense\n");
	ok(balloon_host_pressure(root) < 0, "a malformed file is unknown, not zero");
	write_psi(root, "some avg10=250.0 avg60=0\n");
	ok(balloon_host_pressure(root) < 0, "an impossible percentage is refused");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		ok(0, "cleanup");
	return tap_done();
}
