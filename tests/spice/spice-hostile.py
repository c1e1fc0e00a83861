#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile SPICE clients against vessel-helper, best under AddressSanitizer.

  spice-hostile.py HELPER [--asan-helper ASAN_HELPER] [--vbe-guest ELF] [--rounds N]

Runs the helper (ASAN_HELPER when given and present: a vessel-helper from a build with
-Dsanitize=true) with a password and vbe-guest.elf, then, with raw sockets (SPICE protocol
0.14 "Link Stage" framing, spice-protocol's protocol.h):
1. connects and disconnects N times, some with a reset, some after a few random bytes;
2. sends malformed link messages: bad magic, wrong major version, sizes of 0 and up to
   4 GiB, truncated headers, absurd capability counts and offsets, unknown channel types,
   a channel for a session that does not exist, a wrong or short ticket, random bytes;
3. holds 30 half-sent headers open while a real client links;
4. links main and inputs channels for real (RSA-OAEP ticket made by openssl) and floods
   the inputs channel with N*40 key, scancode, motion, position and button messages with
   extreme values, unknown message types and a 4 GiB message size; the main channel gets
   random messages too.
Then the helper must still run, spicy-screenshot must get every pixel the guest drew, the
helper must stop cleanly on SIGINT, and its log must hold no sanitizer report. The
sanitizer checks are skipped (not the rest) when the helper is not instrumented. Exit 77
without /dev/kvm, spicy-screenshot or openssl, except under CI=true.
"""

import argparse
import importlib.util
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir))
sys.dont_write_bytecode = True
from kvmcheck import kvm_problem  # noqa: E402

_spec = importlib.util.spec_from_file_location('run_spice', os.path.join(HERE, 'run-spice.py'))
rs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rs)

MAGIC = b'REDQ'
MAIN, DISPLAY, INPUTS = 1, 2, 3             # spice/enums.h channel types
CAP_MINI_HEADER = 1 << 3                   # SPICE_COMMON_CAP_MINI_HEADER
MSG_MAIN_INIT = 103
MSGC_KEY_DOWN, MSGC_KEY_UP, MSGC_KEY_MODIFIERS, MSGC_KEY_SCANCODE = 101, 102, 103, 104
MSGC_MOTION, MSGC_POSITION, MSGC_PRESS, MSGC_RELEASE = 111, 112, 113, 114
PASSWORD = b'hostile-Test'
SANITIZER_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:', 'UndefinedBehavior')


def link_mess(channel, conn_id=0, caps=(CAP_MINI_HEADER,), magic=MAGIC, major=2, size=None,
              caps_offset=18, ncaps=None):
    body = struct.pack('<IBBIII', conn_id, channel, 0, len(caps) if ncaps is None else ncaps,
                       0, caps_offset) + b''.join(struct.pack('<I', c) for c in caps)
    return magic + struct.pack('<III', major, 2, len(body) if size is None else size) + body


def recv_exact(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data


def encrypt_ticket(pub_der, work):
    """The password, NUL-terminated, RSA-OAEP encrypted to the server's key (openssl)."""
    key = os.path.join(work, 'pub.der')
    with open(key, 'wb') as f:
        f.write(pub_der)
    r = subprocess.run(['openssl', 'pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER', '-inkey',
                        key, '-pkeyopt', 'rsa_padding_mode:oaep'], input=PASSWORD + b'\0',
                       capture_output=True, timeout=30, check=True)
    return r.stdout


def link(port, channel, conn_id, work, ticket=None, timeout=10):
    """A linked channel socket (mini headers), or raises."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    s.sendall(link_mess(channel, conn_id))
    magic, major, minor, size = struct.unpack('<4sIII', recv_exact(s, 16))
    reply = recv_exact(s, size)
    if magic != MAGIC or struct.unpack('<I', reply[:4])[0] != 0:
        raise ConnectionError('link refused: %r error %d' % (magic, struct.unpack('<I', reply[:4])[0]))
    s.sendall(ticket if ticket is not None else encrypt_ticket(reply[4:166], work))
    result = struct.unpack('<I', recv_exact(s, 4))[0]
    if result != 0:
        raise ConnectionError('ticket refused: %d' % result)
    return s


def read_msg(s):
    mtype, size = struct.unpack('<HI', recv_exact(s, 6))
    return mtype, recv_exact(s, size)


def msg(mtype, payload):
    return struct.pack('<HI', mtype, len(payload)) + payload


def session_id(s):
    for _ in range(50):
        mtype, payload = read_msg(s)
        if mtype == MSG_MAIN_INIT:
            return struct.unpack('<I', payload[:4])[0]
    raise ConnectionError('no SPICE_MSG_MAIN_INIT')


def churn(port, rounds, rng):
    done = 0
    for i in range(rounds):
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
        except OSError:
            continue
        if i % 3 == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        if i % 3 == 1:
            s.sendall(rng.randbytes(rng.randrange(1, 16)))
        s.close()
        done += 1
    return done


def malformed_links(port, work, rng):
    pub_probe = link_mess(MAIN)
    cases = [
        ('bad magic', link_mess(MAIN, magic=b'XXXX')),
        ('major version 1', link_mess(MAIN, major=1)),
        ('major version 3', link_mess(MAIN, major=3)),
        ('size 0', link_mess(MAIN, size=0)),
        ('size 4 GiB - 1', link_mess(MAIN, size=0xffffffff)),
        ('size 2 GiB', link_mess(MAIN, size=0x80000000)),
        ('size 256 MiB, body never sent', link_mess(MAIN, size=0x10000000)[:16]),
        ('truncated header', pub_probe[:8]),
        ('header only', pub_probe[:16]),
        ('size smaller than the body', link_mess(MAIN, size=4)),
        ('4G capabilities', link_mess(MAIN, ncaps=0xffffffff)),
        ('capability offset past the end', link_mess(MAIN, caps_offset=0xfffffff0)),
        ('capability offset inside the header', link_mess(MAIN, caps_offset=2)),
        ('channel type 0', link_mess(0)),
        ('channel type 99', link_mess(99)),
        ('channel type 255', link_mess(255)),
        ('inputs for no session', link_mess(INPUTS, conn_id=0x12345678)),
        ('display for no session', link_mess(DISPLAY, conn_id=0xffffffff)),
        ('random bytes', rng.randbytes(65536)),
    ]
    for name, data in cases:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=3) as s:
                s.sendall(data)
                try:
                    s.recv(4096)
                except (socket.timeout, OSError):
                    pass
        except OSError:
            pass
    for ticket in (rng.randbytes(128), rng.randbytes(10), b''):
        try:
            link(port, MAIN, 0, work, ticket=ticket, timeout=3).close()
        except (OSError, ConnectionError):
            pass
    return len(cases) + 3


def valid_input(rng):
    """One well-formed inputs message with hostile values."""
    k = rng.randrange(8)
    if k == 0:
        return msg(MSGC_KEY_DOWN, struct.pack('<I', rng.choice((0, 1, 0x45, 0xe01d, 0x1d45,
                                                               0xffffffff,
                                                               rng.getrandbits(32)))))
    if k == 1:
        return msg(MSGC_KEY_UP, struct.pack('<I', rng.getrandbits(32)))
    if k == 2:
        return msg(MSGC_KEY_SCANCODE, rng.randbytes(rng.randrange(1, 17)))
    if k == 3:
        return msg(MSGC_KEY_MODIFIERS, struct.pack('<H', rng.getrandbits(16)))
    if k in (4, 5):
        big = rng.choice((0x7fffffff, -0x80000000, 300, -300, 1, -1))
        return msg(MSGC_MOTION, struct.pack('<iiH', big, ~big, rng.getrandbits(16)))
    if k == 6:
        return msg(MSGC_POSITION, struct.pack('<IIHB', rng.getrandbits(32), rng.getrandbits(32),
                                              rng.getrandbits(16), rng.getrandbits(8)))
    return msg(rng.choice((MSGC_PRESS, MSGC_RELEASE)),
               struct.pack('<BH', rng.getrandbits(8), rng.getrandbits(16)))


# Each ends its channel (spice-server drops a channel whose message does not parse).
BAD_INPUTS = [
    ('unknown type 999', msg(999, b'\0' * 8)),
    ('type 0', msg(0, b'')),
    ('type 0xffff', msg(0xffff, b'\xff' * 31)),
    ('motion with a short body', msg(MSGC_MOTION, b'\1\2\3')),
    ('key down with no body', msg(MSGC_KEY_DOWN, b'')),
    ('scancode with no bytes', msg(MSGC_KEY_SCANCODE, b'')),
    ('4 GiB message', struct.pack('<HI', MSGC_KEY_DOWN, 0xffffffff) + b'\0' * 64),
    ('256 MiB message, then close', struct.pack('<HI', MSGC_KEY_SCANCODE, 0x10000000) + b'\1' * 4096),
]


def drain(s):
    """Bytes the server sent that are waiting; -1 once it closed the channel."""
    n = 0
    s.setblocking(False)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                n = -1
                break
            n += len(chunk)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        n = -1
    s.setblocking(True)
    return n


def flood(port, work, rng, count):
    """count well-formed hostile input messages on one inputs channel, then each of
    BAD_INPUTS on a channel of its own. (messages, bytes received back, bad ones sent)."""
    main = link(port, MAIN, 0, work)
    sid = session_id(main)
    inputs = link(port, INPUTS, sid, work)
    received = 0
    for _ in range(count // 500):
        inputs.sendall(b''.join(valid_input(rng) for _ in range(500)))
        got = drain(inputs)
        if got < 0:
            raise ConnectionError('the server closed the inputs channel during the flood')
        received += got
        drain(main)
    time.sleep(0.5)
    received += max(drain(inputs), 0)
    inputs.close()
    bad = 0
    for name, data in BAD_INPUTS:
        try:
            s = link(port, INPUTS, sid, work)
            s.sendall(valid_input(rng) + data)
            time.sleep(0.1)
            s.close()
            bad += 1
        except (OSError, ConnectionError):
            pass
    main.sendall(b''.join(msg(rng.randrange(101, 120), rng.randbytes(64)) for _ in range(20)))
    time.sleep(0.3)
    main.close()
    return count, received, bad


def half_headers(port, n):
    held = []
    for _ in range(n):
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
            s.sendall(link_mess(MAIN)[:7])
            held.append(s)
        except OSError:
            pass
    return held


def print_stacks(pid):
    """Every thread's stack of a helper that does not stop (gdb or eu-stack, if present)."""
    for cmd in (['gdb', '-p', str(pid), '-batch', '-ex', 'thread apply all bt'],
                ['eu-stack', '-p', str(pid)]):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in (r.stdout + r.stderr).splitlines():
            print('# ' + line)
        return


def instrumented(exe):
    try:
        return b'__asan_init' in open(exe, 'rb').read()
    except OSError:
        return False


def skip_or_fail(reason):
    if os.environ.get('CI') == 'true':
        print('not ok 1 - %s (required under CI=true)' % reason)
        sys.exit(1)
    print('1..0 # SKIP %s' % reason)
    sys.exit(77)


def run(exe, guest, rounds, work, asan):
    rng = random.Random(5)
    port = rs.free_port()
    pw = os.path.join(work, 'pw')
    with open(pw, 'wb') as f:
        f.write(PASSWORD + b'\n')
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=1:abort_on_error=0',
               UBSAN_OPTIONS='print_stacktrace=1')
    log = os.path.join(work, 'helper.log')
    proc = subprocess.Popen([exe, '--serial', 'stdio', '--timeout', '300', '--multiboot', guest,
                             '--memory', '32M', '--spice', 'tcp:127.0.0.1:%d' % port,
                             '--spice-password-file', pw], stdin=subprocess.PIPE,
                            stdout=open(log, 'w'), stderr=subprocess.STDOUT, env=env)
    text = lambda: open(log, errors='replace').read()    # noqa: E731
    rs.ok(rs.wait_for(log, 'drawn 640x480', 120, proc), 'the guest drew 640x480', text())
    n = churn(port, rounds, rng)
    rs.ok(proc.poll() is None, '%d connects and disconnects: the helper runs' % n, text())
    n = malformed_links(port, work, rng)
    rs.ok(proc.poll() is None, '%d malformed link messages: the helper runs' % n, text())
    held = half_headers(port, 30)
    try:
        s = link(port, MAIN, 0, work)
        session_id(s)
        s.close()
        linked = True
    except (OSError, ConnectionError) as e:
        linked = str(e)
    for s in held:
        s.close()
    rs.ok(linked is True, 'a real client links while %d half-sent headers are held'
          % len(held), linked)
    try:
        sent, received, bad = flood(port, work, rng, rounds * 40)
        flooded = True
    except (OSError, ConnectionError) as e:
        sent, received, bad, flooded = 0, 0, 0, str(e)
    rs.ok(flooded is True and received > 0 and proc.poll() is None,
          'inputs flood: %d messages kept the channel (%d bytes of acks back), the helper '
          'runs' % (sent, received), '%s\n%s' % (flooded, text()))
    rs.ok(bad == len(BAD_INPUTS) and proc.poll() is None,
          '%d of %d malformed inputs messages (each on a linked channel): the helper runs'
          % (bad, len(BAD_INPUTS)), text())
    time.sleep(1)
    shot = os.path.join(work, 'after.ppm')
    got, out = rs.screenshot(port, shot, PASSWORD.decode())
    rs.ok(got, 'a normal client still gets the display afterwards', out + text())
    if got:
        rs.check_shot(shot, 640, 480, 'after the hostile clients')
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        status = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print_stacks(proc.pid)
        proc.kill()
        status = proc.wait()
    rs.ok(status == 70, 'the helper stops cleanly on SIGINT (status %d)' % status, text())
    found = [m for m in SANITIZER_MARKS if m in text()]
    if asan:
        rs.ok(not found, 'no AddressSanitizer/UBSan/LeakSanitizer report (%s)' % found, text())
    else:
        rs.count += 1
        print('ok %d - sanitizer reports # SKIP the helper is not built with -Dsanitize=true '
              '(meson setup build-asan -Dsanitize=true; -Dspice_asan_helper=...)' % rs.count)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('helper')
    ap.add_argument('--asan-helper', default='', help='a vessel-helper built with -Dsanitize=true')
    ap.add_argument('--vbe-guest', required=True)
    ap.add_argument('--rounds', type=int, default=300)
    args = ap.parse_args()
    reason = kvm_problem()
    if reason:
        skip_or_fail(reason)
    for tool, pkg in (('spicy-screenshot', 'spice-client-gtk'), ('openssl', 'openssl')):
        if not any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get('PATH', '').split(':')):
            skip_or_fail('%s is not installed (Debian package %s)' % (tool, pkg))
    exe = args.helper
    if args.asan_helper:
        if not instrumented(args.asan_helper):
            print('not ok 1 - --asan-helper %s is missing or not built with -Dsanitize=true'
                  % args.asan_helper)
            return 1
        exe = args.asan_helper
    print('# helper: %s (%s)' % (exe, 'ASan' if instrumented(exe) else 'not instrumented'))
    with tempfile.TemporaryDirectory(prefix='vessel-spice-hostile-') as work:
        run(exe, args.vbe_guest, args.rounds, work, instrumented(exe))
    print('1..%d' % rs.count)
    return 1 if rs.failures else 0


if __name__ == '__main__':
    sys.exit(main())
