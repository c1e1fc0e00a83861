# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark plumbing: spawn a VMM, timestamp its output lines, sample its memory, statistics."""

import os
import select
import signal
import statistics
import time


class RunResult:
    """What one VMM process did: when each output line arrived, how it ended, what it cost."""

    def __init__(self):
        self.lines = []          # (ms since exec, text) for every stdout line
        self.exit_ms = None      # exec -> process gone (None if we had to kill it)
        self.status = None       # exit status, or -signal
        self.cpu_ms = None       # user + system CPU time of the process
        self.user_ms = None      # of which in user space (split by tick sampling)
        self.sample = None       # memory sample taken while it ran (see sample_memory)
        self.stderr = ""
        self.timed_out = False

    def first(self, text):
        """ms since exec at which a line equal to `text` first appeared, or None."""
        for t, line in self.lines:
            if line == text:
                return t
        return None


def _spawn(cmd, stderr_path):
    """posix_spawn with stdout on a pipe, stderr to a file, stdin from /dev/null."""
    rfd, wfd = os.pipe()
    null = os.open(os.devnull, os.O_RDONLY)
    errfd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    actions = [
        (os.POSIX_SPAWN_DUP2, null, 0),
        (os.POSIX_SPAWN_DUP2, wfd, 1),
        (os.POSIX_SPAWN_DUP2, errfd, 2),
        (os.POSIX_SPAWN_CLOSE, rfd),
    ]
    try:
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
    finally:
        os.close(wfd)
        os.close(null)
        os.close(errfd)
    return pid, rfd


def _reap(pid, res, t0, killed):
    """Collect the child's status and rusage; True when it is gone."""
    wpid, status, ru = os.wait4(pid, 0 if killed else os.WNOHANG)
    if wpid == 0:
        return False
    if not killed:
        res.exit_ms = (time.monotonic_ns() - t0) / 1e6
    res.status = os.waitstatus_to_exitcode(status)
    res.cpu_ms = (ru.ru_utime + ru.ru_stime) * 1e3
    res.user_ms = ru.ru_utime * 1e3
    return True


def run_vmm(cmd, stderr_path, timeout, sample_after=None, settle=0.0, sampler=None):
    """
    Run `cmd` until it exits (or `timeout` seconds pass), timestamping each stdout line.
    With `sample_after` (a line, e.g. "R"): `settle` seconds after that line appeared, call
    sampler(pid) while the process still runs, store the result in .sample and kill it.
    """
    res = RunResult()
    t0 = time.monotonic_ns()
    pid, fd = _spawn(cmd, stderr_path)
    buf = b""
    deadline = time.monotonic() + timeout
    sample_at = None
    gone = False
    try:
        while True:
            now = time.monotonic()
            if sample_at is not None and now >= sample_at:
                res.sample = sampler(pid)
                break
            if now >= deadline:
                res.timed_out = True
                break
            wait = min(deadline, sample_at or deadline) - now
            ready, _, _ = select.select([fd], [], [], max(wait, 0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            stamp = (time.monotonic_ns() - t0) / 1e6
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace").strip()
                res.lines.append((stamp, text))
                if sample_after and text == sample_after and sample_at is None:
                    sample_at = time.monotonic() + settle
        if res.sample is None and not res.timed_out:
            # EOF on stdout: the process is exiting; give it a moment.
            end = time.monotonic() + 5
            gone = _reap(pid, res, t0, killed=False)
            while not gone and time.monotonic() < end:
                time.sleep(0.001)
                gone = _reap(pid, res, t0, killed=False)
    finally:
        if not gone:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(pid, res, t0, killed=True)
        os.close(fd)
    with open(stderr_path, errors="replace") as f:
        res.stderr = f.read()
    return res


def _status_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(val.split()[0])
    return out


def _smaps(pid):
    """Yield (size_kb, path, {field: kb}) for every mapping in /proc/PID/smaps."""
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):
                if cur:
                    yield cur
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                path = " ".join(parts[5:]) if len(parts) > 5 else ""
                cur = ((hi - lo) // 1024, path, {})
            elif cur and len(parts) >= 2 and parts[1].isdigit():
                cur[2][parts[0][:-1]] = int(parts[1])
    if cur:
        yield cur


def sample_memory(pid, is_guest_ram):
    """
    Resident memory of a running VMM, split into guest RAM and the VMM's own overhead.
    is_guest_ram(size_kb, path) picks the guest-RAM mappings. Of the rest, "anon" is
    private anonymous memory (heap, stacks, CoW'd pages: smaps "Anonymous") and "file"
    is everything else resident (binary, libraries, shared memory).
    """
    st = _status_kb(pid)
    guest = anon = file = 0
    for size_kb, path, f in _smaps(pid):
        rss = f.get("Rss", 0)
        if is_guest_ram(size_kb, path):
            guest += rss
            continue
        a = f.get("Anonymous", 0)
        anon += a
        file += rss - a
    return {
        "hwm_kb": st.get("VmHWM"), "rss_kb": st.get("VmRSS"), "guest_kb": guest,
        "other_anon_kb": anon, "other_file_kb": file,
        "overhead_peak_kb": st.get("VmHWM", 0) - guest,
        "overhead_now_kb": anon + file,
    }


def summary(values):
    """(median, min, max) of the non-None values, or None if there are none."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return (statistics.median(v), min(v), max(v))


def fmt(s, digits=1):
    """'median [min–max]' for a summary() triple."""
    if s is None:
        return "n/a"
    m, lo, hi = s
    return f"{m:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"
