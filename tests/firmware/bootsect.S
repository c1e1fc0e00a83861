/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A boot sector that proves firmware booted it and that INT 13h reads the disk it came from:
 * it prints "BOOT dl=XX" on COM1, reads sectors 1..4 (512-byte disks) or 1..2 (2048-byte
 * CD-ROM blocks, by the drive's reported sector size) with the EDD extended read (AH=42h,
 * "BIOS Enhanced Disk Drive Services" 3.0 §7), checks that each 32-bit word of sector N holds
 * N, prints "READ OK" or "READ BAD", and ends the VM through the test-exit port 0xF4
 * (status 0 = pass, 1 = read error, 2 = wrong data, 3 = no EDD).
 */
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
	mov	$msg_boot, %si
	call	puts
	mov	drive, %al
	call	puthex
	call	newline

	/* EDD present? (AH=41h, BX=55AAh) */
	mov	$0x41, %ah
	mov	$0x55aa, %bx
	mov	drive, %dl
	int	$0x13
	jc	no_edd
	cmp	$0xaa55, %bx
	jne	no_edd

	/* Sector size from AH=48h (drive parameters): CD-ROMs report 2048. */
	movw	$0x1e, params
	mov	$0x48, %ah
	mov	drive, %dl
	mov	$params, %si
	int	$0x13
	jc	read_error
	mov	params+24, %ax
	mov	%ax, secsize
	mov	$4, %cx
	cmp	$2048, %ax
	jne	2f
	mov	$2, %cx
2:	mov	%cx, dap_count

	mov	$0x42, %ah
	mov	drive, %dl
	mov	$dap, %si
	int	$0x13
	jc	read_error

	/* Check: dword i of sector n (n = 1..count) equals n. */
	mov	$0x8000, %di
	mov	$1, %bx			/* sector number */
check_sector:
	mov	secsize, %cx
	shr	$2, %cx
3:	cmpw	%bx, (%di)
	jne	bad_data
	cmpw	$0, 2(%di)
	jne	bad_data
	add	$4, %di
	loop	3b
	inc	%bx
	cmp	dap_count, %bx
	jbe	check_sector

	mov	$msg_ok, %si
	call	puts
	xor	%al, %al
	jmp	finish

no_edd:
	mov	$msg_noedd, %si
	call	puts
	mov	$3, %al
	jmp	finish
read_error:
	mov	$msg_err, %si
	call	puts
	mov	$1, %al
	jmp	finish
bad_data:
	mov	$msg_bad, %si
	call	puts
	mov	$2, %al
finish:
	out	%al, $0xf4
	hlt
	jmp	finish

#include "com1-16.inc"

msg_boot:	.asciz	"BOOT dl="
msg_ok:		.asciz	"READ OK\r\n"
msg_bad:	.asciz	"READ BAD\r\n"
msg_err:	.asciz	"READ ERROR\r\n"
msg_noedd:	.asciz	"NO EDD\r\n"
drive:		.byte	0
	.balign 2
secsize:	.word	512
/* Disk address packet (EDD 3.0 §7.1). */
dap:		.byte	0x10, 0
dap_count:	.word	4
		.word	0x8000, 0	/* buffer 0000:8000 */
		.long	1, 0		/* first LBA */
params:		.fill	0x1e, 1, 0

	.org	510
	.byte	0x55, 0xaa
