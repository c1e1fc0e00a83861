# SPDX-License-Identifier: GPL-2.0-or-later
"""The display tests' side of a vessel-helper: its Display1 peer (TAP lines and the KVM gate
are tests/integration/taputil.py's).

run-modes.py and run-damage.py start the helper with --control-fd, keep the guest's COM1 on
its stdin/stdout, collect Display1's Damage signals and read the framebuffer memfd.
"""

import argparse
import array
import mmap
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                'integration'))
from taputil import checks, ok, reexec_with_gi, kvm_gate, start_helper  # noqa: E402,F401

PATH = '/io/github/vesselvm/Vessel/VM'
DISPLAY = 'io.github.vesselvm.Vessel.Display1'


class Peer:
    """vessel-helper with --control-fd, the guest's COM1 on its stdin/stdout."""

    def __init__(self, helper, args, work):
        from gi.repository import Gio
        self.Gio = Gio
        self.log = os.path.join(work, 'serial.txt')
        self.out = open(self.log, 'w')
        self.proc, self.conn = start_helper(helper, args, stdout=self.out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.PIPE)
        self.damage = []
        self.conn.signal_subscribe(None, DISPLAY, 'Damage', PATH, None,
                                   Gio.DBusSignalFlags.NONE, self._damage)

    def _damage(self, conn, sender, path, iface, name, params):
        self.damage += params.unpack()[0]

    def pump(self, seconds, nap=0.01):
        """Dispatch D-Bus signals for `seconds`, sleeping `nap` between rounds."""
        from gi.repository import GLib
        ctx = GLib.MainContext.default()
        end = time.monotonic() + seconds
        while True:
            while ctx.iteration(False):
                pass
            if time.monotonic() >= end:
                return
            time.sleep(nap)

    def wait_serial(self, text, timeout, poll=0.1):
        """Has `text` appeared on COM1 within `timeout` s (checked every `poll` s)?"""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            self.pump(poll)
            if text in open(self.log, errors='replace').read():
                return True
        return False

    def step(self):
        """One byte to the guest's COM1: the kit guests' "next" signal."""
        self.proc.stdin.write(b'n')
        self.proc.stdin.flush()

    def framebuffer(self):
        """(width, height, stride, the memfd's bytes)."""
        ret, fdlist = self.conn.call_with_unix_fd_list_sync(
            None, PATH, DISPLAY, 'GetFramebuffer', None, None, self.Gio.DBusCallFlags.NONE,
            10000, None, None)
        idx, w, h, stride, _ = ret.unpack()
        fd = fdlist.get(idx)
        m = mmap.mmap(fd, h * stride, mmap.MAP_SHARED, mmap.PROT_READ)
        data = bytes(m)
        m.close()
        os.close(fd)
        return w, h, stride, data

    def screen(self):
        """The framebuffer as rows of 0xRRGGBB (XRGB8888 little-endian in the memfd)."""
        w, h, stride, data = self.framebuffer()
        rows = []
        for y in range(h):
            a = array.array('I', data[y * stride:y * stride + w * 4])
            if sys.byteorder != 'little':
                a.byteswap()
            rows.append([v & 0xffffff for v in a])
        return rows

    def stop(self):
        """Kill the helper; after a failed check, show the end of its output."""
        self.proc.kill()
        self.proc.wait()
        self.out.close()
        if not all(checks):
            for line in open(self.log, errors='replace').read().splitlines()[-20:]:
                print('#   ' + line)


def main(run, prefix):
    """--helper and --guest, the KVM gate (skip with 77, or fail under CI=true), then
    run(args, work) in a temporary folder named `prefix`...; the TAP plan last."""
    reexec_with_gi()
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--guest', required=True)
    a = ap.parse_args()
    gate = kvm_gate()
    if gate is not None:
        return gate
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        run(a, work)
    print('1..%d' % len(checks))
    return 0 if checks and all(checks) else 1
