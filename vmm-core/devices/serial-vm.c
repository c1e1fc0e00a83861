// SPDX-License-Identifier: GPL-2.0-or-later
/* COM1 on the VM: a 16550A at 0x3F8-0x3FF on IRQ 4, with the backend vm->cfg asks for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "serial.h"
#include "serial-backend.h"
#include "vm.h"

struct serial_vm {
	struct vm *vm;
	struct serial *uart;
};

static enum serial_backend_kind serial_vm_backend_kind(enum vm_serial_kind kind)
{
	switch (kind) {
	case VM_SERIAL_STDIO:
		return SERIAL_BACKEND_STDIO;
	case VM_SERIAL_FILE:
		return SERIAL_BACKEND_FILE;
	case VM_SERIAL_UNIX:
		return SERIAL_BACKEND_UNIX;
	case VM_SERIAL_NONE:
		break;
	}
	return SERIAL_BACKEND_NONE;
}

/* Even with no backend the UART exists: firmware and guests probe 0x3F8 and expect it. */
static int serial_vm_create(struct vm *vm, void **state)
{
	struct serial_backend_config bc = {
		.kind = serial_vm_backend_kind(vm->cfg.serial),
		.path = vm->cfg.serial_path,
		.loop = vm->loop,
	};
	struct serial_config sc = { .glog = &vm->glog, .loop = vm->loop };
	struct serial_vm *sv = calloc(1, sizeof(*sv));
	int err;

	if (!sv)
		return -ENOMEM;
	err = serial_backend_open(&bc, &sc.backend);
	if (err)
		goto out_free;
	sc.irq = vm_irq_line(vm, SERIAL_COM1_IRQ);
	sv->uart = serial_new(&sc);
	if (!sv->uart) {
		serial_backend_close(sc.backend);
		err = -ENOMEM;
		goto out_free;
	}
	err = vmm_bus_register(&vm->pio, SERIAL_COM1_BASE, SERIAL_NPORTS, &serial_io_ops,
			       sv->uart);
	if (err) {
		vmm_warn("serial: cannot claim ports %#x-%#x: %s", SERIAL_COM1_BASE,
			 SERIAL_COM1_BASE + SERIAL_NPORTS - 1, strerror(-err));
		goto out_uart;
	}
	sv->vm = vm;
	vm->com1 = sv->uart;
	*state = sv;
	return 0;
out_uart:
	serial_free(sv->uart);
out_free:
	free(sv);
	return err;
}

static void serial_vm_reset(void *state)
{
	struct serial_vm *sv = state;

	serial_reset(sv->uart);
}

static int serial_vm_pause(void *state)
{
	struct serial_vm *sv = state;

	serial_pause(sv->uart);
	return 0;
}

static int serial_vm_resume(void *state)
{
	struct serial_vm *sv = state;

	serial_resume(sv->uart);
	return 0;
}

static int serial_vm_save(void *state, void **blob, size_t *len)
{
	struct serial_vm *sv = state;

	return serial_save(sv->uart, blob, len);
}

static int serial_vm_load(void *state, const void *blob, size_t len)
{
	struct serial_vm *sv = state;

	return serial_load(sv->uart, blob, len);
}

static void serial_vm_destroy(void *state)
{
	struct serial_vm *sv = state;

	vmm_bus_unregister(&sv->vm->pio, SERIAL_COM1_BASE, sv->uart);
	if (sv->vm->com1 == sv->uart)
		sv->vm->com1 = NULL;
	serial_free(sv->uart);
	free(sv);
}

const struct vmm_device_ops serial_device_ops = {
	.name = "serial",
	.create = serial_vm_create,
	.reset = serial_vm_reset,
	.pause = serial_vm_pause,
	.resume = serial_vm_resume,
	.save = serial_vm_save,
	.load = serial_vm_load,
	.destroy = serial_vm_destroy,
};
