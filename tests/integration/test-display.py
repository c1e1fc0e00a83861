#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Display1 over a real socketpair peer (Gio from python3-gi), the app's view of the screen:

- a kit guest draws a known pattern in 640x480x32 (tests/spice/vbe-guest.c): the memfd from
  GetFramebuffer holds exactly that, and it is read-only for the client;
- the guest switches to 800x600: Resized(800, 600) arrives, a new framebuffer has the new
  pattern, and Damage rectangles were announced;
- KeyboardKey with evdev codes reaches the guest: Esc opens SeaBIOS's boot menu;
- bad input (a key code that is no PC key, motion out of range) gets InvalidArgument.

Usage: test-display.py --helper PATH --vbe-guest vbe-guest.elf [--firmware bios-256k.bin]
Exit 0 pass, 1 fail, 77 skip (no KVM; a failure under CI=true). TAP on stdout.
"""

import argparse
import mmap
import os
import subprocess
import sys
import tempfile
import time

from taputil import (checks, done, kvm_gate, ok, reexec_with_gi,  # noqa: E402,F401
                     start_helper, wait_for)

PATH = '/io/github/vesselvm/Vessel/VM'
DISPLAY = 'io.github.vesselvm.Vessel.Display1'




def pattern_mismatches(buf, w, h, stride):
    """Pixels differing from vbe-guest.c's pattern; XRGB8888 little-endian is B, G, R, X."""
    bad = 0
    for y in range(h):
        row = buf[y * stride:y * stride + w * 4]
        for x in range(w):
            v = ((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffff
            if row[4 * x] != (v & 0xff) or row[4 * x + 1] != ((v >> 8) & 0xff) or \
               row[4 * x + 2] != (v >> 16):
                bad += 1
    return bad


class Peer:
    """A helper started with --control-fd, and our end of its D-Bus connection."""

    def __init__(self, helper, args, work, stdin=False):
        from gi.repository import Gio
        self.Gio = Gio
        self.log = os.path.join(work, 'serial-%d.txt' % len(os.listdir(work)))
        self.out = open(self.log, 'w')
        self.proc, self.conn = start_helper(
            helper, args, stdout=self.out, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.signals = []
        self.conn.signal_subscribe(None, DISPLAY, None, PATH, None,
                                   Gio.DBusSignalFlags.NONE, self._signal)

    def _signal(self, conn, sender, path, iface, name, params):
        self.signals.append((name, params.unpack()))

    def call(self, method, args=None, fds=False):
        from gi.repository import GLib
        params = GLib.Variant(*args) if args else None
        if fds:
            return self.conn.call_with_unix_fd_list_sync(
                None, PATH, DISPLAY, method, params, None, self.Gio.DBusCallFlags.NONE,
                10000, None, None)
        return self.conn.call_sync(None, PATH, DISPLAY, method, params, None,
                                   self.Gio.DBusCallFlags.NONE, 10000, None)

    def pump(self, seconds):
        from gi.repository import GLib
        ctx = GLib.MainContext.default()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            while ctx.iteration(False):
                pass
            time.sleep(0.02)

    def wait_text(self, path, text, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.1)
            try:
                if text in open(path, errors='replace').read():
                    return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                return False
        return False

    def framebuffer(self):
        ret, fdlist = self.call('GetFramebuffer', fds=True)
        idx, w, h, stride, fourcc = ret.unpack()
        fd = fdlist.get(idx)
        return fd, w, h, stride, fourcc

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.out.close()


def read_fb(fd, h, stride):
    m = mmap.mmap(fd, h * stride, mmap.MAP_SHARED, mmap.PROT_READ)
    data = bytes(m)
    m.close()
    return data


def case_pixels(a, work):
    p = Peer(a.helper, ['--memory', '32M', '--multiboot', a.vbe_guest, '--serial', 'stdio',
                        '--timeout', '120'], work, stdin=True)
    try:
        ok(p.wait_text(p.log, 'drawn 640x480', 90), 'the guest drew 640x480x32')
        p.pump(0.3)
        fd, w, h, stride, fourcc = p.framebuffer()
        ok((w, h, fourcc) == (640, 480, 0x34325258) and stride >= w * 4,
           'GetFramebuffer: 640x480 XRGB8888, stride %d' % stride)
        bad = pattern_mismatches(read_fb(fd, h, stride), w, h, stride)
        ok(bad == 0, 'the memfd holds exactly what the guest drew (%d pixels differ)' % bad)
        try:
            mmap.mmap(fd, h * stride, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            ok(False, 'the client cannot map the framebuffer writable')
        except OSError:
            ok(True, 'the client cannot map the framebuffer writable')
        os.close(fd)
        p.signals.clear()
        p.proc.stdin.write(b'x')
        p.proc.stdin.flush()
        ok(p.wait_text(p.log, 'drawn 800x600', 90), 'the guest switched to 800x600x32')
        p.pump(0.5)
        resized = [s for s in p.signals if s[0] == 'Resized']
        ok(resized and resized[-1][1] == (800, 600), 'Resized(800, 600) was signalled')
        fd, w, h, stride, fourcc = p.framebuffer()
        ok((w, h) == (800, 600), 'the new framebuffer is 800x600')
        bad = pattern_mismatches(read_fb(fd, h, stride), w, h, stride)
        ok(bad == 0, 'and holds the new pattern (%d pixels differ)' % bad)
        os.close(fd)
        damage = [r for s in p.signals if s[0] == 'Damage' for r in s[1][0]]
        ok(all(x + rw <= 800 and y + rh <= 600 for x, y, rw, rh in damage),
           'every Damage rectangle lies inside the screen (%d seen)' % len(damage))
        for bad_args, what in ((('(ub)', (0, True)), 'key code 0'),
                               (('(ub)', (300, True)), 'key code 300'),
                               (('(iiiu)', (1 << 20, 0, 0, 0)), 'a huge motion'),
                               (('(iiiu)', (0, 0, 0, 8)), 'button bit 3')):
            try:
                p.call('KeyboardKey' if bad_args[0] == '(ub)' else 'PointerMotion', bad_args)
                ok(False, '%s is refused' % what)
            except Exception as e:  # GLib.Error
                ok('InvalidArgument' in str(e), '%s is InvalidArgument: %s' % (what, e))
        p.call('SetPreferredSize', ('(uu)', (1280, 800)))
        ok(True, 'SetPreferredSize(1280, 800) is taken')
        try:
            p.call('SetPreferredSize', ('(uu)', (100, 100)))
            ok(False, 'a 100x100 preferred size is refused')
        except Exception as e:
            ok('InvalidArgument' in str(e), 'a 100x100 preferred size is InvalidArgument')
        p.call('PointerMotion', ('(iiiu)', (5, -3, 0, 1)))
        ok(p.proc.poll() is None, 'a valid PointerMotion is taken and the VM runs on')
    finally:
        p.stop()


def case_keys(a, work):
    fwlog = os.path.join(work, 'fw.log')
    p = Peer(a.helper, ['--memory', '32M', '--firmware', a.firmware, '--firmware-log', fwlog,
                        '--boot', 'menu', '--serial', 'none', '--timeout', '90'], work)
    try:
        ok(p.wait_text(fwlog, 'Press ESC', 60), 'SeaBIOS offers its boot menu')
        opened = False
        for _ in range(60):
            p.call('KeyboardKey', ('(ub)', (1, True)))      # evdev KEY_ESC
            p.call('KeyboardKey', ('(ub)', (1, False)))
            if p.wait_text(fwlog, 'Select boot device', 0.25):
                opened = True
                break
        ok(opened, 'Esc sent as evdev key 1 through Display1 opened the boot menu')
    finally:
        p.stop()




def main():
    reexec_with_gi()
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--vbe-guest', required=True)
    ap.add_argument('--firmware', default='/usr/share/seabios/bios-256k.bin')
    a = ap.parse_args()
    gate = kvm_gate()
    if gate is not None:
        return gate
    with tempfile.TemporaryDirectory(prefix='vessel-display-') as work:
        case_pixels(a, work)
        if os.path.exists(a.firmware):
            case_keys(a, work)
        else:
            ok(False, 'SeaBIOS at %s (Debian package seabios)' % a.firmware)
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


if __name__ == '__main__':
    sys.exit(main())
