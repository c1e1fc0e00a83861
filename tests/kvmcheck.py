# SPDX-License-Identifier: GPL-2.0-or-later
"""One definition of "KVM is usable here" for every test runner that boots a guest.

Runners skip (exit 77) with the reason when this returns one, except under CI=true, where a
missing or unusable /dev/kvm is a failure (see installer/bootstrap).
"""

import fcntl
import os

KVM_GET_API_VERSION = 0xAE00


def kvm_problem(path='/dev/kvm'):
    """None if the KVM device can be used, else why not."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return ('%s does not exist: the kvm module is not loaded or virtualization '
                'is switched off in the firmware (run "vesselctl check")' % path)
    except PermissionError:
        return 'no permission to open %s (is this user in the "kvm" group?)' % path
    except OSError as e:
        return '%s cannot be opened: %s' % (path, e.strerror)
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return 'KVM_GET_API_VERSION failed: %s' % e.strerror
    finally:
        os.close(fd)
    if version != 12:
        return 'KVM API version %d, want 12' % version
    return None


def ci_requires_kvm():
    return os.environ.get('CI') == 'true'
