#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds everything and runs all tests: unit tests, unit tests again under
# ASan/UBSan, each fuzz target for a short while (VFWD_FUZZ_SECONDS, 20 s
# by default; scripts/fuzz.sh soaks them longer), and the integration
# tests that start the real daemon against real DPDK peers (their soak
# tests at a tenth of the full counts; VFWD_SOAK_SCALE=1 for all of
# them); then the 64-relay tests against the daemon built on a DPDK with
# more ports (build-64/, on the DPDK that scripts/build-dpdk.sh builds
# once per machine and caches: the first time in the background, at nice
# 19, while the other tests run).  Installs missing Debian packages first.
#
#   scripts/test.sh                 all tests (as root, or through sudo)
#   scripts/test.sh -k client       only integration tests matching 'client'
set -u
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
vfwd_need_root "$@"
cd "$VFWD_ROOT" || exit 1

# Each phase's name and when it began, for the timing table at the end.
phases=()
phase_start=()
phase() { # text
	echo "==> $1"
	phases+=("${1%% (*}")
	phase_start+=("$SECONDS")
}
phase_table() {
	local i end n=${#phases[@]}
	echo "time per phase (s):"
	for ((i = 0; i < n; i++)); do
		end=$SECONDS
		[ $((i + 1)) -lt "$n" ] && end=${phase_start[$((i + 1))]}
		printf '  %5d  %s\n' $((end - phase_start[i])) "${phases[$i]}"
	done
	printf '  %5d  %s\n' "$SECONDS" "in all"
}

phase "installing what is missing"
vfwd_install_deps || exit 1
phase "building (build/, -Werror)"
vfwd_build build || exit 1
phase "building with clang, lock rules checked (build-clang/, -Wthread-safety)"
CC=clang vfwd_build build-clang -Dtests=false || exit 1
phase "building with ASan/UBSan (build-asan/)"
vfwd_build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug || exit 1

passed=0
failed=0
skipped=0
# Each skip, with the suite it was in and pytest's reason.
skips=$(mktemp)
# Each failed test, the same way, with the first line of its reason.
fails=$(mktemp)
count() { # status name
	if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $2"; fi
}

# The DPDK with more ports: built here the first time (a quarter of an
# hour or more on 2 CPUs), taken from /var/cache/ after that.  The build
# runs at nice 19 beside the tests below, which mostly wait on peers, and
# is waited for before the 64-relay tests.
dpdk_log=$(mktemp)
phase "DPDK with more ports (scripts/build-dpdk.sh, cached per machine), in the background: $dpdk_log"
# Only the drivers the tests drive: the NIC drivers were most of a cold
# machine's build (VFWD_DPDK_SET in scripts/build-dpdk.sh).
VFWD_DPDK_SET=tests setsid bash scripts/build-dpdk.sh >"$dpdk_log.prefix" 2>"$dpdk_log" &
dpdk_pid=$!

phase "unit tests"
meson test -C build --print-errorlogs --suite unit
count $? "unit tests"
phase "unit tests under ASan/UBSan"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --suite unit
count $? "unit tests (ASan/UBSan)"

# The fuzz targets run beside the integration tests, as the DPDK build
# does, at nice 19 (building them too), and the tests mostly wait on their
# peers (they pass beside 'nice -n 19 stress-ng --cpu 2', a heavier
# neighbour).  Waited for, and their output shown, after the first pass.
fuzz_log=$(mktemp)
phase "fuzz targets, ${VFWD_FUZZ_SECONDS:-20} s each (scripts/fuzz.sh), in the background: $fuzz_log"
setsid nice -n 19 bash scripts/fuzz.sh -t "${VFWD_FUZZ_SECONDS:-20}" >"$fuzz_log" 2>&1 &
fuzz_pid=$!

log=$(mktemp)
pkg_log=$(mktemp)
pkg_pid=
# Removes the logs and ends the background jobs still running (each a
# session of its own), also when the run is interrupted.
cleanup() {
	local pid
	rm -f "$log" "$skips" "$fails" "$dpdk_log" "$dpdk_log.prefix" "$fuzz_log" "$pkg_log"
	for pid in "$dpdk_pid" "$fuzz_pid" "$pkg_pid"; do
		[ -n "$pid" ] && kill -- "-$pid" 2>/dev/null
	done
}
trap cleanup EXIT

# Adds the counts of the pytest run logged in $1 (exit status $2, tests
# of directory $3 against build dir $4) to ours, and names its skips.
pytest_counts() { # log status test-dir build-dir
	local log=$1 rc=$2 tests=$3 dir=$4 n last
	last=$(tail -n 1 "$log")
	n=$(echo "$last" | grep -o '[0-9]* passed' | grep -o '[0-9]*' || true)
	passed=$((passed + ${n:-0}))
	n=$(echo "$last" | grep -o '[0-9]* skipped' | grep -o '[0-9]*' || true)
	skipped=$((skipped + ${n:-0}))
	grep '^SKIPPED \[' "$log" | sed "s|^|$tests ($dir): |" >>"$skips"
	grep -E '^(FAILED|ERROR) [^:]+::' "$log" | sed "s|^|$tests ($dir): |" >>"$fails"
	n=$(echo "$last" | grep -o '[0-9]* failed' | grep -o '[0-9]*' || true)
	failed=$((failed + ${n:-0}))
	n=$(echo "$last" | grep -o '[0-9]* error' | grep -o '[0-9]*' || true)
	failed=$((failed + ${n:-0}))
	if [ "$rc" != 0 ]; then
		echo "FAILED: $tests ($dir)"
		echo "$last" | grep -q '[0-9]* failed' || failed=$((failed + 1))
	fi
}

# The pytest command line of every run here: -rsfE lists skips, failures
# and errors at the end, each with its reason.  CI=1 tells pytest to cut
# neither those reasons nor its assertion explanations to the terminal's
# width, so that a failure can be told from the summary alone.
pytest_cmd=(env CI=1 /usr/bin/python3 -m pytest -v -rsfE --durations=15 -p no:cacheprovider)

# Runs the pytest tests of directory $1 (the integration tests against
# the daemon in build dir $2) and adds pytest's own counts to ours.
pytests() { # test-dir build-dir pytest-args...
	local tests=$1 dir=$2 rc
	shift 2
	(cd "$tests" && VFWD_BUILD="$VFWD_ROOT/$dir" "${pytest_cmd[@]}" "$@") | tee "$log"
	rc=${PIPESTATUS[0]}
	pytest_counts "$log" "$rc" "$tests" "$dir"
}

phase "integration tests"
pytests tests/integration build "$@"
phase "waiting for the fuzz targets"
wait "$fuzz_pid"
rc=$?
fuzz_pid=
cat "$fuzz_log"
count $rc "fuzz targets"
# The Debian package (dpkg-buildpackage, lintian) and its units under a
# real systemd, in a QEMU guest (tests/packaging/test_package.py).  Once:
# it builds its own daemon.  Not with -k: that selects integration tests.
# In the background beside the ASan pass, whose tests mostly wait on
# their peers, as the fuzz targets run beside the first pass; but at the
# same priority, not nice 19: the guest's own daemon has a 10 s systemd
# watchdog, and a starved vCPU would miss it.
if [ $# = 0 ]; then
	phase "package tests, in the background (Debian package, systemd guest): $pkg_log"
	# shellcheck disable=SC2016 # expanded by the inner shell
	VFWD_BUILD="$VFWD_ROOT/build" setsid bash -c \
		'cd tests/packaging && "$@"; rc=$?; echo "package tests: $SECONDS s"; exit $rc' \
		package-tests "${pytest_cmd[@]}" >"$pkg_log" 2>&1 &
	pkg_pid=$!
fi
phase "integration tests again, daemon built with ASan/UBSan"
# Again only the tests whose subject is the daemon.  Run once, with the
# normal build, in the run above: the real-VF tests (an L1 guest under
# TCG with an emulated SR-IOV NIC: long, and through the same relay and
# device code as the tests here), the libvirt
# tests (a private libvirtd, its domains and their migration), and the
# tests of the tools (vfwdctl's commands and output, the 1.x tools, the
# load balancer: their code is under ASan in the unit tests), and the
# VM tests' variants on other QEMUs and virtqueue layouts (-m 'not
# variant': the daemon's code is the same on each; the layouts stay in
# test_relay.py's virtio-user runs).
pytests tests/integration build-asan --ignore=test_realvf.py --ignore=test_libvirt.py \
	--ignore=test_cli.py --ignore=test_dropin.py --ignore=test_balance.py \
	-m "not variant" "$@"
if [ -n "$pkg_pid" ]; then
	phase "waiting for the package tests"
	wait "$pkg_pid"
	rc=$?
	pkg_pid=
	cat "$pkg_log"
	# pytest's summary is the line before the time.
	head -n -1 "$pkg_log" >"$log"
	pytest_counts "$log" "$rc" tests/packaging build
fi

phase "waiting for the DPDK with more ports"
dpdk64=
if wait "$dpdk_pid"; then
	dpdk64=$(cat "$dpdk_log.prefix")
fi
dpdk_pid=
cat "$dpdk_log"
if [ -n "$dpdk64" ]; then
	phase "building against it (build-64/, DPDK linked statically)"
	vfwd_build_64 "$dpdk64" || dpdk64=
fi
if [ -n "$dpdk64" ]; then
	phase "64-relay tests: build-64/ and its dpdk-testpmd ($dpdk64)"
	VFWD_TESTPMD=$dpdk64/bin/dpdk-testpmd pytests tests/integration build-64 test_ports64.py "$@"
else
	count 1 "the build with more DPDK ports (scripts/build-dpdk.sh, build-64/)"
fi

# Skips are named, each with its reason.  A skip whose reason starts
# with "n/a:" is one by design (the 64-relay test in a build with too few
# DPDK ports, which runs again on build-64/); any other is something that
# should have run, here a failure when VFWD_NO_SKIPS is set (CI sets it):
# a missing QEMU, mirror or kit must not pass for a green run.
if [ -s "$skips" ]; then
	echo
	echo "skipped:"
	sed 's/^/  /' "$skips"
	if [ -n "${VFWD_NO_SKIPS:-}" ]; then
		n=$(grep -vc ': n/a: ' "$skips" || true)
		if [ "${n:-0}" != 0 ]; then
			echo "FAILED: $n skip(s) of tests that should run (VFWD_NO_SKIPS is set)"
			failed=$((failed + n))
		fi
	fi
fi
# Each failed test again, with the first line of its reason: the
# summary is what a CI page shows first.
if [ -s "$fails" ]; then
	echo
	echo "failed:"
	cut -c 1-400 "$fails" | sed 's/^/  /'
fi
echo
phase_table
echo "summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
