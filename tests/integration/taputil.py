# SPDX-License-Identifier: GPL-2.0-or-later
"""What the integration tests share: TAP lines, waiting, finding PyGObject, and a helper
started with --control-fd."""

import os
import socket
import subprocess
import sys
import time

checks = []


def ok(cond, what):
    """One TAP line; a multi-line description is folded onto one line."""
    checks.append(bool(cond))
    what = ' | '.join(line.strip() for line in str(what).splitlines())
    print('%s %d - %s' % ('ok' if cond else 'not ok', len(checks), what), flush=True)
    return cond


def done():
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


def wait_for(pred, timeout=20.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def reexec_with_gi():
    """PyGObject comes from Debian's python3-gi: run under /usr/bin/python3 if this one lacks it."""
    try:
        import gi  # noqa: F401
    except ImportError:
        if os.path.exists('/usr/bin/python3') and sys.executable != '/usr/bin/python3':
            os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)


def kvm_gate():
    """None when KVM is usable; else the exit status after saying why (77 skip, 1 under CI)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    from kvmcheck import kvm_problem, ci_requires_kvm
    problem = kvm_problem()
    if not problem:
        return None
    print('# ' + problem)
    if ci_requires_kvm():
        print('not ok 1 - KVM is required under CI=true')
        return 1
    print('1..0 # SKIP ' + problem)
    return 77


def start_helper(helper, args, **popen):
    """vessel-helper ARGS with --control-fd on one end of a socketpair: (its Popen, a D-Bus
    peer-to-peer connection over the other end, as the app has). popen: stdout, stdin, env..."""
    from gi.repository import Gio
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([helper, '--control-fd', str(theirs.fileno())] + args,
                            pass_fds=[theirs.fileno()], **popen)
    theirs.close()
    gsock = Gio.Socket.new_from_fd(os.dup(ours.fileno()))
    ours.close()
    conn = Gio.DBusConnection.new_sync(
        gsock.connection_factory_create_connection(), None,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT, None, None)
    return proc, conn
