# SPDX-License-Identifier: BSD-3-Clause
"""The OVSDB monitor against a real ovsdb-server (Open vSwitch's, on a private
database and socket; no ovs-vswitchd): interfaces marked with
external_ids:virtio_forwarder=<relay> get relays, with the device named in
external_ids:virtio_forwarder_device (real DPDK vdevs here).  Checked in the
daemon's own relays (the stats dump) and in traffic, not only in its logs."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from harness import (devices, net_vhost_spec, Daemon, Proc, VethNs, port_control_warnings, receive_start, relay_up,
                     send, vm_peer, wait_for, wire_peer)

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
MARK = "external_ids:virtio_forwarder"
DEVICE = "external_ids:virtio_forwarder_device"


# ----------------------------------------------------------------------
# A private ovsdb-server
# ----------------------------------------------------------------------

class OvsdbServer:
    """ovsdb-server on its own database file and unix socket."""

    def __init__(self, workdir):
        self.dir = str(workdir)
        self.db = os.path.join(self.dir, "conf.db")
        self.sock = os.path.join(self.dir, "db.sock")
        self.proc = None
        subprocess.run(["ovsdb-tool", "create", self.db, SCHEMA], check=True,
                       capture_output=True)

    def start(self, sock=None, remotes=()):
        """Starts the server on 'sock' (default: the socket the daemon uses);
        the Manager table's targets are served too."""
        assert self.proc is None or not self.proc.alive()
        sock = sock or self.sock
        tag = "alt" if sock != self.sock else "main"
        self.proc = Proc(["ovsdb-server", self.db, "--remote=punix:" + sock,
                          "--remote=db:Open_vSwitch,Open_vSwitch,manager_options"]
                         + ["--remote=" + r for r in remotes] +
                         ["--no-chdir", "--unixctl=%s/ovs-%s.ctl" % (self.dir, tag),
                          "--pidfile=%s/ovs-%s.pid" % (self.dir, tag),
                          "--log-file=%s/ovsdb-server.log" % self.dir])
        wait_for(lambda: os.path.exists(sock) or not self.proc.alive(), 10,
                 "ovsdb-server socket")
        assert self.proc.alive(), self.proc.output()
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None:
            self.proc.stop(sig)
        self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "ovsdb-server.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def close(self):
        self.stop()

    def vsctl(self, *args, sock=None):
        p = subprocess.run(["ovs-vsctl", "--db=unix:" + (sock or self.sock), "--no-wait",
                            "--timeout=10"] + list(args), capture_output=True, text=True)
        assert p.returncode == 0, "ovs-vsctl %s: %s" % (" ".join(args), p.stderr)
        return p.stdout


def port_args(name, relay=None, device=None):
    """ovs-vsctl words adding port 'name' to br0 with the marker and device."""
    args = ["--", "add-port", "br0", name]
    ids = []
    if relay is not None:
        ids.append('%s="%s"' % (MARK, relay))
    if device is not None:
        ids.append('%s="%s"' % (DEVICE, device))
    if ids:
        args += ["--", "set", "interface", name] + ids
    return args


@pytest.fixture
def ovs(reg, sockdir):
    """A private ovsdb-server with bridge br0, stopped after the test."""
    srv = reg.add(OvsdbServer(sockdir))
    srv.start()
    srv.vsctl("init")
    srv.vsctl("add-br", "br0")
    return srv


def ovs_daemon(reg, sockdir, srv, extra=None, **kw):
    v = {"VIRTIOFWD_OVSDB_SOCK_PATH": srv.sock,
         # The harness enables ZeroMQ port control; the sources exclude
         # each other.
         "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": ""}
    v.update(extra or {})
    return reg.add(Daemon(sockdir, v, **kw))


@pytest.fixture
def ovsd(reg, sockdir, ovs):
    """The server and a daemon monitoring it, synchronised."""
    d = ovs_daemon(reg, sockdir, ovs)
    wait_for(lambda: "ovsdb: 1 interfaces in the table" in d.proc.err, what="first sync")
    return ovs, d


# ----------------------------------------------------------------------
# Looking at the daemon
# ----------------------------------------------------------------------

def wait_devices(d, want, timeout=20, what=None):
    last = {}

    def ok():
        last["v"] = devices(d)
        return last["v"] == want
    try:
        wait_for(ok, timeout, what or "relays %r" % want, interval=0.1)
    except AssertionError:
        raise AssertionError("relays: want %r, have %r\n%s" % (
            want, last.get("v"), tail(d)))


# The relay and device of applied()'s marker: used by no test.
BARRIER_RELAY = 63
BARRIER_DEV = "net_null63"


def applied(ovs, d):
    """A barrier: returns once the daemon has handled every change the
    server had before the call.  The monitor handles the server's updates
    in order, so once a marked port added now is a relay (and gone again),
    so are the changes before it."""
    before = devices(d)
    assert BARRIER_RELAY not in before, before
    ovs.vsctl(*port_args("barrier", BARRIER_RELAY, BARRIER_DEV))
    wait_for(lambda: devices(d).get(BARRIER_RELAY) == BARRIER_DEV, timeout=20,
             what="the barrier port's relay")
    ovs.vsctl("del-port", "br0", "barrier")
    wait_for(lambda: BARRIER_RELAY not in devices(d), timeout=20,
             what="the barrier port's relay gone")


def stays(ovs, d, want):
    """The relays are 'want' once the daemon has handled every change so
    far (applied()): what should have changed nothing, did not."""
    applied(ovs, d)
    have = devices(d)
    assert have == want, "relays: want %r, have %r\n%s" % (want, have, tail(d))


def tail(d, n=40):
    lines = [ln for ln in d.proc.err.splitlines()
             if "VHOST_CONFIG" not in ln and "vhost-user" not in ln]
    return "\n".join(lines[-n:])


def warnings_about(d, ifname):
    """The monitor's warnings about interface 'ifname'."""
    return [ln for ln in d.proc.err.splitlines()
            if "ovsdb: interface %s: " % ifname in ln and "left alone" in ln]


def wait_synced(d, count):
    """Waits for the count-th full table from the server."""
    wait_for(lambda: d.proc.err.count("interfaces in the table") >= count,
             timeout=30, what="ovsdb sync #%d" % count)


# ----------------------------------------------------------------------
# Traffic through a net_vhost stand-in VF
# ----------------------------------------------------------------------









def forwards(d, vm, wire, total, what):
    """Sends from the VM and waits for the wire to have received 'total'
    plus the new packets; returns the new total."""
    before = vm.port_stats()["tx_pkts"]
    send(vm, 2)
    sent = vm.port_stats()["tx_pkts"] - before
    assert sent >= 32, "the VM sent nothing " + what
    total += sent
    wait_for(lambda: wire.port_stats()["rx_pkts"] == total, what="traffic " + what)
    assert d.settled_stats(1)["vm_to_vf"]["tx_pkts"] == total
    return total


# ----------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------

def test_initial_sync(reg, sockdir, ovs):
    """Ports marked before the daemon starts get relays at once."""
    ovs.vsctl(*(port_args("p0", 1, "net_null0") + port_args("p1", 2, "net_null1")
                + port_args("p2", None, "net_null2") + port_args("p3")))
    d = ovs_daemon(reg, sockdir, ovs)
    wait_devices(d, {1: "net_null0", 2: "net_null1"})
    assert d.log_has("ovsdb: 5 interfaces in the table")
    assert d.log_has("ovsdb: relay 1: net_null0 (interface p0) added")
    assert d.log_has("ovsdb: relay 2: net_null1 (interface p1) added")
    # Unmarked interfaces are no problem to report.
    assert warnings_about(d, "p2") == [] and warnings_about(d, "p3") == []
    # The relays really take packets from their devices.
    s = wait_for(lambda: (lambda s: s[1]["vf_to_vm"]["rx_pkts"] > 0 and s)(d.stats()),
                 what="relay 1 polling net_null0")
    assert s[2]["vf_to_vm"]["rx_pkts"] > 0


def test_marker_lifecycle(ovsd):
    """Unmarked: ignored; marked: relay; relay number changed: the device
    moves; marker removed: the device goes; port deleted: relay freed."""
    ovs, d = ovsd
    ovs.vsctl(*port_args("p", None, "net_null0"))
    stays(ovs, d, {})

    ovs.vsctl("set", "interface", "p", MARK + "=3")
    wait_devices(d, {3: "net_null0"})

    ovs.vsctl("set", "interface", "p", MARK + "=5")
    wait_devices(d, {5: "net_null0"})
    assert d.log_has("ovsdb: relay 3: net_null0 removed")

    ovs.vsctl("remove", "interface", "p", "external_ids", "virtio_forwarder")
    wait_devices(d, {})
    assert d.log_has("ovsdb: relay 5: net_null0 removed")

    ovs.vsctl("set", "interface", "p", MARK + "=4")
    wait_devices(d, {4: "net_null0"})
    # Another device for the same relay.
    ovs.vsctl("set", "interface", "p", DEVICE + "=net_null1")
    wait_devices(d, {4: "net_null1"})

    ovs.vsctl("del-port", "br0", "p")
    wait_devices(d, {})
    # The relay's device and its port are really gone: the same device
    # can be used again right away.
    ovs.vsctl(*port_args("q", 6, "net_null1"))
    wait_devices(d, {6: "net_null1"})
    # Changes of other columns or keys change nothing.
    ovs.vsctl("set", "interface", "q", "external_ids:other=x", "mtu_request=1400")
    stays(ovs, d, {6: "net_null1"})
    assert d.proc.err.count("relay 6: device net_null1 attached") == 1
    assert [ln for ln in d.proc.err.splitlines() if "ovsdb: interface" in ln] == []


def test_server_restart_with_offline_changes(reg, sockdir, ovs):
    """ovsdb-server goes away; changes are made to its database while the
    daemon cannot see them; once the server is back the daemon applies
    them, and the relay that stayed valid kept its device and forwarded
    all along."""
    vf = os.path.join(str(sockdir), "vf1.sock")
    vhost = net_vhost_spec(vf)
    ovs.vsctl(*(port_args("keep", 1, vhost) + port_args("gone", 2, "net_null2")
                + port_args("moved", 4, "net_null4")))
    d = ovs_daemon(reg, sockdir, ovs)
    wait_devices(d, {1: vhost, 2: "net_null2", 4: "net_null4"})
    wire = reg.add(wire_peer(vf))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    receive_start(wire)
    total = forwards(d, vm, wire, 0, "before")

    ovs.stop(signal.SIGKILL)                    # as if it crashed
    wait_for(lambda: d.log_has("ovsdb: connection to %s lost" % ovs.sock),
             what="daemon sees the server go")
    # Nothing changes while the server is away, and traffic flows.
    assert devices(d) == {1: vhost, 2: "net_null2", 4: "net_null4"}
    total = forwards(d, vm, wire, total, "during the outage")

    # Offline changes: the same database, served on a socket the daemon
    # does not know.
    alt = os.path.join(str(sockdir), "alt.sock")
    ovs.start(alt)
    ovs.vsctl("del-port", "br0", "gone", sock=alt)
    ovs.vsctl("set", "interface", "moved", MARK + "=5", sock=alt)
    ovs.vsctl(*port_args("new", 3, "net_null3"), sock=alt)
    ovs.vsctl("set", "interface", "keep", "external_ids:note=unchanged", sock=alt)
    ovs.stop()
    total = forwards(d, vm, wire, total, "while the changes are pending")
    assert devices(d) == {1: vhost, 2: "net_null2", 4: "net_null4"}

    ovs.start()
    wait_devices(d, {1: vhost, 3: "net_null3", 5: "net_null4"})
    assert d.proc.err.count("ovsdb: connected to %s" % ovs.sock) == 2
    total = forwards(d, vm, wire, total, "after")
    # Relay 1 was never detached nor attached again; its guest stayed.
    assert d.proc.err.count("relay 1: device %s attached" % vhost) == 1
    assert "relay 1: device %s detached" % vhost not in d.proc.err
    assert "relay 1: guest disconnected" not in d.proc.err
    s = d.settled_stats(1)
    assert s["vm_to_vf"]["tx_pkts"] == total
    assert s["vm_to_vf"]["drop_full_pkts"] == 0

    # And it follows the table again.
    ovs.vsctl("del-port", "br0", "new")
    wait_devices(d, {1: vhost, 5: "net_null4"})


def test_daemon_started_before_server(reg, sockdir):
    """No ovsdb-server yet: the daemon starts anyway, retries in the
    background, and syncs when the server appears."""
    srv = reg.add(OvsdbServer(sockdir))
    d = ovs_daemon(reg, sockdir, srv)
    assert d.log_has("ovsdb: cannot connect to %s" % srv.sock)
    # Another attempt failed meanwhile, and changed nothing.
    mark = len(d.proc.err)
    wait_for(lambda: "ovsdb: session" in d.proc.err[mark:], what="another attempt")
    assert devices(d) == {}
    srv.start()
    srv.vsctl("init")
    srv.vsctl("add-br", "br0")
    srv.vsctl(*port_args("p0", 7, "net_null0"))
    wait_devices(d, {7: "net_null0"}, timeout=20)
    # The failures to connect were logged once, not at every retry.
    assert d.proc.err.count("ovsdb: cannot connect to") == 1
    assert d.proc.err.count("ovsdb: connected to") == 1


def test_unmappable_interfaces(reg, ovsd):
    """Interfaces that cannot be relayed get no relay, their reason is
    logged once (also across later table changes), and the others are
    not disturbed."""
    ovs, d = ovsd
    veth = reg.add(VethNs("10.96.0.1/24"))
    ovs.vsctl(*(port_args("good", 1, "net_null1")
                + port_args("pabc", "abc", "net_null2")
                + port_args("p99", "99", "net_null3")
                + port_args("pneg", "-1", "net_null4")
                + port_args("nosuchif0", 7)
                + port_args(veth.host, 8)
                + port_args("pbad", 9, "net_null!9")
                + port_args("pnodrv", 10, "net_nosuchdriver0")
                + port_args("dupa", 11, "net_null11")))
    ovs.vsctl(*port_args("dupb", 11, "net_null12"))
    want = {1: "net_null1", 11: "net_null11"}
    wait_devices(d, want)
    reasons = {
        "pabc": 'external_ids:virtio_forwarder="abc" is not a relay number from 0 to 63',
        "p99": 'external_ids:virtio_forwarder="99" is not a relay number from 0 to 63',
        "pneg": 'external_ids:virtio_forwarder="-1" is not a relay number',
        "nosuchif0": "nosuchif0: no such interface on this host",
        veth.host: "%s: no PCI device behind it" % veth.host,
        "pbad": "'net_null!9' is neither a PCI address",
        "pnodrv": "net_nosuchdriver0",
        "dupb": "relay 11 is already asked for by interface dupa",
    }
    wait_for(lambda: all(warnings_about(d, n) for n in reasons), what="all reasons logged")

    # More changes to the table, each a new look at every interface.
    for i in range(3):
        ovs.vsctl(*port_args("other%d" % i))
        ovs.vsctl("set", "interface", "good", "external_ids:touch=%d" % i)
    ovs.vsctl("del-port", "br0", "other0")
    ovs.vsctl(*port_args("good2", 2, "net_null5"))
    want[2] = "net_null5"
    wait_devices(d, want)
    for name, why in reasons.items():
        lines = warnings_about(d, name)
        assert len(lines) == 1, "%s: %r" % (name, lines)
        assert why in lines[0], "%s: %r does not say %r" % (name, lines[0], why)
    # Relays of the good interfaces were attached once and never moved.
    assert d.proc.err.count("relay 1: device net_null1 attached") == 1
    assert d.proc.err.count("relay 11: device net_null11 attached") == 1
    assert "detached" not in d.proc.err
    assert d.proc.alive()


def test_veth_through_af_packet(reg, ovsd):
    """A veth cannot be mapped by itself; naming an af_packet device on it
    in external_ids:virtio_forwarder_device relays real kernel traffic."""
    ovs, d = ovsd
    veth = reg.add(VethNs("10.95.0.1/24"))
    ovs.vsctl(*port_args(veth.host, 6))
    wait_for(lambda: warnings_about(d, veth.host), what="veth refused")
    assert "no PCI device behind it" in warnings_about(d, veth.host)[0]
    assert devices(d) == {}
    spec = "net_af_packet0,iface=%s" % veth.host
    ovs.vsctl("set", "interface", veth.host, '%s="%s"' % (DEVICE, spec))
    wait_devices(d, {6: spec})
    vm = reg.add(vm_peer(d.socket(6)))
    wait_for(lambda: relay_up(d, 6), what="guest on relay 6")
    vm.cmd("set fwd icmpecho")
    vm.cmd("start")
    p = veth.ns_exec("ping", "-c", "3", "-i", "0.2", "-w", "20", "10.95.0.2", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    s = d.settled_stats(6)
    assert s["vf_to_vm"]["tx_pkts"] >= 4 and s["vm_to_vf"]["tx_pkts"] >= 4
    ovs.vsctl("del-port", "br0", veth.host)
    wait_devices(d, {})


def test_duplicate_relay_keeps_first_owner(ovsd):
    """Two interfaces ask for the same relay: the one that has it keeps it,
    also when unrelated rows of the table come and go."""
    ovs, d = ovsd
    ovs.vsctl(*port_args("filler0"))
    ovs.vsctl(*port_args("filler1"))
    ovs.vsctl(*port_args("owner", 11, "net_null11"))
    wait_devices(d, {11: "net_null11"})
    ovs.vsctl(*port_args("intruder", 11, "net_null12"))
    wait_for(lambda: warnings_about(d, "intruder"), what="intruder refused")
    stays(ovs, d, {11: "net_null11"})
    # Unrelated interfaces go away.
    ovs.vsctl("del-port", "br0", "filler0")
    ovs.vsctl("del-port", "br0", "filler1")
    stays(ovs, d, {11: "net_null11"})
    assert "relay 11: device net_null11 detached" not in d.proc.err
    assert warnings_about(d, "owner") == []


def test_problem_logged_again_after_fix(ovsd):
    """A reason is logged once while it lasts; an interface that was fixed
    and then breaks again is reported again."""
    ovs, d = ovsd
    ovs.vsctl(*port_args("p", "abc", "net_null0"))
    wait_for(lambda: warnings_about(d, "p"), what="first report")
    ovs.vsctl("set", "interface", "p", MARK + "=3")
    wait_devices(d, {3: "net_null0"})
    ovs.vsctl("set", "interface", "p", MARK + "=abc")
    wait_devices(d, {})
    wait_for(lambda: len(warnings_about(d, "p")) == 2, what="the second report")
    applied(ovs, d)
    assert len(warnings_about(d, "p")) == 2, warnings_about(d, "p")


def test_64_ports_at_once(reg, sockdir, ovs):
    """One transaction adds 64 marked ports.  This DPDK allows 32 ports
    (RTE_MAX_ETHPORTS), so relays 0-31 get their devices, and each of the
    others is reported once with a reason that says so; freeing relays lets
    the waiting ones in."""
    d = ovs_daemon(reg, sockdir, ovs, {
        # Every relay with a device has its own packet buffers.
        "VIRTIOFWD_EAL_ARGS": "--no-huge -m 4096 --no-pci"})
    wait_synced(d, 1)
    args = []
    for i in range(64):
        args += port_args("p%d" % i, i, "net_null%d" % i)
    t = time.monotonic()
    ovs.vsctl(*args)
    want = {i: "net_null%d" % i for i in range(32)}
    wait_devices(d, want, timeout=60)
    elapsed = time.monotonic() - t
    wait_for(lambda: all(warnings_about(d, "p%d" % i) for i in range(32, 64)),
             what="the 32 others reported")
    assert d.proc.alive()
    for i in range(32):
        assert warnings_about(d, "p%d" % i) == []

    # Freeing four relays lets four waiting interfaces in.
    ovs.vsctl(*sum((["--", "del-port", "br0", "p%d" % i] for i in range(4)), []))
    for i in range(4):
        del want[i]
    for i in range(32, 36):
        want[i] = "net_null%d" % i
    wait_devices(d, want, timeout=30)
    assert d.proc.alive()

    for i in range(32, 64):
        lines = warnings_about(d, "p%d" % i)
        assert len(lines) == 1, lines
        # The reason names the limit, not a guess about the device.
        assert re.search(r"RTE_MAX_ETHPORTS|32 ports|port limit", lines[0]), \
            "unclear reason for p%d: %s" % (i, lines[0])
    print("64 ports: 32 relays attached in %.1f s" % elapsed)


def test_static_device_left_alone(reg, sockdir, ovs):
    """A relay whose device is static (VIRTIOFWD_STATIC_VFS) is not the
    monitor's: asking for it, or for its device, is refused and logged, and
    never detaches the static device."""
    d = ovs_daemon(reg, sockdir, ovs, {"VIRTIOFWD_STATIC_VFS": ["net_null0=3"]})
    wait_synced(d, 1)
    want = {3: "net_null0"}
    assert devices(d) == want
    ovs.vsctl(*(port_args("other3", 3, "net_null1") + port_args("steal", 4, "net_null0")
                + port_args("fine", 5, "net_null5")))
    want[5] = "net_null5"
    wait_devices(d, want)
    wait_for(lambda: warnings_about(d, "other3") and warnings_about(d, "steal"),
             what="refusals logged")
    assert "net_null0" in warnings_about(d, "steal")[0]
    ovs.vsctl("del-port", "br0", "other3")
    ovs.vsctl("del-port", "br0", "steal")
    ovs.vsctl("del-port", "br0", "fine")
    wait_devices(d, {3: "net_null0"})
    stays(ovs, d, {3: "net_null0"})

    # Even an interface naming exactly the static relay and device does
    # not make it the monitor's to remove.
    ovs.vsctl(*port_args("same", 3, "net_null0"))
    applied(ovs, d)
    ovs.vsctl("remove", "interface", "same", "external_ids", "virtio_forwarder")
    applied(ovs, d)
    ovs.vsctl("del-port", "br0", "same")
    stays(ovs, d, {3: "net_null0"})
    assert "relay 3: device net_null0 detached" not in d.proc.err


def test_keepalive_answered(reg, sockdir, ovs):
    """The server's inactivity probes (echo requests) are answered: with a
    1 s probe the session stays up, where a silent client is dropped.
    (The target is given in its "unix:PATH" form.)"""
    mgr = os.path.join(str(sockdir), "mgr.sock")
    ovs.vsctl("--", "--id=@m", "create", "manager", 'target="punix:%s"' % mgr,
              "inactivity_probe=1000", "--", "set", "open_vswitch", ".",
              "manager_options=@m")
    wait_for(lambda: os.path.exists(mgr), what="manager socket")
    d = ovs_daemon(reg, sockdir, ovs, {"VIRTIOFWD_OVSDB_SOCK_PATH": "unix:" + mgr})
    wait_synced(d, 1)
    # A client that does not answer is sent an echo and dropped.
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(3)
    c.connect(mgr)
    try:
        assert b'"method":"echo"' in c.recv(4096)
    finally:
        c.close()
    # Two of the server's probes answered: the session outlived them.
    mark = len(d.proc.err)
    wait_for(lambda: d.proc.err[mark:].count("the server's echo answered") >= 2,
             timeout=30, what="two probes answered")
    assert "lost" not in d.proc.err, tail(d)
    assert d.proc.err.count("ovsdb: connected to") == 1
    ovs.vsctl(*port_args("p0", 2, "net_null0"))
    wait_devices(d, {2: "net_null0"})
    # (the silent client above hung up itself as soon as it was probed)
    assert "no response to inactivity probe" not in ovs.log()


def test_tcp_target(reg, sockdir, ovs):
    """ctl_ovsdb.h: the target may be "tcp:IP:PORT" (or "unix:PATH")."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ovs.stop()
    ovs.start(remotes=["ptcp:%d:127.0.0.1" % port])
    ovs.vsctl(*port_args("p0", 2, "net_null0"))
    d = ovs_daemon(reg, sockdir, ovs, {"VIRTIOFWD_OVSDB_SOCK_PATH": "tcp:127.0.0.1:%d" % port})
    wait_devices(d, {2: "net_null0"})
    ovs.vsctl("del-port", "br0", "p0")
    wait_devices(d, {})


ZMQ_ON = "port control service on ipc://"
IPC_ON = "IPC port control: watching"
OVSDB_ON = "ovsdb: connected to"


@pytest.mark.parametrize("variables,args,runs,off", [
    # The harness sets an explicit ZeroMQ port control endpoint.
    ({"VIRTIOFWD_OVSDB_SOCK_PATH": "{sock}"}, (), ZMQ_ON,
     ["the OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use it instead, "
      "set VIRTIOFWD_ZMQ_PORT_CONTROL_EP empty"]),
    ({"VIRTIOFWD_OVSDB_SOCK_PATH": "{sock}", "VIRTIOFWD_IPC_PORT_CONTROL": "1",
      "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": ""}, (), IPC_ON,
     ["the OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use it instead, "
      "set VIRTIOFWD_IPC_PORT_CONTROL empty"]),
    ({"VIRTIOFWD_OVSDB_SOCK_PATH": "{sock}", "VIRTIOFWD_IPC_PORT_CONTROL": "1"}, (),
     ZMQ_ON,
     ["IPC file port control (VIRTIOFWD_IPC_PORT_CONTROL) is off; to use it "
      "instead, set VIRTIOFWD_ZMQ_PORT_CONTROL_EP empty",
      "the OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use it instead, "
      "set VIRTIOFWD_ZMQ_PORT_CONTROL_EP and VIRTIOFWD_IPC_PORT_CONTROL empty"]),
    ({"VIRTIOFWD_ZMQ_PORT_CONTROL_EP": ""}, ("--ovsdb-sock={sock}", "--ipc"), IPC_ON,
     ["the OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off"]),
], ids=["ovsdb+zmq", "ovsdb+ipc", "all-three", "options"])
def test_port_control_precedence(reg, sockdir, ovs, variables, args, runs, off):
    """Two or three sources enabled: the one 1.x used runs (ZeroMQ, then
    IPC, then OVSDB), and one warning names the others and how to have
    them instead; those are not started."""
    variables = {k: v.format(sock=ovs.sock) for k, v in variables.items()}
    args = [a.format(sock=ovs.sock) for a in args]
    variables.setdefault("VIRTIOFWD_IPC_DIR", os.path.join(str(sockdir), "ipc"))
    d = reg.add(Daemon(sockdir, variables, args))
    warnings = port_control_warnings(d)
    assert len(warnings) == 1, d.proc.err
    for words in off:
        assert words in warnings[0], warnings[0]
    # No wait needed: every source that runs logs it before "ready",
    # which Daemon() waited for (the OVSDB monitor tries at once).
    assert runs in d.proc.err, d.proc.err
    for other in (ZMQ_ON, IPC_ON, OVSDB_ON):
        if other != runs:
            assert other not in d.proc.err, (other, d.proc.err)
    assert os.path.exists(os.path.join(str(sockdir), "ipc")) == (runs == IPC_ON)


def test_ident_from_iface_id(ovsd):
    """The relay's stats label is the cloud port id (external_ids:iface-id,
    as OpenStack sets it), else the interface name."""
    ovs, d = ovsd
    ovs.vsctl(*port_args("tap1", 1, "net_null0"))
    ovs.vsctl(*port_args("tap2", 2, "net_null1"))
    ovs.vsctl("set", "interface", "tap2",
              "external_ids:iface-id=6f1c0e2a-1b2c-4d5e-8f90-123456789abc")
    wait_devices(d, {1: "net_null0", 2: "net_null1"})
    s = wait_for(lambda: (lambda s: s[2]["info"]["ident"].startswith("6f1c") and s)(d.stats()),
                 what="ident from iface-id")
    assert s[1]["info"]["ident"] == "tap1"
    assert s[2]["info"]["ident"] == "6f1c0e2a-1b2c-4d5e-8f90-123456789abc"
