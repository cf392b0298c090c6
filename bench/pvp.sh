#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# PVP (physical - virtual - physical) benchmark on a 2-CPU machine.
#
#   generator (dpdk-testpmd, 2 virtio-user ports, CPU 0)
#        |  port 0: socket A                    port 1: socket B  |
#        +---- forwarder under test or reference (CPU 1) ---------+
#
# reference: dpdk-testpmd, io forwarding between net_vhost0 (A) and
#            net_vhost1 (B)
# dut:       one relay of virtio-forwarder: vhost-user socket A, device
#            net_vhost0,iface=B
#
# Each measurement starts fresh processes; reference and dut runs are
# interleaved (alternating order) and repeated ROUNDS times per frame size.
# Prints Mpps per run, medians, best runs and ratios.  See bench/README.md.
#
# Not a test: it prints numbers and exits 0 unless something failed to run.

set -u -o pipefail

BENCH=pvp
# Settings of the loop, checks, cleanup, starting the two ends.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}        # measured window, seconds
WARMUP=${WARMUP:-3}             # seconds between injecting and measuring
INTERVAL=${INTERVAL:-1}         # sampling interval within the window, seconds
MAX_OTHER_CPU=${MAX_OTHER_CPU:-10}  # % of a CPU others may use before a run counts as disturbed
QUIET_WAIT=${QUIET_WAIT:-300}   # seconds to wait for a quiet machine before each run
RETRIES=${RETRIES:-2}           # repeats of a disturbed run
ORDER=${ORDER:-alternate}       # alternate | ref-first | dut-first
POLL_MODE=${POLL_MODE:-busy}    # the daemon's VIRTIOFWD_POLL_MODE
# The Python side, run with $PY: sampling the generator's counters over
# DPDK telemetry, watching for CPU time used by processes other than ours,
# and the arithmetic.
HELPER=$ROOT/bench/pvp_helper.py

usage() {
	cat <<EOF
usage: $0 [options]

PVP benchmark of virtio-forwarder against dpdk-testpmd (io forwarding
between two vhost ports), on CPUs $GEN_CPU (generator) and $FWD_CPU (forwarder).

options (environment variable in brackets):
  -r, --rounds N       rounds; each runs ref and dut once per size [ROUNDS=$ROUNDS]
  -d, --duration S     measured window per run, seconds [DURATION=$DURATION]
  -w, --warmup S       seconds between injection and measurement [WARMUP=$WARMUP]
  -s, --sizes "A B"    frame sizes in bytes [SIZES="$SIZES"]
  -g, --gen-mode M     generator mode: io (a closed loop filled by
                       --tx-first) or flowgen [GEN_MODE=$GEN_MODE]
  -b, --burst N        generator burst size; in io mode also the packets
                       injected per port [GEN_BURST=$GEN_BURST]
  -q, --queue-size N   virtio ring size of the generator ports [QUEUE_SIZE=$QUEUE_SIZE]
  -m, --gen-mem M      generator memory: huge (hugepages, single file
                       segments) or nohuge [GEN_MEM=$GEN_MEM]
  -p, --poll-mode M    the daemon's poll mode: busy or adaptive
                       [POLL_MODE=$POLL_MODE]
  -l, --ring L         virtqueue layout of the generator's ports: split,
                       in_order (virtio-user's default), packed or
                       packed_in_order [RING=$RING]
  -k, --keep-logs      keep the work directory with all logs [KEEP_LOGS=1]
  -h, --help           this text
other variables: BUILD_DIR (default $ROOT/build), DAEMON, TESTPMD,
  HUGEPAGES (free 2M pages to have, default 1024), HUGE_DIR, GEN_MRGBUF (0/1),
  ORDER (alternate | ref-first | dut-first), ONLY (both | ref | dut),
  GEN_VDEV_EXTRA (extra virtio-user devargs, default ",vectorized=1"),
  DAEMON_SETTINGS (more NAME=value settings of the daemon, blank-separated),
  INTERVAL (sampling step, s), MAX_OTHER_CPU (% of a CPU other processes
  may use before a run counts as disturbed, default 10), QUIET_WAIT (s to
  wait for a quiet machine, default 300), RETRIES (repeats of a disturbed
  or lossy run, default 2)
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	-r|--rounds) ROUNDS=${2:?}; shift ;;
	-d|--duration) DURATION=${2:?}; shift ;;
	-w|--warmup) WARMUP=${2:?}; shift ;;
	-s|--sizes) SIZES=${2:?}; shift ;;
	-b|--burst) GEN_BURST=${2:?}; shift ;;
	-g|--gen-mode) GEN_MODE=${2:?}; shift ;;
	-q|--queue-size) QUEUE_SIZE=${2:?}; shift ;;
	-m|--gen-mem) GEN_MEM=${2:?}; shift ;;
	-p|--poll-mode) POLL_MODE=${2:?}; shift ;;
	-l|--ring) RING=${2:?}; shift ;;
	-k|--keep-logs) KEEP_LOGS=1 ;;
	-h|--help) usage; exit 0 ;;
	--rounds=*) ROUNDS=${1#*=} ;;
	--duration=*) DURATION=${1#*=} ;;
	--warmup=*) WARMUP=${1#*=} ;;
	--sizes=*) SIZES=${1#*=} ;;
	--burst=*) GEN_BURST=${1#*=} ;;
	--gen-mode=*) GEN_MODE=${1#*=} ;;
	--queue-size=*) QUEUE_SIZE=${1#*=} ;;
	--gen-mem=*) GEN_MEM=${1#*=} ;;
	--poll-mode=*) POLL_MODE=${1#*=} ;;
	--ring=*) RING=${1#*=} ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

# ---------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------

isint "$ROUNDS" && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a positive integer"
isint "$DURATION" && [ "$DURATION" -ge 2 ] || die "DURATION must be an integer >= 2 (seconds)"
isint "$WARMUP" || die "WARMUP must be an integer (seconds)"
case "$ORDER" in alternate|ref-first|dut-first) ;; *) die "ORDER: alternate, ref-first or dut-first" ;; esac
case "$POLL_MODE" in busy|adaptive) ;; *) die "POLL_MODE: busy or adaptive, not $POLL_MODE" ;; esac
DAEMON_CONF_EXTRA=("VIRTIOFWD_POLL_MODE=$POLL_MODE")
check_common_options
check_host

# ---------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------

RESULTS=""       # file of result lines
NRUN=0

# run_one KIND SIZE ROUND: starts the forwarder KIND (ref|dut), the
# generator, measures, stops everything; appends a line to RESULTS and
# prints the run's figures.
run_one() {
	local kind=$1 size=$2 round=$3
	local drops="" gdrops="" info="" extra=""
	NRUN=$((NRUN + 1))
	RUN=$(printf '%s/run%03d-%s-%s' "$WORK" "$NRUN" "$kind" "$size")
	mkdir -p "$RUN"
	SOCK_A=$RUN/a0.sock
	SOCK_B=$RUN/b.sock
	DUT_PID=""
	PMD_PID_ref=""
	PMD_PID_gen=""

	# --- the forwarder, polling on CPU FWD_CPU ---
	fwd_start "$kind"

	# --- the generator, forwarding on CPU GEN_CPU ---
	gen_start "$size"

	"$PY" "$HELPER" sample "$GEN_PREFIX" \
		"$WARMUP" "$DURATION" "$INTERVAL" "$FWD_PID" "$PMD_PID_gen" \
		>"$RUN/samples.json" ||
		die "generator: cannot read its counters over telemetry (log: $RUN/gen.log)"

	# --- drops seen by the forwarder, then stop everything ---
	if [ "$kind" = dut ]; then
		daemon_stats >"$RUN/dut.stats" || log "daemon: no stats dump"
		drops=$(awk '/^relay 0 (vf_to_vm|vm_to_vf)/ {
				for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^drop_.*_pkts$/) d += kv[2] } }
			END { print d + 0 }' "$RUN/dut.stats")
		info=$(awk '/^worker/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); c[kv[1]] = kv[2] } }
			END { if (c["busy_cycles"] + c["idle_cycles"] > 0) printf "worker-busy=%.0f%%", 100 * c["busy_cycles"] / (c["busy_cycles"] + c["idle_cycles"]) }' "$RUN/dut.stats")
	fi
	pmd_quit gen
	gdrops=$(pmd_drops gen)
	if [ "$kind" = dut ]; then
		stop_pid "$DUT_PID" 20 term
		[ "$STOP_STATUS" = 0 ] || extra="DAEMON-EXIT=$STOP_STATUS"
	else
		pmd_quit ref
		drops=$(pmd_drops ref)
	fi

	# --- result ---
	"$PY" "$HELPER" record "$RUN/samples.json" "$RESULTS" "$size" "$kind" "$round" \
		"${drops:-?}" "${gdrops:-?}" "$MAX_OTHER_CPU" "$info $extra"
	RECORD_STATUS=$?
	remove_prefix_files "$FWD_PREFIX" "$GEN_PREFIX"
	rm -f "$SOCK_A" "$SOCK_B"
	[ "$KEEP_LOGS" = 1 ] || rm -rf "$RUN"
	return $RECORD_STATUS
}

# Waits until no other process uses much CPU (the other load on this
# machine, if any, distorts the figures); gives up after QUIET_WAIT s.
wait_quiet() {
	local waited=0 busy
	while :; do
		busy=$("$PY" "$HELPER" quiet 1)
		awk -v b="$busy" -v m="$MAX_OTHER_CPU" 'BEGIN { exit !(b <= m) }' && return 0
		if [ "$waited" -ge "$QUIET_WAIT" ]; then
			log "machine still busy (${busy}% of a CPU used by others); measuring anyway"
			return 0
		fi
		[ "$waited" = 0 ] && log "other processes use ${busy}% of a CPU: waiting for quiet (up to ${QUIET_WAIT}s)"
		sleep 4
		waited=$((waited + 5))
	done
}

# measure KIND SIZE ROUND: one run, repeated (up to RETRIES more times)
# when other load disturbed it or the loop lost packets.
measure() {
	local try
	for ((try = 0; try <= RETRIES; try++)); do
		wait_quiet
		run_one "$@" && return 0
		[ "$RECORD_STATUS" = 3 ] || return 1
		[ "$try" -lt "$RETRIES" ] && log "repeating the run ($1, $2 B, round $3)"
	done
	return 0
}

# ---------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------

WORK=$(mktemp -d /tmp/vfwd-pvp.XXXXXX) || die "mktemp failed"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
setup_hugepages

log "daemon: $DAEMON"
log "rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s sizes=($SIZES) generator: mode=$GEN_MODE burst=$GEN_BURST queue size=$QUEUE_SIZE layout=$RING mem=$GEN_MEM"
echo "PVP loop: generator dpdk-testpmd on CPU $GEN_CPU, forwarder (ref = dpdk-testpmd io, dut = virtio-forwarder, poll mode $POLL_MODE) on CPU $FWD_CPU"
echo "Mpps = packets per second the forwarder delivered to the generator, both directions together"
for ((round = 1; round <= ROUNDS; round++)); do
	for size in $SIZES; do
		case "$ORDER" in
		ref-first) order="ref dut" ;;
		dut-first) order="dut ref" ;;
		*) if [ $((round % 2)) = 1 ]; then order="ref dut"; else order="dut ref"; fi ;;
		esac
		for kind in $order; do
			[ "$ONLY" = both ] || [ "$ONLY" = "$kind" ] || continue
			measure "$kind" "$size" "$round" || die "run failed ($kind, $size B, round $round)"
		done
	done
done

"$PY" "$HELPER" summary "$RESULTS"
if [ "$KEEP_LOGS" = 1 ]; then
	log "per-run data: $RESULTS"
fi
