#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Foundation benchmarks: vessel-helper and QEMU microvm side by side on the same guests."""

import argparse
import json
import os
import sys

import benchlib
import report
from vmms import Qemu, Vessel, find_helper

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _minus(d, a, b):
    return [x - y for x, y in zip(d[a], d[b])]


class Bench:
    def __init__(self, args, vmms):
        self.a = args
        self.vmms = vmms
        self.raw = {}            # everything measured, for --json
        self.exit_stats = {}     # vessel-helper's exit histogram per guest

    def image(self, name):
        return os.path.join(self.a.guests, name + ".elf")

    def run(self, vmm, guest, mem_mib, kind, **kw):
        err = os.path.join(self.a.workdir, f"{vmm.name}-{guest}.stderr")
        cmd = vmm.cmd(self.image(guest), mem_mib, kind, timeout=self.a.timeout)
        res = benchlib.run_vmm(cmd, err, self.a.timeout + 5, **kw)
        stats = vmm.exit_stats(res.stderr)
        if stats:
            self.exit_stats[guest] = stats
        return res

    def fail(self, vmm, what, res):
        tail = "\n".join(res.stderr.splitlines()[-8:])
        sys.exit(f"bench: {vmm.title}: {what} (status {res.status}, output "
                 f"{[t for _, t in res.lines][:6]})\n{tail}")

    # -- probe -----------------------------------------------------------------------------
    def probe(self):
        """Boot first-byte once on each VMM: warms caches, checks the boot protocol used."""
        ours, qemu = self.vmms
        res = self.run(ours, "first-byte", 64, "first")
        if res.first("X") is None:
            ours.mode = "debugport"
            res = self.run(ours, "first-byte", 64, "first")
        if res.first("X") is None or not ours.exit_ok(res.status):
            self.fail(ours, "first-byte guest printed no 'X'", res)
        if res.first("M") is None:
            self.fail(ours, "guest was not entered through multiboot", res)
        res = self.run(qemu, "first-byte", 64, "first")
        if res.first("X") is None or not qemu.exit_ok(res.status):
            self.fail(qemu, "first-byte guest printed no 'X'", res)
        if res.first("P") is None:
            self.fail(qemu, "guest was not entered through PVH", res)

    # -- 1: exec -> first byte ---------------------------------------------------------------
    def first_byte(self):
        m = {v.name: {"x_ms": [], "exit_ms": [], "cpu_ms": []} for v in self.vmms}
        for _ in range(self.a.runs_boot):
            for vmm in self.vmms:
                res = self.run(vmm, "first-byte", self.a.boot_mib, "first")
                if res.first("X") is None:
                    self.fail(vmm, "no 'X'", res)
                d = m[vmm.name]
                d["x_ms"].append(res.first("X"))
                d["exit_ms"].append(res.exit_ms)
                d["cpu_ms"].append(res.cpu_ms)
        self.raw["first_byte"] = m
        return m

    # -- 2: exit round trip ------------------------------------------------------------------
    def loop_us(self, vmm, guest, kind):
        """(wall µs, user CPU µs, system CPU µs) per loop iteration; CPU includes start-up."""
        res = self.run(vmm, guest, self.a.loop_mib, kind)
        s, e = res.first("S"), res.first("E")
        if s is None or e is None or res.cpu_ms is None:
            self.fail(vmm, f"{guest}: no S/E markers", res)
        n = self.a.loops / 1000.0
        return (e - s) / n, res.user_ms / n, (res.cpu_ms - res.user_ms) / n

    def exits(self):
        guests = (("exit-nop", "exit"), ("exit-user", "exit"), ("exit-kernel", "exit-kernel"))
        m = {v.name: {} for v in self.vmms}
        for _ in range(self.a.runs):
            for guest, kind in guests:
                for vmm in self.vmms:
                    wall, user, sys_ = self.loop_us(vmm, guest, kind)
                    d = m[vmm.name]
                    d.setdefault(guest, []).append(wall)
                    d.setdefault(guest + ":user", []).append(user)
                    d.setdefault(guest + ":sys", []).append(sys_)
        for d in m.values():
            # Pair each round's variant with the same round's empty loop.
            d["user_rt"] = _minus(d, "exit-user", "exit-nop")
            d["kernel_rt"] = _minus(d, "exit-kernel", "exit-nop")
            d["user_rt:user"] = _minus(d, "exit-user:user", "exit-nop:user")
            d["user_rt:sys"] = _minus(d, "exit-user:sys", "exit-nop:sys")
        self.raw["exits"] = m
        return m

    # -- 3: RSS overhead ---------------------------------------------------------------------
    def rss(self, mem_mib):
        m = {v.name: [] for v in self.vmms}
        for _ in range(self.a.runs):
            for vmm in self.vmms:
                pred = vmm.is_guest_ram(mem_mib)
                res = self.run(vmm, "touch", mem_mib, "touch", sample_after="R",
                               settle=self.a.settle,
                               sampler=lambda pid, p=pred: benchlib.sample_memory(pid, p))
                if res.sample is None:
                    self.fail(vmm, f"touch guest at {mem_mib} MiB never printed 'R'", res)
                res.sample["ready_ms"] = res.first("R")
                m[vmm.name].append(res.sample)
        self.raw[f"rss_{mem_mib}"] = m
        return m


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--helper", help="vessel-helper binary, or a meson build directory")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--guests", required=True, help="directory with mk-guests.sh output")
    ap.add_argument("--workdir", required=True, help="scratch directory (stderr logs)")
    ap.add_argument("--runs", type=int, default=5, help="runs per VMM (benchmarks 2, 3)")
    ap.add_argument("--runs-boot", type=int, default=9, help="runs per VMM (benchmark 1)")
    ap.add_argument("--loops", type=int, default=50000, help="iterations built into exit-*")
    ap.add_argument("--touch-mib", type=int, default=64, help="MiB touch.elf writes")
    ap.add_argument("--settle", type=float, default=1.0, help="s from 'R' to the RSS sample")
    ap.add_argument("--boot-mib", type=int, default=512)
    ap.add_argument("--loop-mib", type=int, default=128)
    ap.add_argument("--rss-mib", default="512,2048")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--strict", action="store_true", help="exit 3 when a goal is not met")
    return ap.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    helper = find_helper(a.helper, TOP)
    if not os.access(helper, os.X_OK):
        sys.exit(f"bench: no vessel-helper at {helper} (build it: installer/bootstrap build)")
    b = Bench(a, (Vessel(helper), Qemu(a.qemu)))
    report.header(helper, a)
    b.probe()
    report.mode_line(b.vmms[0])
    fb = b.first_byte()
    ex = b.exits()
    rss = {int(s): b.rss(int(s)) for s in a.rss_mib.split(",")}
    rows = report.table(b.vmms, fb, ex, rss, a)
    report.exit_histograms(b.exit_stats, a.loops)
    report.caveat()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"mode": b.vmms[0].mode, "raw": b.raw, "rows": rows,
                       "exit_stats": b.exit_stats}, f, indent=1)
    unmet = [r["label"] for r in rows if r.get("met") is False]
    return 3 if a.strict and unmet else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
