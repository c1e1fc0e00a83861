#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Flatpak manifest parses and asks for what Vessel needs (and nothing it should not).

The manifest cannot be built here (no runtime download), so this checks its syntax (PyYAML,
and flatpak-builder --show-manifest when installed), its permissions, and that every module
builds from source pinned by a release tag. Usage: check-manifest.py MANIFEST
"""

import shutil
import subprocess
import sys

checks = []


def ok(cond, what):
    checks.append(bool(cond))
    print('%s %d - %s' % ('ok' if cond else 'not ok', len(checks), what), flush=True)


def main():
    path = sys.argv[1]
    try:
        import yaml
    except ImportError:
        if sys.executable != '/usr/bin/python3':
            import os
            os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
        print('not ok 1 - PyYAML (Debian python3-yaml) is needed')
        return 1
    m = yaml.safe_load(open(path))
    ok(m.get('app-id') == 'io.github.vesselvm.Vessel' and m.get('command') == 'vessel',
       'app id and command')
    ok(m.get('runtime') == 'org.gnome.Platform' and m.get('sdk') == 'org.gnome.Sdk',
       'the GNOME runtime and SDK')
    args = m.get('finish-args', [])
    for need in ('--device=kvm', '--socket=wayland', '--socket=pulseaudio', '--share=network',
                 '--system-talk-name=io.github.vesselvm.Vessel.Broker1'):
        ok(need in args, 'finish-args has %s' % need)
    ok('--device=all' not in args and '--filesystem=host' not in args and
       not any(a.startswith('--talk-name=org.freedesktop.Flatpak') for a in args),
       'no device=all, no host filesystem, no sandbox escape')
    mods = m.get('modules', [])
    names = [x['name'] for x in mods]
    ok(names[-1] == 'vessel' and {'spice-server', 'seabios', 'acpica'} <= set(names),
       'modules: %s, Vessel last' % names)
    git = [s for x in mods for s in x.get('sources', []) if s.get('type') == 'git']
    ok(git and all(s.get('tag') and s.get('url', '').startswith('https://') for s in git),
       'every fetched source is an https git URL pinned by a tag (%d)' % len(git))
    fb = shutil.which('flatpak-builder')
    if fb:
        r = subprocess.run([fb, '--show-manifest', path], capture_output=True, text=True)
        ok(r.returncode == 0 and '"io.github.vesselvm.Vessel"' in r.stdout,
           'flatpak-builder --show-manifest parses it')
    else:
        print('# flatpak-builder is not installed: its own parse is skipped')
    print('1..%d' % len(checks))
    return 0 if all(checks) else 1


if __name__ == '__main__':
    sys.exit(main())
