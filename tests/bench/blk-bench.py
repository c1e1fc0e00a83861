#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Our block layer vs `qemu-img bench` on the same files (raw, fresh qcow2, allocated qcow2).

QD1 only (our block layer is synchronous): 4 KiB requests strided by a prime (every block
once, scattered, the way tests in performance-baselines §2.4 did) and 1 MiB sequential, reads
and writes, alternating ours/QEMU, medians of --runs. The files live on tmpfs by default.
Not a timed test.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

MIBS = re.compile(r'([0-9.]+) MiB/s')
QEMU_T = re.compile(r'Run completed in ([0-9.]+) seconds')


def ours(tool, path, mode, count, size, step):
    out = subprocess.run([tool, path, mode, str(count), str(size), str(step)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return float(MIBS.search(out).group(1))


def qemu(path, fmt, mode, count, size, step):
    cmd = ['qemu-img', 'bench', '-f', fmt, '-t', 'writeback', '-c', str(count), '-d', '1',
           '-s', str(size), '-S', str(step)] + (['-w'] if mode == 'write' else []) + [path]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return count * size / float(QEMU_T.search(out).group(1)) / (1 << 20)


def make(kind, work, size):
    path = os.path.join(work, kind + ('.img' if kind == 'raw' else '.qcow2'))
    if os.path.exists(path):
        os.unlink(path)
    if kind == 'raw':
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw', '-o', 'preallocation=full',
                        path, str(size)], check=True)
    elif kind == 'qcow2-fresh':
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path, str(size)], check=True)
    else:
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o',
                        'preallocation=full', path, str(size)], check=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tool', required=True, help='the built blk-bench')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size-mib', type=int, default=256)
    ap.add_argument('--dir', default='/dev/shm' if os.path.isdir('/dev/shm') else None)
    a = ap.parse_args()
    if not shutil.which('qemu-img'):
        print('blk-bench: qemu-img is missing (Debian: qemu-utils)')
        return 1
    size = a.size_mib << 20
    cases = [('rand-read 4K', 'read', size // 4096, 4096, 104729 * 4096 % size or 4096),
             ('rand-write 4K', 'write', size // 4096, 4096, 104729 * 4096 % size or 4096),
             ('seq-read 1M', 'read', size >> 20, 1 << 20, 1 << 20),
             ('seq-write 1M', 'write', size >> 20, 1 << 20, 1 << 20)]
    print('block layer, QD1, %d MiB images on %s, MiB/s medians of %d (ours / qemu-img bench)'
          % (a.size_mib, a.dir or 'the default tmp', a.runs))
    with tempfile.TemporaryDirectory(prefix='vessel-blk-', dir=a.dir) as work:
        for kind in ('raw', 'qcow2-alloc', 'qcow2-fresh'):
            fmt = 'raw' if kind == 'raw' else 'qcow2'
            for name, mode, count, rsize, step in cases:
                r = {'ours': [], 'qemu': []}
                for _ in range(a.runs):
                    # A fresh image per write run, so "fresh" really allocates each time.
                    path = make(kind, work, size)
                    r['ours'].append(ours(a.tool, path, mode, count, rsize, step))
                    path = make(kind, work, size)
                    r['qemu'].append(qemu(path, fmt, mode, count, rsize, step))
                o, q = statistics.median(r['ours']), statistics.median(r['qemu'])
                print('  %-12s %-14s %8.1f / %8.1f  = %.2fx' % (kind, name, o, q, o / q))
    return 0


if __name__ == '__main__':
    sys.exit(main())
