#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot the tiny 64-bit kernel (lguest) through vessel-helper --kernel, or feed the helper
kernels it must refuse.

Cases:
  boot           --kernel, --initrd (a marker the guest checks, then a byte pattern) and
                 --append; the guest checks the zero page, the CPU state and memory and
                 exits through port 0xF4; we check exit status 0 and the transcript.
  boot-noinitrd  the same without --initrd: the ramdisk fields must be zero.
  reject         kernels, initrds and flags the helper must refuse with status 64 and a
                 message naming the problem.

Exit status 0 pass, 1 fail, 77 skip (no usable /dev/kvm; a failure when CI=true). With
--tap the verdict is in the TAP lines and the status is 0, as in run-guest.py.
"""

import argparse
import importlib.util
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_SKIP = 77
GRACE = 10                      # seconds past --timeout before the runner kills the helper
SETUP_SECTS, HDR_START, HDR_END = 0x1F1, 0x1F1, 0x26C
VERSION, XLOADFLAGS, CMDLINE_SIZE, INIT_SIZE = 0x206, 0x236, 0x238, 0x260
MARKER_MAGIC = b'VSLINRD1'
MARKER_BODY = 64
GUEST_CODES = {
    1: 'RSI is not a boot_params', 2: 'CPU not in long mode with paging',
    3: 'segments or GDT wrong', 4: 'interrupts enabled at entry',
    5: 'setup header check failed', 6: 'loader fields wrong', 7: 'zero page not zero',
    8: 'command line check failed', 9: 'initrd check failed', 10: 'e820 check failed',
    11: 'last RAM page check failed', 12: 'identity map check failed',
    13: 'LAPIC check failed', 14: 'image at 1 MiB differs from the file',
    15: 'command line lacks vessel.ram=/vessel.initrd=',
    16: 'entered at code32_start (1 MiB), not the 64-bit entry at 0x100200',
    17: 'lx_main returned',
}
HELPER_CODES = {64: 'host error (bad flags or file)', 65: 'KVM unavailable',
                66: 'triple fault', 67: 'KVM internal error', 68: 'reset',
                69: '--timeout elapsed', 70: 'killed by a signal'}


def load_run_guest():
    """The kit's runner, for its /dev/kvm probe (one definition of "KVM is usable")."""
    sys.dont_write_bytecode = True      # no __pycache__ in the source tree
    spec = importlib.util.spec_from_file_location(
        'run_guest', os.path.join(HERE, os.pardir, 'run-guest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def describe(rc):
    if rc < 0:
        return 'killed by signal %d' % -rc
    if rc in HELPER_CODES:
        return 'helper: ' + HELPER_CODES[rc]
    if rc == 0:
        return 'guest: pass'
    if 32 <= rc <= 63:
        return 'guest: CPU exception %d' % (rc - 32)
    return 'guest: %s' % GUEST_CODES.get(rc, 'check %d failed' % rc)


def parse_size(text):
    m = re.fullmatch(r'(\d+)([KMG]?)', text)
    if not m:
        raise ValueError('bad size %r (want e.g. 64M)' % text)
    return int(m.group(1)) << {'': 20, 'K': 10, 'M': 20, 'G': 30}[m.group(2)]


def fnv1a(data, h=0x811C9DC5):
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def pattern_byte(i):
    """Must match MK_PATTERN() in lguest.h."""
    return (((i ^ (i >> 8) ^ (i >> 16)) & 0xFFFFFFFF) * 31 + 7) & 0xFF


# ---- images ----

def payload_of(bz):
    sects = bz[SETUP_SECTS] or 4
    return bz[(sects + 1) * 512:]


def make_initrd(bz, cmdline, size):
    """Marker (see lguest.h, MK_*), command line, the image's setup header, pattern."""
    cmd = cmdline.encode('utf-8')
    hdr = bz[HDR_START:HDR_END]
    body = bytearray(cmd + b'\0')
    body += bytes(-len(body) % 16)          # the guest finds the header at (len + 16) & ~15
    body += hdr
    body += bytes(-len(body) % 16)
    start = MARKER_BODY + len(body)
    if size < start:
        raise ValueError('initrd of %d bytes is too small for its %d-byte marker' %
                         (size, start))
    body += bytes(pattern_byte(i) for i in range(start, size))
    payload = payload_of(bz)
    head = struct.pack('<8sIIIIIII', MARKER_MAGIC, size, len(cmd), len(hdr), fnv1a(body),
                       start, len(payload), fnv1a(payload))
    return head + bytes(MARKER_BODY - len(head)) + bytes(body)


def patched(bz, fmt, off, value):
    out = bytearray(bz)
    struct.pack_into('<' + fmt, out, off, value)
    return bytes(out)


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def sparse(path, size):
    with open(path, 'wb') as f:
        f.truncate(size)
    return path


# ---- running the helper ----

# The kit runner's child handling: the helper and its process group die with the runner.
_RUN_GUEST = load_run_guest()
Child = _RUN_GUEST.Child
on_signal = _RUN_GUEST.on_signal


class Run:
    """One helper run: command, status, stderr, serial transcript, time."""

    def __init__(self, helper, flags, tmp, timeout):
        serial = os.path.join(tmp, 'serial.log')
        if os.path.exists(serial):
            os.unlink(serial)
        self.cmd = [helper] + flags + ['--serial', 'file:' + serial, '--no-reboot',
                                       '--timeout', str(timeout)]
        begin = time.monotonic()
        self.hung = False
        Child.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        try:
            out, _ = Child.proc.communicate(timeout=timeout + GRACE)
        except subprocess.TimeoutExpired:
            Child.kill()
            out, _ = Child.proc.communicate()
            self.hung = True
        self.rc = Child.proc.returncode
        self.elapsed = time.monotonic() - begin
        self.output = out.decode('utf-8', 'replace')
        self.transcript = read_text(serial)


def read_text(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return ''
    return data.decode('utf-8', 'replace').replace('\r\n', '\n')


# ---- cases ----

def boot_cmdline(memory, with_initrd):
    """A command line with quotes, '=', ',' and a long word, ending in the expectations."""
    fill = ''.join(chr(ord('a') + i % 26) if i % 7 else str(i % 10) for i in range(240))
    return ('console=ttyS0,115200n8 quiet init="/sbin/init --single" vessel.fill=%s '
            'vessel.ram=%s vessel.initrd=%d' % (fill, memory, int(with_initrd)))


# Lines the guest must print: each check it must have run and passed. The last two must
# also end the transcript.
BOOT_REQUIRED = [
    r'^lguest: 64-bit entry at 0x100200, boot_params at 0x[0-9a-f]+',
    r'^check ok: RSI points at a boot_params',
    r'^check ok: CR0\.PE and CR0\.PG set',
    r'^check ok: EFER\.LME and EFER\.LMA set',
    r'^check ok: interrupts off at entry',
    r'^check ok: CS is __BOOT_CS',
    r'^check ok: DS, ES, SS are __BOOT_DS',
    r'^check ok: __BOOT_CS: present 64-bit execute/read code',
    r'^check ok: both descriptors flat 4 GiB',
    r'^check ok: XLF_KERNEL_64, LOADED_HIGH',
    r'^check ok: init_size covers our image',
    r'^check ok: type_of_loader 0xff',
    r'^check ok: unused zero-page bytes are zero',
    r'^check ok: command line NUL-terminated',
    r'^check ok: RAM ends at 0x{ram_top:x} below 4 GiB',
    r'^check ok: 0xfeffc000-0xfeffffff reserved',
    r'^check ok: zero page, command line and kernel init_size area lie in e820 RAM',
    r'^check ok: kernel init_size area identity-mapped',
    r'^check ok: top RAM page 0x{last_page:x} and the LAPIC page identity-mapped',
    r'^check ok: last RAM page 0x{last_page:x} writable',
    r'^check ok: LAPIC version register',
    r'^image: at 0x100000, {image_len} bytes, fnv1a 0x{image_fnv:08x}$',
    r'^lguest: all checks passed',
    r'^lguest: exit 0$',
]
INITRD_REQUIRED = [
    r'^check ok: setup header 0x1f1\.\.0x26c copied from the image',
    r'^check ok: command line equals the one in the initrd marker \({cmd_len} bytes\)',
    r'^initrd: at 0x[0-9a-f]+, {initrd_size} bytes',
    r'^check ok: initrd page-aligned',
    r'^check ok: initrd fnv1a 0x{initrd_fnv:08x}',
    r'^check ok: initrd pattern bytes',
    r'^check ok: initrd as high as possible',
    r'^check ok: image at 1 MiB equals the file\'s \({image_len} bytes, fnv1a 0x{image_fnv:08x}\)',
]
NOINITRD_REQUIRED = [r'^initrd: at 0x0, 0 bytes', r'^check ok: no initrd: ramdisk fields zero']
FORBIDDEN = [r'check FAIL', r'^EXCEPTION']


def boot_case(args, bz, tmp, with_initrd):
    ram = parse_size(args.memory)
    cmdline = boot_cmdline(args.memory, with_initrd)
    flags = ['--kernel', args.kernel, '--memory', args.memory, '--append', cmdline]
    values = {'ram_top': min(ram, 0xE0000000), 'last_page': min(ram, 0xE0000000) - 4096,
              'cmd_len': len(cmdline.encode()), 'image_len': len(payload_of(bz)),
              'image_fnv': fnv1a(payload_of(bz)), 'initrd_size': args.initrd_size}
    required = list(BOOT_REQUIRED)
    if with_initrd:
        initrd = make_initrd(bz, cmdline, args.initrd_size)
        values['initrd_fnv'] = fnv1a(initrd[MARKER_BODY:])
        flags += ['--initrd', write(os.path.join(tmp, 'initrd.img'), initrd)]
        required += INITRD_REQUIRED
    else:
        required += NOINITRD_REQUIRED
    run = Run(args.helper, flags, tmp, args.timeout)
    if run.rc == 65:
        return run, None
    results = [(not run.hung and run.rc == 0, 'exit status 0 within %d s' % args.timeout,
                'hung, killed after %d s' % (args.timeout + GRACE) if run.hung else
                'got %d (%s)' % (run.rc, describe(run.rc)))]
    results.append(echo_result(run.transcript, cmdline))
    results += matches(run.transcript, [p.format(**values) for p in required])
    tail = run.transcript.rstrip('\n').splitlines()[-2:]
    results.append((tail == ['lguest: all checks passed', 'lguest: exit 0'],
                    'the transcript ends with the verdict and exit 0', 'ends %r' % tail))
    for pat in FORBIDDEN:
        m = re.search(pat, run.transcript, re.M)
        results.append((not m, 'transcript lacks /%s/' % pat,
                        'found %r' % m.group(0) if m else ''))
    return run, results


def echo_result(transcript, cmdline):
    m = re.search(r"^cmdline: '(.*)'$", transcript, re.M)
    ok = bool(m) and m.group(1) == cmdline
    return (ok, 'the guest read back the command line exactly',
            'got %r' % (m.group(1) if m else None))


def matches(transcript, patterns):
    results = []
    for pat in patterns:
        m = re.search(pat, transcript, re.M)
        results.append((bool(m), 'serial /%s/' % pat, '' if m else 'not found'))
    return results


def reject_cases(args, bz, tmp):
    """(name, flags, stderr regex, needs KVM): each must end with status 64."""
    ram = parse_size(args.memory)
    mem = ['--memory', args.memory]
    small = write(os.path.join(tmp, 'small.img'), b'\x01' * 4096)
    k = lambda name, data: ['--kernel', write(os.path.join(tmp, name), data)] + mem
    return [
        ('not a bzImage', k('elf.img', b'\x7fELF' + bytes(8188)),
         r'not a bzImage \(no "HdrS" setup header\)', True),
        ('too short for a setup header', k('short.img', b'HdrS' * 16),
         r'too short \(64 bytes\) for a bzImage', True),
        ('no XLF_KERNEL_64', k('no64.img', patched(bz, 'H', XLOADFLAGS, 0)),
         r'no 64-bit entry point', True),
        ('boot protocol 2.05', k('old.img', patched(bz, 'H', VERSION, 0x205)),
         r'boot protocol 2\.05 is too old', True),
        ('init_size beyond RAM', k('big-init.img', patched(bz, 'I', INIT_SIZE, ram + (16 << 20))),
         r'needs \d+ KiB of RAM from 1 MiB', True),
        ('command line over cmdline_size',
         ['--kernel', args.kernel, '--append', 'x' * (struct.unpack_from(
             '<I', bz, CMDLINE_SIZE)[0] + 1)] + mem,
         r'accepts a command line of at most \d+ bytes', True),
        ('initrd that cannot fit above the kernel',
         ['--kernel', args.kernel, '--initrd',
          sparse(os.path.join(tmp, 'huge-initrd.img'), ram - (1 << 20))] + mem,
         r'initrd .* does not fit in guest RAM', True),
        ('kernel larger than --memory',
         ['--kernel', sparse(os.path.join(tmp, 'huge.img'), ram + 4096)] + mem,
         r'larger than the guest\'s RAM', False),
        ('--initrd without --kernel', ['--initrd', small] + mem,
         r'--initrd needs --kernel', False),
    ]


def reject_case(args, bz, tmp, rep, kvm_ok):
    results = []
    for name, flags, pat, needs_kvm in reject_cases(args, bz, tmp):
        if needs_kvm and not kvm_ok:
            results.append((None, 'reject: %s' % name, 'needs KVM'))
            continue
        run = Run(args.helper, flags, tmp, 10)
        m = re.search(pat, run.output)
        ok = run.rc == 64 and bool(m) and not run.transcript and not run.hung
        if needs_kvm and run.rc == 65:
            results.append((None, 'reject: %s' % name, 'the helper reports KVM unavailable'))
            continue
        results.append((ok, 'reject: %s -> status 64, /%s/ (%.2f s)' % (name, pat, run.elapsed),
                        'got %d (%s): %s' % (run.rc, describe(run.rc),
                                             run.output.strip() or '(no output)')))
        rep.note('%s: %s in %.2f s' % (name, 'ok' if ok else 'FAIL', run.elapsed))
        if not ok or args.verbose:
            rep.note('command: ' + shlex.join(run.cmd))
    return results


# ---- reporting ----

class Reporter:
    def __init__(self, tap, name):
        self.tap = tap
        self.name = name

    def note(self, line):
        print(('# ' if self.tap else '') + line, flush=True)

    def results(self, results):
        """results: (True/False/None=skip, description, detail). True if none failed."""
        if self.tap:
            print('1..%d' % len(results))
        ci = os.environ.get('CI') == 'true'
        failed = False
        for i, (ok, desc, detail) in enumerate(results, 1):
            if ok is None and ci:
                ok, detail = False, 'KVM is required on CI (%s)' % detail
            failed = failed or ok is False
            if self.tap:
                tail = ' # SKIP %s' % detail if ok is None else ''
                print('%s %d - %s%s' % ('not ok' if ok is False else 'ok', i, desc, tail))
                if ok is False and detail:
                    print('#   ' + detail)
            else:
                word = {True: 'ok', False: 'FAILED', None: 'SKIP'}[ok]
                tail = ' -- ' + detail if detail and ok is not True else ''
                print('%s: %s%s' % (word, desc, tail))
        return not failed

    def skip(self, reason):
        if os.environ.get('CI') == 'true':
            return self.finish([(False, 'KVM is required on CI (%s)' % reason, '')])
        if self.tap:
            print('1..0 # SKIP %s' % reason)
            return 0
        print('SKIP: %s: %s' % (self.name, reason))
        return EXIT_SKIP

    def finish(self, results):
        passed = self.results(results)
        return 0 if self.tap or passed else 1

    def dump(self, title, text):
        self.note('--- %s ---' % title)
        for line in text.splitlines() or ['(empty)']:
            self.note('| ' + line)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='Boot the tiny 64-bit kernel through '
                                 'vessel-helper --kernel, or check what it refuses.')
    ap.add_argument('case', choices=('boot', 'boot-noinitrd', 'reject'))
    ap.add_argument('--kernel', required=True, help='lguest.bzImage (from mkbzimage.py)')
    ap.add_argument('--helper', default=os.environ.get('VESSEL_HELPER'),
                    help='vessel-helper to run (default: $VESSEL_HELPER)')
    ap.add_argument('--memory', default='64M', help='--memory for the helper (default 64M)')
    ap.add_argument('--initrd-size', type=int, default=48 * 1024 + 123,
                    help='bytes of initrd (the guest checks each; default 49275)')
    ap.add_argument('--timeout', type=int, default=20,
                    help="the helper's --timeout; the runner kills it %d s later" % GRACE)
    ap.add_argument('--kvm-device', default='/dev/kvm')
    ap.add_argument('--name')
    ap.add_argument('--tap', action='store_true', help='print TAP')
    ap.add_argument('-v', '--verbose', action='store_true')
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    rep = Reporter(args.tap, args.name or 'linux-' + args.case)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with open(args.kernel, 'rb') as f:
            bz = f.read()
        parse_size(args.memory)
    except (OSError, ValueError) as e:
        return rep.finish([(False, 'setting up: %s' % e, '')])
    if not args.helper or not os.access(args.helper, os.X_OK):
        return rep.finish([(False, 'vessel-helper not found (%r); pass --helper' %
                            args.helper, '')])
    problem = _RUN_GUEST.kvm_problem(args.kvm_device)
    with tempfile.TemporaryDirectory(prefix='vessel-linux-') as tmp:
        if args.case == 'reject':
            return rep.finish(reject_case(args, bz, tmp, rep, problem is None))
        if problem:
            return rep.skip(problem)
        run, results = boot_case(args, bz, tmp, args.case == 'boot')
    if results is None:
        last = run.output.strip().splitlines()[-1:] or ['no message']
        return rep.skip('the helper reports KVM unavailable: %s' % last[0])
    failed = not all(r[0] for r in results)
    rep.note('%s: %s in %.2f s' % (rep.name, 'FAIL' if failed else 'PASS', run.elapsed))
    if failed or args.verbose:
        rep.note('command: ' + shlex.join(run.cmd))
        rep.dump('serial transcript', run.transcript)
        rep.dump('helper output', run.output)
    return rep.finish(results)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
