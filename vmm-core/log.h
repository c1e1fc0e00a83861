/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host diagnostics and the rate-limited guest-error log (guest faults never abort). */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>

/*
 * Guest misbehaviour (a bad register value, an access nobody claims) is logged here, kept
 * apart from host errors, and rate-limited so a hostile guest cannot flood the host's log:
 * at most `burst` messages per second; the number suppressed is reported when logging
 * resumes. One per VM (no globals): it hangs off struct vm, devices borrow a pointer.
 */
struct vmm_guest_log {
	pthread_mutex_t lock;
	FILE *out;		/* NULL: count only */
	unsigned burst;		/* messages allowed per second */
	uint64_t window_start_ns;
	unsigned in_window;
	uint64_t suppressed;
	uint64_t total;		/* every guest error, logged or not (tests read this) */
};

void vmm_guest_log_init(struct vmm_guest_log *log, FILE *out, unsigned burst);
void vmm_guest_log_destroy(struct vmm_guest_log *log);
void vmm_guest_error(struct vmm_guest_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t vmm_guest_log_count(struct vmm_guest_log *log);

/* Host-side messages from the VMM core (to stderr, prefixed). */
void vmm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t vmm_now_ns(void);	/* CLOCK_MONOTONIC */

#endif
