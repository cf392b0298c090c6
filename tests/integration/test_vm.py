# SPDX-License-Identifier: BSD-3-Clause
"""Real QEMU guests (TCG) on the daemon's vhost-user sockets, with real
kernel traffic through an af_packet stand-in VF (a veth whose peer is in a
network namespace)."""

import os
import re
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


def test_client_mode_daemon_restart(reg, sockdir, guest_kit):
    """Client mode: QEMU is the vhost-user server and the guest pings the
    namespace all along, while the daemon is stopped (SIGTERM) and killed
    (SIGKILL) and started again each time. QEMU keeps the guest's link,
    the daemon reconnects and re-probes its af_packet stand-in VF, and the
    pings get replies again within RESUME_S; the pings lost in each outage
    are the gaps in the guest's reply sequence numbers."""
    import signal as sigmod
    RESUME_S = 20.0
    INTERVAL = 0.2
    t0 = time.monotonic()
    veth = reg.add(VethNs(HOST_IP + "/24"))
    # QEMU first: it creates the socket the daemon connects to.
    sock = "%s/virtio-forwarder3.sock" % sockdir
    g = reg.add(Guest(sockdir, sock, GUEST_IP + "/24", peer=HOST_IP, mode="pingloop",
                      interval=INTERVAL, server=True, cpus=0))
    wait_for(lambda: os.path.exists(sock), what="QEMU's vhost-user socket")
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VHOST_CLIENT": "true",
                                 "VIRTIOFWD_STATIC_VFS":
                                 ["net_af_packet0,iface=%s=3" % veth.host]}))
    assert d.socket(3) == sock
    g.wait_ready()

    def replies_after(n):
        """Waits until the guest has n more replies than now; returns the
        list of reply sequence numbers."""
        base = len(g.ping_replies())
        wait_for(lambda: len(g.ping_replies()) >= base + n, timeout=RESUME_S,
                 what="%d more ping replies in the guest (seen %s)\n%s"
                 % (n, g.ping_replies()[-5:], g.console[-2000:]), interval=0.1)
        return g.ping_replies()

    replies_after(5)
    results = []
    for how in (sigmod.SIGTERM, sigmod.SIGKILL):
        last = g.ping_replies()[-1]
        t_stop = time.monotonic()
        rc = d.stop(how)
        d.start()
        t_started = time.monotonic()
        # Traffic is back on the first reply with a sequence number sent
        # after the stop.
        try:
            wait_for(lambda: g.ping_replies()[-1] > last + 1, timeout=RESUME_S,
                     what="replies after %s" % how.name, interval=0.1)
        except AssertionError:
            raise AssertionError("%s: no ping reply within %.0f s of the restart "
                                 "(results so far %s)\nguest:\n%s\ndaemon:\n%s"
                                 % (how.name, RESUME_S, results, g.console[-2000:],
                                    d.proc.err[-3000:]))
        t_back = time.monotonic()
        seqs = replies_after(3)
        after = [s for s in seqs if s > last]
        first = after[0]
        lost = first - last - 1
        # Pings the guest queued while the daemon was away are sent by the
        # new daemon (it resumes the rings where QEMU left them): late, not
        # lost. The longest round trip shows the outage.
        rtts = [float(t) for n, t in re.findall(
            r"^VFWD-PING .*seq=(\d+) .*time=([\d.]+) ms", g.console, re.M) if int(n) > last]
        results.append({"signal": how.name, "exit": rc, "lost": lost,
                        "outage_s": round(lost * INTERVAL, 1),
                        "max_rtt_ms": max(rtts[:20]),
                        "restart_s": round(t_started - t_stop, 1),
                        "resume_s": round(t_back - t_started, 1)})
        # Once back, nothing is lost: the sequence after the outage is whole.
        assert after == list(range(first, first + len(after))), (how.name, after, results)
        assert lost * INTERVAL < RESUME_S + (t_started - t_stop), results
    s = d.stats()[3]
    assert s["info"]["guest"] == "connected", s
    assert s["vm_to_vf"]["tx_pkts"] >= 3 and s["vf_to_vm"]["tx_pkts"] >= 3, (s, results)
    for r in results:
        print("%(signal)s: daemon exit %(exit)s, restart took %(restart_s)s s, replies "
              "again %(resume_s)s s after the start; %(lost)d pings lost "
              "(~%(outage_s)s s), longest round trip %(max_rtt_ms)s ms" % r)
    print("guest ready after %.1f s, test %.1f s" % (g.ready_s, time.monotonic() - t0))
