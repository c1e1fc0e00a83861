// SPDX-License-Identifier: GPL-2.0-or-later
/* Absent legacy ISA devices: probes read all ones without a guest error; others still log. */
#include <errno.h>

#include "bus.h"
#include "isa-absent.h"
#include "tap.h"

static uint64_t taken_read(void *opaque, uint64_t off, unsigned size)
{
	return 0x42;
}

static const struct vmm_io_ops taken_ops = { .name = "com2", .read = taken_read };

int main(void)
{
	struct vmm_guest_log log;
	struct vmm_bus pio;
	uint8_t v;

	vmm_guest_log_init(&log, NULL, 5);
	vmm_bus_init(&pio, "pio", &log);
	/* A machine with a real second UART: its range stays its own. */
	vmm_bus_register(&pio, 0x2f8, 8, &taken_ops, NULL);
	is_int(isa_absent_register(&pio), 0, "the absent ranges register around a real device");
	for (size_t i = 0; i < isa_absent_count; i++) {
		vmm_bus_read(&pio, isa_absent_ranges[i].base + 2, &v, 1);
		if (isa_absent_ranges[i].base == 0x2f8)
			is_int(v, 0x42, "%s: the real device answers", isa_absent_ranges[i].what);
		else
			is_int(v, 0xff, "%s probe reads all ones", isa_absent_ranges[i].what);
		v = 0xaa;
		vmm_bus_write(&pio, isa_absent_ranges[i].base, &v, 1);
	}
	is_int(vmm_guest_log_count(&log), 0, "probing absent devices is not a guest error");
	vmm_bus_read(&pio, 0x1234, &v, 1);
	is_int(vmm_guest_log_count(&log), 1, "an unclaimed port elsewhere still is");
	vmm_bus_destroy(&pio);
	vmm_guest_log_destroy(&log);
	return tap_done();
}
