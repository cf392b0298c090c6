# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shared by the benchmarks bench/pvp.sh and bench/cost.sh: settings of the
# PVP loop, checks, hugepages, process and resource tracking with cleanup,
# and starting the generator and the forwarder under test.  Sourced, not
# run.  The caller sets BENCH (its name: messages, file prefixes and the
# work directory) before sourcing it.
#
# Sourcing installs an EXIT trap (cleanup) and INT/TERM traps: everything
# started or created through these functions is undone when the script
# ends, however it ends.

: "${BENCH:?set BENCH before sourcing bench/lib.sh}"

# The project's shell library: log and die ("$BENCH: ..." on stderr), and
# installing packages.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
VFWD_PROG=$BENCH
ROOT=$VFWD_ROOT
BUILD_DIR=${BUILD_DIR:-${VFWD_BUILD:-$ROOT/build}}
DAEMON=${DAEMON:-$BUILD_DIR/src/virtio-forwarder}
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3

SIZES=${SIZES:-"64 1518"}       # frame sizes (bytes, without FCS)
GEN_MODE=${GEN_MODE:-io}        # generator forwarding mode: io | flowgen
GEN_BURST=${GEN_BURST:-32}      # generator burst (io: also what --tx-first injects per port)
QUEUE_SIZE=${QUEUE_SIZE:-256}   # virtio ring size of the generator's ports
GEN_MEM=${GEN_MEM:-huge}        # generator memory: huge | nohuge
GEN_MRGBUF=${GEN_MRGBUF:-0}     # mrg_rxbuf of the generator's virtio-user ports
GEN_VDEV_EXTRA=${GEN_VDEV_EXTRA-,vectorized=1}  # more virtio-user devargs
# The virtqueue layout of the generator's ports: split, in_order (split,
# used in order: virtio-user's default, and every figure before the
# option existed), packed or packed_in_order.
RING=${RING:-in_order}
HUGEPAGES=${HUGEPAGES:-1024}    # free 2M pages wanted before starting
HUGE_DIR=${HUGE_DIR:-/dev/hugepages}
KEEP_LOGS=${KEEP_LOGS:-0}       # 1: keep the work directory and its logs
ONLY=${ONLY:-both}              # both | ref | dut
FWD_CPU=1
GEN_CPU=0

# How the forwarder is started (bench/cost.sh runs it under valgrind):
FWD_WRAPPER=()                  # command and options put before it
FWD_TIMEOUT=30                  # seconds it may take to come up
DAEMON_LOG_LEVEL=5              # VIRTIOFWD_LOG_LEVEL of the daemon
DAEMON_CONF_EXTRA=()            # more NAME=value lines for its configuration
# The caller's own settings for the daemon, NAME=value words separated by
# blanks (e.g. DAEMON_SETTINGS="VIRTIOFWD_POSTCOPY=y"), after the script's.
DAEMON_SETTINGS=${DAEMON_SETTINGS:-}

isint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------

# Option values both benchmarks share.
check_common_options() {
	local s
	isint "$GEN_BURST" && [ "$GEN_BURST" -ge 1 ] && [ "$GEN_BURST" -le 512 ] || die "GEN_BURST must be an integer from 1 to 512"
	case "$GEN_MODE" in io|flowgen) ;; *) die "GEN_MODE must be io or flowgen" ;; esac
	isint "$QUEUE_SIZE" || die "QUEUE_SIZE must be an integer"
	for s in $SIZES; do
		isint "$s" && [ "$s" -ge 60 ] && [ "$s" -le 2000 ] ||
			die "frame size $s: must be an integer from 60 to 2000"
	done
	case "$GEN_MEM" in huge|nohuge) ;; *) die "GEN_MEM must be huge or nohuge" ;; esac
	case "$ONLY" in both|ref|dut) ;; *) die "ONLY: both, ref or dut" ;; esac
	ring_devargs >/dev/null || die "RING: split, in_order, packed or packed_in_order, not '$RING'"
}

# The virtio-user devargs of virtqueue layout RING.
ring_devargs() {
	case "$RING" in
	split) echo ",packed_vq=0,in_order=0" ;;
	in_order) echo ",packed_vq=0,in_order=1" ;;
	packed) echo ",packed_vq=1,in_order=0" ;;
	packed_in_order) echo ",packed_vq=1,in_order=1" ;;
	*) return 1 ;;
	esac
}

# Root, the programs, the CPUs.
check_host() {
	local c
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
			log "warning: CPU $c may not be in this shell's affinity"
	done
}

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
		log "mounted hugetlbfs at $HUGE_DIR"
	fi
	free=$(cat $HP_SYS/free_hugepages)
	nr=$(cat $HP_SYS/nr_hugepages)
	if [ "$free" -lt "$HUGEPAGES" ]; then
		want=$((nr + HUGEPAGES - free))
		echo "$want" > $HP_SYS/nr_hugepages 2>/dev/null
		HP_ORIG=$nr
		free=$(cat $HP_SYS/free_hugepages)
		log "reserved 2M hugepages: $nr -> $(cat $HP_SYS/nr_hugepages) ($free free)"
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
	REPLY=$(printf '%s%s%03d%s' "$BENCH" "$TAG" "$NPREFIX" "$1")
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
		log "pid $pid did not stop: SIGKILL"
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
			log "logs kept in $WORK"
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
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------------
# dpdk-testpmd, non-interactive
# ---------------------------------------------------------------------
#
# Not interactive on purpose: testpmd's interactive prompt busy-polls its
# input on the main lcore (a second 100% thread on the main lcore's CPU).
# Non-interactive, the main lcore starts forwarding and then sleeps in a
# read() of stdin until a line arrives; stdin is a FIFO we hold open.
# Counters are read through the DPDK telemetry socket instead.

# pmd_start NAME EAL_AND_TESTPMD_ARGS...: starts testpmd with stdin from
# $RUN/NAME.in, output in $RUN/NAME.log; sets PMD_PID_<NAME>, PMD_FD_<NAME>.
# The command in the array PMD_WRAPPER, if any, runs testpmd.
PMD_WRAPPER=()
pmd_start() {
	local name=$1 fifo="$RUN/$1.in" log="$RUN/$1.log" fd pid
	shift
	mkfifo "$fifo" || die "mkfifo $fifo"
	exec {fd}<>"$fifo"
	stdbuf -oL "${PMD_WRAPPER[@]}" "$TESTPMD" "$@" <"$fifo" >"$log" 2>&1 {fd}>&- &
	pid=$!
	PIDS+=("$pid")
	printf -v "PMD_PID_$name" '%s' "$pid"
	printf -v "PMD_FD_$name" '%s' "$fd"
}

# pmd_running NAME PREFIX TIMEOUT: waits until testpmd forwards and its
# telemetry socket is there; returns 1 if that does not happen in time.
pmd_running() {
	local name=$1 prefix=$2 timeout=${3:-30} pidv="PMD_PID_$1" i
	for ((i = 0; i < timeout * 20; i++)); do
		if grep -q 'Press enter to exit' "$RUN/$name.log" 2>/dev/null &&
		   [ -S "/var/run/dpdk/$prefix/dpdk_telemetry.v2" ]; then
			return 0
		fi
		alive "${!pidv}" || break
		sleep 0.05
	done
	return 1
}

# pmd_wait_running NAME PREFIX TIMEOUT: the same, fatal.
pmd_wait_running() {
	pmd_running "$@" && return 0
	echo "---- $RUN/$1.log" >&2
	tail -n 30 "$RUN/$1.log" >&2
	die "$1: testpmd did not start forwarding"
}

# pmd_quit NAME [GRACE]: a line on stdin makes testpmd stop forwarding
# (printing its forward statistics), close its ports and exit; a signal if
# it does not within GRACE (15) seconds.
pmd_quit() {
	local name=$1 grace=${2:-15} pidv="PMD_PID_$1" fdv="PMD_FD_$1"
	[ -n "${!pidv:-}" ] || return 0
	if alive "${!pidv}"; then
		printf '\n' >&"${!fdv}" 2>/dev/null
	fi
	stop_pid "${!pidv}" "$grace" wait
	eval "exec ${!fdv}>&-"
	printf -v "$pidv" '%s' ""
}

# Packets testpmd dropped while forwarding (from the statistics it prints
# when it stops).
pmd_drops() {
	awk '/Accumulated forward statistics/ { seen = 1 }
		seen && /RX-dropped:/ { d += $4 }
		seen && /TX-dropped:/ { d += $4 }
		END { print d + 0 }' "$RUN/$1.log" 2>/dev/null
}

# ---------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------

# write_daemon_conf CONF PREFIX [DEVICE]: the daemon's configuration for a
# run: relay 0 = vhost-user socket $RUN/a0.sock and device DEVICE (by
# default net_vhost0 on $SOCK_B).
write_daemon_conf() {
	local conf=$1 prefix=$2 dev=${3:-net_vhost0,iface=$SOCK_B}
	cat >"$conf" <<EOF
# virtio-forwarder configuration written by bench/$BENCH.sh
VIRTIOFWD_CPU_MASK=$FWD_CPU
VIRTIOFWD_MASTER_LCORE=$GEN_CPU
VIRTIOFWD_SOCKET_DIR=$RUN
VIRTIOFWD_SOCKET_FNAME_PATTERN=a%u.sock
VIRTIOFWD_STATIC_VFS=($dev=0)
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=
VIRTIOFWD_PID_DIR=$RUN
VIRTIOFWD_FILE_PREFIX=$prefix
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=$HUGE_DIR
VIRTIOFWD_LOG_LEVEL=$DAEMON_LOG_LEVEL
EOF
	[ ${#DAEMON_CONF_EXTRA[@]} -eq 0 ] || printf '%s\n' "${DAEMON_CONF_EXTRA[@]}" >>"$conf"
	# shellcheck disable=SC2086 # one setting per word
	[ -z "$DAEMON_SETTINGS" ] || printf '%s\n' $DAEMON_SETTINGS >>"$conf"
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

# ---------------------------------------------------------------------
# The two ends of the loop
# ---------------------------------------------------------------------

# fwd_start KIND [DEVICE]: starts the forwarder KIND on CPU FWD_CPU, run
# by "${FWD_WRAPPER[@]}" if set, and waits until it is up (its sockets
# $SOCK_A and, unless DEVICE is given, $SOCK_B are there; the daemon has
# logged "ready").  ref: dpdk-testpmd io forwarding between net_vhost0 (A)
# and net_vhost1 (B).  dut: the daemon, relay 0 = socket A and DEVICE
# (default net_vhost0 on B).  Sets FWD_PID and FWD_PREFIX, and DUT_PID or
# PMD_PID_ref.
fwd_start() {
	local kind=$1 dev=${2:-} i
	new_prefix "$kind"
	FWD_PREFIX=$REPLY
	if [ "$kind" = ref ]; then
		# Same buffer pool size and cache as a relay of the daemon.
		PMD_WRAPPER=("${FWD_WRAPPER[@]}")
		pmd_start ref -l "$GEN_CPU,$FWD_CPU" --main-lcore "$GEN_CPU" \
			--file-prefix="$FWD_PREFIX" --huge-dir="$HUGE_DIR" --no-pci \
			--vdev "net_vhost0,iface=$SOCK_A" --vdev "net_vhost1,iface=$SOCK_B" \
			-- --nb-cores=1 --forward-mode=io --no-mlockall \
			--total-num-mbufs=8191 --mbcache=256
		PMD_WRAPPER=()
		FWD_PID=$PMD_PID_ref
		pmd_wait_running ref "$FWD_PREFIX" "$FWD_TIMEOUT"
	else
		write_daemon_conf "$RUN/dut.conf" "$FWD_PREFIX" ${dev:+"$dev"}
		: >"$RUN/dut.out"
		: >"$RUN/dut.err"
		"${FWD_WRAPPER[@]}" "$DAEMON" --config "$RUN/dut.conf" </dev/null >"$RUN/dut.out" 2>"$RUN/dut.err" &
		DUT_PID=$!
		PIDS+=("$DUT_PID")
		FWD_PID=$DUT_PID
		for ((i = 0; i < FWD_TIMEOUT * 20; i++)); do
			grep -q ']: ready' "$RUN/dut.err" && break
			alive "$DUT_PID" || break
			sleep 0.05
		done
		if ! grep -q ']: ready' "$RUN/dut.err"; then
			tail -n 30 "$RUN/dut.err" >&2
			die "virtio-forwarder did not report ready (log: $RUN/dut.err)"
		fi
	fi
	if [ -z "$dev" ]; then
		wait_file "$SOCK_A" "$FWD_PID" 30 && wait_file "$SOCK_B" "$FWD_PID" 30 ||
			die "$kind: sockets $SOCK_A / $SOCK_B did not appear"
	else
		wait_file "$SOCK_A" "$FWD_PID" 30 || die "$kind: socket $SOCK_A did not appear"
	fi
}

# More arguments of the generator: EAL (GEN_EAL_EXTRA) and testpmd's own
# (GEN_EXTRA).
GEN_EAL_EXTRA=()
GEN_EXTRA=()

# gen_launch SIZE [NPORTS [FORWARDING_ARGS...]]: starts the generator,
# forwarding on CPU GEN_CPU, with NPORTS (2, or 1: socket A only)
# virtio-user ports.  FORWARDING_ARGS replace the forwarding mode of
# GEN_MODE.  Sets GEN_PREFIX and PMD_PID_gen.
gen_launch() {
	local size=$1 nports=${2:-2} vdevopt
	local -a genmem genfwd vdevs
	shift
	[ $# -gt 0 ] && shift
	new_prefix gen
	GEN_PREFIX=$REPLY
	if [ "$GEN_MEM" = huge ]; then
		genmem=(--huge-dir="$HUGE_DIR" --single-file-segments)
	else
		genmem=(--no-huge -m 1024)
	fi
	if [ $# -gt 0 ]; then
		genfwd=("$@")
	elif [ "$GEN_MODE" = io ]; then
		genfwd=(--forward-mode=io --tx-first)
	else
		genfwd=(--forward-mode=flowgen)
	fi
	vdevopt="queue_size=$QUEUE_SIZE,mrg_rxbuf=$GEN_MRGBUF$(ring_devargs)$GEN_VDEV_EXTRA"
	vdevs=(--vdev "net_virtio_user0,path=$SOCK_A,$vdevopt")
	[ "$nports" = 1 ] || vdevs+=(--vdev "net_virtio_user1,path=$SOCK_B,$vdevopt")
	pmd_start gen -l "$GEN_CPU,$FWD_CPU" --main-lcore "$FWD_CPU" \
		--file-prefix="$GEN_PREFIX" "${genmem[@]}" "${GEN_EAL_EXTRA[@]}" --no-pci \
		"${vdevs[@]}" \
		-- --nb-cores=1 "${genfwd[@]}" --no-mlockall \
		--total-num-mbufs=32768 --burst="$GEN_BURST" --txpkts="$size" \
		--rxd="$QUEUE_SIZE" --txd="$QUEUE_SIZE" "${GEN_EXTRA[@]}"
}

# gen_start SIZE [NPORTS [FORWARDING_ARGS...]]: gen_launch, then waits
# until the generator forwards.
gen_start() {
	local nports=${2:-2}
	gen_launch "$@"
	pmd_wait_running gen "$GEN_PREFIX" 30
	grep -q "Port $((nports - 1)): " "$RUN/gen.log" ||
		{ tail -n 30 "$RUN/gen.log" >&2; die "generator: port $((nports - 1)) missing (see $RUN/gen.log)"; }
}
