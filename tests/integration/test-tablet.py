#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The virtio-input tablet driven through Display1, seen by a kit guest's driver:

- with --tablet, HasTablet is true and PointerPosition(x, y, dz, buttons) reaches the guest
  (tests/guests/test-tablet.c prints each event as `vin ev TYPE CODE VALUE`): positions scaled
  exactly to x * 32767 // (width - 1) on a 640x480 mode, clamped past the edge, button presses
  and releases as BTN_LEFT/MIDDLE/RIGHT key events, wheel steps as REL_WHEEL (negated), every
  group ended by SYN_REPORT; out-of-range arguments are InvalidArgument;
- a snapshot of that VM (--snapshot-at) restored in a new helper (--restore) still has a
  working tablet: HasTablet, and a click arrives in the restored guest;
- without --tablet, HasTablet is false and PointerPosition fails with NotSupported.

Usage: test-tablet.py --helper PATH --guest test-tablet.elf
Exit 0 pass, 1 fail, 77 skip (no KVM; a failure under CI=true). TAP on stdout.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from taputil import checks, done, kvm_gate, ok, reexec_with_gi, start_helper  # noqa: E402,F401

PATH = '/io/github/vesselvm/Vessel/VM'
DISPLAY = 'io.github.vesselvm.Vessel.Display1'
ABS_MAX = 32767
W, H = 640, 480
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3
BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, REL_WHEEL = 272, 273, 274, 8
EVENT_RE = re.compile(r'^vin ev (\d+) (\d+) (-?\d+)\r?$', re.M)


def scaled(v, extent):
    """The rounding the device documents (virtio-input.h): down, the last pixel at the max."""
    return min(v, extent - 1) * ABS_MAX // (extent - 1)


class Peer:
    """A helper started with --control-fd running the tablet kit guest, and our D-Bus end."""

    def __init__(self, helper, args, work):
        from gi.repository import Gio
        self.Gio = Gio
        self.log = os.path.join(work, 'serial-%d.txt' % len(os.listdir(work)))
        self.out = open(self.log, 'w')
        self.proc, self.conn = start_helper(helper, args, stdout=self.out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        try:
            return open(self.log, errors='replace').read()
        except OSError:
            return ''

    def wait_text(self, text, timeout, start=0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.text()[start:]:
                return True
            if self.proc.poll() is not None:
                return text in self.text()[start:]
            time.sleep(0.05)
        return False

    def call(self, method, sig=None, args=None, iface=DISPLAY):
        from gi.repository import GLib
        params = GLib.Variant(sig, args) if sig else None
        return self.conn.call_sync(None, PATH, iface, method, params, None,
                                   self.Gio.DBusCallFlags.NONE, 10000, None).unpack()

    def has_tablet(self):
        return self.call('Get', '(ss)', (DISPLAY, 'HasTablet'),
                         iface='org.freedesktop.DBus.Properties')[0]

    def position(self, x, y, dz=0, buttons=0):
        """PointerPosition, then the events of the one group it makes (None: none came)."""
        mark = len(self.text())
        self.call('PointerPosition', '(uuiu)', (x, y, dz, buttons))
        end = time.monotonic() + 20
        while time.monotonic() < end:
            evs = [tuple(int(v) for v in m) for m in EVENT_RE.findall(self.text()[mark:])]
            if (EV_SYN, 0, 0) in evs:
                return evs
            time.sleep(0.05)
        return None

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.out.close()


def expect(x, y, keys=(), wheel=0):
    evs = [(EV_ABS, 0, scaled(x, W)), (EV_ABS, 1, scaled(y, H))]
    evs += [(EV_KEY, code, val) for code, val in keys]
    if wheel:
        evs.append((EV_REL, REL_WHEEL, wheel))
    return evs + [(EV_SYN, 0, 0)]


def well_formed(groups):
    """Each group is ABS_X, ABS_Y, keys, maybe the wheel, SYN; a key only ever changes."""
    held = {BTN_LEFT: 0, BTN_MIDDLE: 0, BTN_RIGHT: 0}
    for g in groups:
        if len(g) < 3 or g[0][:2] != (EV_ABS, 0) or g[1][:2] != (EV_ABS, 1) or \
           g[-1] != (EV_SYN, 0, 0):
            return 'malformed group %s' % (g,)
        for t, c, v in g[2:-1]:
            if t == EV_KEY and (c not in held or held[c] == v or v not in (0, 1)):
                return 'key %d to %d while it was %s in %s' % (c, v, held.get(c), g)
            if t == EV_KEY:
                held[c] = v
            elif (t, c) != (EV_REL, REL_WHEEL):
                return 'unexpected event %s' % ((t, c, v),)
    return None


def burst(p):
    """Presses and moves faster than the guest prints: groups drop whole, clicks never."""
    mark = len(p.text())
    for i in range(300):
        p.call('PointerPosition', '(uuiu)', (i % W, (7 * i) % H, 0, (i // 3) & 1))
    p.call('PointerPosition', '(uuiu)', (1, 2, 0, 0))
    last = [(EV_ABS, 0, scaled(1, W)), (EV_ABS, 1, scaled(2, H))]
    end = time.monotonic() + 60
    while True:
        groups, cur = [], []
        for e in EVENT_RE.findall(p.text()[mark:]):
            cur.append(tuple(int(v) for v in e))
            if cur[-1] == (EV_SYN, 0, 0):
                groups.append(cur)
                cur = []
        if (groups and groups[-1][:2] == last) or time.monotonic() > end:
            break
        time.sleep(0.1)
    ok(not cur and groups and groups[-1][:2] == last,
       'a burst of 301 positions ends where the last one was (%d groups arrived)' %
       len(groups))
    why = well_formed(groups)
    ok(why is None, 'every group arrived whole, and no press or release was lost or '
       'repeated: %s' % (why or 'yes'))


def guest_args(a, append, tablet=True):
    return (['--memory', '32M', '--multiboot', a.guest, '--serial', 'stdio', '--timeout',
             '300', '--append', append] + (['--tablet'] if tablet else []))


def case_events(a, work, snap):
    p = Peer(a.helper, guest_args(a, 'seconds=280 width=%d height=%d' % (W, H)) +
             ['--snapshot-at', '6:' + snap], work)
    try:
        ok(p.wait_text('vin: ready', 90), 'the guest driver is ready (DRIVER_OK)')
        ok(p.has_tablet() is True, 'HasTablet is true with --tablet')
        ok(p.wait_text('snapshot saved to', 60), 'the VM was snapshotted at 6 s')
        steps = [
            ((0, 0), expect(0, 0), 'the top left corner is (0, 0)'),
            ((W - 1, H - 1), expect(W - 1, H - 1), 'the bottom right pixel is (32767, 32767)'),
            ((320, 240), expect(320, 240), 'the centre (320, 240) scales to (%d, %d)' % (
                scaled(320, W), scaled(240, H))),
            ((5000, 9000), expect(W - 1, H - 1), 'a position past the screen is clamped'),
            ((100, 50, 0, 1), expect(100, 50, [(BTN_LEFT, 1)]), 'left press'),
            ((101, 50, 0, 1), expect(101, 50), 'a drag repeats no key event'),
            ((101, 50, 0, 0), expect(101, 50, [(BTN_LEFT, 0)]), 'left release'),
            ((7, 8, 0, 6), expect(7, 8, [(BTN_MIDDLE, 1), (BTN_RIGHT, 1)]),
             'buttons 6: middle and right pressed'),
            ((7, 8, 0, 0), expect(7, 8, [(BTN_MIDDLE, 0), (BTN_RIGHT, 0)]),
             'and released'),
            ((7, 8, 1, 0), expect(7, 8, wheel=-1), 'dz 1 (scroll down) is REL_WHEEL -1'),
            ((7, 8, -3, 0), expect(7, 8, wheel=3), 'dz -3 (scroll up) is REL_WHEEL 3'),
        ]
        for args, want, what in steps:
            got = p.position(*args)
            ok(got == want, '%s: %s' % (what, got if got != want else 'as expected'))
        burst(p)
        for bad, what in (((1, 1, 0, 8), 'button bit 3'), ((1, 1, 300, 0), 'dz 300')):
            try:
                p.call('PointerPosition', '(uuiu)', bad)
                ok(False, '%s is refused' % what)
            except Exception as e:  # GLib.Error
                ok('InvalidArgument' in str(e), '%s is InvalidArgument' % what)
        ok('virtio-input' not in p.text() and p.proc.poll() is None,
           'the VM runs on and the helper logged no virtio-input guest error')
    finally:
        p.stop()


def case_restore(a, work, snap):
    p = Peer(a.helper, guest_args(a, 'seconds=280 width=%d height=%d' % (W, H)) +
             ['--restore', snap], work)
    try:
        ok(p.wait_text('restored', 60), 'a new helper restored the snapshot')
        ok(p.has_tablet() is True, 'HasTablet is true after restore')
        got = None
        for _ in range(3):  # the restored guest's loop may need a moment to run again
            got = p.position(W - 1, 0, 0, 1)
            if got:
                break
        ok(got == expect(W - 1, 0, [(BTN_LEFT, 1)]),
           'a click reaches the restored guest: %s' % got)
        got = p.position(W - 1, 0, 0, 0)
        ok(got == expect(W - 1, 0, [(BTN_LEFT, 0)]), 'and its release: %s' % got)
    finally:
        p.stop()


def case_absent(a, work):
    p = Peer(a.helper, guest_args(a, 'seconds=280 absent=1', tablet=False), work)
    try:
        ok(p.wait_text('vin: no tablet', 90), 'without --tablet the guest finds no 1af4:1052')
        ok(p.has_tablet() is False, 'HasTablet is false without --tablet')
        try:
            p.call('PointerPosition', '(uuiu)', (1, 1, 0, 0))
            ok(False, 'PointerPosition without a tablet is refused')
        except Exception as e:  # GLib.Error
            ok('NotSupported' in str(e) and 'tablet' in str(e),
               'PointerPosition without a tablet is NotSupported: %s' % e)
    finally:
        p.stop()


def main():
    reexec_with_gi()
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--guest', required=True)
    a = ap.parse_args()
    gate = kvm_gate()
    if gate is not None:
        return gate
    with tempfile.TemporaryDirectory(prefix='vessel-tablet-') as work:
        snap = os.path.join(work, 'snap')
        logs = os.path.join(work, 'logs')
        os.mkdir(logs)
        case_events(a, logs, snap)
        if os.path.isdir(snap):
            case_restore(a, logs, snap)
        else:
            ok(False, 'no snapshot to restore')
        case_absent(a, logs)
        if not all(checks):
            for name in sorted(os.listdir(logs)):
                print('# --- %s ---' % name)
                for line in open(os.path.join(logs, name), errors='replace'):
                    print('# ' + line.rstrip())
    return done()


if __name__ == '__main__':
    sys.exit(main())
