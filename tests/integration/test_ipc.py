# SPDX-License-Identifier: BSD-3-Clause
"""IPC file port control (VIRTIOFWD_IPC_PORT_CONTROL): command files dropped
in a watched directory add and remove relay devices; every file is answered
once in <name>.result and removed.  The relays are checked in the daemon's
own stats, and traffic through real DPDK peers."""

import ctypes
import os
import stat

from harness import (devices, net_vhost_spec, ZMQ_OVER_IPC_WARNING, Daemon, VethNs, port_control_warnings,
                     receive_start, relay_up, run_daemon_expect_error, send, sh, vm_peer,
                     wait_for, wire_peer)

MAX_FILE = 64 * 1024
MAX_LINE = 512


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------

def ipc_vars(ipcdir, extra=None):
    v = {"VIRTIOFWD_IPC_PORT_CONTROL": "1",
         "VIRTIOFWD_IPC_DIR": str(ipcdir),
         # The harness enables ZeroMQ port control; the sources exclude
         # each other.
         "VIRTIOFWD_ZMQ_PORT_CONTROL_EP": ""}
    v.update(extra or {})
    return v


def ipc_daemon(reg, sockdir, extra=None, **kw):
    ipcdir = os.path.join(str(sockdir), "ipc")
    d = reg.add(Daemon(sockdir, ipc_vars(ipcdir, extra), **kw))
    d.ipcdir = ipcdir
    return d


def inode(path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def read_result(ipcdir, name, timeout=10, old=None):
    """Waits for <name>.result (a new one when 'old', the inode of an
    earlier result, is given) and returns its lines."""
    path = os.path.join(ipcdir, name + ".result")
    wait_for(lambda: inode(path) not in (None, old), timeout, "%s.result" % name)
    with open(path) as f:
        text = f.read()
    assert not os.path.exists(os.path.join(ipcdir, name)), \
        "command file %s left behind" % name
    return text.splitlines()


def submit(ipcdir, name, text, timeout=10):
    """Writes a command file the safe way (a dot-name renamed into place)
    and returns the lines of its result."""
    data = text.encode() if isinstance(text, str) else text
    tmp = os.path.join(ipcdir, "." + name)
    old = inode(os.path.join(ipcdir, name + ".result"))
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(ipcdir, name))
    return read_result(ipcdir, name, timeout, old)


def exchange(a, b):
    """Swaps paths 'a' and 'b' atomically (renameat2 RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), a)


def files(ipcdir):
    return sorted(os.listdir(ipcdir))


def taken(d, name):
    """How many times the daemon took command file 'name'."""
    return d.proc.err.count("ipc: command file %s\n" % name)


def handled(ipcdir):
    """A barrier: returns once the daemon has handled every event of the
    directory before the call.  Events are handled in order, so once a
    command file written now is answered, so are they.  Its result is
    removed again."""
    assert submit(ipcdir, "barrier", "# nothing\n") == []
    os.remove(os.path.join(ipcdir, "barrier.result"))


# ----------------------------------------------------------------------
# The directory
# ----------------------------------------------------------------------

def test_directory_created_private(reg, sockdir):
    ipcdir = os.path.join(str(sockdir), "run", "vfwd", "ipc")
    d = reg.add(Daemon(sockdir, ipc_vars(ipcdir)))
    st = os.lstat(ipcdir)
    assert stat.S_ISDIR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert st.st_uid == os.geteuid()
    assert files(ipcdir) == []
    assert d.log_has("IPC port control: watching %s" % ipcdir)
    # Results are private too.
    assert submit(ipcdir, "c1", "add_port net_null0 1\n") == \
        ["ok add_port net_null0: relay 1, device net_null0"]
    assert stat.S_IMODE(os.stat(os.path.join(ipcdir, "c1.result")).st_mode) == 0o600
    assert files(ipcdir) == ["c1.result"]


def test_existing_open_directory_made_private(reg, sockdir):
    ipcdir = os.path.join(str(sockdir), "ipc")
    os.mkdir(ipcdir)
    os.chmod(ipcdir, 0o777)
    ipc_daemon(reg, sockdir)
    assert stat.S_IMODE(os.stat(ipcdir).st_mode) == 0o700


def test_directory_of_another_user_refused(sockdir):
    import pwd
    ipcdir = os.path.join(str(sockdir), "ipc")
    os.mkdir(ipcdir, 0o700)
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(ipcdir, nobody, -1)
    rc, err = run_daemon_expect_error(sockdir, ipc_vars(ipcdir))
    assert rc != 0
    assert "VIRTIOFWD_IPC_PORT_CONTROL" in err and ipcdir in err, err
    assert "belongs to uid %d" % nobody in err, err
    assert os.stat(ipcdir).st_uid == nobody        # left as it was


def test_directory_symlink_refused(sockdir):
    real = os.path.join(str(sockdir), "real")
    os.mkdir(real, 0o700)
    link = os.path.join(str(sockdir), "ipc")
    os.symlink(real, link)
    rc, err = run_daemon_expect_error(sockdir, ipc_vars(link))
    assert rc != 0
    assert "%s is not a directory" % link in err, err


# ----------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------

def test_add_and_delete_null_devices(reg, sockdir):
    d = ipc_daemon(reg, sockdir)
    assert devices(d) == {}
    # With a relay number.
    assert submit(d.ipcdir, "a", "add_port net_null0 5\n") == \
        ["ok add_port net_null0: relay 5, device net_null0"]
    assert devices(d) == {5: "net_null0"}
    # Without: the first relay that has no device.
    assert submit(d.ipcdir, "b", "add_port net_null1\nadd_port net_null2\n") == [
        "ok add_port net_null1: relay 0, device net_null1",
        "ok add_port net_null2: relay 1, device net_null2"]
    assert devices(d) == {0: "net_null1", 1: "net_null2", 5: "net_null0"}
    # Devargs options are kept.
    assert submit(d.ipcdir, "c", "add_port net_null3,size=128 7\n") == \
        ["ok add_port net_null3,size=128: relay 7, device net_null3,size=128"]
    assert devices(d)[7] == "net_null3,size=128"
    # The relay is busy with another device.
    res = submit(d.ipcdir, "d", "add_port net_null4 5\n")
    assert len(res) == 1 and res[0].startswith("error: line 1: "), res
    assert "net_null0" in res[0]
    # Removal, by the same devargs.
    assert submit(d.ipcdir, "e", "del_port net_null0\ndel_port net_null3,size=128\n") == [
        "ok del_port net_null0: device net_null0 removed",
        "ok del_port net_null3,size=128: device net_null3,size=128 removed"]
    assert devices(d) == {0: "net_null1", 1: "net_null2"}
    # A device no relay has.
    res = submit(d.ipcdir, "f", "del_port net_null9\n")
    assert len(res) == 1 and res[0].startswith("error: line 1: ") and "net_null9" in res[0]
    # The freed relay 5 is not the first free one: relay 2 is.
    assert submit(d.ipcdir, "g", "add_port net_null5\n") == \
        ["ok add_port net_null5: relay 2, device net_null5"]
    assert devices(d) == {0: "net_null1", 1: "net_null2", 2: "net_null5"}
    assert files(d.ipcdir) == sorted(n + ".result" for n in "abcdefg")


def test_vhost_device_traffic(reg, sockdir):
    """A net_vhost stand-in VF added through a file forwards both ways
    between testpmd peers; deleting it through a file stops the relay."""
    d = ipc_daemon(reg, sockdir)
    vf_sock = os.path.join(str(sockdir), "vf1.sock")
    spec = net_vhost_spec(vf_sock)
    assert submit(d.ipcdir, "add", "add_port %s 2\n" % spec) == \
        ["ok add_port %s: relay 2, device %s" % (spec, spec)]
    assert devices(d) == {2: spec}
    wire = reg.add(wire_peer(vf_sock))
    vm = reg.add(vm_peer(d.socket(2)))
    wait_for(lambda: relay_up(d, 2), what="guest on relay 2")

    receive_start(wire)
    send(vm, 3)
    sent = vm.port_stats()["tx_pkts"]
    assert sent >= 32
    wait_for(lambda: wire.port_stats()["rx_pkts"] == sent, what="VM to VF")
    wire.cmd("stop")
    receive_start(vm)
    send(wire, 2)
    back = wire.port_stats()["tx_pkts"]
    wait_for(lambda: vm.port_stats()["rx_pkts"] == back, what="VF to VM")
    s = d.settled_stats(2)
    assert s["vm_to_vf"]["tx_pkts"] == sent and s["vf_to_vm"]["tx_pkts"] == back

    assert submit(d.ipcdir, "del", "del_port %s\n" % spec) == \
        ["ok del_port %s: device %s removed" % (spec, spec)]
    assert devices(d) == {}
    # The guest stays on its socket, with nothing behind it.
    assert d.stats()[2]["info"]["guest"] == "connected"
    assert d.proc.alive()


def test_interface_name_cannot_be_mapped(reg, sockdir):
    veth = reg.add(VethNs("10.97.0.1/24"))
    d = ipc_daemon(reg, sockdir)
    submit(d.ipcdir, "base", "add_port net_null0 3\n")
    before = devices(d)
    res = submit(d.ipcdir, "veth", "add_port %s 4\nadd_port %s\ndel_port %s\n"
                 % (veth.host, veth.host, veth.host))
    assert len(res) == 3, res
    for i, line in enumerate(res, 1):
        assert line.startswith("error: line %d: %s: no PCI device behind it" % (i, veth.host)), line
        assert "devargs" in line
    res = submit(d.ipcdir, "none", "add_port vfwdnosuch0 4\n")
    assert res == ["error: line 1: vfwdnosuch0: no such interface on this host"]
    assert devices(d) == before
    # The kernel interface is untouched.
    assert "UP" in sh("ip", "link", "show", veth.host).stdout


def test_malformed_lines(reg, sockdir):
    """Each bad line is refused with its number and reason; the good lines
    of the same file still apply."""
    d = ipc_daemon(reg, sockdir)
    long_line = "add_port net_null3 3 " + "x" * MAX_LINE
    # A line of exactly the limit is fine.
    exact = "add_port net_null4 4".ljust(MAX_LINE)
    lines = [
        b"# a comment",                                  # 1
        b"frobnicate net_null1 1",                        # 2
        b"add_port",                                      # 3
        b"add_port net_null1 64",                         # 4
        b"add_port net_null1 x",                          # 5
        b"add_port net_null1 1 2 3",                      # 6
        b"add_port net_null1 1 2",                        # 7
        b"del_port",                                      # 8
        b"del_port net_null1 net_null2",                  # 9
        long_line.encode(),                               # 10
        b"add_port net_null5\x00 5",                      # 11
        b"add_port net_null1 1",                          # 12
        b"",                                              # 13
        b"   \t",                                         # 14
        b"add_port net_null2 -1",                         # 15
        b"add_port net_null2 99999999999999999999999",    # 16
        b"add_port net_null2 2\r",                        # 17
        b"add_port net_null!x 6",                         # 18
        exact.encode(),                                   # 19
        b"del_port net_null7",                            # 20
    ]
    res = submit(d.ipcdir, "mixed", b"\n".join(lines))   # no final newline
    expect = [
        ("error: line 2: ", "unknown command 'frobnicate'"),
        ("error: line 3: ", "usage: add_port <ifname|device> [relay]"),
        ("error: line 4: ", "relay '64': must be a number from 0 to 63"),
        ("error: line 5: ", "relay 'x'"),
        ("error: line 6: ", "too many words"),
        ("error: line 7: ", "usage: add_port"),
        ("error: line 8: ", "usage: del_port <ifname|device>"),
        ("error: line 9: ", "usage: del_port"),
        ("error: line 10: ", "longer than %d characters" % MAX_LINE),
        ("error: line 11: ", "NUL byte"),
        ("ok add_port net_null1: relay 1, device net_null1", ""),
        ("error: line 15: ", "relay '-1'"),
        ("error: line 16: ", "relay '99999999999999999999999'"),
        ("ok add_port net_null2: relay 2, device net_null2", ""),
        ("error: line 18: ", "'net_null!x' is neither a PCI address"),
        ("ok add_port net_null4: relay 4, device net_null4", ""),
        ("error: line 20: ", "net_null7"),
    ]
    assert len(res) == len(expect), "\n".join(res)
    for got, (start, part) in zip(res, expect):
        assert got.startswith(start) and part in got, "%r: expected %r ... %r" % (got, start, part)
    assert devices(d) == {1: "net_null1", 2: "net_null2", 4: "net_null4"}
    assert d.proc.alive()


def test_partial_files_wait_for_rename(reg, sockdir):
    """Files still being written (dot-names, *.tmp, or open for writing)
    are not taken; they are once renamed into place or closed."""
    d = ipc_daemon(reg, sockdir)
    dot = os.path.join(d.ipcdir, ".pending")
    tmp = os.path.join(d.ipcdir, "pending2.tmp")
    res = os.path.join(d.ipcdir, "stray.result")
    for path, text in ((dot, "add_port net_null0 0\n"), (tmp, "add_port net_null1 1\n"),
                       (res, "add_port net_null2 2\n")):
        with open(path, "w") as f:
            f.write(text)
    # Written in place, still open: half a line so far.
    slow = open(os.path.join(d.ipcdir, "slow"), "w")
    slow.write("add_port net_nu")
    slow.flush()
    handled(d.ipcdir)
    assert devices(d) == {}
    assert files(d.ipcdir) == [".pending", "pending2.tmp", "slow", "stray.result"]

    slow.write("ll3 3\n")
    slow.close()
    assert read_result(d.ipcdir, "slow") == ["ok add_port net_null3: relay 3, device net_null3"]
    os.rename(dot, os.path.join(d.ipcdir, "pending"))
    assert read_result(d.ipcdir, "pending") == ["ok add_port net_null0: relay 0, device net_null0"]
    os.rename(tmp, os.path.join(d.ipcdir, "pending2"))
    assert read_result(d.ipcdir, "pending2") == ["ok add_port net_null1: relay 1, device net_null1"]
    assert devices(d) == {0: "net_null0", 1: "net_null1", 3: "net_null3"}
    # The stray .result was never taken as commands.
    with open(res) as f:
        assert f.read() == "add_port net_null2 2\n"
    assert files(d.ipcdir) == ["pending.result", "pending2.result", "slow.result",
                               "stray.result"]


def test_file_too_large(reg, sockdir):
    d = ipc_daemon(reg, sockdir)
    head = "add_port net_null0 0\n"
    pad = "#" * 99 + "\n"
    big = head + pad * ((MAX_FILE - len(head)) // len(pad) + 1)
    assert len(big) > MAX_FILE
    assert submit(d.ipcdir, "big", big) == \
        ["error: file larger than %d bytes; nothing done" % MAX_FILE]
    assert devices(d) == {}
    # Exactly at the limit: taken.
    exact = head + pad * ((MAX_FILE - len(head)) // len(pad))
    exact += "#" * (MAX_FILE - len(exact) - 1) + "\n"
    assert len(exact) == MAX_FILE
    assert submit(d.ipcdir, "exact", exact) == \
        ["ok add_port net_null0: relay 0, device net_null0"]
    assert files(d.ipcdir) == ["big.result", "exact.result"]


def test_symlink_ignored(reg, sockdir):
    d = ipc_daemon(reg, sockdir)
    target = os.path.join(str(sockdir), "outside")
    with open(target, "w") as f:
        f.write("add_port net_null0 0\n")
    # Made in the directory, and made elsewhere then renamed into it.
    os.symlink(target, os.path.join(d.ipcdir, "link1"))
    os.symlink(target, os.path.join(str(sockdir), "link2"))
    os.rename(os.path.join(str(sockdir), "link2"), os.path.join(d.ipcdir, "link2"))
    # A later real file is answered; by then the links have been seen.
    assert submit(d.ipcdir, "real", "add_port net_null1 1\n") == \
        ["ok add_port net_null1: relay 1, device net_null1"]
    assert devices(d) == {1: "net_null1"}
    assert files(d.ipcdir) == ["link1", "link2", "real.result"]
    with open(target) as f:
        assert f.read() == "add_port net_null0 0\n"
    assert taken(d, "link1") == 0 and taken(d, "link2") == 0


def test_files_present_at_start(reg, sockdir):
    ipcdir = os.path.join(str(sockdir), "ipc")
    os.mkdir(ipcdir, 0o700)
    for name, text in (("early1", "add_port net_null0 0\n"),
                       ("early2", "add_port net_null1 1\nbogus\n"),
                       (".early3", "add_port net_null2 2\n")):
        with open(os.path.join(ipcdir, name), "w") as f:
            f.write(text)
    d = ipc_daemon(reg, sockdir)
    assert read_result(ipcdir, "early1") == ["ok add_port net_null0: relay 0, device net_null0"]
    res = read_result(ipcdir, "early2")
    assert res[0] == "ok add_port net_null1: relay 1, device net_null1"
    assert res[1].startswith("error: line 2: unknown command 'bogus'")
    assert devices(d) == {0: "net_null0", 1: "net_null1"}
    assert files(ipcdir) == [".early3", "early1.result", "early2.result"]


def test_one_result_per_file(reg, sockdir):
    """Many files at once: each is taken exactly once, answered once, and
    removed; nothing else is left in the directory."""
    # Every relay with a device has its own packet buffers: more memory.
    d = ipc_daemon(reg, sockdir, {"VIRTIOFWD_EAL_ARGS": "--no-huge -m 2048 --no-pci"})
    names = ["cmd%02d" % i for i in range(24)]
    for i, n in enumerate(names):
        path = os.path.join(d.ipcdir, n)
        if i % 2:
            # Half renamed into place, half written in place.
            with open(path + ".tmp", "w") as f:
                f.write("add_port net_null%d %d\n" % (i, i))
            os.rename(path + ".tmp", path)
        else:
            with open(path, "w") as f:
                f.write("add_port net_null%d %d\n" % (i, i))
    for i, n in enumerate(names):
        assert read_result(d.ipcdir, n) == \
            ["ok add_port net_null%d: relay %d, device net_null%d" % (i, i, i)]
    assert files(d.ipcdir) == sorted(n + ".result" for n in names)
    for n in names:
        assert taken(d, n) == 1, n
    assert devices(d) == {i: "net_null%d" % i for i in range(24)}
    # The same name again later is a new command file, answered anew.
    assert submit(d.ipcdir, "cmd00", "del_port net_null0\n") == \
        ["ok del_port net_null0: device net_null0 removed"]
    # The log line comes before the answer, but its capture may lag.
    wait_for(lambda: taken(d, "cmd00") == 2, timeout=5, what="cmd00 taken twice")
    assert 0 not in devices(d)


def test_results_are_utf8(reg, sockdir):
    """Bytes that are not UTF-8 in a command file come back escaped as
    \\xNN, in the result file and in the daemon's log."""
    d = ipc_daemon(reg, sockdir)
    res = submit(d.ipcdir, "bytes", b"fr\xffob x\nadd_port net_null\xfe 3\n")
    assert len(res) == 2, res
    assert res[0].startswith("error: line 1: unknown command 'fr\\xffob'"), res
    assert res[1].startswith("error: line 2: ") and "net_null\\xfe' must be printable ASCII" in res[1], res
    wait_for(lambda: "net_null\\xfe" in d.proc.err, what="the escaped bytes logged")
    assert "\ufffd" not in d.proc.err, d.proc.err[-2000:]
    assert devices(d) == {}


def test_long_file_name_answered(reg, sockdir):
    """A command file whose name leaves room for "<name>.result" (at most
    255 bytes) is answered like any other."""
    d = ipc_daemon(reg, sockdir)
    name = "c" * (255 - len(".result"))
    try:
        res = submit(d.ipcdir, name, "add_port net_null0 0\n", timeout=5)
    except AssertionError:
        raise AssertionError("no %s.result; the commands were %s; the file is %s; log:\n%s" % (
            name[:8] + "...", "run" if devices(d) else "not run",
            "still there" if os.path.exists(os.path.join(d.ipcdir, name)) else "gone",
            "\n".join(ln for ln in d.proc.err.splitlines() if "ipc: " in ln)))
    assert res == ["ok add_port net_null0: relay 0, device net_null0"]
    assert devices(d) == {0: "net_null0"}


def test_zeromq_takes_precedence(reg, sockdir):
    """IPC and an explicit ZeroMQ port control endpoint (the harness sets
    one), as in 1.x's shipped file: ZeroMQ runs, as it did in 1.x, with one
    warning saying how to have IPC instead; the directory is not made."""
    ipcdir = os.path.join(str(sockdir), "ipc")
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_IPC_PORT_CONTROL": "1",
                                 "VIRTIOFWD_IPC_DIR": ipcdir}))
    assert port_control_warnings(d) == [ZMQ_OVER_IPC_WARNING], d.proc.err
    assert "port control service on ipc://" in d.proc.err
    assert "IPC port control: watching" not in d.proc.err
    assert not os.path.exists(ipcdir)


def test_directory_removed_while_running(reg, sockdir):
    """The directory removed under the daemon is made again and watched:
    commands keep being answered, and the removal is logged."""
    import shutil
    d = ipc_daemon(reg, sockdir)
    assert submit(d.ipcdir, "a", "add_port net_null0 4\n") == \
        ["ok add_port net_null0: relay 4, device net_null0"]
    shutil.rmtree(d.ipcdir)
    wait_for(lambda: os.path.isdir(d.ipcdir), what="directory made again")
    assert stat.S_IMODE(os.stat(d.ipcdir).st_mode) == 0o700
    assert submit(d.ipcdir, "b", "del_port net_null0\n") == \
        ["ok del_port net_null0: device net_null0 removed"]
    assert d.proc.err.count("was removed or moved") == 1


def test_directory_replaced_by_a_symlink_then_put_back(reg, sockdir):
    """A symbolic link put in the directory's place is refused (whoever
    made it would control the relays), so IPC stops; once the directory
    is back, commands are answered again without a restart."""
    d = ipc_daemon(reg, sockdir)
    assert submit(d.ipcdir, "a", "add_port net_null0 4\n") == \
        ["ok add_port net_null0: relay 4, device net_null0"]
    elsewhere = os.path.join(str(sockdir), "elsewhere")
    os.mkdir(elsewhere, 0o700)
    os.symlink(elsewhere, d.ipcdir + ".link")
    # In one step: a rename then a symlink would race the daemon, which
    # makes the directory again as soon as it goes.
    exchange(d.ipcdir, d.ipcdir + ".link")
    wait_for(lambda: "IPC port control is off until" in d.proc.err, what="IPC off")
    assert "is not a directory" in d.proc.err, d.proc.err[-2000:]
    exchange(d.ipcdir, d.ipcdir + ".link")
    wait_for(lambda: "IPC port control is back" in d.proc.err, what="IPC back")
    assert submit(d.ipcdir, "b", "del_port net_null0\n") == \
        ["ok del_port net_null0: device net_null0 removed"]
    assert os.listdir(elsewhere) == []
