# SPDX-License-Identifier: BSD-3-Clause
"""Soak tests, bounded: churn on one relay while another forwards, with the
daemon's file descriptors, memory and DPDK buffers back where they started.

    default                 a tenth of the counts (a few minutes in all)
    VFWD_SOAK_SCALE=1       the full counts: 1000 device attach/detach
                            cycles (and 1000 of a two-member bond), 200
                            dynamic socket add/remove cycles, 100 guest
                            connect/disconnect cycles, 50 client-mode
                            daemon restarts

Resources are read from outside, as an operator would: /proc/PID/fd and
/proc/PID/status for descriptors and memory, and DPDK's telemetry socket
of the daemon (/mempool/list, /mempool/info, /eal/heap_info) for the
packet buffer pools and the DPDK heap.
"""

import os
import signal as sigmod
import time

from dpdk_telemetry import Telemetry
from harness import (Daemon, VethNs, receive_start, relay_up, send, vf_spec, vm_peer, wait_for,
                     wire_peer)
from test_protocol import pb, zreq  # noqa: F401

SCALE = float(os.environ.get("VFWD_SOAK_SCALE", "0.1"))


def count(full):
    """A soak count scaled by VFWD_SOAK_SCALE, at least 2."""
    return max(2, int(round(full * SCALE)))


# ----------------------------------------------------------------------
# Reading the daemon's resources
# ----------------------------------------------------------------------

def resources(d):
    """What the daemon holds now: descriptors, resident memory (KiB), its
    buffer pools (name -> populated size) and the DPDK heap's allocation."""
    pid = d.proc.pid
    with open("/proc/%d/status" % pid) as f:
        rss = int([ln for ln in f if ln.startswith("VmRSS:")][0].split()[1])
    heap = {"alloc": 0, "count": 0}
    with Telemetry.of(d.prefix) as t:
        pools = {n: t.query("/mempool/info," + n)["populated_size"]
                 for n in t.query("/mempool/list")}
        for h in t.query("/eal/heap_list"):
            info = t.query("/eal/heap_info,%d" % h)
            heap["alloc"] += info["Alloc_size"]
            heap["count"] += info["Alloc_count"]
    with open("/proc/%d/maps" % pid) as f:
        asan = "libasan" in f.read()
    return {"fds": len(os.listdir("/proc/%d/fd" % pid)), "rss_kib": rss, "pools": pools,
            "heap": heap, "asan": asan}


def assert_back(before, after, cycles, what):
    """Descriptors, pools and the DPDK heap's allocation exactly as
    before, resident memory within a few MiB (the allocator keeps what it
    freed)."""
    print("%s: %d cycles: before %r, after %r" % (what, cycles, before, after))
    # A descriptor or two may be in flight (closed a moment later); a
    # leak shows as one or more per cycle.
    assert after["fds"] <= before["fds"] + 2, (what, before, after)
    assert after["pools"] == before["pools"], (what, before, after)
    # ASan keeps freed memory in quarantine (up to 256 MiB), so resident
    # memory says nothing there; its leak check at the daemon's exit does.
    if not after["asan"]:
        assert after["rss_kib"] - before["rss_kib"] < 16 * 1024, (what, before, after)
    assert after["heap"] == before["heap"], (what, before, after)


# ----------------------------------------------------------------------
# Traffic on the relay that is left alone
# ----------------------------------------------------------------------

class Traffic:
    """Relay 1: a stand-in VF whose wire side sends all along, and a guest
    counting what arrives."""

    def __init__(self, reg, d, sockdir, relay=1, sock=None):
        self.d, self.relay = d, relay
        self.wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
        self.vm = reg.add(vm_peer(sock or d.socket(relay)))
        wait_for(lambda: relay_up(d, relay), timeout=30, what="guest on relay %d" % relay)
        receive_start(self.vm)
        self.wire.cmd("set fwd txonly")
        self.wire.cmd("start")

    def check(self):
        """Stops the sender; everything it sent arrived or was counted
        dropped at a full guest queue, and more traffic still passes."""
        self.wire.cmd("stop")
        sent = self.wire.port_stats()["tx_pkts"]
        assert sent > 0
        wait_for(lambda: self.vm.port_stats()["rx_pkts"] > 0, what="traffic during churn")
        # What is still queued drains first: the count must stand still.
        last = {"n": -1}

        def still():
            n = self.vm.port_stats()["rx_pkts"]
            same, last["n"] = n == last["n"], n
            return same
        wait_for(still, interval=0.3, what="the queues to drain")
        # Then exactly what the wire sends arrives (counted as deltas).
        got0 = self.vm.port_stats()["rx_pkts"]
        sent0 = self.wire.port_stats()["tx_pkts"]
        send(self.wire, 2)
        n = self.wire.port_stats()["tx_pkts"] - sent0
        try:
            wait_for(lambda: self.vm.port_stats()["rx_pkts"] - got0 == n,
                     what="traffic after churn")
        except AssertionError:
            raise AssertionError("sent %d, guest got %d; daemon: %r" % (
                n, self.vm.port_stats()["rx_pkts"] - got0, self.d.stats()[self.relay]))
        return sent


def port(pb, d, **kw):
    P = pb.new.PortControlRequest
    data, _ = zreq(d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"], [P(**kw).SerializeToString()])
    r = pb.new.PortControlResponse.FromString(data)
    assert r.status == pb.new.PortControlResponse.OK, r
    return r


# ----------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------

def test_soak_device_and_bond_churn(pb, reg, sockdir):  # noqa: F811
    """Devices, then bonds of two members, attached to and detached from
    relay 2 over and over while relay 1 forwards."""
    P = pb.new.PortControlRequest
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"],
                                 "VIRTIOFWD_LOG_LEVEL": "6",
                                 "VIRTIOFWD_EAL_ARGS": "--no-huge -m 1024 --no-pci"}))
    t = Traffic(reg, d, sockdir)
    # af_packet on veths: DPDK's net_null keeps 1536 bytes of heap per
    # probe (a dummy packet per queue that only queue release frees, and
    # closing a port releases no queue), which would hide ours.
    v = [reg.add(VethNs("10.97.%d.1/24" % i)).host for i in range(3)]
    n = count(1000)
    for kind in ("device", "bond"):
        if kind == "device":
            add = dict(op=P.ADD, virtio_id=2, device=["net_af_packet2,iface=%s" % v[0]])
            rem = dict(op=P.REMOVE, device=["net_af_packet2"])
        else:
            add = dict(op=P.ADD, virtio_id=2, name="net_bonding7", mode=1,
                       device=["net_af_packet3,iface=%s" % v[1],
                               "net_af_packet4,iface=%s" % v[2]])
            rem = dict(op=P.REMOVE, name="net_bonding7")
        # One cycle first: the relay's pool and the first allocations of
        # each kind are there from then on.
        port(pb, d, **add)
        port(pb, d, **rem)
        before = resources(d)
        t0 = time.monotonic()
        for _ in range(n):
            port(pb, d, **add)
            port(pb, d, **rem)
        print("%s churn: %d cycles in %.1f s" % (kind, n, time.monotonic() - t0))
        assert_back(before, resources(d), n, kind)
    print("traffic during the churn: %d packets" % t.check())
    assert d.proc.alive()


def test_soak_dynamic_socket_churn(pb, reg, sockdir):  # noqa: F811
    """Dynamic sockets with a device each, added and removed over and over
    while the first one forwards."""
    P = pb.new.PortControlRequest
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_DYNAMIC_SOCKETS": "true",
                                 "VIRTIOFWD_LOG_LEVEL": "6",
                                 "VIRTIOFWD_EAL_ARGS": "--no-huge -m 1024 --no-pci"}))
    keep = os.path.join(str(sockdir), "keep.sock")
    port(pb, d, op=P.ADD_SOCK, vhost_path=keep, device=[vf_spec(sockdir)])
    t = Traffic(reg, d, sockdir, relay=0, sock=keep)
    churn = os.path.join(str(sockdir), "churn.sock")
    veth = reg.add(VethNs("10.97.9.1/24")).host

    def cycle():
        r = port(pb, d, op=P.ADD_SOCK, vhost_path=churn,
                 device=["net_af_packet5,iface=%s" % veth])
        assert r.virtio_id == 1
        port(pb, d, op=P.REMOVE_SOCK, vhost_path=churn)
        assert not os.path.exists(churn)
    cycle()
    before = resources(d)
    n = count(200)
    t0 = time.monotonic()
    for _ in range(n):
        cycle()
    print("socket churn: %d cycles in %.1f s" % (n, time.monotonic() - t0))
    assert_back(before, resources(d), n, "dynamic sockets")
    print("traffic during the churn: %d packets" % t.check())


def test_soak_guest_churn(reg, sockdir):
    """A guest connects and disconnects over and over on relay 2 while
    relay 1 forwards."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1",
                                                          "net_null2=2"],
                                 "VIRTIOFWD_LOG_LEVEL": "6",
                                 "VIRTIOFWD_EAL_ARGS": "--no-huge -m 1024 --no-pci"}))
    t = Traffic(reg, d, sockdir)

    def cycle():
        g = vm_peer(d.socket(2))
        try:
            wait_for(lambda: relay_up(d, 2), timeout=30, what="guest on relay 2")
        finally:
            g.close()
        wait_for(lambda: d.stats()[2]["info"]["guest"] == "none", what="guest gone")
    cycle()
    before = resources(d)
    n = count(100)
    t0 = time.monotonic()
    for _ in range(n):
        cycle()
    print("guest churn: %d cycles in %.1f s" % (n, time.monotonic() - t0))
    assert_back(before, resources(d), n, "guests")
    print("traffic during the churn: %d packets" % t.check())


def test_soak_client_mode_restarts(reg, sockdir):
    """Client mode: the daemon is restarted over and over (SIGTERM and
    SIGKILL in turn) under a guest that stays up; traffic comes back each
    time, and the time it takes is recorded."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VHOST_CLIENT": "true",
                                 "VIRTIOFWD_LOG_LEVEL": "6",
                                 "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]},
                       wait_ready=False))
    vm = reg.add(vm_peer(d.socket(1), server=True))
    wait_for(lambda: "]: ready" in d.proc.err, what="daemon ready")
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    receive_start(vm)
    times = []
    n = count(50)
    for i in range(n + 1):
        if i > 0:
            how = sigmod.SIGTERM if i % 2 else sigmod.SIGKILL
            d.stop(how)
            wire.close()
            if how == sigmod.SIGKILL and os.path.exists("%s/vf1.sock" % sockdir):
                os.unlink("%s/vf1.sock" % sockdir)      # the stand-in VF's own
            t0 = time.monotonic()
            d.start(wait_ready=False)
            wait_for(lambda: os.path.exists("%s/vf1.sock" % sockdir) or not d.proc.alive(),
                     timeout=30, what="the stand-in VF's socket")
            wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
        else:
            t0 = time.monotonic()
        # Traffic is back when a burst from the wire reaches the guest.
        while True:
            before = vm.port_stats()["rx_pkts"]
            send(wire, 1, settle=0.05)
            if vm.port_stats()["rx_pkts"] > before:
                break
            assert time.monotonic() - t0 < 60, "no traffic 60 s after restart %d" % i
            wire.cmd("clear port stats all")
        if i > 0:
            times.append(time.monotonic() - t0)
        wire.cmd("clear port stats all")
    times.sort()
    print("client mode: %d restarts, time to traffic: median %.2f s, max %.2f s "
          "(from the daemon's start, the stand-in VF's peer included)"
          % (n, times[len(times) // 2], times[-1]))
    assert d.proc.alive()
