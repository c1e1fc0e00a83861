// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the virtio-input tablet: config space, event groups, drops, hostile queues, state. */
#include "virtio-test-driver.h"
#include "virtio/virtio-input-private.h"

#define QS		16
#define RINGS		0x100000ull	/* queue q's rings at RINGS + q * 0x10000 */
#define EVBUF		0x800000ull	/* event buffer i at EVBUF + 16 * i */
#define STBUF		0x900000ull

struct tq {
	unsigned index;
	uint64_t desc, avail, used;
	uint16_t avail_idx, used_seen, next;
};

static struct virtio_input *VI;
static struct drv D;
static struct tq Q[2];

static void queue_setup(struct tq *q, unsigned index)
{
	uint64_t base = RINGS + index * 0x10000ull;

	*q = (struct tq){ .index = index, .desc = base, .avail = base + 0x1000,
			  .used = base + 0x2000 };
	memset(gptr(base, 0x3000), 0, 0x3000);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SELECT, index, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_SIZE, QS, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)q->desc, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)q->avail, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)q->used, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
	cm_wr(&D, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* §3.1.1 with INTx and both queues; the negotiated features. */
static uint64_t vin_init(void)
{
	uint64_t f;

	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
	      1);
	cm_wr(&D, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	f = cm_rd(&D, VIRTIO_PCI_COMMON_DF, 4) << 32 & F(VIRTIO_F_VERSION_1);
	cm_wr(&D, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_GF, 0, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_GF, (uint32_t)(f >> 32), 4);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	cm_wr(&D, VIRTIO_PCI_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR, 2);
	queue_setup(&Q[0], 0);
	queue_setup(&Q[1], 1);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
	return f;
}

/* One single-descriptor chain on q, made available; notified when asked. */
static void post(struct tq *q, uint64_t gpa, uint32_t len, uint16_t flags, bool notify)
{
	uint16_t head = q->next;

	put_desc(q->desc, head, gpa, len, flags, 0);
	q->next = (uint16_t)((head + 1) % QS);
	g16(q->avail + 4 + 2u * (q->avail_idx % QS), head);
	q->avail_idx++;
	g16(q->avail + 2, q->avail_idx);
	if (notify)
		mmio_wr(D.bar + D.notify + q->index * D.mult, q->index, 2);
}

/* n event buffers (8 bytes, device-writable), poisoned so a write shows. */
static void post_events(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = EVBUF + 16ull * ((Q[0].avail_idx) % QS);

		memset(gptr(gpa, 8), 0xee, 8);
		post(&Q[0], gpa, 8, VRING_DESC_F_WRITE, false);
	}
	run_loop();
}

struct ev {
	uint16_t type, code;
	uint32_t value;
};

/* Used event buffers since the last call, decoded; how many. */
static unsigned reap_events(struct ev *out, unsigned max)
{
	struct tq *q = &Q[0];
	unsigned n = 0;

	while (r16(q->used + 2) != q->used_seen && n < max) {
		uint64_t e = q->used + 4 + 8u * (q->used_seen % QS);
		uint64_t gpa = EVBUF + 16ull * r32(e);

		if (r32(e + 4) != 8)
			return 0;
		out[n++] = (struct ev){ r16(gpa), r16(gpa + 2), r32(gpa + 4) };
		q->used_seen++;
	}
	return n;
}

static bool ev_is(const struct ev *e, uint16_t type, uint16_t code, uint32_t value)
{
	return e->type == type && e->code == code && e->value == value;
}

static uint8_t cfg_sel(uint8_t select, uint8_t subsel)
{
	mmio_wr(D.bar + D.devcfg + VIN_CFG_SELECT, select, 1);
	mmio_wr(D.bar + D.devcfg + VIN_CFG_SUBSEL, subsel, 1);
	return (uint8_t)mmio_rd(D.bar + D.devcfg + VIN_CFG_SIZE, 1);
}

static uint8_t cfg_u8(unsigned off)
{
	return (uint8_t)mmio_rd(D.bar + D.devcfg + VIN_CFG_UNION + off, 1);
}

static uint32_t cfg_u32(unsigned off)
{
	return (uint32_t)mmio_rd(D.bar + D.devcfg + VIN_CFG_UNION + off, 4);
}

static struct virtio_input_counters counters(void)
{
	struct virtio_input_counters c;

	virtio_input_get_counters(VI, &c);
	return c;
}

static void test_pci_and_config(void)
{
	char name[16] = "";
	bool others_zero = true;
	uint64_t errs;

	ok(cfg_rd(D.devfn, 0, 4) == 0x10521af4u, "PCI 1AF4:1052 (virtio device 18)");
	is_int(cfg_rd(D.devfn, 8, 4) >> 8, 0x098000, "class: input controller, other");
	ok(D.devcfg && D.devcfg_len >= VIN_CONFIG_LEN, "device config of %u bytes",
	   D.devcfg_len);
	is_int(cfg_sel(VIN_CFG_ID_NAME, 0), 13, "ID_NAME size 13");
	for (unsigned i = 0; i < 13; i++)
		name[i] = (char)cfg_u8(i);
	ok(!strcmp(name, "Vessel Tablet"), "ID_NAME is 'Vessel Tablet' (%s)", name);
	is_int(cfg_sel(VIN_CFG_ID_SERIAL, 0), strlen(VIN_SERIAL), "ID_SERIAL size");
	is_int(cfg_sel(VIN_CFG_ID_DEVIDS, 0), 8, "ID_DEVIDS size 8");
	ok(cfg_u32(0) == (0x06u | VIN_ID_VENDOR << 16) &&
	   cfg_u32(4) == (VIN_ID_PRODUCT | VIN_ID_VERSION << 16), "BUS_VIRTUAL and our ids");
	is_int(cfg_sel(VIN_CFG_PROP_BITS, 0), 0, "PROP_BITS empty: a pointer, not direct");
	is_int(cfg_sel(VIN_CFG_EV_BITS, VIN_EV_KEY), 35, "EV_BITS(EV_KEY) reaches BTN_MIDDLE");
	for (unsigned i = 0; i < 34; i++)
		others_zero &= cfg_u8(i) == 0;
	ok(others_zero && cfg_u8(34) == 0x07, "exactly BTN_LEFT, BTN_RIGHT, BTN_MIDDLE");
	ok(cfg_sel(VIN_CFG_EV_BITS, VIN_EV_REL) == 2 && cfg_u8(0) == 0 && cfg_u8(1) == 1,
	   "EV_BITS(EV_REL): REL_WHEEL only");
	ok(cfg_sel(VIN_CFG_EV_BITS, VIN_EV_ABS) == 1 && cfg_u8(0) == 3,
	   "EV_BITS(EV_ABS): ABS_X, ABS_Y");
	is_int(cfg_sel(VIN_CFG_EV_BITS, 5), 0, "EV_BITS(EV_SW): none");
	ok(cfg_sel(VIN_CFG_ABS_INFO, VIN_ABS_Y) == 20 && cfg_u32(0) == 0 &&
	   cfg_u32(4) == VIRTIO_INPUT_ABS_MAX && cfg_u32(8) == 0 && cfg_u32(16) == 0,
	   "ABS_INFO(ABS_Y): 0..32767");
	is_int(cfg_sel(VIN_CFG_ABS_INFO, 2), 0, "ABS_INFO(ABS_Z): none");
	ok(cfg_sel(0xff, 0xff) == 0 && cfg_u32(0) == 0 && cfg_u32(124) == 0,
	   "an unknown select reads size 0 and a zero union");
	mmio_wr(D.bar + D.devcfg, VIN_CFG_ABS_INFO | VIN_ABS_X << 8, 2);
	ok(mmio_rd(D.bar + D.devcfg + VIN_CFG_SIZE, 1) == 20 && cfg_u32(4) == 32767,
	   "a 16-bit write sets select and subsel together");
	errs = gerrs();
	mmio_wr(D.bar + D.devcfg + VIN_CFG_SIZE, 0x55, 1);
	mmio_wr(D.bar + D.devcfg + VIN_CFG_UNION, 0xdeadbeef, 4);
	ok(gerrs() == errs + 2 && mmio_rd(D.bar + D.devcfg + VIN_CFG_SIZE, 1) == 20 &&
	   cfg_u32(4) == 32767, "writes past subsel are guest errors and change nothing");
}

static void test_not_ready(void)
{
	ok(!virtio_input_driver_ready(VI), "no driver: not ready");
	is_int(virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0), -EAGAIN,
	       "no driver: -EAGAIN at once");
	is_int(virtio_input_tablet_event(VI, 1, 1, 0, 480, 0, 0), -EINVAL, "width 0: -EINVAL");
}

static void test_groups(void)
{
	struct ev e[16];
	unsigned n;

	ok(vin_init() == F(VIRTIO_F_VERSION_1), "VERSION_1 negotiated");
	ok(virtio_input_driver_ready(VI), "DRIVER_OK: ready");
	post_events(QS);
	is_int(virtio_input_tablet_event(VI, 320, 240, 640, 480, VIRTIO_INPUT_BTN_LEFT, 0), 0,
	       "a press at (320, 240) is queued");
	run_loop();
	n = reap_events(e, 16);
	ok(n == 4 && ev_is(&e[0], VIN_EV_ABS, VIN_ABS_X, 320u * 32767 / 639) &&
	   ev_is(&e[1], VIN_EV_ABS, VIN_ABS_Y, 240u * 32767 / 479) &&
	   ev_is(&e[2], VIN_EV_KEY, VIN_BTN_LEFT, 1) && ev_is(&e[3], VIN_EV_SYN, 0, 0),
	   "ABS_X 16409, ABS_Y 16417, BTN_LEFT 1, SYN_REPORT (%u events)", n);
	virtio_input_tablet_event(VI, 10, 10, 640, 480, VIRTIO_INPUT_BTN_LEFT, 1);
	virtio_input_tablet_event(VI, 9999, 9999, 640, 480, VIRTIO_INPUT_BTN_LEFT, 1);
	run_loop();
	n = reap_events(e, 16);
	ok(n == 4 && ev_is(&e[0], VIN_EV_ABS, VIN_ABS_X, 32767) &&
	   ev_is(&e[1], VIN_EV_ABS, VIN_ABS_Y, 32767) &&
	   ev_is(&e[2], VIN_EV_REL, VIN_REL_WHEEL, (uint32_t)-2) &&
	   ev_is(&e[3], VIN_EV_SYN, 0, 0),
	   "two drags coalesce: the last (clamped) position, the wheel steps added, negated");
	is_int(counters().delivered, 2, "two groups delivered");
	is_int(counters().events, 8, "eight events written");
}

/* 8 of 16 buffers used: 8 left. A 4-event group fits twice; then 0 left and one drops. */
static void test_drop_whole(void)
{
	struct ev e[16];
	unsigned n;
	uint64_t dropped = counters().dropped;

	post_events(8);		/* back to 16 available */
	/* The driver holds LEFT: release it, then RIGHT down, up, down: one key each. */
	for (unsigned i = 0; i < 4; i++) {
		virtio_input_tablet_event(VI, i, 0, 640, 480, i & 1 ? VIRTIO_INPUT_BTN_RIGHT : 0,
					  0);
		run_loop();
	}
	n = reap_events(e, 16);
	is_int(n, 16, "four 4-event groups fill the 16 buffers");
	virtio_input_tablet_event(VI, 5, 5, 640, 480,
				  VIRTIO_INPUT_BTN_RIGHT | VIRTIO_INPUT_BTN_MIDDLE, 0);
	run_loop();
	ok(reap_events(e, 16) == 0 && counters().dropped == dropped + 1,
	   "with no buffers the group is dropped and counted, nothing half-written");
	post_events(3);
	virtio_input_tablet_event(VI, 6, 6, 640, 480,
				  VIRTIO_INPUT_BTN_RIGHT | VIRTIO_INPUT_BTN_MIDDLE, 0);
	run_loop();
	ok(reap_events(e, 16) == 0 && counters().dropped == dropped + 2,
	   "3 buffers for a 4-event group: dropped whole");
	post_events(1);
	virtio_input_tablet_event(VI, 6, 6, 640, 480,
				  VIRTIO_INPUT_BTN_RIGHT | VIRTIO_INPUT_BTN_MIDDLE, 0);
	run_loop();
	n = reap_events(e, 16);
	ok(n == 4 && ev_is(&e[2], VIN_EV_KEY, VIN_BTN_MIDDLE, 1),
	   "the dropped press is carried by the next group that fits (%u events)", n);
}

static void test_pending_full(void)
{
	struct ev e[16];
	int ret = 0;
	unsigned accepted = 0;

	/* Alternating buttons never coalesce; nothing runs the loop meanwhile. */
	for (unsigned i = 0; i < VIN_PENDING + 1 && !ret; i++) {
		ret = virtio_input_tablet_event(VI, i, i, 640, 480, i & 1, 0);
		accepted += !ret;
	}
	ok(accepted == VIN_PENDING && ret == -EAGAIN,
	   "the pending ring holds %u reports, then -EAGAIN", accepted);
	run_loop();
	reap_events(e, 16);
	is_int(virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0), 0,
	       "the loop drained it: accepted again");
	run_loop();
	reap_events(e, 16);
}

/* A driver shutting down turns bus mastering off: refused quietly, no guest error per move. */
static void test_no_master(void)
{
	uint64_t errs = gerrs();

	cfg_wr(D.devfn, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	ok(!virtio_input_driver_ready(VI) &&
	   virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0) == -EAGAIN && gerrs() == errs,
	   "bus mastering off: not ready, -EAGAIN, no guest error");
	cfg_wr(D.devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	ok(virtio_input_driver_ready(VI), "bus mastering on again: ready");
}

static void test_statusq(void)
{
	uint64_t errs = gerrs(), before = counters().status_bufs;

	memset(gptr(STBUF, 64), 0xa5, 64);
	post(&Q[1], STBUF, 8, 0, false);
	post(&Q[1], STBUF + 8, 3, 0, false);
	post(&Q[1], STBUF + 16, 8, VRING_DESC_F_WRITE, true);
	run_loop();
	ok(r16(Q[1].used + 2) == 3 && counters().status_bufs == before + 3,
	   "status queue: garbage and short buffers consumed and ignored");
	ok(gerrs() == errs + 1, "a device-writable status buffer is a guest error");
	ok(!(status(&D) & VIRTIO_CONFIG_S_NEEDS_RESET), "the device carries on");
}

static void expect_broken(const char *what)
{
	ok(status(&D) & VIRTIO_CONFIG_S_NEEDS_RESET, "%s: NEEDS_RESET", what);
	ok(!virtio_input_driver_ready(VI), "%s: not ready", what);
	is_int(virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0), -EAGAIN,
	       "%s: events refused, no crash", what);
}

static void test_hostile_buffers(void)
{
	uint64_t errs = gerrs();

	post(&Q[0], EVBUF, 8, 0, false);	/* device-readable, then plenty of good ones */
	post_events(7);
	virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0);
	run_loop();
	ok(gerrs() > errs, "a device-readable event buffer is a guest error");
	expect_broken("readable buffer");
	vin_init();
	errs = gerrs();
	post(&Q[0], EVBUF, 4, VRING_DESC_F_WRITE, false);
	post_events(3);
	virtio_input_tablet_event(VI, 1, 1, 640, 480, 0, 0);
	run_loop();
	ok(gerrs() > errs, "a 4-byte event buffer is a guest error");
	expect_broken("short buffer");
}

static void test_state(void)
{
	struct ev e[16];
	void *blob = NULL, *bad;
	size_t len = 0;

	vin_init();
	post_events(QS);
	virtio_input_tablet_event(VI, 0, 0, 640, 480, VIRTIO_INPUT_BTN_LEFT, 0);
	run_loop();
	reap_events(e, 16);
	cfg_sel(VIN_CFG_EV_BITS, VIN_EV_KEY);
	virtio_pci_pause(&VI->vdev);
	is_int(virtio_input_save(VI, &blob, &len), 0, "save");
	virtio_pci_resume(&VI->vdev);
	cfg_sel(VIN_CFG_ID_NAME, 0);
	bad = malloc(len);
	memcpy(bad, blob, len);
	((uint32_t *)bad)[0] = 99;
	is_int(virtio_input_load(VI, bad, len), -EINVAL, "an unknown version is refused");
	memcpy(bad, blob, len);
	((uint8_t *)bad)[10] = 0x80;	/* guest_buttons */
	is_int(virtio_input_load(VI, bad, len), -EINVAL, "buttons past bit 2 are refused");
	is_int(virtio_input_load(VI, blob, len - 1), -EINVAL, "a truncated blob is refused");
	is_int(virtio_input_load(VI, blob, 3), -EINVAL, "a 3-byte blob is refused");
	is_int(mmio_rd(D.bar + D.devcfg + VIN_CFG_SIZE, 1), 13, "failed loads changed nothing");
	virtio_pci_reset(&VI->vdev);
	virtio_pci_pause(&VI->vdev);
	is_int(virtio_input_load(VI, blob, len), 0, "the saved state loads into a reset device");
	virtio_pci_resume(&VI->vdev);
	ok(mmio_rd(D.bar + D.devcfg + VIN_CFG_SIZE, 1) == 35 && cfg_u8(34) == 7,
	   "select/subsel and their config bytes are back");
	ok(virtio_input_driver_ready(VI), "the driver is ready again (queues restored)");
	virtio_input_tablet_event(VI, 0, 0, 640, 480, 0, 0);
	run_loop();
	ok(reap_events(e, 16) == 4 && ev_is(&e[2], VIN_EV_KEY, VIN_BTN_LEFT, 0),
	   "after load the held button is released in the next group");
	free(bad);
	free(blob);
}

int main(void)
{
	struct virtio_host h;
	int ret = 0, devfn;

	harness_init();
	h = host();
	VI = virtio_input_new(H.bus, &h, PCI_DEVFN_AUTO, &ret);
	devfn = VI ? find_fn(0x1052, 0) : -1;
	ok(VI && devfn >= 0, "virtio-input created and found on the bus");
	if (devfn < 0)
		return tap_done();
	drv_probe(&D, (unsigned)devfn, BAR_BASE, 0x10000);
	test_pci_and_config();
	test_not_ready();
	test_groups();
	test_drop_whole();
	test_pending_full();
	test_no_master();
	test_statusq();
	test_hostile_buffers();
	test_state();
	virtio_input_free(VI);
	harness_exit();
	return tap_done();
}
