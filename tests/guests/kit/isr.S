/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 256 interrupt entry stubs (16 bytes apart), the common path into kit_isr_dispatch(), return. */

	.section .text
	.code32
	.balign 16
	.globl kit_isr_stubs
kit_isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	/* Intel SDM vol. 3A table 6-1: these exceptions push an error code themselves. */
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21)
	.elseif (vec == 29) || (vec == 30)
	.else
	pushl	$0
	.endif
	pushl	$vec
	jmp	kit_isr_common
	.set vec, vec + 1
	.endr

kit_isr_common:
	pushal
	movl	%esp, %eax
	pushl	%eax		/* struct kit_frame * */
	cld
	call	kit_isr_dispatch
	addl	$4, %esp
	popal
	addl	$8, %esp	/* vector and error code */

	/*
	 * Return without IRET. KVM's instruction emulator implements IRET only in real mode,
	 * and on a host whose nested hypervisor emulates every guest instruction a 32-bit
	 * IRET ends the VM with an emulation failure. Interrupts and exceptions here never
	 * change privilege or CS, so the frame is just EIP, CS, EFLAGS: rebuild it as
	 * EFLAGS, EIP and return with POPF + RET. IF is restored by STI, whose one-instruction
	 * interrupt shadow (SDM vol. 2B, "STI") lets the RET finish before the next interrupt,
	 * so interrupts cannot nest on this path.
	 */
	pushl	%eax		/* [0] eax, [4] eip, [8] cs, [12] eflags */
	movl	12(%esp), %eax
	movl	%eax, 8(%esp)	/* [8] eflags */
	movl	4(%esp), %eax
	movl	%eax, 12(%esp)	/* [12] eip */
	popl	%eax
	addl	$4, %esp	/* [0] eflags, [4] eip */
	testl	$0x200, (%esp)
	jz	1f
	andl	$~0x200, (%esp)
	popfl
	sti
	ret
1:	popfl
	ret

	.section .note.GNU-stack, "", @progbits
