#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bulk TCP throughput (iperf3) both ways between a QEMU guest (TCG, one
vCPU, offloads on in its kernel) and a network namespace, through the
relay and through QEMU's own tap backend, in interleaved rounds; prints
the medians and their ratios.  Run through bench/tcp.sh (see there and
bench/README.md).

Cases (--cases):
  off   relay, VIRTIOFWD_TSO=n, af_packet on a veth (no offloads anywhere)
  sw    relay, offloads on, af_packet on a veth: the relay does them in
        software (the veth's stand-in side passes everything through XDP,
        so that the namespace sends frames of the MTU: harness.VethNs)
  dev   relay, offloads on, tap moved into the namespace: the device
        segments and checksums; the guest runs at MTU 1486, the largest
        whose segments DPDK 22.11's tap takes
  tap   reference: the guest on QEMU's tap backend in the namespace
        (virtio-net with vnet_hdr offloads, no forwarder)
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from harness import GUEST_IP, HOST_IP, Daemon, NetNs, Registry, VethNs  # noqa: E402
from tcpkit import TapNs, csum_errors, iperf, mbit  # noqa: E402
from vm import Guest  # noqa: E402

CASES = ("off", "sw", "dev", "tap")
DIRS = ("to_guest", "from_guest")


class TapBackendNs(NetNs):
    """The reference's namespace: a tap for QEMU's own backend, holding
    the namespace's address."""

    def __init__(self):
        super().__init__("vfwdb")
        self.tap = "vbt" + self.tag
        with self.setting_up():
            self.ns_exec("ip", "tuntap", "add", "dev", self.tap, "mode", "tap")
            self.ns_exec("ip", "addr", "add", HOST_IP + "/24", "dev", self.tap)
            self.ns_exec("ip", "link", "set", self.tap, "up")
            self.ns_exec("ip", "link", "set", "lo", "up")


def run_case(case, args, tmp):
    """One case: sets it up, boots the guest, runs iperf3 both ways;
    returns ({dir: Mbit/s}, a note) and tears everything down."""
    reg = Registry()
    sockdir = tempfile.mkdtemp(dir=tmp)
    append = ["vfwd.iperf=1"]
    try:
        if case == "tap":
            net = reg.add(TapBackendNs())
            g = reg.add(Guest(sockdir, None, GUEST_IP + "/24", mode="idle", cpus=args.qemu_cpu,
                              append=append, tap=net.tap, netns=net.ns))
            d = None
        else:
            conf = {"VIRTIOFWD_EAL_ARGS": "--no-huge -m 1024 --no-pci",
                    "VIRTIOFWD_CPU_MASK": str(args.worker_cpu),
                    "VIRTIOFWD_MASTER_LCORE": str(1 - args.worker_cpu),
                    "VIRTIOFWD_LOG_LEVEL": "6",
                    "VIRTIOFWD_POLL_MODE": args.poll_mode}
            if case == "dev":
                net = reg.add(TapNs())
                conf["VIRTIOFWD_STATIC_VFS"] = ["net_tap0,iface=%s=3" % net.tap]
                append.append("vfwd.mtu=1486")
            else:
                net = reg.add(VethNs(HOST_IP + "/24", xdp=True))
                conf["VIRTIOFWD_STATIC_VFS"] = ["net_af_packet0,iface=%s=3" % net.host]
                if case == "off":
                    conf["VIRTIOFWD_TSO"] = "n"
            d = reg.add(Daemon(sockdir, conf))
            if case == "dev":
                net.take()
            g = reg.add(Guest(sockdir, d.socket(3), GUEST_IP + "/24", mode="idle",
                              cpus=args.qemu_cpu, append=append))
        g.wait_ready()
        errs0 = csum_errors(net.ns_exec)
        # A first short run warms the path (ARP, the iperf3 server).
        iperf(net.ns_exec, to_guest=True, nbytes="4M")
        out = {}
        note = ""
        for direction in DIRS:
            # A run iperf3 itself breaks off (its control connection reset
            # by the guest's server, seen once in dozens) is run again.
            for attempt in range(3):
                try:
                    end = iperf(net.ns_exec, to_guest=direction == "to_guest",
                                seconds=args.seconds, timeout=args.seconds + 60)
                    break
                except AssertionError as e:
                    if attempt == 2:
                        raise
                    note += "%s run repeated (%s) " % (direction, str(e).split("\n")[-3])
                    time.sleep(3)    # the server ends the broken test first
            out[direction] = mbit(end)
        if csum_errors(net.ns_exec) != errs0:
            note = "checksum errors in the namespace"
        if d is not None:
            s = d.stats()[3]
            drops = sum(s[dr][k] for dr in ("vf_to_vm", "vm_to_vf") for k in s[dr]
                        if k.startswith("drop_") and k.endswith("_pkts"))
            if drops:
                note += " relay drops %d (%s)" % (drops, ", ".join(
                    "%s %s=%d" % (dr, k, s[dr][k]) for dr in ("vf_to_vm", "vm_to_vf")
                    for k in s[dr] if k.startswith("drop_") and k.endswith("_pkts")
                    and s[dr][k]))
        return out, note.strip()
    finally:
        errors = reg.cleanup()
        if errors:
            print("cleanup: %s" % errors, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-r", "--rounds", type=int, default=3, help="interleaved rounds (3)")
    ap.add_argument("-t", "--seconds", type=int, default=10,
                    help="seconds of each iperf3 run (10)")
    ap.add_argument("-c", "--cases", default=",".join(CASES),
                    help="comma-separated, of %s (all)" % ", ".join(CASES))
    ap.add_argument("-p", "--poll-mode", default="busy", choices=("busy", "adaptive"),
                    help="the daemon's VIRTIOFWD_POLL_MODE (busy)")
    ap.add_argument("--worker-cpu", type=int, default=1, choices=(0, 1),
                    help="the daemon's worker CPU; the main lcore is the other (1)")
    ap.add_argument("--qemu-cpu", type=int, default=0, help="QEMU's CPU (0)")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    bad = [c for c in cases if c not in CASES]
    if bad or not cases:
        ap.error("--cases: unknown %s; allowed %s" % (",".join(bad) or "(none)",
                                                      ", ".join(CASES)))
    if args.rounds < 1 or args.seconds < 1:
        ap.error("--rounds and --seconds must be at least 1")

    tmp = tempfile.mkdtemp(prefix="vfwd-tcp.")
    results = {c: {d: [] for d in DIRS} for c in cases}
    t0 = time.monotonic()
    print("tcp: %d round(s) of %s, iperf3 %d s each way; guest TCG on CPU %d, worker on "
          "CPU %d (%s polling)" % (args.rounds, ",".join(cases), args.seconds,
                                   args.qemu_cpu, args.worker_cpu, args.poll_mode))
    for r in range(args.rounds):
        # Each round in another order, so that no case always runs first.
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for c in order:
            out, note = run_case(c, args, tmp)
            for d in DIRS:
                results[c][d].append(out[d])
            print("  round %d %-4s to guest %7.1f  from guest %7.1f Mbit/s%s"
                  % (r + 1, c, out["to_guest"], out["from_guest"],
                     ("  (" + note + ")") if note else ""), flush=True)

    med = {c: {d: statistics.median(results[c][d]) for d in DIRS} for c in cases}
    print("\nmedians, Mbit/s (min-max over %d rounds):" % args.rounds)
    print("  %-5s %24s %24s" % ("case", "namespace to guest", "guest to namespace"))
    for c in cases:
        print("  %-5s %24s %24s" % (c, *("%.0f (%.0f-%.0f)" % (med[c][d], min(results[c][d]),
                                                               max(results[c][d]))
                                         for d in DIRS)))
    print("\nratios of the medians:")
    for a, b in (("sw", "off"), ("dev", "off"), ("sw", "tap"), ("dev", "tap"),
                 ("off", "tap")):
        if a in med and b in med:
            print("  %-3s / %-3s  to guest %5.2f  from guest %5.2f" % (
                a, b, *(med[a][d] / med[b][d] if med[b][d] else float("nan")
                        for d in DIRS)))
    print("\ntime: %.0f s" % (time.monotonic() - t0))
    os.rmdir(tmp) if not os.listdir(tmp) else None


if __name__ == "__main__":
    main()
