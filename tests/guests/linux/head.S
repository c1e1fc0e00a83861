/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entry of the tiny 64-bit kernel: 32-bit stub at 1 MiB, kernel_info, startup_64 at +0x200. */

	.section .head, "ax"

/*
 * code32_start (1 MiB): the 32-bit boot protocol would enter here. Vessel must use the
 * 64-bit entry, so this writes LX_FAIL_ENTRY32 (16) to the test-exit port and halts. The
 * same bytes decode identically in 64-bit mode.
 */
	.code32
	.globl startup_32
startup_32:
	movl	$16, %eax		/* LX_FAIL_ENTRY32 */
	outl	%eax, $0xf4
1:	hlt
	jmp	1b

/*
 * boot.rst, "THE KERNEL_INFO" (protocol 2.15): "LToP", size, size_total, setup_type_max.
 * mkbzimage.py finds it here and writes its offset into kernel_info_offset.
 */
	.org 0x100
	.globl kernel_info
kernel_info:
	.ascii	"LToP"
	.long	16
	.long	16
	.long	0

/*
 * boot.rst, "64-bit BOOT PROTOCOL": 64-bit mode, paging on, CS = __BOOT_CS (0x10),
 * DS/ES/SS = __BOOT_DS (0x18), interrupts off, RSI = struct boot_params. We take no
 * stack from the loader and leave IF alone (cli here would hide a loader bug).
 */
	.code64
	.org 0x200
	.globl startup_64
startup_64:
	movq	%rsi, %r12		/* boot_params */
	movq	%rsp, %r13		/* the loader's RSP, for the transcript */
	cld
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq
	leaq	lx_stack_top(%rip), %rsp
	movq	%r12, %rdi
	movq	%r13, %rsi
	call	lx_main
	movl	$17, %edi		/* LX_FAIL_RETURNED: lx_main never returns */
	call	lx_exit

/*
 * Exception stubs, 16 bytes each (vector v at lx_isr_stubs + 16 * v). Vectors with an
 * error code (Intel SDM vol. 3A §6.13: 8, 10-14, 17, 21, 29, 30) get none pushed by us.
 * The C side prints and exits; nothing ever returns, so no IRETQ.
 */
	.text
	.balign 16
	.globl lx_isr_stubs
lx_isr_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	lx_isr_common
	.endr

lx_isr_common:
	movq	%rsp, %rdi		/* [vector, error, rip, cs, rflags, rsp, ss] */
	andq	$-16, %rsp
	call	lx_exception
2:	cli
	hlt
	jmp	2b

	.section .bss
	.balign 16
	.skip 16384
	.globl lx_stack_top
lx_stack_top:

	.section .note.GNU-stack, "", @progbits
