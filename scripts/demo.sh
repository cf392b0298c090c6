#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The forwarder's main job on a built-in demo:
#
#   namespace "host" --veth--> stand-in VF (af_packet) --relay 1--> vhost-user
#   socket --> virtio peer
#
# The virtio peer is a real VM when QEMU and the test guest can be had (the
# kit of tests/vm: a Debian kernel and a busybox initramfs, under TCG), else
# a DPDK virtio-user testpmd answering ARP and ping.
#
# Builds what is needed, starts the daemon, pings through the relay (and
# with a VM, runs 3 s of TCP from it, which the relay segments), shows the
# relay's counters, and cleans everything up.  Run as root.
#
# Environment:
#   VFWD_DEMO_PEER=vm|virtio-user   the peer (default: vm when possible)
#   VFWD_QEMU                       QEMU binary (default qemu-system-x86_64)
set -u
. "$(dirname "$0")/lib.sh"
vfwd_need_root "$@"
cd "$VFWD_ROOT"

vfwd_install_deps || exit 1
echo "==> building"
vfwd_build build || exit 1

tag=$$
ns=vfwddemo$tag
vh=vfdh$tag
vp=vfdp$tag
dir=$(mktemp -d /tmp/vfwd-demo.XXXXXX)
daemon_pid=
peer_pid=
qemu_pid=
peer=${VFWD_DEMO_PEER:-vm}
QEMU=${VFWD_QEMU:-qemu-system-x86_64}
case "$peer" in
vm|virtio-user) ;;
*) echo "VFWD_DEMO_PEER: vm or virtio-user, not '$peer'" >&2; exit 2 ;;
esac

# Ends QEMU by its PID: SIGTERM (QEMU shuts down cleanly on it), SIGKILL
# after 10 s. Prints nothing; returns QEMU's status.
stop_qemu() {
	local n=100 rc
	kill -TERM "$qemu_pid" 2>/dev/null
	while kill -0 "$qemu_pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	kill -KILL "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	rc=$?
	qemu_pid=
	return "$rc"
}

cleanup() {
	[ -n "$qemu_pid" ] && stop_qemu
	[ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	exec 4>&- 2>/dev/null
	ip link del "$vh" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir" "/var/run/dpdk/vfwddemo$tag" "/var/run/dpdk/vfwddemopeer$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

wait_for() { # seconds command...
	local n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

echo "==> stand-in VF: veth $vh, its peer $vp (10.77.0.1/24) in namespace $ns"
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vp"
ip link set "$vp" netns "$ns"
sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1"
ip link set "$vh" up
ip netns exec "$ns" ip addr add 10.77.0.1/24 dev "$vp"
ip netns exec "$ns" ip link set "$vp" up

cat > "$dir/virtioforwarder" <<CONF
# The 1.x configuration file format; see README.md.
VIRTIOFWD_CPU_MASK=1
VIRTIOFWD_MASTER_LCORE=0
VIRTIOFWD_LOG_LEVEL=6
VIRTIOFWD_SOCKET_DIR=$dir
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=
VIRTIOFWD_PID_DIR=$dir
VIRTIOFWD_FILE_PREFIX=vfwddemo$tag
VIRTIOFWD_DYNAMIC_SOCKETS=
VIRTIOFWD_STATIC_VFS=(net_af_packet0,iface=$vh=1)
VIRTIOFWD_EAL_ARGS="--no-huge -m 256 --no-pci"
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc://$dir/ctl/port_control
VIRTIOFWD_ZMQ_STATS_EP=ipc://$dir/ctl/stats
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc://$dir/ctl/core_sched
CONF
echo "==> configuration ($dir/virtioforwarder):"
sed 's/^/    /' "$dir/virtioforwarder"

echo "==> starting virtio-forwarder"
build/src/virtio-forwarder --config "$dir/virtioforwarder" >"$dir/stats.out" 2>"$dir/daemon.log" &
daemon_pid=$!
if ! wait_for 30 grep -q ']: ready' "$dir/daemon.log"; then
	echo "the daemon did not start:"; cat "$dir/daemon.log"; exit 1
fi
grep -v '^EAL\|^TELEMETRY\|VHOST_CONFIG' "$dir/daemon.log" | sed 's/^/    /'

if [ "$peer" = vm ]; then
	echo "==> preparing the test guest (tests/vm/build-guest.sh)"
	bash tests/vm/build-guest.sh >"$dir/kit" 2>"$dir/build-guest.log"
	rc=$?
	why=$(sed -n 's/^build-guest: unavailable: //p' "$dir/build-guest.log" | tail -n1)
	if [ "$rc" = 0 ] && ! command -v "$QEMU" >/dev/null; then
		why="$QEMU not found"; rc=77
	fi
	if [ "$rc" = 77 ]; then
		echo "    no QEMU test guest here: ${why:-prerequisite unavailable}"
		echo "    falling back to the DPDK virtio-user peer"
		peer=virtio-user
	elif [ "$rc" != 0 ]; then
		echo "the test guest could not be built (status $rc):"; cat "$dir/build-guest.log"; exit 1
	else
		sed 's/^/    /' "$dir/kit"
	fi
fi

if [ "$peer" = vm ]; then
	KERNEL=$(sed -n 's/^KERNEL=//p' "$dir/kit")
	INITRD=$(sed -n 's/^INITRD=//p' "$dir/kit")
	echo "==> starting the guest on $dir/virtio-forwarder1.sock (QEMU, TCG; eth0 10.77.0.2/24)"
	# The command line of tests/integration/vm.py's Guest: guest memory in
	# a shared memfd (vhost-user needs it), vectors=0 (QEMU 7.2 with TCG,
	# MSI-X and vhost-user crashes), the console on stdout. The guest pings
	# the namespace 3 times and then stays up (tests/vm/init).
	"$QEMU" -accel tcg -machine q35 -cpu max -smp 1 -m 256 \
		-nodefaults -no-user-config -no-reboot \
		-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off vfwd.ip=10.77.0.2/24 vfwd.peer=10.77.0.1 vfwd.mode=ping vfwd.count=3 vfwd.interval=0.3 vfwd.then=idle vfwd.iperf=1" \
		-display none -serial stdio -monitor "unix:$dir/qemu.mon,server=on,wait=off" \
		-chardev "socket,id=c0,path=$dir/virtio-forwarder1.sock" \
		-netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,vectors=0 \
		</dev/null >"$dir/guest.console" 2>"$dir/qemu.log" &
	qemu_pid=$!
	if ! wait_for 30 grep -q 'guest connected' "$dir/daemon.log"; then
		echo "the guest did not connect:"; cat "$dir/qemu.log"; exit 1
	fi
	grep 'guest connected' "$dir/daemon.log" | sed 's/^/    /'
	if ! wait_for 90 grep -q '^VFWD-RESULT' "$dir/guest.console"; then
		echo "the guest did not finish its ping; console:"
		cat "$dir/guest.console" "$dir/qemu.log"; exit 1
	fi
	tr -d '\r' <"$dir/guest.console" | grep '^VFWD-READY' | sed 's/^/    guest: /'
	echo "==> the guest's own ping to 10.77.0.1 (from its console)"
	tr -d '\r' <"$dir/guest.console" | sed -n 's/^VFWD-LOG /    /p'
	guest_ping=$(tr -d '\r' <"$dir/guest.console" | sed -n 's/^VFWD-RESULT ping //p')
	guest_ping_rc=1
	case "$guest_ping" in
	"sent=3 received=3") guest_ping_rc=0 ;;
	esac
	if grep -q '^VFWD-ERROR' "$dir/guest.console"; then
		grep '^VFWD-ERROR' "$dir/guest.console" | sed 's/^/    guest: /'
		guest_ping_rc=1
	fi
else
	echo "==> starting the virtio peer on $dir/virtio-forwarder1.sock (DPDK virtio-user, answers ARP and ping)"
	mkfifo "$dir/peer.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore=1 --no-huge -m 256 --no-pci \
		--file-prefix="vfwddemopeer$tag" \
		--vdev "net_virtio_user0,path=$dir/virtio-forwarder1.sock" -- \
		--no-mlockall --total-num-mbufs=4096 --forward-mode=icmpecho \
		<"$dir/peer.in" >"$dir/peer.log" 2>&1 &
	peer_pid=$!
	exec 4>"$dir/peer.in"
	if ! wait_for 30 grep -q 'guest connected' "$dir/daemon.log"; then
		echo "the virtio peer did not connect:"; cat "$dir/peer.log"; exit 1
	fi
	grep 'guest connected' "$dir/daemon.log" | sed 's/^/    /'
	guest_ping_rc=0   # testpmd only answers
fi

echo "==> ping 10.77.0.2 from namespace $ns, through the relay"
ip netns exec "$ns" ping -c 5 -i 0.3 -W 2 10.77.0.2
ping_rc=$?

tcp_rc=0
if [ "$peer" = vm ] && command -v iperf3 >/dev/null; then
	# The guest sends: its 64 KiB TCP packets (TSO, offered by default)
	# are cut to the MTU by the relay, since af_packet cannot.  (The other
	# way, af_packet cuts the namespace's 64 KiB veth packets short; use
	# af_xdp for that: see the man page's OFFLOADS.)
	echo "==> TCP from the guest to namespace $ns for 3 s (iperf3 -R; the guest's server)"
	tcp=$(ip netns exec "$ns" timeout 60 iperf3 -c 10.77.0.2 -R -t 3 -f m 2>&1)
	tcp_rc=$?
	echo "$tcp" | grep -E 'receiver|error' | sed 's/^/    /'
fi

echo "==> relay counters (SIGUSR1 dump)"
kill -USR1 "$daemon_pid"
wait_for 10 grep -q 'stats end' "$dir/stats.out"
sed -n '/stats begin/,/stats end/p' "$dir/stats.out" | grep '^relay' | sed 's/^/    /'
echo "    (drop_nc: packets from the VF before the guest connected, such as the"
echo "    namespace's IPv6 neighbour discovery)"

echo "==> stopping"
qemu_rc=0
if [ -n "$qemu_pid" ]; then
	stop_qemu; qemu_rc=$?
	# QEMU ends with status 0 on SIGTERM ("terminating on signal 15").
	echo "    QEMU exited with status $qemu_rc"
fi
if [ -n "$peer_pid" ]; then
	kill "$peer_pid"; wait "$peer_pid" 2>/dev/null; peer_pid=
fi
kill "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
echo "    virtio-forwarder exited with status $rc"
if [ "$ping_rc" = 0 ] && [ "$guest_ping_rc" = 0 ] && [ "$tcp_rc" = 0 ] && [ "$rc" = 0 ] &&
   [ "$qemu_rc" = 0 ]; then
	if [ "$peer" = vm ]; then
		echo "==> demo OK: traffic relayed both ways (QEMU guest)"
	else
		echo "==> demo OK: traffic relayed both ways (DPDK virtio-user peer)"
	fi
	exit 0
fi
echo "==> demo FAILED (namespace ping $ping_rc, guest ping ${guest_ping:-n/a}, TCP $tcp_rc, daemon $rc, QEMU $qemu_rc)"
exit 1
