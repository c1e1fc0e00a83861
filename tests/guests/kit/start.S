/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multiboot v1 header and entry: own GDT and stack, zero BSS, kit_boot(), kit_main(), exit. */

/* Multiboot Specification 0.6.96 §3.1.1: magic, flags, checksum; flags bit 0 asks for
 * page-aligned modules, bit 1 for the memory fields. An ELF image needs no address fields. */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text
	.code32
	.globl _start
_start:
	cli
	cld
	/* EAX = magic, EBX = info (Multiboot §3.2); keep them in EDX/EBP across the BSS wipe. */
	movl	%eax, %edx
	movl	%ebx, %ebp

	/* Our own GDT: the loader's may sit in low memory we reuse (the AP trampoline). */
	lgdtl	kit_gdtr
	ljmpl	$0x08, $1f
1:	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs

	/* A reset reloads the image over preserved RAM: zero BSS ourselves every boot. */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	movl	$kit_boot_stack_top, %esp
	pushl	%ebp		/* keep magic/mbi for kit_main */
	pushl	%edx
	pushl	%ebp
	pushl	%edx
	xorl	%ebp, %ebp
	call	kit_boot
	addl	$8, %esp
	call	kit_main
	addl	$8, %esp
	pushl	$0
	call	kit_exit
2:	cli
	hlt
	jmp	2b

/* Flat segments (Intel SDM vol. 3A §3.4.5): 0x08 code, 0x10 data, base 0, limit 4 GiB. */
	.section .rodata
	.balign 8
	.globl kit_gdt
kit_gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF
	.quad 0x00CF92000000FFFF
kit_gdt_end:
	.globl kit_gdt_limit		/* absolute, for the AP trampoline's GDTR */
	.set kit_gdt_limit, kit_gdt_end - kit_gdt - 1
	.balign 4
	.globl kit_gdtr
	.word 0
kit_gdtr:
	.word kit_gdt_end - kit_gdt - 1
	.long kit_gdt

	.section .bss
	.balign 16
	.globl kit_boot_stack_top
	.skip 16384
kit_boot_stack_top:

	.section .note.GNU-stack, "", @progbits
