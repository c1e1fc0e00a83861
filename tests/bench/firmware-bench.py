#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SeaBIOS POST to the boot sector's first output: vessel-helper vs QEMU -machine pc, same image.

Both VMMs boot Debian's bios-256k.bin from the same raw IDE disk whose boot sector prints
"BOOT" on COM1 (tests/firmware/bootsect.S). Runs alternate ours/QEMU; the time is exec to
the "BOOT" bytes on the serial pipe. Prints medians [min-max] and the ratio QEMU/ours.
Not a timed test: nothing fails on the numbers.
"""

import argparse
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def make_disk(path, bootsect):
    img = bytearray(bootsect)
    for n in range(1, 64):
        img += struct.pack('<I', n) * 128
    with open(path, 'wb') as f:
        f.write(img)
        f.truncate(8 << 20)


def time_to_marker(cmd, marker=b'BOOT', timeout=60.0):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b''
    found = None
    try:
        while time.monotonic() - t0 < timeout:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                if marker in buf:
                    found = time.monotonic() - t0
                    break
    finally:
        p.kill()
        p.wait()
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--bootsect', required=True)
    ap.add_argument('--qemu', default='qemu-system-x86_64')
    ap.add_argument('--runs', type=int, default=5)
    a = ap.parse_args()
    bootsect = open(a.bootsect, 'rb').read()
    res = {'vessel': [], 'qemu': []}
    with tempfile.TemporaryDirectory(prefix='vessel-fwbench-') as work:
        disk = os.path.join(work, 'boot.img')
        make_disk(disk, bootsect)
        cmds = {
            'vessel': [a.helper, '--memory', '512M', '--serial', 'stdio',
                       '--disk', disk + ',bus=ide', '--timeout', '60'],
            'qemu': [a.qemu, '-accel', 'kvm', '-machine', 'pc', '-m', '512', '-nodefaults',
                     '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
                     '-no-reboot', '-drive', 'file=%s,format=raw,if=ide' % disk],
        }
        for i in range(a.runs):
            for name in ('vessel', 'qemu'):
                t = time_to_marker(cmds[name])
                if t is None:
                    print('%s: no "BOOT" within 60 s (run %d)' % (name, i + 1))
                else:
                    res[name].append(t * 1000)
    print('SeaBIOS POST to the boot sector (exec -> "BOOT" on COM1), ms, %d runs each, '
          'alternating' % a.runs)
    for name, vals in res.items():
        if vals:
            print('  %-7s median %8.1f  [%.1f-%.1f]' % (name, statistics.median(vals),
                                                       min(vals), max(vals)))
    if res['vessel'] and res['qemu']:
        ratio = statistics.median(res['qemu']) / statistics.median(res['vessel'])
        print('  QEMU/ours: %.2fx  (goal: not slower, i.e. >= 1.0: %s)' %
              (ratio, 'met' if ratio >= 1.0 else 'NOT met'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
