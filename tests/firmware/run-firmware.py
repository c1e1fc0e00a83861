#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot Debian's SeaBIOS in vessel-helper from a disk or CD-ROM and check the boot sector ran.

Each case builds its own image around bootsect.bin (sector 0) with sectors 1..N holding their
own number in every 32-bit word, runs the helper with that drive on the named bus, and
expects the boot sector's "READ OK" on COM1 and test-exit status 0. The ISO for the CD-ROM
case is built with xorriso: El Torito no-emulation boot, the pattern in the system area.
Prints TAP. Without a usable /dev/kvm the test skips, except under CI=true where it fails.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

KVM_GET_API_VERSION = 0xAE00


def kvm_usable():
    try:
        import fcntl
        fd = os.open('/dev/kvm', os.O_RDWR)
    except OSError as e:
        return 'cannot open /dev/kvm: %s' % e.strerror
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            return '/dev/kvm has an unexpected API version'
    finally:
        os.close(fd)
    return None


def make_disk(path, bootsect, sectors=64, size=8 << 20):
    """An 8 MiB disk (a few cylinders, as BIOS geometry wants) with the pattern up front."""
    img = bytearray(bootsect)
    for n in range(1, sectors):
        img += struct.pack('<I', n) * 128
    with open(path, 'wb') as f:
        f.write(img)
        f.truncate(size)


def make_iso(path, bootsect, work):
    root = os.path.join(work, 'isoroot')
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, 'boot.bin'), 'wb') as f:
        f.write(bootsect)
    with open(os.path.join(root, 'README.TXT'), 'w') as f:
        f.write('Vessel firmware boot test\n')
    sysarea = bytearray(32768)
    for n in range(1, 16):
        sysarea[n * 2048:(n + 1) * 2048] = struct.pack('<I', n) * 512
    sa = os.path.join(work, 'sysarea.bin')
    with open(sa, 'wb') as f:
        f.write(sysarea)
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-o', path, '-G', sa,
                    '-b', 'boot.bin', '-no-emul-boot', '-boot-load-size', '4', root],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_case(num, helper, name, args, work, timeout, expect_serial):
    serial = os.path.join(work, name + '.serial')
    fwlog = os.path.join(work, name + '.fw')
    cmd = [helper, '--memory', '128M', '--serial', 'file:' + serial,
           '--firmware-log', fwlog, '--timeout', str(timeout)] + args
    start = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout + 30)
    took = time.monotonic() - start
    out = open(serial, 'rb').read().decode('latin-1') if os.path.exists(serial) else ''
    log = open(fwlog, 'rb').read().decode('latin-1') if os.path.exists(fwlog) else ''
    good = p.returncode == 0 and expect_serial in out and 'SeaBIOS' in log
    print('%s %d - %s: status %d in %.1f s' % ('ok' if good else 'not ok', num, name,
                                             p.returncode, took))
    if not good:
        for title, text in (('serial', out), ('stderr', p.stderr.decode('latin-1')),
                            ('firmware log (tail)', '\n'.join(log.splitlines()[-40:]))):
            print('# --- %s ---' % title)
            for line in text.splitlines():
                print('#   ' + line)
    return good


def run_post(num, helper, work, timeout, cpus):
    """SeaBIOS POST with no disk: it must find every CPU and end at 'No bootable device'."""
    fwlog = os.path.join(work, 'post.fw')
    screen = os.path.join(work, 'post.txt')
    cmd = [helper, '--memory', '256M', '--cpus', str(cpus), '--serial', 'none',
           '--firmware-log', fwlog, '--timeout', str(timeout), '--dump-text-on-exit', screen]
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log = ''
    while time.monotonic() - start < timeout and p.poll() is None:
        time.sleep(0.2)
        if os.path.exists(fwlog):
            log = open(fwlog, 'rb').read().decode('latin-1')
            if 'No bootable device' in log:
                break
    took = time.monotonic() - start
    # The first SIGTERM presses the ACPI power button: firmware ignores it, the VM runs on.
    p.terminate()
    time.sleep(1.0)
    still_running = p.poll() is None
    # The second powers off at once (status 70).
    p.terminate()
    rc = p.wait(timeout=30)
    err = p.stderr.read().decode('latin-1')
    want_cpus = 'Found %d cpu(s)' % cpus
    text = open(screen, encoding='utf-8', errors='replace').read() if os.path.exists(screen) else ''
    # What SeaBIOS printed through SeaVGABIOS, read back from the VGA text grid.
    on_screen = 'SeaBIOS (version' in text and 'No bootable device' in text
    good = ('No bootable device' in log and want_cpus in log and 'Running on KVM' in log
            and 'PCI: init bdf=00:01.3 id=8086:7113' in log and rc == 70 and still_running
            and 'power button pressed' in err and on_screen)
    print('%s %d - SeaBIOS POST with %d vCPUs reaches "No bootable device" in %.1f s'
          % ('ok' if good else 'not ok', num, cpus, took))
    if not good:
        print('# helper status %d (70 expected after two SIGTERMs); running after the '
              'first: %s; banner on the VGA screen: %s' % (rc, still_running, on_screen))
        for line in text.splitlines()[:12]:
            print('#   screen: ' + line)
        for line in (log.splitlines()[-40:] + err.splitlines()[-20:]):
            print('#   ' + line)
    return good


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--helper', required=True)
    ap.add_argument('--bootsect', required=True)
    ap.add_argument('--timeout', type=int, default=90)
    ap.add_argument('cases', nargs='*', default=['ide', 'ahci', 'virtio', 'cdrom'])
    a = ap.parse_args()

    why = kvm_usable()
    if why:
        if os.environ.get('CI') == 'true':
            print('1..1\nnot ok 1 - KVM is required on CI: %s' % why)
            return 0
        print('1..0 # SKIP %s' % why)
        return 0
    bootsect = open(a.bootsect, 'rb').read()
    results = []
    with tempfile.TemporaryDirectory(prefix='vessel-fw-') as work:
        print('1..%d' % len(a.cases))
        for num, case in enumerate(a.cases, 1):
            if case.startswith('post'):
                cpus = int(case[4:] or 1)
                results.append(run_post(num, a.helper, work, a.timeout, cpus))
                continue
            if case.startswith('order-'):
                # A disk and a CD-ROM both bootable: --boot picks which one runs first.
                if not shutil.which('xorriso'):
                    print('not ok %d - %s: xorriso is missing' % (num, case))
                    results.append(False)
                    continue
                iso = os.path.join(work, 'order.iso')
                make_iso(iso, bootsect, work)
                disk = os.path.join(work, 'order.img')
                make_disk(disk, bootsect)
                first = case[len('order-'):]
                args = ['--disk', disk + ',bus=virtio', '--cdrom', iso, '--boot', first]
                want = 'BOOT dl=E0' if first == 'cdrom' else 'BOOT dl=80'
                results.append(run_case(num, a.helper, case, args, work, a.timeout, want))
                continue
            if case == 'cdrom':
                if not shutil.which('xorriso'):
                    print('not ok %d - cdrom: xorriso is missing (installer/bootstrap deps)'
                          % num)
                    results.append(False)
                    continue
                iso = os.path.join(work, 'boot.iso')
                make_iso(iso, bootsect, work)
                args = ['--cdrom', iso, '--boot', 'cdrom']
            else:
                disk = os.path.join(work, case + '.img')
                make_disk(disk, bootsect)
                args = ['--disk', disk + ',bus=' + case]
            results.append(run_case(num, a.helper, case, args, work, a.timeout, 'READ OK'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
