#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the integration tests (the normal build, build/ or VFWD_BUILD)
# beside a CPU hog: 'stress-ng --cpu 2' at nice 19, as issue 26 asked to
# show that the suite does not flake under load.  Installs stress-ng when
# it is missing; pytest arguments pass through.  The build must exist
# (scripts/test.sh or 'meson setup build && ninja -C build').
#
#   scripts/test-under-load.sh                 every integration test
#   scripts/test-under-load.sh test_vm.py      one module
set -u
. "$(dirname "$0")/lib.sh"
vfwd_need_root "$@"
cd "$VFWD_ROOT" || exit 1
build=${VFWD_BUILD:-$VFWD_ROOT/build}
[ -x "$build/src/virtio-forwarder" ] || die "$build is not built: run scripts/test.sh, or meson setup build && ninja -C build"
vfwd_install_packages stress-ng || die "cannot install stress-ng"
nice -n 19 stress-ng --cpu 2 --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null' EXIT
t0=$SECONDS
(cd tests/integration && VFWD_BUILD="$build" /usr/bin/python3 -m pytest -q -rs --durations=30 \
	-p no:cacheprovider "$@")
rc=$?
log "integration tests beside stress-ng --cpu 2: exit $rc, $((SECONDS - t0)) s"
exit $rc
