# SPDX-License-Identifier: BSD-3-Clause
"""The daemon relays real traffic between DPDK peers, both ways."""

import os
import signal as sigmod
import time

import pytest

from harness import (EAL_MEM as EAL_MEM_ARGS, Daemon, Pmd, receive_start, relay_up,
                     send, vf_spec, vm_peer, wait_for, wire_peer)

# Feature bits of the virtio 1.1 ring layouts.
VIRTIO_F_RING_PACKED = 34
VIRTIO_F_IN_ORDER = 35


@pytest.mark.parametrize("ring", [None] + [
    pytest.param(r, marks=[pytest.mark.variant])
    for r in ("split", "in_order", "packed", "packed_in_order")])
def test_bidirectional_counts(reg, sockdir, ring):
    """Both ways, every packet counted, on each virtqueue layout the guest
    may choose (None: virtio-user's default); the relay's negotiated
    features show the layout."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1), ring=ring))
    info = wait_for(lambda: relay_up(d, 1), what="guest connected on relay 1")[1]["info"]
    features = int(info["features"], 16)
    print("ring %s: features 0x%x" % (ring, features))
    if ring is not None:
        assert bool(features >> VIRTIO_F_RING_PACKED & 1) == ring.startswith("packed"), info
        assert bool(features >> VIRTIO_F_IN_ORDER & 1) == ring.endswith("in_order"), info

    # VM to VF
    receive_start(wire)
    send(vm, 6)
    sent = vm.port_stats()
    wait_for(lambda: wire.port_stats()["rx_pkts"] >= sent["tx_pkts"], what="wire rx")
    wire.cmd("stop")
    got = wire.port_stats()
    assert sent["tx_pkts"] >= 32
    assert got["rx_pkts"] == sent["tx_pkts"]
    s = d.settled_stats(1)["vm_to_vf"]
    assert s["rx_pkts"] == sent["tx_pkts"]
    assert s["tx_pkts"] == got["rx_pkts"]
    assert s["rx_bytes"] == sent["tx_bytes"] == s["tx_bytes"]
    assert s["drop_full_pkts"] == 0 and s["drop_nc_pkts"] == 0

    # VF to VM
    vm.cmd("clear port stats all")
    wire.cmd("clear port stats all")
    receive_start(vm)
    send(wire, 5)
    sent = wire.port_stats()
    wait_for(lambda: vm.port_stats()["rx_pkts"] >= sent["tx_pkts"], what="vm rx")
    got = vm.port_stats()
    assert got["rx_pkts"] == sent["tx_pkts"] >= 32
    s = d.settled_stats(1)["vf_to_vm"]
    assert s["rx_pkts"] == s["tx_pkts"] == sent["tx_pkts"]
    assert s["rx_bytes"] == sent["tx_bytes"]

    assert d.stop() == 0


def test_af_packet_veth_ping(reg, sockdir):
    """Real kernel traffic: a namespace pings through an af_packet stand-in
    VF, the relay, and a virtio-user guest answering ARP and ICMP."""
    from harness import VethNs
    veth = reg.add(VethNs("10.99.0.1/24"))
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS":
                                 ["net_af_packet0,iface=%s=3" % veth.host]}))
    vm = reg.add(vm_peer(d.socket(3)))
    wait_for(lambda: relay_up(d, 3), what="guest on relay 3")
    vm.cmd("set fwd icmpecho")
    vm.cmd("start")
    p = veth.ns_exec("ping", "-c", "5", "-i", "0.2", "-w", "20", "10.99.0.2", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 0% packet loss" in p.stdout
    s = d.settled_stats(3)
    # 5 requests plus ARP each way, at least.
    assert s["vf_to_vm"]["tx_pkts"] >= 6
    assert s["vm_to_vf"]["tx_pkts"] >= 6
    assert s["vf_to_vm"]["drop_full_pkts"] == 0


def test_multiqueue_spreads_flows(reg, sockdir):
    """4 queue pairs: flows from the VF land on all guest RX queues, and
    every guest TX queue is drained."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    wire = reg.add(Pmd(["net_virtio_user1,path=%s/vf1.sock" % sockdir],
                       extra=["--txonly-multi-flow"]))
    vm = reg.add(vm_peer(d.socket(1), queues=4))
    info = wait_for(lambda: relay_up(d, 1), what="guest on relay 1")[1]["info"]
    assert info["guest_rxq"] == "0xf" and info["guest_txq"] == "0xf"

    receive_start(vm)
    send(wire, 6)
    sent = wire.port_stats()["tx_pkts"]
    wait_for(lambda: vm.port_stats()["rx_pkts"] >= sent, what="vm rx")
    x = vm.xstats()
    per_q = [x["rx_q%d_good_packets" % q] for q in range(4)]
    assert sum(per_q) == sent
    assert all(n > 0 for n in per_q), per_q
    # The daemon's per-queue counters agree with the guest's.
    queues = d.stats()[1]["queues"]
    assert [queues[q]["to_vm_pkts"] for q in range(4)] == per_q
    vm.cmd("stop")

    # Every guest TX queue is read: the VM sends from 4 queues.
    vm.cmd("clear port stats all")
    wire.cmd("clear port stats all")
    receive_start(wire)
    send(vm, 2)
    x = vm.xstats()
    per_q = [x["tx_q%d_good_packets" % q] for q in range(4)]
    assert all(n > 0 for n in per_q), per_q
    wait_for(lambda: wire.port_stats()["rx_pkts"] >= sum(per_q), what="wire rx")
    s = d.settled_stats(1)
    assert s["vm_to_vf"]["tx_pkts"] == sum(per_q)
    assert [s["queues"][q]["from_vm_pkts"] for q in range(4)] == per_q


def test_guest_disconnect_and_reconnect(reg, sockdir):
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = vm_peer(d.socket(1))
    try:
        wait_for(lambda: relay_up(d, 1), what="guest")
    finally:
        vm.close()
    wait_for(lambda: d.stats()[1]["info"]["guest"] == "none", what="guest gone")

    # Without a guest, traffic from the VF is counted as not connected.
    send(wire, 3)
    sent = wire.port_stats()["tx_pkts"]
    s = wait_for(lambda: (lambda s: s["vf_to_vm"]["drop_nc_pkts"] >= sent and s)(d.stats()[1]),
                 what="drops counted")
    assert s["vf_to_vm"]["tx_pkts"] == 0

    # A new guest gets traffic again, on the same relay.
    for _ in range(2):
        vm = reg.add(vm_peer(d.socket(1)))
        wait_for(lambda: relay_up(d, 1), what="guest back")
        receive_start(vm)
        wire.cmd("clear port stats all")
        send(wire, 2)
        sent = wire.port_stats()["tx_pkts"]
        wait_for(lambda: vm.port_stats()["rx_pkts"] == sent, what="vm rx after reconnect")
        vm.close()
        wait_for(lambda: d.stats()[1]["info"]["guest"] == "none", what="guest gone")


def test_guest_disables_queues(reg, sockdir):
    """A guest that shrinks to one queue pair, or stops all its queues,
    stalls nothing: the other relay on the same worker keeps forwarding."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [
        vf_spec(sockdir, "vf1", idx=1) + "=1", vf_spec(sockdir, "vf2", idx=2) + "=2"]}))
    wire2 = reg.add(wire_peer("%s/vf2.sock" % sockdir))
    vm1 = reg.add(vm_peer(d.socket(1), queues=2))
    vm2 = reg.add(vm_peer(d.socket(2)))
    wait_for(lambda: relay_up(d, 1) and relay_up(d, 2), what="guests")
    assert d.stats()[1]["info"]["guest_txq"] == "0x3"

    vm1.cmd("port stop all")
    vm1.cmd("port config all rxq 1")
    vm1.cmd("port config all txq 1")
    vm1.cmd("port start all")
    wait_for(lambda: relay_up(d, 1) and d.stats()[1]["info"]["guest_txq"] == "0x1",
             what="guest down to one queue pair")

    # All queues of guest 1 stopped: relay 2 must still forward.
    vm1.cmd("port stop all")
    receive_start(vm2)
    send(wire2, 5)
    sent = wire2.port_stats()["tx_pkts"]
    wait_for(lambda: vm2.port_stats()["rx_pkts"] == sent, what="relay 2 still forwards")
    assert d.proc.alive()


def test_server_mode_socket_files(reg, sockdir):
    """Stale sockets of a killed daemon are replaced; owner, group and mode
    are applied; SIGTERM removes sockets and the pid file."""
    import grp
    import os
    import pwd
    import stat
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_SOCKET_OWNER": "nobody",
                                 "VIRTIOFWD_SOCKET_GROUP": "nogroup"}))
    st = os.stat(d.socket(5))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_uid == pwd.getpwnam("nobody").pw_uid
    assert st.st_gid == grp.getgrnam("nogroup").gr_gid
    assert d.stop(sigmod.SIGKILL) != 0
    assert os.path.exists(d.socket(5))          # left behind by the kill

    d.start()                                   # stale sockets replaced
    vm = reg.add(vm_peer(d.socket(5)))
    wait_for(lambda: relay_up(d, 5), what="guest after restart")
    vm.close()
    assert d.stop() == 0
    assert not os.path.exists(d.socket(5))
    assert not os.path.exists(os.path.join(str(sockdir), "virtio-forwarder.pid"))


def test_client_mode_daemon_restart(reg, sockdir):
    """Client mode: the guest (virtio-user server) stays up while the daemon
    is stopped, killed and restarted; traffic resumes each time."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VHOST_CLIENT": "true",
                                 "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]},
                       wait_ready=False))
    vm = reg.add(vm_peer(d.socket(1), server=True))
    wait_for(lambda: "]: ready" in d.proc.err, what="daemon ready")
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    receive_start(vm)
    total = 0
    for how in (None, sigmod.SIGTERM, sigmod.SIGKILL):
        if how is not None:
            d.stop(how)
            wire.close()
            if how == sigmod.SIGKILL:
                # The stand-in VF's own vhost socket is left by the kill
                # (a real VF has none); the relay sockets are the VM's.
                os.unlink("%s/vf1.sock" % sockdir)
            d.start()
            wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
        wait_for(lambda: relay_up(d, 1), timeout=30, what="daemon reconnected")
        send(wire, 2)
        total += wire.port_stats()["tx_pkts"]
        wait_for(lambda: vm.port_stats()["rx_pkts"] == total,
                 what="traffic after restart (%s)" % how)


def test_device_vanishes(reg, sockdir):
    """The stand-in VF's interface is deleted under a running relay: the
    daemon survives, the other relay keeps forwarding, and stops cleanly."""
    from harness import VethNs, sh
    veth = reg.add(VethNs("10.98.0.1/24"))
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [
        "net_af_packet0,iface=%s=3" % veth.host, vf_spec(sockdir) + "=1"]}))
    vm3 = reg.add(vm_peer(d.socket(3)))
    vm1 = reg.add(vm_peer(d.socket(1)))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    wait_for(lambda: relay_up(d, 3) and relay_up(d, 1), what="guests")
    vm3.cmd("set fwd icmpecho")
    vm3.cmd("start")
    assert veth.ns_exec("ping", "-c", "2", "-i", "0.2", "-w", "20", "10.98.0.2",
                        check=False).returncode == 0

    sh("ip", "link", "del", veth.host)
    send(vm3, 2)                       # into a device that is gone
    receive_start(vm1)
    send(wire, 3)
    sent = wire.port_stats()["tx_pkts"]
    wait_for(lambda: vm1.port_stats()["rx_pkts"] == sent, what="relay 1 still forwards")
    assert d.proc.alive()
    assert d.stop() == 0


def test_pins_and_placement_reported(reg, sockdir):
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_CPU_PINS": "--virtio-cpu=1:1",
                                 "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    info = d.stats()[1]["info"]
    assert info["cpu_vf_to_vm"] == "1" and info["cpu_vm_to_vf"] == "1"


@pytest.mark.parametrize("size,jumbo", [(1500, ""), (8000, "true")])
def test_large_frames(reg, sockdir, size, jumbo):
    """Full-size and (with VIRTIOFWD_JUMBO) jumbo frames cross the relay
    whole, both ways, with byte counts to match."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_JUMBO": jumbo, "VIRTIOFWD_MRGBUF": "true",
                                 "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    # testpmd checks --txpkts against the buffer size given before it.
    extra = ["--mbuf-size=%d" % max(2048, size + 256),
             "--max-pkt-len=%d" % max(1518, size + 18), "--txpkts=%d" % size]
    wire = reg.add(Pmd(["net_virtio_user1,path=%s/vf1.sock,mrg_rxbuf=1" % sockdir], extra=extra))
    vm = reg.add(Pmd(["net_virtio_user0,path=%s,mrg_rxbuf=1" % d.socket(1)], extra=extra))
    wait_for(lambda: relay_up(d, 1), what="guest")
    for src, dst in ((vm, wire), (wire, vm)):
        src.cmd("clear port stats all")
        dst.cmd("clear port stats all")
        receive_start(dst)
        send(src, 2)
        sent = src.port_stats()
        assert sent["tx_pkts"] > 0 and sent["tx_bytes"] == sent["tx_pkts"] * size
        wait_for(lambda: dst.port_stats()["rx_pkts"] == sent["tx_pkts"], what="rx %d B" % size)
        assert dst.port_stats()["rx_bytes"] == sent["tx_bytes"]
        dst.cmd("stop")


def test_move_between_workers_under_traffic(reg, sockdir):
    """Relay directions moved back and forth between two workers while
    traffic flows both ways: every packet the relay took in is accounted
    for, and what the peers sent is what the relay took in.  (Two workers
    on this 2-CPU machine: EAL --lcores maps worker lcores 1 and 2 onto
    CPUs 1 and 0.)"""
    import subprocess
    from harness import CTL
    d = reg.add(Daemon(sockdir, {
        "VIRTIOFWD_CPU_MASK": "1,2",
        "VIRTIOFWD_EAL_ARGS": " ".join(EAL_MEM_ARGS) + " --lcores=0@0,1@1,2@0",
        "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest")
    ep = d.vars["VIRTIOFWD_ZMQ_CORE_SCHED_EP"]
    for tp in (wire, vm):
        tp.cmd("set fwd flowgen")
        tp.cmd("start")
    placements = ["1:1,2", "1:2,1", "1:2", "1:1"] * 5
    for p in placements:
        r = subprocess.run([CTL, "--core-sched-ep=" + ep, "-q", "pin", "--virtio-cpu=" + p],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        time.sleep(0.05)
    # Stop sending, keep receiving until everything in flight is in.
    for tp in (wire, vm):
        tp.cmd("stop")
        tp.cmd("set fwd rxonly")
        tp.cmd("start")
    info = d.stats()[1]["info"]
    assert (info["cpu_vf_to_vm"], info["cpu_vm_to_vf"]) == ("1", "1")

    s = d.settled_stats(1)
    time.sleep(0.3)
    for tp in (wire, vm):
        tp.cmd("stop")
    w, v = wire.port_stats(), vm.port_stats()
    f2m, m2f = s["vf_to_vm"], s["vm_to_vf"]
    assert f2m["rx_pkts"] > 1000 and m2f["rx_pkts"] > 1000
    assert f2m["rx_pkts"] == w["tx_pkts"]
    assert f2m["rx_pkts"] == f2m["tx_pkts"] + f2m["drop_full_pkts"] + f2m["drop_nc_pkts"]
    assert v["rx_pkts"] == f2m["tx_pkts"]
    assert m2f["rx_pkts"] == v["tx_pkts"]
    assert m2f["rx_pkts"] == m2f["tx_pkts"] + m2f["drop_full_pkts"] + m2f["drop_nc_pkts"]
    assert w["rx_pkts"] == m2f["tx_pkts"]
