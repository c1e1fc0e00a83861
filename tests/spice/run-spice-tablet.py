#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SPICE client mouse mode on the virtio-input tablet, with a real libspice-client-glib client.

1. With --tablet the helper registers a SpiceTabletInterface, so spice-server offers client
   mouse mode and spice-tablet.py's main channel reports SPICE_MOUSE_MODE_CLIENT. The
   positions, clicks and wheel steps it sends through the inputs channel reach the tablet kit
   guest (tests/guests/test-tablet.c, an 800x600 VBE mode) as `vin ev` lines: every position
   scaled x * 32767 // 799 (the device's documented rounding), hostile positions ((5000, -20),
   INT_MIN/INT_MAX) clamped to the corners, SPICE's left/middle/right as BTN_LEFT/BTN_MIDDLE/BTN_RIGHT
   (spice-server swaps middle and right on the way), wheel down/up as REL_WHEEL -1/+1, a drag
   with the left button held; the helper logs nothing per event.
2. Without --tablet the mode stays server mode (the guest finds no tablet).
Exit 0 pass, 1 fail, 77 skip (no /dev/kvm or no SPICE GObject bindings; a failure under
CI=true). TAP on stdout.

  run-spice-tablet.py HELPER --guest test-tablet.elf
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
from kvmcheck import kvm_problem  # noqa: E402
run_spice = __import__('run-spice')
client = __import__('spice-tablet')
ok, Helper, wait_for = run_spice.ok, run_spice.Helper, run_spice.wait_for

W, H = 800, 600
ABS_MAX = 32767
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3
BTN = {client.LEFT: 272, client.RIGHT: 273, client.MIDDLE: 274}
WHEEL = {client.DOWN: -1, client.UP: 1}     # REL_WHEEL counts up for scrolling away
EVENT_RE = re.compile(r'^vin ev (\d+) (\d+) (-?\d+)\r?$', re.M)


def scaled(v, extent):
    return min(max(v, 0), extent - 1) * ABS_MAX // (extent - 1)


def expected(steps):
    """What the guest must see: distinct positions in order, key events, wheel steps."""
    pos, keys, wheel = [], [], []
    for kind, a, b in steps:
        if kind in ('pos', 'drag'):
            p = (scaled(a, W), scaled(b, H))
            if not pos or pos[-1] != p:
                pos.append(p)
        elif a in WHEEL:
            if kind == 'press':
                wheel.append(WHEEL[a])
        else:
            keys.append((BTN[a], 1 if kind == 'press' else 0))
    return pos, keys, wheel


def seen(text):
    """The same three lists from the guest's `vin ev` lines (one report ends at EV_SYN)."""
    pos, keys, wheel = [], [], []
    x = y = None
    for t, c, v in ((int(a), int(b), int(c)) for a, b, c in EVENT_RE.findall(text)):
        if t == EV_ABS:
            x, y = (v, y) if c == 0 else (x, v)
        elif t == EV_KEY:
            keys.append((c, v))
        elif t == EV_REL:
            wheel.append(v)
        elif t == EV_SYN and (not pos or pos[-1] != (x, y)):
            pos.append((x, y))
    return pos, keys, wheel


def run_client(py, port, want):
    try:
        r = subprocess.run([py, os.path.join(HERE, 'spice-tablet.py'), str(port), want],
                           capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return -1, 'spice-tablet.py timed out'


def case_client_mode(exe, work, guest, py):
    port = run_spice.free_port()
    h = Helper(exe, work, ['--multiboot', guest, '--memory', '32M', '--tablet',
                           '--append', 'seconds=200 width=%d height=%d' % (W, H),
                           '--spice', 'tcp:127.0.0.1:%d' % port], serial='stdio')
    ready = wait_for(h.log, 'vin: ready', 90, h.proc)
    ok(ready, 'the guest set %dx%d and its virtio-input driver is ready' % (W, H), h.output())
    rc, out = run_client(py, port, 'client')
    time.sleep(1.5)             # the guest prints the last events
    h.stop()
    text = h.output()
    ok(rc == 0 and 'mouse mode client' in out,
       'with --tablet the main channel reports client mouse mode and the steps were played',
       out)
    want, got = expected(client.STEPS), seen(text)
    ok(got[0] == want[0], 'positions scaled to 0..32767 over %dx%d, hostile ones clamped: %s'
       % (W, H, got[0]), 'want %s' % (want[0],))
    ok(got[1] == want[1], 'left, middle, right and a drag arrive as BTN_* key events in order:'
       ' %s' % got[1], 'want %s' % want[1])
    ok(got[2] == want[2], 'wheel down, up arrive as REL_WHEEL %s' % got[2], 'want %s' % want[2])
    helper_lines = [l for l in text.splitlines() if not l.startswith('vin')]
    ok(not [l for l in helper_lines if 'tablet' in l or 'virtio-input' in l],
       'the helper logged nothing about the tablet per event', '\n'.join(helper_lines))
    # Meaningful with a -Dsanitize=true helper (pass one as HELPER): ASan/UBSan reports.
    ok('Sanitizer' not in text and 'runtime error' not in text,
       'no sanitizer report from the helper', '\n'.join(helper_lines))


def case_server_mode(exe, work, guest, py):
    port = run_spice.free_port()
    h = Helper(exe, work, ['--multiboot', guest, '--memory', '32M',
                           '--append', 'seconds=200 absent=1 width=%d height=%d' % (W, H),
                           '--spice', 'tcp:127.0.0.1:%d' % port], serial='stdio')
    ready = wait_for(h.log, 'vin: no tablet', 90, h.proc)
    ok(ready, 'without --tablet the guest finds no tablet', h.output())
    rc, out = run_client(py, port, 'server')
    h.stop()
    ok(rc == 0, 'without a tablet the mouse mode stays server mode for %d s'
       % client.SERVER_WATCH_S, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('helper')
    ap.add_argument('--guest', required=True, help='test-tablet.elf')
    args = ap.parse_args()
    reason = kvm_problem()
    if reason:
        run_spice.skip_or_fail(reason)
    py = run_spice.gi_python()
    if not py:
        run_spice.skip_or_fail('no SPICE GObject bindings (python3-gi, '
                               'gir1.2-spiceclientglib-2.0)')
    with tempfile.TemporaryDirectory(prefix='vessel-spice-tablet-') as work:
        case_client_mode(args.helper, work, args.guest, py)
        case_server_mode(args.helper, work, args.guest, py)
    print('1..%d' % run_spice.count)
    return 1 if run_spice.failures else 0


if __name__ == '__main__':
    sys.exit(main())
