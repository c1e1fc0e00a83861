#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mime.sh MIME-XML MAKE-VESSEL: install our shared-mime-info XML into a temp XDG_DATA_HOME,
# then xdg-mime (as GNOME Files asks it) must call a .vessel file application/x-vessel-vm,
# by glob and, for a file without the extension, by the magic vessel_file_create() writes.
# TAP output.
set -u
xml=$1 make=$2
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
n=0 fail=0
check() {	# check DESCRIPTION COMMAND...: ok if the command succeeds
	n=$((n + 1)); d=$1; shift
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
query() {
	XDG_CURRENT_DESKTOP=GNOME XDG_DATA_HOME="$t/share" XDG_DATA_DIRS=/usr/share \
		xdg-mime query filetype "$1" 2>/dev/null
}
for p in update-mime-database xdg-mime gio; do
	if ! command -v "$p" >/dev/null; then
		[ "${CI:-}" = true ] && { echo "Bail out! $p missing"; exit 1; }
		echo "1..0 # SKIP $p not installed"; exit 0
	fi
done
vessel=$("$make" "$t" "Test VM") || { echo "Bail out! make-vessel failed"; exit 1; }
cp "$vessel" "$t/noext"
check "before installing, the file is not application/x-vessel-vm" \
	test "$(query "$vessel")" != application/x-vessel-vm
mkdir -p "$t/share/mime/packages"
cp "$xml" "$t/share/mime/packages/io.github.vesselvm.Vessel.xml"
check "update-mime-database accepts the XML" update-mime-database "$t/share/mime"
check "x.vessel is application/x-vessel-vm (glob)" \
	test "$(query "$vessel")" = application/x-vessel-vm
check "a vessel_file_create() file without the extension matches by magic" \
	test "$(query "$t/noext")" = application/x-vessel-vm
printf 'hello\n' > "$t/plain.txt"
check "an ordinary text file does not" test "$(query "$t/plain.txt")" != application/x-vessel-vm
echo "1..$n"
exit $fail
