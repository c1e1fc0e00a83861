#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vessel-broker on a private message bus (dbus-daemon), through Gio:

- it owns io.github.vesselvm.Vessel.Broker1, a second broker cannot, and it exits when idle;
- every malformed argument is refused as InvalidArgument before polkit is asked;
- well-formed calls go to polkit's CheckAuthorization. This bus has no polkit (a real polkitd
  needs the system bus and system-wide rules), so the answer must be NotAuthorized naming
  polkit: the authorization call itself is exercised, the yes/no policy is not (the limit);
- the installed files are well-formed: the D-Bus policy, the polkit actions (one per method),
  the introspection XML.

Usage: test-broker.py --broker PATH --srcdir installer/broker
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taputil import checks, done, ok, reexec_with_gi  # noqa: E402,F401

NAME = 'io.github.vesselvm.Vessel.Broker1'
PATH = '/io/github/vesselvm/Vessel/Broker'






def check_files(src):
    policy = ET.parse(os.path.join(src, 'io.github.vesselvm.vessel.policy')).getroot()
    actions = sorted(a.get('id') for a in policy.iter('action'))
    iface = ET.parse(os.path.join(src, 'io.github.vesselvm.Vessel.Broker1.xml')).getroot()
    methods = [m.get('name') for m in iface.iter('method')]
    ok(len(actions) == len(methods) == 6, 'six methods, six polkit actions: %s' % actions)
    ok(all(a.startswith('io.github.vesselvm.vessel.') for a in actions), 'action ids are ours')
    msr = [a for a in policy.iter('action') if a.get('id').endswith('read-msr')][0]
    ok(msr.find('defaults/allow_active').text == 'yes' and
       all(a.find('defaults/allow_active').text == 'auth_admin_keep'
           for a in policy.iter('action') if a is not msr),
       'defaults: reading MSRs yes, the rest auth_admin_keep for the active session')
    conf = ET.parse(os.path.join(src, 'io.github.vesselvm.Vessel.Broker1.conf')).getroot()
    owners = [p.get('user') for p in conf.iter('policy') if p.find('allow[@own]') is not None]
    ok(owners == ['root'], 'only root may own the name')
    rules = open(os.path.join(src, '60-vessel-kvm.rules')).read()
    ok('KERNEL=="kvm"' in rules and 'TAG+="uaccess"' in rules, 'udev gives /dev/kvm to the seat')


def main():
    reexec_with_gi()
    from gi.repository import Gio, GLib
    ap = argparse.ArgumentParser()
    ap.add_argument('--broker', required=True)
    ap.add_argument('--srcdir', required=True)
    a = ap.parse_args()
    check_files(a.srcdir)
    daemon = shutil.which('dbus-daemon')
    if not daemon:
        ok(os.environ.get('CI') != 'true', 'dbus-daemon is installed (Debian package dbus)')
        print('1..%d' % len(checks))
        return 0 if all(checks) else 1
    work = tempfile.mkdtemp(prefix='vessel-broker-test-')
    bus = subprocess.Popen([daemon, '--session', '--nofork', '--nopidfile', '--print-address=1'],
                           stdout=subprocess.PIPE, text=True)
    address = bus.stdout.readline().strip()
    brokers = []
    try:
        broker = subprocess.Popen([a.broker, '--address', address, '--root', work,
                                   '--idle-timeout', '0'], stderr=subprocess.PIPE, text=True)
        brokers.append(broker)
        conn = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

        def owner():
            try:
                return conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                      'org.freedesktop.DBus', 'GetNameOwner',
                                      GLib.Variant('(s)', (NAME,)), None,
                                      Gio.DBusCallFlags.NONE, 2000, None).unpack()[0]
            except GLib.Error:
                return None
        end = time.monotonic() + 10
        while not owner() and time.monotonic() < end:
            time.sleep(0.05)
        ok(owner(), 'the broker owns %s' % NAME)

        def call(method, sig, args):
            try:
                conn.call_with_unix_fd_list_sync(NAME, PATH, NAME, method,
                                                 GLib.Variant(sig, args) if sig else None, None,
                                                 Gio.DBusCallFlags.NONE, 10000, None, None)
                return 'ok'
            except GLib.Error as e:
                return e.message

        bad = [('OpenUsbDevice', '(s)', ('/dev/sda',)),
               ('OpenUsbDevice', '(s)', ('/dev/bus/usb/001/../../../sda',)),
               ('CreateTap', '(ss)', ('tap0; rm -rf /', 'br0')),
               ('CreateTap', '(ss)', ('tap0', 'x' * 16)),
               ('ReadMsr', '(uu)', (0, 0x10)),
               ('ReadMsr', '(uu)', (100000, 0x3a)),
               ('SetFirmwareAttribute', '(sss)', ('thinklmi', 'WakeonLAN', 'Enable')),
               ('SetFirmwareAttribute', '(sss)', ('../x', 'VirtualizationTechnology', 'Enable'))]
        for method, sig, args in bad:
            r = call(method, sig, args)
            ok('InvalidArgument' in r, '%s%s refused before polkit: %s' % (method, args, r))
        for method, sig, args in [('ReadMsr', '(uu)', (0, 0x3a)), ('LoadKvmModule', None, None),
                                  ('OpenUsbDevice', '(s)', ('/dev/bus/usb/001/002',)),
                                  ('CreateTap', '(ss)', ('tap0', 'br0')),
                                  ('InstallKvmAccessRule', None, None)]:
            r = call(method, sig, args)
            ok('NotAuthorized' in r and 'polkit' in r,
               '%s goes to polkit, which is absent on this bus: %s' % (method, r))
        second = subprocess.run([a.broker, '--address', address, '--idle-timeout', '0'],
                                capture_output=True, text=True, timeout=20)
        ok('cannot own' in second.stderr, 'a second broker cannot take the name: '
           + second.stderr.strip())
        broker.terminate()
        broker.wait(10)
        idle = subprocess.Popen([a.broker, '--address', address, '--idle-timeout', '1'])
        brokers.append(idle)
        try:
            rc = idle.wait(10)
            ok(rc == 0, 'with --idle-timeout 1 it exits on its own (status %d)' % rc)
        except subprocess.TimeoutExpired:
            ok(False, 'with --idle-timeout 1 it exits on its own')
    finally:
        for b in brokers:
            if b.poll() is None:
                b.kill()
        bus.kill()
        shutil.rmtree(work, ignore_errors=True)
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


if __name__ == '__main__':
    sys.exit(main())
