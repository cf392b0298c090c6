# SPDX-License-Identifier: BSD-3-Clause
"""The operator CLI, vfwdctl, against the real daemon.  Its six 1.x tool
names, which take 1.x's command lines, are tested in test_dropin.py.

One daemon (static sockets, core scheduling and config services on) is
shared by the tests of this module to keep it fast; each test uses its own
relays and device names and leaves them as it found them.  The socket
operations get their own daemon with VIRTIOFWD_DYNAMIC_SOCKETS=true.
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

import harness

def run(prog, *args, timeout=30):
    """Runs the CLI (or one of its 1.x names) and returns the result."""
    return subprocess.run([prog] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout)


def ctl(*args, **kw):
    return run(harness.CTL, *args, **kw)


def one_line_error(p, status, *words):
    """The run failed with 'status' and said why in one stderr line."""
    assert p.returncode == status, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def daemon(mreg, tmp_path_factory):
    if not os.path.exists(harness.CTL):
        pytest.skip("vfwdctl not built: %s" % harness.CTL)
    d = tmp_path_factory.mktemp("cli")
    return mreg.add(harness.Daemon(d))


@pytest.fixture(scope="module")
def conf(daemon):
    """Global options that point vfwdctl at the test daemon."""
    return ["--config", daemon.conf]


@pytest.fixture(scope="module")
def eps(daemon):
    return harness.control_endpoints(daemon.tmp)


def stats_json(conf, *args):
    p = ctl(*conf, "stats", "--json", *args)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["status"] == "OK"
    return doc


def relay_of(doc, rid):
    for r in doc["relay"]:
        if r["id"] == rid:
            return r
    return None


def relay_device(conf, rid):
    r = relay_of(stats_json(conf, "--relay", rid), rid)
    assert r is not None
    return r.get("vf", {}).get("pci_addr_str")


def vhost_dev(daemon, n):
    """A device that is quiet: a vhost vdev nobody connects to."""
    return harness.net_vhost_spec("%s/vf%d.sock" % (daemon.tmp, n), n, queues=None)


# ----------------------------------------------------------------------
# Port control
# ----------------------------------------------------------------------

def test_add_remove_device(daemon, conf):
    dev = vhost_dev(daemon, 1)
    p = ctl(*conf, "add", "--virtio-id=1", "--device", dev)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "relay 1: attached %s" % dev
    assert relay_device(conf, 1).startswith("net_vhost1")

    # Conditional (the default): adding it again changes nothing and works.
    assert ctl(*conf, "-q", "add", "--virtio-id=1", "--device", dev).stdout == ""
    # Not conditional: the daemon says why it refuses, exit 1.
    p = ctl(*conf, "add", "--virtio-id=1", "--device", dev, "--no-conditional")
    one_line_error(p, 1, "vfwdctl: add: ")

    # A remove naming the wrong relay is refused with the daemon's reason.
    p = ctl(*conf, "remove", "--virtio-id=2", "--device", dev)
    one_line_error(p, 1, "vfwdctl: remove:", "attached to relay 1, not to relay 2",
                   "(Invalid argument)")

    p = ctl(*conf, "remove", "--virtio-id=1", "--device", dev)
    assert p.returncode == 0, p.stderr
    assert "detached" in p.stdout
    assert relay_device(conf, 1) is None
    # Again: not attached is an error (removals are not conditional by
    # default), unless the removal is asked to be conditional.
    for extra in ((), ("--no-conditional",)):
        p = ctl(*conf, "remove", "--device", dev, *extra)
        one_line_error(p, 1, "vfwdctl: remove:", dev, "not attached to any relay")
    p = ctl(*conf, "remove", "--device", dev, "--conditional")
    assert p.returncode == 0, p.stderr


def test_add_error_reply(daemon, conf):
    """An ERROR reply: exit 1, "<op>: <error_code_source> (<strerror>)"."""
    p = ctl(*conf, "add", "--virtio-id=2", "--pci-addr=0000:05:08.1")
    line = one_line_error(p, 1, "vfwdctl: add: ", "0000:05:08.1")
    assert re.search(r"\((No such device|[A-Z][a-z ]+)\)$", line), line
    # add_sock needs dynamic sockets, which this daemon does not have.
    p = ctl(*conf, "add_sock", "--vhost-path=/tmp/x.sock", "--device", "net_null9")
    one_line_error(p, 1, "add_sock:", "dynamic sockets")


def test_bond(daemon, conf, eps):
    p = ctl(*conf, "add", "--virtio-id=3", "--device=net_null31", "--device=net_null32",
            "--name=net_bonding3")
    assert p.returncode == 0, p.stderr
    assert "bond net_bonding3 (mode 1: net_null31 net_null32)" in p.stdout
    assert relay_device(conf, 3) == "net_bonding3"
    # A member cannot go to another relay while in the bond.
    p = ctl(*conf, "add", "--virtio-id=4", "--device=net_null31")
    one_line_error(p, 1, "add:", "net_null31")
    p = ctl(*conf, "remove", "--virtio-id=3", "--name=net_bonding3")
    assert p.returncode == 0, p.stderr
    assert relay_device(conf, 3) is None

    # The 1.x manual's order of options: --name before the devices, --mode
    # last; the endpoint by its daemon option name.
    ep = "--zmq-port-control-ep=" + eps["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
    p = ctl(ep, "add", "--virtio-id=4", "--name=net_bonding4",
            "--device=net_null41", "--device=net_null42", "--mode=1")
    assert p.returncode == 0, p.stderr
    assert relay_device(conf, 4) == "net_bonding4"
    p = ctl(ep, "remove", "--virtio-id=4", "--name=net_bonding4")
    assert p.returncode == 0, p.stderr
    assert relay_device(conf, 4) is None


def test_sockets(reg, sockdir):
    d = reg.add(harness.Daemon(sockdir, {"VIRTIOFWD_DYNAMIC_SOCKETS": "true"}))
    conf = ["--config", d.conf]
    path = os.path.join(str(sockdir), "dyn1.sock")
    dev = vhost_dev(d, 7)
    p = ctl(*conf, "add_sock", "--vhost-path=" + path, "--device=" + dev)
    assert p.returncode == 0, p.stderr
    m = re.match(r"relay (\d+): socket (\S+) with ", p.stdout)
    assert m and m.group(2) == path, p.stdout
    rid = int(m.group(1))
    doc = stats_json(conf, "--relay", rid)
    assert relay_of(doc, rid)["vhost"]["vhost_socket_name"] == path
    assert os.path.exists(path)

    p = ctl(*conf, "query", "--vhost-path=" + path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith("net_vhost7")

    p = ctl(*conf, "remove_sock", "--vhost-path=" + path)
    assert p.returncode == 0, p.stderr
    p = ctl(*conf, "query", "--vhost-path=" + path)
    one_line_error(p, 1, "vfwdctl: query: ", path)

    # A relative path (made absolute), removal by device.
    ep = "--zmq-port-control-ep=" + harness.control_endpoints(str(sockdir))[
        "VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
    dev = vhost_dev(d, 8)
    p = subprocess.run([harness.CTL, ep, "add_sock", "--vhost-path=dyn2.sock",
                        "--device=" + dev],
                       capture_output=True, text=True, timeout=30, cwd=str(sockdir))
    assert p.returncode == 0, p.stderr
    assert os.path.join(str(sockdir), "dyn2.sock") in p.stdout
    p = ctl(ep, "query", "--vhost-path=" + os.path.join(str(sockdir), "dyn2.sock"))
    assert p.stdout.strip().startswith("net_vhost8"), p.stderr
    p = ctl(ep, "remove_sock", "--device=" + dev)
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(os.path.join(str(sockdir), "dyn2.sock"))


# ----------------------------------------------------------------------
# Stats and load
# ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def busy_relay(daemon, conf):
    """Relay 5 with a device that receives all the time (net_null): its
    packets are dropped as 'not connected', which makes counters move."""
    p = ctl(*conf, "add", "--virtio-id=5", "--device=net_null5")
    assert p.returncode == 0, p.stderr
    yield 5
    ctl(*conf, "remove", "--device=net_null5")


def test_stats_formats(daemon, conf, busy_relay):
    # The table: the relay, both directions, the worker.
    p = ctl(*conf, "stats")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^relay 5 +inactive +socket .*virtio-forwarder5\.sock$", p.stdout, re.M)
    assert re.search(r"^ +VF to VM +\d+ .*no guest$", p.stdout, re.M), p.stdout
    assert re.search(r"^ +VM to VF ", p.stdout, re.M)
    assert re.search(r"^idle relays \(no device, no guest, no traffic\): ", p.stdout, re.M)
    assert re.search(r"^worker cpu 1 +load +\d+\.\d%", p.stdout, re.M)

    # JSON: every field, parsed.
    doc = stats_json(conf, "--relay=5", "--queues")
    r = relay_of(doc, 5)
    assert r["vf"]["pci_addr_str"] == "net_null5"
    assert r["cpu"] == {"vf_to_vm": 1, "vm_to_vf": 1}
    assert r["vhost"]["vhost_socket_name"] == daemon.socket(5)
    for k in ("pkts_rx_from_vf", "bytes_rx_from_vf", "pkts_dropped_vm_not_connected",
              "pkt_rate_rx_from_vf", "byte_rate_tx_to_vm", "internal_state", "active"):
        assert k in r["vf_to_vm"], k
    for k in ("pkts_rx_from_vm", "pkts_tx_to_vf", "pkt_rate_tx_to_vf"):
        assert k in r["vm_to_vf"], k
    assert r["queue"] == [] and r["socket_id"] >= 0
    assert [w["cpu"] for w in doc["worker"]] == [1]
    assert 0 <= doc["worker"][0]["load"] <= 1
    assert len(doc["relay"]) == 1

    # Flat: greppable, counters moving.
    def flat_value(key):
        p = ctl(*conf, "stats", "--flat", "-r", "5")
        assert p.returncode == 0, p.stderr
        m = re.search(r"^%s=(\S+)$" % re.escape(key), p.stdout, re.M)
        assert m, p.stdout
        return m.group(1)
    key = "relay.5.vf_to_vm.pkts_rx_from_vf"
    a = int(flat_value(key))
    harness.wait_for(lambda: int(flat_value(key)) > a, timeout=10, what="counter moves")
    assert flat_value("relay.5.vf.pci_addr_str") == "net_null5"
    assert flat_value("status") == "OK"
    harness.wait_for(lambda: float(flat_value("relay.5.vf_to_vm.pkt_rate_rx_from_vf")) > 0,
                     timeout=10, what="a rate")
    assert flat_value("worker.1.cpu") == "1"

    # Only relays with device and guest: relay 5 has no guest.
    doc = stats_json(conf, "--active-only")
    assert relay_of(doc, 5) is None
    doc = stats_json(conf, "--include-inactive", "--delay=500")
    assert relay_of(doc, 5) is not None and len(doc["relay"]) == 64


def test_watch_and_load(daemon, conf, eps, busy_relay):
    """--watch and the live load view repeat until SIGINT, then exit 0."""
    stats_ep = "--stats-ep=" + eps["VIRTIOFWD_ZMQ_STATS_EP"]
    frames = [r"^relay 5 ", r"^status=OK$", r"^cpu +1 \["]
    procs = [
        harness.Proc([harness.CTL] + conf + ["stats", "--watch", "--interval=0.5",
                                             "-r", "5"]),
        harness.Proc([harness.CTL, stats_ep, "stats", "--watch", "--flat"]),
        harness.Proc([harness.CTL, stats_ep, "load", "--poll-interval=0.5"]),
    ]
    try:
        # About two seconds, more when the machine is busy: two frames each.
        time.sleep(2)
        for p, frame in zip(procs, frames):
            harness.wait_for(lambda: len(re.findall(frame, p.out, re.M)) >= 2 or
                             not p.alive(), timeout=20, what="two frames of %s" % p.argv)
            assert p.alive(), p.output()
        for p in procs:
            p.signal(signal.SIGINT)
        for p in procs:
            assert p.wait(timeout=10) == 0, p.output()
            assert p.err == ""
    finally:
        for p in procs:
            p.stop()

    # One frame of the load view.
    p = ctl(*conf, "load", "--once")
    assert p.returncode == 0, p.stderr
    m = re.match(r"^cpu +1 \[([# ]{40})\] +(\d+\.\d)%  relays (\S+)$", p.stdout.strip())
    assert m, p.stdout
    assert "5" in m.group(3)
    assert m.group(1) == "#" * m.group(1).count("#") + " " * m.group(1).count(" ")


# ----------------------------------------------------------------------
# Core pinning
# ----------------------------------------------------------------------

def test_pin(daemon, conf, eps):
    dev = vhost_dev(daemon, 6)
    assert ctl(*conf, "add", "--virtio-id=6", "--device=" + dev).returncode == 0
    try:
        p = ctl(*conf, "pin")
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[0].split() == ["relay", "vf_to_vm", "vm_to_vf"]
        assert re.search(r"^6 +1 +1$", p.stdout, re.M), p.stdout

        p = ctl(*conf, "pin", "--virtio-cpu=6:1")
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == "relay 6: VF to VM on CPU 1, VM to VF on CPU 1"
        # CPU 0 is the main lcore, not a worker: refused, and the workers named.
        p = ctl(*conf, "pin", "--virtio-cpu=6:0")
        one_line_error(p, 1, "vfwdctl: pin: ", "CPU 0 is not a worker CPU",
                       "worker CPUs: 1")
        p = ctl(*conf, "pin", "--virtio-cpu=6:1,0")
        one_line_error(p, 1, "CPU 0 is not a worker CPU")
        # Several pins, ';'-separated as in VIRTIOFWD_CPU_PINS.
        p = ctl(*conf, "-q", "pin", "--virtio-cpu=6:1;7:1,1")
        assert p.returncode == 0 and p.stdout == "", p.stderr
        p = ctl(*conf, "pin", "--cores")
        assert p.stdout.strip() == "1"

        # Without the config service the map comes from the stats service.
        p = ctl(*conf, "pin", "--config-ep=ipc://%s/ctl/none" % daemon.tmp)
        assert p.returncode == 0, p.stderr
        assert re.search(r"^6 +1 +1$", p.stdout, re.M), p.stdout

        # The endpoints by their daemon option names.
        sched = "--zmq-core-sched-ep=" + eps["VIRTIOFWD_ZMQ_CORE_SCHED_EP"]
        cfg = "--zmq-config-ep=" + eps["VIRTIOFWD_ZMQ_CONFIG_EP"]
        p = ctl(sched, "pin", "--virtio-cpu=6:1")
        assert p.returncode == 0, p.stderr
        p = ctl(cfg, "pin")
        assert re.search(r"^6 +1 +1$", p.stdout, re.M), p.stdout + p.stderr
    finally:
        ctl(*conf, "remove", "--device=" + dev)


# ----------------------------------------------------------------------
# Errors without a daemon, and usage errors
# ----------------------------------------------------------------------

def test_no_daemon(tmp_path):
    ep = "ipc://%s/nothing" % tmp_path
    cases = [
        ["--stats-ep=" + ep, "stats"],
        ["--port-control-ep=" + ep, "add", "--virtio-id=1", "--pci-addr=05:08.1"],
        ["--core-sched-ep=" + ep, "pin", "--virtio-cpu=1:1"],
        ["--stats-ep=" + ep, "load", "--once"],
        ["--stats-ep=" + ep, "--config-ep=" + ep, "pin"],
    ]
    for args in cases:
        p = ctl(*args)
        one_line_error(p, 1, ep, "check that virtio-forwarder runs")
    # A tcp endpoint where nobody answers: the timeout, then one line.
    t = time.monotonic()
    p = ctl("--stats-ep=tcp://127.0.0.1:9", "--timeout=300", "stats")
    one_line_error(p, 1, "no answer from the stats service", "within 300 ms")
    assert time.monotonic() - t < 5


USAGE_ERRORS = [
    (["add", "--virtio-id=64", "--pci-addr=05:08.1"], "--virtio-id=64"),
    (["add", "--virtio-id=-1", "--pci-addr=05:08.1"], "--virtio-id=-1"),
    (["add", "--pci-addr=05:08.1"], "--virtio-id"),
    (["add", "--virtio-id=1"], "--pci-addr"),
    (["add", "--virtio-id=1", "--pci-addr=05:08.9"], "--pci-addr=05:08.9"),
    (["add", "--virtio-id=1", "--device=net_null1", "--device=net_null2"], "--name"),
    (["add", "--virtio-id=1", "--device=net_null1", "--name=net_bonding1"], "--name"),
    (["add", "--virtio-id=1", "--device=net_null1", "--device=net_null2",
      "--name=bond1"], "--name=bond1"),
    (["add", "--virtio-id=1", "--device=net_null1", "--device=net_null2",
      "--name=net_bonding1", "--mode=7"], "--mode=7"),
    (["add", "--virtio-id=1", "--name=net_bonding1"] +
     ["--device=net_null%d" % i for i in range(9)], "at most 8"),
    (["add", "--virtio-id=1", "--device=net_null1", "--device=net_null1",
      "--name=net_bonding1"], "twice"),
    (["add", "--virtio-id=1", "--device=net_null1", "--vhost-path=/x"], "--vhost-path"),
    (["add", "--virtio-id=1", "--device=net_null1", "--bogus"], "'--bogus'"),
    (["add", "--virtio-id"], "'--virtio-id' needs a value"),
    (["remove"], "--pci-addr"),
    (["remove", "--pci-addr=05:08.1", "--name=net_bonding1"], "one of"),
    (["add_sock", "--virtio-id=1", "--vhost-path=/x", "--device=net_null1"],
     "--virtio-id does not apply"),
    (["add_sock", "--device=net_null1"], "--vhost-path"),
    (["remove_sock"], "--vhost-path"),
    (["query"], "--vhost-path"),
    (["stats", "--relay=64"], "--relay=64"),
    (["stats", "--json", "--flat"], "--json and --flat"),
    (["stats", "--delay=abc"], "--delay=abc"),
    (["stats", "--interval=2"], "--interval"),
    (["stats", "--watch", "--interval=0"], "--interval=0"),
    (["stats", "extra"], "'extra'"),
    (["load", "--interval=x"], "--interval=x"),
    (["pin", "--virtio-cpu=1:128"], "CPU 128"),
    (["pin", "--virtio-cpu=64:1"], "relay 64"),
    (["pin", "--virtio-cpu=1:1,2,3"], "at most two CPUs"),
    (["pin", "--virtio-cpu=x"], "--virtio-cpu=x"),
    (["pin", "--virtio-cpu=1:1", "--cores"], "--cores"),
    (["--timeout=0", "stats"], "--timeout=0"),
    (["--stats-ep=foo", "stats"], "--stats-ep=foo"),
    (["--config=/nonexistent/vfwd.conf", "stats"], "/nonexistent/vfwd.conf"),
    (["frobnicate"], "'frobnicate'"),
    # Before the command word only the global options are known.
    (["--bogus", "stats"], "unknown option '--bogus'"),
    (["--co=x", "stats"], "'--co' is ambiguous"),
    (["--quiet=1", "stats"], "'--quiet' takes no value"),
    ([], "no command"),
]


@pytest.mark.parametrize("args,word", USAGE_ERRORS,
                         ids=[" ".join(a) or "none" for a, _ in USAGE_ERRORS])
def test_usage_errors(args, word):
    p = ctl(*args)
    one_line_error(p, 2, word)
    assert p.stdout == ""


def test_help():
    p = ctl("--help")
    assert p.returncode == 0 and "Usage: vfwdctl" in p.stdout
    for cmd in ("add", "remove", "add_sock", "remove_sock", "query", "stats", "pin",
                "load"):
        p = ctl(cmd, "--help")
        assert p.returncode == 0 and p.stdout.startswith("Usage: vfwdctl %s" % cmd), cmd
        assert ctl("help", cmd).stdout == p.stdout
    p = ctl("--version")
    assert p.returncode == 0 and p.stdout.startswith("vfwdctl (virtio-forwarder) ")


def migrate_source(reg, tmp_path):
    """A daemon offering MRG_RXBUF, with a virtio-user guest that negotiated
    it on relay 2: the source of the migrate-check tests."""
    from harness import Daemon, Pmd, relay_up, wait_for
    d = tmp_path / "src"
    d.mkdir()
    src = reg.add(Daemon(d, {"VIRTIOFWD_MRGBUF": "true"}))
    guest = reg.add(Pmd(["net_virtio_user0,path=%s,mrg_rxbuf=1" % src.socket(2)]))
    wait_for(lambda: relay_up(src, 2), what="guest on the source relay")
    return src, guest


def migrate_check(src, *args, relay=2):
    """Runs migrate-check against the source daemon 'src'."""
    return ctl("--stats-ep=" + src.vars["VIRTIOFWD_ZMQ_STATS_EP"], "migrate-check",
               "--relay=%d" % relay, *args)


def offered(p):
    """The feature names of the "destination ... offers:" line."""
    lines = [l for l in p.stdout.splitlines() if l.startswith("destination ")]
    assert len(lines) == 1, p.stdout
    return lines[0].split(" offers:", 1)[1].split()


def test_migrate_check(reg, tmp_path):
    """migrate-check compares what the guest negotiated on the source relay
    with what the destination offers, and names what is missing; the
    destination is a daemon's stats endpoint, a vhost-user socket or a
    configuration file, and the three agree."""
    from harness import Daemon, Pmd, relay_up, send, wait_for, config_text
    src, guest = migrate_source(reg, tmp_path)
    dirs = {}
    for name in ("same", "less"):
        dirs[name] = tmp_path / name
        dirs[name].mkdir()
    same = reg.add(Daemon(dirs["same"], {"VIRTIOFWD_MRGBUF": "true"}))
    less = reg.add(Daemon(dirs["less"], {}))

    def stats_ep(d):
        return "--dest-stats-ep=" + d.vars["VIRTIOFWD_ZMQ_STATS_EP"]

    # A running daemon's relay, through its stats service.
    ok = migrate_check(src, stats_ep(same), "--dest-relay=5")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "MRG_RXBUF" in offered(ok) and "OK:" in ok.stdout
    assert "destination relay 5 of %s offers:" % same.vars["VIRTIOFWD_ZMQ_STATS_EP"] in ok.stdout
    bad = migrate_check(src, stats_ep(less))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "NOT SAFE" in bad.stdout and "lacks: MRG_RXBUF" in bad.stdout
    assert "JUMBO" not in bad.stdout  # it changes no feature

    # The socket itself, asked with VHOST_USER_GET_FEATURES.
    sok = migrate_check(src, "--dest-socket=" + same.socket(5))
    assert sok.returncode == 0, sok.stdout + sok.stderr
    assert "destination socket %s offers:" % same.socket(5) in sok.stdout
    assert "OK:" in sok.stdout
    sbad = migrate_check(src, "--dest-socket=" + less.socket(2))
    assert sbad.returncode == 1, sbad.stdout + sbad.stderr
    assert "NOT SAFE" in sbad.stdout and "lacks: MRG_RXBUF" in sbad.stdout

    # The configuration files these daemons run with: what a daemon started
    # from them would offer.
    cok = migrate_check(src, "--dest-config=" + same.conf)
    assert cok.returncode == 0, cok.stdout + cok.stderr
    assert "destination config %s offers:" % same.conf in cok.stdout
    assert "OK:" in cok.stdout and cok.stderr == ""
    cbad = migrate_check(src, "--dest-config=" + less.conf)
    assert cbad.returncode == 1, cbad.stdout + cbad.stderr
    assert "NOT SAFE" in cbad.stdout and "lacks: MRG_RXBUF" in cbad.stdout

    # The three ways agree, feature for feature (the socket's answer also
    # has PROTOCOL_FEATURES; so does what the library reports).
    assert offered(ok) == offered(sok) == offered(cok)
    assert offered(bad) == offered(sbad) == offered(cbad)
    assert "PROTOCOL_FEATURES" in offered(sok)

    # A configuration for a destination that is not running: TSO adds the
    # offloads; vhost client mode changes nothing.
    conf = tmp_path / "tso.conf"
    conf.write_text(config_text({"VIRTIOFWD_MRGBUF": "true", "VIRTIOFWD_TSO": "true",
                                 "VIRTIOFWD_VHOST_CLIENT": "true"}))
    tso = migrate_check(src, "--dest-config=%s" % conf)
    assert tso.returncode == 0, tso.stdout + tso.stderr
    assert {"HOST_TSO4", "GUEST_CSUM", "MRG_RXBUF"} <= set(offered(tso))
    conf.write_text(config_text({"VIRTIOFWD_MRGBUF": "true", "VIRTIOFWD_VHOST_CLIENT": "true"}))
    assert offered(migrate_check(src, "--dest-config=%s" % conf)) == offered(cok)

    # Asking the sockets disturbed nothing.  The source's own socket, with
    # its guest connected, answers too; afterwards the guest still gets
    # through the relay...
    mine = migrate_check(src, "--dest-socket=" + src.socket(2))
    assert mine.returncode == 0, mine.stdout + mine.stderr
    assert relay_up(src, 2)
    before = src.stats()[2]["vm_to_vf"]["rx_pkts"]
    send(guest, 3)
    wait_for(lambda: src.stats()[2]["vm_to_vf"]["rx_pkts"] >= before + 3 * 32,
             what="guest traffic through the source relay")
    assert migrate_check(src, stats_ep(src)).returncode == 0
    # ... and a guest connects as usual to a socket that was asked.
    reg.add(Pmd(["net_virtio_user1,path=%s,mrg_rxbuf=1" % same.socket(5)]))
    wait_for(lambda: relay_up(same, 5), what="guest on a socket that was asked")
    for d in (src, same, less):
        assert d.proc.alive(), d.proc.output()

    # No guest on the source relay: nothing to compare, said plainly.
    none = migrate_check(src, stats_ep(same), relay=3)
    assert none.returncode == 1 and "no guest connected" in none.stderr

    # A socket that is not there: what to use instead.
    gone = migrate_check(src, "--dest-socket=%s" % (tmp_path / "nope.sock"))
    one_line_error(gone, 1, "no such socket", "client mode", "--dest-config")
    assert gone.stdout == ""

    # Configuration values a daemon would refuse are refused, as it says them.
    conf.write_text(config_text({"VIRTIOFWD_MRGBUF": "true", "VIRTIOFWD_LOG_LEVEL": "9"}))
    p = migrate_check(src, "--dest-config=%s" % conf)
    one_line_error(p, 1, "VIRTIOFWD_LOG_LEVEL=9", "0 to 7", str(conf))
    conf.write_text(config_text({"VIRTIOFWD_CPU_MASK": "1", "VIRTIOFWD_MASTER_LCORE": "1"}))
    p = migrate_check(src, "--dest-config=%s" % conf)
    one_line_error(p, 1, "VIRTIOFWD_MASTER_LCORE", "would refuse")


@pytest.mark.parametrize("args,words", [
    ([], ["--dest-stats-ep", "--dest-socket", "--dest-config", "none"]),
    (["--dest-stats-ep=tcp://127.0.0.1:1", "--dest-socket=/x.sock"],
     ["--dest-stats-ep", "--dest-socket", "--dest-config", "more than one"]),
    (["--dest-socket=/x.sock", "--dest-config=/etc/passwd"], ["exactly one"]),
    (["--dest-socket=/x.sock", "--dest-relay=3"], ["--dest-relay", "--dest-stats-ep only"]),
    (["--dest-config=/etc/passwd", "--dest-relay=3"], ["--dest-relay", "--dest-stats-ep only"]),
    (["--dest-config=/nonexistent/v.conf"], ["--dest-config", "No such file"]),
    (["--dest-socket="], ["--dest-socket", "required"]),
    (["--dest-socket=/" + "s" * 120], ["--dest-socket", "107 bytes"]),
])
def test_migrate_check_usage(args, words):
    """Exactly one destination, named completely: else a usage error, before
    anything is asked."""
    p = ctl("--stats-ep=tcp://127.0.0.1:1", "migrate-check", "--relay=2", *args)
    one_line_error(p, 2, *words)


def test_migrate_check_bad_sockets(reg, tmp_path):
    """--dest-socket on things that are not a vhost-user back-end: one clear
    error each, and no wait beyond --timeout."""
    import socket
    import struct
    import threading
    src, _ = migrate_source(reg, tmp_path)

    def backend(path, answer, close=True):
        """A listener that reads one request and answers 'answer' (bytes;
        None: never), then closes.  What it received is in the returned
        thread's 'request' (checked by the test, not in the thread, where
        a failed assertion would fail nothing)."""
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(path)
        ls.listen(1)
        ls.settimeout(10)

        def serve():
            try:
                c, _ = ls.accept()
                with c:
                    t.request = c.recv(12)
                    if answer is None:
                        c.recv(1)  # until the client gives up
                    else:
                        c.sendall(answer)
            except OSError as e:
                t.error = e
            finally:
                ls.close()

        t = threading.Thread(target=serve, daemon=True)
        t.request, t.error = None, None
        t.start()
        return t

    features = struct.pack("<Q", 1 << 15)
    cases = [
        (struct.pack("<III", 2, 5, 8) + features, ["answered request 2", "GET_FEATURES"]),
        (struct.pack("<III", 1, 1, 8) + features, ["flags are 0x1", "reply bit 0x4"]),
        (struct.pack("<III", 1, 5, 4) + b"\0" * 4, ["carries 4 bytes", "8"]),
        (struct.pack("<III", 1, 5, 8) + b"\0\0", ["after 14 of the 20 bytes"]),
        (b"", ["closed the connection without answering"]),
        (None, ["no answer", "within 300 ms"]),
    ]
    for i, (answer, words) in enumerate(cases):
        path = str(tmp_path / ("b%d.sock" % i))
        t = backend(path, answer)
        t0 = time.monotonic()
        p = ctl("--stats-ep=" + src.vars["VIRTIOFWD_ZMQ_STATS_EP"], "--timeout=300",
                "migrate-check", "--relay=2", "--dest-socket=" + path)
        one_line_error(p, 1, path, *words)
        assert time.monotonic() - t0 < 5
        t.join(5)
        assert not t.is_alive() and t.error is None, t.error
        # vfwdctl asked GET_FEATURES (1), version 1, no payload.
        assert t.request is not None and len(t.request) == 12, t.request
        assert struct.unpack("<III", t.request) == (1, 1, 0), t.request

    # A socket file nobody listens on (a back-end that died), and a file
    # that is not a socket.
    stale = str(tmp_path / "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    p = migrate_check(src, "--dest-socket=" + stale)
    one_line_error(p, 1, "nobody listens", "client mode", "--dest-stats-ep")
    p = migrate_check(src, "--dest-socket=" + src.conf)
    one_line_error(p, 1, "not a socket")
