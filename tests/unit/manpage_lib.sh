# SPDX-License-Identifier: BSD-3-Clause
#
# What check_manpage.sh and check_ctl_manpage.sh share; sourced by both.
#
# manpage_setup PROGRAM MANPAGE: sets $help to `PROGRAM --help` and $plain
# to the man page as plain text, or exits 1 saying why.  The plain text
# has comments dropped and the troff escapes that can sit inside an
# option name (\- \f[BIRP] \f(XX \f[X] \& \%) removed.
manpage_setup() {
	if ! help=$("$1" --help 2>&1); then
		echo "FAIL: '$1 --help' failed:" >&2
		printf '%s\n' "$help" >&2
		exit 1
	fi
	if [ ! -r "$2" ]; then
		echo "FAIL: cannot read the man page $2" >&2
		exit 1
	fi
	plain=$(sed -E -e '/^[.'"'"']\\"/d' \
		-e 's/\\-/-/g' \
		-e 's/\\f[BIRP]//g' -e 's/\\f\([[:alnum:]]{2}//g' \
		-e 's/\\f\[[^]]*\]//g' \
		-e 's/\\&//g' -e 's/\\%//g' "$2")
}
