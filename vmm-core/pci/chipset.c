// SPDX-License-Identifier: GPL-2.0-or-later
/* The PC chipset device: PCI bus 0 with the i440FX, PIIX3 and PIIX4 PM functions. */
#include "chipset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev-state.h"

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

/*
 * Saved state: the ELCR and the PM registers, then the whole PCI bus 0 (every function's
 * config space, INTx, MSI-X; pci-state.c) as a tail. PAM shadowing, PIRQ routing and the
 * PMBASE decoder live in config space and are rebuilt by the bus load; IDE, AHCI, virtio
 * and VGA functions keep their device-specific state in their own blobs, loaded later.
 */
struct chipset_state {
	uint32_t version;
	uint16_t elcr;
	uint16_t reserved;
	struct piix4_pm_state pm;
	uint32_t bus_len;
	uint32_t reserved2;
};

_Static_assert(sizeof(struct chipset_state) == 16 + sizeof(struct piix4_pm_state),
	       "no padding in the saved state");

#define CHIPSET_STATE_VERSION	1

int chipset_state_save(struct pci_bus *bus, struct piix3 *isa, struct piix4_pm *pm,
		       void **blob, size_t *len)
{
	struct chipset_state st;
	void *bus_blob;
	size_t bus_len;
	uint8_t *buf;
	int ret = pci_bus_save(bus, &bus_blob, &bus_len);

	if (ret)
		return ret;
	memset(&st, 0, sizeof(st));
	st.version = CHIPSET_STATE_VERSION;
	st.elcr = piix3_elcr(isa);
	piix4_pm_save(pm, &st.pm);
	st.bus_len = (uint32_t)bus_len;
	buf = malloc(sizeof(st) + bus_len);
	if (!buf) {
		free(bus_blob);
		return -ENOMEM;
	}
	memcpy(buf, &st, sizeof(st));
	memcpy(buf + sizeof(st), bus_blob, bus_len);
	free(bus_blob);
	*blob = buf;
	*len = sizeof(st) + bus_len;
	return 0;
}

/* The PM registers and ELCR are checked first; the bus load checks its part, then commits. */
int chipset_state_load(struct pci_bus *bus, struct piix3 *isa, struct piix4_pm *pm,
		       const void *blob, size_t len)
{
	struct chipset_state st;
	int ret = dev_state_open("chipset", blob, len, &st, sizeof(st), true,
				 CHIPSET_STATE_VERSION);

	if (ret)
		return ret;
	if (st.bus_len != len - sizeof(st))
		return dev_state_bad("chipset", "bus_len", "does not match the blob");
	if (!piix3_elcr_ok(st.elcr))
		return dev_state_bad("chipset", "elcr", "makes an edge-only IRQ level-triggered");
	if (st.reserved || st.reserved2)
		return dev_state_bad("chipset", "reserved fields", "are not zero");
	if (!piix4_pm_state_check(&st.pm))
		return -EINVAL;
	ret = pci_bus_load(bus, "chipset", (const uint8_t *)blob + sizeof(st), st.bus_len);
	if (ret)
		return ret;
	piix3_set_elcr(isa, st.elcr);
	piix4_pm_restore(pm, &st.pm);
	return 0;
}

static int chipset_save(void *state, void **blob, size_t *len)
{
	struct chipset *c = state;

	return chipset_state_save(c->bus, &c->isa, &c->pm, blob, len);
}

static int chipset_load(void *state, const void *blob, size_t len)
{
	struct chipset *c = state;

	return chipset_state_load(c->bus, &c->isa, &c->pm, blob, len);
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
	.save = chipset_save,
	.load = chipset_load,
	.destroy = chipset_destroy,
};
