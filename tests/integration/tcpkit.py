# SPDX-License-Identifier: BSD-3-Clause
"""TCP between a QEMU guest and a network namespace, for the offload tests
(test_offload.py) and the TCP benchmark (bench/tcp.sh): a namespace for
the daemon's tap device, iperf3 runs against the guest's server, the
namespace's checksum error counters, and a capture of frame lengths."""

import json
import os
import re
import subprocess
import threading
import time

from harness import GUEST_IP, HOST_IP, NetNs, sh, wait_for

# Bytes each iperf3 run sends: enough for thousands of large packets
# under TCG (about a second), short enough for the ASan run.
NBYTES = "64M"


class TapNs(NetNs):
    """A namespace for the daemon's tap device: the test moves the tap
    interface the daemon created into it (as the stand-in VF's wire).  A
    tap without a vnet header has no offloads on the kernel side: the
    namespace's kernel segments and checksums what it sends itself."""

    def __init__(self):
        super().__init__("vfwdo")
        self.tap = "vfo" + self.tag

    def take(self, ip=HOST_IP + "/24"):
        """Moves the tap in once the daemon created it, and configures it."""
        wait_for(lambda: os.path.exists("/sys/class/net/" + self.tap), what="tap " + self.tap)
        sh("ip", "link", "set", self.tap, "netns", self.ns)
        self.ns_exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)
        self.ns_exec("ip", "addr", "add", ip, "dev", self.tap)
        self.ns_exec("ip", "link", "set", self.tap, "up")
        self.ns_exec("ip", "link", "set", "lo", "up")

    # close(): the tap goes with the daemon's device, the namespace with
    # NetNs.close().


def snmp(ns_exec):
    """The namespace's kernel counters of /proc/net/snmp: {"Tcp": {...}}."""
    out = ns_exec("cat", "/proc/net/snmp").stdout.splitlines()
    stats = {}
    for head, vals in zip(out[0::2], out[1::2]):
        proto = head.split(":")[0]
        stats[proto] = dict(zip(head.split()[1:], (int(v) for v in vals.split()[1:])))
    return stats


def csum_errors(ns_exec):
    s = snmp(ns_exec)
    return s["Tcp"]["InCsumErrors"] + s["Udp"]["InCsumErrors"]


def guest_report(g, after=0):
    """The guest's newest VFWD-SNMP line (checksum errors, byte counts)
    printed after console offset 'after'."""
    m = g.wait_line(r"^VFWD-SNMP .*$", timeout=30, start=after)
    return {k: int(v) for k, v in g.fields(m).items()}


def guest_report_now(g):
    """A VFWD-SNMP line printed from now on (the guest prints one a second)."""
    return guest_report(g, len(g.console))


# What iperf3's client says when its test did not start: the guest's
# server refused the connection or reset it (before or after accepting
# it), or was busy.
IPERF3_NOT_STARTED = re.compile(r"unable to connect to server|server is busy|"
                                r"unable to receive control message: Connection reset")

# An interval of a test that ran: a line of the text report, or an
# entry of the JSON one's "intervals".
IPERF3_INTERVAL = re.compile(r"\d+\.\d+-\d+\.\d+ +sec|\"intervals\":\s*\[\s*\{")


def iperf3_client(ns_exec, *args, timeout=120, diag=None):
    """Runs 'iperf3 -c' against the guest's server in the namespace, with
    'args', for at most 'timeout' seconds, and returns the process.
    Between two tests iperf3's server closes its listening socket and
    opens it anew, which takes a moment in a TCG guest, and it serves one
    test at a time: a connection refused, or reset before the test began
    (one that the old socket had taken in), or the server's "busy" answer,
    is tried again, for a while.  A test that began is never repeated.
    Fails if that goes on for 30 s, with what 'diag()' returns in the
    message."""
    argv = ["timeout", str(timeout), "iperf3", "-c", GUEST_IP] + list(args)
    end_by = time.monotonic() + 30
    while True:
        p = ns_exec(*argv, check=False)
        out = p.stdout + p.stderr
        not_started = IPERF3_NOT_STARTED.search(out) and not IPERF3_INTERVAL.search(out)
        if not not_started or time.monotonic() > end_by:
            break
        time.sleep(0.5)
    assert not not_started, ("the guest's iperf3 server refused, reset or was busy for 30 s: "
                             "%s %s%s" % (p.stdout[-1000:], p.stderr[-500:],
                                          "\n" + diag() if diag else ""))
    return p


def iperf(ns_exec, to_guest, nbytes=NBYTES, timeout=120, seconds=None, rate=None,
          diag=None):
    """Runs iperf3 in the namespace against the guest's server: 'to_guest'
    sends from the namespace, else from the guest (-R); 'nbytes' of data,
    or for 'seconds' at 'rate' (iperf3's -b) when given.  Returns the
    parsed JSON 'end' section; fails unless what was sent arrived, with
    what 'diag()' returns (the relay's counters, the guest's console) in
    the message."""
    argv = ["-J"]
    if seconds:
        argv += ["-t", str(seconds), "-b", rate or "0"]
        nbytes = "0M"
    else:
        argv += ["-n", nbytes]
    if not to_guest:
        argv.append("-R")
    p = iperf3_client(ns_exec, *argv, timeout=timeout, diag=diag)
    def fail(what):
        raise AssertionError("iperf3 %s: %s %s%s" % (
            what, p.stdout[-1500:], p.stderr[-500:], "\n" + diag() if diag else ""))
    try:
        out = json.loads(p.stdout)
        end = out["end"]
    except (ValueError, KeyError):
        fail("failed")
    if "error" in out:
        fail("failed")
    sent, recv = end["sum_sent"]["bytes"], end["sum_received"]["bytes"]
    # The sender stops counting when it has written its bytes; what is
    # still in flight then (its socket buffer at most) is not in the
    # receiver's count.
    if not (sent >= int(nbytes[:-1]) << 20 and recv >= sent - (8 << 20)):
        fail("lost data (sent %d, received %d)" % (sent, recv))
    return end


def mbit(end):
    return end["sum_received"]["bits_per_second"] / 1e6


class Capture:
    """tcpdump in the namespace: the lengths of the TCP frames that arrive
    on 'ifname' (link-level, Ethernet header included)."""

    def __init__(self, ns, ifname, count=400):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", ifname, "-nn",
                                   "-e", "-Q", "in", "-c", str(count), "tcp"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        self.out = ""
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        time.sleep(1)   # tcpdump attaches

    def _read(self):
        self.out = self.p.stdout.read()

    def lengths(self):
        if self.p.poll() is None:
            self.p.terminate()
        self.p.wait(timeout=10)
        self.t.join(timeout=5)
        return [int(x) for x in re.findall(r"length (\d+):", self.out)]

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=5)
