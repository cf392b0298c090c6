# SPDX-License-Identifier: BSD-3-Clause
"""QEMU guests for the integration tests (the kit of tests/vm).

A Guest is a tiny VM (Debian kernel, busybox initramfs, see
tests/vm/README.md) with one virtio-net NIC on a vhost-user socket. Its
/init reads vfwd.* kernel parameters and prints VFWD-* lines on the serial
console, which is captured here. QEMU runs under TCG.
"""

import functools
import os
import re
import signal as sigmod
import socket
import subprocess
import time
import warnings

import pytest

from harness import REPO, Proc, wait_for

BUILD_SCRIPT = os.path.join(REPO, "tests", "vm", "build-guest.sh")
FETCH_QEMU = os.path.join(REPO, "tests", "vm", "fetch-qemu.sh")
QEMU = os.environ.get("VFWD_QEMU", "qemu-system-x86_64")

# What the kit scripts printed (KEY=value dicts), or why they failed:
# (skip?, message); by script and flavour.
_kits = {}


def _kit_script(script, env=None):
    """Runs one of the kit scripts of tests/vm once per test run (they
    cache across runs themselves); returns its KEY=value lines as a dict
    with "build_s" added.  Raises RuntimeError when it failed; the error's
    'skip' attribute says whether a prerequisite was unavailable (exit 77)."""
    key = (script, tuple(sorted((env or {}).items())))
    if key not in _kits:
        t0 = time.monotonic()
        p = subprocess.run(["bash", script], capture_output=True, text=True, timeout=900,
                           env=dict(os.environ, **(env or {})))
        if p.returncode == 0:
            k = dict(line.split("=", 1) for line in p.stdout.split() if "=" in line)
            k["build_s"] = time.monotonic() - t0
            _kits[key] = k
        else:
            _kits[key] = (p.returncode == 77, "%s failed (%d):\n%s"
                          % (os.path.relpath(script, REPO), p.returncode, p.stderr[-3000:]))
    k = _kits[key]
    if isinstance(k, tuple):
        e = RuntimeError(k[1])
        e.skip = k[0]
        raise e
    return k


def kit(flavour="virtio"):
    """Builds (or takes from the cache) the guest kernel and initramfs of
    'flavour' (tests/vm/README.md).  Returns {"KERNEL":, "BZIMAGE":,
    "INITRD":, "build_s":}."""
    return _kit_script(BUILD_SCRIPT, {"VFWD_VM_FLAVOUR": flavour})


def qemu10():
    """QEMU 10 from bookworm-backports in a private prefix
    (tests/vm/fetch-qemu.sh): {"QEMU":, "QEMU_DATA":, "QEMU_BIOS":,
    "QEMU_MODULES":, "QEMU_VERSION":}."""
    return _kit_script(FETCH_QEMU)


# The device options of each virtqueue layout a Guest can offer.
RINGS = {"split": "", "packed": ",packed=on", "in_order": ",packed=on,in_order=on"}


def qemu_argv(version):
    """The start of a QEMU command line: "7.2", the system's QEMU (or
    $VFWD_QEMU), or "10", the private one of tests/vm/fetch-qemu.sh with
    its module and firmware directories."""
    if version == "7.2":
        return [QEMU]
    assert version == "10", version
    q = qemu10()
    return ["env", "QEMU_MODULE_DIR=" + q["QEMU_MODULES"], q["QEMU"],
            "-L", q["QEMU_DATA"], "-L", q["QEMU_BIOS"]]


def skip_unless_qemu10():
    """Skips the calling test when QEMU 10 cannot be fetched (no package
    mirror: fetch-qemu.sh exits 77); any other failure fails the test."""
    try:
        return qemu10()
    except RuntimeError as e:
        if e.skip:
            pytest.skip("no QEMU 10: %s" % e)
        raise


class GuestKernelCrashed(Exception):
    """The guest kernel oopsed or hung.  Raised by Guest.replies_at_least()
    and Guest.wait_replies() so
    that a migration test can tell a guest whose memory QEMU 7.2 under TCG
    corrupted during the migration (tests/vm/README.md, "Guest memory
    corrupted by a migration") from traffic the relay failed to carry.
    Not an AssertionError, so the tests' own diagnostics let it through."""

    def __init__(self, name, excerpt):
        super().__init__("%s: guest kernel crashed:\n%s" % (name, excerpt))


# What the kernel prints when it finds its own memory corrupted.
KERNEL_CRASH = re.compile(r"^.*(BUG: |Oops: |kernel BUG at|general protection fault|"
                          r"list_add corruption|list_del corruption|Kernel panic).*$", re.M)


def retry_on_guest_crash(test):
    """Runs migration test 'test' (which takes the reg and sockdir fixtures)
    a second time, with everything of the first attempt ended and a fresh
    socket directory, when a guest kernel crashed (GuestKernelCrashed).
    QEMU 7.2 under TCG sometimes loses guest-written pages in a migration
    from a vhost-user back end (tests/vm/README.md); the retry is reported
    as a warning in pytest's summary, and a second crash fails the test.
    On QEMU 10 (the test's 'qemu' parameter) there is no retry: the page
    loss is gone there (tests/vm/README.md)."""
    @functools.wraps(test)
    def run(reg, sockdir, *args, **kw):
        if kw.get("qemu") == "10":
            return test(reg, sockdir, *args, **kw)
        try:
            return test(reg, sockdir, *args, **kw)
        except GuestKernelCrashed as e:
            errors = reg.cleanup()
            assert not errors, errors
            warnings.warn("%s: %s; retrying once (QEMU 7.2 TCG migration problem, "
                          "tests/vm/README.md)" % (test.__name__, e))
            retry = sockdir / "retry"
            retry.mkdir()
            return test(reg, retry, *args, **kw)
    return run


def skip_unless_qemu():
    """Skips the calling test when the guest kit cannot be prepared because
    a prerequisite is unavailable (QEMU or the kernel cannot be installed or
    downloaded); any other failure of the kit fails the test."""
    try:
        k = kit()
    except RuntimeError as e:
        if e.skip:
            pytest.skip("no QEMU test guest: %s" % e)
        raise
    if subprocess.run(["sh", "-c", "command -v " + QEMU], capture_output=True).returncode:
        pytest.skip("no QEMU test guest: %s not found" % QEMU)
    return k


class Guest:
    """One QEMU guest on vhost-user socket 'sock'.

    mode: "ping" (ping 'peer' 'count' times, print VFWD-RESULT), "pingloop"
    (ping 'peer' forever, one VFWD-PING line per reply) or "idle". After
    ping mode the guest powers off, unless then="idle". 'ip' is an address
    with prefix or a list of them. 'server': QEMU listens on 'sock' (the
    daemon is the vhost-user client). 'cpus': host CPUs for QEMU (taskset).
    'device_opts': appended to the virtio-net-pci options (",guest_announce=off").
    'qemu_args': more QEMU arguments (["-incoming", "unix:PATH"] for the
    destination of a migration: it waits for the source instead of booting).
    'tap': instead of vhost-user (sock=None), a plain QEMU tap netdev on
    the existing tap interface of that name: the non-relay backend of a
    migration. 'netns': the network namespace QEMU runs in (where the tap is).
    'qemu': "7.2", the system's QEMU (or $VFWD_QEMU), or "10", the one of
    tests/vm/fetch-qemu.sh.  'ring': the virtqueue layout the device
    offers: "split", "packed" (packed=on) or "in_order" (packed=on and
    in_order=on, QEMU 10 only).
    """

    def __init__(self, tmp, sock, ip, peer=None, mode="idle", count=5, interval=0.2,
                 queues=1, then=None, server=False, mac="52:54:00:12:34:56",
                 name="vm", cpus=None, mem_mb=256, append=(), device_opts="",
                 qemu_args=(), tap=None, netns=None, qemu="7.2", ring="split"):
        k = kit()
        self.name = name
        self.tmp = str(tmp)
        self.sock = sock
        self.monitor_path = os.path.join(self.tmp, name + ".mon")
        ips = [ip] if isinstance(ip, str) else list(ip)
        params = ["console=ttyS0", "quiet", "panic=-1", "mitigations=off",
                  "vfwd.ip=" + ",".join(ips), "vfwd.mode=" + mode,
                  "vfwd.count=%d" % count, "vfwd.interval=%s" % interval,
                  "vfwd.queues=%d" % queues]
        if peer:
            params.append("vfwd.peer=" + peer)
        if then:
            params.append("vfwd.then=" + then)
        params += list(append)
        # The same device on either backend, as the migration stream wants:
        # only the netdev differs (libvirt's 'virsh migrate --xml').
        device = "virtio-net-pci,netdev=n0,mac=%s,vectors=0" % mac + RINGS[ring] + device_opts
        assert ring != "in_order" or qemu == "10", "in_order=on: QEMU 9.1 and later"
        if tap is not None:
            assert sock is None and queues == 1 and not server
            backend = ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off"
                       % tap]
        else:
            chardev = "socket,id=c0,path=%s" % sock
            if server:
                chardev += ",server=on,wait=off"
            netdev = "vhost-user,id=n0,chardev=c0"
            if queues > 1:
                netdev += ",queues=%d" % queues
                device += ",mq=on"
            backend = ["-chardev", chardev, "-netdev", netdev]
        self.qemu, self.ring = qemu, ring
        self.argv = ([] if netns is None else ["ip", "netns", "exec", netns]) + \
            ([] if cpus is None else ["taskset", "-c", str(cpus)]) + qemu_argv(qemu) + [
            "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "1",
            "-m", "%d" % mem_mb, "-nodefaults", "-no-user-config", "-no-reboot",
            "-object", "memory-backend-memfd,id=mem,size=%dM,share=on" % mem_mb,
            "-numa", "node,memdev=mem",
            "-kernel", k["BZIMAGE"] if os.environ.get("VFWD_VM_BZIMAGE") else k["KERNEL"], "-initrd", k["INITRD"], "-append", " ".join(params),
            "-display", "none", "-serial", "stdio",
            "-monitor", "unix:%s,server=on,wait=off" % self.monitor_path,
        ] + backend + ["-device", device] + list(qemu_args)
        self.t0 = time.monotonic()
        self.proc = Proc(self.argv)

    # ------------------------------------------------------------ console
    @property
    def console(self):
        return self.proc.out.replace("\r", "")

    def alive(self):
        return self.proc.alive()

    def wait_line(self, pattern, timeout=60, start=0):
        """Waits for a console line matching regex 'pattern' (searched from
        character 'start' of the console); returns the match. Fails early
        when QEMU exits."""
        rx = re.compile(pattern, re.M)

        def found():
            m = rx.search(self.console, start)
            if m:
                return m
            if not self.alive():
                # One last look: the line may have come with the exit.
                time.sleep(0.2)
                m = rx.search(self.console, start)
                if m:
                    return m
                raise AssertionError("%s: QEMU exited (%s) before /%s/:\n%s"
                                     % (self.name, self.proc.p.returncode, pattern,
                                        self.proc.output()[-4000:]))
            return None
        try:
            return wait_for(found, timeout=timeout, what="%s console /%s/" % (self.name, pattern),
                            interval=0.1)
        except AssertionError as e:
            if "QEMU exited" in str(e):
                raise
            raise AssertionError("%s\nconsole:\n%s" % (e, self.proc.output()[-4000:]))

    def fields(self, m):
        """key=value pairs after a matched VFWD-* line."""
        line = self.console[m.start():].split("\n", 1)[0]
        return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)

    def wait_ready(self, timeout=90):
        """Waits until eth0 is configured; returns the VFWD-READY fields."""
        m = self.wait_line(r"^VFWD-READY .*$", timeout)
        f = self.fields(m)
        self.ready_s = time.monotonic() - self.t0
        errors = re.findall(r"^VFWD-ERROR .*$", self.console, re.M)
        assert not errors, "%s: %s\n%s" % (self.name, errors, self.console)
        return f

    def result(self, kind="ping", timeout=90):
        """Waits for 'VFWD-RESULT <kind> k=v...'; returns the values as ints."""
        m = self.wait_line(r"^VFWD-RESULT %s .*$" % kind, timeout)
        return {k: int(v) for k, v in self.fields(m).items()}

    def ping_replies(self):
        """Replies seen so far in pingloop mode: [seq, ...]."""
        return [int(s) for s in re.findall(r"^VFWD-PING .*seq=(\d+)", self.console, re.M)]

    def replies_at_least(self, n):
        """For wait_for(): whether the guest has printed 'n' ping replies;
        raises GuestKernelCrashed once its kernel has crashed instead."""
        if len(self.ping_replies()) >= n:
            return True
        self.check_crash()
        return False

    def check_crash(self):
        """Raises GuestKernelCrashed when the guest's kernel has crashed."""
        m = KERNEL_CRASH.search(self.console)
        if m:
            raise GuestKernelCrashed(self.name, self.console[m.start():][:1500])

    def wait_replies(self, n, timeout=30, what="ping replies"):
        """Waits until the guest (in pingloop mode) has printed 'n' ping
        replies. On a timeout, raises GuestKernelCrashed when the guest has
        stopped (check_stalled()), else fails with 'what'."""
        try:
            return wait_for(lambda: self.replies_at_least(n), timeout=timeout, what=what)
        except AssertionError:
            self.check_stalled()
            raise

    def tx_ring(self, queue=1):
        """(avail index, used index) of the guest's virtqueue 'queue' (1 is
        its first TX queue), read from guest memory through the monitor:
        QEMU keeps no index of its own for a vhost-user device."""
        path = re.search(r"^(/\S+/virtio-backend)", self.monitor("info virtio"), re.M).group(1)
        if self.sock is None:
            # A tap netdev: QEMU runs the ring itself, and its status
            # ("VRing: avail: 0x...") is only read.
            status = self.monitor("info virtio-queue-status %s %d" % (path, queue))
        else:
            # Not 'info virtio-queue-status': for a vhost device it asks the
            # back end for the ring's base (GET_VRING_BASE), which stops the
            # ring.  This one says "avail_phys: 0x...".
            status = self.monitor("info virtio-vhost-queue-status %s %d" % (path, queue))

        def index(ring):
            m = re.search(r"^\s+%s(?:_phys)?:\s+0x([0-9a-f]+)" % ring, status, re.M)
            if not m:   # "vhost device has not started yet", say
                raise ValueError("no %s ring address in: %s" % (ring, status.strip()[-300:]))
            addr = int(m.group(1), 16)
            out = self.monitor("xp /1hx 0x%x" % (addr + 2))   # after the 16-bit flags
            return int(re.search(r"^[0-9a-f]{8,}: 0x([0-9a-f]+)", out, re.M).group(1), 16)
        return index("avail"), index("used")

    def check_stalled(self, seconds=2.0):
        """Raises GuestKernelCrashed when a guest in pingloop mode has
        stopped without an oops (QEMU 7.2's migration page loss can hang
        it too): for 'seconds', ten ping intervals, it put no new buffer
        on its TX queue, although the relay (or QEMU's tap netdev) had
        taken every one (an empty ring). A relay that stops taking
        packets leaves the ring non-empty and is not mistaken for this."""
        self.check_crash()
        try:
            a0, _ = self.tx_ring()
            time.sleep(seconds)
            a1, u1 = self.tx_ring()
        except (OSError, AttributeError, ValueError) as e:   # QEMU gone, or no ring
            warnings.warn("%s: TX ring not readable: %r" % (self.name, e))
            return
        if a0 == a1 == u1:
            raise GuestKernelCrashed(self.name, "no packet sent for %.0f s (TX ring avail=used=%d); "
                                     "console:\n%s" % (seconds, a1, self.console[-1000:]))

    # ------------------------------------------------------------ monitor
    def monitor(self, command, timeout=10):
        """Runs one HMP command on the monitor socket; returns its output."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.monitor_path)
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    return buf.decode(errors="replace")
                buf += chunk
            s.sendall(command.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            return buf.decode(errors="replace")
        finally:
            s.close()

    def wait_exit(self, timeout=60):
        return self.proc.wait(timeout)

    def close(self):
        """Ends QEMU: 'quit' on the monitor, then SIGTERM, then SIGKILL."""
        if self.proc.alive():
            try:
                self.monitor("quit", timeout=3)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.stop(sigmod.SIGTERM, timeout=5)
        else:
            self.proc.wait(timeout=5)
        for path in (self.monitor_path,):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def __repr__(self):
        return "Guest(%s, pid %d)" % (self.name, self.proc.pid)


# ----------------------------------------------------------------------
# Live migration
# ----------------------------------------------------------------------

def migrate(src, uri, timeout=120, return_path=False, expect="completed", postcopy=None):
    """Migrates guest 'src' to 'uri' through its monitor and waits for the
    end; returns the 'info migrate' output once the status is 'expect'
    ("completed" or "failed"), fails on any other end. With 'return_path'
    the destination reports back, so a destination that cannot load the
    state fails the migration on the source, which then goes on running.
    'postcopy': the destination Guest; both get the postcopy-ram
    capability and the migration switches to postcopy once it is active."""
    src.monitor("migrate_set_capability events on")
    if return_path:
        src.monitor("migrate_set_capability return-path on")
    if postcopy is not None:
        for g in (src, postcopy):
            out = g.monitor("migrate_set_capability postcopy-ram on")
            assert "rror" not in out, (g.name, out)
    src.monitor("migrate_set_parameter max-bandwidth 1G")
    out = src.monitor("migrate -d %s" % uri)
    assert "rror" not in out, out
    if postcopy is not None:
        out = src.monitor("migrate_start_postcopy")
        assert "rror" not in out, out
    state = {}

    def done():
        info = src.monitor("info migrate")
        state["info"] = info
        m = re.search(r"Migration status: (\S+)", info)
        if m and m.group(1) == expect:
            return info
        if m and m.group(1) in ("completed", "failed", "cancelled"):
            raise AssertionError("migration %s:\n%s\nsource:\n%s"
                                 % (m.group(1), info, src.proc.output()[-3000:]))
        return None
    try:
        return wait_for(done, timeout=timeout, what="migration", interval=0.2)
    except AssertionError as e:
        if str(e).startswith("migration "):
            raise
        raise AssertionError("%s\n%s" % (e, state.get("info")))


def ping_gap(last_src, seqs):
    """The pings lost across a migration: the sequence numbers of the
    replies the destination saw, 'seqs', must start after the source's
    last reply, 'last_src', and have no holes."""
    assert seqs and seqs[0] > last_src, (last_src, seqs)
    assert all(b == a + 1 for a, b in zip(seqs, seqs[1:])), seqs
    return seqs[0] - last_src - 1


def pings_lost(last_src, seqs):
    """The pings lost across a migration under a flood, where the guest's
    pings compete with the flood for ring space and a postcopy guest
    stalls on its page faults, so a reply can be lost after the switch
    too: the sequence numbers after the source's last reply, 'last_src',
    up to the destination's last, 'seqs[-1]', that got no reply there.
    The destination's first reply must come after the source's last."""
    assert seqs and seqs[0] > last_src, (last_src, seqs)
    assert seqs == sorted(set(seqs)), seqs
    return seqs[-1] - last_src - len(seqs)


def migration_times(info):
    """{"total_ms":, "downtime_ms":, "setup_ms":} from 'info migrate'."""
    t = {}
    for key, rx in (("total_ms", r"total time: (\d+) ms"), ("downtime_ms", r"downtime: (\d+) ms"),
                    ("setup_ms", r"setup: (\d+) ms")):
        m = re.search(rx, info)
        if m:
            t[key] = int(m.group(1))
    return t
