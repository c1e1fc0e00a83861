#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The control API end to end: vesselctl create/run/status/pause/resume/stop/screenshot on a
headless helper, `gdbus call` against its socket, and the VM1 interface over a real
peer-to-peer socketpair (Gio from python3-gi), with the errors bad calls get.

Usage: test-control.py --helper PATH --ctl PATH --guest demo.elf --disk demo.img
Exit 0 pass, 1 fail, 77 skip (no KVM; a failure under CI=true). TAP on stdout.
"""

import argparse
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time

from taputil import (checks, done, kvm_gate, ok, reexec_with_gi,  # noqa: E402,F401
                     start_helper, wait_for)

IFACE = 'io.github.vesselvm.Vessel.VM1'
PATH = '/io/github/vesselvm/Vessel/VM'




def run(argv, env, timeout=60):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def gdbus(sock, env, method, *args):
    cmd = ['gdbus', 'call', '--address', 'unix:path=' + sock, '--dest', 'io.github.vesselvm.Vessel',
           '--object-path', PATH, '--method', method] + list(args)
    return run(cmd, env)




def test_ctl(a, env, home):
    ctl = a.ctl
    rc, out, err = run([ctl, 'create', 'Box', '--memory', '96M', '--cpus', '1',
                        '--disk-size', '64M'], env)
    folder = os.path.join(home, 'Virtual Machines', 'Box')
    ok(rc == 0 and os.path.isfile(os.path.join(folder, 'Box.vessel')),
       'vesselctl create makes ~/Virtual Machines/Box/Box.vessel: ' + (out + err).strip())
    rc2, out2, _ = run(['qemu-img', 'check', os.path.join(folder, 'disk.qcow2')], env)
    ok(rc2 == 0, 'qemu-img check accepts the new disk.qcow2')
    rc, out, err = run([ctl, 'create', 'Box'], env)
    ok(rc == 1 and 'already' in err.lower() or 'exists' in err.lower(),
       'creating Box again is refused: ' + err.strip())
    # Give Box the demo disk on IDE, in front of its own, so SeaBIOS boots it.
    # And SPICE sharing on a free local port, as the app's Remote access pane would set it.
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    spice_port = s.getsockname()[1]
    s.close()
    with open(os.path.join(folder, 'Box.vessel'), 'a') as f:
        f.write('\n[disk.1]\nfile=%s\nbus=ide\nreadonly=true\n' % a.disk)
        f.write('\n[spice]\nport=%d\n' % spice_port)
    rc, out, err = run([ctl, 'list', '--json'], env)
    ok(rc == 0 and '"name": "Box"' in out and '"state": "stopped"' in out, 'list shows Box stopped')
    rc, out, err = run([ctl, 'status', 'Box'], env)
    ok(rc == 3 and 'stopped' in out, 'status of a stopped VM exits 3')
    rc, out, err = run([ctl, 'pause', 'Box'], env)
    ok(rc == 3 and 'not running' in err, 'pause of a stopped VM: ' + err.strip())

    rc, out, err = run([ctl, 'run', '--headless', 'Box'], env)
    ok(rc == 0 and 'running headless' in out, 'run --headless starts it: ' + (out + err).strip())
    if rc:
        return
    sock = [l.split(': ', 1)[1] for l in out.splitlines() if 'control socket' in l][0]
    st = os.stat(sock)
    ok(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
       'the control socket is mode 0600: %o' % stat.S_IMODE(st.st_mode))
    rc, out, err = run([ctl, 'run', '--headless', 'Box'], env)
    ok(rc == 1 and 'already running' in err, 'a second run is refused')
    rc, out, err = run([ctl, 'status', '--json', 'Box'], env)
    ok(rc == 0 and '"state": "running"' in out, 'status says running')

    rc, out, err = gdbus(sock, env, 'org.freedesktop.DBus.Properties.Get', IFACE, 'Name')
    ok(rc == 0 and "'Box'" in out, 'gdbus call reads the Name property: ' + (out + err).strip())
    rc, out, err = gdbus(sock, env, IFACE + '.Resume')
    ok(rc != 0 and 'InvalidState' in err and 'not paused' in err,
       'Resume while running is an InvalidState error: ' + err.strip())
    rc, out, err = gdbus(sock, env, IFACE + '.Pause')
    ok(rc == 0, 'gdbus Pause')
    rc, out, err = gdbus(sock, env, 'org.freedesktop.DBus.Properties.Get', IFACE, 'State')
    ok("'paused'" in out, 'State is paused')
    rc, out, err = run([ctl, 'pause', 'Box'], env)
    ok(rc == 1 and 'already paused' in err, 'vesselctl pause again: ' + err.strip())
    rc, out, err = run([ctl, 'stop', 'Box', '--no-wait'], env)
    ok(rc == 1 and 'resume it first' in err, 'the power button of a paused VM is refused')
    rc, out, err = run([ctl, 'resume', 'Box'], env)
    ok(rc == 0, 'vesselctl resume')
    # A writable qcow2 disk: the snapshot freezes it and the VM goes on with an overlay
    # (tests/integration/test-disk-snapshots.py checks the contents).
    rc, out, err = run([ctl, 'snapshot', 'save', 'Box', 'first'], env, timeout=120)
    text = open(os.path.join(folder, 'Box.vessel')).read()
    ok(rc == 0 and 'file=disk.0-1-1.qcow2' in text and
       os.path.isfile(os.path.join(folder, 'disk.0-1-1.qcow2')),
       'a VM with a writable disk is snapshotted; it now writes an overlay: '
       + (out + err).strip())

    vv = os.path.join(home, 'box.vv')
    rc, out, err = run([ctl, 'spice-file', 'Box', vv], env)
    ok(rc == 0 and 'tcp:127.0.0.1:%d' % spice_port in out, 'spice-file: ' + (out + err).strip())
    text = open(vv).read() if os.path.exists(vv) else ''
    ok('port=%d' % spice_port in text and 'host=127.0.0.1' in text and
       stat.S_IMODE(os.stat(vv).st_mode) == 0o600,
       'the .vv file names the [spice] port of the .vessel file, mode 0600')
    try:
        socket.create_connection(('127.0.0.1', spice_port), timeout=5).close()
        ok(True, 'and the helper listens on that port (tests/spice drive real clients)')
    except OSError as e:
        ok(False, 'and the helper listens on that port: %s' % e)

    shot = os.path.join(home, 'box.png')
    ok(wait_for(lambda: run([ctl, 'screenshot', 'Box', shot], env)[0] == 0 and
                os.path.getsize(shot) > 100, 60),
       'vesselctl screenshot writes a PNG')
    with open(shot, 'rb') as f:
        ok(f.read(8) == b'\x89PNG\r\n\x1a\n', 'it is a PNG')

    # Another user may not talk to the VM: the socket is 0600, and even through a socket
    # opened to everyone the helper checks the peer's uid (SO_PEERCRED) during D-Bus auth.
    if os.getuid() == 0:
        run_dir = os.path.dirname(os.path.dirname(sock))
        dirs = [os.path.dirname(run_dir), run_dir, os.path.dirname(sock)]
        for d in dirs:
            os.chmod(d, 0o711)
        os.chmod(sock, 0o666)
        p = subprocess.run(['gdbus', 'call', '--address', 'unix:path=' + sock, '--dest', 'x',
                            '--object-path', PATH, '--method', IFACE + '.Pause'],
                           env=env, capture_output=True, text=True, timeout=30,
                           user=65534, group=65534)
        ok(p.returncode != 0, 'another user is refused even with the socket open to all: ' +
           p.stderr.strip())
        os.chmod(sock, 0o600)
        for d in dirs:
            os.chmod(d, 0o700)
        rc, out, err = gdbus(sock, env, 'org.freedesktop.DBus.Properties.Get', IFACE, 'State')
        ok("'running'" in out, 'and the VM was not paused by them')

    rc, out, err = run([ctl, 'stop', '--force', 'Box'], env)
    ok(rc == 0 and 'powered off' in out, 'stop --force: ' + (out + err).strip())
    ok(wait_for(lambda: not os.path.exists(sock), 10), 'the socket is removed when the VM stops')
    rc, out, err = run([ctl, 'status', 'Box'], env)
    ok(rc == 3, 'status: stopped again (status %d: %s; folder: %s)' % (
        rc, (out + err).strip(), sorted(os.listdir(os.path.join(home, 'Virtual Machines', 'Box')))))


def test_snapshots(a, env, home):
    """vesselctl snapshot save/list/restore/delete on a VM whose only disk is read-only."""
    ctl = a.ctl
    rc, out, err = run([ctl, 'create', 'Shot', '--memory', '64M', '--cpus', '1',
                        '--disk-size', '0'], env)
    folder = os.path.join(home, 'Virtual Machines', 'Shot')
    with open(os.path.join(folder, 'Shot.vessel'), 'a') as f:
        f.write('\n[disk.0]\nfile=%s\nbus=ide\nreadonly=true\n' % a.disk)
    rc, out, err = run([ctl, 'snapshot', 'list', 'Shot'], env)
    ok(rc == 0 and 'no snapshots' in out, 'a new VM has no snapshots')
    rc, out, err = run([ctl, 'run', '--headless', 'Shot'], env)
    ok(rc == 0, 'Shot runs')
    log = [l.split(': ', 1)[1] for l in out.splitlines() if 'log and serial' in l][0]
    drew = wait_for(lambda: 'drew' in open(log, errors='replace').read(), 60)
    ok(drew, 'the demo disk drew on the screen (SeaBIOS boot)')
    before, after = os.path.join(home, 'before.png'), os.path.join(home, 'after.png')
    run([ctl, 'screenshot', 'Shot', before], env)
    rc, out, err = run([ctl, 'snapshot', 'save', 'Shot', 'drawn', '--description',
                        'after the demo drew'], env, timeout=120)
    ok(rc == 0 and 'saved snapshot 1' in out, 'snapshot save: ' + (out + err).strip())
    rc, out, err = run([ctl, 'snapshot', 'list', '--json', 'Shot'], env)
    ok('"name": "drawn"' in out and '"complete": true' in out and '"current": true' in out,
       'the list shows snapshot 1 complete and current')
    ok(os.path.isfile(os.path.join(folder, 'snapshots', '1', 'screenshot.png')),
       'the snapshot has a thumbnail')
    rc, out, err = run([ctl, 'snapshot', 'restore', 'Shot', '1'], env)
    ok(rc == 1 and 'would be lost' in err, 'restoring over a running VM needs --force')
    rc, out, err = run([ctl, 'snapshot', 'restore', 'Shot', '1', '--force'], env, timeout=120)
    ok(rc == 0 and 'running headless' in out, 'snapshot restore --force restarts it from 1: '
       + (out + err).strip())
    ok(wait_for(lambda: run([ctl, 'screenshot', 'Shot', after], env)[0] == 0, 30) and
       open(before, 'rb').read() == open(after, 'rb').read(),
       'the restored screen is pixel-identical to the one saved')
    rc, out, err = run([ctl, 'snapshot', 'restore', 'Shot', '7', '--force'], env)
    ok(rc == 1 and "no snapshot '7'" in err, 'an unknown id is refused: ' + err.strip())
    run([ctl, 'stop', '--force', 'Shot'], env)
    rc, out, err = run([ctl, 'snapshot', 'delete', 'Shot', '1'], env)
    ok(rc == 0 and not os.path.exists(os.path.join(folder, 'snapshots', '1')),
       'snapshot delete removes it')


def test_balloon(a, env):
    """VM1's balloon over a socketpair, driving the kit's balloon guest (tests/guests/test-balloon.c):
    the helper inflates it to 96 MiB at start; D-Bus lets it have all its memory back."""
    from gi.repository import Gio, GLib
    serial = tempfile.NamedTemporaryFile(prefix='vessel-balloon-serial', delete=False).name
    helper, conn = start_helper(
        a.helper, ['--memory', '128M', '--multiboot', a.balloon_guest, '--serial',
                   'file:' + serial, '--timeout', '60', '--balloon', '--balloon-target', '96M@0',
                   '--balloon-stats', '1'], env=env, stderr=subprocess.DEVNULL)

    def call(method, args=None):
        return conn.call_sync(None, PATH, IFACE, method, args, None, Gio.DBusCallFlags.NONE,
                              10000, None)

    def prop(name):
        return call_props('Get', GLib.Variant('(ss)', (IFACE, name))).unpack()[0]

    def call_props(method, args):
        return conn.call_sync(None, PATH, 'org.freedesktop.DBus.Properties', method, args, None,
                              Gio.DBusCallFlags.NONE, 10000, None)

    def serial_has(text):
        return text in open(serial, errors='replace').read()

    ok(prop('BalloonPresent') is True, 'balloon: present with --balloon')
    ok(wait_for(lambda: prop('MemoryTarget') == 32 << 20, 5),
       'balloon: MemoryTarget is 128 - 96 = 32 MiB')
    ok(wait_for(lambda: serial_has('refilled'), 30), 'balloon: the guest inflated and sent stats')
    ok(wait_for(lambda: prop('MemoryActual') <= 33 << 20, 5),
       'balloon: MemoryActual follows the driver (%d MiB)' % (prop('MemoryActual') >> 20))
    stats = dict(call('GetMemoryStats').unpack()[0])
    ok(stats.get('total') == 128 << 20 and 'free' in stats and 'age-ms' in stats,
       'balloon: GetMemoryStats has the guest\'s figures: %s' % sorted(stats))
    try:
        call('SetMemoryTarget', GLib.Variant('(t)', (16 << 20,)))
        ok(False, 'balloon: a target under the minimum is refused')
    except GLib.Error as e:
        ok('InvalidArgument' in e.message and 'bounds' in e.message,
           'balloon: a target under the minimum is InvalidArgument: ' + e.message)
    call('SetBalloonAuto', GLib.Variant('(b)', (True,)))
    ok(prop('BalloonAuto') is True, 'balloon: the automatic policy can be switched on')
    call('SetMemoryTarget', GLib.Variant('(t)', (128 << 20,)))
    ok(prop('BalloonAuto') is False and wait_for(lambda: prop('MemoryTarget') == 128 << 20, 5),
       'balloon: a hand-set target of 128 MiB turns the policy off')
    ok(wait_for(lambda: serial_has('every page holds'), 30), 'balloon: the guest deflated all')
    rc = helper.wait(30)
    ok(rc == 0, 'balloon: the guest finished its checks (status %d)' % rc)
    os.unlink(serial)


def test_peer(a, env):
    """VM1 over a socketpair, the way the app talks to a helper it starts."""
    from gi.repository import Gio, GLib
    serial = tempfile.NamedTemporaryFile(prefix='vessel-peer-serial', delete=False).name
    helper, conn = start_helper(
        a.helper, ['--memory', '32M', '--multiboot', a.guest, '--serial', 'file:' + serial,
                   '--timeout', '60'], env=env, stderr=subprocess.PIPE, text=True)

    def call(method, sig=None):
        return conn.call_sync(None, PATH, IFACE, method, None, sig,
                              Gio.DBusCallFlags.NONE, 10000, None)

    def prop(name):
        v = conn.call_sync(None, PATH, 'org.freedesktop.DBus.Properties', 'Get',
                           GLib.Variant('(ss)', (IFACE, name)), None, Gio.DBusCallFlags.NONE,
                           10000, None)
        return v.unpack()[0]

    ok(prop('State') in ('starting', 'running') and wait_for(lambda: prop('State') == 'running', 10),
       'peer: State goes from starting to running')
    ok(prop('Pid') == helper.pid, 'peer: Pid is the helper')
    ok(prop('MemoryBytes') == 32 << 20, 'peer: MemoryBytes')
    wait_for(lambda: os.path.getsize(serial) > 0, 20)
    call('Pause')
    ok(prop('State') == 'paused', 'peer: paused')
    size = os.path.getsize(serial)
    time.sleep(1.5)
    ok(os.path.getsize(serial) == size, 'peer: a paused guest prints nothing (%d bytes)' % size)
    try:
        call('Pause')
        ok(False, 'peer: a second Pause fails')
    except GLib.Error as e:
        ok('InvalidState' in e.message and 'already paused' in e.message,
           'peer: a second Pause is InvalidState: ' + e.message)
    call('Resume')
    ok(wait_for(lambda: os.path.getsize(serial) > size, 10), 'peer: resumed guest prints again')
    try:
        conn.call_sync(None, PATH, IFACE, 'NoSuchMethod', None, None, Gio.DBusCallFlags.NONE,
                       5000, None)
        ok(False, 'peer: an unknown method fails')
    except GLib.Error as e:
        ok('UnknownMethod' in e.message, 'peer: an unknown method is UnknownMethod')
    ok(prop('BalloonPresent') is False, 'peer: no balloon without --balloon')
    offered, shared, msg = call('GetMemorySharing').unpack()
    ok(offered is False and 'KSM' in msg and 'share-pages' in msg,
       'peer: GetMemorySharing says KSM\'s state and that this VM does not offer: ' + msg)
    try:
        conn.call_sync(None, PATH, IFACE, 'SetMemoryTarget', GLib.Variant('(t)', (16 << 20,)),
                       None, Gio.DBusCallFlags.NONE, 5000, None)
        ok(False, 'peer: SetMemoryTarget without a balloon fails')
    except GLib.Error as e:
        ok('NotSupported' in e.message and '[balloon]' in e.message,
           'peer: SetMemoryTarget without a balloon is NotSupported: ' + e.message)
    png = call('Screenshot').unpack()[0]
    ok(bytes(png[:4]) == b'\x89PNG', 'peer: Screenshot returns PNG bytes (%d)' % len(png))
    try:
        call('PowerOff')
    except GLib.Error:
        pass
    rc = helper.wait(20)
    ok(rc == 0, 'peer: PowerOff ends the helper with status 0 (%d)' % rc)
    os.unlink(serial)




def main():
    reexec_with_gi()
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--ctl', required=True)
    ap.add_argument('--guest', required=True)
    ap.add_argument('--disk', required=True)
    ap.add_argument('--balloon-guest', required=True)
    a = ap.parse_args()
    gate = kvm_gate()
    if gate is not None:
        return gate
    with tempfile.TemporaryDirectory(prefix='vessel-control-') as tmp:
        home = os.path.join(tmp, 'home')
        xdg = os.path.join(tmp, 'run')
        os.makedirs(home)
        os.makedirs(xdg, mode=0o700)
        env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=xdg,
                   XDG_CONFIG_HOME=os.path.join(home, '.config'),
                   VESSEL_HELPER=os.path.abspath(a.helper))
        a.disk = os.path.abspath(a.disk)
        try:
            test_ctl(a, env, home)
            test_snapshots(a, env, home)
            test_peer(a, env)
            test_balloon(a, env)
        finally:
            subprocess.run(['pkill', '-f', tmp], check=False)
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


if __name__ == '__main__':
    sys.exit(main())
