#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# single-instance.sh VESSEL MAKE-VESSEL (under run-x.sh): `vessel FILE` twice gives one
# window (the second call hands the file to the first process and exits); another file adds a
# window; `vessel` alone adds the library window. Windows are counted as GtkApplication
# exports them on the session bus. TAP output.
set -u
vessel=$1 make=$2
t=$(mktemp -d) || exit 1
export HOME="$t" XDG_CONFIG_HOME="$t/cfg" VESSEL_NO_WIZARD=1
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$t"' EXIT
n=0 fail=0
check() {
	n=$((n + 1)); d=$1; shift
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
windows() {
	gdbus introspect --session --dest io.github.vesselvm.Vessel \
		--object-path /io/github/vesselvm/Vessel/window 2>/dev/null | grep -c '^  node '
}
wait_windows() {	# wait_windows N: up to 10 s for N windows
	i=0
	while [ "$(windows)" != "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(windows)" = "$1" ]
}
command -v gdbus >/dev/null || { echo "1..0 # SKIP gdbus not installed"; exit 0; }
a=$("$make" "$t" "VM A") && b=$("$make" "$t" "VM B") || { echo "Bail out! make-vessel"; exit 1; }
"$vessel" "$a" 2>"$t/first.log" &
pid=$!
check "vessel FILE opens one window" wait_windows 1
check "a second vessel FILE exits at once, handing over" timeout 10 "$vessel" "$a"
check "and the running instance still has one window for it" wait_windows 1
check "another file opens a second window" timeout 10 "$vessel" "$b"
check "two windows now" wait_windows 2
check "vessel with no file adds the library window" timeout 10 "$vessel"
check "three windows now" wait_windows 3
check "the first process is still the one running" kill -0 "$pid"
check "opened files are remembered as recent in library.conf" \
	grep -q "VM A.vessel" "$t/cfg/vessel/library.conf"
echo "1..$n"
exit $fail
