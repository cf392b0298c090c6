# SPDX-License-Identifier: BSD-3-Clause
"""No socket path or lock a local user can abuse.

The daemon runs as root.  Each case is played by real users that this
module creates and removes afterwards (also when a test fails): 'user',
an unprivileged local user, and 'member', a member of the socket group,
who may use port control as designed.  Every abuse is refused and
logged, the files of others stay as they were, and the daemon and its
other services go on.

The tests work in a directory of their own under /tmp that the users can
reach (pytest's own is root-only), with 'shared' directories of mode
1777 standing for /tmp itself.
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import uuid

import pytest

import harness
from harness import Daemon, run_daemon_expect_error, wait_for


# ----------------------------------------------------------------------
# Users, and what they run
# ----------------------------------------------------------------------

class Users:
    """An unprivileged user and a socket-group member, made for the test."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.group = "vfwdtg" + tag
        self.user = "vfwdtu" + tag
        self.member = "vfwdtm" + tag
        self.made = []

    def create(self):
        self._run("groupadd", self.group)
        self.made.append(("groupdel", self.group))
        nogroup = grp.getgrnam("nogroup").gr_gid
        for name, extra in ((self.user, []), (self.member, ["-G", self.group])):
            self._run("useradd", "-M", "-N", "-g", str(nogroup), "-s", "/usr/sbin/nologin",
                      *extra, name)
            self.made.insert(0, ("userdel", name))
        self.gid = grp.getgrnam(self.group).gr_gid
        self.nogroup = nogroup
        self.uid = pwd.getpwnam(self.user).pw_uid
        self.member_uid = pwd.getpwnam(self.member).pw_uid

    def remove(self):
        for cmd, name in self.made:
            subprocess.run([cmd, name], capture_output=True)
        self.made = []

    @staticmethod
    def _run(*argv):
        subprocess.run(argv, check=True, capture_output=True, text=True)

    def creds(self, who):
        """subprocess arguments that run a child as 'who'."""
        if who == "user":
            return {"user": self.uid, "group": self.nogroup, "extra_groups": []}
        return {"user": self.member_uid, "group": self.nogroup,
                "extra_groups": [self.gid]}

    def run(self, who, argv, **kw):
        return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              **self.creds(who), **kw)

    def ctl(self, who, d, *args):
        """vfwdctl as 'who' against daemon 'd'."""
        return self.run(who, [harness.CTL, "--config", d.conf] + list(args))


@pytest.fixture(scope="module")
def users():
    u = Users()
    try:
        u.create()
        yield u
    finally:
        u.remove()


# A process of a user: holds something (a listening socket, a lock) until
# it is closed.  It prints "ready" once it does.
HOLDER = r"""
import fcntl, os, socket, sys
what, path = sys.argv[1], sys.argv[2]
if what == "listen":
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(8)
elif what == "dead":
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
elif what == "flock_sh":
    f = open(path)                   # readable is enough to lock
    fcntl.flock(f, fcntl.LOCK_SH)
elif what == "flock_ex":
    f = open(path, "a+")
    os.chmod(path, 0o666)
    fcntl.flock(f, fcntl.LOCK_EX)
elif what == "open":
    try:
        open(path, "r+")
        print("opened", flush=True)
    except OSError as e:
        print("refused", e.errno, flush=True)
    sys.exit(0)
print("ready", flush=True)
if what == "listen":
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"mine")
        except OSError:              # a peer that only looked
            pass
        c.close()
else:
    sys.stdin.read()
"""


class Holder:
    """HOLDER run as a user; ended by its pid on close()."""

    def __init__(self, users, who, what, path):
        self.p = subprocess.Popen([sys.executable, "-c", HOLDER, what, path],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  **users.creds(who))
        line = self.p.stdout.readline()
        assert line.strip() == "ready", (line, self.p.stderr.read())

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=10)


def user_socket(users, who, path, listening):
    """A unix socket of 'who' at 'path', with a process listening on it or
    left behind by one that is gone."""
    if listening:
        return Holder(users, who, "listen", path)
    p = subprocess.run([sys.executable, "-c", HOLDER, "dead", path], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL, **users.creds(who))
    assert p.returncode == 0, p.stderr
    return None


def answers(path, expect=None):
    """Does a process listen on the unix socket 'path' (and say 'expect')?"""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(path)
        return expect is None or s.recv(16) == expect
    except OSError:
        return False
    finally:
        s.close()


class RootService:
    """Another root service's live socket: a thread that accepts and
    answers "root" until closed."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX)
        self.s.bind(path)
        self.s.listen(8)
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                c.sendall(b"root")
            except OSError:             # a peer that only looked
                pass
            c.close()

    def close(self):
        self.stop = True
        self.t.join(timeout=5)
        self.s.close()


class WorkDir:
    """A directory under /tmp the test users can reach (mode 0755)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="vfwdsec", dir="/tmp")
        os.chmod(self.path, 0o755)

    def sub(self, name, mode=0o755):
        p = os.path.join(self.path, name)
        os.mkdir(p)
        os.chmod(p, mode)
        return p

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


@pytest.fixture
def work(reg):
    return reg.add(WorkDir())


def kind(path):
    """What is at 'path': (type, owner), without following a link."""
    st = os.lstat(path)
    return stat.S_IFMT(st.st_mode), st.st_uid


def refused(d, p, *words):
    """vfwdctl exited 1 with one stderr line holding 'words', and the
    daemon logged the refusal."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    for w in words:
        assert w in p.stderr, (w, p.stderr)
    wait_for(lambda: "refused socket path: " in d.proc.err, what="refusal logged")


# ----------------------------------------------------------------------
# Dynamic socket paths from a socket-group member
# ----------------------------------------------------------------------

def test_dynamic_socket_paths(users, work, reg):
    """A member of the socket group asks for socket paths that would make
    root remove, replace or create files where it must not: every one is
    refused with the path and the reason, and logged; nothing of anybody
    else's changes; paths in the allowed directories work."""
    shared = work.sub("shared", 0o1777)         # the socket directory, as /tmp
    extra = work.sub("extra")                   # VIRTIOFWD_DYNAMIC_SOCKET_DIRS
    rootonly = work.sub("rootonly", 0o700)      # another root service's
    svc = reg.add(RootService(os.path.join(rootonly, "svc.sock")))
    live_extra = reg.add(RootService(os.path.join(extra, "live.sock")))
    precious = os.path.join(extra, "precious")
    with open(precious, "w") as f:
        f.write("keep me\n")
    d = reg.add(Daemon(work.sub("d"), {
        "VIRTIOFWD_DYNAMIC_SOCKETS": "true",
        "VIRTIOFWD_SOCKET_DIR": shared,
        "VIRTIOFWD_DYNAMIC_SOCKET_DIRS": extra,
        "VIRTIOFWD_SOCKET_GROUP": users.group,
    }))
    # The world-writable socket directory is reported at start.
    assert ("VIRTIOFWD_SOCKET_DIR %s is writable by every user: any of them can take "
            "a relay's socket name there first" % shared) in d.proc.err, d.proc.err

    def add(path, dev="net_null3"):
        return users.ctl("member", d, "add_sock", "--vhost-path=" + path, "--device=" + dev)

    # The case: the live socket of another root service, in a
    # root-only directory.
    p = add(svc.path)
    refused(d, p, "%s: not in a directory allowed for vhost-user sockets (allowed: %s, %s;"
            % (svc.path, shared, extra), "(Operation not permitted)")
    p = users.ctl("member", d, "remove_sock", "--vhost-path=" + svc.path,
                  "--no-conditional")
    assert p.returncode == 1 and "no such socket or device" in p.stderr, p.stderr
    # Out of an allowed directory with "..".
    p = add(shared + "/../rootonly/svc.sock")
    refused(d, p, "'.' and '..' are not allowed in a socket path")
    # A link of the user's to it, in the shared directory; a linked directory.
    os.symlink(svc.path, os.path.join(shared, "link.sock"))
    os.lchown(os.path.join(shared, "link.sock"), users.uid, -1)
    p = add(os.path.join(shared, "link.sock"))
    refused(d, p, "%s/link.sock: is a symbolic link; a socket path must name the socket "
            "itself" % shared)
    os.symlink(rootonly, os.path.join(shared, "dirlink"))
    p = add(os.path.join(shared, "dirlink", "svc.sock"))
    refused(d, p, "dirlink/svc.sock: not in a directory allowed")
    assert answers(svc.path, b"root")

    # The user's own sockets in the shared directory, live or not: never
    # root's to delete.
    mine = reg.add(user_socket(users, "user", os.path.join(shared, "vm9.sock"), True))
    user_socket(users, "user", os.path.join(shared, "dead.sock"), False)
    for name in ("vm9.sock", "dead.sock"):
        p = add(os.path.join(shared, name))
        refused(d, p, "%s/%s: exists and is a socket of user %s (uid %d), not of the "
                "daemon's user; not replacing it" % (shared, name, users.user, users.uid),
                "(File exists)")
        assert kind(os.path.join(shared, name)) == (stat.S_IFSOCK, users.uid)
    assert answers(os.path.join(shared, "vm9.sock"), b"mine")
    # Root's own: a live socket and a regular file in an allowed directory.
    p = add(live_extra.path)
    refused(d, p, "%s: exists and a process listens on it; not replacing it"
            % live_extra.path)
    assert answers(live_extra.path, b"root")
    p = add(precious)
    refused(d, p, "%s: exists and is a regular file, not a socket" % precious)
    with open(precious) as f:
        assert f.read() == "keep me\n"

    # What is allowed works: a new socket in the socket directory, and a
    # stale one (a killed daemon's) replaced in the extra directory.
    stale = os.path.join(extra, "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    for path, dev in ((os.path.join(shared, "vm1.sock"), "net_null1"), (stale, "net_null2")):
        p = add(path, dev)
        assert p.returncode == 0, p.stderr
        assert "socket %s with %s" % (path, dev) in p.stdout, p.stdout
        st = os.lstat(path)
        assert stat.S_ISSOCK(st.st_mode) and st.st_uid == 0 and st.st_gid == users.gid
    assert ("%s: removed stale socket" % stale) in d.proc.err
    # The daemon and its services go on: stats for the member, and the
    # sockets go when asked.
    p = users.ctl("member", d, "stats", "--json")
    assert p.returncode == 0, p.stderr
    sockets = {r["vhost"]["vhost_socket_name"] for r in json.loads(p.stdout)["relay"]}
    assert {os.path.join(shared, "vm1.sock"), stale} <= sockets
    for path in (os.path.join(shared, "vm1.sock"), stale):
        p = users.ctl("member", d, "remove_sock", "--vhost-path=" + path)
        assert p.returncode == 0, p.stderr
        assert not os.path.lexists(path)
    assert d.proc.alive()
    assert answers(svc.path, b"root") and answers(live_extra.path, b"root")
    assert answers(os.path.join(shared, "vm9.sock"), b"mine")
    mine.close()
    assert len(re.findall(r"\[warning\]: port control: refused socket path: ",
                          d.proc.err)) == 8, d.proc.err


# ----------------------------------------------------------------------
# Squatting on static socket names in a shared sticky directory
# ----------------------------------------------------------------------

def test_static_socket_squatting(users, work, reg):
    """Before the daemon starts, a user puts a file, a link, a directory, a
    live socket and a dead socket at the names of relays 3 to 7 in the
    shared socket directory: those relays are reported and get no socket,
    the user's things stay (the live socket keeps working), and the other
    59 relays start."""
    shared = work.sub("shared", 0o1777)
    precious = os.path.join(work.path, "precious")
    with open(precious, "w") as f:
        f.write("keep me\n")

    def name(relay):
        return os.path.join(shared, "virtio-forwarder%d.sock" % relay)

    script = ("import os, sys; a = sys.argv; open(a[1], 'w').close(); "
              "os.symlink(a[3], a[2]); os.mkdir(a[4])")
    p = users.run("user", [sys.executable, "-c", script, name(3), name(4), precious,
                           name(5)])
    assert p.returncode == 0, p.stderr
    live = reg.add(user_socket(users, "user", name(6), True))
    user_socket(users, "user", name(7), False)
    before = {r: kind(name(r)) for r in range(3, 8)}

    d = reg.add(Daemon(work.sub("d"), {"VIRTIOFWD_SOCKET_DIR": shared}))
    reasons = {3: "exists and is a regular file, not a socket",
               4: "exists and is a symbolic link, not a socket",
               5: "exists and is a directory, not a socket",
               6: "exists and is a socket of user %s (uid %d), not of the daemon's user"
                  % (users.user, users.uid),
               7: "exists and is a socket of user %s" % users.user}
    for relay, why in reasons.items():
        assert ("[error]: relay %d gets no socket: %s: %s" % (relay, name(relay), why)
                in d.proc.err), d.proc.err
    assert "59 vhost-user sockets for relays 0-63 (%s/" % shared in d.proc.err
    assert "VIRTIOFWD_SOCKET_DIR %s is writable by every user" % shared in d.proc.err
    for relay in (0, 2, 8, 63):
        assert kind(name(relay)) == (stat.S_IFSOCK, 0)
    assert {r: kind(name(r)) for r in range(3, 8)} == before
    assert answers(name(6), b"mine")
    with open(precious) as f:
        assert f.read() == "keep me\n"
    # The others serve: a guest on relay 8.
    vm = reg.add(harness.vm_peer(name(8)))
    wait_for(lambda: harness.relay_up(d, 8), what="guest on relay 8")
    vm.close()
    # Stopping removes the daemon's sockets only.
    assert d.stop() == 0
    assert not os.path.lexists(name(8))
    assert {r: kind(name(r)) for r in range(3, 8)} == before
    assert answers(name(6), b"mine")
    live.close()


# ----------------------------------------------------------------------
# The socket directory
# ----------------------------------------------------------------------

def test_socket_directory(users, work, reg):
    """A missing socket directory is created root-owned and not
    world-writable (1770 for the socket group in client mode, where QEMU
    creates the sockets); one another user made first, or a link of
    theirs to one, stops the daemon with the reason."""
    base = work.sub("d")
    made = os.path.join(base, "new", "sockets")
    d = reg.add(Daemon(base, {"VIRTIOFWD_SOCKET_DIR": made,
                              "VIRTIOFWD_SOCKET_GROUP": users.group}))
    st = os.stat(made)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, users.gid, 0o755)
    assert "writable by every user" not in d.proc.err
    # Nobody else can take a name in it.
    p = users.run("user", ["touch", os.path.join(made, "virtio-forwarder70.sock")])
    assert p.returncode != 0 and "Permission denied" in p.stderr
    d.stop()

    client = os.path.join(base, "client")
    d = reg.add(Daemon(base, {"VIRTIOFWD_SOCKET_DIR": client, "VIRTIOFWD_VHOST_CLIENT": "y",
                              "VIRTIOFWD_SOCKET_GROUP": users.group}, name="client"))
    st = os.stat(client)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, users.gid, 0o1770)
    d.stop()

    # /tmp/virtio-forwarder made by another user before the first start.
    shared = work.sub("shared", 0o1777)
    theirs = os.path.join(shared, "virtio-forwarder")
    p = users.run("user", ["mkdir", theirs])
    assert p.returncode == 0, p.stderr
    rc, err = run_daemon_expect_error(base, {"VIRTIOFWD_SOCKET_DIR": theirs})
    assert rc == 1, err
    assert ("VIRTIOFWD_SOCKET_DIR %s: owned by user %s (uid %d), who could remove or "
            "replace the sockets in it" % (theirs, users.user, users.uid)) in err, err
    assert os.listdir(theirs) == []
    # A link of theirs to a good directory.
    link = os.path.join(shared, "vfwd-link")
    p = users.run("user", ["ln", "-s", made, link])
    assert p.returncode == 0, p.stderr
    rc, err = run_daemon_expect_error(base, {"VIRTIOFWD_SOCKET_DIR": link})
    assert rc == 1, err
    assert ("VIRTIOFWD_SOCKET_DIR %s: reached through symbolic link %s of user %s"
            % (link, link, users.user)) in err, err


BIND_SOCKET = "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])"


def test_client_mode_socket_directory(users, work, reg):
    """In client mode QEMU creates the sockets: an existing socket
    directory its group cannot write is given that group and mode 1770
    when it is the daemon's own (holding nothing but sockets, as
    /run/virtio-forwarder made by the package's tmpfiles.d entry at boot
    does), and refused, with the commands that fix it, when it holds
    other files; one the group can already write is left alone."""
    base = work.sub("c")
    client = {"VIRTIOFWD_VHOST_CLIENT": "y", "VIRTIOFWD_SOCKET_GROUP": users.group}

    # As systemd-tmpfiles leaves it: 0755 root:root, empty.
    boot = work.sub("boot")
    d = reg.add(Daemon(base, dict(client, VIRTIOFWD_SOCKET_DIR=boot)))
    st = os.stat(boot)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, users.gid, 0o1770)
    assert ("VIRTIOFWD_SOCKET_DIR %s: in client mode QEMU creates the sockets here: "
            "gave it to group %s, mode 1770 (it was 0755, group 0)"
            % (boot, users.group)) in d.proc.err, d.proc.err
    # QEMU's group can now create its socket there; others cannot.
    p = users.run("member", [sys.executable, "-c", BIND_SOCKET,
                             os.path.join(boot, "virtio-forwarder1.sock")])
    assert p.returncode == 0, p.stderr
    p = users.run("user", [sys.executable, "-c", BIND_SOCKET,
                           os.path.join(boot, "virtio-forwarder2.sock")])
    assert p.returncode != 0 and "Permission denied" in p.stderr
    d.stop()

    # A directory with other files in it is not the daemon's to change.
    other = work.sub("other")
    with open(os.path.join(other, "notes"), "w") as f:
        f.write("not a socket\n")
    rc, err = run_daemon_expect_error(base, dict(client, VIRTIOFWD_SOCKET_DIR=other))
    assert rc == 1, err
    assert ("VIRTIOFWD_SOCKET_DIR %s: client mode, but QEMU (group %s) cannot create "
            "sockets in it (mode 0755, uid 0, gid 0) and it holds other files; run "
            "chgrp %s %s; chmod 1770 %s, or name a new directory such as "
            "/run/virtio-forwarder/vhost" % (other, users.group, users.group, other, other)
            ) in err, err
    st = os.stat(other)
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0o755)

    # Done as the error says: accepted, and nothing is changed.
    os.chown(other, 0, users.gid)
    os.chmod(other, 0o1770)
    d = reg.add(Daemon(base, dict(client, VIRTIOFWD_SOCKET_DIR=other), name="fixed"))
    assert "in client mode QEMU creates the sockets here" not in d.proc.err
    st = os.stat(other)
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (users.gid, 0o1770)
    d.stop()

    # Server mode never changes an existing directory.
    d = reg.add(Daemon(base, {"VIRTIOFWD_SOCKET_DIR": work.sub("server"),
                              "VIRTIOFWD_SOCKET_GROUP": users.group}, name="server"))
    st = os.stat(d.vars["VIRTIOFWD_SOCKET_DIR"])
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0o755)


class PrivateAccounts:
    """Copies of /etc/passwd and /etc/group without the socket owner and
    group of the defaults (libvirt-qemu, kvm), which a daemon started
    through wrap() sees in place of the real ones: a host where libvirt
    is installed after the daemon started.  add() appends an account to
    the copy in place, so that the daemon's view changes at once."""

    def __init__(self, where):
        self.passwd = os.path.join(where, "passwd")
        self.group = os.path.join(where, "group")
        for src, dst, name in (("/etc/passwd", self.passwd, "libvirt-qemu:"),
                               ("/etc/group", self.group, "kvm:")):
            with open(src) as f:
                lines = [l for l in f if not l.startswith(name)]
            with open(dst, "w") as f:
                f.writelines(lines)
            os.chmod(dst, 0o644)

    def wrap(self):
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /etc/passwd && mount --bind "$1" /etc/group && '
                'shift && exec "$@"', self.passwd, self.group]

    def add(self, uid, gid):
        with open(self.passwd, "a") as f:
            f.write("libvirt-qemu:x:%d:%d::/nonexistent:/usr/sbin/nologin\n" % (uid, gid))
        with open(self.group, "a") as f:
            f.write("kvm:x:%d:\n" % gid)


def test_socket_owner_that_appears_later(users, work, reg):
    """The default socket owner and group (libvirt-qemu, kvm) missing at
    start: a warning, root's sockets; once they exist (libvirt installed
    later), the open sockets are given to them within a couple of seconds
    and, in client mode, the socket directory to the group, without a
    restart."""
    acc = PrivateAccounts(work.sub("etc"))
    base = work.sub("late")
    defaults = {"VIRTIOFWD_SOCKET_OWNER": None, "VIRTIOFWD_SOCKET_GROUP": None}
    d = reg.add(Daemon(base, defaults, wrap=acc.wrap()))
    assert "socket owner 'libvirt-qemu' (the default) does not exist" in d.proc.err
    assert "socket group 'kvm' (the default) does not exist" in d.proc.err
    sock = d.socket(0)
    assert (os.stat(sock).st_uid, os.stat(sock).st_gid) == (0, 0)

    acc.add(users.uid, users.gid)
    # The first socket and the last (the daemon gives them in turn; the
    # owner and the group may be found in different passes).
    wait_for(lambda: all((os.stat(p).st_uid, os.stat(p).st_gid) == (users.uid, users.gid)
                         for p in (sock, d.socket(63))),
             timeout=5, what="the sockets given to the new owner and group")
    assert "socket owner 'libvirt-qemu' exists now (uid %d)" % users.uid in d.proc.err
    wait_for(lambda: "64 open vhost-user sockets given to the socket owner and group"
             in d.proc.err, timeout=5, what="the daemon saying all 64 were given")
    d.stop()

    # Client mode: the directory the daemon made at start (root's, as
    # there was no group) becomes the group's once the group exists.
    acc = PrivateAccounts(work.sub("etc2"))
    made = os.path.join(work.sub("late2"), "sockets")
    d = reg.add(Daemon(base, dict(defaults, VIRTIOFWD_SOCKET_DIR=made,
                                  VIRTIOFWD_VHOST_CLIENT="y"),
                       name="client", wrap=acc.wrap()))
    st = os.stat(made)
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0o755)
    acc.add(users.uid, users.gid)
    wait_for(lambda: stat.S_IMODE(os.stat(made).st_mode) == 0o1770 and
             os.stat(made).st_gid == users.gid, timeout=5,
             what="the socket directory given to the new group")
    p = users.run("member", [sys.executable, "-c", BIND_SOCKET,
                             os.path.join(made, "virtio-forwarder0.sock")])
    assert p.returncode == 0, p.stderr


# ----------------------------------------------------------------------
# The pid file and its lock
# ----------------------------------------------------------------------

def test_pid_lock(users, work, reg):
    """In a shared pid directory a user pre-creates the lock file (and
    holds a lock on it) and puts a link at the pid file's name; later they
    hold a shared lock on the readable pid file while the daemon is
    killed.  The daemon starts, restarts, and touches nothing of theirs."""
    piddir = work.sub("pid", 0o1777)
    pidfile = os.path.join(piddir, "virtio-forwarder.pid")
    lock = pidfile + ".lock"
    precious = os.path.join(work.path, "precious")
    with open(precious, "w") as f:
        f.write("keep me\n")
    held = reg.add(Holder(users, "user", "flock_ex", lock))
    p = users.run("user", ["ln", "-s", precious, pidfile])
    assert p.returncode == 0, p.stderr

    d = reg.add(Daemon(work.sub("d"), {"VIRTIOFWD_PID_DIR": piddir}))
    assert ("lock file %s: not a file only the daemon's user can open; replacing it"
            % lock) in d.proc.err, d.proc.err
    with open(precious) as f:
        assert f.read() == "keep me\n"
    st = os.lstat(pidfile)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644
    with open(pidfile) as f:
        assert int(f.read()) == d.proc.pid
    st = os.lstat(lock)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o600)
    held.close()
    # The user cannot open the lock, so cannot hold it.
    p = users.run("user", [sys.executable, "-c", HOLDER, "open", lock])
    assert p.stdout.startswith("refused 13"), (p.stdout, p.stderr)

    # A second daemon on the same pid file is refused.
    rc, err = run_daemon_expect_error(work.sub("d2"), {"VIRTIOFWD_PID_DIR": piddir})
    assert rc == 1, err
    assert "another virtio-forwarder is running (pid %d, pid file %s, lock %s)" % (
        d.proc.pid, pidfile, lock) in err, err

    # Killed while the user holds a shared lock on the pid file: the
    # restart succeeds all the same.
    reader = reg.add(Holder(users, "user", "flock_sh", pidfile))
    assert d.stop(signal.SIGKILL) != 0
    d.start()
    with open(pidfile) as f:
        assert int(f.read()) == d.proc.pid
    assert "another virtio-forwarder" not in d.proc.err
    reader.close()
