// SPDX-License-Identifier: GPL-2.0-or-later
/* System control ports: fast reset (0x92), reset control (0xCF9), debug port, test exit. */
#include "sysctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev-state.h"
#include "device.h"
#include "vm.h"

struct sysctl *sysctl_new(const struct sysctl_config *cfg)
{
	struct sysctl *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->cfg = *cfg;
	sysctl_reset(s);
	return s;
}

void sysctl_free(struct sysctl *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sysctl_reset(struct sysctl *s)
{
	pthread_mutex_lock(&s->lock);
	s->port92 = 0x02;	/* A20 enabled; this machine never masks A20 */
	s->rst_cnt = 0;
	pthread_mutex_unlock(&s->lock);
}

static void sysctl_emit(struct sysctl *s, enum sysctl_event ev, int status)
{
	if (s->cfg.event)
		s->cfg.event(s->cfg.opaque, ev, status);
}

/*
 * Port 0x92, "System Control Port A" (IBM PS/2 convention): bit 0 is the fast reset, acting
 * on a 0→1 transition; bit 1 is A20. The PC has A20 always on here, so bit 1 reads as set.
 */
static uint64_t port92_read(void *opaque, uint64_t off, unsigned size)
{
	struct sysctl *s = opaque;
	uint8_t v;

	pthread_mutex_lock(&s->lock);
	v = s->port92;
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void port92_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct sysctl *s = opaque;
	bool reset;

	pthread_mutex_lock(&s->lock);
	reset = (val & 1) && !(s->port92 & 1);
	s->port92 = (uint8_t)(val | 0x02);	/* bit 0 stays set until the reset clears it */
	pthread_mutex_unlock(&s->lock);
	if (reset)
		sysctl_emit(s, SYSCTL_EV_RESET, 0);
}

/*
 * Reset Control Register 0xCF9 (Intel PIIX4/ICH datasheets, "RST_CNT"): bit 1 selects hard
 * reset, bit 2 (RST_CPU) triggers on a 0→1 transition. Both soft and hard reset restart the
 * machine here.
 */
static uint64_t rst_cnt_read(void *opaque, uint64_t off, unsigned size)
{
	struct sysctl *s = opaque;
	uint8_t v;

	pthread_mutex_lock(&s->lock);
	v = s->rst_cnt;
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void rst_cnt_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct sysctl *s = opaque;
	bool reset;

	pthread_mutex_lock(&s->lock);
	reset = (val & 0x04) && !(s->rst_cnt & 0x04);
	s->rst_cnt = (uint8_t)(val & 0x0a);	/* RST_CPU is self-clearing */
	pthread_mutex_unlock(&s->lock);
	if (reset)
		sysctl_emit(s, SYSCTL_EV_RESET, 0);
}

/*
 * SeaBIOS and SeaVGABIOS read the port once and send their log there only if it answers
 * 0xE9 (SeaBIOS src/hw/serialio.c, qemu_debug_preinit). Nobody reading the log: answer
 * like an empty port, so the firmware skips its ~4,000 port writes, each a VM exit.
 */
static uint64_t debug_read(void *opaque, uint64_t off, unsigned size)
{
	struct sysctl *s = opaque;

	return s->cfg.debug_out ? SYSCTL_DEBUG_MAGIC : 0xff;
}

static void debug_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct sysctl *s = opaque;

	if (!s->cfg.debug_out)
		return;
	pthread_mutex_lock(&s->lock);
	fputc((int)(val & 0xff), s->cfg.debug_out);
	if ((val & 0xff) == '\n')
		fflush(s->cfg.debug_out);
	pthread_mutex_unlock(&s->lock);
}

/* Test exit: a guest of the test kit ends the VM with a status it chooses (0..63). */
static void test_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct sysctl *s = opaque;
	int status = (int)(val & 0x3f);

	if (val > 63 && s->cfg.log)
		vmm_guest_error(s->cfg.log, "test-exit value %llu out of range 0..63; using %d",
				(unsigned long long)val, status);
	sysctl_emit(s, SYSCTL_EV_TEST_EXIT, status);
}

static uint64_t test_exit_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

const struct vmm_io_ops sysctl_port92_ops = {
	.name = "port92", .read = port92_read, .write = port92_write, .min_size = 1, .max_size = 1,
};
const struct vmm_io_ops sysctl_rst_cnt_ops = {
	.name = "rst_cnt", .read = rst_cnt_read, .write = rst_cnt_write,
	.min_size = 1, .max_size = 1,
};
const struct vmm_io_ops sysctl_debug_ops = {
	.name = "debugcon", .read = debug_read, .write = debug_write, .min_size = 1, .max_size = 1,
};
const struct vmm_io_ops sysctl_test_exit_ops = {
	.name = "test-exit", .read = test_exit_read, .write = test_exit_write,
	.min_size = 1, .max_size = 4,
};

/* Saved state (issue 9): the two latches a guest can read back. */
struct sysctl_state {
	uint32_t version;
	uint8_t port92;
	uint8_t rst_cnt;
	uint8_t pad[2];
};

#define SYSCTL_STATE_VERSION 1
_Static_assert(sizeof(struct sysctl_state) == 8, "no padding in the saved state");

int sysctl_save(struct sysctl *s, void **blob, size_t *len)
{
	struct sysctl_state st;

	memset(&st, 0, sizeof(st));
	st.version = SYSCTL_STATE_VERSION;
	pthread_mutex_lock(&s->lock);
	st.port92 = s->port92;
	st.rst_cnt = s->rst_cnt;
	pthread_mutex_unlock(&s->lock);
	return dev_state_emit(&st, sizeof(st), blob, len);
}

int sysctl_load(struct sysctl *s, const void *blob, size_t len)
{
	struct sysctl_state st;
	int ret = dev_state_open("sysctl", blob, len, &st, sizeof(st), false,
				 SYSCTL_STATE_VERSION);

	if (ret)
		return ret;
	/* A20 is always on (bit 1); RST_CNT keeps only its hard-reset and CPU-reset bits. */
	if (!(st.port92 & 0x02))
		return dev_state_bad("sysctl", "port92", "has A20 off");
	if (st.rst_cnt & ~0x0a)
		return dev_state_bad("sysctl", "rst_cnt", "has bits a write never leaves");
	pthread_mutex_lock(&s->lock);
	s->port92 = st.port92;
	s->rst_cnt = st.rst_cnt;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* VM wiring. */
static void sysctl_vm_event(void *opaque, enum sysctl_event ev, int status)
{
	struct vm *vm = opaque;

	if (ev == SYSCTL_EV_RESET)
		vm_request(vm, VM_REQ_RESET, 0);
	else
		vm_request(vm, VM_REQ_POWEROFF, status);
}

static int sysctl_create(struct vm *vm, void **state)
{
	struct sysctl_config cfg = {
		.event = sysctl_vm_event,
		.opaque = vm,
		.debug_out = vm->cfg.debug_log,
		.log = &vm->glog,
	};
	struct sysctl *s = sysctl_new(&cfg);
	int ret;

	if (!s)
		return -ENOMEM;
	ret = vmm_bus_register(&vm->pio, SYSCTL_PORT92, 1, &sysctl_port92_ops, s);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, SYSCTL_RST_CNT, 1, &sysctl_rst_cnt_ops, s);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, SYSCTL_DEBUG_PORT, 1, &sysctl_debug_ops, s);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, SYSCTL_TEST_EXIT_PORT, 4, &sysctl_test_exit_ops, s);
	if (ret) {
		sysctl_free(s);
		return ret;
	}
	*state = s;
	return 0;
}

static void sysctl_dev_reset(void *state)
{
	sysctl_reset(state);
}

static int sysctl_dev_save(void *state, void **blob, size_t *len)
{
	return sysctl_save(state, blob, len);
}

static int sysctl_dev_load(void *state, const void *blob, size_t len)
{
	return sysctl_load(state, blob, len);
}

static void sysctl_destroy(void *state)
{
	sysctl_free(state);
}

const struct vmm_device_ops sysctl_device_ops = {
	.name = "sysctl",
	.create = sysctl_create,
	.reset = sysctl_dev_reset,
	.save = sysctl_dev_save,
	.load = sysctl_dev_load,
	.destroy = sysctl_destroy,
};
