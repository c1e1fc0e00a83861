#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Snapshot a running kit guest, restore it in a new helper process, and check it went on.

Phase 1 runs test-snapshot.elf with --snapshot-at and kills the helper (SIGKILL) as soon as
it reports the snapshot saved; phase 2 restores that directory with --restore in a new
helper: its first "count: N" line must continue from the last count phase 1 printed (the
guest's RAM, LAPIC timer, RTC periodic interrupt and UART came along), not start from 1.
Then: restoring into a VM of another configuration is refused; and a helper killed with
SIGKILL in the middle of a large save leaves a snapshot that is refused as partial. The
snapshot files are never changed by a restore (checked by hash).

Until every device has save/load hooks the save is refused ("device 'x' cannot be
snapshotted yet"); the runner then checks that refusal and skips the rest.
"""

import argparse
import hashlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location('run_guest', os.path.join(HERE, 'run-guest.py'))
run_guest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_guest)

COUNT = re.compile(rb'^count: (\d+) lapic=\d+ rtc=\d+ ram=ok\r?$', re.M)
SNAP_AT = 2.0           # seconds after start: the guest has printed a few counts by then
RESTORE_RUN = 2.5       # how long the restored VM runs
BIG_MEMORY = '512M'
BIG_FILL = 400          # MiB the guest dirties, so the save takes a while


class Helper:
    """A helper process whose stderr is collected line by line on a thread."""

    def __init__(self, cmd, on_line=None):
        self.cmd = cmd
        self.lines = []
        self.on_line = on_line
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors='replace').rstrip('\n')
            self.lines.append(line)
            if self.on_line:
                self.on_line(self, line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()

    def wait(self, limit):
        try:
            rc = self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.proc.wait()
        self.reader.join(5)
        return rc

    def output(self):
        return '\n'.join(self.lines)


def base_cmd(args, serial, memory='64M', extra=()):
    return [args.helper, '--multiboot', args.elf, '--memory', memory, '--cpus',
            str(args.cpus), '--vga', args.vga, '--serial', 'file:' + serial,
            '--quiet'] + list(extra)


def counts(path):
    try:
        with open(path, 'rb') as f:
            return [int(m.group(1)) for m in COUNT.finditer(f.read())]
    except FileNotFoundError:
        return []


def rss_mib(pid):
    """Resident memory of a process in MiB (0 if it is gone)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def digest(snap):
    h = hashlib.sha256()
    for name in ('state', 'memory'):
        try:
            with open(os.path.join(snap, name), 'rb') as f:
                for block in iter(lambda: f.read(1 << 20), b''):
                    h.update(block)
        except FileNotFoundError:
            h.update(b'missing ' + name.encode())
    return h.hexdigest()


class Run:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.results = []
        self.log = []

    def check(self, good, desc, detail=''):
        self.results.append((bool(good), desc, detail))
        return good

    def skip(self, desc, reason):
        self.results.append((True, '%s # SKIP %s' % (desc, reason), ''))

    def keep(self, title, helper, serial=None):
        self.log.append((title + ' command', shlex.join(helper.cmd)))
        self.log.append((title + ' helper output', helper.output()))
        if serial and os.path.exists(serial):
            with open(serial, 'rb') as f:
                self.log.append((title + ' serial', f.read().decode(errors='replace')))

    def save_and_kill(self):
        """Phase 1: the snapshot; the helper is killed once it says the save is done."""
        serial = os.path.join(self.tmp, 'a.txt')
        self.snap = os.path.join(self.tmp, 'snap')

        def watch(helper, line):
            if 'snapshot saved to' in line or '--snapshot-at:' in line:
                helper.kill()

        h = Helper(base_cmd(self.args, serial, extra=['--snapshot-at', '%g:%s' % (
            SNAP_AT, self.snap), '--timeout', '30']), watch)
        h.wait(60)
        self.keep('save run', h, serial)
        out = h.output()
        refused = re.search(r"devices? ('[^\n]+') cannot be snapshotted yet", out)
        if refused:
            self.check(not os.path.exists(os.path.join(self.snap, 'state')),
                       'save refused before writing anything: %s cannot be snapshotted yet'
                       % refused.group(1))
            return None
        m = re.search(r'snapshot saved to \S+ in ([0-9.]+) ms', out)
        if not self.check(m, 'the running VM was snapshotted', '; '.join(out.splitlines()[-2:])):
            return None
        self.save_ms = float(m.group(1))
        before = counts(serial)
        self.check(len(before) >= 3, 'the guest counted before the snapshot (%d lines)'
                   % len(before))
        return before

    def restore(self, before):
        """Phase 2: a new helper restores and must go on counting from the snapshot."""
        serial = os.path.join(self.tmp, 'b.txt')
        digest_before = digest(self.snap)
        h = Helper(base_cmd(self.args, serial, extra=['--restore', self.snap, '--timeout',
                                                     '%g' % RESTORE_RUN]))
        rc = h.wait(RESTORE_RUN + 30)
        self.keep('restore run', h, serial)
        after = counts(serial)
        self.check(rc == 69, 'the restored VM ran until --timeout (status %d: %s)'
                   % (rc, run_guest.describe_status(rc)))
        self.check(re.search(r'restored \S+ in [0-9.]+ ms', h.output()),
                   'the helper reported the restore time')
        last = before[-1] if before else 0
        first = after[0] if after else None
        self.check(first is not None and last - 1 <= first <= last + 2,
                   'the restored count continues from the snapshot: first %s, last before '
                   '%d' % (first, last))
        self.check(len(after) >= 3 and after == list(range(after[0], after[0] + len(after))),
                   'the restored guest keeps counting (%s)' % after[:8])
        with open(serial, 'rb') as f:
            text = f.read()
        self.check(b'FAIL' not in text and b'EXCEPTION' not in text,
                   'RAM pattern, LAPIC timer and RTC interrupt all carried over')
        self.check(digest(self.snap) == digest_before, 'the snapshot files are unchanged')

    def mismatch(self):
        """The same snapshot into another configuration: refused, with what differs."""
        for flags, want in ((['--memory', '128M'], 'taken with 64 MiB of RAM; this VM has '
                             '128 MiB'),):
            serial = os.path.join(self.tmp, 'm.txt')
            cmd = base_cmd(self.args, serial, extra=['--restore', self.snap, '--timeout', '5'])
            cmd[cmd.index('--memory') + 1] = flags[1]
            h = Helper(cmd)
            rc = h.wait(30)
            self.keep('mismatch run', h)
            self.check(rc == 64 and want in h.output(),
                       'restore into %s refused: %s' % (' '.join(flags), want))

    def lazy_restore(self):
        """A large snapshot restores without reading its memory: the helper stays small."""
        snap = os.path.join(self.tmp, 'big')

        def watch(helper, line):
            if 'snapshot saved to' in line or '--snapshot-at:' in line:
                helper.kill()

        h = Helper(base_cmd(self.args, os.path.join(self.tmp, 'e.txt'), BIG_MEMORY, [
            '--append', 'fill=%d' % BIG_FILL, '--snapshot-at', '%g:%s' % (SNAP_AT + 2, snap),
            '--timeout', '60']), watch)
        h.wait(90)
        self.keep('big save', h)
        if not self.check('snapshot saved to' in h.output(), 'a %s snapshot with %d MiB '
                          'in use was saved' % (BIG_MEMORY, BIG_FILL)):
            return
        rss = []

        def sample(helper, line):
            # At once: restore read no memory. A second later: the populate thread
            # (snap-ram.c) is mapping the memory file behind the running guest.
            if 'restored' in line:
                rss.append(rss_mib(helper.proc.pid))
                time.sleep(1.0)
                rss.append(rss_mib(helper.proc.pid))

        serial = os.path.join(self.tmp, 'f.txt')
        r = Helper(base_cmd(self.args, serial, BIG_MEMORY, ['--restore', snap, '--timeout',
                                                            '2']), sample)
        rc = r.wait(60)
        self.keep('big restore', r, serial)
        self.check(rc == 69 and counts(serial), 'the large snapshot restored and ran')
        self.check(rss and 0 < rss[0] < BIG_FILL // 4,
                   'pages load lazily: %s MiB resident when the restore is done, of %d MiB '
                   'saved' % (rss[0] if rss else '?', BIG_FILL))
        self.check(len(rss) == 2 and rss[1] > rss[0],
                   'then the prefetch populates them: %s MiB resident a second later'
                   % (rss[1] if len(rss) == 2 else '?'))

    def kill_mid_save(self):
        """A helper killed inside a large save leaves a partial snapshot that is refused."""
        serial = os.path.join(self.tmp, 'c.txt')
        snap = os.path.join(self.tmp, 'partial')
        state = os.path.join(snap, 'state')
        memory = os.path.join(snap, 'memory')
        h = Helper(base_cmd(self.args, serial, BIG_MEMORY, [
            '--append', 'fill=%d' % BIG_FILL, '--snapshot-at', '%g:%s' % (SNAP_AT + 2, snap),
            '--timeout', '60']))
        deadline = time.monotonic() + 60
        # The memory file appears after the state file's sections, as the long part begins.
        while not os.path.exists(memory) and h.proc.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.001)
        h.kill()
        h.wait(30)
        self.keep('killed save', h, serial)
        marker = b''
        if os.path.exists(state):
            with open(state, 'rb') as f:
                marker = f.read(16)[12:16]
        if not self.check(marker == b'PART', 'SIGKILL arrived in the middle of the save '
                          '(marker %r)' % marker):
            return
        digest_before = digest(snap)
        r = Helper(base_cmd(self.args, os.path.join(self.tmp, 'd.txt'), BIG_MEMORY,
                            ['--restore', snap, '--timeout', '5']))
        rc = r.wait(30)
        self.keep('partial restore', r)
        self.check(rc == 64 and 'the save did not complete (partial marker)' in r.output(),
                   'the partial snapshot is refused with a clear message (status %d)' % rc)
        self.check(digest(snap) == digest_before, 'the refused snapshot is left as it was')


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('elf', help='test-snapshot.elf')
    ap.add_argument('--helper', default=os.environ.get('VESSEL_HELPER'))
    ap.add_argument('--cpus', type=int, default=1, help='vCPUs (the guest uses the first)')
    ap.add_argument('--vga', default='none', choices=('none', 'std'),
                    help='with std the VGA (registers, VRAM) is part of the snapshot')
    ap.add_argument('--name', default='snapshot')
    ap.add_argument('--tap', action='store_true')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args(argv)
    rep = run_guest.Reporter(args.tap, args.name)
    problem = run_guest.kvm_problem()
    if problem:
        return rep.skip(problem)
    if not args.helper or not os.access(args.helper, os.X_OK):
        return rep.fail('vessel-helper not found (%r); pass --helper' % args.helper)
    with tempfile.TemporaryDirectory(prefix='vessel-snap-') as tmp:
        run = Run(args, tmp)
        before = run.save_and_kill()
        if before is None and run.results and run.results[-1][0]:
            for what in ('restore continues the count', 'mismatched VM refused',
                         'a large restore loads lazily',
                         'SIGKILL mid-save leaves a refused partial snapshot'):
                run.skip(what, 'devices without save hooks yet')
        elif before is not None:
            run.restore(before)
            run.mismatch()
            run.lazy_restore()
            run.kill_mid_save()
    failed = not all(r[0] for r in run.results)
    rep.results(run.results)
    if failed or args.verbose:
        for title, text in run.log:
            rep.dump(title, text)
    return rep.status(failed)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
