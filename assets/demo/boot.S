/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Demo disk, sector 0: greets on COM1, loads the rest of the program with INT 13h and jumps
 * to it. Also holds the COM1 output routines the rest uses (polled 16550, no BIOS).
 */
#include "demo.h"

	.code16
	.section .text
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7c00, %sp
	ljmp	$0, $1f			/* some BIOSes enter at 07C0:0000 */
1:	sti
	cld
	mov	%dl, boot_drive
	mov	$msg_booted, %si
	call	serial_puts

	/* EDD extended read when the BIOS has it (EDD 3.0 §7: AH=41h check, AH=42h read). */
	mov	$0x41, %ah
	mov	$0x55aa, %bx
	mov	boot_drive, %dl
	int	$0x13
	jc	chs_read
	cmp	$0xaa55, %bx
	jne	chs_read
	mov	$0x42, %ah
	mov	boot_drive, %dl
	mov	$dap, %si
	int	$0x13
	jnc	loaded
chs_read:
	/* Classic AH=02h: cylinder 0, head 0, sectors 2.. (the image has 63 per track). */
	mov	$(0x0200 + LOAD_SECTORS), %ax
	mov	$0x0002, %cx
	xor	%dh, %dh
	mov	boot_drive, %dl
	mov	$STAGE2_ADDR, %bx
	int	$0x13
	jc	load_failed
loaded:
	cmpl	$STAGE2_MAGIC, STAGE2_ADDR
	jne	load_failed
	jmp	demo_main
load_failed:
	mov	$msg_failed, %si
	call	serial_puts
	.globl	halt_forever
halt_forever:
	sti				/* the timer keeps ticking; Ctrl+C ends the VM */
	hlt
	jmp	halt_forever

/* AL to COM1, waiting for the transmit holding register (PC16550D, LSR bit 5). */
	.globl	serial_putc
serial_putc:
	push	%dx
	push	%ax
	mov	$0x3fd, %dx
2:	in	%dx, %al
	test	$0x20, %al
	jz	2b
	pop	%ax
	mov	$0x3f8, %dx
	out	%al, %dx
	pop	%dx
	ret

/* The NUL-terminated string at DS:SI to COM1. */
	.globl	serial_puts
serial_puts:
	push	%ax
3:	lodsb
	test	%al, %al
	jz	4f
	call	serial_putc
	jmp	3b
4:	pop	%ax
	ret

/* AX in decimal to COM1. */
	.globl	serial_putdec
serial_putdec:
	pusha
	mov	$10, %bx
	xor	%cx, %cx
5:	xor	%dx, %dx
	div	%bx
	push	%dx
	inc	%cx
	test	%ax, %ax
	jnz	5b
6:	pop	%ax
	add	$'0', %al
	call	serial_putc
	loop	6b
	popa
	ret

msg_booted:	.asciz	"Vessel demo: booted by SeaBIOS\r\n"
msg_failed:	.asciz	"Vessel demo: could not read the disk\r\n"
boot_drive:	.byte	0
	.balign	4
/* Disk address packet (EDD 3.0 §7.1.1): LOAD_SECTORS from LBA 1 to 0000:7E00. */
dap:		.byte	0x10, 0
		.word	LOAD_SECTORS
		.word	STAGE2_ADDR, 0
		.long	1, 0

	.org	510
	.byte	0x55, 0xaa
