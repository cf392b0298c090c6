#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Python side of bench/pvp.sh: sampling the generator's counters over
DPDK telemetry, watching for CPU time used by processes other than the
benchmark's, and the arithmetic of the results.

    pvp_helper.py quiet SECONDS
    pvp_helper.py sample PREFIX WARMUP DURATION INTERVAL PID... GEN_PID
    pvp_helper.py record SAMPLES RESULTS SIZE KIND ROUND FWD_DROPS GEN_DROPS MAXFOREIGN INFO
    pvp_helper.py summary RESULTS

Run by bench/pvp.sh with Debian's /usr/bin/python3; standard library
only, and the telemetry client the integration tests use
(tests/integration/dpdk_telemetry.py).
"""

import json
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from dpdk_telemetry import Telemetry  # noqa: E402


def cpu_ticks():
    """(busy, steal) clock ticks of all CPUs since boot."""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    # user nice system idle iowait irq softirq steal ...
    return sum(v[:8]) - v[3] - v[4] - v[7], v[7]


def proc_ticks(pids):
    """utime + stime of processes 'pids' (all their threads)."""
    t = 0
    for pid in pids:
        try:
            with open("/proc/%s/stat" % pid) as f:
                rest = f.read().rsplit(")", 1)[1].split()
            t += int(rest[11]) + int(rest[12])
        except (OSError, IndexError, ValueError):
            pass
    return t


def cmd_quiet(args):
    """Prints the CPU share (percent of one CPU) used over 'args[0]' s."""
    dt = float(args[0])
    b0, s0 = cpu_ticks(); t0 = time.monotonic()
    time.sleep(dt)
    b1, s1 = cpu_ticks(); t1 = time.monotonic()
    hz = os.sysconf("SC_CLK_TCK")
    print("%.1f" % (100.0 * (b1 - b0 + s1 - s0) / hz / (t1 - t0)))


def cmd_sample(args):
    """sample PREFIX WARMUP DURATION INTERVAL PID... GEN_PID: samples the
    RX counters of the generator (EAL file prefix PREFIX) every INTERVAL s
    over DURATION s after WARMUP s; prints JSON."""
    prefix, warm, dur, step = args[0], float(args[1]), float(args[2]), float(args[3])
    pids = args[4:]
    tel = Telemetry.of(prefix)

    def writes(pid):
        # write() calls of the generator: almost all are virtio kicks
        # (eventfd writes) that a backend asked for by not suppressing
        # guest notifications.
        try:
            with open("/proc/%s/io" % pid) as f:
                return int(dict(l.split(":") for l in f)["syscw"])
        except (OSError, KeyError, ValueError):
            return 0

    time.sleep(warm)
    n = max(1, int(round(dur / step)))
    b0, st0 = cpu_ticks(); p0 = proc_ticks(pids); w0 = writes(pids[-1])
    start = time.monotonic()
    ts, rx, tx = [], [], []
    for i in range(n + 1):
        t, r, x = tel.port_packets(2)
        ts.append(t); rx.append(r); tx.append(x)
        if i < n:
            time.sleep(max(0.0, start + (i + 1) * step - time.monotonic()))
    b1, st1 = cpu_ticks(); p1 = proc_ticks(pids); w1 = writes(pids[-1])
    hz = os.sysconf("SC_CLK_TCK")
    span = ts[-1] - ts[0]
    print(json.dumps({
        "t": ts, "rx": rx, "tx": tx,
        # CPU time of everything that is not ours, percent of one CPU.
        "foreign": 100.0 * max(0, (b1 - b0) - (p1 - p0)) / hz / span,
        "steal": 100.0 * (st1 - st0) / hz / span,
        "gen_writes": (w1 - w0) / span,
    }))


def rates(r):
    """Mpps of each sampling interval of run 'r'."""
    t, rx = r["t"], r["rx"]
    return [(rx[i + 1] - rx[i]) / (t[i + 1] - t[i]) / 1e6 for i in range(len(t) - 1)]


def mpps(r):
    """Mpps of run 'r' over its whole window."""
    return (r["rx"][-1] - r["rx"][0]) / (r["t"][-1] - r["t"][0]) / 1e6


def cmd_record(args):
    """record SAMPLES RESULTS SIZE KIND ROUND FWD_DROPS GEN_DROPS MAXFOREIGN INFO"""
    with open(args[0]) as f:
        r = json.load(f)
    r.update(size=int(args[2]), kind=args[3], round=int(args[4]),
             fwd_drops=args[5], gen_drops=args[6], info=args[8])
    r["mpps"] = mpps(r)
    iv = rates(r)
    flags = []
    if r["mpps"] < 0.001:
        flags.append("LOOP-DEAD")
    elif len(iv) >= 4 and min(iv) < 0.5 * statistics.median(iv):
        flags.append("DIPS")
    if r["foreign"] > float(args[7]) or r["steal"] > float(args[7]):
        flags.append("DISTURBED")
    # The io loop holds a fixed number of packets; any loss (in practice a
    # burst the forwarder got before both of its sides were up) makes the
    # loop run with fewer packets than the other runs, so the run is redone.
    if any(d not in ("0", "?") for d in (r["fwd_drops"], r["gen_drops"])):
        flags.append("LOSS")
    r["flags"] = flags
    with open(args[1], "a") as f:
        f.write(json.dumps(r) + "\n")
    print("  round %-2d %4d B  %-3s %7.3f Mpps  [per %gs: min %.2f med %.2f max %.2f]"
          "  drops fwd=%s gen=%s  kicks=%.0fk/s  other-cpu=%.1f%%%s%s"
          % (r["round"], r["size"], r["kind"], r["mpps"],
             round(r["t"][1] - r["t"][0], 1), min(iv), statistics.median(iv), max(iv),
             r["fwd_drops"], r["gen_drops"], r.get("gen_writes", 0) / 1000,
             r["foreign"] + r["steal"],
             ("  " + r["info"]) if r["info"].strip() else "",
             ("  " + " ".join(flags)) if flags else ""), flush=True)
    # Exit status 3 asks the caller to repeat a disturbed run.
    sys.exit(3 if flags else 0)


def cmd_summary(args):
    """summary RESULTS: medians, best runs and ratios of all runs."""
    rows = [json.loads(l) for l in open(args[0]) if l.strip()]
    print()
    print("summary: Mpps the forwarder delivered (both directions); ratio = dut / ref")
    print("  runs marked * (disturbed by other load, or lost packets) are left out")
    for size in sorted({r["size"] for r in rows}):
        res = {}
        for kind in ("ref", "dut"):
            all_ = [r for r in rows if r["size"] == size and r["kind"] == kind]
            good = [r["mpps"] for r in all_ if not r["flags"]]
            res[kind] = good
            if not all_:
                continue
            runs = " ".join("%.2f%s" % (r["mpps"], "*" if r["flags"] else "")
                            for r in sorted(all_, key=lambda r: r["round"]))
            if good:
                print("  %4d B  %s  median %7.3f  best %7.3f  runs: %s"
                      % (size, kind, statistics.median(good), max(good), runs))
            else:
                print("  %4d B  %s  no undisturbed run  runs: %s" % (size, kind, runs))
        if res.get("ref") and res.get("dut"):
            mr = statistics.median(res["dut"]) / statistics.median(res["ref"])
            br = max(res["dut"]) / max(res["ref"])
            print("  %4d B  ratio  median %.3f  best %.3f  (target >= 0.98)" % (size, mr, br))
            # Runs settle in a fast or a slow mode; compare like with like.
            # A run is "fast" when within 25 % of the best run of either side.
            cut = 0.75 * max(res["ref"] + res["dut"])
            parts = []
            for mode, sel in (("fast", lambda x: x >= cut), ("slow", lambda x: x < cut)):
                r_ = [x for x in res["ref"] if sel(x)]
                d_ = [x for x in res["dut"] if sel(x)]
                txt = "%s mode: ref %d, dut %d run(s)" % (mode, len(r_), len(d_))
                if r_ and d_:
                    txt += ", median ratio %.3f" % (statistics.median(d_) / statistics.median(r_))
                parts.append(txt)
            print("  %4d B  by mode  %s" % (size, "; ".join(parts)))
    print()


def main():
    cmds = {"quiet": cmd_quiet, "sample": cmd_sample, "record": cmd_record,
            "summary": cmd_summary}
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
