# SPDX-License-Identifier: BSD-3-Clause
"""libvirt for the integration tests: private libvirtd instances that run
the test kit's guest (tests/vm) as libvirt domains on the daemon's
vhost-user sockets.

Debian's libvirt-daemon-system (libvirt 9.0, QEMU 7.2 under TCG) is used as
installed, but never its system instance: where systemd is not PID 1 (this
machine, CI) nothing would start it, and a test must not touch or conflict
with a libvirt the host runs.  A Libvirtd is therefore a virtlogd and a
libvirtd started by hand in a mount and UTS namespace of their own (unshare),
where copies of /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and
/var/log/libvirt, and an empty /run, are bind-mounted from a private
directory over the system's; its client socket is in that directory too and
virsh reaches it as qemu+unix:///system?socket=PATH.  Each instance has its
own hostname and host UUID, so that two of them can live-migrate a domain
between each other as two hosts would.  Everything is stopped by PID and
removed at close(), also when a test fails.

The domains are built from the XML blocks of README.md's libvirt section
(readme_xml()), so that what the README shows is what the tests boot.
"""

import os
import re
import shutil
import signal as sigmod
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

import harness
import vm
from harness import REPO, Daemon, Proc, check_sanitizers, wait_for

README = os.path.join(REPO, "README.md")
QEMU_XMLNS = "http://libvirt.org/schemas/domain/qemu/1.0"
ET.register_namespace("qemu", QEMU_XMLNS)

# The Debian packages of the libvirt tests (also in scripts/lib.sh's
# VFWD_PACKAGES): libvirtd, virtlogd and the QEMU driver; virsh.
PACKAGES = ("libvirt-daemon-system", "libvirt-clients")
LIBVIRTD = "/usr/sbin/libvirtd"
VIRTLOGD = "/usr/sbin/virtlogd"
VIRSH = "virsh"

# The package's shipped configuration file and tmpfiles.d entry.
SHIPPED_CONFIG = os.path.join(REPO, "packaging", "virtioforwarder")
SHIPPED_TMPFILES = os.path.join(REPO, "packaging", "virtio-forwarder.tmpfiles")

# The user and group QEMU runs as under Debian's libvirt (qemu.conf's
# defaults: user libvirt-qemu, whose groups include kvm); the daemon's
# default socket owner and group.
QEMU_USER = "libvirt-qemu"
QEMU_GROUP = "kvm"

_prereq = {}


def _installed(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True,
                       text=True)
    return "install ok installed" in p.stdout


def skip_unless_libvirt():
    """The guest kit (vm.skip_unless_qemu()) and libvirt: installs what is
    missing of PACKAGES with scripts/lib.sh's installer (the package's
    services are not started: policy-rc.d).  Skips only when no Debian
    mirror can be reached; any other failure fails the test."""
    k = vm.skip_unless_qemu()
    if "done" not in _prereq:
        missing = [p for p in PACKAGES if not _installed(p)]
        if missing:
            p = subprocess.run(
                ["bash", "-c", '. "$1/scripts/lib.sh" && shift && vfwd_install_packages "$@"',
                 "install", REPO] + missing, capture_output=True, text=True, timeout=900)
            if p.returncode != 0:
                out = p.stdout + p.stderr
                _prereq["done"] = ("apt-get update failed" in out, "installing %s failed:\n%s"
                                   % (" ".join(missing), out[-3000:]))
            else:
                _prereq["done"] = None
        else:
            _prereq["done"] = None
    if _prereq["done"] is not None:
        skip, why = _prereq["done"]
        if skip:
            pytest.skip("no libvirt: %s" % why)
        raise AssertionError(why)
    return k


# ----------------------------------------------------------------------
# The README's XML
# ----------------------------------------------------------------------

def readme_xml():
    """The XML blocks of README.md marked '<!-- libvirt-test: NAME -->' on
    the line before their ```xml fence: {NAME: text}."""
    with open(README) as f:
        text = f.read()
    blocks = dict(re.findall(r"^<!-- libvirt-test: (\S+) -->\n```xml\n(.*?)^```$", text,
                             re.M | re.S))
    assert blocks, "README.md has no '<!-- libvirt-test: NAME -->' XML blocks"
    return blocks


def parse(text):
    """One XML element from README text ('qemu:' elements get their
    namespace declared when the text does not declare it)."""
    if "qemu:" in text and "xmlns:qemu" not in text:
        text = "<wrap xmlns:qemu='%s'>%s</wrap>" % (QEMU_XMLNS, text)
        return list(ET.fromstring(text))[0]
    return ET.fromstring(text)


def domain_xml(name, kernel, initrd, cmdline, console, interface="server",
               socket=None, queues=None, memory="memfd", dtype="qemu"):
    """A domain from the README: its 'domain' block with the memory backing
    block 'memory' and the interface block 'interface' put in, and only
    what a test run must choose changed: the domain type ('qemu', TCG:
    nested KVM is slower here), the name, the kernel, initramfs and
    command line of the test kit, the console file and the socket path.
    Returns the XML text."""
    blocks = readme_xml()
    dom = parse(blocks["domain"])
    dom.set("type", dtype)
    dom.find("name").text = name
    os_ = dom.find("os")
    os_.find("kernel").text = kernel
    os_.find("initrd").text = initrd
    os_.find("cmdline").text = cmdline
    old = dom.find("memoryBacking")
    new = parse(blocks["memory-" + memory])
    dom.insert(list(dom).index(old), new)
    dom.remove(old)
    devices = dom.find("devices")
    old = devices.find("interface")
    new = parse(blocks["interface-" + interface])
    # The override of the domain block names the interface by its alias.
    alias = old.find("alias")
    if new.find("alias") is None and alias is not None:
        new.append(alias)
    devices.insert(list(devices).index(old), new)
    devices.remove(old)
    src = new.find("source")
    if socket is not None:
        src.set("path", socket)
    if queues is not None:
        drv = new.find("driver")
        assert drv is not None, "interface block %s has no <driver>" % interface
        drv.set("queues", str(queues))
    devices.find("serial").find("source").set("path", console)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


# ----------------------------------------------------------------------
# Private libvirtd instances
# ----------------------------------------------------------------------

# Run by unshare in the new mount and UTS namespaces: the private copies
# over the system's directories, the hostname, then it stays as the
# namespaces' anchor (virtlogd, libvirtd and a daemon enter them with
# nsenter).  unshare makes every mount private first, so nothing of this
# reaches the host's mount table.
HOLDER = r"""
set -e
d=$1
mount --bind "$d/etc" /etc/libvirt
mount --bind "$d/lib" /var/lib/libvirt
mount --bind "$d/cache" /var/cache/libvirt
mount --bind "$d/log" /var/log/libvirt
mount --bind "$d/run" /run
if [ -d "$d/hugepages" ]; then
    mount -t hugetlbfs -o pagesize=2M,mode=0755 vfwd-test "$d/hugepages"
fi
hostname "$2"
echo ready
exec sleep infinity
"""


class Libvirtd:
    """A private virtlogd and libvirtd (see the module's docstring) in
    directory <base>/<name>.  'hostname' is the UTS namespace's hostname;
    the host UUID is new.  'qemu_conf' lines are added to the copy of
    qemu.conf.  With 'hugepages', a hugetlbfs of 2 MiB pages is mounted
    in the namespaces at <dir>/hugepages, and qemu.conf's hugetlbfs_mount
    names it: libvirt takes that one instead of the first hugetlbfs
    mount it finds (the host's /dev/hugepages, which a system libvirt
    uses too)."""

    def __init__(self, base, name, hostname=None, qemu_conf=(), hugepages=False):
        self.name = name
        self.hostname = hostname or "vfwd-" + name
        self.dir = os.path.join(base, name)
        self.host_uuid = str(uuid.uuid4())
        self.procs = []
        self.holder = None
        self.hugepages = os.path.join(self.dir, "hugepages") if hugepages else None
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o755)
        if hugepages:
            os.mkdir(self.hugepages)
            qemu_conf = list(qemu_conf) + ['hugetlbfs_mount = "%s"' % self.hugepages]
        try:
            self._setup(qemu_conf)
        except Exception:
            self.close()
            raise

    def _setup(self, qemu_conf):
        d = self.dir
        for src, dst in (("/etc/libvirt", "etc"), ("/var/lib/libvirt", "lib"),
                         ("/var/cache/libvirt", "cache"), ("/var/log/libvirt", "log")):
            subprocess.run(["cp", "-a", src, os.path.join(d, dst)], check=True)
        for sub in ("run", "sock"):
            os.mkdir(os.path.join(d, sub))
            os.chmod(os.path.join(d, sub), 0o755)
        self.sock = os.path.join(d, "sock", "libvirt-sock")
        self.uri = "qemu+unix:///system?socket=" + self.sock
        self.logfile = os.path.join(d, "log", "libvirtd.log")
        with open(os.path.join(d, "etc", "libvirtd.conf"), "w") as f:
            f.write('# written by the integration tests (tests/integration/libvirt.py)\n'
                    'unix_sock_dir = "%s"\n'
                    'unix_sock_rw_perms = "0700"\n'
                    'unix_sock_ro_perms = "0700"\n'
                    'unix_sock_admin_perms = "0700"\n'
                    'auth_unix_ro = "none"\n'
                    'auth_unix_rw = "none"\n'
                    'host_uuid = "%s"\n'
                    'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n'
                    % (os.path.dirname(self.sock), self.host_uuid))
        with open(os.path.join(d, "etc", "qemu.conf"), "a") as f:
            # No cgroups: they are the host's, shared with every other
            # libvirt (pinning is done with affinity all the same).
            f.write("\n# added by the integration tests\ncgroup_controllers = [ ]\n")
            for line in qemu_conf:
                f.write(line + "\n")
        self.holder = Proc(["unshare", "--mount", "--uts", "--propagation", "private",
                            "sh", "-c", HOLDER, "holder", d, self.hostname])
        wait_for(lambda: "ready" in self.holder.out or not self.holder.alive(),
                 timeout=10, what="namespaces of " + self.name)
        assert self.holder.alive(), "unshare: " + self.holder.output()
        self.procs.append(("virtlogd", Proc(self.nsenter() + [VIRTLOGD])))
        wait_for(lambda: os.path.exists(self.path("/run/libvirt/virtlogd-sock")) or
                 not self.procs[0][1].alive(), timeout=20, what="virtlogd socket")
        self.procs.append(("libvirtd", Proc(self.nsenter() + [LIBVIRTD])))

        def up():
            for what, p in self.procs:
                assert p.alive(), "%s died:\n%s\n%s" % (what, p.output(), self.log()[-3000:])
            return (os.path.exists(self.sock) and
                    self.virsh("uri", check=False).returncode == 0)
        wait_for(up, timeout=60, what="libvirtd " + self.name, interval=0.2)

    def nsenter(self):
        """The command prefix that runs a program in the namespaces."""
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-u", "--"]

    def path(self, inside):
        """The host's path of a path under /run as seen in the namespaces."""
        assert inside.startswith("/run/"), inside
        return os.path.join(self.dir, "run", inside[len("/run/"):])

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def qemu_log(self, domain):
        try:
            with open(os.path.join(self.dir, "log", "qemu", domain + ".log"),
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def virsh(self, *args, check=True, timeout=120):
        """Runs one virsh command against this instance."""
        p = subprocess.run([VIRSH, "-q", "-c", self.uri] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("virsh %s (%s): %s\nlibvirtd log:\n%s"
                                 % (" ".join(args), self.name, (p.stdout + p.stderr).strip(),
                                    self.log()[-3000:]))
        return p

    def domains(self):
        return self.virsh("list", "--all", "--name").stdout.split()

    def qemu_pid(self, domain):
        """The PID of a running domain's QEMU (libvirt's pid file), or None."""
        try:
            with open(self.path("/run/libvirt/qemu/%s.pid" % domain)) as f:
                return int(f.read().strip() or 0) or None
        except (FileNotFoundError, ValueError):
            return None

    def remove_domains(self):
        """Destroys and undefines every domain of this instance."""
        for name in self.domains():
            self.virsh("destroy", name, check=False)
            self.virsh("undefine", name, check=False)

    def close(self):
        """Ends the domains, libvirtd, virtlogd and the namespaces' anchor by
        PID, then removes the directory."""
        errors = []
        libvirtd = dict(self.procs).get("libvirtd")
        if libvirtd is not None and libvirtd.alive():
            try:
                self.remove_domains()
            except Exception as e:
                errors.append("domains: %s" % e)
        # A QEMU that libvirt started and could not end (libvirtd gone):
        # its PID from libvirt's pid file, checked to be that QEMU.
        run_qemu = os.path.join(self.dir, "run", "libvirt", "qemu")
        if os.path.isdir(run_qemu):
            for f in os.listdir(run_qemu):
                if f.endswith(".pid"):
                    pid = self.qemu_pid(f[:-4])
                    if pid and _is_qemu(pid):
                        errors.append("QEMU of %s still running: killed" % f[:-4])
                        os.kill(pid, sigmod.SIGKILL)
        for what, p in reversed(self.procs):
            p.stop()
        if self.holder is not None:
            self.holder.stop(sigmod.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise AssertionError("; ".join(errors))

    def __repr__(self):
        return "Libvirtd(%s)" % self.name


class HugePages:
    """At least 'mb' MiB of free 2 MiB hugepages in the kernel's pool for
    the test: the pool is grown by what is missing (vm.nr_hugepages) and
    given back at close().  Raises pytest's skip when the kernel cannot
    find the memory."""

    NR = "/proc/sys/vm/nr_hugepages"

    def __init__(self, mb):
        self.want = mb // 2
        with open(self.NR) as f:
            self.orig = int(f.read())
        free = self.free()
        self.changed = free < self.want
        if self.changed:
            with open(self.NR, "w") as f:
                f.write(str(self.orig + self.want - free))
            if self.free() < self.want:
                self.close()
                pytest.skip("the kernel has not %d MiB of hugepages to give" % mb)

    @staticmethod
    def free():
        with open("/proc/meminfo") as f:
            return int(re.search(r"^HugePages_Free:\s+(\d+)", f.read(), re.M).group(1))

    def close(self):
        if self.changed:
            with open(self.NR, "w") as f:
                f.write(str(self.orig))
            self.changed = False


def _is_qemu(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"qemu-system" in f.read()
    except OSError:
        return False


class PrivateDir:
    """A directory QEMU (libvirt-qemu) can reach, unlike pytest's tmp_path
    (mode 0700): a test's socket directories, console files and a copy of
    the guest kit live here.  Removed at close()."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="vfwd-lv-", dir="/tmp")
        os.chmod(self.path, 0o755)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def copy_kit(k, dest):
    """Copies the guest kit's kernel and initramfs to 'dest', readable by
    QEMU's user: libvirt gives the files of a running domain to that user
    (dynamic_ownership) and back afterwards, which must not happen to the
    shared cache of tests/vm.  Returns (kernel, initrd)."""
    out = []
    for key in ("KERNEL", "INITRD"):
        dst = os.path.join(dest, os.path.basename(k[key]))
        if not os.path.exists(dst):
            shutil.copyfile(k[key], dst)
            os.chmod(dst, 0o644)
        out.append(dst)
    return tuple(out)


# ----------------------------------------------------------------------
# Domains
# ----------------------------------------------------------------------

def guest_cmdline(ip, peer=None, mode="idle", count=5, interval=0.2, queues=1, then=None):
    """The kernel command line of the test kit's /init (tests/vm/README.md)."""
    ips = [ip] if isinstance(ip, str) else list(ip)
    params = ["console=ttyS0", "quiet", "panic=-1", "mitigations=off",
              "vfwd.ip=" + ",".join(ips), "vfwd.mode=" + mode, "vfwd.count=%d" % count,
              "vfwd.interval=%s" % interval, "vfwd.queues=%d" % queues]
    if peer:
        params.append("vfwd.peer=" + peer)
    if then:
        params.append("vfwd.then=" + then)
    return " ".join(params)


class _ProcShim:
    """What vm.Guest reads of its QEMU process, for a libvirt domain."""

    class _P:
        def __init__(self, dom):
            self.dom = dom

        @property
        def returncode(self):
            return None if self.dom.alive() else "(domain not running)"

    def __init__(self, dom):
        self.dom = dom
        self.p = self._P(dom)
        self.pid = 0

    @property
    def out(self):
        return self.dom.console

    def output(self):
        return "%s\n--- libvirt's QEMU log:\n%s" % (self.dom.console,
                                                   self.dom.lv.qemu_log(self.dom.name)[-2000:])

    def alive(self):
        return self.dom.alive()


class Domain(vm.Guest):
    """A libvirt domain of the test kit's guest, defined from 'xml' on
    Libvirtd 'lv' and started (define=False: one that is already there,
    such as the destination of a migration); its console is the file 'console' (the
    domain's <serial type='file'>).  The console methods of vm.Guest
    (wait_ready, result, ping_replies, wait_replies...) work on it; the
    monitor is reached through virsh qemu-monitor-command."""

    def __init__(self, lv, name, xml, console, start=True, define=True):
        self.lv = lv
        self.name = name
        self.xml = xml
        self.console_path = console
        self.proc = _ProcShim(self)
        self.t0 = time.monotonic()
        if define:
            path = os.path.join(lv.dir, name + ".xml")
            with open(path, "w") as f:
                f.write(xml)
            lv.virsh("define", "--validate", path)
            if start:
                self.start()

    def start(self):
        self.t0 = time.monotonic()
        self.lv.virsh("start", self.name)

    @property
    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def alive(self):
        pid = self.lv.qemu_pid(self.name)
        return bool(pid) and _is_qemu(pid)

    def monitor(self, command, timeout=10):
        p = self.lv.virsh("qemu-monitor-command", "--hmp", self.name, command, check=False,
                          timeout=timeout)
        if p.returncode != 0:
            raise OSError(p.stderr.strip())
        return p.stdout

    def state(self):
        return self.lv.virsh("domstate", self.name, check=False).stdout.strip()

    def destroy(self):
        self.lv.virsh("destroy", self.name)
        wait_for(lambda: not self.alive(), timeout=20, what="%s's QEMU gone" % self.name)

    def close(self):
        """Destroys and undefines the domain (when libvirtd still runs)."""
        if dict(self.lv.procs).get("libvirtd") is None:
            return
        if self.name in self.lv.domains():
            self.lv.virsh("destroy", self.name, check=False)
            self.lv.virsh("undefine", self.name, check=False)

    def __repr__(self):
        return "Domain(%s on %s)" % (self.name, self.lv.name)


# ----------------------------------------------------------------------
# The daemon with the package's defaults, in a libvirtd's namespaces
# ----------------------------------------------------------------------

def shipped_text(values):
    """packaging/virtioforwarder, the file the package installs as
    /etc/default/virtioforwarder, with 'values' replacing those of its
    variables (or appended when it does not set them)."""
    with open(SHIPPED_CONFIG) as f:
        lines = f.read().splitlines()
    out, done = [], set()
    for line in lines:
        m = re.match(r"^#?([A-Z0-9_]+)=", line)
        if m and m.group(1) in values:
            if m.group(1) not in done:
                out.append("%s=%s" % (m.group(1), values[m.group(1)]))
                done.add(m.group(1))
            continue
        out.append(line)
    out += ["%s=%s" % (k, v) for k, v in values.items() if k not in done]
    return "\n".join(out) + "\n"


class NsDaemon(Daemon):
    """harness.Daemon run inside Libvirtd 'lv''s namespaces (nsenter: the
    PID is the daemon's), so that it sees that instance's private /run:
    the package's /run/virtio-forwarder, socket directory and ZeroMQ
    endpoints included, without touching the host's."""

    def __init__(self, lv, *args, **kw):
        self.lv = lv
        super().__init__(*args, **kw)

    def start(self, wait_ready=True):
        if self.proc is not None:
            check_sanitizers(self.proc.err)
        env = dict(os.environ)
        env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        env.setdefault("LSAN_OPTIONS", "suppressions=" + harness.LSAN_SUPPRESSIONS)
        conf = ["--config", self.conf] if self.use_config else []
        self.proc = Proc(self.lv.nsenter() + [harness.DAEMON] + conf + self.args, env=env)
        if wait_ready:
            wait_for(lambda: self.ready() or not self.proc.alive(),
                     timeout=30, what="daemon ready")
            assert self.proc.alive(), "daemon died:\n" + self.proc.output()


def package_boot(lv):
    """What boot does for the package in 'lv''s namespaces: a fresh /run
    for it (whatever an earlier daemon left there removed) and the
    package's tmpfiles.d entry applied by systemd-tmpfiles."""
    for entry in ("virtio-forwarder", "virtio-forwarder.pid", "dpdk"):
        p = lv.path("/run/" + entry)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.unlink(p)
    p = subprocess.run(lv.nsenter() + ["systemd-tmpfiles", "--create", SHIPPED_TMPFILES],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


# The package's run directory, made at boot by its tmpfiles.d entry, and
# the socket directories the man page (VIRTIOFWD_SOCKET_DIR) and README.md's
# libvirt section recommend: the run directory itself in server mode;
# in client mode, where QEMU's group writes in the socket directory, a
# directory of its own below it, which the daemon creates.
PACKAGE_RUN_DIR = "/run/virtio-forwarder"
PACKAGE_SOCKET_DIRS = {"server": PACKAGE_RUN_DIR, "client": PACKAGE_RUN_DIR + "/vhost"}


def package_daemon(lv, tmp, static_vfs, client=False, sockdir=None):
    """The daemon from the package's shipped file, in 'lv''s namespaces,
    after package_boot(): only this machine's needs changed (one worker
    CPU, no hugepages), the devices, the mode and VIRTIOFWD_SOCKET_DIR
    ('sockdir', by default PACKAGE_SOCKET_DIRS' of the mode).  Socket owner
    and group, file prefix, pid directory and ZeroMQ endpoints are the
    package's."""
    sockdir = sockdir or PACKAGE_SOCKET_DIRS["client" if client else "server"]
    values = {
        "VIRTIOFWD_CPU_MASK": "1",
        "VIRTIOFWD_MASTER_LCORE": "0",
        "VIRTIOFWD_EAL_ARGS": '"%s"' % " ".join(harness.EAL_MEM),
        "VIRTIOFWD_SOCKET_DIR": sockdir,
        "VIRTIOFWD_STATIC_VFS": "(%s)" % " ".join(static_vfs),
    }
    if client:
        values["VIRTIOFWD_VHOST_CLIENT"] = "y"
    return NsDaemon(lv, tmp, {"VIRTIOFWD_SOCKET_DIR": sockdir},
                    text=shipped_text(values), name="package")


def plain_daemon(tmp, sockdir, static_vfs, client=False):
    """The harness's daemon (private endpoints, no hugepages) with its
    sockets in 'sockdir' (a directory it creates), owned by QEMU's user
    and group as the package's defaults have it."""
    v = {"VIRTIOFWD_SOCKET_DIR": sockdir,
         "VIRTIOFWD_SOCKET_OWNER": QEMU_USER,
         "VIRTIOFWD_SOCKET_GROUP": QEMU_GROUP,
         "VIRTIOFWD_STATIC_VFS": list(static_vfs)}
    if client:
        v["VIRTIOFWD_VHOST_CLIENT"] = "y"
    return Daemon(tmp, v)
