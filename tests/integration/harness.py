# SPDX-License-Identifier: BSD-3-Clause
"""Helpers that run the real daemon and real DPDK peers for the tests.

Every process started here is tracked and ended by PID when the test ends,
also on failure; so are network namespaces and veth pairs.
"""

import contextlib
import os
import re
import signal as sigmod
import subprocess
import threading
import time
import uuid

from dpdk_telemetry import Telemetry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VFWD_BUILD", os.path.join(REPO, "build"))
DAEMON = os.path.join(BUILD, "src", "virtio-forwarder")
# The operator CLI (tools/vfwdctl.c).
CTL = os.path.join(BUILD, "tools", "vfwdctl")
TESTPMD = os.environ.get("VFWD_TESTPMD", "dpdk-testpmd")

# LeakSanitizer's suppressions for the daemon's ASan build.
LSAN_SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")

# Memory for every DPDK process of the tests: no hugepages needed.
EAL_MEM = ["--no-huge", "-m", "512", "--no-pci"]


def wait_for(pred, timeout=20.0, what="condition", interval=0.05):
    """Polls pred() until it returns a true value; fails after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


class Proc:
    """A child process whose stdout and stderr are collected in memory.

    Reading 'out' or 'err' first takes in whatever the process has
    written so far: a line it logged before an effect the test saw (a
    reply, a changed file) is there when the test looks, however far
    behind the collecting threads are on a loaded machine.  The threads
    and the readers take data from the pipes only while holding the
    lock, so nothing read is ever in flight outside the text."""

    def __init__(self, argv, stdin=False, env=None):
        self.argv = argv
        self.p = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self._text = {"out": "", "err": ""}
        self._fds = {"out": self.p.stdout.fileno(), "err": self.p.stderr.fileno()}
        self._open = {"out": True, "err": True}
        for fd in self._fds.values():
            os.set_blocking(fd, False)
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(which,), daemon=True)
                         for which in self._fds]
        for t in self._threads:
            t.start()

    def _drain(self, which):
        """Takes in what pipe 'which' holds (with the lock held); returns
        False once it is closed."""
        while self._open[which]:
            try:
                chunk = os.read(self._fds[which], 65536)
            except BlockingIOError:
                return True
            if not chunk:
                self._open[which] = False
            else:
                self._text[which] += chunk.decode(errors="replace")
        return False

    def _pump(self, which):
        import select
        while True:
            select.select([self._fds[which]], [], [])
            with self._lock:
                if not self._drain(which):
                    return

    def _get(self, which):
        with self._lock:
            self._drain(which)
            return self._text[which]

    @property
    def out(self):
        return self._get("out")

    @property
    def err(self):
        return self._get("err")

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def wait(self, timeout=20):
        rc = self.p.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=2)
        return rc

    def stop(self, sig=sigmod.SIGTERM, timeout=20):
        """Ends the process (SIGTERM, then SIGKILL) and returns its status."""
        if self.alive():
            self.signal(sig)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(sigmod.SIGKILL)
        return self.wait(timeout)

    def output(self):
        return self.out + self.err


class Registry:
    """Everything a test started, ended in reverse order at teardown."""

    def __init__(self):
        self.items = []

    def add(self, obj):
        self.items.append(obj)
        return obj

    def cleanup(self):
        """Ends everything; returns the errors found on the way (a daemon
        that crashed or reported a sanitizer error)."""
        errors = []
        for obj in reversed(self.items):
            try:
                obj.close()
            except Exception as e:  # keep cleaning up the rest
                errors.append("%r: %s" % (obj, e))
        self.items = []
        return errors


def unique(prefix):
    return "%s%s" % (prefix, uuid.uuid4().hex[:8])


# ----------------------------------------------------------------------
# The daemon
# ----------------------------------------------------------------------

def config_text(variables):
    """The configuration file of 'variables'; a variable whose value is
    None is left out (the daemon's default then applies)."""
    lines = ["# written by the integration tests"]
    for k, v in variables.items():
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            lines.append("%s=(%s)" % (k, " ".join('"%s"' % x for x in v)))
        else:
            lines.append('%s="%s"' % (k, v))
    return "\n".join(lines) + "\n"


class Daemon:
    """The real virtio-forwarder, started from a config file in 'tmp'.

    'text', when given, is the file written instead of one made from the
    variables (which the helpers below still read); with config=False the
    daemon gets no --config at all, only 'args'.  'ready' replaces the
    check that the daemon is up (its log says "ready").  'wrap' is a
    command the daemon's command line is appended to (one that ends by
    exec'ing it, so that the process is still the daemon's)."""

    def __init__(self, tmp, variables=None, args=(), name="vfwd", wait_ready=True,
                 text=None, config=True, ready=None, prefix=None, wrap=()):
        self.tmp = str(tmp)
        self.prefix = prefix or unique("vfwdt")
        self.vars = {
            "VIRTIOFWD_CPU_MASK": "1",
            "VIRTIOFWD_MASTER_LCORE": "0",
            "VIRTIOFWD_LOG_LEVEL": "7",
            "VIRTIOFWD_SOCKET_DIR": self.tmp,
            "VIRTIOFWD_SOCKET_OWNER": "",
            "VIRTIOFWD_SOCKET_GROUP": "",
            "VIRTIOFWD_PID_DIR": self.tmp,
            "VIRTIOFWD_FILE_PREFIX": self.prefix,
            "VIRTIOFWD_EAL_ARGS": " ".join(EAL_MEM),
        }
        self.vars.update(control_endpoints(self.tmp))
        self.vars.update(variables or {})
        self.conf = os.path.join(self.tmp, name + ".conf")
        with open(self.conf, "w") as f:
            f.write(config_text(self.vars) if text is None else text)
        self.args = list(args)
        self.wrap = list(wrap)
        self.use_config = config
        self.ready = ready or (lambda: "]: ready" in self.proc.err)
        self.proc = None
        self.start(wait_ready)

    def start(self, wait_ready=True):
        if self.proc is not None:
            check_sanitizers(self.proc.err)
        env = dict(os.environ)
        env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        # Leaks of the drivers' libraries, not of the daemon (lsan.supp).
        env.setdefault("LSAN_OPTIONS", "suppressions=" + LSAN_SUPPRESSIONS)
        conf = ["--config", self.conf] if self.use_config else []
        self.proc = Proc(self.wrap + [DAEMON] + conf + self.args, env=env)
        if wait_ready:
            wait_for(lambda: self.ready() or not self.proc.alive(),
                     timeout=30, what="daemon ready")
            assert self.proc.alive(), "daemon died:\n" + self.proc.output()

    def socket(self, relay):
        pattern = self.vars.get("VIRTIOFWD_SOCKET_FNAME_PATTERN", "virtio-forwarder%u.sock")
        return os.path.join(self.vars["VIRTIOFWD_SOCKET_DIR"], pattern.replace("%u", str(relay)))

    def stats(self, timeout=10):
        """Asks for a stats dump (SIGUSR1) and parses it."""
        mark = len(self.proc.out)
        self.proc.signal(sigmod.SIGUSR1)
        wait_for(lambda: "stats end" in self.proc.out[mark:], timeout, "stats dump")
        block = self.proc.out[mark:]
        block = block[block.index("stats begin"):block.index("stats end")]
        return parse_stats(block)

    def settled_stats(self, relay, timeout=10, gap=0.3):
        """Relay 'relay's stats once two dumps 'gap' seconds apart agree:
        counters that must add up (a relay's total and its queues' shares,
        which workers bump one after the other) are only compared when no
        packet is in flight, such as a late ARP probe."""
        return settled(lambda: self.stats()[relay], "relay %d's counters to settle" % relay,
                       timeout, gap)

    def log_has(self, text):
        return text in self.proc.err

    def stop(self, sig=sigmod.SIGTERM):
        return self.proc.stop(sig)

    def close(self):
        if self.proc is not None:
            self.proc.stop()
            remove_runtime_dir(self.prefix)
            check_sanitizers(self.proc.err)


def devices(d):
    """{relay: device} of daemon 'd''s relays that have a device (its
    stats dump)."""
    s = d.stats()
    return {r: v["info"]["device"] for r, v in s.items()
            if r != "workers" and v.get("info", {}).get("device", "-") != "-"}


def two_worker_vars(**more):
    """The variables of a daemon with two worker lcores on this 2-CPU
    machine: EAL --lcores maps worker lcores 1 and 2 onto CPUs 1 and 0."""
    v = {"VIRTIOFWD_CPU_MASK": "1,2",
         "VIRTIOFWD_EAL_ARGS": " ".join(EAL_MEM) + " --lcores=0@0,1@1,2@0"}
    v.update(more)
    return v


def remove_runtime_dir(prefix):
    """Removes DPDK's runtime directory of a process that has ended (EAL
    leaves /var/run/dpdk/<file-prefix> behind)."""
    import shutil
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_sanitizers(text):
    """Fails when a sanitizer build of the daemon reported a problem."""
    for mark in SANITIZER_MARKS:
        if mark in text:
            i = text.index(mark)
            raise AssertionError("daemon: %s" % text[max(0, i - 200):i + 3000])


def parse_stats(block):
    """Turns a stats dump into {relay: {"info": {...}, "vf_to_vm": {...}, ...}}."""
    relays = {}
    workers = {}
    for line in block.splitlines():
        m = re.match(r"relay (\d+) queue (\d+) (.*)", line)
        if m:
            relays.setdefault(int(m.group(1)), {}).setdefault("queues", {})[int(m.group(2))] = {
                k: int(v) for k, v in (kv.split("=") for kv in m.group(3).split())}
            continue
        m = re.match(r"relay (\d+) offloads (.*)", line)
        if m:
            relays.setdefault(int(m.group(1)), {})["offloads"] = dict(
                kv.split("=", 1) for kv in m.group(2).split())
            continue
        m = re.match(r"relay (\d+) (vf_to_vm|vm_to_vf) (.*)", line)
        if m:
            relays.setdefault(int(m.group(1)), {})[m.group(2)] = {
                k: int(v) for k, v in (kv.split("=") for kv in m.group(3).split())}
            continue
        m = re.match(r"relay (\d+) (.*)", line)
        if m:
            relays.setdefault(int(m.group(1)), {})["info"] = dict(
                kv.split("=", 1) for kv in m.group(2).split())
            continue
        m = re.match(r"worker (\d+) (.*)", line)
        if m:
            workers[int(m.group(1))] = dict(kv.split("=", 1) for kv in m.group(2).split())
            continue
        m = re.match(r"buffers (.*)", line)
        if m:
            relays["buffers"] = {k: int(v) for k, v in
                                 (kv.split("=") for kv in m.group(1).split())}
    relays["workers"] = workers
    return relays


def heap_free(prefix):
    """The free bytes of all DPDK heaps of a process, from telemetry."""
    with Telemetry.of(prefix) as t:
        return sum(t.query("/eal/heap_info,%d" % h)["Free_size"]
                   for h in t.query("/eal/heap_list"))


def protoc_module(proto_path, outdir, modname):
    """The message classes of 'proto_path', generated by protoc into
    'outdir' and loaded as module 'modname' (the tests' pb fixture, and
    bench/ctl_latency.py, which runs outside pytest)."""
    import importlib.util
    import shutil
    protoc = shutil.which("protoc")
    if protoc is None:
        raise RuntimeError("protoc not found: install Debian's protobuf-compiler to generate "
                           "the message classes from %s" % proto_path)
    p = subprocess.run([protoc, "--python_out=" + outdir, "-I", os.path.dirname(proto_path),
                        proto_path], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("protoc failed on %s:\n%s" % (proto_path, p.stderr))
    path = os.path.join(outdir, os.path.basename(proto_path)[:-len(".proto")] + "_pb2.py")
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The one warning of a daemon given both an explicit ZeroMQ port control
# endpoint and the IPC flag, as 1.x's shipped file does.
ZMQ_OVER_IPC_WARNING = (
    "virtio-forwarder: warning: port control: ZeroMQ port control "
    "(VIRTIOFWD_ZMQ_PORT_CONTROL_EP) is used, as 1.x did; IPC file port control "
    "(VIRTIOFWD_IPC_PORT_CONTROL) is off; to use it instead, set "
    "VIRTIOFWD_ZMQ_PORT_CONTROL_EP empty")


def port_control_warnings(daemon):
    """The port control warnings in the daemon's log."""
    return [ln for ln in daemon.proc.err.splitlines() if "warning: port control:" in ln]


def control_endpoints(tmp):
    """ZeroMQ endpoints private to one test daemon."""
    return {
        "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": "ipc://%s/ctl/port_control" % tmp,
        "VIRTIOFWD_ZMQ_STATS_EP": "ipc://%s/ctl/stats" % tmp,
        "VIRTIOFWD_ZMQ_CORE_SCHED_EP": "ipc://%s/ctl/core_sched" % tmp,
        "VIRTIOFWD_ZMQ_CONFIG_EP": "ipc://%s/ctl/config" % tmp,
        "VIO4WD_CORE_SCHED_ENABLE": "true",
    }


def run_daemon_expect_error(tmp, variables=None, args=()):
    """Starts the daemon expecting it to refuse; returns (status, stderr)."""
    d = Daemon.__new__(Daemon)
    d.tmp = str(tmp)
    base = {
        "VIRTIOFWD_CPU_MASK": "1",
        "VIRTIOFWD_MASTER_LCORE": "0",
        "VIRTIOFWD_SOCKET_DIR": str(tmp),
        "VIRTIOFWD_SOCKET_OWNER": "",
        "VIRTIOFWD_SOCKET_GROUP": "",
        "VIRTIOFWD_PID_DIR": str(tmp),
        "VIRTIOFWD_FILE_PREFIX": unique("vfwdt"),
        "VIRTIOFWD_EAL_ARGS": " ".join(EAL_MEM),
    }
    base.update(control_endpoints(str(tmp)))
    base.update(variables or {})
    conf = os.path.join(str(tmp), "bad.conf")
    with open(conf, "w") as f:
        f.write(config_text(base))
    try:
        p = subprocess.run([DAEMON, "--config", conf] + list(args), capture_output=True,
                           text=True, timeout=60)
    finally:
        remove_runtime_dir(base["VIRTIOFWD_FILE_PREFIX"])
    return p.returncode, p.stderr


# ----------------------------------------------------------------------
# dpdk-testpmd peers
# ----------------------------------------------------------------------

class Pmd:
    """dpdk-testpmd in interactive mode, driven through its stdin."""

    PROMPT = "testpmd> "

    def __init__(self, vdevs, queues=1, extra_eal=(), extra=(), mbufs=16384):
        self.prefix = unique("tpmd")
        # Forwarding on CPU 0, away from the daemon's worker on CPU 1.
        argv = ["stdbuf", "-oL", TESTPMD, "-l", "0,1", "--main-lcore=1",
                "--file-prefix=" + self.prefix]
        argv += EAL_MEM + list(extra_eal)
        for v in vdevs:
            argv += ["--vdev", v]
        argv += ["--", "-i", "--no-mlockall", "--total-num-mbufs=%d" % mbufs,
                 "--rxq=%d" % queues, "--txq=%d" % queues, "--nb-cores=1"]
        argv += list(extra)
        self.proc = Proc(argv, stdin=True)
        wait_for(lambda: self.PROMPT in self.proc.out or not self.proc.alive(),
                 timeout=30, what="testpmd prompt")
        assert self.proc.alive(), "testpmd died:\n" + self.proc.output()

    def cmd(self, line, timeout=20):
        """Runs one testpmd command and returns what it printed."""
        mark = len(self.proc.out)
        self.proc.p.stdin.write((line + "\n").encode())
        self.proc.p.stdin.flush()
        wait_for(lambda: self.PROMPT in self.proc.out[mark:] or not self.proc.alive(),
                 timeout, "testpmd: " + line)
        return self.proc.out[mark:]

    def port_stats(self, port=0):
        out = self.cmd("show port stats %d" % port)
        rx = re.search(r"RX-packets:\s+(\d+)\s+RX-missed:\s+(\d+)\s+RX-bytes:\s+(\d+)", out)
        tx = re.search(r"TX-packets:\s+(\d+)\s+TX-errors:\s+(\d+)\s+TX-bytes:\s+(\d+)", out)
        assert rx and tx, out
        return {"rx_pkts": int(rx.group(1)), "rx_bytes": int(rx.group(3)),
                "tx_pkts": int(tx.group(1)), "tx_bytes": int(tx.group(3))}

    def xstats(self, port=0):
        out = self.cmd("show port xstats %d" % port)
        return {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+)\s*$", out, re.M)}

    def close(self):
        if self.proc.alive():
            try:
                self.proc.p.stdin.write(b"quit\n")
                self.proc.p.stdin.flush()
                self.proc.wait(timeout=10)
            except Exception:
                pass
        self.proc.stop()
        remove_runtime_dir(self.prefix)


# The virtio-user options of each virtqueue layout a DPDK 'guest' can
# ask for (its default is a split ring used in order).
VIRTIO_USER_RINGS = {"split": ",in_order=0", "in_order": ",in_order=1",
                     "packed": ",packed_vq=1,in_order=0",
                     "packed_in_order": ",packed_vq=1,in_order=1"}


def vm_peer(sock, queues=1, server=False, ring=None, **kw):
    """A DPDK virtio-user 'guest' on vhost-user socket 'sock'; 'ring': a
    layout of VIRTIO_USER_RINGS (None: the driver's default)."""
    vdev = "net_virtio_user0,path=%s,queues=%d" % (sock, queues)
    if ring is not None:
        vdev += VIRTIO_USER_RINGS[ring]
    if server:
        vdev += ",server=1"
    return Pmd([vdev], queues=queues, **kw)


# ----------------------------------------------------------------------
# Network namespaces and veth pairs
# ----------------------------------------------------------------------

def sh(*argv, check=True, timeout=None):
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=timeout)


# An XDP program that passes every packet (libxdp's, which DPDK's af_xdp
# driver depends on): see VethNs's 'xdp'.
XDP_PASS_OBJ = "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o"


class NetNs:
    """A network namespace of a test, named 'prefix' and a random 'tag'
    that the subclasses also give their interfaces; deleted by close(),
    with what is still in it."""

    def __init__(self, prefix):
        self.tag = uuid.uuid4().hex[:6]
        self.ns = prefix + self.tag
        sh("ip", "netns", "add", self.ns)

    @contextlib.contextmanager
    def setting_up(self):
        """Wraps a subclass's set-up: if a step fails, close() removes
        what was made so far, since no registry holds the object yet."""
        try:
            yield
        except BaseException:
            self.close()
            raise

    def ns_exec(self, *argv, check=True, timeout=None):
        return sh("ip", "netns", "exec", self.ns, *argv, check=check, timeout=timeout)

    def add_veth(self, host, peer, xdp_obj=None):
        """A veth pair: 'host' up in the root namespace, without IPv6 (its
        router solicitations would be traffic the tests did not send),
        with the XDP program 'xdp_obj' if given; 'peer' moved in here."""
        sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
        sh("ip", "link", "set", peer, "netns", self.ns)
        if xdp_obj:
            sh("ip", "link", "set", "dev", host, "xdpdrv", "obj", xdp_obj, "sec", "xdp")
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % host, check=False)
        sh("ip", "link", "set", host, "up")

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


class VethNs(NetNs):
    """A veth pair: 'host' end in this namespace, 'peer' end in a new netns.

    With 'xdp', the host end (the stand-in VF) gets an XDP program that
    passes everything: the kernel then stops the peer from sending 64 KiB
    TCP packets (its TSO reads "off [fixed]"; its checksum offload stays
    on), so that the stand-in, like a real VF's wire, carries only frames
    of the MTU.  Without it, an af_packet stand-in gets the namespace's
    bulk TCP cut to its frame size (see the man page's OFFLOADS)."""

    def __init__(self, peer_ip="10.99.0.1/24", xdp=False):
        super().__init__("vfwdt")
        self.host = "vfh" + self.tag
        self.peer = "vfp" + self.tag
        with self.setting_up():
            self.add_veth(self.host, self.peer, XDP_PASS_OBJ if xdp else None)
            self.ns_exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
            self.ns_exec("ip", "addr", "add", peer_ip, "dev", self.peer)
            self.ns_exec("ip", "link", "set", self.peer, "up")
            self.ns_exec("ip", "link", "set", "lo", "up")

    def close(self):
        sh("ip", "link", "del", self.host, check=False)
        super().close()


# The addresses of the test namespaces (HOST_IP) and of the QEMU guests
# on their wire (GUEST_IP).
HOST_IP = "10.77.0.1"
GUEST_IP = "10.77.0.2"

# The address of the test namespaces' bridges (locally administered).
BRIDGE_MAC = "02:00:00:0a:4d:01"


class BridgeNs(NetNs):
    """A namespace holding a bridge with HOST_IP and two veth pairs whose
    peers are bridge ports: the host ends 'hosts[0]' and 'hosts[1]' are
    two stand-in VFs on the same wire, so the namespace reaches the guest
    through whichever relay carries it."""

    def __init__(self, ip=HOST_IP + "/24"):
        super().__init__("vfwdm")
        self.br = "br" + self.tag
        self.hosts = ["vma%s" % self.tag, "vmb%s" % self.tag]
        self.peers = ["vpa%s" % self.tag, "vpb%s" % self.tag]
        with self.setting_up():
            self.ns_exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
            self.ns_exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", check=False)
            # A fixed address: a bridge takes its lowest port's address
            # otherwise, and a port added later (a tap) could change it
            # under the guest's ARP cache; frames to a former address that
            # arrive on another port are then dropped as not for us.
            self.ns_exec("ip", "link", "add", self.br, "address", BRIDGE_MAC, "type",
                         "bridge")
            self.ns_exec("ip", "link", "set", self.br, "type", "bridge", "stp_state", "0",
                         check=False)
            for host, peer in zip(self.hosts, self.peers):
                self.add_veth(host, peer)
                self.ns_exec("ip", "link", "set", peer, "master", self.br)
                self.ns_exec("ip", "link", "set", peer, "up")
            self.ns_exec("ip", "addr", "add", ip, "dev", self.br)
            self.ns_exec("ip", "link", "set", self.br, "up")
            self.ns_exec("ip", "link", "set", "lo", "up")

    def add_tap(self, prefix="tp"):
        """A persistent tap interface on the bridge, for a QEMU started in
        the namespace with a tap netdev (the non-relay backend); it goes
        with the namespace.  'prefix' tells two taps of one bridge apart."""
        tap = prefix + self.tag
        self.ns_exec("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        self.ns_exec("ip", "link", "set", tap, "master", self.br)
        self.ns_exec("ip", "link", "set", tap, "up")
        return tap

    def fdb_port(self, mac):
        """The bridge port (peer veth) that learned 'mac', or None."""
        out = self.ns_exec("bridge", "fdb", "show", "br", self.br, check=False).stdout
        for line in out.splitlines():
            w = line.split()
            if w and w[0].lower() == mac.lower() and "dev" in w:
                return w[w.index("dev") + 1]
        return None

    def close(self):
        for host in self.hosts:
            sh("ip", "link", "del", host, check=False)
        super().close()


# ----------------------------------------------------------------------
# Traffic through a net_vhost stand-in VF
# ----------------------------------------------------------------------

def net_vhost_spec(path, idx=1, queues=1):
    """A stand-in VF: the daemon's net_vhost port number 'idx' on socket
    'path', whose far side a peer plays (wire_peer()); queues=None leaves
    the queue count to the driver."""
    spec = "net_vhost%d,iface=%s" % (idx, path)
    return spec if queues is None else spec + ",queues=%d" % queues


def vf_spec(sockdir, name=None, queues=1, idx=1):
    """A stand-in VF on <sockdir>/<name>.sock (name: vf<idx>)."""
    return net_vhost_spec("%s/%s.sock" % (sockdir, name or "vf%d" % idx), idx, queues)


def wire_peer(path, queues=1, extra=()):
    """The far side of a net_vhost stand-in VF: a virtio-user testpmd on
    its socket plays the wire."""
    return Pmd(["net_virtio_user1,path=%s,queues=%d" % (path, queues)],
               queues=queues, extra=extra)


def settled(fn, what, timeout=20, quiet=0.3):
    """fn()'s value once two calls 'quiet' seconds apart agree: counters
    that must add up are compared only when no packet is in flight (a
    late ARP probe, a burst between a relay's rx and tx)."""
    last = [fn()]

    def same():
        time.sleep(quiet)
        v = fn()
        if v == last[0]:
            return True
        last[0] = v
        return False
    wait_for(same, timeout=timeout, what=what, interval=0)
    return last[0]


def send(tp, bursts, settle=0.5):
    """Sends bursts of 32 from testpmd 'tp' (txonly), then stops it."""
    tp.cmd("set fwd rxonly")
    tp.cmd("start tx_first %d" % bursts)
    time.sleep(settle)
    tp.cmd("stop")


def receive_start(tp):
    """Starts testpmd 'tp' receiving (and counting) everything."""
    tp.cmd("set fwd rxonly")
    tp.cmd("start")


def relay_up(d, relay):
    """The daemon's stats when relay 'relay' has a guest, else False."""
    s = d.stats()
    return s.get(relay, {}).get("info", {}).get("guest") == "connected" and s
