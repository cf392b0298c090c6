#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TCP benchmark: iperf3 throughput both ways between a QEMU guest (TCG,
# offloads on in its kernel) and a network namespace, through the relay
# with offloads off, with offloads done in software (af_xdp on a veth),
# with offloads done by the device (tap), and through QEMU's own tap
# backend (the reference: what an operator has without a relay).  The
# cases run in interleaved rounds; it prints each run, the medians and
# their ratios.  The work is in bench/tcp.py; see bench/README.md.
#
#   sudo bench/tcp.sh                 3 rounds of the 4 cases, 10 s each way
#   sudo bench/tcp.sh -r 5 -t 20      more and longer runs
#   sudo bench/tcp.sh -c sw,tap       two cases only
#   bench/tcp.sh --help               every option
#
# Needs root (DPDK, namespaces), the daemon built (build/, or BUILD_DIR),
# QEMU and the test guest (tests/vm/build-guest.sh builds it on first use),
# iperf3 and tcpdump.  Not a test: it prints numbers and exits 0 unless
# something failed to run.
set -u -o pipefail
# die ("tcp: error: ..." on stderr).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
vfwd_bench_py_checks "$VFWD_ROOT/bench/tcp.py" "$@"
for p in iperf3 qemu-system-x86_64; do
	command -v "$p" >/dev/null || die "$p not found (apt-get install iperf3 qemu-system-x86)"
done
exec /usr/bin/python3 "$VFWD_ROOT/bench/tcp.py" "$@"
