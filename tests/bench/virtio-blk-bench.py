#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-blk host path: 4 KiB random reads at queue depth 1 (or --qd) from a kit guest.

The same multiboot guest (tests/guests/bench-virtio-blk.c: its own virtio 1.x driver, polled,
timed by its TSC; with --qd N it keeps N reads in flight) reads the same fixed random sequence
from a raw image on tmpfs under vessel-helper and under QEMU -machine pc with a modern-only
virtio-blk-pci. Runs alternate; prints requests/s medians [min-max] and the ratio ours/QEMU.
Not a timed test.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

LINE = re.compile(rb'bench: (\d+) reads in (\d+) us: (\d+) req/s')


def run(cmd, timeout=180):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    m = LINE.search(p.stdout)
    return int(m.group(3)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--guest', required=True)
    ap.add_argument('--qemu', default='qemu-system-x86_64')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--requests', type=int, default=5000)
    ap.add_argument('--qd', type=int, default=1, help='reads in flight (1-16)')
    ap.add_argument('--only', choices=('vessel', 'qemu'), help='run one VMM only')
    a = ap.parse_args()
    tmp = '/dev/shm' if os.path.isdir('/dev/shm') else None
    res = {'vessel': [], 'qemu': []}
    with tempfile.TemporaryDirectory(prefix='vessel-vblk-', dir=tmp) as work:
        img = os.path.join(work, 'disk.img')
        with open(img, 'wb') as f:
            f.write(os.urandom(1 << 20) * 64)      # 64 MiB, fully allocated
        append = 'requests=%d qd=%d' % (a.requests, a.qd)
        cmds = {
            'vessel': [a.helper, '--memory', '64M', '--vga', 'none', '--serial', 'stdio',
                       '--multiboot', a.guest, '--append', append, '--timeout', '170',
                       '--disk', img + ',bus=virtio'],
            'qemu': [a.qemu, '-accel', 'kvm', '-machine', 'pc', '-m', '64', '-nodefaults',
                     '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
                     '-kernel', a.guest, '-append', append,
                     '-device', 'isa-debug-exit,iobase=0xf4',
                     '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on',
                     '-drive', 'if=none,id=d0,format=raw,file=' + img],
        }
        for i in range(a.runs):
            for name in ('vessel', 'qemu'):
                if a.only and name != a.only:
                    continue
                r = run(cmds[name])
                if r is None:
                    print('%s: no result line (run %d)' % (name, i + 1))
                else:
                    res[name].append(r)
    print('virtio-blk 4 KiB random reads, QD%d, polled, %d requests, raw image on tmpfs; '
          'requests/s, %d runs each, alternating' % (a.qd, a.requests, a.runs))
    for name, vals in res.items():
        if vals:
            print('  %-7s median %8.0f  [%d-%d]' % (name, statistics.median(vals), min(vals),
                                                    max(vals)))
    if res['vessel'] and res['qemu']:
        print('  ours/QEMU: %.2fx' % (statistics.median(res['vessel']) /
                                      statistics.median(res['qemu'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
