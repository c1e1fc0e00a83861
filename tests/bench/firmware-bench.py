#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SeaBIOS POST to the boot sector's first output: vessel-helper vs QEMU -machine pc, same image.

Both VMMs boot Debian's bios-256k.bin from the same raw IDE disk whose boot sector prints
"BOOT" on COM1 (tests/firmware/bootsect.S). Runs alternate ours/QEMU; the time is exec to
the "BOOT" bytes on the serial pipe. Prints medians [min-max] and the ratio QEMU/ours.
Not a timed test: nothing fails on the numbers.

The two machines are made equivalent: QEMU gets the devices our PC always has (a std VGA
with SeaVGABIOS, 16 MiB of VRAM, and a modern virtio-rng), and neither has a debug console
unless --phases asks for one on both. --qemu-bare gives QEMU's bare -nodefaults machine (no
VGA, no rng), the command line this benchmark used before.

--phases also reads SeaBIOS's debug port (0x402) from both VMMs through a pipe, stamps each
line on arrival, and prints a phase table: the lines are the same BIOS's, so they align.
--baseline PATH times an older vessel-helper in the same alternation (before/after under
the same load). --save-logs DIR keeps the stamped logs. Each VMM's CPU time (all threads,
user + system) at "BOOT" is printed too: on a shared, loaded host it is the steadier number.
"""

import argparse
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import time

# Where a phase starts: the first debug line matching the pattern (None: process start).
# The phase runs to the next one found in the same log; the last one ends at "BOOT".
PHASES = [
    ('VMM start-up to BIOS banner', None),
    ('POST entry, RAM and malloc setup', r'^SeaBIOS \(version'),
    ('init code relocation, PM base', r'^Relocating init from'),
    ('fw_cfg files, boot order, kvmclock', r'^Moving pm_base'),
    ('PCI probe, BARs, device init', r'^=== PCI bus & bridge init'),
    ('SMP, PIR, MP table', r'^Found \d+ cpu\(s\)'),
    ('SMBIOS', r'^Copying MPTABLE'),
    ('ACPI table-loader', r'^Copying SMBIOS'),
    ('DSDT parse', r'^ACPI: parse DSDT'),
    ('VGA ROM: clear, copy, run', r'^Scan for VGA option rom'),
    ('vga console, ATA/PS2/serial probes', r'^Turning on vga text mode console'),
    ('option ROMs, boot menu', r'^Scan for option roms'),
    ('prepboot: low RAM clear, int 19h', r'^Space available for UMB'),
    ('int 19h to the boot sector', r'^enter handle_19'),
]


def make_disk(path, bootsect):
    img = bytearray(bootsect)
    for n in range(1, 64):
        img += struct.pack('<I', n) * 128
    with open(path, 'wb') as f:
        f.write(img)
        f.truncate(8 << 20)


def cpu_seconds(pid):
    """User + system CPU time of a process, all its threads (proc(5) stat fields 14, 15)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, ValueError, IndexError):
        return None


def time_to_marker(cmd, marker=b'BOOT', timeout=60.0, logfd=None):
    """(seconds from exec to marker on stdout or None, the VMM's CPU seconds by then,
    the stamped debug lines)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, pass_fds=(logfd[1],) if logfd else ())
    fds = [p.stdout.fileno()]
    if logfd:
        os.close(logfd[1])
        fds.append(logfd[0])
    buf, part, lines, found, cpu = b'', b'', [], None, None
    try:
        while found is None and fds and time.monotonic() - t0 < timeout:
            ready, _, _ = select.select(fds, [], [], 0.5)
            now = time.monotonic() - t0
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    fds.remove(fd)
                elif fd == p.stdout.fileno():
                    buf += chunk
                    if marker in buf:
                        found = now
                        cpu = cpu_seconds(p.pid)
                else:
                    part += chunk
                    *done, part = part.split(b'\n')
                    lines += [(now, ln.decode('latin-1').rstrip('\r')) for ln in done]
    finally:
        p.kill()
        p.wait()
        if logfd:
            os.close(logfd[0])
    return found, cpu, lines


def phase_times(lines, total):
    """Milliseconds per phase (None where a boundary line is missing)."""
    starts = [0.0]
    for _, pat in PHASES[1:]:
        rx = re.compile(pat)
        starts.append(next((t for t, ln in lines if rx.search(ln)), None))
    starts.append(total)
    out = []
    for i in range(len(PHASES)):
        a = starts[i]
        b = next((s for s in starts[i + 1:] if s is not None), None)
        out.append(None if a is None or b is None else (b - a) * 1000)
    return out


def commands(a, disk, helper, logpath):
    ours = [helper, '--memory', '512M', '--serial', 'stdio', '--disk', disk + ',bus=ide',
            '--timeout', '60']
    qemu = [a.qemu, '-accel', 'kvm', '-machine', 'pc', '-m', '512', '-nodefaults',
            '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
            '-drive', 'file=%s,format=raw,if=ide' % disk]
    if not a.qemu_bare:
        # Our PC's fixed devices: std VGA (1234:1111, 16 MiB, SeaVGABIOS) and virtio-rng.
        qemu += ['-device', 'VGA,vgamem_mb=16',
                 '-device', 'virtio-rng-pci,disable-legacy=on']
    if logpath:
        ours += ['--firmware-log', logpath]
        qemu += ['-chardev', 'file,id=dbg,path=' + logpath,
                 '-device', 'isa-debugcon,iobase=0x402,chardev=dbg']
    return ours, qemu


def run_one(a, disk, name, helper):
    logfd = os.pipe() if a.phases else None
    logpath = '/dev/fd/%d' % logfd[1] if logfd else None
    ours, qemu = commands(a, disk, helper, logpath)
    return time_to_marker(qemu if name == 'qemu' else ours, logfd=logfd)


def save_log(a, name, run, t, lines):
    if not a.save_logs:
        return
    os.makedirs(a.save_logs, exist_ok=True)
    with open(os.path.join(a.save_logs, '%s-%d.log' % (name, run + 1)), 'w') as f:
        for ts, ln in lines:
            f.write('%9.1f %s\n' % (ts * 1000, ln))
        f.write('%9.1f == BOOT on COM1 ==\n' % ((t or 0) * 1000))


def print_cpu(cpus):
    """CPU time is what a loaded, shared host distorts least: wall time is also queueing."""
    if not all(cpus.values()):
        return
    print('  CPU time (user+system, all threads) by "BOOT", ms:')
    for name, vals in cpus.items():
        print('  %-8s median %8.1f  [%.1f-%.1f]' % (name, statistics.median(vals),
                                                    min(vals), max(vals)))
    for name in [n for n in cpus if n != 'qemu']:
        print('  QEMU/%s CPU: %.2fx' % ('ours' if name == 'vessel' else name,
                                       statistics.median(cpus['qemu']) /
                                       statistics.median(cpus[name])))


def print_phases(names, phases):
    cols = ''.join('%12s' % n for n in names)
    print('\nPhases (ms, median of the runs; a phase starts at the debug line named in '
          'firmware-bench.py):')
    print('  %-38s%s%12s' % ('phase', cols, 'QEMU/ours'))
    sums = {n: 0.0 for n in names}
    for i, (label, _) in enumerate(PHASES):
        row = '  %-38s' % label
        med = {}
        for n in names:
            vals = [p[i] for p in phases[n] if p[i] is not None]
            med[n] = statistics.median(vals) if vals else None
            row += '%12s' % ('-' if med[n] is None else '%.0f' % med[n])
            sums[n] += med[n] or 0
        if med.get('vessel') and med.get('qemu'):
            row += '%11.2fx' % (med['qemu'] / med['vessel'])
        print(row)
    print('  %-38s%s' % ('sum of medians', ''.join('%12.0f' % sums[n] for n in names)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--bootsect', required=True)
    ap.add_argument('--qemu', default='qemu-system-x86_64')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--phases', action='store_true',
                    help='debug console on both; print a per-phase table')
    ap.add_argument('--baseline', metavar='HELPER',
                    help='an older vessel-helper, timed in the same alternation')
    ap.add_argument('--qemu-bare', action='store_true',
                    help='QEMU without the VGA and virtio-rng our PC always has')
    ap.add_argument('--save-logs', metavar='DIR', help='keep the stamped debug logs (--phases)')
    a = ap.parse_args()
    bootsect = open(a.bootsect, 'rb').read()
    helpers = {'vessel': a.helper, 'qemu': None}
    if a.baseline:
        helpers = {'baseline': a.baseline, **helpers}
    res = {n: [] for n in helpers}
    cpus = {n: [] for n in helpers}
    phases = {n: [] for n in helpers}
    with tempfile.TemporaryDirectory(prefix='vessel-fwbench-') as work:
        disk = os.path.join(work, 'boot.img')
        make_disk(disk, bootsect)
        for i in range(a.runs):
            for name, helper in helpers.items():
                t, cpu, lines = run_one(a, disk, name, helper)
                save_log(a, name, i, t, lines)
                if t is None:
                    print('%s: no "BOOT" within 60 s (run %d)' % (name, i + 1))
                    continue
                res[name].append(t * 1000)
                if cpu is not None:
                    cpus[name].append(cpu * 1000)
                if a.phases:
                    phases[name].append(phase_times(lines, t))
    print('SeaBIOS POST to the boot sector (exec -> "BOOT" on COM1), ms, %d runs each, '
          'alternating; QEMU %s%s' % (a.runs, 'bare (-nodefaults only)' if a.qemu_bare else
                                      'with our PC\'s VGA and virtio-rng',
                                      ', debug console on both' if a.phases else ''))
    for name, vals in res.items():
        if vals:
            print('  %-8s median %8.1f  [%.1f-%.1f]' % (name, statistics.median(vals),
                                                        min(vals), max(vals)))
    if res['vessel'] and res['qemu']:
        ratio = statistics.median(res['qemu']) / statistics.median(res['vessel'])
        print('  QEMU/ours: %.2fx  (goal: not slower, i.e. >= 1.0: %s)' %
              (ratio, 'met' if ratio >= 1.0 else 'NOT met'))
    if a.baseline and res['baseline'] and res['qemu']:
        print('  QEMU/baseline: %.2fx' % (statistics.median(res['qemu']) /
                                         statistics.median(res['baseline'])))
    print_cpu(cpus)
    if a.phases:
        print_phases([n for n in helpers if phases[n]], phases)
    return 0


if __name__ == '__main__':
    sys.exit(main())
