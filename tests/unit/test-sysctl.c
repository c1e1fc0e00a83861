// SPDX-License-Identifier: GPL-2.0-or-later
/* System control ports: reset edges on 0x92 and 0xCF9, debug port, test exit. */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "sysctl.h"
#include "tap.h"

struct events {
	int resets;
	int exits;
	int last_status;
};

static void on_event(void *opaque, enum sysctl_event ev, int status)
{
	struct events *e = opaque;

	if (ev == SYSCTL_EV_RESET) {
		e->resets++;
	} else {
		e->exits++;
		e->last_status = status;
	}
}

static uint8_t in8(struct vmm_bus *bus, uint16_t port)
{
	uint8_t v;

	vmm_bus_read(bus, port, &v, 1);
	return v;
}

static void out8(struct vmm_bus *bus, uint16_t port, uint8_t v)
{
	vmm_bus_write(bus, port, &v, 1);
}

/* Without a log the port reads like an empty one, so the firmware does not write to it. */
static void test_quiet_debug_port(struct vmm_guest_log *log)
{
	struct events ev = { 0 };
	struct sysctl_config cfg = { on_event, &ev, NULL, log };
	struct vmm_bus bus;
	struct sysctl *s;

	vmm_bus_init(&bus, "pio", log);
	s = sysctl_new(&cfg);
	vmm_bus_register(&bus, SYSCTL_DEBUG_PORT, 1, &sysctl_debug_ops, s);
	is_int(in8(&bus, 0x402), 0xff, "no debug log: the port reads 0xFF (firmware stays quiet)");
	out8(&bus, 0x402, 'x');
	is_int(ev.exits + ev.resets, 0, "and a write to it is dropped");
	sysctl_free(s);
	vmm_bus_destroy(&bus);
}

int main(void)
{
	struct events ev = { 0 };
	struct vmm_guest_log log;
	char *dbg = NULL;
	size_t dbg_len = 0;
	FILE *dbg_out = open_memstream(&dbg, &dbg_len);
	struct sysctl_config cfg = { on_event, &ev, dbg_out, &log };
	struct vmm_bus bus;
	struct sysctl *s;

	vmm_guest_log_init(&log, NULL, 5);
	vmm_bus_init(&bus, "pio", &log);
	s = sysctl_new(&cfg);
	vmm_bus_register(&bus, SYSCTL_PORT92, 1, &sysctl_port92_ops, s);
	vmm_bus_register(&bus, SYSCTL_RST_CNT, 1, &sysctl_rst_cnt_ops, s);
	vmm_bus_register(&bus, SYSCTL_DEBUG_PORT, 1, &sysctl_debug_ops, s);
	vmm_bus_register(&bus, SYSCTL_TEST_EXIT_PORT, 4, &sysctl_test_exit_ops, s);

	is_int(in8(&bus, 0x92) & 2, 2, "port 0x92 reports A20 on");
	out8(&bus, 0x92, 0x02);
	is_int(ev.resets, 0, "writing 0x92 without bit 0 does not reset");
	out8(&bus, 0x92, 0x03);
	is_int(ev.resets, 1, "bit 0 rising on 0x92 resets");
	out8(&bus, 0x92, 0x03);
	is_int(ev.resets, 1, "bit 0 staying set does not reset again");
	sysctl_reset(s);
	is_int(in8(&bus, 0x92) & 1, 0, "after reset bit 0 is clear");

	out8(&bus, 0xcf9, 0x02);
	is_int(ev.resets, 1, "0xCF9 = 0x02 only selects hard reset");
	is_int(in8(&bus, 0xcf9), 0x02, "and reads back");
	out8(&bus, 0xcf9, 0x06);
	is_int(ev.resets, 2, "0xCF9 = 0x06 resets (the SeaBIOS sequence)");
	is_int(in8(&bus, 0xcf9) & 0x04, 0, "RST_CPU self-clears");

	is_int(in8(&bus, 0x402), 0xe9, "debug port reads 0xE9 (SeaBIOS's probe)");
	for (const char *p = "hi\n"; *p; p++)
		out8(&bus, 0x402, (uint8_t)*p);
	fflush(dbg_out);
	ok(dbg_len == 3 && !memcmp(dbg, "hi\n", 3), "debug port output captured");
	test_quiet_debug_port(&log);

	uint32_t code = 7;
	vmm_bus_write(&bus, 0xf4, &code, 4);
	ok(ev.exits == 1 && ev.last_status == 7, "32-bit test exit with status 7");
	out8(&bus, 0xf4, 0);
	ok(ev.exits == 2 && ev.last_status == 0, "8-bit test exit with status 0");
	code = 1000;
	vmm_bus_write(&bus, 0xf4, &code, 4);
	ok(ev.exits == 3 && ev.last_status < 64, "an out-of-range status is clamped");
	is_int(vmm_guest_log_count(&log), 1, "and logged as a guest error");

	sysctl_free(s);
	vmm_bus_destroy(&bus);
	vmm_guest_log_destroy(&log);
	fclose(dbg_out);
	free(dbg);
	return tap_done();
}
