#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot the demo disk through SeaBIOS and check the picture it draws.

Runs vessel-helper with the disk until the guest says it drew (or --timeout), saving the screen with
--screenshot-on-exit, then reads the PNG (stdlib only: zlib plus the PNG filters, PNG
spec 2nd ed. §9) and checks its size against the VBE mode the demo wants and a few pixels
recomputed here from the demo's layout rules (draw.S) and colours (demo.h): gradient rows,
panel, border, accent bar, shadow, and that the title has title-coloured pixels. The COM1
lines must be there too. Exit 0 pass, 1 fail, 77 skip (no usable /dev/kvm, unless CI=true).
"""

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, 'tests'))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
from kvmcheck import kvm_problem  # noqa: E402

WANT_W, WANT_H = 800, 600
GRAD_TOP, GRAD_BOTTOM = 0x0b1a3a, 0x2f8f9d
SHADOW, BORDER, PANEL, ACCENT = 0x061024, 0x1d3557, 0xf4f7fb, 0xe76f51
TITLE = 0x1d3557


def skip_or_fail(why):
    if os.environ.get('CI') == 'true':
        print('FAIL: KVM is required on CI: %s' % why)
        sys.exit(1)
    print('SKIP: %s' % why)
    sys.exit(77)




def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    """PNG spec §9.2: undo each scanline's filter; returns rows of bytes."""
    stride = width * bpp
    rows, prev, pos = [], bytearray(stride), 0
    for _ in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xff
            elif ftype != 0:
                raise ValueError('bad PNG filter type %d' % ftype)
        rows.append(line)
        prev = line
    return rows


def read_png(path):
    """(width, height, pixel(x, y) -> 0xRRGGBB) for 8-bit RGB or RGBA, non-interlaced."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif ctype == b'IDAT':
            idat += body
        elif ctype == b'IEND':
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = hdr
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError('unsupported PNG: depth %d colour type %d' % (depth, colour))
    bpp = 3 if colour == 2 else 4
    rows = unfilter(zlib.decompress(idat), width, height, bpp)

    def pixel(x, y):
        r, g, b = rows[y][x * bpp:x * bpp + 3]
        return r << 16 | g << 8 | b
    return width, height, pixel


def gradient(y, h):
    """draw.S grad_rgb: per channel (top * (den - y) + bottom * y) / den, den = h - 1."""
    den, out = h - 1, 0
    for shift in (16, 8, 0):
        top, bot = GRAD_TOP >> shift & 0xff, GRAD_BOTTOM >> shift & 0xff
        out |= (top * (den - y) + bot * y) // den << shift
    return out


def expectations(w, h):
    """(what, x, y, colour) from draw.S's layout rules, written out again here."""
    pw, ph = w * 3 // 4, h // 2
    px, py = (w - pw) // 2, (h - ph) // 2
    sh, bar = max(2, w // 100), ph // 16
    return [
        ('gradient top-left', 0, 0, gradient(0, h)),
        ('gradient top-right', w - 1, 0, gradient(0, h)),
        ('gradient bottom-left', 0, h - 1, gradient(h - 1, h)),
        ('gradient row 100', w - 1, 100, gradient(100, h)),
        ('gradient row h-40', 5, h - 40, gradient(h - 40, h)),
        ('border', px, py + ph // 2, BORDER),
        ('border corner', px + pw - 1, py + ph - 1, BORDER),
        ('panel', px + 10, py + ph - 10, PANEL),
        ('accent bar', px + pw // 2, py + 2 + bar // 2, ACCENT),
        ('below accent bar', px + pw // 2, py + 2 + bar, PANEL),
        ('shadow', px + pw + sh - 1, py + ph + sh - 1, SHADOW),
        ('left of shadow', px + sh - 1, py + ph + sh - 1, gradient(py + ph + sh - 1, h)),
    ]


def count_title_pixels(w, h, pixel):
    pw, ph = w * 3 // 4, h // 2
    px, py = (w - pw) // 2, (h - ph) // 2
    return sum(1 for y in range(py + 2, py + ph // 2 + ph // 4)
               for x in range(px + 2, px + pw - 2) if pixel(x, y) == TITLE)


def run_until_drawn(cmd, serial):
    """Run the helper; once the guest says it drew, give the screen a moment and stop it with
    SIGINT (the screenshot is taken on the way out). --timeout is the upper bound, so a slow
    or loaded machine gets more time without making a quick one wait."""
    import signal
    import time
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    while proc.poll() is None:
        try:
            with open(serial, errors='replace') as f:
                if 'Vessel demo: drew' in f.read():
                    time.sleep(0.5)
                    proc.send_signal(signal.SIGINT)
                    break
        except OSError:
            pass
        time.sleep(0.1)
    proc.communicate()
    return proc.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--helper', required=True)
    ap.add_argument('--image', required=True)
    ap.add_argument('--seconds', type=int, default=60)
    args = ap.parse_args()

    problem = kvm_problem()
    if problem:
        skip_or_fail(problem)
    with tempfile.TemporaryDirectory(prefix='vessel-demo-') as work:
        png, serial = os.path.join(work, 'screen.png'), os.path.join(work, 'serial.txt')
        cmd = [args.helper, '--memory', '256M', '--cpus', '2', '--disk', args.image,
               '--serial', 'file:' + serial, '--timeout', str(args.seconds),
               '--screenshot-on-exit', png]
        print('running: ' + ' '.join(cmd))
        rc = run_until_drawn(cmd, serial)
        if rc == 65:
            skip_or_fail('vessel-helper reports KVM unavailable')
        with open(serial, errors='replace') as f:
            console = f.read()
        print('COM1:\n' + console)
        failures = [] if rc in (69, 70) else ['helper exit status %d, want 70 (stopped once it '
                                              'drew) or 69 (timeout)' % rc]
        for line in ('Vessel demo: booted by SeaBIOS', 'Vessel demo: drew %dx%d' % (WANT_W, WANT_H)):
            if line not in console:
                failures.append('COM1 lacks %r' % line)
        if not os.path.exists(png):
            failures.append('no screenshot')
        else:
            failures += check_picture(png)
    for f in failures:
        print('FAIL: ' + f)
    if not failures:
        print('PASS')
    return 1 if failures else 0


def check_picture(png):
    w, h, pixel = read_png(png)
    if (w, h) != (WANT_W, WANT_H):
        return ['screenshot is %dx%d, want %dx%d' % (w, h, WANT_W, WANT_H)]
    failures = []
    for what, x, y, want in expectations(w, h):
        got = pixel(x, y)
        print('%-22s (%3d,%3d) %06x want %06x' % (what, x, y, got, want))
        if got != want:
            failures.append('%s at (%d,%d) is %06x, want %06x' % (what, x, y, got, want))
    title = count_title_pixels(w, h, pixel)
    print('title-coloured pixels: %d' % title)
    if title < 2000:		# "Vessel" at scale 5 covers ~5000 pixels
        failures.append('only %d title-coloured pixels: no "Vessel"?' % title)
    return failures


if __name__ == '__main__':
    sys.exit(main())
