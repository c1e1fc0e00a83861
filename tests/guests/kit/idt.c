// SPDX-License-Identifier: GPL-2.0-or-later
// IDT with 256 interrupt gates into isr.S; dispatch to registered handlers or fail loudly.
#include "kit.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t attr;
	uint16_t offset_hi;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

struct handler {
	kit_handler_fn fn;
	void *ctx;
};

extern const char kit_isr_stubs[];	/* isr.S: stub for vector v at + 16 * v */
void kit_isr_dispatch(struct kit_frame *f);

static struct idt_gate idt[256] __attribute__((aligned(8)));
static struct handler handlers[256];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved 31",
};

void kit_idt_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void kit_idt_init(void)
{
	/* 32-bit interrupt gates, DPL 0, present (Intel SDM vol. 3A §6.11, figure 6-2). */
	for (unsigned v = 0; v < 256; v++) {
		uint32_t addr = (uint32_t)(uintptr_t)kit_isr_stubs + 16 * v;

		idt[v].offset_lo = (uint16_t)addr;
		idt[v].selector = 0x08;
		idt[v].zero = 0;
		idt[v].attr = 0x8E;
		idt[v].offset_hi = (uint16_t)(addr >> 16);
	}
	kit_idt_load();
}

void kit_set_handler(unsigned vector, kit_handler_fn fn, void *ctx)
{
	if (vector > 255)
		kit_panic("kit_set_handler: vector %u", vector);
	handlers[vector].ctx = ctx;
	barrier();
	handlers[vector].fn = fn;
}

static void __attribute__((noreturn)) exception_exit(const struct kit_frame *f)
{
	kit_printf("EXCEPTION %u (%s) at EIP=0x%08x error=0x%x EFLAGS=0x%x\n",
		   f->vector, exception_names[f->vector], f->eip, f->error, f->eflags);
	kit_printf("  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x\n",
		   f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi, f->ebp);
	kit_exit(KIT_EXIT_EXCEPTION + f->vector);
}

/* 8259A datasheet, "OCW3": a spurious IRQ 7/15 has no bit set in the in-service register. */
static bool pic_spurious(unsigned vector)
{
	if (vector == KIT_PIC_VECTOR_BASE + 7) {
		outb(0x20, 0x0B);
		return !(inb(0x20) & 0x80);
	}
	if (vector == KIT_PIC_VECTOR_BASE + 15) {
		outb(0xA0, 0x0B);
		if (inb(0xA0) & 0x80)
			return false;
		outb(0x20, 0x20);	/* the master did see IRQ 2 */
		return true;
	}
	return false;
}

void kit_isr_dispatch(struct kit_frame *f)
{
	unsigned v = f->vector & 0xFF;
	struct handler *h = &handlers[v];

	if (h->fn) {
		h->fn(f, h->ctx);
		return;
	}
	if (v < 32)
		exception_exit(f);
	if (v == KIT_SPURIOUS_VECTOR || pic_spurious(v))
		return;		/* no EOI for a spurious interrupt (SDM vol. 3A §11.9) */
	kit_printf("UNEXPECTED INTERRUPT vector 0x%x at EIP=0x%08x\n", v, f->eip);
	kit_exit(KIT_EXIT_UNEXPECTED_IRQ);
}
