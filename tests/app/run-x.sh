#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run one app test under its own Xvfb (Mesa software GL) and D-Bus session, so `meson test`
# works headless. Without xvfb-run the test is skipped (TAP), except under CI=true.
if ! command -v xvfb-run >/dev/null 2>&1 || ! command -v dbus-run-session >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "xvfb-run or dbus-run-session missing (installer/bootstrap deps)" >&2
		exit 1
	fi
	echo "1..0 # SKIP xvfb-run or dbus-run-session not installed"
	exit 0
fi
export GDK_BACKEND=x11 LIBGL_ALWAYS_SOFTWARE=1 GTK_A11Y=none NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=memory ADW_DISABLE_PORTAL=1 GTK_USE_PORTAL=0
exec xvfb-run -a -s "-screen 0 2560x1600x24 -nolisten tcp" dbus-run-session -- "$@"
