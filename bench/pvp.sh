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

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-${VFWD_BUILD:-$ROOT/build}}
DAEMON=${DAEMON:-$BUILD_DIR/src/virtio-forwarder}
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}        # measured window, seconds
WARMUP=${WARMUP:-3}             # seconds between injecting and measuring
SIZES=${SIZES:-"64 1518"}       # frame sizes (bytes, without FCS)
TX_BURSTS=${TX_BURSTS:-4}       # bursts of 32 the generator injects per port
QUEUE_SIZE=${QUEUE_SIZE:-256}   # virtio ring size of the generator's ports
GEN_MEM=${GEN_MEM:-huge}        # generator memory: huge | nohuge
GEN_MRGBUF=${GEN_MRGBUF:-0}     # mrg_rxbuf of the generator's virtio-user ports
HUGEPAGES=${HUGEPAGES:-1024}    # free 2M pages wanted before starting
HUGE_DIR=${HUGE_DIR:-/dev/hugepages}
KEEP_LOGS=${KEEP_LOGS:-0}       # 1: keep the work directory and its logs
ORDER=${ORDER:-alternate}       # alternate | ref-first | dut-first
ONLY=${ONLY:-both}              # both | ref | dut (for debugging)
FWD_CPU=1
GEN_CPU=0

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
  -b, --bursts N       bursts of 32 packets injected per generator port
                       [TX_BURSTS=$TX_BURSTS]
  -q, --queue-size N   virtio ring size of the generator ports [QUEUE_SIZE=$QUEUE_SIZE]
  -m, --gen-mem M      generator memory: huge (hugepages, single file
                       segments) or nohuge [GEN_MEM=$GEN_MEM]
  -k, --keep-logs      keep the work directory with all logs [KEEP_LOGS=1]
  -h, --help           this text
other variables: BUILD_DIR (default $ROOT/build), DAEMON, TESTPMD,
  HUGEPAGES (free 2M pages to have, default 1024), HUGE_DIR, GEN_MRGBUF (0/1),
  ORDER (alternate | ref-first | dut-first), ONLY (both | ref | dut)
EOF
}

die() {
	echo "pvp: error: $*" >&2
	exit 1
}

note() {
	echo "pvp: $*" >&2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-r|--rounds) ROUNDS=${2:?}; shift ;;
	-d|--duration) DURATION=${2:?}; shift ;;
	-w|--warmup) WARMUP=${2:?}; shift ;;
	-s|--sizes) SIZES=${2:?}; shift ;;
	-b|--bursts) TX_BURSTS=${2:?}; shift ;;
	-q|--queue-size) QUEUE_SIZE=${2:?}; shift ;;
	-m|--gen-mem) GEN_MEM=${2:?}; shift ;;
	-k|--keep-logs) KEEP_LOGS=1 ;;
	-h|--help) usage; exit 0 ;;
	--rounds=*) ROUNDS=${1#*=} ;;
	--duration=*) DURATION=${1#*=} ;;
	--warmup=*) WARMUP=${1#*=} ;;
	--sizes=*) SIZES=${1#*=} ;;
	--bursts=*) TX_BURSTS=${1#*=} ;;
	--queue-size=*) QUEUE_SIZE=${1#*=} ;;
	--gen-mem=*) GEN_MEM=${1#*=} ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

# ---------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------

isint() { [[ $1 =~ ^[0-9]+$ ]]; }
isint "$ROUNDS" && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a positive integer"
isint "$DURATION" && [ "$DURATION" -ge 2 ] || die "DURATION must be an integer >= 2 (seconds)"
isint "$WARMUP" || die "WARMUP must be an integer (seconds)"
isint "$TX_BURSTS" && [ "$TX_BURSTS" -ge 1 ] || die "TX_BURSTS must be a positive integer"
isint "$QUEUE_SIZE" || die "QUEUE_SIZE must be an integer"
for s in $SIZES; do
	isint "$s" && [ "$s" -ge 60 ] && [ "$s" -le 2000 ] ||
		die "frame size $s: must be an integer from 60 to 2000"
done
case "$GEN_MEM" in huge|nohuge) ;; *) die "GEN_MEM must be huge or nohuge" ;; esac
case "$ORDER" in alternate|ref-first|dut-first) ;; *) die "ORDER: alternate, ref-first or dut-first" ;; esac
case "$ONLY" in both|ref|dut) ;; *) die "ONLY: both, ref or dut" ;; esac

[ "$(id -u)" = 0 ] || die "must run as root (hugepages, DPDK)"
if [ ! -x "$DAEMON" ]; then
	die "the daemon is not built: $DAEMON is missing (build it with 'meson setup build && ninja -C build' in $ROOT, or set BUILD_DIR)"
fi
command -v "$TESTPMD" >/dev/null 2>&1 ||
	die "$TESTPMD not found (apt-get install dpdk-dev, or set TESTPMD)"
[ -x "$PY" ] || die "$PY not found (Debian's python3 is needed for parsing)"
command -v stdbuf >/dev/null 2>&1 || die "stdbuf (coreutils) not found"
for c in $GEN_CPU $FWD_CPU; do
	[ -d /sys/devices/system/cpu/cpu$c ] || die "CPU $c does not exist"
	grep -qw "$c" <(taskset -pc $$ 2>/dev/null | sed 's/.*: //; s/,/ /g; s/\([0-9]*\)-\([0-9]*\)/\1 \2/g') ||
		note "warning: CPU $c may not be in this shell's affinity"
done

HP_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB

# Makes sure hugetlbfs is mounted at HUGE_DIR and HUGEPAGES pages are free.
HP_ORIG=""
MOUNTED_HUGE=0
setup_hugepages() {
	local free nr want
	[ -d "$HP_SYS" ] || die "no 2M hugepage support ($HP_SYS missing)"
	if ! mountpoint -q "$HUGE_DIR" || [ "$(stat -f -c %T "$HUGE_DIR")" != hugetlbfs ]; then
		mkdir -p "$HUGE_DIR" || die "cannot create $HUGE_DIR"
		mount -t hugetlbfs -o pagesize=2M nodev "$HUGE_DIR" ||
			die "cannot mount hugetlbfs at $HUGE_DIR"
		MOUNTED_HUGE=1
		note "mounted hugetlbfs at $HUGE_DIR"
	fi
	free=$(cat $HP_SYS/free_hugepages)
	nr=$(cat $HP_SYS/nr_hugepages)
	if [ "$free" -lt "$HUGEPAGES" ]; then
		want=$((nr + HUGEPAGES - free))
		echo "$want" > $HP_SYS/nr_hugepages 2>/dev/null
		HP_ORIG=$nr
		free=$(cat $HP_SYS/free_hugepages)
		note "reserved 2M hugepages: $nr -> $(cat $HP_SYS/nr_hugepages) ($free free)"
		[ "$free" -ge 300 ] ||
			die "only $free free 2M hugepages after trying to reserve $want (memory fragmented?)"
	fi
}

# ---------------------------------------------------------------------
# Process and resource tracking; everything is undone by cleanup()
# ---------------------------------------------------------------------

WORK=""
TAG=$(printf '%04x%04x' $RANDOM $RANDOM)
PIDS=()          # processes this script started and has not reaped
PREFIXES=()      # DPDK file prefixes this script used
NPREFIX=0

# A fresh DPDK file prefix; zero-padded, so no prefix of ours is the
# beginning of another one and "$HUGE_DIR/$prefix"* matches only its files.
new_prefix() {
	NPREFIX=$((NPREFIX + 1))
	REPLY=$(printf 'pvp%s%03d%s' "$TAG" "$NPREFIX" "$1")
	PREFIXES+=("$REPLY")
}

# Is process $1 alive (not gone, not a zombie)?
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" != "$1" ] && keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# Ends our child $1: waits up to $2 s for it to exit by itself (if $3 is
# "wait"), else SIGTERM, then SIGKILL.  Sets STOP_STATUS to its exit status.
stop_pid() {
	local pid=$1 grace=${2:-10} how=${3:-term} i
	STOP_STATUS=""
	if [ "$how" = term ] && alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
	fi
	for ((i = 0; i < grace * 20; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
	fi
	if alive "$pid"; then
		note "pid $pid did not stop: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	STOP_STATUS=$?
	forget_pid "$pid"
}

remove_prefix_files() {
	local p
	for p in "$@"; do
		rm -f "$HUGE_DIR/$p"*
		rm -rf "/var/run/dpdk/$p"
	done
}

CLEANING=0
cleanup() {
	local rc=$? p
	[ "$CLEANING" = 1 ] && return
	CLEANING=1
	trap - INT TERM
	for p in "${PIDS[@]}"; do
		stop_pid "$p" 2 term
	done
	[ ${#PREFIXES[@]} -gt 0 ] && remove_prefix_files "${PREFIXES[@]}"
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "$KEEP_LOGS" = 1 ]; then
			find "$WORK" -type s -delete 2>/dev/null
			find "$WORK" -type p -delete 2>/dev/null
			note "logs kept in $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	if [ -n "$HP_ORIG" ]; then
		# Gives back the pages we added; pages in use stay reserved.
		echo "$HP_ORIG" > $HP_SYS/nr_hugepages 2>/dev/null
	fi
	if [ "$MOUNTED_HUGE" = 1 ]; then
		umount "$HUGE_DIR" 2>/dev/null
	fi
	return $rc
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT
trap 'note "terminated"; exit 143' TERM

# ---------------------------------------------------------------------
# dpdk-testpmd in interactive mode, driven through a FIFO
# ---------------------------------------------------------------------

# pmd_start NAME CPU_LIST MAIN_LCORE PREFIX ARGS... -- TESTPMD_ARGS...
# Starts testpmd with stdin from $WORK/NAME.in, output in $WORK/NAME.log;
# sets PMD_PID_<NAME> and PMD_FD_<NAME>.
pmd_start() {
	local name=$1 fifo="$RUN/$1.in" log="$RUN/$1.log" fd pid
	shift
	mkfifo "$fifo" || die "mkfifo $fifo"
	exec {fd}<>"$fifo"
	# The main lcore only reads commands (it sleeps in read()).
	stdbuf -oL "$TESTPMD" "$@" <"$fifo" >"$log" 2>&1 {fd}>&- &
	pid=$!
	PIDS+=("$pid")
	printf -v "PMD_PID_$name" '%s' "$pid"
	printf -v "PMD_FD_$name" '%s' "$fd"
}

# pmd_wait_prompt NAME TIMEOUT: waits for the first prompt.
pmd_wait_prompt() {
	local name=$1 timeout=${2:-30} pidv="PMD_PID_$1" i
	for ((i = 0; i < timeout * 20; i++)); do
		grep -q 'testpmd> ' "$RUN/$name.log" 2>/dev/null && return 0
		alive "${!pidv}" || break
		sleep 0.05
	done
	echo "---- $RUN/$name.log" >&2
	tail -n 30 "$RUN/$name.log" >&2
	die "$name: testpmd did not come up"
}

# pmd_cmd NAME COMMAND [TIMEOUT]: runs one command; its output is in PMD_OUT.
pmd_cmd() {
	local name=$1 cmd=$2 timeout=${3:-20} log="$RUN/$1.log" pidv="PMD_PID_$1"
	local fdv="PMD_FD_$1" mark i
	PMD_OUT=""
	mark=$(stat -c %s "$log")
	printf '%s\n' "$cmd" >&"${!fdv}"
	for ((i = 0; i < timeout * 100; i++)); do
		PMD_OUT=$(tail -c +$((mark + 1)) "$log")
		case "$PMD_OUT" in *"testpmd> "*) return 0 ;; esac
		alive "${!pidv}" || return 1
		sleep 0.01
	done
	return 1
}

# pmd_quit NAME: asks testpmd to quit, ends it by signal if it does not.
pmd_quit() {
	local name=$1 pidv="PMD_PID_$1" fdv="PMD_FD_$1"
	[ -n "${!pidv:-}" ] || return 0
	if alive "${!pidv}"; then
		printf 'quit\n' >&"${!fdv}" 2>/dev/null
	fi
	stop_pid "${!pidv}" 10 wait
	eval "exec ${!fdv}>&-"
	printf -v "$pidv" '%s' ""
}

# Port counters of a 'show port stats all' output: "rx0 tx0 rx1 tx1".
parse_port_stats() {
	awk '
		/NIC statistics for port/ { for (i = 1; i <= NF; i++) if ($i == "port") p = $(i + 1) }
		/RX-packets:/ { rx[p] = $2 }
		/TX-packets:/ { tx[p] = $2 }
		END { printf "%s %s %s %s\n", rx[0], tx[0], rx[1], tx[1] }'
}

# Samples the generator's counters: prints "time rx0 tx0 rx1 tx1".
gen_sample() {
	local t
	t=$EPOCHREALTIME
	pmd_cmd gen "show port stats all" || die "generator: no answer to 'show port stats all'"
	echo "$t $(printf '%s\n' "$PMD_OUT" | parse_port_stats)"
}

# ---------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------

RESULTS=""       # file of result lines
NRUN=0

# Writes the daemon configuration for this run.
write_daemon_conf() {
	local conf=$1 prefix=$2
	cat >"$conf" <<EOF
# virtio-forwarder configuration written by bench/pvp.sh
VIRTIOFWD_CPU_MASK=$FWD_CPU
VIRTIOFWD_MASTER_LCORE=$GEN_CPU
VIRTIOFWD_SOCKET_DIR=$RUN
VIRTIOFWD_SOCKET_FNAME_PATTERN=a%u.sock
VIRTIOFWD_STATIC_VFS=(net_vhost0,iface=$SOCK_B=0)
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=
VIRTIOFWD_PID_DIR=$RUN
VIRTIOFWD_FILE_PREFIX=$prefix
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=$HUGE_DIR
VIRTIOFWD_LOG_LEVEL=5
EOF
}

wait_file() {
	local f=$1 pid=$2 timeout=$3 i
	for ((i = 0; i < timeout * 20; i++)); do
		[ -S "$f" ] && return 0
		alive "$pid" || return 1
		sleep 0.05
	done
	return 1
}

# Sends SIGUSR1 to the daemon and waits for its stats dump; prints it.
daemon_stats() {
	local out=$RUN/dut.out mark i
	mark=$(stat -c %s "$out")
	kill -USR1 "$DUT_PID" 2>/dev/null || return 1
	for ((i = 0; i < 200; i++)); do
		if tail -c +$((mark + 1)) "$out" | grep -q '^stats end'; then
			tail -c +$((mark + 1)) "$out" | sed -n '/^stats begin/,/^stats end/p'
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# run_one KIND SIZE ROUND: starts the forwarder KIND (ref|dut), the
# generator, measures, stops everything; appends a line to RESULTS.
run_one() {
	local kind=$1 size=$2 round=$3 fwd_prefix gen_prefix genmem vdevopt
	local s0 s1 s2 fwdpid drops="" info="" extra=""
	NRUN=$((NRUN + 1))
	RUN=$(printf '%s/run%03d-%s-%s' "$WORK" "$NRUN" "$kind" "$size")
	mkdir -p "$RUN"
	SOCK_A=$RUN/a0.sock
	SOCK_B=$RUN/b.sock
	DUT_PID=""
	PMD_PID_ref=""
	PMD_PID_gen=""

	# --- the forwarder on CPU FWD_CPU ---
	new_prefix "$kind"
	fwd_prefix=$REPLY
	if [ "$kind" = ref ]; then
		pmd_start ref -l "$GEN_CPU,$FWD_CPU" --main-lcore "$GEN_CPU" \
			--file-prefix="$fwd_prefix" --huge-dir="$HUGE_DIR" --no-pci \
			--vdev "net_vhost0,iface=$SOCK_A" --vdev "net_vhost1,iface=$SOCK_B" \
			-- -i --nb-cores=1 --forward-mode=io --no-mlockall \
			--total-num-mbufs=8192 --mbcache=256
		fwdpid=$PMD_PID_ref
		pmd_wait_prompt ref 30
		pmd_cmd ref "start" || die "reference: 'start' failed"
	else
		write_daemon_conf "$RUN/dut.conf" "$fwd_prefix"
		"$DAEMON" --config "$RUN/dut.conf" </dev/null >"$RUN/dut.out" 2>"$RUN/dut.err" &
		DUT_PID=$!
		PIDS+=("$DUT_PID")
		fwdpid=$DUT_PID
		local i
		for ((i = 0; i < 600; i++)); do
			grep -q ']: ready' "$RUN/dut.err" && break
			alive "$DUT_PID" || break
			sleep 0.05
		done
		if ! grep -q ']: ready' "$RUN/dut.err"; then
			tail -n 30 "$RUN/dut.err" >&2
			die "virtio-forwarder did not report ready (log: $RUN/dut.err)"
		fi
	fi
	wait_file "$SOCK_A" "$fwdpid" 30 && wait_file "$SOCK_B" "$fwdpid" 30 ||
		die "$kind: sockets $SOCK_A / $SOCK_B did not appear"

	# --- the generator on CPU GEN_CPU ---
	new_prefix gen
	gen_prefix=$REPLY
	if [ "$GEN_MEM" = huge ]; then
		genmem=(--huge-dir="$HUGE_DIR" --single-file-segments)
	else
		genmem=(--no-huge -m 1024)
	fi
	vdevopt="queue_size=$QUEUE_SIZE,mrg_rxbuf=$GEN_MRGBUF"
	pmd_start gen -l "$GEN_CPU,$FWD_CPU" --main-lcore "$FWD_CPU" \
		--file-prefix="$gen_prefix" "${genmem[@]}" --no-pci \
		--vdev "net_virtio_user0,path=$SOCK_A,$vdevopt" \
		--vdev "net_virtio_user1,path=$SOCK_B,$vdevopt" \
		-- -i --nb-cores=1 --forward-mode=io --no-mlockall \
		--total-num-mbufs=16384 --txpkts="$size" \
		--rxd="$QUEUE_SIZE" --txd="$QUEUE_SIZE"
	pmd_wait_prompt gen 30
	grep -q 'Port 1: ' "$RUN/gen.log" ||
		{ tail -n 30 "$RUN/gen.log" >&2; die "generator: port 1 missing (see $RUN/gen.log)"; }
	# Let the forwarder see both guests before anything is sent.
	sleep 1
	pmd_cmd gen "start tx_first $TX_BURSTS" || die "generator: start failed"

	sleep "$WARMUP"
	s0=$(gen_sample)
	sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
	s1=$(gen_sample)
	sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
	s2=$(gen_sample)

	# --- drops seen by the forwarder, then stop everything ---
	if [ "$kind" = dut ]; then
		daemon_stats >"$RUN/dut.stats" || note "daemon: no stats dump"
		drops=$(awk '/^relay 0 (vf_to_vm|vm_to_vf)/ {
				for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^drop_/ && kv[1] ~ /_pkts$/) d += kv[2] } }
			END { print d + 0 }' "$RUN/dut.stats")
		info=$(awk '/^worker/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); c[kv[1]] = kv[2] } }
			END { if (c["busy_cycles"] + c["idle_cycles"] > 0) printf "busy=%.1f%%", 100 * c["busy_cycles"] / (c["busy_cycles"] + c["idle_cycles"]) }' "$RUN/dut.stats")
	else
		pmd_cmd ref "stop" && printf '%s\n' "$PMD_OUT" >"$RUN/ref.stats"
		drops=$(awk '/Accumulated/ { seen = 1 } seen && /RX-dropped:/ { d += $4 } seen && /TX-dropped:/ { d += $4 } END { print d + 0 }' "$RUN/ref.stats" 2>/dev/null)
	fi
	pmd_cmd gen "stop" && printf '%s\n' "$PMD_OUT" >"$RUN/gen.stop"
	pmd_quit gen
	if [ "$kind" = dut ]; then
		stop_pid "$DUT_PID" 20 term
		[ "$STOP_STATUS" = 0 ] || extra="daemon_exit=$STOP_STATUS"
		grep -q ']: stopped' "$RUN/dut.err" || extra="$extra no_stopped_line"
	else
		pmd_quit ref
	fi
	remove_prefix_files "$fwd_prefix" "$gen_prefix"
	rm -f "$SOCK_A" "$SOCK_B"
	[ "$KEEP_LOGS" = 1 ] || rm -rf "$RUN"

	# --- result ---
	echo "$size $kind $round $s0 $s1 $s2 drops=${drops:-?} $info $extra" >>"$RESULTS"
	"$PY" - "$size" "$kind" "$round" "$s0" "$s1" "$s2" "${drops:-?}" "$info $extra" <<'EOF'
import sys
size, kind, rnd = sys.argv[1:4]
s = [list(map(float, a.split())) for a in sys.argv[4:7]]
def rate(a, b):
    return (b[1] + b[3] - a[1] - a[3]) / (b[0] - a[0]) / 1e6
tot, h1, h2 = rate(s[0], s[2]), rate(s[0], s[1]), rate(s[1], s[2])
flag = ""
if tot <= 0.001:
    flag = "  LOOP DEAD"
elif abs(h1 - h2) > 0.1 * max(h1, h2):
    flag = "  UNSTABLE"
print("  round %s  %4s B  %-3s  %7.3f Mpps  (halves %.3f / %.3f)  forwarder drops=%s %s%s"
      % (rnd, size, kind, tot, h1, h2, sys.argv[7], sys.argv[8].strip(), flag), flush=True)
EOF
}

# ---------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------

WORK=$(mktemp -d /tmp/vfwd-pvp.XXXXXX) || die "mktemp failed"
RESULTS=$WORK/results.txt
: >"$RESULTS"
setup_hugepages

note "daemon $DAEMON"
note "rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s sizes=($SIZES) tx_first bursts=$TX_BURSTS ring=$QUEUE_SIZE gen_mem=$GEN_MEM order=$ORDER"
echo "PVP: generator testpmd (CPU $GEN_CPU) <-> forwarder (CPU $FWD_CPU); Mpps = packets/s the forwarder delivered, both directions"
for ((round = 1; round <= ROUNDS; round++)); do
	for size in $SIZES; do
		case "$ORDER" in
		ref-first) order="ref dut" ;;
		dut-first) order="dut ref" ;;
		*) if [ $((round % 2)) = 1 ]; then order="ref dut"; else order="dut ref"; fi ;;
		esac
		for kind in $order; do
			[ "$ONLY" = both ] || [ "$ONLY" = "$kind" ] || continue
			run_one "$kind" "$size" "$round"
		done
	done
done

"$PY" - "$RESULTS" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    size, kind = int(f[0]), f[1]
    a = list(map(float, f[3:8])); b = list(map(float, f[13:18]))
    mpps = (b[1] + b[3] - a[1] - a[3]) / (b[0] - a[0]) / 1e6
    rows.setdefault(size, {}).setdefault(kind, []).append(mpps)

def fmt(xs):
    return " ".join("%.2f" % x for x in xs)

print()
print("summary (Mpps; ratio = dut / ref)")
print("%6s  %-4s %-40s %8s %8s" % ("size", "who", "runs", "median", "best"))
for size in sorted(rows):
    r = rows[size]
    for kind in ("ref", "dut"):
        if kind in r:
            print("%6d  %-4s %-40s %8.3f %8.3f" % (size, kind, fmt(r[kind]),
                  statistics.median(r[kind]), max(r[kind])))
    if "ref" in r and "dut" in r:
        mr = statistics.median(r["dut"]) / statistics.median(r["ref"])
        br = max(r["dut"]) / max(r["ref"])
        print("%6d  ratio median %.3f   best %.3f   (target >= 0.98)" % (size, mr, br))
EOF
