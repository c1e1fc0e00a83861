#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""remote-viewer (Debian virt-viewer) opens the helper's .vv file under Xvfb.

  spice-viewer.py HELPER --vbe-guest ELF

The helper runs vbe-guest.elf with a password and --spice-file; remote-viewer gets nothing
but the .vv path. Checked: remote-viewer deletes the file (delete-this-file=1, so it read
it), the helper logs the client's connection (so the password from the file was right),
remote-viewer's --debug log shows a 640x480 display, and the X screen, read back with
XGetImage through ctypes, holds the guest's whole 640x480 picture pixel for pixel.
Exit 77 without /dev/kvm, Xvfb or remote-viewer, except under CI=true.
"""

import argparse
import array
import ctypes
import ctypes.util
import importlib.util
import os
import shutil
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

ZPIXMAP = 2
ALL_PLANES = 0xffffffff


class XImage(ctypes.Structure):
    """The leading fields of Xlib's XImage (X11/Xlib.h)."""
    _fields_ = [('width', ctypes.c_int), ('height', ctypes.c_int), ('xoffset', ctypes.c_int),
                ('format', ctypes.c_int), ('data', ctypes.c_void_p),
                ('byte_order', ctypes.c_int), ('bitmap_unit', ctypes.c_int),
                ('bitmap_bit_order', ctypes.c_int), ('bitmap_pad', ctypes.c_int),
                ('depth', ctypes.c_int), ('bytes_per_line', ctypes.c_int),
                ('bits_per_pixel', ctypes.c_int), ('red_mask', ctypes.c_ulong),
                ('green_mask', ctypes.c_ulong), ('blue_mask', ctypes.c_ulong)]


def grab_screen(display):
    """(width, height, rows of 0xRRGGBB ints) of an X display's root window, or None."""
    x11 = ctypes.CDLL(ctypes.util.find_library('X11') or 'libX11.so.6')
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XGetImage.restype = ctypes.POINTER(XImage)
    x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                              ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    x11.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        return None
    root = x11.XDefaultRootWindow(dpy)
    img = x11.XGetImage(dpy, root, 0, 0, 1024, 768, ALL_PLANES, ZPIXMAP)
    rows = None
    if img and img.contents.bits_per_pixel == 32 and img.contents.red_mask == 0xff0000:
        im = img.contents
        raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        rows = []
        for y in range(im.height):
            line = array.array('I', raw[y * im.bytes_per_line:y * im.bytes_per_line + im.width * 4])
            rows.append([v & 0xffffff for v in line])
    if img:
        x11.XDestroyImage(img)
    x11.XCloseDisplay(dpy)
    return rows


def find_pattern(rows, w, h):
    """Top-left corner where the whole w x h vbe-guest pattern sits on screen, or None."""
    want = [[((x << 16) ^ (y << 8) ^ (x + y)) & 0xffffff for x in range(w)] for y in range(h)]
    for oy in range(len(rows) - h + 1):
        row = rows[oy]
        for ox in range(len(row) - w + 1):
            if row[ox + 1] != want[0][1] or row[ox:ox + w] != want[0]:
                continue
            if all(rows[oy + y][ox:ox + w] == want[y] for y in range(h)):
                return ox, oy
    return None


def start_xvfb():
    """(process, ':N') of an Xvfb that picked a free display number itself."""
    r, w = os.pipe()
    proc = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0', '1024x768x24',
                             '-nolisten', 'tcp'], pass_fds=(w,), stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        num = f.readline().strip()
    return proc, ':' + num


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run(exe, guest, work):
    port = rs.free_port()
    pw, vv = os.path.join(work, 'pw'), os.path.join(work, 'vm.vv')
    with open(pw, 'w') as f:
        f.write('viewer-Pass\n')
    h = rs.Helper(exe, work, ['--multiboot', guest, '--memory', '32M', '--spice',
                              'tcp:127.0.0.1:%d' % port, '--spice-password-file', pw,
                              '--spice-file', vv], serial='stdio')
    rs.ok(rs.wait_for(h.log, 'drawn 640x480', 90, h.proc), 'the guest drew 640x480',
          h.output())
    xvfb, display = start_xvfb()
    rvlog = os.path.join(work, 'remote-viewer.log')
    rv = subprocess.Popen(['remote-viewer', '--debug', vv], stdout=open(rvlog, 'w'),
                          stderr=subprocess.STDOUT, env=dict(os.environ, DISPLAY=display))
    connected = rs.wait_for(h.log, 'spice: client connected', 30, h.proc)
    shown = rs.wait_for(rvlog, 'Allocated 640x480', 30, rv)
    rs.ok(not os.path.exists(vv), 'remote-viewer read the .vv file and deleted it '
          '(delete-this-file=1)')
    rs.ok(connected, 'the helper logs remote-viewer\'s connection (password from the .vv)',
          h.output() + open(rvlog).read())
    rs.ok(shown, 'remote-viewer shows a 640x480 display (--debug log)', open(rvlog).read())
    where = None
    for _ in range(20):             # the first frames may still be on their way
        rows = grab_screen(display)
        where = find_pattern(rows, 640, 480) if rows else None
        if where:
            break
        time.sleep(1)
    rs.ok(where is not None, 'the X screen holds every pixel the guest drew (at %s)'
          % (where,), 'screen grabbed: %s' % (rows is not None))
    stop(rv)
    stop(xvfb)
    h.stop()
    log = h.output()
    rs.ok('spice: client disconnected' in log, 'the helper logs remote-viewer leaving', log)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('helper')
    ap.add_argument('--vbe-guest', required=True)
    args = ap.parse_args()
    reason = kvm_problem()
    if reason:
        rs.skip_or_fail(reason)
    for tool, pkg in (('Xvfb', 'xvfb'), ('remote-viewer', 'virt-viewer')):
        if not shutil.which(tool):
            rs.skip_or_fail('%s is not installed (Debian package %s)' % (tool, pkg))
    with tempfile.TemporaryDirectory(prefix='vessel-spice-viewer-') as work:
        run(args.helper, args.vbe_guest, work)
    print('1..%d' % rs.count)
    return 1 if rs.failures else 0


if __name__ == '__main__':
    sys.exit(main())
