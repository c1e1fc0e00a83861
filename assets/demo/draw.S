/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Demo disk, the picture: a vertical gradient, a panel with a shadow, a border and an
 * accent bar, the word "Vessel" and two lines of text from the ROM's 8x16 font, scaled.
 * Runs in unreal mode (video.S): DS and ES reach the whole frame buffer with 32-bit
 * offsets, so everything is integer moves and string stores. The layout is a function of
 * the screen size only; check-demo.py recomputes it to test the screenshot.
 */
#include "demo.h"

	.code16
	.section .text

	.globl	draw_scene
draw_scene:
	call	draw_gradient
	call	layout
	mov	shadow_off, %si
	mov	pan_x, %ax
	add	%si, %ax
	mov	pan_y, %bx
	add	%si, %bx
	mov	pan_w, %cx
	mov	pan_h, %dx
	mov	colour_pix + 4 * C_SHADOW, %ebp
	call	fill_rect
	mov	pan_x, %ax
	mov	pan_y, %bx
	mov	colour_pix + 4 * C_BORDER, %ebp
	call	fill_rect
	add	$2, %ax			/* inside a 2-pixel border */
	add	$2, %bx
	sub	$4, %cx
	sub	$4, %dx
	mov	colour_pix + 4 * C_PANEL, %ebp
	call	fill_rect
	mov	bar_h, %dx
	mov	colour_pix + 4 * C_ACCENT, %ebp
	call	fill_rect
	jmp	draw_words

draw_words:
	mov	$str_title, %si
	mov	title_y, %bx
	mov	t_scale, %cx
	mov	%cx, %dx
	shr	$1, %dx			/* the shade sits half a font pixel down-right */
	add	%dx, %bx
	mov	colour_pix + 4 * C_TITLE_SHADE, %ebp
	call	text_centred
	sub	%dx, %bx
	xor	%dx, %dx
	mov	colour_pix + 4 * C_TITLE, %ebp
	call	text_centred
	mov	$str_line1, %si
	mov	line1_y, %bx
	mov	s_scale, %cx
	mov	colour_pix + 4 * C_TEXT, %ebp
	call	text_centred
	mov	$str_line2, %si
	mov	line2_y, %bx
	mov	colour_pix + 4 * C_TEXT_DIM, %ebp
	jmp	text_centred

/* One fill per row: 32 bpp blends the two RGB ends exactly, 8 bpp uses palette 0..63. */
draw_gradient:
	pushal
	xor	%bx, %bx
1:	cmp	scr_h, %bx
	jae	9f
	movzwl	%bx, %eax
	movzwl	scr_h, %ecx
	cmpb	$2, scr_shift
	jne	2f
	push	%ebx
	lea	-1(%ecx), %ebx
	call	grad_rgb
	pop	%ebx
	call	rgb_compose
	jmp	3f
2:	shl	$6, %eax		/* GRAD_STEPS_8BPP * y / H */
	xor	%edx, %edx
	div	%ecx
3:	mov	%eax, %ebp
	xor	%ax, %ax
	mov	scr_w, %cx
	mov	$1, %dx
	call	fill_rect
	inc	%bx
	jmp	1b
9:	popal
	ret

/* EAX = RGB_GRAD_TOP + (RGB_GRAD_BOTTOM - RGB_GRAD_TOP) * EAX / EBX, per channel, as
 * (top * (den - num) + bottom * num) / den so that it stays unsigned. */
	.globl	grad_rgb
grad_rgb:
	push	%ecx
	push	%edx
	push	%esi
	push	%edi
	push	%ebp
	mov	%eax, %esi
	mov	%ebx, %ebp
	xor	%edi, %edi
	mov	$16, %cl
1:	mov	$RGB_GRAD_TOP, %eax
	shr	%cl, %eax
	movzbl	%al, %eax
	mov	%ebp, %edx
	sub	%esi, %edx
	imul	%edx, %eax
	push	%eax
	mov	$RGB_GRAD_BOTTOM, %eax
	shr	%cl, %eax
	movzbl	%al, %eax
	imul	%esi, %eax
	pop	%edx
	add	%edx, %eax
	xor	%edx, %edx
	div	%ebp
	shl	%cl, %eax
	or	%eax, %edi
	sub	$8, %cl
	jns	1b
	mov	%edi, %eax
	pop	%ebp
	pop	%edi
	pop	%esi
	pop	%edx
	pop	%ecx
	ret

/* max(1, scr_w / CX) in AX */
width_div:
	push	%dx
	mov	scr_w, %ax
	xor	%dx, %dx
	div	%cx
	test	%ax, %ax
	jnz	1f
	inc	%ax
1:	pop	%dx
	ret

/*
 * The panel is 3/4 of the width (15/16 below 400 pixels) and 1/2 of the height, centred;
 * its shadow is offset by max(2, W/100); the accent bar is 1/16 of its height. Title
 * scale T = max(1, W/160), text scale S = max(1, W/400); the three lines (16T, gap 8S,
 * 16S, gap 4S, 16S) are centred in the panel below the bar.
 */
layout:
	pushal
	mov	scr_w, %ax
	cmp	$400, %ax
	jb	2f
	mov	$3, %cx
	mul	%cx
	shr	$2, %ax
	jmp	3f
2:	mov	$15, %cx		/* mode 13h: 15/16 so the text line fits */
	mul	%cx
	shr	$4, %ax
3:	mov	%ax, pan_w
	neg	%ax
	add	scr_w, %ax
	shr	$1, %ax
	mov	%ax, pan_x
	mov	scr_h, %ax
	shr	$1, %ax
	mov	%ax, pan_h
	mov	%ax, %dx
	shr	$4, %dx
	mov	%dx, bar_h
	neg	%ax
	add	scr_h, %ax
	shr	$1, %ax
	mov	%ax, pan_y
	mov	$100, %cx
	call	width_div
	cmp	$2, %ax
	jae	1f
	mov	$2, %ax
1:	mov	%ax, shadow_off
	mov	$160, %cx
	call	width_div
	mov	%ax, t_scale
	mov	$400, %cx
	call	width_div
	mov	%ax, s_scale
	mov	%ax, %di		/* DI = S */
	mov	t_scale, %si
	shl	$4, %si			/* SI = 16T */
	mov	$44, %cx
	mul	%cx			/* AX = 44S */
	add	%si, %ax		/* AX = block height */
	mov	pan_h, %bx
	sub	bar_h, %bx
	sub	%ax, %bx
	shr	$1, %bx
	add	pan_y, %bx
	add	bar_h, %bx
	mov	%bx, title_y
	add	%si, %bx
	mov	%di, %ax
	shl	$3, %ax
	add	%ax, %bx		/* + 8S */
	mov	%bx, line1_y
	mov	%di, %ax
	mov	$20, %cx
	mul	%cx
	add	%ax, %bx		/* + 16S + 4S */
	mov	%bx, line2_y
	popal
	ret

/* Fill AX, BX (x, y) size CX x DX with pixel EBP, clipped to the screen. */
	.globl	fill_rect
fill_rect:
	pushal
	cmp	scr_w, %ax
	jae	9f
	cmp	scr_h, %bx
	jae	9f
	mov	scr_w, %si
	sub	%ax, %si
	cmp	%si, %cx
	jbe	1f
	mov	%si, %cx
1:	mov	scr_h, %si
	sub	%bx, %si
	cmp	%si, %dx
	jbe	2f
	mov	%si, %dx
2:	movzwl	%ax, %edi
	movzwl	%dx, %esi		/* rows */
	movzwl	%cx, %edx		/* pixels a row */
	movzwl	%bx, %eax
	mov	scr_shift, %cl
	shl	%cl, %edi
	push	%edx
	mull	scr_pitch
	pop	%edx
	add	%eax, %edi
	add	scr_lfb, %edi
	mov	%ebp, %eax
3:	test	%esi, %esi
	jz	9f
	mov	%edi, %ebx
	mov	%edx, %ecx
	cmpb	$0, scr_shift
	je	4f
	addr32	rep stosl
	jmp	5f
4:	addr32	rep stosb
5:	mov	%ebx, %edi
	add	scr_pitch, %edi
	dec	%esi
	jmp	3b
9:	popal
	ret

/* The string at SI, scale CX, pixel EBP, at row BX, centred horizontally and moved DX
 * pixels right. */
text_centred:
	pushal
	push	%dx
	xor	%ax, %ax
	mov	%si, %di
1:	cmpb	$0, (%di)
	je	2f
	inc	%di
	add	$8, %ax
	jmp	1b
2:	mul	%cx			/* width = 8 * length * scale */
	neg	%ax
	add	scr_w, %ax
	shr	$1, %ax
	pop	%dx
	add	%dx, %ax
	call	draw_text
	popal
	ret

/* The string at SI from AX, BX (x, y), scale CX, pixel EBP. */
draw_text:
	pushal
	mov	%ax, txt_x
	mov	%bx, txt_y
	mov	%cx, txt_scale
1:	lodsb
	test	%al, %al
	jz	9f
	call	draw_glyph
	mov	txt_scale, %ax
	shl	$3, %ax
	add	%ax, txt_x
	jmp	1b
9:	popal
	ret

/* Character AL at txt_x, txt_y: every set font bit becomes a scale x scale square. */
draw_glyph:
	pushal
	movzbl	%al, %esi
	shl	$4, %esi
	add	font_ptr, %esi
	mov	txt_y, %bx
	mov	txt_scale, %cx
	mov	$16, %di
1:	mov	(%esi), %dl		/* a 32-bit address: the font is in the ROM at C0000h */
	inc	%esi
	mov	txt_x, %ax
2:	test	%dl, %dl
	jz	4f
	test	$0x80, %dl
	jz	3f
	push	%dx
	mov	%cx, %dx
	call	fill_rect
	pop	%dx
3:	shl	$1, %dl
	add	%cx, %ax
	jmp	2b
4:	add	%cx, %bx
	dec	%di
	jnz	1b
	popal
	ret

str_title:	.asciz	"Vessel"
str_line1:	.asciz	"Booted by SeaBIOS, drawn with VBE"
str_line2:	.asciz	"Desktop virtualization on KVM"

pan_x:		.word	0
pan_y:		.word	0
pan_w:		.word	0
pan_h:		.word	0
bar_h:		.word	0
shadow_off:	.word	0
t_scale:	.word	0
s_scale:	.word	0
title_y:	.word	0
line1_y:	.word	0
line2_y:	.word	0
txt_x:		.word	0
txt_y:		.word	0
txt_scale:	.word	0
