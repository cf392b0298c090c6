# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package, built as a user builds it, and its units under a
real systemd.

build-deb.sh runs 'dpkg-buildpackage -us -uc -b' on a copy of the tree
and lintian on the result.  build-rootfs.sh makes (once, cached) a Debian
system whose PID 1 is systemd, with the package's dependencies but not
the package.  The test boots it in QEMU (TCG) with a data disk holding the
.deb, two repacked upgrades of it, hang-worker (a worker thread stopped
alone, as in tests/integration/test_service.py) and guest-checks.sh,
which runs every check inside the guest and prints one VFWD-PKG line per
check on the serial console.  Each check is one test here.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU = os.environ.get("VFWD_QEMU", "qemu-system-x86_64")
# Every check of guest-checks.sh, in its order.
CHECKS = ["install", "enabled-not-started", "upgrade-quiet", "start-when-ready",
          "journal-priorities", "stop-clean", "client-mode-run-dir", "sigkill-restarted",
          "watchdog-restarted",
          "bad-config-no-loop", "balancer-alias", "upgrade-running-edited",
          "remove-stops", "purge-leaves-nothing"]
GUEST_TIMEOUT = 900


def script(name, *args, timeout=3600):
    """Runs one of the build scripts; returns (returncode, KEY=value dict,
    stderr)."""
    p = subprocess.run(["bash", os.path.join(HERE, name)] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    values = dict(line.split("=", 1) for line in p.stdout.split("\n") if "=" in line)
    return p.returncode, values, p.stderr


@pytest.fixture(scope="module")
def deb():
    rc, v, err = script("build-deb.sh")
    if rc == 77:
        pytest.skip("cannot build the package here: %s" % err.strip()[-500:])
    assert rc == 0, "build-deb.sh failed (%d):\n%s" % (rc, err[-4000:])
    return v


def deb_field(path, field):
    return subprocess.run(["dpkg-deb", "-f", path, field], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_lintian_clean(deb):
    """No tag at all, pedantic and info ones included, but those that
    debian/virtio-forwarder.lintian-overrides explains."""
    with open(deb["LINTIAN"]) as f:
        tags = [line for line in f.read().splitlines() if line.strip()]
    assert tags == []


def test_package_contents(deb):
    path = deb["DEB"]
    assert re.fullmatch(r"virtio-forwarder_[0-9][^_]*_amd64\.deb", os.path.basename(path))
    depends = deb_field(path, "Depends")
    # ${shlibs:Depends} (computed by dpkg-shlibdeps) and the DPDK plugins.
    for lib in ("libc6", "librte-eal23", "librte-vhost23", "libzmq5", "libsystemd0",
                "libmicrohttpd12", "librte-mempool-ring23", "librte-bus-vdev23"):
        assert re.search(r"(^|, )%s( |,|$)" % re.escape(lib), depends), (lib, depends)
    listing = subprocess.run(["dpkg-deb", "-c", path], capture_output=True, text=True,
                             check=True).stdout
    for f in ("./usr/sbin/virtio-forwarder", "./usr/bin/vfwdctl",
              "./usr/bin/virtioforwarder_stats.py",
              "./usr/lib/virtio-forwarder/virtioforwarder_port_control.py",
              "./lib/systemd/system/virtio-forwarder.service",
              "./lib/systemd/system/virtio-forwarder-balancer.service",
              "./usr/lib/tmpfiles.d/virtio-forwarder.conf",
              "./etc/default/virtioforwarder",
              "./usr/share/man/man8/virtio-forwarder.8.gz",
              "./usr/share/man/man1/vfwdctl.1.gz",
              "./usr/share/man/man1/virtioforwarder_stats.py.1.gz"):
        assert re.search(r" %s( |$)" % re.escape(f), listing, re.M), f
    control = subprocess.run(["dpkg-deb", "-I", path, "conffiles"], capture_output=True,
                             text=True, check=True).stdout.split()
    assert control == ["/etc/default/virtioforwarder"]


def repack(src, dest_dir, tag):
    """A higher version of package 'src' whose default configuration ends
    with '# TAG': the upgrades of the checks.  Returns the version."""
    work = os.path.join(dest_dir, "root")
    subprocess.run(["dpkg-deb", "-R", src, work], check=True)
    version = deb_field(src, "Version") + "+" + tag
    ctl = os.path.join(work, "DEBIAN", "control")
    with open(ctl) as f:
        text = re.sub(r"^Version: .*$", "Version: " + version, f.read(), flags=re.M)
    with open(ctl, "w") as f:
        f.write(text)
    with open(os.path.join(work, "etc/default/virtioforwarder"), "a") as f:
        f.write("# %s\n" % tag)
    # md5sums lists the files but not the conffiles.
    subprocess.run(["dpkg-deb", "-b", work, dest_dir], check=True, capture_output=True)
    shutil.rmtree(work)
    with open(os.path.join(dest_dir, "version"), "w") as f:
        f.write(version + "\n")
    return version


class Qemu:
    """The systemd guest: its console goes to a file, read as it grows."""

    def __init__(self, tmp, kernel, initrd, disk, data):
        self.console_path = os.path.join(tmp, "console.log")
        self.log = open(self.console_path, "wb")
        self.argv = [
            QEMU, "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2",
            "-m", "1024", "-nodefaults", "-no-user-config", "-no-reboot",
            "-display", "none", "-serial", "stdio", "-nic", "none",
            "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 root=/dev/vda rw quiet systemd.show_status=0 "
                       "panic=-1 mitigations=off",
            "-drive", "file=%s,if=virtio,format=qcow2" % disk,
            "-drive", "file=%s,if=virtio,format=raw,readonly=on" % data]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def console(self):
        with open(self.console_path, "rb") as f:
            return f.read().decode(errors="replace").replace("\r", "")

    def wait_done(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if "VFWD-PKG DONE" in self.console():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(1)
        return False

    def close(self):
        try:
            self.proc.wait(timeout=60)    # the guest powers off after the checks
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def guest(deb, tmp_path_factory):
    """Boots the systemd guest once and returns {check: (ok, detail)}."""
    if shutil.which(QEMU) is None:
        pytest.skip("no systemd guest: %s not found (package qemu-system-x86)" % QEMU)
    # The guest has no network: it gets the package's dependencies
    # beforehand (alternatives: the first; versions are bookworm's).
    deps = [d.split("|")[0].split("(")[0].strip()
            for d in deb_field(deb["DEB"], "Depends").split(",")]
    t0 = time.monotonic()
    rc, kit, err = script("build-rootfs.sh", *deps)
    if rc == 77:
        pytest.skip("no systemd guest: %s" % err.strip()[-500:])
    assert rc == 0, "build-rootfs.sh failed (%d):\n%s" % (rc, err[-4000:])
    tmp = str(tmp_path_factory.mktemp("pkg"))
    data = os.path.join(tmp, "data")
    os.makedirs(os.path.join(data, "upgrade1"))
    os.makedirs(os.path.join(data, "upgrade2"))
    shutil.copy(deb["DEB"], data)
    repack(deb["DEB"], os.path.join(data, "upgrade1"), "upgrade1")
    repack(deb["DEB"], os.path.join(data, "upgrade2"), "upgrade2")
    shutil.copy(os.path.join(HERE, "guest-checks.sh"), os.path.join(data, "run.sh"))
    cc = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                         os.path.join(data, "hang-worker"), os.path.join(HERE, "hang-worker.c")],
                        capture_output=True, text=True)
    assert cc.returncode == 0, "hang-worker.c:\n" + cc.stderr
    img = os.path.join(tmp, "data.img")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "VFWDTEST", "-d", data, img, "32M"],
                   check=True, capture_output=True)
    # The cached image stays untouched: the guest writes to an overlay.
    disk = os.path.join(tmp, "root.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                    kit["IMAGE"], disk], check=True)
    prepared = time.monotonic()
    vm = Qemu(tmp, kit["KERNEL"], kit["INITRD"], disk, img)
    try:
        done = vm.wait_done(GUEST_TIMEOUT)
    finally:
        vm.close()
    console = vm.console()
    print("package test: %.0f s to prepare, %.0f s in the guest"
          % (prepared - t0, time.monotonic() - prepared))
    assert done, "the guest did not finish its checks in %d s; console:\n%s" % (
        GUEST_TIMEOUT, console[-6000:])
    results = {}
    for m in re.finditer(r"^VFWD-PKG (ok|FAIL) ([a-z0-9-]+)(.*)$", console, re.M):
        results[m.group(2)] = (m.group(1) == "ok", m.group(3))
    journal = "\n".join(re.findall(r"^VFWD-JOURNAL (.*)$", console, re.M))
    return results, journal, console


@pytest.mark.parametrize("check", CHECKS)
def test_systemd_guest(guest, check):
    results, journal, console = guest
    assert check in results, "check %s did not run; console:\n%s" % (check, console[-3000:])
    ok, detail = results[check]
    assert ok, "%s%s\njournal:\n%s" % (check, detail.replace("|", "\n"), journal)
