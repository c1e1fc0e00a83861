#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vessel-helper's SPICE server, end to end, with spice-gtk's spicy-screenshot as the client.

1. Boot SeaBIOS without a disk (it stops at "No bootable device" and waits 60 s), take a
   screenshot over SPICE, then stop the helper, which saves its own PNG (--screenshot-on-exit):
   both must show the same pixels (the text cursor's cell may differ: it blinks).
2. With --spice-password-file, a client with a wrong password is refused and one with the
   right password gets its screenshot.
3. Keyboard and LEDs (spice-keys.py, spice-gtk's GLib client through GObject introspection):
   Esc typed over SPICE opens SeaBIOS's boot menu (--boot menu), and Num Lock typed over
   SPICE makes the guest light the LED, which reaches the client.
4. A non-loopback --spice address without a password makes the helper exit 64 and say how
   to fix it.
5. --spice-file writes a remote-viewer .vv file (mode 0600: it holds the password); it is
   refused with unix:.
6. --spice-tls with an openssl-made CA: the port is TLS-only (spicy-screenshot without TLS
   is refused), spice-tls.py trusting the CA gets the display with the password, a
   non-loopback address is accepted with TLS and a password, and the .vv file carries
   tls-port and the CA. Skipped without openssl (not under CI).
7. Mouse (mouse-guest.c, spice-mouse.py): in server mouse mode, motion and left/middle/
   right clicks sent by a libspice-client-glib client arrive as PS/2 packets with the
   same sums of dx/dy (Y negated: PS/2 counts upward) and the buttons in order.
8. Two clients (spice-watch.py, then spicy-screenshot): spice-server 0.15 keeps one client,
   so the second replaces the first, which sees its main channel closed; the second gets
   every pixel. With SPICE_DEBUG_ALLOW_MC=1 in the helper's environment both watch. The
   display refresh runs only while a client is connected (the helper logs it).
Skips (77) without a usable /dev/kvm or spicy-screenshot, except under CI=true (then fails);
case 3 alone is skipped without python3-gi and gir1.2-spiceclientglib-2.0 (not under CI).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
from kvmcheck import kvm_problem  # noqa: E402

SEABIOS = '/usr/share/seabios/bios-256k.bin'
failures = 0
count = 0


def ok(cond, name, detail=''):
    global failures, count
    count += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', count, name), flush=True)
    if not cond:
        failures += 1
        for line in str(detail).splitlines():
            print('#   ' + line)


def skip_or_fail(reason):
    if os.environ.get('CI') == 'true':
        print('not ok 1 - %s (required under CI=true)' % reason)
        sys.exit(1)
    print('1..0 # SKIP %s' % reason)
    sys.exit(77)




def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_ppm(path):
    """(width, height, RGB bytes) of a binary P6 file with maxval 255."""
    data = open(path, 'rb').read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1                    # the single whitespace after maxval
    if fields[0] != b'P6' or fields[3] != b'255':
        raise ValueError('not an 8-bit P6 file')
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos:pos + w * h * 3]


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path):
    """(width, height, RGB bytes) of a non-interlaced 8-bit RGB PNG (PNG spec, ISO 15948)."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat = 8, b''
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], 'big')
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h = int.from_bytes(body[0:4], 'big'), int.from_bytes(body[4:8], 'big')
            if body[8] != 8 or body[9] != 2 or body[12] != 0:
                raise ValueError('only 8-bit RGB non-interlaced PNGs are decoded here')
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride, out, prev = w * 3, bytearray(), bytearray(w * 3)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            pred = (0, a, b, (a + b) >> 1, paeth(a, b, c))[ftype]
            line[x] = (line[x] + pred) & 0xff
        out += line
        prev = line
    return w, h, bytes(out)


def diff_box(w, rgb1, rgb2):
    """Bounding box (x0, y0, x1, y1) of the differing pixels, or None."""
    box = None
    for i in range(0, len(rgb1), 3):
        if rgb1[i:i + 3] != rgb2[i:i + 3]:
            x, y = (i // 3) % w, (i // 3) // w
            if box is None:
                box = [x, y, x, y]
            else:
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
    return box


class Helper:
    def __init__(self, exe, work, args, serial='none'):
        self.log = os.path.join(work, 'helper-%d.log' % time.monotonic_ns())
        self.proc = subprocess.Popen([exe, '--serial', serial, '--timeout', '100'] + args,
                                     stdin=subprocess.PIPE, stdout=open(self.log, 'w'),
                                     stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def output(self):
        return open(self.log).read()


def wait_for(path, text, timeout, proc):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if os.path.exists(path) and text in open(path, errors='replace').read():
            return True
        time.sleep(0.2)
    return False


def screenshot(port, out, password=None):
    cmd = ['spicy-screenshot', '-h', '127.0.0.1', '-p', str(port), '-o', out]
    if password is not None:
        cmd += ['--password', password]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False, 'spicy-screenshot timed out'
    return r.returncode == 0 and os.path.exists(out), r.stdout + r.stderr


def case_pixels(exe, work):
    port = free_port()
    fwlog, png, ppm = (os.path.join(work, n) for n in ('fw.log', 'exit.png', 'shot.ppm'))
    h = Helper(exe, work, ['--firmware', SEABIOS, '--firmware-log', fwlog,
                           '--spice', 'tcp:127.0.0.1:%d' % port, '--screenshot-on-exit', png])
    posted = wait_for(fwlog, 'No bootable device', 60, h.proc)
    ok(posted, 'SeaBIOS reached "No bootable device"', h.output())
    time.sleep(1)               # the message reaches the screen after the debug port
    got, out = screenshot(port, ppm)
    status = h.stop()
    ok(got, 'spicy-screenshot took a screenshot over SPICE', out + h.output())
    ok(status == 70, 'the helper stopped on SIGINT (status %d)' % status, h.output())
    if not got or not os.path.exists(png):
        ok(False, 'both screenshots exist', h.output())
        return
    w1, h1, rgb1 = read_ppm(ppm)
    w2, h2, rgb2 = read_png(png)
    ok((w1, h1) == (w2, h2), 'same size over SPICE and in the PNG (%dx%d, %dx%d)'
       % (w1, h1, w2, h2))
    if (w1, h1) != (w2, h2):
        return
    ok(any(rgb1[i] for i in range(len(rgb1))), 'the SPICE screenshot is not all black')
    box = diff_box(w1, rgb1, rgb2)
    # Only the blinking text cursor may differ: at most one 9x16 character cell.
    small = box is None or (box[2] - box[0] < 9 and box[3] - box[1] < 16)
    ok(small, 'the SPICE screenshot equals the helper\'s PNG (differing box: %s)' % (box,))


def case_password(exe, work):
    port = free_port()
    pwfile = os.path.join(work, 'spice-password')
    with open(pwfile, 'w') as f:
        f.write('s3cret-Vessel\n')
    os.chmod(pwfile, 0o600)
    h = Helper(exe, work, ['--firmware', SEABIOS, '--spice', 'tcp:127.0.0.1:%d' % port,
                           '--spice-password-file', pwfile])
    time.sleep(2)
    bad, bad_out = screenshot(port, os.path.join(work, 'bad.ppm'), 'wrong-password')
    none, none_out = screenshot(port, os.path.join(work, 'none.ppm'))
    good, good_out = screenshot(port, os.path.join(work, 'good.ppm'), 's3cret-Vessel')
    h.stop()
    log = h.output()
    ok(not bad, 'a client with a wrong password is refused', bad_out)
    ok(not none, 'a client without a password is refused', none_out)
    ok(good, 'a client with the right password gets a screenshot', good_out + log)
    ok('s3cret' not in log, 'the password appears nowhere in the helper\'s output', log)

    # An expired password: right, but too late.
    port = free_port()
    h = Helper(exe, work, ['--firmware', SEABIOS, '--spice', 'tcp:127.0.0.1:%d' % port,
                           '--spice-password-file', pwfile, '--spice-password-expires', '3'])
    time.sleep(5)
    late, late_out = screenshot(port, os.path.join(work, 'late.ppm'), 's3cret-Vessel')
    h.stop()
    ok(not late, 'the right password after --spice-password-expires 3 has run out is refused',
       late_out)


def case_unix(exe, work):
    sock = os.path.join(work, 'spice.sock')
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(sock)            # bound, never listening: a leftover of an earlier run
    stale.close()
    h = Helper(exe, work, ['--firmware', SEABIOS, '--spice', 'unix:' + sock])
    time.sleep(2)
    out = os.path.join(work, 'unix.ppm')
    try:
        r = subprocess.run(['spicy-screenshot', '--uri', 'spice+unix://' + sock, '-o', out],
                           capture_output=True, text=True, timeout=30)
        got, msg = r.returncode == 0 and os.path.exists(out), r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        got, msg = False, 'spicy-screenshot timed out'
    h.stop()
    ok(got, 'a client connects through unix:PATH (a stale socket file is replaced)',
       msg + h.output())
    ok(not os.path.exists(sock), 'the socket file is removed when the helper exits')


def pattern(w, h):
    """What vbe-guest.c draws, as RGB bytes."""
    out = bytearray(w * h * 3)
    i = 0
    for y in range(h):
        for x in range(w):
            v = ((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffff
            out[i:i + 3] = bytes((v >> 16, (v >> 8) & 0xff, v & 0xff))
            i += 3
    return bytes(out)


def check_shot(path, w, h, name):
    try:
        gw, gh, rgb = read_ppm(path)
    except (OSError, ValueError) as e:
        ok(False, name, e)
        return
    ok((gw, gh) == (w, h), '%s: the client sees %dx%d (got %dx%d)' % (name, w, h, gw, gh))
    if (gw, gh) == (w, h):
        box = diff_box(w, rgb, pattern(w, h))
        ok(box is None, '%s: every pixel is what the guest drew (differing box: %s)'
           % (name, box))


def case_vbe(exe, work, guest):
    """A VBE mode, then a bigger one: the primary surface is made again at the new size."""
    port = free_port()
    png = os.path.join(work, 'vbe-exit.png')
    h = Helper(exe, work, ['--multiboot', guest, '--memory', '32M',
                           '--spice', 'tcp:127.0.0.1:%d' % port, '--screenshot-on-exit', png],
               serial='stdio')
    drawn = wait_for(h.log, 'drawn 640x480', 90, h.proc)
    ok(drawn, 'the guest drew 640x480x32', h.output())
    time.sleep(0.5)             # a refresh (33 ms) picks the last rows up
    shot1 = os.path.join(work, 'vbe1.ppm')
    got, out = screenshot(port, shot1)
    ok(got, 'screenshot at 640x480', out)
    if got:
        check_shot(shot1, 640, 480, '640x480')
    h.proc.stdin.write(b'x')
    h.proc.stdin.flush()
    drawn = wait_for(h.log, 'drawn 800x600', 90, h.proc)
    ok(drawn, 'the guest switched to 800x600x32 and drew', h.output())
    time.sleep(0.5)
    shot2 = os.path.join(work, 'vbe2.ppm')
    got, out = screenshot(port, shot2)
    ok(got, 'screenshot at 800x600', out)
    h.stop()
    if got:
        check_shot(shot2, 800, 600, '800x600')
    if got and os.path.exists(png):
        w1, h1, rgb1 = read_ppm(shot2)
        w2, h2, rgb2 = read_png(png)
        ok((w1, h1) == (w2, h2) and rgb1 == rgb2, '800x600: SPICE equals the helper\'s PNG')


def gi_python():
    """A Python that has the SPICE GObject bindings (pyenv's may lack the system's gi)."""
    probe = "import gi; gi.require_version('SpiceClientGLib', '2.0')"
    for py in (sys.executable, '/usr/bin/python3'):
        if os.path.exists(py) and subprocess.run([py, '-c', probe],
                                                 capture_output=True).returncode == 0:
            return py
    return None


def skip_gi(what):
    if os.environ.get('CI') == 'true':
        ok(False, 'SPICE GObject bindings (python3-gi, gir1.2-spiceclientglib-2.0)')
    else:
        print('ok %d - %s # SKIP no SPICE GObject bindings' % (count + 1, what))
        globals()['count'] += 1


def case_keyboard(exe, work):
    py = gi_python()
    if not py:
        skip_gi('keyboard')
        return
    port = free_port()
    fwlog, text = os.path.join(work, 'fw-keys.log'), os.path.join(work, 'keys.txt')
    h = Helper(exe, work, ['--firmware', SEABIOS, '--firmware-log', fwlog, '--boot', 'menu',
                           '--spice', 'tcp:127.0.0.1:%d' % port, '--dump-text-on-exit', text])
    prompt = wait_for(fwlog, 'Press ESC', 60, h.proc)
    ok(prompt, 'SeaBIOS offers its boot menu', h.output())
    keys = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spice-keys.py')
    try:
        r = subprocess.run([py, keys, str(port), '4'], capture_output=True, text=True,
                           timeout=90)
        rc, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        rc, out = -1, 'spice-keys.py timed out'
    menu = wait_for(fwlog, 'Select boot device', 5, h.proc)
    h.stop()
    screen = open(text).read() if os.path.exists(text) else ''
    ok(rc != 2 and 'inputs channel open' in out, 'the inputs channel opens', out)
    # SeaBIOS logs the menu on its debug port when it shows it. The screen at exit may have
    # moved on: the client keeps typing Esc for a few seconds, and Esc in the menu boots.
    ok(menu, 'Esc typed over SPICE opened the boot menu (SeaBIOS logged "Select boot device")',
       out + screen)
    ok(rc == 0, 'Num Lock typed over SPICE lit the LED the client sees', out)


def mouse_packets(text):
    """(buttons, dx, dy) of every "mouse: packet" line mouse-guest.c printed."""
    out = []
    for m in re.finditer(r'mouse: packet buttons=(\d+) dx=(-?\d+) dy=(-?\d+)', text):
        out.append(tuple(int(v) for v in m.groups()))
    return out


def case_mouse(exe, work, guest):
    """Server mouse mode: motion and clicks from spice-mouse.py reach the guest as PS/2."""
    py = gi_python()
    if not py:
        skip_gi('mouse')
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    steps = __import__('spice-mouse').STEPS
    port = free_port()
    h = Helper(exe, work, ['--multiboot', guest, '--memory', '32M',
                           '--spice', 'tcp:127.0.0.1:%d' % port], serial='stdio')
    ready = wait_for(h.log, 'mouse: reporting on', 60, h.proc)
    ok(ready, 'the guest enabled the PS/2 mouse (0xA8, 0xD4 0xF4 acknowledged)', h.output())
    client = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spice-mouse.py')
    try:
        r = subprocess.run([py, client, str(port)], capture_output=True, text=True, timeout=90)
        rc, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        rc, out = -1, 'spice-mouse.py timed out'
    time.sleep(1)               # the guest prints the last packets
    h.stop()
    ok(rc == 0, 'spice-mouse.py played its steps in server mouse mode', out)
    pkts = mouse_packets(h.output())
    pressed = [i for i, p in enumerate(pkts) if p[0]]
    if not pressed:
        ok(False, 'button packets arrived', h.output())
        return
    # PS/2 orientation: Y counts upward, so the client's dy (down) arrives negated.
    want_dx = sum(a for k, a, b in steps[:3])
    want_dy = -sum(b for k, a, b in steps[:3])
    before = pkts[:pressed[0]]
    got = (sum(p[1] for p in before), sum(p[2] for p in before))
    ok(got == (want_dx, want_dy), 'motion before the clicks: dx %d dy %d in PS/2 orientation '
       '(got dx %d dy %d)' % (want_dx, want_dy, got[0], got[1]), pkts)
    seq = [pkts[0][0]]
    for p in pkts[1:]:
        if p[0] != seq[-1]:
            seq.append(p[0])
    # SPICE left, middle, right arrive as PS/2 left 1, middle 4, right 2.
    ok(seq == [0, 1, 0, 4, 0, 2, 0], 'buttons left, middle, right pressed and released in '
       'order (PS/2 masks %s)' % seq, pkts)
    after = pkts[pressed[-1] + 1:]
    got = (sum(p[1] for p in after), sum(p[2] for p in after))
    ok(got == (-5, 4), 'motion after the clicks: dx -5 dy +4 (got dx %d dy %d)' % got, pkts)
    # The keys the client typed, as the guest's i8042 delivered them (set 1, translated):
    # A make 1e / break 9e; Right Ctrl e0 1d / e0 9d.
    kbd = [int(l.split('kbd: ')[1][:2], 16) for l in h.output().splitlines() if 'kbd: ' in l]
    ok(kbd == [0x1e, 0x9e, 0xe0, 0x1d, 0xe0, 0x9d],
       'keys typed over SPICE reach the guest as their scancodes: %s' %
       ' '.join('%02x' % b for b in kbd), h.output())


def start_client(py, name, args, out):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    return subprocess.Popen([py, script] + [str(a) for a in args], stdout=open(out, 'w'),
                            stderr=subprocess.STDOUT)


def case_two_clients(exe, work, guest, allow_mc):
    """spice-server 0.15 keeps one client: a second one replaces the first, unless the
    helper runs with SPICE_DEBUG_ALLOW_MC=1 (spice-server's experimental multi-client)."""
    py = gi_python()
    if not py:
        skip_gi('second client')
        return
    port = free_port()
    env_mc = os.environ.get('SPICE_DEBUG_ALLOW_MC')
    if allow_mc:
        os.environ['SPICE_DEBUG_ALLOW_MC'] = '1'
    h = Helper(exe, work, ['--multiboot', guest, '--memory', '32M',
                           '--spice', 'tcp:127.0.0.1:%d' % port], serial='stdio')
    if allow_mc:
        if env_mc is None:
            del os.environ['SPICE_DEBUG_ALLOW_MC']
        else:
            os.environ['SPICE_DEBUG_ALLOW_MC'] = env_mc
    name = 'multi-client' if allow_mc else 'one client'
    drawn = wait_for(h.log, 'drawn 640x480', 90, h.proc)
    ok(drawn, '%s: the guest drew 640x480x32' % name, h.output())
    first_out = os.path.join(work, 'watch1.txt')
    first = start_client(py, 'spice-watch.py', [port, 12], first_out)
    watching = wait_for(first_out, 'display open', 30, first)
    ok(watching, '%s: the first client watches the display' % name, open(first_out).read())
    shot = os.path.join(work, 'second.ppm')
    got, out = screenshot(port, shot)
    ok(got, '%s: a second client (spicy-screenshot) connects while the first watches' % name,
       out)
    if got:
        check_shot(shot, 640, 480, '%s: second client' % name)
    try:
        rc = first.wait(timeout=40)
    except subprocess.TimeoutExpired:
        first.kill()
        rc = first.wait()
    text = open(first_out).read()
    if allow_mc:
        ok(rc == 0, '%s: the first client keeps watching to its end (rc %d)' % (name, rc), text)
    else:
        ok(rc == 3 and 'dropped by the server' in text,
           '%s: the first client is told: the server closes its main channel (rc %d)'
           % (name, rc), text)
    alive = h.proc.poll() is None
    log = h.output()
    h.stop()
    ok(alive, '%s: the helper keeps running' % name, log)
    want = '(2 connected)' if allow_mc else '(1 connected)'
    ok(log.count('spice: client connected from 127.0.0.1') == 2 and want in log and
       'spice: client disconnected' in log, '%s: the helper logs both connects (%s) and '
       'the disconnects' % (name, want), log)
    states = re.findall(r'display refresh (running|paused)', log)
    ok(states[:1] == ['running'] and states[-1:] == ['paused'],
       '%s: the display refresh runs only while a client is connected (%s)' % (name, states))

def case_open_without_password(exe):
    r = subprocess.run([exe, '--spice', 'tcp:0.0.0.0:%d' % free_port()], capture_output=True,
                       text=True, timeout=30)
    ok(r.returncode == 64, 'non-loopback --spice without a password exits 64 (got %d)'
       % r.returncode, r.stderr)
    ok('--spice-password-file' in r.stderr, 'the message says how to fix it', r.stderr)


def read_vv(path):
    """The [virt-viewer] keys of a .vv file, values as written (escapes kept)."""
    keys, group = {}, None
    for line in open(path).read().splitlines():
        if line.startswith('['):
            group = line.strip()
        elif '=' in line and group == '[virt-viewer]':
            k, v = line.split('=', 1)
            keys[k] = v
    return keys


def case_vv(exe, work):
    port = free_port()
    pwfile, vv = os.path.join(work, 'vv-password'), os.path.join(work, 'vm.vv')
    with open(pwfile, 'w') as f:
        f.write('vv-Pass\n')
    h = Helper(exe, work, ['--firmware', SEABIOS, '--spice', 'tcp:127.0.0.1:%d' % port,
                           '--spice-password-file', pwfile, '--spice-file', vv])
    made = wait_for(vv, 'delete-this-file', 20, h.proc)
    mode = os.stat(vv).st_mode & 0o777 if os.path.exists(vv) else None
    keys = read_vv(vv) if made else {}
    h.stop()
    ok(made, '--spice-file wrote the .vv file', h.output())
    ok(mode == 0o600, 'the .vv file has mode 0600 (got %s)' % (oct(mode) if mode else mode))
    want = {'type': 'spice', 'host': '127.0.0.1', 'port': str(port), 'password': 'vv-Pass',
            'title': 'Vessel VM', 'delete-this-file': '1'}
    ok(keys == want, 'the .vv file holds exactly %s' % want, keys)
    leftovers = [n for n in os.listdir(work) if n.startswith('vm.vv.')]
    ok(not leftovers, 'no temp file is left beside it', leftovers)
    r = subprocess.run([exe, '--spice', 'unix:' + os.path.join(work, 'x.sock'), '--spice-file',
                        vv], capture_output=True, text=True, timeout=30)
    ok(r.returncode == 64 and 'tcp:' in r.stderr, '--spice-file with unix: exits 64',
       r.stderr)


def make_certs(work):
    """A CA and a server certificate for 127.0.0.1 it signed: (ca, cert, key) paths."""
    ca, cakey = os.path.join(work, 'ca.pem'), os.path.join(work, 'ca-key.pem')
    cert, key = os.path.join(work, 'server.pem'), os.path.join(work, 'server-key.pem')
    csr, ext = os.path.join(work, 'server.csr'), os.path.join(work, 'server.ext')
    with open(ext, 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    for cmd in (['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', cakey, '-out', ca,
                 '-days', '2', '-subj', '/CN=Vessel test CA'],
                ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
                 '-subj', '/CN=127.0.0.1'],
                ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', cakey, '-CAcreateserial',
                 '-out', cert, '-days', '2', '-extfile', ext]):
        subprocess.run(['openssl'] + cmd, check=True, capture_output=True, timeout=60)
    return ca, cert, key


def case_tls(exe, work):
    if not shutil.which('openssl'):
        if os.environ.get('CI') == 'true':
            ok(False, 'openssl makes the TLS certificates')
        else:
            print('ok %d - TLS # SKIP no openssl' % (count + 1))
            globals()['count'] += 1
        return
    ca, cert, key = make_certs(work)
    port = free_port()
    pwfile, vv = os.path.join(work, 'tls-password'), os.path.join(work, 'tls.vv')
    with open(pwfile, 'w') as f:
        f.write('tls-Pass\n')
    h = Helper(exe, work, ['--firmware', SEABIOS, '--spice', 'tcp:0.0.0.0:%d' % port,
                           '--spice-password-file', pwfile, '--spice-tls',
                           '%s,%s,%s' % (cert, key, ca), '--spice-file', vv])
    made = wait_for(vv, 'delete-this-file', 20, h.proc)
    ok(made and h.proc.poll() is None, 'a non-loopback --spice with TLS and a password runs',
       h.output())
    plain, plain_out = screenshot(port, os.path.join(work, 'plain.ppm'), 'tls-Pass')
    py = gi_python()
    tls_rc, tls_out = None, ''
    if py:
        client = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spice-tls.py')
        try:
            r = subprocess.run([py, client, str(port), ca, 'tls-Pass'], capture_output=True,
                               text=True, timeout=60)
            tls_rc, tls_out = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            tls_rc, tls_out = -1, 'spice-tls.py timed out'
    keys = read_vv(vv) if made else {}
    h.stop()
    ok(not plain, 'a client without TLS is refused by the TLS-only port', plain_out)
    if py:
        ok(tls_rc == 0, 'a TLS client trusting the CA gets the display', tls_out + h.output())
    else:
        print('ok %d - TLS client # SKIP no SPICE GObject bindings' % (count + 1))
        globals()['count'] += 1
    pem = open(ca).read().replace('\n', '\\n')
    ok(keys.get('tls-port') == str(port) and 'port' not in keys,
       'the .vv file names tls-port and no plain port', keys)
    ok(keys.get('ca') == pem, 'the .vv file\'s ca= is the CA PEM with \\n for newlines',
       keys.get('ca'))
    ok(keys.get('password') == 'tls-Pass', 'the .vv file holds the password')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('helper')
    ap.add_argument('--vbe-guest', help='vbe-guest.elf (the resize case)')
    ap.add_argument('--mouse-guest', help='mouse-guest.elf (the mouse case)')
    args = ap.parse_args()
    reason = kvm_problem()
    if reason:
        skip_or_fail(reason)
    if not shutil.which('spicy-screenshot'):
        skip_or_fail('spicy-screenshot is not installed (Debian package spice-client-gtk)')
    if not os.path.exists(SEABIOS):
        skip_or_fail('SeaBIOS is not installed (Debian package seabios)')
    with tempfile.TemporaryDirectory(prefix='vessel-spice-') as work:
        case_open_without_password(args.helper)
        case_pixels(args.helper, work)
        case_password(args.helper, work)
        case_keyboard(args.helper, work)
        case_unix(args.helper, work)
        case_vv(args.helper, work)
        case_tls(args.helper, work)
        if args.vbe_guest:
            case_vbe(args.helper, work, args.vbe_guest)
        if args.vbe_guest:
            case_two_clients(args.helper, work, args.vbe_guest, False)
            case_two_clients(args.helper, work, args.vbe_guest, True)
        if args.mouse_guest:
            case_mouse(args.helper, work, args.mouse_guest)
    print('1..%d' % count)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
