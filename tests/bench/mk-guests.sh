#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the benchmark guest images (one set, booted by both vessel-helper and QEMU).
#
# Usage: mk-guests.sh OUTDIR [LOOPS] [TOUCH_MIB]
#   first-byte.elf   "X\n", the boot protocol ("M" multiboot / "P" PVH), test exit
#   exit-nop.elf     "S\n", LOOPS x nop,        "E\n", test exit   (loop overhead)
#   exit-user.elf    "S\n", LOOPS x inb 0x1234, "E\n", test exit   (unclaimed: user space)
#   exit-kernel.elf  "S\n", LOOPS x inb 0x21,   "E\n", test exit   (PIC mask: in-kernel irqchip)
#   touch.elf        one byte per 4 KiB page over TOUCH_MIB MiB from 2 MiB, "R\n", idle
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: mk-guests.sh OUTDIR [LOOPS] [TOUCH_MIB]}
loops=${2:-50000}
touch_mib=${3:-64}
src="$here/guest/bench-guest.S"
lds="$here/guest/bench-guest.ld"

mkdir -p "$out"

build() {
	local name=$1
	shift
	gcc -m32 -nostdlib -static -fno-pic -no-pie -T "$lds" \
		-Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments \
		"$@" -o "$out/$name.elf" "$src" 2>"$out/$name.log" || {
		cat "$out/$name.log" >&2
		echo "mk-guests: building $name failed" >&2
		exit 1
	}
}

# The multiboot header must sit at file offset 0x1ff0: in the 8 KiB that multiboot
# allows, beyond the 8144 bytes QEMU searches (see guest/bench-guest.S).
check_layout() {
	python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = struct.pack("<I", 0x1BADB002)
off = data.find(magic)
if off != 0x1FF0:
    sys.exit(f"mk-guests: {sys.argv[1]}: multiboot header at {off:#x}, want 0x1ff0")
if data.find(b"Xen\0") < 0:
    sys.exit(f"mk-guests: {sys.argv[1]}: no Xen PVH note")
PY
}

build first-byte -DBENCH_FIRST_BYTE
build exit-nop -DBENCH_LOOP -DLOOP_PORT=0x1234 -DLOOPS="$loops" -DLOOP_NOP
build exit-user -DBENCH_LOOP -DLOOP_PORT=0x1234 -DLOOPS="$loops"
build exit-kernel -DBENCH_LOOP -DLOOP_PORT=0x21 -DLOOPS="$loops"
build touch -DBENCH_TOUCH -DTOUCH_MIB="$touch_mib"

for f in first-byte exit-nop exit-user exit-kernel touch; do
	check_layout "$out/$f.elf"
	rm -f "$out/$f.log"
done
