#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the daemon with ThreadSanitizer (clang, build-tsan/) and runs the
# integration tests of the relay layer and the data plane against it: a
# data race or lock-order inversion the detector reports makes the daemon
# exit with status 66, which fails the test that stopped it.  The
# reports go to build-tsan/tsan.log.<pid>; tests/integration/tsan.supp
# says what is left out and why.  DPDK and libzmq are Debian's, built
# without TSan: the detector sees our code and DPDK's inline functions
# (rte_ethdev.h, rte_rcu_qsbr.h), not the libraries' insides.
#
#   scripts/tsan.sh                  test_relay.py and test_adaptive.py
#   scripts/tsan.sh test_ipc.py ...  other integration test files
set -u
. "$(dirname "$0")/lib.sh"
vfwd_need_root "$@"
cd "$VFWD_ROOT"

command -v clang >/dev/null || { echo "tsan.sh: clang is missing (Debian: clang)" >&2; exit 1; }
CC=clang vfwd_build build-tsan -Db_sanitize=thread -Db_lundef=false -Dtests=false || exit 1
rm -f build-tsan/tsan.log.*
[ $# -gt 0 ] || set -- test_relay.py test_adaptive.py
(cd tests/integration &&
 TSAN_OPTIONS="log_path=$VFWD_ROOT/build-tsan/tsan.log halt_on_error=0 second_deadlock_stack=1 suppressions=$VFWD_ROOT/tests/integration/tsan.supp" \
 VFWD_BUILD="$VFWD_ROOT/build-tsan" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@")
rc=$?
n=$(cat build-tsan/tsan.log.* 2>/dev/null | grep -c "^WARNING: ThreadSanitizer\|^ThreadSanitizer")
echo "tsan.sh: $n report(s) in build-tsan/tsan.log.*"
[ "$rc" = 0 ] && [ "$n" = 0 ]
