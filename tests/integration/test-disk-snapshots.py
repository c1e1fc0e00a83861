#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Disks in snapshots, end to end: a VM made by `vesselctl create` (qcow2 disk, on virtio)
runs the disk-snap kit guest, which keeps a counter both in RAM and on the disk and fails
with MISMATCH if the two ever disagree. Snapshot A, more writes, snapshot B; restore A, then
B: the guest goes on from each with the disk it had then (checked in the guest, and from the
host by reading the frozen images with qemu-img). Delete A: B still restores. A snapshot of a
restored B, then deleting B: the file B froze stays, because the new node is backed by it.
`qemu-img check` passes on every image the folder holds.

The helper is reached through a wrapper (VESSEL_HELPER) that adds `--multiboot GUEST`, so
vesselctl's run and restore start the kit guest instead of the firmware.

Usage: test-disk-snapshots.py --helper PATH --ctl PATH --guest test-disk-snap.elf
Exit 0 pass, 1 fail, 77 skip (no KVM; a failure under CI=true). TAP on stdout.
"""

import argparse
import configparser
import glob
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taputil import checks, done, kvm_gate, ok, wait_for  # noqa: E402,F401

MAGIC = 0x504E5344




def run(argv, env, timeout=120):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr




class Vm:
    def __init__(self, a, env, folder):
        self.a, self.env, self.folder = a, env, folder
        self.log = None

    def ctl(self, *args, timeout=120):
        return run([self.a.ctl] + list(args), self.env, timeout)

    def started(self, out):
        logs = [l.split(': ', 1)[1] for l in out.splitlines() if 'log and serial' in l]
        self.log = logs[0] if logs else None
        return self.log is not None

    def writes(self):
        text = open(self.log, errors='replace').read() if self.log else ''
        return [int(n) for n in re.findall(r'disk-snap: wrote (\d+) ', text)], text

    def wait_writes(self, more, timeout=60):
        """Wait until the guest has written `more` further counters; the last one seen."""
        first = self.writes()[0]
        base = first[-1] if first else None
        wait_for(lambda: len(self.writes()[0]) >= len(first) + more, timeout)
        w = self.writes()[0]
        return w[-1] if w else base

    def current_disk(self):
        c = configparser.ConfigParser(interpolation=None)
        c.read(os.path.join(self.folder, 'Cnt.vessel'))
        return c.get('disk.0', 'file')

    def frozen(self, snap_id):
        c = configparser.ConfigParser(interpolation=None)
        c.read(os.path.join(self.folder, 'snapshots', snap_id, 'meta.conf'))
        return c.get('disks', 'disk.0', fallback=None)


def disk_counter(folder, name, tmp):
    """The counter in sector 0 of an image, read through its whole chain by qemu-img."""
    raw = os.path.join(tmp, 'sector.raw')
    if os.path.exists(raw):
        os.unlink(raw)
    p = subprocess.run(['qemu-img', 'convert', '-O', 'raw', os.path.join(folder, name), raw],
                       capture_output=True, text=True)
    if p.returncode:
        return None
    with open(raw, 'rb') as f:
        magic, value, inv = struct.unpack('<III', f.read(12))
    os.unlink(raw)
    return value if magic == MAGIC and inv == value ^ 0xFFFFFFFF else None


def save(vm, name, snap_id):
    rc, out, err = vm.ctl('snapshot', 'save', 'Cnt', name)
    ok(rc == 0 and 'saved snapshot %s' % snap_id in out,
       'snapshot save %s: %s' % (name, (out + err).strip()))


def restore(vm, snap_id, expect, force):
    """Restore, then check the guest goes on from the snapshot's counter, disk agreeing."""
    args = ['snapshot', 'restore', 'Cnt', snap_id] + (['--force'] if force else [])
    rc, out, err = vm.ctl(*args)
    ok(rc == 0 and vm.started(out), 'restore %s: %s' % (snap_id, (out + err).strip()))
    vm.wait_writes(3)
    w, text = vm.writes()
    # The guest may have been inside a write when saved: it finishes that one first.
    ok(w and w[0] in (expect, expect + 1) and w == list(range(w[0], w[0] + len(w))),
       'restored %s: the guest goes on from %d with its disk (wrote %s)' %
       (snap_id, expect, w[:6]))
    ok('MISMATCH' not in text and 'disk-snap: start' not in text,
       'restored %s: RAM and disk agree (no MISMATCH, no reboot)' % snap_id)


def test(a, env, home, tmp):
    folder = os.path.join(home, 'Virtual Machines', 'Cnt')
    vm = Vm(a, env, folder)
    rc, out, err = vm.ctl('create', 'Cnt', '--memory', '32M', '--cpus', '1', '--disk-size', '16M')
    ok(rc == 0, 'vesselctl create Cnt with a 16 MiB qcow2 disk: ' + (out + err).strip())
    path = os.path.join(folder, 'Cnt.vessel')
    text = open(path).read().replace('bus=ahci', 'bus=virtio')
    open(path, 'w').write(text)

    rc, out, err = vm.ctl('run', '--headless', 'Cnt')
    ok(rc == 0 and vm.started(out), 'Cnt runs the disk-snap guest: ' + (out + err).strip())
    if rc:
        return
    ok(vm.wait_writes(3) is not None, 'the guest writes its counter to the disk')

    save(vm, 'A', '1')
    a_file, cur1 = vm.frozen('1'), vm.current_disk()
    ok(a_file == 'disk.qcow2' and re.fullmatch(r'disk\.0-1-\d+\.qcow2', cur1),
       'A froze disk.qcow2; the VM went on with the overlay %s' % cur1)
    vm.wait_writes(3)
    save(vm, 'B', '2')
    b_file, cur2 = vm.frozen('2'), vm.current_disk()
    ok(b_file == cur1 and cur2 != cur1, 'B froze %s; the VM now writes %s' % (b_file, cur2))
    last = vm.wait_writes(2)
    rc, out, err = vm.ctl('stop', '--force', 'Cnt')
    ok(wait_for(lambda: vm.ctl('status', 'Cnt')[0] == 3, 30), 'stopped: ' + (out + err).strip())

    ca, cb = disk_counter(folder, a_file, tmp), disk_counter(folder, b_file, tmp)
    cc = disk_counter(folder, cur2, tmp)
    ok(ca is not None and cb is not None and cc is not None and 0 < ca < cb <= cc,
       'the frozen disks hold A=%s < B=%s <= now=%s (last written %s)' % (ca, cb, cc, last))
    rc, out, _ = run(['qemu-img', 'info', '--backing-chain', os.path.join(folder, cur2)], env)
    ok(rc == 0 and 'backing file: %s' % cur1 in out and 'backing file: disk.qcow2' in out,
       'qemu-img info follows the chain %s -> %s -> disk.qcow2' % (cur2, cur1))
    if ca is None or cb is None:
        return

    restore(vm, '1', ca, False)
    ok(not os.path.exists(os.path.join(folder, cur2)),
       'the disk the VM used before the restore, which nothing needs, is removed')
    ok(os.path.exists(os.path.join(folder, cur1)), '%s stays: B froze it' % cur1)
    restore(vm, '2', cb, True)
    restore(vm, '1', ca, True)
    vm.ctl('stop', '--force', 'Cnt')
    wait_for(lambda: vm.ctl('status', 'Cnt')[0] == 3, 30)
    ok(disk_counter(folder, 'disk.qcow2', tmp) == ca,
       'restoring twice never wrote the frozen disk of A (still %d)' % ca)

    rc, out, err = vm.ctl('snapshot', 'delete', 'Cnt', '1')
    ok(rc == 0 and os.path.exists(os.path.join(folder, 'disk.qcow2')),
       'delete A: disk.qcow2 stays, B is backed by it: ' + (out + err).strip())
    restore(vm, '2', cb, False)
    vm.wait_writes(2)
    save(vm, 'C', '3')
    c_file = vm.frozen('3')
    rc, out, err = vm.ctl('snapshot', 'delete', 'Cnt', '2')
    ok(rc == 0 and os.path.exists(os.path.join(folder, b_file)) and
       os.path.exists(os.path.join(folder, c_file)),
       'delete B: %s stays, C (%s) is backed by it' % (b_file, c_file))
    vm.ctl('stop', '--force', 'Cnt')
    wait_for(lambda: vm.ctl('status', 'Cnt')[0] == 3, 30)
    cc = disk_counter(folder, c_file, tmp)
    restore(vm, '3', cc if cc is not None else -1, False)
    vm.ctl('stop', '--force', 'Cnt')
    wait_for(lambda: vm.ctl('status', 'Cnt')[0] == 3, 30)

    images = sorted(glob.glob(os.path.join(folder, '*.qcow2')))
    bad = [os.path.basename(i) for i in images
           if run(['qemu-img', 'check', i], env)[0] != 0]
    ok(images and not bad, 'qemu-img check passes on all %d images (bad: %s)' %
       (len(images), bad))


def test_raw(a, env, home):
    """A raw disk is cloned with FICLONE; where the filesystem cannot, the save is refused
    with a message naming the way out, and nothing changes."""
    folder = os.path.join(home, 'Virtual Machines', 'Raw')
    rc, out, err = run([a.ctl, 'create', 'Raw', '--memory', '32M', '--cpus', '1',
                        '--disk-size', '0'], env)
    raw = os.path.join(folder, 'disk.raw')
    with open(raw, 'wb') as f:
        f.truncate(1 << 20)
    with open(os.path.join(folder, 'Raw.vessel'), 'a') as f:
        f.write('\n[disk.0]\nfile=disk.raw\nbus=virtio\n')
    rc, out, err = run([a.ctl, 'run', '--headless', 'Raw'], env)
    ok(rc == 0, 'Raw runs with a raw disk: ' + (out + err).strip())
    vm = Vm(a, env, folder)
    vm.started(out)
    vm.wait_writes(2)
    rc, out, err = run([a.ctl, 'snapshot', 'save', 'Raw', 'r'], env)
    clone = os.path.join(folder, 'snapshots', '1', 'disk.0.raw')
    if rc == 0:
        ok(os.path.isfile(clone) and
           open(os.path.join(folder, 'Raw.vessel')).read().count('file=disk.raw') == 1,
           'reflinks here: the raw disk was cloned into the snapshot, the VM keeps disk.raw')
    else:
        ok('cannot clone' in err and 'qcow2' in err and not os.path.exists(clone) and
           not glob.glob(os.path.join(folder, '.*clone*')),
           'no reflinks here: the save is refused, saying what to do: ' + err.strip())
        rc, out, err = run([a.ctl, 'snapshot', 'list', 'Raw'], env)
        ok('no snapshots' in out, 'and no snapshot was left behind')
    run([a.ctl, 'stop', '--force', 'Raw'], env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--ctl', required=True)
    ap.add_argument('--guest', required=True)
    a = ap.parse_args()
    gate = kvm_gate()
    if gate is not None:
        return gate
    with tempfile.TemporaryDirectory(prefix='vessel-disksnap-') as tmp:
        home = os.path.join(tmp, 'home')
        xdg = os.path.join(tmp, 'run')
        os.makedirs(home)
        os.makedirs(xdg, mode=0o700)
        wrapper = os.path.join(tmp, 'helper.sh')
        with open(wrapper, 'w') as f:
            f.write('#!/bin/sh\nexec "%s" "$@" --multiboot "%s"\n' %
                    (os.path.abspath(a.helper), os.path.abspath(a.guest)))
        os.chmod(wrapper, 0o755)
        env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=xdg,
                   XDG_CONFIG_HOME=os.path.join(home, '.config'), VESSEL_HELPER=wrapper)
        a.ctl = os.path.abspath(a.ctl)
        try:
            test(a, env, home, tmp)
            test_raw(a, env, home)
        finally:
            subprocess.run(['pkill', '-f', tmp], check=False)
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


if __name__ == '__main__':
    sys.exit(main())
