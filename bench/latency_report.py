#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The report of bench/latency.sh: percentiles of the one-way latencies
its probes measured, per forwarder kind, load and direction, and the
worker's CPU use over the idle window.

    latency_report.py RESULTS KINDS INTERVALS LOAD_PPS

RESULTS holds one line per measurement, as latency.sh writes them:

    KIND ROUND idle PERMYRIAD             CPU use of the worker, 1/100 %
    KIND ROUND iINTERVAL DIRECTION US...  probes one every INTERVAL us
    KIND ROUND load DIRECTION US...       probes among LOAD_PPS fillers
    wake ROUND iINTERVAL wake US...       the wake-up probe alone

KINDS and INTERVALS are blank-separated lists, LOAD_PPS 0 when no run
under load was made.  Standard library only.
"""

import sys
from collections import defaultdict


def read_results(path):
    """({(kind, load, direction): [us, ...]}, {kind: [% of a CPU, ...]})
    from the RESULTS file at 'path'."""
    lat = defaultdict(list)
    idle = defaultdict(list)
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 4:
                continue
            if w[2] == "idle":
                idle[w[0]].append(int(w[3]) / 100.0)
            else:
                lat[(w[0], w[2], w[3])] += [float(x) for x in w[4:]]
    return lat, idle


def pct(xs, p):
    """The 'p'th percentile of 'xs' (nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * (len(xs) - 1) + 0.5))]


def report(lat, idle, kinds, intervals, load, out=sys.stdout):
    """Prints the latency table (and adaptive minus busy where both ran)
    and the idle CPU use to 'out'."""
    def put(*args):
        print(*args, file=out)
    row = "  %-17s %-9s %-9s %6d %8.1f %8.1f %8.1f %8.1f"
    loads = [("i" + i, "every %g ms" % (int(i) / 1000.0)) for i in intervals]
    if load != "0":
        loads.append(("load", "1 ms, %.1f Mpps" % (int(load) / 1e6)))
    put()
    put("one-way latency through the forwarder, microseconds")
    put("  %-17s %-9s %-9s %6s %8s %8s %8s %8s" % ("probes", "direction", "forwarder", "n",
                                                   "p50", "p99", "p99.9", "max"))
    for key, name in loads:
        for d in ("vm_to_vf", "vf_to_vm"):
            st = {}
            for k in kinds:
                xs = lat.get((k, key, d))
                if not xs:
                    continue
                st[k] = [pct(xs, 50), pct(xs, 99), pct(xs, 99.9), max(xs)]
                put(row % (name, d, k, len(xs), *st[k]))
            if "busy" in st and "adaptive" in st:
                b, a = st["busy"], st["adaptive"]
                put("  %-17s %-9s %-9s %6s %+8.1f %+8.1f %+8.1f" % (
                    "", "", "adapt-busy", "", a[0] - b[0], a[1] - b[1], a[2] - b[2]))
        xs = lat.get(("wake", key, "wake"))
        if xs:
            put(row % (name, "-", "wake", len(xs), pct(xs, 50), pct(xs, 99), pct(xs, 99.9),
                       max(xs)))
    if idle:
        put()
        put("worker thread CPU over the idle window (probe connected, silent), % of one CPU")
        for k in kinds:
            if idle[k]:
                put("  %-9s %s" % (k, "  ".join("%.1f" % v for v in idle[k])))


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lat, idle = read_results(argv[1])
    report(lat, idle, argv[2].split(), argv[3].split(), argv[4])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
