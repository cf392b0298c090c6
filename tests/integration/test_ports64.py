# SPDX-License-Identifier: BSD-3-Clause
"""All 64 relays at once, and the DPDK port limit.

Debian's DPDK allows 32 ports (RTE_MAX_ETHPORTS), too few for 64 relays
with devices.  scripts/build-dpdk.sh builds one with 256, and build-64/
links the daemon to it; scripts/test.sh runs this file against that build
with that build's dpdk-testpmd (VFWD_BUILD, VFWD_TESTPMD).  The 64-relay
test needs 80 ports and is skipped on a daemon with fewer; the others run
on any build, at its own limit.

The devices: net_ring ports (a ring PMD port with no arguments sends
what it is given back to itself, so a relay's device returns every packet
of its guest) and bonds of af_packet ports on veth pairs (the bonding PMD
must set its members' MAC address, which ring ports cannot take; both
ends of a pair are members of one round-robin bond, so what one sends the
other receives).  The guests: virtio-user ports of a few testpmd
processes, each with many.
"""

import os
import re
import subprocess
import time
import uuid

import pytest

import harness
from harness import CTL, DAEMON, Daemon, Pmd, wait_for
# pb is a fixture: the message classes generated from the .proto.
from test_protocol import Ctl, assert_error, assert_ok, layout, pb  # noqa: F401


def daemon_max_ports():
    """The port limit the daemon under test was built with."""
    p = subprocess.run([DAEMON, "--version"], capture_output=True, text=True, timeout=30)
    m = re.search(r"^max ports: (\d+)$", p.stdout, re.M)
    assert p.returncode == 0 and m, "no 'max ports: N' line in --version:\n" + p.stdout
    return int(m.group(1))


MAX_PORTS = daemon_max_ports()
RELAYS = 64
BONDS = 8                                   # relays 56-63, 2 members each
SINGLES = RELAYS - BONDS
PORTS_64 = SINGLES + BONDS * 3              # a bond of 2 takes 3 ports

needs_more_ports = pytest.mark.skipif(
    MAX_PORTS < PORTS_64,
    reason="n/a: the daemon's DPDK allows %d ports, 64 relays with %d bonds need %d: "
           "build it with scripts/build-dpdk.sh --daemon and run with "
           "VFWD_BUILD=build-64 (scripts/test.sh does)" % (MAX_PORTS, BONDS, PORTS_64))


class VethPairs:
    """'n' veth pairs with both ends here, up, IPv6 off on both, so that
    the kernel sends nothing of its own on them."""

    def __init__(self, n):
        tag = uuid.uuid4().hex[:5]
        self.pairs = [("v6a%s%d" % (tag, i), "v6b%s%d" % (tag, i)) for i in range(n)]
        self._batch(["link add %s type veth peer name %s" % p for p in self.pairs])
        try:
            for p in self.pairs:
                for end in p:
                    try:
                        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % end, "w") as f:
                            f.write("1")
                    except OSError:
                        pass        # no IPv6 on this host: nothing to silence
            self._batch(["link set %s up" % end for p in self.pairs for end in p])
        except Exception:
            self.close()
            raise

    @staticmethod
    def _batch(lines, check=True):
        p = subprocess.run(["ip", "-force", "-batch", "-"], input="\n".join(lines) + "\n",
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("ip -batch failed: %s" % p.stderr)

    def close(self):
        self._batch(["link del %s" % a for a, _ in self.pairs], check=False)


def ring(i):
    return "net_ring%d" % i


def af_packet_bond(relay, pair, extra=""):
    """The device request of a bond of both ends of veth pairs 'pair'."""
    members = []
    for a, b in pair:
        for end in (a, b):
            members.append("net_af_packet%d,iface=%s%s" % (relay * 100 + len(members), end,
                                                           extra))
    return {"name": "net_bonding%d" % relay, "mode": 0, "device": members}


def add(ctl, relay, dev):
    """Attaches 'dev' (a spec, or a bond request) to relay 'relay'."""
    if isinstance(dev, dict):
        return ctl.port(ctl.P.ADD, virtio_id=relay, **dev)
    return ctl.port(ctl.P.ADD, virtio_id=relay, device=[dev])


def remove(ctl, dev):
    if isinstance(dev, dict):
        return ctl.port(ctl.P.REMOVE, name=dev["name"])
    return ctl.port(ctl.P.REMOVE, device=[dev])


def ports(ctl):
    """(ports in use, port limit) as the stats service reports them."""
    r = ctl.stats(relay=[0])
    assert r.status == ctl.S.OK and r.HasField("max_ports"), r
    return r.ports_in_use, r.max_ports


def show_ports(pmd):
    """testpmd's counters of all its ports, keyed by the vhost-user socket
    each port's devargs name: {socket: {"rx_pkts", "rx_bytes", ...}}."""
    info = pmd.cmd("show port info all", timeout=60)
    by_port = {}
    for m in re.finditer(r"Infos for port (\d+)\s.*?Devargs: \S*path=([^,\s]+)", info, re.S):
        by_port[int(m.group(1))] = m.group(2)
    stats = pmd.cmd("show port stats all", timeout=60)
    out = {}
    for m in re.finditer(r"NIC statistics for port (\d+)\s.*?RX-packets:\s+(\d+)\s+RX-missed:"
                         r"\s+\d+\s+RX-bytes:\s+(\d+).*?TX-packets:\s+(\d+)\s+TX-errors:\s+\d+"
                         r"\s+TX-bytes:\s+(\d+)", stats, re.S):
        port = int(m.group(1))
        out[by_port[port]] = {"rx_pkts": int(m.group(2)), "rx_bytes": int(m.group(3)),
                              "tx_pkts": int(m.group(4)), "tx_bytes": int(m.group(5))}
    assert len(out) == len(by_port), "testpmd ports without counters:\n" + stats
    return out


# ----------------------------------------------------------------------
# 64 relays, all with devices, guests and traffic
# ----------------------------------------------------------------------

PEERS_PER_PMD = 32
# Bursts of 32 each peer process sends per round: different per process,
# so that a relay's counts also say whose packets they are.
BURSTS = (4, 6)


@needs_more_ports
def test_64_relays(pb, reg, sockdir):
    """64 relays, each with a device (56 ring ports, 8 bonds of 2 af_packet
    ports: 80 DPDK ports) and a guest (two testpmd processes with 32
    virtio-user ports each); traffic on all 64 at once, counted exactly
    per relay, both directions, by the daemon and by the guests; a 65th
    relay refused; all devices removed and added again without a
    restart; then a clean stop."""
    t_start = time.monotonic()
    veths = reg.add(VethPairs(BONDS))
    devices = {r: ring(r) for r in range(SINGLES)}
    for i in range(BONDS):
        devices[SINGLES + i] = af_packet_bond(SINGLES + i, [veths.pairs[i]])
    d = reg.add(Daemon(sockdir, {
        # Each relay with a device has its own packet buffers.
        "VIRTIOFWD_EAL_ARGS": "--no-huge -m 3072 --no-pci",
        "VIRTIOFWD_LOG_LEVEL": "6",
    }))
    assert re.search(r"starting \(DPDK 22\.11[^,]*, max ports %d\)" % MAX_PORTS, d.proc.err)
    ctl = Ctl(pb, d.vars)

    def attach_all():
        for r in range(RELAYS):
            assert_ok(add(ctl, r, devices[r]))
        assert ports(ctl) == (PORTS_64, MAX_PORTS)
        # Bond members are polled for their link every 10 ms; a bond
        # passes nothing until it has seen its members up.
        time.sleep(1)

    attach_all()
    want_layout = {r: (d.socket(r), devices[r]["name"] if isinstance(devices[r], dict)
                       else devices[r]) for r in range(RELAYS)}
    assert layout(ctl) == want_layout

    pmds = []
    for k in range(RELAYS // PEERS_PER_PMD):
        vdevs = ["net_virtio_user%d,path=%s,queues=1" % (i, d.socket(k * PEERS_PER_PMD + i))
                 for i in range(PEERS_PER_PMD)]
        pmds.append(reg.add(Pmd(vdevs, mbufs=65536)))

    def guests_up():
        s = d.stats()
        return all(s.get(r, {}).get("info", {}).get("guest") == "connected"
                   for r in range(RELAYS)) and s
    wait_for(guests_up, timeout=120, what="64 guests connected")

    expect = {r: 0 for r in range(RELAYS)}

    def traffic_round(what):
        """Every guest sends its bursts at once; the relay's device sends
        each packet back.  Checks every relay's counters against the
        guest's, both directions, exactly."""
        for k, pmd in enumerate(pmds):
            pmd.cmd("set fwd rxonly")
        for k, pmd in enumerate(pmds):
            pmd.cmd("start tx_first %d" % BURSTS[k])
        for r in range(RELAYS):
            expect[r] += 32 * BURSTS[r // PEERS_PER_PMD]

        def delivered():
            s = d.stats()
            return all(s[r]["vf_to_vm"]["tx_pkts"] >= expect[r] for r in range(RELAYS)) and s
        try:
            wait_for(delivered, timeout=60, what="%s: every packet back in its guest" % what)
        finally:
            for pmd in pmds:
                pmd.cmd("stop")
        s = d.stats()
        seen = {}
        for pmd in pmds:
            seen.update(show_ports(pmd))
        bad = []
        for r in range(RELAYS):
            m2f, f2m, g = s[r]["vm_to_vf"], s[r]["vf_to_vm"], seen[d.socket(r)]
            got = (g["tx_pkts"], m2f["rx_pkts"], m2f["tx_pkts"], f2m["rx_pkts"],
                   f2m["tx_pkts"], g["rx_pkts"])
            drops = sum(x[k] for x in (m2f, f2m) for k in
                        ("drop_full_pkts", "drop_nc_pkts"))
            nbytes = {g["tx_bytes"], m2f["rx_bytes"], m2f["tx_bytes"], f2m["rx_bytes"],
                      f2m["tx_bytes"], g["rx_bytes"]}
            if got != (expect[r],) * 6 or drops or len(nbytes) != 1:
                bad.append("relay %d (%s): guest tx, vm_to_vf rx/tx, vf_to_vm rx/tx, "
                           "guest rx = %s, want %d each; drops %d; bytes %s"
                           % (r, want_layout[r][1], got, expect[r], drops, sorted(nbytes)))
        assert not bad, "%s:\n%s" % (what, "\n".join(bad))
        return s

    t = time.monotonic()
    traffic_round("all 64 at once")
    print("64 relays up in %.1f s; first round in %.1f s" % (t - t_start,
                                                              time.monotonic() - t))

    # The 65th relay: there is none, whatever asks for it.
    before = layout(ctl)
    assert_error(add(ctl, RELAYS, ring(RELAYS)), "relay 64", "0 to 63")
    p = subprocess.run([CTL, "--config", d.conf, "add", "--virtio-id=64",
                        "--device=" + ring(RELAYS)], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "0-63" in p.stderr.replace(" to ", "-"), p
    # A device another relay has: refused, nothing moves.
    assert_error(add(ctl, 3, ring(4)), "already")
    assert layout(ctl) == before
    assert ports(ctl) == (PORTS_64, MAX_PORTS)
    traffic_round("after the refusals")

    # Every device removed and added again, guests connected throughout.
    for r in range(RELAYS):
        assert_ok(remove(ctl, devices[r]))
    assert ports(ctl) == (0, MAX_PORTS)
    assert all(dev is None for _, dev in layout(ctl).values())
    s = d.stats()
    assert all(s[r]["info"]["guest"] == "connected" for r in range(RELAYS))
    attach_all()
    assert layout(ctl) == want_layout
    traffic_round("after removing and adding all 64 again")

    assert d.stop() == 0, d.proc.err[-3000:]
    assert "]: stopped" in d.proc.err
    print("64-relay test: %.1f s" % (time.monotonic() - t_start))


# ----------------------------------------------------------------------
# The port limit, at whatever the build allows
# ----------------------------------------------------------------------

def test_port_limit(pb, reg, sockdir):
    """Fills every DPDK port the build allows (bonds of 6 af_packet members,
    7 ports each, then single ring ports), with one relay forwarding for a
    guest throughout.  A bond that needs more ports than are free, and a
    device once all are taken, are refused before anything is probed,
    with a reason that names the limit; nothing else changes."""
    per_bond = 6
    n_bonds = (MAX_PORTS - 6) // (per_bond + 1)
    veths = reg.add(VethPairs(n_bonds * per_bond // 2))
    d = reg.add(Daemon(sockdir, {
        "VIRTIOFWD_EAL_ARGS": "--no-huge -m 3072 --no-pci",
        "VIRTIOFWD_LOG_LEVEL": "6",
    }))
    ctl = Ctl(pb, d.vars)
    assert ports(ctl) == (0, MAX_PORTS)

    # Relay 0: a ring port and a guest, to show traffic is not disturbed.
    assert_ok(add(ctl, 0, ring(0)))
    vm = reg.add(harness.vm_peer(d.socket(0)))
    wait_for(lambda: harness.relay_up(d, 0), what="relay 0's guest")

    def round_trip(total):
        harness.send(vm, 2)
        wait_for(lambda: d.stats()[0]["vf_to_vm"]["tx_pkts"] >= total, what="packets back")
        s = d.stats()[0]
        g = vm.port_stats()
        assert (g["tx_pkts"], s["vm_to_vf"]["tx_pkts"], s["vf_to_vm"]["tx_pkts"],
                g["rx_pkts"]) == (total,) * 4, (g, s)

    round_trip(64)

    relay = 1
    half = per_bond // 2
    for b in range(n_bonds):
        assert_ok(add(ctl, relay, af_packet_bond(relay, veths.pairs[b * half:(b + 1) * half],
                                                 extra=",framecnt=64")))
        relay += 1
    used, _ = ports(ctl)
    assert used == 1 + n_bonds * (per_bond + 1)
    while used < MAX_PORTS - 2:
        assert_ok(add(ctl, relay, ring(relay)))
        relay += 1
        used += 1
    assert ports(ctl) == (MAX_PORTS - 2, MAX_PORTS)

    # Two ports free: a bond of two members needs three.
    before = layout(ctl)
    veth = reg.add(VethPairs(1))
    r = assert_error(add(ctl, relay, af_packet_bond(relay, veth.pairs)),
                     "takes 3 DPDK ports", "only 2", "RTE_MAX_ETHPORTS")
    assert r.error_code == -28                              # -ENOSPC
    assert layout(ctl) == before and ports(ctl) == (MAX_PORTS - 2, MAX_PORTS)
    # Its would-be members were never probed: they are free.
    assert_ok(add(ctl, relay, af_packet_bond(relay, veth.pairs)["device"][0]))
    assert_ok(add(ctl, relay + 1, ring(relay + 1)))
    assert ports(ctl) == (MAX_PORTS, MAX_PORTS)

    # Every port taken: one more device is refused.
    before = layout(ctl)
    r = assert_error(add(ctl, relay + 2, ring(relay + 2)),
                     "all %d DPDK ports are in use" % MAX_PORTS, "RTE_MAX_ETHPORTS")
    assert r.error_code == -28
    assert layout(ctl) == before and ports(ctl) == (MAX_PORTS, MAX_PORTS)
    round_trip(128)

    # Operators see it too.
    p = subprocess.run([CTL, "--config", d.conf, "stats"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    assert "DPDK ports: %d in use of %d" % (MAX_PORTS, MAX_PORTS) in p.stdout, p.stdout
    dump = d.proc.out[d.proc.out.rindex("stats begin"):]
    assert "ports in_use=%d max=%d relays_max=64" % (MAX_PORTS, MAX_PORTS) in dump
    assert d.proc.alive()


def test_version_and_start_line_say_max_ports(reg, sockdir):
    """--version prints 'max ports: N'; the start-up line and the stats say
    the same N."""
    p = subprocess.run([DAEMON, "--version"], capture_output=True, text=True, timeout=30)
    assert p.stdout.splitlines()[1] == "max ports: %d" % MAX_PORTS, p.stdout
    d = reg.add(Daemon(sockdir))
    assert "max ports %d)" % MAX_PORTS in d.proc.err
    if MAX_PORTS < RELAYS:
        assert re.search(r"allows %d ports .*scripts/build-dpdk\.sh" % MAX_PORTS, d.proc.err)
    d.stats()
    assert "ports in_use=0 max=%d relays_max=64" % MAX_PORTS in d.proc.out


# ----------------------------------------------------------------------
# Client mode: 64 clients waiting for their VMs
# ----------------------------------------------------------------------

def thread_ns(pid):
    """CPU time of each thread of 'pid', by thread name, in ns."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                out[name] = out.get(name, 0) + int(f.read().split()[0])
        except OSError:
            pass
    return out


def test_64_waiting_clients_cost_nothing(reg, sockdir):
    """In client mode every relay has a client from the start (QEMU with
    server=on waits for it before booting the guest, device or not), and
    each retries once a second while its VM is not there.  What that
    costs, measured: one file descriptor per relay (as many as server
    mode's listening sockets), one 'reconnecting' info line per relay at
    start and nothing after ('failed to connect' warnings too, but DPDK's
    warnings are rate-limited: 20 per 10 s), and a reconnect thread that
    wakes once a second for well under 0.1% of a CPU
    (doc/architecture.md)."""
    window = 10
    base = {"VIRTIOFWD_POLL_MODE": "adaptive", "VIRTIOFWD_LOG_LEVEL": "7"}
    dyn = reg.add(Daemon(sockdir, dict(base, VIRTIOFWD_VHOST_CLIENT="1",
                                       VIRTIOFWD_DYNAMIC_SOCKETS="1"), name="dyn"))
    fds_none = len(os.listdir("/proc/%d/fd" % dyn.proc.pid))
    dyn.stop()
    d = reg.add(Daemon(sockdir, dict(base, VIRTIOFWD_VHOST_CLIENT="1")))
    pid = d.proc.pid
    wait_for(lambda: d.proc.err.count("reconnecting...") >= RELAYS,
             what="every client's first attempt")
    time.sleep(1)
    lines = len(d.proc.err.splitlines())
    cpu0, t0 = thread_ns(pid), time.monotonic()
    time.sleep(window)
    cpu1, t1 = thread_ns(pid), time.monotonic()
    new_lines = d.proc.err.splitlines()[lines:]
    fds = len(os.listdir("/proc/%d/fd" % pid))
    reconn = (cpu1["vhost_reconn"] - cpu0["vhost_reconn"]) / 1e9 / (t1 - t0)
    print("64 waiting clients: %d fds more than none, reconnect thread %.4f%% of a CPU, "
          "%d log lines in %d s" % (fds - fds_none, 100 * reconn, len(new_lines), window))
    assert d.proc.err.count("reconnecting...") == RELAYS
    assert 0 < d.proc.err.count("failed to connect") <= min(RELAYS, 20)
    assert new_lines == []
    # The 64 sockets, and the vhost library's own pipe.
    assert RELAYS <= fds - fds_none <= RELAYS + 4
    assert reconn < 0.002
