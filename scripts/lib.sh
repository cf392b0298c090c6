# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Shared by the README's commands (dependency install and build), the
# benchmarks (bench/lib.sh) and the test kits' build scripts (tests/vm,
# tests/packaging): messages, installing and building.  Sourced, not run,
# from the checkout: every user finds it by its own path, and all of them
# run on the host, from the tree (tests/packaging/test_package.py,
# tests/integration/vm.py).  What runs inside a guest
# (tests/packaging/guest-checks.sh, tests/vm/init*) is copied there alone
# and must not source it.

VFWD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The name messages start with: the script's file name without ".sh"
# (bash tests/vm/build-guest.sh -> "build-guest"); a script that wants
# another one sets VFWD_PROG after sourcing this file.
VFWD_PROG=$(basename "$0" .sh)

# log TEXT: a progress message on stderr, "NAME: TEXT" (stdout is the
# scripts' result, KEY=value lines, for the tests that run them).
log() {
	echo "$VFWD_PROG: $*" >&2
}

# die TEXT: "NAME: error: TEXT" on stderr, and exit status 1.
die() {
	echo "$VFWD_PROG: error: $*" >&2
	exit 1
}

# unavailable TEXT: a prerequisite cannot be had (no package mirror, no
# package): "NAME: unavailable: TEXT" on stderr, and exit status 77, on
# which the tests skip rather than fail.
unavailable() {
	echo "$VFWD_PROG: unavailable: $*" >&2
	exit 77
}

# What scripts/build-dpdk.sh needs to build DPDK from Debian's source
# package (its Build-Depends for the drivers it builds; libxdp-dev and
# libibverbs-dev bring the af_xdp and mlx5 drivers in).
VFWD_DPDK_BUILD_PACKAGES="dpkg-dev debian-archive-keyring meson ninja-build
  pkg-config gcc python3-pyelftools libnuma-dev libbsd-dev libelf-dev
  libpcap-dev libbpf-dev libxdp-dev libibverbs-dev libjansson-dev libssl-dev
  zlib1g-dev libfdt-dev"

# Debian packages the build and the tests need.
VFWD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev
  dpdk dpdk-dev libdpdk-dev libnuma-dev libsystemd-dev
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libjansson-dev
  libcmocka-dev libmicrohttpd-dev libmnl-dev python3 python3-pytest
  clang libclang-rt-14-dev
  python3-zmq python3-protobuf protobuf-compiler
  openvswitch-switch prometheus
  qemu-system-x86 busybox-static cpio kmod ethtool xz-utils iperf3 tcpdump
  libvirt-daemon-system libvirt-clients
  iproute2 iputils-ping procps coreutils
  debhelper dpkg-dev fakeroot lintian debootstrap qemu-utils e2fsprogs
  $VFWD_DPDK_BUILD_PACKAGES"

# Goes on as root: the script runs again through sudo when it is not
# (so the README's commands are the same for root, who may have no sudo
# on a fresh Debian, and for a user who has it).  Pass the script's
# arguments: vfwd_need_root "$@".
vfwd_need_root() {
	if [ "$(id -u)" = 0 ]; then
		return
	fi
	if command -v sudo >/dev/null 2>&1; then
		echo "$0: DPDK, hugepages and network namespaces need root: running it through sudo" >&2
		exec sudo -E "$0" "$@"
	fi
	echo "$0: run as root (DPDK, hugepages and network namespaces need it)" >&2
	exit 1
}

# Installs whatever of $VFWD_PACKAGES is missing, and nothing else.
vfwd_install_deps() {
	# shellcheck disable=SC2086
	vfwd_install_packages $VFWD_PACKAGES
}

# Installs whatever of the packages named is missing, and nothing else.
vfwd_install_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; return 1; }
	# The tests start their own ovsdb-server on a private database; the
	# package's services must not start (policy-rc.d 101 = "not now").
	local policy=/usr/sbin/policy-rc.d placed=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && placed=1
	fi
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	local rc=$?
	[ -n "$placed" ] && rm -f "$policy"
	[ "$rc" = 0 ] || { echo "apt-get install ${missing[*]} failed" >&2; return 1; }
}

# Configures (once) and builds into $1 with extra meson options after it.
vfwd_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$VFWD_ROOT" "$@" >/dev/null ||
			{ echo "meson setup $dir failed" >&2; return 1; }
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

# Configures (once) and builds build-64/: the daemon and vfwdctl linked
# statically to the DPDK that scripts/build-dpdk.sh installed in prefix $1.
vfwd_build_64() {
	local prefix=$1
	# A configuration made for another DPDK (another cache key) goes.
	if [ -f build-64/build.ninja ] &&
	   ! grep -qF "$prefix/lib/pkgconfig" build-64/meson-info/intro-buildoptions.json; then
		rm -rf build-64
	fi
	vfwd_build build-64 -Dpkg_config_path="$prefix/lib/pkgconfig" -Ddpdk_static=true \
		-Dtests=false
}

# The checks of a benchmark run by a Python script (bench/tcp.sh,
# bench/migration.sh): '--help' is the script's, then root and a built
# daemon (BUILD_DIR or VFWD_BUILD, else build/), which it exports as
# VFWD_BUILD for the tests' harness.
vfwd_bench_py_checks() { # script.py args...
	local py=$1 build
	shift
	case " $* " in
	*" -h "*|*" --help "*) exec /usr/bin/python3 "$py" --help ;;
	esac
	build=${BUILD_DIR:-${VFWD_BUILD:-$VFWD_ROOT/build}}
	[ "$(id -u)" = 0 ] || die "must run as root (DPDK, network namespaces)"
	[ -x "$build/src/virtio-forwarder" ] ||
		die "the daemon is not built: $build/src/virtio-forwarder (meson setup build && ninja -C build, or set BUILD_DIR)"
	export VFWD_BUILD=$build
}
