# SPDX-License-Identifier: GPL-2.0-or-later
"""PNG reading and an independent VGA text-mode renderer for the display tests (stdlib only).

The renderer works from the VGA specification (IBM VGA Technical Reference, "Alphanumeric
Modes", "Attribute Controller", "Sequencer", "CRT Controller"; FreeVGA's register pages), not
from display/vga-render-text.c, so a screenshot that matches it checks our device model
against the spec rather than against itself.
"""

import struct
import zlib


def read_png(path):
    """(width, height, pixels) of an 8-bit RGB or RGBA PNG; pixels is a list of 0xRRGGBB rows."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('%s: not a PNG' % path)
    pos, idat, hdr = 8, b'', None
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
    if not hdr or hdr[2] != 8 or hdr[3] not in (2, 6) or hdr[6] != 0:
        raise ValueError('%s: only non-interlaced 8-bit RGB/RGBA PNGs are read' % path)
    w, h, bpp = hdr[0], hdr[1], 3 if hdr[3] == 2 else 4
    raw = zlib.decompress(idat)
    rows, prev, stride = [], bytearray(w * bpp), w * bpp
    for y in range(h):
        base = y * (stride + 1)
        line = unfilter(raw[base], bytearray(raw[base + 1:base + 1 + stride]), prev, bpp)
        rows.append([line[i] << 16 | line[i + 1] << 8 | line[i + 2]
                     for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def unfilter(kind, line, prev, bpp):
    """PNG spec §9.2 filter types 0-4, undone in place."""
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 0xff
        elif kind == 2:
            line[i] = (line[i] + b) & 0xff
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xff
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 0xff
        elif kind != 0:
            raise ValueError('PNG filter type %d' % kind)
    return line


def dac_rgb(dump, index, eight_bit=False):
    """A DAC entry as 0xRRGGBB; 6-bit components scale to 8 bits by bit replication."""
    index &= dump['pel_mask']
    out = 0
    for comp in dump['dac'][index * 3:index * 3 + 3]:
        v = comp if eight_bit else ((comp & 0x3f) << 2) | ((comp & 0x3f) >> 4)
        out = out << 8 | v
    return out


def attr_colour(dump, nibble):
    """A 4-bit colour through the attribute controller to a DAC index (FreeVGA AR10-AR14)."""
    ar = dump['ar']
    v = ar[nibble & ar[0x12] & 0xf]            # colour plane enable, then the palette
    if ar[0x10] & 0x80:                         # P5:P4 from the colour select register
        v = (v & 0x0f) | (ar[0x14] & 3) << 4
    return (v & 0x3f) | (ar[0x14] & 0x0c) << 4


def charmap_base(sel):
    """SR03 map number 0-7: maps 0-3 at 16 KiB steps, 4-7 the same plus 8 KiB."""
    return (sel & 3) * 0x4000 + (sel >> 2) * 0x2000


class TextScreen:
    """The geometry and colours a text-mode dump describes."""

    def __init__(self, dump):
        sr, cr, ar = dump['sr'], dump['cr'], dump['ar']
        self.d = dump
        self.cols, self.rows = dump['cols'], dump['rows']
        self.cw = 8 if sr[1] & 0x01 else 9      # SR01 bit 0: 8-dot character clock
        self.xscale = 2 if sr[1] & 0x08 else 1  # SR01 bit 3: dot clock / 2
        self.ch = (cr[0x09] & 0x1f) + 1         # CR09: maximum scan line
        self.line_gfx = bool(ar[0x10] & 0x04)   # AR10 bit 2: line graphics enable
        self.blink = bool(ar[0x10] & 0x08)      # AR10 bit 3: blink instead of intensity
        sel = sr[3]                              # SR03: map A bits 5,3,2; map B bits 4,1,0
        self.map_a = charmap_base((sel >> 3 & 4) | (sel >> 2 & 3))
        self.map_b = charmap_base((sel >> 2 & 4) | (sel & 3))
        self.font = bytes.fromhex(dump['plane2'])
        self.cells = bytes.fromhex(dump['cells'])
        self.pal = [dac_rgb(dump, attr_colour(dump, i), bool(dump['dispi_enable'] & 0x20))
                    for i in range(16)]
        self.under = cr[0x14] & 0x1f
        self.cursor_rows = range(cr[0x0a] & 0x1f, (cr[0x0b] & 0x1f) + 1)
        self.cursor_enabled = not (cr[0x0a] & 0x20)
        self.width = self.cols * self.cw * self.xscale
        self.height = self.rows * self.ch

    def dots(self, code, attr, scan):
        """The cell's dots on one scan line, left first (9 in 9-dot mode)."""
        base = self.map_a if attr & 0x08 else self.map_b
        byte = self.font[(base + code * 32 + scan) & 0xffff]
        bits = [bool(byte >> (7 - i) & 1) for i in range(8)]
        if self.cw == 9:
            # The ninth dot is background, except C0h-DFh copy the eighth with AR10 bit 2.
            bits.append(bits[7] if self.line_gfx and 0xc0 <= code <= 0xdf else False)
        return bits

    def render(self, cursor_on, blink_visible):
        """Rows of 0xRRGGBB pixels for one blink phase of the cursor and of characters."""
        out = []
        crow, ccol, _ = self.d['cursor']
        for y in range(self.height):
            row, scan = divmod(y, self.ch)
            line = []
            for col in range(self.cols):
                i = 2 * (row * self.cols + col)
                code, attr = self.cells[i], self.cells[i + 1]
                fg, bg = attr & 0x0f, attr >> 4
                if self.blink:
                    bg &= 7
                    if attr & 0x80 and not blink_visible:
                        fg = bg
                cursor = (cursor_on and self.cursor_enabled and (row, col) == (crow, ccol)
                          and scan in self.cursor_rows)
                if cursor or (scan == self.under and attr & 0x77 == 0x01):
                    bits = [True] * self.cw
                else:
                    bits = self.dots(code, attr, scan)
                for b in bits:
                    line += [self.pal[fg if b else bg]] * self.xscale
            out.append(line)
        return out


def mismatches(got, want, limit=4):
    """(count, the first few (x, y, got, want)) over two equally sized pixel grids."""
    bad, first = 0, []
    for y, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        for x, (a, b) in enumerate(zip(g, w)):
            if a != b:
                bad += 1
                if len(first) < limit:
                    first.append((x, y, a, b))
    return bad, first
