// SPDX-License-Identifier: GPL-2.0-or-later
/* Legacy ISA ports of devices a PC may have but this machine does not: they float, silently. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "dev-state.h"
#include "device.h"
#include "isa-absent.h"
#include "vm.h"

/*
 * Firmware and operating systems probe the standard addresses of parallel ports and extra
 * serial ports (IBM PC/AT Technical Reference: LPT1 0x378, LPT2 0x278, COM2 0x2F8, COM3
 * 0x3E8, COM4 0x2E8). On a PC an empty ISA address reads as all ones, the pull-ups on the
 * bus; that is an answer, not a guest error, so these ranges read 0xFF without a log line.
 * Everything else nobody claims still goes to the guest-error log.
 */
const struct isa_absent_range isa_absent_ranges[] = {
	{ 0x378, 8, "LPT1" },
	{ 0x278, 8, "LPT2" },
	{ 0x2f8, 8, "COM2" },
	{ 0x3e8, 8, "COM3" },
	{ 0x2e8, 8, "COM4" },
};
const size_t isa_absent_count = sizeof(isa_absent_ranges) / sizeof(isa_absent_ranges[0]);

static uint64_t absent_read(void *opaque, uint64_t off, unsigned size)
{
	return ~0ull;
}

static void absent_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
}

const struct vmm_io_ops isa_absent_ops = {
	.name = "isa-absent", .read = absent_read, .write = absent_write,
};

int isa_absent_register(struct vmm_bus *pio)
{
	for (size_t i = 0; i < isa_absent_count; i++) {
		int ret = vmm_bus_register(pio, isa_absent_ranges[i].base, isa_absent_ranges[i].len,
					   &isa_absent_ops, NULL);

		/* -EEXIST: a real device (say a second UART) owns it now; that is fine. */
		if (ret && ret != -EEXIST)
			return ret;
	}
	return 0;
}

static int isa_absent_create(struct vm *vm, void **state)
{
	*state = NULL;
	return isa_absent_register(&vm->pio);
}

/* Nothing to save: the ports float whatever happened before. */
static int isa_absent_save(void *state, void **blob, size_t *len)
{
	return dev_state_save_none(blob, len);
}

static int isa_absent_load(void *state, const void *blob, size_t len)
{
	return dev_state_load_none("isa-absent", len);
}

/* Created last among the ISA devices, so any real device registered first keeps its ports. */
const struct vmm_device_ops isa_absent_device_ops = {
	.name = "isa-absent",
	.create = isa_absent_create,
	.save = isa_absent_save,
	.load = isa_absent_load,
};
