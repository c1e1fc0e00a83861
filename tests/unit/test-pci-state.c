// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot of the chipset and the whole PCI bus 0: config spaces, BARs, INTx, MSI-X, PM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "chipset.h"
#include "loop.h"
#include "memory.h"
#include "pci.h"
#include "tap.h"

#define PMBASE		0xb000
#define IO_BAR		0xc000
#define MEM_BAR		0xfe000000u
#define MSIX_BAR	0xfe100000u
#define DEV_A		PCI_DEVFN(2, 0)	/* INTA# -> PIRQB */
#define DEV_X		PCI_DEVFN(3, 0)	/* MSI-X */
#define MS		1000000ull

/* ---- A machine: chipset functions plus two test devices on a fake host ----------------- */

struct tdev {
	struct pci_dev pci;
	uint32_t regs[16];
	unsigned hook_writes, bar_maps;
	uint64_t bar_last;
};

struct machine {
	struct vmm_guest_log log;
	struct vmm_bus pio, mmio;
	struct vm_memory mem;
	struct vmm_loop *loop;
	struct pci_bus *bus;
	struct i440fx host;
	struct piix3 isa;
	struct piix4_pm pm;
	struct tdev a, x;
	int msix_cap;
	int gsi[16];
	uint8_t pam[7];
	unsigned pam_calls;
	uint64_t msi_addr[16];
	uint32_t msi_data[16];
	unsigned nmsi;
};

static void set_gsi(void *opaque, unsigned gsi, int level)
{
	((struct machine *)opaque)->gsi[gsi] = level;
}

static int signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct machine *m = opaque;

	if (m->nmsi < 16) {
		m->msi_addr[m->nmsi] = addr;
		m->msi_data[m->nmsi] = data;
	}
	m->nmsi++;
	return 0;
}

static void on_pam(void *opaque, unsigned idx, uint8_t value)
{
	struct machine *m = opaque;

	m->pam_calls++;
	m->pam[idx] = value;
}

static uint64_t tdev_read(void *opaque, uint64_t off, unsigned size)
{
	struct tdev *t = opaque;

	return off / 4 < 16 ? t->regs[off / 4] : 0xdeadbeef;
}

static void tdev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct tdev *t = opaque;

	if (off / 4 < 16)
		t->regs[off / 4] = (uint32_t)val;
}

static const struct vmm_io_ops tdev_ops = {
	.name = "tdev", .read = tdev_read, .write = tdev_write, .min_size = 4, .max_size = 4,
};

static void tdev_config_write(struct pci_dev *dev, unsigned off, uint32_t val, unsigned size)
{
	((struct tdev *)dev)->hook_writes++;
}

static void tdev_bar_mapped(struct pci_dev *dev, unsigned index, uint64_t addr, bool mapped)
{
	struct tdev *t = (struct tdev *)dev;

	if (index == 1 && mapped) {
		t->bar_maps++;
		t->bar_last = addr;
	}
}

static const struct pci_dev_ops tdev_pci_ops = {
	.config_write = tdev_config_write,
	.bar_mapped = tdev_bar_mapped,
};

static void tdev_init(struct machine *m, struct tdev *t, int devfn)
{
	const struct pci_dev_info info = {
		.name = "tdev", .vendor_id = 0x1234, .device_id = 0x5678, .class_code = 0x020000,
		.irq_pin = 1, .ops = &tdev_pci_ops,
	};

	memset(t, 0, sizeof(*t));
	if (pci_dev_init(&t->pci, m->bus, devfn, &info)) {
		printf("Bail out! tdev init\n");
		exit(1);
	}
}

static void machine_init(struct machine *m)
{
	struct pci_bus_config cfg;
	struct piix4_pm_config pm_cfg;

	memset(m, 0, sizeof(*m));
	vmm_guest_log_init(&m->log, NULL, 1000);
	vmm_bus_init(&m->pio, "pio", &m->log);
	vmm_bus_init(&m->mmio, "mmio", &m->log);
	vm_memory_init(&m->mem, 16ull << 20);
	m->loop = vmm_loop_new(true);
	cfg = (struct pci_bus_config){
		.pio = &m->pio, .mmio = &m->mmio, .mem = &m->mem, .log = &m->log, .opaque = m,
		.set_gsi = set_gsi, .signal_msi = signal_msi,
	};
	m->bus = pci_bus_new(&cfg);
	pm_cfg = (struct piix4_pm_config){ .pio = &m->pio, .loop = m->loop };
	i440fx_set_pam_callback(&m->host, on_pam, m);
	i440fx_init(&m->host, m->bus);
	piix3_init(&m->isa, m->bus, &m->pio);
	piix4_pm_init(&m->pm, m->bus, PIIX4_PM_DEVFN, &pm_cfg);
	tdev_init(m, &m->a, DEV_A);
	pci_register_bar(&m->a.pci, 0, 32, PCI_BAR_IO, false, &tdev_ops, &m->a);
	pci_register_bar(&m->a.pci, 1, 4096, PCI_BAR_MEM32, false, &tdev_ops, &m->a);
	pci_msi_init(&m->a.pci, 4, true, true);
	tdev_init(m, &m->x, DEV_X);
	pci_register_bar(&m->x.pci, 0, 16384, PCI_BAR_MEM32, false, &tdev_ops, &m->x);
	m->msix_cap = pci_msix_init(&m->x.pci, 8, 0, 0x2000, 0, 0x3000);
	/* The new VM's loop has run a while: the PM timer's base lies before its start. */
	vmm_loop_advance(m->loop, 10000 * MS);
}

static void machine_fini(struct machine *m)
{
	pci_dev_exit(&m->x.pci);
	pci_dev_exit(&m->a.pci);
	piix4_pm_exit(&m->pm);
	piix3_exit(&m->isa);
	i440fx_exit(&m->host);
	pci_bus_free(m->bus);
	vmm_loop_free(m->loop);
	vm_memory_destroy(&m->mem);
	vmm_bus_destroy(&m->mmio);
	vmm_bus_destroy(&m->pio);
	vmm_guest_log_destroy(&m->log);
}

/* ---- Access helpers ------------------------------------------------------------------- */

static uint64_t rd(struct vmm_bus *b, uint64_t addr, unsigned size, bool *claimed)
{
	uint8_t buf[8] = { 0 };
	uint64_t v = 0;
	bool c = vmm_bus_read(b, addr, buf, size);

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	if (claimed)
		*claimed = c;
	return v;
}

static void wr(struct vmm_bus *b, uint64_t addr, uint64_t v, unsigned size)
{
	uint8_t buf[8];

	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	vmm_bus_write(b, addr, buf, size);
}

static uint32_t cfg_rd(struct machine *m, unsigned devfn, unsigned reg, unsigned size)
{
	wr(&m->pio, 0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
	return (uint32_t)rd(&m->pio, 0xcfc + (reg & 3), size, NULL);
}

static void cfg_wr(struct machine *m, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
	wr(&m->pio, 0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
	wr(&m->pio, 0xcfc + (reg & 3), v, size);
}

static uint8_t *save(struct machine *m, size_t *len)
{
	void *blob = NULL;

	if (chipset_state_save(m->bus, &m->isa, &m->pm, &blob, len)) {
		printf("Bail out! chipset_state_save failed\n");
		exit(1);
	}
	return blob;
}

static int load(struct machine *m, const void *blob, size_t len)
{
	return chipset_state_load(m->bus, &m->isa, &m->pm, blob, len);
}

/* A guest's work: PAM, PIRQ route, ELCR, PM with an SCI, BARs, INTx, MSI-X with a pending bit. */
static void drive(struct machine *m)
{
	uint64_t t = MSIX_BAR + 0x2000;

	cfg_wr(m, 0, I440FX_PAM0 + 1, 0x33, 1);
	cfg_wr(m, PCI_DEVFN(1, 0), PIIX3_PIRQRC + 1, 11, 1);
	wr(&m->pio, PIIX3_ELCR2_PORT, 0x08, 1);
	cfg_wr(m, PIIX4_PM_DEVFN, PIIX4_PMBA, PMBASE | 1, 4);
	cfg_wr(m, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, 1, 1);
	wr(&m->pio, PMBASE + PIIX4_PM1_EN, ACPI_PWRBTN_EN, 2);
	wr(&m->pio, PIIX4_APM_CNT_PORT, ACPI_ENABLE_VALUE, 1);
	piix4_pm_power_button(&m->pm);

	cfg_wr(m, DEV_A, PCI_BASE_ADDRESS_0, IO_BAR, 4);
	cfg_wr(m, DEV_A, PCI_BASE_ADDRESS_1, MEM_BAR, 4);
	cfg_wr(m, DEV_A, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
	cfg_wr(m, DEV_A, PCI_INTERRUPT_LINE, 11, 1);
	pci_set_irq(&m->a.pci, 1);

	cfg_wr(m, DEV_X, PCI_BASE_ADDRESS_0, MSIX_BAR, 4);
	cfg_wr(m, DEV_X, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	cfg_wr(m, DEV_X, m->msix_cap + 2, PCI_MSIX_FLAGS_ENABLE, 2);
	wr(&m->mmio, t + 16 * 2, 0xfee01000, 8);
	wr(&m->mmio, t + 16 * 2 + 8, 0x42, 4);
	wr(&m->mmio, t + 16 * 2 + 12, 0, 4);
	wr(&m->mmio, t + 16 * 3, 0xfee02000, 8);
	wr(&m->mmio, t + 16 * 3 + 8, 0x43, 4);	/* vector 3 stays masked */
	pci_msi_notify(&m->x.pci, 3);
	wr(&m->pio, 0xcf8, 0x80001810u, 4);	/* the latch, left pointing somewhere */
}

static bool same_config(struct machine *a, struct machine *b, unsigned devfn)
{
	for (unsigned reg = 0; reg < 256; reg += 4)
		if (cfg_rd(a, devfn, reg, 4) != cfg_rd(b, devfn, reg, 4))
			return false;
	return true;
}

static void test_roundtrip(void)
{
	static struct machine a, b;
	static const unsigned fns[] = { 0, PCI_DEVFN(1, 0), PIIX4_PM_DEVFN, DEV_A, DEV_X };
	uint8_t *blob;
	size_t len;
	bool claimed, same = true;
	uint32_t ta, tb;

	machine_init(&a);
	machine_init(&b);
	drive(&a);
	vmm_loop_advance(a.loop, 123 * MS);
	piix4_pm_pause(&a.pm);
	blob = save(&a, &len);
	ok(a.gsi[11] && a.gsi[9], "A: INTx on IRQ 11 and the SCI on IRQ 9 are high");
	b.pam_calls = 0;
	is_int(load(&b, blob, len), 0, "load into a freshly built machine");
	is_int(rd(&b.pio, 0xcf8, 4, NULL), 0x80001810u, "CONFIG_ADDRESS latch restored");
	ok(b.pam_calls >= 1 && b.pam[1] == 0x33, "PAM1 change reported again (shadow RAM remapped)");
	is_int(b.gsi[11], 1, "IRQ 11 re-asserted: INTx level through the restored PIRQB route");
	is_int(b.gsi[9], 1, "IRQ 9 re-asserted: the pending power-button SCI");
	is_int(rd(&b.pio, PIIX3_ELCR2_PORT, 1, NULL), 0x08, "ELCR restored");
	wr(&b.pio, IO_BAR + 4, 0x1234, 4);
	is_int(b.a.regs[1], 0x1234, "I/O BAR decodes at its saved place");
	rd(&b.mmio, MEM_BAR, 4, &claimed);
	ok(claimed, "memory BAR decodes at its saved place");
	ok(b.a.bar_maps == 1 && b.a.bar_last == MEM_BAR, "bar_mapped hook told of the placement");
	ok(b.a.hook_writes >= 16, "config_write hook replayed (%u dwords)", b.a.hook_writes);
	is_int(rd(&b.mmio, MSIX_BAR + 0x2000 + 32 + 8, 4, NULL), 0x42, "MSI-X table entry restored");
	is_int(rd(&b.mmio, MSIX_BAR + 0x3000, 8, NULL), 1 << 3, "MSI-X pending bit 3 restored");
	wr(&b.mmio, MSIX_BAR + 0x2000 + 48 + 12, 0, 4);
	ok(b.nmsi == 1 && b.msi_addr[0] == 0xfee02000 && b.msi_data[0] == 0x43,
	   "unmasking vector 3 on B delivers the pending message");
	is_int(pci_msi_notify(&b.x.pci, 2), 0, "vector 2 still enabled on B");
	ok(b.nmsi == 2 && b.msi_data[1] == 0x42, "... with its table entry");
	ta = (uint32_t)rd(&a.pio, PMBASE + PIIX4_PM_TMR, 4, NULL);
	tb = (uint32_t)rd(&b.pio, PMBASE + PIIX4_PM_TMR, 4, NULL);
	is_int(tb, ta, "PM timer reads the saved count");
	piix4_pm_resume(&a.pm);
	vmm_loop_advance(a.loop, 7 * MS);
	vmm_loop_advance(b.loop, 7 * MS);
	ta = (uint32_t)rd(&a.pio, PMBASE + PIIX4_PM_TMR, 4, NULL);
	tb = (uint32_t)rd(&b.pio, PMBASE + PIIX4_PM_TMR, 4, NULL);
	is_int(tb, ta, "and both count on alike");
	is_int(rd(&b.pio, PMBASE + PIIX4_PM1_STS, 2, NULL) & ACPI_PWRBTN_STS, ACPI_PWRBTN_STS,
	       "PWRBTN_STS restored");
	for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		same &= same_config(&a, &b, fns[i]);
	ok(same, "every function's config space reads the same on A and B");
	wr(&b.pio, PMBASE + PIIX4_PM1_STS, ACPI_PWRBTN_STS, 2);
	is_int(b.gsi[9], 0, "B: acknowledging the event drops the SCI");
	pci_set_irq(&b.a.pci, 0);
	is_int(b.gsi[11], 0, "B: the device lowering INTx drops IRQ 11");
	free(blob);
	machine_fini(&a);
	machine_fini(&b);
}

/* ---- Hostile blobs -------------------------------------------------------------------- */

#define HDR		32	/* struct chipset_state */
#define BUS_HDR		16	/* struct pci_bus_state */
#define REC		264	/* struct pci_func_state */

/* Offset of function record i (devfn order) in the chipset blob. */
static size_t rec_off(const uint8_t *blob, unsigned i)
{
	size_t off = HDR + BUS_HDR;

	while (i--) {
		uint16_t vectors;

		memcpy(&vectors, blob + off + 2, 2);
		off += REC + vectors * 16u + (vectors + 63u) / 64u * 8u;
	}
	return off;
}

struct hostile {
	struct machine *b;
	const uint8_t *good;
	size_t len;
	const uint8_t *before;
	size_t before_len;
};

static void refuse_at(struct hostile *h, size_t off, const void *v, size_t n, const char *what)
{
	uint8_t *bad = malloc(h->len), *after;
	size_t alen;
	int gsi9 = h->b->gsi[9];

	memcpy(bad, h->good, h->len);
	memcpy(bad + off, v, n);
	is_int(load(h->b, bad, h->len), -EINVAL, "refused: %s", what);
	after = save(h->b, &alen);
	ok(alen == h->before_len && !memcmp(after, h->before, alen) && h->b->gsi[9] == gsi9,
	   "... B unchanged");
	free(after);
	free(bad);
}

static void refuse8(struct hostile *h, size_t off, uint8_t v, const char *what)
{
	refuse_at(h, off, &v, 1, what);
}

static void refuse16(struct hostile *h, size_t off, uint16_t v, const char *what)
{
	refuse_at(h, off, &v, 2, what);
}

static void refuse32(struct hostile *h, size_t off, uint32_t v, const char *what)
{
	refuse_at(h, off, &v, 4, what);
}

static void test_hostile(void)
{
	static struct machine a, b;
	struct hostile h;
	uint8_t *good, *longer;
	size_t len, r3, r4, pba;
	int msix = 0;

	machine_init(&a);
	machine_init(&b);
	drive(&a);
	good = save(&a, &len);
	cfg_wr(&b, DEV_A, PCI_BASE_ADDRESS_0, 0xd000, 4);	/* B has state of its own */
	h = (struct hostile){ &b, good, len, NULL, 0 };
	h.before = save(&b, &h.before_len);
	r3 = rec_off(good, 3);
	r4 = rec_off(good, 4);
	pba = r4 + REC + 8 * 16;
	msix = a.msix_cap;
	ok(good[r3] == DEV_A && good[r4] == DEV_X, "records in devfn order");

	is_int(load(&b, good, len - 1), -EINVAL, "refused: truncated blob");
	is_int(load(&b, good, 20), -EINVAL, "refused: blob cut inside the header");
	longer = calloc(1, len + 1);
	memcpy(longer, good, len);
	is_int(load(&b, longer, len + 1), -EINVAL, "refused: trailing byte");
	free(longer);
	refuse8(&h, 0, 2, "chipset version 2");
	refuse16(&h, 4, 0x0001, "ELCR making IRQ 0 level-triggered");
	refuse16(&h, 10, 0x8000, "PM1_EN bit 15");
	refuse16(&h, 12, 0x2000, "PM1_CNT with SLP_EN stored");
	refuse32(&h, 20, 1u << 24, "PM timer count of 25 bits");
	refuse32(&h, 24, (uint32_t)(len - HDR - 1), "bus_len not the tail's length");
	refuse8(&h, HDR, 9, "bus version 9");
	refuse32(&h, HDR + 4, 0x7f000000, "CONFIG_ADDRESS reserved bits");
	refuse32(&h, HDR + 8, 4, "four functions saved for five");
	refuse8(&h, r3, PCI_DEVFN(9, 0), "a function this machine does not have");
	refuse8(&h, r4, DEV_A, "a function saved twice");
	refuse8(&h, rec_off(good, 1) + 8 + PIIX3_PIRQRC, 0x1b, "PIIX3 PIRQRC with a reserved bit");
	refuse8(&h, rec_off(good, 2) + 8 + PIIX4_PMBA, 0x00, "PIIX4 PMBA without its I/O bit");
	refuse8(&h, rec_off(good, 0) + 8 + I440FX_PAM0, 0x03, "PAM0 with bits of no field");
	refuse8(&h, r3 + 1, 2, "INTx level 2");
	refuse16(&h, r4 + 2, 16, "MSI-X vector count changed");
	refuse16(&h, r3 + 8 + PCI_VENDOR_ID, 0x8086, "vendor ID changed");
	refuse8(&h, r3 + 8 + PCI_BASE_ADDRESS_0, 0xc0, "I/O BAR without its I/O bit");
	refuse8(&h, r3 + 8 + PCI_BASE_ADDRESS_1, 0x10, "memory BAR with address bits below its size");
	refuse8(&h, r3 + 8 + PCI_COMMAND + 1, 0x80, "command bit 15");
	refuse8(&h, r3 + 8 + PCI_CAPABILITY_LIST, 0x80, "capability pointer moved");
	refuse8(&h, r4 + 8 + msix + 2, 0x0f, "MSI-X table size changed");
	refuse32(&h, r4 + 8 + msix + 4, 0x1000, "MSI-X table moved");
	refuse8(&h, pba + 1, 0x01, "MSI-X pending bit 8 of 8 vectors");
	refuse8(&h, r4 + REC + 16 * 5 + 12, 0x03, "MSI-X vector control reserved bit");
	is_int(cfg_rd(&b, DEV_A, PCI_BASE_ADDRESS_0, 4), 0xd001, "B kept its own BAR");
	is_int(load(&b, good, len), 0, "the untouched blob still loads");
	is_int(cfg_rd(&b, DEV_A, PCI_BASE_ADDRESS_0, 4), IO_BAR | 1, "... and takes effect");
	free(good);
	free((void *)h.before);
	machine_fini(&a);
	machine_fini(&b);
}

int main(void)
{
	test_roundtrip();
	test_hostile();
	return tap_done();
}
