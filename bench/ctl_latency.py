#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Stats latency of the control thread, idle and while other control
sources are pushed hard.

A stats client asks the daemon's stats service (one fresh REQ socket per
request, as 1.x tools do) every 20 ms and records how long each answer
took, in each of these situations, one daemon per situation:

  idle          nothing else happens
  portctl       two port control clients: one adds and removes a device in
                a loop, one sends garbage requests back to back
  ovsdb-stall   the OVSDB server accepts, answers the monitor, then sends
                echo requests with large params and never reads
  ovsdb-noacc   the OVSDB server's backlog is full: it never accepts
  ipc-64k       a 64 KiB IPC command file (add_port/del_port pairs of
                net_null devices) is processed
  ipc-2000      2000 IPC command files arrive at once
  attach-churn  a port control client attaches and removes an af_packet
                device (on a veth, as the tests' stand-in VF) back to back
  bond-churn    a port control client adds and removes a bond of two
                net_null devices back to back
  ovsdb-5000    an OVSDB server sends a table of 5000 interfaces (8 of
                them for relays), then an update of 100 rows every 10 ms
  zmq-junk      four peers connect to the stats and port control
                endpoints, write junk and leave, over and over
  guests-64     64 virtio-user guests (two testpmds) connect at once

It prints, per situation: requests, p50, p99 and max in ms, and timeouts
(a request unanswered in 10 s).  Run as root from the repository:

    bench/ctl_latency.py                       build/ (the default)
    bench/ctl_latency.py --build /path/build   another build (before/after)
    bench/ctl_latency.py --seconds 5 idle ipc-64k
"""

import argparse
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import zmq  # noqa: E402

SITUATIONS = ["idle", "portctl", "ovsdb-stall", "ovsdb-noacc", "ipc-64k", "ipc-2000",
              "attach-churn", "bond-churn", "ovsdb-5000", "zmq-junk", "guests-64"]


def proto():
    from harness import protoc_module
    out = tempfile.mkdtemp(prefix="vfwd-bench-pb-")
    try:
        return protoc_module(os.path.join(REPO, "proto", "virtioforwarder.proto"), out,
                             "vfwd_bench_pb2")
    finally:
        # The module is loaded: its file is not needed any more.
        shutil.rmtree(out, ignore_errors=True)


def request(endpoint, data, timeout):
    """One request on a fresh REQ socket; seconds taken, or None."""
    s = zmq.Context.instance().socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    try:
        s.connect(endpoint)
        t0 = time.monotonic()
        s.send(data)
        if not s.poll(int(timeout * 1000)):
            return None
        s.recv()
        return time.monotonic() - t0
    finally:
        s.close()


def measure(endpoint, pb, seconds, stop_early=None):
    """Asks for stats every 20 ms for 'seconds'; returns the latencies and
    the number of timeouts."""
    data = pb.StatsRequest().SerializeToString()
    lat, timeouts = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if stop_early is not None and stop_early():
            break
        dt = request(endpoint, data, 10.0)
        if dt is None:
            timeouts += 1
        else:
            lat.append(dt)
        time.sleep(0.02)
    return lat, timeouts


def summary(name, lat, timeouts, note=""):
    lat = sorted(lat)
    if not lat:
        return "%-12s %6d %8s %8s %8s %8d %s" % (name, 0, "-", "-", "-", timeouts, note)

    def pct(p):
        return lat[min(len(lat) - 1, int(round(p / 100.0 * (len(lat) - 1))))] * 1000
    return "%-12s %6d %8.1f %8.1f %8.1f %8d %s" % (name, len(lat), pct(50), pct(99),
                                                  lat[-1] * 1000, timeouts, note)


class Stop:
    def __init__(self):
        self.flag = False
        self.threads = []

    def spawn(self, fn):
        t = threading.Thread(target=fn, daemon=True)
        t.start()
        self.threads.append(t)

    def join(self):
        self.flag = True
        for t in self.threads:
            t.join(timeout=30)


def run(situation, build, seconds, pb):
    import harness
    harness.BUILD = build
    harness.DAEMON = os.path.join(build, "src", "virtio-forwarder")
    reg = harness.Registry()
    tmp = tempfile.mkdtemp(prefix="vfwd-bench-")
    stop = Stop()
    note = ""
    try:
        variables = {"VIRTIOFWD_LOG_LEVEL": "6",
                     # Memory for a relay's buffers while devices come and go.
                     "VIRTIOFWD_EAL_ARGS": "--no-huge -m 1024 --no-pci"}
        if situation.startswith("ovsdb"):
            db = os.path.join(tmp, "db.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(db)
            variables.update({"VIRTIOFWD_ZMQ_PORT_CONTROL_EP": "",
                              "VIRTIOFWD_OVSDB_SOCK_PATH": db})
            if situation == "ovsdb-stall":
                srv.listen(8)
                stop.spawn(lambda: stall_server(srv, stop))
            elif situation == "ovsdb-5000":
                srv.listen(8)
                srv_ready = threading.Event()
                stop.spawn(lambda: flood_server(srv, stop, ready=srv_ready))
            else:
                # A full backlog: connects wait (a blocking connect hangs).
                srv.listen(0)
                fillers = []
                for _ in range(4):
                    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    c.setblocking(False)
                    try:
                        c.connect(db)
                    except (BlockingIOError, OSError):
                        pass
                    fillers.append(c)
        if situation.startswith("ipc"):
            variables.update({"VIRTIOFWD_ZMQ_PORT_CONTROL_EP": "",
                              "VIRTIOFWD_IPC_PORT_CONTROL": "true",
                              "VIRTIOFWD_IPC_DIR": os.path.join(tmp, "ipc")})
        if situation == "guests-64":
            # A buffer pool per relay with a guest.
            variables["VIRTIOFWD_EAL_ARGS"] = "--no-huge -m 3072 --no-pci"
        d = reg.add(harness.Daemon(tmp, variables, wait_ready=False))
        harness.wait_for(lambda: d.proc.alive() and os.path.exists(
            d.vars["VIRTIOFWD_ZMQ_STATS_EP"][len("ipc://"):]) or not d.proc.alive(),
            timeout=60, what="stats service")
        time.sleep(1.0)
        ep = d.vars["VIRTIOFWD_ZMQ_STATS_EP"]
        if situation == "portctl":
            port_ep = d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
            P = pb.PortControlRequest
            add = P(op=P.ADD, virtio_id=5, device=["net_null5"]).SerializeToString()
            rem = P(op=P.REMOVE, device=["net_null5"]).SerializeToString()
            counts = {"ops": 0, "garbage": 0}

            def churn():
                while not stop.flag:
                    request(port_ep, add, 10.0)
                    request(port_ep, rem, 10.0)
                    counts["ops"] += 2

            def garbage():
                while not stop.flag:
                    request(port_ep, b"\xff" * 64, 10.0)
                    counts["garbage"] += 1
            stop.spawn(churn)
            stop.spawn(garbage)
            time.sleep(0.5)
            lat, to = measure(ep, pb, seconds)
            note = "(%d port operations, %d garbage requests)" % (counts["ops"],
                                                                 counts["garbage"])
        elif situation in ("attach-churn", "bond-churn"):
            port_ep = d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"]
            P = pb.PortControlRequest
            if situation == "attach-churn":
                veth = reg.add(harness.VethNs())
                add = P(op=P.ADD, virtio_id=5,
                        device=["net_af_packet0,iface=%s" % veth.host]).SerializeToString()
                rem = P(op=P.REMOVE, device=["net_af_packet0"]).SerializeToString()
            else:
                add = P(op=P.ADD, virtio_id=6, device=["net_null8", "net_null9"],
                        name="net_bonding6", mode=1).SerializeToString()
                rem = P(op=P.REMOVE, name="net_bonding6").SerializeToString()
            counts = {"ops": 0, "slowest": 0.0}

            def churn():
                while not stop.flag:
                    for req in (add, rem):
                        dt = request(port_ep, req, 10.0)
                        counts["ops"] += 1
                        counts["slowest"] = max(counts["slowest"], dt or 10.0)
            stop.spawn(churn)
            time.sleep(0.5)
            lat, to = measure(ep, pb, seconds)
            note = "(%d port operations, slowest %.0f ms)" % (counts["ops"],
                                                             counts["slowest"] * 1000)
        elif situation == "zmq-junk":
            rnd = random.Random(7)
            targets = [d.vars[v][len("ipc://"):] for v in
                       ("VIRTIOFWD_ZMQ_STATS_EP", "VIRTIOFWD_ZMQ_PORT_CONTROL_EP")]
            counts = {"peers": 0}

            def junk(path):
                while not stop.flag:
                    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    try:
                        c.connect(path)
                        c.send(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 512))))
                    except OSError:
                        pass
                    c.close()
                    counts["peers"] += 1
                    time.sleep(0.001)
            for path in targets * 2:
                stop.spawn(lambda path=path: junk(path))
            time.sleep(0.5)
            lat, to = measure(ep, pb, seconds)
            note = "(%d junk peers)" % counts["peers"]
        elif situation == "ovsdb-5000":
            # From before the table arrives: its parsing is measured too.
            srv_ready.set()
            lat, to = measure(ep, pb, seconds)
            note = "(a 4 MB table, then updates of 100 rows every 10 ms; %s)" % (
                "synced" if "interfaces in the table" in d.proc.err else "NOT SYNCED")
        elif situation == "guests-64":
            socks = [d.socket(i) for i in range(64)]
            t0 = time.monotonic()
            pmds = []

            def start(part):
                vdevs = ["net_virtio_user%d,path=%s" % (i, sk) for i, sk in enumerate(part)]
                pmds.append(reg.add(harness.Pmd(vdevs, mbufs=65536)))
            for part in (socks[:32], socks[32:]):
                stop.spawn(lambda part=part: start(part))

            def all_up():
                st = d.stats()
                return sum(1 for k, v in st.items() if k != "workers" and
                           v.get("info", {}).get("guest") == "connected") == 64
            lat, to = measure(ep, pb, 120, stop_early=all_up)
            note = "(64 guests connected in %.1f s)" % (time.monotonic() - t0)
        elif situation == "ipc-64k":
            ipcdir = d.vars["VIRTIOFWD_IPC_DIR"]
            lines, size, i = [], 0, 0
            while True:
                pair = "add_port net_null%d %d\ndel_port net_null%d\n" % (i % 8, i % 8, i % 8)
                if size + len(pair) > 64 * 1024:
                    break
                lines.append(pair)
                size += len(pair)
                i += 1
            tmpf = os.path.join(ipcdir, "big.tmp")
            with open(tmpf, "w") as f:
                f.write("".join(lines))
            t0 = time.monotonic()
            os.rename(tmpf, os.path.join(ipcdir, "big"))
            res = os.path.join(ipcdir, "big.result")
            lat, to = measure(ep, pb, 600, stop_early=lambda: os.path.exists(res))
            note = "(%d commands in %d bytes, run in %.1f s)" % (2 * i, size,
                                                                 time.monotonic() - t0)
        elif situation == "ipc-2000":
            ipcdir = d.vars["VIRTIOFWD_IPC_DIR"]
            for i in range(2000):
                with open(os.path.join(ipcdir, ".f%d" % i), "w") as f:
                    f.write("del_port net_null%d\nadd_port lo\n" % i)
            t0 = time.monotonic()
            for i in range(2000):
                os.rename(os.path.join(ipcdir, ".f%d" % i), os.path.join(ipcdir, "f%d" % i))
            last = os.path.join(ipcdir, "f1999.result")
            lat, to = measure(ep, pb, 600, stop_early=lambda: os.path.exists(last) and all(
                os.path.exists(os.path.join(ipcdir, "f%d.result" % i)) for i in range(2000)))
            note = "(2000 files answered in %.1f s)" % (time.monotonic() - t0)
        else:
            lat, to = measure(ep, pb, seconds)
        stop.join()
        return summary(situation, lat, to, note)
    finally:
        stop.join()
        reg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def stall_server(srv, stop):
    """Accepts, answers the monitor with an empty table, then sends echo
    requests with 16 KiB params every 10 ms and never reads."""
    srv.settimeout(0.5)
    pad = "x" * 16384
    conns = []
    while not stop.flag:
        try:
            c, _ = srv.accept()
            c.setblocking(False)
            try:
                c.send(b'{"id":1,"result":{},"error":null}')
            except OSError:
                pass
            conns.append(c)
        except socket.timeout:
            pass
        for c in conns:
            try:
                c.send(('{"id":"x","method":"echo","params":["%s"]}' % pad).encode())
            except OSError:
                pass
        time.sleep(0.01)


def flood_server(srv, stop, rows=5000, relays=8, per_update=100, ready=None):
    """Accepts, answers the monitor with a table of 'rows' interfaces (the
    first 'relays' for relays 0.., on net_null devices), then sends an
    update of 'per_update' rows (a new external id each) every 10 ms."""
    import json
    uuid = ["%08x-0000-4000-8000-%012x" % (i, i) for i in range(rows)]

    def row(i, gen):
        # About 800 bytes a row, as OVS hosts' rows with their cloud's
        # external ids: the table is a 4 MB message.
        ids = [["iface-id", "port-%d-%d" % (i, gen)], ["attached-mac", "52:54:00:00:%02x:%02x"
                                                         % (i >> 8 & 255, i & 255)],
               ["note", "x" * 640]]
        if i < relays:
            ids += [["virtio_forwarder", str(i)],
                    ["virtio_forwarder_device", "net_null%d" % i]]
        return {"new": {"name": "if%d" % i, "external_ids": ["map", ids]}}
    srv.settimeout(0.5)
    gen, conns = 0, []
    if ready is not None:
        ready.wait()     # the stats client has started
    while not stop.flag:
        try:
            c, _ = srv.accept()
            table = {uuid[i]: row(i, 0) for i in range(rows)}
            c.sendall(json.dumps({"id": 1, "result": {"Interface": table},
                                  "error": None}).encode())
            c.setblocking(False)
            conns.append(c)
        except socket.timeout:
            pass
        gen += 1
        upd = {uuid[(gen * per_update + k) % rows]: row((gen * per_update + k) % rows, gen)
               for k in range(per_update)}
        msg = json.dumps({"id": None, "method": "update",
                          "params": [None, {"Interface": upd}]}).encode()
        for c in conns:
            try:
                c.send(msg)
            except OSError:
                pass
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("situations", nargs="*", default=SITUATIONS)
    a = ap.parse_args()
    pb = proto()
    print("build: %s" % a.build)
    print("%-12s %6s %8s %8s %8s %8s" % ("situation", "n", "p50 ms", "p99 ms", "max ms",
                                         "timeouts"))
    for s in a.situations:
        if s not in SITUATIONS:
            ap.error("unknown situation %s (have: %s)" % (s, " ".join(SITUATIONS)))
        print(run(s, os.path.abspath(a.build), a.seconds, pb), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
