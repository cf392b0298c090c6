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
4 GiB, so L1 has at most 2560 MiB.  Nothing is set on a VF by hand: its
igb VF starts with MAC 00:00:00:00:00:00 (DPDK's igbvf then picks a
random one), and the daemon sets the guest's MAC on it through the PF, as
the relay's VF port profile says.

This host's kernel has no 802.1Q support (no VLAN sub-interfaces, no
VLAN-filtering bridge), so the namespace's VLAN side is the test's own:
WireNs.wire() sends and receives raw frames on the tap, tagged or not.
"""

import bisect
import json
import os
import re
import socket
import time

from harness import BUILD, DAEMON, CTL, TESTPMD, NetNs, config_text, parse_stats, wait_for
import vm

# The DPDK plugins L1's EAL sees (tests/vm/init-realvf, vfwd.pmds): the
# PCI and vdev buses, the ring mempool, the igb VF and virtio-user drivers.
PMDS = "bus_pci,bus_vdev,mempool_ring,net_e1000,net_virtio"
PF_MAC = "52:54:00:aa:00:01"
WIRE_IP = "10.98.0.1"           # the host namespace's end of the PF's wire


def guest_mac(i):
    """The MAC of the "guest" (the virtio peer) behind VF 'i'; the daemon
    sets it on the VF (a port profile), never the test."""
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
        self.name = name
        self.tmp = str(tmp)
        self.share = str(share)
        self.monitor_path = os.path.join(self.tmp, name + ".mon")
        self.agent_path = os.path.join(self.tmp, name + ".agent")
        assert mem_mb <= 2560, "QEMU 10.0.2 loses VF BARs above 4 GiB: keep L1 <= 2560 MiB"
        # loglevel=5 rather than quiet: warnings, and so the CPU backtraces
        # of an RCU stall report, reach the console.  nohz_full=1: CPU 1
        # is where the daemon's worker and testpmd poll, as on a host
        # tuned for DPDK.  Without it, under a busy host, TCG delivered
        # that vCPU no timer ticks for minutes while it polled in user
        # space; RCU, which waits for a tick there, stalled (the console
        # showed CPU 1 in rte-worker-1, "2 ticks this GP"), and with it
        # everything in L1 that waits for a grace period, the agent too.
        params = ["console=ttyS0", "loglevel=5", "panic=-1", "mitigations=off",
                  "nohz_full=1", "rcu_nocbs=1",
                  # A task blocked for 20 s has its stack on the console,
                  # before the agent's 90 s are up (a stress run's L1
                  # stopped answering with both vCPUs free, the daemon's
                  # log cut off in a VF probe: a task blocked, on what is
                  # not known yet).
                  "sysctl.kernel.hung_task_timeout_secs=20",
                  "intel_iommu=on", "iommu=pt", "ipv6.disable=1",
                  "vfwd.share=vfwdshare:" + self.share,
                  "vfwd.agent=" + os.path.join(vm.REPO, "tests", "vm", "realvf-agent.py"),
                  "vfwd.pmds=" + PMDS, "vfwd.hugepages=512",
                  # The source tree and the build stay visible in L1 even
                  # under /tmp, which L1 covers with its own tmpfs.
                  "vfwd.keep=" + ",".join(sorted({os.path.realpath(vm.REPO),
                                                  os.path.realpath(BUILD)}))]
        self.argv = ["ip", "netns", "exec", netns] + vm.qemu_argv("10") + [
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
        # The kernel's symbols, for where_cpus() once L1 may no longer
        # answer (Debian's System.map is a placeholder).
        self.kallsyms = os.path.join(self.share, "kallsyms")
        self.sh("grep -i ' [tw] ' /proc/kallsyms > %s" % self.kallsyms)
        return self.ready_s

    def _read_line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = end - time.monotonic()
            if left <= 0 or not self.alive():
                raise AssertionError("%s: no answer from the agent (QEMU %s; %s):\n%s"
                                     % (self.name, "running" if self.alive() else "exited",
                                        self.where_cpus(), self.console[-3000:]))
            self._sock.settimeout(min(left, 1.0))
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                # L1 went away: say how (QEMU's status, the console's end).
                time.sleep(1)
                raise AssertionError("%s: agent connection closed (QEMU %s):\n%s"
                                     % (self.name, "running" if self.alive() else "exited",
                                        self.console[-3000:]))
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def where_cpus(self):
        """Where each vCPU of L1 is, from the monitor's registers and the
        kernel's symbols ("cpu N: function+offset [mode]"): what a hung
        L1 was doing when its agent stopped answering."""
        try:
            regs = self.monitor("info registers -a", timeout=5)
            syms = []
            with open(self.kallsyms) as f:
                for line in f:
                    a, kind, name = line.split()[:3]
                    if kind in "tTwW":
                        syms.append((int(a, 16), name))
            syms.sort()
            addrs = [a for a, _ in syms]
        except (OSError, ValueError, IndexError, AttributeError) as e:
            return "vCPUs unknown: %s" % e
        out = []
        for cpu, (rip, cpl) in enumerate(re.findall(r"RIP=([0-9a-f]+).*?CPL=(\d)", regs, re.S)):
            rip = int(rip, 16)
            i = bisect.bisect_right(addrs, rip) - 1
            where = ("%s+0x%x" % (syms[i][1], rip - addrs[i])) if i >= 0 and cpl == "0" \
                else "0x%x" % rip
            out.append("cpu %d: %s [%s]" % (cpu, where, "kernel" if cpl == "0" else "user"))
        return "; ".join(out) or "vCPUs unknown: %r" % regs[-300:]

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


# Run in the wire's namespace (WireNs.wire): sends raw frames on one
# interface and records every frame the other receives, with its time in
# seconds from the start, source and destination MAC, kind (arp-request,
# arp-reply, echo-request, echo-reply, or the ethertype) and 802.1Q TCI
# (None: untagged).  The kernel hands a received tag over as metadata
# (PACKET_AUXDATA) or leaves it in the frame: both are read.  Arguments,
# one JSON object: "send", "listen" (interfaces), "ip" (the source IP),
# "vlan" (a TCI to tag what is sent with, or null), "duration" (s); "arp"
# (IPs to ask for in broadcast ARP requests) at "arp_at" (s); "echo":
# [MAC, IP, period] for ICMP echo requests to MAC and IP every period.
WIRE_SCRIPT = r"""
import json, select, socket, struct, sys, time

a = json.loads(sys.argv[1])
ETH_P_ALL, SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 3, 263, 8, 0x10


def mac_text(b):
    return ":".join("%02x" % x for x in b)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
rx.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
rx.bind((a["listen"], 0))
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind((a["send"], 0))
me = tx.getsockname()[4]
my_ip = socket.inet_aton(a["ip"])


def l2(dst, etype):
    tag = b"" if a.get("vlan") is None else struct.pack("!HH", 0x8100, a["vlan"])
    return dst + me + tag + struct.pack("!H", etype)


def arp_request(target):
    return (l2(b"\xff" * 6, 0x0806) + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + me +
            my_ip + b"\0" * 6 + socket.inet_aton(target))


def echo_request(mac, ip, seq):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x7766, seq) + b"vfwd" * 8
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1, 0, my_ip,
                      socket.inet_aton(ip))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return l2(bytes(int(x, 16) for x in mac.split(":")), 0x0800) + iph + icmp


t0 = time.monotonic()
events, sent = [], []
arp_at, echo, end = a.get("arp_at"), a.get("echo"), a["duration"]
next_echo, seq = 0.0, 0
while True:
    now = time.monotonic() - t0
    if now >= end:
        break
    if arp_at is not None and now >= arp_at:
        for target in a["arp"]:
            tx.send(arp_request(target))
        sent.append(["arp", now])
        arp_at = None
    if echo and now >= next_echo:
        seq += 1
        tx.send(echo_request(echo[0], echo[1], seq))
        sent.append(["echo", now])
        next_echo = now + echo[2]
    wake = min(end, next_echo if echo else end, end if arp_at is None else arp_at) - now
    if not select.select([rx], [], [], max(wake, 0))[0]:
        continue
    data, anc, _, addr = rx.recvmsg(65536, socket.CMSG_SPACE(20))
    t = time.monotonic() - t0
    if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
        continue
    tci = None
    for level, kind, val in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(val) >= 20:
            status, _, _, _, _, vtci, _ = struct.unpack("IIIHHHH", val[:20])
            if status & TP_STATUS_VLAN_VALID:
                tci = vtci
    etype, off = struct.unpack("!H", data[12:14])[0], 14
    if etype == 0x8100 and len(data) >= 18:
        tci = struct.unpack("!H", data[14:16])[0]
        etype, off = struct.unpack("!H", data[16:18])[0], 18
    kind = "0x%04x" % etype
    if etype == 0x0806 and len(data) >= off + 28:
        kind = "arp-reply" if data[off + 7] == 2 else "arp-request"
    elif etype == 0x0800 and len(data) >= off + 21 and data[off + 9] == 1:
        kind = {0: "echo-reply", 8: "echo-request"}.get(data[off + 20], "icmp")
    events.append([round(t, 4), mac_text(data[6:12]), mac_text(data[0:6]), kind, tci])
print(json.dumps({"events": events, "sent": sent}))
"""


class WireNs(NetNs):
    """The host's network namespace at the far end of the PF's wire: QEMU
    runs in it and creates the tap there."""

    def __init__(self):
        super().__init__("vfwdrv")
        self.tap = "rvtap" + self.tag
        with self.setting_up():
            self.ns_exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
            self.ns_exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", check=False)
            self.ns_exec("ip", "link", "set", "lo", "up")

    def tap_up(self):
        """Gives the tap (which QEMU created) its address once it exists."""
        wait_for(lambda: self.ns_exec("ip", "link", "show", self.tap, check=False).returncode == 0,
                 timeout=30, what="tap %s" % self.tap)
        self.ns_exec("ip", "addr", "add", WIRE_IP + "/24", "dev", self.tap)
        self.ns_exec("ip", "link", "set", self.tap, "up")

    def tap_counters(self):
        """The tap's RX/TX packets and drops (ip -s link)."""
        out = self.ns_exec("ip", "-s", "-s", "link", "show", self.tap).stdout
        rx = re.search(r"RX:.*\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out)
        tx = re.search(r"TX:.*\n\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out)
        return {"rx_packets": int(rx.group(2)), "rx_dropped": int(rx.group(4)),
                "tx_packets": int(tx.group(2)), "tx_dropped": int(tx.group(4))}

    def neigh(self, ip, mac):
        """A fixed neighbour: 'ip' is at 'mac' (no ARP, which testpmd's
        icmpecho answers for any address on every port that hears it)."""
        self.ns_exec("ip", "neigh", "replace", ip, "lladdr", mac, "dev", self.tap, "nud",
                  "permanent")

    def wire(self, duration, vlan=None, arp=(), arp_at=0.05, echo=None):
        """Raw frames on the tap for 'duration' seconds (WIRE_SCRIPT):
        broadcast ARP requests for the IPs 'arp' at 'arp_at' s, ICMP echo
        requests 'echo' = (MAC, IP, period), tagged with TCI 'vlan' when
        given.  Returns {"events": [[t, src, dst, kind, tci], ...],
        "sent": [[what, t], ...]}, times in s from the start."""
        args = {"send": self.tap, "listen": self.tap, "ip": WIRE_IP, "vlan": vlan,
                "duration": duration, "arp": list(arp), "arp_at": arp_at if arp else None,
                "echo": list(echo) if echo else None}
        p = self.ns_exec("python3", "-c", WIRE_SCRIPT, json.dumps(args), check=False,
                      timeout=duration + 30)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def echo(self, mac, ip, count=5, period=0.1, vlan=None):
        """'count' ICMP echo requests to 'mac' and 'ip' (tagged with TCI
        'vlan' when given), each 'period' s; returns the replies from
        'mac' as events (wire())."""
        r = self.wire(count * period + 0.6, vlan=vlan, echo=(mac, ip, period))
        assert len([s for s in r["sent"] if s[0] == "echo"]) >= count, r["sent"]
        return [e for e in r["events"] if e[1] == mac and e[3] == "echo-reply"]

    def arp_probe(self, ip, listen=1.0):
        """A broadcast ARP request for 'ip' (it reaches every VF; each
        testpmd guest answers it with its own MAC as the source); returns
        the ARP replies as events (wire())."""
        r = self.wire(listen, arp=[ip])
        return [e for e in r["events"] if e[3] == "arp-reply"]

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

    def relay_json(self, relay):
        """Relay 'relay' in the stats service's answer (vfwdctl stats
        --json, endpoints from the configuration file)."""
        out = self.l1.sh("%s --config=%s stats --json -r %d" % (CTL, self.conf, relay))
        return json.loads(out)["relay"][0]

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
