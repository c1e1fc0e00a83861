/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Demo disk, loaded part: picks and sets a VBE mode with a linear frame buffer (or falls
 * back to mode 13h), fetches the VGA BIOS 8x16 font, enters unreal mode, draws (draw.S)
 * and reports on COM1. VESA BIOS Extension (VBE) Core Functions Standard 3.0 is cited as
 * "VBE 3.0"; the VGA BIOS calls are those of the IBM PC BIOS interface (INT 10h).
 */
#include "demo.h"

	.code16
	.section .text
	.globl	stage2_magic
stage2_magic:
	.long	STAGE2_MAGIC		/* boot.S checks that the load arrived */

	.globl	demo_main
demo_main:
	call	font_fetch
	call	vbe_pick
	jc	1f
	call	vbe_set
	jnc	2f
1:	mov	$msg_mode13, %si
	call	serial_puts
	call	mode13_set
2:	call	colours_setup
	call	unreal_enter		/* returns with interrupts off */
	call	draw_scene
	sti
	mov	$msg_drew, %si
	call	serial_puts
	mov	scr_w, %ax
	call	serial_putdec
	mov	$'x', %al
	call	serial_putc
	mov	scr_h, %ax
	call	serial_putdec
	mov	$msg_crlf, %si
	call	serial_puts
	jmp	halt_forever

/* INT 10h AX=1130h BH=06h: ES:BP = the ROM's 8x16 font; kept as a flat address. */
font_fetch:
	push	%es
	push	%bp
	mov	$0x1130, %ax
	mov	$0x06, %bh
	int	$0x10
	xor	%eax, %eax
	mov	%es, %ax
	shl	$4, %eax
	movzwl	%bp, %ebx
	add	%ebx, %eax
	mov	%eax, font_ptr
	pop	%bp
	pop	%es
	ret

/* VBE 3.0 §4.3 (4F00h): controller info, asking for the 2.0 block with "VBE2"; then try
 * each wanted mode in order. CF set if none is offered. */
vbe_pick:
	movl	$0x32454256, VBE_INFO	/* "VBE2" */
	mov	$0x4f00, %ax
	mov	$VBE_INFO, %di
	int	$0x10
	cmp	$0x004f, %ax
	jne	9f
	cmpl	$0x41534556, VBE_INFO	/* "VESA" */
	jne	9f
	mov	$mode_wanted, %bx
1:	cmpw	$0, (%bx)
	je	9f
	call	vbe_find
	jnc	2f
	add	$6, %bx
	jmp	1b
2:	ret
9:	stc
	ret

/* Walk VideoModePtr (VBE 3.0 §4.3, offset 0Eh) for the mode that BX (width, height, bpp)
 * describes; 4F01h fills MODE_INFO. CF clear and vbe_mode set when found. */
vbe_find:
	lfs	VBE_INFO + 14, %si
1:	mov	%fs:(%si), %cx
	add	$2, %si
	cmp	$0xffff, %cx
	je	9f
	push	%fs
	push	%si
	push	%bx
	push	%cx
	mov	$0x4f01, %ax
	mov	$MODE_INFO, %di
	int	$0x10
	pop	%cx
	pop	%bx
	pop	%si
	pop	%fs
	cmp	$0x004f, %ax
	jne	1b
	call	mode_matches
	jne	1b
	mov	%cx, vbe_mode
	clc
	ret
9:	stc
	ret

/* ZF set when MODE_INFO is the mode at BX. ModeAttributes (VBE 3.0 §4.4): D0 supported,
 * D3 colour, D4 graphics, D7 linear frame buffer available. */
mode_matches:
	mov	MODE_INFO, %ax
	and	$0x99, %ax
	cmp	$0x99, %ax
	jne	1f
	mov	(%bx), %ax
	cmp	MODE_INFO + 18, %ax	/* XResolution */
	jne	1f
	mov	2(%bx), %ax
	cmp	MODE_INFO + 20, %ax	/* YResolution */
	jne	1f
	mov	4(%bx), %al
	cmp	MODE_INFO + 25, %al	/* BitsPerPixel */
1:	ret

/* 4F02h with D14 set: the linear frame buffer model (VBE 3.0 §4.5). CF set on failure. */
vbe_set:
	mov	$0x4f02, %ax
	mov	vbe_mode, %bx
	or	$0x4000, %bx
	int	$0x10
	cmp	$0x004f, %ax
	jne	9f
	mov	MODE_INFO + 18, %ax
	mov	%ax, scr_w
	mov	MODE_INFO + 20, %ax
	mov	%ax, scr_h
	movzwl	MODE_INFO + 16, %eax	/* BytesPerScanLine */
	mov	%eax, scr_pitch
	mov	MODE_INFO + 40, %eax	/* PhysBasePtr */
	mov	%eax, scr_lfb
	mov	MODE_INFO + 32, %al	/* Red/Green/BlueFieldPosition */
	mov	%al, red_pos
	mov	MODE_INFO + 34, %al
	mov	%al, green_pos
	mov	MODE_INFO + 36, %al
	mov	%al, blue_pos
	movb	$0, scr_shift
	cmpb	$32, MODE_INFO + 25
	jne	1f
	movb	$2, scr_shift		/* 4 bytes a pixel */
1:	clc
	ret
9:	stc
	ret

/* Mode 13h: 320x200, 256 colours, one byte a pixel at A0000h. */
mode13_set:
	mov	$0x0013, %ax
	int	$0x10
	movw	$320, scr_w
	movw	$200, scr_h
	movl	$320, scr_pitch
	movl	$0xa0000, scr_lfb
	movb	$0, scr_shift
	ret

/* Pixel values for the named colours: composed from the field positions at 32 bpp, or
 * palette entries 64.. (and the gradient in 0..63) programmed into the DAC at 8 bpp. */
colours_setup:
	cmpb	$2, scr_shift
	je	3f
	xor	%cx, %cx
1:	movzwl	%cx, %eax
	mov	$(GRAD_STEPS_8BPP - 1), %ebx
	call	grad_rgb
	mov	%eax, %ebx
	mov	%cl, %al
	call	dac_set
	inc	%cx
	cmp	$GRAD_STEPS_8BPP, %cx
	jb	1b
	xor	%si, %si
2:	mov	colour_rgb(%si), %ebx
	mov	%si, %ax
	shr	$2, %ax
	add	$GRAD_STEPS_8BPP, %al
	call	dac_set
	movzbl	%al, %eax
	mov	%eax, colour_pix(%si)
	add	$4, %si
	cmp	$(N_COLOURS * 4), %si
	jb	2b
	ret
3:	xor	%si, %si
4:	mov	colour_rgb(%si), %eax
	call	rgb_compose
	mov	%eax, colour_pix(%si)
	add	$4, %si
	cmp	$(N_COLOURS * 4), %si
	jb	4b
	ret

/* DAC entry AL = EBX (0xRRGGBB), through the 6-bit DAC ports (VGA DAC write index 3C8h,
 * data 3C9h: red, green, blue). */
dac_set:
	pushal
	mov	$0x3c8, %dx
	out	%al, %dx
	inc	%dx
	mov	$18, %cl
1:	mov	%ebx, %eax
	shr	%cl, %eax
	and	$0x3f, %al
	out	%al, %dx
	sub	$8, %cl
	jns	1b			/* shifts 18, 10, 2 */
	popal
	ret

/* EAX 0xRRGGBB -> EAX pixel for the mode's field positions (VBE 3.0 §4.4, direct colour). */
	.globl	rgb_compose
rgb_compose:
	push	%ebx
	push	%ecx
	push	%edx
	mov	%eax, %edx
	xor	%ebx, %ebx
	shr	$16, %eax
	movzbl	%al, %eax
	mov	red_pos, %cl
	shl	%cl, %eax
	or	%eax, %ebx
	movzbl	%dh, %eax
	mov	green_pos, %cl
	shl	%cl, %eax
	or	%eax, %ebx
	movzbl	%dl, %eax
	mov	blue_pos, %cl
	shl	%cl, %eax
	or	%ebx, %eax
	pop	%edx
	pop	%ecx
	pop	%ebx
	ret

/*
 * Unreal mode: load DS and ES from a flat 4 GiB data descriptor in protected mode and go
 * straight back; real mode keeps the cached limit (Intel SDM vol. 3, §3.4.3 "segment
 * descriptor cache"). No interrupt and no iret while PE is set. Interrupts stay off
 * afterwards: a BIOS handler could reload the cached limits while we draw.
 */
unreal_enter:
	cli
	push	%ds
	push	%es
	lgdtl	gdt_ptr
	mov	%cr0, %eax
	or	$1, %al
	mov	%eax, %cr0
	jmp	1f
1:	mov	$8, %bx
	mov	%bx, %ds
	mov	%bx, %es
	and	$0xfe, %al
	mov	%eax, %cr0
	jmp	2f
2:	pop	%es
	pop	%ds
	ret

/* Wanted modes, best first: width, height, bits per pixel. */
mode_wanted:
	.word	800, 600, 32
	.word	1024, 768, 32
	.word	640, 480, 8
	.word	0

	.balign	8
gdt:	.quad	0
	.quad	0x00cf92000000ffff	/* base 0, limit 4 GiB, data read/write */
gdt_ptr:
	.word	gdt_ptr - gdt - 1
	.long	gdt

colour_rgb:
	.long	RGB_SHADOW, RGB_BORDER, RGB_PANEL, RGB_ACCENT
	.long	RGB_TITLE, RGB_TITLE_SHADE, RGB_TEXT, RGB_TEXT_DIM
	.globl	colour_pix
colour_pix:
	.fill	N_COLOURS, 4, 0

	.globl	scr_w, scr_h, scr_pitch, scr_lfb, scr_shift, font_ptr
scr_lfb:	.long	0
scr_pitch:	.long	0
font_ptr:	.long	0
scr_w:		.word	0
scr_h:		.word	0
vbe_mode:	.word	0
scr_shift:	.byte	0		/* log2 of bytes a pixel: 0 or 2 */
red_pos:	.byte	16
green_pos:	.byte	8
blue_pos:	.byte	0

msg_mode13:	.asciz	"Vessel demo: no usable VBE mode, using mode 13h\r\n"
msg_drew:	.asciz	"Vessel demo: drew "
msg_crlf:	.asciz	"\r\n"
