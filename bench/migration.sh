#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Live migration under traffic: a QEMU guest (TCG) migrates between two
# relays of one daemon while a UDP generator in the namespace sends it a
# given packet rate, in precopy, precopy with auto-converge, and postcopy.
# For each rate and mode it prints whether the migration finished, its
# total time and downtime, QEMU's dirty page rate and the guest's pings
# lost, then a table.  The work is in bench/migration.py; see
# bench/README.md.
#
#   sudo bench/migration.sh                         every rate and mode
#   sudo bench/migration.sh --rates 0,20000 --modes precopy
#   bench/migration.sh --help                       every option
#
# Needs root (DPDK, namespaces), the daemon built (build/, or BUILD_DIR),
# and QEMU with the test guest (tests/vm/build-guest.sh builds it on first
# use; --qemu 10 fetches QEMU 10).  Not a test: it prints numbers and
# exits 0 unless something failed to run.
set -u -o pipefail
# die ("migration: error: ..." on stderr).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
vfwd_bench_py_checks "$VFWD_ROOT/bench/migration.py" "$@"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
exec /usr/bin/python3 "$VFWD_ROOT/bench/migration.py" "$@"
