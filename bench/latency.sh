#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Round-trip latency through one relay, and what sleeping costs: ping from
# the host kernel through a tap device (the stand-in VF, with RX
# interrupts), the forwarder on CPU 1, and a virtio-user "guest" answering
# ICMP (dpdk-testpmd icmpecho on CPU 0).
#
#   ping (host) -> tap -> forwarder (CPU 1) -> vhost-user -> testpmd icmpecho
#
# Forwarders, each run with fresh processes and interleaved:
#   ref       dpdk-testpmd io forwarding between net_tap0 and net_vhost0
#   busy      virtio-forwarder, VIRTIOFWD_POLL_MODE=busy
#   adaptive  virtio-forwarder, VIRTIOFWD_POLL_MODE=adaptive
# Loads: one ping every 1, 10 and 100 ms (the worker sleeps between them
# in adaptive mode), and every 1 ms beside a flood ping (never idle).
# Prints p50, p99, p99.9 and max round-trip times, and adaptive - busy.
#
# Also the idle cost: the forwarder's worker thread CPU time over IDLE_S
# seconds with the guest connected and nothing sent.
#
# Not a test: it prints numbers and exits 0 unless something failed to run.
# See bench/README.md.

set -u -o pipefail

BENCH=latency
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-2}
COUNT=${COUNT:-2000}            # pings per measurement at 1 ms
INTERVALS=${INTERVALS:-"0.001 0.01 0.1"}
IDLE_S=${IDLE_S:-10}            # seconds of the idle CPU measurement
KINDS=${KINDS:-"ref busy adaptive"}
SLEEP_MAX=${SLEEP_MAX:-1000}    # VIRTIOFWD_POLL_SLEEP_MAX_US in adaptive runs

usage() {
	cat <<EOF
usage: $0 [-h]

Ping latency through one relay: dpdk-testpmd (ref), the daemon in busy
and in adaptive poll mode; p50/p99/p99.9/max per ping interval, and the
worker's CPU use when idle.

environment: ROUNDS ($ROUNDS), COUNT (pings at 1 ms; fewer at longer
intervals, $COUNT), INTERVALS ("$INTERVALS" seconds), IDLE_S ($IDLE_S),
KINDS ("$KINDS"), SLEEP_MAX ($SLEEP_MAX us), BUILD_DIR, KEEP_LOGS=1
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

isint "$ROUNDS" && [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be a positive integer"
isint "$COUNT" && [ "$COUNT" -ge 100 ] || die "COUNT must be an integer >= 100"
isint "$IDLE_S" && [ "$IDLE_S" -ge 1 ] || die "IDLE_S must be a positive integer"
for k in $KINDS; do
	case $k in ref|busy|adaptive) ;; *) die "KINDS: ref, busy or adaptive, not $k" ;; esac
done
check_host
command -v ping >/dev/null || die "ping not found (apt-get install iputils-ping)"
command -v chrt >/dev/null || die "chrt not found (util-linux)"
setup_hugepages

WORK=$(mktemp -d /tmp/vfwd-latency.XXXXXX)
RUN=$WORK
SOCK_A=$RUN/a0.sock
TAP=vfl$TAG
HOST_IP=10.231.0.1
GUEST_IP=10.231.0.2
RESULTS=$RUN/results

# The forwarder of kind $1 on CPU 1: relay 0 = socket A and the tap.
start_forwarder() {
	local kind=$1 i
	if [ "$kind" = ref ]; then
		new_prefix ref
		FWD_PREFIX=$REPLY
		pmd_start ref -l "$GEN_CPU,$FWD_CPU" --main-lcore "$GEN_CPU" \
			--file-prefix="$FWD_PREFIX" --huge-dir="$HUGE_DIR" --no-pci \
			--vdev "net_tap0,iface=$TAP" --vdev "net_vhost0,iface=$SOCK_A" \
			-- --nb-cores=1 --forward-mode=io --no-mlockall \
			--total-num-mbufs=8191 --mbcache=256
		FWD_PID=$PMD_PID_ref
		pmd_wait_running ref "$FWD_PREFIX" 30
	else
		DAEMON_CONF_EXTRA=("VIRTIOFWD_POLL_MODE=$kind"
				   "VIRTIOFWD_POLL_SLEEP_MAX_US=$SLEEP_MAX")
		fwd_start dut "net_tap0,iface=$TAP"
	fi
	for ((i = 0; i < 200; i++)); do
		ip link show "$TAP" >/dev/null 2>&1 && break
		sleep 0.05
	done
	ip addr add "$HOST_IP/24" dev "$TAP" || die "cannot address $TAP"
	ip link set "$TAP" up || die "cannot bring $TAP up"
}

stop_forwarder() {
	local kind=$1
	if [ "$kind" = ref ]; then
		pmd_quit ref
	else
		stop_pid "$DUT_PID" 15 term
	fi
}

# The guest: testpmd answering ARP and ICMP on socket A, on CPU 0.
start_guest() {
	gen_launch 64 1 --forward-mode=icmpecho
	pmd_wait_running gen "$GEN_PREFIX" 30
}

# CPU time (s) of the forwarder's polling thread so far.
worker_cpu() {
	local pid=$1 t name best=0 ticks
	for t in /proc/"$pid"/task/*; do
		name=$(cat "$t/comm" 2>/dev/null)
		case $name in rte-worker-*|lcore-worker-*) ;; *) continue ;; esac
		ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$t/stat")
		[ "$ticks" -gt "$best" ] && best=$ticks
	done
	echo "$best"
}

# ping_rtts INTERVAL COUNT [flood]: round-trip times in ms, one per line.
ping_rtts() {
	local iv=$1 n=$2 flood=${3:-} fpid=""
	if [ -n "$flood" ]; then
		ping -q -f -s 1000 "$GUEST_IP" >/dev/null 2>&1 &
		fpid=$!
		PIDS+=("$fpid")
		sleep 1
	fi
	chrt -f 50 ping -n -i "$iv" -c "$n" -W 1 "$GUEST_IP" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms/\1/p'
	[ -z "$fpid" ] || stop_pid "$fpid" 2 term
}

measure() { # kind round
	local kind=$1 round=$2 iv n before after ticks_hz
	start_forwarder "$kind"
	start_guest
	# The guest answers ARP; wait until the path works.
	ping -n -c 1 -W 2 "$GUEST_IP" >/dev/null 2>&1 ||
		ping -n -c 3 -W 2 "$GUEST_IP" >/dev/null 2>&1 ||
		die "$kind: no answer from the guest through the forwarder"
	sleep 1
	ticks_hz=$(getconf CLK_TCK)
	before=$(worker_cpu "$FWD_PID")
	sleep "$IDLE_S"
	after=$(worker_cpu "$FWD_PID")
	echo "$kind $round idle $($PY -c "print('%.2f' % (($after - $before) / $ticks_hz / $IDLE_S * 100))")" >>"$RESULTS"
	for iv in $INTERVALS; do
		n=$($PY -c "print(max(100, min($COUNT, int($COUNT * 0.001 / $iv))))")
		note "$kind round $round: $n pings every $iv s"
		ping_rtts "$iv" "$n" | sed "s/^/$kind $round i$iv /" >>"$RESULTS"
	done
	note "$kind round $round: pings every 1 ms beside a flood ping"
	ping_rtts 0.001 "$COUNT" flood | sed "s/^/$kind $round load /" >>"$RESULTS"
	pmd_quit gen
	stop_forwarder "$kind"
	rm -f "$RUN/gen.in" "$RUN/ref.in"
	remove_prefix_files "$FWD_PREFIX" "$GEN_PREFIX"
}

: >"$RESULTS"
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	# Alternate the order, so that neither kind always runs first.
	kinds=$KINDS
	[ $((r % 2)) = 0 ] && kinds=$(echo "$KINDS" | tr ' ' '\n' | tac | tr '\n' ' ')
	for k in $kinds; do
		measure "$k" "$r"
	done
done

$PY - "$RESULTS" "$KINDS" "$INTERVALS" <<'PYEOF'
import sys
from collections import defaultdict
path, kinds, intervals = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
rtt = defaultdict(list)
idle = defaultdict(list)
for line in open(path):
    k, r, what, v = line.split()
    if what == "idle":
        idle[k].append(float(v))
    else:
        rtt[(k, what)].append(float(v) * 1000.0)   # us

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]

loads = ["i" + i for i in intervals] + ["load"]
names = {"load": "1 ms + flood"}
for i in intervals:
    names["i" + i] = "every %g ms" % (float(i) * 1000)
print()
print("round-trip times, microseconds (ping -> tap -> forwarder -> guest and back)")
print("  %-14s %-9s %6s %8s %8s %8s %8s" % ("load", "forwarder", "n", "p50", "p99", "p99.9", "max"))
stats = {}
for l in loads:
    for k in kinds:
        xs = rtt.get((k, l), [])
        if not xs:
            continue
        s = [pct(xs, 50), pct(xs, 99), pct(xs, 99.9), max(xs)]
        stats[(k, l)] = s
        print("  %-14s %-9s %6d %8.0f %8.0f %8.0f %8.0f" % (names[l], k, len(xs), *s))
    if ("busy", l) in stats and ("adaptive", l) in stats:
        b, a = stats[("busy", l)], stats[("adaptive", l)]
        print("  %-14s %-9s %6s %+8.0f %+8.0f %+8.0f" % ("", "adapt-busy", "", a[0] - b[0], a[1] - b[1], a[2] - b[2]))
print()
print("worker CPU when idle (guest connected, nothing sent), % of one CPU")
for k in kinds:
    if idle[k]:
        print("  %-9s %s" % (k, " ".join("%.1f" % v for v in idle[k])))
PYEOF
echo "time: $(($(date +%s) - start)) s"
