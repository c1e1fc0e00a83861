/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Standard ISA addresses of devices this machine lacks, answered as an empty bus answers. */
#ifndef VMM_ISA_ABSENT_H
#define VMM_ISA_ABSENT_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"

struct isa_absent_range {
	uint16_t base, len;
	const char *what;
};

extern const struct isa_absent_range isa_absent_ranges[];
extern const size_t isa_absent_count;
extern const struct vmm_io_ops isa_absent_ops;

/* Claim every range not already taken on the PIO bus; 0 or -errno. */
int isa_absent_register(struct vmm_bus *pio);

#endif
