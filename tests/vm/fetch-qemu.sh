#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Fetches (once) QEMU 10 and SeaBIOS from bookworm-backports into a private
# prefix under the kit's cache, for the tests with a real SR-IOV VF (QEMU's
# emulated igb, which QEMU 7.2 lacks).  The system's QEMU and apt sources
# stay as they are: apt runs with a private configuration (its own sources
# directory, package lists and cache under the prefix), and the packages
# are unpacked with dpkg-deb -x, not installed.
#
# Prints on stdout:
#   QEMU=<path>        the qemu-system-x86_64 binary
#   QEMU_DATA=<dir>    its data directory (QEMU's first -L)
#   QEMU_BIOS=<dir>    SeaBIOS's directory (the second -L)
#   QEMU_MODULES=<dir> its module directory (QEMU_MODULE_DIR)
#   QEMU_VERSION=<version>
# Exit status 77 when the packages cannot be had (no mirror reachable).
#
# Environment:
#   VFWD_VM_CACHE   cache directory (default /var/cache/virtio-forwarder-tests)
#   VFWD_QEMU_SUITE suite to take QEMU from (default bookworm-backports)
#   VFWD_DEBIAN_MIRROR  mirror (default http://deb.debian.org/debian)
set -euo pipefail

CACHE=${VFWD_VM_CACHE:-/var/cache/virtio-forwarder-tests}
SUITE=${VFWD_QEMU_SUITE:-bookworm-backports}
MIRROR=${VFWD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PKGS="qemu-system-x86 qemu-system-common qemu-system-data seabios"

# log, die, unavailable ("fetch-qemu: ..." on stderr).
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib.sh"

[ -r "$KEYRING" ] || unavailable "$KEYRING missing (package debian-archive-keyring)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.qemu.lock"
flock 9   # concurrent test runs fetch once

Q=$CACHE/qemu-$SUITE
if [ ! -e "$Q/.done" ]; then
	rm -rf "$Q"
	A=$Q/apt
	mkdir -p "$A/sources" "$A/lists/partial" "$A/cache/archives/partial" "$Q/dl"
	cat >"$A/sources/vfwd-qemu.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Signed-By: $KEYRING
EOF
	APT=(apt-get -q -o "Dir::Etc::SourceList=/dev/null"
		-o "Dir::Etc::SourceParts=$A/sources" -o "Dir::State::Lists=$A/lists"
		-o "Dir::Cache=$A/cache" -o "Debug::NoLocking=1")
	log "apt-get update ($SUITE, private lists in $A)"
	"${APT[@]}" update >&2 || unavailable "apt-get update of $SUITE failed (no mirror?)"
	chown _apt "$Q/dl" 2>/dev/null || true   # apt-get download's sandbox user
	log "apt-get download $PKGS"
	(cd "$Q/dl" && "${APT[@]}" download $PKGS >&2) ||
		unavailable "apt-get download $PKGS from $SUITE failed"
	for deb in "$Q"/dl/*.deb; do
		dpkg-deb -x "$deb" "$Q/root"
	done
	rm -rf "$Q/dl" "$A/cache"
	touch "$Q/.done"
fi

BIN=$Q/root/usr/bin/qemu-system-x86_64
[ -x "$BIN" ] || die "no $BIN"
MODDIR=$(ls -1d "$Q"/root/usr/lib/x86_64-linux-gnu/qemu 2>/dev/null | head -n1)
VERSION=$(QEMU_MODULE_DIR=$MODDIR "$BIN" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
[ -n "$VERSION" ] || die "$BIN does not run"
echo "QEMU=$BIN"
echo "QEMU_DATA=$Q/root/usr/share/qemu"
echo "QEMU_BIOS=$Q/root/usr/share/seabios"
echo "QEMU_MODULES=$MODDIR"
echo "QEMU_VERSION=$VERSION"
