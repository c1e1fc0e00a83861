// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: a hostile virtio-input driver (chains, config writes), reports and state. */
#include "virtio-test-driver.h"
#include "virtio/virtio-input-private.h"

/*
 * The input is a program for the unit tests' mini driver (virtio-test-driver.h), as in
 * fuzz-virtio-balloon.c: a feature byte, then operations until the bytes run out. Chains
 * with any address, length and flags on the event and status queues, config writes of any
 * size at any offset, pointer reports with any coordinates and screen sizes, state blobs.
 * The device must only ever answer with guest errors and refusals.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QS	16
#define RINGS	0x100000ull
#define BUFS	0x800000ull

static struct virtio_input *VI;
static struct drv D;
static uint16_t avail_idx[2], next_desc[2];

#include "fuzz-virtio-rig.h"

static void driver_init(uint8_t fbits)
{
	uint64_t f = 1ull << VIRTIO_F_VERSION_1;

	if (fbits & 1)
		f |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (fbits & 2)
		f |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	negotiate(f);
	for (unsigned q = 0; q < 2; q++)
		setup_queue(q);
	if (!(fbits & 4))	/* sometimes no DRIVER_OK at all */
		cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

/* A chain of 1-4 segments on either queue, made available and notified. */
static void op_chain(struct input *in)
{
	unsigned q = take(in, 1) & 1, n = (take(in, 1) & 3) + 1;
	uint64_t base = RINGS + q * 0x10000ull;
	uint16_t head = next_desc[q];
	uint32_t fill = take(in, 1) & 0x3f;

	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = take(in, 1) & 1 ? BUFS + (take(in, 2) & 0xfff) : take(in, 4);
		uint32_t len = take(in, 2);
		uint16_t flags = (uint16_t)(take(in, 1) & (VRING_DESC_F_WRITE |
							   VRING_DESC_F_INDIRECT));
		unsigned idx = (head + i) % QS;

		put_desc(base, idx, gpa, len, flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			 (uint16_t)((idx + 1) % QS));
	}
	for (uint32_t i = 0; i < fill && in->left; i++)
		*(uint8_t *)gptr(BUFS + i, 1) = (uint8_t)take(in, 1);
	next_desc[q] = (uint16_t)((head + n) % QS);
	g16(base + 0x1000 + 4 + 2u * (avail_idx[q] % QS), head);
	avail_idx[q]++;
	g16(base + 0x1000 + 2, avail_idx[q]);
	if (take(in, 1) & 1)
		mmio_wr(D.bar + D.notify + q * D.mult, q, 2);
	run_loop();
}

static void op_report(struct input *in)
{
	uint32_t x = take(in, 4), y = take(in, 4), w = take(in, 4), h = take(in, 4);
	uint32_t buttons = take(in, 1);
	int dz = (int)take(in, 4);

	virtio_input_tablet_event(VI, x, y, w, h, buttons, dz);
	if (take(in, 1) & 1)
		run_loop();
}

static void op_state(struct input *in)
{
	size_t len = take(in, 2) % (in->left + 1);
	void *blob = NULL;
	size_t blen = 0;

	virtio_input_load(VI, in->p, len);
	in->p += len;
	in->left -= len;
	if (virtio_input_save(VI, &blob, &blen) == 0 && virtio_input_load(VI, blob, blen))
		abort();	/* our own blob must always load back */
	free(blob);
}

static void run_op(struct input *in)
{
	switch (take(in, 1) % 6) {
	case 0:
		op_chain(in);
		break;
	case 1:
		mmio_wr(D.bar + D.devcfg + (take(in, 1) % (VIN_CONFIG_LEN + 8)), take(in, 4),
			1u << (take(in, 1) & 2));
		break;
	case 2:
		mmio_rd(D.bar + D.devcfg + (take(in, 1) % (VIN_CONFIG_LEN + 8)),
			1u << (take(in, 1) & 3));
		break;
	case 3:
		op_report(in);
		break;
	case 4:
		op_state(in);
		break;
	default:
		driver_init((uint8_t)take(in, 1));
	}
}

static void harness_done(void)
{
	virtio_input_free(VI);
	harness_exit();
}

static void harness_once(void)
{
	struct virtio_host h;
	int err = 0;

	harness_init();
	h = host();
	VI = virtio_input_new(H.bus, &h, PCI_DEVFN_AUTO, &err);
	if (!VI)
		abort();
	drv_probe(&D, (unsigned)find_fn(0x1052, 0), BAR_BASE, RINGS);
	atexit(harness_done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned ops = 0;

	if (!VI)
		harness_once();
	driver_init((uint8_t)take(&in, 1));
	while (in.left && ops++ < 64)
		run_op(&in);
	return 0;
}
