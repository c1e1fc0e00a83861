/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One virtual machine on /dev/kvm: memory, buses, interrupt routing, vCPUs and devices. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <linux/kvm.h>

#include "bus.h"
#include "command.h"
#include "irq.h"
#include "log.h"
#include "loop.h"
#include "memory.h"

/* How the helper process ends; documented in `vessel-helper --help`. */
enum vm_exit_status {
	VM_EXIT_OK = 0,			/* powered off, or test-exit 0 */
	/* 1..63: a test guest's code written to the test-exit port */
	VM_EXIT_HOST_ERROR = 64,	/* bad command line, missing file, ... */
	VM_EXIT_KVM_UNAVAILABLE = 65,	/* /dev/kvm missing or unusable */
	VM_EXIT_TRIPLE_FAULT = 66,	/* guest shut down (triple fault) */
	VM_EXIT_INTERNAL_ERROR = 67,	/* KVM internal error / emulation failure */
	VM_EXIT_RESET = 68,		/* guest reset with --no-reboot */
	VM_EXIT_TIMEOUT = 69,		/* --timeout elapsed */
	VM_EXIT_HOST_SIGNAL = 70,	/* SIGINT/SIGTERM before the guest finished */
};

/* Disks and CD-ROMs, in command-line order. */
enum vm_disk_bus { VM_DISK_IDE, VM_DISK_AHCI, VM_DISK_VIRTIO };
enum vm_boot_from { VM_BOOT_DEFAULT, VM_BOOT_DISK, VM_BOOT_CDROM };
#define VM_MAX_DISKS 8

struct vm_disk_config {
	const char *path;
	enum vm_disk_bus bus;
	bool readonly;
	bool cdrom;
};

/* Serial backends (16550A COM1). */
enum vm_serial_kind { VM_SERIAL_NONE, VM_SERIAL_STDIO, VM_SERIAL_FILE, VM_SERIAL_UNIX };

struct vm_config {
	uint64_t ram_size;
	unsigned cpus;
	const char *kernel;		/* Linux bzImage */
	const char *initrd;
	const char *cmdline;
	const char *multiboot;		/* multiboot v1 ELF32 */
	const char *firmware;		/* BIOS image (SeaBIOS); NULL with direct boot */
	bool boot_menu;			/* firmware shows its boot menu */
	enum vm_boot_from boot_from;	/* first boot device for firmware */
	struct vm_disk_config disks[VM_MAX_DISKS];
	unsigned ndisks;
	enum vm_serial_kind serial;
	const char *serial_path;	/* file or unix socket path */
	bool no_reboot;			/* guest reset ends the helper (VM_EXIT_RESET) */
	uint32_t tsc_khz;		/* 0: the host's */
	FILE *guest_log;		/* where guest errors go (NULL: stderr) */
	FILE *debug_log;		/* debug port 0x402 output (NULL: dropped) */
	bool quiet;			/* no register dumps on stderr (tests that expect faults) */
	/*
	 * Devices from outside vmm-core (the VGA in display/): created after the i8042 and
	 * before the PCI storage functions, so the display gets the first free PCI slot.
	 */
	const struct vmm_device_ops *const *extra_devices;
	unsigned nextra_devices;
	uint64_t vram_size;		/* VGA video memory; 0: the display's default */
	/* virtio-balloon ([balloon] in a .vessel file, --balloon). */
	bool balloon;
	uint64_t balloon_target;	/* initial balloon size, bytes (given back to the host) */
	unsigned balloon_stats_interval;	/* seconds between stats requests; 0: off */
	bool share_pages;		/* guest RAM MADV_MERGEABLE (KSM) */
	/* virtio-input tablet ([input] tablet in a .vessel file, --tablet): virtio-input.h. */
	bool tablet;
	uint8_t uuid[16];		/* SMBIOS system UUID, RFC 4122 order; all zero: none */
};

/* Well-known exits counted per VM (the benchmark prints the histogram). */
enum vm_exit_kind {
	VM_EXITK_IO, VM_EXITK_MMIO, VM_EXITK_HLT, VM_EXITK_INTR, VM_EXITK_SHUTDOWN,
	VM_EXITK_INTERNAL, VM_EXITK_OTHER, VM_EXITK_MAX
};

struct vcpu;
struct vm_device;
struct pci_bus;
struct pam_shadow;
struct blk;

enum vm_request { VM_REQ_NONE, VM_REQ_RESET, VM_REQ_POWEROFF, VM_REQ_FAULT };

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd;
	int run_size;			/* mmap size of struct kvm_run */
	int max_vcpus;
	uint32_t tsc_khz;		/* the VM's TSC rate, the same on every vCPU */

	struct vm_memory mem;
	/* After a snapshot restore: the thread mapping RAM in advance (snap-ram.h), or NULL. */
	struct snap_prefetch *prefetch;
	struct vmm_bus pio, mmio;
	struct vmm_guest_log glog;
	struct vmm_loop *loop;

	struct vcpu *vcpus;
	unsigned ncpus;
	/* Coalesced MMIO (vm-coalesced.c): KVM's ring, NULL until a zone is registered. */
	struct kvm_coalesced_mmio_ring *coalesced_ring;
	unsigned coalesced_max;		/* ring entries */
	pthread_mutex_t coalesced_lock;	/* one replayer at a time; taken before device locks */
	uint64_t exits[VM_EXITK_MAX];	/* updated atomically by vCPU threads */

	/* Devices in init order (vm-devices.c). */
	struct vm_device *devices;
	unsigned ndevices;
	/* Borrowed pointers to devices other parts need to reach. */
	struct serial *com1;
	struct rtc *rtc;
	struct i8042 *i8042;
	struct virtio_input *tablet;	/* NULL: no tablet (virtio/virtio-input.h) */
	struct fw_cfg *fw_cfg;
	struct pci_bus *pci;		/* bus 0, set by the chipset device */
	/* The ACPI power button, set by the chipset device (NULL: none). */
	void (*power_button)(void *opaque);
	void *power_button_opaque;
	/*
	 * The BIOS ROM's last bytes (at most 128 KiB), which a PC decodes at 1 MiB minus their
	 * size when PAM sends reads to PCI; set by the firmware device (NULL: no firmware).
	 */
	const uint8_t *bios_alias;
	size_t bios_alias_len;
	/* The shadow area 0xC0000-0xFFFFF mapped as the i440FX's PAM registers say (pam.c). */
	struct pam_shadow *pam;
	/* Open Firmware paths of cfg.disks[i] as storage devices place them (bootorder). */
	char *boot_paths[VM_MAX_DISKS];
	/* The open image of cfg.disks[i], borrowed from its storage device (disk snapshots). */
	struct blk *disk_blks[VM_MAX_DISKS];

	/* KVM GSI routing: the PC's ISA/IOAPIC routes, then MSI routes for irqfds. */
	pthread_mutex_t routing_lock;
	struct kvm_irq_routing_entry *routes;
	unsigned nroutes, routes_cap;
	unsigned max_gsi;
	struct vm_msi_irqfd { int fd; unsigned gsi; } *msi_fds;
	unsigned nmsi, msi_cap;

	/* Device memory mapped as KVM slots (VRAM), with dirty logging. */
	pthread_mutex_t slots_lock;
	struct vm_ram_slot { uint64_t gpa, size; void *hva; bool used; } ram_slots[16];

	/* Boot state, replayed on reset. */
	struct vm_boot *boot;

	/* Run control: the main thread waits here for a request from any thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vm_request request;
	int request_status;
	bool paused;
	unsigned parked;		/* vCPUs parked in pause */

	/* Commands (command.h), run by vm_run's thread; under `lock`. */
	struct vm_command *cmd_head, **cmd_tail;
	enum vm_run_state run_state;
	bool user_paused;		/* paused by a command (not by a reset in progress) */
	bool finished;			/* vm_run has returned: commands fail with -ESHUTDOWN */
	void (*state_fn)(void *opaque, enum vm_run_state state);
	void *state_opaque;
};

/* Create the VM described by cfg; NULL with *err = -errno and a message already printed. */
struct vm *vm_create(const struct vm_config *cfg, int *status);
void vm_destroy(struct vm *vm);

/* Start vCPUs and the I/O loop; block until power-off/fault; return the exit status. */
int vm_run(struct vm *vm);

/* Any thread: ask the main thread to reset, power off (status) or stop on a fault. */
void vm_request(struct vm *vm, enum vm_request req, int status);

/* Press the ACPI power button (the guest decides what to do); false if there is none. */
bool vm_power_button(struct vm *vm);

/* Pause/resume every vCPU (idempotent). Not from a vCPU thread. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);

/* An interrupt line routed to KVM's in-kernel irqchip (KVM_IRQ_LINE on that GSI). */
struct vmm_irq vm_irq_line(struct vm *vm, unsigned gsi);
/* MSI through KVM_SIGNAL_MSI; 0/-errno. */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);
/* irqfd: eventfd that raises `gsi` (KVM_IRQFD); -errno on failure, else the fd. */
int vm_irqfd_new(struct vm *vm, unsigned gsi);
/*
 * An eventfd that delivers one MSI (address/data) through KVM's GSI routing and KVM_IRQFD,
 * so an I/O thread can interrupt the guest with a write(2). Returns the fd or -errno.
 * update re-targets it when the guest reprograms the vector; free tears it down.
 */
int vm_msi_irqfd_new(struct vm *vm, uint64_t addr, uint32_t data);
int vm_msi_irqfd_update(struct vm *vm, int fd, uint64_t addr, uint32_t data);
void vm_msi_irqfd_free(struct vm *vm, int fd);

/*
 * Map device memory (a RAM BAR such as VRAM) at gpa as a KVM memory slot with dirty logging,
 * or unmap it (map=false; gpa picks the mapping). 0 or -errno (-ENOSPC: no slot left).
 */
int vm_map_ram(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, bool map);
/*
 * Let KVM queue guest writes to [gpa, gpa+size) instead of exiting (vm-coalesced.c); they
 * reach the MMIO bus, in order, at the next vm_coalesced_flush(). Reads still exit. Call
 * once the vCPUs exist (a device's create). 0, -EOPNOTSUPP (KVM cannot: writes just exit)
 * or -errno.
 */
int vm_coalesce_mmio(struct vm *vm, uint64_t gpa, uint64_t size);
/*
 * Replay queued writes on the MMIO bus. vCPU threads call it before each exit and before
 * parking; code that reads a coalesced device's state from another thread (the display)
 * calls it first, holding no device lock. Any thread.
 */
void vm_coalesced_flush(struct vm *vm);
/*
 * The same for device ROM (an expansion ROM BAR): a read-only KVM slot, so reads never
 * exit; writes still exit as MMIO, to whatever the caller registered on the bus there.
 */
int vm_map_rom(struct vm *vm, uint64_t gpa, uint64_t size, const void *hva, bool map);
/*
 * Pages of the device memory at gpa written since the last call: one bit per 4 KiB page,
 * bitmap sized by the caller for size/4096 bits (rounded up to 64). Clears the log.
 */
int vm_ram_dirty_log(struct vm *vm, uint64_t gpa, uint64_t *bitmap);

/* A storage device records where disk i ended up, e.g. "/pci@i0cf8/ide@1,1/drive@1/disk@0". */
void vm_set_boot_path(struct vm *vm, unsigned disk, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A storage device records the image it opened for disk i; the snapshot code reaches it
 * with vm_disk_blk (NULL: no device has disk i) to take a disk snapshot or switch images
 * while the VM is paused. The device still owns and closes it.
 */
static inline void vm_set_disk_blk(struct vm *vm, unsigned disk, struct blk *b)
{
	if (disk < VM_MAX_DISKS)
		vm->disk_blks[disk] = b;
}

static inline struct blk *vm_disk_blk(const struct vm *vm, unsigned disk)
{
	return disk < VM_MAX_DISKS && disk < vm->cfg.ndisks ? vm->disk_blks[disk] : NULL;
}

static inline struct pci_bus *vm_pci_bus(struct vm *vm)
{
	return vm->pci;
}

/* ioeventfd on a PIO or MMIO address; returns the eventfd or -errno. */
int vm_ioeventfd_new(struct vm *vm, uint64_t addr, unsigned len, bool pio,
		     bool match_data, uint64_t data);

#endif
