#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Our block layer vs `qemu-img bench` on the same files (raw, fresh and allocated qcow2).

--depth 1,32 (the default) measures every case at QD1 and QD32 (our block layer is
synchronous, so blk-bench runs N threads; qemu-img bench -d N). 4 KiB cases print IOPS, 1 MiB
cases MiB/s; a final goal table gives ours/QEMU (>= 1.0 wanted) and, for writes, ours
fresh-qcow2/raw (>= 0.85 wanted). 4 KiB requests strided by a prime (every block
once, scattered, the way tests in performance-baselines §2.4 did) and 1 MiB sequential, reads
and writes. For each directory (tmpfs and a disk file system by default), run after run,
every case and image kind is measured by each tool in turn (ours, [ours before a change,]
qemu-img bench; the order rotates run by run), with a new, synced image for every write
run, so "fresh" really allocates each time; medians of --runs, and ratios taken within a
run.

Image kinds: raw-full (preallocated, the issue's "raw"), raw-sparse (a new raw file: holes,
what any fresh image must fill), qcow2-alloc (preallocation=full), qcow2-fresh (64 KiB
clusters), qcow2-4k (fresh, 4 KiB clusters: every 4 KiB write allocates) and qcow2-backed
(a qcow2 overlay over a raw backing file, every overlay cluster allocated by qemu-io before
the run, so reads come from the overlay and writes rewrite in place). The ratio
column is the median over runs of (this kind / raw-full), same tool, same run, same
directory. Write runs are timed the same way for both tools, from outside: the process's
wall clock less that of a run with no requests, so the final flush counts for both
(qemu-img bench stops its clock before its flush completes). A second table gives MiB per
CPU-second of the tool's process, which a loaded machine disturbs far less than the wall
clock (but it leaves out waiting for the disk). With --before, the goal table has the
before tool's ours/qemu too.
Both tools read into (write from) one buffer shared by every request in flight, because
qemu-img bench does (blk-bench.c says more); --distinct-buffers gives each of our requests
its own, as a guest's are, which qemu-img bench cannot: at 1 MiB x QD32 that costs reads
about a quarter of their speed (32 MiB of destination no longer fits in the caches).
Not a timed test.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIBS = re.compile(r'([0-9.]+) MiB/s')
QEMU_T = re.compile(r'Run completed in ([0-9.]+) seconds')
KINDS = ('raw-full', 'raw-sparse', 'qcow2-alloc', 'qcow2-fresh', 'qcow2-4k', 'qcow2-backed')


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """The command's output, its wall-clock seconds and the CPU seconds it used (user +
    system, the whole process: on a loaded machine this moves much less than the wall
    clock does)."""
    c0, t0 = cpu_seconds(), time.monotonic()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return out, time.monotonic() - t0, max(cpu_seconds() - c0, 1e-3)


def write_secs(cmd, at):
    """Seconds a write run takes to be durable, the same way for both tools: the process's
    wall clock less that of the same command with COUNT 0 (start, open, flush, close).
    qemu-img bench's own "Run completed" stops when the last write completes: the flush
    it then issues (--flush-interval) is not waited for, and on a disk file system that
    fdatasync is most of a 1 MiB run (strace: 27 ms of a 100 ms run, 64 MiB on ext4)."""
    null = cmd[:at] + ['0'] + cmd[at + 1:]  # cmd[at] is the COUNT
    _, idle, _ = timed(null)
    out, wall, cpu = timed(cmd)
    return out, max(wall - idle, 1e-3), cpu


def ours(tool, path, mode, count, size, step, depth):
    cmd = [tool, path, mode, str(count), str(size), str(step), str(depth)]
    if mode == 'write':
        _, secs, cpu = write_secs(cmd, 3)
        return count * size / secs / (1 << 20), count * size / cpu / (1 << 20)
    out, _, cpu = timed(cmd)
    return float(MIBS.search(out).group(1)), count * size / cpu / (1 << 20)


def qemu(path, fmt, mode, count, size, step, depth):
    cmd = ['qemu-img', 'bench', '-f', fmt, '-t', 'writeback', '-c', str(count), '-d', str(depth),
           '-s', str(size), '-S', str(step)] + (['-w'] if mode == 'write' else []) + [path]
    if mode == 'write':  # one flush after the last write, as blk-bench does its blk_flush
        cmd[-1:-1] = ['--flush-interval=%d' % count]
        _, secs, cpu = write_secs(cmd, cmd.index('-c') + 1)
    else:
        out, _, cpu = timed(cmd)
        secs = max(float(QEMU_T.search(out).group(1)), 1e-3)  # it prints milliseconds
    return count * size / secs / (1 << 20), count * size / cpu / (1 << 20)


def make_backed(path, work, size):
    """A raw backing file and a qcow2 overlay over it whose every cluster is allocated (one
    write over the whole disk), so that no request reaches the backing file."""
    base = os.path.join(work, 'backing.img')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw', '-o', 'preallocation=full',
                    base, str(size)], check=True)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw',
                    path, str(size)], check=True)
    subprocess.run(['qemu-io', '-f', 'qcow2', '-c', 'write -q -P 0x5a 0 %d' % size, path],
                   check=True, stdout=subprocess.DEVNULL)
    return path


def make(kind, work, size):
    path = os.path.join(work, kind + ('.img' if kind.startswith('raw') else '.qcow2'))
    if os.path.exists(path):
        os.unlink(path)
    if kind == 'qcow2-backed':
        return make_backed(path, work, size)
    opts = {'raw-full': ['-f', 'raw', '-o', 'preallocation=full'],
            'raw-sparse': ['-f', 'raw'],
            'qcow2-alloc': ['-f', 'qcow2', '-o', 'preallocation=full'],
            'qcow2-fresh': ['-f', 'qcow2'],
            'qcow2-4k': ['-f', 'qcow2', '-o', 'cluster_size=4096']}[kind]
    subprocess.run(['qemu-img', 'create', '-q'] + opts + [path, str(size)], check=True)
    return path


def fresh(kind, work, size):
    """A new image with nothing of its making left dirty: on ext4 (data=ordered) the first
    fdatasync after qemu-img create -o preallocation=full or qemu-io would otherwise write
    out those hundreds of MiB too, and the tool that ran first paid for them."""
    path = make(kind, work, size)
    for name in os.listdir(work):  # the image, and a backing file
        fd = os.open(os.path.join(work, name), os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    return path


def measure(a, tools, work, kind, case, size, turn):
    """One run of every tool on one kind and case; a new image for each write run. The
    tools' order rotates from run to run (what one leaves behind cannot favour another)."""
    name, mode, count, rsize, step, depth = case
    fmt = 'raw' if kind.startswith('raw') else 'qcow2'
    out = {}
    order = list(tools.items())
    order = order[turn % len(order):] + order[:turn % len(order)]
    path = fresh(kind, work, size)
    for t, tool in order:
        if mode == 'write':
            path = fresh(kind, work, size)
        if tool:
            out[t] = ours(tool, path, mode, count, rsize, step, depth)
        else:
            out[t] = qemu(path, fmt, mode, count, rsize, step, depth)
    os.unlink(path)
    return out


def run_dir(a, tools, work, kinds, cases, size):
    """Runs outermost, so that every kind is measured close in time to its raw-full baseline
    (the load on a shared machine drifts over minutes); ratios are taken run by run."""
    vals = {}
    for turn in range(a.runs):
        for case in cases:
            for kind in kinds:
                for t, v in measure(a, tools, work, kind, case, size, turn).items():
                    vals.setdefault((kind, case[0], t), []).append(v[0])
                    vals.setdefault((kind, case[0], t + ' cpu'), []).append(v[1])
    return vals


def shown(case, mibs):
    """4 KiB cases in IOPS, the others in MiB/s (what issue 6 names)."""
    return mibs * (1 << 20) / case[3] if case[3] < (1 << 20) else mibs


def report(tools, vals, d, kinds, cases, cpu):
    what = ('IOPS or MiB/s per CPU-second (user + system of the tool process)' if cpu
            else 'IOPS (4K) or MiB/s (1M), wall clock')
    tools = [t + ' cpu' for t in tools] if cpu else list(tools)
    print('\n%s: %s, medians (median of the run-by-run ratios to the same tool on '
          'raw-full)' % (d, what))
    print('  %-12s %-19s' % ('image', 'case') + ''.join('%20s' % t for t in tools))
    for kind in kinds:
        for case in cases:
            cells = ''
            for t in tools:
                v, base = vals[(kind, case[0], t)], vals[('raw-full', case[0], t)]
                ratio = statistics.median(x / y for x, y in zip(v, base))
                cells += '%12.1f (%4.2f)' % (shown(case, statistics.median(v)), ratio)
            print('  %-12s %-19s%s' % (kind, case[0], cells))


def goal(vals, d, kinds, cases):
    """Issue 6's goal: ours/QEMU >= 1.0 everywhere (wall clock and per CPU-second), and
    fresh-qcow2 writes within 15% of raw (ours, fresh/raw >= 0.85); run-by-run ratios, medians.
    fresh/sparse: the same against a new (sparse) raw file, which pays the file system's
    block allocation as a fresh image does."""
    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(vals[a], vals[b]))
    before = ('raw-full', cases[0][0], 'ours-before') in vals
    print('\n%s: goal (ours/qemu >= 1.00; fresh/raw >= 0.85 for writes)' % d)
    print('  %-12s %-22s%12s%12s%12s%14s' % ('image', 'case', 'ours/qemu', 'cpu', 'fresh/raw',
                                              'fresh/sparse')
          + ('%14s%12s%12s' % ('before/qemu', 'cpu', 'fresh/raw') if before else ''))
    for kind in kinds:
        for case in cases:
            cells = goal_cells(ratio, vals, kind, case, 'ours')
            if before:
                cells += '  ' + goal_cells(ratio, vals, kind, case, 'ours-before', False)
            print('  %-12s %-22s%s' % (kind, case[0], cells))
    print('  (* = below the goal)')


def goal_cells(ratio, vals, kind, case, tool, sparse=True):
    q = ratio((kind, case[0], tool), (kind, case[0], 'qemu-img'))
    qc = ratio((kind, case[0], tool + ' cpu'), (kind, case[0], 'qemu-img cpu'))
    cells = '%11.2f%s%11.2f%s' % (q, '*' if q < 1 else ' ', qc, '*' if qc < 1 else ' ')
    if kind == 'qcow2-fresh' and case[1] == 'write':
        f = ratio((kind, case[0], tool), ('raw-full', case[0], tool))
        cells += '%11.2f%s' % (f, '*' if f < 0.85 else ' ')
        if sparse and ('raw-sparse', case[0], tool) in vals:  # the file system's share
            cells += '%13.2f ' % ratio((kind, case[0], tool), ('raw-sparse', case[0], tool))
        elif sparse:
            cells += '%14s' % '-'
    else:
        cells += '%12s' % '' + ('%14s' % '' if sparse else '')
    return cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tool', required=True, help='the built blk-bench')
    ap.add_argument('--before', help='a blk-bench built before a change, run alongside '
                    '(it must understand DEPTH if --depth is not 1)')
    ap.add_argument('--depth', default='1,32', help='requests in flight, a comma-separated '
                    'list (each measured): our threads, qemu-img bench -d')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--size-mib', type=int, default=256)
    ap.add_argument('--dir', action='append', help='where the images live (repeatable; '
                    'default /dev/shm and /tmp)')
    ap.add_argument('--writes-only', action='store_true')
    ap.add_argument('--read-passes', type=int, default=16, help='passes over the image for '
                    'the 1 MiB reads (qemu-img bench times in milliseconds; four passes over '
                    'an unallocated qcow2, memset at ~100 GiB/s, took it 8-12)')
    ap.add_argument('--kinds', default=','.join(KINDS))
    ap.add_argument('--distinct-buffers', action='store_true', help='one buffer per request '
                    'in flight for our tools (qemu-img bench always shares one)')
    ap.add_argument('--cases', help='only the cases whose name contains one of these '
                    'comma-separated strings, e.g. "seq-read 1M" (names as in the tables, '
                    'without the QD)')
    a = ap.parse_args()
    if not shutil.which('qemu-img'):
        print('blk-bench: qemu-img is missing (Debian: qemu-utils)')
        return 1
    size = a.size_mib << 20
    step = 104729 * 4096 % size or 4096
    depths = [int(x) for x in a.depth.split(',') if x.strip()]
    if not depths or min(depths) < 1:
        print('blk-bench: --depth wants positive numbers, e.g. 1,32')
        return 1
    base = [('rand-write 4K', 'write', size // 4096, 4096, step),
            ('seq-write 1M', 'write', size >> 20, 1 << 20, 1 << 20)]
    if not a.writes_only:
        base += [('rand-read 4K', 'read', size // 4096, 4096, step),
                 ('seq-read 1M', 'read', max(a.read_passes, 1) * (size >> 20), 1 << 20, 1 << 20)]
    if a.cases:
        base = [c for c in base if any(w.strip() and w.strip() in c[0]
                                       for w in a.cases.split(','))]
    if not base:
        print('blk-bench: --cases matches none of: rand-write 4K, seq-write 1M, '
              'rand-read 4K, seq-read 1M')
        return 1
    cases = [('%s QD%d' % (c[0], qd),) + c[1:] + (qd,) for qd in depths for c in base]
    kinds = [k for k in a.kinds.split(',') if k in KINDS]
    kinds = ['raw-full'] + [k for k in kinds if k != 'raw-full']
    tools = {'ours': a.tool}
    if a.before:
        tools['ours-before'] = a.before
    tools['qemu-img'] = None
    dirs = a.dir or [d for d in ('/dev/shm', '/tmp') if os.path.isdir(d)]
    if a.distinct_buffers:
        os.environ['BLK_BENCH_DISTINCT_BUFFERS'] = '1'
    print('block layer, QD %s, %d MiB images, medians of %d runs; tools take turns; %s'
          % (a.depth, a.size_mib, a.runs, 'ours: a buffer per request, qemu-img: one shared'
             if a.distinct_buffers else 'one buffer shared by the requests in flight'))
    for d in dirs:
        with tempfile.TemporaryDirectory(prefix='vessel-blk-', dir=d) as work:
            vals = run_dir(a, tools, work, kinds, cases, size)
        report(tools, vals, d, kinds, cases, False)
        report(tools, vals, d, kinds, cases, True)
        goal(vals, d, kinds, cases)
        sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
