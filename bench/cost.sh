#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Per-packet cost yardstick: instructions per forwarded packet, counted by
# valgrind's callgrind, of virtio-forwarder (dut) and of the reference
# (dpdk-testpmd io forwarding between two vhost ports), in the PVP loop of
# bench/pvp.sh; and the instructions an idle poll of each relay direction
# costs.  Instruction counts repeat from run to run, whatever else the
# machine does, unlike the Mpps of bench/pvp.sh.
#
#   generator (dpdk-testpmd, native, 2 virtio-user ports, CPU 0)
#        |  port 0: socket A                    port 1: socket B  |
#        +---- forwarder under callgrind (CPU 1) -----------------+
#
# Each measurement starts fresh processes: the forwarder under
# valgrind --tool=callgrind, then the generator, which connects but holds
# back its first bursts.  With the loop up and silent, callgrind_control -z,
# IDLE_WINDOW seconds, callgrind_control -d give the cost of an empty poll.
# Then the generator injects its bursts and, once packets flow,
# callgrind_control -z, WINDOW seconds, callgrind_control -d; the
# generator's counters (DPDK telemetry) are read around both.
#   instructions per packet = instructions of the forwarder's polling
#   thread in the window / packets it forwarded in the window
#   full-burst = the same without the polls that found nothing
# A last run of the daemon alone, with a guest and a device that are both
# connected and silent, gives the inclusive cost of each poll function.
# See bench/README.md.
#
# Not a test: it prints numbers and exits 0 unless something failed to run.

set -u -o pipefail

BENCH=cost
# Set by the caller, or chosen below for more than 31 neighbours.
TESTPMD_GIVEN=${TESTPMD:+1}
# Settings of the loop, checks, cleanup, starting the two ends.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WINDOW=${WINDOW:-20}            # counted window, seconds
IDLE_WINDOW=${IDLE_WINDOW:-3}   # counted window of the calibration (loop idle), seconds
IDLE=${IDLE:-1}                 # 1: also measure idle polls (dut)
IDLE_DEV=${IDLE_DEV:-net_ring0} # the silent device of the idle relay
SETTLE=${SETTLE:-2}             # seconds between packets flowing and zeroing
RETRIES=${RETRIES:-2}           # repeats of a run that lost packets or did not connect
VALGRIND=${VALGRIND:-valgrind}
FWD_TIMEOUT=${FWD_TIMEOUT:-120} # seconds the forwarder may take to start under valgrind
STOP_GRACE=${STOP_GRACE:-5}     # seconds the forwarder gets to exit on SIGTERM
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-60}  # seconds the generator may take to connect
GEN_PREALLOC=${GEN_PREALLOC:-256}  # MB of hugepage memory the generator takes at start
# The loop must be the closed io loop: it keeps every burst full.
GEN_MODE=io
# Info level: the daemon logs its device and guest coming up.
DAEMON_LOG_LEVEL=6
POLL_MODE=${POLL_MODE:-busy}    # VIRTIOFWD_POLL_MODE of the daemon
NEIGHBOURS=${NEIGHBOURS:-0}     # >0: the neighbours measurement instead
# The Python side, run with $PY: the generator's counters over DPDK
# telemetry, the counted window, the callgrind dumps, the arithmetic.
HELPER=$ROOT/bench/cost_helper.py

usage() {
	cat <<EOF
usage: $0 [options]

Instructions per forwarded packet of virtio-forwarder (dut) and of
dpdk-testpmd io forwarding between two vhost ports (ref), counted by
valgrind's callgrind in the PVP loop of bench/pvp.sh, and the cost of an
idle poll of each relay direction.  The forwarder runs under callgrind on
CPU $FWD_CPU, the generator natively on CPU $GEN_CPU.

options (environment variable in brackets):
  -w, --window S       counted window per run, seconds [WINDOW=$WINDOW]
  -c, --calibrate S    window with the loop idle (empty polls), seconds [IDLE_WINDOW=$IDLE_WINDOW]
  -s, --sizes "A B"    frame sizes in bytes [SIZES="$SIZES"]
  -o, --only K         both, dut or ref [ONLY=$ONLY]
  -i, --idle 0|1       measure idle polls too (1) or not (0) [IDLE=$IDLE]
  -p, --poll-mode M    the daemon's VIRTIOFWD_POLL_MODE, busy or adaptive [POLL_MODE=$POLL_MODE]
  -n, --neighbours N   instead: the daemon alone and beside N (1-63) idle
                       relays on its worker (connected but silent guests,
                       net_ring devices), in busy and in adaptive mode, at
                       the first size only [NEIGHBOURS=$NEIGHBOURS]; more
                       than 31 need the build with more DPDK ports:
                       BUILD_DIR=build-64 (scripts/build-dpdk.sh --daemon),
                       whose dpdk-testpmd is then the default TESTPMD
  -l, --ring L         virtqueue layout of the generator's ports: split,
                       in_order (virtio-user's default), packed or
                       packed_in_order [RING=$RING]
  -k, --keep-logs      keep the work directory: logs and callgrind dumps [KEEP_LOGS=1]
  -h, --help           this text
other variables: BUILD_DIR (default $ROOT/build), DAEMON, TESTPMD,
  VALGRIND (default valgrind), IDLE_DEV (the idle relay's device, default
  net_ring0; e.g. "net_null0,no-rx=1"), SETTLE (s between packets flowing
  and zeroing, default 2), RETRIES (repeats of a run whose loop lost
  packets or whose generator could not connect, default 2), FWD_TIMEOUT (s for the forwarder to start under
  valgrind, default 120), STOP_GRACE (s it gets to exit on SIGTERM,
  default 5), CONNECT_TIMEOUT (s the generator may take to connect,
  default 60), GEN_PREALLOC (MB of memory the generator takes at start,
  default 256), HUGEPAGES (free 2M pages to have, default 1024), HUGE_DIR;
  the generator's GEN_BURST, QUEUE_SIZE, GEN_MEM, GEN_MRGBUF and
  GEN_VDEV_EXTRA as in bench/pvp.sh;
  DAEMON_SETTINGS (more NAME=value settings of the daemon, blank-separated)
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	-w|--window) WINDOW=${2:?}; shift ;;
	-c|--calibrate) IDLE_WINDOW=${2:?}; shift ;;
	-s|--sizes) SIZES=${2:?}; shift ;;
	-o|--only) ONLY=${2:?}; shift ;;
	-i|--idle) IDLE=${2:?}; shift ;;
	-p|--poll-mode) POLL_MODE=${2:?}; shift ;;
	-n|--neighbours) NEIGHBOURS=${2:?}; shift ;;
	-l|--ring) RING=${2:?}; shift ;;
	--poll-mode=*) POLL_MODE=${1#*=} ;;
	--neighbours=*) NEIGHBOURS=${1#*=} ;;
	--ring=*) RING=${1#*=} ;;
	-k|--keep-logs) KEEP_LOGS=1 ;;
	-h|--help) usage; exit 0 ;;
	--window=*) WINDOW=${1#*=} ;;
	--calibrate=*) IDLE_WINDOW=${1#*=} ;;
	--sizes=*) SIZES=${1#*=} ;;
	--only=*) ONLY=${1#*=} ;;
	--idle=*) IDLE=${1#*=} ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

# ---------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------

isint "$WINDOW" && [ "$WINDOW" -ge 1 ] || die "WINDOW must be a positive integer (seconds)"
isint "$IDLE_WINDOW" && [ "$IDLE_WINDOW" -ge 1 ] || die "IDLE_WINDOW must be a positive integer (seconds)"
case "$IDLE" in 0|1) ;; *) die "IDLE must be 0 or 1" ;; esac
case "$POLL_MODE" in busy|adaptive) ;; *) die "POLL_MODE must be busy or adaptive" ;; esac
# Relay 0 and 63 more; each has a device, so the DPDK must allow them.
isint "$NEIGHBOURS" && [ "$NEIGHBOURS" -le 63 ] || die "NEIGHBOURS must be an integer from 0 to 63"
isint "$SETTLE" || die "SETTLE must be an integer (seconds)"
isint "$RETRIES" || die "RETRIES must be an integer"
isint "$FWD_TIMEOUT" && [ "$FWD_TIMEOUT" -ge 1 ] || die "FWD_TIMEOUT must be a positive integer"
isint "$STOP_GRACE" || die "STOP_GRACE must be an integer"
isint "$CONNECT_TIMEOUT" && [ "$CONNECT_TIMEOUT" -ge 1 ] || die "CONNECT_TIMEOUT must be a positive integer"
isint "$GEN_PREALLOC" && [ "$GEN_PREALLOC" -ge 128 ] || die "GEN_PREALLOC must be an integer >= 128 (MB)"
[ -n "$SIZES" ] || [ "$IDLE" = 1 ] || die "nothing to measure (no SIZES, IDLE=0)"
check_common_options
# One testpmd carries all the neighbours' guests: beyond Debian's 32
# ports it must be the one built with the daemon's DPDK.
if [ "$NEIGHBOURS" -gt 31 ] && [ -z "$TESTPMD_GIVEN" ]; then
	prefix=$("$ROOT/scripts/build-dpdk.sh" --prefix ||
		VFWD_DPDK_SET=tests "$ROOT/scripts/build-dpdk.sh" --prefix) ||
		die "NEIGHBOURS=$NEIGHBOURS: one testpmd with $NEIGHBOURS ports needs the DPDK of scripts/build-dpdk.sh (run it, or set TESTPMD)"
	TESTPMD=$prefix/bin/dpdk-testpmd
fi
check_host
if [ "$NEIGHBOURS" -gt 0 ]; then
	max_ports=$("$DAEMON" --version | sed -n 's/^max ports: //p')
	isint "$max_ports" || die "$DAEMON --version does not say its max ports"
	[ $((NEIGHBOURS + 1)) -le "$max_ports" ] ||
		die "NEIGHBOURS=$NEIGHBOURS needs $((NEIGHBOURS + 1)) DPDK ports; $DAEMON allows $max_ports: build build-64 with scripts/build-dpdk.sh --daemon and set BUILD_DIR=build-64"
fi

# valgrind, installed the way the project installs what it needs.
if ! command -v "$VALGRIND" >/dev/null 2>&1 || ! command -v callgrind_control >/dev/null 2>&1 ||
   ! command -v callgrind_annotate >/dev/null 2>&1; then
	log "valgrind is missing: installing the Debian package"
	vfwd_install_packages valgrind || die "cannot install valgrind (apt-get install valgrind)"
	command -v "$VALGRIND" >/dev/null 2>&1 || die "$VALGRIND not found after installing valgrind"
fi

# ---------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------

RESULTS=""
NRUN=0

# new_run NAME: a fresh run directory; the forwarder's command line.
new_run() {
	NRUN=$((NRUN + 1))
	RUN=$(printf '%s/run%03d-%s' "$WORK" "$NRUN" "$1")
	mkdir -p "$RUN"
	SOCK_A=$RUN/a0.sock
	SOCK_B=$RUN/b.sock
	DUT_PID=""
	PMD_PID_ref=""
	PMD_PID_gen=""
	PMD_PID_nbr=""
	FWD_PREFIX=""
	GEN_PREFIX=""
	# Without --fair-sched=yes the polling thread starves the vhost-user
	# thread and the generator never finishes connecting.
	FWD_WRAPPER=("$VALGRIND" --tool=callgrind --fair-sched=yes --separate-threads=yes
		--vgdb=yes --vgdb-prefix="$RUN/vgdb" --callgrind-out-file="$RUN/callgrind.out"
		--log-file="$RUN/valgrind.log")
}

# Ends the run's processes (the forwarder first, while its peer is still
# connected) and removes what they left.
end_run() {
	if [ -n "$DUT_PID" ]; then
		stop_pid "$DUT_PID" "$STOP_GRACE" term
		DUT_PID=""
	fi
	if [ -n "$PMD_PID_ref" ]; then
		stop_pid "$PMD_PID_ref" "$STOP_GRACE" term
		eval "exec ${PMD_FD_ref}>&-"
		PMD_PID_ref=""
	fi
	pmd_quit gen
	nbr_stop
	remove_prefix_files ${FWD_PREFIX:+"$FWD_PREFIX"} ${GEN_PREFIX:+"$GEN_PREFIX"}
	rm -f "$SOCK_A" "$SOCK_B"
	[ "$KEEP_LOGS" = 1 ] || rm -rf "$RUN"
}

# counted_window NPORTS SECONDS NAME: zero, SECONDS, dump; $RUN/NAME.json.
counted_window() {
	"$PY" "$HELPER" window "$GEN_PREFIX" "$1" \
		"$FWD_PID" "$RUN/vgdb" "$2" >"$RUN/$3.json" ||
		die "the counted window failed (logs: $RUN)"
}

# wait_log FILE PATTERN SECONDS PID: waits for PATTERN in FILE while PID lives.
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		alive "$4" || return 1
		sleep 0.05
	done
	return 1
}

# The generator has started its ports: it is past connecting.
gen_ports_up() {
	awk '/Checking link statuses/ { c = 1 } c && /^Done/ { f = 1 } END { exit !f }' "$RUN/gen.log"
}

# retry_run WHAT: ends a run that did not get going (status 4: repeat it).
retry_run() {
	log "$1 (logs: $RUN)"
	end_run
	return 4
}

# run_loaded KIND SIZE TRY: one run of the forwarder KIND with frames of
# SIZE bytes.  Returns 3 when the loop lost packets, 4 when the generator
# could not connect.
run_loaded() {
	local kind=$1 size=$2 try=$3 rate rc i
	new_run "$kind-$size"
	DAEMON_CONF_EXTRA=("VIRTIOFWD_POLL_MODE=$COST_MODE")
	[ "$COST_NBRS" -gt 0 ] && DAEMON_CONF_EXTRA+=("$(nbr_static_vfs)")
	fwd_start "$kind"
	if [ "$kind" = dut ] && [ "$COST_NBRS" -gt 0 ]; then
		nbr_start || { retry_run "$kind $size B: the neighbours did not connect"; return; }
	fi
	# The generator connects and starts its ports, then reads commands
	# from this FIFO (none) before it injects its bursts: the burst goes
	# out only once both sides of the forwarder are up.  Injected at once,
	# one of the two bursts nearly always met a side of the slow forwarder
	# that was not up yet, and that direction of the loop stayed empty.
	mkfifo "$RUN/gen.gate" || die "mkfifo $RUN/gen.gate"
	GEN_EXTRA=(--cmdline-file="$RUN/gen.gate")
	gen_launch "$size"
	GEN_EXTRA=()
	for ((i = 0; i < CONNECT_TIMEOUT * 20; i++)); do
		gen_ports_up && break
		alive "$PMD_PID_gen" || break
		sleep 0.05
	done
	gen_ports_up || { retry_run "$kind $size B: the generator did not connect"; return; }
	if [ "$kind" = dut ]; then
		wait_log "$RUN/dut.err" "relay 0: guest connected" 30 "$DUT_PID" ||
			{ retry_run "$kind $size B: the daemon did not see the guest"; return; }
	fi
	sleep "$SETTLE"
	# Calibration: the loop is up but silent, every poll finds nothing.
	counted_window 2 "$IDLE_WINDOW" idle
	timeout 30 sh -c ': >"$1"' sh "$RUN/gen.gate" ||
		{ retry_run "$kind $size B: the generator did not open its command FIFO"; return; }
	pmd_running gen "$GEN_PREFIX" 30 ||
		{ retry_run "$kind $size B: the generator did not start forwarding"; return; }
	rate=$("$PY" "$HELPER" flowing "$GEN_PREFIX" 2 60) ||
		{ retry_run "$kind $size B: no packets flow through the forwarder"; return; }
	log "$kind $size B: flowing at $((rate / 1000)) kpps under callgrind; counting for ${WINDOW}s"
	sleep "$SETTLE"
	counted_window 2 "$WINDOW" loaded
	"$PY" "$HELPER" analyse "$kind" "$size" "$RUN/callgrind.out.1-*" "$RUN/idle.json" \
		"$RUN/callgrind.out.2-*" "$RUN/loaded.json" \
		"$RESULTS" "$(( GEN_BURST < 32 ? GEN_BURST : 32 ))" "$try"
	rc=$?
	if [ "$rc" = 4 ]; then
		retry_run "$kind $size B: the calibration is not valid"
		return
	fi
	end_run
	return $rc
}

# The devices of relay 0 and of COST_NBRS idle neighbours (relays 1...).
nbr_static_vfs() {
	local i list="net_vhost0,iface=$SOCK_B=0"
	for ((i = 1; i <= COST_NBRS; i++)); do
		list+=" net_ring$i=$i"
	done
	echo "VIRTIOFWD_STATIC_VFS=($list)"
}

# The neighbours' guests: one testpmd with a virtio-user port on each of
# their sockets; once the daemon has seen them all, it is stopped
# (SIGSTOP): connected, silent, and off the generator's CPU.
nbr_start() {
	# Under valgrind the daemon takes a second or two per guest: the
	# time the neighbours get grows with them.
	local i vdevs=() timeout=$((CONNECT_TIMEOUT + 4 * COST_NBRS))
	# The daemon attaches its N+1 static devices first, each slow under
	# valgrind (minutes for 63 on a busy machine): the neighbours' time
	# starts once it is ready.
	wait_log "$RUN/dut.err" "ready: " $((FWD_TIMEOUT + 10 * COST_NBRS)) "$DUT_PID" || return 1
	new_prefix nbr
	NBR_PREFIX=$REPLY
	for ((i = 1; i <= COST_NBRS; i++)); do
		vdevs+=(--vdev "net_virtio_user$i,path=$RUN/a$i.sock,queue_size=$QUEUE_SIZE")
	done
	# The daemon maps all of the neighbours' memory once per guest: 63
	# times 1 GB went past what valgrind can map (the 63rd guest's memory
	# table failed with EINVAL), 63 times 512 MB does not.
	pmd_start nbr -l "$GEN_CPU,$FWD_CPU" --main-lcore "$FWD_CPU" \
		--file-prefix="$NBR_PREFIX" --no-huge -m 512 --no-pci "${vdevs[@]}" \
		-- --nb-cores=1 --forward-mode=rxonly --no-mlockall \
		--total-num-mbufs=32768 --rxd="$QUEUE_SIZE" --txd="$QUEUE_SIZE"
	for ((i = 0; i < timeout * 20; i++)); do
		[ "$(grep -c 'guest connected' "$RUN/dut.err")" -ge "$COST_NBRS" ] && break
		alive "$PMD_PID_nbr" || return 1
		sleep 0.05
	done
	[ "$(grep -c 'guest connected' "$RUN/dut.err")" -ge "$COST_NBRS" ] || return 1
	kill -STOP "$PMD_PID_nbr"
}

nbr_stop() {
	[ -n "${PMD_PID_nbr:-}" ] || return 0
	kill -CONT "$PMD_PID_nbr" 2>/dev/null
	pmd_quit nbr
	remove_prefix_files "$NBR_PREFIX"
}

# The idle polls: relay 0 of the daemon between a guest that is connected
# but sends nothing (the generator with one port on socket A, rxonly) and
# a device that is attached but receives nothing (IDLE_DEV).
run_idle() {
	new_run idle
	DAEMON_CONF_EXTRA=("VIRTIOFWD_POLL_MODE=$COST_MODE")
	fwd_start dut "$IDLE_DEV"
	wait_log "$RUN/dut.err" "relay 0: device .* attached" 30 "$DUT_PID" || {
		tail -n 20 "$RUN/dut.err" >&2
		die "idle: the daemon did not attach $IDLE_DEV (try IDLE_DEV=\"net_null0,no-rx=1\"; log: $RUN/dut.err)"
	}
	gen_launch 64 1 --forward-mode=rxonly
	pmd_running gen "$GEN_PREFIX" "$CONNECT_TIMEOUT" ||
		{ retry_run "idle: the generator did not connect"; return; }
	wait_log "$RUN/dut.err" "relay 0: guest connected" 30 "$DUT_PID" ||
		{ retry_run "idle: the daemon did not see the guest"; return; }
	log "idle: guest connected, $IDLE_DEV attached; counting for ${WINDOW}s"
	sleep "$SETTLE"
	counted_window 1 "$WINDOW" idle
	"$PY" "$HELPER" idle "$RUN/callgrind.out.1-*" "$RUN/idle.json" "$RESULTS" "$IDLE_DEV" ||
		die "idle: analysis failed"
	end_run
}

# measure KIND [SIZE]: a run (KIND idle: the idle polls), repeated up to
# RETRIES more times when the generator could not connect or the loop
# lost packets.
measure() {
	local try rc
	for ((try = 1; try <= RETRIES + 1; try++)); do
		if [ "$1" = idle ]; then
			run_idle
		else
			run_loaded "$1" "$2" "$try"
		fi
		rc=$?
		case "$rc" in
		0) return 0 ;;
		3) [ "$try" -le "$RETRIES" ] && log "the loop lost packets: repeating the run ($1 ${2:-} B)" ;;
		4) [ "$try" -le "$RETRIES" ] && log "repeating the run ($*)" ;;
		*) die "$* : analysis failed" ;;
		esac
	done
	# A lossy run is reported (marked); a run that never got going is not.
	[ "$rc" = 3 ] || die "$*: the generator could not connect in $((RETRIES + 1)) tries"
	return 0
}

# ---------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------

START=$(date +%s)
WORK=$(mktemp -d /tmp/vfwd-cost.XXXXXX) || die "mktemp failed"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
setup_hugepages
# The generator takes its memory at start.  Memory it allocated later
# would be announced to the forwarder (SET_MEM_TABLE, with the queues
# disabled and enabled around it) after the guest is up; under valgrind
# such a message can wait indefinitely for the queue lock the polling
# thread keeps taking (see bench/README.md).
[ "$GEN_MEM" = huge ] && GEN_EAL_EXTRA=(-m "$GEN_PREALLOC")

export COST_MODE=$POLL_MODE COST_NBRS=0
log "daemon: $DAEMON"
log "window=${WINDOW}s sizes=($SIZES) only=$ONLY idle=$IDLE generator: burst=$GEN_BURST queue size=$QUEUE_SIZE layout=$RING mem=$GEN_MEM"
echo "PVP loop: generator dpdk-testpmd (native) on CPU $GEN_CPU, forwarder under callgrind on CPU $FWD_CPU"
echo "(ref = dpdk-testpmd io between two vhost ports, dut = virtio-forwarder relay 0)"
if [ "$NEIGHBOURS" -gt 0 ]; then
	# Under valgrind each relay's buffer pool takes seconds to fill.
	[ "$FWD_TIMEOUT" -ge $((60 + 20 * NEIGHBOURS)) ] || FWD_TIMEOUT=$((60 + 20 * NEIGHBOURS))
	size=${SIZES%% *}
	echo "neighbours: relay 0 alone and beside $NEIGHBOURS idle relays, $size B"
	for COST_MODE in busy adaptive; do
		for COST_NBRS in 0 "$NEIGHBOURS"; do
			export COST_MODE COST_NBRS
			measure dut "$size"
		done
	done
else
	for size in $SIZES; do
		for kind in dut ref; do
			[ "$ONLY" = both ] || [ "$ONLY" = "$kind" ] || continue
			measure "$kind" "$size"
		done
	done
	if [ "$IDLE" = 1 ] && [ "$ONLY" != ref ]; then
		measure idle
	fi
fi

"$PY" "$HELPER" summary "$RESULTS" "$WINDOW" "$(( $(date +%s) - START ))"
if [ "$KEEP_LOGS" = 1 ]; then
	log "per-run data: $RESULTS"
fi
