// SPDX-License-Identifier: GPL-2.0-or-later
/* Text mode as a character grid: CP437 to Unicode, cursor position, a UTF-8 dump. */
#include "vga-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * IBM code page 437, the layout of the VGA ROM fonts (IBM VGA Technical Reference,
 * "Character Set"), as Unicode: the glyphs of 01h-1Fh and 7Fh are the printable symbols
 * the font draws there, not control characters; 00h is a blank.
 */
static const uint16_t cp437[256] = {
	0x0020, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
	0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
	0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8,
	0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc,
	0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
	0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x2302,
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

uint32_t vga_cp437_to_unicode(uint8_t c)
{
	return cp437[c];
}

struct grid_geom {
	unsigned cols, rows;
	uint32_t start, pitch;
};

static bool grid_geometry(const struct vga_regs *r, struct grid_geom *g)
{
	unsigned lines = vga_scanlines(r), ch = (r->cr[VGA_CR_MAX_SCAN] & 0x1f) + 1u;

	if (vga_vbe_on(r) || (r->gr[VGA_GR_MISC] & VGA_GR6_GRAPHICS))
		return false;
	if (r->cr[VGA_CR_MAX_SCAN] & 0x80)
		lines /= 2;
	g->cols = r->cr[VGA_CR_HDE] + 1u;
	g->rows = lines / ch;
	g->start = (uint32_t)r->cr[VGA_CR_START_HI] << 8 | r->cr[VGA_CR_START_LO];
	g->pitch = 2u * r->cr[VGA_CR_OFFSET];
	return true;
}

static void grid_cursor(const struct vga_regs *r, const struct grid_geom *g,
			struct vga_text_info *info)
{
	uint32_t loc = (uint32_t)r->cr[VGA_CR_CURSOR_HI] << 8 | r->cr[VGA_CR_CURSOR_LO];
	uint32_t d = (loc - g->start) & 0xffff;
	uint8_t cs = r->cr[VGA_CR_CURSOR_START];

	info->cursor_col = info->cursor_row = -1;
	info->cursor_visible = !(cs & 0x20) &&
			       (cs & 0x1f) <= (r->cr[VGA_CR_CURSOR_END] & 0x1f);
	if (!g->pitch || d / g->pitch >= g->rows || d % g->pitch >= g->cols)
		return;
	info->cursor_row = (int)(d / g->pitch);
	info->cursor_col = (int)(d % g->pitch);
}

int vga_text_grid(struct vga *vga, struct vga_text_cell *cells, size_t max,
		  struct vga_text_info *info)
{
	struct vga_regs r;
	struct grid_geom g;

	pthread_mutex_lock(&vga->lock);
	r = vga->r;
	pthread_mutex_unlock(&vga->lock);
	memset(info, 0, sizeof(*info));
	if (!grid_geometry(&r, &g))
		return -ENOTSUP;
	info->cols = g.cols;
	info->rows = g.rows;
	grid_cursor(&r, &g, info);
	if (max < (size_t)g.cols * g.rows)
		return -ENOSPC;
	for (unsigned y = 0; y < g.rows; y++) {
		for (unsigned x = 0; x < g.cols; x++) {
			unsigned a = vga_crtc_addr(&r, g.start + y * g.pitch + x, 0);
			struct vga_text_cell *c = &cells[(size_t)y * g.cols + x];

			c->ch = vga_plane_byte(vga, 0, a, 0xffff);
			c->attr = vga_plane_byte(vga, 1, a, 0xffff);
			c->cp = cp437[c->ch];
		}
	}
	return 0;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static int dump_row(FILE *out, const struct vga_text_cell *row, unsigned cols, char *buf)
{
	size_t n = 0, keep = 0;

	for (unsigned x = 0; x < cols; x++) {
		n += utf8_put(buf + n, row[x].cp);
		if (row[x].cp != ' ' && row[x].cp != 0xa0)
			keep = n;
	}
	buf[keep] = '\n';
	return fwrite(buf, 1, keep + 1, out) == keep + 1 ? 0 : -EIO;
}

int vga_text_dump(struct vga *vga, FILE *out)
{
	struct vga_text_info info;
	struct vga_text_cell *cells;
	char *buf;
	int ret = vga_text_grid(vga, NULL, 0, &info);

	if (ret != -ENOSPC && ret)
		return ret;
	cells = calloc((size_t)info.cols * info.rows + 1, sizeof(*cells));
	buf = malloc((size_t)info.cols * 3 + 1);
	ret = cells && buf ? vga_text_grid(vga, cells, (size_t)info.cols * info.rows, &info)
			   : -ENOMEM;
	for (unsigned y = 0; !ret && y < info.rows; y++)
		ret = dump_row(out, cells + (size_t)y * info.cols, info.cols, buf);
	free(buf);
	free(cells);
	return ret;
}
