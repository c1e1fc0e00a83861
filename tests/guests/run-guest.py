#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run one test guest under vessel-helper and check it against its KIT_EXPECT records.

The expectations live in the guest ELF's .kit_expect section (see README.md). Exit status:
0 pass, 1 fail, 77 skip (no usable /dev/kvm; a failure instead when CI=true). With --tap
the result is printed as TAP for meson's 'tap' protocol and the exit status is 0: the
"ok"/"not ok" lines and "1..0 # SKIP" carry the verdict.

Keys for tests that need more than a bare machine (README.md has the full table):
  image=NAME:SIZE[:zero|pattern]  a scratch image made in the run's temporary directory
  args=FLAGS                      extra vessel-helper flags; {image:NAME} is the image's path
  sigterm=REGEX                   send SIGTERM to the helper once COM1 shows REGEX
                                  (repeatable: each after the previous match, in order)
  file-bytes=NAME:OFFSET:HEX      after the run, image NAME holds these bytes at OFFSET
  helper=REGEX                    the helper's own output (stderr) matches, in order
  balloon-fall=FRACTION           the helper's balloon "actual" lines: guest RAM allocated
                                  fell by FRACTION of each inflation, rose on each deflation
--set replaces scalar keys, append= and args=, and adds to the repeatable ones.
"""

import argparse
import array
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
from kvmcheck import kvm_problem  # noqa: E402

SECTION = '.kit_expect'
SCALAR_KEYS = ('cpus', 'memory', 'timeout', 'exit', 'reboot', 'image', 'file-bytes',
               'balloon-fall')
# The value runs to the end of the record.
REST_KEYS = ('serial', 'forbid', 'append', 'input', 'args', 'sigterm', 'helper')
LIST_KEYS = ('serial', 'forbid', 'image', 'file-bytes', 'sigterm', 'helper')
JOINED_KEYS = ('append', 'args')    # records add words; --set replaces
DEFAULTS = {'cpus': '1', 'memory': '32M', 'timeout': '20', 'exit': '0', 'reboot': 'no',
            'append': '', 'input': '', 'args': '', 'balloon-fall': ''}
# image=NAME:SIZE[:FILL]: a scratch disk image made before the run, named in args= as
# {image:NAME}. FILL is 'zero' (the default) or 'pattern': the 32-bit word at byte offset
# o holds PATTERN_BASE | o / 4, so a guest can tell which sector it read.
IMAGE_FILLS = ('zero', 'pattern')
PATTERN_BASE = 0xCA000000
IMAGE_MAX = 64 << 20
# kit_request_input() prints this line; then the runner types the input= text.
INPUT_PROMPT = b'kit: ready for input'

HELPER_STATUS = {
    64: 'helper: host error (bad flags)',
    65: 'helper: KVM unavailable',
    66: 'helper: guest triple fault',
    67: 'helper: KVM internal error or emulation failure',
    68: 'helper: guest reset with --no-reboot',
    69: 'helper: --timeout elapsed',
    70: 'helper: killed by SIGINT/SIGTERM',
}
GUEST_STATUS = {
    0: 'guest: pass',
    1: 'guest: assertion failed',
    2: 'guest: panic',
    3: 'guest: bad multiboot magic or info',
    4: 'guest: unexpected interrupt',
}
EXIT_SKIP = 77


class ExpectError(Exception):
    pass


def describe_status(rc):
    if rc < 0:
        return 'killed by signal %d' % -rc
    if rc in HELPER_STATUS:
        return HELPER_STATUS[rc]
    if rc in GUEST_STATUS:
        return GUEST_STATUS[rc]
    if 32 <= rc <= 63:
        return 'guest: unhandled CPU exception %d' % (rc - 32)
    return 'guest exit value %d' % rc


# ---- ELF32 section reading (System V gABI, "Sections") ----

def read_section(path, name):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or len(data) < 52:
        raise ExpectError('%s is not an ELF file' % path)
    if data[4] != 1 or data[5] != 1:
        raise ExpectError('%s is not a little-endian ELF32 file' % path)
    shoff = struct.unpack_from('<I', data, 0x20)[0]
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x2E)
    if shentsize < 40 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        raise ExpectError('%s has a broken section header table' % path)

    def header(i):
        # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
        return struct.unpack_from('<IIIIII', data, shoff + i * shentsize)

    def blob(h):
        off, size = h[4], h[5]
        if h[1] == 8:               # SHT_NOBITS
            return b''
        if off + size > len(data):
            raise ExpectError('%s: section runs past the end of the file' % path)
        return data[off:off + size]

    strtab = blob(header(shstrndx))
    for i in range(shnum):
        h = header(i)
        end = strtab.find(b'\0', h[0])
        if end >= 0 and strtab[h[0]:end].decode('latin-1') == name:
            return blob(h)
    return None


# ---- expectations ----

def parse_record(text, exp):
    rest = text.strip()
    while rest:
        m = re.match(r'([a-z][a-z-]*)=', rest)
        if not m:
            raise ExpectError('bad expectation near %r (want key=value)' % rest)
        key = m.group(1)
        rest = rest[m.end():]
        if key in REST_KEYS:
            value, rest = rest, ''
        elif key in SCALAR_KEYS:
            value, _, rest = rest.partition(' ')
            rest = rest.lstrip()
        else:
            raise ExpectError('unknown expectation key %r' % key)
        store(exp, key, value)


def store(exp, key, value, override=False):
    """Records add to list keys and words to append/args; --set (override) replaces them."""
    if key in LIST_KEYS:
        exp[key].append(value)
    elif key in JOINED_KEYS and exp.get(key) and not override:
        exp[key] += ' ' + value
    else:
        exp[key] = value


def load_expectations(elf, overrides):
    raw = read_section(elf, SECTION)
    if raw is None:
        raise ExpectError('%s has no %s section: declare KIT_EXPECT(...) in the test' %
                          (elf, SECTION))
    exp = dict(DEFAULTS, **{k: [] for k in LIST_KEYS})
    records = []
    for rec in raw.split(b'\0'):
        if not rec.strip():
            continue
        # KIT_EXPECT prefixes the source line: the compiler may reorder the records.
        m = re.match(r'(\d+):', rec.decode('utf-8'))
        if not m:
            raise ExpectError('expectation record %r lacks its line prefix' % rec)
        records.append((int(m.group(1)), rec.decode('utf-8')[m.end():]))
    for _, text in sorted(records, key=lambda r: r[0]):
        parse_record(text, exp)
    for ov in overrides:
        key, sep, value = ov.partition('=')
        if not sep or key not in SCALAR_KEYS + REST_KEYS:
            raise ExpectError('bad --set %r' % ov)
        store(exp, key, value, override=True)
    return exp


def substitute(exp, epoch):
    names = {'{cpus}': exp['cpus'], '{memory}': exp['memory'], '{epoch}': str(epoch)}

    def sub(s):
        for k, v in names.items():
            s = s.replace(k, v)
        return s
    out = {k: ([sub(x) for x in v] if isinstance(v, list) else sub(v)) for k, v in exp.items()}
    for key in ('cpus', 'timeout', 'exit'):
        if not out[key].isdigit():
            raise ExpectError('%s=%r is not a number' % (key, out[key]))
    if out['reboot'] not in ('yes', 'no'):
        raise ExpectError('reboot=%r: want yes or no' % out['reboot'])
    for pat in out['serial'] + out['forbid'] + out['sigterm'] + out['helper']:
        try:
            re.compile(pat)
        except re.error as e:
            raise ExpectError('bad regex %r: %s' % (pat, e))
    if out['balloon-fall'] and not re.fullmatch(r'0?\.[0-9]+|1', out['balloon-fall']):
        raise ExpectError('balloon-fall=%r: want a fraction such as 0.9' % out['balloon-fall'])
    out['image'] = [parse_image(v) for v in out['image']]
    out['file-bytes'] = [parse_file_bytes(v) for v in out['file-bytes']]
    names = [i[0] for i in out['image']]
    if len(set(names)) != len(names):
        raise ExpectError('image names repeat: %s' % ', '.join(names))
    for name, _, _ in out['file-bytes']:
        if name not in names:
            raise ExpectError('file-bytes names image %r, which no image= makes' % name)
    return out


def parse_size(text):
    m = re.fullmatch(r'(\d+)([KMG]?)', text)
    if not m:
        raise ExpectError('bad size %r (want N, NK, NM or NG)' % text)
    return int(m.group(1)) << {'': 0, 'K': 10, 'M': 20, 'G': 30}[m.group(2)]


def parse_image(text):
    """image=NAME:SIZE[:FILL] -> (name, bytes, fill)."""
    parts = text.split(':')
    if len(parts) not in (2, 3) or not re.fullmatch(r'[a-z0-9_]+', parts[0]):
        raise ExpectError('image=%r: want NAME:SIZE[:FILL]' % text)
    size = parse_size(parts[1])
    fill = parts[2] if len(parts) == 3 else 'zero'
    if fill not in IMAGE_FILLS:
        raise ExpectError('image=%r: fill is one of %s' % (text, ', '.join(IMAGE_FILLS)))
    if not 512 <= size <= IMAGE_MAX or size % 512:
        raise ExpectError('image=%r: size must be whole sectors, at most %d MiB' %
                          (text, IMAGE_MAX >> 20))
    return parts[0], size, fill


def parse_file_bytes(text):
    """file-bytes=NAME:OFFSET:HEX -> (name, offset, bytes) checked in the image afterwards."""
    parts = text.split(':')
    try:
        if len(parts) != 3 or not parts[2]:
            raise ValueError
        return parts[0], int(parts[1], 0), bytes.fromhex(parts[2])
    except ValueError:
        raise ExpectError('file-bytes=%r: want IMAGE:OFFSET:HEXBYTES' % text) from None


# ---- the host side ----



class Child:
    """The running helper; killed (with its process group) if the runner is stopped."""
    proc = None

    @classmethod
    def kill(cls):
        if cls.proc and cls.proc.poll() is None:
            try:
                os.killpg(cls.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            cls.proc.wait()


def on_signal(signum, frame):
    Child.kill()
    print('# runner stopped by signal %d; helper killed' % signum, flush=True)
    sys.exit(1)


def make_images(exp, tmp):
    """Create the image= files; {name: path}."""
    paths = {}
    for name, size, fill in exp['image']:
        path = os.path.join(tmp, name + '.img')
        with open(path, 'wb') as f:
            if fill == 'pattern':
                words = array.array('I', range(PATTERN_BASE, PATTERN_BASE + size // 4))
                if sys.byteorder != 'little':
                    words.byteswap()
                f.write(words.tobytes())
            else:
                f.truncate(size)
        paths[name] = path
    return paths


def extra_args(exp, images):
    """args= split like a shell would, with {image:NAME} replaced by the image's path."""
    def image_path(m):
        if m.group(1) not in images:
            raise ExpectError('args= names {image:%s}, which no image= makes' % m.group(1))
        return images[m.group(1)]
    try:
        words = shlex.split(exp['args'])
    except ValueError as e:
        raise ExpectError('args=%r: %s' % (exp['args'], e)) from None
    return [re.sub(r'\{image:([a-z0-9_]+)\}', image_path, w) for w in words]


def helper_command(args, exp, elf, serial, images):
    cmd = [args.helper, '--memory', exp['memory'], '--cpus', exp['cpus'],
           '--multiboot', elf, '--serial', serial, '--timeout', exp['timeout']]
    if exp['reboot'] == 'no':
        cmd.append('--no-reboot')
    if exp['append']:
        cmd += ['--append', exp['append']]
    return cmd + extra_args(exp, images)


def qemu_command(args, exp, elf, serial, images):
    """Development aid: the same guest on QEMU (its exit codes differ, see README.md)."""
    cmd = [args.qemu, '-kernel', elf, '-m', exp['memory'], '-smp', exp['cpus'],
           '-display', 'none', '-monitor', 'none', '-serial', serial,
           '-device', 'isa-debug-exit,iobase=0xf4,iosize=4']
    if exp['reboot'] == 'no':
        cmd.append('-no-reboot')
    if exp['append']:
        cmd += ['-append', exp['append']]
    return cmd


def qemu_status(rc):
    if rc > 0 and rc & 1:
        return rc >> 1          # isa-debug-exit: (value << 1) | 1
    if rc == 0:
        return 68               # -no-reboot: a reset or a triple fault ends QEMU with 0
    return rc


def unescape(text):
    """input= understands \\n, \\r, \\t and \\\\."""
    return re.sub(r'\\([nrt\\])', lambda m: {'n': '\n', 'r': '\r', 't': '\t'}.get(
        m.group(1), m.group(1)), text).encode('utf-8')


class Typist(threading.Thread):
    """Collects the guest's serial output from a pipe; types `text` after the prompt."""

    def __init__(self, proc, text):
        super().__init__(daemon=True)
        self.proc = proc
        self.text = text
        self.data = bytearray()

    def run(self):
        sent = not self.text
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                break
            self.data += chunk
            if not sent and INPUT_PROMPT in self.data:
                sent = True
                try:
                    self.proc.stdin.write(self.text)
                    self.proc.stdin.flush()
                except OSError:
                    pass


def start(args, exp, elf, tmp, log, images):
    """Start the VM. Output goes to a file, or through a pipe when the test wants input."""
    serial_file = os.path.join(tmp, 'serial.log')
    piped = bool(exp['input'])
    serial = 'stdio' if piped else 'file:' + serial_file
    make = qemu_command if args.qemu else helper_command
    cmd = make(args, exp, elf, serial, images)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
                            stdout=subprocess.PIPE if piped else log, stderr=log,
                            start_new_session=True)
    typist = None
    if piped:
        typist = Typist(proc, unescape(exp['input']))
        typist.start()
    return cmd, proc, typist, serial_file


class Signaller:
    """sigterm=: SIGTERM to the helper when each pattern appears, in order, on COM1."""

    def __init__(self, patterns, transcript):
        self.patterns = [re.compile(p, re.M) for p in patterns]
        self.transcript = transcript     # returns the serial output so far
        self.sent = []                   # (pattern, seconds into the run)
        self.pos = 0

    def poll(self, proc, begin):
        if len(self.sent) == len(self.patterns):
            return
        m = self.patterns[len(self.sent)].search(self.transcript(), self.pos)
        if m:
            self.pos = m.end()
            self.sent.append((self.patterns[len(self.sent)].pattern,
                              time.monotonic() - begin))
            proc.send_signal(signal.SIGTERM)

    def results(self):
        out = [(True, 'SIGTERM sent after /%s/' % p, '%.1f s into the run' % t)
               for p, t in self.sent]
        for p in self.patterns[len(self.sent):]:
            out.append((False, 'SIGTERM sent after /%s/' % p.pattern,
                        'the line never appeared, no SIGTERM sent'))
        return out


def wait_child(proc, limit, signaller, begin):
    """proc.wait(limit), polling for sigterm= lines meanwhile."""
    if not signaller.patterns:
        return proc.wait(limit)
    while True:
        signaller.poll(proc, begin)
        try:
            return proc.wait(0.05)
        except subprocess.TimeoutExpired:
            if time.monotonic() - begin > limit:
                raise


def run(args, exp, elf, tmp, images):
    log = os.path.join(tmp, 'helper.log')
    timeout = int(exp['timeout'])
    grace = 0 if args.qemu else 10
    begin = time.monotonic()
    hung = False
    with open(log, 'wb') as lf:
        cmd, Child.proc, typist, serial_file = start(args, exp, elf, tmp, lf, images)

        def transcript_now():
            return normalise(bytes(typist.data)) if typist else read_text(serial_file)
        signaller = Signaller(exp['sigterm'], transcript_now)
        try:
            rc = wait_child(Child.proc, timeout + grace, signaller, begin)
            if args.qemu:
                rc = qemu_status(rc)
        except subprocess.TimeoutExpired:
            Child.kill()
            rc, hung = (69, False) if args.qemu else (Child.proc.returncode, True)
    elapsed = time.monotonic() - begin
    if typist:
        typist.join(5)
    return (cmd, rc, hung, elapsed, transcript_now(), read_text(log),
            signaller.results() + check_files(exp, images))


def check_files(exp, images):
    """file-bytes=: what the guest wrote reached the image file on the host."""
    results = []
    for name, offset, want in exp['file-bytes']:
        desc = 'image %s holds %s at offset %d' % (name, want.hex(), offset)
        try:
            with open(images[name], 'rb') as f:
                f.seek(offset)
                got = f.read(len(want))
        except OSError as e:
            results.append((False, desc, str(e)))
            continue
        results.append((got == want, desc, 'found %s' % got.hex()))
    return results


def normalise(data):
    return data.decode('utf-8', 'replace').replace('\r\n', '\n').replace('\r', '\n')


def read_text(path):
    try:
        with open(path, 'rb') as f:
            return normalise(f.read())
    except FileNotFoundError:
        return ''


# vessel-helper's line each time the balloon driver writes `actual` (app/helper/helper-balloon.c)
BALLOON_LINE = re.compile(r'balloon: actual (\d+) KiB, target \d+ KiB, ballooned \d+ KiB; '
                          r'guest RAM allocated (\d+) KiB')


def check_balloon_fall(frac, output):
    """balloon-fall=: RAM the host holds fell by frac of each inflation, rose on deflation."""
    points = [(int(a), int(b)) for a, b in BALLOON_LINE.findall(output)]
    results = []
    for (a0, m0), (a1, m1) in zip(points, points[1:]):
        if a1 > a0:
            want = frac * (a1 - a0)
            results.append((m0 - m1 >= want, 'balloon %d -> %d KiB: guest RAM allocated fell '
                            'by >= %g KiB' % (a0, a1, want),
                            '%d -> %d KiB (fell %d)' % (m0, m1, m0 - m1)))
        elif a1 < a0:
            results.append((m1 > m0, 'balloon %d -> %d KiB: guest RAM allocated rose' %
                            (a0, a1), '%d -> %d KiB' % (m0, m1)))
    kinds = {(a1 > a0) for (a0, _), (a1, _) in zip(points, points[1:]) if a1 != a0}
    results.append((kinds == {True, False}, 'balloon lines show an inflation and a deflation',
                    'balloon lines: %r' % points))
    return results


def check(exp, rc, hung, transcript, qemu, extra, output=''):
    """A list of (ok, description, detail) results; extra: sigterm= and file-bytes= ones."""
    want = int(exp['exit'])
    results = []
    if hung:
        results.append((False, 'helper ended within timeout+10 s',
                        'still running after %s s; killed' % (int(exp['timeout']) + 10)))
        return results + extra
    same = rc == want or (qemu and {rc, want} == {66, 68})
    results.append((same, 'exit status %d (%s)' % (want, describe_status(want)),
                    'got %d (%s)' % (rc, describe_status(rc))))
    pos = 0
    for pat in exp['serial']:
        m = re.compile(pat, re.M).search(transcript, pos)
        detail = 'not found' + (' after the previous match' if pos else '')
        if m:
            pos = m.end()
        results.append((bool(m), 'serial /%s/' % pat, '' if m else detail))
    for pat in exp['forbid']:
        m = re.compile(pat, re.M).search(transcript)
        results.append((not m, 'serial lacks /%s/' % pat,
                        'found %r' % m.group(0) if m else ''))
    pos = 0
    for pat in exp['helper']:
        m = re.compile(pat, re.M).search(output, pos)
        if m:
            pos = m.end()
        results.append((bool(m), 'helper output /%s/' % pat, '' if m else 'not found'))
    if exp['balloon-fall']:
        results += check_balloon_fall(float(exp['balloon-fall']), output)
    return results + extra


# ---- reporting ----

class Reporter:
    def __init__(self, tap, name):
        self.tap = tap
        self.name = name

    def note(self, line):
        print(('# ' if self.tap else '') + line)

    def results(self, results):
        if self.tap:
            print('1..%d' % len(results))
        for i, (ok, desc, detail) in enumerate(results, 1):
            if self.tap:
                print('%s %d - %s' % ('ok' if ok else 'not ok', i, desc))
                if not ok and detail:
                    print('#   ' + detail)
            else:
                tail = ' -- ' + detail if detail and not ok else ''
                print('%s: %s%s' % ('ok' if ok else 'FAILED', desc, tail))

    def fail(self, message):
        if self.tap:
            print('1..1\nnot ok 1 - %s' % message)
        else:
            print('FAIL: %s: %s' % (self.name, message))
        return self.status(True)

    def status(self, failed):
        # Under TAP the "not ok" lines carry the verdict; a non-zero exit would make
        # meson report ERROR instead of FAIL.
        return 0 if self.tap or not failed else 1

    def skip(self, reason):
        if os.environ.get('CI') == 'true':
            return self.fail('KVM is required on CI (%s)' % reason)
        if self.tap:
            print('1..0 # SKIP %s' % reason)
            return 0
        print('SKIP: %s: %s' % (self.name, reason))
        return EXIT_SKIP

    def dump(self, title, text):
        self.note('--- %s ---' % title)
        for line in text.splitlines() or ['(empty)']:
            self.note('| ' + line)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='Run a Vessel test guest and check its '
                                 'KIT_EXPECT records.')
    ap.add_argument('elf', help='the guest image (test-<name>.elf)')
    ap.add_argument('--helper', default=os.environ.get('VESSEL_HELPER'),
                    help='vessel-helper to run (default: $VESSEL_HELPER)')
    ap.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                    help='override an expectation (serial/forbid add a pattern)')
    ap.add_argument('--name', help='test name for messages (default: from the file name)')
    ap.add_argument('--tap', action='store_true', help='print TAP')
    ap.add_argument('--qemu', metavar='QEMU',
                    help='development aid: run on this qemu-system-i386 instead')
    ap.add_argument('--kvm-device', default='/dev/kvm',
                    help='the device checked before running (to test the skip path)')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print the transcript even when the test passes')
    ap.add_argument('--print-expect', action='store_true',
                    help='print the parsed expectations and exit')
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    name = args.name or os.path.basename(args.elf).removesuffix('.elf')
    rep = Reporter(args.tap, name)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        exp = substitute(load_expectations(args.elf, args.set), int(time.time()))
    except (ExpectError, OSError, UnicodeDecodeError) as e:
        return rep.fail(str(e))
    if args.print_expect:
        for key in sorted(exp):
            print('%s = %r' % (key, exp[key]))
        return 0
    if not args.qemu:
        problem = kvm_problem(args.kvm_device)
        if problem:
            return rep.skip(problem)
        if not args.helper or not os.access(args.helper, os.X_OK):
            return rep.fail('vessel-helper not found (%r); pass --helper' % args.helper)
    if args.qemu and (exp['args'] or exp['image'] or exp['sigterm'] or exp['helper'] or
                      exp['balloon-fall']):
        return rep.fail('args=, image=, sigterm=, helper= and balloon-fall= need '
                        'vessel-helper, not --qemu')
    with tempfile.TemporaryDirectory(prefix='vessel-guest-') as tmp:
        try:
            images = make_images(exp, tmp)
            cmd, rc, hung, elapsed, transcript, output, extra = run(args, exp, args.elf,
                                                                    tmp, images)
        except ExpectError as e:
            return rep.fail(str(e))
    if rc == 65 and not args.qemu and int(exp['exit']) != 65:
        last = output.strip().splitlines()[-1:] or ['no message']
        return rep.skip('the helper reports KVM unavailable: %s' % last[0])
    results = check(exp, rc, hung, transcript, bool(args.qemu), extra, output)
    failed = not all(r[0] for r in results)
    rep.results(results)
    rep.note('%s: %s in %.1f s' % (name, 'FAIL' if failed else 'PASS', elapsed))
    if failed or args.verbose:
        rep.note('command: ' + shlex.join(cmd))
        rep.dump('serial transcript', transcript)
        rep.dump('helper output', output)
    return rep.status(failed)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
