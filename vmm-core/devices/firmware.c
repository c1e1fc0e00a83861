// SPDX-License-Identifier: GPL-2.0-or-later
/* Firmware: the BIOS image as ROM below 4 GiB (its legacy alias for PAM), and fw_cfg for it. */
#include "firmware.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "acpi.h"
#include "device.h"
#include "fw_cfg.h"
#include "memory.h"
#include "smbios.h"
#include "vm.h"

struct firmware {
	struct vm *vm;
	uint8_t *rom;		/* pristine image, mapped read-only into the guest at 4G - len */
	size_t len;
	struct fw_cfg *fc;
};

int firmware_read(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "firmware %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 65536 ||
	    st.st_size > FIRMWARE_MAX_SIZE || (st.st_size & 0xffff)) {
		snprintf(err, errlen, "firmware %s: not a BIOS image (expected a regular file of "
			 "64 KiB to 16 MiB in whole 64 KiB units)", path);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		snprintf(err, errlen, "firmware %s: cannot read it", path);
		free(buf);
		close(fd);
		return -EIO;
	}
	close(fd);
	*data = buf;
	*len = (size_t)st.st_size;
	return 0;
}

unsigned firmware_e820(const struct vm_memory *mem, struct e820_entry *out, unsigned max)
{
	struct e820_entry all[3] = {
		{ 0, mem->below_4g, E820_RAM },
		{ PC_IDENTITY_MAP_ADDR, PC_KVM_RESERVED_SIZE, E820_RESERVED },
		{ PC_4G, mem->above_4g, E820_RAM },
	};
	unsigned n = mem->above_4g ? 3 : 2;

	for (unsigned i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return n;
}

/*
 * The last 128 KiB of the image are what a PC decodes at 0xE0000-0xFFFFF while PAM sends
 * reads to PCI (platform notes §1): pam.c maps them there as ROM, and SeaBIOS copies them
 * into shadow RAM itself before it makes that RAM readable (its make_bios_writable).
 */
static void firmware_set_alias(struct firmware *fw)
{
	size_t n = fw->len < FIRMWARE_ALIAS_SIZE ? fw->len : FIRMWARE_ALIAS_SIZE;

	fw->vm->bios_alias = fw->rom + fw->len - n;
	fw->vm->bios_alias_len = n;
}

static int firmware_map(struct firmware *fw)
{
	struct kvm_userspace_memory_region r = {
		.slot = VM_SLOT_FIRMWARE,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = PC_4G - fw->len,
		.memory_size = fw->len,
		.userspace_addr = (uintptr_t)fw->rom,
	};

	return ioctl(fw->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* Writes to the ROM exit to us (the slot is read-only): they are dropped. */
static uint64_t rom_read(void *opaque, uint64_t off, unsigned size)
{
	struct firmware *fw = opaque;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && off + i < fw->len; i++)
		v |= (uint64_t)fw->rom[off + i] << (8 * i);
	return v;
}

static void rom_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
}

static const struct vmm_io_ops rom_ops = {
	.name = "bios-rom", .read = rom_read, .write = rom_write,
};

/*
 * SMBIOS tables ready-made: SeaBIOS otherwise builds its own in guest code (~0.3 s of
 * emulated instructions on a nested host, about 7% of POST). The processor ID is the
 * host's CPUID leaf 1, which KVM_GET_SUPPORTED_CPUID passes through to the vCPUs.
 */
static int firmware_add_smbios(struct firmware *fw)
{
	struct vm *vm = fw->vm;
	struct smbios_config cfg = {
		.manufacturer = "Vessel",
		.product = "Vessel PC (i440FX + PIIX3)",
		.version = VESSEL_VERSION,
		.ncpus = vm->ncpus,
		.ram_below_4g = vm->mem.below_4g,
		.ram_above_4g = vm->mem.above_4g,
	};
	unsigned a, b, c, d;

	memcpy(cfg.uuid, vm->cfg.uuid, sizeof(cfg.uuid));
	if (__get_cpuid(1, &a, &b, &c, &d)) {
		cfg.cpu_signature = a;
		cfg.cpu_features = d;
	}
	return smbios_install(fw->fc, &cfg);
}

/* The items SeaBIOS reads (platform notes §1, "Legacy keys" and "Files"). */
static int firmware_fill_fw_cfg(struct firmware *fw)
{
	struct vm *vm = fw->vm;
	struct e820_entry e820[4];
	unsigned n = firmware_e820(&vm->mem, e820, 4);
	/*
	 * How long "Press ESC for boot menu" waits when the menu was asked for: 5 s (SeaBIOS's
	 * own default is 2.5 s), time enough for a person, or a remote viewer just connecting.
	 */
	uint16_t menu_wait = 5000;
	struct acpi_config acpi;
	int ret = 0;

	ret |= fw_cfg_add_u16(fw->fc, FW_CFG_NB_CPUS, (uint16_t)vm->ncpus);
	ret |= fw_cfg_add_u16(fw->fc, FW_CFG_MAX_CPUS, (uint16_t)vm->ncpus);
	ret |= fw_cfg_add_u64(fw->fc, FW_CFG_RAM_SIZE, vm->mem.ram_size);
	/* 0 skips the "Press ESC for boot menu" prompt and its wait. */
	ret |= fw_cfg_add_u16(fw->fc, FW_CFG_BOOT_MENU, vm->cfg.boot_menu ? 1 : 0);
	/* Our GSI routing puts IRQ0 on IOAPIC pin 2; firmware's MADT must say so. */
	ret |= fw_cfg_add_u32(fw->fc, FW_CFG_IRQ0_OVERRIDE, 1);
	ret |= fw_cfg_add_file(fw->fc, "etc/e820", e820, n * sizeof(e820[0]));
	if (vm->cfg.boot_menu)
		ret |= fw_cfg_add_file(fw->fc, "etc/boot-menu-wait", &menu_wait, 2);
	if (ret)
		return -EINVAL;
	ret = firmware_add_smbios(fw);
	if (ret)
		return ret;
	/* Our own ACPI tables, through the table-loader (SeaBIOS then uses PM base 0x600). */
	acpi_config_default(&acpi, vm->ncpus);
	acpi.pci_window_start = (uint32_t)vm->mem.below_4g;
	return acpi_install(fw->fc, &acpi);
}

static void firmware_free(struct firmware *fw)
{
	if (!fw)
		return;
	fw_cfg_free(fw->fc);
	if (fw->rom)
		munmap(fw->rom, fw->len);
	free(fw);
}

static int firmware_setup_fw_cfg(struct firmware *fw)
{
	struct vm *vm = fw->vm;
	int ret;

	fw->fc = fw_cfg_new(&vm->mem, &vm->glog);
	if (!fw->fc)
		return -ENOMEM;
	ret = vmm_bus_register(&vm->pio, FW_CFG_PORT_SEL, 2, &fw_cfg_data_ops, fw->fc);
	if (!ret)
		ret = vmm_bus_register(&vm->pio, FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, fw->fc);
	if (!ret)
		ret = firmware_fill_fw_cfg(fw);
	return ret;
}

static int firmware_create(struct vm *vm, void **state)
{
	struct firmware *fw;
	uint8_t *data;
	size_t len;
	char err[256];
	int ret;

	if (!vm->cfg.firmware)
		return 1;
	ret = firmware_read(vm->cfg.firmware, &data, &len, err, sizeof(err));
	if (ret) {
		vmm_warn("%s", err);
		return ret;
	}
	fw = calloc(1, sizeof(*fw));
	if (!fw) {
		free(data);
		return -ENOMEM;
	}
	fw->vm = vm;
	fw->len = len;
	/* KVM slots need page-aligned host memory: keep the image in its own mapping. */
	fw->rom = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fw->rom == MAP_FAILED) {
		fw->rom = NULL;
		ret = -errno;
		goto out_free;
	}
	memcpy(fw->rom, data, len);
	mprotect(fw->rom, len, PROT_READ);
	ret = firmware_map(fw);
	if (!ret)
		ret = vmm_bus_register(&vm->mmio, PC_4G - len, len, &rom_ops, fw);
	if (!ret)
		ret = firmware_setup_fw_cfg(fw);
	if (ret)
		goto out_free;
	firmware_set_alias(fw);
	vm->fw_cfg = fw->fc;
	*state = fw;
	free(data);
	return 0;
out_free:
	vmm_warn("mapping firmware %s failed: %s", vm->cfg.firmware, strerror(-ret));
	free(data);
	firmware_free(fw);
	return ret;
}

/*
 * SeaBIOS's "bootorder" file: one Open Firmware device path per line, tried in order, the
 * drives not named after them (SeaBIOS src/boot.c). --boot cdrom puts CD-ROMs first;
 * otherwise disks come first, so an installed system boots and an empty disk falls through
 * to the installer CD. Called once every storage device has placed its drives.
 */
int firmware_add_bootorder(struct vm *vm)
{
	bool cd_first = vm->cfg.boot_from == VM_BOOT_CDROM;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!vm->fw_cfg)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		bool want_cd = (pass == 0) == cd_first;

		for (unsigned i = 0; i < vm->cfg.ndisks; i++)
			if (vm->boot_paths[i] && vm->cfg.disks[i].cdrom == want_cd)
				fprintf(f, "%s\n", vm->boot_paths[i]);
	}
	fclose(f);
	/* Lines are separated, not ended: a last '\n' would make SeaBIOS list an empty entry. */
	if (len)
		buf[--len] = '\0';
	ret = len ? fw_cfg_add_file(vm->fw_cfg, "bootorder", buf, len) : 0;
	free(buf);
	return ret;
}

/*
 * A reset re-enters the firmware: the chipset's reset puts PAM back to 0, so 0xE0000-0xFFFFF
 * reads the pristine ROM again whatever the guest left in shadow RAM.
 */
static void firmware_reset(void *state)
{
	struct firmware *fw = state;

	fw_cfg_reset(fw->fc);
}

/*
 * Snapshots: the ROM comes from the configuration and shadow RAM is guest RAM (saved with
 * it; PAM is the chipset's), so the firmware device's state is fw_cfg's.
 */
static int firmware_save(void *state, void **blob, size_t *len)
{
	struct firmware *fw = state;

	return fw_cfg_save(fw->fc, blob, len);
}

static int firmware_load(void *state, const void *blob, size_t len)
{
	struct firmware *fw = state;

	return fw_cfg_load(fw->fc, blob, len);
}

static void firmware_destroy(void *state)
{
	struct firmware *fw = state;

	fw->vm->fw_cfg = NULL;
	fw->vm->bios_alias = NULL;
	fw->vm->bios_alias_len = 0;
	firmware_free(fw);
}

const struct vmm_device_ops firmware_device_ops = {
	.name = "firmware",
	.create = firmware_create,
	.reset = firmware_reset,
	.save = firmware_save,
	.load = firmware_load,
	.destroy = firmware_destroy,
};
