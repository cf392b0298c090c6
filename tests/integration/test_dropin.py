# SPDX-License-Identifier: BSD-3-Clause
"""Drop-in for 1.x hosts: the last 1.x's shipped configuration file, its
start script's command line and its six tools, against the real daemon.

Written from ../shared/spec/1x-operator-surface.md (the facts of the 1.x
operator surface), not from 1.x's tools.  The daemon is started twice,
once from the shipped file with only this machine's needs changed (CPUs,
memory, private directories and endpoints), once from the command line
1.x's start script built from that file; each of the six tool names is run
with every flag of its help text against both.
"""

import grp
import os
import re
import shutil
import signal
import stat
import struct
import subprocess

import pytest

import harness
from harness import Daemon, Pmd, relay_up, run_daemon_expect_error, wait_for

# The non-comment lines of the last 1.x's /etc/default/virtioforwarder, as
# installed (@BINDIR@ filled in below).
SHIPPED = """\
VIRTIOFWD_CPU_MASK=1,2
VIRTIOFWD_LOG_LEVEL=6
VIRTIOFWD_IPC_PORT_CONTROL=y
VIRTIOFWD_OVSDB_SOCK_PATH=
VIRTIOFWD_JUMBO=y
VIRTIOFWD_MRGBUF=y
VIRTIOFWD_TSO=
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages
VIRTIOFWD_STATIC_VFS=
VIRTIOFWD_DYNAMIC_SOCKETS=
VIRTIOFWD_CPU_NIC_SAME_NUMA=
VIRTIOFWD_VFIO_VF_TOKEN=
VIO4WD_CORE_SCHED_ENABLE=true
VIO4WD_CORE_SCHED_SENSITIVITY=
VIO4WD_CORE_SCHED_LOG_LEVEL=6
VIO4WD_CORE_SCHED_POLL_INTERVAL=
VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT=
VIRTIOFWD_CPU_PINS=
VIRTIOFWD_PID_DIR=/var/run
VIRTIOFWD_ZMQ_CONFIG_EP=
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///var/run/virtio-forwarder/port_control
VIRTIOFWD_ZMQ_STATS_EP=ipc:///var/run/virtio-forwarder/stats
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc:///var/run/virtio-forwarder/core_sched
VIRTIOFWD_SOCKET_DIR=/tmp/virtio-forwarder
VIRTIOFWD_SOCKET_FNAME_PATTERN=
VIRTIOFWD_BINARY=@BINDIR@/virtio-forwarder
VIRTIOFWD_MASTER_LCORE=
VIRTIOFWD_VHOST_CLIENT=y
VIRTIOFWD_ZERO_COPY=
VIRTIOFWD_BIND_VFIO_PCI=
"""

# What this machine needs changed, and nothing else: CPUs (it has two),
# memory (no hugepages), private directories and endpoints.
MACHINE_VARIABLES = {
    "VIRTIOFWD_CPU_MASK", "VIRTIOFWD_PID_DIR", "VIRTIOFWD_SOCKET_DIR",
    "VIRTIOFWD_ZMQ_CONFIG_EP", "VIRTIOFWD_ZMQ_PORT_CONTROL_EP", "VIRTIOFWD_ZMQ_STATS_EP",
    "VIRTIOFWD_ZMQ_CORE_SCHED_EP", "VIRTIOFWD_BINARY",
    # Added: memory without hugepages, and a DPDK file prefix of its own.
    "VIRTIOFWD_EAL_ARGS", "VIRTIOFWD_FILE_PREFIX",
}

# The flags of each tool's 1.x help text (one spelling each).
SPEC_FLAGS = {
    "virtioforwarder_port_control.py": {
        "-h", "--vhost-path", "--virtio-id", "--crash-after-send", "--pci-addr",
        "--name", "--mode", "--zmq_ep", "--conditional", "--send-garbage"},
    "virtioforwarder_stats.py": {
        "-h", "--stats-ep", "--include-inactive", "--delay", "--output-format", "-z"},
    "virtioforwarder_core_pinner.py": {
        "-h", "--stats-ep", "--sched-ep", "--virtio-cpu", "--print-core-map"},
    "virtioforwarder_monitor_load.py": {
        "-h", "--stats-ep", "--sched-ep", "--poll-interval"},
    "virtioforwarder_core_scheduler.py": {
        "-h", "--stats-ep", "--sched-ep", "--poll-interval", "--loglevel",
        "--sensitivity", "--global-numa-opt"},
    "virtioforwarder_config.py": {
        "-h", "--config-ep", "--crash-after-send", "--send-garbage"},
}

# The fields of one direction of an active relay, in 1.x's flat order.
VF_TO_VM = ["pkts_rx_from_vf", "bytes_rx_from_vf", "pkts_tx_to_vm", "bytes_tx_to_vm",
            "pkt_rate_rx_from_vf", "byte_rate_rx_from_vf", "pkt_rate_tx_to_vm",
            "byte_rate_tx_to_vm", "pkts_dropped_vm_queue_full",
            "bytes_dropped_vm_queue_full", "pkts_dropped_vm_not_connected",
            "bytes_dropped_vm_not_connected"]
VM_TO_VF = ["pkts_rx_from_vm", "bytes_rx_from_vm", "pkts_tx_to_vf", "bytes_tx_to_vf",
            "pkt_rate_rx_from_vm", "byte_rate_rx_from_vm", "pkt_rate_tx_to_vf",
            "byte_rate_tx_to_vf", "pkts_dropped_vf_queue_full",
            "bytes_dropped_vf_queue_full", "pkts_dropped_vf_not_connected",
            "bytes_dropped_vf_not_connected"]


# This machine's memory: no hugepages; jumbo frames (shipped on) take
# larger buffers, three relays need more than the harness's 512 MB.
EAL_MEM = ["--no-huge", "-m", "1024", "--no-pci"]


def shipped_text(values, extra):
    """The shipped file with 'values' replacing those of its variables and
    'extra' lines appended; refuses to change anything this machine does
    not need changed."""
    assert set(values) | set(extra) <= MACHINE_VARIABLES, set(values) | set(extra)
    out = []
    for line in SHIPPED.splitlines():
        name = line.split("=", 1)[0]
        out.append("%s=%s" % (name, values[name]) if name in values else line)
    out += ["%s=%s" % kv for kv in extra.items()]
    return "\n".join(out) + "\n"


def endpoints(base):
    return {name: "ipc://%s/run/virtio-forwarder/%s" % (base, name)
            for name in ("port_control", "stats", "core_sched", "config")}


def start_from_file(tmp):
    """The daemon from the shipped file."""
    eps = endpoints(tmp)
    values = {
        "VIRTIOFWD_CPU_MASK": "1",
        "VIRTIOFWD_PID_DIR": tmp,
        "VIRTIOFWD_SOCKET_DIR": tmp + "/virtio-forwarder",
        "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": eps["port_control"],
        "VIRTIOFWD_ZMQ_STATS_EP": eps["stats"],
        "VIRTIOFWD_ZMQ_CORE_SCHED_EP": eps["core_sched"],
        "VIRTIOFWD_ZMQ_CONFIG_EP": eps["config"],
        "VIRTIOFWD_BINARY": harness.DAEMON,
    }
    prefix = harness.unique("vfwdt")
    extra = {"VIRTIOFWD_EAL_ARGS": '"%s"' % " ".join(EAL_MEM),
             "VIRTIOFWD_FILE_PREFIX": prefix}
    helpers = {"VIRTIOFWD_SOCKET_DIR": values["VIRTIOFWD_SOCKET_DIR"]}
    d = Daemon(tmp, helpers, text=shipped_text(values, extra), name="virtioforwarder",
               prefix=prefix)
    d.eps = eps
    d.pid_dir = tmp
    return d


def start_from_command_line(tmp):
    """The daemon as 1.x's start script ran it from the shipped file, with
    the same machine changes: "${V:+-X$V}" for each non-empty variable, -p
    naming the pid directory, --nodaemon=log_syslog."""
    eps = endpoints(tmp)
    prefix = harness.unique("vfwdt")
    args = ["-C1", "--nodaemon=log_syslog", "-l6", "-p" + tmp, "-H/dev/hugepages",
            "--zmq-config-ep=" + eps["config"],
            "--zmq-port-control-ep=" + eps["port_control"],
            "--zmq-stats-ep=" + eps["stats"],
            "--zmq-core-sched-ep=" + eps["core_sched"],  # VIO4WD_CORE_SCHED_ENABLE=true
            "--ipc", "--vhost-path=" + tmp + "/virtio-forwarder",
            "-J", "--enable-mrgbuf", "--vhostuser-client",
            # This machine: no hugepages, a DPDK file prefix of its own.
            "--eal-args=" + " ".join(EAL_MEM), "--file-prefix=" + prefix]

    def ready():
        # The log goes to syslog: ready once the control services listen.
        return all(os.path.exists(ep[len("ipc://"):]) for ep in eps.values())

    d = Daemon(tmp, {"VIRTIOFWD_SOCKET_DIR": tmp + "/virtio-forwarder"}, args,
               config=False, ready=ready, prefix=prefix)
    d.eps = eps
    d.pid_dir = tmp
    return d


class Tool:
    """One of the six 1.x names, a symlink to the built vfwdctl; records
    the flags it was run with."""

    def __init__(self, linkdir, name):
        self.name = name
        self.path = os.path.join(linkdir, name)
        if not os.path.lexists(self.path):
            os.symlink(harness.CTL, self.path)
        self.used = set()

    def _record(self, args):
        for a in args:
            if a.startswith("--"):
                self.used.add(a.split("=", 1)[0])
            elif re.match(r"^-[a-z]+$", a):
                self.used.update("-" + ch for ch in a[1:])

    def run(self, *args, timeout=30, **kw):
        args = [str(a) for a in args]
        self._record(args)
        return subprocess.run([self.path] + args, capture_output=True, text=True,
                              timeout=timeout, **kw)

    def proc(self, *args):
        args = [str(a) for a in args]
        self._record(args)
        return harness.Proc([self.path] + args)


def ctl(*args):
    """vfwdctl itself, to set relays up."""
    return subprocess.run([harness.CTL] + list(args), capture_output=True, text=True,
                          timeout=30)


def usage_error(p, *words):
    """argparse's way: usage on stderr, then "PROG: error: ...", status 2."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert lines[0].startswith("usage: "), p.stderr
    assert re.match(r"^virtioforwarder_\w+\.py: error: ", lines[-1]), p.stderr
    for w in words:
        assert w in lines[-1], (w, lines[-1])


def python_float(s):
    """Is 's' a float as Python printed it (repr)?"""
    return repr(float(s)) == s and ("." in s or "e" in s or s in ("inf", "nan"))


# ----------------------------------------------------------------------
# The two daemons, with relays to look at
# ----------------------------------------------------------------------

@pytest.fixture(scope="module", params=["shipped-file", "start-script"])
def daemon(request, mreg, tmp_path_factory):
    """The daemon, started from the shipped file or from 1.x's start
    script's command line.  Relay 5 is active (net_null5 and a guest),
    relay 6 has a device but no guest, relay 7 a device to remove."""
    if not os.path.exists(harness.CTL):
        pytest.skip("vfwdctl not built: %s" % harness.CTL)
    tmp = str(tmp_path_factory.mktemp("dropin"))
    start = start_from_file if request.param == "shipped-file" else start_from_command_line
    d = mreg.add(start(tmp))
    pc = "--port-control-ep=" + d.eps["port_control"]
    for relay in (5, 6, 7):
        p = ctl(pc, "add", "--virtio-id=%d" % relay, "--device=net_null%d" % relay)
        assert p.returncode == 0, p.stderr
    # vhost client mode, as shipped: the guest listens, the daemon connects.
    mreg.add(Pmd(["net_virtio_user0,path=%s,server=1" % d.socket(5)]))
    wait_for(lambda: relay_up(d, 5), timeout=30, what="guest on relay 5")
    return d


@pytest.fixture(scope="module")
def tools(daemon, tmp_path_factory):
    linkdir = str(tmp_path_factory.mktemp("bin"))
    return {name: Tool(linkdir, name) for name in SPEC_FLAGS}


# ----------------------------------------------------------------------
# Start-up: what 1.x's start scripts did, done by the daemon
# ----------------------------------------------------------------------

def test_started_as_1x_did(daemon):
    # 1.x's precedence: ZeroMQ port control, one warning for IPC.
    assert harness.port_control_warnings(daemon) == [harness.ZMQ_OVER_IPC_WARNING], \
        daemon.proc.err
    # Nothing else was refused or noted.
    assert "notice:" not in daemon.proc.err
    assert "unknown variable" not in daemon.proc.err
    # The pid file in the directory -p (or VIRTIOFWD_PID_DIR) names.
    with open(os.path.join(daemon.pid_dir, "virtio-forwarder.pid")) as f:
        assert int(f.read()) == daemon.proc.pid
    # The socket directory and the ipc:// endpoint directories, created;
    # the socket directory root's and not world-writable: 0755, or in
    # client mode with a socket group, where QEMU creates the sockets,
    # 1770 for the group (the command line leaves the default group, kvm,
    # which the shipped file empties).
    sockdir = daemon.vars["VIRTIOFWD_SOCKET_DIR"]
    st = os.stat(sockdir)
    try:
        kvm = grp.getgrnam("kvm").gr_gid
    except KeyError:
        kvm = None
    if daemon.use_config or kvm is None:
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o755)
    else:
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, kvm, 0o1770)
    assert os.path.isdir(os.path.join(daemon.pid_dir, "run", "virtio-forwarder"))


# ----------------------------------------------------------------------
# The tools' help texts: exactly 1.x's flags
# ----------------------------------------------------------------------

def help_flags(text):
    """The flags of an argparse help text: of its usage lines, and of its
    option list (each option's first spelling)."""
    usage = text.split("\n\n", 1)[0]
    in_usage = set(re.findall(r"\[(-[a-z]|--[a-z_-]+)", usage))
    listed = set()
    section = text.split("optional arguments:\n", 1)[1]
    for line in section.splitlines():
        m = re.match(r"^  (-[a-z]|--[a-z_-]+)", line)
        if m:
            listed.add(m.group(1))
    return in_usage, listed


@pytest.mark.parametrize("name", sorted(SPEC_FLAGS))
def test_help_has_1x_flags(tools, name):
    t = tools[name]
    for spelling in ("-h", "--help", "--he"):
        p = t.run(spelling)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        assert p.stdout.startswith("usage: %s [-h]" % name), p.stdout
    in_usage, listed = help_flags(p.stdout)
    assert in_usage == SPEC_FLAGS[name]
    assert listed == SPEC_FLAGS[name]
    if name == "virtioforwarder_port_control.py":
        assert re.search(r"\[--send-garbage\] OP$", p.stdout.split("\n\n")[0])
        assert "[--mode {0,1,2,3,4,5,6}]" in p.stdout
        assert "[--virtio-id virtio-id]" in p.stdout
    if name == "virtioforwarder_stats.py":
        assert "[--output-format {flat,protobuf}] [-z]" in p.stdout
        assert "  -z, --suppress-zero" in p.stdout


# ----------------------------------------------------------------------
# virtioforwarder_port_control.py
# ----------------------------------------------------------------------

def test_port_control(daemon, tools):
    pc = tools["virtioforwarder_port_control.py"]
    ep = "--zmq_ep=" + daemon.eps["port_control"]

    # Not conditional unless asked: removing what is not there fails; the
    # reply is printed on stdout, and the status is 1.
    p = pc.run(ep, "remove", "--pci-addr", "0000:05:08.1")
    assert (p.returncode, p.stderr) == (1, "")
    assert p.stdout == ('status: ERROR\nerror_code: -2\nerror_code_source: '
                        '"0000:05:08.1: not attached to any relay"\n')
    p = pc.run("--conditional", "remove", "--pci-addr=05:08.1", "--zmq_ep",
               daemon.eps["port_control"])
    assert (p.returncode, p.stdout, p.stderr) == (0, "status: OK\n", "")

    # ADD of a bond of two PCI devices this host does not have: the daemon
    # says why, as an ERROR reply.
    p = pc.run(ep, "add", "--virtio-id", "3", "--name", "net_bonding3", "--mode", "4",
               "--pci-addr", "0000:05:08.1", "--pci-addr", "0000:05:08.2")
    assert p.returncode == 1, p.stderr
    assert re.match(r'^status: ERROR\nerror_code: -\d+\nerror_code_source: ".*'
                    r'0000:05:08\.[12].*"\n$', p.stdout), p.stdout

    # QUERY_PCI: the device of the relay serving a socket.
    p = pc.run(ep, "query_pci", "--vhost-path", daemon.socket(5))
    assert (p.returncode, p.stdout) == (0, 'status: OK\nquery_string: "net_null5"\n')

    # Socket operations need dynamic sockets: the daemon refuses.
    p = pc.run(ep, "add_sock", "--vhost-path=/tmp/vfwd-x.sock", "--pci-addr=05:08.3")
    assert p.returncode == 1 and "dynamic sockets" in p.stdout, p.stdout
    p = pc.run(ep, "remove_sock", "--vhost-path=/tmp/vfwd-x.sock")
    assert p.returncode == 1 and p.stdout.startswith("status: ERROR\n")

    # Garbage gets an ERROR reply, and the daemon goes on.
    p = pc.run(ep, "--send-garbage", "add")
    assert p.returncode == 1, p.stderr
    assert re.match(r'^status: ERROR\nerror_code: -\d+\nerror_code_source: "cannot '
                    r'parse the request', p.stdout), p.stdout

    # A client that leaves right after sending: the request is carried out.
    p = pc.run(ep, "--crash-after-send", "remove", "--name", "net_null7")
    assert p.returncode == 1 and p.stdout == ""
    assert "--crash-after-send" in p.stderr
    wait_for(lambda: "net_null7" not in ctl("--stats-ep=" + daemon.eps["stats"], "stats",
                                            "--flat", "-r", "7").stdout,
             what="relay 7's device removed")
    p = pc.run(ep, "query_pci", "--vhost-path", daemon.socket(5))
    assert p.returncode == 0 and daemon.proc.alive()

    # vfwdctl's own spellings are not 1.x's.
    usage_error(pc.run(ep, "add", "--virtio-id=1", "--device=net_null1"),
                "unrecognized arguments: --device=net_null1")
    usage_error(pc.run(ep, "query"), "argument OP: invalid choice: 'query'")
    usage_error(pc.run(ep), "the following arguments are required: OP")
    usage_error(pc.run(ep, "add", "--mode=7"), "argument --mode: invalid choice: 7")
    usage_error(pc.run(ep, "add", "--virtio-id=one"),
                "argument --virtio-id: invalid int value: 'one'")
    usage_error(pc.run(ep, "add", "--pci-addr=05:08.9"), "invalid PCI address")
    usage_error(pc.run(ep, "add", "--virtio-id"), "argument --virtio-id: expected one")


# ----------------------------------------------------------------------
# virtioforwarder_stats.py
# ----------------------------------------------------------------------

def flat(text):
    """[(key, value)] of flat output."""
    return [tuple(line.split("=", 1)) for line in text.splitlines()]


def test_stats_flat_active_only(daemon, tools):
    st = tools["virtioforwarder_stats.py"]
    p = st.run("--stats-ep=" + daemon.eps["stats"])
    assert (p.returncode, p.stderr) == (0, "")
    kv = flat(p.stdout)
    # Active relays only: relay 6 has a device but no guest.
    assert {k.split(".")[0] for k, _ in kv} == {"relay_5"}
    cpu = dict(kv)["relay_5.cpu.vf_to_vm"]
    assert cpu == "1" and dict(kv)["relay_5.cpu.vm_to_vf"] == "1"
    keys = ["relay_5.active", "relay_5.cpu.vf_to_vm", "relay_5.cpu.vm_to_vf",
            "relay_5.vf.pci_addr_str", "relay_5.vhost.vhost_socket_name",
            "relay_5.vf_to_vm.active", "relay_5.vf_to_vm.internal_state"]
    keys += ["relay_5.vf_to_vm.cpu_1." + f for f in VF_TO_VM]
    keys += ["relay_5.vm_to_vf.active", "relay_5.vm_to_vf.internal_state"]
    keys += ["relay_5.vm_to_vf.cpu_1." + f for f in VM_TO_VF]
    assert [k for k, _ in kv] == keys
    v = dict(kv)
    assert v["relay_5.active"] == "True" and v["relay_5.vf_to_vm.active"] == "True"
    assert v["relay_5.vf.pci_addr_str"] == "net_null5"
    assert v["relay_5.vhost.vhost_socket_name"] == daemon.socket(5)
    for k, val in kv:
        f = k.rsplit(".", 1)[1]
        if "_rate_" in f:
            # Floats as Python printed the float32 it read.
            assert python_float(val), (k, val)
            assert struct.unpack("f", struct.pack("f", float(val)))[0] == float(val)
        elif ".cpu_" in k:
            assert re.match(r"^\d+$", val), (k, val)
    # net_null5 receives all the time: the counters move.
    assert int(v["relay_5.vf_to_vm.cpu_1.pkts_rx_from_vf"]) > 0


def test_stats_include_inactive(daemon, tools):
    """All 64 relay slots, each with all its fields as 1.x printed them:
    32 lines for a relay without a device, 33 with one (1.x printed 2049
    lines for one relay with a device)."""
    st = tools["virtioforwarder_stats.py"]
    p = st.run("--stats-ep", daemon.eps["stats"], "--include-inactive", "--delay=200")
    assert (p.returncode, p.stderr) == (0, "")
    kv = flat(p.stdout)
    ids = [int(k.split(".")[0][len("relay_"):]) for k, _ in kv if k.endswith(".active")
           and k.count(".") == 1]
    assert ids == list(range(64))
    per_relay = {}
    for k, _ in kv:
        per_relay[k.split(".")[0]] = per_relay.get(k.split(".")[0], 0) + 1
    # Relays 5 and 6 have a device (7's was removed by test_port_control).
    with_device = {"relay_5", "relay_6"} | ({"relay_7"} if "relay_7.vf.pci_addr_str"
                                            in dict(kv) else set())
    assert {r: n for r, n in per_relay.items() if n != 32} == {r: 33 for r in with_device}
    relay0 = [(k, val) for k, val in kv if k.startswith("relay_0.")]
    state0, state1 = relay0[5][1], relay0[19][1]
    assert relay0 == (
        [("relay_0.active", "False"), ("relay_0.cpu.vf_to_vm", "-1"),
         ("relay_0.cpu.vm_to_vf", "-1"),
         ("relay_0.vhost.vhost_socket_name", daemon.socket(0)),
         ("relay_0.vf_to_vm.active", "False"), ("relay_0.vf_to_vm.internal_state", state0)]
        + [("relay_0.vf_to_vm.cpu_-1." + f, "0.0" if "_rate_" in f else "0")
           for f in VF_TO_VM]
        + [("relay_0.vm_to_vf.active", "False"), ("relay_0.vm_to_vf.internal_state", state1)]
        + [("relay_0.vm_to_vf.cpu_-1." + f, "0.0" if "_rate_" in f else "0")
           for f in VM_TO_VF])
    assert dict(kv)["relay_6.active"] == "False"
    assert dict(kv)["relay_6.vf.pci_addr_str"] == "net_null6"
    # Relay 6 has a worker for its device.
    assert dict(kv)["relay_6.cpu.vf_to_vm"] == "1"
    assert "relay_6.vf_to_vm.cpu_1.pkts_rx_from_vf" in dict(kv)


def test_stats_suppress_zero(daemon, tools):
    st = tools["virtioforwarder_stats.py"]
    ep = "--stats-ep=" + daemon.eps["stats"]
    full = flat(st.run(ep).stdout)
    for flag in ("-z", "--suppress-zero"):
        p = st.run(ep, flag)
        assert (p.returncode, p.stderr) == (0, "")
        short = flat(p.stdout)
        assert all(float(val) != 0 for k, val in short if ".cpu_" in k), short
        # The lines that are not statistics stay.
        assert [kv for kv in short if ".cpu_" not in kv[0]] == \
            [kv for kv in full if ".cpu_" not in kv[0]]
    # Nothing is dropped for a full guest queue here: those lines go.
    assert not any(k.endswith("bytes_dropped_vf_queue_full") for k, _ in short)


def test_stats_protobuf_text(daemon, tools):
    st = tools["virtioforwarder_stats.py"]
    ep = "--stats-ep=" + daemon.eps["stats"]
    p = st.run(ep, "--output-format=protobuf")
    assert (p.returncode, p.stderr) == (0, "")
    # Python's print() of the message: it ends with an empty line.
    assert p.stdout.endswith("}\n\n")
    lines = p.stdout.splitlines()[:-1]
    assert lines[0] == "status: OK"
    assert lines.count("relay {") == 1 and lines[-1] == "}"
    body = p.stdout
    assert "  id: 5\n  active: true\n  cpu {\n    vf_to_vm: 1\n    vm_to_vf: 1\n  }\n" in body
    assert '  vhost {\n    vhost_socket_name: "%s"\n  }\n' % daemon.socket(5) in body
    assert '  vf {\n    pci_addr_str: "net_null5"\n  }\n' in body
    # Only the fields 1.x knew: its tools skipped the new ones.
    for new in ("queue", "worker", "negotiated_features", "offered_features"):
        assert not re.search(r"^\s*%s\b" % new, body, re.M), new
    for m in re.finditer(r"^\s+\w*rate\w*: (\S+)$", body, re.M):
        assert python_float(m.group(1)), m.group(0)
    # Balanced braces, two spaces per level.
    depth = 0
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if line.strip() == "}":
            depth -= 1
        assert indent == 2 * depth, line
        if line.endswith(" {"):
            depth += 1
    assert depth == 0
    p = st.run(ep, "--output-format", "protobuf", "--include-inactive")
    assert p.stdout.count("\nrelay {\n") == 64
    usage_error(st.run(ep, "--output-format=json"),
                "argument --output-format: invalid choice: 'json' (choose from 'flat', "
                "'protobuf')")
    usage_error(st.run(ep, "--json"), "unrecognized arguments: --json")
    usage_error(st.run(ep, "--delay=soon"), "argument --delay: invalid int value")


# ----------------------------------------------------------------------
# virtioforwarder_core_pinner.py
# ----------------------------------------------------------------------

def core_map(title, cols, rows):
    """The core map 1.x's core pinner printed: 'title', a rule, one
    "== NN ==" column per worker CPU in 'cols', then 'rows', each a list
    of (VM2VF, VF2VM) relay ids (None: blank) per column."""
    cell = lambda v: "  " if v is None else "%02d" % v
    out = [title, "=" * 14 * len(cols), "".join("   == %02d ==   " % c for c in cols),
           " VM2VF  VF2VM " * len(cols)]
    for row in rows:
        out.append("".join("  %s     %s   " % (cell(a), cell(b)) for a, b in row))
    return "\n".join(out) + "\n"


def test_core_pinner(daemon, tools):
    cp = tools["virtioforwarder_core_pinner.py"]
    stats = "--stats-ep=" + daemon.eps["stats"]
    sched = "--sched-ep=" + daemon.eps["core_sched"]
    # One worker, CPU 1: relays 5 and 6 in both directions (7's device may
    # be gone: test_port_control removes it).
    now = cp.run(stats).stdout
    ids = [5, 6] + ([7] if "\n  07     07   " in now else [])
    shown = core_map("Worker cores affinities:", [1], [[(i, i)] for i in ids])
    for args in ([stats], [stats, "--print-core-map"],
                 # --print-core-map prints and exits: nothing is moved.
                 [stats, sched, "--print-core-map", "--virtio-cpu=5:0"]):
        p = cp.run(*args)
        assert (p.returncode, p.stdout, p.stderr) == (0, shown, "")

    new_map = core_map("New worker core mapping:", [1], [[(i, i)] for i in ids])
    p = cp.run(stats, sched, "--virtio-cpu=5:1")
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == "Setting relay 5=1\nScheduler response: OK\n" + new_map
    # Refused: 1.x said ERROR and still exited 0; the reason goes to stderr.
    p = cp.run(stats, sched, "--virtio-cpu", "5:1,0")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Setting relay 5=1,0\nScheduler response: ERROR\n" + new_map
    assert "CPU 0 is not a worker CPU" in p.stderr
    usage_error(cp.run(sched, "--virtio-cpu=5:1,2,3"), "argument --virtio-cpu",
                "at most two CPUs")
    usage_error(cp.run(sched, "--cores"), "unrecognized arguments: --cores")


# ----------------------------------------------------------------------
# virtioforwarder_monitor_load.py and virtioforwarder_core_scheduler.py
# ----------------------------------------------------------------------

def test_monitor_load(daemon, tools):
    ml = tools["virtioforwarder_monitor_load.py"]
    p = ml.proc("--stats-ep=" + daemon.eps["stats"], "--sched-ep",
                daemon.eps["core_sched"], "--poll-interval=0.5")
    try:
        frame = r"^cpu +1 \[[# ]{40}\] +\d+\.\d%  relays [0-9,-]*5"
        wait_for(lambda: len(re.findall(frame, p.out, re.M)) >= 2 or not p.alive(),
                 timeout=20, what="two frames")
        p.signal(signal.SIGINT)
        assert p.wait(timeout=10) == 0, p.output()
        assert p.err == ""
    finally:
        p.stop()
    usage_error(ml.run("--poll-interval=0"), "argument --poll-interval")
    usage_error(ml.run("--interval=1"), "unrecognized arguments: --interval=1")


def test_core_scheduler(daemon, tools):
    cs = tools["virtioforwarder_core_scheduler.py"]
    p = cs.proc("--stats-ep=" + daemon.eps["stats"], "--sched-ep",
                daemon.eps["core_sched"], "--poll-interval=0.5", "--loglevel=7",
                "--sensitivity", "0.5", "--global-numa-opt")
    try:
        wait_for(lambda: p.out.count("nothing to balance: 1 workers") >= 2 or
                 not p.alive(), timeout=20, what="two rounds")
        assert p.out.startswith("balancing every 0.5 s, sensitivity 0.5, any NUMA node")
        p.signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0, p.output()
        assert p.out.endswith("stopped\n")
    finally:
        p.stop()
    usage_error(cs.run("--loglevel=8"), "argument --loglevel")
    usage_error(cs.run("--once"), "unrecognized arguments: --once")


# ----------------------------------------------------------------------
# virtioforwarder_config.py
# ----------------------------------------------------------------------

def test_config(daemon, tools):
    cf = tools["virtioforwarder_config.py"]
    ep = "--config-ep=" + daemon.eps["config"]
    p = cf.run(ep)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.startswith("status: OK\n")
    assert ("relay_cpu_map {\n  relay_number: 5\n  vf2virtio_cpu: 1\n"
            "  virtio2vf_cpu: 1\n}\n") in p.stdout
    p = cf.run(ep, "--send-garbage")
    assert (p.returncode, p.stdout) == (1, "status: EBADR\n"), p.stderr
    p = cf.run(ep, "--crash-after-send")
    assert p.returncode == 1 and p.stdout == "" and "--crash-after-send" in p.stderr
    assert cf.run(ep).returncode == 0 and daemon.proc.alive()


def test_every_flag_run(daemon, tools):
    """Each tool was run above with every flag of its help text."""
    for name, t in tools.items():
        assert SPEC_FLAGS[name] - t.used == set(), name


# ----------------------------------------------------------------------
# add_sock in the directories an operator lists
# ----------------------------------------------------------------------

def test_add_sock_in_listed_directories(reg, tmp_path):
    """1.x took a dynamic socket anywhere; now only in the socket
    directory and those VIRTIOFWD_DYNAMIC_SOCKET_DIRS lists (OpenStack's
    and libvirt's own socket directories, say).  1.x's port control tool
    adds and removes sockets there, and is refused elsewhere with the
    setting named."""
    top = str(tmp_path)
    listed = [os.path.join(top, "openstack"), os.path.join(top, "libvirt", "qemu")]
    for dirpath in listed:
        os.makedirs(dirpath)
    d = reg.add(Daemon(top, {"VIRTIOFWD_DYNAMIC_SOCKETS": "y",
                             "VIRTIOFWD_DYNAMIC_SOCKET_DIRS": " ".join(listed)}))
    pc = Tool(top, "virtioforwarder_port_control.py")
    ep = "--zmq_ep=" + d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
    for i, dirpath in enumerate([top] + listed):
        path = os.path.join(dirpath, "vhu%d.sock" % i)
        # 1.x's tool names devices by PCI address only, and this machine
        # has none: the path passes, then the device is not found...
        p = pc.run(ep, "add_sock", "--vhost-path=" + path, "--pci-addr=0000:05:08.%d" % i)
        assert p.returncode == 1 and "0000:05:08.%d" % i in p.stdout, p.stdout
        assert "not in a directory allowed" not in p.stdout, p.stdout
        assert not os.path.exists(path)
        # ...which vfwdctl names as devargs.
        p = ctl("--port-control-ep=" + d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"], "add_sock",
                "--vhost-path=" + path, "--device=net_null%d" % i)
        assert p.returncode == 0, p.stderr
        assert stat.S_ISSOCK(os.stat(path).st_mode), path
    for i, dirpath in enumerate([top] + listed):
        path = os.path.join(dirpath, "vhu%d.sock" % i)
        p = pc.run(ep, "remove_sock", "--vhost-path=" + path)
        assert (p.returncode, p.stdout, p.stderr) == (0, "status: OK\n", ""), path
        assert not os.path.exists(path)
    # Elsewhere, and below a listed directory: refused, nothing created.
    for path in (os.path.join(top + "-other", "vhu.sock"),
                 os.path.join(listed[0], "sub", "vhu.sock")):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        p = pc.run(ep, "add_sock", "--vhost-path=" + path, "--pci-addr=0000:05:08.7")
        assert p.returncode == 1, p.stdout
        assert p.stdout.startswith("status: ERROR\nerror_code: -1\n"), p.stdout
        assert "not in a directory allowed for vhost-user sockets" in p.stdout, p.stdout
        assert "VIRTIOFWD_DYNAMIC_SOCKET_DIRS" in p.stdout, p.stdout
        assert not os.path.exists(path)
    shutil.rmtree(top + "-other")


# ----------------------------------------------------------------------
# Without options: 1.x's endpoints, and no configuration file read
# ----------------------------------------------------------------------

def test_default_endpoints(tmp_path):
    """In a mount namespace of its own, with an empty /run and a
    configuration file naming other endpoints (and a bad value), each tool
    goes to 1.x's default endpoint and reads no file."""
    linkdir = str(tmp_path)
    script = ('mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /etc/default && '
              'printf "VIRTIOFWD_ZMQ_STATS_EP=ipc:///elsewhere\\n'
              'VIRTIOFWD_LOG_LEVEL=99\\n" > /etc/default/virtioforwarder && exec "$@"')
    cases = [("virtioforwarder_port_control.py", ["remove", "--pci-addr=05:08.1"],
              "port control", "port_control", "--zmq_ep"),
             ("virtioforwarder_stats.py", [], "stats", "stats", "--stats-ep"),
             ("virtioforwarder_core_pinner.py", ["--virtio-cpu=1:1"], "core scheduling",
              "core_sched", "--sched-ep"),
             ("virtioforwarder_core_pinner.py", [], "stats", "stats", "--stats-ep"),
             ("virtioforwarder_config.py", [], "config", "config", "--config-ep")]
    for name, args, service, path, option in cases:
        t = Tool(linkdir, name)
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            script, "sh", t.path] + args, capture_output=True, text=True,
                           timeout=30)
        if "unshare" in p.stderr and p.returncode != 1:
            pytest.skip("no mount namespaces here: %s" % p.stderr)
        assert p.returncode == 1, (name, p.stdout, p.stderr)
        assert p.stderr.startswith(
            "%s: cannot reach the %s service at ipc:///var/run/virtio-forwarder/%s: No "
            "such file or directory" % (name, service, path)), p.stderr
        assert "(%s, " % option in p.stderr


# ----------------------------------------------------------------------
# Start-up failures the operator sees
# ----------------------------------------------------------------------

def test_server_socket_that_cannot_be_created(reg, sockdir):
    """In server mode every socket is created at start; one that cannot be
    fails the start with its path and the reason.  A name taken by
    something the daemon must not replace costs that relay its socket
    only (test_security.py has every kind of squatter)."""
    taken = os.path.join(str(sockdir), "virtio-forwarder7.sock")
    os.mkdir(taken)
    d = reg.add(Daemon(sockdir))
    assert ("relay 7 gets no socket: %s: exists and is a directory, not a socket; "
            "not replacing it" % taken) in d.proc.err, d.proc.err
    assert "63 vhost-user sockets for relays 0-63" in d.proc.err, d.proc.err
    assert stat.S_ISSOCK(os.stat(d.socket(8)).st_mode)
    assert os.path.isdir(taken)
    d.stop()
    os.rmdir(taken)

    # A read-only directory.
    ro = os.path.join(str(sockdir), "ro")
    os.mkdir(ro)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", ro], check=True)
    try:
        rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_SOCKET_DIR": ro})
    finally:
        subprocess.run(["umount", ro], check=True)
    assert rc == 1, err
    assert ("%s/virtio-forwarder0.sock: cannot create the vhost-user socket: Read-only "
            "file system" % ro) in err, err

    # A directory that cannot be made.
    afile = os.path.join(str(sockdir), "afile")
    open(afile, "w").close()
    rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_SOCKET_DIR": afile + "/s"})
    assert rc == 1, err
    assert "VIRTIOFWD_SOCKET_DIR: cannot create %s: Not a directory" % afile in err, err


def test_socket_directory_created(reg, sockdir):
    """mkdir -p, as 1.x's start script did, mode 0755."""
    d = os.path.join(str(sockdir), "a", "b")
    reg.add(Daemon(sockdir, {"VIRTIOFWD_SOCKET_DIR": d}))
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o755
    assert os.path.exists(os.path.join(d, "virtio-forwarder63.sock"))


def test_jumbo_falls_back(reg, sockdir):
    """VIRTIOFWD_JUMBO=y on a device whose frames are smaller (af_packet:
    1518 bytes): attached at its largest MTU, one warning naming it; the
    negative and start-script flags give their notices."""
    veth = reg.add(harness.VethNs())
    dev = "net_af_packet0,iface=%s" % veth.host
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_JUMBO": "y", "VIRTIOFWD_TSO": "no",
                                 "VIRTIOFWD_ZERO_COPY": "y",
                                 "VIRTIOFWD_STATIC_VFS": "%s=1" % dev}))
    warn = [ln for ln in d.proc.err.splitlines() if "jumbo frames" in ln]
    assert warn == ["virtio-forwarder[warning]: %s: jumbo frames: the device takes "
                    "frames of 1518 bytes at most (MTU 1500), so it runs at MTU 1500 "
                    "instead of 9000" % dev], d.proc.err
    assert d.stats()[1]["info"]["device"] == dev
    assert ("notice: VIRTIOFWD_TSO=no: off; 1.x read any non-empty value as on, this "
            "one too") in d.proc.err
    assert ("notice: VIRTIOFWD_ZERO_COPY: DPDK removed vhost dequeue zero-copy in "
            "20.11; the setting is accepted and has no effect") in d.proc.err


@pytest.mark.parametrize("entry,words", [
    ("vfwdnosuch0", ["VIRTIOFWD_BIND_VFIO_PCI: vfwdnosuch0: no such network interface"]),
    ("vfwdnosuch0:2", ["vfwdnosuch0: no such network interface"]),
    ("lo", ["VIRTIOFWD_BIND_VFIO_PCI: lo: no PCI device behind the interface"]),
])
def test_bind_vfio_pci_errors(sockdir, entry, words):
    """Devices that cannot be bound stop the start before EAL, naming the
    entry and the step; nothing is touched.  (Only names that resolve to
    no device are used: a real device of this host must not be moved.)"""
    rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_BIND_VFIO_PCI": entry})
    assert rc == 1, err
    for w in words:
        assert w in err, err
    assert "EAL" not in err


def test_bind_vfio_pci_missing_device_or_driver(sockdir):
    """A PCI address that is not on this host: the driver's absence is
    said first when vfio-pci is not loaded, else the device's."""
    rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_BIND_VFIO_PCI": "7f:1f.7"})
    assert rc == 1, err
    if os.path.isdir("/sys/bus/pci/drivers/vfio-pci"):
        assert ("VIRTIOFWD_BIND_VFIO_PCI: 0000:7f:1f.7: no such PCI device "
                "(/sys/bus/pci/devices/0000:7f:1f.7 is missing)") in err, err
    else:
        assert ("cannot bind 0000:7f:1f.7 to vfio-pci: the vfio-pci driver is not "
                "loaded (/sys/bus/pci/drivers/vfio-pci is missing); load it with "
                "'modprobe vfio-pci'") in err, err


@pytest.mark.skipif(not os.environ.get("VFWD_TEST_VFIO_DEVICE"),
                    reason="n/a: no PCI device given to rebind (VFWD_TEST_VFIO_DEVICE="
                    "DDDD:BB:SS.F of a VF this host can spare); the real-VF kit's tests "
                    "bind their VFs through VIRTIOFWD_BIND_VFIO_PCI (test_realvf.py)")
def test_bind_vfio_pci_real_device(reg, sockdir):
    """On a real VF the test kit provides: bound to vfio-pci at start, and
    left alone the next time."""
    dev = os.environ["VFWD_TEST_VFIO_DEVICE"]
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_BIND_VFIO_PCI": dev}))
    link = os.readlink("/sys/bus/pci/devices/%s/driver" % dev)
    assert os.path.basename(link) == "vfio-pci"
    assert "VIRTIOFWD_BIND_VFIO_PCI: %s: " % dev in d.proc.err
    d.stop()
    d.start()
    assert "VIRTIOFWD_BIND_VFIO_PCI: %s: already bound to vfio-pci" % dev in d.proc.err
