#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Pad the demo boot program into a raw disk image, checking what boot.S assumes of it.

boot.S reads a fixed number of sectors after itself; the program must fit in them, and
sector 0 must end in the 55h AAh boot signature. The image is padded to whole MiB so the
BIOS finds a plausible geometry (16 heads, 63 sectors a track) on the IDE disk.
"""

import argparse
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--load-sectors', type=int, required=True)
    ap.add_argument('--size-mib', type=int, default=4)
    ap.add_argument('program')
    ap.add_argument('image')
    args = ap.parse_args()

    with open(args.program, 'rb') as f:
        prog = f.read()
    limit = 512 * (1 + args.load_sectors)
    if len(prog) > limit:
        sys.exit('%s: %d bytes, but boot.S loads only %d' % (args.program, len(prog), limit))
    if len(prog) < 512 or prog[510:512] != b'\x55\xaa':
        sys.exit('%s: sector 0 has no boot signature' % args.program)
    with open(args.image, 'wb') as f:
        f.write(prog)
        f.truncate(args.size_mib << 20)


if __name__ == '__main__':
    main()
