#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Checks that vfwdctl(1) documents the client's command line: every
# command that `vfwdctl --help` lists, and every long option named by
# `vfwdctl --help` or `vfwdctl COMMAND --help`, must appear in the page;
# so must each of the six 1.x tool names and every flag of its --help.
#
# Usage: check_ctl_manpage.sh VFWDCTL MANPAGE
# Exits 0 when all are documented, 1 naming each one that is missing.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 VFWDCTL MANPAGE" >&2
	exit 1
fi
ctl=$1
manpage=$2
. "$(dirname "$0")/manpage_lib.sh"
manpage_setup "$ctl" "$manpage"

# Commands: the indented words of the "Commands:" block.
mapfile -t commands < <(printf '%s\n' "$help" |
	awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
if [ ${#commands[@]} -lt 5 ]; then
	echo "FAIL: found only ${#commands[@]} commands in --help;" \
		"has its format changed?" >&2
	exit 1
fi

all=$help
for cmd in "${commands[@]}"; do
	[ "$cmd" = help ] && continue
	if ! out=$("$ctl" "$cmd" --help 2>&1); then
		echo "FAIL: '$ctl $cmd --help' failed:" >&2
		printf '%s\n' "$out" >&2
		exit 1
	fi
	all+=$'\n'$out
done
mapfile -t options < <(printf '%s\n' "$all" |
	grep -oE -- '--[[:alnum:]][[:alnum:]-]*[[:alnum:]]' | sort -u)

status=0
for cmd in "${commands[@]}"; do
	if ! printf '%s\n' "$plain" | grep -qE "^\.(SS|TP|B)?[[:space:]]*$cmd\$|^\.SS[[:space:]]+$cmd\b|^\.B[[:space:]]+$cmd\$"; then
		echo "FAIL: command $cmd is not documented in $manpage"
		status=1
	fi
done
for opt in "${options[@]}"; do
	if ! printf '%s\n' "$plain" | grep -qE -- "(^|[^[:alnum:]-])${opt}([^[:alnum:]-]|\$)"; then
		echo "FAIL: option $opt is not documented in $manpage"
		status=1
	fi
done

# The six 1.x tool names: each, and every flag of its help, in the section
# "1.x NAMES".
names=(virtioforwarder_port_control.py virtioforwarder_stats.py
	virtioforwarder_core_pinner.py virtioforwarder_monitor_load.py
	virtioforwarder_core_scheduler.py virtioforwarder_config.py)
section=$(printf '%s\n' "$plain" | awk '/^\.SH/ { on = ($0 ~ /1\.x NAMES/); next } on')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_flags=0
for name in "${names[@]}"; do
	ln -s "$(readlink -f "$ctl")" "$tmp/$name"
	if ! out=$("$tmp/$name" --help 2>&1); then
		echo "FAIL: '$name --help' failed:" >&2
		printf '%s\n' "$out" >&2
		exit 1
	fi
	if ! printf '%s\n' "$section" | grep -qF -- "$name"; then
		echo "FAIL: $name is not documented in 1.x NAMES of $manpage"
		status=1
	fi
	while read -r flag; do
		n_flags=$((n_flags + 1))
		if ! printf '%s\n' "$section" |
			grep -qE -- "(^|[^[:alnum:]_-])${flag}([^[:alnum:]_-]|\$)"; then
			echo "FAIL: $name's $flag is not documented in 1.x NAMES of $manpage"
			status=1
		fi
	done < <(printf '%s\n' "$out" | sed -n '/^optional arguments:/,$p' |
		grep -oE -- '^  (-[a-z], )?--[a-z_-]+' | grep -oE -- '--[a-z_-]+')
done

if [ $status -eq 0 ]; then
	echo "ok: ${#commands[@]} commands and ${#options[@]} long options" \
		"of vfwdctl, and ${#names[@]} 1.x names with $n_flags flags, are" \
		"documented in $manpage"
fi
exit $status
