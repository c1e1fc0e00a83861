/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest test kit: freestanding helpers for 32-bit multiboot test guests. */
#ifndef KIT_H
#define KIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A guest test is one file, test-<name>.c: it defines kit_main() and declares what the host
 * runner should expect with KIT_EXPECT(). See tests/guests/README.md for the keys.
 */

/* ---- expectations for the host runner (an ELF section the loader never loads) ---- */
#define KIT_CAT2(a, b) a##b
#define KIT_CAT(a, b) KIT_CAT2(a, b)
#define KIT_STR2(x) #x
#define KIT_STR(x) KIT_STR2(x)
/* Each record is "<line>:<text>\0": gcc may emit them in any order, the runner sorts. */
#define KIT_EXPECT(text)						\
	static const char KIT_CAT(kit_expect_, __COUNTER__)[]		\
	__attribute__((section(".kit_expect"), used, aligned(1))) =	\
		KIT_STR(__LINE__) ":" text

/* ---- exit codes (the helper's exit status is the guest's value, 0..63) ---- */
#define KIT_EXIT_PASS		0
#define KIT_EXIT_FAIL		1	/* an assertion failed */
#define KIT_EXIT_PANIC		2	/* kit_panic() */
#define KIT_EXIT_BOOT		3	/* bad multiboot magic or info */
#define KIT_EXIT_UNEXPECTED_IRQ	4	/* interrupt on a vector nobody registered */
#define KIT_EXIT_EXCEPTION	32	/* + vector (0..31) for an unhandled CPU exception */

/* ---- fixed addresses and vectors ---- */
#define KIT_IOAPIC_BASE		0xFEC00000u
#define KIT_LAPIC_BASE		0xFEE00000u
#define KIT_PIC_VECTOR_BASE	0x20	/* 8259 master 0x20..0x27, slave 0x28..0x2F */
#define KIT_SPURIOUS_VECTOR	0xFF	/* LAPIC spurious interrupts, ignored */
#define KIT_TRAMPOLINE_ADDR	0x8000u	/* AP start-up page (SIPI vector 0x08) */
#define KIT_MAX_CPUS		16
#define KIT_TEST_EXIT_PORT	0xF4
#define KIT_COM1		0x3F8

/* ---- port I/O, MMIO, CPU helpers ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
	return *(volatile uint8_t *)addr;
}

static inline void mmio_write8(uintptr_t addr, uint8_t v)
{
	*(volatile uint8_t *)addr = v;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* sti;hlt as one pair: the interrupt shadow of sti means no wake-up is lost in between. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline uint32_t read_eflags(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* ---- boot information (copied out of the multiboot info at entry) ---- */
#define KIT_MB_MAGIC		0x2BADB002u
#define KIT_CMDLINE_MAX		256

struct kit_boot_info {
	uint32_t magic;
	uint32_t mbi_flags;
	uint32_t mem_lower_kib;		/* valid if mbi_flags bit 0 */
	uint32_t mem_upper_kib;
	uint64_t mmap_ram_bytes;	/* sum of type-1 mmap entries (bit 6), else 0 */
	uint32_t mmap_entries;
	char cmdline[KIT_CMDLINE_MAX];	/* "" if none (bit 2) */
};

const struct kit_boot_info *kit_boot_info(void);

/* Value of "key=value" on the command line into buf; false if absent. */
bool kit_cmdline_get(const char *key, char *buf, size_t size);
/* Decimal value of key, or def when absent or malformed. */
uint64_t kit_cmdline_u64(const char *key, uint64_t def);

/* ---- console (COM1, polled, 115200 8N1) ---- */
void kit_serial_init(void);
void kit_putc(char c);
void kit_puts(const char *s);
int kit_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kit_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int kit_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ask the runner to type the test's input= text on COM1 (it waits for this line). */
void kit_request_input(void);

/* ---- ending the test ---- */
void kit_exit(unsigned code) __attribute__((noreturn));
void kit_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void kit_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define KIT_FAIL(...) kit_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define KIT_ASSERT(cond) do {						\
	if (!(cond))							\
		kit_fail_at(__FILE__, __LINE__, "assertion failed: %s", #cond); \
} while (0)

#define KIT_ASSERT_EQ(got, want) do {					\
	uint32_t kit_g_ = (uint32_t)(got), kit_w_ = (uint32_t)(want);	\
	if (kit_g_ != kit_w_)						\
		kit_fail_at(__FILE__, __LINE__, "%s == %s: got %u (0x%x), want %u (0x%x)", \
			    #got, #want, kit_g_, kit_g_, kit_w_, kit_w_);	\
} while (0)

/* lo <= got <= hi, unsigned */
#define KIT_ASSERT_RANGE(got, lo, hi) do {				\
	uint32_t kit_g_ = (uint32_t)(got);				\
	uint32_t kit_lo_ = (uint32_t)(lo), kit_hi_ = (uint32_t)(hi);	\
	if (kit_g_ - kit_lo_ > kit_hi_ - kit_lo_)			\
		kit_fail_at(__FILE__, __LINE__, "%s = %u, want %u..%u",	\
			    #got, kit_g_, kit_lo_, kit_hi_);		\
} while (0)

/* ---- interrupts and exceptions ---- */
struct kit_frame {			/* what isr.S leaves on the stack */
	uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;	/* pushal */
	uint32_t vector, error;
	uint32_t eip, cs, eflags;	/* pushed by the CPU (no privilege change) */
};

typedef void (*kit_handler_fn)(struct kit_frame *frame, void *ctx);

void kit_idt_init(void);		/* done by kit_boot(); APs call kit_idt_load() */
void kit_idt_load(void);
/* Handle a vector (an exception too: the handler may fix frame->eip and return). */
void kit_set_handler(unsigned vector, kit_handler_fn fn, void *ctx);
/*
 * Without a handler: an exception prints vector, EIP and error code and exits with
 * KIT_EXIT_EXCEPTION + vector; an interrupt exits with KIT_EXIT_UNEXPECTED_IRQ, except
 * the LAPIC spurious vector and 8259 spurious IRQ 7/15, which are ignored.
 */

/* 8259 pair: remapped to KIT_PIC_VECTOR_BASE and fully masked by kit_boot(). */
void pic_remap_and_mask(void);
void pic_unmask(unsigned irq);
void pic_mask(unsigned irq);
void pic_eoi(unsigned irq);

/* IOAPIC redirection entries (82093AA datasheet §3.2.4). */
#define IOAPIC_LEVEL		(1u << 15)
#define IOAPIC_ACTIVE_LOW	(1u << 13)
#define IOAPIC_MASKED		(1u << 16)
uint32_t ioapic_read(unsigned reg);
void ioapic_write(unsigned reg, uint32_t v);
unsigned ioapic_pins(void);
void ioapic_route(unsigned pin, uint8_t vector, uint8_t dest_apic_id, uint32_t flags);
void ioapic_mask(unsigned pin);
void ioapic_mask_all(void);

/* Local APIC (Intel SDM vol. 3A ch. 11 "Advanced Programmable Interrupt Controller"). */
#define LAPIC_ID		0x020
#define LAPIC_VERSION		0x030
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0B0
#define LAPIC_SVR		0x0F0
#define LAPIC_ESR		0x280
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3E0
#define LAPIC_LVT_MASKED	(1u << 16)
#define LAPIC_TIMER_PERIODIC	(1u << 17)

uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
void lapic_enable(void);		/* software-enable, spurious vector 0xFF, TPR 0 */
uint8_t lapic_id(void);
void lapic_eoi(void);
/* One-shot or periodic timer; divide is the DCR encoding (0x3 = by 16). */
void lapic_timer_start(uint8_t vector, uint32_t count, uint32_t divide, bool periodic);
void lapic_timer_stop(void);
/* Timer counts per ms at `divide`, against PIT channel 2 (the least of three 20 ms tries). */
uint32_t lapic_timer_counts_per_ms(uint32_t divide);
/* Send an IPI; false if the delivery-status bit never cleared. */
bool lapic_send_ipi(uint8_t dest, uint32_t icr_lo);
#define ICR_FIXED		0x00000
#define ICR_INIT		0x00500
#define ICR_STARTUP		0x00600
#define ICR_ASSERT		0x04000
#define ICR_LEVEL		0x08000
#define ICR_ALL_BUT_SELF	0xC0000

/* ---- time ---- */
/*
 * TSC ticks per millisecond, calibrated once as the shortest of three PIT channel 2 windows
 * (a vCPU descheduled at a window's end can only lengthen it); 0 if the TSC is stuck.
 */
uint64_t kit_tsc_per_ms(void);
void kit_udelay(uint32_t us);
void kit_mdelay(uint32_t ms);
/* Milliseconds since the first call to a kit time function (TSC based). */
uint64_t kit_now_ms(void);
/* Busy-wait for PIT channel 2 to count `us` microseconds (max 54 ms); the TSC-free delay. */
void pit_ch2_wait_us(uint32_t us);

#define KIT_PIT_HZ		1193182u

/* ---- CMOS / RTC (MC146818A datasheet) ---- */
uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t v);

struct kit_rtc_time {
	unsigned year, month, day, hour, minute, second;
};
/* Read a consistent time (waits out update-in-progress); false if never consistent. */
bool rtc_read_time(struct kit_rtc_time *t);
uint64_t kit_time_to_epoch(const struct kit_rtc_time *t);
unsigned bcd_to_bin(uint8_t v);
bool bcd_valid(uint8_t v);

/*
 * Counting boots across guest resets: a reset reloads the image (BSS is zeroed again) but
 * keeps RAM and CMOS NVRAM. The count is kept in CMOS 0x7E (magic) / 0x7F (count) and
 * mirrored in RAM at KIT_PERSIST_ADDR (guests need >= 16 MiB), so a lost copy is reported
 * precisely. Returns 0 on the first boot, 1 after the first reset, ...
 */
#define KIT_PERSIST_ADDR	0x00F00000u
#define KIT_CMOS_BOOT_MAGIC	0x7E
#define KIT_CMOS_BOOT_COUNT	0x7F
unsigned kit_boot_number(void);

/* ---- PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2) ---- */
uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
uint16_t pci_cfg_read16(unsigned bus, unsigned dev, unsigned fn, unsigned off);
uint8_t pci_cfg_read8(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);
void pci_cfg_write16(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint16_t v);
void pci_cfg_write8(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint8_t v);

/* ---- PCI bus 0 enumeration, BARs and capabilities (kit/pci.c) ---- */
#define PCI_VENDOR_ID		0x00
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_HEADER_TYPE		0x0E
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_ROM_ADDRESS		0x30	/* bits 31:11 address, bit 0 enable (PCI LB 3.0 §6.2.5.2) */
#define PCI_INTERRUPT_LINE	0x3C
#define PCI_INTERRUPT_PIN	0x3D
#define PCI_CMD_IO		(1u << 0)
#define PCI_CMD_MEM		(1u << 1)
#define PCI_CMD_MASTER		(1u << 2)
#define PCI_CMD_INTX_OFF	(1u << 10)
#define PCI_STATUS_CAPS		(1u << 4)
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VENDOR	0x09
#define KIT_PCI_MAX_FNS		64

enum kit_bar_type { KIT_BAR_NONE, KIT_BAR_IO, KIT_BAR_MEM32, KIT_BAR_MEM64 };

struct kit_pci_bar {
	uint8_t type;			/* enum kit_bar_type; BAR i+1 of a MEM64 stays NONE */
	bool prefetch;
	bool bad_mask;			/* sizing read back a mask that is not 1...10...0 */
	uint64_t size;
	uint64_t addr;			/* 0 until pci_assign_bars() */
};

struct kit_pci_fn {
	uint8_t dev, fn;
	uint16_t vendor, device;
	uint32_t class_code;		/* class, subclass, prog-if */
	uint8_t revision, header_type, irq_pin, irq_line;
	struct kit_pci_bar bar[6];
	struct kit_pci_bar rom;		/* expansion ROM BAR: type MEM32 when implemented */
};

/* Address windows pci_assign_bars() allocates from, naturally aligned, moving upwards. */
struct kit_pci_window {
	uint32_t io_next, io_end;
	uint64_t mem_next, mem_end;
};

/* Header of bus 0 dev.fn into *f (BARs not sized); false if no function answers. */
bool pci_read_fn(unsigned dev, unsigned fn, struct kit_pci_fn *f);
/* Every function on bus 0 (functions 1-7 only where function 0 is multi-function). */
unsigned pci_scan(struct kit_pci_fn *fns, unsigned max);
/* Size the six BARs and the ROM BAR (PCI LB 3.0 §6.2.5) with decoding off meanwhile. */
void pci_size_bars(struct kit_pci_fn *f);
/* Give every sized BAR (and the ROM, left disabled) an address from w; false if w ran out. */
bool pci_assign_bars(struct kit_pci_fn *f, struct kit_pci_window *w);
/* Expansion ROM address decode on or off (it also needs PCI_CMD_MEM). */
void pci_rom_enable(const struct kit_pci_fn *f, bool on);
/* The address a BAR register (pair) holds now, flag bits masked off. */
uint64_t pci_bar_read(const struct kit_pci_fn *f, unsigned i);
void pci_command_set(const struct kit_pci_fn *f, uint16_t set, uint16_t clear);
/* Offset of the first capability `id` after offset `after` (0: from the start), or 0. */
unsigned pci_cap_find(unsigned dev, unsigned fn, uint8_t id, unsigned after);
/* The list is well-formed: aligned, inside 0x40..0xFF, no loops; else false and why. */
bool pci_caps_check(unsigned dev, unsigned fn, char *why, size_t len);
/* "DD.F" of a function, for messages. */
const char *pci_name(const struct kit_pci_fn *f, char buf[8]);
/* MSI-X (PCI LB 3.0 §6.8.2): point table entry `entry` at vector on a local APIC. */
bool pci_msix_route(const struct kit_pci_fn *f, unsigned entry, uint8_t vector, uint8_t apic);
/* Set or clear MSI-X Enable (and clear Function Mask); false if there is no MSI-X. */
bool pci_msix_enable(const struct kit_pci_fn *f, bool on);

static inline uint16_t mmio_read16(uintptr_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline void mmio_write16(uintptr_t addr, uint16_t v)
{
	*(volatile uint16_t *)addr = v;
}

/* ---- virtio 1.x over PCI, modern transport only (kit/virtio.c; virtio 1.2 §4.1) ---- */
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01	/* §2.1 device status field */
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80
/* struct virtio_pci_common_cfg offsets (§4.1.4.3) */
#define VIRTIO_COMMON_DFSELECT		0x00
#define VIRTIO_COMMON_DF		0x04
#define VIRTIO_COMMON_GFSELECT		0x08
#define VIRTIO_COMMON_GF		0x0C
#define VIRTIO_COMMON_MSIX		0x10
#define VIRTIO_COMMON_NUMQ		0x12
#define VIRTIO_COMMON_STATUS		0x14
#define VIRTIO_COMMON_CFGGEN		0x15
#define VIRTIO_COMMON_Q_SELECT		0x16
#define VIRTIO_COMMON_Q_SIZE		0x18
#define VIRTIO_COMMON_Q_MSIX		0x1A
#define VIRTIO_COMMON_Q_ENABLE		0x1C
#define VIRTIO_COMMON_Q_NOFF		0x1E
#define VIRTIO_COMMON_Q_DESC		0x20
#define VIRTIO_COMMON_Q_DRIVER		0x28
#define VIRTIO_COMMON_Q_DEVICE		0x30
#define VIRTIO_NO_VECTOR		0xFFFF
/* virtio_pci_cap.cfg_type (§4.1.4) */
#define VIRTIO_CAP_COMMON		1
#define VIRTIO_CAP_NOTIFY		2
#define VIRTIO_CAP_ISR			3
#define VIRTIO_CAP_DEVICE		4
#define VIRTIO_CAP_PCI_CFG		5
#define KIT_VQ_SIZE			16

/* A split virtqueue (§2.7) with KIT_VQ_SIZE entries, in the image's BSS. */
struct kit_vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct kit_virtq {
	struct kit_vq_desc desc[KIT_VQ_SIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[KIT_VQ_SIZE], used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags, idx;
		struct { uint32_t id, len; } ring[KIT_VQ_SIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
	uint16_t index, size, last_used;
	uintptr_t notify;		/* where this queue's notifications go */
};

struct kit_virtio {
	const struct kit_pci_fn *pci;
	uintptr_t common, isr, device, notify;	/* resolved from the vendor capabilities */
	uint32_t notify_mult, device_len, notify_len;
	uint8_t caps_seen;			/* bit n: cfg_type n present */
	uint64_t device_features, driver_features;
};

/* One buffer of a request chain: the device reads it, or writes it when `in`. */
struct kit_vbuf {
	void *addr;
	uint32_t len;
	bool in;
};

/*
 * Find the common, notify, ISR and device capabilities of f, whose BARs must be assigned
 * and memory decoding on. Fails the test with the reason if a capability is malformed.
 */
void virtio_probe(struct kit_virtio *v, const struct kit_pci_fn *f);
/* Reset, ACKNOWLEDGE, DRIVER, features = offered & wanted, FEATURES_OK (§3.1.1). */
bool virtio_negotiate(struct kit_virtio *v, uint64_t wanted);
/* Set up queue `index` with up to KIT_VQ_SIZE entries and enable it (§4.1.5.1.3). */
void virtio_queue_setup(struct kit_virtio *v, struct kit_virtq *q, unsigned index,
			uint16_t msix_vector);
void virtio_driver_ok(struct kit_virtio *v);
/* Reset the device (write 0, wait until status reads 0: §4.1.4.3.2). */
void virtio_reset(struct kit_virtio *v);
uint8_t virtio_status(const struct kit_virtio *v);
/* Post one chain (starting at descriptor 0) and notify, without waiting. */
void virtq_post(struct kit_virtq *q, const struct kit_vbuf *bufs, unsigned n);
/* Has the device returned the posted chain? Reaps it (and *used_len, may be NULL). */
bool virtq_used(struct kit_virtq *q, uint32_t *used_len);
/* Post one chain, notify, poll the used ring; false on timeout. *used_len may be NULL. */
bool virtq_run(struct kit_virtq *q, const struct kit_vbuf *bufs, unsigned n,
	       uint32_t *used_len, uint32_t timeout_ms);

/* ---- spinlocks ---- */
struct kit_spinlock {
	volatile uint32_t locked;
};

static inline void kit_spin_lock(struct kit_spinlock *l)
{
	uint32_t v = 1;

	for (;;) {
		__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(l->locked) : : "memory");
		if (!v)
			return;
		while (l->locked)
			pause();
		v = 1;
	}
}

static inline void kit_spin_unlock(struct kit_spinlock *l)
{
	__asm__ volatile("movl $0, %0" : "=m"(l->locked) : : "memory");
}

static inline uint32_t kit_atomic_inc(volatile uint32_t *p)
{
	uint32_t v = 1;

	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v + 1;
}

/* ---- SMP ---- */
typedef void (*kit_ap_fn)(unsigned slot);
/*
 * Copy the trampoline to KIT_TRAMPOLINE_ADDR and send INIT-SIPI-SIPI to all other CPUs
 * (Intel SDM vol. 3A §8.4.4.1). Each AP gets slot 1, 2, ... in arrival order, its own
 * stack and the kit's GDT/IDT, runs fn(slot) (fn may be NULL), then halts with interrupts
 * off. Waits until `expect` APs have arrived (if expect > 0) or wait_ms has passed, and
 * returns how many arrived.
 */
unsigned kit_start_aps(kit_ap_fn fn, unsigned expect, uint32_t wait_ms);
unsigned kit_aps_started(void);

/* ---- entry points ---- */
void kit_boot(uint32_t magic, uint32_t mbi);	/* called by start.S before kit_main */
void kit_main(uint32_t magic, uint32_t mbi);	/* the test */

/* the few libc string functions (gcc may emit calls to the mem* ones itself) */
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* vbe.c: the standard VGA (PCI 1234:1111) — its BAR0 placed at KIT_VBE_LFB, memory decoding
 * on (panics without one), and a Bochs DISPI linear mode set and unblanked. */
#define KIT_VBE_LFB	0xE0000000u
volatile uint32_t *kit_vbe_map_lfb(void);
void kit_vbe_set_mode(unsigned width, unsigned height, unsigned bpp);

#endif
