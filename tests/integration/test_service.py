# SPDX-License-Identifier: BSD-3-Clause
"""The daemon's side of a systemd service, against a notification socket
of the test's own (the protocol systemd speaks, sd_notify(3)): READY=1,
STATUS= lines, STOPPING=1, and the watchdog, which is petted only while
every worker is alive.  A worker is made to hang for real by stopping its
thread alone with ptrace.  (The units under a real systemd are tested by
the packaging tests.)"""

import ctypes
import os
import socket
import time

from harness import Daemon, relay_up, vf_spec, vm_peer, wait_for, wire_peer

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000


class Notifications:
    """A NOTIFY_SOCKET: collects what the daemon sends, with times."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.setblocking(False)
        self.msgs = []

    def poll(self):
        while True:
            try:
                data = self.s.recv(4096)
            except BlockingIOError:
                return self.msgs
            for line in data.decode().splitlines():
                self.msgs.append((time.monotonic(), line))

    def lines(self, prefix, since=0.0):
        return [m for t, m in self.poll() if m.startswith(prefix) and t >= since]

    def close(self):
        self.s.close()
        os.unlink(self.path)


def worker_tid(pid):
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().startswith(("rte-worker", "lcore-worker")):
                return int(tid)
    raise AssertionError("no worker thread in %d" % pid)


def test_ready_status_watchdog_stopping(reg, sockdir, tmp_path):
    n = Notifications(str(tmp_path / "notify.sock"))
    os.environ["NOTIFY_SOCKET"] = n.path
    os.environ["WATCHDOG_USEC"] = "1000000"
    try:
        d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"]}))
    finally:
        del os.environ["NOTIFY_SOCKET"], os.environ["WATCHDOG_USEC"]
    try:
        wait_for(lambda: n.lines("READY=1"), what="READY=1")
        reg.add(wire_peer("%s/vf1.sock" % sockdir))
        reg.add(vm_peer(d.socket(1)))
        wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
        wait_for(lambda: any("1 relay(s) with a device, 1 guest(s) connected" in m
                             for m in n.lines("STATUS=")), what="STATUS= with the guest")
        # Petted twice a second while the worker runs.  (Times are when the
        # test reads a message: drain the socket before taking one.)
        n.poll()
        t0 = time.monotonic()
        wait_for(lambda: len(n.lines("WATCHDOG=1", since=t0)) >= 3,
                 timeout=30, what="three pets")

        # The worker thread, stopped alone: no more pets, and the log says why.
        libc = ctypes.CDLL(None, use_errno=True)
        tid = worker_tid(d.proc.pid)
        assert libc.ptrace(PTRACE_SEIZE, tid, None, None) == 0, ctypes.get_errno()
        try:
            assert libc.ptrace(PTRACE_INTERRUPT, tid, None, None) == 0
            status = ctypes.c_int()
            assert libc.waitpid(tid, ctypes.byref(status), WALL) == tid
            # The daemon notices (a barrier), then pets no more: a window
            # of two watchdog periods (WATCHDOG_USEC) with none.
            wait_for(lambda: d.log_has("not petting the systemd watchdog"), timeout=30,
                     what="the stall noticed")
            wait_for(lambda: any("a worker is stalled" in m for m in n.lines("STATUS=")),
                     timeout=30, what="STATUS= with the stall")
            t1 = time.monotonic()
            time.sleep(2.0)
            n.poll()
            assert n.lines("WATCHDOG=1", since=t1) == []
        finally:
            libc.ptrace(PTRACE_DETACH, tid, None, None)
        wait_for(lambda: d.log_has("petting the systemd watchdog") and
                 n.lines("WATCHDOG=1", since=time.monotonic() - 0.6), timeout=5,
                 what="pets again")
        assert d.stop() == 0
        assert n.lines("STOPPING=1")
    finally:
        n.close()


def test_watchdog_sleeping_worker_is_alive(reg, sockdir, tmp_path):
    """In adaptive mode a sleeping worker passes no quiescent point, yet
    is alive: the watchdog keeps being petted."""
    n = Notifications(str(tmp_path / "notify.sock"))
    os.environ["NOTIFY_SOCKET"] = n.path
    os.environ["WATCHDOG_USEC"] = "1000000"
    try:
        reg.add(Daemon(sockdir, {"VIRTIOFWD_POLL_MODE": "adaptive",
                                 "VIRTIOFWD_POLL_SLEEP_MAX_US": "100000"}))
    finally:
        del os.environ["NOTIFY_SOCKET"], os.environ["WATCHDOG_USEC"]
    try:
        wait_for(lambda: n.lines("READY=1"), what="READY=1")
        n.poll()
        t0 = time.monotonic()
        wait_for(lambda: len(n.lines("WATCHDOG=1", since=t0)) >= 5,
                 timeout=30, what="five pets while the worker sleeps")
    finally:
        n.close()
