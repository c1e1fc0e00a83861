#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SeaBIOS's POST screen, screenshot vs. the text grid re-rendered with the guest's own font.

Boots Debian's SeaBIOS + SeaVGABIOS with no disk until "No bootable device", powers off
(two SIGTERMs) and takes both --screenshot-on-exit (PNG) and --dump-text-on-exit as JSON
(registers, DAC, character/attribute grid, plane 2). pixels.TextScreen re-renders the grid
from the VGA specification with the font SeaVGABIOS loaded into plane 2; the screenshot must
equal it pixel for pixel in one of the blink phases (cursor and blinking characters blink
with real time). Prints TAP; skips without a usable /dev/kvm, except under CI=true.
"""

import argparse
import json
import subprocess
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
from kvmcheck import kvm_problem  # noqa: E402

sys.path.insert(0, HERE)
import pixels  # noqa: E402


def run_post(helper, work, timeout):
    """Run POST to its end; (dump dict or None, PNG path, firmware log, stderr, status)."""
    fwlog, png, dump = (os.path.join(work, n) for n in ('post.fw', 'post.png', 'post.json'))
    cmd = [helper, '--memory', '64M', '--serial', 'none', '--firmware-log', fwlog,
           '--timeout', str(timeout), '--screenshot-on-exit', png,
           '--dump-text-on-exit', dump]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start, log = time.monotonic(), ''
    while time.monotonic() - start < timeout and p.poll() is None:
        time.sleep(0.2)
        if os.path.exists(fwlog):
            log = open(fwlog, 'rb').read().decode('latin-1')
            if 'No bootable device' in log:
                break
    time.sleep(0.5)                 # let SeaVGABIOS finish drawing the message
    p.terminate()                   # the ACPI power button: firmware ignores it
    time.sleep(1.0)
    p.terminate()                   # the second powers off
    rc = p.wait(timeout=30)
    err = p.stderr.read().decode('latin-1')
    data = json.load(open(dump)) if os.path.exists(dump) else None
    return data, png, log, err, rc


def grid_text(dump):
    cells = bytes.fromhex(dump['cells'])
    cols = dump['cols']
    return '\n'.join(''.join(chr(c) if 32 <= c < 127 else ' ' for c in cells[r * cols * 2:
                                                                       (r + 1) * cols * 2:2])
                     for r in range(dump['rows']))


def check(dump, png):
    """TAP lines (ok, text) for one POST screen."""
    results = []
    text = grid_text(dump)
    results.append(('SeaBIOS (version' in text and 'No bootable device' in text,
                    'the grid holds the SeaBIOS banner and "No bootable device"'))
    scr = pixels.TextScreen(dump)
    results.append((scr.cols == 80 and scr.cw == 9 and scr.ch == 16 and scr.map_a == 0,
                    'mode 03h: 80 columns, 9x16 cells, font at plane 2 offset 0 (got %d cols, '
                    '%dx%d, map %#x)' % (scr.cols, scr.cw, scr.ch, scr.map_a)))
    glyph_a = scr.font[ord('A') * 32:ord('A') * 32 + 16]
    results.append((sum(bin(b).count('1') for b in glyph_a) > 10 and glyph_a != bytes(16),
                    'plane 2 holds a font (glyph "A": %s)' % glyph_a.hex()))
    w, h, got = pixels.read_png(png)
    results.append(((w, h) == (scr.width, scr.height),
                    'screenshot %dx%d, grid %dx%d' % (w, h, scr.width, scr.height)))
    if (w, h) != (scr.width, scr.height):
        return results, []
    best = None
    for cursor_on in (True, False):
        for blink_visible in (True, False):
            bad, first = pixels.mismatches(got, scr.render(cursor_on, blink_visible))
            if best is None or bad < best[0]:
                best = (bad, first, cursor_on, blink_visible)
    lit = sum(1 for row in got for p in row if p != got[0][0])
    results.append((lit > 2000, '%d pixels differ from the background (text is drawn)' % lit))
    results.append((best[0] == 0, 'screenshot equals the re-rendered grid pixel for pixel '
                    '(%d differ; cursor %s, blink %s)' % (best[0], best[2], best[3])))
    return results, ['pixel (%d,%d): got %06x want %06x' % f for f in best[1]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--timeout', type=int, default=60)
    ap.add_argument('--keep', help='keep the PNG and the JSON dump in this directory')
    args = ap.parse_args()
    why = kvm_problem()
    if why:
        if os.environ.get('CI') == 'true':
            print('1..1\nnot ok 1 - KVM is required on CI: %s' % why)
            return 1
        print('1..0 # SKIP %s' % why)
        return 0
    with tempfile.TemporaryDirectory(prefix='vessel-post-screen-') as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        dump, png, log, err, rc = run_post(args.helper, work, args.timeout)
        if dump is None or not os.path.exists(png):
            print('1..1\nnot ok 1 - no dump or screenshot (helper status %d)' % rc)
            for line in (log.splitlines()[-20:] + err.splitlines()[-20:]):
                print('#   ' + line)
            return 1
        results, notes = check(dump, png)
    print('1..%d' % len(results))
    for n, (good, title) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if good else 'not ok', n, title))
    for line in notes:
        print('#   ' + line)
    return 0 if all(g for g, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
