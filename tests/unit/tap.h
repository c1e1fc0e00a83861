/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny TAP producer for unit tests (meson's test protocol 'tap'). */
#ifndef VESSEL_TAP_H
#define VESSEL_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int ok_c_ = !!(cond);						\
	printf("%s %d - ", ok_c_ ? "ok" : "not ok", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_c_) {							\
		tap_failed++;						\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
	fflush(stdout);							\
} while (0)

#define is_int(got, want, ...) do {					\
	long long is_g_ = (long long)(got), is_w_ = (long long)(want);	\
	ok(is_g_ == is_w_, __VA_ARGS__);				\
	if (is_g_ != is_w_)						\
		printf("#   got %lld (%#llx), want %lld (%#llx)\n",	\
		       is_g_, (unsigned long long)is_g_, is_w_, (unsigned long long)is_w_); \
} while (0)

#define skip_all(...) do {						\
	printf("1..0 # SKIP ");						\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	exit(0);							\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
