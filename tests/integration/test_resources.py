# SPDX-License-Identifier: BSD-3-Clause
"""Memory given back: a relay's packet buffer pool exists only while the
relay has a guest or a device, also while its socket stays (static
sockets, on all 64 relays here), so that devices and VMs coming and going
on every relay id for months never exhaust the hugepages.  The DPDK heap
is read through the daemon's own telemetry socket (/eal/heap_info).

The device is net_af_packet on a veth pair, one at a time (Debian's DPDK
has 32 ports): it gives all its memory back when removed.  DPDK 22.11's
net_null does not: its queues' dummy packets (64 bytes, 192 with the heap
element's header) are freed only when a queue is released, which closing
a port never does, so each attach and detach of a 4+4-queue net_null
keeps 1536 bytes; that is net_null's, not the daemon's.

VFWD_POOL_ROUNDS=10 runs the cycle over all relay ids ten times (the
default is one round: about 10 s, 30 s under ASan).
"""

import json
import os
import re
import subprocess

import harness
from harness import Daemon, heap_free, vm_peer, wait_for

ROUNDS = int(os.environ.get("VFWD_POOL_ROUNDS", "1"))


def ctl(d, *args):
    p = subprocess.run([harness.CTL, "--config", d.conf] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def no_buffers(d):
    return d.stats()["buffers"] == {"pools": 0, "mbufs": 0, "in_use": 0}


def test_pools_over_all_relay_ids(reg, sockdir):
    """Attaching and removing a device on relay 0, 1, ... 63 in turn (the
    issue: the 8th distinct relay failed for memory) leaves the heap's
    free size exactly where it started, round after round."""
    veth = reg.add(harness.VethNs())
    dev = "net_af_packet0,iface=%s" % veth.host
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_LOG_LEVEL": "6"}))
    # The first attach of a driver sets up what it keeps for good.
    ctl(d, "add", "-q", "--virtio-id=0", "--device=" + dev)
    ctl(d, "remove", "-q", "--device=net_af_packet0")
    start = heap_free(d.prefix)
    assert no_buffers(d)
    for rnd in range(ROUNDS):
        for relay in range(64):
            ctl(d, "add", "-q", "--virtio-id=%d" % relay, "--device=" + dev)
            if rnd == 0 and relay in (0, 7, 8, 63):
                s = d.stats()
                assert int(s[relay]["info"]["pool_size"]) >= 8191, s[relay]
                assert s["buffers"]["pools"] == 1, s["buffers"]
                assert s["buffers"]["mbufs"] == int(s[relay]["info"]["pool_size"])
            ctl(d, "remove", "-q", "--device=net_af_packet0")
        now = heap_free(d.prefix)
        print("round %d of %d: heap free %d bytes (start %d)" % (rnd + 1, ROUNDS, now, start))
        assert now == start, "round %d of %d" % (rnd + 1, ROUNDS)
        assert no_buffers(d)
    assert "no packet buffers" not in d.proc.err


def test_pool_follows_guest_and_device(reg, sockdir):
    """A guest alone gets a pool (vhost dequeue needs buffers); it stays
    while either the guest or the device does, and goes with the last of
    them; the stats service and vfwdctl show it."""
    veth = reg.add(harness.VethNs())
    dev = "net_af_packet0,iface=%s" % veth.host
    d = reg.add(Daemon(sockdir))

    vm = reg.add(vm_peer(d.socket(5)))
    wait_for(lambda: harness.relay_up(d, 5), what="guest on relay 5")
    s = d.stats()
    assert int(s[5]["info"]["pool_size"]) >= 8191
    assert s["buffers"]["pools"] == 1

    # Device too; the guest leaves: the device keeps the pool.
    ctl(d, "add", "-q", "--virtio-id=5", "--device=" + dev)
    vm.close()
    wait_for(lambda: d.stats()[5]["info"]["guest"] == "none", what="guest gone")
    s = d.stats()
    assert s["buffers"]["pools"] == 1, s

    # The stats service: new optional fields, and the table.
    out = ctl(d, "stats", "--json", "--relay=5")
    relay = [r for r in json.loads(out)["relay"] if r["id"] == 5][0]
    assert relay["pool_size"] == int(s[5]["info"]["pool_size"])
    assert 0 <= relay["pool_in_use"] <= relay["pool_size"]
    table = ctl(d, "stats", "--relay=5")
    assert re.search(r"  buffers \d+/%d in use" % relay["pool_size"], table), table
    assert re.search(r"^packet buffers: \d+ of %d in use, in 1 pool\(s\)$"
                     % relay["pool_size"], table, re.M), table

    # The device goes: nothing needs buffers, the socket stays.
    ctl(d, "remove", "-q", "--device=net_af_packet0")
    assert no_buffers(d)
    assert os.path.exists(d.socket(5))
    out = ctl(d, "stats", "--json", "--relay=5")
    assert "pool_size" not in out
    # A guest coming back gets a new pool, and gives all of it back (and
    # whatever the vhost library took for it) when it goes.
    start = heap_free(d.prefix)
    vm = reg.add(vm_peer(d.socket(5)))
    wait_for(lambda: harness.relay_up(d, 5), what="guest back on relay 5")
    assert d.stats()["buffers"]["pools"] == 1
    assert heap_free(d.prefix) < start
    vm.close()
    wait_for(lambda: no_buffers(d), what="pool freed with the guest")
    assert heap_free(d.prefix) == start
