// SPDX-License-Identifier: GPL-2.0-or-later
// Exceptions: the kit's own #UD handler first, then a deliberate triple fault (helper exit 66).
#include "kit.h"

KIT_EXPECT("cpus=1 memory=32M timeout=20 exit=66");
KIT_EXPECT("serial=fault: #UD handled at EIP 0x[0-9a-f]+");
KIT_EXPECT("serial=fault: loading an empty IDT");
KIT_EXPECT("forbid=EXCEPTION|kit: exit");

static volatile uint32_t ud_eip;

static void ud_handler(struct kit_frame *f, void *ctx)
{
	ud_eip = f->eip;
	f->eip += 2;			/* skip the two-byte ud2 */
}

void kit_main(uint32_t magic, uint32_t mbi)
{
	static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };

	kit_set_handler(6, ud_handler, NULL);
	__asm__ volatile("ud2");
	KIT_ASSERT(ud_eip != 0);
	kit_printf("fault: #UD handled at EIP 0x%x\n", ud_eip);

	/* With a zero-limit IDT the #UD cannot be delivered (#GP), the #GP cannot either
	 * (#DF), and the double fault cannot: a triple fault, which shuts the CPU down
	 * (Intel SDM vol. 3A §6.15, "Interrupt 8—Double Fault Exception"). */
	kit_printf("fault: loading an empty IDT and executing ud2\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	KIT_FAIL("still running after a triple fault");
}
