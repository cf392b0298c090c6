#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Does a live migration carry every page?  Migrates a pinging test guest
RUNS times, from relay 3 of a fresh daemon ('relay') or from a tap ('tap'),
to a tap QEMU started with -S (loaded but never run), then dumps both
memories with pmemsave and prints, per run, the pages that differ (address,
bytes that differ, offset of the first).  Both guests are stopped, so any
difference is a page the migration lost.  Needs root, QEMU and a built
daemon (VFWD_BUILD, as for the integration tests).  --qemu=10: both
QEMUs are QEMU 10 (fetch-qemu.sh) instead of the system's 7.2.  See
README.md.

usage: migration-memdiff.py [--qemu=7.2|10] RUNS relay|tap [DEVICE-OPTS]
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import harness  # noqa: E402
from harness import GUEST_IP, HOST_IP, BridgeNs, Daemon, wait_for  # noqa: E402
from vm import Guest, kit, migrate, migration_times  # noqa: E402

MEM_MB = 256
PAGE = 4096


def differing_pages(fa, fb):
    out = []
    with open(fa, "rb") as a, open(fb, "rb") as b:
        for p in range((MEM_MB << 20) // PAGE):
            x, y = a.read(PAGE), b.read(PAGE)
            if x != y:
                n = sum(1 for u, v in zip(x, y) if u != v)
                first = next(k for k in range(PAGE) if x[k] != y[k])
                out.append("0x%x(%dB@%d)" % (p * PAGE, n, first))
    return out


def one_run(src_kind, opts, qemu):
    reg = harness.Registry()
    tmp = tempfile.mkdtemp(prefix="vfwd-memdiff.")
    try:
        net = reg.add(BridgeNs())
        tap = net.add_tap()
        tap2 = net.add_tap("tq")
        common = dict(peer=HOST_IP, mode="pingloop", interval=0.2, device_opts=opts, qemu=qemu)
        if src_kind == "relay":
            d = reg.add(Daemon(tmp, {"VIRTIOFWD_STATIC_VFS":
                                     ["net_af_packet0,iface=%s=3" % net.hosts[0]]}))
            src = reg.add(Guest(tmp, d.socket(3), GUEST_IP + "/24", name="src", cpus=0,
                                **common))
        else:
            src = reg.add(Guest(tmp, None, GUEST_IP + "/24", name="src", cpus=0, tap=tap,
                                netns=net.ns, **common))
        src.wait_ready()
        wait_for(lambda: len(src.ping_replies()) >= 5, timeout=30, what="pings")
        uri = "unix:%s/migrate.sock" % tmp
        dst = reg.add(Guest(tmp, None, GUEST_IP + "/24", name="dst", cpus=1, tap=tap2,
                            netns=net.ns, qemu_args=["-incoming", uri, "-S"], **common))
        wait_for(lambda: os.path.exists(uri[5:]), what="destination listening")
        info = migrate(src, uri)
        wait_for(lambda: "paused" in dst.monitor("info status"), what="destination loaded")
        fa, fb = os.path.join(tmp, "src.mem"), os.path.join(tmp, "dst.mem")
        src.monitor('pmemsave 0 %d "%s"' % (MEM_MB << 20, fa))
        dst.monitor('pmemsave 0 %d "%s"' % (MEM_MB << 20, fb))
        full = MEM_MB << 20
        wait_for(lambda: all(os.path.exists(f) and os.path.getsize(f) == full
                             for f in (fa, fb)), what="memory dumps")
        try:
            return differing_pages(fa, fb), migration_times(info)
        finally:
            os.unlink(fa)
            os.unlink(fb)
    finally:
        errors = reg.cleanup()
        if errors:
            print("cleanup: %s" % errors, file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    args, qemu = sys.argv[1:], "7.2"
    if args and args[0].startswith("--qemu="):
        qemu = args.pop(0).split("=", 1)[1]
    if len(args) not in (2, 3) or not args[0].isdigit() or args[1] not in ("relay", "tap") \
            or qemu not in ("7.2", "10"):
        sys.exit(__doc__.strip().splitlines()[-1])
    runs, src_kind = int(args[0]), args[1]
    opts = args[2] if len(args) == 3 else ""
    kit()
    bad = 0
    for i in range(runs):
        pages, times = one_run(src_kind, opts, qemu)
        bad += bool(pages)
        print("run %d: %d page(s) differ %s %s" % (i, len(pages), " ".join(pages[:12]), times),
              flush=True)
    print("%s source, QEMU %s: %d of %d runs lost pages" % (src_kind, qemu, bad, runs))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
