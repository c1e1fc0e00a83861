# SPDX-License-Identifier: GPL-2.0-or-later
"""Print the side-by-side table: both VMMs, QEMU/ours ratios, goals, host caveats."""

import os
import platform

from benchlib import fmt, summary

W_LABEL, W_VAL, W_RATIO, W_GOAL = 42, 22, 11, 15


def header(helper, a):
    print("Vessel foundation benchmarks: vessel-helper vs QEMU microvm, same guest images")
    print(f"  helper: {helper}")
    print(f"  host:   {platform.node()}, Linux {platform.release()}, {os.cpu_count()} CPUs")
    print(f"  runs:   {a.runs_boot} (boot) / {a.runs} (others) per VMM, alternating "
          f"ours/QEMU; exit loops {a.loops} iterations; touch {a.touch_mib} MiB")
    print("  cells:  median [min–max]; ratio = QEMU median / ours median (higher is better "
          "for us)")
    print(flush=True)


def mode_line(vessel):
    if vessel.mode == "serial":
        print("  markers: read from COM1 on each VMM's stdout (--serial stdio / -serial stdio)")
    else:
        print("  markers: vessel-helper has no COM1 yet, so its markers come from the guest's "
              "copy on\n           debug port 0x402 (--firmware-log /dev/stdout); QEMU's from "
              "COM1. Re-run once\n           vmm-core/devices/serial.c is built in.")
    print(flush=True)


def _row(label, ours, qemu, digits=1, goal=None, want=None, unit_scale=1.0, ratio=True):
    """want: minimum QEMU/ours ratio for the goal to be met (None: informative row)."""
    so = summary([x * unit_scale for x in ours if x is not None]) if ours else None
    sq = summary([x * unit_scale for x in qemu if x is not None]) if qemu else None
    ratio, r = None, ratio
    if r and so and sq and so[0] > 0 and sq[0] > 0:
        ratio = sq[0] / so[0]
    met = None if want is None or ratio is None else ratio >= want
    return {"label": label, "ours": so, "qemu": sq, "ratio": ratio, "goal": goal,
            "met": met, "digits": digits}


def _print_row(r):
    ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "—"
    met = {True: "yes", False: "NO", None: ""}[r["met"]]
    print(f"{r['label']:<{W_LABEL}}{fmt(r['ours'], r['digits']):>{W_VAL}}"
          f"{fmt(r['qemu'], r['digits']):>{W_VAL}}{ratio:>{W_RATIO}}  "
          f"{r['goal'] or '':<{W_GOAL}}{met}")


def _rows_first_byte(fb):
    o, q = fb["ours"], fb["qemu"]
    return [
        _row("1 exec → first serial byte 'X' (ms)", o["x_ms"], q["x_ms"], 1,
             "QEMU/ours ≥ 5", 5.0),
        _row("  exec → VMM process exit (ms)", o["exit_ms"], q["exit_ms"], 1),
        _row("  CPU time, exec → exit (ms)", o["cpu_ms"], q["cpu_ms"], 1),
    ]


def _rows_exits(ex):
    o, q = ex["ours"], ex["qemu"]
    return [
        _row("2 user-space exit round trip (µs)", o["user_rt"], q["user_rt"], 2,
             "ours ≤ ½ QEMU", 2.0),
        _row("  per exit: VMM user-space CPU (µs, rough)", o["user_rt:user"],
             q["user_rt:user"], 2),
        _row("  per exit: kernel CPU (µs, rough)", o["user_rt:sys"], q["user_rt:sys"],
             2),
        # Near the resolution of the method here; a ratio of two tiny medians means nothing.
        _row("  in-kernel exit, inb 0x21 (µs, anchor)", o["kernel_rt"], q["kernel_rt"], 2,
             ratio=False),
        _row("  loop body alone: nop (µs/iteration)", o["exit-nop"], q["exit-nop"], 2),
        _row("  inb 0x1234 loop (µs/iteration)", o["exit-user"], q["exit-user"], 2),
        _row("  inb 0x21 loop (µs/iteration)", o["exit-kernel"], q["exit-kernel"], 2),
    ]


def _rows_rss(mem_mib, m, touch_mib):
    o, q = m["ours"], m["qemu"]

    def col(samples, key):
        return [s[key] for s in samples]
    size = f"{mem_mib // 1024} GiB" if mem_mib >= 1024 else f"{mem_mib} MiB"
    mib = 1 / 1024
    return [
        _row(f"3 RSS overhead, -m {size} (MiB)", col(o, "overhead_peak_kb"),
             col(q, "overhead_peak_kb"), 1, "ours ≤ ¼ QEMU", 4.0, mib),
        _row("  now: private anon (MiB)", col(o, "other_anon_kb"),
             col(q, "other_anon_kb"), 1, unit_scale=mib),
        _row("  now: file-backed, shareable (MiB)", col(o, "other_file_kb"),
             col(q, "other_file_kb"), 1, unit_scale=mib),
        _row("  guest RAM resident (MiB)", col(o, "guest_kb"), col(q, "guest_kb"), 1,
             unit_scale=mib),
        _row(f"  exec → guest touched {touch_mib} MiB (ms)", col(o, "ready_ms"),
             col(q, "ready_ms"), 0),
    ]


def table(vmms, fb, ex, rss, a):
    rows = _rows_first_byte(fb) + _rows_exits(ex)
    for mem_mib, m in rss.items():
        rows += _rows_rss(mem_mib, m, a.touch_mib)
    print(f"{'':<{W_LABEL}}{vmms[0].title:>{W_VAL}}{vmms[1].title:>{W_VAL}}"
          f"{'QEMU/ours':>{W_RATIO}}  {'goal':<{W_GOAL}}met")
    print("-" * (W_LABEL + 2 * W_VAL + W_RATIO + W_GOAL + 6))
    for r in rows:
        _print_row(r)
    print("4 exec → control socket ready: not measured — the control API does not exist "
          "yet\n  (QEMU reference from notes/performance-baselines.md Q11: microvm ~40 ms "
          "wall, ~33 CPU ms)")
    print()
    print("  1: wall time from exec() to the guest's first marker line on the VMM's stdout "
          "pipe.")
    print("  2: (µs/iteration of the port loop) − (µs/iteration of the nop loop), same "
          "round; S/E\n     markers timestamped by the host. QEMU runs the inb 0x21 loop "
          "with kernel-irqchip=on.")
    print("  3: VmHWM − Rss of the guest-RAM mappings (ours: /memfd:vessel-ram-*; QEMU: the "
          f"anonymous\n     -m sized mapping), sampled {a.settle:g} s after the guest "
          "printed 'R'; 'now' splits VmRSS − guest.")
    print()
    return rows


def exit_histograms(stats, loops):
    if not stats:
        print("vessel-helper exit histograms: none reported (--exit-stats printed nothing)")
        return
    print(f"vessel-helper exit histograms (--exit-stats; exit loops run {loops} iterations):")
    for guest in ("first-byte", "exit-nop", "exit-user", "exit-kernel"):
        if guest in stats:
            print(f"  {guest:<12} {stats[guest]}")
    print()


def _nested_hint():
    hints = []
    try:
        with open("/proc/cmdline") as f:
            if "nested_pvm" in f.read():
                hints.append("kernel command line has nested_pvm")
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            if " hypervisor" in f.read():
                hints.append("the CPU reports the 'hypervisor' flag")
    except OSError:
        pass
    return hints


def caveat():
    hints = _nested_hint()
    print("Caveat: compare the two columns of one run, not absolute numbers. If /dev/kvm is "
          "itself\nnested (this dev box: a PVM-style nested hypervisor that emulates guest "
          "instructions at\n~1–2 M instructions/s), guest-CPU time and every exit are ~10× "
          "bare metal; VMM-side\ncosts (start-up, RSS) are real but the box is shared, hence "
          "the min–max spread.")
    if hints:
        print(f"This host looks nested: {'; '.join(hints)}.")
