#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live migration under traffic toward the guest: a QEMU guest (TCG)
migrates from relay 3 to relay 4 of one daemon while a UDP generator in
the network namespace sends it RATE packets a second.  Every packet the
relay writes into the guest dirties guest memory, which precopy must send
again; this measures, for each rate and migration mode, whether the
migration finishes, its total time and downtime, QEMU's dirty page rate,
and what the guest lost.  Run through bench/migration.sh (see there and
bench/README.md).

Modes (--modes):
  precopy        QEMU's default
  auto-converge  precopy with QEMU's auto-converge (it throttles the
                 guest's vCPUs while the copy does not converge)
  postcopy       precopy for the first pass, then postcopy
                 (VIRTIOFWD_POSTCOPY=y; migrate_start_postcopy)

Each run is fresh: a daemon, the bridge namespace, the source guest
(pinging the namespace every 0.1 s), the generator, the destination.
"""

import argparse
import os
import re
import signal
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from harness import GUEST_IP, HOST_IP, BridgeNs, Daemon, Proc, Registry, wait_for  # noqa: E402
from vm import Guest, GuestKernelCrashed  # noqa: E402

MODES = ("precopy", "auto-converge", "postcopy")
PING_INTERVAL = 0.1

# The generator, run in the namespace: UDP datagrams of 'size' bytes to
# the guest's discard port at 'rate' a second (paced per millisecond),
# until SIGTERM; then prints how many it sent.
GENERATOR = r"""
import signal, socket, sys, time
ip, rate, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
data, sent, stop = b"v" * size, 0, []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
t0 = time.monotonic()
print("started", flush=True)
while not stop:
    due = int((time.monotonic() - t0) * rate)
    while sent < due and not stop:
        try:
            s.sendto(data, (ip, 9))
        except OSError:
            pass
        sent += 1
    time.sleep(0.001)
print("sent %d in %.3f s" % (sent, time.monotonic() - t0), flush=True)
"""


def info_numbers(info):
    """The numbers of 'info migrate' this bench reports."""
    out = {"status": re.search(r"Migration status: (\S+)", info).group(1)}
    for key, rx in (("total_ms", r"total time: (\d+) ms"), ("downtime_ms", r"downtime: (\d+) ms"),
                    ("dirty_rate", r"dirty pages rate: (\d+) pages"),
                    ("syncs", r"dirty sync count: (\d+)"),
                    ("transferred_kb", r"transferred ram: (\d+) kbytes"),
                    ("postcopy_requests", r"postcopy request count: (\d+)")):
        m = re.search(rx, info)
        if m:
            out[key] = int(m.group(1))
    return out


def delivered(d):
    """Packets relays 3 and 4 put in their guests' rings, and dropped
    because the ring was full."""
    s = d.stats()
    return (sum(s[r]["vf_to_vm"]["tx_pkts"] for r in (3, 4)),
            sum(s[r]["vf_to_vm"]["drop_full_pkts"] for r in (3, 4)))


def run(args, rate, mode):
    """One migration at 'rate' packets a second in 'mode'; returns a dict."""
    reg = Registry()
    tmp = tempfile.mkdtemp(prefix="vfwd-migbench.")
    try:
        net = reg.add(BridgeNs())
        d = reg.add(Daemon(tmp, {"VIRTIOFWD_STATIC_VFS": [
            "net_af_packet0,iface=%s=3" % net.hosts[0],
            "net_af_packet1,iface=%s=4" % net.hosts[1]],
            "VIRTIOFWD_POSTCOPY": "y"}))
        common = dict(peer=HOST_IP, mode="pingloop", interval=PING_INTERVAL, mem_mb=args.mem,
                      qemu=args.qemu, ring=args.ring)
        src = reg.add(Guest(tmp, d.socket(3), GUEST_IP + "/24", name="src", cpus=0, **common))
        src.wait_ready()
        src.wait_replies(5, timeout=60, what="the source guest's first pings")
        uri = "unix:%s/migrate.sock" % tmp
        dst = reg.add(Guest(tmp, d.socket(4), GUEST_IP + "/24", name="dst", cpus=1,
                            qemu_args=["-incoming", uri], **common))
        wait_for(lambda: os.path.exists(uri[5:]) or not dst.alive(), what="destination")
        gen = None
        if rate:
            gen = reg.add(Proc(["ip", "netns", "exec", net.ns, "python3", "-c", GENERATOR,
                                GUEST_IP, str(rate), str(args.size)]))
            gen.close = lambda: gen.stop()
            wait_for(lambda: "started" in gen.out, what="the generator")
        n0 = len(src.ping_replies())
        time.sleep(args.settle)
        # Whether the guest's own pings still get through the flood, and
        # the rate the guest takes, before the migration.
        pings_before = len(src.ping_replies()) - n0
        p0, f0, t0 = delivered(d) + (time.monotonic(),)
        time.sleep(2)
        p1, f1, t1 = delivered(d) + (time.monotonic(),)
        for g in (src, dst):
            if mode == "postcopy":
                g.monitor("migrate_set_capability postcopy-ram on")
        src.monitor("migrate_set_capability auto-converge %s"
                    % ("on" if mode == "auto-converge" else "off"))
        src.monitor("migrate_set_parameter max-bandwidth %dM" % args.bandwidth)
        src.monitor("migrate_set_parameter downtime-limit %d" % args.downtime)
        start = time.monotonic()
        src.monitor("migrate -d %s" % uri)
        peak, info, switched = 0, "", False
        while True:
            info = src.monitor("info migrate")
            n = info_numbers(info)
            peak = max(peak, n.get("dirty_rate", 0))
            if n["status"] in ("completed", "failed", "cancelled"):
                break
            if mode == "postcopy" and not switched and n.get("syncs", 0) >= 2:
                src.monitor("migrate_start_postcopy")
                switched = True
            if time.monotonic() - start > args.timeout:
                src.monitor("migrate_cancel")
                wait_for(lambda: "cancelled" in src.monitor("info migrate"), timeout=30,
                         what="the migration cancelled")
                n["status"] = "not converged"
                break
            time.sleep(0.2)
        wall = time.monotonic() - start
        result = dict(n, rate=rate, mode=mode, wall_s=round(wall, 1), peak_dirty_rate=peak,
                      pings_before=pings_before,
                      taken_pps=round((p1 - p0) / (t1 - t0)),
                      full_pps=round((f1 - f0) / (t1 - t0)))
        if n["status"] == "completed":
            # The last reply the source printed, and the first the
            # destination printed after it: the gap is what was lost.
            last_src = src.ping_replies()[-1]
            try:
                dst.wait_replies(len(dst.ping_replies()) + 5, timeout=60,
                                 what="pings on the destination")
                replies = [s for s in dst.ping_replies() if s > last_src]
                result["pings_lost"] = replies[0] - last_src - 1 if replies else None
            except GuestKernelCrashed as e:
                # QEMU 7.2's own page loss under TCG (tests/vm/README.md).
                result["status"] = "guest crashed"
                print(str(e)[:300], file=sys.stderr)
            except AssertionError:
                # A guest under TCG that the flood keeps busy may not get
                # to run ping at all: reported, not a failure of the run.
                result["pings_lost"] = "no reply in 60 s"
        else:
            replies = src.ping_replies()
            result["pings_lost"] = sum(b - a - 1 for a, b in zip(replies, replies[1:]))
        if gen is not None:
            gen.stop(signal.SIGTERM, timeout=10)
            m = re.search(r"sent (\d+) in ([\d.]+) s", gen.out)
            if m:
                result["offered_pps"] = round(int(m.group(1)) / float(m.group(2)))
        return result
    finally:
        errors = reg.cleanup()
        if errors:
            print("cleanup: %s" % errors, file=sys.stderr)
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="0,5000,20000,50000,100000",
                    help="packets a second toward the guest, comma-separated (default %(default)s)")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="comma-separated, of %s (default all)" % ", ".join(MODES))
    ap.add_argument("--size", type=int, default=1000, help="UDP payload bytes (default 1000)")
    ap.add_argument("--mem", type=int, default=512, help="guest memory, MB (default 512)")
    ap.add_argument("--bandwidth", type=int, default=64,
                    help="QEMU's max-bandwidth, MB/s (default 64: a loaded 1 Gb/s link)")
    ap.add_argument("--downtime", type=int, default=300,
                    help="QEMU's downtime-limit, ms (default 300, QEMU's own)")
    ap.add_argument("--timeout", type=float, default=60,
                    help="seconds before a precopy that has not converged is cancelled")
    ap.add_argument("--settle", type=float, default=3, help="seconds of traffic before")
    ap.add_argument("--qemu", choices=("7.2", "10"), default="10",
                    help="QEMU 10 (default: 7.2 loses guest pages under TCG, "
                    "tests/vm/README.md) or 7.2")
    ap.add_argument("--ring", choices=("split", "packed"), default="split")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    modes = args.modes.split(",")
    for m in modes:
        if m not in MODES:
            ap.error("unknown mode %s" % m)
    print("guest %d MB, QEMU %s, %s ring, %d-byte datagrams, max-bandwidth %d MB/s, "
          "downtime-limit %d ms, precopy given up after %.0f s"
          % (args.mem, args.qemu, args.ring, args.size, args.bandwidth, args.downtime,
             args.timeout), flush=True)
    results = []
    for rate in rates:
        for mode in modes:
            r = run(args, rate, mode)
            results.append(r)
            print("rate %(rate)d pps (taken %(taken_pps)d, ring full %(full_pps)d) %(mode)s: "
                  "%(status)s" % r + "".join(
                      ", %s %s" % (k, r[k]) for k in (
                          "wall_s", "total_ms", "downtime_ms", "peak_dirty_rate", "syncs",
                          "transferred_kb", "postcopy_requests", "pings_before", "pings_lost",
                          "offered_pps")
                      if r.get(k) is not None), flush=True)
    print("\n| offered pps | taken by the guest | mode | result | total ms | downtime ms "
          "| peak dirty pages/s | pings lost (every %.1f s) |" % PING_INTERVAL)
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("offered_pps", 0), r["taken_pps"], r["mode"], r["status"],
            r.get("total_ms", "-"), r.get("downtime_ms", "-"), r["peak_dirty_rate"],
            r["pings_lost"]))


if __name__ == "__main__":
    main()
