// SPDX-License-Identifier: GPL-2.0-or-later
// virtio-input tablet through a minimal driver: configuration, readiness, every event printed.
#include "kit.h"

/*
 * The driver finds 1AF4:1052, reads the configuration (virtio 1.2 §5.8.4) and prints it,
 * checks that unsupported (select, subsel) pairs read size 0, posts KIT_VQ_SIZE one-event
 * buffers on the event queue, hands the status queue a buffer of garbage (it must come back),
 * sets DRIVER_OK and prints "vin: ready". Then, for `seconds=N` on the command line (default
 * 1), it prints each event the device writes, one line each, and re-posts the buffer:
 *
 *   vin ev TYPE CODE VALUE      decimal; VALUE signed (REL_WHEEL -1 is "-1")
 *
 * and at the end "vin: done, N events". With `width=W height=H` it first sets that VBE
 * mode (32 bpp) and prints "vin: mode WxH", so the display has a known size. With
 * `absent=1` it checks there is no tablet, prints "vin: no tablet" and idles as long.
 * tests/integration/test-tablet.py runs it with seconds=120 width=640 height=480 and moves
 * the pointer through Display1.PointerPosition.
 */
KIT_EXPECT("cpus=1 memory=32M timeout=30 exit=0");
KIT_EXPECT("args=--tablet");
KIT_EXPECT("serial=vin: found [0-9a-f]{2}\\.0 1af4:1052 class 0x098000");
KIT_EXPECT("serial=vin: name \"Vessel Tablet\"");
KIT_EXPECT("serial=vin: serial \"vessel-tablet-0\"");
KIT_EXPECT("serial=vin: devids bus 0x0006 vendor 0x5645 product 0x0001 version 0x0001");
KIT_EXPECT("serial=vin: ev_bits key 272 273 274");
KIT_EXPECT("serial=vin: ev_bits rel 8");
KIT_EXPECT("serial=vin: ev_bits abs 0 1");
KIT_EXPECT("serial=vin: abs 0 min 0 max 32767 fuzz 0 flat 0 res 0");
KIT_EXPECT("serial=vin: abs 1 min 0 max 32767 fuzz 0 flat 0 res 0");
KIT_EXPECT("serial=vin: props none, unknown selects read size 0");
KIT_EXPECT("serial=vin: status buffer returned");
KIT_EXPECT("serial=vin: ready");
KIT_EXPECT("serial=vin: done, 0 events");

/* §5.8.4 config layout and selects; evdev event types */
#define CFG_SELECT	0
#define CFG_SUBSEL	1
#define CFG_SIZE	2
#define CFG_U		8
#define SEL_ID_NAME	0x01
#define SEL_ID_SERIAL	0x02
#define SEL_ID_DEVIDS	0x03
#define SEL_PROP_BITS	0x10
#define SEL_EV_BITS	0x11
#define SEL_ABS_INFO	0x12
#define EV_KEY		1
#define EV_REL		2
#define EV_ABS		3
#define EV_SW		5
#define Q_EVENT		0
#define Q_STATUS	1
#define DESC_F_WRITE	2
#define IO_TIMEOUT_MS	2000

struct vin_event {
	uint16_t type, code;
	uint32_t value;
};

static struct kit_pci_fn pci;
static struct kit_virtio vdev;
static struct kit_virtq q[2];
static struct vin_event events[KIT_VQ_SIZE];
static uint8_t garbage[8] = { 0x11, 0x00, 0x05, 0x00, 0xde, 0xad, 0xbe, 0xef };

static uint8_t cfg_select(uint8_t select, uint8_t subsel)
{
	mmio_write8(vdev.device + CFG_SELECT, select);
	mmio_write8(vdev.device + CFG_SUBSEL, subsel);
	return mmio_read8(vdev.device + CFG_SIZE);
}

static uint32_t cfg_u32(unsigned off)
{
	return mmio_read32(vdev.device + CFG_U + off);
}

static void print_string(const char *what, uint8_t select)
{
	uint8_t n = cfg_select(select, 0);
	char s[129];

	KIT_ASSERT(n > 0 && n <= 128);
	for (unsigned i = 0; i < n; i++)
		s[i] = (char)mmio_read8(vdev.device + CFG_U + i);
	s[n] = 0;
	kit_printf("vin: %s \"%s\"\n", what, s);
}

/* The codes set in EV_BITS for one event type, in ascending order. */
static void print_bits(const char *what, uint8_t type)
{
	uint8_t n = cfg_select(SEL_EV_BITS, type);

	KIT_ASSERT(n > 0 && n <= 128);
	kit_printf("vin: ev_bits %s", what);
	for (unsigned bit = 0; bit < n * 8u; bit++)
		if (mmio_read8(vdev.device + CFG_U + bit / 8) & (1u << (bit % 8)))
			kit_printf(" %u", bit);
	kit_printf("\n");
}

static void print_config(void)
{
	print_string("name", SEL_ID_NAME);
	print_string("serial", SEL_ID_SERIAL);
	KIT_ASSERT_EQ(cfg_select(SEL_ID_DEVIDS, 0), 8);
	kit_printf("vin: devids bus 0x%04x vendor 0x%04x product 0x%04x version 0x%04x\n",
		   cfg_u32(0) & 0xffff, cfg_u32(0) >> 16, cfg_u32(4) & 0xffff, cfg_u32(4) >> 16);
	print_bits("key", EV_KEY);
	print_bits("rel", EV_REL);
	print_bits("abs", EV_ABS);
	for (uint8_t axis = 0; axis < 2; axis++) {
		KIT_ASSERT_EQ(cfg_select(SEL_ABS_INFO, axis), 20);
		kit_printf("vin: abs %u min %u max %u fuzz %u flat %u res %u\n", axis,
			   cfg_u32(0), cfg_u32(4), cfg_u32(8), cfg_u32(12), cfg_u32(16));
	}
	/* A tablet is a pointer, not a direct device: no properties; and no switches. */
	KIT_ASSERT_EQ(cfg_select(SEL_PROP_BITS, 0), 0);
	KIT_ASSERT_EQ(cfg_select(SEL_EV_BITS, EV_SW), 0);
	KIT_ASSERT_EQ(cfg_select(SEL_ABS_INFO, 2), 0);
	KIT_ASSERT_EQ(cfg_select(SEL_ID_NAME, 1), 0);
	KIT_ASSERT_EQ(cfg_select(0x7f, 0xff), 0);
	KIT_ASSERT_EQ(cfg_u32(0), 0);
	kit_printf("vin: props none, unknown selects read size 0\n");
}

/* false: absent=1 asked for a VM without the tablet, and there is none. */
static bool find_and_map(void)
{
	struct kit_pci_fn fns[KIT_PCI_MAX_FNS];
	/* Above the VGA's framebuffer (KIT_VBE_LFB), which a `width=` run maps. */
	struct kit_pci_window w = { 0xC000, 0x10000, 0xF0000000u, 0xFEC00000u };
	unsigned n = pci_scan(fns, KIT_PCI_MAX_FNS), found = 0;
	char name[8];

	for (unsigned i = 0; i < n; i++) {
		if (fns[i].vendor == 0x1AF4 && fns[i].device == 0x1052) {
			pci = fns[i];
			found++;
		}
	}
	if (kit_cmdline_u64("absent", 0)) {
		KIT_ASSERT_EQ(found, 0);
		kit_printf("vin: no tablet\n");
		return false;
	}
	KIT_ASSERT_EQ(found, 1);
	pci_size_bars(&pci);
	KIT_ASSERT(pci_assign_bars(&pci, &w));
	pci_command_set(&pci, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF, PCI_CMD_IO);
	kit_printf("vin: found %s 1af4:1052 class 0x%06x\n", pci_name(&pci, name),
		   pci.class_code);
	return true;
}

/* Descriptor i always holds events[i]; posting it again is one avail ring entry. */
static void post_event_buf(uint16_t i)
{
	struct kit_virtq *eq = &q[Q_EVENT];

	eq->desc[i].addr = (uintptr_t)&events[i];
	eq->desc[i].len = sizeof(events[i]);
	eq->desc[i].flags = DESC_F_WRITE;
	eq->desc[i].next = 0;
	eq->avail.ring[eq->avail.idx % eq->size] = i;
	barrier();
	eq->avail.idx++;
}

static void start_device(void)
{
	const uint64_t want = 1ull << VIRTIO_F_VERSION_1;
	struct kit_vbuf junk = { garbage, sizeof(garbage), false };

	virtio_probe(&vdev, &pci);
	KIT_ASSERT(vdev.device && vdev.device_len >= CFG_U + 128);
	KIT_ASSERT(virtio_negotiate(&vdev, want));
	KIT_ASSERT_EQ(vdev.driver_features, want);
	print_config();
	virtio_queue_setup(&vdev, &q[Q_EVENT], Q_EVENT, VIRTIO_NO_VECTOR);
	virtio_queue_setup(&vdev, &q[Q_STATUS], Q_STATUS, VIRTIO_NO_VECTOR);
	for (uint16_t i = 0; i < q[Q_EVENT].size; i++)
		post_event_buf(i);
	virtio_driver_ok(&vdev);
	mmio_write16(q[Q_EVENT].notify, Q_EVENT);
	/* §5.8.6.2: status events the device does not understand are consumed anyway. */
	if (!virtq_run(&q[Q_STATUS], &junk, 1, NULL, IO_TIMEOUT_MS))
		KIT_FAIL("the status queue buffer did not come back in %u ms", IO_TIMEOUT_MS);
	kit_printf("vin: status buffer returned\n");
	KIT_ASSERT_EQ(virtio_status(&vdev) & VIRTIO_STATUS_NEEDS_RESET, 0);
	kit_printf("vin: ready\n");
}

/* Print every used buffer's event and give the buffer back; returns how many. */
static uint32_t reap_events(void)
{
	struct kit_virtq *eq = &q[Q_EVENT];
	volatile uint16_t *used_idx = &eq->used.idx;
	uint32_t n = 0;

	while (*used_idx != eq->last_used) {
		uint32_t id, len;

		barrier();
		id = eq->used.ring[eq->last_used % eq->size].id;
		len = eq->used.ring[eq->last_used % eq->size].len;
		eq->last_used++;
		KIT_ASSERT(id < eq->size);
		KIT_ASSERT_EQ(len, sizeof(struct vin_event));
		kit_printf("vin ev %u %u %d\n", events[id].type, events[id].code,
			   (int32_t)events[id].value);
		post_event_buf((uint16_t)id);
		n++;
	}
	if (n)
		mmio_write16(eq->notify, Q_EVENT);
	return n;
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	uint64_t seconds = kit_cmdline_u64("seconds", 1), start;
	uint64_t width = kit_cmdline_u64("width", 0), height = kit_cmdline_u64("height", 0);
	uint32_t total = 0;

	kit_tsc_per_ms();
	if (width && height) {
		kit_vbe_map_lfb();
		kit_vbe_set_mode((unsigned)width, (unsigned)height, 32);
		kit_printf("vin: mode %ux%u\n", (unsigned)width, (unsigned)height);
	}
	start = kit_now_ms();
	if (!find_and_map()) {
		while (kit_now_ms() - start < seconds * 1000)
			pause();
		return;
	}
	start_device();
	start = kit_now_ms();
	while (kit_now_ms() - start < seconds * 1000) {
		total += reap_events();
		pause();
	}
	KIT_ASSERT_EQ(virtio_status(&vdev) & VIRTIO_STATUS_NEEDS_RESET, 0);
	kit_printf("vin: done, %u events\n", total);
}
