# SPDX-License-Identifier: GPL-2.0-or-later
"""The two VMMs under test: how to start each on a benchmark guest and find its guest RAM."""

import os

# Guest RAM of vessel-helper: memfds named in vmm-core/memory.c, mapped shared.
VESSEL_RAM_PREFIX = "/memfd:vessel-ram-"

# QEMU's microvm guest RAM is one anonymous mapping of -m bytes; allow a little slack for
# the alignment QEMU adds around RAM blocks.
QEMU_RAM_SLACK_KB = 8 * 1024


class Vessel:
    """vessel-helper booting the image as multiboot v1."""

    name = "ours"
    title = "vessel-helper"

    def __init__(self, helper):
        self.helper = helper
        # "serial": markers arrive on COM1 (--serial stdio). "debugport": no UART yet, so
        # the guest's copy on port 0x402 is routed to stdout with --firmware-log.
        self.mode = "serial"

    def cmd(self, image, mem_mib, kind, timeout=60):
        c = [self.helper, "--memory", f"{mem_mib}M", "--cpus", "1", "--multiboot", image,
             "--serial", "stdio", "--timeout", str(timeout), "--quiet"]
        if self.mode == "debugport":
            c += ["--firmware-log", "/dev/stdout"]
        if kind.startswith("exit") or kind == "first":
            c.append("--exit-stats")
        return c

    def is_guest_ram(self, mem_mib):
        return lambda size_kb, path: path.startswith(VESSEL_RAM_PREFIX)

    def exit_ok(self, status):
        return status == 0

    @staticmethod
    def exit_stats(stderr):
        """The '--exit-stats' line, without its prefix, or None."""
        for line in stderr.splitlines():
            if line.startswith("vessel-helper: exits:"):
                return line.split(":", 2)[2].strip()
        return None


class Qemu:
    """qemu-system-x86_64 -machine microvm booting the same image through its PVH note."""

    name = "qemu"
    title = "QEMU microvm"

    def __init__(self, binary="qemu-system-x86_64"):
        self.binary = binary

    def cmd(self, image, mem_mib, kind, timeout=60):
        machine = "microvm"
        if kind == "exit-kernel":
            # microvm defaults to kernel-irqchip=split (PIC in QEMU user space); the
            # in-kernel anchor needs the PIC in KVM, as vessel-helper has it.
            machine += ",kernel-irqchip=on"
        return [self.binary, "-accel", "kvm", "-machine", machine, "-m", str(mem_mib),
                "-smp", "1", "-display", "none", "-monitor", "none", "-serial", "stdio",
                "-no-reboot", "-nodefaults", "-device", "isa-debug-exit,iobase=0xf4",
                "-kernel", image]

    def is_guest_ram(self, mem_mib):
        lo = mem_mib * 1024
        hi = lo + QEMU_RAM_SLACK_KB
        return lambda size_kb, path: lo <= size_kb <= hi and path == ""

    def exit_ok(self, status):
        # isa-debug-exit turns a write of N into exit status (N << 1) | 1.
        return status == 1

    @staticmethod
    def exit_stats(stderr):
        return None


def find_helper(arg, top):
    """A build directory, a helper binary, or nothing (top/build): the helper's path."""
    if arg is None:
        arg = os.path.join(top, "build")
    if os.path.isdir(arg):
        return os.path.join(arg, "app", "helper", "vessel-helper")
    return arg
