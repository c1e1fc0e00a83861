// SPDX-License-Identifier: GPL-2.0-or-later
/* The PC chipset device: PCI bus 0 with the i440FX, PIIX3 and PIIX4 PM functions. */
#include "chipset.h"

#include <errno.h>
#include <stdlib.h>

#include "vm.h"

struct chipset {
	struct vm *vm;
	struct pci_bus *bus;
	struct i440fx host;
	struct piix3 isa;
	struct piix4_pm pm;
	bool host_up, isa_up, pm_up;
};

static void chipset_power_off(void *opaque)
{
	vm_request(opaque, VM_REQ_POWEROFF, 0);
}

static void chipset_destroy(void *state)
{
	struct chipset *c = state;

	if (!c)
		return;
	if (c->vm && c->vm->pci == c->bus) {
		c->vm->power_button = NULL;
		c->vm->pci = NULL;
	}
	if (c->pm_up)
		piix4_pm_exit(&c->pm);
	if (c->isa_up)
		piix3_exit(&c->isa);
	if (c->host_up)
		i440fx_exit(&c->host);
	pci_bus_free(c->bus);
	free(c);
}

static int chipset_build(struct chipset *c, struct vm *vm)
{
	const struct piix4_pm_config pm_cfg = {
		.pio = &vm->pio,
		.loop = vm->loop,
		.power_off = chipset_power_off,
		.opaque = vm,
	};
	int ret;

	c->bus = pci_bus_new_for_vm(vm);
	if (!c->bus)
		return -EEXIST;		/* 0xCF8-0xCFF claimed by someone else, or no memory */
	ret = i440fx_init(&c->host, c->bus);
	c->host_up = !ret;
	if (!ret)
		ret = piix3_init(&c->isa, c->bus, &vm->pio);
	c->isa_up = c->host_up && !ret;
	if (!ret)
		ret = piix4_pm_init(&c->pm, c->bus, PIIX4_PM_DEVFN, &pm_cfg);
	c->pm_up = c->isa_up && !ret;
	return ret;
}

static void chipset_power_button(void *opaque)
{
	struct chipset *c = opaque;

	piix4_pm_power_button(&c->pm);
}

static int chipset_create(struct vm *vm, void **state)
{
	struct chipset *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->vm = vm;
	ret = chipset_build(c, vm);
	if (ret) {
		chipset_destroy(c);
		return ret;
	}
	vm->pci = c->bus;
	vm->power_button = chipset_power_button;
	vm->power_button_opaque = c;
	*state = c;
	return 0;
}

static void chipset_reset(void *state)
{
	struct chipset *c = state;

	pci_bus_reset(c->bus);
}

static int chipset_pause(void *state)
{
	struct chipset *c = state;

	piix4_pm_pause(&c->pm);
	return 0;
}

static int chipset_resume(void *state)
{
	struct chipset *c = state;

	piix4_pm_resume(&c->pm);
	return 0;
}

struct pci_bus *chipset_pci_bus(void *state)
{
	return state ? ((struct chipset *)state)->bus : NULL;
}

struct i440fx *chipset_i440fx(void *state)
{
	return state ? &((struct chipset *)state)->host : NULL;
}

struct piix4_pm *chipset_pm(void *state)
{
	return state ? &((struct chipset *)state)->pm : NULL;
}

const struct vmm_device_ops chipset_device_ops = {
	.name = "chipset",
	.create = chipset_create,
	.reset = chipset_reset,
	.pause = chipset_pause,
	.resume = chipset_resume,
	.destroy = chipset_destroy,
};
