/* SPDX-License-Identifier: GPL-2.0-or-later */
/* System control ports: 0x92 fast reset/A20, 0xCF9 reset control, 0x402 debug, 0xF4 test exit. */
#ifndef VMM_SYSCTL_H
#define VMM_SYSCTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>

#include "bus.h"

#define SYSCTL_PORT92		0x92
#define SYSCTL_RST_CNT		0xcf9
#define SYSCTL_DEBUG_PORT	0x402
#define SYSCTL_TEST_EXIT_PORT	0xf4
#define SYSCTL_DEBUG_MAGIC	0xe9	/* what SeaBIOS expects to read from 0x402 */

enum sysctl_event { SYSCTL_EV_RESET, SYSCTL_EV_TEST_EXIT };

struct sysctl_config {
	/* Called on a guest reset request or a test exit (status 0..63). */
	void (*event)(void *opaque, enum sysctl_event ev, int status);
	void *opaque;
	FILE *debug_out;		/* debug port output; NULL drops it */
	struct vmm_guest_log *log;
};

struct sysctl {
	pthread_mutex_t lock;
	struct sysctl_config cfg;
	uint8_t port92;
	uint8_t rst_cnt;
};

struct sysctl *sysctl_new(const struct sysctl_config *cfg);
void sysctl_free(struct sysctl *s);
void sysctl_reset(struct sysctl *s);
/* Snapshot state (device.h contract): 0 or -errno; load refuses a bad blob unchanged. */
int sysctl_save(struct sysctl *s, void **blob, size_t *len);
int sysctl_load(struct sysctl *s, const void *blob, size_t len);

extern const struct vmm_io_ops sysctl_port92_ops, sysctl_rst_cnt_ops, sysctl_debug_ops,
	sysctl_test_exit_ops;

#endif
