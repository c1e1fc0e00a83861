// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot save/load of the small ISA devices: sysctl, isa-dma, isa-absent. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "sysctl.h"
#include "tap.h"
#include "vm.h"

extern const struct vmm_device_ops isa_dma_device_ops;
extern const struct vmm_device_ops isa_absent_device_ops;

static uint8_t in8(struct vmm_bus *bus, uint16_t port)
{
	uint8_t v = 0;

	vmm_bus_read(bus, port, &v, 1);
	return v;
}

static void out8(struct vmm_bus *bus, uint16_t port, uint8_t v)
{
	vmm_bus_write(bus, port, &v, 1);
}

static void on_event(void *opaque, enum sysctl_event ev, int status)
{
	(*(int *)opaque)++;
}

static void test_sysctl(struct vmm_guest_log *log)
{
	int events = 0;
	struct sysctl_config cfg = { on_event, &events, NULL, log };
	struct sysctl *a = sysctl_new(&cfg), *b = sysctl_new(&cfg);
	struct vmm_bus bus;
	uint8_t *blob, bad[8];
	void *p;
	size_t len;

	vmm_bus_init(&bus, "pio", log);
	vmm_bus_register(&bus, SYSCTL_RST_CNT, 1, &sysctl_rst_cnt_ops, b);
	a->port92 = 0x43;
	a->rst_cnt = 0x02;
	is_int(sysctl_save(a, &p, &len), 0, "sysctl: save");
	blob = p;
	is_int(len, 8, "sysctl: blob is version + two latches");
	is_int(sysctl_load(b, blob, len), 0, "sysctl: load");
	is_int(b->port92, 0x43, "sysctl: port 0x92 restored");
	is_int(in8(&bus, SYSCTL_RST_CNT), 0x02, "sysctl: RST_CNT reads back what was saved");
	/* A loaded RST_CPU=0 latch means the next 0->1 edge still resets. */
	out8(&bus, SYSCTL_RST_CNT, 0x06);
	is_int(events, 1, "sysctl: RST_CPU edge after load resets");

	memcpy(bad, blob, sizeof(bad));
	sysctl_reset(b);
	is_int(sysctl_load(b, blob, len - 1), -EINVAL, "sysctl: truncated blob refused");
	bad[0] = 2;
	is_int(sysctl_load(b, bad, len), -EINVAL, "sysctl: version 2 refused");
	memcpy(bad, blob, sizeof(bad));
	bad[4] = 0x41;
	is_int(sysctl_load(b, bad, len), -EINVAL, "sysctl: port92 with A20 off refused");
	memcpy(bad, blob, sizeof(bad));
	bad[5] = 0x04;
	is_int(sysctl_load(b, bad, len), -EINVAL, "sysctl: RST_CNT with RST_CPU set refused");
	ok(b->port92 == 0x02 && b->rst_cnt == 0, "sysctl: refused loads left it unchanged");
	free(blob);
	vmm_bus_destroy(&bus);
	sysctl_free(a);
	sysctl_free(b);
}

static void test_isa_dma(struct vm *va, struct vm *vb)
{
	void *a, *b, *p;
	uint8_t *blob;
	size_t len;

	is_int(isa_dma_device_ops.create(va, &a), 0, "isa-dma: create A");
	is_int(isa_dma_device_ops.create(vb, &b), 0, "isa-dma: create B");
	out8(&va->pio, 0x02, 0x34);
	out8(&va->pio, 0x80, 0x5a);
	out8(&va->pio, 0x87, 0x11);
	out8(&va->pio, 0xd6, 0x99);
	is_int(isa_dma_device_ops.save(a, &p, &len), 0, "isa-dma: save");
	blob = p;
	is_int(isa_dma_device_ops.load(b, blob, len), 0, "isa-dma: load");
	ok(in8(&vb->pio, 0x02) == 0x34 && in8(&vb->pio, 0x80) == 0x5a &&
	   in8(&vb->pio, 0x87) == 0x11 && in8(&vb->pio, 0xd6) == 0x99,
	   "isa-dma: DMA1, POST code, page and DMA2 registers read back");
	isa_dma_device_ops.reset(b);
	is_int(isa_dma_device_ops.load(b, blob, len - 1), -EINVAL, "isa-dma: short blob refused");
	blob[0] = 9;
	is_int(isa_dma_device_ops.load(b, blob, len), -EINVAL, "isa-dma: version 9 refused");
	is_int(in8(&vb->pio, 0x80), 0, "isa-dma: refused load left it unchanged");
	free(blob);
	isa_dma_device_ops.destroy(a);
	isa_dma_device_ops.destroy(b);
}

static void test_isa_absent(struct vm *va)
{
	void *state = NULL, *p = (void *)1;
	size_t len = 1;
	uint8_t byte = 1;

	is_int(isa_absent_device_ops.create(va, &state), 0, "isa-absent: create");
	is_int(isa_absent_device_ops.save(state, &p, &len), 0, "isa-absent: save");
	ok(p == NULL && len == 0, "isa-absent: no state, a zero-length blob");
	is_int(isa_absent_device_ops.load(state, NULL, 0), 0, "isa-absent: empty blob loads");
	is_int(isa_absent_device_ops.load(state, &byte, 1), -EINVAL,
	       "isa-absent: a non-empty blob is refused");
	is_int(in8(&va->pio, 0x378), 0xff, "isa-absent: LPT1 still floats");
}

int main(void)
{
	struct vmm_guest_log log;
	static struct vm va, vb;

	vmm_guest_log_init(&log, NULL, 5);
	vmm_bus_init(&va.pio, "pio-a", &log);
	vmm_bus_init(&vb.pio, "pio-b", &log);
	test_sysctl(&log);
	test_isa_dma(&va, &vb);
	test_isa_absent(&va);
	vmm_bus_destroy(&va.pio);
	vmm_bus_destroy(&vb.pio);
	vmm_guest_log_destroy(&log);
	return tap_done();
}
