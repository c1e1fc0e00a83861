/* SPDX-License-Identifier: GPL-2.0-or-later */
/* C tests that boot a guest: skip (77) without a usable /dev/kvm, except under CI=true. */
#ifndef VESSEL_KVM_SKIP_H
#define VESSEL_KVM_SKIP_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* The same rule as tests/kvmcheck.py. */
static inline void kvm_skip_unless_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version = fd >= 0 ? ioctl(fd, KVM_GET_API_VERSION, 0) : -1;
	const char *ci = getenv("CI");

	if (fd >= 0)
		close(fd);
	if (version == KVM_API_VERSION)
		return;
	if (ci && !strcmp(ci, "true")) {
		printf("not ok 1 - /dev/kvm is required under CI=true (%s)\n1..1\n",
		       fd < 0 ? strerror(errno) : "wrong API version");
		exit(1);
	}
	printf("1..0 # SKIP /dev/kvm is not usable here\n");
	exit(77);
}

#endif
