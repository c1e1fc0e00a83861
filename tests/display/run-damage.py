#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Display1's Damage for a guest that draws slowly: every changed pixel announced once.

damage-guest.c paints a 200x40 band one row per byte on COM1 (at y 100, crossing the tile row
at y 128); we wait for each row and then several Display1 refreshes before the next, so each
of the framebuffer's 32x32 damage tiles changes over many refreshes. The Damage signals must
cover every pixel of the band, no pixel twice and none outside it; the memfd must hold the
band. (Helper damage is whole tiles: without trimming against what was already delivered,
each row re-announces its band of tiles, and one guest change arrives up to 32 times.)

Usage: run-damage.py --helper PATH --guest damage-guest.elf. TAP; skips without KVM (77),
except under CI=true.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
import displaypeer  # noqa: E402
from displaypeer import Peer, ok  # noqa: E402

WIDTH, HEIGHT = 640, 480
BAND_X, BAND_Y, BAND_W, BAND_ROWS = 40, 100, 200, 40
GREY = 0x404040
REFRESH_WAIT_S = 0.08       # five of the helper's 16 ms Display1 refreshes


def row_colour(row):
    """damage-guest.c's colour of band row `row`."""
    return (0xe01020 + row * 0x030507) & 0xffffff


def coverage(rects):
    """How many times each screen pixel was announced (a bytearray, row-major, capped)."""
    counts = bytearray(WIDTH * HEIGHT)
    for x, y, w, h in rects:
        for yy in range(y, min(y + h, HEIGHT)):
            base = yy * WIDTH
            for xx in range(x, min(x + w, WIDTH)):
                counts[base + xx] = min(counts[base + xx] + 1, 255)
    return counts


def in_band(x, y):
    return BAND_X <= x < BAND_X + BAND_W and BAND_Y <= y < BAND_Y + BAND_ROWS


def check_damage(rects):
    counts = coverage(rects)
    missing = twice = outside = 0
    for y in range(HEIGHT):
        for x in range(WIDTH):
            c = counts[y * WIDTH + x]
            if in_band(x, y):
                missing += c == 0
                twice += c > 1
            else:
                outside += c > 0
    area = sum(w * h for _, _, w, h in rects)
    ok(missing == 0, 'Damage covers all %d pixels the guest changed (%d missing)' %
       (BAND_W * BAND_ROWS, missing))
    ok(twice == 0, 'no changed pixel is announced twice (%d were; %d rectangles adding up to '
       '%d pixels, %.1f times the change)' % (twice, len(rects), area,
                                             area / (BAND_W * BAND_ROWS)))
    ok(outside == 0, 'no unchanged pixel is announced (%d were)' % outside)


def check_pixels(p):
    w, h, stride, data = p.framebuffer()
    bad = 0
    for y in range(BAND_Y - 2, BAND_Y + BAND_ROWS + 2):
        for x in range(BAND_X - 2, BAND_X + BAND_W + 2):
            want = row_colour(y - BAND_Y) if in_band(x, y) else GREY
            o = y * stride + x * 4
            bad += int.from_bytes(data[o:o + 3], 'little') != want
    ok((w, h) == (WIDTH, HEIGHT) and bad == 0,
       'the memfd holds the band and the grey around it (%d pixels differ)' % bad)


def run(a, work):
    p = Peer(a.helper, ['--memory', '32M', '--multiboot', a.guest, '--serial', 'stdio',
                        '--timeout', '120'], work)
    try:
        if not ok(p.wait_serial('damage: ready', 60, poll=0.02), 'the guest set 640x480x32'):
            return
        w, h, _, _ = p.framebuffer()       # starts the Display1 refresh
        ok((w, h) == (WIDTH, HEIGHT), 'GetFramebuffer: %dx%d' % (w, h))
        p.pump(0.5)
        p.damage.clear()
        drawn = 0
        for row in range(BAND_ROWS):
            p.proc.stdin.write(bytes([row]))
            p.proc.stdin.flush()
            if not p.wait_serial('damage: row %d drawn' % row, 30, poll=0.02):
                break
            drawn += 1
            p.pump(REFRESH_WAIT_S)
        if not ok(drawn == BAND_ROWS, 'the guest drew the band row by row (%d rows)' % drawn):
            return
        p.pump(0.5)
        check_damage(list(p.damage))
        check_pixels(p)
    finally:
        p.stop()


if __name__ == '__main__':
    sys.exit(displaypeer.main(run, 'vessel-damage-'))
