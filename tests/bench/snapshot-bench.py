#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Snapshot save/restore, ours vs QEMU: the same kit guest, 512 MiB and 2 GiB, random and idle.

The guest (tests/guests/bench-snapshot.c) fills its RAM above 16 MiB with xorshift words
(fill=random) or leaves it zero (fill=idle), prints "bench: ready", then answers COM1:
'p' -> "bench: pong", 't' -> one timed write-touch of every page and a second one (its TSC).

Per run and VMM, alternating (ours, QEMU, ours, ...):
  save       ours: the helper's "snapshot saved ... in X ms" (--snapshot-at, the guest ready);
             QEMU: HMP savevm into a qcow2 on the same filesystem, wall time
  running    restore request -> the guest answers 'p'. Ours: the helper's "restored ... in X
             ms" + host time from that line to the pong; QEMU (-S): loadvm + cont + pong
  resident   running + the guest's cold touch of every page (all RAM resident and written)
  size       du of the snapshot (ours: the directory; QEMU: qcow2 growth)
  slowdown   the guest's cold touch after restore / its warm touch just after (first-touch cost)
Medians [min-max]; ratios are QEMU/ours (above 1: we are faster). Standard library only.
"""

import argparse
import os
import queue
import re
import shutil
import socket
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SIZES = (512, 2048)
FILLS = ('random', 'idle')
TOUCH = re.compile(r'bench: touch (\d+) MiB cold (\d+) us warm (\d+) us')
SAVED = re.compile(r'snapshot saved to \S+ in ([0-9.]+) ms')
RESTORED = re.compile(r'restored \S+ in ([0-9.]+) ms')


class Proc:
    """A child whose stdout and stderr lines arrive time-stamped on one queue."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.lines = queue.Queue()
        self.log = []
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        for f in (self.p.stdout, self.p.stderr):
            threading.Thread(target=self._read, args=(f,), daemon=True).start()

    def _read(self, f):
        for raw in f:
            line = raw.decode(errors='replace').rstrip('\r\n')
            self.log.append(line)
            self.lines.put((time.monotonic(), line))
        self.lines.put((time.monotonic(), None))

    def wait_for(self, pattern, timeout):
        """(time, match) of the first line matching pattern; raises on timeout or exit."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError('timed out waiting for %r' % pattern)
            try:
                t, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError('exited (%s) waiting for %r' % (self.p.poll(), pattern))
            m = rx.search(line)
            if m:
                return t, m

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()

    def tail(self):
        return '\n'.join(self.log[-8:])


class QMP:
    """Just enough QMP (JSON lines on a unix socket) for savevm/loadvm/cont."""

    def __init__(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
        self.s.settimeout(300)
        self.f = self.s.makefile('rwb', buffering=0)
        self.f.readline()
        self.cmd('qmp_capabilities')

    def cmd(self, name, **args):
        msg = {'execute': name}
        if args:
            msg['arguments'] = args
        self.f.write(json.dumps(msg).encode() + b'\n')
        while True:
            r = json.loads(self.f.readline())
            if 'error' in r:
                raise RuntimeError('%s: %s' % (name, r['error']))
            if 'return' in r:
                return r['return']

    def hmp(self, line):
        out = self.cmd('human-monitor-command', **{'command-line': line})
        if out and out.strip():
            raise RuntimeError('%s: %s' % (line, out.strip()))

    def close(self):
        self.s.close()


def du_bytes(path):
    out = subprocess.run(['du', '-sk', path], stdout=subprocess.PIPE,
                         check=True).stdout
    return int(out.split()[0]) * 1024


def touch_result(proc, timeout):
    proc.send('t')
    _, m = proc.wait_for(TOUCH.pattern, timeout)
    return int(m.group(2)) / 1000.0, int(m.group(3)) / 1000.0


class Vessel:
    name = 'vessel'

    def __init__(self, a, mib, fill):
        self.a, self.mib, self.fill = a, mib, fill
        self.snap_at = None

    def cmd(self, extra):
        return [self.a.helper, '--multiboot', self.a.guest, '--memory', '%dM' % self.mib,
                '--cpus', '1', '--vga', 'none', '--serial', 'stdio', '--append',
                'fill=' + self.fill, '--timeout', '600', '--quiet'] + extra

    def calibrate(self):
        """Seconds from exec to "bench: ready": the save is scheduled a little after."""
        p = Proc(self.cmd([]))
        try:
            t0 = time.monotonic()
            t, _ = p.wait_for(r'bench: ready', 300)
            self.snap_at = round((t - t0) * 1.3 + 0.5, 1)
        finally:
            p.stop()

    def save(self, snap, r):
        """True once saved after "bench: ready"; False (later next time) if it came early."""
        p = Proc(self.cmd(['--snapshot-at', '%g:%s' % (self.snap_at, snap)]))
        try:
            _, m = p.wait_for(r'(bench: ready)|' + SAVED.pattern + r'|--snapshot-at: ', 600)
            if not m.group(1):
                self.snap_at = round(self.snap_at * 1.5, 1)
                shutil.rmtree(snap, ignore_errors=True)
                return False
            _, m = p.wait_for(SAVED.pattern + r'|--snapshot-at: ', 600)
            if not m.group(1):
                raise RuntimeError('save failed: ' + p.tail())
            r['save'] = float(m.group(1))
            return True
        finally:
            p.stop()

    def run(self, work):
        snap = os.path.join(work, 'vsnap')
        r = {}
        for _ in range(3):
            if self.save(snap, r):
                break
        else:
            raise RuntimeError('the guest was never ready before the snapshot')
        r['size'] = du_bytes(snap)
        p = Proc(self.cmd(['--restore', snap]))
        try:
            t_line, m = p.wait_for(RESTORED.pattern + r'|--restore: ', 120)
            if not m.group(1):
                raise RuntimeError('restore failed: ' + p.tail())
            p.send('p')
            t_pong, _ = p.wait_for(r'bench: pong', 120)
            r['restore'] = float(m.group(1))
            r['pong'] = (t_pong - t_line) * 1000
            r['running'] = r['restore'] + r['pong']
            r['cold'], r['warm'] = touch_result(p, 600)
            p.send('q')
            p.p.wait(30)
        finally:
            p.stop()
        shutil.rmtree(snap)
        return r


class Qemu:
    name = 'qemu'

    def __init__(self, a, mib, fill):
        self.a, self.mib, self.fill = a, mib, fill

    def cmd(self, sock, qcow, extra):
        return [self.a.qemu, '-accel', 'kvm', '-machine', 'pc', '-m', str(self.mib),
                '-smp', '1', '-nodefaults', '-display', 'none', '-monitor', 'none',
                '-serial', 'stdio', '-no-reboot', '-kernel', self.a.guest,
                '-append', 'fill=' + self.fill, '-device', 'isa-debug-exit,iobase=0xf4',
                '-qmp', 'unix:%s,server=on,wait=off' % sock,
                '-drive', 'file=%s,format=qcow2,if=ide' % qcow] + extra

    def run(self, work):
        qcow = os.path.join(work, 'q.qcow2')
        sock = os.path.join(work, 'qmp.sock')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', qcow, '64M'], check=True)
        base = du_bytes(qcow)
        r = {}
        p = Proc(self.cmd(sock, qcow, []))
        q = None
        try:
            q = QMP(sock)
            p.wait_for(r'bench: ready', 300)
            t0 = time.monotonic()
            q.hmp('savevm s1')
            r['save'] = (time.monotonic() - t0) * 1000
            q.cmd('quit')
        finally:
            if q:
                q.close()
            p.stop()
        r['size'] = du_bytes(qcow) - base
        if os.path.exists(sock):
            os.unlink(sock)
        p = Proc(self.cmd(sock, qcow, ['-S']))
        q = None
        try:
            q = QMP(sock)
            t0 = time.monotonic()
            q.hmp('loadvm s1')
            q.cmd('cont')
            p.send('p')
            t_pong, _ = p.wait_for(r'bench: pong', 120)
            r['running'] = (t_pong - t0) * 1000
            r['cold'], r['warm'] = touch_result(p, 600)
            q.cmd('quit')
        finally:
            if q:
                q.close()
            p.stop()
        os.unlink(qcow)
        return r


def fmt(vals, unit):
    if not vals:
        return '%24s' % 'n/a'
    if unit == 'MiB':
        vals = [v / 2**20 for v in vals]
    med = statistics.median(vals)
    return '%9.1f [%.1f-%.1f]' % (med, min(vals), max(vals))


def report(results, runs):
    keys = (('save', 'ms', 'save'), ('running', 'ms', 'restore->running'),
            ('restore', 'ms', ' helper restore line'), ('pong', 'ms', ' then guest pong'),
            ('resident', 'ms', 'restore->all RAM touched'), ('size', 'MiB', 'size on disk'),
            ('slowdown', 'x', 'first-touch cold/warm'))
    print('\nSnapshot benchmark: medians [min-max] of %d runs each, alternating; ratio = '
          'QEMU/ours' % runs)
    for (mib, fill), per in results.items():
        print('\n%d MiB, %s' % (mib, fill))
        print('  %-26s %-28s %-28s %s' % ('', 'vessel', 'qemu', 'ratio'))
        for key, unit, label in keys:
            v, q = per['vessel'][key], per['qemu'][key]
            ratio = '%.2f' % (statistics.median(q) / statistics.median(v)) \
                if v and q and statistics.median(v) else '-'
            print('  %-26s %-28s %-28s %s' % ('%s (%s)' % (label, unit), fmt(v, unit),
                                               fmt(q, unit), ratio))
    goals(results)


def goals(results):
    print('\nGoals (issue 9):')
    for (mib, fill), per in results.items():
        v, q = per['vessel'], per['qemu']
        if fill == 'random' and v['save'] and q['save']:
            x = statistics.median(q['save']) / statistics.median(v['save'])
            print('  save %4d MiB random at least 2x faster than QEMU: %.2fx  %s'
                  % (mib, x, 'met' if x >= 2 else 'NOT met'))
        if mib == 2048 and v['running']:
            ms = statistics.median(v['running'])
            print('  restore->running %s 2 GiB under 10 ms: %.1f ms  %s (helper restore '
                  'line %.1f ms; the rest is the serial round trip)'
                  % (fill, ms, 'met' if ms < 10 else 'NOT met',
                     statistics.median(v['restore'])))


def one(vmm, a, per, mib, fill, i):
    with tempfile.TemporaryDirectory(prefix='vessel-snapbench-', dir=a.dir) as work:
        try:
            r = vmm.run(work)
        except (RuntimeError, subprocess.SubprocessError, OSError) as e:
            print('  %s %d MiB %s run %d failed: %s' % (vmm.name, mib, fill, i + 1, e))
            return
    r['resident'] = r['running'] + r['cold']
    r['slowdown'] = r['cold'] / r['warm'] if r['warm'] > 0 else 0.0
    print('  %-6s %4d MiB %-6s run %d: %s' % (vmm.name, mib, fill, i + 1, ' '.join(
        '%s=%.1f' % (k, v / 2**20 if k == 'size' else v) for k, v in sorted(r.items()))),
        flush=True)
    for k, v in r.items():
        per[vmm.name].setdefault(k, []).append(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--guest', required=True, help='bench-snapshot.elf')
    ap.add_argument('--qemu', default='qemu-system-x86_64')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--sizes', default=','.join(map(str, SIZES)), help='MiB, comma separated')
    ap.add_argument('--fills', default=','.join(FILLS))
    ap.add_argument('--dir', default='/var/tmp', help='where snapshots are written')
    ap.add_argument('--only', choices=('vessel', 'qemu'), help='measure one VMM only')
    ap.add_argument('--json', help='write every measurement here')
    a = ap.parse_args()
    keys = ('save', 'running', 'resident', 'size', 'slowdown', 'cold', 'warm', 'restore',
            'pong')
    results = {}
    for mib in [int(s) for s in a.sizes.split(',')]:
        for fill in a.fills.split(','):
            per = {n: {k: [] for k in keys} for n in ('vessel', 'qemu')}
            results[(mib, fill)] = per
            vmms = [Vessel(a, mib, fill), Qemu(a, mib, fill)]
            vmms = [v for v in vmms if not a.only or v.name == a.only]
            if not a.only or a.only == 'vessel':
                vmms[0].calibrate()
            for i in range(a.runs):
                for vmm in vmms:
                    one(vmm, a, per, mib, fill, i)
    report(results, a.runs)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'%d-%s' % k: v for k, v in results.items()}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
