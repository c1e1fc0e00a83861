/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI bus 0: configuration mechanism #1, BARs, capabilities, INTx through PIRQs, MSI/MSI-X, DMA. */
#ifndef VMM_PCI_H
#define VMM_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Register offsets and bit names come from the Linux UAPI headers (PCI_COMMAND,
 * PCI_COMMAND_INTX_DISABLE, PCI_STATUS_CAP_LIST, PCI_CAP_ID_MSIX, PCI_MSI_FLAGS_ENABLE,
 * PCI_DEVFN(), PCI_SLOT(), ...), so device code and this core spell them the same way.
 */
#include <linux/pci.h>

#include "bus.h"
#include "log.h"
#include "memory.h"

/*
 * The model (PCI Local Bus Specification 3.0, "PCI LB 3.0" below):
 *
 *  - One bus, number 0, reached through configuration mechanism #1 (PCI LB 3.0 §3.2.2.3.2):
 *    CONFIG_ADDRESS at I/O 0xCF8 (32-bit accesses only: bit 31 enable, 23:16 bus, 15:11
 *    device, 10:8 function, 7:2 register) and CONFIG_DATA at 0xCFC-0xCFF (any width, any
 *    offset). Other buses and absent functions read all-ones; writes to them are dropped.
 *    Byte and word accesses to 0xCF8-0xCFB are not the host bridge's: they go to whatever
 *    owned those ports before the PCI bus was created (0xCF9 is the reset control register
 *    of devices/sysctl.c), exactly as a PC forwards them to the ISA bus.
 *
 *  - A function is a `struct pci_dev` embedded in the device's own struct (use
 *    container_of in hooks). Its 256-byte configuration space has a write mask and a
 *    write-1-to-clear mask per byte; the core implements the type 0 header, BARs (sizing,
 *    decoding, placing on the PIO/MMIO buses), the expansion ROM BAR, the capability list,
 *    INTx, MSI and MSI-X. Device-specific registers are plain config bytes the device
 *    initialises (and makes writable with pci_config_set_wmask); it learns of guest writes
 *    through its config_write hook.
 *
 *  - INTx: pin P (1..4 = INTA#..INTD#) of a function in slot S drives PIRQ
 *    (S + (P - 1) - 1) mod 4, so slot 1 INTA# is PIRQA and slot 0 INTA# is PIRQD — the
 *    swizzle of SeaBIOS's piix_pci_slot_get_irq and of the i440FX DSDT's _PRT. The PIIX3 ISA
 *    bridge (piix3.c) routes each PIRQ to an ISA IRQ; lines are level-triggered and shared:
 *    a GSI is high while any PIRQ routed to it, or any chipset source on it (the ACPI SCI),
 *    is high.
 *
 * Locking (three levels, always taken in this order):
 *
 *   1. the bus lock: configuration space writes, BAR/region mappings, the device list.
 *      Taken by CONFIG_DATA accesses (vCPU threads) and by every function below that is not
 *      in the "interrupt-safe" list. It is recursive: pci_dev_ops hooks run with it held
 *      and may call any function here.
 *   2. your device's own lock. A hook may take it.
 *   3. the interrupt lock (a leaf): INTx/MSI/MSI-X state, the MSI-X table, and every store
 *      into config bytes.
 *
 * So, while holding your own device lock, call only the interrupt-safe functions:
 * pci_set_irq, pci_notify, pci_msi_notify, pci_msi_enabled, pci_msix_enabled,
 * pci_config_get, pci_config_update, pci_dma_read, pci_dma_write, pci_dma_map.
 * BAR handlers (the vmm_io_ops you pass to pci_register_bar) are called by the PIO/MMIO
 * bus with neither the PCI bus lock nor the interrupt lock held, so they follow the same
 * rule as any other code holding your lock. Everything else (registering BARs,
 * capabilities, setting config bytes) is init-time work or hook work. This relies on the
 * PIO/MMIO bus calling handlers without its own lock held, so that a config write arriving
 * through the PIO bus may map BARs on it.
 *
 * Init-time functions (pci_dev_init, pci_register_*, pci_add_*, pci_msi*_init) must run
 * before the vCPUs start, i.e. from a vmm_device_ops.create.
 */

struct vm;
struct pci_bus;
struct pci_dev;

#define PCI_CONFIG_ADDRESS_PORT	0xcf8
#define PCI_CONFIG_DATA_PORT	0xcfc
#define PCI_CONFIG_SIZE		256
#define PCI_DEVFN_AUTO		(-1)	/* pci_dev_init: first free slot, function 0 */
#define PCI_NUM_BARS		6
#define PCI_ROM_SLOT		6	/* bars[PCI_ROM_SLOT] is the expansion ROM BAR */
#define PCI_NUM_PIRQS		4	/* PIRQA#..PIRQD# */
#define PCI_ISA_IRQS		16
#define PCI_MAX_REGIONS		4	/* device-placed decoders per function */
#define PCI_BAR_UNMAPPED	UINT64_MAX
#define PCI_MSI_MAX_VECTORS	32	/* PCI LB 3.0 §6.8.1.3 */
#define PCI_MSIX_MAX_VECTORS	2048	/* PCI LB 3.0 §6.8.2.3 */

/* INTx swizzle on bus 0: which PIRQ (0..3) pin (1..4 = INTA#..INTD#) of a slot drives. */
static inline unsigned pci_intx_pirq(unsigned devfn, unsigned pin)
{
	return (PCI_SLOT(devfn) + pin + 2) & 3;	/* (slot + (pin - 1) - 1) mod 4 */
}

/* What the bus needs from its host. No struct vm here, so unit tests run without KVM. */
struct pci_bus_config {
	struct vmm_bus *pio;		/* config ports, I/O BARs */
	struct vmm_bus *mmio;		/* memory BARs, ROM BARs, MSI-X tables */
	const struct vm_memory *mem;	/* DMA reaches guest RAM only */
	struct vmm_guest_log *log;	/* guest errors; may be NULL */
	void *opaque;			/* first argument of the callbacks below */
	/* Drive a GSI (KVM_IRQ_LINE). Called with the interrupt lock held. */
	void (*set_gsi)(void *opaque, unsigned gsi, int level);
	/* Deliver one MSI (KVM_SIGNAL_MSI); 0 or -errno. Called with the interrupt lock held. */
	int (*signal_msi)(void *opaque, uint64_t addr, uint32_t data);
	/*
	 * Optional: map (map=true) or unmap host memory as guest RAM at [gpa, gpa+size), for
	 * RAM-backed BARs (VGA VRAM) — a KVM memory slot. 0 or -errno (-EEXIST on overlap).
	 * When NULL, RAM BARs are served through MMIO exits instead (slow but correct).
	 */
	int (*map_ram)(void *opaque, uint64_t gpa, uint64_t size, void *hva, bool map);
	/*
	 * Optional, the same for expansion ROMs as read-only memory: reads never exit, writes
	 * still reach the ROM BAR's MMIO handler (a guest error). NULL: ROM reads are MMIO
	 * exits — the firmware copies a whole option ROM that way, ~10,000 of them for a VGA BIOS.
	 */
	int (*map_rom)(void *opaque, uint64_t gpa, uint64_t size, const void *hva, bool map);
};

/*
 * Device hooks, all optional, all called with the bus lock held (see Locking above).
 *
 * config_read:  after the core read `size` bytes at `offset` from config space into val;
 *               return the value the guest sees (for registers computed on the fly).
 * config_write: after the core stored the guest's write (masked by the write masks) and
 *               acted on header/BAR/MSI changes; `val` is the value as the guest wrote it.
 *               Read your registers back with pci_config_get().
 * reset:        after the core returned config space to its power-on contents and
 *               unmapped the BARs (pci_bus_reset, pci_dev_reset).
 * bar_mapped:   after BAR `index` (or PCI_ROM_SLOT) started decoding at addr (mapped
 *               true) or stopped decoding there (mapped false) — e.g. to move an
 *               ioeventfd along with a notify register.
 */
struct pci_dev_ops {
	uint32_t (*config_read)(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t val);
	void (*config_write)(struct pci_dev *dev, unsigned offset, uint32_t val, unsigned size);
	void (*reset)(struct pci_dev *dev);
	void (*bar_mapped)(struct pci_dev *dev, unsigned index, uint64_t addr, bool mapped);
};

/* Identity of a function: the read-only part of its type 0 header (PCI LB 3.0 §6.2.1). */
struct pci_dev_info {
	const char *name;		/* for logs */
	uint16_t vendor_id, device_id;
	uint32_t class_code;		/* 24 bits: class, subclass, prog-if (0x060100 = ISA bridge) */
	uint8_t revision;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t irq_pin;		/* 0: no INTx; 1..4 = INTA#..INTD# */
	const struct pci_dev_ops *ops;	/* may be NULL */
};

enum pci_bar_type { PCI_BAR_UNUSED, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

/* Core-private; embedded in struct pci_dev. */
struct pci_bar {
	struct pci_dev *dev;
	enum pci_bar_type type;
	uint8_t index;
	bool prefetch;
	bool is_rom;			/* expansion ROM: read-only bytes in `rom` */
	uint64_t size;			/* power of two */
	const struct vmm_io_ops *ops;	/* the device's handler (NULL: MSI-X only, RAM, ROM) */
	void *opaque;
	void *hva;			/* RAM-backed BAR */
	uint8_t *rom;			/* owned copy, `size` bytes */
	struct vmm_io_ops wrap;		/* what is registered on the bus (MSI-X window, ...) */
	bool mapped;
	bool via_map_ram;
	bool via_map_rom;		/* also registered on the MMIO bus, for writes */
	uint64_t addr;			/* where it is mapped */
	uint64_t refused_addr;		/* last address that overlapped (logged once) */
};

/* A decoder the device places itself (PIIX4 PMBASE, legacy IDE ports); core-private. */
struct pci_region {
	struct pci_dev *dev;
	bool used, io, mapped, want;
	uint64_t size, addr, want_addr;
	const struct vmm_io_ops *ops;
	void *opaque;
};

struct pci_dev {
	/* Set by pci_dev_init and read-only afterwards. */
	struct pci_bus *bus;
	uint8_t devfn;
	const char *name;
	const struct pci_dev_ops *ops;

	/* Core-private from here on: use the functions below. */
	bool registered;
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t reset_config[PCI_CONFIG_SIZE];	/* power-on contents */
	uint8_t wmask[PCI_CONFIG_SIZE];		/* bits the guest may write */
	uint8_t w1cmask[PCI_CONFIG_SIZE];	/* bits the guest clears by writing 1 */
	uint8_t claimed[PCI_CONFIG_SIZE / 8];	/* bytes capabilities must not use */
	uint8_t capmap[PCI_CONFIG_SIZE / 8];	/* bytes capabilities do use */
	struct pci_bar bars[PCI_NUM_BARS + 1];
	struct pci_region regions[PCI_MAX_REGIONS];
	bool intx_level;			/* what the device asks for */
	bool intx_out;				/* what the PIRQ currently sees */
	uint8_t msi_cap;			/* 0: none */
	uint8_t msi_vectors;
	bool msi_64, msi_maskable;
	uint16_t msix_cap;			/* 0: none */
	uint16_t msix_vectors;
	uint8_t msix_table_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;
	uint8_t *msix_table;			/* msix_vectors * 16 bytes, little-endian */
	uint64_t *msix_pba;			/* pending bits */
	/*
	 * Set by a device whose registers past the header only ever change through guest
	 * writes (the chipset functions): a snapshot load then refuses read-only bits that
	 * differ from create's.
	 */
	bool regs_guest_only;
};

/* ---- The bus ---------------------------------------------------------------------- */

/*
 * Build bus 0 and claim the configuration ports on cfg->pio. NULL on failure (out of
 * memory, or 0xCF8/0xCFC already claimed in a way the bus cannot take over).
 */
struct pci_bus *pci_bus_new(const struct pci_bus_config *cfg);
/*
 * Unmaps everything and gives 0xCF8-0xCFF back (with the ports it took over); functions
 * still on the bus are pci_dev_exit()ed. Call it before the PIO/MMIO buses are destroyed.
 */
void pci_bus_free(struct pci_bus *bus);
/* Power-on state for every function (BARs unmapped, INTx low, MSI off), then their hooks. */
void pci_bus_reset(struct pci_bus *bus);
/* The function at devfn, or NULL. */
struct pci_dev *pci_bus_find(struct pci_bus *bus, unsigned devfn);
/* The guest-error log the bus was built with (may be NULL), for device models. */
struct vmm_guest_log *pci_bus_log(struct pci_bus *bus);

/*
 * Snapshot state of the whole bus (pci-state.c; issue 9): the CONFIG_ADDRESS latch and, for
 * every function, its 256 configuration bytes, its INTx level, its MSI-X table and pending
 * bits. Write masks, BAR sizes and device hooks are not saved: they come from create.
 * pci_bus_save allocates *blob (the caller frees it).
 *
 * pci_bus_load expects the functions of a VM built from the same configuration, and
 * validates the whole blob first (same functions, identity and read-only header bits, the
 * capability chain, MSI/MSI-X layout, pending bits within the table); on error it prints
 * one "snapshot: <dev>: ..." line and changes nothing. Then it re-applies everything the
 * way a guest config write would: BARs and device regions are placed again (so devices'
 * bar_mapped hooks run), INTx levels and PIRQ routing re-drive their GSIs, and each
 * function's config_write hook is called for every dword outside its capabilities.
 * `who` names the device for the refusal line. Runs before any vCPU; 0 or -errno.
 */
int pci_bus_save(struct pci_bus *bus, void **blob, size_t *len);
int pci_bus_load(struct pci_bus *bus, const char *who, const void *blob, size_t len);

/* pci-vm.c: a bus wired to a KVM VM (vm->pio, vm->mmio, vm->mem, vm->glog, irq, MSI). */
struct pci_bus *pci_bus_new_for_vm(struct vm *vm);

/*
 * Chipset hooks (piix3.c, piix4-pm.c); interrupt-safe.
 * pirq 0..3 routed to ISA IRQ 0..15, or isa_irq < 0 for "disabled". Asserted lines
 * follow the change at once.
 */
void pci_bus_set_pirq_route(struct pci_bus *bus, unsigned pirq, int isa_irq);
/* A chipset interrupt source (source 0..31) sharing ISA IRQ `irq` with the PIRQs. */
void pci_bus_set_isa_irq(struct pci_bus *bus, unsigned irq, unsigned source, int level);

/* ---- Functions --------------------------------------------------------------------- */

/*
 * Put `dev` on the bus at devfn (PCI_DEVFN(slot, fn)) or PCI_DEVFN_AUTO, with the header
 * filled from info: IDs, class, revision, subsystem IDs, interrupt pin, header type 0
 * (the multi-function bit of function 0 is kept right automatically). Writable header
 * fields: command (I/O, memory, bus master, parity, SERR, interrupt disable), cache line
 * size, latency timer, interrupt line. 0, -EBUSY (devfn taken), -ENOSPC, -EINVAL.
 */
int pci_dev_init(struct pci_dev *dev, struct pci_bus *bus, int devfn,
		 const struct pci_dev_info *info);
/* Unmap, deassert, free what the core allocated, leave the bus. */
void pci_dev_exit(struct pci_dev *dev);
/* Power-on state for one function (then its reset hook). */
void pci_dev_reset(struct pci_dev *dev);

/*
 * Config bytes, little-endian, size 1, 2 or 4, offset + size <= 256.
 * pci_config_set:    live AND power-on value (init time, or registers the device owns).
 * pci_config_update: live value only (status the device reports at run time).
 * pci_config_get:    live value (interrupt-safe).
 * Masks: which bits the guest may write / clears by writing 1 (status-style registers).
 * pci_config_claim:  mark device-specific registers so capabilities are not put there.
 */
void pci_config_set(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t val);
void pci_config_update(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t val);
uint32_t pci_config_get(struct pci_dev *dev, unsigned offset, unsigned size);
void pci_config_set_wmask(struct pci_dev *dev, unsigned offset, unsigned size, uint32_t mask);
void pci_config_set_w1cmask(struct pci_dev *dev, unsigned offset, unsigned size,
			    uint32_t mask);
void pci_config_claim(struct pci_dev *dev, unsigned offset, unsigned len);

/* ---- BARs ---------------------------------------------------------------------------- */

/*
 * Declare BAR `index` (0..5; a MEM64 BAR also takes index + 1). size: a power of two, at
 * least 4 for I/O (at most 64 KiB) and 16 for memory. The guest sizes it by writing
 * all-ones and places it; the core maps it on the PIO/MMIO bus while the matching command
 * bit (PCI_COMMAND_IO / PCI_COMMAND_MEMORY) is set and the address is non-zero, and calls
 * ops with offsets relative to the BAR. ops may be NULL for a BAR that holds only an MSI-X
 * table/PBA. Overlapping placements are refused with a guest error and retried whenever
 * another mapping goes away. 0 or -EINVAL/-EBUSY.
 */
int pci_register_bar(struct pci_dev *dev, unsigned index, uint64_t size,
		     enum pci_bar_type type, bool prefetch,
		     const struct vmm_io_ops *ops, void *opaque);
/*
 * A memory BAR backed by host memory (size bytes at hva, page-aligned, size >= 4 KiB),
 * mapped as guest RAM through cfg->map_ram so guest accesses never exit.
 */
int pci_register_ram_bar(struct pci_dev *dev, unsigned index, uint64_t size,
			 enum pci_bar_type type, bool prefetch, void *hva);
/*
 * Expansion ROM BAR (config 0x30) holding a copy of data[0..len): size rounded up to a
 * power of two (at least 2 KiB); read-only; decoded while bit 0 of the ROM BAR and
 * PCI_COMMAND_MEMORY are set (PCI LB 3.0 §6.2.5.2). The ROM's PCIR structure must name
 * this function's vendor/device IDs for SeaBIOS to run it.
 */
int pci_register_rom(struct pci_dev *dev, const void *data, size_t len);
/* Where BAR `index` (or PCI_ROM_SLOT) is mapped now, or PCI_BAR_UNMAPPED. */
uint64_t pci_bar_address(struct pci_dev *dev, unsigned index);

/*
 * Device-placed decoders that are not BARs (PIIX4 PMBASE at 0x40, legacy IDE ports):
 * pci_add_region returns a region number; pci_region_place maps it at addr when enable
 * is true (unmapping any old place first) or unmaps it. Typically called from the
 * config_write hook. Regions are unmapped by reset.
 */
int pci_add_region(struct pci_dev *dev, bool io, uint64_t size,
		   const struct vmm_io_ops *ops, void *opaque);
int pci_region_place(struct pci_dev *dev, int region, uint64_t addr, bool enable);

/* ---- Capabilities (PCI LB 3.0 §6.7) ----------------------------------------------- */

/*
 * Append a capability of `size` bytes (>= 2) with ID `id` to the list; sets
 * PCI_STATUS_CAP_LIST. Returns its config offset (>= 0x40, dword-aligned), or -ENOSPC.
 * The ID and next pointer are read-only; the rest is zero and read-only until you set
 * contents and masks.
 */
int pci_add_capability(struct pci_dev *dev, uint8_t id, unsigned size);
/* Offset of the first capability with this ID, or 0. */
unsigned pci_find_capability(struct pci_dev *dev, uint8_t id);

/* ---- Interrupts -------------------------------------------------------------------- */

/* INTx level for the function's pin (interrupt-safe). Ignored if it has no pin. */
void pci_set_irq(struct pci_dev *dev, int level);

/*
 * MSI capability (PCI LB 3.0 §6.8.1): nvectors 1, 2, 4, 8, 16 or 32; 64-bit addressing and
 * per-vector masking optional. Returns the capability offset or -errno.
 */
int pci_msi_init(struct pci_dev *dev, unsigned nvectors, bool addr64, bool maskable);
/*
 * MSI-X capability (PCI LB 3.0 §6.8.2): nvectors 1..2048; table and PBA at 8-byte aligned
 * offsets inside BARs already registered (memory BARs, possibly the same one, possibly
 * shared with the device's own registers: the core serves the two windows and passes the
 * rest of the BAR to the device's ops). Returns the capability offset or -errno.
 */
int pci_msix_init(struct pci_dev *dev, unsigned nvectors, unsigned table_bar,
		  uint32_t table_offset, unsigned pba_bar, uint32_t pba_offset);
bool pci_msi_enabled(struct pci_dev *dev);
bool pci_msix_enabled(struct pci_dev *dev);
/*
 * Signal `vector` by MSI-X if enabled, else by MSI if enabled: 0 when delivered or left
 * pending because it is masked, -ENODEV when neither is enabled, -EINVAL for a vector
 * the function does not have.
 */
int pci_msi_notify(struct pci_dev *dev, unsigned vector);
/*
 * The one call most devices need: MSI-X, else MSI, else assert INTx (the device lowers
 * it with pci_set_irq(dev, 0) when the guest acknowledges).
 */
void pci_notify(struct pci_dev *dev, unsigned vector);

/* ---- DMA --------------------------------------------------------------------------- */

/*
 * Copy between guest RAM and a buffer on behalf of dev. -EFAULT unless bus mastering is
 * enabled and every byte of [gpa, gpa + len) is guest RAM: a device never DMAs into MMIO
 * (its own registers included). Interrupt-safe.
 */
int pci_dma_read(struct pci_dev *dev, uint64_t gpa, void *buf, size_t len);
int pci_dma_write(struct pci_dev *dev, uint64_t gpa, const void *buf, size_t len);
/* Host pointer for [gpa, gpa + len) if bus mastering is on and it is in one RAM region. */
void *pci_dma_map(struct pci_dev *dev, uint64_t gpa, size_t len);

#endif
