/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark guest: one 32-bit image that both multiboot v1 (vessel) and PVH (QEMU) can start. */

/*
 * Built once per variant by tests/bench/mk-guests.sh with exactly one of:
 *   -DBENCH_FIRST_BYTE                  print "X\n" then the boot protocol seen ("M\n"/"P\n"),
 *                                       then leave through the test-exit port
 *   -DBENCH_LOOP -DLOOP_PORT=P -DLOOPS=N [-DLOOP_NOP]
 *                                       print "S\n", N x (inb P | nop), print "E\n", exit
 *   -DBENCH_TOUCH -DTOUCH_MIB=K         write one byte in each 4 KiB page of K MiB from 2 MiB
 *                                       up, print "R\n", then idle in hlt forever
 *
 * Both boot protocols enter here in 32-bit protected mode with paging off and flat
 * segments (Multiboot 0.6.96 §3.2; Xen PVH, docs/misc/pvh.pandoc "Entry point"), so one
 * entry serves both. No stack is used: neither protocol promises one.
 *
 * Every marker byte goes to COM1 *and* to the debug port 0x402: the harness reads COM1 on
 * the VMM's stdout when a UART is there, and falls back to vessel-helper's
 * --firmware-log (which carries 0x402) when it is not. QEMU without a debugcon device
 * ignores 0x402, so the extra write costs one user-space exit per byte on both sides.
 */

#define COM1_THR	0x3f8		/* PC16550D transmit holding register (DLAB = 0) */
#define DEBUG_PORT	0x402		/* vessel-helper --firmware-log; unclaimed in QEMU */
#define TEST_EXIT_PORT	0xf4		/* vessel test-exit; QEMU isa-debug-exit,iobase=0xf4 */

#define MB_HEADER_MAGIC	0x1badb002	/* Multiboot 0.6.96 §3.1.2 */
#define MB_HEADER_FLAGS	0x00000000	/* ELF image: the loader uses the program headers */
#define MB_BOOT_MAGIC	0x2badb002	/* Multiboot §3.2: EAX at entry */
#define PVH_START_MAGIC	0x336ec578	/* Xen hvm_start_info.magic, first word at EBX */
#define XEN_ELFNOTE_PHYS32_ENTRY 18	/* Xen public/elfnote.h: 32-bit physical entry */

/* Touched pages start above the image (1 MiB..) so the code itself is never rewritten. */
#define TOUCH_START	0x200000

	.macro putc ch
	movb	$\ch, %al
	movw	$COM1_THR, %dx
	outb	%al, %dx
	movw	$DEBUG_PORT, %dx
	outb	%al, %dx
	.endm

	/* A marker is one character on a line of its own; the host timestamps the line. */
	.macro mark ch
	putc	\ch
	putc	0x0a
	.endm

	.macro test_exit code
	movb	$\code, %al
	outb	%al, $TEST_EXIT_PORT
	.endm

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	/*
	 * Which protocol started us. PVH is tested first: QEMU's PVH path has been seen to
	 * leave EAX equal to the multiboot magic, while EBX always points at hvm_start_info.
	 */
	movl	$'?', %esi
	cmpl	$PVH_START_MAGIC, (%ebx)
	jne	1f
	movl	$'P', %esi
	jmp	2f
1:	cmpl	$MB_BOOT_MAGIC, %eax
	jne	2f
	movl	$'M', %esi
2:

#if defined(BENCH_FIRST_BYTE)
	mark	'X'
	movl	%esi, %eax
	movw	$COM1_THR, %dx
	outb	%al, %dx
	movw	$DEBUG_PORT, %dx
	outb	%al, %dx
	putc	0x0a
	test_exit 0

#elif defined(BENCH_LOOP)
	mark	'S'
	movw	$LOOP_PORT, %dx
	movl	$LOOPS, %ecx
	/* The body differs between variants only in this one instruction. */
3:
#ifdef LOOP_NOP
	nop
#else
	inb	%dx, %al
#endif
	decl	%ecx
	jnz	3b
	mark	'E'
	test_exit 0

#elif defined(BENCH_TOUCH)
	movl	$TOUCH_START, %edi
	movl	$(TOUCH_MIB * 256), %ecx
4:	movb	$1, (%edi)
	addl	$4096, %edi
	decl	%ecx
	jnz	4b
	mark	'R'

#else
#error "pick a variant: BENCH_FIRST_BYTE, BENCH_LOOP or BENCH_TOUCH"
#endif

	/* Idle (touch), or the exit port is missing: halt with interrupts off, no more exits. */
5:	hlt
	jmp	5b

/*
 * Multiboot v1 header, placed by bench-guest.ld at file offset 0x1ff0. §3.1.1 lets it
 * lie anywhere 4-byte aligned in the first 8192 bytes, and vessel-helper searches all of
 * them. QEMU 7.2 (hw/i386/multiboot.c) only searches the first 8144 bytes and, when it
 * finds a header there, boots the image as multiboot instead of PVH; at 0x1ff0 QEMU does
 * not see it and takes the PVH note below, as intended.
 */
	.section .multiboot, "a"
	.balign 4
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

/* Xen ELF note (ELF gABI note layout: namesz, descsz, type, name, desc), in a PT_NOTE. */
	.section .note.Xen, "a", @note
	.balign 4
	.long	4
	.long	4
	.long	XEN_ELFNOTE_PHYS32_ENTRY
	.asciz	"Xen"
	.balign 4
	.long	_start
	.balign 4
