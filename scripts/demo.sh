#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The forwarder's main job on a built-in demo:
#
#   namespace "host" --veth--> stand-in VF (af_packet) --relay 1--> vhost-user
#   socket --> virtio peer (DPDK virtio-user answering ARP and ping)
#
# Builds what is needed, starts the daemon, pings through the relay, shows
# the relay's counters, and cleans everything up.  Run as root.
set -u
. "$(dirname "$0")/lib.sh"
vfwd_need_root
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

cleanup() {
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
VIRTIOFWD_DYNAMIC_SOCKETS=false
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

echo "==> ping 10.77.0.2 from namespace $ns, through the relay"
ip netns exec "$ns" ping -c 5 -i 0.3 -W 2 10.77.0.2
ping_rc=$?

echo "==> relay counters (SIGUSR1 dump)"
kill -USR1 "$daemon_pid"
wait_for 10 grep -q 'stats end' "$dir/stats.out"
sed -n '/stats begin/,/stats end/p' "$dir/stats.out" | grep '^relay' | sed 's/^/    /'

echo "==> stopping"
kill "$peer_pid"; wait "$peer_pid" 2>/dev/null; peer_pid=
kill "$daemon_pid"; wait "$daemon_pid"; rc=$?; daemon_pid=
echo "    virtio-forwarder exited with status $rc"
if [ "$ping_rc" = 0 ] && [ "$rc" = 0 ]; then
	echo "==> demo OK: traffic relayed both ways"
	exit 0
fi
echo "==> demo FAILED"
exit 1
