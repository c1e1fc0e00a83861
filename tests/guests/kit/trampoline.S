/* SPDX-License-Identifier: GPL-2.0-or-later */
/* AP start-up: real-mode code copied below 1 MiB, then a 32-bit entry with a per-CPU stack. */

#define KIT_MAX_CPUS	16
#define AP_STACK_SIZE	4096

/*
 * Copied to KIT_TRAMPOLINE_ADDR by smp.c and never run in place. A start-up IPI with
 * vector VV starts the AP in real mode at CS = VV00h, IP = 0 (Intel SDM vol. 3A §8.4.4.1,
 * "Typical AP Initialization Sequence"), so everything here is addressed relative to CS.
 * lgdtl with the operand-size prefix loads all 32 bits of the base, so the AP shares the
 * kit's GDT above 1 MiB; the far jump then lands directly in kit_ap_entry32.
 */
	.section .rodata
	.code16
	.balign 16
	.globl kit_trampoline_start, kit_trampoline_end
kit_trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	(tramp_gdtr - kit_trampoline_start)
	movl	%cr0, %eax
	orl	$1, %eax		/* CR0.PE; paging stays off */
	movl	%eax, %cr0
	ljmpl	$0x08, $kit_ap_entry32
	.balign 4
	.word	0
tramp_gdtr:
	.word	kit_gdt_limit
	.long	kit_gdt
kit_trampoline_end:

	.section .text
	.code32
kit_ap_entry32:
	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	/* Slots 1, 2, ... in arrival order; each owns one stack. */
	movl	$1, %eax
	lock xaddl %eax, kit_ap_next_slot
	incl	%eax
	cmpl	$KIT_MAX_CPUS, %eax
	jae	9f
	movl	%eax, %ecx
	shll	$12, %ecx		/* slot * AP_STACK_SIZE */
	leal	kit_ap_stacks(%ecx), %esp
	xorl	%ebp, %ebp
	pushl	%eax
	call	kit_ap_main
9:	cli
	hlt
	jmp	9b

	.section .bss
	.balign 16
	.globl kit_ap_next_slot
kit_ap_next_slot:
	.long	0
	.balign 16
kit_ap_stacks:
	.skip	(KIT_MAX_CPUS - 1) * AP_STACK_SIZE

	.section .note.GNU-stack, "", @progbits
