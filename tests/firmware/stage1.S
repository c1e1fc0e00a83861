/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A boot sector that loads a second stage: it reads STAGE2_SECTORS sectors from LBA 1 of the
 * boot drive to 0000:8000 with the EDD extended read (AH=42h, "BIOS Enhanced Disk Drive
 * Services" 3.0 §7) and jumps there with DL = drive. The second stage (stage2-entry.S)
 * switches to protected mode itself. Prints "STAGE1 dl=XX" on COM1; on failure prints why
 * and ends the VM through the test-exit port 0xF4 (status 5 = no EDD, 6 = read error,
 * 7 = no second stage signature).
 */
#define STAGE2_SECTORS	120		/* 60 KiB: 0x8000-0x16FFF, one DAP (at most 127) */
#define STAGE2_MAGIC	0x32475453	/* "STG2", stage2-entry.S's second dword */

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
	ljmp	$0, $1f
1:	mov	%dl, drive
	mov	$msg_hello, %si
	call	puts
	mov	drive, %al
	call	puthex
	mov	$msg_crlf, %si
	call	puts

	mov	$0x41, %ah		/* EDD installation check */
	mov	$0x55aa, %bx
	mov	drive, %dl
	int	$0x13
	jc	no_edd
	cmp	$0xaa55, %bx
	jne	no_edd

	mov	$0x42, %ah		/* extended read */
	mov	drive, %dl
	mov	$dap, %si
	int	$0x13
	jc	read_error
	cmpl	$STAGE2_MAGIC, 0x8004
	jne	no_stage2
	mov	drive, %dl
	ljmp	$0, $0x8000

no_edd:
	mov	$msg_noedd, %si
	mov	$5, %al
	jmp	fail
read_error:
	mov	$msg_err, %si
	mov	$6, %al
	jmp	fail
no_stage2:
	mov	$msg_nostage2, %si
	mov	$7, %al
fail:
	push	%ax
	call	puts
	pop	%ax
1:	out	%al, $0xf4
	hlt
	jmp	1b

#include "com1-16.inc"

msg_hello:	.asciz	"STAGE1 dl="
msg_crlf:	.asciz	"\r\n"
msg_noedd:	.asciz	"STAGE1 NO EDD\r\n"
msg_err:	.asciz	"STAGE1 READ ERROR\r\n"
msg_nostage2:	.asciz	"STAGE1 NO STAGE2\r\n"
drive:		.byte	0
	.balign 4
/* Disk address packet (EDD 3.0 §7.1): size, reserved, count, buffer offset:segment, LBA. */
dap:		.byte	0x10, 0
		.word	STAGE2_SECTORS
		.word	0x8000, 0
		.long	1, 0

	.org	510
	.byte	0x55, 0xaa
