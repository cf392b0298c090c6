# SPDX-License-Identifier: BSD-3-Clause
"""A real SR-IOV VF for the tests, without SR-IOV hardware.

L1 is a QEMU 10 guest (TCG, from bookworm-backports: tests/vm/fetch-qemu.sh)
with QEMU's emulated Intel 82576 (`-device igb`), whose VFs (8086:10ca)
DPDK drives through vfio-pci (an emulated intel-iommu: Debian's kernel
has no vfio no-IOMMU mode).  The PF's wire is a tap in a network namespace
of the host, so the host's namespace talks to whatever sits behind a VF.
L1 runs the host's own programs (the daemon under test, dpdk-testpmd,
ovsdb-server) from the host's / shared read-only over 9p, and a test
agent (tests/vm/realvf-agent.py) on a virtio serial port runs commands
for the host.  Files the tests exchange (configuration, logs) are on a
second, read-write 9p share at the same path on both sides.

Facts this relies on (doc: ../shared/design-notes.md of the project, "A
real SR-IOV VF without hardware"): QEMU 10.0.2 loses VF BARs placed above
4 GiB, so L1 has at most 2560 MiB; the PF sets the VF's MAC, and the
virtio peer uses the same MAC.
"""

import json
import os
import re
import socket
import time
import uuid

from harness import BUILD, DAEMON, CTL, TESTPMD, config_text, parse_stats, sh, wait_for
import vm

# The DPDK plugins L1's EAL sees (tests/vm/init-realvf, vfwd.pmds): the
# PCI and vdev buses, the ring mempool, the igb VF and virtio-user drivers.
PMDS = "bus_pci,bus_vdev,mempool_ring,net_e1000,net_virtio"
PF_MAC = "52:54:00:aa:00:01"
WIRE_IP = "10.98.0.1"           # the host namespace's end of the PF's wire


def vf_mac(i):
    """The MAC the PF gives VF 'i', and its virtio peer takes."""
    return "52:54:00:aa:01:%02x" % (i + 1)


def vf_ip(i):
    return "10.98.0.%d" % (10 + i)


class L1(vm.Guest):
    """The L1 guest: QEMU 10, q35 with intel-iommu, an igb PF behind a
    pcie-root-port on the tap 'tap' of namespace 'netns', the host's / and
    'share' over 9p, the agent on a virtio serial port.  run() and sh()
    run shell commands in it."""

    def __init__(self, tmp, share, netns, tap, name="l1", mem_mb=2560, cpus=2):
        k = vm.kit("realvf")
        q = vm.qemu10()
        self.name = name
        self.tmp = str(tmp)
        self.share = str(share)
        self.monitor_path = os.path.join(self.tmp, name + ".mon")
        self.agent_path = os.path.join(self.tmp, name + ".agent")
        assert mem_mb <= 2560, "QEMU 10.0.2 loses VF BARs above 4 GiB: keep L1 <= 2560 MiB"
        params = ["console=ttyS0", "quiet", "panic=-1", "mitigations=off",
                  "intel_iommu=on", "iommu=pt", "ipv6.disable=1",
                  "vfwd.share=vfwdshare:" + self.share,
                  "vfwd.agent=" + os.path.join(vm.REPO, "tests", "vm", "realvf-agent.py"),
                  "vfwd.pmds=" + PMDS, "vfwd.hugepages=512",
                  # The source tree and the build stay visible in L1 even
                  # under /tmp, which L1 covers with its own tmpfs.
                  "vfwd.keep=" + ",".join(sorted({os.path.realpath(vm.REPO),
                                                  os.path.realpath(BUILD)}))]
        self.argv = ["ip", "netns", "exec", netns, "env",
                     "QEMU_MODULE_DIR=" + q["QEMU_MODULES"], q["QEMU"],
                     "-L", q["QEMU_DATA"], "-L", q["QEMU_BIOS"],
                     "-accel", "tcg", "-machine", "q35,kernel-irqchip=split",
                     "-cpu", "max", "-smp", str(cpus), "-m", str(mem_mb),
                     "-nodefaults", "-no-user-config", "-no-reboot",
                     "-device", "intel-iommu,intremap=on",
                     "-kernel", k["KERNEL"], "-initrd", k["INITRD"],
                     "-append", " ".join(params),
                     "-display", "none", "-serial", "stdio",
                     "-monitor", "unix:%s,server=on,wait=off" % self.monitor_path,
                     "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,"
                     "readonly=on,multidevs=remap",
                     "-virtfs", "local,path=%s,mount_tag=vfwdshare,security_model=none,"
                     "multidevs=remap" % self.share,
                     "-device", "virtio-serial-pci",
                     "-chardev", "socket,id=agent,path=%s,server=on,wait=off" % self.agent_path,
                     "-device", "virtserialport,chardev=agent,name=vfwd.agent",
                     "-netdev", "tap,id=pf0,ifname=%s,script=no,downscript=no,vhost=off" % tap,
                     "-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
                     "-device", "igb,netdev=pf0,bus=rp1,mac=%s,romfile=" % PF_MAC]
        self.t0 = time.monotonic()
        self.proc = vm.Proc(self.argv)
        self._sock = None
        self._buf = b""
        self._id = 0

    def connect_agent(self, timeout=120):
        """Waits for the agent; returns the seconds since QEMU started."""
        self.wait_line(r"^VFWD-AGENT .*$", timeout)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.agent_path)
        self._sock = s
        self._read_line(timeout=60)          # {"ready": true}
        self.ready_s = time.monotonic() - self.t0
        return self.ready_s

    def _read_line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = end - time.monotonic()
            if left <= 0 or not self.alive():
                raise AssertionError("%s: no answer from the agent:\n%s"
                                     % (self.name, self.console[-3000:]))
            self._sock.settimeout(min(left, 1.0))
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("%s: agent connection closed" % self.name)
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def run(self, cmd, timeout=60):
        """Runs shell command 'cmd' in L1; returns (status, output)."""
        self._id += 1
        self._sock.sendall(json.dumps({"id": self._id, "cmd": cmd, "timeout": timeout})
                           .encode() + b"\n")
        while True:
            r = self._read_line(timeout + 30)
            if r.get("id") == self._id:
                return r["rc"], r["out"]

    def sh(self, cmd, timeout=60):
        """Runs 'cmd' in L1 and fails unless it exits 0; returns its output."""
        rc, out = self.run(cmd, timeout)
        assert rc == 0, "L1: %s: exit %d:\n%s" % (cmd, rc, out)
        return out

    def spawn(self, argv, log, out=None):
        """Starts a background process in L1 (own session, stderr and
        stdout to file 'log', or stdout to file 'out'); returns its PID."""
        cmd = "setsid %s </dev/null >%s 2>%s & echo $!" % (
            " ".join("'%s'" % a for a in argv), out or log, log if out else "&1")
        return int(self.sh(cmd).strip())

    def stop_process(self, pid, sig="TERM", then=""):
        """Sends 'sig' to process 'pid' in L1, waits up to 10 s for it to
        end, kills it otherwise, then runs shell command 'then'."""
        if self.alive():
            self.run("kill -%s %d; for i in $(seq 100); do kill -0 %d 2>/dev/null || break; "
                     "sleep 0.1; done; kill -9 %d 2>/dev/null; %s"
                     % (sig, pid, pid, pid, then or "true"), timeout=30)

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        super().close()
        try:
            os.unlink(self.agent_path)
        except FileNotFoundError:
            pass


class WireNs:
    """The host's network namespace at the far end of the PF's wire: QEMU
    runs in it and creates the tap there."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.ns = "vfwdrv" + tag
        self.tap = "rvtap" + tag
        sh("ip", "netns", "add", self.ns)
        self.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        self.exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", check=False)
        self.exec("ip", "link", "set", "lo", "up")

    def exec(self, *argv, check=True, timeout=None):
        import subprocess
        return subprocess.run(["ip", "netns", "exec", self.ns] + list(argv), check=check,
                              capture_output=True, text=True, timeout=timeout)

    def tap_up(self):
        """Gives the tap (which QEMU created) its address once it exists."""
        wait_for(lambda: self.exec("ip", "link", "show", self.tap, check=False).returncode == 0,
                 timeout=30, what="tap %s" % self.tap)
        self.exec("ip", "addr", "add", WIRE_IP + "/24", "dev", self.tap)
        self.exec("ip", "link", "set", self.tap, "up")

    def tap_counters(self):
        """The tap's RX/TX packets and drops (ip -s link)."""
        out = self.exec("ip", "-s", "-s", "link", "show", self.tap).stdout
        rx = re.search(r"RX:.*\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out)
        tx = re.search(r"TX:.*\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out)
        return {"rx_packets": int(rx.group(2)), "rx_dropped": int(rx.group(4)),
                "tx_packets": int(tx.group(2)), "tx_dropped": int(tx.group(4))}

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


class L1Daemon:
    """The daemon under test, run in L1: configuration and log on the
    share, sockets on L1's /run (tmpfs)."""

    def __init__(self, l1, name, variables, wait_ready=True):
        self.l1 = l1
        self.name = name
        self.run_dir = "/run/" + name
        self.prefix = name
        self.vars = {
            "VIRTIOFWD_CPU_MASK": "1",
            "VIRTIOFWD_MASTER_LCORE": "0",
            "VIRTIOFWD_LOG_LEVEL": "7",
            "VIRTIOFWD_SOCKET_DIR": self.run_dir,
            "VIRTIOFWD_SOCKET_OWNER": "",
            "VIRTIOFWD_SOCKET_GROUP": "",
            "VIRTIOFWD_PID_DIR": self.run_dir,
            "VIRTIOFWD_FILE_PREFIX": self.prefix,
            "VIRTIOFWD_EAL_ARGS": "-m 256",
            "VIRTIOFWD_HUGETLBFS_MOUNT_POINT": "/dev/hugepages",
            "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": "ipc://%s/port_control" % self.run_dir,
            "VIRTIOFWD_ZMQ_STATS_EP": "ipc://%s/stats" % self.run_dir,
            "VIRTIOFWD_ZMQ_CORE_SCHED_EP": "ipc://%s/core_sched" % self.run_dir,
        }
        self.vars.update(variables)
        self.conf = os.path.join(l1.share, name + ".conf")
        self.log = os.path.join(l1.share, name + ".log")
        self.out = os.path.join(l1.share, name + ".out")       # stats dumps
        with open(self.conf, "w") as f:
            f.write(config_text(self.vars))
        l1.sh("mkdir -p %s" % self.run_dir)
        self.pid = l1.spawn([DAEMON, "--config", self.conf], self.log, self.out)
        if wait_ready:
            self.wait_log("]: ready", timeout=120)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.l1.run("kill -0 %d" % self.pid)[0] == 0

    def wait_log(self, text, timeout=60, start=0):
        def seen():
            t = self.text()
            if text in t[start:]:
                return True
            assert self.alive(), "%s died:\n%s" % (self.name, t[-4000:])
            return False
        wait_for(seen, timeout=timeout, what="%s log: %s" % (self.name, text), interval=0.3)

    def stats(self, timeout=30):
        """A stats dump (SIGUSR1), parsed (harness.parse_stats)."""
        def out():
            with open(self.out, errors="replace") as f:
                return f.read()
        mark = len(out())
        self.l1.sh("kill -USR1 %d" % self.pid)
        wait_for(lambda: "stats end" in out()[mark:], timeout, "stats dump", interval=0.2)
        block = out()[mark:]
        return parse_stats(block[block.index("stats begin"):block.index("stats end")])

    def ctl(self, *args, timeout=60):
        """vfwdctl against this daemon: (status, output)."""
        return self.l1.run("%s --port-control-ep=%s %s" % (
            CTL, self.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"], " ".join(args)), timeout)

    def close(self):
        # Once only: a second kill could hit a process that took the PID.
        if getattr(self, "closed", False):
            return
        self.closed = True
        if self.l1.alive() and self.alive():
            self.l1.stop_process(self.pid, then="rm -rf /var/run/dpdk/" + self.prefix)


class L1Testpmd:
    """dpdk-testpmd in L1 with a virtio-user port per relay socket, in
    icmpecho mode: it answers ARP and ping for the host's namespace, as a
    guest on the VF would."""

    def __init__(self, l1, name, socks_macs):
        self.l1 = l1
        self.prefix = name
        self.log = os.path.join(l1.share, name + ".log")
        argv = ["stdbuf", "-oL", TESTPMD, "-l", "0,1", "--main-lcore=0",
                "--file-prefix=" + name, "-m", "256", "--no-pci",
                # One file per memory segment list: vhost-user takes at
                # most 8 memory regions, and 2 MiB pages would be 128.
                "--single-file-segments"]
        for i, (sock, mac) in enumerate(socks_macs):
            argv += ["--vdev", "net_virtio_user%d,path=%s,mac=%s" % (i, sock, mac)]
        argv += ["--", "--forward-mode=icmpecho", "--auto-start", "--no-mlockall",
                 "--total-num-mbufs=4096", "--stats-period=3600"]
        self.pid = l1.spawn(argv, self.log)
        self.argv = argv

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def close(self):
        if getattr(self, "closed", False):
            return
        self.closed = True
        self.l1.stop_process(self.pid, "INT", then="rm -rf /var/run/dpdk/" + self.prefix)


class L1Ovsdb:
    """A private ovsdb-server in L1 (the host's Open vSwitch binaries, over
    the 9p root), its database and socket on L1's /run: the test_ovsdb.py
    server's set-up, run in L1 so that the daemon there maps interfaces
    through L1's own sysfs.  Bridge br0 is made at start."""

    def __init__(self, l1, name):
        from test_ovsdb import SCHEMA
        self.l1 = l1
        self.dir = "/run/" + name
        self.sock = self.dir + "/db.sock"
        self.log = os.path.join(l1.share, name + ".log")
        l1.sh("mkdir -p {d} && ovsdb-tool create {d}/conf.db {s}".format(d=self.dir, s=SCHEMA))
        self.pid = l1.spawn(["ovsdb-server", self.dir + "/conf.db", "--remote=punix:" + self.sock,
                             "--no-chdir", "--unixctl=%s/ovs.ctl" % self.dir,
                             "--pidfile=%s/ovs.pid" % self.dir], self.log)
        l1.sh("for i in $(seq 100); do [ -S %s ] && exit 0; sleep 0.1; done; exit 1" % self.sock)
        self.vsctl("init")
        self.vsctl("add-br", "br0")

    def vsctl(self, *args):
        import shlex
        return self.l1.sh("ovs-vsctl --db=unix:%s --no-wait --timeout=10 %s" % (
            self.sock, " ".join(shlex.quote(a) for a in args)))

    def close(self):
        if getattr(self, "closed", False):
            return
        self.closed = True
        self.l1.stop_process(self.pid, then="rm -rf " + self.dir)
