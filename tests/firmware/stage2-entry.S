/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Second-stage entry, loaded at 0000:8000 by stage1.S with DL = boot drive: enable A20,
 * load a flat GDT, set CR0.PE and far-jump to 32-bit code (Intel SDM vol. 3A §9.9.1,
 * "Switching to Protected Mode") — no IRET anywhere — then zero BSS, take our own stack
 * and call stage2_main(drive). Interrupts stay off from here on.
 */
#define STAGE2_MAGIC	0x32475453	/* "STG2": stage1.S checks it before jumping */

	.section .text.entry, "ax"
	.code16
	.globl _start
_start:
	jmp	1f
	.balign 4
	.long	STAGE2_MAGIC		/* at offset 4 */
1:	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7c00, %sp
	/* System control port A bit 1: fast A20 (the ACPI tables sit near the top of RAM). */
	in	$0x92, %al
	or	$0x02, %al
	and	$0xfe, %al
	out	%al, $0x92
	lgdtl	stage2_gdtr
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $2f

	.code32
2:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	movzbl	%dl, %ebp		/* the boot drive, across the BSS wipe */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb
	mov	$stage2_stack_top, %esp
	push	%ebp
	call	stage2_main
	push	$0
	call	kit_exit
3:	cli
	hlt
	jmp	3b

/* Flat segments (Intel SDM vol. 3A §3.4.5): 0x08 code, 0x10 data, base 0, limit 4 GiB. */
	.balign 8
stage2_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF
	.quad	0x00CF92000000FFFF
stage2_gdt_end:
	.balign 4
	.word	0
stage2_gdtr:
	.word	stage2_gdt_end - stage2_gdt - 1
	.long	stage2_gdt

	.section .bss
	.balign 16
	.skip	16384
stage2_stack_top:

	.section .note.GNU-stack, "", @progbits
