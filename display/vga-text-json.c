// SPDX-License-Identifier: GPL-2.0-or-later
/* A text screen as JSON: registers, DAC, the cell grid and plane 2 (the guest's font). */
#include "vga-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * For tests that re-render a text screen on their own (tests/display/run-post-screen.py):
 * everything the picture depends on, raw. The registers are the guest's values, the DAC
 * its 6- or 8-bit entries, "cells" the grid of vga_text_grid() as hex pairs of character
 * and attribute bytes (row-major), "plane2" the 64 KiB of plane 2 that hold the character
 * maps SR03 chooses from. Nothing is interpreted here, so a test can check our renderer
 * against its own reading of the VGA specification.
 */

static void put_bytes(FILE *out, const char *name, const uint8_t *b, size_t n)
{
	fprintf(out, "  \"%s\": [", name);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%u", i ? ", " : "", b[i]);
	fprintf(out, "],\n");
}

static void put_hex(FILE *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		fputc(digits[b[i] >> 4], out);
		fputc(digits[b[i] & 15], out);
	}
}

static void put_regs(FILE *out, const struct vga_regs *r)
{
	fprintf(out, "  \"misc\": %u,\n  \"pel_mask\": %u,\n  \"ar_index\": %u,\n", r->misc,
		r->pel_mask, r->ar_index);
	fprintf(out, "  \"dispi_enable\": %u,\n", r->dispi[VBE_ENABLE]);
	put_bytes(out, "sr", r->sr, sizeof(r->sr));
	put_bytes(out, "gr", r->gr, sizeof(r->gr));
	put_bytes(out, "cr", r->cr, sizeof(r->cr));
	put_bytes(out, "ar", r->ar, sizeof(r->ar));
	put_bytes(out, "dac", &r->dac[0][0], sizeof(r->dac));
}

static void put_grid(FILE *out, const struct vga_text_cell *cells,
		     const struct vga_text_info *info)
{
	fprintf(out, "  \"cols\": %u,\n  \"rows\": %u,\n", info->cols, info->rows);
	fprintf(out, "  \"cursor\": [%d, %d, %s],\n", info->cursor_row, info->cursor_col,
		info->cursor_visible ? "true" : "false");
	fprintf(out, "  \"cells\": \"");
	for (size_t i = 0; i < (size_t)info->cols * info->rows; i++) {
		uint8_t pair[2] = { cells[i].ch, cells[i].attr };

		put_hex(out, pair, 2);
	}
	fprintf(out, "\",\n");
}

static int put_plane2(FILE *out, const struct vga *vga)
{
	uint8_t *font = malloc(VGA_PLANE_LEGACY);

	if (!font)
		return -ENOMEM;
	for (unsigned i = 0; i < VGA_PLANE_LEGACY; i++)
		font[i] = vga_plane_byte(vga, 2, i, VGA_PLANE_LEGACY - 1);
	fprintf(out, "  \"plane2\": \"");
	put_hex(out, font, VGA_PLANE_LEGACY);
	fprintf(out, "\"\n");
	free(font);
	return 0;
}

int vga_text_dump_json(struct vga *vga, FILE *out)
{
	struct vga_text_info info;
	struct vga_text_cell *cells;
	struct vga_regs r;
	int ret = vga_text_grid(vga, NULL, 0, &info);

	if (ret != -ENOSPC && ret)
		return ret;
	cells = calloc((size_t)info.cols * info.rows + 1, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	ret = vga_text_grid(vga, cells, (size_t)info.cols * info.rows, &info);
	pthread_mutex_lock(&vga->lock);
	r = vga->r;
	pthread_mutex_unlock(&vga->lock);
	if (!ret) {
		fprintf(out, "{\n  \"format\": \"vessel-vga-text-1\",\n");
		put_regs(out, &r);
		put_grid(out, cells, &info);
		ret = put_plane2(out, vga);
		fprintf(out, "}\n");
	}
	free(cells);
	if (!ret && (fflush(out) || ferror(out)))
		ret = -EIO;
	return ret;
}
