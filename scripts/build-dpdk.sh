#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds DPDK from Debian's own source package with more Ethernet ports
# (RTE_MAX_ETHPORTS, 256 by default) than Debian's build (32), so that all
# 64 relays can have a device, bonds included.  Only what the daemon can use
# is built: the bus, mempool and net drivers below, and dpdk-testpmd (the
# tests need a peer that allows as many ports).  The result is installed
# once per machine under /var/cache/, in a directory named after the DPDK
# version and a hash of the build options, and reused from there.
#
#   sudo scripts/build-dpdk.sh             build if missing; print the prefix
#                                          (progress goes to stderr)
#   sudo scripts/build-dpdk.sh --daemon    the same, then build the daemon and
#                                          vfwdctl against it in build-64/
#   scripts/build-dpdk.sh --prefix         print the prefix if built, else exit 1
#
# The source comes from a deb-src entry the script gives apt for its own run
# only (a private sources list, lists and cache directory); the system's
# apt configuration is not touched.  Libraries are built static and
# dpdk-testpmd is linked statically, so nothing needs the cache directory
# at run time except through the binaries built from it.
#
# Environment:
#   VFWD_DPDK_CACHE          cache directory (default /var/cache/virtio-forwarder-dpdk)
#   VFWD_DPDK_MAX_ETHPORTS   RTE_MAX_ETHPORTS (default 256; 64 to 1024)
#   VFWD_DPDK_VERSION        Debian source version (default: the installed
#                            libdpdk-dev's, else apt's candidate)
#   VFWD_DEBIAN_MIRROR       default http://deb.debian.org/debian
#   VFWD_DEBIAN_SECURITY     default http://deb.debian.org/debian-security
#   VFWD_DPDK_JOBS           parallel compile jobs (default: ninja's choice)
#   VFWD_DPDK_SET            full (default): the drivers below, NICs included;
#                            tests: only the virtual devices and bonding the
#                            tests drive (scripts/test.sh), without the NIC
#                            drivers that are most of the compile time (3
#                            min instead of 15 on 2 CPUs)
set -u
. "$(dirname "$0")/lib.sh"

CACHE=${VFWD_DPDK_CACHE:-/var/cache/virtio-forwarder-dpdk}
MAX_ETHPORTS=${VFWD_DPDK_MAX_ETHPORTS:-256}
MIRROR=${VFWD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${VFWD_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Bumped whenever the recipe changes in a way the options below do not show.
RECIPE=1

# What the daemon can drive: the vdevs of the tests and the demo, bonding,
# and the VF (and PF) drivers of common SR-IOV NICs.  mlx5 and af_xdp are
# added below when their build dependencies are there.
DRIVERS="bus/pci bus/vdev mempool/ring common/iavf
  net/vhost net/virtio net/ring net/null net/tap net/af_packet net/memif
  net/pcap net/bonding
  net/iavf net/i40e net/ixgbe net/ice net/e1000 net/nfp net/bnxt"
# What the tests drive (VFWD_DPDK_SET=tests): no NIC driver, whose
# compile time is most of the build's.
TEST_DRIVERS="bus/pci bus/vdev mempool/ring net/vhost net/virtio net/ring net/null
  net/af_packet net/bonding"
# Libraries nothing here uses (the rest cannot be disabled in 22.11).
DISABLE_LIBS="bitratestats cfgfile flow_classify gpudev jobstats kni latencystats
  metrics node pdump pipeline port power table"

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
}

mode=build
case "${1:-}" in
"") ;;
--prefix) mode=prefix ;;
--daemon) mode=daemon ;;
-h|--help) usage; exit 0 ;;
*) usage >&2; die "unknown argument '$1' (allowed: --prefix, --daemon, --help)" ;;
esac
[ $# -le 1 ] || die "one argument at most"

case "$MAX_ETHPORTS" in
''|*[!0-9]*) die "VFWD_DPDK_MAX_ETHPORTS=$MAX_ETHPORTS: must be a number from 64 to 1024" ;;
esac
[ "$MAX_ETHPORTS" -ge 64 ] && [ "$MAX_ETHPORTS" -le 1024 ] ||
	die "VFWD_DPDK_MAX_ETHPORTS=$MAX_ETHPORTS: must be a number from 64 to 1024"
case "$CACHE" in
/*) ;;
*) die "VFWD_DPDK_CACHE=$CACHE: must be an absolute path" ;;
esac

# The Debian version of DPDK to build: the one the default build uses.
version=${VFWD_DPDK_VERSION:-}
if [ -z "$version" ]; then
	version=$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)
	[ -n "$version" ] ||
		version=$(apt-cache policy libdpdk-dev 2>/dev/null | awk '/Candidate:/ { print $2 }')
	case "$version" in
	''|'(none)') die "no DPDK version known: install libdpdk-dev, or set VFWD_DPDK_VERSION" ;;
	esac
fi
case "$version" in
22.11*) ;;
*) die "DPDK $version: the daemon is written for DPDK 22.11 (set VFWD_DPDK_VERSION)" ;;
esac

case "${VFWD_DPDK_SET:-full}" in
full)
	# The optional drivers whose dependencies are Debian packages
	# installed here (scripts/lib.sh lists them, so CI has them).
	drivers=$DRIVERS
	pkg-config --exists libxdp libbpf 2>/dev/null && drivers+=" net/af_xdp"
	pkg-config --exists libmlx5 libibverbs 2>/dev/null &&
		drivers+=" bus/auxiliary common/mlx5 net/mlx5"
	;;
tests) drivers=$TEST_DRIVERS ;;
*) die "VFWD_DPDK_SET=$VFWD_DPDK_SET: allowed are full and tests" ;;
esac
drivers=$(echo $drivers | tr ' ' '\n' | sort | tr '\n' ',' | sed 's/,$//')
libs=$(echo $DISABLE_LIBS | tr ' ' ',')

# Everything that changes the result goes into the key.
OPTS=(-Dmax_ethports="$MAX_ETHPORTS" -Dplatform=generic -Ddefault_library=static
      -Dbuildtype=release -Denable_drivers="$drivers" -Ddisable_libs="$libs"
      -Denable_apps=test-pmd -Dtests=false -Dexamples= -Denable_docs=false
      -Denable_kmods=false)
hash=$(printf '%s\n' "recipe $RECIPE" "${OPTS[@]}" "$(gcc -dumpfullversion 2>/dev/null)" |
	sha256sum | cut -c1-12)
PREFIX=$CACHE/dpdk-$version-ports$MAX_ETHPORTS-$hash

if [ "$mode" = prefix ]; then
	[ -f "$PREFIX/.complete" ] || exit 1
	echo "$PREFIX"
	exit 0
fi

vfwd_need_root "$@"
work=
lockfd=
cleanup() {
	[ -n "$work" ] && rm -rf "$work"
	# A build that did not finish leaves nothing behind.
	[ -n "$lockfd" ] && [ ! -f "$PREFIX/.complete" ] && rm -rf "$PREFIX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$CACHE" || die "cannot create $CACHE"
exec {lockfd}>"$CACHE/.lock" || die "cannot open $CACHE/.lock"
if ! flock -n "$lockfd"; then
	echo "==> another build of DPDK holds $CACHE/.lock: waiting" >&2
	flock "$lockfd" || die "cannot lock $CACHE/.lock"
fi

if [ ! -f "$PREFIX/.complete" ]; then
	# shellcheck disable=SC2086
	vfwd_install_packages $VFWD_DPDK_BUILD_PACKAGES >&2 || exit 1
	[ -r "$KEYRING" ] || die "$KEYRING missing (Debian package debian-archive-keyring)"
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"

	start=$(date +%s)
	rm -rf "$PREFIX"
	work=$(mktemp -d /var/tmp/vfwd-dpdk.XXXXXX) || die "mktemp failed"
	chmod 755 "$work"
	# apt for this run only: a deb-src entry of Debian's archive, signed
	# by Debian's key, with its own lists and cache.
	mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" \
		"$work/apt/parts" "$work/src"
	cat >"$work/apt/sources.list" <<EOF
deb-src [signed-by=$KEYRING] $MIRROR $codename main
deb-src [signed-by=$KEYRING] $MIRROR $codename-updates main
deb-src [signed-by=$KEYRING] $SECURITY $codename-security main
EOF
	apt=(apt-get -q -o Dir::Etc::SourceList="$work/apt/sources.list"
	     -o Dir::Etc::SourceParts="$work/apt/parts"
	     -o Dir::State::Lists="$work/apt/lists"
	     -o Dir::Cache="$work/apt/cache")
	# apt downloads as user _apt where it can.
	id _apt >/dev/null 2>&1 && chown _apt "$work/src" "$work/apt/lists/partial" \
		"$work/apt/cache/archives/partial"
	echo "==> fetching the source of dpdk $version (Debian $codename, deb-src for this run only)" >&2
	"${apt[@]}" update >"$work/apt.log" 2>&1 ||
		{ tail -n 20 "$work/apt.log" >&2; die "apt-get update of the private deb-src list failed"; }
	(cd "$work/src" && "${apt[@]}" source "dpdk=$version") >>"$work/apt.log" 2>&1 ||
		{ tail -n 20 "$work/apt.log" >&2; die "apt-get source dpdk=$version failed"; }
	srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'dpdk-*' | head -n 1)
	[ -n "$srcdir" ] && [ -f "$srcdir/meson.build" ] || die "no DPDK source tree in $work/src"

	echo "==> configuring DPDK $version: max_ethports=$MAX_ETHPORTS, drivers $drivers" >&2
	meson setup "$work/build" "$srcdir" --prefix="$PREFIX" --libdir=lib \
		"${OPTS[@]}" >"$work/meson.log" 2>&1 ||
		{ tail -n 30 "$work/meson.log" >&2; die "meson setup of DPDK failed (log above)"; }
	# Measured on 2 CPUs, fetch to install: the full set 15 min, the
	# tests' set 3 min (at nice 19 beside the test command).
	if [ "${VFWD_DPDK_SET:-full}" = tests ]; then
		echo "==> compiling DPDK (nice 19; a few minutes on 2 CPUs)" >&2
	else
		echo "==> compiling DPDK (nice 19; about a quarter of an hour on 2 CPUs)" >&2
	fi
	nice -n 19 ninja -C "$work/build" ${VFWD_DPDK_JOBS:+-j "$VFWD_DPDK_JOBS"} >"$work/ninja.log" 2>&1 ||
		{ grep -B2 -A10 -m3 'error' "$work/ninja.log" >&2; die "compiling DPDK failed"; }
	meson install -C "$work/build" --no-rebuild >"$work/install.log" 2>&1 ||
		{ tail -n 20 "$work/install.log" >&2; die "installing DPDK into $PREFIX failed"; }
	# Shared objects are not needed: the daemon and testpmd link statically.
	find "$PREFIX/lib" -name '*.so*' -delete
	grep -q "define RTE_MAX_ETHPORTS $MAX_ETHPORTS\$" "$PREFIX/include/rte_build_config.h" ||
		die "the installed DPDK does not say RTE_MAX_ETHPORTS $MAX_ETHPORTS"
	[ -x "$PREFIX/bin/dpdk-testpmd" ] || die "dpdk-testpmd was not built"
	secs=$(($(date +%s) - start))
	{
		echo "DPDK $version from Debian's source package, built by scripts/build-dpdk.sh"
		echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $secs s on $(nproc) CPUs"
		echo "options: ${OPTS[*]}"
	} >"$PREFIX/BUILD-INFO"
	touch "$PREFIX/.complete"
	echo "==> DPDK built in $((secs / 60)) min $((secs % 60)) s: $PREFIX ($(du -sh "$PREFIX" | cut -f1))" >&2
fi

if [ "$mode" = daemon ]; then
	cd "$VFWD_ROOT" || exit 1
	vfwd_install_deps >&2 || exit 1
	echo "==> building the daemon and vfwdctl against it (build-64/, static DPDK)" >&2
	vfwd_build_64 "$PREFIX" >&2 || exit 1
fi
echo "$PREFIX"
