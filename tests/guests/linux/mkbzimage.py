#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Wrap a flat 64-bit kernel (objcopy -O binary, linked at 1 MiB) in a bzImage.

The layout follows the Linux x86 boot protocol (Documentation/arch/x86/boot.rst):
a boot sector whose last bytes start the setup header at 0x1F1, setup sectors, then the
protected-mode kernel, which a loader copies to code32_start (1 MiB). Only the fields a
64-bit loader reads are meaningful: there is no real-mode setup code, and the 16-bit entry
at 0x200 jumps to a halt loop. With --elf, init_size (the memory the kernel needs from
1 MiB, bss included) and the entry point are taken from the ELF program headers.
"""

import argparse
import struct
import sys

SECTOR = 512
KERNEL_ADDR = 0x100000
ENTRY64_OFFSET = 0x200          # boot.rst, "64-bit BOOT PROTOCOL"
PAGE = 4096

# Setup header offsets (boot.rst, "THE REAL-MODE KERNEL HEADER").
HDR_SETUP_SECTS = 0x1F1
HDR_SYSSIZE = 0x1F4
HDR_VID_MODE = 0x1FA
HDR_BOOT_FLAG = 0x1FE
HDR_JUMP = 0x200
HDR_MAGIC = 0x202
HDR_VERSION = 0x206
HDR_START_SYS_SEG = 0x20C
HDR_KERNEL_VERSION = 0x20E
HDR_LOADFLAGS = 0x211
HDR_CODE32_START = 0x214
HDR_INITRD_ADDR_MAX = 0x22C
HDR_KERNEL_ALIGNMENT = 0x230
HDR_RELOCATABLE = 0x234
HDR_MIN_ALIGNMENT = 0x235
HDR_XLOADFLAGS = 0x236
HDR_CMDLINE_SIZE = 0x238
HDR_PREF_ADDRESS = 0x258
HDR_INIT_SIZE = 0x260
HDR_KERNEL_INFO_OFFSET = 0x268
HDR_END = 0x26C                 # protocol 2.15 ends with kernel_info_offset

LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x01
VERSION_STRING_AT = 0x280       # in the setup sector; kernel_version points here - 0x200
KERNEL_INFO_MAGIC = b'LToP'     # boot.rst, "THE KERNEL_INFO"


class ImageError(Exception):
    pass


def elf_extent(path):
    """(lowest vaddr, end of file-backed bytes, end of memory, entry) of an ELF64 file."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or len(data) < 64 or data[4] != 2 or data[5] != 1:
        raise ImageError('%s is not a little-endian ELF64 file' % path)
    entry, phoff = struct.unpack_from('<QQ', data, 0x18)
    phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
    if phentsize < 56 or phoff + phnum * phentsize > len(data):
        raise ImageError('%s: broken program header table' % path)
    loads = []
    for i in range(phnum):
        p_type, _, _, vaddr, _, filesz, memsz, _ = struct.unpack_from(
            '<IIQQQQQQ', data, phoff + i * phentsize)
        if p_type == 1 and memsz:
            loads.append((vaddr, vaddr + filesz, vaddr + memsz))
    if not loads:
        raise ImageError('%s has no PT_LOAD segment' % path)
    return (min(l[0] for l in loads), max(l[1] for l in loads),
            max(l[2] for l in loads), entry)


def check_elf(path, payload):
    """init_size from the ELF; refuses an ELF that does not match the flat payload."""
    base, file_end, mem_end, entry = elf_extent(path)
    if base != KERNEL_ADDR:
        raise ImageError('%s is linked at %#x, not %#x' % (path, base, KERNEL_ADDR))
    if entry != KERNEL_ADDR + ENTRY64_OFFSET:
        raise ImageError('%s: entry %#x, but the 64-bit entry must be at %#x' %
                         (path, entry, KERNEL_ADDR + ENTRY64_OFFSET))
    if file_end - base != len(payload):
        raise ImageError('%s has %d file-backed bytes but the payload has %d: is the '
                         'payload objcopy -O binary of it?' % (path, file_end - base,
                                                                len(payload)))
    return mem_end - base


def round_up(n, unit):
    return (n + unit - 1) // unit * unit


def build(payload, init_size, setup_sects=1, version=0x020F, cmdline_size=2047,
          initrd_addr_max=0x7FFFFFFF, name='vessel-lguest'):
    if len(payload) <= ENTRY64_OFFSET:
        raise ImageError('payload of %d bytes has no 64-bit entry at +0x200' % len(payload))
    if not 1 <= setup_sects <= 0xFF:
        raise ImageError('setup_sects %d out of range 1..255' % setup_sects)
    setup = bytearray((setup_sects + 1) * SECTOR)
    init_size = round_up(max(init_size, len(payload)), PAGE)

    def put(fmt, off, *values):
        struct.pack_into('<' + fmt, setup, off, *values)

    put('B', HDR_SETUP_SECTS, setup_sects)
    put('I', HDR_SYSSIZE, round_up(len(payload), 16) // 16)   # in 16-byte paragraphs
    put('H', HDR_VID_MODE, 0xFFFF)                               # "normal"
    put('H', HDR_BOOT_FLAG, 0xAA55)
    # A short jump over the header to a real-mode halt loop (we have no 16-bit setup).
    put('BB', HDR_JUMP, 0xEB, HDR_END - (HDR_JUMP + 2))
    setup[HDR_END:HDR_END + 3] = b'\xf4\xeb\xfd'                 # hlt; jmp $-1
    setup[HDR_MAGIC:HDR_MAGIC + 4] = b'HdrS'
    put('H', HDR_VERSION, version)
    put('H', HDR_START_SYS_SEG, 0x1000)
    text = name.encode('ascii') + b'\0'
    setup[VERSION_STRING_AT:VERSION_STRING_AT + len(text)] = text
    put('H', HDR_KERNEL_VERSION, VERSION_STRING_AT - 0x200)
    put('B', HDR_LOADFLAGS, LOADED_HIGH)
    put('I', HDR_CODE32_START, KERNEL_ADDR)
    put('I', HDR_INITRD_ADDR_MAX, initrd_addr_max)
    put('I', HDR_KERNEL_ALIGNMENT, 0x200000)
    put('B', HDR_RELOCATABLE, 0)                                 # runs only at 1 MiB
    put('B', HDR_MIN_ALIGNMENT, 21)
    put('H', HDR_XLOADFLAGS, XLF_KERNEL_64)
    put('I', HDR_CMDLINE_SIZE, cmdline_size)
    put('Q', HDR_PREF_ADDRESS, KERNEL_ADDR)
    put('I', HDR_INIT_SIZE, init_size)
    at = payload.find(KERNEL_INFO_MAGIC, 0, ENTRY64_OFFSET)
    put('I', HDR_KERNEL_INFO_OFFSET, max(at, 0))
    return bytes(setup) + bytes(payload)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='Wrap a flat 64-bit kernel in a bzImage.')
    ap.add_argument('payload', help='flat binary (objcopy -O binary), linked at 1 MiB')
    ap.add_argument('-o', '--output', required=True)
    ap.add_argument('--elf', help='the ELF the payload came from: init_size and entry check')
    ap.add_argument('--init-size', type=lambda s: int(s, 0), default=0,
                    help='bytes the kernel needs from 1 MiB (default: from --elf)')
    ap.add_argument('--setup-sects', type=int, default=1)
    ap.add_argument('--cmdline-size', type=lambda s: int(s, 0), default=2047)
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    try:
        with open(args.payload, 'rb') as f:
            payload = f.read()
        init_size = args.init_size
        if args.elf:
            init_size = max(init_size, check_elf(args.elf, payload))
        image = build(payload, init_size, setup_sects=args.setup_sects,
                      cmdline_size=args.cmdline_size)
        with open(args.output, 'wb') as f:
            f.write(image)
    except (ImageError, OSError) as e:
        print('mkbzimage: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
