// SPDX-License-Identifier: GPL-2.0-or-later
/* Standard VGA PCI function 1234:1111: VRAM, the BAR2 register window, ROM, bus wiring. */
#include "vga-private.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * PCI layout from QEMU's docs/specs/standard-vga.rst ("PCI spec", "MMIO area spec"):
 * BAR0 framebuffer, BAR1 reserved, BAR2 4 KiB MMIO, ROM BAR with the VGA BIOS;
 * revision 2 means the QEMU extension registers at 0x600 exist.
 */
#define VGA_PCI_CLASS		0x030000	/* display controller, VGA compatible */
#define VGA_PCI_REVISION	2
#define VGA_MMIO_SIZE		0x1000
#define MMIO_EDID		0x000
#define MMIO_EDID_END		0x400
#define MMIO_PORTS		0x400		/* ports 0x3c0-0x3df */
#define MMIO_PORTS_END		0x420
#define MMIO_DISPI		0x500		/* DISPI index i at 0x500 + 2i */
#define MMIO_DISPI_END		(MMIO_DISPI + 2 * VBE_NREGS)
#define MMIO_QEXT_SIZE		0x600
#define MMIO_QEXT_ENDIAN	0x604
#define QEXT_SIZE		8
#define QEXT_LITTLE_ENDIAN	0x1e1e1e1eu
#define VGA_ROM_MAX		(1u << 20)

/* ---- BAR2 ------------------------------------------------------------------------------ */

static uint64_t dispi_mmio_read(struct vga *vga, unsigned off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i - MMIO_DISPI;
		uint16_t reg = o / 2 < VBE_NREGS ? vga_vbe_read(vga, o / 2) : 0;

		v |= (uint64_t)((reg >> (8 * (o & 1))) & 0xff) << (8 * i);
	}
	return v;
}

/* Whole registers, low one first; a byte write merges into the register's value. */
static void dispi_mmio_write(struct vga *vga, unsigned off, uint64_t val, unsigned size)
{
	for (unsigned i = 0; i < size;) {
		unsigned o = off + i - MMIO_DISPI, idx = o / 2;
		uint16_t reg;

		if (!(o & 1) && size - i >= 2) {
			reg = (uint16_t)(val >> (8 * i));
			i += 2;
		} else {
			reg = vga_vbe_read(vga, idx);
			reg = (o & 1) ? (uint16_t)((reg & 0x00ff) | (val >> (8 * i) & 0xff) << 8)
				      : (uint16_t)((reg & 0xff00) | (val >> (8 * i) & 0xff));
			i++;
		}
		if (idx < VBE_NREGS)
			vga_vbe_write(vga, idx, reg);
	}
}

int vga_set_preferred_size(struct vga *vga, unsigned xres, unsigned yres)
{
	if (xres < 320 || xres > VGA_VBE_MAX_XRES || yres < 200 || yres > VGA_VBE_MAX_YRES)
		return -EINVAL;
	pthread_mutex_lock(&vga->lock);
	vga->cfg.edid_xres = xres;
	vga->cfg.edid_yres = yres;
	vga_edid_build(vga->edid, xres, yres);
	pthread_mutex_unlock(&vga->lock);
	return 0;
}

/* The 128-byte block, then zeros up to 0x3ff. */
static uint64_t edid_read(const struct vga *vga, unsigned off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size && off + i < sizeof(vga->edid); i++)
		v |= (uint64_t)vga->edid[off + i] << (8 * i);
	return v;
}

static uint64_t mmio_read_locked(struct vga *vga, unsigned off, unsigned size)
{
	uint64_t v = 0;

	if (off < MMIO_EDID_END)
		return edid_read(vga, off, size);
	if (off >= MMIO_PORTS && off < MMIO_PORTS_END) {
		for (unsigned i = 0; i < size && off + i < MMIO_PORTS_END; i++)
			v |= (uint64_t)vga_port_read(vga, 0x3c0 + off + i - MMIO_PORTS) << (8 * i);
		return v;
	}
	if (off >= MMIO_DISPI && off < MMIO_DISPI_END)
		return dispi_mmio_read(vga, off, size);
	if (off == MMIO_QEXT_SIZE)
		return QEXT_SIZE;
	if (off == MMIO_QEXT_ENDIAN)
		return QEXT_LITTLE_ENDIAN;
	return 0;
}

static void mmio_write_locked(struct vga *vga, unsigned off, uint64_t val, unsigned size)
{
	if (off >= MMIO_PORTS && off < MMIO_PORTS_END) {
		/* Index first, then data: one word write programs an indexed register. */
		for (unsigned i = 0; i < size && off + i < MMIO_PORTS_END; i++)
			vga_port_write(vga, 0x3c0 + off + i - MMIO_PORTS, (uint8_t)(val >> (8 * i)));
	} else if (off >= MMIO_DISPI && off < MMIO_DISPI_END) {
		dispi_mmio_write(vga, off, val, size);
	} else if (off == MMIO_QEXT_ENDIAN && (uint32_t)val != QEXT_LITTLE_ENDIAN) {
		vga_guest_error(vga, "big-endian framebuffer (%#x) not supported", (unsigned)val);
	} else if (off < MMIO_EDID_END) {
		vga_guest_error(vga, "write to the EDID at %#x ignored", off);
	}
}

static uint64_t vga_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct vga *vga = opaque;
	uint64_t v;

	pthread_mutex_lock(&vga->lock);
	vga_vbe_flush(vga);
	v = mmio_read_locked(vga, (unsigned)off, size);
	pthread_mutex_unlock(&vga->lock);
	return v;
}

static void vga_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vga *vga = opaque;

	pthread_mutex_lock(&vga->lock);
	vga_vbe_flush(vga);
	mmio_write_locked(vga, (unsigned)off, val, size);
	pthread_mutex_unlock(&vga->lock);
}

/* vCPU threads, no bus lock held; takes the device lock. */
static const struct vmm_io_ops vga_mmio_ops = {
	.name = "vga-mmio",
	.read = vga_mmio_read,
	.write = vga_mmio_write,
	.min_size = 1,
	.max_size = 4,
};

/* ---- BAR0 as trapping MMIO (vga_config.vram_trap) ------------------------------------- */

static uint64_t vram_read(void *opaque, uint64_t off, unsigned size)
{
	struct vga *vga = opaque;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && off + i < vga->vram_size; i++)
		v |= (uint64_t)vga->vram[off + i] << (8 * i);
	return v;
}

static void vram_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vga *vga = opaque;

	pthread_mutex_lock(&vga->lock);
	for (unsigned i = 0; i < size && off + i < vga->vram_size; i++) {
		vga->vram[off + i] = (uint8_t)(val >> (8 * i));
		vga_mark_page(vga, off + i);
	}
	pthread_mutex_unlock(&vga->lock);
}

/* vCPU threads, no bus lock held; the device lock guards the dirty bitmap. */
static const struct vmm_io_ops vga_vram_ops = {
	.name = "vga-vram",
	.read = vram_read,
	.write = vram_write,
	.min_size = 1,
	.max_size = 8,
};

/* ---- PCI hooks (bus lock held; they take the device lock) ------------------------------ */

static struct vga *vga_from_pci(struct pci_dev *dev)
{
	return (struct vga *)((char *)dev - offsetof(struct vga, pci));
}

static void vga_pci_reset(struct pci_dev *dev)
{
	vga_reset(vga_from_pci(dev));
}

static void vga_bar_mapped(struct pci_dev *dev, unsigned index, uint64_t addr, bool mapped)
{
	struct vga *vga = vga_from_pci(dev);

	if (index != 0)
		return;
	__atomic_store_n(&vga->bar0_addr, mapped ? addr : PCI_BAR_UNMAPPED, __ATOMIC_RELEASE);
	vga_invalidate(vga);	/* a new KVM slot starts with a clean dirty log */
}

static const struct pci_dev_ops vga_pci_ops = {
	.reset = vga_pci_reset,
	.bar_mapped = vga_bar_mapped,
};

/* ---- The option ROM ------------------------------------------------------------------- */

/* PCI Firmware Spec 3.0 §5.1: 55AA, a PCIR structure at [0x18] naming vendor and device. */
static bool rom_matches(const uint8_t *rom, size_t len)
{
	size_t pcir;

	if (len < 0x1a || rom[0] != 0x55 || rom[1] != 0xaa)
		return false;
	pcir = rom[0x18] | (size_t)rom[0x19] << 8;
	if (pcir + 8 > len || memcmp(rom + pcir, "PCIR", 4))
		return false;
	return (rom[pcir + 4] | rom[pcir + 5] << 8) == VGA_PCI_VENDOR &&
	       (rom[pcir + 6] | rom[pcir + 7] << 8) == VGA_PCI_DEVICE;
}

static int load_rom(struct vga *vga, const char *path)
{
	uint8_t *buf = malloc(VGA_ROM_MAX);
	FILE *f = fopen(path, "rb");
	size_t len = 0;
	int ret = -ENOENT;

	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (!f) {
		vmm_warn("vga: cannot open the VGA BIOS %s: %m", path);
		goto out;
	}
	len = fread(buf, 1, VGA_ROM_MAX, f);
	ret = -EINVAL;
	if (!feof(f) || !rom_matches(buf, len))
		vmm_warn("vga: %s is not a VGA BIOS for %04x:%04x", path, VGA_PCI_VENDOR,
			 VGA_PCI_DEVICE);
	else
		ret = pci_register_rom(&vga->pci, buf, len);
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

/* ---- Life cycle --------------------------------------------------------------------- */

static int check_config(struct vga_config *c)
{
	if (!c->vram_size)
		c->vram_size = VGA_VRAM_DEFAULT;
	if (!c->edid_xres || !c->edid_yres) {
		c->edid_xres = 1024;
		c->edid_yres = 768;
	}
	if (c->vram_size < VGA_VRAM_MIN || c->vram_size > VGA_VRAM_MAX ||
	    (c->vram_size & (c->vram_size - 1)))
		return -EINVAL;
	if (c->edid_xres < 320 || c->edid_xres > VGA_VBE_MAX_XRES ||
	    c->edid_yres < 200 || c->edid_yres > VGA_VBE_MAX_YRES)
		return -EINVAL;
	if (c->devfn == 0)
		c->devfn = PCI_DEVFN_AUTO;	/* 00.0 is always the host bridge */
	return 0;
}

static int alloc_state(struct vga *vga)
{
	size_t words = (vga->vram_size / VGA_PAGE_SIZE + 63) / 64;

	vga->vram = mmap(NULL, vga->vram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vga->vram == MAP_FAILED) {
		vga->vram = NULL;
		return -ENOMEM;
	}
	vga->dirty_words = words;
	vga->dirty = calloc(words, sizeof(uint64_t));
	vga->render_dirty = calloc(words, sizeof(uint64_t));
	vga->fetch_buf = calloc(words, sizeof(uint64_t));
	vga->line = calloc(VGA_LINE_MAX + 16, sizeof(uint32_t));
	vga->line_ma = calloc(FB_MAX_HEIGHT, sizeof(uint32_t));
	vga->line_rs = calloc(FB_MAX_HEIGHT, 1);
	if (!vga->dirty || !vga->render_dirty || !vga->fetch_buf || !vga->line ||
	    !vga->line_ma || !vga->line_rs)
		return -ENOMEM;
	return fb_resize(&vga->fb, 640, 480) < 0 ? -ENOMEM : 0;
}

static int setup_pci(struct vga *vga)
{
	const struct pci_dev_info info = {
		.name = "vga", .vendor_id = VGA_PCI_VENDOR, .device_id = VGA_PCI_DEVICE,
		.class_code = VGA_PCI_CLASS, .revision = VGA_PCI_REVISION,
		.subsys_vendor_id = 0x1af4, .subsys_id = 0x1100, .ops = &vga_pci_ops,
	};
	const char *rom = vga->cfg.rom_path ? vga->cfg.rom_path : VGA_DEFAULT_ROM;
	int ret = pci_dev_init(&vga->pci, vga->host.pci, vga->cfg.devfn, &info);

	if (ret)
		return ret;
	if (vga->cfg.vram_trap)
		ret = pci_register_bar(&vga->pci, 0, vga->vram_size, PCI_BAR_MEM32, true,
				       &vga_vram_ops, vga);
	else
		ret = pci_register_ram_bar(&vga->pci, 0, vga->vram_size, PCI_BAR_MEM32, true,
					   vga->vram);
	if (!ret)
		ret = pci_register_bar(&vga->pci, 2, VGA_MMIO_SIZE, PCI_BAR_MEM32, false,
				       &vga_mmio_ops, vga);
	if (!ret && rom[0])
		load_rom(vga, rom);	/* without it the guest still has VBE and the window */
	return ret;
}

static int setup_buses(struct vga *vga)
{
	int ret = vmm_bus_register(vga->host.pio, 0x3b0, 0x30, &vga_pio_ops, vga);

	vga->pio_vga = !ret;
	if (!ret)
		ret = vmm_bus_register(vga->host.pio, 0x1ce, 3, &vga_dispi_pio_ops, vga);
	vga->pio_dispi = vga->pio_vga && !ret;
	if (!ret)
		ret = vmm_bus_register(vga->host.mmio, VGA_WINDOW_BASE, VGA_WINDOW_SIZE,
				       &vga_window_ops, vga);
	vga->mmio_window = vga->pio_dispi && !ret;
	return ret;
}

struct vga *vga_new(const struct vga_host *host, const struct vga_config *cfg, int *err)
{
	struct vga *vga = calloc(1, sizeof(*vga));
	int ret = -ENOMEM;

	if (!vga)
		goto out;
	pthread_mutex_init(&vga->lock, NULL);
	pthread_mutex_init(&vga->display_lock, NULL);
	fb_init(&vga->fb);
	vga->host = *host;
	vga->cfg = *cfg;
	vga->bar0_addr = PCI_BAR_UNMAPPED;
	ret = check_config(&vga->cfg);
	if (ret || !host->pci || !host->pio || !host->mmio) {
		ret = ret ? ret : -EINVAL;
		goto out_free;
	}
	vga->vram_size = vga->cfg.vram_size;
	vga_edid_build(vga->edid, vga->cfg.edid_xres, vga->cfg.edid_yres);
	ret = alloc_state(vga);
	if (!ret)
		ret = setup_pci(vga);
	if (!ret)
		ret = setup_buses(vga);
	if (ret)
		goto out_free;
	vga_reset(vga);
	return vga;
out_free:
	vga_free(vga);
	vga = NULL;
out:
	if (err)
		*err = ret;
	return vga;
}

void vga_free(struct vga *vga)
{
	if (!vga)
		return;
	if (vga->mmio_window)
		vmm_bus_unregister(vga->host.mmio, VGA_WINDOW_BASE, vga);
	if (vga->pio_dispi)
		vmm_bus_unregister(vga->host.pio, 0x1ce, vga);
	if (vga->pio_vga)
		vmm_bus_unregister(vga->host.pio, 0x3b0, vga);
	if (vga->pci.registered)
		pci_dev_exit(&vga->pci);
	if (vga->vram)
		munmap(vga->vram, vga->vram_size);
	fb_free(&vga->fb);
	free(vga->dirty);
	free(vga->render_dirty);
	free(vga->fetch_buf);
	free(vga->line);
	free(vga->line_ma);
	free(vga->line_rs);
	free(vga->text_keys);
	pthread_mutex_destroy(&vga->display_lock);
	pthread_mutex_destroy(&vga->lock);
	free(vga);
}

void vga_reset(struct vga *vga)
{
	pthread_mutex_lock(&vga->lock);
	vga_ports_reset(vga);
	vga_vbe_reset(vga);
	pthread_mutex_unlock(&vga->lock);
}

struct pci_dev *vga_pci_dev(struct vga *vga)
{
	return &vga->pci;
}

uint8_t *vga_vram(struct vga *vga, uint64_t *size)
{
	if (size)
		*size = vga->vram_size;
	return vga->vram;
}

void vga_vram_dirty_pages(struct vga *vga, const uint64_t *bitmap)
{
	pthread_mutex_lock(&vga->lock);
	for (size_t i = 0; i < vga->dirty_words; i++)
		vga->dirty[i] |= bitmap[i];
	pthread_mutex_unlock(&vga->lock);
}

void vga_invalidate(struct vga *vga)
{
	pthread_mutex_lock(&vga->lock);
	vga->invalidate = true;
	pthread_mutex_unlock(&vga->lock);
}
