# SPDX-License-Identifier: BSD-3-Clause
"""VMs managed by libvirt (Debian 12: libvirt 9.0, QEMU 7.2 under TCG) on
the real daemon, as an operator runs them: domains written as README.md's
libvirt section shows them (built from its XML blocks), QEMU started by
libvirt as libvirt-qemu, traffic through an af_packet stand-in VF (a veth
whose peer is in a network namespace).

Each case runs twice: against the harness's daemon ("plain": private
endpoints, sockets in a directory the daemon creates), and against the
package's defaults ("package": the shipped /etc/default/virtioforwarder,
the tmpfiles.d entry applied as at boot, the socket directory
/run/virtio-forwarder, socket owner libvirt-qemu and group kvm from the
daemon's defaults), that daemon running in the private libvirtd's
namespaces so that the host's /run is not touched.

One private libvirtd (libvirt.py) serves the whole module; the migration
tests start a second one, in mount and UTS namespaces of its own, with
its own hostname and host UUID.
"""

import grp
import os
import pwd
import re
import signal as sigmod
import stat
import time
import xml.etree.ElementTree as ET

import pytest

from harness import BridgeNs, Proc, VethNs, unique, wait_for
from libvirt import (PACKAGE_RUN_DIR, QEMU_GROUP, QEMU_USER, Domain, HugePages, Libvirtd,
                     PrivateDir,
                     copy_kit, domain_xml, guest_cmdline, package_boot, package_daemon, parse,
                     plain_daemon, readme_xml, skip_unless_libvirt)
from vm import ping_gap

HOST_IP = "10.78.0.1"
GUEST_IP = "10.78.0.2"
INTERVAL = 0.2
RELAY = 3

# libvirt 9.0's warning for a vhost-user interface on memfd memory, which
# is shared all the same (README.md says so).
SHMEM_WARNING = "Detected vhost-user interface without any shared memory"

VARIANTS = ["plain", "package"]


@pytest.fixture(scope="module")
def lvkit():
    return skip_unless_libvirt()


@pytest.fixture(scope="module")
def space(mreg, lvkit):
    """The module's directory that QEMU can reach, with the guest kit."""
    s = mreg.add(PrivateDir())
    s.kernel, s.initrd = copy_kit(lvkit, s.path)
    return s


@pytest.fixture(scope="module")
def lv(mreg, space):
    """The private libvirtd all tests share ("host A"), with a private
    hugetlbfs for the hugepage-backed domain."""
    return mreg.add(Libvirtd(space.path, "a", hostname="vfwd-lv-a", hugepages=True))


@pytest.fixture(scope="module")
def lv_b(mreg, space):
    """A second private libvirtd, the destination host of the migrations."""
    return mreg.add(Libvirtd(space.path, "b", hostname="vfwd-lv-b"))


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------

def start_daemon(variant, reg, lv, tmp_path, space, vfs, client=False):
    """The daemon of 'variant' with static devices 'vfs' (devargs=relay):
    "plain", "package", or "package-rundir" (client mode with the sockets
    in the run directory itself, as the daemon's warning about /tmp
    recommended before client mode got a directory of its own)."""
    if variant.startswith("package"):
        package_boot(lv)
        sockdir = PACKAGE_RUN_DIR if variant == "package-rundir" else None
        return reg.add(package_daemon(lv, tmp_path, vfs, client=client, sockdir=sockdir))
    return reg.add(plain_daemon(tmp_path, os.path.join(space.path, unique("s")), vfs,
                                client=client))


def host_path(variant, lv, path):
    """Where the host sees a path the daemon and QEMU see as 'path'."""
    return lv.path(path) if variant.startswith("package") else path


def boot(reg, lv, space, name, sock, interface="server", queues=None, ip=GUEST_IP + "/24",
         memory="memfd", **guest):
    """Defines and starts domain 'name' from the README's XML on 'sock';
    'queues': the interface's queue pairs and the guest's (vfwd.queues)."""
    console = os.path.join(space.path, name + ".console")
    cmdline = guest_cmdline(ip, queues=queues or 1, **guest)
    xml = domain_xml(name, space.kernel, space.initrd, cmdline, console,
                     interface=interface, socket=sock, queues=queues, memory=memory)
    return reg.add(Domain(lv, name, xml, console))


def host_counters(ifname):
    """Frames the stand-in VF's host end received (from the namespace) and
    sent (to it): its kernel counters."""
    base = "/sys/class/net/%s/statistics/" % ifname
    with open(base + "rx_packets") as f, open(base + "tx_packets") as g:
        return int(f.read()), int(g.read())


def quiet_snapshot(d, relay, ifname):
    """The relay's stats and the stand-in VF's kernel counters, once
    neither changed over 0.3 s: no frame in flight."""
    state = {}

    def same():
        now = (d.stats()[relay], host_counters(ifname))
        if state.get("last") == now:
            return now
        state["last"] = now
        time.sleep(0.3)
        return None
    return wait_for(same, timeout=20, what="quiet relay %d" % relay, interval=0)


def exact_counts(d, relay, ifname, action):
    """Runs 'action' and checks the relay's counters against the stand-in
    VF's kernel counters, exactly, both ways: every frame the namespace
    sent reached the guest (vf_to_vm rx = tx = frames in), every frame the
    guest sent reached the namespace (vm_to_vf rx = tx = frames out), ARP
    included.  Returns (in, out, relay stats before, relay stats after)."""
    before, hb = quiet_snapshot(d, relay, ifname)
    action()
    state = {}

    def agree():
        after, ha = quiet_snapshot(d, relay, ifname)
        into, out = ha[0] - hb[0], ha[1] - hb[1]
        got = {k: after[k.split(".")[0]][k.split(".")[1]] -
               before[k.split(".")[0]][k.split(".")[1]]
               for k in ("vf_to_vm.rx_pkts", "vf_to_vm.tx_pkts", "vm_to_vf.rx_pkts",
                         "vm_to_vf.tx_pkts")}
        state["last"] = (got, into, out, after)
        return got == {"vf_to_vm.rx_pkts": into, "vf_to_vm.tx_pkts": into,
                       "vm_to_vf.rx_pkts": out, "vm_to_vf.tx_pkts": out} and (into, out)
    # A frame can pass between the two reads of a snapshot: a few tries.
    try:
        into, out = wait_for(agree, timeout=10, what="counters", interval=0)
    except AssertionError:
        raise AssertionError("relay and stand-in VF counters differ (relay deltas, frames "
                             "in, frames out, relay): %s" % (state["last"],))
    after = state["last"][3]
    for direction in ("vf_to_vm", "vm_to_vf"):
        assert after[direction]["drop_full_pkts"] == before[direction]["drop_full_pkts"]
    return into, out, before, after


def ns_ping(veth, addr=GUEST_IP, count=5):
    p = veth.ns_exec("ping", "-c", str(count), "-i", "0.2", "-w", "20", addr, check=False)
    assert p.returncode == 0 and " 0% packet loss" in p.stdout, p.stdout + p.stderr


class NsPingLoop:
    """ping -i INTERVAL from the namespace to the guest, all along; its
    replies' sequence numbers show what an outage lost."""

    def __init__(self, ns, addr=GUEST_IP):
        self.proc = Proc(["ip", "netns", "exec", ns, "stdbuf", "-oL", "ping", "-i",
                          str(INTERVAL), "-W", "1", addr])

    def seqs(self):
        return [int(s) for s in re.findall(r"icmp_seq=(\d+) ttl", self.proc.out)]

    def wait_more(self, n, timeout=30, what="ping replies"):
        base = len(self.seqs())
        wait_for(lambda: len(self.seqs()) >= base + n, timeout=timeout,
                 what="%s (%d so far)\n%s" % (what, base, self.proc.output()[-1500:]))

    def close(self):
        self.proc.stop(sigmod.SIGINT)


def restart_under_pings(d, veth, how=sigmod.SIGTERM, resume_s=30):
    """Stops the daemon ('how') and starts it again while the namespace
    pings the guest; returns (pings lost, seconds from the start to the
    first reply)."""
    loop = NsPingLoop(veth.ns)
    try:
        loop.wait_more(5, what="replies before the restart")
        d.stop(how)
        last = loop.seqs()[-1]
        d.start()
        t = time.monotonic()
        wait_for(lambda: loop.seqs()[-1] > last, timeout=resume_s,
                 what="replies after the restart (%s)\n%s\ndaemon:\n%s"
                 % (how.name, loop.proc.output()[-1500:], d.proc.err[-3000:]))
        back = time.monotonic() - t
        loop.wait_more(5, what="replies after the restart")
        seqs = loop.seqs()
        lost = (seqs[-1] - seqs[0] + 1) - len(set(seqs))
        after = [s for s in seqs if s > last]
        # Once back, nothing is lost.
        assert after == list(range(after[0], after[0] + len(after))), after
    finally:
        loop.close()
    return lost, back


def console_after(g, pattern, start, timeout=90):
    return g.wait_line(pattern, timeout=timeout, start=start)


# ----------------------------------------------------------------------
# The README's XML
# ----------------------------------------------------------------------

def test_readme_xml_validates(lv, space):
    """Every XML block of README.md's libvirt section parses, and every
    domain they make (each interface with each memory backing) passes
    libvirt's own schema and checks ('virsh define --validate'); the
    server-mode interfaces have <reconnect>, the multiqueue one queues."""
    blocks = readme_xml()
    for name, text in blocks.items():
        parse(text)
    for name in ("interface-server", "interface-multiqueue"):
        rc = parse(blocks[name]).find("source/reconnect")
        assert rc is not None and rc.get("enabled") == "yes", name
    assert parse(blocks["interface-client"]).find("source").get("mode") == "server"
    assert parse(blocks["interface-multiqueue"]).find("driver").get("queues") == "4"
    for interface in ("server", "client", "multiqueue"):
        for memory in ("memfd", "hugepages"):
            name = "readme-%s-%s" % (interface, memory)
            xml = domain_xml(name, space.kernel, space.initrd, "console=ttyS0",
                             os.path.join(space.path, name + ".console"),
                             interface=interface, memory=memory)
            path = os.path.join(lv.dir, name + ".xml")
            with open(path, "w") as f:
                f.write(xml)
            try:
                lv.virsh("define", "--validate", path)
                dumped = lv.virsh("dumpxml", "--inactive", name).stdout
                assert "vectors" in dumped and "ua-net0" in dumped, dumped
            finally:
                lv.virsh("undefine", name, check=False)


# ----------------------------------------------------------------------
# Server mode, client mode, restarts
# ----------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_server_mode(variant, reg, tmp_path, lv, space):
    """Server mode with <reconnect>: the guest pings the namespace, the
    namespace pings the guest, counted exactly both ways; the daemon is
    restarted (SIGTERM) under the namespace's pings and QEMU reconnects by
    itself; (plain) the domain is destroyed and started again and pings
    again."""
    t0 = time.monotonic()
    veth = reg.add(VethNs(HOST_IP + "/24"))
    d = start_daemon(variant, reg, lv, tmp_path, space,
                     ["net_af_packet0,iface=%s=%d" % (veth.host, RELAY)])
    sock = d.socket(RELAY)
    st = os.stat(host_path(variant, lv, sock))
    assert (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name) == \
        (QEMU_USER, QEMU_GROUP), st
    g = boot(reg, lv, space, "srv-" + variant, sock, mode="ping", peer=HOST_IP, then="idle")
    g.wait_ready()
    assert g.result("ping") == {"sent": 5, "received": 5}, g.console
    assert SHMEM_WARNING in lv.log(), lv.log()[-2000:]
    into, out, _, _ = exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
    assert into >= 5 and out >= 5, (into, out)

    lost, back = restart_under_pings(d, veth)
    exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
    report = ["daemon restart: %d pings lost, replies %.1f s after the start" % (lost, back)]

    if variant == "plain":
        # Domain restart: destroy (the daemon sees the guest go) and start.
        g.destroy()
        wait_for(lambda: d.stats()[RELAY]["info"]["guest"] == "none", what="guest gone")
        mark = len(g.console)
        t = time.monotonic()
        g.start()
        # The console file is opened (truncated, without append='on')
        # before 'virsh start' returns.
        start = 0 if len(g.console) < mark else mark
        m = console_after(g, r"^VFWD-RESULT ping .*$", start)
        assert g.fields(m) == {"sent": "5", "received": "5"}, g.console[start:]
        exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
        report.append("domain restart: pings after %.1f s" % (time.monotonic() - t))
    print("%s: guest ready %.1f s; %s; test %.1f s"
          % (variant, g.ready_s, "; ".join(report), time.monotonic() - t0))


@pytest.mark.parametrize("variant", VARIANTS + ["package-rundir"])
def test_client_mode(variant, reg, tmp_path, lv, space):
    """Client mode: the daemon starts first; QEMU, as libvirt-qemu,
    creates its socket in the daemon's socket directory, which has group
    kvm and mode 1770 whether the daemon created it (plain, package:
    /run/virtio-forwarder/vhost) or found it root's 0755 (package-rundir:
    /run/virtio-forwarder as the package's tmpfiles.d entry makes it at
    boot); the daemon connects. Pings both ways,
    counted exactly; the daemon is restarted (SIGTERM, then SIGKILL) under
    the namespace's pings and reconnects."""
    t0 = time.monotonic()
    veth = reg.add(VethNs(HOST_IP + "/24"))
    d = start_daemon(variant, reg, lv, tmp_path, space,
                     ["net_af_packet0,iface=%s=%d" % (veth.host, RELAY)], client=True)
    sock = d.socket(RELAY)
    sockdir = host_path(variant, lv, os.path.dirname(sock))
    st = os.stat(sockdir)
    mode, group = stat.S_IMODE(st.st_mode), grp.getgrgid(st.st_gid).gr_name
    assert (mode, group, st.st_uid) == (0o1770, QEMU_GROUP, 0), \
        ("client mode: the socket directory %s is %o %s:%s, QEMU (%s, group %s) cannot "
         "create its socket there; expected 1770 root:%s" %
         (os.path.dirname(sock), mode, pwd.getpwuid(st.st_uid).pw_name, group, QEMU_USER,
          QEMU_GROUP, QEMU_GROUP))
    g = boot(reg, lv, space, "cli-" + variant, sock, interface="client", mode="ping",
             peer=HOST_IP, then="idle")
    st = os.stat(host_path(variant, lv, sock))
    assert stat.S_ISSOCK(st.st_mode) and pwd.getpwuid(st.st_uid).pw_name == QEMU_USER, st
    g.wait_ready()
    assert g.result("ping") == {"sent": 5, "received": 5}, g.console
    into, out, _, _ = exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
    assert into >= 5 and out >= 5, (into, out)
    report = []
    for how in (sigmod.SIGTERM, sigmod.SIGKILL):
        lost, back = restart_under_pings(d, veth, how)
        report.append("%s: %d pings lost, replies %.1f s after the start"
                      % (how.name, lost, back))
    exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
    print("%s: guest ready %.1f s; %s; test %.1f s"
          % (variant, g.ready_s, "; ".join(report), time.monotonic() - t0))


def test_multiqueue(reg, tmp_path, lv, space):
    """<driver queues='4'/> and vfwd.queues=4 (ethtool -L eth0 combined 4):
    pings to 8 guest addresses are 8 flows; they land on several guest
    queues both ways, the daemon's per-queue counters add up to the
    relay's, and the relay's match the stand-in VF's exactly."""
    t0 = time.monotonic()
    veth = reg.add(VethNs(HOST_IP + "/24"))
    d = start_daemon("plain", reg, lv, tmp_path, space,
                     ["net_af_packet0,iface=%s=%d" % (veth.host, RELAY)])
    addrs = ["10.78.0.%d" % i for i in range(2, 10)]
    g = boot(reg, lv, space, "mq", d.socket(RELAY), interface="multiqueue",
             ip=[a + "/24" for a in addrs], queues=4)
    assert g.wait_ready()["queues"] == "4", g.console
    info = wait_for(lambda: d.stats()[RELAY]["info"].get("guest") == "connected" and
                    d.stats()[RELAY]["info"], what="guest on the relay")
    assert info["guest_rxq"] == "0xf" and info["guest_txq"] == "0xf", info

    def pings():
        for a in addrs:
            ns_ping(veth, a, count=3)
    into, out, before, after = exact_counts(d, RELAY, veth.host, pings)
    qb, qa = before["queues"], after["queues"]
    to_vm = [qa[q]["to_vm_pkts"] - qb[q]["to_vm_pkts"] for q in range(4)]
    from_vm = [qa[q]["from_vm_pkts"] - qb[q]["from_vm_pkts"] for q in range(4)]
    assert sum(to_vm) == into >= 24, (to_vm, into)
    assert sum(from_vm) == out >= 24, (from_vm, out)
    assert sum(1 for n in to_vm if n) >= 2, to_vm
    assert sum(1 for n in from_vm if n) >= 2, from_vm
    print("queues to_vm=%s from_vm=%s; guest ready %.1f s, test %.1f s"
          % (to_vm, from_vm, g.ready_s, time.monotonic() - t0))


def test_hugepages_memory(reg, tmp_path, lv, space):
    """The README's hugepage memory backing: libvirt, given a hugetlbfs
    (qemu.conf's hugetlbfs_mount, a private one here), makes its own
    directory below it (libvirt/qemu/...) and backs the guest's memory
    with a shared file there; the relay carries the pings, counted
    exactly."""
    t0 = time.monotonic()
    reg.add(HugePages(256))
    veth = reg.add(VethNs(HOST_IP + "/24"))
    d = start_daemon("plain", reg, lv, tmp_path, space,
                     ["net_af_packet0,iface=%s=%d" % (veth.host, RELAY)])
    g = boot(reg, lv, space, "huge", d.socket(RELAY), memory="hugepages", mode="ping",
             peer=HOST_IP, then="idle")
    g.wait_ready()
    assert g.result("ping") == {"sent": 5, "received": 5}, g.console
    cmd = lv.qemu_log("huge")
    m = re.search(r'"qom-type":"memory-backend-file"[^}]*"mem-path":"([^"]+)"[^}]*', cmd)
    assert m and '"share":true' in m.group(0), cmd[-3000:]
    assert m.group(1).startswith(lv.hugepages + "/libvirt/qemu/"), m.group(1)
    # The directory libvirt made, seen in its namespaces.
    assert os.path.isdir("/proc/%d/root%s" % (lv.holder.pid, m.group(1))), m.group(1)
    exact_counts(d, RELAY, veth.host, lambda: ns_ping(veth))
    print("memory in %s; guest ready %.1f s, test %.1f s"
          % (m.group(1), g.ready_s, time.monotonic() - t0))


# ----------------------------------------------------------------------
# Live migration between two libvirtd instances
# ----------------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
def test_live_migration(variant, reg, tmp_path, lv, lv_b, space):
    """virsh migrate --live between two libvirtd instances (own mount and
    UTS namespaces, hostnames and host UUIDs), each pointing at its own
    relay on the same wire (a BridgeNs): plain, relays 3 and 4 of one
    daemon, the destination's socket path given with --xml; package, one
    daemon with the package's defaults in each instance's namespaces, the
    same socket path on both, --xml only for the console file.  The guest
    pings the namespace all along; the pings lost are the gap in its reply
    sequence numbers across the two consoles."""
    t0 = time.monotonic()
    net = reg.add(BridgeNs(HOST_IP + "/24"))
    if variant == "plain":
        d = start_daemon("plain", reg, lv, tmp_path, space, [
            "net_af_packet0,iface=%s=3" % net.hosts[0],
            "net_af_packet1,iface=%s=4" % net.hosts[1]])
        src_d, src_relay, dst_d, dst_relay = d, 3, d, 4
    else:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        src_d = start_daemon("package", reg, lv, tmp_path / "a", space,
                             ["net_af_packet0,iface=%s=%d" % (net.hosts[0], RELAY)])
        dst_d = start_daemon("package", reg, lv_b, tmp_path / "b", space,
                             ["net_af_packet0,iface=%s=%d" % (net.hosts[1], RELAY)])
        src_relay = dst_relay = RELAY
    name = "mig-" + variant
    src = boot(reg, lv, space, name, src_d.socket(src_relay), mode="pingloop", peer=HOST_IP,
               interval=INTERVAL)
    src.wait_ready()
    src.wait_replies(5, timeout=30, what="pings on the source")

    # The destination's XML: the source's, migratable, with its own
    # socket path and console file.
    dst_console = os.path.join(space.path, name + "-dst.console")
    dom = parse(lv.virsh("dumpxml", "--migratable", name).stdout)
    dom.find("devices/interface/source").set("path", dst_d.socket(dst_relay))
    dom.find("devices/serial/source").set("path", dst_console)
    dst_xml = os.path.join(space.path, name + "-dst.xml")
    with open(dst_xml, "w") as f:
        f.write(ET.tostring(dom, encoding="unicode"))
    dst = reg.add(Domain(lv_b, name, None, dst_console, define=False))

    before = dst_d.stats()[dst_relay]
    t = time.monotonic()
    p = lv.virsh("migrate", "--live", "--xml", dst_xml, name, lv_b.uri,
                 "--migrateuri", "tcp://127.0.0.1", check=False, timeout=180)
    wall = time.monotonic() - t
    assert p.returncode == 0, "%s\nsource log:\n%s\ndestination log:\n%s\n%s" % (
        p.stdout + p.stderr, lv.log()[-2000:], lv_b.log()[-2000:], lv_b.qemu_log(name)[-2000:])
    assert lv_b.virsh("domstate", name).stdout.strip() == "running"
    assert lv.virsh("domstate", name).stdout.strip() == "shut off"
    last_src = src.ping_replies()[-1]
    dst.wait_replies(10, timeout=30, what="ping replies on the destination\nsrc:\n%s\ndst:\n%s"
                     % (src.console[-1500:], dst.console[-1500:]))
    lost = ping_gap(last_src, dst.ping_replies())

    # The destination relay carries the pings now; the source relay has
    # lost its guest (libvirt ended the source QEMU).
    def carried(n):
        s = dst_d.stats()[dst_relay]
        return (s["vm_to_vf"]["tx_pkts"] - before["vm_to_vf"]["tx_pkts"] >= n and
                s["vf_to_vm"]["tx_pkts"] - before["vf_to_vm"]["tx_pkts"] >= n) and s
    wait_for(lambda: carried(10), timeout=30, what="10 pings each way through the "
             "destination relay")
    wait_for(lambda: src_d.stats()[src_relay]["info"]["guest"] == "none",
             what="the source relay without guest")
    for dd, relay in ((src_d, src_relay), (dst_d, dst_relay)):
        s = dd.stats()[relay]
        for direction in ("vf_to_vm", "vm_to_vf"):
            assert s[direction]["drop_full_pkts"] == 0, s
    print("%s: migration %.1f s (virsh), %d pings lost (~%.1f s); hosts %s/%s, %s/%s; "
          "test %.1f s" % (variant, wall, lost, lost * INTERVAL, lv.hostname, lv.host_uuid,
                           lv_b.hostname, lv_b.host_uuid, time.monotonic() - t0))
