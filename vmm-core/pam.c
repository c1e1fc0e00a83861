// SPDX-License-Identifier: GPL-2.0-or-later
/* PAM shadowing: the i440FX's PAM registers applied to 0xC0000-0xFFFFF as KVM memory slots. */
#include "pam.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "chipset.h"
#include "firmware.h"
#include "vm-devices.h"
#include "vm.h"

/*
 * Remapping while vCPUs run. PAM writes arrive on a vCPU thread, inside a PCI config write
 * with the bus lock held, so pausing the other vCPUs here could deadlock (one of them may be
 * waiting for that lock) and is not needed:
 *   - KVM_SET_USER_MEMORY_REGION publishes the new memslots with SRCU and returns only once
 *     no vCPU can still use a deleted slot (its SPTEs are zapped), so when the config write
 *     returns to the guest every vCPU sees the new mapping — what a PAM write does on a PC.
 *   - Between deleting an old slot and creating its successor a vCPU touching that range
 *     exits to our MMIO handler, which performs the access per the mode now in force
 *     (RAM, ROM or nothing). Every access is correct, the gap only makes it slower.
 *   - An exit taken under the old mapping but handled after the change is done per the new
 *     mode: it is ordered after the PAM write, which a guest cannot tell from a PC's
 *     behaviour for an access racing the write on another CPU.
 * Lock order: PCI bus lock, then `lock`. The MMIO handler takes only `lock`; it never waits
 * in KVM (a vCPU in userspace holds no KVM SRCU read lock), so the ioctls cannot stall on it.
 */
struct pam_shadow {
	struct vm *vm;
	struct i440fx *host;		/* NULL: no host bridge, the area is plain RAM */
	pthread_mutex_t lock;
	uint8_t regs[I440FX_NPAM];
	enum pam_mode mode[I440FX_PAM_SEGMENTS];
	uint8_t *ram;			/* host address of guest 0xC0000 */
	const uint8_t *rom;		/* the BIOS ROM alias, at [rom_gpa, 1 MiB); or NULL */
	uint64_t rom_gpa;
	/* What KVM has in slot VM_SLOT_PAM_FIRST + i; size 0: the slot is empty. */
	struct pam_slot cur[VM_SLOT_PAM_COUNT];
};

/* The host memory behind one segment as KVM should map it; false: no slot (MMIO). */
static bool segment_backing(enum pam_mode m, uint64_t gpa, const uint8_t *ram,
			    const uint8_t *rom, uint64_t rom_gpa, struct pam_slot *s)
{
	if (pam_reads_ram(m)) {
		s->hva = ram + (gpa - PC_SHADOW_START);
		s->readonly = !pam_writes_ram(m);
		return true;
	}
	/* Reads go to PCI: the ROM if one is there (writes exit: dropped, or RAM when WE). */
	if (!rom || gpa < rom_gpa)
		return false;
	s->hva = rom + (gpa - rom_gpa);
	s->readonly = true;
	return true;
}

unsigned pam_layout(const enum pam_mode mode[I440FX_PAM_SEGMENTS], const uint8_t *ram,
		    const uint8_t *rom, uint64_t rom_gpa, struct pam_slot *out)
{
	unsigned n = 0;

	for (unsigned s = 0; s < I440FX_PAM_SEGMENTS; s++) {
		struct pam_slot seg;
		uint32_t gpa, size;

		i440fx_pam_segment(s, &gpa, &size);
		if (!segment_backing(mode[s], gpa, ram, rom, rom_gpa, &seg))
			continue;
		if (n && out[n - 1].gpa + out[n - 1].size == gpa &&
		    out[n - 1].hva + out[n - 1].size == seg.hva &&
		    out[n - 1].readonly == seg.readonly) {
			out[n - 1].size += size;
			continue;
		}
		seg.gpa = gpa;
		seg.size = size;
		out[n++] = seg;
	}
	return n;
}

/* Fill (s) or empty (NULL) slot i, keeping cur[] equal to what KVM has. */
static int pam_set_slot(struct pam_shadow *p, unsigned i, const struct pam_slot *s)
{
	struct kvm_userspace_memory_region r = {
		.slot = VM_SLOT_PAM_FIRST + i,
		.flags = s && s->readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = s ? s->gpa : p->cur[i].gpa,
		.memory_size = s ? s->size : 0,
		.userspace_addr = (uintptr_t)(s ? s->hva : p->cur[i].hva),
	};

	if (ioctl(p->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	if (s)
		p->cur[i] = *s;
	else
		p->cur[i].size = 0;
	return 0;
}

static bool slot_same(const struct pam_slot *a, const struct pam_slot *b)
{
	return a->gpa == b->gpa && a->size == b->size && a->hva == b->hva &&
	       a->readonly == b->readonly;
}

/*
 * Bring KVM's slots to the current modes. Only slots that change are touched; all the old
 * ones go before any new one comes (KVM refuses overlapping slots). Called with `lock` held.
 */
static void pam_apply(struct pam_shadow *p)
{
	struct pam_slot want[VM_SLOT_PAM_COUNT] = { 0 };
	int ret = 0;

	pam_layout(p->mode, p->ram, p->rom, p->rom_gpa, want);
	for (unsigned i = 0; i < VM_SLOT_PAM_COUNT && !ret; i++)
		if (p->cur[i].size && !slot_same(&p->cur[i], &want[i]))
			ret = pam_set_slot(p, i, NULL);
	for (unsigned i = 0; i < VM_SLOT_PAM_COUNT && !ret; i++)
		if (want[i].size && !p->cur[i].size)
			ret = pam_set_slot(p, i, &want[i]);
	/* The MMIO handler still does each access right where a slot is missing. */
	if (ret)
		vmm_warn("PAM: KVM refused a shadow RAM slot: %s", strerror(-ret));
}

static void pam_decode(struct pam_shadow *p)
{
	for (unsigned s = 0; s < I440FX_PAM_SEGMENTS; s++)
		p->mode[s] = p->host ? i440fx_pam_mode(p->regs, s) : PAM_RAM;
}

/* The i440FX reports a changed register (guest write, reset, snapshot load). */
static void pam_changed(void *opaque, unsigned pam_index, uint8_t value)
{
	struct pam_shadow *p = opaque;

	if (pam_index >= I440FX_NPAM)
		return;
	pthread_mutex_lock(&p->lock);
	p->regs[pam_index] = value;
	pam_decode(p);
	pam_apply(p);
	pthread_mutex_unlock(&p->lock);
}

static uint8_t shadow_read_byte(struct pam_shadow *p, uint64_t off)
{
	uint64_t gpa = PC_SHADOW_START + off;
	int s = i440fx_pam_segment_of(gpa);

	if (s < 0)
		return 0xff;
	if (pam_reads_ram(p->mode[s]))
		return p->ram[off];
	if (p->rom && gpa >= p->rom_gpa)
		return p->rom[gpa - p->rom_gpa];
	return 0xff;	/* PCI with nothing there: master abort, all-ones */
}

static void shadow_write_byte(struct pam_shadow *p, uint64_t off, uint8_t v)
{
	int s = i440fx_pam_segment_of(PC_SHADOW_START + off);

	/* Writes that go to PCI meet a ROM or nothing: dropped, as on a PC. */
	if (s >= 0 && pam_writes_ram(p->mode[s]))
		p->ram[off] = v;
}

/* Accesses KVM did not satisfy: writes to read-only slots, and wherever no slot is. */
static uint64_t shadow_read(void *opaque, uint64_t off, unsigned size)
{
	struct pam_shadow *p = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)shadow_read_byte(p, off + i) << (8 * i);
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void shadow_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct pam_shadow *p = opaque;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < size; i++)
		shadow_write_byte(p, off + i, (uint8_t)(val >> (8 * i)));
	pthread_mutex_unlock(&p->lock);
}

/* Any vCPU thread; byte loops, so an access may straddle segments of different modes. */
static const struct vmm_io_ops shadow_ops = {
	.name = "pam-shadow", .read = shadow_read, .write = shadow_write,
};

static struct i440fx *find_host_bridge(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i].ops == &chipset_device_ops)
			return chipset_i440fx(vm->devices[i].state);
	return NULL;
}

int vm_pam_init(struct vm *vm)
{
	struct pam_shadow *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->vm = vm;
	pthread_mutex_init(&p->lock, NULL);
	p->ram = vm_memory_ptr(&vm->mem, PC_SHADOW_START, PC_SHADOW_END - PC_SHADOW_START);
	if (vm->bios_alias && vm->bios_alias_len <= FIRMWARE_ALIAS_SIZE) {
		p->rom = vm->bios_alias;
		p->rom_gpa = PC_SHADOW_END - vm->bios_alias_len;
	}
	ret = p->ram ? vmm_bus_register(&vm->mmio, PC_SHADOW_START,
					PC_SHADOW_END - PC_SHADOW_START, &shadow_ops, p) : -EINVAL;
	if (ret) {
		vmm_warn("PAM: cannot take over 0xC0000-0xFFFFF: %s", strerror(-ret));
		pthread_mutex_destroy(&p->lock);
		free(p);
		return ret;
	}
	vm->pam = p;
	p->host = find_host_bridge(vm);
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; p->host && i < I440FX_NPAM; i++)
		p->regs[i] = i440fx_pam(p->host, i);
	pam_decode(p);
	pam_apply(p);
	pthread_mutex_unlock(&p->lock);
	if (p->host)
		i440fx_set_pam_callback(p->host, pam_changed, p);
	return 0;
}

void vm_pam_unlock(struct vm *vm)
{
	struct pam_shadow *p = vm->pam;

	if (!p || !p->host)
		return;
	for (unsigned i = 0; i < I440FX_NPAM; i++)
		i440fx_set_pam(p->host, i, i ? 0x33 : 0x30);
}

/* After the devices are gone (the chipset with its callback); KVM slots die with the VM. */
void vm_pam_destroy(struct vm *vm)
{
	struct pam_shadow *p = vm->pam;

	if (!p)
		return;
	vmm_bus_unregister(&vm->mmio, PC_SHADOW_START, p);
	pthread_mutex_destroy(&p->lock);
	free(p);
	vm->pam = NULL;
}
