#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Python side of bench/cost.sh: the generator's counters over DPDK
telemetry, the counted window, the callgrind dumps, the arithmetic.

    cost_helper.py flowing PREFIX NPORTS TIMEOUT
    cost_helper.py window PREFIX NPORTS PID VGDB_PREFIX WINDOW
    cost_helper.py analyse KIND SIZE IDLE_GLOB IDLE_JSON DUMP_GLOB WINDOW_JSON RESULTS EXPECTED_BURST TRY
    cost_helper.py idle DUMP_GLOB WINDOW_JSON RESULTS DEVICE
    cost_helper.py summary RESULTS WINDOW ELAPSED

The environment variables COST_MODE (the daemon's poll mode) and COST_NBRS
(its idle neighbours) label what analyse records.  Run by bench/cost.sh
with Debian's /usr/bin/python3; standard library only, and the telemetry
client the integration tests use (tests/integration/dpdk_telemetry.py).
"""

import glob
import json
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from dpdk_telemetry import Telemetry  # noqa: E402


# What analyse records a run under: the daemon's poll mode and the number
# of its idle neighbour relays (bench/cost.sh sets both).
MODE = os.environ.get("COST_MODE", "busy")
NBRS = int(os.environ.get("COST_NBRS", "0"))


def cmd_flowing(args):
    """flowing PREFIX NPORTS TIMEOUT: waits until the generator (EAL file
    prefix PREFIX) receives packets (at least 1000 more within a second);
    prints the rate; exit 1 on timeout."""
    tel, nports, timeout = Telemetry.of(args[0]), int(args[1]), float(args[2])
    end = time.monotonic() + timeout
    prev = tel.port_packets(nports)
    while time.monotonic() < end:
        time.sleep(1)
        cur = tel.port_packets(nports)
        if cur[1] - prev[1] >= 1000:
            print("%.0f" % ((cur[1] - prev[1]) / (cur[0] - prev[0])))
            return 0
        prev = cur
    return 1


def callgrind_control(prefix, opt, pid):
    """callgrind_control OPT (-z: zero, -d: dump) for process 'pid', whose
    vgdb files start with 'prefix'; exits on failure."""
    r = subprocess.run(["callgrind_control", "--vgdb-prefix=" + prefix, opt, pid],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or "OK" not in r.stdout:
        sys.exit("callgrind_control %s %s failed:\n%s" % (opt, pid, r.stdout))


def cmd_window(args):
    """window PREFIX NPORTS PID VGDB_PREFIX WINDOW: zeroes callgrind's
    counters, waits WINDOW s, dumps them; reads the generator's counters
    just before and just after each of the two; prints JSON."""
    tel, nports, pid, prefix = Telemetry.of(args[0]), int(args[1]), args[2], args[3]
    window = float(args[4])
    z0 = tel.port_packets(nports)
    callgrind_control(prefix, "-z", pid)
    z1 = tel.port_packets(nports)
    time.sleep(max(0.0, window - (time.monotonic() - z1[0])))
    d0 = tel.port_packets(nports)
    callgrind_control(prefix, "-d", pid)
    d1 = tel.port_packets(nports)
    # The zero and the dump happened somewhere between the two reads
    # around them: take the middle, and half the spread as the error.
    rx = (d0[1] + d1[1]) / 2 - (z0[1] + z1[1]) / 2
    err = (d1[1] - d0[1]) / 2 + (z1[1] - z0[1]) / 2
    print(json.dumps({"pkts": rx, "pkts_err": err, "secs": (d0[0] + d1[0]) / 2 - (z0[0] + z1[0]) / 2,
                      "tx": (d0[2] + d1[2]) / 2 - (z0[2] + z1[2]) / 2}))


def read_dump(path):
    """thread number and instructions (summary: line, else totals:)."""
    thread, summary, totals = None, None, None
    with open(path) as f:
        for line in f:
            if line.startswith("thread:"):
                thread = int(line.split()[1])
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
            elif line.startswith("totals:"):
                totals = int(line.split()[1])
    return thread, summary if summary is not None else totals


LINE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?([<*>])\s+(.*?)\s*$")
TAIL = re.compile(r"^(.*?)(?:\s+\(([\d,]+)x\))?(?:\s+\[(.*)\])?$")


def annotate(path):
    """callgrind_annotate --inclusive=yes --tree=caller: every function's
    inclusive cost and the calls it got, as a list of dicts."""
    r = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=caller",
                        "--threshold=100", "--auto=no", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("callgrind_annotate %s failed: %s" % (path, r.stderr))
    funcs, callers = [], []
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            callers = []
            continue
        cost, mark, rest = int(m.group(1).replace(",", "")), m.group(2), m.group(3)
        t = TAIL.match(rest)
        if mark == "<":
            callers.append({"name": t.group(1), "obj": t.group(3) or "",
                            "calls": int(t.group(2).replace(",", "")) if t.group(2) else 0})
        elif mark == "*":
            name = t.group(1)
            funcs.append({"file": name.rsplit(":", 1)[0] if ":" in name else "",
                          "fn": name.rsplit(":", 1)[-1], "obj": t.group(3) or "",
                          "incl": cost, "calls": sum(c["calls"] for c in callers),
                          "callers": callers})
            callers = []
    return funcs


def vhost_pmd(obj, name):
    """Is this function DPDK's vhost PMD (net_vhost)?  In its shared
    object with Debian's DPDK; linked into the binary (build-64), known
    by its functions' names."""
    return "librte_net_vhost" in obj or name.rsplit(":", 1)[-1].startswith("eth_vhost_")


def pmd_dequeues(funcs):
    """The vhost dequeues that net_vhost ports made (one per poll)."""
    return sum(c["calls"] for f in funcs if f["fn"] == "rte_vhost_dequeue_burst"
               for c in f["callers"] if vhost_pmd(c["obj"], c["name"]))


def vhost_pmd_ready(funcs):
    """In a window with no traffic: did every poll of a net_vhost port
    reach the vhost dequeue (the port was up)?  A port that is not up yet
    returns at once, and its cheaper polls would lower the cost of an
    empty poll."""
    pmd = [f for f in funcs if vhost_pmd(f["obj"], f["fn"]) and f["calls"] > 0]
    if not pmd:
        return True
    rx_calls = max(f["calls"] for f in pmd)
    return pmd_dequeues(funcs) >= 0.999 * rx_calls


def find(funcs, fn, file_suffix=None):
    """The entry of function 'fn' that has callers (code of it inlined from
    headers shows up as more entries of the same name without callers, and
    is part of the inclusive cost of the one with callers)."""
    c = [f for f in funcs if f["fn"] == fn and f["calls"] > 0]
    if file_suffix:
        c = [f for f in c if f["file"].endswith(file_suffix)] or c
    if not c:
        return None
    return {"incl": sum(f["incl"] for f in c), "calls": sum(f["calls"] for f in c)}


def busiest(dump_glob):
    """The dump file of the thread with the most instructions, its count,
    and the instructions of all threads."""
    files = sorted(glob.glob(dump_glob))
    if not files:
        sys.exit("no callgrind dump matches %s" % dump_glob)
    per = [(read_dump(f), f) for f in files]
    (thread, instr), path = max(per, key=lambda x: x[0][1] or 0)
    return path, thread, instr, sum(x[0][1] or 0 for x in per), len(files)


def dump_of(dump_glob, thread):
    """The dump file of callgrind thread 'thread', and its instruction
    count, or None when no dump of that thread matches."""
    for f in sorted(glob.glob(dump_glob)):
        t, n = read_dump(f)
        if t == thread:
            return f, n or 0
    return None


def calls(funcs, fn):
    """The calls function 'fn' got (0 when it did not run)."""
    e = find(funcs, fn)
    return e["calls"] if e else 0


def cmd_analyse(args):
    """analyse KIND SIZE IDLE_GLOB IDLE_JSON DUMP_GLOB WINDOW_JSON RESULTS
    EXPECTED_BURST TRY: instructions per packet of one run, from its idle
    (calibration) dump and its loaded dump; appends a JSON line to
    RESULTS, prints the run's line; exit 3 when the loop lost packets."""
    (kind, size, iglob, ijson, dglob, wjson, results, want, attempt) = args
    size, want, attempt = int(size), float(want), int(attempt)
    with open(wjson) as f:
        w = json.load(f)
    if w["pkts"] <= 0:
        sys.exit("%s %d B: no packet forwarded in the window" % (kind, size))
    path, thread, instr, all_instr, nthreads = busiest(dglob)
    funcs = annotate(path)
    # The idle window of the thread that forwarded: in adaptive mode the
    # worker sleeps through the idle window, and another thread is busier.
    same = dump_of(iglob, thread)
    if same:
        ipath, iinstr = same
        ithread = thread
    else:
        ipath, ithread, iinstr, _, _ = busiest(iglob)
    ifuncs = annotate(ipath)
    if ithread != thread:
        print("  warning: the busiest thread differs between the idle (%d) and the loaded (%d) window"
              % (ithread, thread), flush=True)
    r = {"kind": kind, "size": size, "try": attempt, "thread": thread, "instr": instr,
         "all_instr": all_instr, "pkts": w["pkts"], "pkts_err": w["pkts_err"],
         "secs": w["secs"], "dump": path, "mode": MODE, "nbrs": NBRS}
    r["ipp"] = instr / w["pkts"]
    r["ipp_err"] = r["ipp"] * w["pkts_err"] / w["pkts"]
    # Both forwarders call rte_vhost_dequeue_burst once per poll of a
    # queue, and rte_vhost_enqueue_burst once per burst they received.
    r["polls"] = calls(funcs, "rte_vhost_dequeue_burst")
    r["bursts"] = calls(funcs, "rte_vhost_enqueue_burst")
    r["burst"] = w["pkts"] / r["bursts"] if r["bursts"] else 0.0
    r["empty"] = max(0, r["polls"] - r["bursts"])
    # Relay 0 alone: its device is the only net_vhost port, polled once
    # per pass (as its guest is), and each poll that found packets made
    # one enqueue burst.  Neighbours' idle polls are not in this share.
    # (The PMD's own functions have no symbols in Debian's build: count
    # the dequeues it made.)
    p0 = pmd_dequeues(funcs)
    r["empty0"] = max(0.0, (2.0 * p0 - r["bursts"]) / (2.0 * p0)) if p0 else 0.0
    # The same without relay 0's empty polls, each at what a poll of relay
    # 0 costs with the loop idle, its neighbours' polls in that pass
    # included: the instructions per packet of a worker that never waits
    # for the generator, whatever else keeps the generator off its CPU.
    ip0 = pmd_dequeues(ifuncs)
    if p0 and ip0:
        r["ipp0"] = (instr - max(0, 2 * p0 - r["bursts"]) * iinstr / (2.0 * ip0)) / w["pkts"]
    # Cost of an empty poll, loop overhead included: the idle window, with
    # the loop connected but silent, has nothing else.
    ipolls = calls(ifuncs, "rte_vhost_dequeue_burst")
    if not ipolls or not vhost_pmd_ready(ifuncs):
        print("  %s %d B: a vhost port was not up in the idle window" % (kind, size), flush=True)
        return 4
    r["empty_cost"] = iinstr / ipolls
    r["ipp_full"] = (instr - r["empty"] * r["empty_cost"]) / w["pkts"]
    if kind == "dut":
        if not any(f["fn"] == "worker_main" for f in funcs):
            print("  warning: the busiest thread of the daemon does not run worker_main", flush=True)
        for fn in ("poll_vm_to_vf", "poll_vf_to_vm"):
            e = find(ifuncs, fn, "fwd.c")
            if e and e["calls"]:
                r["idle_" + fn] = e["incl"] / e["calls"]
    flags = []
    # Each direction of the io loop holds GEN_BURST packets and the
    # generator sends back at once what it gets: every poll finds all of
    # them (up to the forwarder's burst of 32) or, while the generator is
    # off its CPU, nothing.  Smaller bursts mean the loop lost packets (a
    # burst that met a side of the forwarder not yet up at the start).
    if r["burst"] < want - 0.5:
        flags.append("LOSS")
    r["flags"] = flags
    with open(results, "a") as f:
        f.write(json.dumps(r) + "\n")
    print("  %-3s %4d B  %7.1f instr/pkt (+-%.1f)  %.0f pkts in %.1f s  burst %.2f"
          "  empty polls %.1f%% x %.1f instr  full-burst %7.1f instr/pkt%s"
          % (kind, size, r["ipp"], r["ipp_err"], w["pkts"], w["secs"], r["burst"],
             100.0 * r["empty"] / max(1, r["polls"]), r["empty_cost"], r["ipp_full"],
             ("  " + " ".join(flags)) if flags else ""), flush=True)
    print("      thread %d: %d instr (%.2f%% of %d threads), %d polls, %d bursts%s"
          % (thread, instr, 100.0 * instr / max(1, all_instr), nthreads, r["polls"], r["bursts"],
             "; idle polls: vm-to-vf %.1f, vf-to-vm %.1f instr" % (r["idle_poll_vm_to_vf"], r["idle_poll_vf_to_vm"])
             if "idle_poll_vm_to_vf" in r and "idle_poll_vf_to_vm" in r else ""), flush=True)
    sys.exit(3 if flags else 0)


def cmd_idle(args):
    """idle DUMP_GLOB WINDOW_JSON RESULTS DEVICE: inclusive instructions per
    call of the daemon's two poll functions with silent peers."""
    dglob, wjson, results, dev = args
    with open(wjson) as f:
        w = json.load(f)
    path, thread, instr, all_instr, nthreads = busiest(dglob)
    funcs = annotate(path)
    r = {"kind": "idle", "dev": dev, "thread": thread, "instr": instr, "dump": path,
         "gen_pkts": w["pkts"] + w["tx"], "flags": []}
    for fn in ("poll_vm_to_vf", "poll_vf_to_vm", "worker_main"):
        e = find(funcs, fn, "fwd.c" if fn != "worker_main" else "dataplane.c")
        r[fn + "_calls"] = e["calls"] if e else 0
        r[fn] = e["incl"] / e["calls"] if e and e["calls"] else None
    deq = find(funcs, "rte_vhost_dequeue_burst")
    drv = dev.split(",")[0].rstrip("0123456789")
    if not deq:
        r["flags"].append("GUEST-NOT-POLLED")
    if not any(("librte_" + drv) in f["obj"] for f in funcs):
        r["flags"].append("DEVICE-NOT-POLLED")
    if r["gen_pkts"] != 0:
        r["flags"].append("NOT-SILENT")
    calls = r["poll_vm_to_vf_calls"]
    r["pass"] = instr / calls if calls else None
    with open(results, "a") as f:
        f.write(json.dumps(r) + "\n")
    print("  idle  poll_vm_to_vf %s instr/call, poll_vf_to_vm %s instr/call (%s)"
          "  %d passes, %.1f instr per pass of the worker loop%s"
          % ("%.1f" % r["poll_vm_to_vf"] if r["poll_vm_to_vf"] else "?",
             "%.1f" % r["poll_vf_to_vm"] if r["poll_vf_to_vm"] else "?", dev, calls,
             r["pass"] or 0, ("  " + " ".join(r["flags"])) if r["flags"] else ""), flush=True)
    return 0


def cmd_summary(args):
    """summary RESULTS WINDOW ELAPSED: the table of all runs."""
    rows = [json.loads(l) for l in open(args[0]) if l.strip()]
    window, elapsed = args[1], float(args[2])
    print()
    print("summary: instructions per forwarded packet, both directions: callgrind's count for the")
    print("forwarder's polling thread over %s s / packets the generator received in that time." % window)
    print("full-burst: the same without the polls that found nothing (while the generator was")
    print("off its CPU), at the cost of an empty poll measured with the loop connected but idle.")
    print("ratio = dut / ref.  * = the loop lost packets (bursts not full): not a valid figure.")
    print()
    if any(r.get("nbrs") for r in rows):
        nb = max(r["nbrs"] for r in rows)
        print("neighbours: relay 0 forwarding alone on its worker, and beside %d idle relays" % nb)
        print("(guests connected but silent, net_ring devices); plain instructions per packet,")
        print("relay 0's empty polls in brackets (a quiet machine keeps them near 0).")
        print("ratio = alone / with neighbours: the share of its throughput the busy relay keeps.")
        print("never waiting: the same without relay 0's empty polls (each at its cost with the")
        print("loop idle, neighbours included), for a machine where the generator waits for a CPU.")
        print()
        print("  %-6s  %-9s  %16s  %16s  %6s   %-17s  %6s" % ("size", "mode", "alone", "with %d" % nb,
                                                          "ratio", "never waiting", "ratio"))
        for size in sorted({r["size"] for r in rows if r["kind"] == "dut"}):
            for mode in ("busy", "adaptive"):
                last = {}
                for r in rows:
                    if r["kind"] == "dut" and r["size"] == size and r.get("mode") == mode:
                        last[bool(r["nbrs"])] = r
                if False in last and True in last:
                    a, w = last[False], last[True]
                    nw = ""
                    if a.get("ipp0") and w.get("ipp0"):
                        nw = "   %7.1f / %7.1f  %6.3f" % (a["ipp0"], w["ipp0"], a["ipp0"] / w["ipp0"])
                    print("  %4d B  %-9s  %8.1f (%4.1f%%)  %8.1f (%4.1f%%)  %6.3f%s%s"
                          % (size, mode, a["ipp"], 100 * a["empty0"], w["ipp"], 100 * w["empty0"],
                             a["ipp"] / w["ipp"], nw, " *" if a["flags"] or w["flags"] else ""))
        print()
        print("time: %.0f s" % elapsed)
        return 0
    loaded = [r for r in rows if r["kind"] in ("dut", "ref")]
    if loaded:
        print("  %-6s  %-5s  %9s  %11s  %10s  %9s" % ("size", "", "instr/pkt", "empty polls",
                                                    "full-burst", "pkts/burst"))
    for size in sorted({r["size"] for r in loaded}):
        last = {}
        for kind in ("dut", "ref"):
            rs = [r for r in loaded if r["size"] == size and r["kind"] == kind]
            if rs:
                # The last try: the one that counts.
                r = last[kind] = rs[-1]
                print("  %4d B  %-5s  %8.1f%s  %10.1f%%  %10.1f  %9.2f"
                      % (size, kind, r["ipp"], "*" if r["flags"] else " ",
                         100.0 * r["empty"] / max(1, r["polls"]), r["ipp_full"], r["burst"]))
        if "dut" in last and "ref" in last:
            d, f = last["dut"], last["ref"]
            print("  %4d B  %-5s  %9.3f  %11s  %10.3f" % (size, "ratio", d["ipp"] / f["ipp"], "",
                                                         d["ipp_full"] / f["ipp_full"]))
    for r in [r for r in rows if r["kind"] == "idle"]:
        print()
        print("idle polls (dut; guest connected but silent, device %s silent):" % r["dev"])
        print("  inclusive instructions per call (callgrind_annotate --inclusive=yes)%s"
              % ("  [" + " ".join(r["flags"]) + "]" if r["flags"] else ""))
        for fn, what in (("poll_vm_to_vf", "VM to VF: vhost dequeue from an empty guest TX queue"),
                         ("poll_vf_to_vm", "VF to VM: rte_eth_rx_burst on an empty %s" % r["dev"])):
            print("  %-14s %8s   %s" % (fn, "%.1f" % r[fn] if r[fn] else "?", what))
        print("  %-14s %8s   one pass of the worker loop: both polls, RCU report, cycle accounting"
              % ("loop pass", "%.1f" % r["pass"] if r["pass"] else "?"))
    print()
    print("time: %.0f s" % elapsed)


def main():
    cmds = {"flowing": cmd_flowing, "window": cmd_window, "analyse": cmd_analyse,
            "idle": cmd_idle, "summary": cmd_summary}
    try:
        sys.exit(cmds[sys.argv[1]](sys.argv[2:]))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
