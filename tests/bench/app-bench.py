#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 7: the desktop app's display path vs remote-viewer (spice-gtk), 1920x1080.

  app-bench.py --helper HELPER --bench APP_BENCH --guest app-bench-guest.elf [--frames N]
               [--paths gl,texture,auto] [--rounds R]

Both sides show app-bench-guest.elf (1920x1080x32; one full-screen redraw per byte on COM1,
"bench: frame B drawn" after its last store) under one Xvfb (2560x1600x24, Mesa software GL).
Ours: tests/bench/app-bench (C), VesselDisplay fed by app/session.c, which prints per frame
the latency from the serial line to the paint that uploaded the frame's last damage and its
own CPU time. remote-viewer: the helper's --spice on loopback; latency from the serial line
to the X screen (XGetImage of one pixel, polled every 5 ms) showing the frame's bottom rows'
colour (drawn last); CPU from /proc/PID/stat (all threads) from the byte until 0.6 s after.
Neither side counts the helper's CPU; the X server's is shown too, since remote-viewer's
drawing (X11 images) lands in Xvfb while ours (GL through Mesa's llvmpipe) is in-process.
Both latencies start at the serial line, which the guest prints after its last store (the
UART's emulated port writes take tens of ms here, so it is a late clock start for both).
Ours runs once per VesselDisplay path in --paths: gl (the GtkGLArea, VESSEL_DISPLAY=gl),
texture (GdkTexture tiles through GSK's GL renderer, VESSEL_DISPLAY=texture), cairo (cairo
node tiles under GSK_RENDERER=cairo, no GL at all), auto (nothing set: what the app chooses;
on Mesa's software GL that is cairo); app-bench reports the path it took and a mismatch is an
error. --rounds R repeats all paths and remote-viewer R times, alternating, and pools the
frames. Ours also reports, in frames' worth of pixels, the Damage the helper announced and
what the display copied or uploaded (1.0: each change once), and the tile nodes it built (the
texture path's repaints); an app-bench without those counters shows n/a. Frame 1 of every
run is a warm-up. Prints medians [min-max] and remote-viewer/ours ratios (above 1: ours is
better). Exit 0 when both ran, 77 when something needed is missing (Xvfb,
remote-viewer, /dev/kvm).
"""

import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WIDTH, HEIGHT, MARK_ROWS = 1920, 1080, 64
QUIET_S = 0.6
ZPIXMAP = 2


def frame_mark(frame):
    """app-bench-guest.c's colour of frame's bottom rows."""
    return ((frame * 0x3b1d5) ^ 0x00a05a) & 0xffffff


class XImage(ctypes.Structure):
    """The leading fields of Xlib's XImage (X11/Xlib.h)."""
    _fields_ = [('width', ctypes.c_int), ('height', ctypes.c_int), ('xoffset', ctypes.c_int),
                ('format', ctypes.c_int), ('data', ctypes.c_void_p),
                ('byte_order', ctypes.c_int), ('bitmap_unit', ctypes.c_int),
                ('bitmap_bit_order', ctypes.c_int), ('bitmap_pad', ctypes.c_int),
                ('depth', ctypes.c_int), ('bytes_per_line', ctypes.c_int),
                ('bits_per_pixel', ctypes.c_int), ('red_mask', ctypes.c_ulong)]


class Screen:
    """Pixels of an X display's root window through Xlib (ctypes)."""

    def __init__(self, display):
        x = ctypes.CDLL(ctypes.util.find_library('X11') or 'libX11.so.6')
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XGetImage.restype = ctypes.POINTER(XImage)
        x.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        x.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
        self.x = x
        self.dpy = x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError('cannot open X display %s' % display)
        self.root = x.XDefaultRootWindow(self.dpy)

    def column(self, cx, height):
        """The 0xRRGGBB pixels of screen column cx, rows 0..height-1."""
        img = self.x.XGetImage(self.dpy, self.root, cx, 0, 1, height, 0xffffffff, ZPIXMAP)
        im = img.contents
        raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        out = [int.from_bytes(raw[y * im.bytes_per_line:y * im.bytes_per_line + 4], 'little')
               & 0xffffff for y in range(im.height)]
        self.x.XDestroyImage(img)
        return out

    def pixel(self, x, y):
        img = self.x.XGetImage(self.dpy, self.root, x, y, 1, 1, 0xffffffff, ZPIXMAP)
        v = int.from_bytes(ctypes.string_at(img.contents.data, 4), 'little') & 0xffffff
        self.x.XDestroyImage(img)
        return v


def start_xvfb():
    r, w = os.pipe()
    proc = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0', '2560x1600x24',
                             '-nolisten', 'tcp'], pass_fds=(w,), stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        return proc, ':' + f.readline().strip()


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


PATH_ENV = {'gl': {'VESSEL_DISPLAY': 'gl'}, 'texture': {'VESSEL_DISPLAY': 'texture'},
            'cairo': {'GSK_RENDERER': 'cairo'}, 'auto': {}}
PATH_TAKES = {'gl': 'gl', 'texture': 'texture', 'cairo': 'texture'}


def ours(args, env, work, path):
    env = dict(env, TMPDIR=work, **PATH_ENV[path])     # VM folder and sockets go with work
    out = subprocess.run([args.bench, args.guest, str(args.frames)], env=env, timeout=1800,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if out.returncode:
        raise RuntimeError('app-bench failed (%d): %s' % (out.returncode, out.stderr[-2000:]))
    frames = []
    for line in out.stdout.splitlines():
        f = line.split()
        if f and f[0] == 'path' and f[1] != PATH_TAKES.get(path, f[1]):
            raise RuntimeError('asked for the %s path, app-bench took %s' % (path, f[1]))
        if f and f[0] == 'frame':
            v = dict(zip(f[2::2], f[3::2]))
            frame = {'latency_ms': float(v['latency_ms']), 'cpu_ms': float(v['cpu_ms']),
                     'draw_s': float(v['draw_s']), 'x_cpu_ms': float(v['x_cpu_ms']),
                     'uploaded_frames': float(v['uploaded_px']) / (WIDTH * HEIGHT)}
            if 'damage_px' in v:        # app-bench before these counters: without them
                frame['damage_frames'] = float(v['damage_px']) / (WIDTH * HEIGHT)
                frame['nodes'] = float(v['nodes'])
            frames.append(frame)
    return frames


class Serial:
    """COM1 over the helper's unix socket: lines with CLOCK_MONOTONIC arrival times."""

    def __init__(self, path, proc):
        for _ in range(500):
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if proc.poll() is not None:
                    raise RuntimeError('the helper exited')
                time.sleep(0.02)
        else:
            raise RuntimeError('no serial socket at %s' % path)
        self.lines, self.cond = [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b''
        while True:
            data = self.sock.recv(4096)
            if not data:
                return
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                with self.cond:
                    self.lines.append((time.monotonic(), line.decode(errors='replace')))
                    self.cond.notify_all()

    def wait(self, pattern, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if re.search(pattern, line):
                        return t
                if time.monotonic() >= end:
                    return None
                self.cond.wait(end - time.monotonic())


def proc_cpu_ms(pid):
    f = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf('SC_CLK_TCK')


def find_mark(scr, mark):
    """(x, y) in the middle of the screen's run of the mark colour, or None."""
    for cx in (1280, 960, 640, 400):
        col = scr.column(cx, 1600)
        ys = [y for y, v in enumerate(col) if v == mark]
        if len(ys) > 8:
            return cx, ys[len(ys) // 2]
    return None


def wait_mark(scr, where, mark, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if scr.pixel(*where) == mark:
            return time.monotonic()
        time.sleep(0.005)
    return None


def remote_viewer(args, env, work):
    port = socket.socket()
    port.bind(('127.0.0.1', 0))
    num = port.getsockname()[1]
    port.close()
    sock = os.path.join(work, 'com1.sock')
    helper = subprocess.Popen([args.helper, '--memory', '32M', '--multiboot', args.guest,
                               '--serial', 'unix:' + sock, '--timeout', '1800', '--quiet',
                               '--spice', 'tcp:127.0.0.1:%d' % num],
                              stdin=subprocess.DEVNULL, stderr=open(os.path.join(work,
                                                                    'helper.log'), 'w'))
    rv = None
    try:
        ser = Serial(sock, helper)      # "bench: ready" may be gone: frame 0 is looked for
        rv = subprocess.Popen(['remote-viewer', 'spice://127.0.0.1:%d' % num], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        scr = Screen(env['DISPLAY'])
        where = None
        for _ in range(120):
            where = find_mark(scr, frame_mark(0))
            if where:
                break
            time.sleep(0.5)
        if not where:
            raise RuntimeError('remote-viewer never showed frame 0')
        time.sleep(1)
        frames = []
        for b in range(1, args.frames + 1):
            c0, x0, sent = proc_cpu_ms(rv.pid), proc_cpu_ms(args.xpid), time.monotonic()
            ser.sock.send(bytes([b]))
            drawn = ser.wait(r'bench: frame %d drawn' % b, 600)
            seen = wait_mark(scr, where, frame_mark(b), 120) if drawn else None
            if seen is None:
                raise RuntimeError('frame %d never reached the screen' % b)
            time.sleep(QUIET_S)
            frames.append({'latency_ms': max(0.0, seen - drawn) * 1000,
                           'cpu_ms': proc_cpu_ms(rv.pid) - c0, 'draw_s': drawn - sent,
                           'x_cpu_ms': proc_cpu_ms(args.xpid) - x0})
        return frames
    finally:
        if rv:
            stop(rv)
        stop(helper)


def summary(runs, key):
    """Median [min-max] of key over every run's frames but its first (the warm-up)."""
    vals = []
    for frames in runs:
        for f in frames:
            f['total_cpu_ms'] = f['cpu_ms'] + f['x_cpu_ms']
        vals += [f[key] for f in frames[1:] if key in f] or [f[key] for f in frames if key in f]
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def report(results, paths):
    print('App display path, 1920x1080x32, one full-screen change per frame '
          '(medians [min-max], frame 1 of each run a warm-up)')
    sides = ['ours-' + p for p in paths] + ['rv']
    names = ['ours (%s)' % p for p in paths] + ['remote-viewer']
    print('%-34s' % '' + ''.join(' %22s' % n for n in names) +
          ''.join(' %7s' % ('rv/' + p) for p in paths))
    for key, label in (('latency_ms', 'latency, last store to shown (ms)'),
                       ('cpu_ms', 'viewer CPU per frame (ms)'),
                       ('x_cpu_ms', 'X server (Xvfb) CPU per frame (ms)'),
                       ('total_cpu_ms', 'viewer + X server CPU (ms)'),
                       ('draw_s', 'guest drawing time (s)'),
                       ('damage_frames', 'Damage announced (frames\' pixels)'),
                       ('uploaded_frames', 'copied/uploaded (frames\' pixels)'),
                       ('nodes', 'tile nodes built (1080p: 544 tiles)')):
        cells = [summary(results[s], key) if results.get(s) else None for s in sides]
        fmt = '%7.2f [%5.2f-%6.2f]' if key.endswith('_frames') else '%7.1f [%5.1f-%6.1f]'
        txt = [fmt % c if c else 'n/a' for c in cells]
        rv = cells[-1]
        ratios = ['%.2f' % (rv[0] / c[0]) if c and rv and c[0] and key != 'draw_s' else '-'
                  for c in cells[:-1]]
        print('%-34s' % label + ''.join(' %22s' % t for t in txt) +
              ''.join(' %7s' % r for r in ratios))
    print('ratio = remote-viewer / ours (above 1: ours is better); the helper\'s CPU is not '
          'counted; X server CPU is Xvfb\'s while the frame was shown')
    print('latency starts at the guest\'s "drawn" serial line (late by its emulated port '
          'writes); remote-viewer often had the frame up before the line arrived (~0)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--helper', required=True)
    ap.add_argument('--bench', required=True, help='the app-bench program')
    ap.add_argument('--guest', required=True, help='app-bench-guest.elf')
    ap.add_argument('--frames', type=int, default=5)
    ap.add_argument('--paths', default='gl,texture,auto',
                    help='VesselDisplay paths to run, comma-separated: gl, texture, cairo, auto')
    ap.add_argument('--rounds', type=int, default=1,
                    help='repeat every path and remote-viewer, alternating, this many times')
    args = ap.parse_args()
    paths = [p for p in args.paths.split(',') if p]
    if not paths or any(p not in PATH_ENV for p in paths) or args.rounds < 1:
        ap.error('--paths takes gl, texture, cairo and/or auto; --rounds at least 1')
    for prog in ('Xvfb', 'remote-viewer'):
        if not shutil.which(prog):
            print('app-bench: %s not found (Debian: xvfb, virt-viewer); skipped' % prog)
            return 77
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        print('app-bench: /dev/kvm is not usable; skipped')
        return 77
    xvfb, display = start_xvfb()
    args.xpid = xvfb.pid
    env = dict(os.environ, DISPLAY=display, GDK_BACKEND='x11', LIBGL_ALWAYS_SOFTWARE='1',
               GTK_A11Y='none', NO_AT_BRIDGE='1', GSETTINGS_BACKEND='memory',
               VESSEL_HELPER=os.path.abspath(args.helper), APP_BENCH_XPID=str(xvfb.pid))
    results = {}
    try:
        for _ in range(args.rounds):
            for side in ['ours-' + p for p in paths] + ['rv']:
                with tempfile.TemporaryDirectory(prefix='app-bench-') as work:
                    run = (remote_viewer(args, env, work) if side == 'rv' else
                           ours(args, env, work, side[5:]))
                results.setdefault(side, []).append(run)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print('app-bench: %s' % e, file=sys.stderr)
    finally:
        stop(xvfb)
    report(results, paths)
    return 0 if all(results.get('ours-' + p) for p in paths) and results.get('rv') else 1


if __name__ == '__main__':
    sys.exit(main())
