#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the Debian package of this source tree as a user would, with
# 'dpkg-buildpackage -us -uc -b', and runs lintian on it.  The build runs
# in a copy of the tree (the files git knows, committed or not), so that
# nothing is written next to the checkout: dpkg-buildpackage puts its
# results in the parent directory.
#
# Prints on stdout:
#   DEB=<virtio-forwarder_VERSION_ARCH.deb>
#   LINTIAN=<lintian's output, one tag a line>
#   BUILT=1 when it was built now, 0 when it came from the cache
# Everything else goes to stderr.  Cached under
# ${VFWD_PKG_CACHE:-/var/cache/virtio-forwarder-pkgtest}/deb-<key>, the key a
# hash of the tree's files and of this script: an unchanged tree is not
# built twice.  Exits 77 when the build tools cannot be installed.
set -euo pipefail

CACHE=${VFWD_PKG_CACHE:-/var/cache/virtio-forwarder-pkgtest}
SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/../.." && pwd)
# log, die, unavailable ("build-deb: ..." on stderr).
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

export DEBIAN_FRONTEND=noninteractive
missing=()
for spec in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian fakeroot:fakeroot; do
	command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "apt-get install ${missing[*]}"
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 ||
		unavailable "cannot install ${missing[*]}"
fi

# The tree: what git tracks, plus new files it does not ignore.
cd "$ROOT"
# Not what the package cannot depend on (the tests that run elsewhere,
# scripts, documents), so that changing those builds nothing again.
mapfile -d '' FILES < <(git ls-files -z --cached --others --exclude-standard |
	grep -zv -e '^tests/packaging/' -e '^tests/integration/' -e '^tests/vm/' \
		-e '^\.ci/' -e '^scripts/' -e '\.md$')
[ ${#FILES[@]} -gt 0 ] || die "no files from git ls-files in $ROOT"
KEY=$( { cat "$SELF"
	for f in "${FILES[@]}"; do
		[ -f "$f" ] || continue    # deleted, not yet committed
		printf '%s\0' "$f"; sha256sum <"$f"
	done; } | sha256sum | cut -c1-16)
OUT=$CACHE/deb-$KEY

mkdir -p "$CACHE"
exec 9>"$CACHE/.deb.lock"
flock 9

BUILT=0
if [ ! -e "$OUT/.done" ]; then
	W=$(mktemp -d "$CACHE/.deb.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version)
	SRC=$W/virtio-forwarder-$VERSION
	mkdir -p "$SRC"
	for f in "${FILES[@]}"; do
		[ -f "$f" ] && cp --parents -P -- "$f" "$SRC/"
	done
	log "dpkg-buildpackage -us -uc -b (about a minute and a half)"
	(cd "$SRC" && nice -n 19 dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1 || {
		tail -n 40 "$W/build.log" >&2
		die "dpkg-buildpackage failed (log above)"
	}
	DEB=$(ls "$W"/virtio-forwarder_*.deb)
	# --info and --pedantic: every tag that lintian has, overrides
	# excepted (debian/virtio-forwarder.lintian-overrides says why each).
	log "lintian"
	lintian --info --pedantic "$W"/virtio-forwarder_*.changes >"$W/lintian.txt" 2>"$W/lintian.err" || true
	grep -v 'running with root privileges' "$W/lintian.err" >&2 || true
	mkdir -p "$W/out"
	mv "$DEB" "$W/lintian.txt" "$W/build.log" "$W/out/"
	rm -rf "$OUT"
	mv "$W/out" "$OUT"
	touch "$OUT/.done"
	BUILT=1
	# Builds of other trees: keep those of the last hour (another checkout
	# may be using them right now).
	find "$CACHE" -maxdepth 1 -name 'deb-*' ! -path "$OUT" -mmin +60 \
		-exec rm -rf {} + 2>/dev/null || true
fi

echo "DEB=$(ls "$OUT"/virtio-forwarder_*.deb)"
echo "LINTIAN=$OUT/lintian.txt"
echo "BUILT=$BUILT"
