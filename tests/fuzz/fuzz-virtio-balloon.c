// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: a hostile virtio-balloon driver (chains, config writes) and state blobs. */
#include "virtio-test-driver.h"
#include "virtio/virtio-balloon.h"

/*
 * The input is a program for the unit tests' mini driver (virtio-test-driver.h): a feature
 * byte, then operations until the bytes run out. Every address, length and PFN comes from
 * the input, so chains point into rings, MMIO, holes and past RAM; the device must only ever
 * answer with guest errors. The harness (64 MiB of memfd RAM, buses, PCI) is built once.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QS	16
#define RINGS	0x100000ull
#define BUFS	0x800000ull

static struct virtio_balloon *B;
static struct drv D;
static uint16_t avail_idx[4], next_desc[4];

#include "fuzz-virtio-rig.h"

static void driver_init(uint8_t fbits)
{
	static const unsigned bits[] = {
		VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
		VIRTIO_BALLOON_F_PAGE_POISON, VIRTIO_BALLOON_F_REPORTING,
		VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC,
	};
	uint64_t f = 1ull << VIRTIO_F_VERSION_1;

	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (fbits >> i & 1)
			f |= 1ull << bits[i];
	negotiate(f);
	for (unsigned q = 0; q < 4; q++)
		setup_queue(q);
	cm_wr(&D, VIRTIO_PCI_COMMON_STATUS, status(&D) | VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

/* A chain of 1-4 segments; the bytes after it fill the buffer area (PFNs, stats). */
static void op_chain(struct input *in)
{
	unsigned q = take(in, 1) & 3, n = (take(in, 1) & 3) + 1;
	uint64_t base = RINGS + q * 0x10000ull;
	uint16_t head = next_desc[q];
	uint32_t fill = take(in, 2) & 0xfff;

	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = take(in, 4);
		uint32_t len = take(in, 3);
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
	mmio_wr(D.bar + D.notify + q * D.mult, q, 2);
	run_loop();
}

static void op_state(struct input *in)
{
	size_t len = take(in, 2) % (in->left + 1);
	void *blob = NULL;
	size_t blen = 0;

	virtio_balloon_load(B, in->p, len);
	in->p += len;
	in->left -= len;
	if (virtio_balloon_save(B, &blob, &blen) == 0 && virtio_balloon_load(B, blob, blen))
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
		mmio_wr(D.bar + D.devcfg + (take(in, 1) & 0x1f), take(in, 4), 1u << (take(in, 1) & 2));
		run_loop();
		break;
	case 2:
		virtio_balloon_set_target(B, (uint64_t)take(in, 3) * 4096);
		break;
	case 3:
		virtio_balloon_set_stats_interval(B, take(in, 1) & 7);
		vmm_loop_advance(H.loop, (uint64_t)(take(in, 1) & 15) * 1000000000ull);
		run_loop();
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
	virtio_balloon_free(B);
	harness_exit();
}

static void harness_once(void)
{
	struct virtio_balloon_opts o = { .devfn = PCI_DEVFN_AUTO };
	struct virtio_host h;
	int err = 0;

	harness_init();
	h = host();
	B = virtio_balloon_new(H.bus, &h, &o, &err);
	if (!B)
		abort();
	drv_probe(&D, (unsigned)find_fn(0x1045, 0), BAR_BASE, RINGS);
	atexit(harness_done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned ops = 0;

	if (!B)
		harness_once();
	driver_init((uint8_t)take(&in, 1));
	while (in.left && ops++ < 64)
		run_op(&in);
	return 0;
}
