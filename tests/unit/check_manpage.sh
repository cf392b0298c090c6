#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Checks that the man page documents the daemon's command line: every long
# option that `virtio-forwarder --help` lists must appear in the OPTIONS
# section of the man page, and every configuration variable that --help
# names must appear in its CONFIGURATION FILE section.
#
# Usage: check_manpage.sh DAEMON MANPAGE
# Exits 0 when all are documented, 1 naming each one that is missing.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 DAEMON MANPAGE" >&2
	exit 1
fi
manpage=$2
. "$(dirname "$0")/manpage_lib.sh"
manpage_setup "$1" "$manpage"

# Long options: the option column of --help, "  -C, --cpus=LIST" or
# "      --file-prefix=NAME".  Prose lines do not start with blanks and a
# dash, so "--option=VALUE" in the explanations is not taken.
mapfile -t options < <(printf '%s\n' "$help" |
	sed -nE 's/^[[:space:]]+(-[[:alnum:]], )?--([[:alnum:]][[:alnum:]-]*).*/\2/p' |
	sort -u)
# Variables: every VIRTIOFWD_* or VIO4WD_* name in the text.
mapfile -t variables < <(printf '%s\n' "$help" |
	grep -oE '\b(VIRTIOFWD|VIO4WD)_[A-Z0-9_]*[A-Z0-9]\b' | sort -u)

if [ ${#options[@]} -lt 10 ]; then
	echo "FAIL: found only ${#options[@]} long options in --help;" \
		"has its format changed?" >&2
	exit 1
fi

# Prints section NAME of the plain text (from its .SH line to the next).
section() {
	printf '%s\n' "$plain" | awk -v name="$1" '
		/^\.SH/ {
			title = $0
			sub(/^\.SH[[:space:]]+/, "", title)
			gsub(/"/, "", title)
			on = (title == name)
			next
		}
		on'
}
options_text=$(section "OPTIONS")
config_text=$(section "CONFIGURATION FILE")

status=0
if [ -z "$options_text" ]; then
	echo "FAIL: the man page has no OPTIONS section" >&2
	status=1
fi
if [ -z "$config_text" ]; then
	echo "FAIL: the man page has no CONFIGURATION FILE section" >&2
	status=1
fi

for opt in "${options[@]}"; do
	if ! printf '%s\n' "$options_text" |
		grep -qE -- "(^|[^[:alnum:]-])--${opt}([^[:alnum:]-]|\$)"; then
		echo "FAIL: option --$opt is not documented in OPTIONS of $manpage"
		status=1
	fi
done
for var in "${variables[@]}"; do
	if ! printf '%s\n' "$config_text" |
		grep -qE -- "(^|[^[:alnum:]_])${var}([^[:alnum:]_]|\$)"; then
		echo "FAIL: variable $var is not documented in CONFIGURATION FILE of $manpage"
		status=1
	fi
done

if [ $status -eq 0 ]; then
	echo "ok: ${#options[@]} long options and ${#variables[@]} variables" \
		"of --help are documented in $manpage"
fi
exit $status
