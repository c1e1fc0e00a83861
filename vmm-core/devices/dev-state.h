/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the device save/load hooks: blobs out, hostile blobs in (issue 9 contract). */
#ifndef VMM_DEV_STATE_H
#define VMM_DEV_STATE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * A saved state is a plain struct whose first field is `uint32_t version`, zeroed before it
 * is filled. Load validates the whole blob into a local copy and only then changes the
 * device; every refusal prints one "snapshot: <device>: <field> <what is wrong>" line.
 */

/* Hand a copy of st (n bytes) to the caller as a malloc'd blob. */
static inline int dev_state_emit(const void *st, size_t n, void **blob, size_t *len)
{
	void *b = malloc(n);

	if (!b)
		return -ENOMEM;
	memcpy(b, st, n);
	*blob = b;
	*len = n;
	return 0;
}

/* One refusal line; always -EINVAL so callers can `return dev_state_bad(...)`. */
static inline int dev_state_bad(const char *dev, const char *field, const char *what)
{
	vmm_warn("snapshot: %s: %s %s", dev, field, what);
	return -EINVAL;
}

/*
 * Check that blob holds at least `min` bytes (exactly `min` when !tail) and opens with
 * `version`; copy the fixed part into st. The caller checks any tail's size itself.
 */
static inline int dev_state_open(const char *dev, const void *blob, size_t len, void *st,
				 size_t min, bool tail, uint32_t version)
{
	uint32_t v;

	if (!blob || len < min || (!tail && len != min))
		return dev_state_bad(dev, "blob", "has the wrong length");
	memcpy(&v, blob, sizeof(v));
	if (v != version)
		return dev_state_bad(dev, "version", "is not one this build reads");
	memcpy(st, blob, min);
	return 0;
}

/* Devices without state of their own: a zero-length blob, and load accepts only that. */
static inline int dev_state_save_none(void **blob, size_t *len)
{
	*blob = NULL;
	*len = 0;
	return 0;
}

static inline int dev_state_load_none(const char *dev, size_t len)
{
	return len ? dev_state_bad(dev, "blob", "should be empty") : 0;
}

/* A saved bool must be 0 or 1. */
static inline bool dev_state_bool_ok(uint8_t v)
{
	return v <= 1;
}

#endif
