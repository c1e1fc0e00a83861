/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A boot sector that proves a reboot re-runs POST: it counts boots in CMOS NVRAM byte 0x7E
 * (MC146818A: index at 0x70, data at 0x71; the VMM keeps NVRAM across a reset). The first
 * boot prints "REBOOT boot 1" and resets the machine through the PIIX reset control
 * register 0xCF9 (82371AB §4.1.17: 0x02 then 0x06, a hard reset); the second prints
 * "REBOOT boot 2" and ends the VM with test-exit status 0. Other outcomes: 3 = still
 * running after the reset request, 4 = an unexpected count.
 */
#define CMOS_BOOTS	0x7e

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
1:	mov	$CMOS_BOOTS, %al
	out	%al, $0x70
	in	$0x71, %al
	inc	%al
	mov	%al, %bl
	mov	$CMOS_BOOTS, %al
	out	%al, $0x70
	mov	%bl, %al
	out	%al, $0x71

	mov	$msg_boot, %si
	call	puts
	mov	%bl, %al
	call	puthex
	mov	$msg_crlf, %si
	call	puts

	cmp	$1, %bl
	je	reset
	cmp	$2, %bl
	jne	bad_count
	xor	%al, %al		/* second boot: pass */
	jmp	finish

reset:
	mov	$msg_reset, %si
	call	puts
	mov	$0xcf9, %dx
	mov	$0x02, %al
	out	%al, %dx
	mov	$0x06, %al
	out	%al, %dx
	mov	$0x20, %cx		/* two million loops, then give up */
2:	push	%cx
	xor	%cx, %cx
3:	loop	3b
	pop	%cx
	loop	2b
	mov	$msg_alive, %si
	call	puts
	mov	$3, %al
	jmp	finish
bad_count:
	mov	$4, %al
finish:
	out	%al, $0xf4
	hlt
	jmp	finish

#include "com1-16.inc"

msg_boot:	.asciz	"REBOOT boot "
msg_crlf:	.asciz	"\r\n"
msg_reset:	.asciz	"REBOOT resetting through port 0xCF9\r\n"
msg_alive:	.asciz	"REBOOT still running after the reset request\r\n"

	.org	510
	.byte	0x55, 0xaa
