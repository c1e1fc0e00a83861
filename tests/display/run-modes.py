#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every mode family set through the registers on the real helper, checked pixel for pixel.

modes-guest.elf (no firmware) programs text mode 03h with its own font, mode 12h (and a
CRTC display start), mode 13h, VBE 640x480x32, VBE 800x600x16 and a panned VBE virtual
screen, stepping on a byte on COM1 after each. This runner computes the same patterns from
the formulas in modes-guest.c and the VGA specification (text through pixels.TextScreen,
colours through the attribute controller and the DAC) and compares them with the Display1
framebuffer (a memfd over D-Bus). In VBE 32 bpp a 16x16 block changes: the Damage signals
must cover it and add up to no more than four 32x32 tiles.

Usage: run-modes.py --helper PATH --guest modes-guest.elf. TAP; skips without KVM (77),
except under CI=true.
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
import displaypeer  # noqa: E402
from displaypeer import Peer, ok  # noqa: E402
import pixels  # noqa: E402


# ---- What modes-guest.c programs --------------------------------------------------------

DAC = [c for i in range(256) for c in ((i * 7 + 3) & 63, (i * 13 + 5) & 63, (i * 29 + 11) & 63)]
AR_PALETTE = [0, 1, 2, 3, 4, 5, 0x14, 7, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f]
MODE03_CR = [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
             0x00, 0x00, 3 * 80 + 5, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff]


def regs(ar10):
    return {'dac': DAC, 'pel_mask': 0xff, 'dispi_enable': 0,
            'ar': AR_PALETTE + [ar10, 0x00, 0x0f, 0x00, 0x00]}


def text_expected():
    font = bytearray(0x10000)
    for c in range(256):
        for r in range(16):
            font[c * 32 + r] = (c ^ (r * 0x1d)) & 0xff
    cells = bytearray()
    for i in range(80 * 25):
        cells += bytes((i & 0xff, (i * 7 + i // 80) & 0xff))
    dump = dict(regs(0x04), sr=[0x03, 0x00, 0x03, 0x00, 0x02], cr=MODE03_CR, cols=80,
                rows=25, cursor=[3, 5, True], cells=cells.hex(), plane2=font.hex())
    scr = pixels.TextScreen(dump)
    return [scr.render(True, True), scr.render(False, True)]


def planar_expected(start_line):
    r = regs(0x01)
    pal = [pixels.dac_rgb(r, pixels.attr_colour(r, i)) for i in range(16)]
    return [[[pal[(x // 40 + (y + start_line) // 32) & 15] for x in range(640)]
             for y in range(480)]]


def mode13_expected():
    r = regs(0x41)
    pal = [pixels.dac_rgb(r, i) for i in range(256)]
    return [[[pal[(x + 2 * y) & 0xff] for x in range(320)] for y in range(200)]]


def grad32(x, y):
    return ((x * 3) & 0xff) << 16 | ((y * 5) & 0xff) << 8 | ((x ^ y) & 0xff)


def vbe32_expected(block=False, dx=0, dy=0):
    rows = [[grad32(x + dx, y + dy) for x in range(640)] for y in range(480)]
    if block:
        for y in range(100, 116):
            rows[y][200:216] = [0xff00ff] * 16
    return [rows]


def vbe16_expected():
    def px(x, y):
        r5, g6, b5 = (x >> 3) & 31, y & 63, (x + y) & 31
        return ((r5 << 3 | r5 >> 2) << 16 | (g6 << 2 | g6 >> 4) << 8 | (b5 << 3 | b5 >> 2))
    return [[[px(x, y) for x in range(800)] for y in range(600)]]


# ---- Comparing the screen (the helper and its Display1 peer: displaypeer.py) ----------

def matches(p, variants, timeout=10.0):
    """Wait until the screen equals one variant; (matched, size, mismatches, first few)."""
    end = time.monotonic() + timeout
    while True:
        got = p.screen()
        for want in variants:
            if len(got) == len(want) and got == want:
                return True, (len(got[0]), len(got)), 0, []
        if time.monotonic() >= end:
            break
        p.pump(0.3)
    want = variants[0]
    size = (len(got[0]) if got else 0, len(got))
    if size != (len(want[0]), len(want)):
        return False, size, -1, []
    bad, first = pixels.mismatches(got, want)
    return False, size, bad, first


def check_phase(p, name, variants, what):
    if not ok(p.wait_serial('phase %s\n' % name, 90), 'the guest reached phase "%s"' % name):
        return False
    good, size, bad, first = matches(p, variants)
    ok(good, '%s: %dx%d framebuffer equals the pattern (%s)' %
       (what, size[0], size[1], 'exact' if good else
        'wrong size' if bad < 0 else '%d pixels differ' % bad))
    for f in first:
        print('#   pixel (%d,%d): got %06x want %06x' % f)
    return good


def check_block_damage(p):
    """The Damage since the step must cover the 16x16 block and stay within four tiles."""
    p.pump(0.5)
    rects = list(p.damage)
    missing = sum(1 for y in range(100, 116) for x in range(200, 216)
                  if not any(rx <= x < rx + rw and ry <= y < ry + rh
                             for rx, ry, rw, rh in rects))
    area = sum(rw * rh for _, _, rw, rh in rects)
    ok(rects and not missing, 'Damage covers the 16x16 block (%d rects: %s)' %
       (len(rects), rects[:4]))
    ok(0 < area <= 4 * 32 * 32, 'Damage adds up to %d pixels, at most four 32x32 tiles' % area)


def run(a, work):
    p = Peer(a.helper, ['--memory', '32M', '--multiboot', a.guest, '--serial', 'stdio',
                        '--timeout', '240'], work)
    try:
        phases = [('text', text_expected, 'mode 03h text, own font, 9-dot cells, cursor'),
                  ('planar', lambda: planar_expected(0), 'mode 12h 16-colour bars'),
                  ('pan', lambda: planar_expected(37), 'mode 12h, CRTC start 37 lines down'),
                  ('13h', mode13_expected, 'mode 13h 256-colour gradient'),
                  ('vbe32', vbe32_expected, 'VBE 640x480x32 gradient')]
        for name, fn, what in phases:
            if not check_phase(p, name, fn(), what):
                return
            if name == 'vbe32':
                p.pump(0.5)         # the gradient's own damage has been signalled
                p.damage.clear()
            p.step()
        if not check_phase(p, 'block', vbe32_expected(block=True), 'VBE 32 bpp, 16x16 block'):
            return
        check_block_damage(p)
        p.step()
        if not check_phase(p, 'vbe16', vbe16_expected(), 'VBE 800x600x16 (5:6:5)'):
            return
        p.step()
        check_phase(p, 'vbepan', vbe32_expected(dx=100, dy=50),
                    'VBE 1024-wide virtual screen, display start (100, 50)')
        p.step()
        ok(p.wait_serial('phase done', 30), 'the guest finished')
    finally:
        p.stop()


if __name__ == '__main__':
    sys.exit(displaypeer.main(run, 'vessel-modes-'))
