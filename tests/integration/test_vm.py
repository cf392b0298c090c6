# SPDX-License-Identifier: BSD-3-Clause
"""Real QEMU guests (TCG) on the daemon's vhost-user sockets, with real
kernel traffic through an af_packet stand-in VF (a veth whose peer is in a
network namespace)."""

import time

import pytest

from harness import Daemon, VethNs, relay_up, wait_for
from vm import Guest, skip_unless_qemu

HOST_IP = "10.77.0.1"
GUEST_IP = "10.77.0.2"


@pytest.fixture
def guest_kit():
    return skip_unless_qemu()


def relay_with_veth(reg, sockdir, relay=3):
    veth = reg.add(VethNs(HOST_IP + "/24"))
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS":
                                 ["net_af_packet0,iface=%s=%d" % (veth.host, relay)]}))
    return veth, d


def delta(after, before, direction, key="tx_pkts"):
    return after[direction][key] - before[direction][key]


def test_guest_ping_both_ways(reg, sockdir, guest_kit):
    """The guest pings the namespace, then the namespace pings the guest;
    the relay counts both."""
    t0 = time.monotonic()
    veth, d = relay_with_veth(reg, sockdir)
    g = reg.add(Guest(sockdir, d.socket(3), GUEST_IP + "/24", peer=HOST_IP, mode="ping",
                      count=5, then="idle", cpus=0))
    g.wait_ready()
    r = g.result("ping")
    assert r == {"sent": 5, "received": 5}, g.console
    # The daemon is new: its counters are this guest's traffic. Requests
    # (and ARP) out of the guest, replies into it.
    mid = d.stats()[3]
    assert mid["info"]["guest"] == "connected", mid
    assert mid["vm_to_vf"]["tx_pkts"] >= 5, mid
    assert mid["vf_to_vm"]["tx_pkts"] >= 5, mid

    p = veth.ns_exec("ping", "-c", "5", "-i", "0.2", "-W", "2", GUEST_IP, check=False)
    assert p.returncode == 0, p.stdout + p.stderr + g.console
    assert " 0% packet loss" in p.stdout
    after = d.stats()[3]
    assert delta(after, mid, "vf_to_vm") >= 5
    assert delta(after, mid, "vm_to_vf") >= 5
    for direction in ("vf_to_vm", "vm_to_vf"):
        s = after[direction]
        assert s["rx_pkts"] == s["tx_pkts"], after
        assert s["drop_full_pkts"] == 0 and s["drop_nc_pkts"] == 0, after
    print("guest ready after %.1f s, test %.1f s" % (g.ready_s, time.monotonic() - t0))


def test_guest_multiqueue_flows(reg, sockdir, guest_kit):
    """4 queue pairs (ethtool -L eth0 combined 4): pings to 8 guest
    addresses are 8 flows; they land on several guest queues both ways,
    and the daemon's per-queue counters add up to the relay's."""
    t0 = time.monotonic()
    veth, d = relay_with_veth(reg, sockdir)
    addrs = ["10.77.0.%d" % i for i in range(2, 10)]
    g = reg.add(Guest(sockdir, d.socket(3), [a + "/24" for a in addrs], queues=4,
                      mode="idle", cpus=0))
    ready = g.wait_ready()
    assert ready["queues"] == "4", g.console
    info = wait_for(lambda: relay_up(d, 3), what="guest on relay 3")[3]["info"]
    assert info["guest_rxq"] == "0xf" and info["guest_txq"] == "0xf", info

    before = d.stats()[3]
    for a in addrs:
        p = veth.ns_exec("ping", "-c", "3", "-i", "0.2", "-W", "2", a, check=False)
        assert p.returncode == 0, a + p.stdout + p.stderr + g.console
    after = d.stats()[3]
    qb, qa = before["queues"], after["queues"]
    to_vm = [qa[q]["to_vm_pkts"] - qb[q]["to_vm_pkts"] for q in range(4)]
    from_vm = [qa[q]["from_vm_pkts"] - qb[q]["from_vm_pkts"] for q in range(4)]
    assert sum(to_vm) == delta(after, before, "vf_to_vm") >= 24, (to_vm, after)
    assert sum(from_vm) == delta(after, before, "vm_to_vf", "rx_pkts") >= 24, (from_vm, after)
    assert sum(1 for n in to_vm if n) >= 2, to_vm
    assert sum(1 for n in from_vm if n) >= 2, from_vm
    print("queues to_vm=%s from_vm=%s; guest ready after %.1f s, test %.1f s"
          % (to_vm, from_vm, g.ready_s, time.monotonic() - t0))


def test_guest_restart_server_mode(reg, sockdir, guest_kit):
    """Daemon in server mode: a guest pings and powers off, a new guest on
    the same socket pings again."""
    t0 = time.monotonic()
    veth, d = relay_with_veth(reg, sockdir)
    for n in range(2):
        g = reg.add(Guest(sockdir, d.socket(3), GUEST_IP + "/24", peer=HOST_IP, mode="ping",
                          count=3, name="vm%d" % n, cpus=0))
        r = g.result("ping")
        assert r == {"sent": 3, "received": 3}, g.console
        assert g.wait_exit(30) == 0, g.console           # powered off
        wait_for(lambda: d.stats()[3]["info"]["guest"] == "none", what="guest gone")
    s = d.stats()[3]
    assert s["vm_to_vf"]["tx_pkts"] >= 6 and s["vf_to_vm"]["tx_pkts"] >= 6, s
    print("test %.1f s" % (time.monotonic() - t0))
