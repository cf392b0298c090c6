# SPDX-License-Identifier: BSD-3-Clause
"""Adaptive polling (VIRTIOFWD_POLL_MODE=adaptive): an idle worker sleeps,
traffic wakes it and none is lost, and the control side never waits for a
sleeping worker.  Busy mode never sleeps."""

import subprocess
import time

from harness import (two_worker_vars, CTL, Daemon, VethNs, receive_start, relay_up, send,
                     vf_spec, vm_peer, wait_for, wire_peer)

ADAPTIVE = {"VIRTIOFWD_POLL_MODE": "adaptive"}


def worker(d, w=0):
    return d.stats()["workers"][w]


def asleep_a_while(d, w=0, seconds=1.5):
    """The worker slept through most of the last 'seconds' and woke more
    than once."""
    before = worker(d, w)
    time.sleep(seconds)
    after = worker(d, w)
    slept = int(after["sleep_cycles"]) - int(before["sleep_cycles"])
    total = (int(after["busy_cycles"]) + int(after["idle_cycles"])
             - int(before["busy_cycles"]) - int(before["idle_cycles"]))
    return total > 0 and slept / total > 0.5 and int(after["wakeups"]) > int(before["wakeups"])


def exact_both_ways(d, wire, vm, relay=1, bursts=4):
    """Traffic both ways after an idle spell: every packet arrives and the
    relay's counters agree with the peers'."""
    for src, dst, direction in ((vm, wire, "vm_to_vf"), (wire, vm, "vf_to_vm")):
        wait_for(lambda: asleep_a_while(d, seconds=0.5), what="worker asleep")
        for tp in (wire, vm):
            tp.cmd("stop")
            tp.cmd("clear port stats all")
        before = d.stats()[relay][direction]
        receive_start(dst)
        send(src, bursts)
        sent = src.port_stats()["tx_pkts"]
        assert sent == 32 * bursts
        wait_for(lambda: dst.port_stats()["rx_pkts"] >= sent, what=direction + " delivery")
        dst.cmd("stop")
        assert dst.port_stats()["rx_pkts"] == sent
        after = d.stats()[relay][direction]
        assert after["rx_pkts"] - before["rx_pkts"] == sent
        assert after["tx_pkts"] - before["tx_pkts"] == sent
        assert after["drop_full_pkts"] == before["drop_full_pkts"]


def test_idle_worker_sleeps_and_traffic_wakes_it(reg, sockdir):
    d = reg.add(Daemon(sockdir, dict(ADAPTIVE, VIRTIOFWD_STATIC_VFS=[vf_spec(sockdir) + "=1"])))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    wait_for(lambda: asleep_a_while(d), timeout=30, what="the idle worker sleeping")
    exact_both_ways(d, wire, vm)
    # Several rounds: each starts from a sleeping worker.
    exact_both_ways(d, wire, vm, bursts=1)
    assert d.stop() == 0


def test_poll_idle_keeps_the_worker_awake_after_traffic(reg, sockdir):
    """VIRTIOFWD_POLL_IDLE_US: after its last packet the worker polls that
    long before it sleeps again (here 4 s, against 50 us by default)."""
    d = reg.add(Daemon(sockdir, dict(ADAPTIVE, VIRTIOFWD_POLL_IDLE_US="4000000",
                                     VIRTIOFWD_STATIC_VFS=[vf_spec(sockdir) + "=1"])))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    wait_for(lambda: asleep_a_while(d), timeout=30, what="the idle worker sleeping")
    exact_both_ways(d, wire, vm, bursts=1)
    before = worker(d)
    time.sleep(1)
    after = worker(d)
    assert after["sleep_cycles"] == before["sleep_cycles"], (before, after)
    assert after["wakeups"] == before["wakeups"], (before, after)
    # Then it sleeps again.
    wait_for(lambda: asleep_a_while(d), timeout=30, what="the worker asleep again")
    assert d.stop() == 0


def test_busy_mode_never_sleeps(reg, sockdir):
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_POLL_MODE": "busy",
                                 "VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    reg.add(wire_peer("%s/vf1.sock" % sockdir))
    reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    time.sleep(1)
    w = worker(d)
    assert w["sleep_cycles"] == "0" and w["wakeups"] == "0", w
    assert float(w["asleep"]) == 0.0


def test_sleep_share_in_stats_service_and_vfwdctl(reg, sockdir):
    """The stats service carries the sleep share and the wake-ups;
    'vfwdctl stats' and 'vfwdctl load' show them."""
    d = reg.add(Daemon(sockdir, dict(ADAPTIVE, VIRTIOFWD_STATIC_VFS=[vf_spec(sockdir) + "=1"])))
    reg.add(wire_peer("%s/vf1.sock" % sockdir))
    reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    wait_for(lambda: asleep_a_while(d), timeout=30, what="the idle worker sleeping")
    ep = "--stats-ep=" + d.vars["VIRTIOFWD_ZMQ_STATS_EP"]
    p = subprocess.run([CTL, ep, "stats"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "asleep" in p.stdout and "wake-ups" in p.stdout, p.stdout
    p = subprocess.run([CTL, ep, "stats", "--json"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    import json
    workers = json.loads(p.stdout)["worker"]
    assert workers[0]["wakeups"] > 0
    assert 0.5 < workers[0]["sleep"] <= 1.0


def two_workers(sockdir, extra=None):
    """Two worker lcores on this 2-CPU machine (EAL --lcores maps worker
    lcores 1 and 2 onto CPUs 1 and 0)."""
    v = dict(ADAPTIVE)
    v.update(two_worker_vars())
    v.update(extra or {})
    return Daemon(sockdir, v)


def timed(argv):
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return p, time.monotonic() - t0


def test_control_never_waits_for_a_sleeping_worker(reg, sockdir):
    """While both workers sleep (as long as they may, 100 ms at a time):
    moving the relay and removing its device take no longer than a
    request that waits for no worker (a stats query by the same tool, the
    reference measured in the same run), the guest leaving completes, and
    traffic after the move arrives."""
    d = reg.add(two_workers(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"],
                                      "VIRTIOFWD_POLL_SLEEP_MAX_US": "100000"}))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    for w in (0, 1):
        wait_for(lambda: asleep_a_while(d, w), timeout=30, what="worker %d sleeping" % w)

    sched = "--core-sched-ep=" + d.vars["VIRTIOFWD_ZMQ_CORE_SCHED_EP"]
    stats = "--stats-ep=" + d.vars["VIRTIOFWD_ZMQ_STATS_EP"]
    # What the tool's start-up and a round trip cost here and now.  A
    # change that waited for a sleeping worker would wait for its sleeps.
    refs = sorted(timed([CTL, stats, "stats"])[1] for _ in range(3))
    bound = 5 * refs[1]
    for pin in ("1:2", "1:1,2", "1:1"):
        p, secs = timed([CTL, sched, "-q", "pin", "--virtio-cpu=" + pin])
        assert p.returncode == 0, p.stderr
        assert secs < bound, "pin %s took %.2f s, a stats query %.2f s" % (pin, secs, refs[1])
    exact_both_ways(d, wire, vm, bursts=2)

    pc = "--port-control-ep=" + d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
    wait_for(lambda: asleep_a_while(d, 0), timeout=30, what="worker sleeping again")
    p, secs = timed([CTL, pc, "remove", "--device=" + vf_spec(sockdir)])
    assert p.returncode == 0, p.stderr + p.stdout
    assert secs < bound, "remove took %.2f s, a stats query %.2f s" % (secs, refs[1])
    assert d.stats()[1]["info"]["device"] == "-"

    vm.close()
    wait_for(lambda: 1 not in d.stats() or d.stats()[1]["info"]["guest"] == "none",
             timeout=30, what="guest gone")
    assert d.stop() == 0


def test_guest_enabling_queues_while_asleep(reg, sockdir):
    """A 4-queue guest: every queue wakes the sleeping worker, also after
    the guest restarted its ports (queues disabled and enabled again)."""
    d = reg.add(Daemon(sockdir, dict(ADAPTIVE, VIRTIOFWD_STATIC_VFS=[
        vf_spec(sockdir, queues=4) + "=1"])))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir, queues=4))
    vm = reg.add(vm_peer(d.socket(1), queues=4))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    for round_ in range(2):
        wait_for(lambda: asleep_a_while(d, seconds=0.5), timeout=30, what="worker asleep")
        before = d.stats()[1]["vm_to_vf"]["rx_pkts"]
        wire.cmd("clear port stats all")
        vm.cmd("clear port stats all")
        receive_start(wire)
        send(vm, 2)
        sent = vm.port_stats()["tx_pkts"]
        wait_for(lambda: wire.port_stats()["rx_pkts"] >= sent, what="wire rx")
        wire.cmd("stop")
        assert d.stats()[1]["vm_to_vf"]["rx_pkts"] - before == sent
        x = vm.xstats()
        assert all(x["tx_q%d_good_packets" % q] > 0 for q in range(4)), x
        # Stop and start the guest's port: its queues go and come back.
        vm.cmd("port stop 0")
        vm.cmd("port start 0")
        wait_for(lambda: relay_up(d, 1), what="guest back")


def test_device_without_interrupts(reg, sockdir):
    """af_packet has no RX interrupts: the worker sleeps on a timer, and a
    namespace still pings a virtio-user guest through the relay."""
    veth = reg.add(VethNs("10.98.0.1/24"))
    d = reg.add(Daemon(sockdir, dict(ADAPTIVE, VIRTIOFWD_STATIC_VFS=[
        "net_af_packet0,iface=%s=2" % veth.host])))
    vm = reg.add(vm_peer(d.socket(2)))
    wait_for(lambda: relay_up(d, 2), what="guest on relay 2")
    vm.cmd("set fwd icmpecho")
    vm.cmd("start")
    wait_for(lambda: asleep_a_while(d), timeout=30, what="the idle worker sleeping")
    p = veth.ns_exec("ping", "-c", "5", "-i", "0.3", "-w", "20", "10.98.0.2", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 0% packet loss" in p.stdout
    s = d.settled_stats(2)
    assert s["vf_to_vm"]["tx_pkts"] >= 6 and s["vm_to_vf"]["tx_pkts"] >= 6, s
