#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What sleeping costs: one-way latency through one relay in both
# directions, and the CPU an idle worker uses, for
#   ref       dpdk-testpmd io forwarding between two vhost ports
#   busy      virtio-forwarder, VIRTIOFWD_POLL_MODE=busy
#   adaptive  virtio-forwarder, VIRTIOFWD_POLL_MODE=adaptive
#   wake      no forwarder: bench/wake_probe.c wakes a thread sleeping in
#             epoll_wait() on CPU 1 from CPU 0, the machine's floor under
#             what sleeping can add (an eventfd write, the scheduler, an
#             idle CPU coming back); like the adaptive worker, the thread
#             also wakes every SLEEP_MAX us
# in the PVP topology of bench/pvp.sh:
#
#   latency-probe (CPU 0): port 0 = socket A ("VM"), port 1 = socket B ("wire")
#        |                                                   |
#        +------ forwarder (CPU 1): relay 0 = A + net_vhost0 on B
#
# The probe (bench/latency_probe.c) sends one timestamped packet on one port
# and busy-polls the other until it comes out: both ends are in one process
# on one CPU, so the TSC difference is the time spent in the forwarder.
# One probe per direction every 1, 10 and 100 ms (the adaptive worker
# sleeps between them), then every 1 ms among 1 Mpps of filler traffic
# (never idle).  Prints p50, p99, p99.9 and max per direction, and
# adaptive - busy.  Then the worker thread's CPU use over IDLE_S seconds
# with the probe connected and silent.
#
# Not a test: it prints numbers and exits 0 unless something failed to run.
# See bench/README.md.

set -u -o pipefail

# shellcheck disable=SC2034 # read by bench/lib.sh
BENCH=latency
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-2}
COUNT=${COUNT:-2000}            # probes per direction at 1 ms (fewer at longer intervals)
INTERVALS=${INTERVALS:-"1000 10000 100000"}   # microseconds between probes of a direction
LOAD_PPS=${LOAD_PPS:-1000000}   # filler traffic of the loaded measurement, 0: none
IDLE_S=${IDLE_S:-10}            # seconds of the idle CPU measurement
KINDS=${KINDS:-"ref busy adaptive wake"}
SLEEP_MAX=${SLEEP_MAX:-1000}    # VIRTIOFWD_POLL_SLEEP_MAX_US of the adaptive runs
POLL_IDLE=${POLL_IDLE:-50}      # VIRTIOFWD_POLL_IDLE_US of the adaptive runs
PROBE=${PROBE:-$BUILD_DIR/bench/latency-probe}
WAKE_PROBE=${WAKE_PROBE:-$BUILD_DIR/bench/wake-probe}

usage() {
	cat <<EOF
usage: $0 [-h]

One-way latency through one relay, both directions: dpdk-testpmd (ref),
the daemon in busy and in adaptive poll mode, at one probe every
1/10/100 ms and among filler traffic; and the worker's CPU use when idle.
Needs root, hugepages, dpdk-testpmd and the built probe ($PROBE).

environment: ROUNDS ($ROUNDS), COUNT ($COUNT), INTERVALS ("$INTERVALS" us),
LOAD_PPS ($LOAD_PPS), IDLE_S ($IDLE_S), KINDS ("$KINDS"),
SLEEP_MAX ($SLEEP_MAX us), POLL_IDLE ($POLL_IDLE us), BUILD_DIR, KEEP_LOGS=1
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

isint "$ROUNDS" && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a positive integer"
isint "$COUNT" && [ "$COUNT" -ge 100 ] || die "COUNT must be an integer >= 100"
isint "$IDLE_S" || die "IDLE_S must be an integer"
isint "$LOAD_PPS" || die "LOAD_PPS must be an integer"
isint "$POLL_IDLE" || die "POLL_IDLE must be an integer (microseconds)"
for k in $KINDS; do
	case $k in ref|busy|adaptive|wake) ;; *) die "KINDS: ref, busy, adaptive or wake, not $k" ;; esac
done
for iv in $INTERVALS; do
	isint "$iv" && [ "$iv" -ge 100 ] || die "INTERVALS: integers >= 100 (microseconds), not $iv"
done
check_host
[ -x "$PROBE" ] || die "the probe is not built: $PROBE (ninja -C $BUILD_DIR)"
[ -x "$WAKE_PROBE" ] || die "the probe is not built: $WAKE_PROBE (ninja -C $BUILD_DIR)"
setup_hugepages

WORK=$(mktemp -d /tmp/vfwd-latency.XXXXXX)
RUN=$WORK
SOCK_A=$RUN/a0.sock
SOCK_B=$RUN/b.sock
RESULTS=$RUN/results

# probe ARGS...: runs the probe on CPU GEN_CPU against sockets A and B.
probe() {
	local prefix rc
	new_prefix probe
	prefix=$REPLY
	"$PROBE" -l "$GEN_CPU" --file-prefix="$prefix" --huge-dir="$HUGE_DIR" \
		--single-file-segments -m 256 --no-pci --log-level=3 \
		--vdev "net_virtio_user0,path=$SOCK_A,queue_size=$QUEUE_SIZE" \
		--vdev "net_virtio_user1,path=$SOCK_B,queue_size=$QUEUE_SIZE" \
		-- "$@" 2>>"$RUN/probe.err" &
	PROBE_PID=$!
	PIDS+=("$PROBE_PID")
}

probe_wait() {
	wait "$PROBE_PID"
	local rc=$?
	forget_pid "$PROBE_PID"
	remove_prefix_files "${PREFIXES[-1]}"
	return $rc
}

# CPU ticks of the forwarder's polling thread (its busiest thread).
worker_ticks() {
	local t ticks best=0
	for t in /proc/"$1"/task/*; do
		ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$t/stat" 2>/dev/null) || continue
		[ "${ticks:-0}" -gt "$best" ] && best=$ticks
	done
	echo "$best"
}

# probe_count INTERVAL: probes per direction at that interval.
probe_count() {
	local n=$(( COUNT * 1000 / $1 ))
	[ "$n" -ge 300 ] || n=300
	[ "$n" -le "$COUNT" ] || n=$COUNT
	echo "$n"
}

measure_wake() { # round
	local iv n
	for iv in $INTERVALS; do
		n=$(probe_count "$iv")
		log "wake round $1: $n wake-ups, one every $iv us"
		"$WAKE_PROBE" --cpu "$GEN_CPU" --sleeper-cpu "$FWD_CPU" --interval "$iv" \
			--count "$n" --timeout "$SLEEP_MAX" --raw >"$RUN/wake.out" 2>>"$RUN/probe.err" ||
			die "wake: the probe failed (see $RUN/probe.err)"
		sed -n "s/^samples wake /wake $1 i$iv wake /p" "$RUN/wake.out" >>"$RESULTS"
	done
}

measure() { # kind round
	local kind=$1 round=$2 iv n out a b
	if [ "$kind" = wake ]; then
		measure_wake "$round"
		return
	fi
	if [ "$kind" = ref ]; then
		fwd_start ref
	else
		DAEMON_CONF_EXTRA=("VIRTIOFWD_POLL_MODE=$kind" "VIRTIOFWD_POLL_SLEEP_MAX_US=$SLEEP_MAX"
			"VIRTIOFWD_POLL_IDLE_US=$POLL_IDLE")
		fwd_start dut
	fi
	if [ "$IDLE_S" -gt 0 ]; then
		probe --idle $((IDLE_S + 2)) --interval 1000 --count 10 >"$RUN/idle.out"
		for ((n = 0; n < 600; n++)); do
			grep -q '^idle' "$RUN/idle.out" && break
			sleep 0.05
		done
		sleep 1
		a=$(worker_ticks "$FWD_PID")
		sleep "$IDLE_S"
		b=$(worker_ticks "$FWD_PID")
		echo "$kind $round idle $(( (b - a) * 10000 / $(getconf CLK_TCK) / IDLE_S ))" >>"$RESULTS"
		probe_wait || die "$kind: the probe failed (see $RUN/probe.err)"
	fi
	for iv in $INTERVALS; do
		n=$(probe_count "$iv")
		log "$kind round $round: $n probes each way, one every $iv us"
		probe --interval "$iv" --count "$n" --raw >"$RUN/probe.out"
		probe_wait || die "$kind: the probe failed (see $RUN/probe.err)"
		sed -n "s/^samples /$kind $round i$iv /p" "$RUN/probe.out" >>"$RESULTS"
		grep -q 'lost=0' "$RUN/probe.out" || log "$kind: lost probes: $(grep lost "$RUN/probe.out" | tr '\n' ' ')"
	done
	if [ "$LOAD_PPS" -gt 0 ]; then
		log "$kind round $round: $COUNT probes each way among $LOAD_PPS pps of fillers"
		probe --interval 1000 --count "$COUNT" --load "$LOAD_PPS" --raw >"$RUN/probe.out"
		probe_wait || die "$kind: the probe failed (see $RUN/probe.err)"
		sed -n "s/^samples /$kind $round load /p" "$RUN/probe.out" >>"$RESULTS"
	fi
	if [ "$kind" = ref ]; then
		pmd_quit ref
		rm -f "$RUN/ref.in"
	else
		stop_pid "$DUT_PID" 15 term
	fi
	remove_prefix_files "$FWD_PREFIX"
	rm -f "$SOCK_A" "$SOCK_B"
}

: >"$RESULTS"
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	# Alternate the order, so that no kind always runs first.
	kinds=$KINDS
	[ $((r % 2)) = 0 ] && kinds=$(echo "$KINDS" | tr ' ' '\n' | tac | tr '\n' ' ')
	for k in $kinds; do
		measure "$k" "$r"
	done
done

"$PY" "$ROOT/bench/latency_report.py" "$RESULTS" "$KINDS" "$INTERVALS" "$LOAD_PPS" ||
	die "bench/latency_report.py failed on $RESULTS"
echo "time: $(($(date +%s) - start)) s"
