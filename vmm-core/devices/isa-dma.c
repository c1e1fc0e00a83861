// SPDX-License-Identifier: GPL-2.0-or-later
/* The 8237 DMA controllers and page registers, present but idle, and the POST code port 0x80. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "dev-state.h"
#include "device.h"
#include "vm.h"

/*
 * No device of ours uses ISA DMA (no floppy, no SoundBlaster), but firmware programs both
 * 8237s during POST (Intel 8237A datasheet; PC/AT: DMA1 at 0x00-0x0F, DMA2 at 0xC0-0xDF with
 * word-spaced registers, page registers 0x81-0x8F). Registers keep what is written so a
 * read-back works; port 0x80 (unused page register) is the POST diagnostic port, whose last
 * value is kept for host-side debugging.
 */
struct isa_dma {
	pthread_mutex_t lock;
	uint8_t dma1[16], dma2[32], page[16];
};

static uint8_t *isa_dma_reg(struct isa_dma *d, uint64_t port)
{
	if (port < 0x10)
		return &d->dma1[port];
	if (port >= 0x80 && port < 0x90)
		return &d->page[port - 0x80];
	return &d->dma2[(port - 0xc0) & 0x1f];
}

static uint64_t isa_dma_read(void *opaque, uint64_t off, unsigned size)
{
	struct isa_dma *d = opaque;
	uint8_t v;

	pthread_mutex_lock(&d->lock);
	v = *isa_dma_reg(d, off);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static void isa_dma_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct isa_dma *d = opaque;

	pthread_mutex_lock(&d->lock);
	*isa_dma_reg(d, off) = (uint8_t)val;
	pthread_mutex_unlock(&d->lock);
}

/* Offsets are absolute ports: each range registers with its own base subtracted back. */
static uint64_t dma1_read(void *o, uint64_t off, unsigned size) { return isa_dma_read(o, off, size); }
static void dma1_write(void *o, uint64_t off, uint64_t v, unsigned size) { isa_dma_write(o, off, v, size); }
static uint64_t page_read(void *o, uint64_t off, unsigned size) { return isa_dma_read(o, 0x80 + off, size); }
static void page_write(void *o, uint64_t off, uint64_t v, unsigned size) { isa_dma_write(o, 0x80 + off, v, size); }
static uint64_t dma2_read(void *o, uint64_t off, unsigned size) { return isa_dma_read(o, 0xc0 + off, size); }
static void dma2_write(void *o, uint64_t off, uint64_t v, unsigned size) { isa_dma_write(o, 0xc0 + off, v, size); }

static const struct vmm_io_ops dma1_ops = {
	.name = "dma1", .read = dma1_read, .write = dma1_write, .min_size = 1, .max_size = 1,
};
static const struct vmm_io_ops page_ops = {
	.name = "dma-page", .read = page_read, .write = page_write, .min_size = 1, .max_size = 1,
};
static const struct vmm_io_ops dma2_ops = {
	.name = "dma2", .read = dma2_read, .write = dma2_write, .min_size = 1, .max_size = 1,
};

static int isa_dma_create(struct vm *vm, void **state)
{
	struct isa_dma *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	ret = vmm_bus_register(&vm->pio, 0x00, 0x10, &dma1_ops, d);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, 0x80, 0x10, &page_ops, d);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, 0xc0, 0x20, &dma2_ops, d);
	if (ret) {
		free(d);
		return ret;
	}
	*state = d;
	return 0;
}

static void isa_dma_reset(void *state)
{
	struct isa_dma *d = state;

	pthread_mutex_lock(&d->lock);
	memset(d->dma1, 0, sizeof(d->dma1));
	memset(d->dma2, 0, sizeof(d->dma2));
	memset(d->page, 0, sizeof(d->page));
	pthread_mutex_unlock(&d->lock);
}

/* Saved state: every register byte as last written; any value is one a guest can write. */
struct isa_dma_state {
	uint32_t version;
	uint8_t dma1[16], dma2[32], page[16];
};

#define ISA_DMA_STATE_VERSION 1
_Static_assert(sizeof(struct isa_dma_state) == 68, "no padding in the saved state");

static int isa_dma_save(void *state, void **blob, size_t *len)
{
	struct isa_dma *d = state;
	struct isa_dma_state st;

	memset(&st, 0, sizeof(st));
	st.version = ISA_DMA_STATE_VERSION;
	pthread_mutex_lock(&d->lock);
	memcpy(st.dma1, d->dma1, sizeof(st.dma1));
	memcpy(st.dma2, d->dma2, sizeof(st.dma2));
	memcpy(st.page, d->page, sizeof(st.page));
	pthread_mutex_unlock(&d->lock);
	return dev_state_emit(&st, sizeof(st), blob, len);
}

static int isa_dma_load(void *state, const void *blob, size_t len)
{
	struct isa_dma *d = state;
	struct isa_dma_state st;
	int ret = dev_state_open("isa-dma", blob, len, &st, sizeof(st), false,
				 ISA_DMA_STATE_VERSION);

	if (ret)
		return ret;
	pthread_mutex_lock(&d->lock);
	memcpy(d->dma1, st.dma1, sizeof(d->dma1));
	memcpy(d->dma2, st.dma2, sizeof(d->dma2));
	memcpy(d->page, st.page, sizeof(d->page));
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void isa_dma_destroy(void *state)
{
	struct isa_dma *d = state;

	pthread_mutex_destroy(&d->lock);
	free(d);
}

const struct vmm_device_ops isa_dma_device_ops = {
	.name = "isa-dma",
	.create = isa_dma_create,
	.reset = isa_dma_reset,
	.save = isa_dma_save,
	.load = isa_dma_load,
	.destroy = isa_dma_destroy,
};
